#include "properties/attention_wrong_kernels.h"

#include <cmath>
#include <limits>
#include <vector>

#include "impl/attention_common.h"

namespace softcheck::properties {
namespace {

enum class Bug {
  kNone,
  kNoMaxShift,
  kNoScale,
  kScaleSquared,
  kCausalOffByOne,
  kAlwaysTopLeft,
  kMaskIgnored,
  kForgotAccRescale,
  kInfMinusInf,
  kHiddenTimesZero,
  kNanSwallowed,
  kSumSkipsLast,
  kReadsOut,
  kOddBlocksDropTail,
};

constexpr float kInf = std::numeric_limits<float>::infinity();

template <Bug B>
size_t End(int causal, size_t i, size_t n_q, size_t n_kv) {
  if constexpr (B == Bug::kAlwaysTopLeft)
    if (causal == kCausalBottomRight) causal = kCausalTopLeft;
  size_t end = CausalEnd(causal, i, n_q, n_kv);
  if constexpr (B == Bug::kCausalOffByOne)
    if (causal != kCausalNone && end > 0) --end;  // j < i instead of j <= i
  return end;
}

template <Bug B>
void Blocked(const float* q, const float* k, const float* v, const float* mask,
             int causal, float scale, float* out, size_t n_q, size_t n_kv,
             size_t d, size_t d_v, size_t block_q, size_t block_kv) {
  if (HandleAttentionCallerError(causal, scale, out, n_q, d_v)) return;
  if (n_q == 0 || d_v == 0) return;
  (void)block_q;  // rows are independent here: one query at a time
  if (block_kv == 0) block_kv = 16;
  float sc = scale;
  if constexpr (B == Bug::kNoScale) sc = 1;
  if constexpr (B == Bug::kScaleSquared) sc = scale * scale;
  std::vector<float> s(block_kv), acc(d_v);
  for (size_t i = 0; i < n_q; ++i) {
    const size_t end = End<B>(causal, i, n_q, n_kv);
    // The last key left to this query (for kSumSkipsLast).
    size_t last = n_kv;
    for (size_t j = 0; j < n_kv; ++j) {
      const bool masked = mask && mask[i * n_kv + j] == -kInf;
      if (j < end && !masked) last = j;
    }
    float m = B == Bug::kNoMaxShift ? 0.0f : -kInf, l = 0;
    size_t left = 0;
    bool poisoned = false;
    for (float& a : acc) a = 0;
    for (size_t j0 = 0; j0 < n_kv && !poisoned; j0 += block_kv) {
      size_t j1 = j0 + block_kv < n_kv ? j0 + block_kv : n_kv;
      if constexpr (B == Bug::kOddBlocksDropTail)
        if ((block_kv & (block_kv - 1)) != 0 && j1 - j0 < block_kv) break;
      float block_max = -kInf;
      for (size_t j = j0; j < j1; ++j) {
        const float mk = mask ? mask[i * n_kv + j] : 0.0f;
        float& x = s[j - j0];
        if constexpr (B == Bug::kHiddenTimesZero) {
          // Hiding as arithmetic: -inf added, never skipped.
          float dot = 0;
          for (size_t t = 0; t < d; ++t) dot += q[i * d + t] * k[j * d + t];
          x = sc * dot + mk + (j < end ? 0.0f : -kInf);
        } else {
          const bool hidden = j >= end || (B != Bug::kMaskIgnored && mk == -kInf);
          if (hidden) {
            x = -kInf;
          } else {
            float dot = 0;
            for (size_t t = 0; t < d; ++t) dot += q[i * d + t] * k[j * d + t];
            x = sc * dot + (B == Bug::kMaskIgnored ? 0.0f : mk);
          }
        }
        if (std::isnan(x) && B == Bug::kNanSwallowed) x = -kInf;
        if (PoisonsRow(x)) poisoned = true;
        block_max = x > block_max ? x : block_max;
      }
      if (poisoned) break;
      const float m_new = B == Bug::kNoMaxShift ? 0.0f : (block_max > m ? block_max : m);
      if (B != Bug::kInfMinusInf && m_new == -kInf) continue;
      const float alpha = std::exp(m - m_new);
      l *= alpha;
      if constexpr (B != Bug::kForgotAccRescale)
        for (float& a : acc) a *= alpha;
      for (size_t j = j0; j < j1; ++j) {
        const float x = s[j - j0];
        if (x == -kInf && B != Bug::kHiddenTimesZero) continue;
        const float e = std::exp(x - m_new);
        left += x != -kInf;
        if (!(B == Bug::kSumSkipsLast && j == last)) l += e;
        for (size_t c = 0; c < d_v; ++c) acc[c] += e * v[j * d_v + c];
      }
      m = m_new;
    }
    float* o = out + i * d_v;
    for (size_t c = 0; c < d_v; ++c) {
      float y;
      if (poisoned) y = std::numeric_limits<float>::quiet_NaN();
      else if (left == 0 && B != Bug::kInfMinusInf) y = 0.0f;
      else y = acc[c] / l;
      if constexpr (B == Bug::kReadsOut) o[c] += y;
      else o[c] = y;
    }
  }
}

template <Bug B>
void Plain(const float* q, const float* k, const float* v, const float* mask,
           int causal, float scale, float* out, size_t n_q, size_t n_kv,
           size_t d, size_t d_v) {
  Blocked<B>(q, k, v, mask, causal, scale, out, n_q, n_kv, d, d_v, 0, 0);
}

template <Bug B>
AttentionFixture Make(const char* name, const char* summary, bool correct,
                      AttentionProperty caught_by) {
  AttentionFixture f;
  f.kernel.name = name;
  f.kernel.family = "fixture";
  f.kernel.target = "scalar";
  f.kernel.summary = summary;
  f.kernel.f32 = &Plain<B>;
  f.kernel.blocked = &Blocked<B>;
  f.kernel.claims.exp_ulp = 1;  // glibc expf
  f.correct = correct;
  f.caught_by = caught_by;
  return f;
}

}  // namespace

const std::vector<AttentionFixture>& AttentionFixtures() {
  using P = AttentionProperty;
  static const std::vector<AttentionFixture> kAll = {
      Make<Bug::kNone>("fixture:streaming", "scalar streaming, 16-key blocks: correct",
                       true, P::kAccuracy),
      Make<Bug::kNoMaxShift>("wrong:no-max-shift", "exp(s) with no running max",
                             false, P::kOverflowSafe),
      Make<Bug::kNoScale>("wrong:no-scale", "the scale is never applied", false,
                          P::kAccuracy),
      Make<Bug::kScaleSquared>("wrong:scale-squared",
                               "scale squared: 1/d where 1/sqrt(d) was passed",
                               false, P::kAccuracy),
      Make<Bug::kCausalOffByOne>("wrong:causal-off-by-one",
                                 "causal: key j visible iff j < i (+ n_kv - n_q)",
                                 false, P::kCausalPrefix),
      Make<Bug::kAlwaysTopLeft>("wrong:always-top-left",
                                "bottom-right causal served as top-left", false,
                                P::kCausalAlignment),
      Make<Bug::kMaskIgnored>("wrong:mask-ignored", "the additive mask is never read",
                              false, P::kMaskDeletes),
      Make<Bug::kForgotAccRescale>("wrong:forgot-acc-rescale",
                                   "rescales the running sum but not the accumulator",
                                   false, P::kAgreement),
      Make<Bug::kInfMinusInf>("wrong:inf-minus-inf",
                              "no guard for a fully masked block: exp(-inf - (-inf))",
                              false, P::kFullyMasked),
      Make<Bug::kHiddenTimesZero>("wrong:hidden-times-zero",
                                  "hidden keys as score -inf and weight 0 times v",
                                  false, P::kMaskedNan),
      Make<Bug::kNanSwallowed>("wrong:nan-swallowed", "a NaN score is skipped like -inf",
                               false, P::kNonFinite),
      Make<Bug::kSumSkipsLast>("wrong:sum-skips-last",
                               "the normaliser misses the last key left", false,
                               P::kConvexCombination),
      Make<Bug::kReadsOut>("wrong:reads-out", "out += acc / l: assumes out was zeroed",
                           false, P::kHygiene),
      Make<Bug::kOddBlocksDropTail>(
          "wrong:odd-blocks-drop-tail",
          "key blocks whose size is not a power of two drop the partial tail block",
          false, P::kBlockSize),
  };
  return kAll;
}

}  // namespace softcheck::properties
