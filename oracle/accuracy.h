// The accuracy rule: how close a kernel's output must come to the oracle's.
// Plain types only; the exact values come from oracle::Softmax.
//
// A fixed ULP bound cannot both pass every correct max-shifting kernel and
// fail the wrong ones: rounding z_i = x_i - max alone costs |z_i| u relative
// in exp(z_i) (about 30 ULP on logits in [-20, 20] in float), and the sum of
// n terms costs up to (n - 1) u. So the bound is per element and follows the
// input, from the first-order error analysis of the max-shift algorithm
// (docs/accuracy.md derives it):
//
//   |y_i - y*_i| <= slack * u * y*_i * B_i + floor
//   B_i = (4 E + 2)                    exp error in e_i and in the sum, E ulps
//                                      each; the division or reciprocal
//       + s (|z_i| + S)                rounding of the exp argument, s = 1 for
//                                      T == 1 and 2 otherwise (the division)
//       + [T != 1] (|x_i| / T + X)     a kernel may round x / T before
//                                      shifting, as softmax(x / T) reads
//       + (n - 1)                      recursive summation, worst case
//   z_i = (x_i - max) / T,  S = sum_j y*_j |z_j|,  X = sum_j y*_j |x_j| / T
//   u = 2^-24 (float) or 2^-53 (double), floor = FLT_MIN or DBL_MIN
//
// The floor lets a kernel flush outputs whose exact value is below the
// smallest normal to zero (or get them approximately): such a y*_i comes from
// an exp that is itself subnormal. S and X are weighted by y*, so they stay
// near log(n) however wide the row is. -inf entries are not judged here (the
// masking clause wants them exactly +0); a row whose exact result is NaN
// needs NaN everywhere, and NaN or inf where the exact value is finite always
// fails.
#ifndef SOFTCHECK_ORACLE_ACCURACY_H_
#define SOFTCHECK_ORACLE_ACCURACY_H_

#include <cstddef>
#include <vector>

#include "impl/softmax.h"

namespace softcheck {

// How a row's outputs are judged: the accuracy rule's parameters and the two
// choices where reasonable kernels differ. RuleFor(claims) (oracle/verdict.h)
// builds it from a kernel's declared claims.
struct AccuracyRule {
  double slack = 2.0;  // covers second-order terms and FMA/ordering freedom
  double exp_ulp = 1.0;  // E: the kernel's declared exp error (Claims)
  bool sequential_sum = true;  // false: pairwise/blocked, log2(n) + 16 terms
  FullyMaskedRule fully_masked = FullyMaskedRule::kZero;  // read by JudgeRow
  NonFiniteRule non_finite = NonFiniteRule::kNan;         // read by JudgeRow
};

// What one row's comparison found. `worst_*` is the element with the largest
// error relative to its allowance (error / allowed).
struct AccuracyVerdict {
  bool ok = true;
  size_t judged = 0;       // elements compared (finite-input entries)
  size_t mismatches = 0;   // elements over their allowance
  size_t worst_index = 0;
  double worst_ratio = 0;  // error / allowance at worst_index; <= 1 passes
  double worst_ulp = 0;    // ULP error at worst_index
  double max_ulp = 0;      // largest ULP error over the row
  double max_rel = 0;      // largest relative error over the row
  double worst_allowed = 0;  // allowance (absolute) at worst_index
};

template <typename T>
AccuracyVerdict JudgeSoftmax(const T* x, size_t n, T temperature,
                             const T* actual,
                             const std::vector<long double>& exact,
                             const AccuracyRule& rule);

// The allowance for each element alone (absolute), as the rule defines it;
// -1 for entries the rule does not judge (x_i = -inf, or a NaN row).
template <typename T>
std::vector<double> SoftmaxAllowance(const T* x, size_t n, T temperature,
                                     const std::vector<long double>& exact,
                                     const AccuracyRule& rule);

}  // namespace softcheck

#endif  // SOFTCHECK_ORACLE_ACCURACY_H_
