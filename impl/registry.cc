#include "impl/registry.h"

#include <cstdlib>
#include <cstdio>
#include <set>

namespace softcheck {

#define SOFTCHECK_SOFTMAX(Name, c_name) \
  std::vector<SoftmaxKernel> Name##SoftmaxKernels();
#include "impl/softmax_kernels.inc"
#undef SOFTCHECK_SOFTMAX

namespace {

std::vector<SoftmaxKernel> BuildRegistry() {
  std::vector<SoftmaxKernel> all;
  std::set<std::string> names;
  auto add = [&](std::vector<SoftmaxKernel> family, const char* c_name) {
    // The C ABI calls each family's first entry, found by the family's name.
    if (family.empty() || family.front().name != c_name) {
      std::fprintf(stderr, "softcheck: family %s must list '%s' first\n",
                   c_name, c_name);
      std::abort();
    }
    for (SoftmaxKernel& k : family) {
      // A registry with a duplicate or an unfilled entry is a programming
      // error that would silently skip checks: stop loudly at start-up.
      if (k.family != c_name || !k.f32 || !k.f64 || !names.insert(k.name).second) {
        std::fprintf(stderr, "softcheck: bad registry entry '%s' in family %s\n",
                     k.name.c_str(), c_name);
        std::abort();
      }
      all.push_back(std::move(k));
    }
  };
#define SOFTCHECK_SOFTMAX(Name, c_name) add(Name##SoftmaxKernels(), #c_name);
#include "impl/softmax_kernels.inc"
#undef SOFTCHECK_SOFTMAX
  return all;
}

}  // namespace

const std::vector<SoftmaxKernel>& SoftmaxKernels() {
  static const std::vector<SoftmaxKernel> kAll = BuildRegistry();
  return kAll;
}

const SoftmaxKernel* FindSoftmaxKernel(std::string_view name) {
  for (const SoftmaxKernel& k : SoftmaxKernels())
    if (k.name == name) return &k;
  return nullptr;
}

const std::vector<std::string>& SoftmaxFamilies() {
  static const std::vector<std::string> kFamilies = {
#define SOFTCHECK_SOFTMAX(Name, c_name) #c_name,
#include "impl/softmax_kernels.inc"
#undef SOFTCHECK_SOFTMAX
  };
  return kFamilies;
}

const char* ClauseName(Clause c) {
  switch (c) {
    case Clause::kAccuracy: return "accuracy";
    case Clause::kOverflowSafe: return "overflow-safe";
    case Clause::kMasking: return "masking";
    case Clause::kFullyMasked: return "fully-masked";
    case Clause::kNanPropagation: return "nan-propagation";
    case Clause::kTemperature: return "temperature";
    case Clause::kHygiene: return "hygiene";
    case Clause::kSumsToOne: return "sums-to-one";
    case Clause::kPositivity: return "positivity";
    case Clause::kShiftInvariance: return "shift-invariance";
    case Clause::kMonotonicity: return "monotonicity";
    case Clause::kPermutation: return "permutation";
  }
  return "?";
}

const std::vector<Clause>& AllClauses() {
  static const std::vector<Clause> kAll = {
      Clause::kAccuracy,    Clause::kOverflowSafe,
      Clause::kMasking,     Clause::kFullyMasked,    Clause::kNanPropagation,
      Clause::kTemperature, Clause::kHygiene,
      Clause::kSumsToOne,   Clause::kPositivity,     Clause::kShiftInvariance,
      Clause::kMonotonicity, Clause::kPermutation};
  return kAll;
}

}  // namespace softcheck
