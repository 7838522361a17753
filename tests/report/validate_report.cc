// Reads back a directory written by `softcheck report` and checks it:
// report.json has every built-in (every registry entry) and every peer built
// in, each cell measured or naming its failure, accuracy numbers that agree
// with what the kernels claim (naive overflows on the wide distribution, the
// shifted kernels never give NaN), and every plot listed is there and is
// well-formed XML (PNG: the PNG signature).
//   softcheck_report_validate DIR [--png]
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "bench/peers/peers.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"
#include "tests/report/xml_check.h"

using json = nlohmann::json;

namespace {

int failures = 0;

void Fail(const std::string& what) {
  std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  ++failures;
}

std::string Read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

double Num(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string() && j.get<std::string>() == "inf") return INFINITY;
  return NAN;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: softcheck_report_validate DIR [--png]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const bool want_png = argc > 2 && std::string(argv[2]) == "--png";
  const json r = json::parse(Read(dir + "/report.json"), nullptr, false);
  if (r.is_discarded() || !r.is_object()) {
    Fail("report.json is missing or not JSON");
    return 1;
  }
  if (r.value("schema", 0) != 1) Fail("schema is not 1");
  for (const char* key : {"date", "cpu", "host_target", "compiler"})
    if (!r.contains(key) || !r[key].is_string() || r[key].get<std::string>().empty())
      Fail(fmt::format("no '{}'", key));
  if (!r.contains("sections") || r["sections"].empty()) Fail("no sections");
  for (const json& s : r.value("sections", json::array())) {
    const std::string kind = s.value("kind", "");
    const bool attention = kind == "attention-f32";
    std::set<std::string> names;
    for (const json& impl : s["implementations"]) names.insert(impl.value("name", ""));
    // Every registry entry and every peer built in.
    if (attention) {
      for (const softcheck::AttentionKernel& k : softcheck::AttentionKernels())
        if (!names.count(k.name)) Fail(fmt::format("{}: built-in {} missing", kind, k.name));
      for (const softcheck::peers::AttentionPeer& p : softcheck::peers::AttentionPeers())
        if (!names.count(p.name)) Fail(fmt::format("{}: peer {} missing", kind, p.name));
    } else {
      for (const softcheck::SoftmaxKernel& k : softcheck::SoftmaxKernels())
        if (!names.count(k.name)) Fail(fmt::format("{}: built-in {} missing", kind, k.name));
      if (kind == "softmax-f32")
        for (const softcheck::peers::SoftmaxPeer& p : softcheck::peers::SoftmaxPeers())
          if (!names.count(p.name)) Fail(fmt::format("{}: peer {} missing", kind, p.name));
    }
    const size_t dists = s["distributions"].size();
    for (const json& impl : s["implementations"]) {
      const std::string name = impl.value("name", "");
      const std::string origin = impl.value("origin", "");
      const std::string state = impl["contract"].value("state", "");
      if (origin == "built-in" && state != "checked" && state.rfind("not checked", 0) != 0)
        Fail(fmt::format("{} {}: contract state '{}'", kind, name, state));
      if (impl["cells"].empty()) Fail(fmt::format("{} {}: no cells", kind, name));
      for (const json& c : impl["cells"]) {
        const std::string where = fmt::format("{} {} n = {}", kind, name, c.value("n", 0));
        if (c.contains("failure")) {
          if (origin == "built-in") Fail(where + ": a built-in failed: " + c["failure"].get<std::string>());
          continue;
        }
        const double ns = Num(c["ns_per_element"]);
        const double speed = Num(c[attention ? "gflop_per_s" : "gb_per_s"]);
        if (!(ns > 0) || !std::isfinite(ns)) Fail(where + ": no time");
        if (!(speed > 0) || !std::isfinite(speed)) Fail(where + ": no speed");
        const double max_ulp = Num(c["max_ulp"]), median = Num(c["median_ulp"]);
        if (std::isnan(max_ulp) || std::isnan(median) || median > max_ulp)
          Fail(where + ": max/median ULP inconsistent");
        if (c["distributions"].size() != dists) Fail(where + ": distributions missing");
        for (const json& d : c["distributions"]) {
          if (d.value("elements", 0) == 0) Fail(where + ": a distribution with no elements");
          const bool nonfinite = std::isinf(Num(d["max_ulp"]));
          const std::string dist = d.value("distribution", "");
          // What the kernels claim: naive overflows on wide logits (softmax)
          // and large scores (attention); every shifted built-in stays finite.
          if (origin == "built-in" && name == "naive" && (dist == "wide" || dist == "large") &&
              !nonfinite)
            Fail(where + ": naive did not overflow on " + dist);
          if (origin == "built-in" && name != "naive" && nonfinite)
            Fail(where + ": " + name + " gave NaN/inf on " + dist);
        }
      }
    }
  }
  std::set<std::string> plots;
  for (const json& p : r.value("plots", json::array())) plots.insert(p.get<std::string>());
  for (const json& s : r.value("sections", json::array())) {
    const std::string svg = "plot-" + s.value("kind", "") + ".svg";
    if (!plots.count(svg)) Fail("no plot " + svg);
    if (want_png && !plots.count(svg.substr(0, svg.size() - 4) + ".png"))
      Fail("no PNG beside " + svg);
  }
  for (const std::string& p : plots) {
    const std::string text = Read(dir + "/" + p);
    if (text.empty()) {
      Fail(p + " is missing or empty");
      continue;
    }
    if (p.size() > 4 && p.substr(p.size() - 4) == ".svg") {
      const std::string e = softcheck::testing::CheckXml(text);
      if (!e.empty()) Fail(p + " is not well-formed XML: " + e);
      if (text.find("<svg") == std::string::npos) Fail(p + " has no <svg>");
    } else if (text.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
      Fail(p + " is not a PNG");
    }
  }
  const std::string md = Read(dir + "/report.md");
  if (md.find("| implementation | origin | n |") == std::string::npos) Fail("report.md has no table");
  if (md.find("## Contract violations") == std::string::npos)
    Fail("report.md has no Contract violations section");
  if (failures) return 1;
  std::printf("report in %s: valid (%zu sections, %zu plots)\n", dir.c_str(),
              r["sections"].size(), plots.size());
  return 0;
}
