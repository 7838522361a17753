/* A CORRECT kernel: the plain float and double max-shift softmax that
 * `softcheck check --lib` must pass (exit 0). It plants no bug.
 *
 * Three passes in the working type: the maximum; exp(x_i - max) and their
 * sequential sum; the division. libm's expf/exp are within 1 ULP, so this is
 * exactly the ordinary kernel the accuracy rule (docs/accuracy.md) is written
 * to accept on any row.
 *
 * The arithmetic alone keeps most of the contract: -inf entries give
 * exp(-inf) = +0, and a +inf entry makes inf - inf = NaN, which reaches every
 * output through the sum. Two cases need an explicit test:
 *   - NaN is noticed while taking the maximum. `x > m` is false for NaN, so the
 *     maximum drops it; on [NaN, -inf] the row would then look fully masked
 *     and come out as zeros instead of NaN (nan-propagation).
 *   - A row with no entry above -inf (fully masked, or n == 0) gives +0: the
 *     shift would compute exp(-inf - -inf) = exp(NaN) (fully-masked). */
#include <math.h>
#include <stddef.h>

#include "max_shift_row.h"

void max_shift_softmax_f32(const float *x, float *y, size_t n) {
  max_shift_row_f32(x, y, n);
}

void max_shift_softmax_f64(const double *x, double *y, size_t n) {
  double m = -INFINITY;
  int saw_nan = 0;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) saw_nan = 1;
    else if (x[i] > m) m = x[i];
  }
  if (saw_nan || m == -INFINITY) {
    const double fill = saw_nan ? (double)NAN : 0.0;
    for (size_t i = 0; i < n; ++i) y[i] = fill;
    return;
  }
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = exp(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
