/* A kernel that is correct on short rows and dies of SIGSEGV on rows of 4096
 * elements or more: `softcheck report --quick` (sizes 64 and 4096) must
 * report its n = 64 cell, name the crash at n = 4096 in the table, carry on
 * with the report and exit 1 (a finding against the user's kernel). */
#include <math.h>
#include <signal.h>
#include <stddef.h>

void crash_at_4096_softmax_f32(const float *x, float *y, size_t n) {
  if (n >= 4096) raise(SIGSEGV);
  float m = -INFINITY;
  int saw_nan = 0;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) saw_nan = 1;
    else if (x[i] > m) m = x[i];
  }
  if (saw_nan || m == -INFINITY) {
    for (size_t i = 0; i < n; ++i) y[i] = saw_nan ? NAN : 0.0f;
    return;
  }
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
