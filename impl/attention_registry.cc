#include "impl/attention_registry.h"

#include <cstdio>
#include <cstdlib>
#include <set>

namespace softcheck {

#define SOFTCHECK_ATTENTION(Name, c_name) \
  std::vector<AttentionKernel> Name##AttentionKernels();
#include "impl/attention_kernels.inc"
#undef SOFTCHECK_ATTENTION

namespace {

std::vector<AttentionKernel> BuildRegistry() {
  std::vector<AttentionKernel> all;
  std::set<std::string> names;
  auto add = [&](std::vector<AttentionKernel> family, const char* c_name) {
    // The C ABI calls each family's first entry, found by the family's name.
    if (family.empty() || family.front().name != c_name) {
      std::fprintf(stderr,
                   "softcheck: attention family %s must list '%s' first\n",
                   c_name, c_name);
      std::abort();
    }
    for (AttentionKernel& k : family) {
      // A duplicate or unfilled entry would silently skip checks: stop
      // loudly at start-up.
      if (k.family != c_name || !k.f32 || !names.insert(k.name).second) {
        std::fprintf(
            stderr,
            "softcheck: bad attention registry entry '%s' in family %s\n",
            k.name.c_str(), c_name);
        std::abort();
      }
      all.push_back(std::move(k));
    }
  };
#define SOFTCHECK_ATTENTION(Name, c_name) \
  add(Name##AttentionKernels(), #c_name);
#include "impl/attention_kernels.inc"
#undef SOFTCHECK_ATTENTION
  return all;
}

}  // namespace

const std::vector<AttentionKernel>& AttentionKernels() {
  static const std::vector<AttentionKernel> kAll = BuildRegistry();
  return kAll;
}

const AttentionKernel* FindAttentionKernel(std::string_view name) {
  for (const AttentionKernel& k : AttentionKernels())
    if (k.name == name) return &k;
  return nullptr;
}

const std::vector<std::string>& AttentionFamilies() {
  static const std::vector<std::string> kFamilies = {
#define SOFTCHECK_ATTENTION(Name, c_name) #c_name,
#include "impl/attention_kernels.inc"
#undef SOFTCHECK_ATTENTION
  };
  return kFamilies;
}

}  // namespace softcheck
