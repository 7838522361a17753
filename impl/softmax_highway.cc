// highway: the max-shift softmax written once with Google Highway and compiled
// for every SIMD target Highway generates on this architecture (x86 with
// Highway 1.0.3: AVX3, AVX2, SSE4, SSSE3 and the portable fallback, SCALAR
// under g++ and EMU128 under clang), dispatched at run time.
//
// Contract (the full contract of impl/softmax.h; nothing is an expected
// failure), identical on every target:
//   * Lane types: float and double; one contiguous row of n elements.
//   * Algorithm: three passes over the row, four vectors per iteration with
//     independent accumulators (for rows over 2^16 elements pass 2 runs its
//     blocks from the row's end to its start, then the vectors past them:
//     see kBackwardMinRow):
//       1. m = max_i x_i;
//       2. e_i = exp(z_i), z_i = x_i - m (T == 1: no scaling at all) or
//          z_i = (x_i - m) / T (T != 1: a true division, so z_i carries the
//          two roundings the accuracy rule allows, not the three of a
//          multiply by a rounded 1/T); e_i is stored in y and summed;
//       3. y_i = e_i * (1 / sum).
//   * exp: our own (ExpNonPositive in impl/exp-inl.h, shared with the
//     attention kernel), for z <= 0 only. With L = the
//     lane count (16 floats / 8 doubles on AVX3, 8 / 4 on AVX2, 4 / 2 on
//     SSE4, 1 on SCALAR): z = (K/L) ln2 + r, |r| <= ln2/(2L), K = L k + j;
//     exp(z) = 2^k * 2^(j/L) * (1 + q(r)). K from a round-to-nearest shifter;
//     r from a two-constant Cody-Waite reduction; 2^(j/L) from a table held
//     in one register (one permute) with its rounding error folded into q;
//     2^k added to the table entry's exponent field as an integer; q(r) =
//     r + r^2 Q(r), Q of degree 1 (AVX3 float) to 10, fitted for relative
//     error. Measured error (impl/exp-inl.h has the figures per target and
//     tests/exp_sweep.cc measures them): 0.60 / 0.68 ulp float / double
//     with FMA (AVX3, AVX2), 0.96 / 1.05 without (SSE4, SSSE3, EMU128,
//     SCALAR). Claims::exp_ulp is 0.75 / 1.15 accordingly.
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
//   * Batch entry (SoftmaxKernel::batch_f32, float): `rows` contiguous rows,
//     each bit for bit what the per-row entry gives it (each pass is one set
//     of init/block/finish steps that both entries run), except which NaN
//     payload an output NaN carries when the row holds NaNs of several
//     payloads: x86 keeps the first operand's payload when both are NaN, and
//     the compiler commutes the adds of the sum and the multiply e_i *
//     (1 / sum) differently in the two inlined copies (seen on every target
//     here: the per-row AVX2 entry keeps each NaN input's own payload at its
//     index where the batch entry gives every lane the sum's; on SSE4, SSSE3
//     and SCALAR the two sums end with different payloads). At an ordinary
//     temperature, rows of N to 16384 floats in a batch of at most 2 MiB, and
//     rows of N to 1023 floats in a larger one, go through a three-row
//     software pipeline: one loop runs pass 1 of row s, pass 2 of row s - 1
//     and pass 3 of row s - 2, so that the exp's arithmetic, the scaling
//     pass's stores and the max pass's loads overlap, and so do the three
//     rows' reductions. A batch larger than 2 MiB with rows of 1024 to 2^16
//     floats goes row by row with pass 2 writing a scratch row (in L1/L2)
//     and prefetching the next row, and pass 3 writing y from the scratch
//     row with non-temporal stores (aligned vectors; scalar multiplies for
//     the unaligned head and tail), so that y is never read for ownership;
//     a store fence ends the batch. Prefetches fault on nothing and stop at
//     the batch's end. Otherwise it calls the per-row kernel. (On Zen 4 the
//     non-temporal stores through a scratch row measured 20-40% slower on
//     64 MiB batches; on Zen 5 they are 11-18% faster, so they are used.)
//   * Speed (float, AVX3 on Zen 4 at 3.55 GHz, where a 512-bit operation
//     takes two of the four 256-bit FP pipes, so about two vector operations
//     issue per cycle): pass 2 is 17 vector operations per 16 floats (7 of
//     them on the FMA pipes; the subtraction and the sum included), pass 1
//     one, pass 3 one plus a store (a 512-bit store issues every other
//     cycle). Cache-resident, n = 1024: about 0.27 ns per float row by row
//     (15.6 cycles per vector against the three passes' 9.5-cycle issue
//     bound) and 0.20 ns through the batch pipeline (11.4 cycles). On Zen 5
//     (about 3.7 GHz, 512-bit pipes: two FMAs, two adds, two vpermd per
//     cycle) pass 2 holds 8 FMA-pipe operations per 16 floats (pass 3's
//     multiply included), a 4-cycle floor per vector, against about 7
//     cycles measured for all three passes through the batch pipeline
//     (0.12 ns per float at n = 1024) and 10 row by row.
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
#include "hwy/aligned_allocator.h"
#include "hwy/cache_control.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "impl/exp-inl.h"
#include "impl/highway_dispatch.h"
#include "impl/softmax.h"
#include "impl/softmax_common.h"

// A batch whose input is larger than a core's L2 (kStreamedBatchBytes) is
// streamed from memory. Its rows of kStreamMinRow to kStreamMaxRow floats go
// through SoftmaxBatchStreamed: pass 2 writes e_i to a scratch row that
// stays in L1/L2, pass 3 writes y from it with non-temporal stores (so y's
// lines are written once, not read for ownership, but for the lines of a
// row's unaligned head and tail), and pass 2 prefetches
// x at least kPrefetchAhead floats ahead (the next row), so that one row's
// arithmetic overlaps the next one's memory reads. A prefetch reads nothing
// architecturally and none goes past the batch's end.
#ifndef SOFTCHECK_SOFTMAX_PREFETCH_CONSTANTS_
#define SOFTCHECK_SOFTMAX_PREFETCH_CONSTANTS_
namespace softcheck {
inline constexpr size_t kStreamedBatchBytes = size_t{2} << 20;
// The batch pipeline (SoftmaxBatchPipelined) keeps three rows of x and y in
// flight: up to 384 KiB at this length, within a core's L2. A batch streamed
// from memory (over kStreamedBatchBytes) is pipelined only for rows under
// 1024 floats, where the per-row reductions dominate: on 64 MiB batches on
// Zen 4 the pipeline took 0.8x the per-row time at n = 64 but 1.6x at
// n = 1024 and 1.3x the prefetching per-row path at n = 16384 (it interleaves
// three streams; the hardware prefetchers follow one row's passes better).
// On Zen 5 non-temporal stores through the pipeline (two scratch rows) made
// no difference at n = 64 (3.59 against 3.61 G floats/s, medians of 5):
// those rows are bound by arithmetic even in cache, so it does not do that.
inline constexpr size_t kPipelineMaxRow = 16384;
inline constexpr size_t kPipelineStreamedMaxRow = 1023;
// Rows the streamed path takes: from the first the pipeline does not, to a
// 256 KiB scratch row, a quarter of the L2. (Rows of 2^20 through a 4 MiB
// scratch row measured no faster on Zen 5: 2.70 against 2.83 G floats/s.)
inline constexpr size_t kStreamMinRow = kPipelineStreamedMaxRow + 1;
inline constexpr size_t kStreamMaxRow = size_t{1} << 16;
inline constexpr size_t kPrefetchAhead = 1024;
// Rows longer than this (256 KiB of floats, a quarter of a Zen L2) run pass
// 2's blocks from their end to their start: for a row larger than the L2,
// pass 1 leaves the row's end there, where pass 2 then starts, and pass 2
// leaves the row's start there for pass 3. (Measured at 2^20 only; rows
// between 2^16 and the L2's size gain nothing from it and lose nothing.) One row of 2^20 floats (4 MiB, in L3) on Zen 5, AVX3, medians of 9
// alternating runs: 4.92 -> 5.54 G floats/s per row, 4.95 -> 5.13 through
// the batch entry (which calls the per-row kernel at that length). The same
// bits in both entries: no other path takes such rows.
inline constexpr size_t kBackwardMinRow = size_t{1} << 16;
}  // namespace softcheck
#endif

HWY_BEFORE_NAMESPACE();
namespace softcheck {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// z = x - max, or (x - max) / T.
// With T > 1, x - max can overflow to -inf (x = -FLT_MAX, max = 2^103) while
// the exact (x - max) / T is moderate (-16 at T = 2^124): there, and only
// there, z is x / T - max / T, which cannot overflow. Found by the property
// suite's ScalesWithTemperature. At T == 1 or T < 1 an overflowing x - max
// means exp(z) is exactly 0 anyway.
template <bool kScaled, class V>
HWY_INLINE V Shifted(V x, V max, V temperature) {
  if constexpr (kScaled) {
    const hn::DFromV<V> d;
    const V diff = hn::Sub(x, max);
    const auto overflowed =
        hn::And(hn::Eq(diff, hn::Set(d, -std::numeric_limits<hn::TFromV<V>>::infinity())),
                hn::IsFinite(x));
    const V direct = hn::Sub(hn::Div(x, temperature), hn::Div(max, temperature));
    return hn::IfThenElse(overflowed, direct, hn::Div(diff, temperature));
  } else {
    (void)temperature;
    return hn::Sub(x, max);
  }
}

// Each pass is written as init / block / finish steps over the same
// blocks of 4 vectors, so that the per-row kernel and the batch pipeline
// (SoftmaxBatchPipelined, which runs pass 1 of one row, pass 2 of the next
// and pass 3 of the third in one loop) run the same operations on each row
// in the same order: the same bits by construction. A row of n >= Lanes(d)
// has Blocks(d, n) = floor(n / 4N) blocks in every pass.
template <class D>
HWY_INLINE size_t Blocks(D d, size_t n) {
  return n / (4 * hn::Lanes(d));
}

// Pass 1: m = max_i x_i. Requires n >= Lanes(d). NaN may or may not be
// dropped (x86 max ignores a NaN operand); the caller copes with either.
template <class D>
struct MaxPass {
  hn::Vec<D> m0, m1, m2, m3;
  explicit MaxPass(D d)
      : m0(hn::Set(d, -std::numeric_limits<hn::TFromD<D>>::infinity())),
        m1(m0), m2(m0), m3(m0) {}
  // Block b: x[4Nb, 4N(b + 1)).
  HWY_INLINE void Block(D d, const hn::TFromD<D>* x, size_t b) {
    const size_t N = hn::Lanes(d), i = 4 * N * b;
    m0 = hn::Max(m0, hn::LoadU(d, x + i));
    m1 = hn::Max(m1, hn::LoadU(d, x + i + N));
    m2 = hn::Max(m2, hn::LoadU(d, x + i + 2 * N));
    m3 = hn::Max(m3, hn::LoadU(d, x + i + 3 * N));
  }
  // After every block: the vectors past them and the reduction.
  HWY_INLINE hn::TFromD<D> Finish(D d, const hn::TFromD<D>* x, size_t n) {
    using T = hn::TFromD<D>;
    const size_t N = hn::Lanes(d);
    const T kInf = std::numeric_limits<T>::infinity();
    size_t i = 4 * N * Blocks(d, n);
    for (; i + N <= n; i += N) m0 = hn::Max(m0, hn::LoadU(d, x + i));
    // The partial last vector: a full vector ending at n - 1 (n >= N),
    // which re-reads some elements, harmless for a maximum.
    if (i < n) m1 = hn::Max(m1, hn::LoadU(d, x + n - N));
    const auto m = hn::Max(hn::Max(m0, m1), hn::Max(m2, m3));
    // MaxOfLanes may start from the lowest finite value (EMU128's does),
    // which would turn a fully masked row into -MAX: say -inf ourselves.
    if (HWY_UNLIKELY(hn::AllTrue(d, hn::Eq(m, hn::Set(d, -kInf))))) return -kInf;
    return hn::GetLane(hn::MaxOfLanes(d, m));
  }
};

template <class D, typename T = hn::TFromD<D>>
HWY_INLINE T RowMax(D d, const T* x, size_t n) {
  MaxPass<D> pass(d);
  const size_t blocks = Blocks(d, n);
  for (size_t b = 0; b < blocks; ++b) pass.Block(d, x, b);
  return pass.Finish(d, x, n);
}

// Pass 2: y_i = exp(z_i), returns the sum. Requires n >= Lanes(d).
template <bool kScaled, class D>
struct ExpPass {
  using T = hn::TFromD<D>;
  hn::Vec<D> vmax, vt, tail, s0, s1, s2, s3;
  // Reads the partial last vector before anything is written, so in place
  // sees the original x there; its lanes that overlap the last full vector
  // are masked out of the sum and stored again with the same bits.
  explicit ExpPass(D d)
      : vmax(hn::Zero(d)), vt(vmax), tail(vmax), s0(vmax), s1(vmax), s2(vmax),
        s3(vmax) {}
  HWY_INLINE void Start(D d, const T* x, size_t n, T max, T temperature) {
    const size_t N = hn::Lanes(d);
    vmax = hn::Set(d, max);
    vt = hn::Set(d, temperature);
    if (n % N != 0) {
      tail = ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + n - N), vmax, vt));
    }
  }
  HWY_INLINE void Block(D d, const T* x, T* y, size_t b) {
    const size_t N = hn::Lanes(d), i = 4 * N * b;
    const auto e0 = ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i), vmax, vt));
    const auto e1 =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i + N), vmax, vt));
    const auto e2 =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i + 2 * N), vmax, vt));
    const auto e3 =
        ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i + 3 * N), vmax, vt));
    hn::StoreU(e0, d, y + i);
    hn::StoreU(e1, d, y + i + N);
    hn::StoreU(e2, d, y + i + 2 * N);
    hn::StoreU(e3, d, y + i + 3 * N);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
    s2 = hn::Add(s2, e2);
    s3 = hn::Add(s3, e3);
  }
  HWY_INLINE T Finish(D d, const T* x, T* y, size_t n) {
    const size_t N = hn::Lanes(d), full = n - n % N;
    for (size_t i = 4 * N * Blocks(d, n); i < full; i += N) {
      const auto e = ExpNonPositive(d, Shifted<kScaled>(hn::LoadU(d, x + i), vmax, vt));
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
};

// (prefetch, prefetch_end): where the batch entry wants the lines read ahead
// (null: nothing to prefetch); one prefetch per 64-byte line of x consumed.
// (Compared as counts: a pointer formed past prefetch_end would be undefined
// even unused. The caller keeps prefetch <= prefetch_end.)
template <class T>
HWY_INLINE void PrefetchBlock(const T* prefetch, const T* prefetch_end,
                              size_t offset, size_t count) {
  constexpr size_t kLine = 64 / sizeof(T);
  const size_t avail = static_cast<size_t>(prefetch_end - prefetch);
  for (size_t off = 0; off < count; off += kLine) {
    if (offset + off < avail) hwy::Prefetch(prefetch + offset + off);
  }
}

template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_INLINE T ExpAndSum(D d, const T* x, T* y, size_t n, T max, T temperature,
                       const T* prefetch = nullptr,
                       const T* prefetch_end = nullptr) {
  ExpPass<kScaled, D> pass(d);
  pass.Start(d, x, n, max, temperature);
  const size_t blocks = Blocks(d, n), N4 = 4 * hn::Lanes(d);
  for (size_t b = 0; b < blocks; ++b) {
    if (prefetch != nullptr) PrefetchBlock(prefetch, prefetch_end, N4 * b, N4);
    pass.Block(d, x, y, b);
  }
  return pass.Finish(d, x, y, n);
}

// Pass 2 from the row's end to its start: the blocks in reverse order (so a
// different summation order), then the vectors past them and the partial
// last one, as ExpAndSum. For rows larger than the L2, where pass 1 leaves the
// row's end in the L2 and pass 3 then finds its start there.
template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_INLINE T ExpAndSumBackward(D d, const T* x, T* y, size_t n, T max,
                               T temperature) {
  ExpPass<kScaled, D> pass(d);
  pass.Start(d, x, n, max, temperature);
  for (size_t b = Blocks(d, n); b-- > 0;) pass.Block(d, x, y, b);
  return pass.Finish(d, x, y, n);
}

// Pass 3: y_i *= scale. Requires n >= Lanes(d). The partial last vector is
// loaded before the blocks scale the lanes it shares with them.
template <class D>
struct ScalePass {
  using T = hn::TFromD<D>;
  hn::Vec<D> v, tail;
  explicit ScalePass(D d) : v(hn::Zero(d)), tail(v) {}
  HWY_INLINE void Start(D d, const T* y, size_t n, T scale) {
    const size_t N = hn::Lanes(d);
    v = hn::Set(d, scale);
    if (n % N != 0) tail = hn::Mul(hn::LoadU(d, y + n - N), v);
  }
  HWY_INLINE void Block(D d, T* y, size_t b) {
    const size_t N = hn::Lanes(d), i = 4 * N * b;
    const auto a0 = hn::Mul(hn::LoadU(d, y + i), v);
    const auto a1 = hn::Mul(hn::LoadU(d, y + i + N), v);
    const auto a2 = hn::Mul(hn::LoadU(d, y + i + 2 * N), v);
    const auto a3 = hn::Mul(hn::LoadU(d, y + i + 3 * N), v);
    hn::StoreU(a0, d, y + i);
    hn::StoreU(a1, d, y + i + N);
    hn::StoreU(a2, d, y + i + 2 * N);
    hn::StoreU(a3, d, y + i + 3 * N);
  }
  HWY_INLINE void Finish(D d, T* y, size_t n) {
    const size_t N = hn::Lanes(d), full = n - n % N;
    for (size_t i = 4 * N * Blocks(d, n); i < full; i += N)
      hn::StoreU(hn::Mul(hn::LoadU(d, y + i), v), d, y + i);
    if (full != n) hn::StoreU(tail, d, y + n - N);
  }
};

template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void ScaleRow(D d, T* y, size_t n, T scale) {
  ScalePass<D> pass(d);
  pass.Start(d, y, n, scale);
  const size_t blocks = Blocks(d, n);
  for (size_t b = 0; b < blocks; ++b) pass.Block(d, y, b);
  pass.Finish(d, y, n);
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
  const T sum = n > kBackwardMinRow
                    ? ExpAndSumBackward<kScaled>(d, x, y, n, max, temperature)
                    : ExpAndSum<kScaled>(d, x, y, n, max, temperature);
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

// y_i = e_i * scale from a scratch row e to the output row y with
// non-temporal stores from y's first vector-aligned element (scalar
// multiplies before and after it: one IEEE rounding each, the same bits as
// the vector multiply).
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void ScaleRowStreamed(D d, const T* HWY_RESTRICT e,
                                 T* HWY_RESTRICT y, size_t n, T scale) {
  const size_t N = hn::Lanes(d);
  const auto v = hn::Set(d, scale);
  const uintptr_t address = reinterpret_cast<uintptr_t>(y);
  size_t i = 0;
  if (address % sizeof(T) != 0) {  // never vector-aligned: ordinary stores
    for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, e + i), v), d, y + i);
  } else {
    const size_t head = (N - address / sizeof(T) % N) % N;
    for (; i < head && i < n; ++i) y[i] = e[i] * scale;
  }
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto a0 = hn::Mul(hn::LoadU(d, e + i), v);
    const auto a1 = hn::Mul(hn::LoadU(d, e + i + N), v);
    const auto a2 = hn::Mul(hn::LoadU(d, e + i + 2 * N), v);
    const auto a3 = hn::Mul(hn::LoadU(d, e + i + 3 * N), v);
    hn::Stream(a0, d, y + i);
    hn::Stream(a1, d, y + i + N);
    hn::Stream(a2, d, y + i + 2 * N);
    hn::Stream(a3, d, y + i + 3 * N);
  }
  for (; i + N <= n; i += N) hn::Stream(hn::Mul(hn::LoadU(d, e + i), v), d, y + i);
  for (; i < n; ++i) y[i] = e[i] * scale;
}

// A streamed batch (over kStreamedBatchBytes) of rows of n, kStreamMinRow <=
// n <= kStreamMaxRow, at an ordinary temperature, row by row: pass 1 as in
// the per-row kernel; pass 2 into `scratch` (n floats, in L1/L2 from one row
// to the next), prefetching x kPrefetchAhead floats or more ahead; pass 3
// from scratch to y with non-temporal stores. So y costs one write per line,
// as in a memcpy with non-temporal stores, instead of a read for ownership
// and a write-back. The same bits as the per-row kernel: the same passes,
// only where pass 2 writes differs. In place is safe: row r of y is written
// after row r of x has been read, and no later row reads it. Zen 5, AVX3,
// 64 MiB batches, medians of 5 alternating runs, in G floats/s: n = 1024
// 4.43 -> 4.91, n = 16384 3.94 -> 4.66 (memcpy of the same bytes 5.0-5.3);
// without the prefetch 4.53 and 3.60.
template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_NOINLINE void SoftmaxBatchStreamed(D d, const T* x, T* y, size_t rows,
                                       size_t n, T temperature,
                                       T* HWY_RESTRICT scratch) {
  const size_t ahead = (kPrefetchAhead + n - 1) / n * n;
  const T* end = x + rows * n;
  for (size_t r = 0; r < rows; ++r) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    const T max = RowMax(d, xr, n);
    if (!(max > -std::numeric_limits<T>::infinity() &&
          max < std::numeric_limits<T>::infinity())) {
      NonFiniteMaxRow(xr, yr, n, max);
      continue;
    }
    const T sum = ExpAndSum<kScaled>(d, xr, scratch, n, max, temperature,
                                     xr + ahead, end);
    // sum >= 1 unless NaN, which then spreads through the multiply.
    ScaleRowStreamed(d, scratch, yr, n, T(1) / sum);
  }
  hwy::FlushStream();
}

// A batch of rows of n (Lanes(d) <= n <= kPipelineMaxRow) at an ordinary
// temperature, software-pipelined over rows: step s runs pass 1 of row s,
// pass 2 of row s - 1 and pass 3 of row s - 2 block by block in one loop.
// Pass 2 is bound by arithmetic, pass 3 by stores and pass 1 by loads, so
// together they overlap where one row alone leaves units idle, and the three
// rows' reductions (max, sum, 1 / sum) overlap their latencies. Each row
// still sees exactly the per-row kernel's operations in its order (the pass
// structs above), so the bits are the same. In place is safe: a step writes
// only rows s - 1 and s - 2 (and row s when its maximum is not finite, after
// reading all of it), and no later step reads them as input.
template <bool kScaled, class D, typename T = hn::TFromD<D>>
HWY_NOINLINE void SoftmaxBatchPipelined(D d, const T* x, T* y, size_t rows,
                                        size_t n, T temperature) {
  const size_t blocks = Blocks(d, n);
  const T kInf = std::numeric_limits<T>::infinity();
  bool live_b = false, live_c = false;  // rows s - 1 and s - 2 still to do
  T max_b = 0, scale_c = 0;
  for (size_t s = 0; s < rows + 2; ++s) {
    const bool live_a = s < rows;
    // Each row pointer is formed only while its row is live (live_b implies
    // s >= 1, live_c s >= 2): x + (s - 1) * n at s = 0 wraps the unsigned
    // offset, undefined even unused (clang's pointer-overflow check says so;
    // g++'s reads the offset as signed and does not).
    const T* xa = live_a ? x + s * n : x;
    const T* xb = live_b ? x + (s - 1) * n : x;
    T* yb = live_b ? y + (s - 1) * n : y;
    T* yc = live_c ? y + (s - 2) * n : y;
    MaxPass<D> pa(d);
    ExpPass<kScaled, D> pb(d);
    ScalePass<D> pc(d);
    if (live_b) pb.Start(d, xb, n, max_b, temperature);
    if (live_c) pc.Start(d, yc, n, scale_c);
    if (live_a && live_b && live_c) {
      for (size_t b = 0; b < blocks; ++b) {
        pa.Block(d, xa, b);
        pb.Block(d, xb, yb, b);
        pc.Block(d, yc, b);
      }
    } else if (live_a && live_b) {  // the second step, or after a non-finite max
      for (size_t b = 0; b < blocks; ++b) {
        pa.Block(d, xa, b);
        pb.Block(d, xb, yb, b);
      }
    } else if (live_b && live_c) {  // the last step but one, or the like
      for (size_t b = 0; b < blocks; ++b) {
        pb.Block(d, xb, yb, b);
        pc.Block(d, yc, b);
      }
    } else {
      if (live_a) for (size_t b = 0; b < blocks; ++b) pa.Block(d, xa, b);
      if (live_b) for (size_t b = 0; b < blocks; ++b) pb.Block(d, xb, yb, b);
      if (live_c) for (size_t b = 0; b < blocks; ++b) pc.Block(d, yc, b);
    }
    if (live_c) pc.Finish(d, yc, n);
    bool next_c = false;
    if (live_b) {
      // sum >= 1 unless NaN, which then spreads through the multiply.
      scale_c = T(1) / pb.Finish(d, xb, yb, n);
      next_c = true;
    }
    bool next_b = false;
    if (live_a) {
      const T max = pa.Finish(d, xa, n);
      if (max > -kInf && max < kInf) {
        max_b = max;
        next_b = true;
      } else {
        NonFiniteMaxRow(xa, y + s * n, n, max);
      }
    }
    live_b = next_b;
    live_c = next_c;
  }
}

void SoftmaxBatchF32Impl(const float* x, float* y, size_t rows, size_t n,
                         float temperature) {
  const hn::ScalableTag<float> d;
  const bool ordinary = temperature > 0 && std::isfinite(temperature);
  const bool streamed = rows * n * sizeof(float) > kStreamedBatchBytes;
  if (ordinary && rows > 1 && n >= hn::Lanes(d) &&
      n <= (streamed ? kPipelineStreamedMaxRow : kPipelineMaxRow)) {
    if (temperature == 1.0f) {
      SoftmaxBatchPipelined<false>(d, x, y, rows, n, temperature);
    } else {
      SoftmaxBatchPipelined<true>(d, x, y, rows, n, temperature);
    }
    return;
  }
  if (ordinary && streamed && rows > 1 && n >= kStreamMinRow &&
      n <= kStreamMaxRow) {
    const hwy::AlignedFreeUniquePtr<float[]> scratch = hwy::AllocateAligned<float>(n);
    if (scratch) {
      if (temperature == 1.0f) {
        SoftmaxBatchStreamed<false>(d, x, y, rows, n, temperature, scratch.get());
      } else {
        SoftmaxBatchStreamed<true>(d, x, y, rows, n, temperature, scratch.get());
      }
      return;
    }  // out of memory for 256 KiB at most: row by row below, the same bits
  }
  for (size_t r = 0; r < rows; ++r) {
    Softmax(x + r * n, y + r * n, n, temperature);
  }
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
HWY_EXPORT(SoftmaxBatchF32Impl);
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

void DispatchedSoftmaxBatchF32(const float* x, float* y, size_t rows, size_t n,
                               float t) {
  HWY_DYNAMIC_DISPATCH(SoftmaxBatchF32Impl)(x, y, rows, n, t);
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
  dispatch.target = DispatchTargetLabel(targets);
  dispatch.summary = kSummary + "best target at run time";
  dispatch.f32 = &DispatchedSoftmaxF32;
  dispatch.f64 = &DispatchedSoftmaxF64;
  dispatch.batch_f32 = &DispatchedSoftmaxBatchF32;
  dispatch.claims.exp_ulp = DispatchExpUlp(HWY_DISPATCH_TABLE(ExpUlpImpl), targets,
                                           highway_exp::kExpUlpNoFma);
  kernels.push_back(dispatch);

  for (const int64_t target : targets) {
    const SoftmaxF32 f32 =
        TargetEntry(HWY_DISPATCH_TABLE(SoftmaxF32Impl), target);
    const SoftmaxF64 f64 =
        TargetEntry(HWY_DISPATCH_TABLE(SoftmaxF64Impl), target);
    const auto exp_ulp = TargetEntry(HWY_DISPATCH_TABLE(ExpUlpImpl), target);
    const SoftmaxBatchF32 batch =
        TargetEntry(HWY_DISPATCH_TABLE(SoftmaxBatchF32Impl), target);
    if (f32 == nullptr || f64 == nullptr || exp_ulp == nullptr) continue;
    SoftmaxKernel k;
    k.family = "highway";
    k.target = hwy::TargetName(target);
    k.name = "highway:" + k.target;
    k.summary = kSummary + k.target + " only";
    k.f32 = f32;
    k.f64 = f64;
    k.batch_f32 = batch;
    k.claims.exp_ulp = exp_ulp();
    kernels.push_back(k);
  }
  return kernels;
}

}  // namespace softcheck
#endif  // HWY_ONCE
