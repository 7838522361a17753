/* WRONG: the normaliser leaves out the last element's exp.
 * Caught by MatchesOracle (clause accuracy); SumsToOne usually fails too.
 *
 * The exp pass is software-pipelined: each iteration adds the previous
 * element's exp to the sum while computing the next one, and the epilogue
 * that adds the last pending term was forgotten. Wrong for every n >= 1: the
 * sum lacks e_{n-1}, so every output is too large by the factor
 * 1 / (1 - y_{n-1}) -- about 1/n relative on an ordinary row, against an
 * allowance near (12 + n) u ~ 1e-6 -- and n = 1 divides 1 by 0 (+inf):
 * [0, 0, 0, 0] gives 1/3 each. Only a last element far below the maximum
 * (its share under ~1e-6) hides it; on rows of uniform logits in [-20, 20]
 * a third of rows err by more than 1e-5, and n = 1 and rows that end near
 * their maximum (ascending sorted rows, many rows of ties) always do, so a
 * few dozen generated cases are plenty. Max shift, NaN and masking are kept
 * correct. */
#include <math.h>
#include <stddef.h>

void sum_skips_last_softmax_f32(const float *x, float *y, size_t n) {
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
  float sum = 0.0f, pending = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    sum += pending;             /* the previous element's exp ...          */
    pending = expf(x[i] - m);   /* ... while this one is computed          */
    y[i] = pending;
  }
  /* BUG: the epilogue `sum += pending;` is missing. */
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
