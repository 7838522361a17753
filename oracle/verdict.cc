#include "oracle/verdict.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "oracle/error.h"

namespace softcheck {
namespace {

template <typename T>
std::string Show(T v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{} ({:a})", v, v);
}

std::string ShowExact(long double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.10Lg}", v);
}

bool IsPositiveZero(long double v) { return v == 0 && !std::signbit(v); }

}  // namespace

AccuracyRule RuleFor(const Claims& claims) {
  AccuracyRule rule;
  rule.slack = claims.rule_slack;
  rule.exp_ulp = claims.exp_ulp;
  rule.sequential_sum = claims.sequential_sum;
  rule.fully_masked = claims.fully_masked;
  rule.non_finite = claims.non_finite;
  return rule;
}

template <typename T>
RowVerdict JudgeRow(const T* x, size_t n, T temperature, const T* y,
                    const std::vector<long double>& exact,
                    const AccuracyRule& rule) {
  constexpr T kInf = std::numeric_limits<T>::infinity();
  RowVerdict v;
  bool nan_row = !(temperature >= 0);  // a negative or NaN T is a NaN row
  size_t unmasked = 0;
  for (size_t i = 0; i < n; ++i) {
    nan_row |= std::isnan(x[i]) || x[i] == kInf;
    unmasked += x[i] != -kInf;
  }
  if (nan_row) {
    if (rule.non_finite == NonFiniteRule::kAny) return v;
    for (size_t i = 0; i < n; ++i)
      if (!std::isnan(y[i])) {
        v.findings.push_back({Clause::kNanPropagation, i,
                              fmt::format("y[{}] = {}, expected NaN: the row "
                                          "holds NaN or +inf", i, Show(y[i]))});
        break;
      }
    return v;
  }
  if (unmasked == 0) {
    if (rule.fully_masked == FullyMaskedRule::kAny) return v;
    const bool want_nan = rule.fully_masked == FullyMaskedRule::kNan;
    for (size_t i = 0; i < n; ++i)
      if (want_nan ? !std::isnan(y[i]) : !IsPositiveZero(y[i])) {
        v.findings.push_back({Clause::kFullyMasked, i,
                              fmt::format("y[{}] = {}, expected {}: every "
                                          "entry is -inf", i, Show(y[i]),
                                          want_nan ? "NaN" : "+0")});
        break;
      }
    return v;
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != -kInf && !std::isfinite(y[i])) {
      v.findings.push_back({Clause::kOverflowSafe, i,
                            fmt::format("y[{}] = {} from finite input "
                                        "(exact {})", i, Show(y[i]),
                                        ShowExact(exact[i]))});
      break;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    // When the finite entries already overflowed to NaN the whole row is
    // lost to that; a NaN at a masked entry is then the same failure, not a
    // second one. Any other value there is a masking failure of its own.
    const bool row_lost = std::isnan(y[i]) && v.Breaks(Clause::kOverflowSafe);
    if (x[i] == -kInf && !IsPositiveZero(y[i]) && !row_lost) {
      v.findings.push_back({Clause::kMasking, i,
                            fmt::format("y[{}] = {}, expected +0: x[{}] is "
                                        "-inf", i, Show(y[i]), i)});
      break;
    }
  }
  v.accuracy = JudgeSoftmax(x, n, temperature, y, exact, rule);
  // A non-finite output is already an overflow finding; the accuracy
  // statistics still show it, but it is not counted as a second clause.
  if (!v.accuracy.ok && !v.Breaks(Clause::kOverflowSafe)) {
    const size_t i = v.accuracy.worst_index;
    v.findings.push_back(
        {temperature == 1 ? Clause::kAccuracy : Clause::kTemperature, i,
         fmt::format("y[{}] = {}, exact {}: {:.3g} ULP, relative error {:.3g}, "
                     "{:.3g}x the allowance {:.3g}; {}/{} elements over", i,
                     Show(y[i]), ShowExact(exact[i]), v.accuracy.worst_ulp,
                     RelativeError<T>(y[i], exact[i]), v.accuracy.worst_ratio,
                     v.accuracy.worst_allowed, v.accuracy.mismatches,
                     v.accuracy.judged)});
  }
  return v;
}

template <typename T>
std::vector<Finding> JudgeRepeatability(const std::vector<std::vector<T>>& runs,
                                        const std::vector<std::string>& labels) {
  std::vector<Finding> out;
  if (runs.empty()) return out;
  const std::vector<T>& ref = runs.front();
  for (size_t r = 1; r < runs.size(); ++r) {
    for (size_t i = 0; i < ref.size(); ++i) {
      if (!SameBits(ref[i], runs[r][i])) {
        out.push_back({Clause::kHygiene, i,
                       fmt::format("y[{}] = {} {} but {} {}", i, Show(ref[i]),
                                   labels.front(), Show(runs[r][i]),
                                   labels[r])});
        break;
      }
    }
  }
  return out;
}

template RowVerdict JudgeRow<float>(const float*, size_t, float, const float*,
                                    const std::vector<long double>&,
                                    const AccuracyRule&);
template RowVerdict JudgeRow<double>(const double*, size_t, double,
                                     const double*,
                                     const std::vector<long double>&,
                                     const AccuracyRule&);
template std::vector<Finding> JudgeRepeatability<float>(
    const std::vector<std::vector<float>>&, const std::vector<std::string>&);
template std::vector<Finding> JudgeRepeatability<double>(
    const std::vector<std::vector<double>>&, const std::vector<std::string>&);

}  // namespace softcheck
