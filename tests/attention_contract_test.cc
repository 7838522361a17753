// Every attention registry entry (each Highway target included) on hand-made
// cases, one test per part of the contract in impl/attention.h. Cases go
// run -> oracle -> verdict (oracle/attention_accuracy.h); a finding on a
// clause the kernel promises fails the test with the case's description.
// The oracle runs once per distinct case (cached by content), however many
// kernels are judged on it.
#include <gtest/gtest.h>

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "impl/attention_registry.h"
#include "oracle/attention_accuracy.h"
#include "oracle/attention_oracle.h"

namespace softcheck {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// q and k with entries of standard deviation sqrt(spread) and scale
// 1/sqrt(d): scores of standard deviation about `spread`. v uniform in
// [-1, 1] with an offset, so outputs do not hover around 0.
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
  c.scale = d ? 1.0f / std::sqrt(static_cast<float>(d)) : 1.0f;
  c.q.resize(n_q * d);
  c.k.resize(n_kv * d);
  c.v.resize(n_kv * d_v);
  for (float& x : c.q) x = static_cast<float>(g(rng));
  for (float& x : c.k) x = static_cast<float>(g(rng));
  for (float& x : c.v) x = static_cast<float>(u(rng) + 0.25);
  return c;
}

std::string Describe(const AttentionCase& c) {
  return "n_q=" + std::to_string(c.n_q) + " n_kv=" + std::to_string(c.n_kv) +
         " d=" + std::to_string(c.d) + " d_v=" + std::to_string(c.d_v) +
         " causal=" + std::to_string(c.causal) +
         " scale=" + std::to_string(c.scale) + (c.mask.empty() ? "" : " +mask");
}

uint64_t Hash(const AttentionCase& c) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (size_t v : {c.n_q, c.n_kv, c.d, c.d_v}) mix(v);
  mix(static_cast<uint64_t>(c.causal));
  mix(std::bit_cast<uint32_t>(c.scale));
  for (const std::vector<float>* x : {&c.q, &c.k, &c.v, &c.mask}) {
    mix(x->size());
    for (float f : *x) mix(std::bit_cast<uint32_t>(f));
  }
  return h;
}

const oracle::AttentionResult& Exact(const AttentionCase& c) {
  static std::mutex mutex;
  static std::map<uint64_t, oracle::AttentionResult> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const uint64_t h = Hash(c);
  auto it = cache.find(h);
  if (it == cache.end())
    it = cache.emplace(h, oracle::Attention(c.View())).first;
  return it->second;
}

constexpr size_t kPad = 64;  // canaries: wider than any vector x unroll
constexpr float kCanary = -12345.5f;

// Runs the kernel on copies of the inputs inside canary-filled buffers, out
// prefilled with `poison`; fails if anything outside out (or inside an
// input) changed.
std::vector<float> RunGuarded(const AttentionKernel& k, const AttentionCase& c,
                              float poison = kNaN) {
  auto padded = [](const std::vector<float>& x) {
    std::vector<float> buf(x.size() + 2 * kPad, kCanary);
    if (!x.empty()) std::memcpy(buf.data() + kPad, x.data(), x.size() * 4);
    return buf;
  };
  std::vector<float> q = padded(c.q), kk = padded(c.k), v = padded(c.v),
                     mask = padded(c.mask);
  const std::vector<float> q0 = q, k0 = kk, v0 = v, mask0 = mask;
  const size_t n_out = c.n_q * c.d_v;
  std::vector<float> out(n_out + 2 * kPad, kCanary);
  for (size_t i = 0; i < n_out; ++i) out[kPad + i] = poison;
  k.f32(q.data() + kPad, kk.data() + kPad, v.data() + kPad,
        c.mask.empty() ? nullptr : mask.data() + kPad, c.causal, c.scale,
        out.data() + kPad, c.n_q, c.n_kv, c.d, c.d_v);
  for (size_t i = 0; i < kPad; ++i) {
    EXPECT_EQ(out[i], kCanary)
        << k.name << " wrote before out: " << Describe(c);
    EXPECT_EQ(out[kPad + n_out + i], kCanary)
        << k.name << " wrote past out: " << Describe(c);
  }
  auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
    return std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
  };
  EXPECT_TRUE(same(q, q0) && same(kk, k0) && same(v, v0) && same(mask, mask0))
      << k.name << " wrote to an input: " << Describe(c);
  return std::vector<float>(out.begin() + kPad, out.begin() + kPad + n_out);
}

AttentionVerdict Judge(const AttentionKernel& k, const AttentionCase& c,
                       std::vector<float>* out_copy = nullptr) {
  const std::vector<float> out = RunGuarded(k, c);
  AttentionRule rule;
  rule.exp_ulp = k.claims.exp_ulp;
  if (out_copy) *out_copy = out;
  return JudgeAttention(c.View(), out.data(), Exact(c), rule);
}

// Fails for every finding on a clause the kernel promises.
void ExpectKeepsContract(const AttentionKernel& k, const AttentionCase& c,
                         const std::string& what) {
  const AttentionVerdict v = Judge(k, c);
  for (const AttentionFinding& f : v.findings) {
    if (!k.claims.Promises(f.clause)) continue;
    ADD_FAILURE() << k.name << " breaks " << ClauseName(f.clause) << " on "
                  << what << " (" << Describe(c) << "): " << f.what;
  }
}

class AttentionContract : public ::testing::TestWithParam<std::string> {
 protected:
  const AttentionKernel& K() const { return *FindAttentionKernel(GetParam()); }
};

TEST_P(AttentionContract, HandMadeCasesGiveKnownOutputs) {
  const AttentionKernel& k = K();
  // One key: its weight is exactly 1 and out = v, bit for bit.
  AttentionCase one;
  one.n_q = one.n_kv = one.d = 1;
  one.d_v = 3;
  one.q = {2};
  one.k = {3};
  one.v = {5, -1, 0x1p-130f};
  EXPECT_EQ(RunGuarded(k, one), one.v) << k.name;
  // Two keys with equal scores: weights 1/2 each, out = (1 + 3) / 2 = 2.
  AttentionCase two = one;
  two.n_kv = 2;
  two.d_v = 1;
  two.k = {3, 3};
  two.v = {1, 3};
  EXPECT_EQ(RunGuarded(k, two), std::vector<float>{2.0f}) << k.name;
  // q = 0 and V = identity: out_i is uniform over the keys query i sees,
  // so out_ic > 0 exactly where key c is visible. n_q != n_kv, so the two
  // causal modes differ.
  for (auto [n_q, n_kv] : {std::pair<size_t, size_t>{3, 5}, {5, 3}, {4, 4}}) {
    AttentionCase c;
    c.n_q = n_q;
    c.n_kv = n_kv;
    c.d = 2;
    c.d_v = n_kv;
    c.q.assign(n_q * 2, 0.0f);
    c.k.assign(n_kv * 2, 1.5f);
    c.v.assign(n_kv * n_kv, 0.0f);
    for (size_t j = 0; j < n_kv; ++j) c.v[j * n_kv + j] = 1;
    std::vector<std::vector<float>> outs;
    for (int causal : {0, 1, 2}) {
      c.causal = causal;
      const std::vector<float> out = RunGuarded(k, c);
      outs.push_back(out);
      for (size_t i = 0; i < n_q; ++i) {
        const size_t end = CausalEnd(causal, i, n_q, n_kv);
        for (size_t j = 0; j < n_kv; ++j) {
          const float y = out[i * n_kv + j];
          if (j < end) {
            EXPECT_NEAR(y, 1.0f / static_cast<float>(end), 1e-6f)
                << k.name << " causal " << causal << " q" << i << " k" << j;
          } else {
            EXPECT_TRUE(y == 0 && !std::signbit(y))
                << k.name << " causal " << causal << " q" << i << " k" << j
                << " = " << y << ": hidden keys must get exactly +0";
          }
        }
      }
      ExpectKeepsContract(k, c, "uniform weights, identity V");
    }
    // Top-left and bottom-right agree exactly when n_q == n_kv.
    if (n_q == n_kv)
      EXPECT_EQ(outs[1], outs[2]) << k.name;
    else
      EXPECT_NE(outs[1], outs[2]) << k.name;
  }
}

TEST_P(AttentionContract, ShapesAroundVectorWidths) {
  const AttentionKernel& k = K();
  struct Shape {
    size_t n_q, n_kv, d, d_v;
  };
  // Around 4, 8, 16 lanes, the 3- and 4-vector key panels (12, 24, 48, 64),
  // the query tiles (4, 6 rows) and the blocks (16 x 64 scalar; 32 x 96,
  // 48 x 128 Highway); n_q != n_kv both ways.
  const Shape shapes[] = {{1, 1, 1, 1},    {1, 2, 3, 1},      {2, 1, 1, 5},
                          {3, 5, 7, 9},    {7, 13, 15, 17},   {17, 33, 16, 16},
                          {6, 65, 64, 64}, {49, 129, 33, 31}, {13, 97, 8, 65},
                          {130, 20, 5, 3}, {9, 200, 1, 47}};
  unsigned seed = 1;
  for (const Shape& s : shapes) {
    for (int causal : {0, 1, 2}) {
      const AttentionCase c =
          Random(s.n_q, s.n_kv, s.d, s.d_v, 2.0, seed++, causal);
      ExpectKeepsContract(k, c, "random, scores ~N(0, 2)");
    }
  }
}

TEST_P(AttentionContract, EmptyShapesTouchNothing) {
  const AttentionKernel& k = K();
  // n_q = 0 and d_v = 0: nothing to write; with null pointers too.
  std::vector<float> out(8, kCanary);
  const std::vector<float> x(64, 1.0f);
  k.f32(x.data(), x.data(), x.data(), nullptr, 0, 1.0f, out.data() + 4, 0, 4, 4,
        4);
  k.f32(nullptr, nullptr, nullptr, nullptr, 1, 1.0f, nullptr, 0, 0, 0, 0);
  k.f32(x.data(), x.data(), x.data(), nullptr, 0, 1.0f, out.data() + 4, 3, 4, 4,
        0);
  for (float y : out)
    EXPECT_EQ(y, kCanary) << k.name << " wrote with no output";
  // n_kv = 0: rows of +0, and k, v may be null.
  for (int causal : {0, 1, 2}) {
    std::vector<float> o(6, kNaN);
    k.f32(x.data(), nullptr, nullptr, nullptr, causal, 0.125f, o.data(), 3, 0,
          4, 2);
    for (float y : o)
      EXPECT_TRUE(y == 0 && !std::signbit(y))
          << k.name << " n_kv = 0 gave " << y;
  }
  // d = 0: every score is scale * 0 + mask.
  AttentionCase c = Random(5, 9, 0, 3, 1.0, 5);
  ExpectKeepsContract(k, c, "d = 0, no mask");
  c.mask.resize(45);
  std::mt19937 rng(3);
  for (float& m : c.mask) m = std::uniform_real_distribution<float>(-4, 4)(rng);
  ExpectKeepsContract(k, c, "d = 0, scores = mask");
}

TEST_P(AttentionContract, MasksAndFullyMaskedRows) {
  const AttentionKernel& k = K();
  std::mt19937 rng(11);
  for (int causal : {0, 1, 2}) {
    AttentionCase c = Random(23, 150, 12, 10, 3.0, 20 + causal, causal);
    c.mask.resize(c.n_q * c.n_kv);
    for (float& m : c.mask) {
      m = std::uniform_real_distribution<float>(-3, 3)(rng);
      if (rng() % 5 == 0) m = -kInf;
    }
    for (size_t j = 0; j < c.n_kv; ++j)
      c.mask[4 * c.n_kv + j] = -kInf;  // row 4
    // The -inf corner: rows 7..12 see nothing in their first 130 keys, so a
    // streaming kernel's first key blocks leave the running max at -inf.
    for (size_t i = 7; i < 13; ++i)
      for (size_t j = 0; j < 130; ++j) c.mask[i * c.n_kv + j] = -kInf;
    ExpectKeepsContract(k, c, "additive mask with -inf entries, masked rows");
    const std::vector<float> out = RunGuarded(k, c);
    for (size_t x = 0; x < c.d_v; ++x) {
      const float y = out[4 * c.d_v + x];
      EXPECT_TRUE(y == 0 && !std::signbit(y)) << k.name << " fully masked row";
    }
  }
  // Everything masked: all +0.
  AttentionCase all = Random(9, 70, 4, 5, 1.0, 31);
  all.mask.assign(9 * 70, -kInf);
  ExpectKeepsContract(k, all, "every key masked");
  // Bottom-right with n_q > n_kv: the first queries see no key at all.
  ExpectKeepsContract(k, Random(150, 40, 8, 8, 1.0, 32, kCausalBottomRight),
                      "bottom-right, n_q > n_kv");
  // Large finite mask values beside -inf.
  AttentionCase big = Random(10, 40, 8, 4, 1.0, 33);
  big.mask.resize(400);
  for (size_t x = 0; x < 400; ++x) big.mask[x] = x % 3 ? -1e30f : -kInf;
  ExpectKeepsContract(k, big, "mask -1e30 beside -inf");
}

TEST_P(AttentionContract, NanFollowsTheDocumentedDecision) {
  const AttentionKernel& k = K();
  // 20 queries x 150 keys, causal top-left: key j is visible to query i iff
  // j <= i, so keys 20.. are hidden from every query; blocks are crossed.
  const AttentionCase base = Random(20, 150, 24, 20, 2.0, 40, kCausalTopLeft);
  auto place = [&](const char* what, auto&& edit) {
    AttentionCase c = base;
    edit(c);
    ExpectKeepsContract(k, c, what);
    return RunGuarded(k, c);
  };
  auto row_all = [&](const std::vector<float>& out, size_t i, bool nan) {
    for (size_t x = 0; x < base.d_v; ++x)
      if (std::isnan(out[i * base.d_v + x]) != nan) return false;
    return true;
  };
  std::vector<float> out;
  out = place("NaN in q_3", [](AttentionCase& c) { c.q[3 * c.d + 5] = kNaN; });
  EXPECT_TRUE(row_all(out, 3, true) && row_all(out, 2, false)) << k.name;
  out = place("NaN in visible k_5",
              [](AttentionCase& c) { c.k[5 * c.d] = kNaN; });
  EXPECT_TRUE(row_all(out, 4, false) && row_all(out, 5, true) &&
              row_all(out, 19, true))
      << k.name;
  // A NaN in K or V where causality hides it must not reach the output.
  out = place("NaN in k_j, v_j hidden by causality", [](AttentionCase& c) {
    for (size_t j = 20; j < c.n_kv; j += 7) {
      c.k[j * c.d + 1] = kNaN;
      c.v[j * c.d_v + 2] = kNaN;
      c.v[j * c.d_v + 3] = kInf;
    }
  });
  for (float y : out) EXPECT_FALSE(std::isnan(y) || std::isinf(y)) << k.name;
  out = place("NaN in visible v_6, column 2",
              [](AttentionCase& c) { c.v[6 * c.d_v + 2] = kNaN; });
  EXPECT_TRUE(std::isnan(out[6 * base.d_v + 2]) &&
              !std::isnan(out[6 * base.d_v + 3]) &&
              !std::isnan(out[5 * base.d_v + 2]))
      << k.name;
  out = place("+inf and -inf in visible v", [](AttentionCase& c) {
    c.v[2 * c.d_v + 0] = kInf;
    c.v[3 * c.d_v + 1] = -kInf;
    c.v[2 * c.d_v + 4] = kInf;
    c.v[3 * c.d_v + 4] = -kInf;
  });
  // A NaN or infinity under a -inf mask entry is hidden as well.
  AttentionCase masked = base;
  masked.causal = kCausalNone;
  masked.mask.assign(masked.n_q * masked.n_kv, 0.5f);
  for (size_t i = 0; i < masked.n_q; ++i)
    for (size_t j = 100; j < 150; j += 3)
      masked.mask[i * masked.n_kv + j] = -kInf;
  for (size_t j = 100; j < 150; j += 3) {
    masked.k[j * masked.d] = kNaN;
    masked.v[j * masked.d_v + 1] = kNaN;
    masked.v[j * masked.d_v + 7] = -kInf;
  }
  ExpectKeepsContract(k, masked, "NaN in k_j, v_j hidden by a -inf mask");
  for (float y : RunGuarded(k, masked))
    EXPECT_FALSE(std::isnan(y) || std::isinf(y)) << k.name;
  AttentionCase mask_nan = masked;
  mask_nan.mask[7 * mask_nan.n_kv + 10] = kNaN;
  mask_nan.mask[9 * mask_nan.n_kv + 140] = kInf;
  ExpectKeepsContract(k, mask_nan, "NaN and +inf in visible mask entries");
  // Infinite q entries: -inf scores are deleted, +inf ones poison the row,
  // and inf * 0 is NaN.
  AttentionCase inf_q = Random(4, 70, 3, 4, 1.0, 41);
  for (size_t j = 0; j < 70; ++j) {
    inf_q.k[j * 3] = 1.0f + static_cast<float>(j % 4);
    inf_q.k[j * 3 + 1] = 0.5f;
  }
  inf_q.k[5 * 3] = 0;          // key 5: t = 0 meets an infinite q as inf * 0
  inf_q.q[0] = -kInf;          // row 0: -inf scores, but NaN at key 5: NaN
  inf_q.q[3] = kInf;           // row 1: +inf scores: NaN
  inf_q.q[2 * 3 + 1] = -kInf;  // row 2: every score -inf: every key deleted, +0
  inf_q.causal = kCausalNone;
  ExpectKeepsContract(k, inf_q, "infinite q entries");
  const std::vector<float> inf_out = RunGuarded(k, inf_q);
  for (size_t x = 0; x < 4; ++x) {
    EXPECT_TRUE(std::isnan(inf_out[x]) && std::isnan(inf_out[4 + x])) << k.name;
    EXPECT_TRUE(inf_out[2 * 4 + x] == 0 && !std::signbit(inf_out[2 * 4 + x]))
        << k.name << " row of -inf scores";
  }
  // Caller errors: bad scale or causal mode, all NaN.
  for (float scale : {kNaN, kInf, -kInf}) {
    AttentionCase c = base;
    c.scale = scale;
    ExpectKeepsContract(k, c, "non-finite scale");
  }
  AttentionCase bad_causal = base;
  bad_causal.causal = 7;
  ExpectKeepsContract(k, bad_causal, "causal = 7");
}

// Instantiated only for the kernels that promise overflow-safe
// (OverflowSafeKernelNames): a kernel that declares it is not (naive) is not
// overflow-safe anywhere outside exp's range, whatever the symptom -- NaN, or
// weights built from subnormal exps that lost their bits. Its witnesses are
// checked by DeclaredExpectedFailuresStillFail.
class AttentionOverflowSafeContract : public AttentionContract {};

TEST_P(AttentionOverflowSafeContract, HugeScoresNeverOverflow) {
  const AttentionKernel& k = K();
  // Score standard deviations far past exp's range (88.72): the max-shifted
  // kernels must stay finite and accurate.
  unsigned seed = 50;
  for (double spread : {30.0, 1e3, 1e5, 1e12, 1e30}) {
    for (int causal : {0, 2}) {
      ExpectKeepsContract(k, Random(19, 77, 16, 9, spread, seed++, causal),
                          "huge scores");
    }
  }
  // Every score far below exp's underflow (naive's 0 / 0).
  AttentionCase low = Random(5, 40, 4, 3, 1.0, 60);
  low.mask.assign(5 * 40, -1000.0f);
  ExpectKeepsContract(k, low, "every score near -1000");
  // A large scale with small q and k.
  AttentionCase scaled = Random(7, 30, 8, 5, 1e-3, 61);
  scaled.scale = 1e6f;
  ExpectKeepsContract(k, scaled, "scale 1e6");
}

TEST_P(AttentionContract, DeclaredExpectedFailuresStillFail) {
  const AttentionKernel& k = K();
  for (const AttentionExpectedFailure& e : k.claims.expected_failures) {
    ASSERT_FALSE(e.witnesses.empty())
        << k.name << " declares " << ClauseName(e.clause)
        << " without a witness";
    for (const AttentionCase& w : e.witnesses) {
      EXPECT_TRUE(Judge(k, w).Breaks(e.clause))
          << k.name << " declares that it breaks " << ClauseName(e.clause)
          << " (" << e.why << ") but no longer does on its witness ("
          << Describe(w) << "): a suite that cannot see the failure has lost "
          << "its power";
    }
  }
}

TEST_P(AttentionContract, SameBitsWhateverOutHeldAndCallAfterCall) {
  const AttentionKernel& k = K();
  AttentionCase c = Random(21, 90, 10, 13, 4.0, 70, kCausalBottomRight);
  c.mask.assign(21 * 90, 0.0f);
  for (size_t x = 0; x < c.mask.size(); x += 11) c.mask[x] = -kInf;
  const std::vector<float> first = RunGuarded(k, c, kNaN);
  for (float poison : {0.0f, kInf, 0.5f, -kNaN}) {
    const std::vector<float> again = RunGuarded(k, c, poison);
    EXPECT_EQ(std::memcmp(first.data(), again.data(), first.size() * 4), 0)
        << k.name << ": the output depends on what out held (" << poison << ")";
  }
}

// Instantiated only for the kernels with a blocked entry (BlockedKernelNames).
class AttentionBlockedContract : public AttentionContract {};

TEST_P(AttentionBlockedContract, BlockSizesChangeOnlyRounding) {
  const AttentionKernel& k = K();
  AttentionCase c = Random(37, 140, 9, 11, 8.0, 80, kCausalTopLeft);
  c.mask.assign(37 * 140, 0.25f);
  for (size_t i = 0; i < 37; ++i)
    for (size_t j = 0; j < 70; ++j)
      c.mask[i * 140 + j] = (i % 3) ? 0.25f : -kInf;
  const oracle::AttentionResult& exact = Exact(c);
  for (auto [bq, bk] : {std::pair<size_t, size_t>{1, 1},
                        {3, 7},
                        {16, 64},
                        {100, 1000},
                        {0, 0}}) {
    std::vector<float> out(37 * 11, kNaN);
    k.blocked(c.q.data(), c.k.data(), c.v.data(), c.mask.data(), c.causal,
              c.scale, out.data(), c.n_q, c.n_kv, c.d, c.d_v, bq, bk);
    AttentionRule rule;
    rule.exp_ulp = k.claims.exp_ulp;
    const AttentionVerdict v =
        JudgeAttention(c.View(), out.data(), exact, rule);
    for (const AttentionFinding& f : v.findings)
      ADD_FAILURE() << k.name << " with blocks " << bq << " x " << bk
                    << " breaks " << ClauseName(f.clause) << ": " << f.what;
  }
}

TEST_P(AttentionContract, MultiHeadEntryMatchesSingleHeadCalls) {
  const AttentionKernel& k = K();
  // [B, S, H, D] layout (PyTorch's batch-first), 2 batches, 4 query heads
  // sharing 2 K/V heads (grouped-query), a per-batch mask broadcast over
  // heads; every head must give the bits of a single-head call on its own
  // contiguous copy.
  const size_t B = 2, H = 4, HKV = 2, n_q = 9, n_kv = 21, d = 6, d_v = 5;
  std::mt19937 rng(90);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> q(B * n_q * H * d), kk(B * n_kv * HKV * d),
      v(B * n_kv * HKV * d_v), mask(B * n_q * n_kv),
      out(B * n_q * H * d_v, kNaN);
  for (auto* x : {&q, &kk, &v, &mask})
    for (float& e : *x) e = g(rng);
  for (size_t x = 0; x < mask.size(); x += 5) mask[x] = -kInf;
  MultiHeadProblem p;
  p.batch = B;
  p.heads = H;
  p.kv_heads = HKV;
  p.n_q = n_q;
  p.n_kv = n_kv;
  p.d = d;
  p.d_v = d_v;
  p.q = {q.data(), n_q * H * d, d, H * d};
  p.k = {kk.data(), n_kv * HKV * d, d, HKV * d};
  p.v = {v.data(), n_kv * HKV * d_v, d_v, HKV * d_v};
  p.mask = {mask.data(), n_q * n_kv, 0, n_kv};
  p.causal = kCausalBottomRight;
  p.scale = 0.4f;
  p.out = out.data();
  p.out_batch_stride = n_q * H * d_v;
  p.out_head_stride = d_v;
  p.out_row_stride = H * d_v;
  ASSERT_TRUE(MultiHeadAttention(k.f32, p));
  for (size_t b = 0; b < B; ++b) {
    for (size_t h = 0; h < H; ++h) {
      const size_t kvh = h / (H / HKV);
      std::vector<float> qh(n_q * d), kh(n_kv * d), vh(n_kv * d_v),
          oh(n_q * d_v);
      for (size_t i = 0; i < n_q; ++i)
        for (size_t t = 0; t < d; ++t)
          qh[i * d + t] = q[b * n_q * H * d + i * H * d + h * d + t];
      for (size_t j = 0; j < n_kv; ++j) {
        for (size_t t = 0; t < d; ++t)
          kh[j * d + t] = kk[b * n_kv * HKV * d + j * HKV * d + kvh * d + t];
        for (size_t t = 0; t < d_v; ++t)
          vh[j * d_v + t] =
              v[b * n_kv * HKV * d_v + j * HKV * d_v + kvh * d_v + t];
      }
      k.f32(qh.data(), kh.data(), vh.data(), mask.data() + b * n_q * n_kv,
            p.causal, p.scale, oh.data(), n_q, n_kv, d, d_v);
      for (size_t i = 0; i < n_q; ++i)
        for (size_t t = 0; t < d_v; ++t)
          EXPECT_EQ(std::bit_cast<uint32_t>(
                        out[b * n_q * H * d_v + i * H * d_v + h * d_v + t]),
                    std::bit_cast<uint32_t>(oh[i * d_v + t]))
              << k.name << " batch " << b << " head " << h << " row " << i;
    }
  }
  // The contiguous [B, H, S, D] helper, and a malformed grouping.
  std::vector<float> out2(B * H * n_q * d_v, kNaN);
  const MultiHeadProblem c = MultiHeadProblem::Contiguous(
      B, H / 2, n_q, n_kv, d, d_v, q.data(), kk.data(), v.data(), nullptr,
      kCausalNone, 0.3f, out2.data());
  ASSERT_TRUE(MultiHeadAttention(k.f32, c));
  std::vector<float> o0(n_q * d_v);
  k.f32(q.data() + n_q * d, kk.data() + n_kv * d, v.data() + n_kv * d_v,
        nullptr, kCausalNone, 0.3f, o0.data(), n_q, n_kv, d, d_v);
  EXPECT_EQ(0, std::memcmp(o0.data(), out2.data() + n_q * d_v, o0.size() * 4))
      << k.name << " contiguous layout, batch 0 head 1";
  MultiHeadProblem bad = p;
  bad.kv_heads = 3;
  EXPECT_FALSE(MultiHeadAttention(k.f32, bad));
}

// The registry entries for which `applies` holds: a test that concerns only
// some kernels is instantiated for those alone rather than skipped for the
// others.
template <typename Predicate>
std::vector<std::string> KernelNames(Predicate applies) {
  std::vector<std::string> names;
  for (const AttentionKernel& k : AttentionKernels())
    if (applies(k)) names.push_back(k.name);
  return names;
}

std::string ParamName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, AttentionContract,
    ::testing::ValuesIn(KernelNames([](const AttentionKernel&) { return true; })),
    ParamName);
INSTANTIATE_TEST_SUITE_P(
    Registry, AttentionOverflowSafeContract,
    ::testing::ValuesIn(KernelNames([](const AttentionKernel& k) {
      return k.claims.Promises(Clause::kOverflowSafe);
    })),
    ParamName);
INSTANTIATE_TEST_SUITE_P(
    Registry, AttentionBlockedContract,
    ::testing::ValuesIn(KernelNames(
        [](const AttentionKernel& k) { return k.blocked != nullptr; })),
    ParamName);

// One realistic size for every kernel against a single oracle evaluation:
// several query and key blocks (4 x 4 on AVX3), bottom-right causal with
// n_q < n_kv.
TEST(AttentionAtScale, EveryKernelKeepsTheContractAt160x400) {
  const AttentionCase c =
      Random(160, 400, 64, 32, 4.0, 2020, kCausalBottomRight);
  for (const AttentionKernel& k : AttentionKernels()) {
    const AttentionVerdict v = Judge(k, c);
    for (const AttentionFinding& f : v.findings)
      if (k.claims.Promises(f.clause))
        ADD_FAILURE() << k.name << " (" << Describe(c) << ", seed 2020) breaks "
                      << ClauseName(f.clause) << ": " << f.what;
    ::testing::Test::RecordProperty(k.name + "_max_ulp",
                                    std::to_string(v.max_ulp));
    ::testing::Test::RecordProperty(k.name + "_worst_ratio",
                                    std::to_string(v.worst_ratio));
  }
}

TEST(AttentionRegistry, EveryFamilyIsRegisteredOnceAndHighwayPerTarget) {
  for (const std::string& family : AttentionFamilies())
    ASSERT_NE(FindAttentionKernel(family), nullptr) << family;
  size_t highway_targets = 0;
  for (const AttentionKernel& k : AttentionKernels())
    highway_targets += k.family == "highway" && k.name != "highway";
  EXPECT_GE(highway_targets, 1u) << "every compiled Highway target is an entry";
  ASSERT_NE(FindAttentionKernel("naive"), nullptr);
  EXPECT_FALSE(
      FindAttentionKernel("naive")->claims.Promises(Clause::kOverflowSafe));
}

}  // namespace
}  // namespace softcheck
