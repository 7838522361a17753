/* WRONG: the running sum is kept in bfloat16.
 * Caught by MatchesOracle (clause accuracy).
 *
 * A mixed-precision kernel stores its accumulator in a bf16 register: after
 * every addition the float sum is rounded to bfloat16 (8 significant bits,
 * round to nearest even on the top 16 bits of the float). Each rounding costs
 * up to 2^-9 relative, against an allowance of a few times 2^-24 per element:
 * [0, -0.3] sums to 1.7421875 instead of 1.7408182, and both outputs are off
 * by 7.9e-4 relative; rows of 64 logits by 2e-3 to 6e-3. Long rows stagnate
 * once the terms fall below half a bf16 ULP of the sum. Every
 * output is divided by that sum, so every output carries its error. The exps,
 * the max shift, NaN and masking are all correct; the converter keeps NaN a
 * NaN, as real ones do (adding the rounding bias to a NaN's bits could turn it
 * into infinity). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static float round_to_bf16(float v) {
  if (isnan(v)) return v;
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  b += 0x7fffu + ((b >> 16) & 1u);  /* round to nearest, ties to even */
  b &= 0xffff0000u;
  memcpy(&v, &b, sizeof v);
  return v;
}

void bf16_sum_softmax_f32(const float *x, float *y, size_t n) {
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
    sum = round_to_bf16(sum + y[i]);  /* BUG: the accumulator is bf16 */
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
