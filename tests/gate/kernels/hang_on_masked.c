/* WRONG: never returns on a fully masked row (or an empty one).
 * Caught as a HANG (the gate's per-call timeout; clause fully-masked).
 *
 * Two pieces of defensive code that are each reasonable and together loop
 * forever:
 *   - the fully masked guard of FlashAttention-style kernels: a maximum of
 *     -inf is replaced by 0, so that exp(-inf - 0) = 0 instead of
 *     exp(-inf - -inf) = NaN;
 *   - an underflow rescue carried over from the kernel's unshifted
 *     predecessor: while the sum of the exps is below 1, scale them all up by
 *     2^64 and add them again.
 * With a finite entry the maximum's own exp is exactly 1, so the sum is at
 * least 1 and the rescue never runs (the kernel is correct there, NaN and +inf
 * included: a NaN sum fails `sum < 1`). On a fully masked row every exp is 0,
 * and so is every rescaled sum; with n == 0 the sum is 0 as well. Both are
 * common among generated rows (3% are empty; one-element rows under the
 * masking property are mostly -inf). `sum` is volatile because C11 lets a
 * compiler assume that a loop without side effects terminates. */
#include <math.h>
#include <stddef.h>

void hang_on_masked_softmax_f32(const float *x, float *y, size_t n) {
  float m = -INFINITY;
  int saw_nan = 0;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) saw_nan = 1;
    else if (x[i] > m) m = x[i];
  }
  if (saw_nan) {
    for (size_t i = 0; i < n; ++i) y[i] = NAN;
    return;
  }
  if (m == -INFINITY) m = 0.0f;  /* fully masked: exps of 0, not NaN */
  volatile float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - m);
    sum += y[i];
  }
  while (sum < 1.0f) {  /* BUG: 0 scaled is still 0 */
    sum = 0.0f;
    for (size_t i = 0; i < n; ++i) {
      y[i] *= 0x1p64f;
      sum += y[i];
    }
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
