/* CORRECT arithmetic, a hostile process: on its first call the kernel closes
 * every file descriptor from 3 up, as daemonising code does, the gate's pipe
 * to its worker among them. The worker can then send no result; the gate
 * must say that the kernel closed its pipe (a CRASH of the kernel's making,
 * exit 1), not blame itself ("a softcheck bug"), as it did before. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <unistd.h>

#include "max_shift_row.h"

static int closed;

void closes_fds_softmax_f32(const float *x, float *y, size_t n) {
  if (!closed) {
    closed = 1;
    for (int fd = 3; fd < 1024; ++fd) close(fd);
  }
  max_shift_row_f32(x, y, n);
}
