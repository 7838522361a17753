// Fuzz target attention_f32: every attention kernel of the registry that
// promises overflow safety, on problems decoded from raw bit patterns
// (shapes, causal mode, scale, mask: fuzz/fuzz_input.h), each judged by
// JudgeAttention against one exact oracle evaluation. A broken promise
// prints the replay command and aborts.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_checks.h"
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto kernels = softcheck::fuzz::OverflowSafeAttentionKernels();
  softcheck::fuzz::FuzzAttention("attention_f32", kernels, {}, data, size);
  return 0;
}
