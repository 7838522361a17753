#include "report/render.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "gate/report.h"

namespace softcheck::report {

using json = nlohmann::json;

namespace {

json Num(double v) {
  if (std::isfinite(v)) return v;
  if (std::isnan(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

double NumFrom(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
  }
  return NAN;
}

json DistJson(const DistributionError& e) {
  return {{"distribution", e.distribution}, {"elements", e.elements}, {"max_ulp", Num(e.max_ulp)},
          {"median_ulp", Num(e.median_ulp)}, {"max_rel", Num(e.max_rel)},
          {"nonfinite", e.nonfinite}, {"underflow", e.underflow},
          {"max_ulp_above_floor", Num(e.max_ulp_above_floor)}};
}

json CellJsonValue(const Cell& c) {
  json j = {{"n", c.n},
            {"ns_per_element", Num(c.ns_per_element)},
            {"gb_per_s", Num(c.gb_per_s)},
            {"gflop_per_s", Num(c.gflop_per_s)},
            {"reps", c.reps},
            {"calls_per_rep", c.calls_per_rep},
            {"spread", Num(c.spread)},
            {"max_ulp", Num(c.max_ulp)},
            {"median_ulp", Num(c.median_ulp)},
            {"max_rel", Num(c.max_rel)},
            {"nonfinite", c.nonfinite},
            {"underflow", c.underflow},
            {"max_ulp_above_floor", Num(c.max_ulp_above_floor)},
            {"distributions", json::array()}};
  for (const DistributionError& e : c.distributions) j["distributions"].push_back(DistJson(e));
  if (!c.failure.empty()) j["failure"] = c.failure;
  return j;
}

std::string Ulp(double v) {
  if (std::isinf(v)) return "inf";
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.3g}", v);
}

std::string Rel(double v) {
  if (!std::isfinite(v)) return Ulp(v);
  if (v == 0) return "0";
  return fmt::format("{:.2e}", v);
}

std::string Speed(double v) {
  if (!std::isfinite(v)) return "—";
  return fmt::format("{:.3g}", v);
}

// The clause a finding breaks: the gate's message names it ("breaks
// fully-masked: ...") when it differs from the property's own clause (a
// NaN row met by SumsToOne breaks nan-propagation, not sums-to-one).
std::string BrokenClause(const Violation& v) {
  const std::string key = "breaks ";
  const size_t at = v.message.find(key);
  if (at != std::string::npos) {
    const size_t from = at + key.size();
    const size_t end = v.message.find_first_of(": ", from);
    if (end != std::string::npos && end > from) return v.message.substr(from, end - from);
  }
  return v.clause.empty() ? v.property : v.clause;
}

// The table's contract column: what broke, by clause; what is declared.
std::string ContractCell(const ContractResult& c) {
  if (c.state != "checked") return c.state.rfind("trouble", 0) == 0 ? "trouble (see below)" : "not checked";
  // Broken clauses by name; crashes and hangs counted (a kernel that crashes
  // on every property would otherwise fill the row).
  std::vector<std::string> parts;
  std::set<std::string> seen;
  size_t crashes = 0, hangs = 0;
  for (const Violation& v : c.violations) {
    if (v.status == "CRASH") { ++crashes; continue; }
    if (v.status == "HANG") { ++hangs; continue; }
    const std::string what = BrokenClause(v) + (v.status == "FAIL" ? "" : " " + v.status);
    if (seen.insert(what).second) parts.push_back(what);
  }
  if (crashes) parts.push_back(fmt::format("CRASH in {} properties", crashes));
  if (hangs) parts.push_back(fmt::format("HANG in {} properties", hangs));
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  if (out.empty()) out = "none";
  else out = "**" + out + "**";
  if (!c.declared.empty()) {
    std::set<std::string> clauses;
    for (const std::string& d : c.declared) clauses.insert(d.substr(0, d.find(' ')));
    std::string declared;
    for (const std::string& d : clauses) declared += (declared.empty() ? "" : ", ") + d;
    out += " (declared: " + declared + ")";
  }
  return out;
}

std::string Md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

std::string CellToJson(const Cell& cell) { return CellJsonValue(cell).dump(); }

bool CellFromJson(const std::string& text, Cell* c) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  *c = Cell{};
  c->n = j.value("n", size_t{0});
  c->ns_per_element = NumFrom(j["ns_per_element"]);
  c->gb_per_s = NumFrom(j["gb_per_s"]);
  c->gflop_per_s = NumFrom(j["gflop_per_s"]);
  c->reps = j.value("reps", 0);
  c->calls_per_rep = j.value("calls_per_rep", 0L);
  c->spread = NumFrom(j["spread"]);
  c->max_ulp = NumFrom(j["max_ulp"]);
  c->median_ulp = NumFrom(j["median_ulp"]);
  c->max_rel = NumFrom(j["max_rel"]);
  c->nonfinite = j.value("nonfinite", size_t{0});
  c->underflow = j.value("underflow", size_t{0});
  c->max_ulp_above_floor = NumFrom(j["max_ulp_above_floor"]);
  for (const json& d : j.value("distributions", json::array())) {
    DistributionError e;
    e.distribution = d.value("distribution", "");
    e.elements = d.value("elements", size_t{0});
    e.max_ulp = NumFrom(d["max_ulp"]);
    e.median_ulp = NumFrom(d["median_ulp"]);
    e.max_rel = NumFrom(d["max_rel"]);
    e.nonfinite = d.value("nonfinite", size_t{0});
    e.underflow = d.value("underflow", size_t{0});
    e.max_ulp_above_floor = NumFrom(d["max_ulp_above_floor"]);
    c->distributions.push_back(e);
  }
  c->failure = j.value("failure", "");
  return true;
}

std::string ReportJson(const Report& r) {
  json j = {{"schema", r.schema},       {"tool", "softcheck report"},
            {"date", r.date},           {"cpu", r.cpu},
            {"host_target", r.host_target}, {"compiler", r.compiler},
            {"quick", r.quick},         {"seconds", Num(r.seconds)},
            {"missing_peers", r.missing_peers}, {"distributions", r.distribution_docs},
            {"plots", r.plots},         {"sections", json::array()}};
  if (!r.interrupted.empty()) j["interrupted"] = r.interrupted;
  for (const Section& s : r.sections) {
    json js = {{"kind", s.kind}, {"speed_unit", s.speed_unit}, {"distributions", s.distributions},
               {"notes", s.notes}, {"special_rows", s.special_rows},
               {"implementations", json::array()}};
    for (const Implementation& impl : s.implementations) {
      json ji = {{"name", impl.name}, {"origin", impl.origin}, {"detail", impl.detail},
                 {"special_outputs", impl.special_outputs}, {"cells", json::array()}};
      for (const Cell& c : impl.cells) ji["cells"].push_back(CellJsonValue(c));
      json jc = {{"state", impl.contract.state},
                 {"properties", impl.contract.properties},
                 {"cases", impl.contract.cases},
                 {"seconds", Num(impl.contract.seconds)},
                 {"declared", impl.contract.declared},
                 {"violations", json::array()}};
      for (const Violation& v : impl.contract.violations)
        jc["violations"].push_back({{"property", v.property}, {"clause", v.clause},
                                    {"status", v.status}, {"message", v.message},
                                    {"example", v.example}, {"reproduce", v.reproduce}});
      ji["contract"] = jc;
      js["implementations"].push_back(ji);
    }
    j["sections"].push_back(js);
  }
  return j.dump(2) + "\n";
}

std::string PlotFileName(const Section& s) { return "plot-" + s.kind + ".svg"; }

PlotSpec SectionPlot(const Section& s, const Report& r) {
  PlotSpec p;
  p.title = fmt::format("{}: max error against time ({}, {})", s.kind, r.cpu, r.date.substr(0, 10));
  p.x_label = s.kind.rfind("attention", 0) == 0 ? "time per score (query-key pair), ns (log)"
                                                : "time per element, ns (log)";
  // Tiny outputs (below the rule's floor, which the kernels may flush) are
  // left out of the plotted error: each can be 10^10 ULPs and hide the rest.
  p.y_label = s.kind == "softmax-f64" ? "max error, ULP of the exact value >= 2^-970 (log)"
                                      : "max error, ULP of the exact value >= 2^-103 (log)";
  for (const Implementation& impl : s.implementations)
    for (const Cell& c : impl.cells) {
      if (!c.failure.empty()) continue;
      PlotPoint pt;
      pt.series = impl.name;
      pt.origin = impl.origin;
      pt.label = ShortSize(c.n);
      pt.x = c.ns_per_element;
      pt.y = c.max_ulp_above_floor;
      p.points.push_back(pt);
    }
  return p;
}

std::string ReportMarkdown(const Report& r) {
  std::string md = "# softcheck report: accuracy against speed\n\n";
  md += fmt::format("Run {} on {} (Highway dispatch: {}), {}, single thread, {:.0f} s.{}\n\n",
                    r.date, r.cpu, r.host_target, r.compiler, r.seconds,
                    r.quick ? " **Quick run** (`--quick`): fewer sizes, repetitions and cases; "
                              "a smoke test, not numbers to quote."
                            : "");
  if (!r.interrupted.empty())
    md += fmt::format("**Interrupted** ({}): what had finished is below; the rest reads "
                      "\"not run\" or \"not checked\".\n\n", r.interrupted);
  md += "Regenerate: `softcheck report --out DIR` (docs/report.md explains every column).\n\n";
  if (!r.missing_peers.empty()) {
    md += "Peers not built in:\n\n";
    for (const std::string& m : r.missing_peers) md += "- " + m + "\n";
    md += "\n";
  }
  md += "## Input distributions\n\n";
  for (const std::string& d : r.distribution_docs) md += "- " + d + "\n";
  md += "\nError: ULPs of the exact value (the oracle's, to 64 bits), inf where an output is NaN "
        "or inf and the exact value is finite; max and median over every output of every "
        "distribution. \"Tiny\" counts outputs whose exact value is below 2^-103 (float; "
        "2^-970 double), where the accuracy rule's FLT_MIN floor is more than an ULP and a "
        "kernel may flush, that are more than 1 ULP off; the max ULP above that and the "
        "relative error leave them out, and so does the plot. "
        "Contract: the gate's properties (`softcheck check`) on each implementation; bold "
        "clauses are broken, declared ones are the built-ins' own expected failures.\n";
  for (const Section& s : r.sections) {
    md += fmt::format("\n## {}\n\n", s.kind);
    const std::string plot = PlotFileName(s);
    md += fmt::format("![{}: max error against time per element]({})\n\n", s.kind, plot);
    md += fmt::format("| implementation | origin | n | ns/element | {} | max ULP | median ULP | "
                      "max rel. error | contract violations |\n",
                      s.speed_unit);
    md += "|---|---|--:|--:|--:|--:|--:|--:|---|\n";
    for (const Implementation& impl : s.implementations) {
      const std::string contract = ContractCell(impl.contract);
      const std::string origin =
          impl.origin == "built-in" ? impl.detail : impl.origin + ", " + impl.detail;
      for (const Cell& c : impl.cells) {
        if (!c.failure.empty()) {
          md += fmt::format("| {} | {} | {} | {} | — | — | — | — | {} |\n", Md(impl.name),
                            Md(origin), c.n, Md(c.failure), contract);
          continue;
        }
        const double speed = s.speed_unit == "GB/s" ? c.gb_per_s : c.gflop_per_s;
        std::string max_ulp = Ulp(c.max_ulp);
        if (c.nonfinite) max_ulp += fmt::format(" ({} NaN/inf)", c.nonfinite);
        if (c.underflow)
          max_ulp += fmt::format(" ({} tiny; {} above {})", c.underflow,
                                 Ulp(c.max_ulp_above_floor), s.kind == "softmax-f64" ? "2^-970" : "2^-103");
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", Md(impl.name),
                          Md(origin), c.n, Speed(c.ns_per_element), Speed(speed), max_ulp,
                          Ulp(c.median_ulp), Rel(c.max_rel), contract);
      }
    }
    md += "\n";
    for (const std::string& note : s.notes) md += "- " + note + "\n";
    // Which distribution the error comes from.
    md += "\nMax ULP by distribution (worst over the sizes):\n\n| implementation |";
    for (const std::string& d : s.distributions) md += " " + d + " |";
    md += "\n|---|";
    for (size_t i = 0; i < s.distributions.size(); ++i) md += "--:|";
    md += "\n";
    for (const Implementation& impl : s.implementations) {
      md += "| " + Md(impl.name) + " |";
      for (const std::string& d : s.distributions) {
        double worst = 0;
        bool any = false;
        for (const Cell& c : impl.cells)
          for (const DistributionError& e : c.distributions)
            if (e.distribution == d) {
              worst = std::max(worst, e.max_ulp);
              any = true;
            }
        md.append(" ").append(any ? Ulp(worst) : std::string("—")).append(" |");
      }
      md += "\n";
    }
    if (!s.special_rows.empty()) {
      md += "\nWhat each returns on the contract's hard rows (contract: NaN or +inf gives all "
            "NaN, a fully masked row all +0, -inf entries +0; run once each, without guard "
            "pages):\n\n| implementation |";
      for (const std::string& row : s.special_rows) md += " " + Md(row) + " |";
      md += "\n|---|";
      for (size_t i = 0; i < s.special_rows.size(); ++i) md += "---|";
      md += "\n";
      for (const Implementation& impl : s.implementations) {
        md += "| " + Md(impl.name) + " |";
        for (size_t i = 0; i < s.special_rows.size(); ++i)
          md.append(" ")
              .append(i < impl.special_outputs.size() ? Md(impl.special_outputs[i]) : "—")
              .append(" |");
        md += "\n";
      }
    }
  }
  md += "\n## Contract violations\n\n";
  md += "What the gate's properties found, as it printed them (`softcheck check --lib "
        "libsoftcheck_peers.so --symbol ... --kind ...` replays a peer's).\n";
  for (const Section& s : r.sections) {
    md += fmt::format("\n### {}\n\n", s.kind);
    bool any = false;
    for (const Implementation& impl : s.implementations) {
      const ContractResult& c = impl.contract;
      if (c.state != "checked") {
        md += fmt::format("- **{}** ({}): {}\n", impl.name, impl.origin, c.state);
        any = true;
        continue;
      }
      if (c.violations.empty()) continue;
      any = true;
      md += fmt::format("- **{}** ({}, {}): {} of {} properties broken ({} cases)\n", impl.name,
                        impl.origin, impl.detail, c.violations.size(), c.properties, c.cases);
      for (const Violation& v : c.violations) {
        md += fmt::format("  - `{}` ({}) {}: {}\n", v.property, v.clause, v.status, v.message);
        if (!v.example.empty()) {
          md += "    ```\n";
          size_t pos = 0;
          while (pos < v.example.size()) {
            size_t nl = v.example.find('\n', pos);
            if (nl == std::string::npos) nl = v.example.size();
            md += "    " + v.example.substr(pos, nl - pos) + "\n";
            pos = nl + 1;
          }
          md += "    ```\n";
        }
        if (!v.reproduce.empty()) md += fmt::format("    replay: `{}`\n", v.reproduce);
      }
    }
    std::string declared;
    for (const Implementation& impl : s.implementations)
      if (!impl.contract.declared.empty()) {
        declared += fmt::format("{}{}: ", declared.empty() ? "" : "; ", impl.name);
        for (size_t i = 0; i < impl.contract.declared.size(); ++i)
          declared += (i ? ", " : "") + impl.contract.declared[i];
      }
    if (!any) md += "None found.\n";
    if (!declared.empty())
      md += fmt::format("\nDeclared expected failures, still failing as declared: {}.\n", declared);
  }
  return md;
}

std::string PrepareOutputDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fmt::format("report: cannot create '{}': {}", dir, ec.message());
  if (!std::filesystem::is_directory(dir, ec))
    return fmt::format("report: '{}' is not a directory", dir);
  const std::string probe = dir + "/.softcheck-write-test";
  {
    std::ofstream f(probe);
    if (!f) return fmt::format("report: cannot write in '{}'", dir);
  }
  std::filesystem::remove(probe, ec);
  return "";
}

std::string WriteReport(Report* r, const std::string& dir, std::vector<std::string>* notes) {
  r->plots.clear();
  for (const Section& s : r->sections) {
    const std::string svg = PlotFileName(s);
    std::string e = WriteFile(dir + "/" + svg, ErrorTimePlotSvg(SectionPlot(s, *r)));
    if (!e.empty()) return e;
    r->plots.push_back(svg);
    const std::string png = svg.substr(0, svg.size() - 4) + ".png";
    e = SvgToPng(dir + "/" + svg, dir + "/" + png);
    if (e.empty()) r->plots.push_back(png);
    else if (notes) notes->push_back(e);
  }
  std::string e = WriteFile(dir + "/report.json", ReportJson(*r));
  if (!e.empty()) return e;
  return WriteFile(dir + "/report.md", ReportMarkdown(*r));
}

}  // namespace softcheck::report
