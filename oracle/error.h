// Error measures every report uses. Plain types only.
//
// ULP distance is measured in ulps of the exact value: ulp(v) = 2^(e - p + 1)
// for v in [2^e, 2^(e+1)), floored at the subnormal spacing (2^-149 for
// float, 2^-1074 for double), so an exact value of 0 has ulp = denorm_min.
#ifndef SOFTCHECK_ORACLE_ERROR_H_
#define SOFTCHECK_ORACLE_ERROR_H_

namespace softcheck {

// ulp of an exact value as the type T sees it (T = float or double).
template <typename T>
long double UlpOf(long double exact);

// |actual - exact| / ulp(exact). Both NaN: 0. Exactly one NaN, or an infinite
// actual against a finite exact: +inf.
template <typename T>
double UlpError(T actual, long double exact);

// |actual - exact| / |exact|; 0 when both are 0; +inf when exact is 0 and
// actual is not; NaN handling as UlpError.
template <typename T>
double RelativeError(T actual, long double exact);

// |actual - exact|; NaN handling as UlpError.
template <typename T>
double AbsoluteError(T actual, long double exact);

}  // namespace softcheck

#endif  // SOFTCHECK_ORACLE_ERROR_H_
