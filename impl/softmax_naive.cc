// naive: y_i = exp(x_i / T) / sum_j exp(x_j / T), with no shift.
//
// Contract: kept on purpose as the overflow demonstration, so it breaks three
// clauses, each declared below with witness rows the checks must see fail:
//   * overflow-safe: exp(x) overflows to +inf for x > 88.7228 (float, the log
//     of FLT_MAX) or 709.783 (double), and inf / inf is NaN; when every
//     exp(x_j) underflows to 0 (x < -103.97 in float, -745.13 in double),
//     0 / 0 is NaN.
//   * fully-masked: an all -inf row is 0 / 0 = NaN, not +0.
//   * nan-propagation: exp(+inf) / inf is NaN, but the finite entries give
//     exp(x) / inf = +0 instead of NaN.
// Everything else (masking of -inf among finite entries, NaN propagation,
// accuracy inside the safe range, temperature, hygiene) it keeps. In place is
// fine: y_i is written only after x_i has been read.
#include <cmath>

#include "impl/softmax.h"
#include "impl/softmax_common.h"

namespace softcheck {
namespace {

template <typename T>
void NaiveSoftmax(const T* x, T* y, size_t n, T temperature) {
  if (HandleSpecialTemperature(x, y, n, temperature)) return;
  T sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const T e = std::exp(temperature == 1 ? x[i] : x[i] / temperature);
    y[i] = e;
    sum += e;
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

}  // namespace

std::vector<SoftmaxKernel> NaiveSoftmaxKernels() {
  SoftmaxKernel k;
  k.name = k.family = "naive";
  k.target = "scalar";
  k.summary = "exp(x_i) / sum exp(x_j), no shift: the overflow demonstration";
  k.f32 = &NaiveSoftmax<float>;
  k.f64 = &NaiveSoftmax<double>;
  k.claims.exp_ulp = 1;  // glibc expf/exp: < 1 ulp
  k.claims.expected_failures = {
      {Clause::kOverflowSafe,
       "exp(x) overflows past 88.72 (float) / 709.78 (double), inf/inf = NaN; "
       "and when every exp underflows (below -103.97 / -745.13), 0/0 = NaN",
       {{1000.0, 999.0}, {-800.0, -801.0}}},
      {Clause::kFullyMasked,
       "the sum of exp(-inf) is 0 and 0/0 = NaN", {{-INFINITY, -INFINITY}}},
      {Clause::kNanPropagation,
       "+inf gives exp(+inf)/inf = NaN, but finite entries give x/inf = +0",
       {{INFINITY, 0.0}}},
  };
  return {k};
}

}  // namespace softcheck
