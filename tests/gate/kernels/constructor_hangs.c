/* TROUBLE, not a finding: the library's constructor never returns, so
 * dlopen never does. The gate loads a library in a supervised worker whose
 * timeout covers the load as it covers a kernel call: exit 2, one line
 * ("did not finish loading within 2 s"). Before that, softcheck hung. */
#include <stddef.h>

static volatile int spin = 1;

__attribute__((constructor)) static void never_returns(void) {
  while (spin) {
  }
}

void constructor_hangs_softmax_f32(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i];
}
