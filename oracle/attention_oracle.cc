// The attention oracle (oracle/attention_oracle.h): exact scores from an
// integer accumulator, then softmax and the weighted sum at 257 bits with
// MPFR through Boost.Multiprecision, then correct rounding by RoundTo
// (oracle/rounding.h, shared with the softmax oracle).
//
// The number type has static precision (mpfr_float_backend<77>: 257 bits),
// so nothing here touches mpfr_float's process-wide default precision and
// concurrent calls, or the worker threads of one call, need no lock. The hot
// loops call MPFR on the Boost objects' own mpfr_t to avoid temporaries.
#include "oracle/attention_oracle.h"

#include "oracle/oracle.h"

#include <gmp.h>
#include <mpfr.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/multiprecision/mpfr.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "oracle/rounding.h"

namespace softcheck::oracle {
namespace {

namespace mp = boost::multiprecision;

using Real = mp::number<mp::mpfr_float_backend<77>, mp::et_off>;  // 257 bits
constexpr unsigned kBits = 257;
using internal::RoundScratch;
using internal::RoundTo;

mpfr_ptr M(Real& x) { return x.backend().data(); }

// The exact sum of products of finite floats. Each product is exact in
// double (at most 48 significant bits) and, since the smallest float is
// 2^-149, an integer multiple of 2^-298; below 2^256 in magnitude. So the sum
// is an integer (in units of 2^-298) of fewer than 600 bits, kept as signed
// 32-bit digits in 64-bit limbs (carry-save: each Add puts at most 2^32 - 1
// into a limb, so 2^30 terms cannot overflow one), and normalised once at
// the end.
class ExactDot {
 public:
  ExactDot() { mpz_init(z_); }
  ~ExactDot() { mpz_clear(z_); }
  ExactDot(const ExactDot&) = delete;
  ExactDot& operator=(const ExactDot&) = delete;

  void Clear() { std::fill(acc_, acc_ + kLimbs, int64_t{0}); }

  // Adds a non-zero product of two finite floats, as a double (exact).
  void Add(double product) {
    const uint64_t bits = std::bit_cast<uint64_t>(product);
    const bool negative = (bits >> 63) != 0;
    // A normal double: |product| >= 2^-298 > DBL_MIN.
    const int e = static_cast<int>((bits >> 52) & 0x7ff);
    uint64_t mant = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1} << 52);
    int shift = e - 1075 - kUnitExponent;  // product = mant 2^shift units
    if (shift < 0) {  // exact: the product is a multiple of the unit
      mant >>= -shift;
      shift = 0;
    }
    const int limb = shift / 32;
    const int offset = shift % 32;
    const uint64_t low = mant << offset;  // bits 0..63 of mant * 2^offset
    const int64_t parts[3] = {
        static_cast<int64_t>(low & 0xffffffffu),
        static_cast<int64_t>(low >> 32),
        offset == 0 ? 0 : static_cast<int64_t>(mant >> (64 - offset))};
    for (int x = 0; x < 3; ++x)
      acc_[limb + x] += negative ? -parts[x] : parts[x];
  }

  // The sum, rounded to nearest at out's precision (the only rounding).
  void Get(mpfr_ptr out) {
    uint32_t digits[kLimbs];
    int64_t carry = 0;
    for (int x = 0; x < kLimbs; ++x) {
      const int64_t v = acc_[x] + carry;
      digits[x] = static_cast<uint32_t>(static_cast<uint64_t>(v) & 0xffffffffu);
      carry = v >> 32;  // arithmetic: C++20
    }
    const bool negative = carry < 0;  // two's complement over kLimbs digits
    if (negative) {
      uint64_t c = 1;
      for (int x = 0; x < kLimbs; ++x) {
        const uint64_t v = static_cast<uint64_t>(~digits[x]) + c;
        digits[x] = static_cast<uint32_t>(v);
        c = v >> 32;
      }
    }
    mpz_import(z_, kLimbs, -1, sizeof(uint32_t), 0, 0, digits);
    mpfr_set_z_2exp(out, z_, kUnitExponent, MPFR_RNDN);
    if (negative) mpfr_neg(out, out, MPFR_RNDN);
  }

 private:
  static constexpr int kUnitExponent = -298;
  // Products reach 2^256 = 2^554 units (limb 17 plus two), sums of up to
  // 2^30 of them 30 bits more: 20 limbs of 32 bits hold 640.
  static constexpr int kLimbs = 20;
  int64_t acc_[kLimbs] = {};
  mpz_t z_;
};

// V's entries as 24-bit mpfr numbers, converted once per call and shared
// read-only by the workers: mpfr_mul by an mpfr operand is about twice as
// fast as mpfr_mul_d, which converts its double on every call.
class MpfrFloats {
 public:
  MpfrFloats(const float* x, size_t n) : values_(n) {
    for (size_t i = 0; i < n; ++i) {
      mpfr_init2(values_[i].v, 24);
      mpfr_set_flt(values_[i].v, x[i], MPFR_RNDN);  // exact
    }
  }
  ~MpfrFloats() {
    for (Value& value : values_) mpfr_clear(value.v);
  }
  MpfrFloats(const MpfrFloats&) = delete;
  MpfrFloats& operator=(const MpfrFloats&) = delete;
  mpfr_srcptr operator[](size_t i) const { return values_[i].v; }

 private:
  struct Value {
    mpfr_t v;
  };
  std::vector<Value> values_;
};

enum class Kind : uint8_t { kFinite, kNaN, kPosInf, kNegInf };

// Below this exp argument a weight is treated as exactly 0: exp(z) <
// 2^-(1.44 (kBits + 16700)), and even times FLT_MAX against a normaliser >= 1
// it lies below half of long double's smallest subnormal and far below the
// working precision's resolution (the softmax oracle's argument, with room
// for |v| <= 2^128).
constexpr double kExpCutoff = -(static_cast<double>(kBits) + 16700.0);

struct Scratch {
  explicit Scratch(size_t n_kv, size_t d_v)
      : score(n_kv),
        weight(n_kv),
        acc(d_v),
        nan(d_v),
        pos_inf(d_v),
        neg_inf(d_v) {
    keys.reserve(n_kv);
  }
  std::vector<Real> score, weight, acc;  // per key left, per column
  std::vector<size_t> keys;              // the keys left, in order
  std::vector<char> nan, pos_inf, neg_inf;
  Real max, sum, term, y;
  RoundScratch<Real> round;
  ExactDot dot;
};

// s_ij for a key that is not hidden, as the extended reals give it: a
// finite value in `s`, or NaN / +-inf.
Kind Score(const AttentionProblem& p, size_t i, size_t j, bool all_finite,
           float mask, Real& s, ExactDot& dot) {
  const float* q = p.q + i * p.d;
  const float* k = p.k + j * p.d;
  dot.Clear();
  Kind kind = Kind::kFinite;
  if (all_finite) {
    for (size_t t = 0; t < p.d; ++t) {
      const double product = static_cast<double>(q[t]) * k[t];
      if (product != 0) dot.Add(product);
    }
  } else {
    bool nan = false, pos = false, neg = false;
    for (size_t t = 0; t < p.d; ++t) {
      const float a = q[t], b = k[t];
      if (std::isnan(a) || std::isnan(b)) {
        nan = true;
      } else if (std::isinf(a) || std::isinf(b)) {
        if (a == 0 || b == 0)
          nan = true;  // inf * 0
        else
          (std::signbit(a) == std::signbit(b) ? pos : neg) = true;
      } else {
        const double product = static_cast<double>(a) * b;
        if (product != 0) dot.Add(product);
      }
    }
    if (nan || (pos && neg))
      kind = Kind::kNaN;
    else if (pos)
      kind = Kind::kPosInf;
    else if (neg)
      kind = Kind::kNegInf;
    // scale * (+-inf): 0 * inf is NaN, a negative scale flips the sign.
    if ((kind == Kind::kPosInf || kind == Kind::kNegInf) && p.scale == 0)
      kind = Kind::kNaN;
    if ((kind == Kind::kPosInf || kind == Kind::kNegInf) && p.scale < 0)
      kind = kind == Kind::kPosInf ? Kind::kNegInf : Kind::kPosInf;
  }
  // + mask_ij (never -inf here: that key is hidden).
  if (std::isnan(mask)) return Kind::kNaN;
  if (mask == std::numeric_limits<float>::infinity())
    return kind == Kind::kNegInf || kind == Kind::kNaN ? Kind::kNaN
                                                       : Kind::kPosInf;
  if (kind != Kind::kFinite) return kind;
  dot.Get(M(s));
  mpfr_mul_d(M(s), M(s), p.scale, MPFR_RNDN);
  if (mask != 0) mpfr_add_d(M(s), M(s), mask, MPFR_RNDN);
  return Kind::kFinite;
}

void FillRow(AttentionResult& r, size_t i, size_t d_v, float value) {
  std::fill_n(r.rounded.begin() + i * d_v, d_v, value);
  std::fill_n(r.exact.begin() + i * d_v, d_v, static_cast<long double>(value));
}

void Row(const AttentionProblem& p, size_t i, bool q_finite,
         const std::vector<char>& k_finite, const MpfrFloats& v_mp, Scratch& w,
         AttentionResult& r) {
  const size_t d_v = p.d_v;
  const size_t end = CausalEnd(p.causal, i, p.n_q, p.n_kv);
  w.keys.clear();
  for (size_t j = 0; j < end; ++j) {
    const float mask = p.mask ? p.mask[i * p.n_kv + j] : 0.0f;
    if (mask == -std::numeric_limits<float>::infinity()) continue;  // hidden
    Real& s = w.score[w.keys.size()];
    const Kind kind =
        Score(p, i, j, q_finite && k_finite[j] != 0, mask, s, w.dot);
    if (kind == Kind::kNaN || kind == Kind::kPosInf) {
      r.rows[i] = AttentionRow::kPoisoned;
      FillRow(r, i, d_v, std::numeric_limits<float>::quiet_NaN());
      return;
    }
    if (kind == Kind::kNegInf) continue;  // deleted, like a -inf logit
    w.keys.push_back(j);
  }
  const size_t n = w.keys.size();
  if (n == 0) {
    r.rows[i] = AttentionRow::kEmpty;
    FillRow(r, i, d_v, 0.0f);
    return;
  }
  r.rows[i] = AttentionRow::kNormal;

  // Weights e_j = exp(s_j - max) <= 1, normaliser in [1, n].
  mpfr_set(M(w.max), M(w.score[0]), MPFR_RNDN);
  for (size_t x = 1; x < n; ++x)
    if (mpfr_greater_p(M(w.score[x]), M(w.max)))
      mpfr_set(M(w.max), M(w.score[x]), MPFR_RNDN);
  mpfr_set_zero(M(w.sum), 1);
  for (size_t x = 0; x < n; ++x) {
    mpfr_ptr e = M(w.weight[x]);
    mpfr_sub(e, M(w.score[x]), M(w.max), MPFR_RNDN);
    if (mpfr_cmp_d(e, kExpCutoff) < 0) {
      mpfr_set_zero(e, 1);
      continue;
    }
    mpfr_exp(e, e, MPFR_RNDN);
    mpfr_add(M(w.sum), M(w.sum), e, MPFR_RNDN);
  }

  // out_c = sum_j e_j v_jc / sum; non-finite v_jc tracked apart (a weight
  // cut to 0 above is still positive in exact arithmetic).
  for (size_t c = 0; c < d_v; ++c) {
    mpfr_set_zero(M(w.acc[c]), 1);
    w.nan[c] = w.pos_inf[c] = w.neg_inf[c] = 0;
  }
  for (size_t x = 0; x < n; ++x) {
    const size_t row = w.keys[x] * d_v;
    const float* vj = p.v + row;
    mpfr_ptr e = M(w.weight[x]);
    const bool zero_weight = mpfr_zero_p(e) != 0;
    for (size_t c = 0; c < d_v; ++c) {
      const float vv = vj[c];
      if (std::isnan(vv)) {
        w.nan[c] = 1;
      } else if (std::isinf(vv)) {
        (vv > 0 ? w.pos_inf[c] : w.neg_inf[c]) = 1;
      } else if (vv != 0 && !zero_weight) {
        mpfr_mul(M(w.term), e, v_mp[row + c], MPFR_RNDN);
        mpfr_add(M(w.acc[c]), M(w.acc[c]), M(w.term), MPFR_RNDN);
      }
    }
  }
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (size_t c = 0; c < d_v; ++c) {
    float& rounded = r.rounded[i * d_v + c];
    long double& exact = r.exact[i * d_v + c];
    if (w.nan[c] || (w.pos_inf[c] && w.neg_inf[c])) {
      rounded = std::numeric_limits<float>::quiet_NaN();
      exact = std::numeric_limits<long double>::quiet_NaN();
    } else if (w.pos_inf[c] || w.neg_inf[c]) {
      rounded = w.pos_inf[c] ? kInf : -kInf;
      exact = rounded;
    } else {
      mpfr_div(M(w.y), M(w.acc[c]), M(w.sum), MPFR_RNDN);
      rounded = RoundTo<float>(w.y, w.round);
      exact = RoundTo<long double>(w.y, w.round);
    }
  }
}

bool AllFinite(const float* x, size_t n) {
  for (size_t t = 0; t < n; ++t)
    if (!std::isfinite(x[t])) return false;
  return true;
}

}  // namespace

AttentionResult Attention(const AttentionProblem& p,
                          const AttentionOptions& options) {
  NoteRowsEvaluated(p.n_q);
  AttentionResult r;
  r.rounded.assign(p.n_q * p.d_v, 0.0f);
  r.exact.assign(p.n_q * p.d_v, 0.0L);
  r.rows.assign(p.n_q, AttentionRow::kEmpty);
  const bool caller_error =
      !std::isfinite(p.scale) ||
      !(p.causal == kCausalNone || p.causal == kCausalTopLeft ||
        p.causal == kCausalBottomRight);
  if (caller_error) {
    std::fill(r.rows.begin(), r.rows.end(), AttentionRow::kPoisoned);
    std::fill(r.rounded.begin(), r.rounded.end(),
              std::numeric_limits<float>::quiet_NaN());
    std::fill(r.exact.begin(), r.exact.end(),
              std::numeric_limits<long double>::quiet_NaN());
    return r;
  }
  if (p.n_q == 0 || p.n_kv == 0) return r;  // no key: rows of +0

  std::vector<char> k_finite(p.n_kv);
  for (size_t j = 0; j < p.n_kv; ++j)
    k_finite[j] = AllFinite(p.k + j * p.d, p.d);

  const MpfrFloats v_mp(p.v, p.n_kv * p.d_v);
  std::atomic<size_t> next{0};
  auto work = [&] {
    Scratch w(p.n_kv, p.d_v);
    for (size_t i = next++; i < p.n_q; i = next++)
      Row(p, i, AllFinite(p.q + i * p.d, p.d), k_finite, v_mp, w, r);
  };
  unsigned threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (threads > p.n_q) threads = static_cast<unsigned>(p.n_q);
  if (threads <= 1) {
    work();
    return r;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      work();
      // MPFR keeps per-thread caches until the thread frees them.
      mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);
    });
  }
  for (std::thread& t : pool) t.join();
  return r;
}

}  // namespace softcheck::oracle
