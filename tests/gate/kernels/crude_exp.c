/* WRONG: a crude exp, about 1e-4 relative error (at most 7.5e-4), in an
 * otherwise correct kernel. Caught by MatchesOracle (clause accuracy) alone.
 *
 * The exp is the hand-rolled kind: z = k ln2 + r with k = floor(z / ln2) and
 * r in [0, ln2), exp(r) by its Taylor series cut after r^4, scaled by 2^k.
 * The dropped terms r^5/120 + ... are up to 1.5e-3 at r -> ln2, 7.5e-4
 * relative to exp(r) = 2; libm's expf is within 1 ULP (6e-8). The output
 * y_i = e_i / sum e_j keeps the errors of e_i that do not cancel (they vary
 * with r), so a row of ordinary logits misses the accuracy rule's allowance
 * -- (4E + 2 + ...) u with E = 1 declared, about 1e-6 -- by two to three
 * orders of magnitude.
 *
 * Nothing else breaks, so that only the accuracy property (and the
 * cross-implementation agreement, which judges the same clause) can catch it:
 *   - max shift, exact +0 for -inf, zeros for a fully masked row, NaN and +inf
 *     poisoning the row, as in the correct kernel;
 *   - the approximation is monotone: every dropped term is positive, so the
 *     polynomial is increasing on [0, ln2) and stays below 2 at its top end,
 *     and each step up to the next power of two is a jump upwards;
 *   - it divides by the sum of the very values it outputs, so the outputs
 *     still sum to 1 within rounding.
 * The reduction runs in double so that only the truncated series errs. */
#include <math.h>
#include <stddef.h>

static float crude_expf(float z) {
  static const double kLn2 = 0.69314718055994530942;
  if (isnan(z)) return z;
  if (z < -104.0f) return 0.0f;        /* -inf, and below any subnormal */
  if (z > 89.0f) return INFINITY;      /* unreachable after the max shift */
  const double k = floor((double)z / kLn2);
  const double r = (double)z - k * kLn2;
  const double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24))));
  return (float)ldexp(p, (int)k);
}

void crude_exp_softmax_f32(const float *x, float *y, size_t n) {
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
    y[i] = crude_expf(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
