// ExpNonPositive: a NaN-transparent vector exp for arguments z <= 0, written
// once with Google Highway and compiled per SIMD target by whichever kernel
// includes it (impl/softmax_highway.cc, impl/attention_highway.cc).
//
// Contract (identical on every target):
//   * Lane types: float and double. Domain: z <= 0, -inf and NaN (z > 0 is
//     never passed: every caller exponentiates x - max or m_old - m_new).
//   * With L = the lane count (16 floats / 8 doubles on AVX3, 8 / 4 on AVX2,
//     4 / 2 on SSE4, 1 on SCALAR): z = (K/L) ln2 + r, |r| <= ln2/(2L),
//     K = L k + j; exp(z) = 2^k * 2^(j/L) * (1 + q(r)). K from a
//     round-to-nearest shifter; r from a two-constant Cody-Waite reduction;
//     2^(j/L) from a table held in one register (one permute) with its
//     rounding error folded into q; 2^k added to the table entry's exponent
//     field as an integer; q(r) = r + r^2 Q(r), Q of degree 1 (AVX3 float) to
//     10, fitted for relative error.
//   * Error against std::exp in long double (float: every float in
//     [ln FLT_MIN, 0]; double: 10^8 points of [ln DBL_MIN, 0]):
//       targets with FMA (AVX3, AVX2):    0.60 ulp float, 0.68 ulp double;
//       without (SSE4, SSSE3, EMU128, SCALAR): 0.96 ulp float, 1.05 double.
//     tests/exp_sweep.cc measures it (every float with no arguments). On
//     2026-12-07 (Zen 1, so no AVX3): AVX2 0.5800 / 0.6792; SSE4, SSSE3
//     and clang's EMU128 0.8371 / 1.0454; g++'s SCALAR 0.9515 / 0.9478 (AVX2,
//     SSE4 and SSSE3 give the same figures under g++ 12 and clang 14).
//     highway_exp::kExpUlpFma / kExpUlpNoFma (0.75 / 1.15) are the bounds the
//     kernels declare as Claims::exp_ulp.
//   * z below -87.35 (float) / -708.41 (double), -inf included, gives exactly
//     +0: there exp(z) < FLT_MIN / DBL_MIN, which the contracts let a kernel
//     flush. exp(0) is exactly 1 (K = 0, r = 0, q = 0, T_0 = 1).
//   * NaN in, NaN out. (hwy::Exp returns 0 for NaN, google/highway#1016,
//     which is why the kernels do not use it.)
//
// Include it after "hwy/highway.h" from a file compiled through
// foreach_target.h; the per-target part uses Highway's toggle guard.
#include <stddef.h>
#include <stdint.h>

// Target-independent constants, defined once although foreach_target.h
// includes this header once per target.
#ifndef SOFTCHECK_IMPL_EXP_INL_CONSTANTS_
#define SOFTCHECK_IMPL_EXP_INL_CONSTANTS_
namespace softcheck {
namespace highway_exp {

// The largest error of ExpNonPositive, in ulp of the exact result, float and
// double: Claims::exp_ulp of each target. Measured (see the header) at most
// 0.60 / 0.68 ulp with FMA and 0.96 / 1.05 ulp without, where the reduction,
// the polynomial and the final T (1 + q) each round twice.
inline constexpr double kExpUlpFma = 0.75;
inline constexpr double kExpUlpNoFma = 1.15;
// The measured figures themselves, rounded up to two decimals: what
// tests/exp_sweep.cc holds every target to (every float with --stride 1; a
// sampled sweep in ctest). With FMA the figures are AVX3's, the larger, from
// earlier sweeps on Zen 4 and Zen 5 (AVX2 measures 0.5800 / 0.6792). The
// float figure without FMA was written 0.95 until the committed sweep
// measured SCALAR's 0.9515: it had been rounded to nearest.
inline constexpr double kExpMeasuredUlpFmaF32 = 0.60;
inline constexpr double kExpMeasuredUlpFmaF64 = 0.68;
inline constexpr double kExpMeasuredUlpNoFmaF32 = 0.96;
inline constexpr double kExpMeasuredUlpNoFmaF64 = 1.05;

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
#endif  // SOFTCHECK_IMPL_EXP_INL_CONSTANTS_

// Per-target part: re-included once per target by foreach_target.h.
#if defined(SOFTCHECK_IMPL_EXP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SOFTCHECK_IMPL_EXP_INL_H_
#undef SOFTCHECK_IMPL_EXP_INL_H_
#else
#define SOFTCHECK_IMPL_EXP_INL_H_
#endif

#include "hwy/highway.h"

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

constexpr int ExpLog2(size_t n) { return n <= 1 ? 0 : 1 + ExpLog2(n / 2); }

// NotLess(a, b): the lanes where !(a < b), NaN included, as one compare on
// the x86 targets whose masks are vectors (vcmpps / cmpps have the
// predicate), where Not(Lt(a, b)) is a compare and an xor with an all-ones
// constant: one operation and one register fewer per vector in the exp
// (the same bits). On a Zen 1 (AVX2), n = 1024 and 16384 in cache, medians
// of 4 interleaved runs: 2.5-2.8% less time per row, 1.2-5.3% batched.
// (Computing the mask first, so that z dies earlier and g++ copies fewer
// registers, measured no better and is not done.)
#undef SOFTCHECK_EXP_NOT_LESS
#if HWY_ARCH_X86 && \
    (HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3)
#define SOFTCHECK_EXP_NOT_LESS 1
template <size_t N>
HWY_INLINE hn::Mask128<float, N> NotLess(hn::Vec128<float, N> a,
                                         hn::Vec128<float, N> b) {
  return hn::Mask128<float, N>{_mm_cmpnlt_ps(a.raw, b.raw)};
}
template <size_t N>
HWY_INLINE hn::Mask128<double, N> NotLess(hn::Vec128<double, N> a,
                                          hn::Vec128<double, N> b) {
  return hn::Mask128<double, N>{_mm_cmpnlt_pd(a.raw, b.raw)};
}
#if HWY_TARGET == HWY_AVX2
HWY_INLINE hn::Mask256<float> NotLess(hn::Vec256<float> a, hn::Vec256<float> b) {
  return hn::Mask256<float>{_mm256_cmp_ps(a.raw, b.raw, _CMP_NLT_UQ)};
}
HWY_INLINE hn::Mask256<double> NotLess(hn::Vec256<double> a,
                                       hn::Vec256<double> b) {
  return hn::Mask256<double>{_mm256_cmp_pd(a.raw, b.raw, _CMP_NLT_UQ)};
}
#endif
#else
#define SOFTCHECK_EXP_NOT_LESS 0
#endif

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
  const auto scale = hn::ShiftLeft<K::kMantissaBits - ExpLog2(kL)>(kbits);
  hn::Vec<decltype(du)> tbits;
  if constexpr (kL == 1) {
    tbits = hn::Set(du, static_cast<TU>(Table::kTable[0]));
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  } else if constexpr (sizeof(T) == 4 && kL == hn::MaxLanes(d)) {
    // x86 vpermd (AVX2: 8 lanes, AVX3: 16) reads only the low log2(L) bits
    // of each index, which are exactly j: no mask. (Highway's
    // IndicesFromVec asserts in-range indices in debug builds, so the raw
    // instruction.) The same bits as the masked lookup below, one
    // instruction fewer per vector.
    const auto table = hn::LoadU(du, Table::kTable);
    const auto lo = hn::BitCast(du, hn::LoadU(d, Table::kTableLo));
#if HWY_TARGET <= HWY_AVX3
    tbits.raw = _mm512_permutexvar_epi32(kbits.raw, table.raw);
    auto tlo = lo;
    tlo.raw = _mm512_permutexvar_epi32(kbits.raw, lo.raw);
#else
    tbits.raw = _mm256_permutevar8x32_epi32(table.raw, kbits.raw);
    auto tlo = lo;
    tlo.raw = _mm256_permutevar8x32_epi32(lo.raw, kbits.raw);
#endif
    q = hn::Add(q, hn::BitCast(d, tlo));
#endif
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
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if constexpr (sizeof(T) == 4) {
    // "Not less than, unordered true" in one compare (NaN keeps its lane),
    // folded into the FMA as zero-masking.
    const hn::Mask512<T> keep{
        _mm512_cmp_ps_mask(z.raw, hn::Set(d, K::kUnderflow).raw, _CMP_NLT_UQ)};
    return hn::IfThenElseZero(keep, hn::MulAdd(t, q, t));
  }
#endif
#if SOFTCHECK_EXP_NOT_LESS
  return hn::IfThenElseZero(NotLess(z, hn::Set(d, K::kUnderflow)),
                            hn::MulAdd(t, q, t));
#else
  return hn::IfThenElseZero(hn::Not(hn::Lt(z, hn::Set(d, K::kUnderflow))),
                            hn::MulAdd(t, q, t));
#endif
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace softcheck
HWY_AFTER_NAMESPACE();

#endif  // SOFTCHECK_IMPL_EXP_INL_H_ (per target)
