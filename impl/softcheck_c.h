/* softcheck's stable C ABI: every built-in kernel, exported from
 * libsoftcheck_kernels.so through the same signature that users' kernels are
 * checked through. Temperature is 1; the C++ API (impl/registry.h) has the
 * rest. These names and signatures are stable. */
#ifndef SOFTCHECK_C_H_
#define SOFTCHECK_C_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOFTCHECK_SOFTMAX(Name, c_name)                                   \
  void softcheck_##c_name##_softmax_f32(const float *x, float *y, size_t n); \
  void softcheck_##c_name##_softmax_f64(const double *x, double *y, size_t n);
#include "impl/softmax_kernels.inc"
#undef SOFTCHECK_SOFTMAX

#ifdef __cplusplus
}
#endif

#endif /* SOFTCHECK_C_H_ */
