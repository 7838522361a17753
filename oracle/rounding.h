// Correct rounding of a Boost.Multiprecision value to float, double or long
// double: round-half-even, IEEE gradual underflow, overflow to infinity,
// never through an intermediate type (so no double rounding). Shared by the
// softmax oracle (oracle/softmax_oracle.cc) and the attention oracle
// (oracle/attention_oracle.cc).
//
// Internal to oracle/: it includes Boost.Multiprecision, which only
// oracle/*.cc may include. Works with any Boost.Multiprecision binary
// floating-point number type (mpfr_float, cpp_bin_float, static or dynamic
// precision) whose precision is at least the destination's plus two bits.
#ifndef SOFTCHECK_ORACLE_ROUNDING_H_
#define SOFTCHECK_ORACLE_ROUNDING_H_

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/multiprecision/number.hpp>

namespace softcheck::oracle::internal {

namespace mp = boost::multiprecision;

// An integer-valued r with 0 <= r < 2^128 (at most 128 significant bits)
// converted exactly. Two 64-bit halves, so long double with 113 bits of
// mantissa (not x86) works as well as the 64-bit x87 one.
template <typename Fp, typename Real>
Fp IntegerToFp(const Real& r) {
  if constexpr (std::numeric_limits<Fp>::digits <= 64) {
    return static_cast<Fp>(r.template convert_to<unsigned long long>());
  } else {
    const Real hi = floor(ldexp(r, -64));
    const Real lo = r - ldexp(hi, 64);
    const Fp hi_fp = static_cast<Fp>(hi.template convert_to<unsigned long long>());
    const Fp lo_fp = static_cast<Fp>(lo.template convert_to<unsigned long long>());
    return std::ldexp(hi_fp, 64) + lo_fp;
  }
}

// Rounds v to the nearest Fp, ties to even, with IEEE gradual underflow and
// overflow to infinity. `direction` says where the true value lies when v is
// itself a rounding of it: > 0 above |v|, < 0 below |v|, 0 exactly |v|; it
// only decides exact ties, which is the one place a prior rounding can
// mislead a later one when the working precision has >= p + 2 bits.
//
// Method: with |v| in [2^(e-1), 2^e), the destination's quantum is 2^q,
// q = max(e - p, emin - p) (emin - p is the subnormal spacing: -149 for
// float, -1074 for double, -16445 for x87 long double). |v| / 2^q is then
// below 2^p; its integer part and the remainder decide the rounding, and
// the rounded integer times 2^q is exact in Fp.
// Working storage for RoundTo, reused across the elements of a row: with
// Boost's expression templates the assignments below then evaluate in place,
// and mpfr variables keep their limbs instead of allocating per element.
template <typename Real>
struct RoundScratch {
  Real magnitude, scaled, integer, remainder;
};

template <typename Fp, typename Real>
Fp RoundTo(const Real& v, RoundScratch<Real>& s, int direction = 0) {
  using L = std::numeric_limits<Fp>;
  static_assert(L::is_iec559 && L::digits <= 128);
  if ((mp::isnan)(v)) return L::quiet_NaN();
  const bool negative = (mp::signbit)(v) != 0;
  const Fp sign = negative ? Fp(-1) : Fp(1);
  if ((mp::isinf)(v)) return sign * L::infinity();
  if (v == 0) return sign * Fp(0);

  s.magnitude = abs(v);
  int e = 0;
  (void)frexp(s.magnitude, &e);  // |v| in [2^(e-1), 2^e)
  if (e > L::max_exponent) return sign * L::infinity();  // |v| >= 2^emax
  const int kSubnormalQuantum = L::min_exponent - L::digits;
  // |v| < 2^e <= 2^(kSubnormalQuantum - 1): below half the smallest
  // subnormal, whatever `direction` says.
  if (e <= kSubnormalQuantum - 1) return sign * Fp(0);

  const int q = std::max(e - L::digits, kSubnormalQuantum);
  s.scaled = ldexp(s.magnitude, -q);  // exact: a power-of-two scaling
  s.integer = floor(s.scaled);
  s.remainder = s.scaled - s.integer;  // exact, in [0, 1)
  Fp m = IntegerToFp<Fp>(s.integer);   // exact: integer < 2^p
  int compare = s.remainder > 0.5 ? 1 : s.remainder < 0.5 ? -1 : 0;
  if (compare == 0) compare = direction;
  if (compare == 0) compare = std::fmod(m, Fp(2)) != 0 ? 1 : -1;  // to even
  if (compare > 0) m += 1;  // exact: m + 1 <= 2^p
  // m reaches 2^p only by rounding up into the next binade, which is out of
  // range exactly when that binade starts at 2^emax.
  if (e == L::max_exponent && m == std::ldexp(Fp(1), L::digits))
    return sign * L::infinity();
  return sign * std::ldexp(m, q);
}

template <typename Fp, typename Real>
Fp RoundTo(const Real& v, int direction = 0) {
  RoundScratch<Real> scratch;
  return RoundTo<Fp>(v, scratch, direction);
}

}  // namespace softcheck::oracle::internal

#endif  // SOFTCHECK_ORACLE_ROUNDING_H_
