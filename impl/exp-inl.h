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

// Target-independent constants (defined once although foreach_target.h
// includes this header once per target).
#include "impl/exp_constants.h"

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
