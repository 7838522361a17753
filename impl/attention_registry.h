// The one list of attention implementations, the attention counterpart of
// impl/registry.h. Tests, properties, the gate and the command line iterate
// it; nothing else names a kernel.
//
// Adding a kernel: write impl/attention_<name>.cc defining
//   std::vector<AttentionKernel> <Name>AttentionKernels();
// and add one line SOFTCHECK_ATTENTION(<Name>, <name>) to
// impl/attention_kernels.inc. The C ABI (impl/softcheck_c.h) follows from it.
#ifndef SOFTCHECK_IMPL_ATTENTION_REGISTRY_H_
#define SOFTCHECK_IMPL_ATTENTION_REGISTRY_H_

#include <string>
#include <string_view>
#include <vector>

#include "impl/attention.h"

namespace softcheck {

// Every attention entry, in registration order. A multi-target family
// (highway) contributes its dispatching entry first, then one entry per
// compiled target that this CPU supports.
const std::vector<AttentionKernel>& AttentionKernels();

// The entry with this exact name, or nullptr.
const AttentionKernel* FindAttentionKernel(std::string_view name);

// The family names, one per line of attention_kernels.inc.
const std::vector<std::string>& AttentionFamilies();

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_ATTENTION_REGISTRY_H_
