/* WRONG: crashes on an empty row (n == 0).
 * Caught as a CRASH (SIGSEGV; the gate places an empty row at a guard page,
 * so the address reads as "read past x[n-1]").
 *
 * The most common softmax of all seeds its maximum with the first element,
 * `m = x[0]`, and scans from index 1. With n == 0 that reads an element that
 * does not exist; the contract says n == 0 reads and writes nothing (and x may
 * then be a null pointer). The gate maps an empty row right at a PROT_NONE
 * page, so x[0] faults; 3% of generated rows are empty. For n >= 1 this is
 * the correct kernel (a NaN x[0] is noticed like any other NaN). The loaded
 * value is tested on every path, so the compiler must perform the load
 * whatever n is. */
#include <math.h>
#include <stddef.h>

void crash_on_empty_softmax_f32(const float *x, float *y, size_t n) {
  float m = x[0];  /* BUG: x[0] does not exist when n == 0 */
  int saw_nan = isnan(m);
  for (size_t i = 1; i < n; ++i) {
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
