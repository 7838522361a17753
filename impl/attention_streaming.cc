// streaming attention (FlashAttention's algorithm, scalar): per block of
// queries, walk K/V in blocks keeping, for each query row, a running max m,
// a running sum l and an output accumulator acc (d_v floats); each new block
// with a larger max rescales l and acc by exp(m_old - m_new). The n_q x n_kv
// score matrix is never formed: the extra memory is O(block_q * (d_v +
// block_kv)), i.e. O(d_v) per query plus one score block.
//
// Contract: the full contract of impl/attention.h; nothing is an expected
// failure.
//   * The -inf corner: while every key a row has seen so far is hidden, its
//     running max is -inf, and a block that is hidden too would give m_new =
//     -inf and exp(m_old - m_new) = exp(-inf - (-inf)) = NaN -- the bug real
//     kernels shipped. Such a block is skipped for that row (it adds
//     nothing). When the first visible key arrives, exp(-inf - m_new) = 0
//     rescales an empty l and acc, which is right.
//   * Overflow-safe: every exp argument is <= 0 (s - m_new, m_old - m_new),
//     so l lies in [1, n_kv] once a key is visible and |acc_c| <= sum_j
//     |v_jc|.
//   * Hidden keys and keys with a -inf score are skipped, never multiplied
//     by 0, so a NaN in a hidden k_j or v_j cannot leak; a NaN or +inf
//     visible score poisons the row (NaN output, found by looking); a row
//     that never sees a key gives +0. Key blocks past the causal limit of
//     the block's last query are never visited.
//   * Accuracy: scores as maxshift's (dot product in order, then scale, then
//     mask); libm's expf (< 1 ulp); every rescale multiplies l and acc by a
//     rounded exp, one per block in which the max grows (at most n_kv / block
//     of them), on top of the sequential sums; one division per output.
//   * Block sizes: the blocked entry takes block_q and block_kv (0: 16 and
//     64); the result depends on them only through rounding.
#include <cmath>
#include <limits>
#include <vector>

#include "impl/attention.h"
#include "impl/attention_common.h"

namespace softcheck {
namespace {

constexpr size_t kDefaultBlockQ = 16;
constexpr size_t kDefaultBlockKv = 64;

void StreamingAttentionBlocked(const float* q, const float* k, const float* v,
                               const float* mask, int causal, float scale,
                               float* out, size_t n_q, size_t n_kv, size_t d,
                               size_t d_v, size_t block_q, size_t block_kv) {
  if (HandleAttentionCallerError(causal, scale, out, n_q, d_v)) return;
  if (n_q == 0 || d_v == 0) return;
  if (block_q == 0) block_q = kDefaultBlockQ;
  if (block_kv == 0) block_kv = kDefaultBlockKv;
  const AttentionProblem p{q, k, v, mask, causal, scale, n_q, n_kv, d, d_v};

  std::vector<float> m(block_q), l(block_q), acc(block_q * d_v);
  std::vector<char> poisoned(block_q);
  std::vector<float> s(block_kv);
  for (size_t i0 = 0; i0 < n_q; i0 += block_q) {
    const size_t bq = n_q - i0 < block_q ? n_q - i0 : block_q;
    for (size_t r = 0; r < bq; ++r) {
      m[r] = -kAttnInf;
      l[r] = 0;
      poisoned[r] = 0;
    }
    for (size_t c = 0; c < bq * d_v; ++c) acc[c] = 0;
    // The causal limit grows with i: keys past the last row's are hidden
    // from the whole block.
    const size_t kv_end = CausalEnd(causal, i0 + bq - 1, n_q, n_kv);
    for (size_t j0 = 0; j0 < kv_end; j0 += block_kv) {
      const size_t j1 = kv_end - j0 < block_kv ? kv_end : j0 + block_kv;
      for (size_t r = 0; r < bq; ++r) {
        if (poisoned[r]) continue;
        ScoreRow(p, i0 + r, j0, j1, s.data());
        float block_max = -kAttnInf;
        for (size_t j = 0; j < j1 - j0; ++j) {
          poisoned[r] |= PoisonsRow(s[j]);
          block_max = s[j] > block_max ? s[j] : block_max;
        }
        if (poisoned[r]) continue;
        const float m_new = block_max > m[r] ? block_max : m[r];
        if (m_new == -kAttnInf) continue;  // the -inf corner: nothing yet
        const float alpha = std::exp(m[r] - m_new);  // m[r] = -inf: 0
        float* a = acc.data() + r * d_v;
        l[r] *= alpha;
        for (size_t c = 0; c < d_v; ++c) a[c] *= alpha;
        for (size_t j = 0; j < j1 - j0; ++j) {
          if (s[j] == -kAttnInf) continue;  // deleted: never 0 * v_j
          const float e = std::exp(s[j] - m_new);
          l[r] += e;
          const float* vj = v + (j0 + j) * d_v;
          for (size_t c = 0; c < d_v; ++c) a[c] += e * vj[c];
        }
        m[r] = m_new;
      }
    }
    for (size_t r = 0; r < bq; ++r) {
      float* o = out + (i0 + r) * d_v;
      const float* a = acc.data() + r * d_v;
      if (poisoned[r] || m[r] == -kAttnInf) {
        const float fill =
            poisoned[r] ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
        for (size_t c = 0; c < d_v; ++c) o[c] = fill;
        continue;
      }
      for (size_t c = 0; c < d_v; ++c) o[c] = a[c] / l[r];
    }
  }
}

void StreamingAttention(const float* q, const float* k, const float* v,
                        const float* mask, int causal, float scale, float* out,
                        size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  StreamingAttentionBlocked(q, k, v, mask, causal, scale, out, n_q, n_kv, d,
                            d_v, 0, 0);
}

}  // namespace

std::vector<AttentionKernel> StreamingAttentionKernels() {
  AttentionKernel k;
  k.name = k.family = "streaming";
  k.target = "scalar";
  k.summary =
      "FlashAttention-style: K/V blocks, running max/sum, rescaled "
      "accumulator (16 x 64 blocks)";
  k.f32 = &StreamingAttention;
  k.blocked = &StreamingAttentionBlocked;
  k.claims.exp_ulp = 1;  // glibc expf: < 1 ulp
  return {k};
}

}  // namespace softcheck
