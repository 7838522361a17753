// The bodies of the fuzz targets, shared by the libFuzzer entry points
// (fuzz/<target>.cc) and `softcheck fuzz`'s runner, which drives a user's
// kernel through the same steps.
#ifndef SOFTCHECK_FUZZ_TARGETS_H_
#define SOFTCHECK_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "impl/softmax.h"

namespace softcheck::fuzz {

// Decodes `data` (fuzz/fuzz_input.h) and checks every kernel in `kernels`;
// on a broken promise prints it with its replay command and aborts.
// `use_temperature` false holds T at 1 (the C ABI has no temperature).
// With `only_clause` set, only findings on that clause count, promised or
// not (the naive demonstration).
template <typename T>
void FuzzSoftmax(const char* target, const std::vector<const SoftmaxKernel*>& kernels,
                 const uint8_t* data, size_t size, bool use_temperature = true,
                 const Clause* only_clause = nullptr);

// Decodes an attention problem and checks every kernel against one oracle
// evaluation. `selectors[i]` names kernels[i] for eval ("" for --impl NAME).
void FuzzAttention(const char* target, const std::vector<const AttentionKernel*>& kernels,
                   const std::vector<std::string>& selectors, const uint8_t* data,
                   size_t size);

}  // namespace softcheck::fuzz

#endif  // SOFTCHECK_FUZZ_TARGETS_H_
