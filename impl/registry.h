// The one list of implementations. Tests, properties, fuzzers, benchmarks
// and the command line iterate it; nothing else names a kernel.
//
// Adding a kernel: write impl/softmax_<name>.cc defining
//   std::vector<SoftmaxKernel> <Name>SoftmaxKernels();
// and add one line SOFTCHECK_SOFTMAX(<Name>, <name>) to
// impl/softmax_kernels.inc. The C ABI (impl/softcheck_c.h) follows from it.
#ifndef SOFTCHECK_IMPL_REGISTRY_H_
#define SOFTCHECK_IMPL_REGISTRY_H_

#include <string_view>
#include <vector>

#include "impl/softmax.h"

namespace softcheck {

// Every softmax entry, in registration order. A multi-target family (highway)
// contributes its dispatching entry first, then one entry per compiled target
// that this CPU supports.
const std::vector<SoftmaxKernel>& SoftmaxKernels();

// The entry with this exact name, or nullptr.
const SoftmaxKernel* FindSoftmaxKernel(std::string_view name);

// The family names, one per line of softmax_kernels.inc ("naive", ...).
const std::vector<std::string>& SoftmaxFamilies();

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_REGISTRY_H_
