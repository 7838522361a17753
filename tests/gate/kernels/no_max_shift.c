/* WRONG: no max shift -- the textbook formula y_i = exp(x_i) / sum_j exp(x_j).
 * Caught by NeverOverflows (clause overflow-safe).
 *
 * exp overflows to +inf for x > 88.72 in float (709.78 in double), and
 * inf / inf is NaN: [100, 0] gives [NaN, 0] in float, [1000, 999] gives
 * [NaN, NaN] in double. When every exp underflows (all x < -103.97 in float)
 * the sum is 0 and 0 / 0 is NaN. The overflow property's rows (clusters above
 * 88, +-FLT_MAX, raw bit patterns) hit both within a few cases. It is the
 * built-in `naive` kernel, minus the registry entry that declares the
 * failure: checked as a user's kernel, nothing excuses it. Both types are
 * exported, so `--kind softmax-f64` is tested on a wrong kernel too. */
#include <math.h>
#include <stddef.h>

void no_max_shift_softmax_f32(const float *x, float *y, size_t n) {
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i]);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

void no_max_shift_softmax_f64(const double *x, double *y, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = exp(x[i]);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
