// highway: the max-shift softmax written once with Google Highway and compiled
// for every SIMD target Highway generates on this architecture (x86 with
// Highway 1.0.3: AVX3, AVX2, SSE4, SSSE3 and the portable fallback, SCALAR
// under g++ and EMU128 under clang), dispatched at run time.
//
// Contract (the full contract of impl/softmax.h; nothing is an expected
// failure), identical on every target:
//   * Lane types: float and double; one contiguous row of n elements.
//   * Algorithm: three passes over the row, four vectors per iteration with
//     independent accumulators:
//       1. m = max_i x_i;
//       2. e_i = exp(z_i), z_i = x_i - m (T == 1: no scaling at all) or
//          z_i = (x_i - m) / T (T != 1: a true division, so z_i carries the
//          two roundings the accuracy rule allows, not the three of a
//          multiply by a rounded 1/T); e_i is stored in y and summed;
//       3. y_i = e_i * (1 / sum).
//   * exp: our own (ExpNonPositive below), for z <= 0 only. With L = the
//     lane count (16 floats / 8 doubles on AVX3, 8 / 4 on AVX2, 4 / 2 on
//     SSE4, 1 on SCALAR): z = (K/L) ln2 + r, |r| <= ln2/(2L), K = L k + j;
//     exp(z) = 2^k * 2^(j/L) * (1 + q(r)). K from a round-to-nearest shifter;
//     r from a two-constant Cody-Waite reduction; 2^(j/L) from a table held
//     in one register (one permute) with its rounding error folded into q;
//     2^k added to the table entry's exponent field as an integer; q(r) =
//     r + r^2 Q(r), Q of degree 1 (AVX3 float) to 10, fitted for relative
//     error. Error against std::exp in long double (float: every float in
//     [ln FLT_MIN, 0]; double: 10^8 points of [ln DBL_MIN, 0]):
//       targets with FMA (AVX3, AVX2):    0.60 ulp float, 0.68 ulp double;
//       without (SSE4, SSSE3, EMU128, SCALAR): 0.95 ulp float, 1.05 double.
//     Claims::exp_ulp is 0.75 / 1.15 accordingly.
//   * Valid range: any finite input. Every exp argument is <= 0, so e_i <= 1,
//     the sum lies in [1, n] and nothing overflows. z below -87.35 (float) /
//     -708.41 (double) gives exactly 0: there exp(z) < FLT_MIN / DBL_MIN, so
//     the output, e_i / sum <= e_i, is subnormal, which the contract lets us
//     flush. The same test sends z = -inf (x_i = -inf, or x_i - m rounding to
//     -inf for x_i = -FLT_MAX, m = FLT_MAX; or a huge (x_i - m) / T) to
//     exactly +0, where the reduction alone would give NaN. Above it 2^k * T_j
//     is normal (k >= -126 / -1022) and only the final product may round to a
//     subnormal.
//   * -inf entries give exactly +0 and the rest the softmax of the others; an
//     all -inf row gives all +0.
//   * NaN or +inf anywhere gives an all-NaN row. x86 max instructions drop a
//     NaN operand, so the maximum alone cannot see NaN; instead the exp is
//     NaN-transparent (z = NaN -> r = NaN -> NaN, and the underflow test lets
//     NaN through), so one NaN makes the sum NaN and pass 3 multiplies every
//     element by 1/NaN: no per-element test. +inf makes m = +inf (or, if a
//     NaN hid it from the maximum, the NaN does the job), caught before pass
//     2. Only when m is not finite does a scalar loop look at the row again,
//     to tell an all -inf row from one whose NaNs the maximum dropped.
//   * n == 0 reads and writes nothing; n == 1 finite gives exactly 1 (exp(0)
//     is exactly 1: K = 0, r = 0, q = 0, T_0 = 1).
//   * Never reads x or writes y outside [0, n): the last partial vector is
//     handled by a full vector ending at element n - 1, overlapping the one
//     before (in passes 2 and 3 it is loaded before the main loop runs, so in
//     place stays correct; its overlapping lanes are masked out of the sum
//     and rewritten with the same bits); rows shorter than one vector are
//     copied into a stack buffer padded with -inf.
//   * In place (x == y) allowed and bit-identical to out of place; y's old
//     contents are never read before being written; deterministic (fixed
//     summation order per target; targets differ by a few ulp).
//   * Accuracy: relative error of y_i about u (2 E + 3 + s (|z_i| + sum_j y_j
//     |z_j|) + n / (4 L)), s = 1 for T == 1 and 2 for the division, E the
//     target's exp bound: the sum has 4 L partial sums, far better than the
//     (n - 1) u worst case of a sequential one.
//   * Speed (float, n = 1024, cache resident, Zen 5 at ~2.2 GHz): about
//     0.2 ns per element on AVX3, 0.35 on AVX2; pass 2 is about 17 vector
//     instructions per vector, pass 1 one, pass 3 two.
//
// Build note: HWY_TARGET_INCLUDE names this file relative to the source root,
// so the repository root must be on the include path (-I.).
#include <stddef.h>
#include <stdint.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "impl/softmax_highway.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "impl/softmax.h"
#include "impl/softmax_common.h"

// Target-independent constants, defined once although foreach_target.h
// includes this file once per target.
#ifndef SOFTCHECK_IMPL_SOFTMAX_HIGHWAY_CONSTANTS_
#define SOFTCHECK_IMPL_SOFTMAX_HIGHWAY_CONSTANTS_
namespace softcheck {
namespace highway_exp {

// The largest error of ExpNonPositive, in ulp of the exact result, float and
// double: Claims::exp_ulp of each target. Measured (see the header) at most
// 0.60 / 0.68 ulp with FMA and 0.95 / 1.05 ulp without, where the reduction,
// the polynomial and the final T (1 + q) each round twice.
inline constexpr double kExpUlpFma = 0.75;
inline constexpr double kExpUlpNoFma = 1.15;

template <typename T>
struct ExpConstants;

template <>
struct ExpConstants<float> {
  static constexpr float kLog2e = 1.44269504088896341f;
  // 1.5 * 2^23: adding it to |v| < 2^22 rounds v to the nearest integer K
  // and leaves K (two's complement) in the low mantissa bits.
  static constexpr float kShifter = 12582912.0f;
  static constexpr int kMantissaBits = 23;
  // ln2 = kLn2Hi + kLn2Lo; kLn2Hi has 15 significant bits, so K * kLn2Hi / L
  // is exact even without FMA for |K| < 512 (the targets without FMA have
  // L <= 4, |K| <= 127 L), and so is z - K * kLn2Hi / L.
  static constexpr float kLn2Hi = 0.693145751953125f;
  static constexpr float kLn2Lo = 1.428606765330187045e-6f;
  // Below this exp(z) < FLT_MIN, so the softmax output (e / sum <= e) is
  // subnormal at most: return 0. At or above it, k >= -126 for every table
  // size L <= 16, so 2^k * T_j is a normal number.
  static constexpr float kUnderflow = -87.35f;
};

template <>
struct ExpConstants<double> {
  static constexpr double kLog2e = 1.4426950408889634074;
  static constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52
  static constexpr int kMantissaBits = 52;
  // fdlibm's split: kLn2Hi has 32 significant bits (exact K * kLn2Hi / L
  // for |K| < 2^21).
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  static constexpr double kUnderflow = -708.41;  // ln(DBL_MIN) = -708.3964
};

// Per lane type and table size L (the lane count: one permute reads the
// table): kPoly = c2.. of exp(r) ~ 1 + r + r^2 (c2 + c3 r + ...) on
// |r| <= 1.02 ln2 / (2L), Chebyshev-interpolated (the error in u, before
// rounding, is noted); kTable = the bits of T_j = 2^(j/L) rounded, minus
// j << (mantissa bits - log2 L), which the exponent shift in ExpNonPositive
// adds back; kTableLo = (2^(j/L) - T_j) / T_j, the table's own rounding error,
// folded into the polynomial so that the table costs no accuracy.
template <typename T, size_t kL>
struct ExpTable;

template <>
struct ExpTable<float, 1> {
  // |r| <= 0.35351; polynomial error 0.014 u
  static constexpr float kPoly[] = {5.000000000e-01f, 1.666666716e-01f,
                                    4.166644812e-02f, 8.333308622e-03f,
                                    1.393545186e-03f, 1.989299199e-04f};
  static constexpr uint32_t kTable[] = {0x3F800000u};
  static constexpr float kTableLo[] = {0.000000000e+00f};
};
template <>
struct ExpTable<float, 2> {
  // |r| <= 0.17675; polynomial error 0.001 u
  static constexpr float kPoly[] = {5.000000000e-01f, 1.666666120e-01f,
                                    4.166666046e-02f, 8.341085166e-03f,
                                    1.389857731e-03f};
  static constexpr uint32_t kTable[] = {0x3F800000u, 0x3F7504F3u};
  static constexpr float kTableLo[] = {0.000000000e+00f, 1.711427089e-08f};
};
template <>
struct ExpTable<float, 4> {
  // |r| <= 0.08838; polynomial error 0.002 u
  static constexpr float kPoly[] = {5.000000000e-01f, 1.666666716e-01f,
                                    4.167751595e-02f, 8.334883489e-03f};
  static constexpr uint32_t kTable[] = {0x3F800000u, 0x3F7837F0u, 0x3F7504F3u,
                                        0x3F7744FDu};
  static constexpr float kTableLo[] = {0.000000000e+00f, 3.193418152e-08f,
                                       1.711427089e-08f, -1.471960509e-08f};
};
template <>
struct ExpTable<float, 8> {
  // |r| <= 0.04419; polynomial error 0.006 u
  static constexpr float kPoly[] = {5.000000000e-01f, 1.666788757e-01f,
                                    4.166870192e-02f};
  static constexpr uint32_t kTable[] = {0x3F800000u, 0x3F7B95C2u, 0x3F7837F0u,
                                        0x3F75FED7u, 0x3F7504F3u, 0x3F75672Au,
                                        0x3F7744FDu, 0x3F7AC0C7u};
  static constexpr float kTableLo[] = {0.000000000e+00f,  -1.199215749e-08f,
                                       3.193418152e-08f,  -3.099071932e-08f,
                                       1.711427089e-08f,  5.233334210e-09f,
                                       -1.471960509e-08f, -6.128259677e-09f};
};
template <>
struct ExpTable<float, 16> {
  // |r| <= 0.02209; polynomial error 0.085 u
  static constexpr float kPoly[] = {5.000101924e-01f, 1.666686982e-01f};
  static constexpr uint32_t kTable[] = {
      0x3F800000u, 0x3F7DAAC3u, 0x3F7B95C2u, 0x3F79C3D3u,
      0x3F7837F0u, 0x3F76F532u, 0x3F75FED7u, 0x3F75583Fu,
      0x3F7504F3u, 0x3F7508A4u, 0x3F75672Au, 0x3F76248Cu,
      0x3F7744FDu, 0x3F78CCDFu, 0x3F7AC0C7u, 0x3F7D257Du};
  static constexpr float kTableLo[] = {
      0.000000000e+00f,  4.628547146e-08f,  -1.199215749e-08f,
      4.729782432e-08f,  3.193418152e-08f,  3.621057232e-08f,
      -3.099071932e-08f, -7.475213337e-09f, 1.711427089e-08f,
      -3.047683350e-08f, 5.233334210e-09f,  6.107591766e-09f,
      -1.471960509e-08f, -5.258795177e-09f, -6.128259677e-09f,
      5.140609272e-09f};
};
template <>
struct ExpTable<double, 1> {
  // |r| <= 0.35351; polynomial error 0.009 u
  static constexpr double kPoly[] = {
      5.00000000000000000e-01, 1.66666666666666713e-01, 4.16666666666666574e-02,
      8.33333333332449133e-03, 1.38888888888898500e-03, 1.98412698799589290e-04,
      2.48015873146806759e-05, 2.75572493786506191e-06, 2.75572814178943137e-07,
      2.51075776521084941e-08, 2.09127151664351832e-09};
  static constexpr uint64_t kTable[] = {0x3FF0000000000000ull};
  static constexpr double kTableLo[] = {0.00000000000000000e+00};
};
template <>
struct ExpTable<double, 2> {
  // |r| <= 0.17675; polynomial error 0.006 u
  static constexpr double kPoly[] = {
      5.00000000000000000e-01, 1.66666666666665853e-01,
      4.16666666666665880e-02, 8.33333333368974430e-03,
      1.38888888892258681e-03, 1.98412657196460145e-04,
      2.48015835610821391e-05, 2.75749272418775855e-06,
      2.75725934813241960e-07};
  static constexpr uint64_t kTable[] = {0x3FF0000000000000ull,
                                        0x3FEEA09E667F3BCDull};
  static constexpr double kTableLo[] = {0.00000000000000000e+00,
                                        -6.83848863840784816e-17};
};
template <>
struct ExpTable<double, 4> {
  // |r| <= 0.08838; polynomial error 0.002 u
  static constexpr double kPoly[] = {
      5.00000000000000000e-01, 1.66666666666666630e-01, 4.16666666667021568e-02,
      8.33333333334337553e-03, 1.38888886721814453e-03, 1.98412696669279418e-04,
      2.48059369974894929e-05, 2.75607146539525554e-06};
  static constexpr uint64_t kTable[] = {
      0x3FF0000000000000ull, 0x3FEF06FE0A31B715ull, 0x3FEEA09E667F3BCDull,
      0x3FEEE89F995AD3ADull};
  static constexpr double kTableLo[] = {
      0.00000000000000000e+00, 3.34594531332979529e-17,
      -6.83848863840784816e-17, 4.87370874420802038e-17};
};
template <>
struct ExpTable<double, 8> {
  // |r| <= 0.04419; polynomial error 0.105 u
  static constexpr double kPoly[] = {
      5.00000000000005773e-01, 1.66666666666667324e-01,
      4.16666666134750605e-02, 8.33333332736797133e-03,
      1.38896153189283509e-03, 1.98420791763929011e-04};
  static constexpr uint64_t kTable[] = {
      0x3FF0000000000000ull, 0x3FEF72B83C7D517Bull, 0x3FEF06FE0A31B715ull,
      0x3FEEBFDAD5362A27ull, 0x3FEEA09E667F3BCDull, 0x3FEEACE5422AA0DBull,
      0x3FEEE89F995AD3ADull, 0x3FEF5818DCFBA487ull};
  static constexpr double kTableLo[] = {
      0.00000000000000000e+00,  -2.79375195005559343e-17,
      3.34594531332979529e-17,  1.95631994298540448e-17,
      -6.83848863840784816e-17, 5.15312290212758577e-17,
      4.87370874420802038e-17,  1.79123124209488995e-17};
};

}  // namespace highway_exp
}  // namespace softcheck
#endif  // SOFTCHECK_IMPL_SOFTMAX_HIGHWAY_CONSTANTS_

HWY_BEFORE_NAMESPACE();
namespace softcheck {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Horner steps p = p * r + kPoly[I - 1], ..., p * r + kPoly[0].
template <class Table, size_t I, class D, class V = hn::Vec<D>>
HWY_INLINE V HornerTail(D d, V r, V p) {
  if constexpr (I == 0) {
    return p;
  } else {
    return HornerTail<Table, I - 1>(
        d, r, hn::MulAdd(p, r, hn::Set(d, Table::kPoly[I - 1])));
  }
}

// The exp table has one entry per lane, so one permute reads it; scalable
// vectors (SVE, RVV) have no compile-time lane count and use L = 1.
template <class D>
constexpr size_t ExpTableSize(D d) {
#if HWY_HAVE_SCALABLE
  (void)d;
  return 1;
#else
  return hn::MaxLanes(d) < 16 ? hn::MaxLanes(d) : 16;
#endif
}

constexpr int Log2(size_t n) { return n <= 1 ? 0 : 1 + Log2(n / 2); }

// exp(z) for z <= 0, -inf and NaN (z > 0 is never passed: z = x - max).
//   z = (K / L) ln2 + r, K = round(z L / ln2), |r| <= ln2 / (2L), with
//   K = L k + j: exp(z) = 2^k * 2^(j/L) * exp(r).
// K comes from a round-to-nearest shifter; r from a two-constant Cody-Waite
// reduction (exact first step); 2^(j/L) from a one-register table looked up
// by the low bits of K; 2^k * T_j by adding k to T_j's exponent field (an
// integer add: k >= -126 keeps it normal); exp(r) - 1 = r + r^2 Q(r) plus
// the table's rounding error, so the only rounding that matters is the
// final fused T (1 + q). Measured error: see kExpUlpFma.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpNonPositive(D d, V z) {
  using T = hn::TFromD<D>;
  using K = highway_exp::ExpConstants<T>;
  constexpr size_t kL = ExpTableSize(D());
  using Table = highway_exp::ExpTable<T, kL>;
  constexpr size_t kDegreeQ =
      sizeof(Table::kPoly) / sizeof(Table::kPoly[0]) - 1;
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  using TU = hn::TFromD<decltype(du)>;

  const V shifter = hn::Set(d, K::kShifter);
  // kf = shifter + K, exact integer arithmetic in the shifter's binade.
  const V kf = hn::MulAdd(z, hn::Set(d, T(kL) * K::kLog2e), shifter);
  const V k = hn::Sub(kf, shifter);
  V r = hn::NegMulAdd(k, hn::Set(d, K::kLn2Hi / T(kL)), z);
  r = hn::NegMulAdd(k, hn::Set(d, K::kLn2Lo / T(kL)), r);

  // q = exp(r) - 1 (+ the table entry's relative rounding error).
  const V r2 = hn::Mul(r, r);
  const V poly =
      HornerTail<Table, kDegreeQ>(d, r, hn::Set(d, Table::kPoly[kDegreeQ]));
  V q = hn::MulAdd(poly, r2, r);

  // K's bits: the low log2(L) are j, the rest k; shifted so that k lands in
  // the exponent field (the shifter's own bits shift out).
  const auto kbits = hn::BitCast(du, kf);
  const auto scale = hn::ShiftLeft<K::kMantissaBits - Log2(kL)>(kbits);
  hn::Vec<decltype(du)> tbits;
  if constexpr (kL == 1) {
    tbits = hn::Set(du, static_cast<TU>(Table::kTable[0]));
  } else {
    // Masked to [0, L) (the low bits of K mod L): a valid permute index.
    const auto index = hn::IndicesFromVec(
        du, hn::BitCast(di, hn::And(kbits, hn::Set(du, TU{kL - 1}))));
    tbits = hn::TableLookupLanes(hn::LoadU(du, Table::kTable), index);
    q = hn::Add(
        q, hn::BitCast(
               d, hn::TableLookupLanes(
                      hn::BitCast(du, hn::LoadU(d, Table::kTableLo)), index)));
  }
  const V t = hn::BitCast(d, hn::Add(tbits, scale));  // 2^k * T_j
  // z < kUnderflow (including -inf, where r is NaN): 0. NaN compares false
  // and stays NaN through r and q. (Written as a zeroing select on "not
  // less", so that AVX-512 folds it into the FMA as zero-masking.)
  return hn::IfThenElseZero(hn::Not(hn::Lt(z, hn::Set(d, K::kUnderflow))),
                            hn::MulAdd(t, q, t));
}

// z = x - max, or (x - max) / T.
template <bool kScaled, class V>
HWY_INLINE V Shifted(V x, V max, V temperature) {
  if constexpr (kScaled) {
    return hn::Div(hn::Sub(x, max), temperature);
  } else {
    (void)temperature;
    return hn::Sub(x, max);
  }
}

// Pass 1. Requires n >= Lanes(d). NaN may or may not be dropped (x86 max
// ignores a NaN operand); the caller copes with either.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE T RowMax(D d, const T* x, size_t n) {
  const size_t N = hn::Lanes(d);
  const T kInf = std::numeric_limits<T>::infinity();
  auto m0 = hn::Set(d, -kInf), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    m0 = hn::Max(m0, hn::LoadU(d, x + i));
    m1 = hn::Max(m1, hn::LoadU(d, x + i + N));
    m2 = hn::Max(m2, hn::LoadU(d, x + i + 2 * N));
    m3 = hn::Max(m3, hn::LoadU(d, x + i + 3 * N));
  }
  for (; i + N <= n; i += N) m0 = hn::Max(m0, hn::LoadU(d, x + i));
  // The partial last vector: a full vector ending at n - 1 (n >= N), which
  // re-reads some elements, harmless for a maximum.
  if (i < n) m1 = hn::Max(m1, hn::LoadU(d, x + n - N));
  const auto m = hn::Max(hn::Max(m0, m1), hn::Max(m2, m3));
  // MaxOfLanes may start from the lowest finite value (EMU128's does), which
  // would turn a fully masked row into -MAX: say -inf ourselves.
  if (HWY_UNLIKELY(hn::AllTrue(d, hn::Eq(m, hn::Set(d, -kInf))))) return -kInf;
  return hn::GetLane(hn::MaxOfLanes(d, m));
}

// Pass 2: y_i = exp(z_i), returns the sum. Requires n >= Lanes(d).
template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_INLINE T ExpAndSum(D d, const T* x, T* y, size_t n, T max, T temperature) {
  const size_t N = hn::Lanes(d);
  const auto vmax = hn::Set(d, max);
  const auto vt = hn::Set(d, temperature);
  const size_t full = n - n % N;
  // The partial last vector is read before anything is written, so in place
  // sees the original x there; its lanes that overlap the main loop's last
  // vector are masked out of the sum and stored again with the same bits.
  auto tail = hn::Zero(d);
  if (full != n) {
    tail =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + n - N), vmax, vt));
  }
  auto s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 4 * N <= full; i += 4 * N) {
    const auto e0 =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i), vmax, vt));
    const auto e1 =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i + N), vmax, vt));
    const auto e2 = ExpNonPositive(
        d, Shifted<kScaled>(hn::LoadU(d, x + i + 2 * N), vmax, vt));
    const auto e3 = ExpNonPositive(
        d, Shifted<kScaled>(hn::LoadU(d, x + i + 3 * N), vmax, vt));
    hn::StoreU(e0, d, y + i);
    hn::StoreU(e1, d, y + i + N);
    hn::StoreU(e2, d, y + i + 2 * N);
    hn::StoreU(e3, d, y + i + 3 * N);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
    s2 = hn::Add(s2, e2);
    s3 = hn::Add(s3, e3);
  }
  for (; i < full; i += N) {
    const auto e =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i), vmax, vt));
    hn::StoreU(e, d, y + i);
    s0 = hn::Add(s0, e);
  }
  if (full != n) {
    const auto fresh = hn::Not(hn::FirstN(d, N - (n - full)));
    s1 = hn::Add(s1, hn::IfThenElseZero(fresh, tail));
    hn::StoreU(tail, d, y + n - N);
  }
  const auto s = hn::Add(hn::Add(s0, s1), hn::Add(s2, s3));
  return hn::GetLane(hn::SumOfLanes(d, s));
}

// Pass 3: y_i *= scale. Requires n >= Lanes(d). The partial last vector is
// loaded before the main loop scales the lanes it shares with it.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void ScaleRow(D d, T* y, size_t n, T scale) {
  const size_t N = hn::Lanes(d);
  const auto v = hn::Set(d, scale);
  const size_t full = n - n % N;
  auto tail = hn::Zero(d);
  if (full != n) tail = hn::Mul(hn::LoadU(d, y + n - N), v);
  size_t i = 0;
  for (; i + 4 * N <= full; i += 4 * N) {
    const auto a0 = hn::Mul(hn::LoadU(d, y + i), v);
    const auto a1 = hn::Mul(hn::LoadU(d, y + i + N), v);
    const auto a2 = hn::Mul(hn::LoadU(d, y + i + 2 * N), v);
    const auto a3 = hn::Mul(hn::LoadU(d, y + i + 3 * N), v);
    hn::StoreU(a0, d, y + i);
    hn::StoreU(a1, d, y + i + N);
    hn::StoreU(a2, d, y + i + 2 * N);
    hn::StoreU(a3, d, y + i + 3 * N);
  }
  for (; i < full; i += N)
    hn::StoreU(hn::Mul(hn::LoadU(d, y + i), v), d, y + i);
  if (full != n) hn::StoreU(tail, d, y + n - N);
}

// The maximum is -inf, +inf or NaN: the row is fully masked, or holds +inf or
// NaN. Scalar and rare; reads all of x before writing y.
template <typename T>
HWY_NOINLINE void NonFiniteMaxRow(const T* x, T* y, size_t n, T max) {
  bool nan = !(max == -std::numeric_limits<T>::infinity());
  for (size_t i = 0; i < n && !nan; ++i) nan = std::isnan(x[i]);
  FillRow(y, n, nan ? std::numeric_limits<T>::quiet_NaN() : T(0));
}

// Requires n >= Lanes(d) and an ordinary temperature.
template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxRowVectors(D d, const T* x, T* y, size_t n,
                                  T temperature) {
  const T max = RowMax(d, x, n);
  if (!(max > -std::numeric_limits<T>::infinity() &&
        max < std::numeric_limits<T>::infinity())) {
    return NonFiniteMaxRow(x, y, n, max);
  }
  const T sum = ExpAndSum<kScaled>(d, x, y, n, max, temperature);
  // sum >= 1 (the maximum contributes exp(0) = 1) unless it is NaN, which
  // then spreads to every output through the multiply.
  ScaleRow(d, y, n, T(1) / sum);
}

template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxRow(D d, const T* x, T* y, size_t n, T temperature) {
  const size_t N = hn::Lanes(d);
  if (HWY_LIKELY(n >= N)) {
    return SoftmaxRowVectors<kScaled>(d, x, y, n, temperature);
  }
  // Shorter than one vector: work on a padded copy rather than read past
  // x + n. -inf padding contributes exp(-inf) = 0 to the sum and nothing to
  // the maximum.
  HWY_ALIGN T buf[hn::MaxLanes(d)];
  for (size_t i = 0; i < N; ++i) {
    buf[i] = i < n ? x[i] : -std::numeric_limits<T>::infinity();
  }
  SoftmaxRowVectors<kScaled>(d, buf, buf, N, temperature);
  for (size_t i = 0; i < n; ++i) y[i] = buf[i];
}

template <typename T>
HWY_INLINE void Softmax(const T* x, T* y, size_t n, T temperature) {
  if (HandleSpecialTemperature(x, y, n, temperature)) return;
  if (n == 0) return;
  const hn::ScalableTag<T> d;
  if (temperature == T(1)) {
    SoftmaxRow<false>(d, x, y, n, temperature);  // T == 1 pays no division
  } else {
    SoftmaxRow<true>(d, x, y, n, temperature);
  }
}

void SoftmaxF32Impl(const float* x, float* y, size_t n, float temperature) {
  Softmax(x, y, n, temperature);
}

void SoftmaxF64Impl(const double* x, double* y, size_t n, double temperature) {
  Softmax(x, y, n, temperature);
}

// The exp exactly as the softmax uses it, for the accuracy tests: out[i] =
// exp(z[i]) for z[i] <= 0.
template <typename T>
HWY_INLINE void ExpRow(const T* z, T* out, size_t n) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(ExpNonPositive(d, hn::LoadU(d, z + i)), d, out + i);
  }
  if (i == n) return;
  HWY_ALIGN T buf[hn::MaxLanes(d)] = {};
  for (size_t j = i; j < n; ++j) buf[j - i] = z[j];
  hn::Store(ExpNonPositive(d, hn::Load(d, buf)), d, buf);
  for (size_t j = i; j < n; ++j) out[j] = buf[j - i];
}

void ExpF32Impl(const float* z, float* out, size_t n) { ExpRow(z, out, n); }
void ExpF64Impl(const double* z, double* out, size_t n) { ExpRow(z, out, n); }

// This target's Claims::exp_ulp.
double ExpUlpImpl() {
  return HWY_NATIVE_FMA ? highway_exp::kExpUlpFma : highway_exp::kExpUlpNoFma;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace softcheck
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace softcheck {

HWY_EXPORT(SoftmaxF32Impl);
HWY_EXPORT(SoftmaxF64Impl);
HWY_EXPORT(ExpF32Impl);
HWY_EXPORT(ExpF64Impl);
HWY_EXPORT(ExpUlpImpl);

namespace {

void DispatchedSoftmaxF32(const float* x, float* y, size_t n, float t) {
  HWY_DYNAMIC_DISPATCH(SoftmaxF32Impl)(x, y, n, t);
}

void DispatchedSoftmaxF64(const double* x, double* y, size_t n, double t) {
  HWY_DYNAMIC_DISPATCH(SoftmaxF64Impl)(x, y, n, t);
}

// `target`'s entry (a single HWY_* bit) in a HWY_EXPORT table, or nullptr
// if it is not compiled into this file. The slot comes from Highway's own
// ChosenTarget, exactly as HWY_DYNAMIC_DISPATCH would pick it were `target`
// the only one supported; slot 0 is the dispatcher, never returned. A
// single-target build has a one-entry table holding the static target.
template <typename F, size_t kSize>
F TargetEntry(F const (&table)[kSize], int64_t target) {
  if ((target & HWY_TARGETS) == 0 || (target & (target - 1)) != 0) {
    return nullptr;
  }
  if constexpr (kSize == 1) {
    return table[0];
  } else {
    hwy::ChosenTarget chosen;
    chosen.Update(target);
    const size_t index = chosen.GetIndex();
    return index == 0 || index >= kSize ? nullptr : table[index];
  }
}

}  // namespace

// Test hooks: the kernel's exp on one target. False if the target is not
// compiled in.
bool HighwayExpForTest(int64_t target, const float* z, float* out, size_t n) {
  const auto f = TargetEntry(HWY_DISPATCH_TABLE(ExpF32Impl), target);
  if (f == nullptr) return false;
  f(z, out, n);
  return true;
}

bool HighwayExpForTest(int64_t target, const double* z, double* out, size_t n) {
  const auto f = TargetEntry(HWY_DISPATCH_TABLE(ExpF64Impl), target);
  if (f == nullptr) return false;
  f(z, out, n);
  return true;
}

std::vector<SoftmaxKernel> HighwaySoftmaxKernels() {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  const std::string kSummary =
      "Highway SIMD, 3 passes (max; own exp + sum, 4x unrolled; scale), ";
  std::vector<SoftmaxKernel> kernels;
  SoftmaxKernel dispatch;
  dispatch.name = dispatch.family = "highway";
  dispatch.target = std::string("dispatch(") +
                    (targets.empty() ? "none" : hwy::TargetName(targets[0])) +
                    ")";
  dispatch.summary = kSummary + "best target at run time";
  dispatch.f32 = &DispatchedSoftmaxF32;
  dispatch.f64 = &DispatchedSoftmaxF64;
  // The claims of the target the dispatcher runs on this CPU (the largest
  // bound, the no-FMA one, if that is somehow unknown).
  dispatch.claims.exp_ulp = highway_exp::kExpUlpNoFma;
  if (!targets.empty()) {
    const auto exp_ulp =
        TargetEntry(HWY_DISPATCH_TABLE(ExpUlpImpl), targets[0]);
    if (exp_ulp != nullptr) dispatch.claims.exp_ulp = exp_ulp();
  }
  kernels.push_back(dispatch);

  for (const int64_t target : targets) {
    const SoftmaxF32 f32 =
        TargetEntry(HWY_DISPATCH_TABLE(SoftmaxF32Impl), target);
    const SoftmaxF64 f64 =
        TargetEntry(HWY_DISPATCH_TABLE(SoftmaxF64Impl), target);
    const auto exp_ulp = TargetEntry(HWY_DISPATCH_TABLE(ExpUlpImpl), target);
    if (f32 == nullptr || f64 == nullptr || exp_ulp == nullptr) continue;
    SoftmaxKernel k;
    k.family = "highway";
    k.target = hwy::TargetName(target);
    k.name = "highway:" + k.target;
    k.summary = kSummary + k.target + " only";
    k.f32 = f32;
    k.f64 = f64;
    k.claims.exp_ulp = exp_ulp();
    kernels.push_back(k);
  }
  return kernels;
}

}  // namespace softcheck
#endif  // HWY_ONCE
