// The attention accuracy rule (oracle/attention_accuracy.h) separates: it
// passes every correct kernel in the registry on wide score ranges, and it
// fails deliberately wrong kernels -- each one bug away from a correct
// streaming kernel -- on inputs chosen to show that bug.
#include "oracle/attention_accuracy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "impl/attention_registry.h"
#include "oracle/attention_oracle.h"

namespace softcheck {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

enum class Bug {
  kNone,                   // the correct reference
  kMissingScale,           // scores without the scale
  kScaleOverD,             // 1/d where the caller's 1/sqrt(d) was meant
  kCausalOffByOne,         // j < i instead of j <= i
  kTopLeftForBottomRight,  // causal 2 treated as causal 1
  kMaskIgnored,            // the additive mask dropped
  kNoAccumulatorRescale,   // l rescaled when the max grows, acc not
  kInfMinusInf,            // masked keys run through exp(m_old - m_new)
};

// A scalar streaming kernel (one key at a time, the running max updated
// per key), correct unless kBug says otherwise.
template <Bug kBug>
void Buggy(const float* q, const float* k, const float* v, const float* mask,
           int causal, float scale, float* out, size_t n_q, size_t n_kv,
           size_t d, size_t d_v) {
  std::vector<float> acc(d_v);
  for (size_t i = 0; i < n_q; ++i) {
    int mode = causal;
    if (kBug == Bug::kTopLeftForBottomRight && mode == kCausalBottomRight)
      mode = kCausalTopLeft;
    size_t end = CausalEnd(mode, i, n_q, n_kv);
    if (kBug == Bug::kCausalOffByOne && mode == kCausalTopLeft) end = i;
    float m = -kInf, l = 0;
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t j = 0; j < end; ++j) {
      float msk = mask && kBug != Bug::kMaskIgnored ? mask[i * n_kv + j] : 0;
      if (msk == -kInf && kBug != Bug::kInfMinusInf) continue;
      float dot = 0;
      for (size_t t = 0; t < d; ++t) dot += q[i * d + t] * k[j * d + t];
      float s = scale * dot;
      if (kBug == Bug::kMissingScale) s = dot;
      if (kBug == Bug::kScaleOverD) s = dot / static_cast<float>(d);
      s += msk;
      if (s >= m) {  // with kInfMinusInf: -inf >= -inf, exp(NaN)
        const float alpha = std::exp(m - s);
        l *= alpha;
        if (kBug != Bug::kNoAccumulatorRescale)
          for (float& a : acc) a *= alpha;
        m = s;
      }
      const float e = std::exp(s - m);
      l += e;
      for (size_t c = 0; c < d_v; ++c) acc[c] += e * v[j * d_v + c];
    }
    for (size_t c = 0; c < d_v; ++c)
      out[i * d_v + c] = m == -kInf ? 0.0f : acc[c] / l;
  }
}

AttentionCase Random(size_t n_q, size_t n_kv, size_t d, size_t d_v,
                     double spread, unsigned seed, int causal = kCausalNone) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, std::sqrt(spread));
  std::uniform_real_distribution<double> u(-1, 1);
  AttentionCase c;
  c.n_q = n_q;
  c.n_kv = n_kv;
  c.d = d;
  c.d_v = d_v;
  c.causal = causal;
  c.scale = 1.0f / std::sqrt(static_cast<float>(d));
  c.q.resize(n_q * d);
  c.k.resize(n_kv * d);
  c.v.resize(n_kv * d_v);
  for (float& x : c.q) x = static_cast<float>(g(rng));
  for (float& x : c.k) x = static_cast<float>(g(rng));
  for (float& x : c.v) x = static_cast<float>(u(rng) + 0.25);
  return c;
}

AttentionVerdict Judge(AttentionF32 f, const AttentionCase& c,
                       const oracle::AttentionResult& exact,
                       double exp_ulp = 1.0) {
  std::vector<float> out(c.n_q * c.d_v);
  RunAttention(f, c.View(), out.data());
  AttentionRule rule;
  rule.exp_ulp = exp_ulp;
  return JudgeAttention(c.View(), out.data(), exact, rule);
}

struct Labeled {
  std::string what;
  AttentionCase c;
};

// Wide score ranges: score standard deviations from 0.1 to 1e4 (and the
// largest scores far past exp's range), every causal mode, masks, long and
// short rows, d and d_v off the vector widths.
std::vector<Labeled> WideCases() {
  std::vector<Labeled> cases;
  unsigned seed = 100;
  for (double spread : {0.1, 1.0, 10.0, 100.0, 1e4}) {
    for (int causal : {0, 1, 2}) {
      cases.push_back({"spread " + std::to_string(spread) + " causal " +
                           std::to_string(causal),
                       Random(16, 200, 40, 24, spread, seed++, causal)});
    }
  }
  AttentionCase masked = Random(20, 200, 64, 48, 25.0, seed++);
  masked.mask.resize(20 * 200);
  std::mt19937 rng(5);
  for (float& m : masked.mask) {
    m = std::uniform_real_distribution<float>(-8, 8)(rng);
    if (rng() % 4 == 0) m = -kInf;
  }
  cases.push_back({"mask in [-8, 8] and -inf", masked});
  cases.push_back(
      {"d = 256, long rows", Random(8, 1000, 256, 16, 9.0, seed++)});
  AttentionCase tiny_v = Random(12, 100, 16, 8, 4.0, seed++);
  for (float& x : tiny_v.v) x *= 1e-30f;  // outputs far below 1, still normal
  cases.push_back({"v of size 1e-30", tiny_v});
  return cases;
}

// Whether some row leaves exp's range, where a kernel without the max shift
// (naive) is held to nothing but its declared failure.
bool BeyondExpRange(const AttentionCase& c,
                    const oracle::AttentionResult& exact) {
  for (size_t i = 0; i < c.n_q; ++i)
    if (exact.rows[i] == oracle::AttentionRow::kNormal &&
        !AttentionRowExpSafe(c.View(), i))
      return true;
  return false;
}

TEST(AttentionAccuracyRule, PassesEveryCorrectKernelOnWideScoreRanges) {
  for (const Labeled& l : WideCases()) {
    const oracle::AttentionResult exact = oracle::Attention(l.c.View());
    EXPECT_TRUE(Judge(&Buggy<Bug::kNone>, l.c, exact).Holds())
        << "the correct reference on " << l.what;
    const bool beyond_exp = BeyondExpRange(l.c, exact);
    for (const AttentionKernel& k : AttentionKernels()) {
      // naive is not overflow-safe: outside exp's range its failures are
      // declared (and checked on its witnesses elsewhere).
      if (!k.claims.Promises(Clause::kOverflowSafe) && beyond_exp) continue;
      const AttentionVerdict v = Judge(k.f32, l.c, exact, k.claims.exp_ulp);
      for (const AttentionFinding& f : v.findings)
        ADD_FAILURE() << k.name << " on " << l.what << ": "
                      << ClauseName(f.clause) << ": " << f.what;
      ::testing::Test::RecordProperty(k.name + " " + l.what,
                                      std::to_string(v.worst_ratio));
    }
  }
}

TEST(AttentionAccuracyRule, IsTightOnShortRows) {
  // At n_kv = 8, d = 8 the allowance is a few hundred u (u = 2^-24) of the
  // outputs' magnitude, mostly the worst-case (2E + 4) n u of sequential
  // sums and rescales: far below the 1/8 a skipped key or the O(1) change a
  // wrong scale makes.
  const AttentionCase c = Random(4, 8, 8, 4, 1.0, 7);
  const oracle::AttentionResult exact = oracle::Attention(c.View());
  const std::vector<double> allowed = AttentionAllowance(c.View(), exact, {});
  for (size_t x = 0; x < allowed.size(); ++x) {
    EXPECT_GT(allowed[x], 0);
    EXPECT_LT(allowed[x], 3e-5) << "element " << x;
  }
}

struct BugCase {
  const char* name;
  AttentionF32 f;
  AttentionCase c;
  Clause clause;  // what the verdict must call it
};

TEST(AttentionAccuracyRule, FailsDeliberatelyWrongKernels) {
  std::vector<BugCase> bugs;
  // d = 64, scores ~ N(0, 1): without the scale they are 8x larger.
  bugs.push_back({"missing scale", &Buggy<Bug::kMissingScale>,
                  Random(6, 16, 64, 8, 1.0, 1), Clause::kAccuracy});
  bugs.push_back({"scale 1/d instead of 1/sqrt(d)", &Buggy<Bug::kScaleOverD>,
                  Random(6, 16, 64, 8, 1.0, 2), Clause::kAccuracy});
  bugs.push_back({"causal off by one", &Buggy<Bug::kCausalOffByOne>,
                  Random(8, 8, 8, 4, 1.0, 3, kCausalTopLeft),
                  Clause::kAccuracy});
  bugs.push_back({"top-left where bottom-right was asked",
                  &Buggy<Bug::kTopLeftForBottomRight>,
                  Random(4, 12, 8, 4, 1.0, 4, kCausalBottomRight),
                  Clause::kAccuracy});
  AttentionCase masked = Random(4, 12, 8, 4, 1.0, 5);
  masked.mask.assign(48, 0.0f);
  for (size_t x = 0; x < 48; x += 3) masked.mask[x] = 2.5f;
  bugs.push_back({"additive mask ignored", &Buggy<Bug::kMaskIgnored>, masked,
                  Clause::kAccuracy});
  // Scores that grow along the keys, so the running max moves at almost
  // every key: an accumulator that is not rescaled keeps stale weights.
  AttentionCase rising;
  rising.n_q = 1;
  rising.n_kv = 12;
  rising.d = 1;
  rising.d_v = 2;
  rising.q = {1};
  for (size_t j = 0; j < 12; ++j) {
    rising.k.push_back(0.25f * static_cast<float>(j));
    rising.v.push_back(static_cast<float>(j % 3));
    rising.v.push_back(1.0f);
  }
  bugs.push_back({"online rescale forgets the accumulator",
                  &Buggy<Bug::kNoAccumulatorRescale>, rising,
                  Clause::kAccuracy});
  // The first key masked: m = -inf meets s = -inf, exp(-inf - (-inf)) NaN.
  AttentionCase first_masked = Random(3, 6, 4, 3, 1.0, 6);
  first_masked.mask.assign(18, 0.0f);
  first_masked.mask[0] = first_masked.mask[6] = first_masked.mask[12] = -kInf;
  bugs.push_back({"exp(-inf - (-inf)) on a masked first key",
                  &Buggy<Bug::kInfMinusInf>, first_masked,
                  Clause::kOverflowSafe});
  for (const BugCase& b : bugs) {
    const oracle::AttentionResult exact = oracle::Attention(b.c.View());
    EXPECT_TRUE(Judge(&Buggy<Bug::kNone>, b.c, exact).Holds())
        << "the correct reference fails the case meant for: " << b.name;
    const AttentionVerdict v = Judge(b.f, b.c, exact);
    EXPECT_TRUE(v.Breaks(b.clause))
        << b.name << " passed the rule (worst ratio " << v.worst_ratio << ")";
    if (b.clause == Clause::kAccuracy) {
      EXPECT_GT(v.worst_ratio, 100) << b.name << ": caught, but barely";
    }
  }
}

// A key deleted by an infinite product whose finite rest overflows in
// float: exactly -inf (the row is empty, +0), in float NaN (poisoned). Both
// are accepted; anything else on the row is still a finding.
TEST(AttentionVerdict, AcceptsANanRowWhereAFloatScoreCanOverflowIntoInfMinusInf) {
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = 1;
  c.d = 2;
  c.d_v = 1;
  c.q = {-0x1.000002p+1f, -kInf};
  c.k = {-0x1.fffffcp+126f, 0x1p-149f};
  c.v = {0};
  const oracle::AttentionResult exact = oracle::Attention(c.View());
  ASSERT_EQ(exact.rows[0], oracle::AttentionRow::kEmpty);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(JudgeAttention(c.View(), &nan, exact, {}).Holds());
  const float zero = 0, one = 1;
  EXPECT_TRUE(JudgeAttention(c.View(), &zero, exact, {}).Holds());
  EXPECT_TRUE(JudgeAttention(c.View(), &one, exact, {}).Breaks(Clause::kFullyMasked));
  // With a small finite part the float score is -inf too: NaN is wrong.
  c.k[0] = 2;
  const oracle::AttentionResult small = oracle::Attention(c.View());
  EXPECT_TRUE(JudgeAttention(c.View(), &nan, small, {}).Breaks(Clause::kFullyMasked));
}

// The user-chosen policies, row by row: a fully masked row may be asked to
// give NaN, or anything; NaN input may be left to the kernel.
TEST(AttentionVerdict, PoliciesForFullyMaskedAndNonFiniteRows) {
  AttentionCase c;
  c.n_q = 2;
  c.n_kv = 1;
  c.d = 1;
  c.d_v = 1;
  c.q = {1, std::numeric_limits<float>::quiet_NaN()};
  c.k = {1};
  c.v = {5};
  c.mask = {-kInf, 0};  // row 0 fully masked, row 1 poisoned by q
  const oracle::AttentionResult exact = oracle::Attention(c.View());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> zero_nan = {0, nan}, nan_nan = {nan, nan}, zero_two = {0, 2};
  AttentionRule rule;
  EXPECT_TRUE(JudgeAttention(c.View(), zero_nan.data(), exact, rule).Holds());
  EXPECT_TRUE(JudgeAttention(c.View(), nan_nan.data(), exact, rule).Breaks(Clause::kFullyMasked));
  rule.fully_masked = FullyMaskedRule::kNan;
  EXPECT_TRUE(JudgeAttention(c.View(), nan_nan.data(), exact, rule).Holds());
  EXPECT_TRUE(JudgeAttention(c.View(), zero_nan.data(), exact, rule).Breaks(Clause::kFullyMasked));
  rule.fully_masked = FullyMaskedRule::kAny;
  EXPECT_TRUE(JudgeAttention(c.View(), zero_two.data(), exact, rule).Breaks(Clause::kNanPropagation));
  rule.non_finite = NonFiniteRule::kAny;
  EXPECT_TRUE(JudgeAttention(c.View(), zero_two.data(), exact, rule).Holds());
}

}  // namespace
}  // namespace softcheck
