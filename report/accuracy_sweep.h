// The report's accuracy half: the stated input distributions, the oracle's
// exact values for them, and the error measures (oracle/error.h) summed up
// over an implementation's outputs. Plain types only: the oracle is reached
// through oracle/oracle.h and oracle/attention_oracle.h.
//
// Softmax distributions (each row independent, fixed seeds):
//   normal     x ~ N(0, 1): logits as a trained classifier gives them
//   uniform20  x ~ U[-20, 20]: wide enough that exp spans 2^57 and the
//              rounding of x - max costs up to 40 ULP in exp (the accuracy
//              rule's |z| term)
//   wide       |x| = 2^U(-4, 12), random sign: up to 4096, past exp's
//              overflow threshold in float (88.7) and double (709.8); a
//              kernel without the max shift returns NaN or inf here
//   masked     x ~ N(0, 1) with each entry -inf with probability 1/2 (one
//              random entry kept finite): attention masks, padding
// Attention distributions (d = d_v, n_q = n_kv = n, scale = 1/sqrt(d)):
//   normal     Q, K, V ~ N(0, 1), no mask
//   large      Q, K ~ N(0, 10^2), V ~ N(0, 1): scores of standard deviation
//              100, far past exp's range (only the max shift survives)
//   masked     normal, plus an additive mask: -inf above the diagonal
//              (causal) and on a random quarter of the keys below it; the
//              diagonal always visible, so no row is fully masked
#ifndef SOFTCHECK_REPORT_ACCURACY_SWEEP_H_
#define SOFTCHECK_REPORT_ACCURACY_SWEEP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "oracle/attention_oracle.h"
#include "report/model.h"

namespace softcheck::report {

struct DistributionInfo {
  std::string name;
  std::string description;  // one line, for the report
};
const std::vector<DistributionInfo>& SoftmaxDistributions();
const std::vector<DistributionInfo>& AttentionDistributions();

// rows x n inputs of distribution `dist` (an index into
// SoftmaxDistributions()), deterministic in (dist, rows, n, seed).
template <typename T>
std::vector<T> SoftmaxInputs(size_t dist, size_t rows, size_t n, uint64_t seed);

// Inputs and the oracle's exact outputs (row after row).
template <typename T>
struct SoftmaxSample {
  size_t dist = 0, rows = 0, n = 0;
  std::vector<T> x;
  std::vector<long double> exact;
};
template <typename T>
SoftmaxSample<T> MakeSoftmaxSample(size_t dist, size_t rows, size_t n, uint64_t seed);

// An attention problem of distribution `dist` (an index into
// AttentionDistributions()), with the oracle evaluated on `sampled_rows`
// query rows only (evenly spaced, first and last included; every row when n
// is at most `sample_rows`): the oracle costs about n * (2 us + d * 120 ns)
// per query row.
struct AttentionSample {
  size_t dist = 0, n = 0, d = 0;
  AttentionCase problem;
  std::vector<size_t> sampled_rows;
  oracle::AttentionResult exact;  // sampled_rows.size() x d_v
};
AttentionSample MakeAttentionSample(size_t dist, size_t n, size_t d, size_t sample_rows,
                                    uint64_t seed, unsigned oracle_threads);

// Below this exact value the accuracy rule's absolute floor (min(), FLT_MIN
// or DBL_MIN; oracle/accuracy.h) is more than one ULP: 2^-103 for float,
// 2^-970 for double. A kernel may flush such outputs or get them roughly, so
// the error there is kept apart.
template <typename T>
long double FloorUlpThreshold();

// Sums up the error of outputs against exact values: the largest and median
// ULP error (oracle/error.h's UlpError: ULPs of the exact value, +inf for a
// NaN or inf where the exact value is finite), how many outputs were NaN or
// inf where they should not be, how many finite tiny ones (exact value below
// FloorUlpThreshold) are more than 1 ULP off, the largest ULP error over the
// others, and the largest relative error over the others (a flushed tiny
// output's relative error of 1 says nothing about the kernel).
class ErrorAccumulator {
 public:
  template <typename T>
  void Add(const T* actual, const long double* exact, size_t count);
  void Merge(const ErrorAccumulator& other);
  // The summary so far (the median is computed here).
  DistributionError Summary(const std::string& name) const;

 private:
  std::vector<double> ulps_;
  double max_ulp_ = 0, max_rel_ = 0, max_ulp_above_floor_ = 0;
  size_t nonfinite_ = 0, underflow_ = 0;
};

}  // namespace softcheck::report

#endif  // SOFTCHECK_REPORT_ACCURACY_SWEEP_H_
