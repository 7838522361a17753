/* WRONG: reads x[n], one element past the row.
 * Caught as a CRASH (clause hygiene: "read past x[n-1]") when the gate puts
 * the row's end against a PROT_NONE guard page.
 *
 * The max pass is software-pipelined: each iteration loads the next element
 * while comparing the current one, and the last iteration loads x[n] too. The
 * value is never used -- the answer is right -- so no output-based test sees
 * the bug, and on an ordinary heap the read lands on readable memory. Against
 * a guard page it is a SIGSEGV. The loads go through a volatile pointer so
 * that the compiler can neither drop the final, unused load nor peel it off.
 * Otherwise this is the correct kernel (n == 0 returns before any load). */
#include <math.h>
#include <stddef.h>

void read_past_end_softmax_f32(const float *x, float *y, size_t n) {
  if (n == 0) return;
  const volatile float *xv = x;
  float m = -INFINITY;
  int saw_nan = 0;
  float next = xv[0];
  for (size_t i = 0; i < n; ++i) {
    const float v = next;
    next = xv[i + 1];  /* BUG: on the last iteration this reads x[n] */
    if (isnan(v)) saw_nan = 1;
    else if (v > m) m = v;
  }
  if (saw_nan || m == -INFINITY) {
    const float fill = saw_nan ? NAN : 0.0f;
    for (size_t i = 0; i < n; ++i) y[i] = fill;
    return;
  }
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - m);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}
