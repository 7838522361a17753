// The exported C ABI: one pair of symbols per family, each calling the
// family's first (dispatching) registry entry at temperature 1; and one
// attention symbol per attention family, calling its first entry.
#include "impl/softcheck_c.h"

#include "impl/attention_registry.h"
#include "impl/registry.h"

namespace {

const softcheck::SoftmaxKernel& Family(const char* name) {
  // The registry guarantees every family has an entry with its own name.
  return *softcheck::FindSoftmaxKernel(name);
}

}  // namespace

#define SOFTCHECK_SOFTMAX(Name, c_name)                                      \
  extern "C" __attribute__((visibility("default"))) void                    \
      softcheck_##c_name##_softmax_f32(const float* x, float* y, size_t n) { \
    static const softcheck::SoftmaxF32 f = Family(#c_name).f32;              \
    f(x, y, n, 1.0f);                                                        \
  }                                                                          \
  extern "C" __attribute__((visibility("default"))) void                    \
      softcheck_##c_name##_softmax_f64(const double* x, double* y,           \
                                       size_t n) {                           \
    static const softcheck::SoftmaxF64 f = Family(#c_name).f64;              \
    f(x, y, n, 1.0);                                                         \
  }
#include "impl/softmax_kernels.inc"
#undef SOFTCHECK_SOFTMAX

#define SOFTCHECK_ATTENTION(Name, c_name)                                    \
  extern "C" __attribute__((visibility("default"))) void                    \
      softcheck_##c_name##_attention_f32(                                    \
          const float* q, const float* k, const float* v, const float* mask, \
          int causal, float scale, float* out, size_t n_q, size_t n_kv,      \
          size_t d, size_t d_v) {                                            \
    static const softcheck::AttentionF32 f =                                 \
        softcheck::FindAttentionKernel(#c_name)->f32;                        \
    f(q, k, v, mask, causal, scale, out, n_q, n_kv, d, d_v);                 \
  }
#include "impl/attention_kernels.inc"
#undef SOFTCHECK_ATTENTION
