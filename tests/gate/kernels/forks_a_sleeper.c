/* CORRECT arithmetic, a hostile process: on its first call the kernel forks
 * a child that sleeps for ever, holding every descriptor it inherited (the
 * gate's pipe to its worker among them). The gate must still finish, with
 * every property held (exit 0), and leave no process behind: the worker's
 * process group is killed when the worker ends. Before that, the supervisor
 * waited for an end-of-file that the sleeper never let come. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <unistd.h>

#include "max_shift_row.h"

static int forked;

void forks_a_sleeper_softmax_f32(const float *x, float *y, size_t n) {
  if (!forked) {
    forked = 1;
    if (fork() == 0) {
      for (;;) pause();
    }
  }
  max_shift_row_f32(x, y, n);
}
