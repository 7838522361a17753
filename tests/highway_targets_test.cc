// The highway family on every compiled target this CPU supports: the
// contract of impl/softmax.h clause by clause, each target's exp against its
// claimed ULP bound, agreement between targets, and the dispatching entry
// under hwy::SetSupportedTargetsForTest. Uses HighwaySoftmaxKernels()
// directly so that it does not depend on the registry being built.
//
// Accuracy is judged against a long double softmax with the per-element rule
// of oracle/accuracy.h (SoftmaxAllowance, the same code the gate and the
// properties use) at slack 1 instead of the contract's 2: the kernel should
// meet the first-order bound itself.
#include <gtest/gtest.h>
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "impl/attention.h"
#include "impl/softmax.h"
#include "oracle/accuracy.h"

namespace softcheck {

// Defined in impl/softmax_highway.cc.
std::vector<SoftmaxKernel> HighwaySoftmaxKernels();
// Defined in impl/attention_highway.cc.
std::vector<AttentionKernel> HighwayAttentionKernels();
bool HighwayExpForTest(int64_t target, const float* z, float* out, size_t n);
bool HighwayExpForTest(int64_t target, const double* z, double* out, size_t n);

namespace {

template <typename T>
using Fn = void (*)(const T*, T*, size_t, T);

template <typename T>
Fn<T> Get(const SoftmaxKernel& k) {
  if constexpr (sizeof(T) == 4) {
    return k.f32;
  } else {
    return k.f64;
  }
}

template <typename T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <typename T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
template <typename T>
constexpr T kMax = std::numeric_limits<T>::max();
template <typename T>
constexpr double kU = std::numeric_limits<T>::epsilon() / 2;

// Lengths around every multiple of 1, 2, 4, 8 and 16 lanes that matters: one
// vector, four vectors (the unrolled loop) and their neighbours, plus rows
// with a long main loop and a tail.
const std::vector<size_t>& Lengths() {
  static const std::vector<size_t> kLengths = {
      1,  2,  3,  4,  5,   7,   8,   9,   15,  16,   17,   31,   32,
      33, 63, 64, 65, 127, 128, 129, 255, 257, 1000, 1023, 1024, 1025};
  return kLengths;
}

const std::vector<SoftmaxKernel>& Kernels() {
  static const std::vector<SoftmaxKernel> kKernels = HighwaySoftmaxKernels();
  return kKernels;
}

template <typename T>
std::vector<T> RandomRow(size_t n, uint32_t seed, double sigma = 4.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  std::vector<T> x(n);
  for (T& v : x) v = static_cast<T>(normal(rng));
  return x;
}

// The exact softmax of the row (to long double), -inf entries 0.
template <typename T>
std::vector<long double> Exact(const std::vector<T>& x, T temperature) {
  long double max = -kInf<long double>;
  for (T v : x) max = std::max<long double>(max, v);
  std::vector<long double> y(x.size());
  long double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    y[i] = std::exp((static_cast<long double>(x[i]) - max) / temperature);
    sum += y[i];
  }
  for (long double& v : y) v /= sum;
  return y;
}

// Checks y against the accuracy rule above, given the exact result; -inf
// entries must be exactly +0. Reports at most 5 elements.
template <typename T>
void ExpectAccurate(const std::vector<T>& x, T temperature,
                    const std::vector<T>& y, double exp_ulp,
                    const std::vector<long double>& exact) {
  ASSERT_EQ(x.size(), y.size());
  const size_t n = x.size();
  AccuracyRule rule;
  rule.slack = 1;
  rule.exp_ulp = exp_ulp;
  const std::vector<double> allowed =
      SoftmaxAllowance(x.data(), n, temperature, exact, rule);
  int reported = 0;
  for (size_t i = 0; i < n && reported < 5; ++i) {
    if (x[i] == -kInf<T>) {
      if (!(y[i] == 0 && !std::signbit(y[i]))) {
        ++reported;
        ADD_FAILURE() << "masked entry " << i << " gave " << y[i];
      }
      continue;
    }
    ASSERT_GE(allowed[i], 0) << "element " << i << ": the rows here are finite";
    const long double err =
        std::fabs(static_cast<long double>(y[i]) - exact[i]);
    if (!(err <= allowed[i])) {
      ++reported;
      ADD_FAILURE() << "element " << i << " of " << n << ": x=" << x[i]
                    << " y=" << y[i]
                    << " exact=" << static_cast<double>(exact[i])
                    << " err/allowed=" << static_cast<double>(err / allowed[i]);
    }
  }
}

template <typename T>
void ExpectAccurate(const std::vector<T>& x, T temperature,
                    const std::vector<T>& y, double exp_ulp) {
  ExpectAccurate(x, temperature, y, exp_ulp, Exact(x, temperature));
}

// Runs the kernel with y inside a buffer of canaries; fails if anything
// outside y[0, n) changed. x is an exact-size heap copy, so an over-read is
// caught by AddressSanitizer.
template <typename T>
std::vector<T> RunGuarded(Fn<T> f, const std::vector<T>& x, T temperature,
                          T poison = T(0)) {
  constexpr size_t kGuard = 64;
  constexpr T kCanary = T(-12345.678);
  const size_t n = x.size();
  // (Bounding n also tells g++ -O3 that n + 2 * kGuard cannot wrap, which
  // it otherwise warns about in the fill below.)
  if (n > (size_t{1} << 32)) {
    ADD_FAILURE() << "row too long for this test";
    return {};
  }
  std::vector<T> buf(n + 2 * kGuard, kCanary);
  std::fill(buf.begin() + kGuard, buf.begin() + kGuard + n, poison);
  const std::unique_ptr<T[]> xin(new T[n == 0 ? 1 : n]);
  std::copy(x.begin(), x.end(), xin.get());
  f(n == 0 ? nullptr : xin.get(), buf.data() + kGuard, n, temperature);
  for (size_t i = 0; i < kGuard; ++i) {
    EXPECT_EQ(buf[i], kCanary) << "wrote before y at -" << kGuard - i;
    EXPECT_EQ(buf[kGuard + n + i], kCanary) << "wrote past y[n) at +" << i;
  }
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(0, std::memcmp(&xin[i], &x[i], sizeof(T)))
        << "x modified at " << i;
  }
  return std::vector<T>(buf.begin() + kGuard, buf.begin() + kGuard + n);
}

template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() ||
          std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <typename T>
void ExpectAllNaN(const std::vector<T>& y) {
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isnan(y[i])) {
      ADD_FAILURE() << "element " << i << " of " << y.size() << " = " << y[i];
      return;
    }
  }
}

// Runs check(kernel) on every highway entry, the dispatcher first.
template <class Check>
void ForEachKernel(const Check& check) {
  ASSERT_FALSE(Kernels().empty());
  for (const SoftmaxKernel& k : Kernels()) {
    SCOPED_TRACE(k.name);
    check(k);
  }
}

// Targets compiled in (HWY_TARGETS) that this CPU cannot run: their code
// (AVX3's 16-entry exp table, say, on an AVX2 machine) is built but no test
// here runs it. Reported as a skipped test, naming them, so that a green run
// on such a machine does not read as having covered them.
TEST(HighwayTargets, EveryCompiledTargetRunsHere) {
  const int64_t supported = hwy::SupportedTargets();
  std::string unrun;
  for (int64_t bit = 1; bit != 0 && bit <= HWY_TARGETS; bit <<= 1) {
    if ((HWY_TARGETS & bit) != 0 && (supported & bit) == 0)
      unrun += std::string(unrun.empty() ? "" : ", ") + hwy::TargetName(bit);
  }
  if (!unrun.empty())
    GTEST_SKIP() << "compiled but not run on this CPU: " << unrun;
}

// A Highway family's registry entries (softmax or attention): the
// dispatcher, then one entry per supported target in Highway's order, each
// named for its target, with no declared failures.
template <class Kernel>
void ExpectFamilyShape(const std::vector<Kernel>& kernels) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_EQ(kernels.size(), targets.size() + 1);
  EXPECT_EQ(kernels[0].name, "highway");
  EXPECT_EQ(kernels[0].target,
            std::string("dispatch(") + hwy::TargetName(targets[0]) + ")");
  for (size_t i = 0; i < kernels.size(); ++i) {
    const Kernel& k = kernels[i];
    SCOPED_TRACE(k.name);
    EXPECT_EQ(k.family, "highway");
    EXPECT_NE(k.f32, nullptr);
    EXPECT_FALSE(k.summary.empty());
    EXPECT_TRUE(k.claims.expected_failures.empty());
    EXPECT_GE(k.claims.exp_ulp, 0.5);
    if (i > 0) {
      EXPECT_EQ(k.target, hwy::TargetName(targets[i - 1]));
      EXPECT_EQ(k.name, "highway:" + k.target);
    }
  }
}

TEST(HighwayTargets, RegistryShape) {
  ExpectFamilyShape(Kernels());
  for (const SoftmaxKernel& k : Kernels()) EXPECT_NE(k.f64, nullptr) << k.name;
}

template <typename T>
void HandRows(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  const double e = k.claims.exp_ulp;
  for (const std::vector<T>& x : std::vector<std::vector<T>>{
           {1, 2, 3},
           {0, 0, 0, 0},
           {-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
           {T(0.5), T(-0.25), T(3.75), T(-8), T(20), T(19.5)}}) {
    ExpectAccurate(x, T(1), RunGuarded(f, x, T(1)), e);
  }
  // Exact values the kernel must hit: exp(0) is exactly 1.
  EXPECT_TRUE(SameBits(RunGuarded(f, {T(42)}, T(1)), {T(1)}));
  EXPECT_TRUE(SameBits(RunGuarded(f, {T(-7.5)}, T(3)), {T(1)}));
  EXPECT_TRUE(SameBits(RunGuarded(f, {0, 0, 0, 0}, T(1)),
                       {T(0.25), T(0.25), T(0.25), T(0.25)}));
  EXPECT_TRUE(
      SameBits(RunGuarded(f, {kMax<T>, kMax<T>}, T(1)), {T(0.5), T(0.5)}));
  EXPECT_TRUE(SameBits(RunGuarded(f, {kMax<T>, -kMax<T>}, T(1)), {T(1), T(0)}));
  EXPECT_TRUE(SameBits(RunGuarded(f, {-kMax<T>, kMax<T>}, T(1)), {T(0), T(1)}));
  EXPECT_TRUE(
      SameBits(RunGuarded(f, {-kMax<T>, -kMax<T>}, T(1)), {T(0.5), T(0.5)}));
  // Everything but the maximum underflows: still sums to 1.
  EXPECT_TRUE(SameBits(RunGuarded(f, {T(-1000), T(-3000), T(-1000)}, T(1)),
                       {T(0.5), T(0), T(0.5)}));
  const std::vector<T> y = RunGuarded(f, {T(1000), T(999)}, T(1));
  EXPECT_NEAR(y[0], 0.7310585786300049, 4 * kU<T>);
  EXPECT_NEAR(y[1], 0.2689414213699951, 4 * kU<T>);
  ExpectAccurate<T>({T(1000), T(999)}, T(1), y, e);
}

TEST(HighwayTargets, HandRows) {
  ForEachKernel([](const SoftmaxKernel& k) {
    HandRows<float>(k);
    HandRows<double>(k);
  });
}

template <typename T>
void CheckLengths(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  for (const size_t n : Lengths()) {
    SCOPED_TRACE(n);
    const std::vector<T> x = RandomRow<T>(n, static_cast<uint32_t>(n));
    const std::vector<T> y = RunGuarded(f, x, T(1));
    ExpectAccurate(x, T(1), y, k.claims.exp_ulp);
    // Determinism.
    EXPECT_TRUE(SameBits(y, RunGuarded(f, x, T(1))));
  }
}

TEST(HighwayTargets, LengthsAndTails) {
  ForEachKernel([](const SoftmaxKernel& k) {
    CheckLengths<float>(k);
    CheckLengths<double>(k);
  });
}

template <typename T>
void HugeRow(const SoftmaxKernel& k) {
  const size_t n = size_t{1} << 20;
  // The row and its exact softmax, computed once for all the kernels.
  static const std::vector<T> x = RandomRow<T>(n, 7, 10.0);
  static const std::vector<long double> exact = Exact(x, T(1));
  const std::vector<T> y = RunGuarded(Get<T>(k), x, T(1));
  ExpectAccurate(x, T(1), y, k.claims.exp_ulp, exact);
  long double sum = 0;
  for (T v : y) sum += v;
  // Blocked summation: far tighter than the (n - 1) u of the rule.
  EXPECT_NEAR(static_cast<double>(sum), 1.0, 4096 * kU<T>);
}

TEST(HighwayTargets, MillionElements) {
  ForEachKernel([](const SoftmaxKernel& k) {
    HugeRow<float>(k);
    HugeRow<double>(k);
  });
}

// Rows longer than 2^16 run pass 2 from the row's end to its start
// (kBackwardMinRow in impl/softmax_highway.cc): the blocks in reverse, then
// the vectors past them and the partial last one. Lengths with a partial
// vector and whole vectors past the blocks, each kept to the contract: the
// accuracy rule at T = 1 and T = 3, masked entries at the front, the middle
// and the tail, NaN or +inf at either end, in place bit for bit.
template <typename T>
void LongRows(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  // 2^17 + 13 and 2^17 + 83 leave, past the blocks, at least one whole
  // vector on every target (N = 1 to 16) and a partial one.
  for (const size_t n : {(size_t{1} << 16) + 1, (size_t{1} << 17) + 13,
                         (size_t{1} << 17) + 83}) {
    SCOPED_TRACE(n);
    const std::vector<T> x = RandomRow<T>(n, static_cast<uint32_t>(n), 6.0);
    for (const T t : {T(1), T(3)}) {
      const std::vector<T> y = RunGuarded(f, x, t);
      ExpectAccurate(x, t, y, k.claims.exp_ulp);
      std::vector<T> inplace = x;
      f(inplace.data(), inplace.data(), n, t);
      EXPECT_TRUE(SameBits(y, inplace)) << "T=" << t;
    }
    std::vector<T> masked = x;
    for (const size_t i : {size_t{0}, size_t{1}, n / 2, n - 2, n - 1})
      masked[i] = -kInf<T>;
    ExpectAccurate(masked, T(1), RunGuarded(f, masked, T(1)), k.claims.exp_ulp);
    for (const size_t pos : {size_t{0}, n - 1}) {
      for (const T bad : {kNaN<T>, kInf<T>}) {
        std::vector<T> poisoned = x;
        poisoned[pos] = bad;
        ExpectAllNaN(RunGuarded(f, poisoned, T(1)));
      }
    }
  }
}

TEST(HighwayTargets, RowsPast2To16) {
  ForEachKernel([](const SoftmaxKernel& k) {
    LongRows<float>(k);
    LongRows<double>(k);
  });
}

template <typename T>
void EmptyRow(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  constexpr T kCanary = T(3.25);
  std::vector<T> buf(32, kCanary);
  for (const T t : {T(1), T(2), T(0), -T(1), kNaN<T>, kInf<T>}) {
    f(buf.data(), buf.data() + 16, 0, t);
    f(nullptr, nullptr, 0, t);
  }
  for (const T v : buf) EXPECT_EQ(v, kCanary);
}

TEST(HighwayTargets, EmptyRowTouchesNothing) {
  ForEachKernel([](const SoftmaxKernel& k) {
    EmptyRow<float>(k);
    EmptyRow<double>(k);
  });
}

template <typename T>
void InPlace(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  for (const size_t n : Lengths()) {
    for (const T t : {T(1), T(0.5), T(2), T(0.7)}) {
      SCOPED_TRACE(n);
      const std::vector<T> x =
          RandomRow<T>(n, static_cast<uint32_t>(3 * n + 1));
      const std::vector<T> out = RunGuarded(f, x, t);
      std::vector<T> inplace = x;
      f(inplace.data(), inplace.data(), n, t);
      EXPECT_TRUE(SameBits(out, inplace)) << "T=" << t;
      // y's old contents do not matter.
      EXPECT_TRUE(SameBits(out, RunGuarded(f, x, t, kNaN<T>)));
      EXPECT_TRUE(SameBits(out, RunGuarded(f, x, t, kInf<T>)));
    }
  }
}

TEST(HighwayTargets, InPlaceAndPoisonedOutput) {
  ForEachKernel([](const SoftmaxKernel& k) {
    InPlace<float>(k);
    InPlace<double>(k);
  });
}

template <typename T>
void NaNAndInf(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  for (const size_t n : Lengths()) {
    SCOPED_TRACE(n);
    for (const size_t pos : {size_t{0}, n / 2, n - 1}) {
      for (const T bad : {kNaN<T>, kInf<T>, -kNaN<T>}) {
        std::vector<T> x = RandomRow<T>(n, static_cast<uint32_t>(n + pos));
        x[pos] = bad;
        ExpectAllNaN(RunGuarded(f, x, T(1)));
        ExpectAllNaN(RunGuarded(f, x, T(2)));
        ExpectAllNaN(RunGuarded(f, x, T(0)));
        // With the rest masked, and with huge finite neighbours.
        std::vector<T> masked(n, -kInf<T>);
        masked[pos] = bad;
        ExpectAllNaN(RunGuarded(f, masked, T(1)));
        std::vector<T> huge(n, kMax<T>);
        huge[pos] = bad;
        ExpectAllNaN(RunGuarded(f, huge, T(1)));
      }
    }
    if (n >= 3) {  // NaN and +inf together, either order
      std::vector<T> x = RandomRow<T>(n, 5);
      x[0] = kInf<T>;
      x[n - 1] = kNaN<T>;
      ExpectAllNaN(RunGuarded(f, x, T(1)));
      std::swap(x[0], x[n - 1]);
      ExpectAllNaN(RunGuarded(f, x, T(1)));
    }
  }
}

TEST(HighwayTargets, NaNOrPlusInfGivesAllNaN) {
  ForEachKernel([](const SoftmaxKernel& k) {
    NaNAndInf<float>(k);
    NaNAndInf<double>(k);
  });
}

template <typename T>
void Masking(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  for (const size_t n : Lengths()) {
    SCOPED_TRACE(n);
    // Fully masked.
    const std::vector<T> all(n, -kInf<T>);
    for (const T t : {T(1), T(0.5), T(0)}) {
      for (const T v : RunGuarded(f, all, t))
        EXPECT_TRUE(v == 0 && !std::signbit(v));
    }
    if (n < 2) continue;
    // Masked entries at the front, the middle and the tail (the partial
    // vector), against the softmax of the unmasked rest.
    std::vector<T> x = RandomRow<T>(n, static_cast<uint32_t>(n * 7));
    x[n - 1] = -kInf<T>;
    if (n >= 4) {
      x[0] = -kInf<T>;
      x[n / 2] = -kInf<T>;
    }
    for (const T t : {T(1), T(2)}) {
      const std::vector<T> y = RunGuarded(f, x, t);
      ExpectAccurate(x, t, y, k.claims.exp_ulp);  // exact +0 on the masked
      std::vector<T> rest;
      for (const T v : x)
        if (v != -kInf<T>) rest.push_back(v);
      const std::vector<T> y_rest = RunGuarded(f, rest, t);
      size_t j = 0;
      for (size_t i = 0; i < n; ++i) {
        if (x[i] == -kInf<T>) continue;
        // Same values, possibly a different summation order.
        EXPECT_NEAR(y[i], y_rest[j], 64 * kU<T> * y_rest[j] + 1e-30) << i;
        ++j;
      }
    }
  }
}

TEST(HighwayTargets, MinusInfMasking) {
  ForEachKernel([](const SoftmaxKernel& k) {
    Masking<float>(k);
    Masking<double>(k);
  });
}

template <typename T>
void ExtremeFinite(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  const T kDenorm = std::numeric_limits<T>::denorm_min();
  const T kMinNormal = std::numeric_limits<T>::min();
  for (const size_t n : Lengths()) {
    SCOPED_TRACE(n);
    std::mt19937 rng(static_cast<uint32_t>(n));
    // Magnitudes from subnormal to MAX, both signs: never NaN or inf.
    std::vector<T> x(n), sub(n);
    for (size_t i = 0; i < n; ++i) {
      const int choice = static_cast<int>(rng() % 6);
      const T sign = (rng() & 1) ? T(1) : T(-1);
      x[i] =
          sign * (choice == 0   ? kMax<T>
                  : choice == 1 ? kDenorm * T(rng() % 1000)
                  : choice == 2 ? kMinNormal
                  : choice == 3
                      ? T(std::ldexp(1.0, static_cast<int>(rng() % 200) - 100))
                      : T(rng() % 100) / T(7));
      sub[i] = sign * kDenorm * T(rng() % 4096);
    }
    for (const T t : {T(1), T(0.5), T(3)}) {
      const std::vector<T> y = RunGuarded(f, x, t);
      for (const T v : y) ASSERT_TRUE(std::isfinite(v));
      ExpectAccurate(x, t, y, k.claims.exp_ulp);
    }
    // Subnormal inputs: all z are tiny, the row is uniform to rounding.
    const std::vector<T> y = RunGuarded(f, sub, T(1));
    ExpectAccurate(sub, T(1), y, k.claims.exp_ulp);
  }
}

TEST(HighwayTargets, ExtremeFiniteInputs) {
  ForEachKernel([](const SoftmaxKernel& k) {
    ExtremeFinite<float>(k);
    ExtremeFinite<double>(k);
  });
}

template <typename T>
void Temperature(const SoftmaxKernel& k) {
  const Fn<T> f = Get<T>(k);
  for (const size_t n : Lengths()) {
    SCOPED_TRACE(n);
    const std::vector<T> x = RandomRow<T>(n, static_cast<uint32_t>(n + 99));
    for (const T t : {T(0.5), T(2), T(0.7), T(3), T(1e-3), T(1e3)}) {
      const std::vector<T> y = RunGuarded(f, x, t);
      ExpectAccurate(x, t, y, k.claims.exp_ulp);
      // Powers of two divide exactly: (x - m) / T is the shift of the
      // pre-divided row, bit for bit.
      if (t == T(0.5) || t == T(2)) {
        std::vector<T> pre(n);
        for (size_t i = 0; i < n; ++i) pre[i] = x[i] / t;
        EXPECT_TRUE(SameBits(y, RunGuarded(f, pre, T(1)))) << "T=" << t;
      }
    }
  }
  // The limits and the caller errors (HandleSpecialTemperature).
  EXPECT_TRUE(SameBits(RunGuarded(f, {1, 3, -kInf<T>, 3, 2}, T(0)),
                       {0, T(0.5), 0, T(0.5), 0}));
  EXPECT_TRUE(SameBits(RunGuarded(f, {1, 7, 2}, T(0)), {0, 1, 0}));
  EXPECT_TRUE(SameBits(RunGuarded(f, {1, 7, -kInf<T>, 2}, kInf<T>),
                       {T(1) / 3, T(1) / 3, 0, T(1) / 3}));
  ExpectAllNaN(RunGuarded(f, {1, 2, 3}, T(-1)));
  ExpectAllNaN(RunGuarded(f, {1, 2, 3}, kNaN<T>));
}

TEST(HighwayTargets, Temperature) {
  ForEachKernel([](const SoftmaxKernel& k) {
    Temperature<float>(k);
    Temperature<double>(k);
  });
}

// Two targets differ in their exp (each within its claimed E ulp) and in the
// order of their sum, which scales a whole row by one common factor. So:
// after dividing out that factor, every element agrees within the two exp
// bounds plus the final rounding; the factor itself within 32 u (a sum of
// 1000 terms in 4 to 64 partial sums; the rule would allow 999 u).
template <typename T>
void TargetsAgree() {
  const size_t n = 1000;
  for (const uint32_t seed : {1u, 2u, 3u}) {
    const std::vector<T> x = RandomRow<T>(n, seed, 5.0);
    const SoftmaxKernel& first = Kernels()[0];
    const std::vector<T> a = RunGuarded(Get<T>(first), x, T(1));
    for (const SoftmaxKernel& k : Kernels()) {
      SCOPED_TRACE(k.name);
      const std::vector<T> b = RunGuarded(Get<T>(k), x, T(1));
      std::vector<long double> ratio(n);
      for (size_t i = 0; i < n; ++i) {
        ratio[i] = static_cast<long double>(b[i]) / a[i];
      }
      std::vector<long double> sorted = ratio;
      std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
      const long double common = sorted[n / 2];
      EXPECT_LE(std::fabs(common - 1), 32 * kU<T>);
      // One ulp is at most 2 u relative.
      const double each = 2 * (first.claims.exp_ulp + k.claims.exp_ulp + 1);
      double worst = 0;
      for (size_t i = 0; i < n; ++i) {
        worst = std::max(worst,
                         static_cast<double>(std::fabs(ratio[i] / common - 1)));
      }
      EXPECT_LE(worst, each * kU<T>);
    }
  }
}

TEST(HighwayTargets, TargetsAgree) {
  TargetsAgree<float>();
  TargetsAgree<double>();
}

// The claimed exp accuracy holds on every target over a dense sweep of
// [ln(MIN_NORMAL), 0], and the exp handles the values the softmax feeds it.
template <typename T>
void ExpClaim(int64_t target, double claimed) {
  const size_t kPoints = 1 << 20;
  const double lo =
      std::log(static_cast<double>(std::numeric_limits<T>::min()));
  std::vector<T> z(kPoints), out(kPoints);
  std::mt19937_64 rng(11);
  for (size_t i = 0; i < kPoints; ++i) {
    // Half evenly spread, half log-spread towards 0. The two draws are
    // separate statements: as arguments of one call their order would be
    // unspecified, and g++ and clang would test different points.
    if (i & 1) {
      z[i] = static_cast<T>(lo * (static_cast<double>(i) / kPoints));
    } else {
      const double mantissa = 1.0 + static_cast<double>(rng() >> 12) * 0x1p-52;
      const int exponent = -static_cast<int>(rng() % 40);
      z[i] = -static_cast<T>(std::ldexp(mantissa, exponent));
    }
  }
  ASSERT_TRUE(HighwayExpForTest(target, z.data(), out.data(), kPoints));
  double worst = 0;
  for (size_t i = 0; i < kPoints; ++i) {
    const long double exact = std::exp(static_cast<long double>(z[i]));
    if (exact < std::numeric_limits<T>::min()) continue;
    const long double ulp = std::ldexp(
        1.0L, std::ilogb(exact) - std::numeric_limits<T>::digits + 1);
    worst =
        std::max(worst, static_cast<double>(std::fabs(out[i] - exact) / ulp));
  }
  EXPECT_LE(worst, claimed);
  const T special[] = {0,        -0.0,    -kInf<T>,  -kMax<T>,
                       T(-1e30), kNaN<T>, T(lo - 2), -std::numeric_limits<T>::denorm_min()};
  T r[8];
  ASSERT_TRUE(HighwayExpForTest(target, special, r, 8));
  EXPECT_EQ(r[0], 1);
  EXPECT_EQ(r[1], 1);
  for (int i : {2, 3, 4, 6})
    EXPECT_TRUE(r[i] == 0 && !std::signbit(r[i])) << i;
  EXPECT_TRUE(std::isnan(r[5]));
  // exp(-denorm_min) rounds to 1.
  EXPECT_EQ(r[7], 1);
}

TEST(HighwayTargets, ExpWithinClaimedUlp) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_EQ(Kernels().size(), targets.size() + 1);
  // The dispatcher claims what its (best) target claims.
  EXPECT_EQ(Kernels()[0].claims.exp_ulp, Kernels()[1].claims.exp_ulp);
  for (size_t i = 0; i < targets.size(); ++i) {
    SCOPED_TRACE(hwy::TargetName(targets[i]));
    const double claimed = Kernels()[i + 1].claims.exp_ulp;
    ExpClaim<float>(targets[i], claimed);
    ExpClaim<double>(targets[i], claimed);
  }
}

// The dispatching entry runs whichever target Highway chooses: restrict the
// choice to each target in turn and compare with that target's own entry.
TEST(HighwayTargets, DispatchFollowsSupportedTargets) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  const std::vector<SoftmaxKernel>& kernels = Kernels();
  ASSERT_EQ(kernels.size(), targets.size() + 1);
  const std::vector<float> xf = RandomRow<float>(1001, 77, 6.0);
  const std::vector<double> xd = RandomRow<double>(1001, 78, 6.0);
  std::vector<std::vector<float>> before;
  for (const SoftmaxKernel& k : kernels)
    before.push_back(RunGuarded(k.f32, xf, 1.0f));
  for (size_t i = 0; i < targets.size(); ++i) {
    SCOPED_TRACE(hwy::TargetName(targets[i]));
    hwy::SetSupportedTargetsForTest(targets[i]);
    ASSERT_EQ(hwy::SupportedAndGeneratedTargets(),
              std::vector<int64_t>{targets[i]});
    EXPECT_TRUE(SameBits(RunGuarded(kernels[0].f32, xf, 1.0f),
                         RunGuarded(kernels[i + 1].f32, xf, 1.0f)));
    EXPECT_TRUE(SameBits(RunGuarded(kernels[0].f64, xd, 1.0),
                         RunGuarded(kernels[i + 1].f64, xd, 1.0)));
    // Two targets may agree bit for bit on a row, so also ask Highway which
    // table slot the dispatcher used: the one this target alone would get.
    hwy::ChosenTarget expected;
    expected.Update(targets[i]);
    EXPECT_EQ(hwy::GetChosenTarget().GetIndex(), expected.GetIndex());
    // The per-target entries ignore the mock: they call their code directly.
    for (size_t j = 1; j < kernels.size(); ++j) {
      EXPECT_TRUE(SameBits(RunGuarded(kernels[j].f32, xf, 1.0f), before[j]))
          << j;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  // Back to the best target.
  EXPECT_TRUE(SameBits(RunGuarded(kernels[0].f32, xf, 1.0f), before[1]));
}

// The attention family: one entry per supported target plus the dispatcher,
// the same shape as the softmax family's, each with both entry points and
// the exp bound of the same target's softmax (both use impl/exp-inl.h).
const std::vector<AttentionKernel>& AttentionKernels() {
  static const std::vector<AttentionKernel> kKernels =
      HighwayAttentionKernels();
  return kKernels;
}

TEST(HighwayAttentionTargets, RegistryShape) {
  const std::vector<AttentionKernel>& kernels = AttentionKernels();
  ExpectFamilyShape(kernels);
  ASSERT_EQ(Kernels().size(), kernels.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    SCOPED_TRACE(kernels[i].name);
    EXPECT_NE(kernels[i].blocked, nullptr);
    EXPECT_EQ(kernels[i].claims.exp_ulp, Kernels()[i].claims.exp_ulp);
  }
}

// One problem, run through an entry: lengths off every block and lane
// multiple, a mask with -inf holes, causal or not.
std::vector<float> RunAttentionCase(const AttentionKernel& k, int causal,
                                    bool blocked) {
  const size_t n_q = 37, n_kv = 53, d = 24, d_v = 19;
  std::mt19937 rng(static_cast<uint32_t>(91 + causal));
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> q(n_q * d), kk(n_kv * d), v(n_kv * d_v), mask(n_q * n_kv);
  for (float& x : q) x = normal(rng);
  for (float& x : kk) x = normal(rng);
  for (float& x : v) x = normal(rng);
  for (size_t i = 0; i < mask.size(); ++i)
    mask[i] = (i % 7 == 3) ? -kInf<float> : 0.25f * normal(rng);
  std::vector<float> out(n_q * d_v, kNaN<float>);
  if (blocked) {
    k.blocked(q.data(), kk.data(), v.data(), mask.data(), causal, 0.3f,
              out.data(), n_q, n_kv, d, d_v, 8, 16);
  } else {
    k.f32(q.data(), kk.data(), v.data(), mask.data(), causal, 0.3f,
          out.data(), n_q, n_kv, d, d_v);
  }
  return out;
}

// As DispatchFollowsSupportedTargets above, for attention: restricted to
// each target, the dispatching entries (plain and blocked) give that
// target's own bits and use its dispatch slot.
TEST(HighwayAttentionTargets, DispatchFollowsSupportedTargets) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  const std::vector<AttentionKernel>& kernels = AttentionKernels();
  ASSERT_EQ(kernels.size(), targets.size() + 1);
  struct Case {
    int causal;
    bool blocked;
  };
  const Case kCases[] = {{kCausalNone, false},
                         {kCausalNone, true},
                         {kCausalTopLeft, false},
                         {kCausalTopLeft, true}};
  // before[kernel][case], all finite.
  std::vector<std::vector<std::vector<float>>> before(kernels.size());
  for (size_t j = 0; j < kernels.size(); ++j) {
    for (const Case& c : kCases) {
      before[j].push_back(RunAttentionCase(kernels[j], c.causal, c.blocked));
      for (const float x : before[j].back()) ASSERT_TRUE(std::isfinite(x));
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    SCOPED_TRACE(hwy::TargetName(targets[i]));
    hwy::SetSupportedTargetsForTest(targets[i]);
    ASSERT_EQ(hwy::SupportedAndGeneratedTargets(),
              std::vector<int64_t>{targets[i]});
    for (size_t c = 0; c < std::size(kCases); ++c) {
      EXPECT_TRUE(SameBits(
          RunAttentionCase(kernels[0], kCases[c].causal, kCases[c].blocked),
          before[i + 1][c]))
          << "causal " << kCases[c].causal << " blocked " << kCases[c].blocked;
    }
    hwy::ChosenTarget expected;
    expected.Update(targets[i]);
    EXPECT_EQ(hwy::GetChosenTarget().GetIndex(), expected.GetIndex());
    // The per-target entries ignore the restriction.
    for (size_t j = 1; j < kernels.size(); ++j)
      EXPECT_TRUE(SameBits(RunAttentionCase(kernels[j], kCases[0].causal,
                                            kCases[0].blocked),
                           before[j][0]))
          << j;
  }
  hwy::SetSupportedTargetsForTest(0);
  // Back to the best target.
  EXPECT_TRUE(SameBits(
      RunAttentionCase(kernels[0], kCases[0].causal, kCases[0].blocked),
      before[1][0]));
}

}  // namespace
}  // namespace softcheck
