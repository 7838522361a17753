// softcheck eval: every implementation's output on one row, beside the
// oracle's correctly rounded result, with the error in ULP and the verdict of
// the accuracy rule. The row goes generate (parse) -> run -> oracle ->
// verdict, the same steps the checks use.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
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
#include "gate/check.h"

namespace softcheck {
namespace {

// Rows longer than this print a summary per implementation instead of
// every element.
constexpr size_t kMaxColumns = 6;

// A plain word for what went wrong with an output, or "" when it is finite.
template <typename T>
std::string Flag(T actual, long double exact) {
  if (std::isnan(actual) && !std::isnan(exact)) return "NaN";
  if (std::isinf(actual)) return "overflow";
  return "";
}

// One row of the table: a built-in, run in process, or a user's kernel from a
// shared library, run isolated (it may crash or hang; eval reports that).
template <typename T>
struct Runner {
  std::string name;
  Claims claims;
  // Fills y; "" or a one-line failure (crash, hang).
  std::function<std::string(const std::vector<T>&, T, std::vector<T>*)> run;
};

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
  std::vector<Runner<T>> runners;
  for (const SoftmaxKernel* k : kernels)
    runners.push_back({k->name, k->claims,
                       [k](const std::vector<T>& in, T temp, std::vector<T>* y) {
                         k->Run(in.data(), y->data(), in.size(), temp);
                         return std::string();
                       }});
  if (!o.lib.empty()) {
    if (*t != 1) return Trouble("eval: --temperature does not apply to --lib kernels (the C ABI has none)");
    Claims c;
    c.takes_temperature = false;
    // Not const: clang and g++ disagree on whether a constant needs capturing.
    KernelKind kind = sizeof(T) == 4 ? KernelKind::kSoftmaxF32 : KernelKind::kSoftmaxF64;
    const std::string lib = o.lib, symbol = o.symbol;
    std::string trouble = ProbeLibrary(lib, symbol);
    if (!trouble.empty()) return Trouble(trouble);
    runners.push_back({symbol, c,
                       [lib, symbol, kind](const std::vector<T>& in, T, std::vector<T>* y) {
                         std::vector<double> xd(in.begin(), in.end()), yd;
                         std::string why;
                         const std::string failure =
                             RunLibraryOnce(lib, symbol, kind, xd, 10, &yd, &why);
                         if (!why.empty()) return why;
                         if (!failure.empty()) return failure;
                         for (size_t i = 0; i < yd.size(); ++i) (*y)[i] = static_cast<T>(yd[i]);
                         return std::string();
                       }});
  }
  const size_t n = x.size();
  const oracle::SoftmaxResult<T> ref = oracle::Softmax(x.data(), n, *t, oo);

  fmt::print("softmax {}  n = {}  T = {}  (oracle: {}, {} bits)\n", LaneTypeName<T>(), n,
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

  int exit_code = kExitOk;
  for (const Runner<T>& k : runners) {
    std::vector<T> y(n, std::numeric_limits<T>::quiet_NaN());
    const std::string failure = k.run(x, *t, &y);
    if (!failure.empty()) {
      // The user's kernel crashed or hung in its worker: say so, carry on.
      fmt::print("{:<{}}  {}\n", k.name, name_w, failure);
      exit_code = kExitFinding;
      continue;
    }
    const AccuracyRule rule = RuleFor(k.claims);
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
      if (k.claims.Expected(f.clause)) {
        verdict += " (expected)";
      } else {
        exit_code = kExitFinding;  // a broken promise is a finding
      }
    }
    if (verdict.empty()) verdict = "ok";
    if (!flag.empty()) verdict += fmt::format("  [{} in {}/{} outputs]", flag, flagged, n);
    std::string row = fmt::format("{:<{}}", k.name, name_w);
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
  return exit_code;
}

}  // namespace

int RunEval(const EvalOptions& o) {
  if (o.kind == "attention-f32") return RunEvalAttention(o);
  if (!o.shape.empty() || o.causal_given || !o.scale.empty() || !o.q.empty() || !o.k.empty() ||
      !o.v.empty() || !o.mask.empty())
    return Trouble("eval: --shape/--causal/--scale/--q/--k/--v/--mask need --kind attention-f32");
  if (o.values.empty())
    return Trouble("eval: no values given (usage: softcheck eval [options] -- VALUES...)");
  if (o.lib.empty() != o.symbol.empty())
    return Trouble("eval: --lib and --symbol go together (a shared library and its kernel)");
  if (o.kind != "softmax-f32" && o.kind != "softmax-f64")
    return Trouble(fmt::format(
        "eval: unknown --kind '{}' (softmax-f32, softmax-f64 or attention-f32)", o.kind));
  // A --lib kernel's type is its --kind (softmax-f32 unless given); for the
  // built-ins a --kind given picks the type, as --type does.
  std::string type = o.type;
  if (!o.lib.empty() || o.kind_given) {
    const std::string kind_type = o.kind == "softmax-f32" ? "f32" : "f64";
    if (o.type_given && o.type != kind_type)
      return Trouble(fmt::format("eval: --type {} contradicts --kind {}", o.type, o.kind));
    type = kind_type;
  }
  std::vector<const SoftmaxKernel*> kernels;
  for (const SoftmaxKernel& k : SoftmaxKernels())
    if ((o.impl.empty() && o.lib.empty()) || k.name == o.impl || k.family == o.impl)
      kernels.push_back(&k);
  if (kernels.empty() && (o.lib.empty() || !o.impl.empty())) {
    std::string names;
    for (const SoftmaxKernel& k : SoftmaxKernels()) names += (names.empty() ? "" : ", ") + k.name;
    return Trouble(fmt::format("unknown implementation '{}' (known: {})", o.impl, names));
  }
  if (type == "f32") return EvalTyped<float>(o, kernels);
  return EvalTyped<double>(o, kernels);
}

}  // namespace softcheck
