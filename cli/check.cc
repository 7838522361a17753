// softcheck check: the gate. Runs the property suite, the oracle comparison
// and a burst of random bit patterns against the built-ins (each against its
// declared claims) or against a user's kernel in a shared library, isolated
// in worker processes, and writes the human, JSON and JUnit reports.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "gate/check.h"
#include "gate/isolation.h"
#include "gate/report.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"

namespace softcheck {
namespace {

// Whether a report can be written to `path`, asked before a run that may
// take minutes: "" or the reason. A file it had to create is removed again.
std::string CheckWritable(const std::string& path) {
  struct stat st;
  const bool existed = stat(path.c_str(), &st) == 0;
  if (existed && S_ISDIR(st.st_mode))
    return fmt::format("cannot write '{}': Is a directory", path);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return fmt::format("cannot write '{}': {}", path, std::strerror(errno));
  close(fd);
  if (!existed) unlink(path.c_str());
  return "";
}

}  // namespace

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

  for (const std::string* path : {&o.json, &o.junit}) {
    if (path->empty()) continue;
    const std::string why = CheckWritable(*path);
    if (!why.empty()) return Trouble(why);
  }
  // SIGINT, SIGTERM, SIGHUP: stop, kill the worker, and still write what ran.
  gate::DeferInterrupts();

  KernelKind kind;
  if (!ParseKernelKind(o.kind, &kind))
    return Trouble(fmt::format(
        "check: unknown --kind '{}' (softmax-f32, softmax-f64 or attention-f32)", o.kind));
  std::vector<GateResult> runs;
  if (user && o.type_given &&
      (kind == KernelKind::kAttentionF32 || (kind == KernelKind::kSoftmaxF64) != (o.type == "f64")))
    return Trouble(fmt::format("check: --type {} contradicts --kind {} (a --lib kernel's type is "
                               "its --kind)", o.type, o.kind));
  if (user) {
    std::string trouble;
    GateResult r = CheckLibrary(o.lib, o.symbol, kind, g, &trouble);
    if (!trouble.empty()) return Trouble(trouble);
    runs.push_back(std::move(r));
  } else {
    // The built-ins: softmax (at --type, or the type --kind names) and
    // attention, or the one operation --kind names.
    const bool attention_only = o.kind_given && kind == KernelKind::kAttentionF32;
    const bool softmax_only = o.kind_given && !attention_only;
    if (attention_only && o.type_given)
      return Trouble("check: --type applies to softmax; attention-f32 is float only");
    KernelKind softmax_kind = o.type == "f64" ? KernelKind::kSoftmaxF64 : KernelKind::kSoftmaxF32;
    if (softmax_only) {
      if (o.type_given && (kind == KernelKind::kSoftmaxF64) != (o.type == "f64"))
        return Trouble(fmt::format("check: --type {} contradicts --kind {}", o.type, o.kind));
      softmax_kind = kind;
    }
    std::vector<const SoftmaxKernel*> kernels;
    if (!attention_only)
      for (const SoftmaxKernel& k : SoftmaxKernels())
        if (o.impl.empty() || k.name == o.impl || k.family == o.impl) kernels.push_back(&k);
    std::vector<const AttentionKernel*> attention;
    if (!softmax_only && !(o.type_given && !o.kind_given))
      for (const AttentionKernel& k : AttentionKernels())
        if (o.impl.empty() || k.name == o.impl || k.family == o.impl) attention.push_back(&k);
    if (kernels.empty() && attention.empty())
      return Trouble(fmt::format("check: unknown implementation '{}'", o.impl));
    // After an interruption the rest run no worker: each lists its
    // properties as not run.
    for (const SoftmaxKernel* k : kernels) runs.push_back(CheckBuiltin(*k, g, softmax_kind));
    for (const AttentionKernel* k : attention) runs.push_back(CheckBuiltin(*k, g));
  }

  // The files first, each whatever happens to the other or to stdout.
  std::string write_errors;
  auto write = [&](const std::string& path, const std::string& text) {
    if (path.empty()) return;
    const std::string e = WriteFile(path, text);
    if (!e.empty()) write_errors += (write_errors.empty() ? "" : "; ") + e;
  };
  write(o.json, JsonReport(runs));
  write(o.junit, JunitReport(runs));

  fmt::print("{}", HumanReport(runs));
  bool ok = true;
  for (const GateResult& r : runs) ok = ok && r.Ok();
  if (runs.size() > 1) {
    std::string table = "\nsummary (implementation x property):\n";
    for (const GateResult& r : runs) {
      if (r.results.empty()) continue;
      // Softmax and attention built-ins share names: attention says so.
      const std::string name = (r.kind == "attention-f32" ? "attention " : "") +
                               r.results.front().implementation;
      std::string line = fmt::format("  {:<24}", name);
      for (const PropertyResult& p : r.results) line += fmt::format(" {:<5}", StatusName(p.status));
      table += line + "\n";
    }
    fmt::print("{}", table);
  }
  if (const int sig = gate::Interrupted()) {
    int ran = 0, planned = 0;
    for (const GateResult& r : runs) {
      planned += static_cast<int>(r.results.size());
      ran += static_cast<int>(r.results.size()) - r.NotRun();
    }
    std::fflush(stdout);
    Trouble(fmt::format("interrupted by {}: {} of {} properties finished{}", gate::SignalName(sig),
                        ran, planned,
                        write_errors.empty() ? "; the reports list the rest as not run" : "; " + write_errors));
    return 128 + sig;
  }
  if (!write_errors.empty()) return Trouble(write_errors);
  fmt::print("{}\n", ok ? "softcheck check: every property held" : "softcheck check: FAILED");
  return ok ? kExitOk : kExitFinding;
}

}  // namespace softcheck
