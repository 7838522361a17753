// Every registry entry (each Highway target included) on hand-picked rows,
// one test per clause of the contract in impl/softmax.h, in float and double.
// Rows go run -> oracle -> verdict (oracle/verdict.h); a finding on a clause
// the kernel promises fails the test with hex floats and the command that
// replays the row. Declared expected failures are checked to still fail.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cli/numbers.h"
#include "impl/registry.h"
#include "oracle/oracle.h"
#include "oracle/verdict.h"

namespace softcheck {
namespace {

template <typename T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <typename T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();

// The command that replays a row (whole rows up to 64 values).
template <typename T>
std::string Repro(const SoftmaxKernel& k, const std::vector<T>& x, T t) {
  std::string s = "softcheck eval --impl " + k.name + " --type " + LaneTypeName<T>();
  if (t != 1) s += " --temperature " + FormatHex(t);
  if (x.size() > 64) return s + " -- <" + std::to_string(x.size()) + " values>";
  s += " --";
  for (T v : x) s.append(" ").append(FormatHex(v));
  return s;
}

template <typename T>
std::vector<T> Random(size_t n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> x(n);
  for (T& v : x) v = static_cast<T>(d(rng));
  return x;
}

template <typename T>
std::vector<T> Row(std::initializer_list<double> values) {
  std::vector<T> x;
  for (double v : values) x.push_back(static_cast<T>(v));
  return x;
}

// Runs the kernel with y poisoned, asks the oracle, and judges the row.
template <typename T>
RowVerdict Judge(const SoftmaxKernel& k, const std::vector<T>& x, T t,
                 std::vector<T>* y_out = nullptr) {
  std::vector<T> y(x.size(), kNaN<T>);
  k.Run(x.data(), y.data(), x.size(), t);
  const oracle::SoftmaxResult<T> ref = oracle::Softmax(x.data(), x.size(), t);
  const AccuracyRule rule = RuleFor(k.claims);
  if (y_out) *y_out = y;
  return JudgeRow(x.data(), x.size(), t, y.data(), ref.exact, rule);
}

// Fails for every finding on a clause the kernel promises.
template <typename T>
void ExpectKeepsContract(const SoftmaxKernel& k, const std::vector<T>& x,
                         T t = 1) {
  const RowVerdict v = Judge(k, x, t);
  for (const Finding& f : v.findings) {
    if (!k.claims.Promises(f.clause)) continue;
    ADD_FAILURE() << k.name << " " << LaneTypeName<T>() << " breaks "
                  << ClauseName(f.clause) << ": " << f.what
                  << "\n  reproduce: " << Repro(k, x, t);
  }
}

class SoftmaxContract : public ::testing::TestWithParam<std::string> {
 protected:
  const SoftmaxKernel& K() const { return *FindSoftmaxKernel(GetParam()); }
};

template <typename T>
void HandPicked(const SoftmaxKernel& k) {
  ExpectKeepsContract(k, Row<T>({2.0, 1.0, 0.1}));  // the seeds' worked example
  ExpectKeepsContract(k, Row<T>({0.0}));
  ExpectKeepsContract(k, Row<T>({1.0, 2.0}));
  ExpectKeepsContract(k, Row<T>({1000.0, 999.0}));
  ExpectKeepsContract(k, Row<T>({-3, -3, -3}));  // ties: exactly 1/3 each
  // Lengths around every vector width Highway uses (4, 8, 16 lanes) and the
  // unrolling, where tails and remainders go wrong.
  for (size_t n : {3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 1000})
    ExpectKeepsContract(k, Random<T>(n, -20, 20, n));
  ExpectKeepsContract(k, Random<T>(257, -1e-3, 1e-3, 5));   // tiny spread
  ExpectKeepsContract(k, Random<T>(257, -80, 80, 6));       // wide spread
}

TEST_P(SoftmaxContract, KeepsTheContractOnHandPickedRows) {
  HandPicked<float>(K());
  HandPicked<double>(K());
}

template <typename T>
void SingleElement(const SoftmaxKernel& k) {
  const T tiny = std::numeric_limits<T>::denorm_min();
  for (T v : {T(0), T(-3.5), T(50), tiny, -tiny}) {
    T y = kNaN<T>;
    k.Run(&v, &y, 1, T(1));
    EXPECT_EQ(y, T(1)) << k.name << " " << LaneTypeName<T>() << " on x = "
                       << FormatValue(v) << "\n  reproduce: "
                       << Repro(k, std::vector<T>{v}, T(1));
  }
  // Far outside exp's range only an overflow-safe kernel must give 1.
  for (T v : {std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()})
    ExpectKeepsContract(k, std::vector<T>{v});
}

TEST_P(SoftmaxContract, OneFiniteElementGivesOne) {
  SingleElement<float>(K());
  SingleElement<double>(K());
}

template <typename T>
void EmptyRow(const SoftmaxKernel& k) {
  // x and y point into canary-filled buffers: n = 0 must read nothing that
  // matters and write nothing at all.
  std::vector<T> xbuf(8, T(7)), ybuf(8, T(-7));
  k.Run(xbuf.data() + 4, ybuf.data() + 4, 0, T(1));
  for (T v : ybuf) EXPECT_EQ(v, T(-7)) << k.name << " wrote on n = 0";
  k.Run(static_cast<const T*>(nullptr), static_cast<T*>(nullptr), 0, T(1));
  k.Run(xbuf.data() + 4, ybuf.data() + 4, 0, T(0));  // argmax path too
  for (T v : ybuf) EXPECT_EQ(v, T(-7)) << k.name << " wrote on n = 0, T = 0";
}

TEST_P(SoftmaxContract, EmptyRowTouchesNothing) {
  EmptyRow<float>(K());
  EmptyRow<double>(K());
}

template <typename T>
void Masking(const SoftmaxKernel& k) {
  ExpectKeepsContract(k, Row<T>({-INFINITY, 1, 2}));
  ExpectKeepsContract(k, Row<T>({1, -INFINITY, 2, -INFINITY}));
  for (size_t n : {17, 33, 1000}) {
    std::vector<T> x = Random<T>(n, -10, 10, 40 + n);
    for (size_t i = 0; i < n; i += 8) x[i] = -kInf<T>;
    x[n - 1] = -kInf<T>;
    ExpectKeepsContract(k, x);
    // Masked entries beside the largest finite values, which a "large
    // negative" stand-in for -inf would get wrong.
    std::vector<T> big = x;
    for (T& v : big)
      if (v != -kInf<T>) v = std::numeric_limits<T>::lowest() / 2;
    ExpectKeepsContract(k, big);
  }
}

TEST_P(SoftmaxContract, MasksNegativeInfinity) {
  Masking<float>(K());
  Masking<double>(K());
}

template <typename T>
void FullyMasked(const SoftmaxKernel& k) {
  for (size_t n : {1, 2, 17, 100}) {
    ExpectKeepsContract(k, std::vector<T>(n, -kInf<T>));
    ExpectKeepsContract(k, std::vector<T>(n, -kInf<T>), T(0));
    ExpectKeepsContract(k, std::vector<T>(n, -kInf<T>), T(0.5));
  }
}

TEST_P(SoftmaxContract, FullyMaskedRowGivesZeros) {
  FullyMasked<float>(K());
  FullyMasked<double>(K());
}

template <typename T>
void NonFinite(const SoftmaxKernel& k) {
  for (T bad : {kNaN<T>, -kNaN<T>, kInf<T>}) {
    for (size_t n : {1, 2, 17, 33, 100}) {
      for (size_t at : {size_t{0}, n / 2, n - 1}) {
        std::vector<T> x = Random<T>(n, -5, 5, n + at);
        x[at] = bad;
        ExpectKeepsContract(k, x);
        ExpectKeepsContract(k, x, T(0));  // argmax path
        ExpectKeepsContract(k, x, T(3));
      }
    }
  }
  // NaN beside -inf and beside the largest finite value.
  ExpectKeepsContract(k, Row<T>({-INFINITY, NAN}));
  ExpectKeepsContract(k, std::vector<T>{std::numeric_limits<T>::max(), kNaN<T>});
}

TEST_P(SoftmaxContract, NanAndPlusInfinityPoisonTheRow) {
  NonFinite<float>(K());
  NonFinite<double>(K());
}

template <typename T>
void Overflow(const SoftmaxKernel& k) {
  const T big = std::numeric_limits<T>::max();
  const T tiny = std::numeric_limits<T>::denorm_min();
  ExpectKeepsContract(k, std::vector<T>{big, big});
  ExpectKeepsContract(k, std::vector<T>{big, -big});
  ExpectKeepsContract(k, std::vector<T>{-big, -big, -big});
  ExpectKeepsContract(k, std::vector<T>{tiny, -tiny, 0, tiny});
  ExpectKeepsContract(k, Row<T>({89, 0}));
  ExpectKeepsContract(k, Row<T>({88.72, 88.73, 88.71}));
  ExpectKeepsContract(k, Row<T>({710, 709, 0}));
  ExpectKeepsContract(k, Row<T>({-800, -801}));
  ExpectKeepsContract(k, Row<T>({1e30, -1e30, 0}));
  std::vector<T> wide = Random<T>(1000, -1e30, 1e30, 11);
  ExpectKeepsContract(k, wide);
  std::vector<T> high = Random<T>(100, 1e4, 1e4 + 5, 12);
  ExpectKeepsContract(k, high);
}

TEST_P(SoftmaxContract, FiniteInputNeverGivesNanOrInf) {
  Overflow<float>(K());
  Overflow<double>(K());
}

template <typename T>
void Temperature(const SoftmaxKernel& k) {
  for (T t : {T(0.5), T(2), T(0.1), T(10), T(1e-3)}) {
    ExpectKeepsContract(k, Row<T>({2.0, 1.0, 0.1}), t);
    ExpectKeepsContract(k, Random<T>(100, -20, 20, 21), t);
    ExpectKeepsContract(k, Row<T>({-INFINITY, 3, 4}), t);
  }
  // T > 1 where x - max overflows to -inf but (x - max) / T is about -16:
  // the property suite's ScalesWithTemperature found every shift-first
  // kernel giving 0 here (the tie in x - max rounds to -2^128 / -2^1024).
  {
    constexpr bool kF = sizeof(T) == 4;
    const T half_ulp_of_max = std::ldexp(T(1), kF ? 103 : 970);
    const T t = std::ldexp(T(1), kF ? 124 : 1020);
    ExpectKeepsContract(k, std::vector<T>{half_ulp_of_max, std::numeric_limits<T>::lowest()}, t);
  }
  // T = 0: one-hot on the maximum, ties share equally, -inf stays +0.
  std::vector<T> ties = Row<T>({1, 3, 3, -INFINITY});
  std::vector<T> y(4, kNaN<T>);
  k.Run(ties.data(), y.data(), 4, T(0));
  EXPECT_EQ(y, Row<T>({0, 0.5, 0.5, 0})) << k.name << " argmax with ties";
  ExpectKeepsContract(k, ties, T(0));
  ExpectKeepsContract(k, Row<T>({1, 3, 3, 3, 2}), T(0));
  // T = inf: uniform over the unmasked entries.
  ExpectKeepsContract(k, Row<T>({1, -INFINITY, 5}), kInf<T>);
  // T < 0 or NaN is a caller error: all NaN.
  ExpectKeepsContract(k, Row<T>({1, 2}), T(-1));
  ExpectKeepsContract(k, Row<T>({1, 2}), kNaN<T>);
}

TEST_P(SoftmaxContract, TemperatureScalesTheLogits) {
  Temperature<float>(K());
  Temperature<double>(K());
}

template <typename T>
void Hygiene(const SoftmaxKernel& k) {
  for (size_t n : {1, 17, 33, 1000}) {
    std::vector<T> x = Random<T>(n, -30, 30, 90 + n);
    if (n > 4) x[3] = -kInf<T>;
    for (T t : {T(1), T(0.7)}) {
      std::vector<std::vector<T>> runs;
      for (T poison : {kNaN<T>, T(0), kInf<T>, T(0.5)}) {
        std::vector<T> y(n, poison);
        k.Run(x.data(), y.data(), n, t);
        runs.push_back(y);
      }
      std::vector<T> in_place = x;
      k.Run(in_place.data(), in_place.data(), n, t);
      runs.push_back(in_place);
      const std::vector<Finding> f = JudgeRepeatability(
          runs, {"(y was NaN)", "(y was 0)", "(y was inf)", "(y was 0.5)",
                 "(in place)"});
      for (const Finding& each : f)
        ADD_FAILURE() << k.name << " " << LaneTypeName<T>() << " n=" << n
                      << ": " << each.what;
    }
  }
}

TEST_P(SoftmaxContract, SameBitsWhateverYHeldAndInPlace) {
  Hygiene<float>(K());
  Hygiene<double>(K());
}

template <typename T>
void Guards(const SoftmaxKernel& k) {
  constexpr size_t kPad = 64;  // wider than any vector x unroll
  const T canary = T(-12345.5);
  for (size_t n : {1, 2, 3, 5, 15, 16, 17, 33, 65, 1000}) {
    std::vector<T> xbuf(n + 2 * kPad, canary), ybuf(n + 2 * kPad, canary);
    std::vector<T> x = Random<T>(n, -10, 10, n);
    std::memcpy(xbuf.data() + kPad, x.data(), n * sizeof(T));
    const std::vector<T> xcopy = xbuf;
    k.Run(xbuf.data() + kPad, ybuf.data() + kPad, n, T(1));
    for (size_t i = 0; i < kPad; ++i) {
      EXPECT_EQ(ybuf[i], canary) << k.name << " wrote before y, n=" << n;
      EXPECT_EQ(ybuf[kPad + n + i], canary) << k.name << " wrote past y, n=" << n;
    }
    EXPECT_EQ(std::memcmp(xbuf.data(), xcopy.data(), xbuf.size() * sizeof(T)), 0)
        << k.name << " wrote to its input, n=" << n;
  }
}

TEST_P(SoftmaxContract, WritesOnlyInsideTheRow) {
  Guards<float>(K());
  Guards<double>(K());
}

template <typename T>
void ExpectedFailures(const SoftmaxKernel& k) {
  for (const ExpectedFailure& e : k.claims.expected_failures) {
    ASSERT_FALSE(e.witnesses.empty()) << k.name << " declares "
                                      << ClauseName(e.clause) << " without a witness";
    for (const std::vector<double>& w : e.witnesses) {
      std::vector<T> x;
      for (double v : w) x.push_back(static_cast<T>(v));
      const RowVerdict v = Judge(k, x, T(1));
      EXPECT_TRUE(v.Breaks(e.clause))
          << k.name << " " << LaneTypeName<T>() << " declares that it breaks "
          << ClauseName(e.clause) << " (" << e.why
          << ") but no longer does on its witness: a suite that cannot see the "
             "failure has lost its power\n  reproduce: "
          << Repro(k, x, T(1));
    }
  }
}

TEST_P(SoftmaxContract, DeclaredExpectedFailuresStillFail) {
  ExpectedFailures<float>(K());
  ExpectedFailures<double>(K());
}

std::vector<std::string> KernelNames() {
  std::vector<std::string> names;
  for (const SoftmaxKernel& k : SoftmaxKernels()) names.push_back(k.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, SoftmaxContract, ::testing::ValuesIn(KernelNames()),
    [](const ::testing::TestParamInfo<std::string>& info) {
      std::string s = info.param;
      for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return s;
    });

// One 2^20-element row per type, judged for every kernel against a single
// oracle evaluation (the oracle is the slow step; it runs once).
template <typename T>
void LongRow() {
  const size_t n = size_t{1} << 20;
  const std::vector<T> x = Random<T>(n, -20, 20, 2020);
  const oracle::SoftmaxResult<T> ref = oracle::Softmax(x.data(), n, T(1));
  for (const SoftmaxKernel& k : SoftmaxKernels()) {
    std::vector<T> y(n, kNaN<T>);
    k.Run(x.data(), y.data(), n, T(1));
    const AccuracyRule rule = RuleFor(k.claims);
    const RowVerdict v = JudgeRow(x.data(), n, T(1), y.data(), ref.exact, rule);
    for (const Finding& f : v.findings)
      if (k.claims.Promises(f.clause))
        ADD_FAILURE() << k.name << " " << LaneTypeName<T>() << " on 2^20 random "
                      << "logits in [-20, 20] (mt19937_64 seed 2020): " << f.what;
    ::testing::Test::RecordProperty(k.name + "_" + LaneTypeName<T>() + "_max_ulp",
                   std::to_string(v.accuracy.max_ulp));
  }
}

TEST(SoftmaxLongRow, EveryKernelKeepsTheContractOn2To20Elements) {
  LongRow<float>();
  LongRow<double>();
}

TEST(SoftmaxRegistry, EveryFamilyIsRegisteredOnceAndHighwayPerTarget) {
  for (const std::string& family : SoftmaxFamilies())
    ASSERT_NE(FindSoftmaxKernel(family), nullptr) << family;
  size_t highway_targets = 0;
  for (const SoftmaxKernel& k : SoftmaxKernels())
    highway_targets += k.family == "highway" && k.name != "highway";
  EXPECT_GE(highway_targets, 1u) << "every compiled Highway target is an entry";
}

}  // namespace
}  // namespace softcheck
