// Picking one SIMD target's function out of a Highway dispatch table, so
// that a kernel compiled for several targets can register one entry per
// target (impl/softmax_highway.cc, impl/attention_highway.cc).
#ifndef SOFTCHECK_IMPL_HIGHWAY_DISPATCH_H_
#define SOFTCHECK_IMPL_HIGHWAY_DISPATCH_H_

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "hwy/highway.h"

namespace softcheck {

// `target`'s entry (a single HWY_* bit) in a HWY_EXPORT table, or nullptr
// if it is not compiled into this file. The slot comes from Highway's own
// ChosenTarget, exactly as HWY_DYNAMIC_DISPATCH would pick it were `target`
// the only one supported; slot 0 is the dispatcher, never returned. A
// single-target build has a one-entry table holding the static target.
template <typename F, size_t kSize>
F TargetEntry(F const (&table)[kSize], int64_t target) {
  if ((target & HWY_TARGETS) == 0 || (target & (target - 1)) != 0) {
    return nullptr;
  }
  if constexpr (kSize == 1) {
    return table[0];
  } else {
    hwy::ChosenTarget chosen;
    chosen.Update(target);
    const size_t index = chosen.GetIndex();
    return index == 0 || index >= kSize ? nullptr : table[index];
  }
}

// The dispatching entry's target label, "dispatch(AVX3)": the first of
// hwy::SupportedAndGeneratedTargets() is the one HWY_DYNAMIC_DISPATCH runs.
inline std::string DispatchTargetLabel(const std::vector<int64_t>& targets) {
  return std::string("dispatch(") +
         (targets.empty() ? "none" : hwy::TargetName(targets[0])) + ")";
}

// The exp error bound the dispatching entry claims: that of the target it
// runs on, read from a HWY_EXPORT table of `double ()` functions, or
// `fallback` (the largest bound) if that is somehow unknown.
template <typename F, size_t kSize>
double DispatchExpUlp(F const (&table)[kSize], const std::vector<int64_t>& targets,
                      double fallback) {
  if (targets.empty()) return fallback;
  const F f = TargetEntry(table, targets[0]);
  return f != nullptr ? f() : fallback;
}

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_HIGHWAY_DISPATCH_H_
