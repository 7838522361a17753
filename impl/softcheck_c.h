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

/* Single-head attention, row-major: q n_q x d, k n_kv x d, v n_kv x d_v,
 * out n_q x d_v; mask an additive n_q x n_kv mask or NULL; causal 0 none,
 * 1 top-left (key j visible to query i iff j <= i), 2 bottom-right (iff
 * j <= i + n_kv - n_q). The contract: impl/attention.h, docs/attention.md. */
#define SOFTCHECK_ATTENTION(Name, c_name)                                    \
  void softcheck_##c_name##_attention_f32(                                   \
      const float *q, const float *k, const float *v, const float *mask,     \
      int causal, float scale, float *out, size_t n_q, size_t n_kv, size_t d, \
      size_t d_v);
#include "impl/attention_kernels.inc"
#undef SOFTCHECK_ATTENTION

#ifdef __cplusplus
}
#endif

#endif /* SOFTCHECK_C_H_ */
