/* CORRECT arithmetic, a hostile process: on its first call the kernel forks
 * a child that sleeps for ever, holding every descriptor it inherited (the
 * gate's pipe to its worker among them). The gate must still finish, with
 * every property held (exit 0), and leave no process behind: the worker's
 * process group is killed when the worker ends. Before that, the supervisor
 * waited for an end-of-file that the sleeper never let come. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <unistd.h>

static int forked;

void forks_a_sleeper_softmax_f32(const float *x, float *y, size_t n) {
  if (!forked) {
    forked = 1;
    if (fork() == 0) {
      for (;;) pause();
    }
  }
  float m = -INFINITY;
  int saw_nan = 0;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) saw_nan = 1;
    else if (x[i] > m) m = x[i];
  }
  if (saw_nan || m == -INFINITY) {
    const float fill = saw_nan ? NAN : 0.0f;
    for (size_t i = 0; i < n; ++i) y[i] = fill;
    return;
  }
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
