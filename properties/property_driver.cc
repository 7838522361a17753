#include "properties/property_driver.h"

#include <fmt/format.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <vector>

namespace softcheck::properties {
namespace {

template <typename T>
std::string Describe(const SoftmaxKernel& k, const std::vector<Finding>& hits,
                     const CaseVerdict& v, bool declared) {
  std::string s;
  for (size_t i = 0; i < hits.size() && i < 5; ++i)
    s += fmt::format("{} {} breaks {}{}: {}\n", k.name, LaneTypeName<T>(),
                     ClauseName(hits[i].clause),
                     declared ? " (declared: the expected failure is still there)" : "",
                     hits[i].what);
  if (hits.size() > 5) s += fmt::format("... and {} more findings\n", hits.size() - 5);
  s += "replay (each row the property ran):\n";
  std::vector<std::string> seen;
  for (const std::string& r : v.replay) {
    if (std::find(seen.begin(), seen.end(), r) != seen.end()) continue;
    seen.push_back(r);
    s += "  " + r + "\n";
  }
  return s;
}

}  // namespace

// The "reproduce=..." token of RapidCheck's configuration string for one
// failure, as RC_PARAMS takes it back.
std::string ReproduceString(const std::string& id,
                            const rc::detail::Reproduce& reproduce) {
  rc::detail::Configuration config;
  config.reproduce[id] = reproduce;
  std::istringstream words(rc::detail::configToMinimalString(config));
  std::string word;
  while (words >> word)
    if (word.rfind("reproduce=", 0) == 0) return "RC_PARAMS=\"" + word + "\"";
  return {};
}

void QuietRapidCheck() {
  static const bool kLoaded = [] {
    std::streambuf* saved = std::cerr.rdbuf(nullptr);
    (void)rc::detail::configuration();
    std::cerr.rdbuf(saved);
    return true;
  }();
  (void)kLoaded;
}

bool DeepRun() {
  const char* v = std::getenv("SOFTCHECK_DEEP");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

RunSettings DefaultSettings(Property p, bool deep) {
  RunSettings s;
  if (Info(p).uses_oracle) {
    // The oracle costs about 3 us per element (mpfr, 256 bits): a
    // 4096-element row is about 12 ms, 2^16 about 0.2 s.
    s.budget.max_length = deep ? size_t{1} << 16 : 4096;
    s.budget.mid_length = deep ? 4096 : 1024;
    s.budget.long_chance = deep ? 0.02 : 0.01;
  } else {
    s.budget.max_length = deep ? size_t{1} << 20 : size_t{1} << 16;
    s.budget.mid_length = 4096;
    s.budget.long_chance = 0.02;
  }
  if (p == Property::kTemperature) {
    // Up to six oracle calls per case (T, x / T, the two limits and their
    // neighbours).
    s.budget.max_length = deep ? 4096 : 512;
    s.budget.mid_length = 512;
  }
  s.cases = deep ? 1000 : 100;
  return s;
}

template <typename T>
RunOutcome RunProperty(const SoftmaxKernel& k, Property p,
                       const RunSettings& settings, const std::string& id) {
  using rc::detail::CaseResult;
  const rc::detail::Configuration& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  const char* env = std::getenv("RC_PARAMS");
  if (env == nullptr || std::strstr(env, "max_success") == nullptr)
    params.maxSuccess = settings.cases;
  if (settings.seed != 0) params.seed = settings.seed;

  RunOutcome out;
  // A kernel reached through the C ABI has no temperature: its cases stay
  // at T = 1 (mapped, so shrinking is unchanged).
  const rc::Gen<Case<T>> gen =
      k.claims.takes_temperature
          ? CaseGen<T>(p, settings.budget)
          : rc::gen::map(CaseGen<T>(p, settings.budget), [](Case<T> c) {
              c.temperature = 1;
              return c;
            });
  auto property = [&]() {
    const Case<T> c = *gen;
    const CaseVerdict v = Check(k, c, settings.check);
    if (v.worst_ratio > out.worst_ratio) {
      out.worst_ratio = v.worst_ratio;
      out.worst_case = FormatCase(c) + "  worst: " + v.worst_detail + "\n";
    }
    std::vector<Finding> hits;
    if (settings.declared) {
      for (const Finding& f : v.findings)
        if (f.clause == *settings.declared) hits.push_back(f);
    } else {
      hits = Unexpected(k, v.findings);
    }
    if (!hits.empty())
      throw CaseResult(CaseResult::Type::Failure,
                       Describe<T>(k, hits, v, settings.declared.has_value()));
  };

  CheckQuietly(property, id, params, &out);
  return out;
}

template RunOutcome RunProperty<float>(const SoftmaxKernel&, Property,
                                       const RunSettings&, const std::string&);
template RunOutcome RunProperty<double>(const SoftmaxKernel&, Property,
                                        const RunSettings&, const std::string&);

}  // namespace softcheck::properties
