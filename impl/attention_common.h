// Pieces of the attention contract (impl/attention.h) that the scalar
// kernels share and that are not the algorithm: caller errors, which keys a
// query sees, and one score as the plain formula computes it.
#ifndef SOFTCHECK_IMPL_ATTENTION_COMMON_H_
#define SOFTCHECK_IMPL_ATTENTION_COMMON_H_

#include <cmath>
#include <cstddef>
#include <limits>

#include "impl/attention.h"

namespace softcheck {

inline constexpr float kAttnInf = std::numeric_limits<float>::infinity();

// Scale NaN or +-inf, or a causal mode outside {0, 1, 2}: every output is NaN
// (returns true). Otherwise touches nothing and returns false.
inline bool HandleAttentionCallerError(int causal, float scale, float* out,
                                       size_t n_q, size_t d_v) {
  const bool causal_ok = causal == kCausalNone || causal == kCausalTopLeft ||
                         causal == kCausalBottomRight;
  if (causal_ok && std::isfinite(scale)) return false;
  for (size_t i = 0; i < n_q * d_v; ++i)
    out[i] = std::numeric_limits<float>::quiet_NaN();
  return true;
}

// s_ij for the keys [j0, j1) of query i into s[0, j1 - j0): scale * (q_i .
// k_j) + mask_ij, the dot product summed in order; -inf for keys the causal
// mode or a -inf mask entry hides, whatever q, k and the mask hold there (the
// mask wins: NaN + -inf would be NaN, and a hidden key must not reach out).
inline void ScoreRow(const AttentionProblem& p, size_t i, size_t j0, size_t j1,
                     float* s) {
  const size_t visible_end = CausalEnd(p.causal, i, p.n_q, p.n_kv);
  const float* q = p.q + i * p.d;
  for (size_t j = j0; j < j1; ++j) {
    const float m = p.mask ? p.mask[i * p.n_kv + j] : 0.0f;
    if (j >= visible_end || m == -kAttnInf) {
      s[j - j0] = -kAttnInf;
      continue;
    }
    const float* k = p.k + j * p.d;
    float dot = 0;
    for (size_t t = 0; t < p.d; ++t) dot += q[t] * k[t];
    s[j - j0] = p.scale * dot + m;
  }
}

// A score that poisons its row: NaN or +inf (softmax's NaN-propagation).
inline bool PoisonsRow(float s) { return !(s < kAttnInf); }

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_ATTENTION_COMMON_H_
