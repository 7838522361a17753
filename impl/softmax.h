// softcheck: the softmax kernel interface, the contract every kernel is
// judged by, and the claims a kernel declares about itself.
//
// The contract (docs/contract.md has the long form, with the reasons):
//   * Finite row: y_i = exp(x_i / T) / sum_j exp(x_j / T), computed exactly
//     and then rounded; how close a kernel must come is the oracle's business
//     (oracle/accuracy.h).
//   * -inf entries are masked: their outputs are exactly +0 and the others are
//     the softmax of the unmasked entries.
//   * A row that is entirely -inf (fully masked) gives all +0.
//   * Any NaN or +inf in the row makes every output NaN.
//   * n == 0 reads and writes nothing; a one-element finite row gives 1.
//   * Temperature T > 0 computes softmax(x / T); T == 0 is the argmax limit
//     (one-hot, tied maxima share equally); T < 0 or NaN is a caller error and
//     gives an all-NaN row.
//   * The output never depends on what y held; nothing outside x[0, n) is read
//     nor outside y[0, n) written; x == y (in place) is allowed; the same
//     input gives the same bits on every call.
// A kernel may declare that it breaks a clause (Claims::expected_failures):
// that is data the checks read, never an excuse they invent.
#ifndef SOFTCHECK_IMPL_SOFTMAX_H_
#define SOFTCHECK_IMPL_SOFTMAX_H_

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace softcheck {

// "f32" or "f64": the suite's name for a lane type (the CLI's --type, test
// names, replay commands).
template <typename T>
constexpr const char* LaneTypeName() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  return std::is_same_v<T, float> ? "f32" : "f64";
}

// One contiguous row, out of place or in place (x == y).
using SoftmaxF32 = void (*)(const float* x, float* y, size_t n,
                            float temperature);
using SoftmaxF64 = void (*)(const double* x, double* y, size_t n,
                            double temperature);
// `rows` contiguous rows of n (x == y allowed), each row bit for bit what the
// kernel's f32 gives it (a NaN's payload aside, as everywhere in the suite:
// a compiler may commute an add or multiply of two NaNs): only the memory
// traffic may differ (a large batch may be written with non-temporal stores,
// bypassing the cache). The fuzz targets check it on every input of up to
// 256 values (fuzz/fuzz_checks.h).
using SoftmaxBatchF32 = void (*)(const float* x, float* y, size_t rows,
                                 size_t n, float temperature);

// The clauses of the contract, named so that claims, expected failures,
// reports and (later) properties all speak of the same things.
enum class Clause {
  kAccuracy,        // within the oracle's accuracy rule on finite rows
  kOverflowSafe,    // finite input of any magnitude never gives NaN or inf
                    // (neither exp overflow nor a sum that underflows to 0)
  kMasking,         // -inf entries give +0, others the softmax of the rest
  kFullyMasked,     // an all -inf row gives all +0
  kNanPropagation,  // any NaN or +inf in the row gives an all-NaN row
  kTemperature,     // softmax(x / T), T == 0 the argmax limit
  kHygiene,         // in place == out of place, y's old content is ignored
  // Checked by the property suite (properties/softmax_properties.h), which
  // judges relations between several calls rather than one row:
  kSumsToOne,        // the outputs sum to 1 within the accuracy rule's bound
  kPositivity,       // every output in [+0, 1]; non-zero where the exact value
                     // is comfortably above the underflow threshold
  kShiftInvariance,  // softmax(x + c) = softmax(x): bit for bit where x + c is
                     // exact (for a max-shifting kernel), else within the rule
  kMonotonicity,     // x_i <= x_j implies y_i <= y_j
  kPermutation,      // permuting x permutes y, within the accuracy rule
};

const char* ClauseName(Clause c);
const std::vector<Clause>& AllClauses();

// A clause the kernel is known to break, with the reason and an input that
// shows it (the checks assert that it still fails there).
struct ExpectedFailure {
  Clause clause;
  std::string why;
  // Rows that must break the clause, in float and in double alike.
  std::vector<std::vector<double>> witnesses;
};

// What a fully masked row must give, and what a row holding NaN or +inf must
// give. The contract says +0 and NaN; a user's kernel may be checked against
// another reasonable choice (softcheck check --fully-masked, --non-finite).
enum class FullyMaskedRule { kZero, kNan, kAny };
enum class NonFiniteRule { kNan, kAny };

struct Claims {
  FullyMaskedRule fully_masked = FullyMaskedRule::kZero;
  NonFiniteRule non_finite = NonFiniteRule::kNan;
  // The accuracy rule's free parameters (oracle/accuracy.h).
  double rule_slack = 2.0;
  bool sequential_sum = true;
  // False for kernels reached through the C ABI, which has no temperature:
  // the temperature property does not apply to them.
  bool takes_temperature = true;
  // Accuracy class: the largest error, in ULP of the exact result, the
  // kernel's exp() contributes. Feeds the accuracy rule (oracle/accuracy.h).
  double exp_ulp = 1.0;
  std::vector<ExpectedFailure> expected_failures;

  // True when the kernel promises the clause (it is not an expected failure).
  bool Promises(Clause c) const { return Expected(c) == nullptr; }
  const ExpectedFailure* Expected(Clause c) const {
    for (const ExpectedFailure& e : expected_failures)
      if (e.clause == c) return &e;
    return nullptr;
  }
};

// One registry entry. A kernel compiled for several SIMD targets appears once
// per target; `family` groups them and `target` says which one this is.
struct SoftmaxKernel {
  std::string name;     // unique: "maxshift", "highway", "highway:AVX3", ...
  std::string family;   // "highway" for every Highway entry
  std::string target;   // "scalar", "dispatch(AVX3)", "AVX2", ...
  std::string summary;  // one line for `softcheck list`
  // The command-line words that name this kernel for `softcheck eval`, so a
  // failure's replay command works; empty means "--impl <name>".
  std::string cli_selector;
  SoftmaxF32 f32 = nullptr;
  SoftmaxF64 f64 = nullptr;
  Claims claims;
  // Optional batch entry (the benchmarks' and a batched caller's); null:
  // call f32 once per row. Bit-identical to f32 row by row (NaN payloads aside).
  SoftmaxBatchF32 batch_f32 = nullptr;

  // The entry for lane type T (f32 for float, f64 for double), for code
  // written once for both.
  template <typename T>
  void Run(const T* x, T* y, size_t n, T temperature) const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    if constexpr (std::is_same_v<T, float>) f32(x, y, n, temperature);
    else f64(x, y, n, temperature);
  }
};

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_SOFTMAX_H_
