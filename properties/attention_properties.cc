#include "properties/attention_properties.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>

#include "cli/numbers.h"
#include "oracle/attention_oracle.h"
#include "oracle/verdict.h"

namespace softcheck::properties {
namespace {

using LD = long double;
using oracle::AttentionResult;
using oracle::AttentionRow;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string Show(float v) { return FormatValue(v); }

// The keys [0, VisibleEnd) a causal mode leaves to query i, written from the
// definition in impl/attention.h with signed arithmetic rather than with the
// kernels' own CausalEnd, so that a slip there cannot hide in both.
size_t VisibleEnd(int causal, size_t i, size_t n_q, size_t n_kv) {
  long long end = static_cast<long long>(n_kv);
  if (causal == kCausalTopLeft) end = static_cast<long long>(i) + 1;
  if (causal == kCausalBottomRight)
    end = static_cast<long long>(i) + 1 + static_cast<long long>(n_kv) -
          static_cast<long long>(n_q);
  return static_cast<size_t>(std::clamp<long long>(end, 0, static_cast<long long>(n_kv)));
}

bool CallerError(const AttentionCase& c) {
  return !std::isfinite(c.scale) ||
         !(c.causal == kCausalNone || c.causal == kCausalTopLeft ||
           c.causal == kCausalBottomRight);
}

// ---- running kernels ----------------------------------------------------------

// One call on an exactly sized output poisoned with NaN (an element the
// kernel forgets to write shows; ASan sees any access past a buffer). Empty
// extents are passed as null, which the contract allows.
std::vector<float> Call(const AttentionKernel& k, const AttentionCase& c,
                        float poison = kNaN) {
  std::vector<float> out(c.n_q * c.d_v, poison);
  const AttentionProblem p = c.View();
  k.f32(c.q.empty() ? nullptr : p.q, c.k.empty() ? nullptr : p.k,
        c.v.empty() ? nullptr : p.v, p.mask, c.causal, c.scale,
        out.empty() ? nullptr : out.data(), c.n_q, c.n_kv, c.d, c.d_v);
  return out;
}

std::vector<float> CallBlocked(const AttentionKernel& k, const AttentionCase& c,
                               size_t block_q, size_t block_kv) {
  std::vector<float> out(c.n_q * c.d_v, kNaN);
  const AttentionProblem p = c.View();
  k.blocked(c.q.empty() ? nullptr : p.q, c.k.empty() ? nullptr : p.k,
            c.v.empty() ? nullptr : p.v, p.mask, c.causal, c.scale,
            out.empty() ? nullptr : out.data(), c.n_q, c.n_kv, c.d, c.d_v,
            block_q, block_kv);
  return out;
}

// ---- what the contract says without the oracle ---------------------------------

// The scores s_ij of the keys left to query i (visible, score not -inf) and
// their indices, computed in long double: float products are exact there and
// a sum of d of them cannot overflow, so IEEE's arithmetic on infinities and
// NaN gives the extended-real scores of the contract (as the rule's own bound
// does). Returns false when a score is NaN or +inf (the row is poisoned).
bool RowScores(const AttentionCase& c, size_t i, std::vector<LD>* scores,
               std::vector<size_t>* keys) {
  scores->clear();
  keys->clear();
  const size_t end = VisibleEnd(c.causal, i, c.n_q, c.n_kv);
  for (size_t j = 0; j < end; ++j) {
    const float m = c.mask.empty() ? 0.0f : c.mask[i * c.n_kv + j];
    if (m == -kInf) continue;
    LD dot = 0;
    for (size_t t = 0; t < c.d; ++t)
      dot += static_cast<LD>(c.q[i * c.d + t]) * c.k[j * c.d + t];
    const LD s = static_cast<LD>(c.scale) * dot + m;
    if (std::isnan(s) || s == std::numeric_limits<LD>::infinity()) return false;
    if (s == -std::numeric_limits<LD>::infinity()) continue;
    scores->push_back(s);
    keys->push_back(j);
  }
  return true;
}

// Row i lies inside exp's range: every exp(s_ij) of a key left is a normal
// float and so is their sum -- the rows on which the textbook formula keeps
// its precision (softmax's InExpRange, row by row). Outside it, a kernel that
// declares it is not overflow-safe (naive: exp(s) with no shift) is held to
// nothing but the NaN, empty-row and hygiene clauses. This is stricter than
// AttentionRowExpSafe, which asks only whether a NaN can arise: naive's
// weights built from subnormal exps have lost their bits well before that.
bool RowInExpRange(const AttentionCase& c, size_t i) {
  if (CallerError(c)) return true;
  std::vector<LD> s;
  std::vector<size_t> keys;
  if (!RowScores(c, i, &s, &keys) || s.empty()) return true;
  const LD lo = std::log(static_cast<LD>(std::numeric_limits<float>::min()));
  const LD hi = std::log(static_cast<LD>(std::numeric_limits<float>::max()));
  LD top = -std::numeric_limits<LD>::infinity();
  for (LD x : s) {
    if (x < lo) return false;
    top = std::max(top, x);
  }
  LD sum = 0;
  for (LD x : s) sum += std::exp(x - top);
  const LD u = 0x1p-24L;
  return top + std::log(sum) + std::log1p(2 * (static_cast<LD>(s.size()) + 1) * u) <= hi;
}

// The contract's row kinds and, for normal rows, which outputs are NaN, +inf
// or -inf (RowScores). Finite outputs get 0 here; StandIn fills them.
AttentionResult Structure(const AttentionCase& c) {
  AttentionResult r;
  r.rows.assign(c.n_q, AttentionRow::kNormal);
  r.exact.assign(c.n_q * c.d_v, 0.0L);
  const bool error = CallerError(c);
  std::vector<LD> scores;
  std::vector<size_t> keys;
  for (size_t i = 0; i < c.n_q; ++i) {
    LD* x = r.exact.data() + i * c.d_v;
    if (error || !RowScores(c, i, &scores, &keys)) {
      r.rows[i] = AttentionRow::kPoisoned;
      std::fill(x, x + c.d_v, std::numeric_limits<LD>::quiet_NaN());
      continue;
    }
    if (keys.empty()) {
      r.rows[i] = AttentionRow::kEmpty;
      continue;
    }
    for (size_t col = 0; col < c.d_v; ++col) {
      bool nan = false, pos = false, neg = false;
      for (size_t j : keys) {
        const float v = c.v[j * c.d_v + col];
        nan |= std::isnan(v);
        pos |= v == kInf;
        neg |= v == -kInf;
      }
      if (nan || (pos && neg))
        x[col] = std::numeric_limits<LD>::quiet_NaN();
      else if (pos)
        x[col] = std::numeric_limits<LD>::infinity();
      else if (neg)
        x[col] = -std::numeric_limits<LD>::infinity();
    }
  }
  return r;
}

// The structure with `values` standing in for the exact finite outputs
// (where they are finite; 0 elsewhere): what JudgeAttention needs to judge
// NaN rows, empty rows and finiteness, and what AttentionAllowance needs.
AttentionResult StandIn(const AttentionCase& c, const std::vector<float>& values) {
  AttentionResult r = Structure(c);
  for (size_t i = 0; i < c.n_q; ++i) {
    if (r.rows[i] != AttentionRow::kNormal) continue;
    for (size_t col = 0; col < c.d_v; ++col) {
      LD& x = r.exact[i * c.d_v + col];
      if (std::isfinite(x) && std::isfinite(values[i * c.d_v + col]))
        x = values[i * c.d_v + col];
    }
  }
  r.rounded.assign(r.exact.begin(), r.exact.end());
  return r;
}

// Row i of an exact result as the exact result of a one-query problem.
AttentionResult RowOf(const AttentionResult& r, size_t i, size_t d_v) {
  AttentionResult one;
  one.rows = {r.rows[i]};
  one.exact.assign(r.exact.begin() + static_cast<std::ptrdiff_t>(i * d_v),
                   r.exact.begin() + static_cast<std::ptrdiff_t>((i + 1) * d_v));
  one.rounded.assign(r.rounded.begin() + static_cast<std::ptrdiff_t>(i * d_v),
                     r.rounded.begin() + static_cast<std::ptrdiff_t>((i + 1) * d_v));
  return one;
}

// The clauses about the values of a row the contract calls normal: on a row
// whose exps can overflow, what a kernel that is not overflow-safe cannot
// keep.
bool FiniteRowClause(Clause c) {
  switch (c) {
    case Clause::kAccuracy:
    case Clause::kPositivity:
    case Clause::kMasking:
    case Clause::kPermutation:
      return true;
    default:
      return false;
  }
}

// The kernel's exp claim and, for a user's kernel, its chosen policies for
// empty and poisoned rows (softcheck check --fully-masked, --non-finite).
AttentionRule RuleFor(const AttentionKernel& k) { return AttentionRuleFor(k.claims); }

// Collects what one check finds over the problems it runs.
class Recorder {
 public:
  Recorder(const AttentionKernel& k, const AttentionCheckOptions& options)
      : k_(k), options_(options), rule_(RuleFor(k)) {}

  const AttentionRule& rule() const { return rule_; }
  const AttentionKernel& kernel() const { return k_; }

  // A problem the kernel ran: kept for the replay commands.
  void Ran(const AttentionCase& c) { ran_.push_back(c); }

  // JudgeAttention against exact values. `relation` (a derived problem's
  // clause) retags the accuracy finding: its output differs from the exact
  // values of the problem it was derived from.
  void Judge(const std::string& label, const AttentionCase& c,
             const std::vector<float>& out, const AttentionResult& exact,
             std::optional<Clause> relation = std::nullopt,
             const std::string& relation_why = "") {
    const AttentionProblem p = c.View();
    const AttentionVerdict v = JudgeAttention(p, out.data(), exact, rule_);
    const bool claimed = k_.claims.Promises(Clause::kOverflowSafe) ||
                         (v.judged > 0 && RowInExpRange(c, v.worst_row));
    if (claimed && v.judged > 0 && v.worst_ratio > verdict_.worst_ratio) {
      const size_t i = v.worst_row, col = v.worst_col;
      verdict_.worst_ratio = v.worst_ratio;
      verdict_.worst_detail = fmt::format(
          "{}out[{}][{}] = {}, exact {:.10Lg}: {:.3g}x the allowance {:.3g}",
          label.empty() ? "" : "on " + label + ": ", i, col,
          Show(out[i * c.d_v + col]), exact.exact[i * c.d_v + col],
          v.worst_ratio, v.worst_allowed);
    }
    for (const AttentionFinding& f : v.findings) {
      Clause clause = f.clause;
      std::string what = f.what;
      if (relation && clause == Clause::kAccuracy) {
        clause = *relation;
        what += "; " + relation_why;
      }
      Add(clause, f.row, f.col, label, what, &c);
    }
  }

  // JudgeAttention's clauses that need no exact value (NaN rows, empty rows,
  // non-finite outputs where the exact value is finite), with the kernel's
  // own finite outputs standing in for the exact ones. Only when that finds
  // something is the oracle asked, so that the finding reads with the exact
  // values.
  void JudgeStructure(const std::string& label, const AttentionCase& c,
                      const std::vector<float>& out) {
    const AttentionVerdict v =
        JudgeAttention(c.View(), out.data(), StandIn(c, out), rule_);
    if (v.Holds()) return;
    // Findings that count only as a clause the kernel declares it breaks
    // (naive's NaNs outside exp's range) are not worth the oracle's time,
    // except on the small problems a shrunk counterexample ends in.
    bool declared_only = true;
    for (const AttentionFinding& f : v.findings)
      declared_only = declared_only && !k_.claims.Promises(Attributed(f.clause, f.row, &c));
    const size_t scores = c.n_q * c.n_kv;
    if (scores > options_.oracle_limit || (declared_only && scores > 64)) {
      for (const AttentionFinding& f : v.findings)
        Add(f.clause, f.row, f.col, label,
            f.what + " [the exact value shown is a stand-in: the oracle was "
                     "not run on this problem]",
            &c);
      return;
    }
    Judge(label, c, out, oracle::Attention(c.View()));
  }

  // The clause a finding on `row` of `c` counts as: a finite-row clause on
  // a row outside exp's range is overflow-safe's for a kernel that declares
  // it breaks that.
  Clause Attributed(Clause clause, size_t row, const AttentionCase* c) const {
    if (c != nullptr && FiniteRowClause(clause) &&
        !k_.claims.Promises(Clause::kOverflowSafe) && row < c->n_q &&
        !RowInExpRange(*c, row))
      return Clause::kOverflowSafe;
    return clause;
  }

  void Add(Clause clause, size_t row, size_t col, const std::string& label,
           std::string what, const AttentionCase* c) {
    if (Attributed(clause, row, c) != clause) {
      what += fmt::format(
          " [{} on a row outside exp's range (an exp(s) overflows or is "
          "subnormal), where {} "
          "declares it is not overflow-safe: counted as that]",
          ClauseName(clause), k_.name);
      clause = Clause::kOverflowSafe;
    }
    verdict_.findings.push_back(
        {clause, row, col, label.empty() ? what : "on " + label + ": " + what});
  }

  AttentionCaseVerdict Finish() {
    if (!verdict_.findings.empty()) {
      for (const AttentionCase& c : ran_) {
        std::string r = AttentionEvalCommand(k_, c);
        if (std::find(verdict_.replay.begin(), verdict_.replay.end(), r) ==
            verdict_.replay.end())
          verdict_.replay.push_back(std::move(r));
      }
    }
    return std::move(verdict_);
  }

 private:
  const AttentionKernel& k_;
  const AttentionCheckOptions& options_;
  AttentionRule rule_;
  std::vector<AttentionCase> ran_;
  AttentionCaseVerdict verdict_;
};

// |a - b| <= a_bound + b_bound element by element, for two outputs whose
// exact values are the same; reports the element with the largest ratio.
// Elements with a negative bound (not judged for accuracy) and non-finite
// ones (judged structurally elsewhere) are left out.
void ExpectClose(Recorder& rec, Clause clause, const AttentionCase& c,
                 const std::vector<float>& a, const std::vector<float>& b,
                 const std::vector<double>& bound_a,
                 const std::vector<double>& bound_b, const std::string& why) {
  double worst = 0;
  size_t at = 0;
  for (size_t e = 0; e < a.size(); ++e) {
    if (bound_a[e] < 0 || bound_b[e] < 0) continue;
    if (!std::isfinite(a[e]) || !std::isfinite(b[e])) continue;
    const LD err = std::fabs(static_cast<LD>(a[e]) - static_cast<LD>(b[e]));
    const LD bound = static_cast<LD>(bound_a[e]) + bound_b[e];
    const double ratio =
        bound > 0 ? static_cast<double>(err / bound) : (err == 0 ? 0.0 : INFINITY);
    if (ratio > worst) {
      worst = ratio;
      at = e;
    }
  }
  if (worst > 1) {
    const size_t i = at / std::max<size_t>(c.d_v, 1), col = at % std::max<size_t>(c.d_v, 1);
    rec.Add(clause, i, col, "",
            fmt::format("out[{}][{}] = {} but {}: {}; they differ by {:.3g}x "
                        "the sum of both allowances {:.3g}",
                        i, col, Show(a[at]), Show(b[at]), why, worst,
                        bound_a[at] + bound_b[at]),
            &c);
  }
}

// ---- derived problems ------------------------------------------------------

// Query i alone, with the keys [0, end) (mask row i restricted to them), no
// causality.
AttentionCase OneQuery(const AttentionCase& c, size_t i, size_t end) {
  AttentionCase o;
  o.n_q = 1;
  o.n_kv = end;
  o.d = c.d;
  o.d_v = c.d_v;
  o.scale = c.scale;
  o.causal = kCausalNone;
  o.q.assign(c.q.begin() + static_cast<std::ptrdiff_t>(i * c.d),
             c.q.begin() + static_cast<std::ptrdiff_t>((i + 1) * c.d));
  o.k.assign(c.k.begin(), c.k.begin() + static_cast<std::ptrdiff_t>(end * c.d));
  o.v.assign(c.v.begin(), c.v.begin() + static_cast<std::ptrdiff_t>(end * c.d_v));
  if (!c.mask.empty())
    o.mask.assign(c.mask.begin() + static_cast<std::ptrdiff_t>(i * c.n_kv),
                  c.mask.begin() + static_cast<std::ptrdiff_t>(i * c.n_kv + end));
  return o;
}

// The problem with only the keys in `keep` (in that order): K and V rows
// and mask columns.
AttentionCase SelectKeys(const AttentionCase& c, const std::vector<size_t>& keep) {
  AttentionCase o = c;
  o.n_kv = keep.size();
  o.k.clear();
  o.v.clear();
  for (size_t j : keep) {
    o.k.insert(o.k.end(), c.k.begin() + static_cast<std::ptrdiff_t>(j * c.d),
               c.k.begin() + static_cast<std::ptrdiff_t>((j + 1) * c.d));
    o.v.insert(o.v.end(), c.v.begin() + static_cast<std::ptrdiff_t>(j * c.d_v),
               c.v.begin() + static_cast<std::ptrdiff_t>((j + 1) * c.d_v));
  }
  if (!c.mask.empty()) {
    o.mask.clear();
    for (size_t i = 0; i < c.n_q; ++i)
      for (size_t j : keep) o.mask.push_back(c.mask[i * c.n_kv + j]);
  }
  return o;
}

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// p[j] = the key that lands at position j. Seed 0 is the identity.
std::vector<size_t> Shuffle(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  if (seed == 0) return p;
  uint64_t s = seed;
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[SplitMix(s) % i]);
  return p;
}

// ---- the properties ---------------------------------------------------------

void Accuracy(Recorder& rec, const AttentionCase& c) {
  rec.Ran(c);
  rec.Judge("", c, Call(rec.kernel(), c), oracle::Attention(c.View()));
}

// Each output is a convex combination of its V column over the keys left:
// it lies in [min_j v_jc, max_j v_jc], widened by the element's allowance
// (the weights a float kernel forms sum to 1 only within rounding: with
// every v_jc equal, out = v (1 + O(n u)), which the rule's arithmetic term
// covers). No oracle: the allowance depends on the inputs alone.
void ConvexCombination(Recorder& rec, const AttentionCase& c) {
  rec.Ran(c);
  const std::vector<float> out = Call(rec.kernel(), c);
  rec.JudgeStructure("", c, out);
  const AttentionResult s = StandIn(c, out);
  const std::vector<double> allowed = AttentionAllowance(c.View(), s, rec.rule());
  for (size_t i = 0; i < c.n_q; ++i) {
    if (s.rows[i] != AttentionRow::kNormal) continue;
    std::vector<LD> scores;
    std::vector<size_t> left;
    RowScores(c, i, &scores, &left);
    for (size_t col = 0; col < c.d_v; ++col) {
      const size_t e = i * c.d_v + col;
      if (allowed[e] < 0 || !std::isfinite(out[e])) continue;
      LD lo = std::numeric_limits<LD>::infinity(), hi = -lo;
      for (size_t j : left) {
        lo = std::min<LD>(lo, c.v[j * c.d_v + col]);
        hi = std::max<LD>(hi, c.v[j * c.d_v + col]);
      }
      const LD y = out[e];
      if (y >= lo - allowed[e] && y <= hi + allowed[e]) continue;
      rec.Add(Clause::kPositivity, i, col, "",
              fmt::format("out[{}][{}] = {} lies outside [{}, {}], the range "
                          "of column {} of V over the {} keys left to query "
                          "{}, by more than its allowance {:.3g}",
                          i, col, Show(out[e]), Show(static_cast<float>(lo)),
                          Show(static_cast<float>(hi)), col, left.size(), i,
                          allowed[e]),
              &c);
      return;
    }
  }
}

// Causal: out_i equals attention over the visible prefix alone, built as a
// one-query problem without causality (keys [0, end_i), mask row restricted),
// judged against the full problem's exact row.
void CausalPrefix(Recorder& rec, const AttentionCase& c) {
  rec.Ran(c);
  const std::vector<float> out = Call(rec.kernel(), c);
  const AttentionResult exact = oracle::Attention(c.View());
  rec.Judge("", c, out, exact);
  if (CallerError(c) || c.causal == kCausalNone) return;
  // At most 24 queries, spread over the rows: the first and last blocks'
  // edges are where off-by-one slips live.
  std::vector<size_t> rows;
  if (c.n_q <= 24) {
    for (size_t i = 0; i < c.n_q; ++i) rows.push_back(i);
  } else {
    for (size_t x = 0; x < 24; ++x) rows.push_back(x * (c.n_q - 1) / 23);
  }
  for (size_t i : rows) {
    const size_t end = VisibleEnd(c.causal, i, c.n_q, c.n_kv);
    const AttentionCase prefix = OneQuery(c, i, end);
    rec.Ran(prefix);
    const std::vector<float> y = Call(rec.kernel(), prefix);
    const std::string label = fmt::format(
        "query {} alone with its {} visible keys (no causality)", i, end);
    rec.Judge(label, prefix, y, RowOf(exact, i, c.d_v), Clause::kMasking,
              fmt::format("the causal output for query {} must equal attention "
                          "over keys [0, {}) only",
                          i, end));
    // Against the kernel's own causal row: both within their allowance.
    const std::vector<float> row(out.begin() + static_cast<std::ptrdiff_t>(i * c.d_v),
                                 out.begin() + static_cast<std::ptrdiff_t>((i + 1) * c.d_v));
    const std::vector<double> a = AttentionAllowance(prefix.View(), RowOf(exact, i, c.d_v), rec.rule());
    ExpectClose(rec, Clause::kMasking, prefix, row, y, a, a,
                fmt::format("query {}'s causal row (first value) against the "
                            "prefix problem (second)",
                            i));
  }
}

// Each causal mode equals the explicit -inf mask of its definition (top-left:
// j <= i; bottom-right: j <= i + n_kv - n_q), given to the kernel without
// causality; both modes are run on every case. With n_q == n_kv the two
// masks are the same, so the modes agree; otherwise they differ as
// specified, each matching its own mask.
void CausalAlignment(Recorder& rec, const AttentionCase& c) {
  if (CallerError(c)) {
    rec.Ran(c);
    rec.JudgeStructure("", c, Call(rec.kernel(), c));
    return;
  }
  std::optional<AttentionResult> shared;
  for (int mode : {kCausalTopLeft, kCausalBottomRight}) {
    AttentionCase causal = c;
    causal.causal = mode;
    AttentionCase explicit_mask = c;
    explicit_mask.causal = kCausalNone;
    if (explicit_mask.mask.empty()) explicit_mask.mask.assign(c.n_q * c.n_kv, 0.0f);
    for (size_t i = 0; i < c.n_q; ++i) {
      // The definition, in signed arithmetic: j <= i (+ n_kv - n_q).
      const long long shift = mode == kCausalBottomRight
                                  ? static_cast<long long>(c.n_kv) - static_cast<long long>(c.n_q)
                                  : 0;
      for (size_t j = 0; j < c.n_kv; ++j)
        if (static_cast<long long>(j) > static_cast<long long>(i) + shift)
          explicit_mask.mask[i * c.n_kv + j] = -kInf;
    }
    const bool same_masks = c.n_q == c.n_kv;
    if (!same_masks || !shared) shared = oracle::Attention(explicit_mask.View());
    const char* name = mode == kCausalTopLeft ? "top-left" : "bottom-right";
    rec.Ran(causal);
    rec.Ran(explicit_mask);
    rec.Judge(fmt::format("causal {} ({})", mode, name), causal,
              Call(rec.kernel(), causal), *shared, Clause::kMasking,
              fmt::format("causal {} must hide exactly the keys j > i{} (n_q "
                          "= {}, n_kv = {})",
                          name, mode == kCausalTopLeft ? "" : " + n_kv - n_q",
                          c.n_q, c.n_kv));
    rec.Judge(fmt::format("the {} mask written out, no causality", name),
              explicit_mask, Call(rec.kernel(), explicit_mask), *shared);
  }
}

// A -inf mask entry deletes the key: (a) keys masked from every query (a
// padding mask) give the same output as the problem without those keys;
// (b) one query row alone, its -inf keys removed, gives that row. The
// deleted keys hold whatever the generator put there (huge scores, huge V)
// so that a kernel which lets them in shows it.
void MaskDeletes(Recorder& rec, const AttentionCase& c, uint64_t seed) {
  rec.Ran(c);
  const std::vector<float> out = Call(rec.kernel(), c);
  const AttentionResult exact = oracle::Attention(c.View());
  rec.Judge("", c, out, exact);
  if (c.mask.empty() || CallerError(c) || c.causal != kCausalNone || c.n_q == 0)
    return;
  std::vector<size_t> kept;
  for (size_t j = 0; j < c.n_kv; ++j) {
    bool all = true;
    for (size_t i = 0; i < c.n_q && all; ++i) all = c.mask[i * c.n_kv + j] == -kInf;
    if (!all) kept.push_back(j);
  }
  if (kept.size() < c.n_kv) {
    const AttentionCase fewer = SelectKeys(c, kept);
    rec.Ran(fewer);
    rec.Judge(fmt::format("the {} keys masked from every query deleted",
                          c.n_kv - kept.size()),
              fewer, Call(rec.kernel(), fewer), exact, Clause::kMasking,
              "a key that every query masks with -inf must be as if absent");
  }
  const size_t i = static_cast<size_t>(seed % c.n_q);
  std::vector<size_t> row_kept;
  for (size_t j = 0; j < c.n_kv; ++j)
    if (c.mask[i * c.n_kv + j] != -kInf) row_kept.push_back(j);
  if (row_kept.size() == c.n_kv) return;
  AttentionCase one = OneQuery(c, i, c.n_kv);
  one = SelectKeys(one, row_kept);
  rec.Ran(one);
  rec.Judge(fmt::format("query {} alone, its {} -inf keys deleted", i,
                        c.n_kv - row_kept.size()),
            one, Call(rec.kernel(), one), RowOf(exact, i, c.d_v),
            Clause::kMasking,
            fmt::format("query {}'s -inf mask entries must delete those keys", i));
}

// Structure alone: NaN rows, empty rows (+0), non-finite outputs where the
// exact value is finite. The generators decide what the property stresses
// (fully masked rows; huge scores; NaN hidden by the mask or causality; NaN
// and +inf in visible positions).
void StructureOnly(Recorder& rec, const AttentionCase& c) {
  rec.Ran(c);
  rec.JudgeStructure("", c, Call(rec.kernel(), c));
}

// Permuting the keys -- K and V rows together, the mask's columns with them
// -- leaves the output unchanged (within both allowances: the sums run in a
// different order). No causality: it ties the keys to their positions.
void KvPermutation(Recorder& rec, const AttentionCase& c, uint64_t seed) {
  rec.Ran(c);
  const std::vector<float> out = Call(rec.kernel(), c);
  const AttentionResult exact = oracle::Attention(c.View());
  rec.Judge("", c, out, exact);
  if (c.causal != kCausalNone) return;
  const AttentionCase permuted = SelectKeys(c, Shuffle(c.n_kv, seed));
  rec.Ran(permuted);
  const std::vector<float> y = Call(rec.kernel(), permuted);
  rec.Judge(fmt::format("keys permuted (seed {})", seed), permuted, y, exact,
            Clause::kPermutation,
            "permuting K and V rows together must not change the output");
  const std::vector<double> a = AttentionAllowance(c.View(), exact, rec.rule());
  const std::vector<double> ap = AttentionAllowance(permuted.View(), exact, rec.rule());
  ExpectClose(rec, Clause::kPermutation, c, out, y, a, ap,
              fmt::format("the original (first value) and the keys permuted "
                          "with seed {} (second)",
                          seed));
}

// Two kernels that each keep the rule are within the sum of their
// allowances of each other. With the reference's output standing in for the
// exact values (the allowance needs only the inputs), no oracle: problems
// can be larger. A reference that is not overflow-safe is used only where
// every row is inside exp's range.
void Agreement(Recorder& rec, const AttentionCase& c,
               const AttentionCheckOptions& options) {
  rec.Ran(c);
  const std::vector<float> out = Call(rec.kernel(), c);
  rec.JudgeStructure("", c, out);
  if (CallerError(c)) return;
  const AttentionProblem p = c.View();
  // The allowance reads the exact values only for which are finite, which
  // the inputs decide (Structure): one per exp claim serves every reference.
  const AttentionResult structure = StandIn(c, out);
  const std::vector<double> a = AttentionAllowance(p, structure, rec.rule());
  std::vector<std::pair<double, std::vector<double>>> by_exp_ulp;
  for (const AttentionKernel* r : options.references) {
    if (r->name == rec.kernel().name || !r->claims.Promises(Clause::kAccuracy))
      continue;
    if (!r->claims.Promises(Clause::kOverflowSafe)) {
      bool safe = true;
      for (size_t i = 0; i < c.n_q && safe; ++i)
        safe = structure.rows[i] != AttentionRow::kNormal || RowInExpRange(c, i);
      if (!safe) continue;  // the reference does not claim this problem
    }
    const std::vector<float> yr = Call(*r, c);
    const std::vector<double>* ar = nullptr;
    for (const auto& [ulp, allowance] : by_exp_ulp)
      if (ulp == r->claims.exp_ulp) ar = &allowance;
    if (ar == nullptr) {
      by_exp_ulp.emplace_back(r->claims.exp_ulp,
                              AttentionAllowance(p, structure, RuleFor(*r)));
      ar = &by_exp_ulp.back().second;
    }
    ExpectClose(rec, Clause::kAccuracy, c, out, yr, a, *ar,
                fmt::format("{} (first value) disagrees with {} (second)",
                            rec.kernel().name, r->name));
  }
}

// The blocked entry at several block sizes -- 1 x 1, non-divisors, one
// larger than the problem, the case's own pair, 0 x 0 (the default) --
// against the plain entry, within twice the allowance (each is within one of
// the exact values, with the plain entry's output standing in for them).
void BlockSize(Recorder& rec, const AttentionCase& c, size_t bq, size_t bkv) {
  const AttentionKernel& k = rec.kernel();
  rec.Ran(c);
  const std::vector<float> out = Call(k, c);
  rec.JudgeStructure("", c, out);
  if (k.blocked == nullptr || CallerError(c)) return;
  const AttentionResult stand_in = StandIn(c, out);
  const std::vector<double> a = AttentionAllowance(c.View(), stand_in, rec.rule());
  const std::pair<size_t, size_t> sizes[] = {
      {1, 1}, {3, 7}, {5, 1}, {1, 17}, {c.n_q + 5, c.n_kv + 9}, {0, 0}, {bq, bkv}};
  for (auto [q_block, kv_block] : sizes) {
    const std::vector<float> y = CallBlocked(k, c, q_block, kv_block);
    const std::string label = fmt::format("blocks {} x {}", q_block, kv_block);
    // Where the plain entry's output passed the structural judgment, the
    // same bits there (NaN, infinities, +0 rows, elements the rule does not
    // judge) pass it too; only a difference is judged again.
    bool same = true;
    for (size_t e = 0; e < y.size() && same; ++e)
      if (a[e] < 0 || !std::isfinite(out[e]) || !std::isfinite(y[e]))
        same = SameBits(out[e], y[e]);
    if (!same) rec.JudgeStructure(label, c, y);
    ExpectClose(rec, Clause::kAccuracy, c, y, out, a, a,
                fmt::format("with blocks {} x {} (first value) against the "
                            "plain entry (second)",
                            q_block, kv_block));
  }
}

// out's old content does not matter; nothing outside the inputs' extents is
// read nor outside out written, whatever the alignment; inputs are not
// changed; a second call gives the same bits. Reads past an input are made
// visible by padding it with NaN (which would poison a row) and with +MAX
// (which would become the largest score or value); writes past out by a
// canary.
void Hygiene(Recorder& rec, const AttentionCase& c, size_t offset) {
  const AttentionKernel& k = rec.kernel();
  rec.Ran(c);
  std::vector<std::vector<float>> runs;
  std::vector<std::string> labels;
  for (float poison : {kNaN, 0.0f, kInf, -0.5f}) {
    runs.push_back(Call(k, c, poison));
    labels.push_back(fmt::format("out held {}", Show(poison)));
  }
  rec.JudgeStructure("", c, runs.front());
  constexpr size_t kPad = 64;  // wider than any vector times its unrolling
  constexpr float kCanary = -12345.5f;
  const size_t n_out = c.n_q * c.d_v;
  for (float canary : {kNaN, std::numeric_limits<float>::max()}) {
    auto padded = [&](const std::vector<float>& x) {
      std::vector<float> b(x.size() + 2 * kPad + offset, canary);
      std::copy(x.begin(), x.end(), b.begin() + static_cast<std::ptrdiff_t>(kPad + offset));
      return b;
    };
    std::vector<float> q = padded(c.q), kk = padded(c.k), v = padded(c.v),
                       mask = padded(c.mask);
    const std::vector<float> q0 = q, k0 = kk, v0 = v, mask0 = mask;
    std::vector<float> out(n_out + 2 * kPad + offset, kCanary);
    const size_t at = kPad + offset;
    k.f32(q.data() + at, kk.data() + at, v.data() + at,
          c.mask.empty() ? nullptr : mask.data() + at, c.causal, c.scale,
          out.data() + at, c.n_q, c.n_kv, c.d, c.d_v);
    for (size_t e = 0; e < out.size(); ++e) {
      if (e >= at && e < at + n_out) continue;
      if (SameBits(out[e], kCanary)) continue;
      rec.Add(Clause::kHygiene, 0, 0, "",
              fmt::format("wrote out[{}] = {} outside out[0, {}) (n_q = {}, "
                          "d_v = {}, buffers offset by {} floats)",
                          static_cast<long long>(e) - static_cast<long long>(at),
                          Show(out[e]), n_out, c.n_q, c.d_v, offset),
              &c);
      return;
    }
    const std::pair<const char*, std::pair<const std::vector<float>*, const std::vector<float>*>>
        inputs[] = {{"q", {&q, &q0}}, {"k", {&kk, &k0}}, {"v", {&v, &v0}},
                    {"mask", {&mask, &mask0}}};
    for (const auto& [name, pair] : inputs) {
      const std::vector<float>& now = *pair.first;
      const std::vector<float>& before = *pair.second;
      for (size_t e = 0; e < now.size(); ++e) {
        if (std::memcmp(&now[e], &before[e], 4) == 0) continue;
        rec.Add(Clause::kHygiene, 0, 0, "",
                fmt::format("changed its input: {}[{}] was {}, now {}", name,
                            static_cast<long long>(e) - static_cast<long long>(at),
                            Show(before[e]), Show(now[e])),
                &c);
        return;
      }
    }
    runs.emplace_back(out.begin() + static_cast<std::ptrdiff_t>(at),
                      out.begin() + static_cast<std::ptrdiff_t>(at + n_out));
    labels.push_back(fmt::format("inputs padded with {}, offset {}", Show(canary), offset));
  }
  runs.push_back(Call(k, c));
  labels.push_back("second call");
  for (size_t r = 1; r < runs.size(); ++r) {
    for (size_t e = 0; e < n_out; ++e) {
      if (SameBits(runs[0][e], runs[r][e])) continue;
      const size_t i = e / c.d_v, col = e % c.d_v;
      rec.Add(Clause::kHygiene, i, col, "",
              fmt::format("out[{}][{}] = {} ({}) but {} ({}): the same input "
                          "must give the same bits",
                          i, col, Show(runs[0][e]), labels[0], Show(runs[r][e]),
                          labels[r]),
              &c);
      return;
    }
  }
}

std::string Join(const std::vector<float>& x) {
  std::string s;
  for (size_t i = 0; i < x.size(); ++i) {
    if (i) s += ',';
    s += FormatHex(x[i]);
  }
  return s;
}

std::string FormatTensor(const char* name, const std::vector<float>& x,
                         size_t rows, size_t cols) {
  constexpr size_t kMaxValues = 1024;
  std::string s;
  for (size_t r = 0; r < rows; ++r) {
    if (r * cols >= kMaxValues) {
      s += fmt::format("  ... ({} x {} values in all)\n", rows, cols);
      break;
    }
    s += fmt::format("  {}[{}] =", name, r);
    for (size_t t = 0; t < cols; ++t) s.append(" ").append(FormatValue(x[r * cols + t]));
    s += "\n";
  }
  return s;
}

const char* CausalName(int causal) {
  switch (causal) {
    case kCausalNone: return "none";
    case kCausalTopLeft: return "top-left";
    case kCausalBottomRight: return "bottom-right";
    default: return "invalid";
  }
}

}  // namespace

const std::vector<AttentionPropertyInfo>& AllAttentionProperties() {
  static const std::vector<AttentionPropertyInfo> kAll = {
      {AttentionProperty::kAccuracy, "MatchesOracle", Clause::kAccuracy, true,
       "every output within the attention accuracy rule of the exact result"},
      {AttentionProperty::kConvexCombination, "IsConvexCombination",
       Clause::kPositivity, false,
       "each output within [min, max] of its V column over the keys left"},
      {AttentionProperty::kCausalPrefix, "CausalSeesOnlyThePrefix",
       Clause::kMasking, true,
       "causal out_i equals attention over the visible prefix alone"},
      {AttentionProperty::kCausalAlignment, "CausalAlignmentAsSpecified",
       Clause::kMasking, true,
       "top-left hides j > i, bottom-right j > i + n_kv - n_q; equal iff n_q = n_kv"},
      {AttentionProperty::kMaskDeletes, "MaskingDeletesTheKey", Clause::kMasking,
       true, "a -inf mask entry is the same as deleting that key"},
      {AttentionProperty::kFullyMasked, "FullyMaskedGivesZero",
       Clause::kFullyMasked, false,
       "a query with no key left gives a row of +0"},
      {AttentionProperty::kKvPermutation, "IsInvariantUnderKvPermutation",
       Clause::kPermutation, true,
       "permuting K and V rows (and mask columns) together changes nothing"},
      {AttentionProperty::kAgreement, "StreamingMatchesMaterialised",
       Clause::kAccuracy, false,
       "agrees with every reference kernel within both allowances"},
      {AttentionProperty::kBlockSize, "IndependentOfBlockSize", Clause::kAccuracy,
       false, "the block sizes change the result only within the rule"},
      {AttentionProperty::kOverflowSafe, "NeverOverflows", Clause::kOverflowSafe,
       false, "finite scores far beyond exp's range never give NaN or inf"},
      {AttentionProperty::kMaskedNan, "MaskedNanStaysOut", Clause::kMasking,
       false, "NaN or inf in a hidden key's k, v or mask never reaches out"},
      {AttentionProperty::kNonFinite, "NanPoisonsTheRow",
       Clause::kNanPropagation, false,
       "a NaN or +inf visible score gives a NaN row; NaN in visible v its column"},
      {AttentionProperty::kHygiene, "KeepsHygiene", Clause::kHygiene, false,
       "out's old content, guards, alignment and repeated calls change nothing"},
  };
  return kAll;
}

const AttentionPropertyInfo& Info(AttentionProperty p) {
  for (const AttentionPropertyInfo& info : AllAttentionProperties())
    if (info.property == p) return info;
  return AllAttentionProperties().front();
}

AttentionProperty AttentionPropertyFor(Clause c) {
  switch (c) {
    case Clause::kMasking: return AttentionProperty::kMaskDeletes;
    case Clause::kAccuracy: return AttentionProperty::kAccuracy;
    default: break;
  }
  for (const AttentionPropertyInfo& info : AllAttentionProperties())
    if (info.clause == c) return info.property;
  return AttentionProperty::kAccuracy;
}

bool AttentionPropertyApplies(const AttentionKernel& k, AttentionProperty p,
                              const std::vector<const AttentionKernel*>& references) {
  if (p == AttentionProperty::kBlockSize) return k.blocked != nullptr;
  if (p == AttentionProperty::kAgreement) {
    for (const AttentionKernel* r : references)
      if (r->name != k.name && r->claims.Promises(Clause::kAccuracy)) return true;
    return false;
  }
  return true;
}

AttentionCaseVerdict CheckAttention(const AttentionKernel& k,
                                    const AttentionPropertyCase& c,
                                    const AttentionCheckOptions& options) {
  Recorder rec(k, options);
  const AttentionCase& p = c.problem;
  switch (c.property) {
    case AttentionProperty::kAccuracy: Accuracy(rec, p); break;
    case AttentionProperty::kConvexCombination: ConvexCombination(rec, p); break;
    case AttentionProperty::kCausalPrefix: CausalPrefix(rec, p); break;
    case AttentionProperty::kCausalAlignment: CausalAlignment(rec, p); break;
    case AttentionProperty::kMaskDeletes: MaskDeletes(rec, p, c.permutation); break;
    case AttentionProperty::kFullyMasked: StructureOnly(rec, p); break;
    case AttentionProperty::kKvPermutation: KvPermutation(rec, p, c.permutation); break;
    case AttentionProperty::kAgreement: Agreement(rec, p, options); break;
    case AttentionProperty::kBlockSize: BlockSize(rec, p, c.block_q, c.block_kv); break;
    case AttentionProperty::kOverflowSafe: StructureOnly(rec, p); break;
    case AttentionProperty::kMaskedNan: StructureOnly(rec, p); break;
    case AttentionProperty::kNonFinite: StructureOnly(rec, p); break;
    case AttentionProperty::kHygiene: Hygiene(rec, p, c.offset); break;
  }
  return rec.Finish();
}

std::vector<AttentionFinding> Unexpected(const AttentionKernel& k,
                                         const std::vector<AttentionFinding>& findings) {
  std::vector<AttentionFinding> out;
  for (const AttentionFinding& f : findings)
    if (k.claims.Promises(f.clause)) out.push_back(f);
  return out;
}

std::string FormatAttentionCase(const AttentionCase& c) {
  std::string s = fmt::format(
      "n_q = {}, n_kv = {}, d = {}, d_v = {}, causal = {} ({}), scale = {}{}\n",
      c.n_q, c.n_kv, c.d, c.d_v, c.causal, CausalName(c.causal), Show(c.scale),
      c.mask.empty() ? ", no mask" : "");
  s += FormatTensor("q", c.q, c.n_q, c.d);
  s += FormatTensor("k", c.k, c.n_kv, c.d);
  s += FormatTensor("v", c.v, c.n_kv, c.d_v);
  if (!c.mask.empty()) s += FormatTensor("mask", c.mask, c.n_q, c.n_kv);
  return s;
}

std::string FormatAttentionPropertyCase(const AttentionPropertyCase& c) {
  std::string s = Info(c.property).name;
  if (c.property == AttentionProperty::kKvPermutation ||
      c.property == AttentionProperty::kMaskDeletes)
    s += fmt::format(", seed {}", c.permutation);
  if (c.property == AttentionProperty::kHygiene)
    s += fmt::format(", offset {}", c.offset);
  if (c.property == AttentionProperty::kBlockSize)
    s += fmt::format(", blocks {} x {}", c.block_q, c.block_kv);
  return s + ": " + FormatAttentionCase(c.problem);
}

std::string AttentionEvalCommand(const std::string& selector,
                                 const AttentionCase& c) {
  // A user kernel's selector (--lib ... --symbol ... --kind attention-f32)
  // names the kind already.
  const bool has_kind = selector.find("--kind") != std::string::npos;
  std::string s = fmt::format(
      "softcheck eval {}{} --shape {}x{}x{}x{} --causal {} --scale {}", selector,
      has_kind ? "" : " --kind attention-f32", c.n_q, c.n_kv, c.d, c.d_v, c.causal,
      FormatHex(c.scale));
  // An empty tensor (n_q = 0, d = 0, ...) is left out: no values.
  const std::pair<const char*, const std::vector<float>*> tensors[] = {
      {"q", &c.q}, {"k", &c.k}, {"v", &c.v}, {"mask", &c.mask}};
  for (const auto& [name, x] : tensors)
    if (!x->empty()) s += fmt::format(" --{} {}", name, Join(*x));
  return s;
}

std::string AttentionEvalCommand(const AttentionKernel& k, const AttentionCase& c) {
  return AttentionEvalCommand(k.cli_selector.empty() ? "--impl " + k.name : k.cli_selector, c);
}

}  // namespace softcheck::properties
