// maxshift attention: materialise S = Q K^T * scale + mask (n_q x n_kv); per
// row the max-shifted softmax -- m = max_j s_ij, e_ij = exp(s_ij - m),
// p_ij = e_ij / sum_j e_ij -- then out_i = sum_j p_ij v_j.
//
// Contract: the full contract of impl/attention.h; nothing is an expected
// failure.
//   * Overflow-safe: every exp argument is <= 0, so e_ij <= 1 and the sum
//     lies in [1, n_kv]; no score of any size overflows. (s - m may round to
//     -inf for s = -FLT_MAX, m = FLT_MAX; exp(-inf) = 0 is then right.)
//   * Hidden keys (causal, -inf mask) get the score -inf whatever q, k and
//     the mask hold there, and are skipped in the weighted sum, never
//     multiplied by 0, so a NaN in a hidden k_j or v_j cannot leak.
//   * A NaN or +inf visible score gives a NaN row, found by looking (a max
//     would drop NaN); a row with no visible key gives +0.
//   * Accuracy: the dot product summed in order (d - 1 additions), one
//     rounding each for the scale and the mask; rounding s - m costs
//     |s - m| u relative in e; libm's expf (< 1 ulp); sequential sums of
//     n_kv terms for the normaliser and for each output; one division per
//     weight.
//   * Memory: the n_q x n_kv score matrix, on the heap.
#include <cmath>
#include <limits>
#include <vector>

#include "impl/attention.h"
#include "impl/attention_common.h"

namespace softcheck {
namespace {

void MaxshiftAttention(const float* q, const float* k, const float* v,
                       const float* mask, int causal, float scale, float* out,
                       size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  if (HandleAttentionCallerError(causal, scale, out, n_q, d_v)) return;
  if (n_q == 0 || d_v == 0) return;
  const AttentionProblem p{q, k, v, mask, causal, scale, n_q, n_kv, d, d_v};
  std::vector<float> s(n_q * n_kv);
  for (size_t i = 0; i < n_q; ++i) ScoreRow(p, i, 0, n_kv, s.data() + i * n_kv);
  std::vector<float> e(n_kv);

  for (size_t i = 0; i < n_q; ++i) {
    const float* row = s.data() + i * n_kv;
    float* o = out + i * d_v;
    bool poisoned = false;
    float m = -kAttnInf;
    for (size_t j = 0; j < n_kv; ++j) {
      poisoned |= PoisonsRow(row[j]);
      m = row[j] > m ? row[j] : m;
    }
    if (poisoned || m == -kAttnInf) {  // NaN row, or no key left
      const float fill =
          poisoned ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
      for (size_t c = 0; c < d_v; ++c) o[c] = fill;
      continue;
    }
    float sum = 0;
    for (size_t j = 0; j < n_kv; ++j) sum += (e[j] = std::exp(row[j] - m));
    for (size_t c = 0; c < d_v; ++c) o[c] = 0;
    for (size_t j = 0; j < n_kv; ++j) {
      if (row[j] == -kAttnInf) continue;  // deleted: never 0 * v_j
      const float w = e[j] / sum;
      const float* vj = v + j * d_v;
      for (size_t c = 0; c < d_v; ++c) o[c] += w * vj[c];
    }
  }
}

}  // namespace

std::vector<AttentionKernel> MaxshiftAttentionKernels() {
  AttentionKernel k;
  k.name = k.family = "maxshift";
  k.target = "scalar";
  k.summary = "materialised S; max-shifted softmax per row; times V";
  k.f32 = &MaxshiftAttention;
  k.claims.exp_ulp = 1;  // glibc expf: < 1 ulp
  return {k};
}

}  // namespace softcheck
