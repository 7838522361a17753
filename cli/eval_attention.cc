// softcheck eval --kind attention-f32: one attention problem through every
// attention implementation (or a user's kernel, isolated), beside the
// oracle's correctly rounded result, with the error in ULP and the verdict
// of the attention rule -- the same parse -> run -> oracle -> verdict steps
// the checks use. This is the command every attention failure prints to
// reproduce itself:
//
//   softcheck eval --impl streaming --kind attention-f32 --shape 2x3x1x1
//       --causal 2 --scale 0x1p+0 --q 1,2 --k 0x1p+7,-inf,3 --v 1,2,3
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/numbers.h"
#include "gate/check.h"
#include "impl/attention_registry.h"
#include "oracle/attention_accuracy.h"
#include "oracle/attention_oracle.h"

namespace softcheck {
namespace {

// Outputs up to this many are printed element by element.
constexpr size_t kMaxColumns = 6;

bool ParseSize(std::string_view s, size_t* v) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

// "NQxNKVxDxDV" -> the four sizes.
std::string ParseShape(const std::string& text, AttentionCase* c) {
  std::vector<size_t> dims;
  size_t start = 0;
  for (;;) {
    const size_t x = text.find('x', start);
    size_t v = 0;
    if (!ParseSize(std::string_view(text).substr(start, x == std::string::npos
                                                            ? std::string::npos
                                                            : x - start),
                   &v))
      return fmt::format("--shape '{}': expected NQxNKVxDxDV, four sizes such as 2x3x4x4",
                         text);
    dims.push_back(v);
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (dims.size() != 4)
    return fmt::format("--shape '{}': expected NQxNKVxDxDV, four sizes such as 2x3x4x4", text);
  c->n_q = dims[0];
  c->n_kv = dims[1];
  c->d = dims[2];
  c->d_v = dims[3];
  // Kept to what a command line can reasonably carry and the oracle can
  // evaluate in seconds.
  if (c->n_q > kMaxAttentionDim || c->n_kv > kMaxAttentionDim || c->d > kMaxAttentionDim ||
      c->d_v > kMaxAttentionDim)
    return fmt::format("--shape '{}': each size must be at most {}", text, kMaxAttentionDim);
  return "";
}

// A comma-separated list of values, exactly `want` of them.
std::string ParseList(const char* name, const std::string& text, size_t want,
                      std::vector<float>* out) {
  out->clear();
  if (!text.empty()) {
    size_t start = 0;
    for (;;) {
      const size_t comma = text.find(',', start);
      const std::string item = text.substr(start, comma == std::string::npos
                                                      ? std::string::npos
                                                      : comma - start);
      std::string error;
      const auto v = ParseValue<float>(item, &error);
      if (!v) return fmt::format("--{} value {}: {}", name, out->size(), error);
      out->push_back(*v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (out->size() != want)
    return fmt::format("--{}: the shape needs {} values, got {}", name, want, out->size());
  return "";
}

const char* CausalText(int causal) {
  switch (causal) {
    case kCausalNone: return "none";
    case kCausalTopLeft: return "top-left";
    case kCausalBottomRight: return "bottom-right";
  }
  return "invalid";
}

struct Runner {
  std::string name;
  AttentionClaims claims;
  // Fills out; "" or a one-line failure (crash, hang).
  std::function<std::string(const AttentionCase&, std::vector<float>*)> run;
};

}  // namespace

int RunEvalAttention(const EvalOptions& o) {
  // The softmax row's options: trouble here, never silently ignored.
  if (o.type_given)
    return Trouble("eval: --type applies to softmax; attention-f32 is float only");
  if (o.temperature_given)
    return Trouble("eval: --temperature applies to softmax, not --kind attention-f32 "
                   "(--scale scales the scores)");
  if (o.oracle_given)
    return Trouble("eval: --oracle applies to softmax; attention-f32 has one oracle (exact "
                   "scores, 257-bit softmax and sum)");
  if (!o.values.empty())
    return Trouble("eval --kind attention-f32 takes --q/--k/--v/--mask, not values after --");
  if (o.shape.empty())
    return Trouble("eval --kind attention-f32 needs --shape NQxNKVxDxDV");
  if (o.lib.empty() != o.symbol.empty())
    return Trouble("eval: --lib and --symbol go together (a shared library and its kernel)");
  AttentionCase c;
  std::string e = ParseShape(o.shape, &c);
  if (!e.empty()) return Trouble(e);
  if (o.causal < 0 || o.causal > 2)
    return Trouble(fmt::format("--causal {}: 0 none, 1 top-left, 2 bottom-right", o.causal));
  c.causal = o.causal;
  if (o.scale.empty()) {
    c.scale = c.d ? 1.0f / std::sqrt(static_cast<float>(c.d)) : 1.0f;
  } else {
    std::string error;
    const auto s = ParseValue<float>(o.scale, &error);
    if (!s) return Trouble("--scale: " + error);
    c.scale = *s;
  }
  if (!(e = ParseList("q", o.q, c.n_q * c.d, &c.q)).empty()) return Trouble(e);
  if (!(e = ParseList("k", o.k, c.n_kv * c.d, &c.k)).empty()) return Trouble(e);
  if (!(e = ParseList("v", o.v, c.n_kv * c.d_v, &c.v)).empty()) return Trouble(e);
  if (!o.mask.empty() && !(e = ParseList("mask", o.mask, c.n_q * c.n_kv, &c.mask)).empty())
    return Trouble(e);

  std::vector<Runner> runners;
  if (o.lib.empty() || !o.impl.empty()) {
    for (const AttentionKernel& k : AttentionKernels()) {
      if (!o.impl.empty() && k.name != o.impl && k.family != o.impl) continue;
      const AttentionKernel* kp = &k;
      runners.push_back({k.name, k.claims,
                         [kp](const AttentionCase& in, std::vector<float>* out) {
                           RunAttention(kp->f32, in.View(), out->data());
                           return std::string();
                         }});
    }
    if (runners.empty() && !o.impl.empty()) {
      std::string names;
      for (const AttentionKernel& k : AttentionKernels())
        names += (names.empty() ? "" : ", ") + k.name;
      return Trouble(fmt::format("unknown attention implementation '{}' (known: {})", o.impl,
                                 names));
    }
  }
  if (!o.lib.empty()) {
    const std::string lib = o.lib, symbol = o.symbol;
    const std::string trouble = ProbeLibrary(lib, symbol);
    if (!trouble.empty()) return Trouble(trouble);
    runners.push_back({symbol, AttentionClaims{},
                       [lib, symbol](const AttentionCase& in, std::vector<float>* out) {
                         std::string why;
                         const std::string failure =
                             RunAttentionLibraryOnce(lib, symbol, in, 10, out, &why);
                         return why.empty() ? failure : why;
                       }});
  }

  const AttentionProblem p = c.View();
  const oracle::AttentionResult exact = oracle::Attention(p);
  const size_t n_out = c.n_q * c.d_v;
  fmt::print("attention f32  n_q = {}  n_kv = {}  d = {}  d_v = {}  causal = {} ({})  scale = {}"
             "  mask: {}  (oracle: exact scores, 257-bit softmax and sum)\n",
             c.n_q, c.n_kv, c.d, c.d_v, c.causal, CausalText(c.causal), FormatValue(c.scale),
             c.mask.empty() ? "none" : "additive");
  const bool wide = n_out <= kMaxColumns;
  const int name_w = 16, col = 30;
  std::string head = fmt::format("{:<{}}", "", name_w);
  if (wide) {
    for (size_t i = 0; i < c.n_q; ++i)
      for (size_t j = 0; j < c.d_v; ++j)
        head += fmt::format("  {:<{}}", fmt::format("out[{}][{}]", i, j), col);
  } else {
    head += fmt::format("  {:<{}}", "worst element", col);
  }
  fmt::print("\n{}  {:>9}  {}\n", head, "max ULP", "verdict");
  std::string line = fmt::format("{:<{}}", "oracle", name_w);
  if (wide) {
    for (size_t i = 0; i < n_out; ++i)
      line += fmt::format("  {:<{}}", FormatValue(exact.rounded[i]), col);
  } else {
    line += fmt::format("  {:<{}}", "(correctly rounded)", col);
  }
  fmt::print("{}  {:>9}  {}\n", line, "", "exact, rounded to nearest");

  int exit_code = kExitOk;
  for (const Runner& r : runners) {
    std::vector<float> out(n_out, std::numeric_limits<float>::quiet_NaN());
    const std::string failure = r.run(c, &out);
    if (!failure.empty()) {
      fmt::print("{:<{}}  {}\n", r.name, name_w, failure);
      exit_code = kExitFinding;
      continue;
    }
    const AttentionRule rule = AttentionRuleFor(r.claims);
    const AttentionVerdict v = JudgeAttention(p, out.data(), exact, rule);
    std::string verdict;
    for (const AttentionFinding& f : v.findings) {
      verdict += verdict.empty() ? "FAIL " : ", ";
      verdict += ClauseName(f.clause);
      if (r.claims.Expected(f.clause)) {
        verdict += " (expected)";
      } else {
        exit_code = kExitFinding;  // a broken promise is a finding, as for softmax
      }
    }
    if (verdict.empty()) verdict = "ok";
    std::string row = fmt::format("{:<{}}", r.name, name_w);
    if (wide) {
      for (size_t i = 0; i < n_out; ++i) row += fmt::format("  {:<{}}", FormatValue(out[i]), col);
    } else if (n_out > 0) {
      const size_t w = v.worst_row * c.d_v + v.worst_col;
      row += fmt::format("  {:<{}}",
                         fmt::format("[{}][{}] {}", v.worst_row, v.worst_col,
                                     FormatValue(out[std::min(w, n_out - 1)])),
                         col);
    }
    const std::string ulp = v.judged == 0          ? "-"
                            : std::isinf(v.max_ulp) ? "inf"
                                                    : fmt::format("{:.3g}", v.max_ulp);
    fmt::print("{}  {:>9}  {}\n", row, ulp, verdict);
    for (const AttentionFinding& f : v.findings)
      fmt::print("{:<{}}    {}: {}\n", "", name_w, ClauseName(f.clause), f.what);
  }
  return exit_code;
}

}  // namespace softcheck
