#include "fuzz/fuzz_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "cli/numbers.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"
#include "oracle/attention_accuracy.h"
#include "oracle/attention_oracle.h"
#include "oracle/oracle.h"
#include "oracle/verdict.h"
#include "properties/softmax_properties.h"

namespace softcheck::fuzz {
namespace {

bool Counts(const SoftmaxKernel& k, Clause c, const Clause* only) {
  return only ? c == *only : k.claims.Promises(c);
}

// A kernel's batch entry (SoftmaxKernel::batch_f32) promises each row the
// bits its f32 gives it (impl/softmax.h). Three rows make the batch: x,
// x reversed and x rotated by a third, so that a three-row pipeline has a
// different row in each of its stages; run out of place (y poisoned) and in
// place. Each row's three outputs are judged as repeated runs
// (JudgeRepeatability: the hygiene clause, NaN payloads aside).
void CheckBatch(const SoftmaxKernel& k, const std::vector<float>& x, float t,
                std::vector<Violation>& out) {
  const size_t n = x.size();
  if (k.batch_f32 == nullptr || n == 0) return;
  constexpr size_t kRows = 3;
  std::vector<float> in(kRows * n);
  std::copy(x.begin(), x.end(), in.begin());
  std::reverse_copy(x.begin(), x.end(), in.begin() + n);
  std::rotate_copy(x.begin(), x.begin() + n / 3, x.end(), in.begin() + 2 * n);
  // Poisoned with a value no softmax gives, NaN rows' outputs included.
  std::vector<float> batch(kRows * n, 42.0f);
  k.batch_f32(in.data(), batch.data(), kRows, n, t);
  std::vector<float> in_place = in;
  k.batch_f32(in_place.data(), in_place.data(), kRows, n, t);
  const char* kRowName[kRows] = {"x", "x reversed", "x rotated left by n/3"};
  for (size_t r = 0; r < kRows; ++r) {
    const auto row = [&](const std::vector<float>& v) {
      return std::vector<float>(v.begin() + r * n, v.begin() + (r + 1) * n);
    };
    std::vector<float> want(n);
    k.f32(in.data() + r * n, want.data(), n, t);
    const std::string where = fmt::format("({} rows of {}), row {} ({})", kRows, n, r, kRowName[r]);
    for (const Finding& f : JudgeRepeatability<float>(
             {want, row(batch), row(in_place)},
             {"from its f32", "from batch_f32 " + where, "from batch_f32 in place " + where}))
      out.push_back({k.name, f.clause, "batch_f32: " + f.what,
                     "the saved input through build/fuzz/fuzz_softmax_f32_replay (eval runs "
                     "f32 alone; the rows are x, x reversed, x rotated); x: " +
                         SoftmaxReplay(k, x, t)});
  }
}

std::string Join(const std::vector<float>& v) {
  std::string s;
  for (float e : v) s.append(s.empty() ? "" : ",").append(FormatHex(e));
  return s;
}

}  // namespace

std::vector<const SoftmaxKernel*> OverflowSafeSoftmaxKernels() {
  std::vector<const SoftmaxKernel*> out;
  for (const SoftmaxKernel& k : SoftmaxKernels())
    if (k.claims.Promises(Clause::kOverflowSafe)) out.push_back(&k);
  return out;
}

std::vector<const AttentionKernel*> OverflowSafeAttentionKernels() {
  std::vector<const AttentionKernel*> out;
  for (const AttentionKernel& k : AttentionKernels())
    if (k.claims.Promises(Clause::kOverflowSafe)) out.push_back(&k);
  return out;
}

template <typename T>
std::vector<long double> ExactIfShort(const std::vector<T>& x, T temperature) {
  if (x.size() > kOracleRow) return {};
  return oracle::Softmax(x.data(), x.size(), temperature).exact;
}

template <typename T>
std::string SoftmaxReplay(const SoftmaxKernel& k, const std::vector<T>& x, T temperature) {
  std::string s = fmt::format("softcheck eval {} --type {}",
                              k.cli_selector.empty() ? "--impl " + k.name : k.cli_selector,
                              LaneTypeName<T>());
  if (!(temperature == 1)) s += " --temperature " + FormatHex(temperature);
  s += " --";
  for (T v : x) s.append(" ").append(FormatHex(v));
  return s;
}

std::string AttentionReplay(const std::string& selector, const AttentionCase& c) {
  std::string s = fmt::format(
      "softcheck eval {} --kind attention-f32 --shape {}x{}x{}x{} --causal {} --scale {}",
      selector, c.n_q, c.n_kv, c.d, c.d_v, c.causal, FormatHex(c.scale));
  // An empty list is left out: eval reads a missing list as no values.
  const std::pair<const char*, const std::vector<float>*> lists[] = {
      {"q", &c.q}, {"k", &c.k}, {"v", &c.v}};
  for (const auto& [name, v] : lists)
    if (!v->empty()) s += fmt::format(" --{} {}", name, Join(*v));
  if (!c.mask.empty()) s += " --mask " + Join(c.mask);
  return s;
}

template <typename T>
std::vector<Violation> CheckSoftmaxRow(const SoftmaxKernel& k, const std::vector<T>& x,
                                       T temperature, const std::vector<long double>& exact,
                                       const Clause* only_clause) {
  std::vector<Violation> out;
  auto keep = [&](const std::vector<Finding>& findings) {
    for (const Finding& f : findings)
      if (Counts(k, f.clause, only_clause))
        out.push_back({k.name, f.clause, f.what, SoftmaxReplay(k, x, temperature)});
  };
  // The oracle-free clauses, on any row: JudgeRow's structure (NaN and inf
  // for finite input, masking, the fully masked rule, NaN propagation) and
  // the sum (properties' SumsToOne); KeepsHygiene on rows up to kHygieneRow.
  properties::Case<T> c;
  c.x = x;
  c.temperature = temperature;
  c.property = properties::Property::kSumsToOne;
  keep(properties::Check(k, c).findings);
  if (x.size() <= kHygieneRow) {
    c.property = properties::Property::kHygiene;
    keep(properties::Check(k, c).findings);
  }
  // The batch entry, on the same rows as KeepsHygiene (float only: there is
  // no f64 batch). On every row length up to 4096 it slowed softmax_f32
  // down most (nine kernel calls over the row per entry); rows to 256 reach
  // every tail length of every target, and the longer shapes are the
  // bit-identity test's (bench/softmax_batch_test.cc).
  if constexpr (sizeof(T) == 4) {
    if (x.size() <= kHygieneRow && Counts(k, Clause::kHygiene, only_clause))
      CheckBatch(k, x, temperature, out);
  }
  // The accuracy rule against the oracle, where there is an exact value.
  if (!exact.empty() && out.empty()) {
    std::vector<T> y(x.size(), std::numeric_limits<T>::quiet_NaN());
    k.Run(x.data(), y.data(), x.size(), temperature);
    keep(JudgeRow(x.data(), x.size(), temperature, y.data(), exact, RuleFor(k.claims))
             .findings);
  }
  return out;
}

std::vector<Violation> CheckAttentionProblem(const AttentionKernel& k, const AttentionCase& c,
                                             const oracle::AttentionResult& exact,
                                             const std::string& selector) {
  const AttentionProblem p = c.View();
  std::vector<float> out(c.n_q * c.d_v, std::numeric_limits<float>::quiet_NaN());
  RunAttention(k.f32, p, out.data());
  AttentionRule rule;
  rule.exp_ulp = k.claims.exp_ulp;
  const AttentionVerdict v = JudgeAttention(p, out.data(), exact, rule);
  std::vector<Violation> found;
  for (const AttentionFinding& f : v.findings)
    if (k.claims.Promises(f.clause))
      found.push_back({k.name, f.clause,
                       fmt::format("out[{}][{}]: {}", f.row, f.col, f.what),
                       AttentionReplay(selector.empty() ? "--impl " + k.name : selector, c)});
  return found;
}

void ReportAndAbort(const char* target, const std::vector<Violation>& found,
                    const std::string& input) {
  std::fprintf(stderr, "softcheck-fuzz: target %s: %zu broken promise(s)\n", target,
               found.size());
  for (const Violation& v : found) {
    std::fprintf(stderr, "softcheck-fuzz: %s breaks %s: %s\n", v.kernel.c_str(),
                 ClauseName(v.clause), v.what.c_str());
    std::fprintf(stderr, "softcheck-fuzz: reproduce: %s\n", v.replay.c_str());
  }
  if (!input.empty()) {
    size_t start = 0;
    while (start < input.size()) {
      size_t end = input.find('\n', start);
      if (end == std::string::npos) end = input.size();
      std::fprintf(stderr, "softcheck-fuzz: input %s\n",
                   input.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
  std::fflush(stderr);
  std::abort();
}

#define SOFTCHECK_INSTANTIATE(T)                                                         \
  template std::vector<long double> ExactIfShort<T>(const std::vector<T>&, T);           \
  template std::string SoftmaxReplay<T>(const SoftmaxKernel&, const std::vector<T>&, T); \
  template std::vector<Violation> CheckSoftmaxRow<T>(                                    \
      const SoftmaxKernel&, const std::vector<T>&, T, const std::vector<long double>&,   \
      const Clause*);
SOFTCHECK_INSTANTIATE(float)
SOFTCHECK_INSTANTIATE(double)
#undef SOFTCHECK_INSTANTIATE

}  // namespace softcheck::fuzz
