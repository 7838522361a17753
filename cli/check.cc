// softcheck check: the gate. Runs the property suite, the oracle comparison
// and a burst of random bit patterns against the built-ins (each against its
// declared claims) or against a user's kernel in a shared library, isolated
// in worker processes, and writes the human, JSON and JUnit reports.
#include <fmt/format.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "gate/check.h"
#include "gate/report.h"
#include "impl/registry.h"

namespace softcheck {

int RunCheck(const CheckCommandOptions& o) {
  GateOptions g;
  g.seed = o.seed;
  g.cases = o.cases;
  g.budget_s = o.budget;
  g.timeout_s = o.timeout;
  g.exp_ulp = o.exp_ulp;
  g.slack = o.slack;
  g.sequential_sum = o.sum == "sequential";
  g.fully_masked = o.fully_masked == "nan"   ? FullyMaskedRule::kNan
                   : o.fully_masked == "any" ? FullyMaskedRule::kAny
                                             : FullyMaskedRule::kZero;
  g.non_finite = o.non_finite == "any" ? NonFiniteRule::kAny : NonFiniteRule::kNan;
  g.progress = isatty(STDERR_FILENO) != 0;

  const bool user = !o.lib.empty() || !o.symbol.empty();
  if (user && !o.impl.empty())
    return Trouble("check: --impl and --lib/--symbol name different kernels; give one");
  if (!o.lib.empty() && o.symbol.empty())
    return Trouble("check: --lib needs --symbol (the function to check)");
  if (o.lib.empty() && !o.symbol.empty())
    return Trouble("check: --symbol needs --lib (the shared library that exports it)");

  std::vector<GateResult> runs;
  if (user) {
    KernelKind kind;
    if (!ParseKernelKind(o.kind, &kind))
      return Trouble(fmt::format("check: unknown --kind '{}' (softmax-f32 or softmax-f64)", o.kind));
    std::string trouble;
    GateResult r = CheckLibrary(o.lib, o.symbol, kind, g, &trouble);
    if (!trouble.empty()) return Trouble(trouble);
    runs.push_back(std::move(r));
  } else {
    std::vector<const SoftmaxKernel*> kernels;
    for (const SoftmaxKernel& k : SoftmaxKernels())
      if (o.impl.empty() || k.name == o.impl || k.family == o.impl) kernels.push_back(&k);
    if (kernels.empty()) return Trouble(fmt::format("check: unknown implementation '{}'", o.impl));
    const KernelKind kind = o.type == "f64" ? KernelKind::kSoftmaxF64 : KernelKind::kSoftmaxF32;
    for (const SoftmaxKernel* k : kernels) runs.push_back(CheckBuiltin(*k, g, kind));
  }

  fmt::print("{}", HumanReport(runs));
  bool ok = true;
  for (const GateResult& r : runs) ok = ok && r.Ok();
  if (runs.size() > 1) {
    std::string table = "\nsummary (implementation x property):\n";
    for (const GateResult& r : runs) {
      if (r.results.empty()) continue;
      std::string line = fmt::format("  {:<16}", r.results.front().implementation);
      for (const PropertyResult& p : r.results) line += fmt::format(" {:<5}", StatusName(p.status));
      table += line + "\n";
    }
    fmt::print("{}", table);
  }
  if (!o.json.empty()) {
    const std::string e = WriteFile(o.json, JsonReport(runs));
    if (!e.empty()) return Trouble(e);
  }
  if (!o.junit.empty()) {
    const std::string e = WriteFile(o.junit, JunitReport(runs));
    if (!e.empty()) return Trouble(e);
  }
  fmt::print("{}\n", ok ? "softcheck check: every property held" : "softcheck check: FAILED");
  return ok ? kExitOk : kExitFinding;
}

}  // namespace softcheck
