/* TROUBLE, not a finding: the library's constructor calls exit(0), ending
 * whatever process loads it with a success status. The gate's load probe
 * waits for its worker's answer, not for its status: exit 2, one line
 * ("ended the process while loading"). Before that, the probe passed and
 * every property was reported as a softcheck bug. */
#include <stddef.h>
#include <stdlib.h>

__attribute__((constructor)) static void leaves(void) { exit(0); }

void constructor_exits_softmax_f32(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i];
}
