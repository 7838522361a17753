// softcheck demo: the overflow story on real numbers, on one screen.
//   1. naive softmax on growing logits, beside max-shift and the oracle,
//      until it turns to NaN, and exactly where (float and double);
//   2. the counterexample the property suite finds and shrinks for naive;
//   3. -inf masking and a fully masked row on every family.
// Every number is computed here, now: nothing is quoted from a text.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cli/commands.h"
#include "cli/numbers.h"
#include "impl/registry.h"
#include "oracle/oracle.h"
#include "properties/property_driver.h"

namespace softcheck {
namespace {

// The smallest x (of type T) for which naive softmax of the row [x, x - 1]
// is NaN: bisection over the bit patterns of positive values.
template <typename T>
T NaiveBreakingPoint(const SoftmaxKernel& naive) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  auto nan_at = [&](Bits b) {
    T x;
    std::memcpy(&x, &b, sizeof(T));
    const T row[2] = {x, x - 1};
    T y[2];
    naive.Run(row, y, 2, T(1));
    return std::isnan(y[0]);
  };
  T one = 1, big = std::numeric_limits<T>::max();
  Bits lo, hi;  // nan_at(lo) false, nan_at(hi) true
  std::memcpy(&lo, &one, sizeof(T));
  std::memcpy(&hi, &big, sizeof(T));
  while (hi - lo > 1) {
    const Bits mid = lo + (hi - lo) / 2;
    (nan_at(mid) ? hi : lo) = mid;
  }
  T x;
  std::memcpy(&x, &hi, sizeof(T));
  return x;
}

template <typename T>
void GrowingLogits(const SoftmaxKernel& naive, const SoftmaxKernel& shifted,
                   const std::vector<double>& logits) {
  const char* type = sizeof(T) == 4 ? "float" : "double";
  const T edge = NaiveBreakingPoint<T>(naive);
  fmt::print("{}: softmax([x, x - 1]), exact answer [0.7310586, 0.2689414] for every x\n", type);
  fmt::print("  {:>14}  {:>26}  {:>26}\n", "x", "naive", shifted.name);
  for (double v : logits) {
    const T x[2] = {static_cast<T>(v), static_cast<T>(v) - 1};
    T a[2], b[2];
    naive.Run(x, a, 2, T(1));
    shifted.Run(x, b, 2, T(1));
    fmt::print("  {:>14}  {:>12} {:>13}  {:>12} {:>13}\n", FormatDecimal(x[0]),
               FormatDecimal(a[0]), FormatDecimal(a[1]), FormatDecimal(b[0]),
               FormatDecimal(b[1]));
  }
  fmt::print("  naive first turns to NaN at x = {} ({}), log of the largest {} = {:.7g}\n\n",
             FormatDecimal(edge), FormatHex(edge), type,
             std::log(static_cast<double>(std::numeric_limits<T>::max())));
}

}  // namespace

int RunDemo() {
  const SoftmaxKernel* naive = FindSoftmaxKernel("naive");
  const SoftmaxKernel* shifted = FindSoftmaxKernel("highway");
  GrowingLogits<float>(*naive, *shifted, {10, 80, 88, 88.72, 88.7229, 89, 1000});
  GrowingLogits<double>(*naive, *shifted, {700, 709.78, 709.79, 710});

  properties::QuietRapidCheck();
  properties::RunSettings s = properties::DefaultSettings(properties::Property::kOverflowSafe, false);
  s.seed = 1;
  s.declared = Clause::kOverflowSafe;
  const properties::RunOutcome out = properties::RunProperty<float>(
      *naive, properties::Property::kOverflowSafe, s, "softcheck/demo/naive/NeverOverflows");
  fmt::print("the property suite on naive (NeverOverflows, float, seed 1): {} after {} cases "
             "and {} shrinks\n",
             out.falsified ? "counterexample" : "NO counterexample (the suite lost its power)",
             out.cases + 1, out.shrinks);
  for (const char* key : {"x[0]", "breaks", "softcheck eval"}) {
    const size_t at = out.report.find(key);
    if (at == std::string::npos) continue;
    const size_t begin = out.report.rfind('\n', at) + 1;
    fmt::print("  {}\n", out.report.substr(begin, out.report.find('\n', at) - begin));
  }

  fmt::print("\n-inf masking, float: softmax([1, -inf, 2]) and a fully masked [-inf, -inf]\n");
  const float masked[3] = {1, -INFINITY, 2}, full[2] = {-INFINITY, -INFINITY};
  const oracle::SoftmaxResult<float> ref = oracle::Softmax(masked, 3, 1.0f);
  fmt::print("  {:<10} {:>11} {:>4} {:>11}   fully masked\n", "oracle",
             FormatDecimal(ref.rounded[0]), FormatDecimal(ref.rounded[1]),
             FormatDecimal(ref.rounded[2]));
  for (const std::string& family : SoftmaxFamilies()) {
    const SoftmaxKernel& k = *FindSoftmaxKernel(family);
    float y[3], z[2];
    k.f32(masked, y, 3, 1.0f);
    k.f32(full, z, 2, 1.0f);
    fmt::print("  {:<10} {:>11} {:>4} {:>11}   [{}, {}]{}\n", family, FormatDecimal(y[0]),
               FormatDecimal(y[1]), FormatDecimal(y[2]), FormatDecimal(z[0]),
               FormatDecimal(z[1]),
               k.claims.Promises(Clause::kFullyMasked) ? "" : "  (declared: 0/0)");
  }
  return out.falsified ? kExitOk : kExitFinding;
}

}  // namespace softcheck
