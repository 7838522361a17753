#include "fuzz/targets.h"

#include <fmt/format.h>

#include "cli/numbers.h"
#include "fuzz/fuzz_checks.h"
#include "fuzz/fuzz_input.h"
#include "oracle/attention_oracle.h"
#include "properties/softmax_properties.h"

namespace softcheck::fuzz {

template <typename T>
void FuzzSoftmax(const char* target, const std::vector<const SoftmaxKernel*>& kernels,
                 const uint8_t* data, size_t size, bool use_temperature,
                 const Clause* only_clause) {
  SoftmaxInput<T> in = DecodeSoftmax<T>(data, size);
  if (!use_temperature) in.temperature = 1;
  const std::vector<long double> exact = ExactIfShort(in.x, in.temperature);
  std::vector<Violation> found;
  for (const SoftmaxKernel* k : kernels) {
    std::vector<Violation> v = CheckSoftmaxRow(*k, in.x, in.temperature, exact, only_clause);
    found.insert(found.end(), v.begin(), v.end());
  }
  if (found.empty()) return;
  ReportAndAbort(target, found,
                 fmt::format("n = {}, T = {}\n{}", in.x.size(), FormatValue(in.temperature),
                             properties::FormatRow(in.x, 16)));
}

void FuzzAttention(const char* target, const std::vector<const AttentionKernel*>& kernels,
                   const std::vector<std::string>& selectors, const uint8_t* data,
                   size_t size) {
  const AttentionCase c = DecodeAttention(data, size);
  const oracle::AttentionResult exact = oracle::Attention(c.View());
  std::vector<Violation> found;
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::vector<Violation> v = CheckAttentionProblem(
        *kernels[i], c, exact, i < selectors.size() ? selectors[i] : std::string());
    found.insert(found.end(), v.begin(), v.end());
  }
  if (found.empty()) return;
  ReportAndAbort(target, found,
                 fmt::format("n_q = {}, n_kv = {}, d = {}, d_v = {}, causal = {}, scale = {}, "
                             "mask: {}",
                             c.n_q, c.n_kv, c.d, c.d_v, c.causal, FormatValue(c.scale),
                             c.mask.empty() ? "none" : "present"));
}

template void FuzzSoftmax<float>(const char*, const std::vector<const SoftmaxKernel*>&,
                                 const uint8_t*, size_t, bool, const Clause*);
template void FuzzSoftmax<double>(const char*, const std::vector<const SoftmaxKernel*>&,
                                  const uint8_t*, size_t, bool, const Clause*);

}  // namespace softcheck::fuzz
