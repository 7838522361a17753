/* WRONG: a NaN in the row is swallowed and the row comes out finite.
 * Caught by NanOrInfinityPoisonsTheRow (clause nan-propagation).
 *
 * Two habits of SIMD code, written out in scalar C:
 *   - the maximum is `x > m ? x : m`, which is what x86 maxps computes: a NaN
 *     operand yields the other one, so the maximum ignores NaN;
 *   - exp sits behind an underflow guard in mask-and-blend form,
 *     `z > lowest ? exp(z) : 0`. Every comparison with NaN is false, so NaN
 *     is flushed to 0 -- as hwy::Exp(NaN) returns 0 (google/highway#1016).
 * [1, NaN] gives [1, 0]; [NaN] alone looks fully masked and gives [0]. The
 * contract wants an all-NaN row. Everything else is kept: the max shift
 * (overflow-safe), exact +0 for -inf, zeros for a fully masked row, and +inf
 * still poisons the row by accident (its z = inf - inf is flushed to 0 and the
 * others to 0 as well, so the sum is 0 and 0 / 0 is NaN everywhere). Only the
 * NaN rows the non-finite property injects in every case break. */
#include <math.h>
#include <stddef.h>

/* exp(z) is below half the smallest subnormal for z < -103.97: 0 anyway. */
static float guarded_expf(float z) { return z > -104.0f ? expf(z) : 0.0f; }

void nan_swallowed_softmax_f32(const float *x, float *y, size_t n) {
  float m = -INFINITY;
  for (size_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  if (m == -INFINITY) {  /* fully masked (or, by the bug, only NaN and -inf) */
    for (size_t i = 0; i < n; ++i) y[i] = 0.0f;
    return;
  }
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = guarded_expf(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
