// The accuracy rule of oracle/accuracy.h. Long double throughout: the
// allowance is a bound, so a few bits of error in computing it do not matter,
// but it must never overflow (|x_i| can be FLT_MAX or DBL_MAX).
#include "oracle/accuracy.h"

#include <cmath>
#include <limits>

#include "oracle/error.h"

namespace softcheck {

template <typename T>
std::vector<double> SoftmaxAllowance(const T* x, size_t n, T temperature,
                                     const std::vector<long double>& exact,
                                     const AccuracyRule& rule) {
  std::vector<double> allowed(n, -1.0);
  if (n == 0) return allowed;
  long double m = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || x[i] == INFINITY) return allowed;  // NaN row
    if (x[i] > m) m = x[i];
  }
  if (!(temperature > 0) || std::isinf(temperature)) {
    // The limits (T == 0 argmax, T == inf uniform) are exact shares 1/k: the
    // kernel rounds one division.
    for (size_t i = 0; i < n; ++i)
      if (x[i] != -INFINITY && !std::isnan(exact[i]))
        allowed[i] = static_cast<double>(
            rule.slack * std::numeric_limits<T>::epsilon() / 2 * exact[i]);
    return allowed;
  }
  const long double t = temperature;
  const bool scaled = temperature != 1;
  long double shift_mean = 0, magnitude_mean = 0;  // S and X of the header
  for (size_t i = 0; i < n; ++i) {
    if (x[i] == -INFINITY) continue;
    shift_mean += exact[i] * ((m - x[i]) / t);
    magnitude_mean += exact[i] * (std::fabs(static_cast<long double>(x[i])) / t);
  }
  const long double u = std::numeric_limits<T>::epsilon() / 2;
  const long double floor = std::numeric_limits<T>::min();
  const long double sum_terms =
      rule.sequential_sum ? static_cast<long double>(n - 1)
                          : std::log2(static_cast<long double>(n)) + 16;
  const long double s = scaled ? 2 : 1;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] == -INFINITY) continue;
    const long double z = (m - x[i]) / t;
    long double b = 4 * rule.exp_ulp + 2 + s * (z + shift_mean) + sum_terms;
    if (scaled) b += std::fabs(static_cast<long double>(x[i])) / t + magnitude_mean;
    // exact[i] is tiny wherever z (and so b) is huge: the product stays finite.
    allowed[i] = static_cast<double>(rule.slack * u * exact[i] * b + floor);
  }
  return allowed;
}

template <typename T>
AccuracyVerdict JudgeSoftmax(const T* x, size_t n, T temperature,
                             const T* actual,
                             const std::vector<long double>& exact,
                             const AccuracyRule& rule) {
  AccuracyVerdict v;
  const std::vector<double> allowed =
      SoftmaxAllowance(x, n, temperature, exact, rule);
  for (size_t i = 0; i < n; ++i) {
    const bool exact_nan = std::isnan(exact[i]);
    if (allowed[i] < 0 && !exact_nan) continue;  // masked entry
    ++v.judged;
    const double ulp = UlpError<T>(actual[i], exact[i]);
    const double rel = RelativeError<T>(actual[i], exact[i]);
    if (ulp > v.max_ulp) v.max_ulp = ulp;
    if (rel > v.max_rel) v.max_rel = rel;
    double ratio;
    if (exact_nan) {
      ratio = std::isnan(actual[i]) ? 0.0 : INFINITY;
    } else if (!std::isfinite(actual[i])) {
      ratio = INFINITY;
    } else {
      const double err = AbsoluteError<T>(actual[i], exact[i]);
      ratio = allowed[i] > 0 ? err / allowed[i] : (err == 0 ? 0.0 : INFINITY);
    }
    if (ratio > 1) ++v.mismatches;
    if (ratio > v.worst_ratio || v.judged == 1) {
      v.worst_ratio = ratio;
      v.worst_index = i;
      v.worst_ulp = ulp;
      v.worst_allowed = exact_nan ? 0 : allowed[i];
    }
  }
  v.ok = v.mismatches == 0;
  return v;
}

#define SOFTCHECK_INSTANTIATE(T)                                            \
  template std::vector<double> SoftmaxAllowance<T>(                         \
      const T*, size_t, T, const std::vector<long double>&,                 \
      const AccuracyRule&);                                                 \
  template AccuracyVerdict JudgeSoftmax<T>(const T*, size_t, T, const T*,   \
                                           const std::vector<long double>&, \
                                           const AccuracyRule&);
SOFTCHECK_INSTANTIATE(float)
SOFTCHECK_INSTANTIATE(double)
#undef SOFTCHECK_INSTANTIATE

}  // namespace softcheck
