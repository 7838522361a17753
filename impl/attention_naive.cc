// naive attention: materialise S = Q K^T * scale + mask (n_q x n_kv), take
// the textbook softmax of each row -- exp(s_ij) / sum_j exp(s_ij), no shift --
// and multiply by V.
//
// Contract: the full contract of impl/attention.h except one declared
// clause, kept on purpose as attention's overflow demonstration:
//   * overflow-safe (expected failure): exp(s) overflows to +inf for a score
//     above 88.7228 (the log of FLT_MAX) and inf / inf is NaN; when every
//     visible score is below -103.97, every exp underflows to 0 and 0 / 0 is
//     NaN. Scores of that size are ordinary in attention: q . k grows with d
//     and with the activations' scale. Witnesses: scores [1000, 999] and
//     [-800, -801].
// The rest it keeps: hidden keys (causal, -inf mask) are skipped, never
// multiplied by 0 (so NaN in a hidden k_j or v_j cannot leak); a NaN or +inf
// visible score gives a NaN row, found by looking rather than by hoping the
// arithmetic spreads it (exp(+inf) / inf is NaN, but the other entries would
// give x / inf = +0); a row with no visible key gives +0 (decided by counting
// keys, not by a zero sum, which is the underflow failure above).
// Accuracy inside exp's range: no argument rounding (exp(s) directly), libm's
// expf (< 1 ulp), a sequential sum of n_kv terms, a division per weight and
// a sequential weighted sum.
// Memory: the n_q x n_kv score matrix, on the heap.
#include <cmath>
#include <vector>

#include "impl/attention.h"
#include "impl/attention_common.h"

namespace softcheck {
namespace {

void NaiveAttention(const float* q, const float* k, const float* v,
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
    size_t left = 0;
    for (size_t j = 0; j < n_kv; ++j) {
      poisoned |= PoisonsRow(row[j]);
      left += row[j] != -kAttnInf;
    }
    if (poisoned || left == 0) {
      const float fill =
          poisoned ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
      for (size_t c = 0; c < d_v; ++c) o[c] = fill;
      continue;
    }
    // P in its own row: the scores are still needed to tell a deleted key
    // (-inf) from one whose exp underflowed to 0, whose v_j must count.
    float sum = 0;
    for (size_t j = 0; j < n_kv; ++j) sum += (e[j] = std::exp(row[j]));
    for (size_t c = 0; c < d_v; ++c) o[c] = 0;
    for (size_t j = 0; j < n_kv; ++j) {
      if (row[j] == -kAttnInf) continue;  // deleted: never 0 * v_j
      const float w = e[j] / sum;
      const float* vj = v + j * d_v;
      for (size_t c = 0; c < d_v; ++c) o[c] += w * vj[c];
    }
  }
}

AttentionCase ScoreWitness(float k0, float k1) {
  // d = 1, q = [1], scale 1: the scores are k0 and k1 themselves.
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = 2;
  c.d = 1;
  c.d_v = 2;
  c.q = {1.0f};
  c.k = {k0, k1};
  c.v = {1.0f, -2.0f, 3.0f, 0.5f};
  return c;
}

}  // namespace

std::vector<AttentionKernel> NaiveAttentionKernels() {
  AttentionKernel k;
  k.name = k.family = "naive";
  k.target = "scalar";
  k.summary =
      "materialised S, exp(s) / sum exp(s) with no shift, times V: "
      "the overflow demonstration";
  k.f32 = &NaiveAttention;
  k.claims.exp_ulp = 1;  // glibc expf: < 1 ulp
  k.claims.expected_failures = {
      {Clause::kOverflowSafe,
       "exp(s) overflows for scores past 88.72 and inf/inf = NaN; when every "
       "score is below -103.97 every exp underflows and 0/0 = NaN",
       {ScoreWitness(1000.0f, 999.0f), ScoreWitness(-800.0f, -801.0f)}},
  };
  return {k};
}

}  // namespace softcheck
