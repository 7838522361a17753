// Error measures (error.h) for T = float and double, in long double so that
// the measure itself adds no error that matters: the exact value carries 64
// bits, the difference of a float/double and it is exact or off by 2^-64
// relative, and the ratio is rounded once more. Results are doubles; one
// that exceeds DBL_MAX is reported as +inf rather than cast (the cast would
// be undefined).
//
// Edge cases, one rule for all three measures:
//   * both NaN: 0 (the NaN was expected); exactly one NaN: +inf;
//   * infinities: an infinite actual equal to an infinite exact is 0, any
//     other pairing with an infinity on either side is +inf (an overflow
//     where none was due, or a finite value where infinity was);
//   * signed zeros are equal (-0 against +0 is 0).
// UlpOf: of 0 and of anything below T's smallest normal it is T's
// denorm_min (the subnormal spacing); above T's range the binades simply
// continue (2^(e - p + 1)), so a value past T's max still gets a finite ulp;
// of NaN it is NaN and of an infinity +inf.
#include "oracle/error.h"

#include <cmath>
#include <limits>

namespace softcheck {
namespace {

// Shared NaN/infinity rules. Returns true and sets *out when they decide.
template <typename T>
bool SpecialError(T actual, long double exact, double* out) {
  const double kInf = std::numeric_limits<double>::infinity();
  const bool actual_nan = std::isnan(actual);
  const bool exact_nan = std::isnan(exact);
  if (actual_nan || exact_nan) {
    *out = actual_nan && exact_nan ? 0.0 : kInf;
    return true;
  }
  if (std::isinf(actual) || std::isinf(exact)) {
    *out = static_cast<long double>(actual) == exact ? 0.0 : kInf;
    return true;
  }
  return false;
}

double ToDouble(long double v) {
  if (v > std::numeric_limits<double>::max())
    return std::numeric_limits<double>::infinity();
  return static_cast<double>(v);
}

}  // namespace

template <typename T>
long double UlpOf(long double exact) {
  using L = std::numeric_limits<T>;
  if (std::isnan(exact)) return exact;
  if (std::isinf(exact)) return std::numeric_limits<long double>::infinity();
  const long double a = std::fabs(exact);
  const long double kSpacing = L::denorm_min();
  if (a < static_cast<long double>(L::min())) return kSpacing;
  // a in [2^e, 2^(e+1)): p significant bits put the last one at 2^(e-p+1).
  return std::ldexp(1.0L, std::ilogb(a) - (L::digits - 1));
}

template <typename T>
double UlpError(T actual, long double exact) {
  double special = 0;
  if (SpecialError(actual, exact, &special)) return special;
  const long double diff = std::fabs(static_cast<long double>(actual) - exact);
  return ToDouble(diff / UlpOf<T>(exact));
}

template <typename T>
double RelativeError(T actual, long double exact) {
  double special = 0;
  if (SpecialError(actual, exact, &special)) return special;
  const long double diff = std::fabs(static_cast<long double>(actual) - exact);
  if (exact == 0) return diff == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return ToDouble(diff / std::fabs(exact));
}

template <typename T>
double AbsoluteError(T actual, long double exact) {
  double special = 0;
  if (SpecialError(actual, exact, &special)) return special;
  return ToDouble(std::fabs(static_cast<long double>(actual) - exact));
}

template long double UlpOf<float>(long double);
template long double UlpOf<double>(long double);
template double UlpError<float>(float, long double);
template double UlpError<double>(double, long double);
template double RelativeError<float>(float, long double);
template double RelativeError<double>(double, long double);
template double AbsoluteError<float>(float, long double);
template double AbsoluteError<double>(double, long double);

}  // namespace softcheck
