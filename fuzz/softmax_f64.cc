// Fuzz target softmax_f64: every double softmax kernel of the registry that
// promises overflow safety, on rows decoded from raw bit patterns
// (fuzz/fuzz_input.h), checked by the suite's own steps (fuzz/fuzz_checks.h).
// A broken promise prints the replay command and aborts.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_checks.h"
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto kernels = softcheck::fuzz::OverflowSafeSoftmaxKernels();
  softcheck::fuzz::FuzzSoftmax<double>("softmax_f64", kernels, data, size);
  return 0;
}
