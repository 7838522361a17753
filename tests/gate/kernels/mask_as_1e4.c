/* WRONG: -inf is replaced by -1e4 before anything is computed.
 * Caught by MasksNegativeInfinity (clauses fully-masked and masking).
 *
 * The old transformer habit (masked_fill(mask, -1e4), so that fp16 never sees
 * an infinity) moved into the kernel's load. Beside an ordinary finite
 * maximum it is harmless: exp(-1e4 - max) is exactly 0 in float. It breaks
 *   - on a fully masked row: every entry becomes -1e4, and the row comes out
 *     uniform, 1/n each, instead of all +0 (a one-element [-inf] gives 1);
 *   - beside entries below -1e4: [-inf, -2e4] gives [1, 0] instead of [0, 1],
 *     since the masked entry is now the maximum.
 * Everything else is the correct kernel: max shift, NaN and +inf poisoning. */
#include <math.h>
#include <stddef.h>

static float load(const float *x, size_t i) {
  return x[i] == -INFINITY ? -1e4f : x[i];  /* BUG: masked becomes merely small */
}

void mask_as_1e4_softmax_f32(const float *x, float *y, size_t n) {
  float m = -INFINITY;
  int saw_nan = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = load(x, i);
    if (isnan(v)) saw_nan = 1;
    else if (v > m) m = v;
  }
  if (saw_nan || m == -INFINITY) {  /* now only for n == 0 or NaN */
    const float fill = saw_nan ? NAN : 0.0f;
    for (size_t i = 0; i < n; ++i) y[i] = fill;
    return;
  }
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(load(x, i) - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
