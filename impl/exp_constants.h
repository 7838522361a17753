// The exp's target-independent constants: the reduction and table
// coefficients every target's ExpNonPositive (impl/exp-inl.h) uses, and the
// error figures the kernels claim and tests/exp_sweep.cc holds them to. A
// plain header, so that code outside foreach_target.h can read the figures.
#ifndef SOFTCHECK_IMPL_EXP_CONSTANTS_H_
#define SOFTCHECK_IMPL_EXP_CONSTANTS_H_

#include <stdint.h>

namespace softcheck {
namespace highway_exp {

// The largest error of ExpNonPositive, in ulp of the exact result, float and
// double: Claims::exp_ulp of each target. Measured (impl/exp-inl.h) at most
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
#endif  // SOFTCHECK_IMPL_EXP_CONSTANTS_H_
