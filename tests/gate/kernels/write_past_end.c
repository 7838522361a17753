/* WRONG: writes y[n] = 0, one element past the output.
 * Caught as a CRASH (clause hygiene: "touched memory past y[n-1]") when the
 * gate puts the output's end against a PROT_NONE guard page.
 *
 * The kernel was lifted from a framework whose rows carry one padding element
 * (row stride n + 1) that the kernel clears, so that the next vector load
 * sees a zero. Called on a dense row, it clears the first element of
 * whatever follows: silent corruption on a heap, a SIGSEGV against a guard
 * page. The outputs themselves are right. Otherwise this is the correct
 * kernel (n == 0 returns before any access). */
#include <math.h>
#include <stddef.h>

void write_past_end_softmax_f32(const float *x, float *y, size_t n) {
  if (n == 0) return;
  float m = -INFINITY;
  int saw_nan = 0;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(x[i])) saw_nan = 1;
    else if (x[i] > m) m = x[i];
  }
  if (saw_nan || m == -INFINITY) {
    const float fill = saw_nan ? NAN : 0.0f;
    for (size_t i = 0; i < n; ++i) y[i] = fill;
  } else {
    float sum = 0.0f;
    for (size_t i = 0; i < n; ++i) {
      y[i] = expf(x[i] - m);
      sum += y[i];
    }
    for (size_t i = 0; i < n; ++i) y[i] /= sum;
  }
  /* BUG: the padding element of a stride-(n + 1) row. The volatile store
   * keeps it where it is written. */
  ((volatile float *)y)[n] = 0.0f;
}
