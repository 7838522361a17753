// The oracle: exact softmax and log-sum-exp in arbitrary precision
// (Boost.Multiprecision), correctly rounded to float and double.
//
// This header is the wall: it exposes plain types only. Boost.Multiprecision
// is included by oracle/*.cc and nowhere else in the project.
//
// Semantics follow the contract in impl/softmax.h exactly (the oracle is the
// contract made executable):
//   * finite entries: exp(x_i / T) / sum_j exp(x_j / T) with x_i / T exact,
//     evaluated at `bits` of precision (>= 200), then rounded to nearest-even
//     in the destination type, subnormals included (no double rounding
//     through an intermediate type);
//   * -inf entries give +0 and are left out of the sum; an all -inf row (or
//     n == 0) gives all +0;
//   * any NaN or +inf in the row gives an all-NaN row;
//   * T == 0: argmax one-hot, tied maxima share 1/k each; T == +inf: uniform
//     over the unmasked entries; T < 0 or NaN: all NaN.
// Rows of 2^20 elements and inputs up to +-FLT_MAX / +-DBL_MAX are handled.
#ifndef SOFTCHECK_ORACLE_ORACLE_H_
#define SOFTCHECK_ORACLE_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace softcheck::oracle {

enum class Backend {
  kCppBinFloat,  // boost::multiprecision::cpp_bin_float, header only
  kMpfr,         // boost::multiprecision::mpfr_float (faster, needs libmpfr)
};

struct Options {
  Backend backend = Backend::kMpfr;
  unsigned bits = 256;  // working precision, at least 200
};

// The exact result of one row. `exact[i]` carries the exact value to 64
// significant bits (long double), enough to measure a float or double
// output's error to a small fraction of an ULP; `rounded[i]` is the correctly
// rounded value in the row's own type.
template <typename T>
struct SoftmaxResult {
  std::vector<T> rounded;
  std::vector<long double> exact;
};

SoftmaxResult<float> Softmax(const float* x, size_t n, float temperature = 1,
                             const Options& options = {});
SoftmaxResult<double> Softmax(const double* x, size_t n,
                              double temperature = 1,
                              const Options& options = {});

// How many rows this process has evaluated: softmax rows and attention
// query rows (reports quote the oracle's throughput from it).
uint64_t RowsEvaluated();
// Adds to that count (the attention oracle's share).
void NoteRowsEvaluated(uint64_t rows);

// log(sum_i exp(x_i)) correctly rounded; -inf for an empty or all -inf row,
// NaN if any entry is NaN, +inf if any entry is +inf.
float LogSumExp(const float* x, size_t n, const Options& options = {});
double LogSumExp(const double* x, size_t n, const Options& options = {});

// Correct rounding of an exact value given as a decimal or hex string, exposed
// so tests can check the rounding itself (ties to even, subnormals).
float RoundToFloat(const char* exact_decimal, const Options& options = {});
double RoundToDouble(const char* exact_decimal, const Options& options = {});

}  // namespace softcheck::oracle

#endif  // SOFTCHECK_ORACLE_ORACLE_H_
