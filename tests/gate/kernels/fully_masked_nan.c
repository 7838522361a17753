/* WRONG: a fully masked row gives NaN instead of +0.
 * Caught by MasksNegativeInfinity (clause fully-masked).
 *
 * The textbook max-shift kernel with no special case at all. On a row that is
 * entirely -inf the maximum is -inf, every x_i - max is -inf - -inf = NaN, and
 * so is every output: the NaN that poisons an attention row whose causal or
 * padding mask hides it completely. The contract (clause fully-masked) wants
 * all +0. Everything else holds by the arithmetic: -inf beside a finite entry
 * gives exp(-inf) = +0, NaN and +inf reach every output through the sum, and
 * the max shift prevents overflow. Generated rows are often fully masked:
 * one-element rows under the masking property's 85% chance of -inf, and its
 * "entirely -inf" row shape. */
#include <math.h>
#include <stddef.h>

void fully_masked_nan_softmax_f32(const float *x, float *y, size_t n) {
  float m = -INFINITY;
  for (size_t i = 0; i < n; ++i)
    if (x[i] > m) m = x[i];
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
