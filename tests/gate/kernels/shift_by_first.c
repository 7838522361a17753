/* WRONG: shifts by the first element instead of the maximum.
 * Caught by NeverOverflows (clause overflow-safe).
 *
 * "Softmax is shift-invariant, so any element will do, and it saves the max
 * pass": true in exact arithmetic only. exp(x_i - x_0) overflows as soon as
 * some element lies more than 88.72 above x[0]; inf / inf is NaN. On [0, 100]
 * it gives [0, NaN]. The overflow property's cluster rows (three tops near 88
 * shuffled among elements 20..220 below them) and its +-FLT_MAX rows put a
 * low element first in most cases. (A masked x[0] = -inf makes every
 * x_i - x_0 = +inf and NaN follows, so MasksNegativeInfinity fails too; the
 * overflow is the failure this fixture is about.) */
#include <math.h>
#include <stddef.h>

void shift_by_first_softmax_f32(const float *x, float *y, size_t n) {
  if (n == 0) return;
  const float shift = x[0];
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - shift);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
