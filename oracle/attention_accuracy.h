// The attention accuracy rule and verdict: how close a kernel's output must
// come to the oracle's (oracle/attention_oracle.h), and which clause of the
// contract (impl/attention.h) an output breaks. Plain types only.
//
// The rule is a per-element bound from the first-order error analysis of
// max-shifted (materialised or streaming) attention in float, as
// oracle/accuracy.h is for softmax; docs/attention.md derives it. For output
// (i, c) of a row whose exact result is finite, over the keys j left in the
// row (not hidden, score not -inf), with p_j the exact weights:
//
//   |out_ic - out*_ic| <= slack * (min(W_c, R_c) + u sum_j p_j |v_jc| C_j)
//                         + floor_c
//
//   W_c = sum_j T_j |v_jc|          the scores' rounding, propagated exactly
//   T_j = max(p_j (e^{d_j} / W- - 1), p_j (1 - e^{-d_j} / W+)),
//         W-+ = sum_k p_k e^{-+d_k}  (the largest change of p_j when every
//                                     score k moves by at most d_k)
//   d_j = u ((dim + 2) |scale| A_j + 2 |mask_j|)
//         + 2^-149 (|q_i|_1 + |k_j|_1 + dim (1 + |scale|))
//         A_j = sum_t |q_it k_jt|: a dim-term dot product in float, the
//         scale and the mask each rounded once, subnormal products lost
//   R_c = max_j v_jc - min_j v_jc   exact and perturbed outputs are both
//                                   convex combinations of the v_jc
//   C_j = 4E + 6 + |z_j| + S + (2E + 4) n
//         exp error (E ulp, the kernel's claim) in the weight, the
//         normaliser and each rescale; rounding of z_j = s_j - max
//         (|z_j|, and S = sum_k p_k |z_k| through the normaliser); the
//         sequential normaliser, weighted sum and up to n rescales of a
//         streaming kernel (n keys left); products and the final division
//   floor_c = FLT_MIN sum_j |v_jc| + (n + 1) 2^-149
//         weights below FLT_MIN may be flushed, products may underflow
//   u = 2^-24, slack = 2.
//
// The domain: a row is judged for accuracy and overflow only while its
// scores cannot overflow a float however they are computed: for every key
// left, max(1, |scale|) (A_j + |q_i|_1 + |k_j|_1) + |mask_j| <= 2^120, and
// sum_j |v_jc| <= 2^120 for every column (finite entries). Outside it a
// float score may round to +-inf where the exact one is finite, so only the
// row kinds are judged: a poisoned row is all NaN, an empty row +0.
#ifndef SOFTCHECK_ORACLE_ATTENTION_ACCURACY_H_
#define SOFTCHECK_ORACLE_ATTENTION_ACCURACY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "oracle/attention_oracle.h"

namespace softcheck {

struct AttentionRule {
  double slack = 2.0;    // second-order terms, FMA and ordering freedom
  double exp_ulp = 1.0;  // E: the kernel's declared exp error (claims)
  // The policies a user may choose for their kernel (softmax's, row by row):
  // what a row with no key left must give (+0, all NaN, anything) and what
  // a poisoned row or a non-finite V column must give (NaN, anything).
  FullyMaskedRule fully_masked = FullyMaskedRule::kZero;
  NonFiniteRule non_finite = NonFiniteRule::kNan;
};

// The rule a kernel's claims ask for.
AttentionRule AttentionRuleFor(const AttentionClaims& claims);

// Per-element allowances (absolute), n_q x d_v. -1 where accuracy is not
// judged: poisoned or empty rows (their clauses want exact NaN / +0), a
// non-finite exact value, a row outside the domain.
std::vector<double> AttentionAllowance(const AttentionProblem& p,
                                       const oracle::AttentionResult& exact,
                                       const AttentionRule& rule);

// True when row i lies inside the domain above (rows that are not kNormal:
// true, since nothing there can overflow).
bool AttentionRowInDomain(const AttentionProblem& p, size_t i);

// True when row i has a key left and no exp of its scores, shifted or not,
// can overflow or leave a zero sum: max_j s_j in [-87, 88 - log n]. Outside
// it a kernel that declares it is not overflow-safe (naive) is held to
// nothing else on that row: its wrong outputs there (NaN, or x / inf = 0)
// are that declared failure, whatever clause the verdict names.
bool AttentionRowExpSafe(const AttentionProblem& p, size_t i);

struct AttentionFinding {
  Clause clause;
  size_t row, col;   // the worst (or first) offending element
  std::string what;  // one line: expected vs actual, hex floats included
};

struct AttentionVerdict {
  std::vector<AttentionFinding> findings;  // the first per clause (worst for
                                           // accuracy); empty: it holds
  size_t judged = 0;      // elements compared against an allowance
  size_t mismatches = 0;  // elements over their allowance
  size_t worst_row = 0, worst_col = 0;
  double worst_ratio = 0;  // error / allowance there; <= 1 passes
  double worst_allowed = 0;
  double max_ulp = 0;  // largest ULP error over the judged elements
  bool Holds() const { return findings.empty(); }
  bool Breaks(Clause c) const {
    for (const AttentionFinding& f : findings)
      if (f.clause == c) return true;
    return false;
  }
};

// Judges out = kernel(p) against the oracle's result for p. Which clause a
// bad element breaks follows from its row:
//   * a poisoned row (NaN or +inf score, caller error): all NaN
//                                                      (nan-propagation)
//   * an empty row (no key left):  all +0              (fully-masked)
//   * a NaN exact value: NaN; an infinite one: that infinity or NaN
//                                                      (nan-propagation)
//   * a finite exact value: a finite output            (masking when the row
//     has a non-finite entry in a hidden key's k, v or mask, or a deleted
//     key's v, that could have leaked and no exp on the row can overflow
//     or underflow to a zero sum; overflow-safe otherwise; inside the domain)
//     within the rule                                  (accuracy)
AttentionVerdict JudgeAttention(const AttentionProblem& p, const float* out,
                                const oracle::AttentionResult& exact,
                                const AttentionRule& rule);

}  // namespace softcheck

#endif  // SOFTCHECK_ORACLE_ATTENTION_ACCURACY_H_
