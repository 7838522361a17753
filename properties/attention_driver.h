// Runs one attention property against one attention kernel with RapidCheck:
// generates cases (properties/attention_generators.h), checks each
// (properties/attention_properties.h), shrinks a failure, and returns what
// happened as the softmax driver's RunOutcome (properties/property_driver.h):
// the counterexample, the commands that replay it and RapidCheck's
// reproduction string. The tests call it for every attention registry entry;
// `softcheck check --kind attention-f32` calls it for a user's kernel.
//
// Seeds and case counts as for softmax: RC_PARAMS (seed=, max_success=,
// reproduce=) wins over the settings; SOFTCHECK_DEEP=1 asks for the deep run
// (ten times the cases; n_q * n_kv up to 4096, 5% up to 16384, for the
// oracle properties; up to 16384, 5% up to 2^18, for the others).
#ifndef SOFTCHECK_PROPERTIES_ATTENTION_DRIVER_H_
#define SOFTCHECK_PROPERTIES_ATTENTION_DRIVER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "properties/attention_generators.h"
#include "properties/attention_properties.h"
#include "properties/property_driver.h"

namespace softcheck::properties {

struct AttentionRunSettings {
  int cases = 100;
  // 0: RapidCheck's seed (RC_PARAMS, else random); otherwise this one.
  uint64_t seed = 0;
  AttentionBudget budget;
  AttentionCheckOptions check;
  // Unset: a case fails on any finding on a clause the kernel promises.
  // Set: the run looks for this clause, which the kernel declares it breaks;
  // a case "fails" (is a counterexample) when it finds it.
  std::optional<Clause> declared;
  // False: report the first failing case as found, without shrinking it
  // (for surveys that only ask whether a property fails).
  bool shrink = true;
};

// The case count and shape limits for a property (deep: SOFTCHECK_DEEP=1).
AttentionRunSettings DefaultAttentionSettings(AttentionProperty p, bool deep);

// `id` names the run for RapidCheck's reproduction map: it must be the same
// string when the run is repeated with RC_PARAMS="reproduce=...". A property
// that does not apply to the kernel (AttentionPropertyApplies) is not run:
// the outcome has trouble set and says why.
RunOutcome RunAttentionProperty(const AttentionKernel& k, AttentionProperty p,
                                const AttentionRunSettings& settings,
                                const std::string& id);

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_ATTENTION_DRIVER_H_
