/* The correct float max-shift row of max_shift.c, shared by the fixtures
 * whose arithmetic is correct and whose bug is in how they treat the process
 * (forks_a_sleeper.c, closes_fds.c): a header, so that each fixture is still
 * one self-contained shared library. max_shift.c says why each step is there. */
#ifndef SOFTCHECK_TESTS_GATE_KERNELS_MAX_SHIFT_ROW_H_
#define SOFTCHECK_TESTS_GATE_KERNELS_MAX_SHIFT_ROW_H_

#include <math.h>
#include <stddef.h>

static void max_shift_row_f32(const float *x, float *y, size_t n) {
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
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

#endif  /* SOFTCHECK_TESTS_GATE_KERNELS_MAX_SHIFT_ROW_H_ */
