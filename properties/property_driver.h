// Runs one property against one kernel with RapidCheck: generates cases
// (properties/row_generators.h), checks each (properties/softmax_properties.h),
// shrinks a failure, and returns what happened as data, with the
// counterexample, the commands that replay it and RapidCheck's reproduction
// string. The unit tests call it for every registry entry; `softcheck check`
// can call it for a user's kernel.
//
// Seeds and case counts: RapidCheck reads RC_PARAMS (seed=..., max_success=...,
// reproduce=...); without a seed it draws a random one. ctest sets a fixed
// seed. The number of cases is the property's own (Settings) unless
// RC_PARAMS names max_success. SOFTCHECK_DEEP=1 asks for the deep run: ten
// times the cases and rows up to 2^20 elements.
#ifndef SOFTCHECK_PROPERTIES_PROPERTY_DRIVER_H_
#define SOFTCHECK_PROPERTIES_PROPERTY_DRIVER_H_

#include <rapidcheck.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

#include "properties/row_generators.h"
#include "properties/softmax_properties.h"

namespace softcheck::properties {

struct RunSettings {
  int cases = 100;
  // 0: RapidCheck's seed (RC_PARAMS, else random); otherwise this one.
  uint64_t seed = 0;
  Budget budget;
  CheckOptions check;
  // Unset: a case fails on any finding on a clause the kernel promises.
  // Set: the run looks for this clause, which the kernel declares it breaks;
  // a case "fails" (is a counterexample) when it finds it.
  std::optional<Clause> declared;
};

struct RunOutcome {
  bool falsified = false;  // a counterexample was found (and shrunk)
  bool trouble = false;    // RapidCheck gave up or failed itself
  int cases = 0;           // cases that passed (all of them, if not falsified)
  int shrinks = 0;
  double worst_ratio = 0;  // largest error / allowance over every case judged
  std::string worst_case;  // the case it came from (FormatCase), if any
  std::string report;      // counterexample, findings, replay commands
  std::string reproduce;   // RC_PARAMS="reproduce=...", when falsified
};

// Loads RapidCheck's configuration (RC_PARAMS) without its "Using
// configuration" line on stderr, which would otherwise interleave with a
// tool's own output. Idempotent.
void QuietRapidCheck();

// SOFTCHECK_DEEP=1 (or any value but 0 and empty).
bool DeepRun();

// The case count and row lengths for a property: oracle properties keep rows
// at or below 4096 elements with a rare 4096-element one (2^16 in the deep
// run); the others reach 2^16 (2^20 deep).
RunSettings DefaultSettings(Property p, bool deep);

// What the two drivers (softmax's here, attention's in attention_driver.h)
// share: runs `property` (a nullary callable that draws its own case and
// throws rc::detail::CaseResult on a counterexample) under `params` and
// RapidCheck's reproduction map, without RapidCheck's own listener (which
// prints progress and, at exit, every failure's reproduction string --
// including the expected ones a declared run looks for on purpose), and
// fills out's cases, falsified, shrinks, report and reproduce (or trouble).
template <typename Testable>
void CheckQuietly(const Testable& property, const std::string& id,
                  const rc::detail::TestParams& params, RunOutcome* out);

// The RC_PARAMS="reproduce=..." string RapidCheck takes back for a failure.
std::string ReproduceString(const std::string& id, const rc::detail::Reproduce& reproduce);

template <typename Testable>
void CheckQuietly(const Testable& property, const std::string& id,
                  const rc::detail::TestParams& params, RunOutcome* out) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  rc::detail::TestListenerAdapter quiet;
  const rc::detail::TestResult result =
      rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params, quiet,
                                rc::detail::configuration().reproduce);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  out->report = message.str();
  if (result.template is<rc::detail::SuccessResult>()) {
    out->cases = result.template get<rc::detail::SuccessResult>().numSuccess;
  } else if (result.template is<rc::detail::FailureResult>()) {
    const auto& failure = result.template get<rc::detail::FailureResult>();
    out->falsified = true;
    out->cases = failure.numSuccess;
    out->shrinks = static_cast<int>(failure.reproduce.shrinkPath.size());
    out->reproduce = ReproduceString(id, failure.reproduce);
    out->report += "\n" + out->reproduce + "\n";
  } else {
    out->trouble = true;
  }
}

// `id` names the run for RapidCheck's reproduction map: it must be the same
// string when the run is repeated with RC_PARAMS="reproduce=...".
template <typename T>
RunOutcome RunProperty(const SoftmaxKernel& k, Property p,
                       const RunSettings& settings, const std::string& id);

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_PROPERTY_DRIVER_H_
