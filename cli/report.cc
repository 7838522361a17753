// softcheck report: accuracy against the oracle and speed for every built-in,
// every peer and optionally a user's kernel, written as report.md,
// report.json and plots into --out (report/driver.h does the work).
#include <fmt/format.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "gate/isolation.h"
#include "report/driver.h"
#include "report/render.h"

namespace softcheck {

namespace {

// The largest sizes taken: softmax rows up to 2^24 (a 64 MiB float row; the
// defaults stop at 2^20); attention up to n = 2^14, where the materialised
// peers' n x n scores are already 1 GiB.
constexpr size_t kMaxSoftmaxSize = size_t{1} << 24;
constexpr size_t kMaxAttentionSize = size_t{1} << 14;

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// "64,1024,2^20" -> sizes, each from 1 to max; false on anything else
// (signs, blanks, sizes over the limit: stoul alone takes " 64", "+64", "-5").
bool ParseSizes(const std::string& text, size_t max, std::vector<size_t>* out) {
  out->clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(pos, comma - pos);
    if (item.empty()) return false;
    size_t value = 0;
    const size_t caret = item.find('^');
    try {
      size_t used = 0;
      if (caret != std::string::npos) {
        if (item.substr(0, caret) != "2" || !AllDigits(item.substr(caret + 1))) return false;
        const unsigned long e = std::stoul(item.substr(caret + 1), &used);
        if (used != item.size() - caret - 1 || e > 40) return false;
        value = size_t{1} << e;
      } else {
        if (!AllDigits(item) || item.size() > 9) return false;
        value = std::stoul(item, &used);
        if (used != item.size()) return false;
      }
    } catch (...) {
      return false;
    }
    if (value == 0 || value > max) return false;
    out->push_back(value);
    pos = comma + 1;
  }
  return !out->empty();
}

}  // namespace

int RunReport(const ReportCommandOptions& o) {
  report::ReportOptions r;
  r.quick = o.quick;
  r.seed = o.seed;
  r.timeout_s = o.timeout;
  r.reps = o.reps;
  r.contract_checks = !o.no_checks;
  r.gate_cases = o.cases;
  r.peers_plugin = o.peers_lib;
  r.lib = o.lib;
  r.symbol = o.symbol;
  // --kind is the --lib kernel's (softmax-f32 unless given); without --lib,
  // given, it is trouble (ValidateOptions), and not given, it is nothing.
  r.kind = o.kind.empty() && !o.lib.empty() ? "softmax-f32" : o.kind;
  r.attention_d = o.attention_d;
  r.progress = isatty(STDERR_FILENO) != 0;
  if (!o.sizes.empty() && !ParseSizes(o.sizes, kMaxSoftmaxSize, &r.softmax_sizes))
    return Trouble(fmt::format("report: malformed --sizes '{}' (e.g. 64,1024,2^20; each 1 to 2^24)", o.sizes));
  if (!o.attention_sizes.empty() && !ParseSizes(o.attention_sizes, kMaxAttentionSize, &r.attention_sizes))
    return Trouble(fmt::format("report: malformed --attention-sizes '{}' (e.g. 512,2048; each 1 to 2^14)",
                               o.attention_sizes));
  r.kinds = o.only;
  // A user's kernel alone in its section unless --only says otherwise: its
  // kind's section is always made.
  std::string why = report::ValidateOptions(r);
  if (!why.empty()) return Trouble(why);
  why = report::PrepareOutputDir(o.out);
  if (!why.empty()) return Trouble(why);

  // SIGINT, SIGTERM or SIGHUP: the worker is killed, what is left is
  // recorded as not run, and the report is written with what finished.
  gate::DeferInterrupts();
  std::string trouble;
  report::Report rep = report::BuildReport(r, &trouble);
  if (!trouble.empty()) return Trouble("report: " + trouble);
  std::vector<std::string> notes;
  why = report::WriteReport(&rep, o.out, &notes);
  if (const int sig = gate::Interrupted()) {
    size_t cells = 0, not_run = 0;
    for (const report::Section& sec : rep.sections)
      for (const report::Implementation& impl : sec.implementations)
        for (const report::Cell& c : impl.cells) {
          ++cells;
          if (c.failure.rfind(gate::kInterruptedNotRun, 0) == 0) ++not_run;
        }
    // (A signal after the last measurement, while writing, leaves a whole
    // report that does not say "interrupted"; the exit code still does.)
    Trouble(fmt::format("report: interrupted by {}: {} of {} measurements finished; {}",
                        gate::SignalName(sig), cells - not_run, cells,
                        why.empty() ? fmt::format("wrote {}/report.md and report.json with the rest "
                                                  "as not run", o.out)
                                    : why));
    return 128 + sig;
  }
  if (!why.empty()) return Trouble(why);
  for (size_t i = 0; i < notes.size(); ++i)
    if (i == 0 || notes[i] != notes[i - 1]) fmt::print(stderr, "softcheck: note: {}\n", notes[i]);
  fmt::print("softcheck report: wrote {0}/report.md, {0}/report.json", o.out);
  for (const std::string& p : rep.plots) fmt::print(", {}/{}", o.out, p);
  fmt::print(" in {:.0f} s\n", rep.seconds);
  if (report::HasFindings(rep)) {
    fmt::print("softcheck report: FINDINGS (a contract violation or crash of a built-in or "
               "your kernel: see the report's \"Contract violations\")\n");
    return kExitFinding;
  }
  return kExitOk;
}

}  // namespace softcheck
