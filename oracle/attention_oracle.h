// The attention oracle: exact single-head attention (the contract of
// impl/attention.h made executable), correctly rounded to float.
//
// Plain types only; Boost.Multiprecision stays inside
// oracle/attention_oracle.cc.
//
// How exact:
//   * scores: each product q_it * k_jt of two floats is exact in double (48
//     significant bits), and the d products are summed exactly in a fixed-
//     point integer accumulator (no rounding at all, any d < 2^31); scale *
//     dot + mask is then formed at 257 bits (mpfr), two roundings of
//     relative size 2^-257;
//   * softmax: max subtracted at 257 bits, exp at 257 bits, the normaliser
//     summed at 257 bits;
//   * output: sum_j e_j v_jc at 257 bits, divided by the normaliser, then
//     rounded to nearest-even float (subnormals included, no double rounding)
//     and, for `exact`, to long double.
//   The result is the correctly rounded attention except where the exact
//   value lies within about 2^-250 (1 + max_j |s_j|) sum_j p_j |v_jc| of a
//   rounding midpoint (the table maker's dilemma, widened by huge scores,
//   whose 257-bit rounding moves the weights, and by cancellation in the
//   weighted sum).
// Semantics (impl/attention.h, docs/attention.md): caller errors give all
// NaN; hidden keys (causal, -inf mask) are deleted; a NaN or +inf score
// poisons its row; -inf scores are deleted; no key left gives +0; non-finite
// V entries give NaN or the infinity the extended reals give.
// Cost: see docs/attention.md (about n_q * n_kv * (2 us + d_v * 120 ns) on
// one core: an exp and d_v multiply-adds at 257 bits per score).
#ifndef SOFTCHECK_ORACLE_ATTENTION_ORACLE_H_
#define SOFTCHECK_ORACLE_ATTENTION_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "impl/attention.h"

namespace softcheck::oracle {

struct AttentionOptions {
  // Rows are independent; this many threads share them (0: one per hardware
  // thread). The result does not depend on it.
  unsigned threads = 1;
};

// What the contract makes of each query row.
enum class AttentionRow : uint8_t {
  kNormal,    // softmax over the keys left, times V
  kPoisoned,  // a NaN or +inf score, or a caller error: all NaN
  kEmpty,     // no key left (every key hidden or -inf): all +0
};

struct AttentionResult {
  std::vector<float> rounded;      // n_q x d_v, correctly rounded
  std::vector<long double> exact;  // n_q x d_v, the exact value to 64 bits
  std::vector<AttentionRow> rows;  // n_q
};

AttentionResult Attention(const AttentionProblem& p,
                          const AttentionOptions& options = {});

}  // namespace softcheck::oracle

#endif  // SOFTCHECK_ORACLE_ATTENTION_ORACLE_H_
