// The verdict step: given one row, a kernel's output and the oracle's exact
// result, which clauses of the contract (impl/softmax.h) the output breaks.
// The unit tests, `softcheck eval`, and later the properties, the gate and
// the fuzzers all judge through this one function, so a clause means the
// same thing everywhere.
#ifndef SOFTCHECK_ORACLE_VERDICT_H_
#define SOFTCHECK_ORACLE_VERDICT_H_

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "impl/softmax.h"
#include "oracle/accuracy.h"

namespace softcheck {

struct Finding {
  Clause clause;
  size_t index;      // the worst (or first) offending element
  std::string what;  // one line: expected vs actual, hex floats included
};

struct RowVerdict {
  std::vector<Finding> findings;  // empty: the row keeps the contract
  AccuracyVerdict accuracy;       // statistics, for reports
  bool Holds() const { return findings.empty(); }
  bool Breaks(Clause c) const {
    for (const Finding& f : findings)
      if (f.clause == c) return true;
    return false;
  }
};

// The judging parameters a kernel's claims imply.
AccuracyRule RuleFor(const Claims& claims);

// Judges y = kernel(x, T) against `exact` (oracle::Softmax(x, T).exact).
// Which clause a bad element breaks follows from the row:
//   * NaN or +inf in x:     every y_i must be NaN             (nan-propagation)
//                           (rule.non_finite == kAny: anything goes)
//   * every x_i = -inf:     every y_i must be +0              (fully-masked)
//                           (rule.fully_masked: +0, NaN, or anything)
//   * x_i = -inf otherwise: y_i must be +0                    (masking)
//   * finite x_i:           y_i finite                        (overflow-safe)
//                           and within the accuracy rule      (accuracy, or
//                                                   temperature when T != 1)
template <typename T>
RowVerdict JudgeRow(const T* x, size_t n, T temperature, const T* y,
                    const std::vector<long double>& exact,
                    const AccuracyRule& rule);

// The same answer bit for bit: +0 and -0 differ, two NaNs agree whatever
// their payloads. The rule of every repeatability and canary check.
template <typename T>
bool SameBits(T a, T b) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<Bits>(a) == std::bit_cast<Bits>(b);
}

// Hygiene: the same input must give the same bits whatever y held before,
// in place or out of place, call after call. `runs` are outputs of such
// repeated calls; the first is the reference.
template <typename T>
std::vector<Finding> JudgeRepeatability(const std::vector<std::vector<T>>& runs,
                                        const std::vector<std::string>& labels);

}  // namespace softcheck

#endif  // SOFTCHECK_ORACLE_VERDICT_H_
