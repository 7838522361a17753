// The part of materialised attention that is the same whichever library does
// the GEMMs: the additive mask and the causal mode written into S as -inf,
// the way a user's composition does it (S += mask; S.masked_fill(hidden,
// -inf)). Nothing else: NaN scores, fully masked rows and the rest go to the
// peer's softmax as they are.
#ifndef SOFTCHECK_BENCH_PEERS_ATTENTION_COMPOSE_H_
#define SOFTCHECK_BENCH_PEERS_ATTENTION_COMPOSE_H_

#include <cstddef>
#include <limits>

#include "impl/attention.h"

namespace softcheck::peers {

inline void MaskScores(float* s, const float* mask, int causal, size_t n_q,
                       size_t n_kv) {
  if (mask != nullptr) {
    for (size_t i = 0; i < n_q * n_kv; ++i) s[i] += mask[i];
  }
  if (causal == kCausalTopLeft || causal == kCausalBottomRight) {
    const float minus_inf = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n_q; ++i) {
      for (size_t j = CausalEnd(causal, i, n_q, n_kv); j < n_kv; ++j) {
        s[i * n_kv + j] = minus_inf;
      }
    }
  }
}

}  // namespace softcheck::peers

#endif  // SOFTCHECK_BENCH_PEERS_ATTENTION_COMPOSE_H_
