#include "properties/attention_driver.h"

#include <fmt/format.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

namespace softcheck::properties {
namespace {

std::string Describe(const AttentionKernel& k,
                     const std::vector<AttentionFinding>& hits,
                     const AttentionCaseVerdict& v, bool declared) {
  std::string s;
  for (size_t i = 0; i < hits.size() && i < 5; ++i)
    s += fmt::format("{} breaks {}{}: {}\n", k.name, ClauseName(hits[i].clause),
                     declared ? " (declared: the expected failure is still there)" : "",
                     hits[i].what);
  if (hits.size() > 5) s += fmt::format("... and {} more findings\n", hits.size() - 5);
  s += "replay (each problem the property ran):\n";
  for (const std::string& r : v.replay) s += "  " + r + "\n";
  return s;
}

}  // namespace

AttentionRunSettings DefaultAttentionSettings(AttentionProperty p, bool deep) {
  AttentionRunSettings s;
  AttentionBudget& b = s.budget;
  if (Info(p).uses_oracle) {
    // The oracle costs about n_q n_kv (2 us + d_v 120 ns): 1024 scores at
    // d_v = 64 about 10 ms, 16384 about 0.2 s.
    b.max_n = deep ? 128 : 48;
    b.max_d = deep ? 128 : 48;
    b.max_scores = deep ? 4096 : 768;
    b.big_chance = deep ? 0.05 : 0.03;
    b.big_n = deep ? 256 : 160;
    b.big_scores = deep ? 16384 : 4096;
  } else {
    // The structural judgment and the allowance cost about 1 us per score
    // and column in long double; a reference kernel is called per reference.
    b.max_n = deep ? 256 : 96;
    b.max_d = deep ? 128 : 96;
    b.max_scores = deep ? 16384 : 4096;
    b.big_chance = 0.05;
    b.big_n = deep ? 1024 : 256;
    b.big_scores = deep ? size_t{1} << 18 : 32768;
  }
  if (p == AttentionProperty::kCausalAlignment) {
    // Four kernel calls and up to two oracle calls per case.
    b.max_scores /= 2;
    b.big_scores /= 2;
  }
  s.cases = deep ? 1000 : 100;
  return s;
}

RunOutcome RunAttentionProperty(const AttentionKernel& k, AttentionProperty p,
                                const AttentionRunSettings& settings,
                                const std::string& id) {
  RunOutcome out;
  if (!AttentionPropertyApplies(k, p, settings.check.references)) {
    out.trouble = true;
    out.report = fmt::format(
        "{} does not apply to {} ({}): not run", Info(p).name, k.name,
        p == AttentionProperty::kBlockSize ? "it exposes no block sizes"
                                           : "no reference kernel to compare with");
    return out;
  }
  using rc::detail::CaseResult;
  const rc::detail::Configuration& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  const char* env = std::getenv("RC_PARAMS");
  if (env == nullptr || std::strstr(env, "max_success") == nullptr)
    params.maxSuccess = settings.cases;
  if (settings.seed != 0) params.seed = settings.seed;
  if (!settings.shrink) params.disableShrinking = true;

  const rc::Gen<AttentionPropertyCase> gen = AttentionCaseGen(p, settings.budget);
  auto property = [&]() {
    const AttentionPropertyCase c = *gen;
    const AttentionCaseVerdict v = CheckAttention(k, c, settings.check);
    if (v.worst_ratio > out.worst_ratio) {
      out.worst_ratio = v.worst_ratio;
      out.worst_case = FormatAttentionPropertyCase(c) + "  worst: " + v.worst_detail + "\n";
    }
    std::vector<AttentionFinding> hits;
    if (settings.declared) {
      for (const AttentionFinding& f : v.findings)
        if (f.clause == *settings.declared) hits.push_back(f);
    } else {
      hits = Unexpected(k, v.findings);
    }
    if (!hits.empty())
      throw CaseResult(CaseResult::Type::Failure,
                       Describe(k, hits, v, settings.declared.has_value()));
  };

  CheckQuietly(property, id, params, &out);
  return out;
}

}  // namespace softcheck::properties
