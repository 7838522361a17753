#include "properties/wrong_kernels.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "impl/softmax_common.h"

namespace softcheck::properties {
namespace {

enum class Sum { kSequential, kPairwise, kBfloat16, kOneTooMany };
enum class Exp { kLibm, kFewUlp, kCrude };
enum class Mask { kExact, kLargeNegative };

// Round to bfloat16 (8 significant bits), nearest-even, and back.
float Bfloat16(float v) {
  uint32_t b = std::bit_cast<uint32_t>(v);
  b += 0x7fffu + ((b >> 16) & 1u);
  return std::bit_cast<float>(b & 0xffff0000u);
}

template <typename T>
T PairwiseSum(const T* e, size_t n) {
  if (n <= 8) {
    T s = 0;
    for (size_t i = 0; i < n; ++i) s += e[i];
    return s;
  }
  const size_t half = n / 2;
  return PairwiseSum(e, half) + PairwiseSum(e + half, n - half);
}

template <typename T>
using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;

// libm's exp moved by -3..3 ULP, chosen by the argument's bits: a correct
// but cruder exp of the kind a vectorised library ships.
template <typename T>
T FewUlpExp(T z) {
  T e = std::exp(z);
  if (!(e > 0) || std::isinf(e)) return e;
  Bits<T> h = std::bit_cast<Bits<T>>(z);
  h ^= h >> 7;
  h *= static_cast<Bits<T>>(0x9e3779b97f4a7c15ULL);
  const int steps = static_cast<int>((h >> (sizeof(T) * 8 - 8)) % 7) - 3;
  for (int i = 0; i < std::abs(steps); ++i)
    e = std::nextafter(e, steps > 0 ? std::numeric_limits<T>::infinity() : T(0));
  return e;
}

// exp(z) = 2^(k/24) (1 + r), |r| <= ln2/48: the linear term alone leaves
// r^2/2, about 1.04e-4 relative at the ends of the interval.
template <typename T>
T CrudeExp(T z) {
  if (std::isnan(z)) return z;
  const T lowest = sizeof(T) == 4 ? T(-104) : T(-746);
  if (z < lowest) return 0;
  constexpr int kSteps = 24;
  const T ln2 = static_cast<T>(0.693147180559945309417L);
  const long k = std::lround(z * kSteps / ln2);
  const T r = z - static_cast<T>(k) * (ln2 / kSteps);
  long j = k % kSteps;
  if (j < 0) j += kSteps;
  const long q = (k - j) / kSteps;
  const T table = std::exp2(static_cast<T>(j) / kSteps);
  return std::ldexp(table * (1 + r), static_cast<int>(q));
}

template <typename T, Sum S, Exp E, Mask M>
void FixtureSoftmax(const T* x, T* y, size_t n, T temperature) {
  if (HandleSpecialTemperature(x, y, n, temperature)) return;
  constexpr T kInf = std::numeric_limits<T>::infinity();
  // The defect of the "large negative" mask: -inf never reaches the maths.
  auto load = [x](size_t i) {
    if constexpr (M == Mask::kLargeNegative)
      return x[i] == -kInf ? T(-1e4) : x[i];
    else
      return x[i];
  };
  T m = -kInf;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    const T v = load(i);
    nan |= std::isnan(v);
    m = v > m ? v : m;
  }
  if (nan || m == kInf) return FillRow(y, n, std::numeric_limits<T>::quiet_NaN());
  if (m == -kInf) return FillRow(y, n, T(0));
  for (size_t i = 0; i < n; ++i) {
    const T z = temperature == 1 ? load(i) - m : (load(i) - m) / temperature;
    if constexpr (E == Exp::kLibm) y[i] = std::exp(z);
    else if constexpr (E == Exp::kFewUlp) y[i] = FewUlpExp(z);
    else y[i] = CrudeExp(z);
  }
  T sum = 0;
  if constexpr (S == Sum::kPairwise) {
    sum = PairwiseSum(y, n);
  } else if constexpr (S == Sum::kBfloat16) {
    for (size_t i = 0; i < n; ++i)
      sum = static_cast<T>(Bfloat16(static_cast<float>(sum + y[i])));
  } else {
    if constexpr (S == Sum::kOneTooMany) sum = 1;  // the max, counted twice
    for (size_t i = 0; i < n; ++i) sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

template <Sum S, Exp E, Mask M>
Fixture Make(const char* name, const char* summary, bool correct,
             double exp_ulp, Property caught_by) {
  Fixture f;
  f.kernel.name = name;
  f.kernel.family = "fixture";
  f.kernel.target = "scalar";
  f.kernel.summary = summary;
  f.kernel.f32 = &FixtureSoftmax<float, S, E, M>;
  f.kernel.f64 = &FixtureSoftmax<double, S, E, M>;
  f.kernel.claims.exp_ulp = exp_ulp;
  f.correct = correct;
  f.caught_by = caught_by;
  return f;
}

// A pairwise kernel may claim the rule's tighter summation term, log2(n) + 16
// instead of n - 1; it is held to that.
Fixture Pairwise(Fixture f) {
  f.kernel.claims.sequential_sum = false;
  return f;
}

}  // namespace

const std::vector<Fixture>& Fixtures() {
  static const std::vector<Fixture> kAll = {
      Make<Sum::kSequential, Exp::kLibm, Mask::kExact>(
          "fixture:sequential", "max-shift, sequential sum, libm exp", true, 1,
          Property::kAccuracy),
      Pairwise(Make<Sum::kPairwise, Exp::kLibm, Mask::kExact>(
          "fixture:pairwise", "max-shift, pairwise sum, libm exp", true, 1,
          Property::kAccuracy)),
      Make<Sum::kSequential, Exp::kFewUlp, Mask::kExact>(
          "fixture:exp-4ulp", "max-shift, sequential sum, exp within 4 ULP (declared)",
          true, 4, Property::kAccuracy),
      Make<Sum::kBfloat16, Exp::kLibm, Mask::kExact>(
          "wrong:bf16-sum", "running sum rounded to bfloat16 after every add",
          false, 1, Property::kAccuracy),
      Make<Sum::kSequential, Exp::kCrude, Mask::kExact>(
          "wrong:exp-1e-4", "exp with about 1e-4 relative error, declared 1 ULP",
          false, 1, Property::kAccuracy),
      Make<Sum::kOneTooMany, Exp::kLibm, Mask::kExact>(
          "wrong:sum-one-too-many", "normaliser counts the maximum twice",
          false, 1, Property::kAccuracy),
      Make<Sum::kSequential, Exp::kLibm, Mask::kLargeNegative>(
          "wrong:mask-as-1e4", "-inf replaced by -1e4 before the max and the sum",
          false, 1, Property::kMasking),
  };
  return kAll;
}

}  // namespace softcheck::properties
