#include "properties/softmax_properties.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "cli/numbers.h"
#include "oracle/accuracy.h"
#include "oracle/oracle.h"

namespace softcheck::properties {
namespace {

template <typename T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <typename T>
constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();

// One call on an exactly sized output poisoned with NaN: an element the
// kernel forgets to write shows, and ASan sees any access past either row.
template <typename T>
std::vector<T> Call(const SoftmaxKernel& k, const std::vector<T>& x, T t) {
  std::vector<T> y(x.size(), kNaN<T>);
  k.Run(x.data(), y.data(), x.size(), t);
  return y;
}

template <typename T>
std::vector<long double> Exact(const std::vector<T>& x, T t) {
  return oracle::Softmax(x.data(), x.size(), t).exact;
}

template <typename T>
std::vector<long double> Widen(const std::vector<T>& y) {
  return std::vector<long double>(y.begin(), y.end());
}

template <typename T>
bool NanRow(const std::vector<T>& x, T t) {
  if (!(t >= 0)) return true;
  for (T v : x)
    if (std::isnan(v) || v == kInf<T>) return true;
  return false;
}

template <typename T>
bool HasFinite(const std::vector<T>& x) {
  for (T v : x)
    if (std::isfinite(v)) return true;
  return false;
}

// The clauses about the values of a finite row: on a row outside exp's range
// these are what a kernel that is not overflow-safe cannot keep.
bool FiniteRowClause(Clause c) {
  switch (c) {
    case Clause::kAccuracy:
    case Clause::kTemperature:
    case Clause::kSumsToOne:
    case Clause::kPositivity:
    case Clause::kShiftInvariance:
    case Clause::kMonotonicity:
    case Clause::kPermutation:
      return true;
    default:
      return false;
  }
}

// Rows longer than this are not sent to the oracle for a message alone.
constexpr size_t kLongRow = 4096;

// Collects what one check finds over the rows it runs.
template <typename T>
class Recorder {
 public:
  explicit Recorder(const SoftmaxKernel& k) : k_(k), rule_(RuleFor(k.claims)) {}

  const AccuracyRule& rule() const { return rule_; }

  // A row the kernel ran: kept for the replay commands and for attributing
  // findings outside exp's range.
  void Row(const std::vector<T>& x, T t) {
    if (!InExpRange(x.data(), x.size(), t)) outside_range_ = true;
    verdict_.replay.push_back(EvalCommand(k_, x, t));
  }

  // JudgeRow against the oracle's exact values.
  void Judge(const char* label, const std::vector<T>& x, T t,
             const std::vector<T>& y, const std::vector<long double>& exact) {
    const RowVerdict v =
        JudgeRow(x.data(), x.size(), t, y.data(), exact, rule_);
    // A kernel that is not overflow-safe is not judged outside exp's range
    // (Finish), so its ratios there are not its accuracy either.
    const bool claimed = k_.claims.Promises(Clause::kOverflowSafe) ||
                         InExpRange(x.data(), x.size(), t);
    if (claimed && v.accuracy.judged > 0 &&
        v.accuracy.worst_ratio > verdict_.worst_ratio) {
      const size_t i = v.accuracy.worst_index;
      verdict_.worst_ratio = v.accuracy.worst_ratio;
      verdict_.worst_detail = fmt::format(
          "{}y[{}] = {}, exact {:.10Lg}: {:.3g} ULP, {:.3g}x the allowance "
          "{:.3g} (of which the floor is {:.3g})",
          label[0] ? fmt::format("on {}: ", label) : "", i, FormatValue(y[i]),
          exact[i], v.accuracy.worst_ulp, v.accuracy.worst_ratio,
          v.accuracy.worst_allowed,
          static_cast<double>(std::numeric_limits<T>::min()));
    }
    for (const Finding& f : v.findings) Add(f.clause, f.index, label, f.what);
  }

  // JudgeRow's clauses that need no exact value (NaN rows, masking, a fully
  // masked row, non-finite outputs), judged with the kernel's own output
  // standing in for the exact one; only when that finds something is the
  // oracle asked, so that the finding reads with the exact values. This keeps
  // the oracle (about 3 us per element) off long rows whose property does not
  // need accuracy.
  void JudgeStructure(const char* label, const std::vector<T>& x, T t,
                      const std::vector<T>& y) {
    const std::vector<long double> self = Widen(y);
    const RowVerdict v =
        JudgeRow(x.data(), x.size(), t, y.data(), self, rule_);
    if (v.Holds()) return;
    // A long row that breaks only clauses the kernel declares it breaks
    // (naive's NaNs) is not worth seconds of oracle time: the finding stands
    // as found, without the exact values.
    if (x.size() > kLongRow && Unexpected(k_, v.findings).empty()) {
      for (const Finding& f : v.findings)
        Add(f.clause, f.index, label,
            f.what + " [exact values not computed for a row this long]");
      return;
    }
    Judge(label, x, t, y, Exact(x, t));
  }

  void Add(Clause c, size_t index, const char* label, const std::string& what) {
    verdict_.findings.push_back(
        {c, index, label[0] ? fmt::format("on {}: {}", label, what) : what});
  }

  CaseVerdict Finish() {
    if (outside_range_ && !k_.claims.Promises(Clause::kOverflowSafe)) {
      for (Finding& f : verdict_.findings) {
        if (!FiniteRowClause(f.clause)) continue;
        f.what += fmt::format(
            " [{} outside exp's range, where {} declares it is not "
            "overflow-safe: counted as that]", ClauseName(f.clause), k_.name);
        f.clause = Clause::kOverflowSafe;
      }
    }
    return std::move(verdict_);
  }

 private:
  const SoftmaxKernel& k_;
  AccuracyRule rule_;
  bool outside_range_ = false;
  CaseVerdict verdict_;
};

template <typename T>
std::string Show(T v) {
  return FormatValue(v);
}

// The allowance of each element (oracle/accuracy.h), -1 where the rule does
// not judge (masked entries, NaN rows).
template <typename T>
std::vector<double> Allowance(const std::vector<T>& x, T t,
                              const std::vector<long double>& exact,
                              const AccuracyRule& rule) {
  return SoftmaxAllowance(x.data(), x.size(), t, exact, rule);
}

// |a_i - b_i| <= bound_i for two outputs of the same exact softmax; reports
// the element with the largest ratio. Elements with a negative bound are
// judged elsewhere (masking, NaN rows).
template <typename T>
void ExpectClose(Recorder<T>& rec, Clause clause, const std::vector<T>& a,
                 const std::vector<T>& b, const std::vector<size_t>& b_index,
                 const std::vector<double>& bound, const std::string& why) {
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (bound[i] < 0) continue;
    const T bi = b[b_index[i]];
    if (!std::isfinite(a[i]) || !std::isfinite(bi)) continue;  // overflow-safe
    const long double err =
        std::fabs(static_cast<long double>(a[i]) - static_cast<long double>(bi));
    const double ratio = bound[i] > 0 ? static_cast<double>(err / bound[i])
                                      : (err == 0 ? 0.0 : INFINITY);
    if (ratio > worst) {
      worst = ratio;
      at = i;
    }
  }
  if (worst > 1)
    rec.Add(clause, at, "",
            fmt::format("y[{}] = {} but {} (element {}): {}; they differ by "
                        "{:.3g}x the sum of both allowances {:.3g}",
                        at, Show(a[at]), Show(b[b_index[at]]), b_index[at], why,
                        worst, bound[at]));
}

std::vector<size_t> Identity(size_t n) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  return p;
}

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// p[j] = the index of x that lands at position j. Seed 0 is the identity.
std::vector<size_t> Shuffle(size_t n, uint64_t seed) {
  std::vector<size_t> p = Identity(n);
  if (seed == 0) return p;
  uint64_t s = seed;
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[SplitMix(s) % i]);
  return p;
}

// ---- the properties ---------------------------------------------------------

// The outputs of a row with a finite entry sum to 1. Summing the kernel's own
// ŷ_i in long double, |Σ ŷ_i - 1| <= Σ_i |ŷ_i - y*_i| <= Σ_i allowance_i:
// the accuracy rule summed, which is slack · u · (4E + 2 + 2s·S + (n - 1))
// (+ the T != 1 terms) to first order, evaluated with ŷ standing in for y* so
// that no oracle is needed (the difference is second order). Kernels that
// divide by the sum of the very e_i they output do far better, (n + 1) u, but
// one that recomputes exp in its write pass (online) carries both exps'
// errors, and the bound must hold for it too.
template <typename T>
void SumsToOne(Recorder<T>& rec, const SoftmaxKernel& k,
               const std::vector<T>& x, T t) {
  rec.Row(x, t);
  const std::vector<T> y = Call(k, x, t);
  rec.JudgeStructure("", x, t, y);
  if (NanRow(x, t) || !HasFinite(x)) return;
  long double sum = 0;
  for (T v : y) {
    if (!std::isfinite(v)) return;  // an overflow-safe finding already
    sum += v;
  }
  const std::vector<double> a = Allowance(x, t, Widen(y), rec.rule());
  long double bound = 0;
  for (double v : a)
    if (v > 0) bound += v;
  const long double off = std::fabs(sum - 1);
  if (off > bound)
    rec.Add(Clause::kSumsToOne, 0, "",
            fmt::format("the outputs sum to {:.21Lg}, off by {:.3Lg} = {:.3Lg} "
                        "u; the bound for n = {} is {:.3Lg} = {:.3Lg} u",
                        sum, off, off / (std::numeric_limits<T>::epsilon() / 2),
                        x.size(), bound,
                        bound / (std::numeric_limits<T>::epsilon() / 2)));
}

// Every output in [+0, 1]; an output whose exact value is at least 4·MIN is
// non-zero. A kernel may flush an e_i below the smallest normal (the rule's
// floor allows it), and y_i = e_i / sum <= e_i; with y*_i >= 4·MIN, e*_i >=
// 4·MIN·sum >= 4·MIN, which no exp within a few ULP (and the argument's
// rounding, < 1e-4 relative even at |z| = 745 in double) takes below MIN.
template <typename T>
void Positivity(Recorder<T>& rec, const SoftmaxKernel& k,
                const std::vector<T>& x, T t) {
  rec.Row(x, t);
  const std::vector<T> y = Call(k, x, t);
  const std::vector<long double> exact = Exact(x, t);
  rec.Judge("", x, t, y, exact);
  if (NanRow(x, t)) return;
  const long double comfortably = 4.0L * std::numeric_limits<T>::min();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    if (std::signbit(y[i]) || y[i] > 1) {
      rec.Add(Clause::kPositivity, i, "",
              fmt::format("y[{}] = {} lies outside [+0, 1]", i, Show(y[i])));
      return;
    }
    if (y[i] == 0 && exact[i] >= comfortably) {
      rec.Add(Clause::kPositivity, i, "",
              fmt::format("y[{}] = 0 but its exact value {:.10Lg} is far above "
                          "the underflow threshold", i, exact[i]));
      return;
    }
  }
}

// softmax(x + c) = softmax(x). Where every x_i + c is exact, max(x + c) =
// max(x) + c exactly and (x_i + c) - (max + c) is the same real number as
// x_i - max, so it rounds to the same float: a kernel that shifts by the
// maximum (every kernel that promises overflow-safe does; naive does not
// shift at all) computes identical exps, sums and quotients and must give
// the same bits. Without the shift, exp(x_i + c) is a different rounding of a
// different number, so the two calls need only agree within both
// allowances. Where x + c is inexact, the shifted row is a different input:
// it is judged against its own exact softmax.
template <typename T>
bool ExactSum(T a, T b, T* s) {
  *s = a + b;
  if (!std::isfinite(*s)) return false;
  const T bb = *s - a;
  const T err = (a - (*s - bb)) + (b - bb);  // Knuth's TwoSum: exact error
  return err == 0;
}

template <typename T>
void ShiftInvariance(Recorder<T>& rec, const SoftmaxKernel& k,
                     const std::vector<T>& x, T c, T t) {
  if (!std::isfinite(c)) return;
  std::vector<T> xc(x.size());
  bool exact_shift = true;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      xc[i] = x[i] + c;  // -inf, +inf and NaN stay what they are
      continue;
    }
    // A finite x_i + c that overflows is not a shift of the same row.
    if (!ExactSum(x[i], c, &xc[i])) {
      if (!std::isfinite(xc[i])) return;
      exact_shift = false;
    }
  }
  rec.Row(x, t);
  rec.Row(xc, t);
  const std::vector<T> y = Call(k, x, t);
  const std::vector<T> yc = Call(k, xc, t);
  const std::string c_text = Show(c);
  if (exact_shift && k.claims.Promises(Clause::kOverflowSafe)) {
    rec.JudgeStructure("x", x, t, y);
    rec.JudgeStructure("x + c", xc, t, yc);
    for (size_t i = 0; i < x.size(); ++i) {
      if (SameBits(y[i], yc[i])) continue;
      rec.Add(Clause::kShiftInvariance, i, "",
              fmt::format("y[{}] = {} on x but {} on x + c (c = {}): every "
                          "x_i + c is exact, so x_i - max is the same float "
                          "and a max-shifting kernel must give the same bits",
                          i, Show(y[i]), Show(yc[i]), c_text));
      return;
    }
    return;
  }
  const std::vector<long double> exact = Exact(x, t);
  rec.Judge("x", x, t, y, exact);
  if (!exact_shift) {
    rec.Judge("x + c", xc, t, yc, Exact(xc, t));
    return;
  }
  // Same exact softmax for both rows (the shift is exact).
  rec.Judge("x + c", xc, t, yc, exact);
  const std::vector<double> a = Allowance(x, t, exact, rec.rule());
  const std::vector<double> ac = Allowance(xc, t, exact, rec.rule());
  std::vector<double> bound(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    bound[i] = a[i] < 0 || ac[i] < 0 ? -1 : a[i] + ac[i];
  ExpectClose(rec, Clause::kShiftInvariance, y, yc, Identity(x.size()), bound,
              fmt::format("softmax(x + c) with c = {} (x + c exact) should "
                          "equal softmax(x)", c_text));
}

// -inf entries give exactly +0 (JudgeRow), and the other outputs are the
// softmax of the unmasked entries: the row with its -inf entries removed
// gives the same values, within both allowances (not bit for bit: a SIMD
// kernel's lanes and partial sums move when entries are inserted).
template <typename T>
void Masking(Recorder<T>& rec, const SoftmaxKernel& k, const std::vector<T>& x,
             T t) {
  rec.Row(x, t);
  const std::vector<T> y = Call(k, x, t);
  const std::vector<long double> exact = Exact(x, t);
  rec.Judge("x", x, t, y, exact);
  std::vector<T> kept;
  std::vector<size_t> at;
  std::vector<long double> kept_exact;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == -kInf<T>) continue;
    kept.push_back(x[i]);
    at.push_back(i);
    kept_exact.push_back(exact[i]);
  }
  if (kept.size() == x.size() || kept.empty() || NanRow(x, t)) return;
  rec.Row(kept, t);
  const std::vector<T> yk = Call(k, kept, t);
  rec.Judge("x without its -inf entries", kept, t, yk, kept_exact);
  const std::vector<double> a = Allowance(x, t, exact, rec.rule());
  const std::vector<double> ak = Allowance(kept, t, kept_exact, rec.rule());
  std::vector<T> y_at(kept.size());
  std::vector<double> bound(kept.size());
  for (size_t j = 0; j < kept.size(); ++j) {
    y_at[j] = y[at[j]];
    bound[j] = a[at[j]] < 0 || ak[j] < 0 ? -1 : a[at[j]] + ak[j];
  }
  ExpectClose(rec, Clause::kMasking, y_at, yk, Identity(kept.size()), bound,
              "inserting -inf entries must leave the other outputs the softmax "
              "of the unmasked entries (first value: with them, second: "
              "without; index in the row without them)");
}

// Any NaN or +inf gives an all-NaN row; finite input never gives NaN or inf.
// Both are JudgeRow's structural clauses: no oracle unless something breaks.
template <typename T>
void Structure(Recorder<T>& rec, const SoftmaxKernel& k,
               const std::vector<T>& x, T t) {
  rec.Row(x, t);
  rec.JudgeStructure("", x, t, Call(k, x, t));
}

// x_i <= x_j implies y_i <= y_j (equal inputs, equal outputs): exp, the
// subtraction of the same maximum, and the division by the same sum are each
// monotone, and so is their rounding. Checked along the order of x.
template <typename T>
void Monotonicity(Recorder<T>& rec, const SoftmaxKernel& k,
                  const std::vector<T>& x, T t) {
  rec.Row(x, t);
  const std::vector<T> y = Call(k, x, t);
  rec.JudgeStructure("", x, t, y);
  if (NanRow(x, t)) return;
  std::vector<size_t> order;
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(y[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return x[a] < x[b]; });
  for (size_t j = 1; j < order.size(); ++j) {
    const size_t a = order[j - 1], b = order[j];
    const bool tie = x[a] == x[b];
    if (tie ? y[a] == y[b] : y[a] <= y[b]) continue;
    rec.Add(Clause::kMonotonicity, b, "",
            fmt::format("x[{}] = {} {} x[{}] = {} but y[{}] = {} {} y[{}] = {}",
                        a, Show(x[a]), tie ? "==" : "<", b, Show(x[b]), a,
                        Show(y[a]), tie ? "!=" : ">", b, Show(y[b])));
    return;
  }
}

// Permuting x permutes y, within both allowances (a kernel's summation order
// follows positions, so the sums may round differently).
template <typename T>
void Permutation(Recorder<T>& rec, const SoftmaxKernel& k,
                 const std::vector<T>& x, uint64_t seed, T t) {
  const std::vector<size_t> p = Shuffle(x.size(), seed);
  std::vector<T> xp(x.size());
  std::vector<long double> exact = Exact(x, t), exact_p(x.size());
  for (size_t j = 0; j < x.size(); ++j) {
    xp[j] = x[p[j]];
    exact_p[j] = exact[p[j]];
  }
  rec.Row(x, t);
  rec.Row(xp, t);
  const std::vector<T> y = Call(k, x, t);
  const std::vector<T> yp = Call(k, xp, t);
  rec.Judge("x", x, t, y, exact);
  rec.Judge("the permuted x", xp, t, yp, exact_p);
  const std::vector<double> a = Allowance(xp, t, exact_p, rec.rule());
  std::vector<double> bound(a.size());
  for (size_t j = 0; j < a.size(); ++j) bound[j] = a[j] < 0 ? -1 : 2 * a[j];
  ExpectClose(rec, Clause::kPermutation, yp, y, p, bound,
              fmt::format("the permuted row (seed {}) must give the permuted "
                          "output; first value: permuted, second: original",
                          seed));
}

// softmax(x, T) = softmax(x / T, 1) where every x_i / T is exact; small T
// reaches the argmax limit (T = 0) and large T the uniform one (T = inf).
// Each pair is compared within both allowances plus the exact values'
// difference (for the limits, below the floor by construction).
template <typename T>
void CompareRuns(Recorder<T>& rec, const SoftmaxKernel& k,
                 const std::vector<T>& x, T t1, T t2, const std::string& why) {
  rec.Row(x, t1);
  rec.Row(x, t2);
  const std::vector<T> y1 = Call(k, x, t1), y2 = Call(k, x, t2);
  const std::vector<long double> e1 = Exact(x, t1), e2 = Exact(x, t2);
  rec.Judge(fmt::format("x at T = {}", Show(t1)).c_str(), x, t1, y1, e1);
  rec.Judge(fmt::format("x at T = {}", Show(t2)).c_str(), x, t2, y2, e2);
  const std::vector<double> a1 = Allowance(x, t1, e1, rec.rule());
  const std::vector<double> a2 = Allowance(x, t2, e2, rec.rule());
  std::vector<double> bound(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    bound[i] = a1[i] < 0 || a2[i] < 0
                   ? -1
                   : a1[i] + a2[i] + static_cast<double>(std::fabs(e1[i] - e2[i]));
  ExpectClose(rec, Clause::kTemperature, y1, y2, Identity(x.size()), bound, why);
}

template <typename T>
void Temperature(Recorder<T>& rec, const SoftmaxKernel& k,
                 const std::vector<T>& x, T t) {
  rec.Row(x, t);
  const std::vector<T> y = Call(k, x, t);
  const std::vector<long double> exact = Exact(x, t);
  rec.Judge("", x, t, y, exact);
  if (!(t > 0) || !std::isfinite(t) || NanRow(x, t) || !HasFinite(x)) return;
  // x / T exact: q * T == x with no rounding (the fma's residual is exact).
  std::vector<T> q(x.size());
  bool exact_division = true;
  for (size_t i = 0; i < x.size(); ++i) {
    q[i] = x[i] / t;
    if (std::isfinite(x[i]) && !(std::isfinite(q[i]) && std::fma(q[i], t, -x[i]) == 0))
      exact_division = false;
  }
  if (exact_division) {
    rec.Row(q, T(1));
    const std::vector<T> yq = Call(k, q, T(1));
    rec.Judge("x / T at T = 1", q, T(1), yq, exact);
    const std::vector<double> a = Allowance(x, t, exact, rec.rule());
    const std::vector<double> aq = Allowance(q, T(1), exact, rec.rule());
    std::vector<double> bound(a.size());
    for (size_t i = 0; i < a.size(); ++i)
      bound[i] = a[i] < 0 || aq[i] < 0 ? -1 : a[i] + aq[i];
    ExpectClose(rec, Clause::kTemperature, y, yq, Identity(x.size()), bound,
                fmt::format("softmax(x, T = {}) must equal softmax(x / T, 1) "
                            "(x / T exact; first value: at T, second: x / T)",
                            Show(t)));
  }
  // The limits. Below the largest finite entry m, the next one is `gap`
  // lower: at T = gap / 2048 every other exact output is below exp(-2048),
  // under any type's smallest subnormal, so the row is the argmax's.
  long double m = -INFINITY, lo = INFINITY, second = -INFINITY;
  for (T v : x)
    if (std::isfinite(v)) {
      m = std::max<long double>(m, v);
      lo = std::min<long double>(lo, v);
    }
  for (T v : x)
    if (std::isfinite(v) && v < m) second = std::max<long double>(second, v);
  const long double gap = second == -INFINITY ? 1 : m - second;
  const T small = static_cast<T>(gap / 2048);
  if (std::isnormal(small))
    CompareRuns(rec, k, x, small, T(0),
                fmt::format("T = {} is small enough that the exact row is the "
                            "argmax one-hot (T = 0); first value: small T", Show(small)));
  // At T = 2^64 · spread every (x_i - max) / T is within 2^-64 of 0: the
  // exact row is uniform over the unmasked entries to below either type's u.
  const long double big = std::max<long double>(m - lo, 1) * 0x1p64L;
  if (big < std::numeric_limits<T>::max())
    CompareRuns(rec, k, x, static_cast<T>(big), kInf<T>,
                fmt::format("T = {} is large enough that the exact row is "
                            "uniform (T = inf); first value: large T",
                            Show(static_cast<T>(big))));
}

template <typename T>
void Accuracy(Recorder<T>& rec, const SoftmaxKernel& k, const std::vector<T>& x,
              T t) {
  rec.Row(x, t);
  rec.Judge("", x, t, Call(k, x, t), Exact(x, t));
}

// Two kernels that each keep the rule are within the sum of their two
// allowances of each other. With the reference's output standing in for the
// exact weights, this needs no oracle, so it runs on rows too long for it.
template <typename T>
void Agreement(Recorder<T>& rec, const SoftmaxKernel& k,
               const std::vector<T>& x, T t, const CheckOptions& options) {
  rec.Row(x, t);
  const std::vector<T> y = Call(k, x, t);
  rec.JudgeStructure("", x, t, y);
  if (NanRow(x, t) || !HasFinite(x)) return;
  for (const SoftmaxKernel* r : options.references) {
    if (r->name == k.name || !r->claims.Promises(Clause::kAccuracy)) continue;
    if (!r->claims.Promises(Clause::kOverflowSafe) &&
        !InExpRange(x.data(), x.size(), t))
      continue;  // the reference does not claim this row
    const std::vector<T> yr = Call(*r, x, t);
    bool usable = true;
    for (size_t i = 0; i < x.size(); ++i)
      usable &= !std::isfinite(x[i]) || std::isfinite(yr[i]);
    if (!usable) continue;  // the reference's own checks report it
    const std::vector<long double> weights = Widen(yr);
    const std::vector<double> a = Allowance(x, t, weights, rec.rule());
    const std::vector<double> ar = Allowance(x, t, weights, RuleFor(r->claims));
    std::vector<double> bound(a.size());
    for (size_t i = 0; i < a.size(); ++i)
      bound[i] = a[i] < 0 || ar[i] < 0 ? -1 : a[i] + ar[i];
    ExpectClose(rec, Clause::kAccuracy, y, yr, Identity(x.size()), bound,
                fmt::format("{} disagrees with {} (second value)", k.name,
                            r->name));
  }
}

// The output does not depend on what y held, in place equals out of place,
// nothing outside x[0, n) is read nor outside y[0, n) written, and a second
// call gives the same bits. Reads past the row are made visible two ways:
// the reference call uses exactly sized buffers (ASan), and the guarded
// calls pad x with +MAX (it would become the maximum) and with NaN (it would
// poison the row), either of which changes the answer if read.
template <typename T>
void Hygiene(Recorder<T>& rec, const SoftmaxKernel& k, const std::vector<T>& x,
             T t, size_t offset) {
  rec.Row(x, t);
  const size_t n = x.size();
  std::vector<std::vector<T>> runs;
  std::vector<std::string> labels;
  for (T poison : {kNaN<T>, T(0), kInf<T>, T(-0.5)}) {
    std::vector<T> y(n, poison);
    k.Run(x.data(), y.data(), n, t);
    runs.push_back(y);
    labels.push_back(fmt::format("(y held {})", Show(poison)));
  }
  rec.JudgeStructure("", x, t, runs.front());
  std::vector<T> in_place = x;
  k.Run(in_place.data(), in_place.data(), n, t);
  runs.push_back(in_place);
  labels.push_back("(in place)");
  constexpr size_t kPad = 64;  // wider than any vector times its unrolling
  const T y_canary = T(-12345.5);
  for (T x_canary : {std::numeric_limits<T>::max(), kNaN<T>}) {
    const size_t begin = kPad + offset, total = n + 2 * kPad + offset;
    std::vector<T> xb(total, x_canary), yb(total, y_canary);
    std::copy(x.begin(), x.end(), xb.begin() + static_cast<std::ptrdiff_t>(begin));
    const std::vector<T> x_before = xb;
    k.Run(xb.data() + begin, yb.data() + begin, n, t);
    for (size_t i = 0; i < total; ++i) {
      if (i >= begin && i < begin + n) continue;
      if (SameBits(yb[i], y_canary)) continue;
      const long long rel = static_cast<long long>(i) - static_cast<long long>(begin);
      rec.Add(Clause::kHygiene, i, "",
              fmt::format("wrote y[{}] = {} outside the row of n = {}", rel,
                          Show(yb[i]), n));
      return;
    }
    for (size_t i = 0; i < total; ++i) {
      if (std::memcmp(&xb[i], &x_before[i], sizeof(T)) == 0) continue;
      rec.Add(Clause::kHygiene, i, "",
              fmt::format("changed its input: x[{}] was {}, now {}",
                          static_cast<long long>(i) - static_cast<long long>(begin),
                          Show(x_before[i]), Show(xb[i])));
      return;
    }
    runs.emplace_back(yb.begin() + static_cast<std::ptrdiff_t>(begin),
                      yb.begin() + static_cast<std::ptrdiff_t>(begin + n));
    labels.push_back(fmt::format("(x padded with {}, offset {})",
                                 Show(x_canary), offset));
  }
  runs.push_back(Call(k, x, t));
  labels.push_back("(second call)");
  for (const Finding& f : JudgeRepeatability(runs, labels))
    rec.Add(f.clause, f.index, "", f.what);
}

}  // namespace

const std::vector<PropertyInfo>& AllProperties() {
  static const std::vector<PropertyInfo> kAll = {
      {Property::kSumsToOne, "SumsToOne", Clause::kSumsToOne, false,
       "the outputs sum to 1 within the accuracy rule's bound"},
      {Property::kPositivity, "OutputsLieInZeroOne", Clause::kPositivity, true,
       "every output in [+0, 1], non-zero where the exact value is well above underflow"},
      {Property::kShiftInvariance, "IsShiftInvariant", Clause::kShiftInvariance, true,
       "softmax(x + c) = softmax(x), bit for bit where x + c is exact"},
      {Property::kMasking, "MasksNegativeInfinity", Clause::kMasking, true,
       "-inf gives +0 and inserting -inf leaves the rest unchanged"},
      {Property::kNonFinite, "NanOrInfinityPoisonsTheRow", Clause::kNanPropagation, false,
       "any NaN or +inf makes every output NaN"},
      {Property::kOverflowSafe, "NeverOverflows", Clause::kOverflowSafe, false,
       "finite input of any magnitude never gives NaN or inf"},
      {Property::kMonotonicity, "IsMonotone", Clause::kMonotonicity, false,
       "x_i <= x_j implies y_i <= y_j"},
      {Property::kPermutation, "IsPermutationEquivariant", Clause::kPermutation, true,
       "permuting x permutes y"},
      {Property::kTemperature, "ScalesWithTemperature", Clause::kTemperature, true,
       "softmax(x, T) = softmax(x / T); T -> 0 argmax, T -> inf uniform"},
      {Property::kAccuracy, "MatchesOracle", Clause::kAccuracy, true,
       "every output within the accuracy rule of the exact softmax"},
      {Property::kAgreement, "AgreesAcrossImplementations", Clause::kAccuracy, false,
       "two implementations agree within both allowances"},
      {Property::kHygiene, "KeepsHygiene", Clause::kHygiene, false,
       "y's old content, in place, guards and repeated calls change nothing"},
  };
  return kAll;
}

const PropertyInfo& Info(Property p) {
  for (const PropertyInfo& info : AllProperties())
    if (info.property == p) return info;
  return AllProperties().front();
}

Property PropertyFor(Clause c) {
  switch (c) {
    case Clause::kFullyMasked: return Property::kMasking;
    case Clause::kTemperature: return Property::kTemperature;
    default: break;
  }
  for (const PropertyInfo& info : AllProperties())
    if (info.clause == c) return info.property;
  return Property::kAccuracy;
}

template <typename T>
CaseVerdict Check(const SoftmaxKernel& k, const Case<T>& c,
                  const CheckOptions& options) {
  Recorder<T> rec(k);
  const T t = c.temperature;
  switch (c.property) {
    case Property::kSumsToOne: SumsToOne(rec, k, c.x, t); break;
    case Property::kPositivity: Positivity(rec, k, c.x, t); break;
    case Property::kShiftInvariance: ShiftInvariance(rec, k, c.x, c.shift, t); break;
    case Property::kMasking: Masking(rec, k, c.x, t); break;
    case Property::kNonFinite: Structure(rec, k, c.x, t); break;
    case Property::kOverflowSafe: Structure(rec, k, c.x, t); break;
    case Property::kMonotonicity: Monotonicity(rec, k, c.x, t); break;
    case Property::kPermutation: Permutation(rec, k, c.x, c.permutation, t); break;
    case Property::kTemperature: Temperature(rec, k, c.x, t); break;
    case Property::kAccuracy: Accuracy(rec, k, c.x, t); break;
    case Property::kAgreement: Agreement(rec, k, c.x, t, options); break;
    case Property::kHygiene: Hygiene(rec, k, c.x, t, c.offset); break;
  }
  return rec.Finish();
}

std::vector<Finding> Unexpected(const SoftmaxKernel& k,
                                const std::vector<Finding>& findings) {
  std::vector<Finding> out;
  for (const Finding& f : findings)
    if (k.claims.Promises(f.clause)) out.push_back(f);
  return out;
}

template <typename T>
bool InExpRange(const T* x, size_t n, T temperature) {
  if (!(temperature > 0) || std::isinf(temperature)) return true;
  const long double lo = std::log(static_cast<long double>(std::numeric_limits<T>::min()));
  const long double hi = std::log(static_cast<long double>(std::numeric_limits<T>::max()));
  long double top = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || x[i] == kInf<T>) return true;
    if (x[i] == -kInf<T>) continue;
    const long double v = static_cast<long double>(x[i]) / temperature;
    if (v < lo) return false;  // exp(v) is subnormal or 0
    top = std::max(top, v);
  }
  if (top == -INFINITY) return true;
  long double sum = 0;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(x[i]))
      sum += std::exp(static_cast<long double>(x[i]) / temperature - top);
  // The sum's own rounding, (n - 1) u at worst, must not carry it past MAX.
  const long double u = std::numeric_limits<T>::epsilon() / 2;
  return top + std::log(sum) + std::log1p(2 * (n + 1) * u) <= hi;
}

template <typename T>
std::string FormatRow(const std::vector<T>& x, size_t max_values) {
  std::string s;
  for (size_t i = 0; i < x.size() && i < max_values; ++i)
    s += fmt::format("  x[{}] = {}\n", i, FormatValue(x[i]));
  if (x.size() > max_values)
    s += fmt::format("  ... ({} values in all)\n", x.size());
  return s;
}

template <typename T>
std::string FormatCase(const Case<T>& c) {
  std::string s = fmt::format("{} {}, n = {}, T = {}", Info(c.property).name,
                              LaneTypeName<T>(), c.x.size(), FormatValue(c.temperature));
  if (c.property == Property::kShiftInvariance)
    s += fmt::format(", c = {}", FormatValue(c.shift));
  if (c.property == Property::kPermutation)
    s += fmt::format(", permutation seed {}", c.permutation);
  if (c.property == Property::kHygiene) s += fmt::format(", offset {}", c.offset);
  return s + "\n" + FormatRow(c.x);
}

template <typename T>
std::string EvalCommand(const SoftmaxKernel& k, const std::vector<T>& x,
                        T temperature) {
  std::string s = fmt::format(
      "softcheck eval {} --type {}",
      k.cli_selector.empty() ? "--impl " + k.name : k.cli_selector, LaneTypeName<T>());
  if (temperature != 1) s += " --temperature " + FormatHex(temperature);
  if (x.size() > 64) return s + fmt::format(" -- <{} values>", x.size());
  s += " --";
  for (T v : x) s.append(" ").append(FormatHex(v));
  return s;
}

#define SOFTCHECK_INSTANTIATE(T)                                              \
  template CaseVerdict Check<T>(const SoftmaxKernel&, const Case<T>&,         \
                                const CheckOptions&);                         \
  template bool InExpRange<T>(const T*, size_t, T);                           \
  template std::string FormatRow<T>(const std::vector<T>&, size_t);           \
  template std::string FormatCase<T>(const Case<T>&);                         \
  template std::string EvalCommand<T>(const SoftmaxKernel&,                   \
                                      const std::vector<T>&, T);
SOFTCHECK_INSTANTIATE(float)
SOFTCHECK_INSTANTIATE(double)
#undef SOFTCHECK_INSTANTIATE

}  // namespace softcheck::properties
