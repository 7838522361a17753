// The demonstration target naive_overflow: the registry's float softmax
// kernels that do NOT promise overflow safety (naive: exp(x_i) / sum exp(x_j)
// with no max shift), held to that clause anyway. Any row with an entry
// above 88.72 (exp overflows) or all entries below about -103.3 (every exp
// underflows to 0, 0 / 0) breaks it, so libFuzzer finds a crash within
// seconds from an empty corpus: the reason every other kernel shifts by the
// maximum first.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/targets.h"
#include "impl/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<const softcheck::SoftmaxKernel*> kernels = [] {
    std::vector<const softcheck::SoftmaxKernel*> out;
    for (const softcheck::SoftmaxKernel& k : softcheck::SoftmaxKernels())
      if (!k.claims.Promises(softcheck::Clause::kOverflowSafe)) out.push_back(&k);
    return out;
  }();
  static const softcheck::Clause kClause = softcheck::Clause::kOverflowSafe;
  softcheck::fuzz::FuzzSoftmax<float>("naive_overflow", kernels, data, size, true, &kClause);
  return 0;
}
