// Tests of the attention oracle (oracle/attention_oracle.h): it must be the
// contract of impl/attention.h, correctly rounded.
//
// Where the expected values come from: with d = 1, q = [1], scale 1 and V
// the identity, row i of the output is the softmax of the keys' values,
// which the softmax oracle (tested on its own against mpmath values in
// tests/oracle_test.cc) rounds correctly: the two oracles must agree bit for
// bit. Values like 7/3 are rounded by float division, which IEEE makes
// correctly rounded.
#include "oracle/attention_oracle.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "oracle/oracle.h"

namespace softcheck::oracle {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

uint32_t Bits(float v) { return std::bit_cast<uint32_t>(v); }

::testing::AssertionResult SameBits(float actual, float expected) {
  if (std::isnan(actual) && std::isnan(expected))
    return ::testing::AssertionSuccess();
  if (Bits(actual) == Bits(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << actual << " (" << std::hexfloat << actual << ") expected "
         << expected << " (" << expected << ")" << std::defaultfloat;
}

// One query, d = 1, q = [1], scale 1, V = identity: out = softmax(keys).
AttentionCase SoftmaxAsAttention(const std::vector<float>& keys) {
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = keys.size();
  c.d = 1;
  c.d_v = keys.size();
  c.q = {1.0f};
  c.k = keys;
  c.v.assign(c.n_kv * c.n_kv, 0.0f);
  for (size_t j = 0; j < c.n_kv; ++j) c.v[j * c.n_kv + j] = 1.0f;
  return c;
}

TEST(AttentionOracle, AgreesWithTheSoftmaxOracleBitForBit) {
  const std::vector<std::vector<float>> rows = {
      {2.0f, 1.0f, 0.1f},
      {1000.0f, 999.0f},
      {-800.0f, -801.0f, -802.5f},
      {88.72f, 88.73f, 88.71f, 0.0f},
      {1e30f, -1e30f, 0.0f},
      {-3.0f, -3.0f, -3.0f},
      {0x1p-149f, -0x1p-149f, 0.0f, 5.0f},
      {-100.0f, 0.0f, -50.0f, -87.5f, -104.0f},  // subnormal weights
  };
  for (const std::vector<float>& x : rows) {
    const AttentionCase c = SoftmaxAsAttention(x);
    const AttentionResult a = Attention(c.View());
    const SoftmaxResult<float> s = Softmax(x.data(), x.size());
    ASSERT_EQ(a.rows[0], AttentionRow::kNormal);
    for (size_t j = 0; j < x.size(); ++j) {
      EXPECT_TRUE(SameBits(a.rounded[j], s.rounded[j])) << "key " << j;
      EXPECT_EQ(a.exact[j], s.exact[j]) << "key " << j;
    }
  }
}

TEST(AttentionOracle, ScoresAreExactDespiteCancellation) {
  // q . k_0 = 1e20 + 1 - 1e20 = 1 exactly; a dot product in double (or any
  // fixed precision below ~70 bits) loses the 1. q . k_1 = 0.
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = 2;
  c.d = 3;
  c.d_v = 2;
  c.q = {1e20f, 1.0f, -1e20f};
  c.k = {1, 1, 1, 0, 0, 0};
  c.v = {1, 0, 0, 1};
  const AttentionResult a = Attention(c.View());
  const float x[2] = {1.0f, 0.0f};
  const SoftmaxResult<float> s = Softmax(x, 2);
  EXPECT_TRUE(SameBits(a.rounded[0], s.rounded[0]));
  EXPECT_TRUE(SameBits(a.rounded[1], s.rounded[1]));
}

TEST(AttentionOracle, UniformWeightsGiveTheCorrectlyRoundedMean) {
  // q = 0: every score 0, weights 1/3: out = (1 + 2 + 4) / 3 = 7/3.
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = 3;
  c.d = 2;
  c.d_v = 1;
  c.q = {0, 0};
  c.k = {1, 2, 3, 4, 5, 6};
  c.v = {1, 2, 4};
  const AttentionResult a = Attention(c.View());
  EXPECT_TRUE(SameBits(a.rounded[0], 7.0f / 3.0f));
  EXPECT_NEAR(static_cast<double>(a.exact[0]), 7.0 / 3.0, 1e-15);
}

TEST(AttentionOracle, ScaleAndMaskEnterTheScores) {
  // scale 0.5 and mask [0.25, -inf, -1.5]: scores 0.5 * 4 + 0.25 = 2.25,
  // hidden, 0.5 * 2 - 1.5 = -0.5: softmax([2.25, -0.5]) over keys 0 and 2.
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = 3;
  c.d = 1;
  c.d_v = 3;
  c.q = {2};
  c.k = {2, 100, 1};
  c.v = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  c.mask = {0.25f, -kInf, -1.5f};
  c.scale = 0.5f;
  const AttentionResult a = Attention(c.View());
  const float x[2] = {2.25f, -0.5f};
  const SoftmaxResult<float> s = Softmax(x, 2);
  EXPECT_TRUE(SameBits(a.rounded[0], s.rounded[0]));
  EXPECT_TRUE(SameBits(a.rounded[1], 0.0f));
  EXPECT_TRUE(SameBits(a.rounded[2], s.rounded[1]));
}

AttentionCase Ones(size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  AttentionCase c;
  c.n_q = n_q;
  c.n_kv = n_kv;
  c.d = d;
  c.d_v = d_v;
  c.q.assign(n_q * d, 0.5f);
  c.k.assign(n_kv * d, 0.25f);
  c.v.assign(n_kv * d_v, 1.0f);
  return c;
}

TEST(AttentionOracle, CausalModesHideWhatTheContractSays) {
  // n_q = 2, n_kv = 4, V = identity: out[i][c] > 0 exactly for visible c.
  AttentionCase c = Ones(2, 4, 1, 4);
  c.v.assign(16, 0.0f);
  for (size_t j = 0; j < 4; ++j) c.v[j * 4 + j] = 1;
  for (int causal : {0, 1, 2}) {
    c.causal = causal;
    const AttentionResult a = Attention(c.View());
    for (size_t i = 0; i < 2; ++i)
      for (size_t j = 0; j < 4; ++j) {
        const bool visible = j < CausalEnd(causal, i, 2, 4);
        EXPECT_EQ(a.rounded[i * 4 + j] > 0, visible)
            << "causal " << causal << " query " << i << " key " << j;
      }
  }
  // Bottom-right with n_q > n_kv: the first queries see nothing, give +0.
  AttentionCase tall = Ones(4, 2, 1, 1);
  tall.causal = kCausalBottomRight;
  const AttentionResult a = Attention(tall.View());
  EXPECT_EQ(a.rows[0], AttentionRow::kEmpty);
  EXPECT_EQ(a.rows[1], AttentionRow::kEmpty);
  EXPECT_EQ(a.rows[2], AttentionRow::kNormal);
  EXPECT_TRUE(SameBits(a.rounded[0], 0.0f));
  EXPECT_TRUE(SameBits(a.rounded[3], 1.0f));
}

TEST(AttentionOracle, NonFiniteValuesFollowTheContract) {
  // 2 queries x 3 keys, causal top-left: query 0 sees key 0 only.
  AttentionCase base = Ones(2, 3, 2, 2);
  base.causal = kCausalTopLeft;
  {
    AttentionCase c = base;  // NaN in q_1: row 1 poisoned, row 0 fine
    c.q[2] = kNaN;
    const AttentionResult a = Attention(c.View());
    EXPECT_EQ(a.rows[0], AttentionRow::kNormal);
    EXPECT_EQ(a.rows[1], AttentionRow::kPoisoned);
    EXPECT_TRUE(std::isnan(a.rounded[2]) && std::isnan(a.rounded[3]));
  }
  {
    AttentionCase c = base;  // NaN in k_1 and v_1: hidden from query 0
    c.k[2] = kNaN;
    c.v[2] = kNaN;
    const AttentionResult a = Attention(c.View());
    EXPECT_EQ(a.rows[0], AttentionRow::kNormal);
    EXPECT_TRUE(SameBits(a.rounded[0], 1.0f));
    EXPECT_EQ(a.rows[1], AttentionRow::kPoisoned);
  }
  {
    AttentionCase c = base;  // NaN in v_1, column 0: row 1 column 0 only
    c.v[2] = kNaN;
    const AttentionResult a = Attention(c.View());
    EXPECT_TRUE(SameBits(a.rounded[0], 1.0f));
    EXPECT_TRUE(std::isnan(a.rounded[2]));
    EXPECT_TRUE(SameBits(a.rounded[3], 1.0f));
  }
  {
    AttentionCase c = base;  // +inf and -inf in v column 0 / 1 of key 1
    c.v[2] = kInf;
    c.v[3] = -kInf;
    const AttentionResult a = Attention(c.View());
    EXPECT_EQ(a.rounded[2], kInf);
    EXPECT_EQ(a.rounded[3], -kInf);
  }
  {
    AttentionCase c = base;  // NaN under a -inf mask entry is hidden
    c.causal = kCausalNone;
    c.mask.assign(6, 0.0f);
    c.mask[2] = -kInf;  // query 0, key 2
    c.k[4] = kNaN;
    c.v[5] = kNaN;
    const AttentionResult a = Attention(c.View());
    EXPECT_EQ(a.rows[0], AttentionRow::kNormal);
    EXPECT_TRUE(SameBits(a.rounded[1], 1.0f));
    EXPECT_EQ(a.rows[1], AttentionRow::kPoisoned);
  }
  {
    AttentionCase c = base;  // mask NaN or +inf at a visible key poisons
    c.causal = kCausalNone;
    c.mask.assign(6, 0.0f);
    c.mask[1] = kNaN;
    c.mask[5] = kInf;
    const AttentionResult a = Attention(c.View());
    EXPECT_EQ(a.rows[0], AttentionRow::kPoisoned);
    EXPECT_EQ(a.rows[1], AttentionRow::kPoisoned);
  }
  {
    AttentionCase c = base;  // q = -inf, k > 0: every score -inf, deleted
    c.causal = kCausalNone;
    c.q = {-kInf, 1, -kInf, 1};
    const AttentionResult a = Attention(c.View());
    EXPECT_EQ(a.rows[0], AttentionRow::kEmpty);
    EXPECT_TRUE(SameBits(a.rounded[0], 0.0f));
  }
  for (float scale : {kNaN, kInf, -kInf}) {  // caller errors: all NaN
    AttentionCase c = base;
    c.scale = scale;
    const AttentionResult a = Attention(c.View());
    for (float y : a.rounded) EXPECT_TRUE(std::isnan(y));
  }
  AttentionCase bad_causal = base;
  bad_causal.causal = 3;
  for (float y : Attention(bad_causal.View()).rounded)
    EXPECT_TRUE(std::isnan(y));
}

TEST(AttentionOracle, EmptyShapes) {
  AttentionProblem p;  // n_q = n_kv = 0, all null
  EXPECT_TRUE(Attention(p).rounded.empty());
  p.n_q = 3;
  p.d = 4;
  p.d_v = 2;
  const std::vector<float> q(12, 1.0f);
  p.q = q.data();  // n_kv = 0: rows of +0, k and v null
  const AttentionResult a = Attention(p);
  ASSERT_EQ(a.rounded.size(), 6u);
  for (float y : a.rounded) EXPECT_TRUE(SameBits(y, 0.0f));
}

AttentionCase Random(size_t n_q, size_t n_kv, size_t d, size_t d_v,
                     unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0, 1);
  AttentionCase c;
  c.n_q = n_q;
  c.n_kv = n_kv;
  c.d = d;
  c.d_v = d_v;
  c.q.resize(n_q * d);
  c.k.resize(n_kv * d);
  c.v.resize(n_kv * d_v);
  for (auto* x : {&c.q, &c.k, &c.v})
    for (float& e : *x) e = g(rng);
  c.scale = 1.0f / std::sqrt(static_cast<float>(d));
  return c;
}

TEST(AttentionOracle, ThreadsDoNotChangeTheResult) {
  AttentionCase c = Random(37, 41, 16, 8, 7);
  c.causal = kCausalBottomRight;
  const AttentionResult one = Attention(c.View());
  const AttentionResult four = Attention(c.View(), AttentionOptions{4});
  ASSERT_EQ(one.rounded.size(), four.rounded.size());
  for (size_t x = 0; x < one.rounded.size(); ++x) {
    EXPECT_TRUE(SameBits(one.rounded[x], four.rounded[x]));
    EXPECT_EQ(one.exact[x], four.exact[x]);
  }
}

TEST(AttentionOracle, Timing) {
  // Recorded, not asserted: the figure docs/attention.md quotes scales with
  // n_q * n_kv * (exp + d_v multiply-adds at 257 bits).
  const AttentionCase c = Random(128, 128, 64, 64, 3);
  const auto t0 = std::chrono::steady_clock::now();
  const AttentionResult a = Attention(c.View());
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(a.rounded.size(), 128u * 64u);
  ::testing::Test::RecordProperty("oracle_128x128_d64_seconds",
                                  std::to_string(s));
}

}  // namespace
}  // namespace softcheck::oracle
