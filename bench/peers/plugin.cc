// libsoftcheck_peers.so: every peer found at configure time in the plugin ABI
// that `softcheck check --lib --symbol --kind` and `softcheck report` load
// (impl/softcheck_c.h's signatures), so the gate's checks run on the peers
// exactly as on a user's kernel. One row per softmax call.
#include <cstddef>

#include "bench/peers/peers_internal.h"

#define SOFTCHECK_PEER_EXPORT extern "C" __attribute__((visibility("default")))

#define SOFTCHECK_PEER_SOFTMAX(c_name, batch)                              \
  SOFTCHECK_PEER_EXPORT void softcheck_peer_##c_name##_softmax_f32(        \
      const float* x, float* y, size_t n) {                               \
    softcheck::peers::batch(x, y, 1, n);                                  \
  }
#define SOFTCHECK_PEER_ATTENTION(c_name, fn)                               \
  SOFTCHECK_PEER_EXPORT void softcheck_peer_##c_name##_attention_f32(      \
      const float* q, const float* k, const float* v, const float* mask,   \
      int causal, float scale, float* out, size_t n_q, size_t n_kv,        \
      size_t d, size_t d_v) {                                             \
    softcheck::peers::fn(q, k, v, mask, causal, scale, out, n_q, n_kv, d,  \
                         d_v);                                            \
  }

#ifdef SOFTCHECK_PEER_ONEDNN
SOFTCHECK_PEER_SOFTMAX(onednn, OnednnSoftmaxBatch)
SOFTCHECK_PEER_ATTENTION(onednn_gemm, OnednnAttention)
#endif
#ifdef SOFTCHECK_PEER_XNNPACK
SOFTCHECK_PEER_SOFTMAX(xnnpack, XnnpackSoftmaxBatch)
#endif
#ifdef SOFTCHECK_PEER_EIGEN
SOFTCHECK_PEER_SOFTMAX(eigen, EigenSoftmaxBatch)
SOFTCHECK_PEER_ATTENTION(eigen_gemm, EigenAttention)
#endif
