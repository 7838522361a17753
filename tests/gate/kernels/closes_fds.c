/* CORRECT arithmetic, a hostile process: on its first call the kernel closes
 * every file descriptor from 3 up, as daemonising code does, the gate's pipe
 * to its worker among them. The worker can then send no result; the gate
 * must say that the kernel closed its pipe (a CRASH of the kernel's making,
 * exit 1), not blame itself ("a softcheck bug"), as it did before. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <unistd.h>

static int closed;

void closes_fds_softmax_f32(const float *x, float *y, size_t n) {
  if (!closed) {
    closed = 1;
    for (int fd = 3; fd < 1024; ++fd) close(fd);
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
