// highway attention: the streaming (FlashAttention) algorithm written once
// with Google Highway, compiled for every SIMD target Highway generates on
// this architecture (x86, Highway 1.0.3: AVX3, AVX2, SSE4, SSSE3 and the
// portable fallback) and dispatched at run time; one registry entry per
// target this CPU runs, plus the dispatching entry.
//
// Contract (the full contract of impl/attention.h; nothing is an expected
// failure), identical on every target:
//   * Lane type: float. Single head, row-major Q (n_q x d), K (n_kv x d),
//     V (n_kv x d_v), optional additive mask (n_q x n_kv), causal 0/1/2.
//   * Algorithm. K is packed once per call into panels of R keys (R = 4
//     vectors on AVX3 = 64 keys, 3 vectors elsewhere), each panel stored
//     t-major (d x R) so that one panel row is R consecutive keys; V is
//     copied into rows padded to a whole number of vectors. Then, for each
//     block of block_q queries and each block of block_kv keys (defaults
//     48 x 128 on AVX3, 32 x 96 elsewhere):
//       1. S = scale * Q_b K_b^T by a register-blocked microkernel: 6 query
//          rows x 4 key vectors of accumulators on AVX3 (4 x 3 elsewhere),
//          one broadcast of q_it and one FMA per accumulator per t; then
//          the mask is added and hidden keys set to -inf (only in the blocks
//          that have a mask, straddle the causal diagonal or hold padding);
//       2. per row: the block's max, m_new = max(m, block max), P = exp(S -
//          m_new) in place, l = l * exp(m - m_new) + sum P;
//       3. O = O * exp(m - m_new) + P V_b by a second register-blocked
//          microkernel (6 rows x 4 column vectors on AVX3), the rescale
//          folded into loading O;
//     finally out_i = O_i * (1 / l_i). Key blocks past the causal limit of
//     the query block's last row are never visited (about half the work for
//     causal attention). Extra memory: the packed K and V (n_kv (d + d_v)
//     floats, rounded up to panels) and one block's S, O, m, l: never the
//     n_q x n_kv matrix. It is kept per thread between calls and only
//     grows, so a repeated call allocates nothing.
//   * exp: ExpNonPositive (impl/exp-inl.h): <= 0.75 ulp with FMA (AVX3,
//     AVX2), <= 1.15 without; NaN-transparent; exp(z) = 0 below -87.35 (the
//     weight is then below FLT_MIN, which the rule's floor allows), and
//     exactly 1 at 0. Every argument is <= 0 (S - m_new, m - m_new), so
//     nothing overflows for any score: overflow-safe.
//   * The -inf corner: a row whose keys so far are all hidden has m = -inf;
//     if this block hides them all too, m_new = -inf and exp(m - m_new)
//     would be exp(NaN). Such a row is detected (m_new == -inf) and adds
//     nothing this block (rescale factor exactly 1, P row 0). A first
//     visible key then rescales by exp(-inf - m_new) = 0 an O and l that
//     are still 0.
//   * NaN and +inf scores are found by looking (x86 max drops NaN, so the
//     max alone cannot): each row's block scan ORs a "not < +inf" mask; such
//     a row is poisoned and its output is all NaN. Hidden keys get -inf by a
//     select, not by adding the mask, so NaN in a hidden k_j or mask entry
//     cannot leak. V is scanned once per call; in a key block holding a
//     non-finite v_j the P V product skips keys whose score is -inf (marked
//     by P = -0) instead of adding 0 * v_j, so NaN or inf in a hidden v_j
//     cannot leak either; finite blocks take the fast path.
//   * A row with no visible key gives +0; n_kv == 0 gives rows of +0; n_q ==
//     0 or d_v == 0 writes nothing; d == 0 gives scores equal to the mask.
//   * Reads exactly Q, K, V and the mask (all loads are inside the packed
//     copies or, for Q and the mask, inside their rows); writes out only
//     through [0, n_q * d_v). Deterministic: fixed blocking and summation
//     order per target (targets differ by rounding).
//   * Accuracy: each score is a d-term dot product in order (one FMA per
//     term) times scale, plus the mask; the normaliser and each output are
//     sums of n_kv terms in key order, rescaled once per key block whose max
//     grows. Well inside the rule of oracle/attention_accuracy.h.
//   * Speed: see docs/attention.md (GFLOP/s measured on AVX3).
//
// Build note: HWY_TARGET_INCLUDE names this file relative to the source root,
// so the repository root must be on the include path (-I.).
#include <stddef.h>
#include <stdint.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "impl/attention_highway.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "impl/attention.h"
#include "impl/attention_common.h"
#include "impl/exp-inl.h"
#include "impl/highway_dispatch.h"

HWY_BEFORE_NAMESPACE();
namespace softcheck {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Register blocking: kTileRows x kTileVecs accumulators, plus kTileVecs
// loaded vectors and one broadcast, must fit the register file: 24 + 5 of
// AVX-512's 32, 12 + 4 of the 16 elsewhere.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kTileRows = 6;
constexpr size_t kTileVecs = 4;
constexpr size_t kDefaultBlockQ = 8 * kTileRows;  // 48
constexpr size_t kDefaultPanelsKv = 2;            // 128 keys
#else
constexpr size_t kTileRows = 4;
constexpr size_t kTileVecs = 3;
constexpr size_t kDefaultBlockQ = 8 * kTileRows;  // 32
constexpr size_t kDefaultPanelsKv = 4;            // 96 keys on AVX2
#endif

constexpr float kInf = std::numeric_limits<float>::infinity();

size_t RoundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// S tile rows [0, kTileRows) x keys [0, kVecs * N) = scale * Q K^T for the
// first kVecs vectors of one panel (all kTileVecs but at the end of a key
// range). qrows[r] points at query row r (d floats); panel is d x R,
// t-major. Stores into s (row stride lds).
template <size_t kVecs>
HWY_INLINE void ScoreTile(DF df, const float* const* qrows, const float* panel,
                          size_t d, float scale, float* HWY_RESTRICT s,
                          size_t lds) {
  const size_t N = hn::Lanes(df);
  VF acc[kTileRows][kVecs];
#pragma GCC unroll 8
  for (size_t r = 0; r < kTileRows; ++r) {
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = hn::Zero(df);
  }
  for (size_t t = 0; t < d; ++t) {
    const float* kt = panel + t * kTileVecs * N;
    VF kv[kVecs];
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v) kv[v] = hn::Load(df, kt + v * N);
#pragma GCC unroll 8
    for (size_t r = 0; r < kTileRows; ++r) {
      const VF qb = hn::Set(df, qrows[r][t]);
#pragma GCC unroll 8
      for (size_t v = 0; v < kVecs; ++v)
        acc[r][v] = hn::MulAdd(qb, kv[v], acc[r][v]);
    }
  }
  const VF vs = hn::Set(df, scale);
#pragma GCC unroll 8
  for (size_t r = 0; r < kTileRows; ++r) {
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v)
      hn::Store(hn::Mul(acc[r][v], vs), df, s + r * lds + v * N);
  }
}

// The scores of one tile row group for the panel at key offset c of a block
// of bkp keys (bkp a multiple of N): a partial last panel computes only the
// vectors it needs.
HWY_INLINE void ScorePanel(DF df, const float* const* qrows,
                           const float* panel, size_t d, float scale,
                           float* HWY_RESTRICT s, size_t lds, size_t vecs) {
  if (vecs >= kTileVecs) {
    ScoreTile<kTileVecs>(df, qrows, panel, d, scale, s, lds);
    return;
  }
  if constexpr (kTileVecs > 3) {
    if (vecs == 3) return ScoreTile<3>(df, qrows, panel, d, scale, s, lds);
  }
  if (vecs == 2) return ScoreTile<2>(df, qrows, panel, d, scale, s, lds);
  ScoreTile<1>(df, qrows, panel, d, scale, s, lds);
}

// O rows [0, kTileRows) x columns [0, kVecs * N) = O * alpha + P V for one
// key block of bk keys (P row stride ldp, V rows vstride apart, O row stride
// ldo). P may hold -0 for deleted keys: -0 * finite v adds nothing.
template <size_t kVecs>
HWY_INLINE void PvTile(DF df, const float* HWY_RESTRICT p, size_t ldp,
                       const float* HWY_RESTRICT vb, size_t vstride, size_t bk,
                       float* HWY_RESTRICT o, size_t ldo,
                       const float* HWY_RESTRICT alpha) {
  const size_t N = hn::Lanes(df);
  VF acc[kTileRows][kVecs];
#pragma GCC unroll 8
  for (size_t r = 0; r < kTileRows; ++r) {
    const VF a = hn::Set(df, alpha[r]);
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v)
      acc[r][v] = hn::Mul(hn::Load(df, o + r * ldo + v * N), a);
  }
  for (size_t j = 0; j < bk; ++j) {
    const float* vj = vb + j * vstride;
    VF vv[kVecs];
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v) vv[v] = hn::Load(df, vj + v * N);
#pragma GCC unroll 8
    for (size_t r = 0; r < kTileRows; ++r) {
      const VF pb = hn::Set(df, p[r * ldp + j]);
#pragma GCC unroll 8
      for (size_t v = 0; v < kVecs; ++v)
        acc[r][v] = hn::MulAdd(pb, vv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < kTileRows; ++r) {
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v)
      hn::Store(acc[r][v], df, o + r * ldo + v * N);
  }
}

// The same for a key block holding a non-finite v_j: keys marked deleted
// (P = -0, score -inf) are skipped rather than multiplied by 0.
HWY_NOINLINE void PvTileSkippingDeleted(DF df, const float* p, size_t ldp,
                                        const float* vb, size_t vstride,
                                        size_t bk, float* o, size_t ldo,
                                        size_t cols, const float* alpha) {
  const size_t N = hn::Lanes(df);
  for (size_t r = 0; r < kTileRows; ++r) {
    float* orow = o + r * ldo;
    const VF a = hn::Set(df, alpha[r]);
    for (size_t c = 0; c < cols; c += N)
      hn::Store(hn::Mul(hn::Load(df, orow + c), a), df, orow + c);
    for (size_t j = 0; j < bk; ++j) {
      const float w = p[r * ldp + j];
      if (w == 0 && std::signbit(w)) continue;  // deleted key
      const VF pb = hn::Set(df, w);
      const float* vj = vb + j * vstride;
      for (size_t c = 0; c < cols; c += N) {
        hn::Store(hn::MulAdd(pb, hn::Load(df, vj + c), hn::Load(df, orow + c)),
                  df, orow + c);
      }
    }
  }
}

// An aligned buffer that only grows: a call reuses what the calling thread's
// previous calls allocated, so repeated calls allocate (and first-touch)
// nothing -- at n = 512 a fresh allocation per call cost more than the
// arithmetic (page faults on the packed K and V, about 11 us per 4 KiB page).
struct Buffer {
  hwy::AlignedFreeUniquePtr<float[]> p;
  size_t capacity = 0;
  void Reserve(size_t n) {
    if (n > capacity) {
      p = hwy::AllocateAligned<float>(n);
      capacity = n;
    }
  }
  float* get() const { return p.get(); }
  float& operator[](size_t i) const { return p[i]; }
};

// Everything one call needs; one per thread, kept between calls.
struct Workspace {
  size_t panel, n_panels, dvp, bq, bk;
  Buffer kp, vp, s, o;
  // Per tile row: running max and sum; this block's rescale exponent
  // m_old - m_new, its exp, and the block's sum of P.
  Buffer m, l, diff, alpha, psum;
  std::vector<size_t> bad_before;  // non-finite V rows among keys [0, j)
  std::vector<char> poisoned;
};

// K into panels of `panel` keys, t-major; keys past n_kv are 0 (their scores
// are set to -inf before use).
void PackK(const float* k, size_t n_kv, size_t d, Workspace& w) {
  const size_t R = w.panel;
  w.kp.Reserve(w.n_panels * R * d + 1);
  for (size_t p = 0; p < w.n_panels; ++p) {
    float* dst = w.kp.get() + p * R * d;
    for (size_t r = 0; r < R; ++r) {
      const size_t j = p * R + r;
      if (j < n_kv) {
        const float* src = k + j * d;
        for (size_t t = 0; t < d; ++t) dst[t * R + r] = src[t];
      } else {
        for (size_t t = 0; t < d; ++t) dst[t * R + r] = 0;
      }
    }
  }
}

// V into rows of dvp floats (zero padding), and which rows are not finite.
void PackV(const float* v, size_t n_kv, size_t d_v, Workspace& w) {
  const size_t rows = w.n_panels * w.panel;
  w.vp.Reserve(rows * w.dvp);
  w.bad_before.assign(rows + 1, 0);
  for (size_t j = 0; j < rows; ++j) {
    float* dst = w.vp.get() + j * w.dvp;
    bool bad = false;
    if (j < n_kv) {
      const float* src = v + j * d_v;
      for (size_t c = 0; c < d_v; ++c) {
        dst[c] = src[c];
        bad |= !std::isfinite(src[c]);
      }
    } else {
      for (size_t c = 0; c < d_v; ++c) dst[c] = 0;
    }
    for (size_t c = d_v; c < w.dvp; ++c) dst[c] = 0;
    w.bad_before[j + 1] = w.bad_before[j] + bad;
  }
}

// Adds the mask and sets hidden keys (causal, -inf mask, padding) to -inf in
// rows [0, rows) of the S tile for keys [j0, j0 + bkp). Row r is query
// min(i0 + r, n_q - 1) (the tile's padding rows repeat the last query).
void FixUpScores(DF df, const AttentionProblem& p, size_t i0, size_t rows,
                 size_t j0, size_t bkp, float* s, size_t lds) {
  const size_t N = hn::Lanes(df);
  const VF neg_inf = hn::Set(df, -kInf);
  for (size_t r = 0; r < rows; ++r) {
    const size_t i = i0 + r < p.n_q ? i0 + r : p.n_q - 1;
    const size_t limit = CausalEnd(p.causal, i, p.n_q, p.n_kv);  // <= n_kv
    float* srow = s + r * lds;
    const float* mrow = p.mask ? p.mask + i * p.n_kv : nullptr;
    for (size_t c = 0; c < bkp; c += N) {
      const size_t j = j0 + c;
      VF sv = hn::Load(df, srow + c);
      if (mrow != nullptr) {
        VF mv;
        if (j + N <= p.n_kv) {
          mv = hn::LoadU(df, mrow + j);
        } else {  // the row's last partial vector: never read past it
          HWY_ALIGN float buf[hn::MaxLanes(DF())] = {};
          for (size_t x = j; x < p.n_kv; ++x) buf[x - j] = mrow[x];
          mv = hn::Load(df, buf);
        }
        // The mask wins: a -inf entry hides the key even if s is NaN.
        sv = hn::IfThenElse(hn::Eq(mv, neg_inf), neg_inf, hn::Add(sv, mv));
      }
      if (j + N > limit) {
        const size_t keep = j < limit ? limit - j : 0;
        sv = hn::IfThenElse(hn::FirstN(df, keep), sv, neg_inf);
      }
      hn::Store(sv, df, srow + c);
    }
  }
}

// Step 2 for every row of the tile: block max, the rescale exponent, P in
// place of S, l. Rows that add nothing this block (poisoned, or still
// nothing visible: the -inf corner) get P = -0 and the rescale exp(0) = 1.
// `mark_deleted`: write -0 for -inf scores (blocks holding a non-finite v_j).
void OnlineSoftmax(DF df, Workspace& w, size_t rows, size_t bkp,
                   bool mark_deleted) {
  const size_t N = hn::Lanes(df);
  const VF neg_inf = hn::Set(df, -kInf);
  const VF pos_inf = hn::Set(df, kInf);
  const VF neg_zero = hn::Set(df, -0.0f);
  for (size_t r = 0; r < rows; ++r) {
    float* srow = w.s.get() + r * w.bk;
    bool skip = w.poisoned[r] != 0;
    float m_new = w.m[r];
    if (!skip) {
      VF vmax = neg_inf;
      auto bad = hn::Lt(vmax, vmax);  // all false
      for (size_t c = 0; c < bkp; c += N) {
        const VF sv = hn::Load(df, srow + c);
        vmax = hn::Max(vmax, sv);
        bad = hn::Or(bad, hn::Not(hn::Lt(sv, pos_inf)));  // NaN or +inf
      }
      if (!hn::AllFalse(df, bad)) {
        w.poisoned[r] = 1;
        skip = true;
      } else if (!hn::AllTrue(df, hn::Eq(vmax, neg_inf))) {
        // (MaxOfLanes of an all -inf vector may say -FLT_MAX on EMU128.)
        const float block_max = hn::GetLane(hn::MaxOfLanes(df, vmax));
        if (block_max > m_new) m_new = block_max;
      }
      skip = skip || m_new == -kInf;  // the -inf corner
    }
    if (skip) {
      for (size_t c = 0; c < bkp; c += N) hn::Store(neg_zero, df, srow + c);
      w.diff[r] = 0;  // exp(0) = 1 exactly: O and l unchanged
      w.psum[r] = 0;
      continue;
    }
    const VF vm = hn::Set(df, m_new);
    VF sum0 = hn::Zero(df), sum1 = sum0;
    size_t c = 0;
    for (; c + 2 * N <= bkp; c += 2 * N) {
      const VF s0 = hn::Load(df, srow + c);
      const VF s1 = hn::Load(df, srow + c + N);
      VF p0 = ExpNonPositive(df, hn::Sub(s0, vm));
      VF p1 = ExpNonPositive(df, hn::Sub(s1, vm));
      if (mark_deleted) {
        p0 = hn::IfThenElse(hn::Eq(s0, neg_inf), neg_zero, p0);
        p1 = hn::IfThenElse(hn::Eq(s1, neg_inf), neg_zero, p1);
      }
      hn::Store(p0, df, srow + c);
      hn::Store(p1, df, srow + c + N);
      sum0 = hn::Add(sum0, p0);
      sum1 = hn::Add(sum1, p1);
    }
    for (; c < bkp; c += N) {
      const VF s0 = hn::Load(df, srow + c);
      VF p0 = ExpNonPositive(df, hn::Sub(s0, vm));
      if (mark_deleted) p0 = hn::IfThenElse(hn::Eq(s0, neg_inf), neg_zero, p0);
      hn::Store(p0, df, srow + c);
      sum0 = hn::Add(sum0, p0);
    }
    const float psum = hn::GetLane(hn::SumOfLanes(df, hn::Add(sum0, sum1)));
    // m = -inf (first visible key): diff = -inf, exp(-inf) = 0 rescales the
    // still-empty O and l.
    w.diff[r] = w.m[r] - m_new;
    w.m[r] = m_new;
    w.psum[r] = psum;
  }
  // alpha = exp(diff), vectorised over the rows; then l = l * alpha + sum.
  const size_t rows_pad = RoundUp(rows, N);
  for (size_t r = rows; r < rows_pad; ++r) {
    w.diff[r] = 0;
    w.psum[r] = 0;
  }
  for (size_t r = 0; r < rows_pad; r += N) {
    const VF a = ExpNonPositive(df, hn::Load(df, w.diff.get() + r));
    const VF psum = hn::Load(df, w.psum.get() + r);
    const VF l = hn::Load(df, w.l.get() + r);
    hn::Store(hn::MulAdd(l, a, psum), df, w.l.get() + r);
    hn::Store(a, df, w.alpha.get() + r);
  }
}

template <size_t kVecs>
HWY_INLINE void PvColumns(DF df, Workspace& w, size_t rows, size_t bkp,
                          const float* vb, size_t c) {
  for (size_t r = 0; r < rows; r += kTileRows) {
    PvTile<kVecs>(df, w.s.get() + r * w.bk, w.bk, vb + c, w.dvp, bkp,
                  w.o.get() + r * w.dvp + c, w.dvp, w.alpha.get() + r);
  }
}

void AttentionImpl(const float* q, const float* k, const float* v,
                   const float* mask, int causal, float scale, float* out,
                   size_t n_q, size_t n_kv, size_t d, size_t d_v,
                   size_t block_q, size_t block_kv) {
  if (HandleAttentionCallerError(causal, scale, out, n_q, d_v)) return;
  if (n_q == 0 || d_v == 0) return;
  if (n_kv == 0) {
    for (size_t i = 0; i < n_q * d_v; ++i) out[i] = 0;
    return;
  }
  const DF df;
  const size_t N = hn::Lanes(df);
  const AttentionProblem prob{q, k, v, mask, causal, scale, n_q, n_kv, d, d_v};

  thread_local Workspace w;
  w.panel = kTileVecs * N;
  w.n_panels = (n_kv + w.panel - 1) / w.panel;
  w.dvp = RoundUp(d_v, N);
  w.bq = RoundUp(block_q ? block_q : kDefaultBlockQ, kTileRows);
  w.bk = RoundUp(block_kv ? block_kv : kDefaultPanelsKv * w.panel, w.panel);
  PackK(k, n_kv, d, w);
  PackV(v, n_kv, d_v, w);
  const size_t state = RoundUp(w.bq, N);
  w.s.Reserve(w.bq * w.bk);
  w.o.Reserve(w.bq * w.dvp);
  w.m.Reserve(state);
  w.l.Reserve(state);
  w.diff.Reserve(state);
  w.alpha.Reserve(state);
  w.psum.Reserve(state);
  for (size_t r = 0; r < state; ++r)  // the rows past the tile pad the vectors
    w.m[r] = w.l[r] = w.diff[r] = w.alpha[r] = w.psum[r] = 0;
  w.poisoned.assign(w.bq, 0);

  const float* qrows[kTileRows];
  for (size_t i0 = 0; i0 < n_q; i0 += w.bq) {
    const size_t real = n_q - i0 < w.bq ? n_q - i0 : w.bq;
    const size_t rows = RoundUp(real, kTileRows);
    for (size_t r = 0; r < rows; ++r) {
      w.m[r] = -kInf;
      w.l[r] = 0;
      w.poisoned[r] = 0;
    }
    for (size_t x = 0; x < rows * w.dvp; ++x) w.o[x] = 0;
    // Keys [kv_end, n_kv) are hidden from every row of the block; keys
    // [0, kv_full) are visible to every row (as far as causality goes).
    const size_t kv_end = CausalEnd(causal, i0 + real - 1, n_q, n_kv);
    const size_t kv_full = CausalEnd(causal, i0, n_q, n_kv);
    for (size_t j0 = 0; j0 < kv_end; j0 += w.bk) {
      const size_t len = kv_end - j0 < w.bk ? kv_end - j0 : w.bk;
      // Whole vectors, not whole panels: the causal diagonal's last block
      // computes (and later exponentiates and multiplies) at most N - 1
      // hidden keys, not up to a panel's worth.
      const size_t bkp = RoundUp(len, N);
      // 1. scores
      for (size_t r = 0; r < rows; r += kTileRows) {
        for (size_t x = 0; x < kTileRows; ++x) {
          const size_t i = i0 + r + x < n_q ? i0 + r + x : n_q - 1;
          qrows[x] = q + i * d;
        }
        for (size_t c = 0; c < bkp; c += w.panel) {
          const float* panel = w.kp.get() + ((j0 + c) / w.panel) * w.panel * d;
          ScorePanel(df, qrows, panel, d, scale, w.s.get() + r * w.bk + c, w.bk,
                     (bkp - c) / N);
        }
      }
      if (mask != nullptr || j0 + bkp > kv_full) {
        FixUpScores(df, prob, i0, rows, j0, bkp, w.s.get(), w.bk);
      }
      // 2. online softmax
      const bool bad_v =
          w.bad_before[j0 + bkp] != w.bad_before[j0];  // a non-finite v_j
      OnlineSoftmax(df, w, rows, bkp, bad_v);
      // 3. O = O * alpha + P V
      const float* vb = w.vp.get() + j0 * w.dvp;
      if (bad_v) {
        for (size_t r = 0; r < rows; r += kTileRows) {
          PvTileSkippingDeleted(df, w.s.get() + r * w.bk, w.bk, vb, w.dvp, bkp,
                                w.o.get() + r * w.dvp, w.dvp, w.dvp,
                                w.alpha.get() + r);
        }
        continue;
      }
      size_t c = 0;
      for (; c + kTileVecs * N <= w.dvp; c += kTileVecs * N)
        PvColumns<kTileVecs>(df, w, rows, bkp, vb, c);
      const size_t rest = (w.dvp - c) / N;
      if constexpr (kTileVecs > 3) {
        if (rest == 3) PvColumns<3>(df, w, rows, bkp, vb, c);
      }
      if (rest == 2) PvColumns<2>(df, w, rows, bkp, vb, c);
      if (rest == 1) PvColumns<1>(df, w, rows, bkp, vb, c);
    }
    // out_i = O_i / l_i; poisoned rows NaN, rows that saw no key +0.
    for (size_t r = 0; r < real; ++r) {
      float* orow = out + (i0 + r) * d_v;
      const float* src = w.o.get() + r * w.dvp;
      if (w.poisoned[r] || w.m[r] == -kInf) {
        const float fill =
            w.poisoned[r] ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
        for (size_t c = 0; c < d_v; ++c) orow[c] = fill;
        continue;
      }
      const VF inv = hn::Set(df, 1.0f / w.l[r]);
      size_t c = 0;
      for (; c + N <= d_v; c += N)
        hn::StoreU(hn::Mul(hn::Load(df, src + c), inv), df, orow + c);
      for (; c < d_v; ++c) orow[c] = src[c] * (1.0f / w.l[r]);
    }
  }
}

void AttentionF32Impl(const float* q, const float* k, const float* v,
                      const float* mask, int causal, float scale, float* out,
                      size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  AttentionImpl(q, k, v, mask, causal, scale, out, n_q, n_kv, d, d_v, 0, 0);
}

void AttentionBlockedF32Impl(const float* q, const float* k, const float* v,
                             const float* mask, int causal, float scale,
                             float* out, size_t n_q, size_t n_kv, size_t d,
                             size_t d_v, size_t block_q, size_t block_kv) {
  AttentionImpl(q, k, v, mask, causal, scale, out, n_q, n_kv, d, d_v, block_q,
                block_kv);
}

// This target's Claims::exp_ulp.
double AttentionExpUlpImpl() {
  return HWY_NATIVE_FMA ? highway_exp::kExpUlpFma : highway_exp::kExpUlpNoFma;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace softcheck
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace softcheck {

HWY_EXPORT(AttentionF32Impl);
HWY_EXPORT(AttentionBlockedF32Impl);
HWY_EXPORT(AttentionExpUlpImpl);

namespace {

void DispatchedAttention(const float* q, const float* k, const float* v,
                         const float* mask, int causal, float scale, float* out,
                         size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  const auto f = HWY_DYNAMIC_DISPATCH(AttentionF32Impl);
  f(q, k, v, mask, causal, scale, out, n_q, n_kv, d, d_v);
}

void DispatchedAttentionBlocked(const float* q, const float* k, const float* v,
                                const float* mask, int causal, float scale,
                                float* out, size_t n_q, size_t n_kv, size_t d,
                                size_t d_v, size_t block_q, size_t block_kv) {
  const auto f = HWY_DYNAMIC_DISPATCH(AttentionBlockedF32Impl);
  f(q, k, v, mask, causal, scale, out, n_q, n_kv, d, d_v, block_q, block_kv);
}

}  // namespace

std::vector<AttentionKernel> HighwayAttentionKernels() {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  const std::string kSummary =
      "Highway SIMD streaming (FlashAttention): register-blocked Q K^T and "
      "P V, own exp, causal block skipping, ";
  std::vector<AttentionKernel> kernels;
  AttentionKernel dispatch;
  dispatch.name = dispatch.family = "highway";
  dispatch.target = DispatchTargetLabel(targets);
  dispatch.summary = kSummary + "best target at run time";
  dispatch.f32 = &DispatchedAttention;
  dispatch.blocked = &DispatchedAttentionBlocked;
  dispatch.claims.exp_ulp = DispatchExpUlp(HWY_DISPATCH_TABLE(AttentionExpUlpImpl),
                                           targets, highway_exp::kExpUlpNoFma);
  kernels.push_back(dispatch);

  for (const int64_t target : targets) {
    const AttentionF32 f32 =
        TargetEntry(HWY_DISPATCH_TABLE(AttentionF32Impl), target);
    const AttentionBlockedF32 blocked =
        TargetEntry(HWY_DISPATCH_TABLE(AttentionBlockedF32Impl), target);
    const auto exp_ulp =
        TargetEntry(HWY_DISPATCH_TABLE(AttentionExpUlpImpl), target);
    if (f32 == nullptr || blocked == nullptr || exp_ulp == nullptr) continue;
    AttentionKernel k;
    k.family = "highway";
    k.target = hwy::TargetName(target);
    k.name = "highway:" + k.target;
    k.summary = kSummary + k.target + " only";
    k.f32 = f32;
    k.blocked = blocked;
    k.claims.exp_ulp = exp_ulp();
    kernels.push_back(k);
  }
  return kernels;
}

}  // namespace softcheck
#endif  // HWY_ONCE
