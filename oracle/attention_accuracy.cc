// The attention accuracy rule and verdict of oracle/attention_accuracy.h.
// Long double throughout: the allowance is a bound, so a few bits of error
// in computing it do not matter; float inputs can neither overflow nor lose
// a product in long double (products of floats are exact there, with 64
// significant bits and a 15-bit exponent), so its IEEE arithmetic gives the
// extended-real scores of the contract.
#include "oracle/attention_accuracy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "oracle/error.h"

namespace softcheck {
namespace {

using LD = long double;
constexpr LD kU = 0x1p-24L;           // float's unit roundoff
constexpr LD kDenormMin = 0x1p-149L;  // float's smallest subnormal
constexpr LD kFloatMin = 0x1p-126L;   // FLT_MIN
constexpr LD kDomain = 0x1p120L;      // scores stay far from FLT_MAX
constexpr LD kInfL = std::numeric_limits<LD>::infinity();

bool AllFinite(const float* x, size_t n) {
  for (size_t t = 0; t < n; ++t)
    if (!std::isfinite(x[t])) return false;
  return true;
}

// True when some key visible to query i has the exact score -inf from an
// infinite entry of q_i or k_j (so the contract deletes it) while the finite
// rest of its dot product may overflow a float: computed in float, that rest
// can reach +inf and the score NaN, which poisons the row. Such a row may
// come out all NaN, whatever the exact result.
bool NanRowPossible(const AttentionProblem& p, size_t i) {
  const size_t end = CausalEnd(p.causal, i, p.n_q, p.n_kv);
  const float* q = p.q + i * p.d;
  const LD big_scale = std::max(LD{1}, std::fabs(static_cast<LD>(p.scale)));
  for (size_t j = 0; j < end; ++j) {
    const float mask = p.mask ? p.mask[i * p.n_kv + j] : 0.0f;
    if (mask == -std::numeric_limits<float>::infinity()) continue;
    const float* k = p.k + j * p.d;
    LD dot = 0, finite = 0;
    for (size_t t = 0; t < p.d; ++t) {
      const LD product = static_cast<LD>(q[t]) * k[t];
      dot += product;
      if (std::isfinite(q[t]) && std::isfinite(k[t]))
        finite += std::fabs(product) + std::fabs(static_cast<LD>(q[t])) +
                  std::fabs(static_cast<LD>(k[t]));
    }
    const LD s = static_cast<LD>(p.scale) * dot + mask;
    if (s == -kInfL && big_scale * finite + std::fabs(static_cast<LD>(mask)) > kDomain)
      return true;
  }
  return false;
}

bool AllNan(const float* o, size_t n) {
  for (size_t c = 0; c < n; ++c)
    if (!std::isnan(o[c])) return false;
  return true;
}

// What the rule needs to know about one row that the oracle calls normal.
struct RowBound {
  bool in_domain = true;
  // A non-finite entry in a hidden key's k, v or mask entry, or in a deleted
  // key's v: a non-finite output may be that value leaking.
  bool leak_possible = false;
  // Every exp(s_j) a kernel might form, shifted or not, is a normal float
  // and so is their sum: no arithmetic on this row can overflow, so a
  // non-finite output can only be a leak.
  bool exp_safe = false;
  std::vector<double> allowed;  // per column
};

RowBound Bound(const AttentionProblem& p, size_t i, const AttentionRule& rule,
               bool want_allowance) {
  RowBound b;
  const size_t end = CausalEnd(p.causal, i, p.n_q, p.n_kv);
  const float* q = p.q + i * p.d;
  const LD scale = p.scale;
  const LD big_scale = std::max(LD{1}, std::fabs(scale));
  LD q1 = 0;
  for (size_t t = 0; t < p.d; ++t) q1 += std::fabs(static_cast<LD>(q[t]));

  std::vector<size_t> keys;
  std::vector<LD> score, delta;
  for (size_t j = 0; j < p.n_kv; ++j) {
    const float* k = p.k + j * p.d;
    const float* v = p.v + j * p.d_v;
    const float mask = p.mask ? p.mask[i * p.n_kv + j] : 0.0f;
    if (j >= end || mask == -std::numeric_limits<float>::infinity()) {
      b.leak_possible = b.leak_possible || !AllFinite(k, p.d) ||
                        !AllFinite(v, p.d_v) || std::isnan(mask) ||
                        mask == std::numeric_limits<float>::infinity();
      continue;
    }
    LD dot = 0, a = 0, k1 = 0;
    for (size_t t = 0; t < p.d; ++t) {
      const LD product = static_cast<LD>(q[t]) * k[t];
      dot += product;
      a += std::fabs(product);
      k1 += std::fabs(static_cast<LD>(k[t]));
    }
    const LD s = scale * dot + mask;
    if (s == -kInfL) {  // deleted by arithmetic on infinite entries
      b.leak_possible = b.leak_possible || !AllFinite(v, p.d_v);
      continue;
    }
    if (!std::isfinite(s)) {  // not a normal row after all: judge nothing
      b.in_domain = false;
      return b;
    }
    if (big_scale * (a + q1 + k1) + std::fabs(static_cast<LD>(mask)) > kDomain)
      b.in_domain = false;
    keys.push_back(j);
    score.push_back(s);
    delta.push_back(
        kU * ((static_cast<LD>(p.d) + 2) * std::fabs(scale) * a +
              2 * std::fabs(static_cast<LD>(mask))) +
        kDenormMin * (q1 + k1 + static_cast<LD>(p.d) * (1 + std::fabs(scale))));
  }
  const size_t n = keys.size();
  if (n > 0) {
    const LD top = *std::max_element(score.begin(), score.end());
    b.exp_safe = top >= -87 && top + std::log(static_cast<LD>(n)) <= 88;
  }
  for (size_t c = 0; c < p.d_v && b.in_domain; ++c) {
    LD v1 = 0;
    for (size_t x = 0; x < n; ++x) {
      const float vv = p.v[keys[x] * p.d_v + c];
      if (std::isfinite(vv)) v1 += std::fabs(static_cast<LD>(vv));
    }
    if (v1 > kDomain) b.in_domain = false;
  }
  if (!want_allowance || !b.in_domain || n == 0) return b;

  // Exact weights p_j (to long double), |z_j| and S.
  const LD max = *std::max_element(score.begin(), score.end());
  std::vector<LD> w(n), shifted(n);
  LD total = 0;
  for (size_t x = 0; x < n; ++x) {
    shifted[x] = score[x] - max;
    total += (w[x] = std::exp(shifted[x]));
  }
  LD spread = 0;  // S
  for (size_t x = 0; x < n; ++x) {
    w[x] /= total;
    spread += w[x] * -shifted[x];
  }
  // log sum_k exp(a_k -+ d_k), shifted by their maximum so nothing overflows.
  auto log_sum = [&](LD sign) {
    LD top = -kInfL;
    for (size_t x = 0; x < n; ++x)
      top = std::max(top, shifted[x] + sign * delta[x]);
    LD sum = 0;
    for (size_t x = 0; x < n; ++x)
      sum += std::exp(shifted[x] + sign * delta[x] - top);
    return top + std::log(sum);
  };
  const LD lse_minus = log_sum(-1), lse_plus = log_sum(+1);
  std::vector<LD> moved(n), arith(n);
  const LD e = rule.exp_ulp;
  const LD rescales = (2 * e + 4) * static_cast<LD>(n);
  for (size_t x = 0; x < n; ++x) {
    const LD up = std::exp(shifted[x] + delta[x] - lse_minus) - w[x];
    const LD down = w[x] - std::exp(shifted[x] - delta[x] - lse_plus);
    moved[x] = std::max(up, down);  // T_j; +inf when d_j is enormous
    arith[x] = kU * w[x] * (4 * e + 6 - shifted[x] + spread + rescales);
  }
  b.allowed.assign(p.d_v, 0.0);
  for (size_t c = 0; c < p.d_v; ++c) {
    LD score_part = 0, arith_part = 0, v1 = 0;
    LD lo = kInfL, hi = -kInfL;
    for (size_t x = 0; x < n; ++x) {
      const LD vv = p.v[keys[x] * p.d_v + c];
      lo = std::min(lo, vv);
      hi = std::max(hi, vv);
      if (vv == 0) continue;
      const LD mag = std::fabs(vv);
      score_part += moved[x] * mag;
      arith_part += arith[x] * mag;
      v1 += mag;
    }
    const LD bound = rule.slack * (std::min(score_part, hi - lo) + arith_part) +
                     kFloatMin * v1 + (static_cast<LD>(n) + 1) * kDenormMin;
    b.allowed[c] = bound > std::numeric_limits<double>::max()
                       ? std::numeric_limits<double>::infinity()
                       : static_cast<double>(bound);
  }
  return b;
}

std::string Show(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{} ({:a})", v, v);
}

std::string ShowExact(long double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.10Lg}", v);
}

bool IsPositiveZero(float v) { return v == 0 && !std::signbit(v); }

}  // namespace

bool AttentionRowInDomain(const AttentionProblem& p, size_t i) {
  return Bound(p, i, AttentionRule{}, false).in_domain;
}

bool AttentionRowExpSafe(const AttentionProblem& p, size_t i) {
  return Bound(p, i, AttentionRule{}, false).exp_safe;
}

std::vector<double> AttentionAllowance(const AttentionProblem& p,
                                       const oracle::AttentionResult& exact,
                                       const AttentionRule& rule) {
  std::vector<double> allowed(p.n_q * p.d_v, -1.0);
  for (size_t i = 0; i < p.n_q; ++i) {
    if (exact.rows[i] != oracle::AttentionRow::kNormal) continue;
    const RowBound b = Bound(p, i, rule, true);
    if (!b.in_domain) continue;
    for (size_t c = 0; c < p.d_v; ++c)
      if (std::isfinite(exact.exact[i * p.d_v + c]))
        allowed[i * p.d_v + c] = b.allowed[c];
  }
  return allowed;
}

AttentionRule AttentionRuleFor(const AttentionClaims& claims) {
  AttentionRule r;
  r.slack = claims.rule_slack;
  r.exp_ulp = claims.exp_ulp;
  r.fully_masked = claims.fully_masked;
  r.non_finite = claims.non_finite;
  return r;
}

AttentionVerdict JudgeAttention(const AttentionProblem& p, const float* out,
                                const oracle::AttentionResult& exact,
                                const AttentionRule& rule) {
  AttentionVerdict v;
  auto add = [&](Clause clause, size_t i, size_t c, std::string what) {
    if (!v.Breaks(clause))
      v.findings.push_back({clause, i, c, std::move(what)});
  };
  const size_t d_v = p.d_v;
  for (size_t i = 0; i < p.n_q; ++i) {
    const float* o = out + i * d_v;
    const long double* x = exact.exact.data() + i * d_v;
    if (exact.rows[i] == oracle::AttentionRow::kPoisoned) {
      if (rule.non_finite == NonFiniteRule::kAny) continue;
      for (size_t c = 0; c < d_v; ++c)
        if (!std::isnan(o[c])) {
          add(Clause::kNanPropagation, i, c,
              fmt::format("out[{}][{}] = {}, expected NaN: the row has a NaN "
                          "or +inf score (or the call a bad scale or causal "
                          "mode)",
                          i, c, Show(o[c])));
          break;
        }
      continue;
    }
    // A key deleted by an infinite product beside a finite part that can
    // overflow: an all-NaN row is a float evaluation of the contract too.
    if (d_v > 0 && AllNan(o, d_v) && NanRowPossible(p, i)) continue;
    if (exact.rows[i] == oracle::AttentionRow::kEmpty) {
      if (rule.fully_masked == FullyMaskedRule::kAny) continue;
      const bool want_nan = rule.fully_masked == FullyMaskedRule::kNan;
      for (size_t c = 0; c < d_v; ++c)
        if (want_nan ? !std::isnan(o[c]) : !IsPositiveZero(o[c])) {
          add(Clause::kFullyMasked, i, c,
              fmt::format("out[{}][{}] = {}, expected {}: no key is visible "
                          "to query {}",
                          i, c, Show(o[c]), want_nan ? "NaN" : "+0", i));
          break;
        }
      continue;
    }
    const RowBound b = Bound(p, i, rule, true);
    for (size_t c = 0; c < d_v; ++c) {
      // Outside the domain a float score may round to +-inf where the exact
      // one is finite (deleting the key, or poisoning the row): which V
      // entries reach the output, and whether it is finite, are then the
      // float evaluation's business. Only the row kinds above are judged.
      if (!b.in_domain && (!std::isfinite(x[c]) || !std::isfinite(o[c]))) continue;
      if (!std::isfinite(x[c]) && rule.non_finite == NonFiniteRule::kAny) continue;
      if (std::isnan(x[c])) {
        if (!std::isnan(o[c]))
          add(Clause::kNanPropagation, i, c,
              fmt::format("out[{}][{}] = {}, expected NaN: a visible v_j has "
                          "NaN (or both infinities) in column {}",
                          i, c, Show(o[c]), c));
        continue;
      }
      if (std::isinf(x[c])) {
        if (!std::isnan(o[c]) && static_cast<long double>(o[c]) != x[c])
          add(Clause::kNanPropagation, i, c,
              fmt::format("out[{}][{}] = {}, expected {} or NaN: a visible "
                          "v_j is infinite in column {}",
                          i, c, Show(o[c]), ShowExact(x[c]), c));
        continue;
      }
      if (!std::isfinite(o[c])) {
        if (b.leak_possible && b.exp_safe) {
          add(Clause::kMasking, i, c,
              fmt::format("out[{}][{}] = {}, exact {}: a non-finite value in "
                          "a hidden or deleted key reached the output",
                          i, c, Show(o[c]), ShowExact(x[c])));
        } else if (b.in_domain) {
          add(Clause::kOverflowSafe, i, c,
              fmt::format("out[{}][{}] = {} from finite scores (exact {}){}", i,
                          c, Show(o[c]), ShowExact(x[c]),
                          b.leak_possible ? "; or a non-finite value in a "
                                            "hidden key leaked"
                                          : ""));
        }
        continue;
      }
      if (!b.in_domain) continue;
      const double allowed = b.allowed[c];
      const double err = AbsoluteError<float>(o[c], x[c]);
      const double ratio =
          allowed > 0 ? err / allowed : (err == 0 ? 0.0 : INFINITY);
      ++v.judged;
      v.max_ulp = std::max(v.max_ulp, UlpError<float>(o[c], x[c]));
      if (ratio > 1) ++v.mismatches;
      if (ratio > v.worst_ratio || v.judged == 1) {
        v.worst_ratio = ratio;
        v.worst_row = i;
        v.worst_col = c;
        v.worst_allowed = allowed;
      }
    }
  }
  if (v.mismatches > 0) {
    const size_t i = v.worst_row, c = v.worst_col;
    const float o = out[i * d_v + c];
    const long double x = exact.exact[i * d_v + c];
    add(Clause::kAccuracy, i, c,
        fmt::format("out[{}][{}] = {}, exact {}: {:.3g} ULP, error {:.3g}x "
                    "the allowance {:.3g}; {}/{} elements over",
                    i, c, Show(o), ShowExact(x), UlpError<float>(o, x),
                    v.worst_ratio, v.worst_allowed, v.mismatches, v.judged));
  }
  return v;
}

}  // namespace softcheck
