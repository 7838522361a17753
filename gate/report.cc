#include "gate/report.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gate/isolation.h"

namespace softcheck {
namespace {

int Failed(const GateResult& r) {
  int k = 0;
  for (const PropertyResult& p : r.results) k += StatusFails(p.status);
  return k;
}

std::string Indent(const std::string& text, const char* pad) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out += pad + text.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return out;
}

// XML 1.0 allows tab, newline and carriage return among the control
// characters, nothing else: the rest become '?'.
std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += '?';
        else
          out += c;
    }
  }
  return out;
}

}  // namespace

std::string HumanReport(const std::vector<GateResult>& runs) {
  std::string out;
  for (const GateResult& r : runs) {
    const std::string name = r.results.empty() ? "?" : r.results.front().implementation;
    out += fmt::format("softcheck check: {} [{}] (seed {})\n", name, r.kind, r.seed);
    for (const PropertyResult& p : r.results) {
      out += fmt::format("  {:<5}  {:<38} {:>6} cases  {:>6.1f} s  {}\n",
                         StatusName(p.status),
                         fmt::format("{} ({})", p.property, p.clause), p.cases,
                         p.seconds, p.message);
      if (p.status != Status::kPass && p.status != Status::kSkipped) {
        if (!p.details.empty()) out += Indent(p.details, "         ");
        if (!p.reproduce.empty()) out += "         reproduce: " + p.reproduce + "\n";
        if (!p.rc_params.empty()) out += "         rapidcheck: " + p.rc_params + "\n";
      }
    }
    const double evals_per_s = r.seconds > 0 ? r.OracleEvals() / r.seconds : 0;
    int skipped = 0;
    for (const PropertyResult& p : r.results) skipped += p.status == Status::kSkipped;
    out += fmt::format(
        "  {} of {} properties held, {} failed, {} skipped; {} cases, {} elements, "
        "{} oracle rows ({:.0f}/s) in {:.1f} s\n",
        static_cast<int>(r.results.size()) - Failed(r) - skipped, r.results.size(),
        Failed(r), skipped, r.Cases(), r.Elements(), r.OracleEvals(), evals_per_s,
        r.seconds);
    if (r.interrupted)
      out += fmt::format("  interrupted by {}: the properties not run are listed as SKIP\n",
                         gate::SignalName(r.interrupted));
  }
  return out;
}

std::string JsonReport(const std::vector<GateResult>& runs) {
  using nlohmann::json;
  json doc;
  doc["schema"] = 1;
  doc["tool"] = "softcheck 0.1.0";
  bool ok = true;
  json results = json::array();
  int cases = 0, failed = 0;
  uint64_t elements = 0, evals = 0;
  double seconds = 0;
  for (const GateResult& r : runs) {
    ok = ok && r.Ok();
    cases += r.Cases();
    elements += r.Elements();
    evals += r.OracleEvals();
    seconds += r.seconds;
    failed += Failed(r);
    for (const PropertyResult& p : r.results) {
      results.push_back({{"implementation", p.implementation},
                         {"kind", r.kind},
                         {"property", p.property},
                         {"clause", p.clause},
                         {"claim", p.claim},
                         {"status", StatusName(p.status)},
                         {"failed", StatusFails(p.status)},
                         {"cases", p.cases},
                         {"elements", p.elements},
                         {"oracle_evals", p.oracle_evals},
                         {"seconds", p.seconds},
                         {"worst_error_ratio", p.worst_ratio},
                         {"message", p.message},
                         {"details", p.details},
                         {"reproduce", p.reproduce},
                         {"rc_params", p.rc_params},
                         {"seed", r.seed}});
    }
  }
  int interrupted = 0;
  for (const GateResult& r : runs)
    if (r.interrupted && !interrupted) interrupted = r.interrupted;
  doc["ok"] = ok;
  // null, or the signal that stopped the run ("SIGINT"): then the results
  // it did not reach say "not run" and ok is false.
  doc["interrupted"] = interrupted ? json(gate::SignalName(interrupted)) : json(nullptr);
  doc["totals"] = {{"results", results.size()},
                   {"failed", failed},
                   {"cases", cases},
                   {"elements", elements},
                   {"oracle_evals", evals},
                   {"seconds", seconds},
                   {"oracle_evals_per_second", seconds > 0 ? evals / seconds : 0.0}};
  doc["results"] = std::move(results);
  return doc.dump(2) + "\n";
}

std::string JunitReport(const std::vector<GateResult>& runs) {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
  std::string suites;
  for (const GateResult& r : runs) {
    int t = 0, f = 0, e = 0, s = 0;
    std::string cases;
    // Attention kernels share names with softmax ones: their suites say so.
    const std::string impl =
        (r.kind == "attention-f32" ? "attention." : "") +
        (r.results.empty() ? std::string("?") : r.results.front().implementation);
    for (const PropertyResult& p : r.results) {
      ++t;
      std::string body;
      const std::string detail = XmlEscape(p.details + (p.reproduce.empty() ? "" : "\nreproduce: " + p.reproduce) +
                                           (p.rc_params.empty() ? "" : "\nrapidcheck: " + p.rc_params));
      switch (p.status) {
        case Status::kFail:
        case Status::kUnexpectedPass:
          ++f;
          body = fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                             StatusName(p.status), XmlEscape(p.message), detail);
          break;
        case Status::kCrash:
        case Status::kHang:
          ++e;
          body = fmt::format("      <error type=\"{}\" message=\"{}\">{}</error>\n",
                             StatusName(p.status), XmlEscape(p.message), detail);
          break;
        case Status::kSkipped:
          ++s;
          body = fmt::format("      <skipped message=\"{}\"/>\n", XmlEscape(p.message));
          break;
        case Status::kExpectedFail:
          body = fmt::format("      <system-out>expected failure: {}\n{}</system-out>\n",
                             XmlEscape(p.message), detail);
          break;
        case Status::kPass:
          break;
      }
      cases += fmt::format("    <testcase classname=\"softcheck.{}\" name=\"{}\" time=\"{:.3f}\">\n{}    </testcase>\n",
                           XmlEscape(impl), XmlEscape(p.property), p.seconds, body);
    }
    suites += fmt::format(
        "  <testsuite name=\"softcheck.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n{}  </testsuite>\n",
        XmlEscape(impl), t, f, e, s, r.seconds, cases);
    tests += t;
    failures += f;
    errors += e;
    skipped += s;
    time += r.seconds;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"softcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n{}</testsuites>\n",
      tests, failures, errors, skipped, time, suites);
}

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return fmt::format("cannot write '{}': {}", path, std::strerror(errno));
  f << text;
  f.close();
  if (!f) return fmt::format("cannot write '{}': {}", path, std::strerror(errno));
  return "";
}

}  // namespace softcheck
