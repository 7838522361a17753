// softcheck eval: every implementation's output on one row, beside the
// oracle's correctly rounded result, with the error in ULP and the verdict of
// the accuracy rule. The row goes generate (parse) -> run -> oracle ->
// verdict, the same steps the checks use.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/numbers.h"
#include "impl/registry.h"
#include "oracle/accuracy.h"
#include "oracle/error.h"
#include "oracle/oracle.h"
#include "oracle/verdict.h"

namespace softcheck {
namespace {

// Rows longer than this print a summary per implementation instead of
// every element.
constexpr size_t kMaxColumns = 6;

template <typename T>
void Call(const SoftmaxKernel& k, const T* x, T* y, size_t n, T temperature) {
  if constexpr (sizeof(T) == 4) k.f32(x, y, n, temperature);
  else k.f64(x, y, n, temperature);
}

// A plain word for what went wrong with an output, or "" when it is finite.
template <typename T>
std::string Flag(T actual, long double exact) {
  if (std::isnan(actual) && !std::isnan(exact)) return "NaN";
  if (std::isinf(actual)) return "overflow";
  return "";
}

template <typename T>
int EvalTyped(const EvalOptions& o, const std::vector<const SoftmaxKernel*>& kernels) {
  std::vector<T> x;
  x.reserve(o.values.size());
  for (const std::string& s : o.values) {
    std::string error;
    const auto v = ParseValue<T>(s, &error);
    if (!v) return Trouble(error);
    x.push_back(*v);
  }
  std::string error;
  const auto t = ParseValue<T>(o.temperature, &error);
  if (!t) return Trouble("--temperature: " + error);
  if (!(*t >= 0)) return Trouble(fmt::format(
      "--temperature must be >= 0 (0 is the argmax limit), got {}", o.temperature));

  oracle::Options oo;
  oo.backend = o.oracle == "cpp_bin_float" ? oracle::Backend::kCppBinFloat
                                           : oracle::Backend::kMpfr;
  const size_t n = x.size();
  const oracle::SoftmaxResult<T> ref = oracle::Softmax(x.data(), n, *t, oo);

  fmt::print("softmax {}  n = {}  T = {}  (oracle: {}, {} bits)\n", o.type, n,
             FormatDecimal(*t), o.oracle, oo.bits);
  for (size_t i = 0; i < std::min(n, size_t{16}); ++i)
    fmt::print("  x[{}] = {}\n", i, FormatValue(x[i]));
  if (n > 16) fmt::print("  ... ({} more)\n", n - 16);
  fmt::print("\n");

  const bool wide = n <= kMaxColumns;
  const int name_w = 16;
  const int col = sizeof(T) == 4 ? 30 : 44;  // "decimal (hex)" of the type
  std::string head = fmt::format("{:<{}}", "", name_w);
  if (wide) {
    for (size_t i = 0; i < n; ++i) head += fmt::format("  {:<{}}", fmt::format("y[{}]", i), col);
  } else {
    head += fmt::format("  {:<{}}", "worst element", col);
  }
  fmt::print("{}  {:>9}  {}\n", head, "max ULP", "verdict");
  std::string line = fmt::format("{:<{}}", "oracle", name_w);
  if (wide) {
    for (size_t i = 0; i < n; ++i) line += fmt::format("  {:<{}}", FormatValue(ref.rounded[i]), col);
  } else {
    line += fmt::format("  {:<{}}", "(correctly rounded)", col);
  }
  fmt::print("{}  {:>9}  {}\n", line, "", "exact, rounded to nearest");

  for (const SoftmaxKernel* k : kernels) {
    std::vector<T> y(n, std::numeric_limits<T>::quiet_NaN());
    Call<T>(*k, x.data(), y.data(), n, *t);
    AccuracyRule rule;
    rule.exp_ulp = k->claims.exp_ulp;
    const RowVerdict v = JudgeRow<T>(x.data(), n, *t, y.data(), ref.exact, rule);
    size_t flagged = 0;
    std::string flag;
    for (size_t i = 0; i < n; ++i) {
      const std::string f = Flag(y[i], ref.exact[i]);
      if (!f.empty() && flagged++ == 0) flag = f;
    }
    std::string verdict;
    for (const Finding& f : v.findings) {
      verdict += verdict.empty() ? "FAIL " : ", ";
      verdict += ClauseName(f.clause);
      if (k->claims.Expected(f.clause)) verdict += " (expected)";
    }
    if (verdict.empty()) verdict = "ok";
    if (!flag.empty()) verdict += fmt::format("  [{} in {}/{} outputs]", flag, flagged, n);
    std::string row = fmt::format("{:<{}}", k->name, name_w);
    if (wide) {
      for (size_t i = 0; i < n; ++i) row += fmt::format("  {:<{}}", FormatValue(y[i]), col);
    } else if (n > 0) {
      const size_t w = v.accuracy.worst_index;
      row += fmt::format("  {:<{}}", fmt::format("[{}] {}", w, FormatValue(y[w])), col);
    }
    const double max_ulp = v.accuracy.max_ulp;
    const std::string ulp = v.accuracy.judged == 0 ? "-"
                            : std::isinf(max_ulp)  ? "inf"
                                                   : fmt::format("{:.3g}", max_ulp);
    fmt::print("{}  {:>9}  {}\n", row, ulp, verdict);
  }
  return kExitOk;
}

}  // namespace

int RunEval(const EvalOptions& o) {
  if (o.values.empty())
    return Trouble("eval: no values given (usage: softcheck eval [options] -- VALUES...)");
  std::vector<const SoftmaxKernel*> kernels;
  for (const SoftmaxKernel& k : SoftmaxKernels())
    if (o.impl.empty() || k.name == o.impl || k.family == o.impl) kernels.push_back(&k);
  if (kernels.empty()) {
    std::string names;
    for (const SoftmaxKernel& k : SoftmaxKernels()) names += (names.empty() ? "" : ", ") + k.name;
    return Trouble(fmt::format("unknown implementation '{}' (known: {})", o.impl, names));
  }
  if (o.type == "f32") return EvalTyped<float>(o, kernels);
  return EvalTyped<double>(o, kernels);
}

}  // namespace softcheck
