// softcheck: the attention kernel interface, its contract, the claims a
// kernel declares, and the batched multi-head entry built on the single-head
// kernels.
//
// One head, row-major float: Q is n_q x d, K is n_kv x d, V is n_kv x d_v,
// out is n_q x d_v; mask is an additive n_q x n_kv float mask or null.
//   out_i = sum_j p_ij v_j,   p_i = softmax_j(s_ij),
//   s_ij  = scale * (q_i . k_j) + mask_ij
//
// The contract (docs/attention.md has the long form, with the reasons):
//   * Caller errors: scale NaN or +-inf, or causal outside {0, 1, 2}: every
//     output is NaN (like softmax's T < 0).
//   * Hidden keys are deleted. Key j is hidden from query i when the causal
//     mode hides it (1, top-left: visible iff j <= i; 2, bottom-right:
//     visible iff j <= i + n_kv - n_q) or mask_ij == -inf. Nothing of a
//     hidden key -- k_j, v_j, mask_ij, even NaN there -- reaches out_i.
//   * For the other keys s_ij is evaluated as exact real arithmetic extended
//     by IEEE's rules for NaN and infinities (a NaN operand, inf * 0 or
//     inf - inf give NaN). Then softmax's contract holds on the row s_i:
//       - any NaN or +inf score makes out_i all NaN (so a NaN in q_i, in a
//         visible k_j or in a visible mask_ij poisons row i);
//       - a -inf score deletes that key as well (softmax's masking);
//       - no key left (every key hidden: fully masked, n_kv == 0): out_i = +0.
//   * V: out_ic = sum_j p_ij v_jc over the keys left. A NaN v_jc there makes
//     out_ic NaN; an infinite one makes it that infinity, or NaN (p_ij may
//     round to 0 and 0 * inf is NaN; +inf and -inf together are NaN). Other
//     columns are unaffected.
//   * Finite inputs whose scores stay in range (docs/attention.md: the
//     domain) never give NaN or inf (overflow-safe), however far the scores
//     exceed exp's range; accuracy is the oracle's and the rule's business
//     (oracle/attention_accuracy.h).
//   * n_q == 0 or d_v == 0 writes nothing; n_kv == 0 gives rows of +0 and
//     reads no input (q, k, v and mask may then be null); d == 0 makes every
//     score scale * 0 + mask_ij.
//   * Hygiene: out's old contents are never read; nothing outside the
//     inputs' extents is read nor outside out[0, n_q * d_v) written; out must
//     not alias an input; the same input gives the same bits on every call.
#ifndef SOFTCHECK_IMPL_ATTENTION_H_
#define SOFTCHECK_IMPL_ATTENTION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "impl/softmax.h"

namespace softcheck {

// The C signature every attention kernel has (impl/softcheck_c.h exports one
// per family as softcheck_<name>_attention_f32).
using AttentionF32 = void (*)(const float* q, const float* k, const float* v,
                              const float* mask, int causal, float scale,
                              float* out, size_t n_q, size_t n_kv, size_t d,
                              size_t d_v);

// Kernels that walk Q and K/V in blocks expose the block sizes, so that the
// checks can ask whether the result depends on them (it may, within the
// accuracy rule: the blocks change the summation order). 0 picks the
// kernel's default; other sizes may be rounded up to what the kernel needs.
using AttentionBlockedF32 = void (*)(const float* q, const float* k,
                                     const float* v, const float* mask,
                                     int causal, float scale, float* out,
                                     size_t n_q, size_t n_kv, size_t d,
                                     size_t d_v, size_t block_q,
                                     size_t block_kv);

enum AttentionCausal : int {
  kCausalNone = 0,
  kCausalTopLeft = 1,      // key j visible to query i iff j <= i
  kCausalBottomRight = 2,  // iff j <= i + n_kv - n_q
};

// The number of keys the causal mode leaves visible to query i: keys
// [0, CausalEnd) (for causal outside {0, 1, 2}: n_kv; callers reject it).
inline size_t CausalEnd(int causal, size_t i, size_t n_q, size_t n_kv) {
  if (causal == kCausalTopLeft) return i + 1 < n_kv ? i + 1 : n_kv;
  if (causal == kCausalBottomRight) {
    // j <= i + n_kv - n_q  <=>  j < i + 1 + n_kv - n_q, without going negative.
    if (i + 1 + n_kv <= n_q) return 0;
    const size_t end = i + 1 + n_kv - n_q;
    return end < n_kv ? end : n_kv;
  }
  return n_kv;
}

// One single-head problem as a view: what kernels, the oracle, the rule and
// the tests pass around.
struct AttentionProblem {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  const float* mask = nullptr;  // n_q x n_kv, or null
  int causal = kCausalNone;
  float scale = 1;
  size_t n_q = 0, n_kv = 0, d = 0, d_v = 0;
};

// An owning problem: witnesses, hand-made cases, shrunk counterexamples.
struct AttentionCase {
  size_t n_q = 0, n_kv = 0, d = 0, d_v = 0;
  std::vector<float> q, k, v, mask;  // mask empty: no mask
  int causal = kCausalNone;
  float scale = 1;

  AttentionProblem View() const {
    AttentionProblem p;
    p.q = q.data();
    p.k = k.data();
    p.v = v.data();
    p.mask = mask.empty() ? nullptr : mask.data();
    p.causal = causal;
    p.scale = scale;
    p.n_q = n_q;
    p.n_kv = n_kv;
    p.d = d;
    p.d_v = d_v;
    return p;
  }
};

inline void RunAttention(AttentionF32 f, const AttentionProblem& p,
                         float* out) {
  f(p.q, p.k, p.v, p.mask, p.causal, p.scale, out, p.n_q, p.n_kv, p.d, p.d_v);
}

// A clause the kernel is known to break (the clause names are softmax's:
// impl/softmax.h), with the reason and problems that show it.
struct AttentionExpectedFailure {
  Clause clause;
  std::string why;
  std::vector<AttentionCase> witnesses;
};

struct AttentionClaims {
  // The kernel's exp error in ULP; feeds the accuracy rule.
  double exp_ulp = 1.0;
  // The rule's slack, and the policies for rows with no key left and for
  // non-finite input (softmax's; the built-ins keep the defaults, a user's
  // kernel may be checked under others: softcheck check --fully-masked ...).
  double rule_slack = 2.0;
  FullyMaskedRule fully_masked = FullyMaskedRule::kZero;
  NonFiniteRule non_finite = NonFiniteRule::kNan;
  std::vector<AttentionExpectedFailure> expected_failures;

  bool Promises(Clause c) const { return Expected(c) == nullptr; }
  const AttentionExpectedFailure* Expected(Clause c) const {
    for (const AttentionExpectedFailure& e : expected_failures)
      if (e.clause == c) return &e;
    return nullptr;
  }
};

// One registry entry (impl/attention_registry.h). A kernel compiled for
// several SIMD targets appears once per target.
struct AttentionKernel {
  std::string name;     // unique: "maxshift", "highway", "highway:AVX3", ...
  std::string family;   // "highway" for every Highway entry
  std::string target;   // "scalar", "dispatch(AVX3)", "AVX2", ...
  std::string summary;  // one line for `softcheck list`
  AttentionF32 f32 = nullptr;
  AttentionBlockedF32 blocked = nullptr;  // null: no block sizes to vary
  // The command-line words that select this kernel for `softcheck eval
  // --kind attention-f32` in replay commands; empty means "--impl <name>"
  // (the gate sets "--lib PATH --symbol NAME" for a user's kernel).
  std::string cli_selector;
  AttentionClaims claims;
};

// ---- batched multi-head attention on top of a single-head kernel ---------

// A [batch, heads, rows, cols] tensor with element strides; the columns are
// contiguous. PyTorch's [B, H, S, D] layout has row_stride = D, head_stride
// = S * D, batch_stride = H * S * D; its [B, S, H, D] layout has row_stride =
// H * D, head_stride = D, batch_stride = S * H * D.
struct HeadTensor {
  const float* data = nullptr;
  size_t batch_stride = 0, head_stride = 0, row_stride = 0;
};

struct MultiHeadProblem {
  size_t batch = 1, heads = 1;
  // Grouped-query attention: K and V have kv_heads heads, query head h uses
  // K/V head h / (heads / kv_heads). 0 means kv_heads = heads.
  size_t kv_heads = 0;
  size_t n_q = 0, n_kv = 0, d = 0, d_v = 0;
  HeadTensor q, k, v;
  // n_q x n_kv per (batch, head); a stride of 0 broadcasts (one mask for
  // every head, say). data == null: no mask.
  HeadTensor mask;
  int causal = kCausalNone;
  float scale = 1;
  float* out = nullptr;
  size_t out_batch_stride = 0, out_head_stride = 0, out_row_stride = 0;

  // Every tensor contiguous in [B, H, S, D] order (mask [B, H, n_q, n_kv]
  // too, or null), the layout PyTorch's scaled_dot_product_attention takes.
  static MultiHeadProblem Contiguous(size_t batch, size_t heads, size_t n_q,
                                     size_t n_kv, size_t d, size_t d_v,
                                     const float* q, const float* k,
                                     const float* v, const float* mask,
                                     int causal, float scale, float* out);
};

// Runs `f` on every (batch, head). A head whose rows are contiguous (row
// stride d, d, d_v, n_kv and d_v) is passed straight through; otherwise its
// rows are gathered into scratch buffers first and the output scattered
// back, so every kernel sees the single-head contract's layout. Returns
// false, touching nothing, when kv_heads does not divide heads or a row
// stride is smaller than its row.
bool MultiHeadAttention(AttentionF32 f, const MultiHeadProblem& p);

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_ATTENTION_H_
