// RapidCheck generators for the attention property suite: problems built at
// the bit level from the shapes and values where attention kernels break,
// and shrinking that ends in a small counterexample.
//
// Shapes favour 0 and 1, the vector widths +-1 (4, 8, 16 lanes), the
// kernels' block edges, n_q != n_kv both ways (where the causal modes
// differ), d != d_v and small d. Scales: 1/sqrt(d) mostly, 1, powers of two,
// huge (scores far past exp's range) and tiny (subnormal products). Q and K
// entries come from value classes as in properties/row_generators.h --
// ordinary, small integers, any exponent, subnormals, +-0, extremes -- or are
// picked so that the scores land around exp's thresholds; V from ordinary
// values, integers (exact convex-combination checks), huge and tiny ones.
// Masks: none, finite additive, -inf patterns (random, whole rows fully
// masked, whole columns, padding, the first key block(s) of a row fully
// masked: the streaming -inf - (-inf) corner).
//
// Shrinking tries, in order: dropping queries and keys (halves, then one at
// a time), narrowing d and d_v, removing the mask or causality, the scale
// towards 1, no permutation, offset or blocks, and, on problems of at most
// 64 values per tensor, simplifying each value (towards 0, positive, fewer
// bits, as row_generators does: an overflow shrinks to the first score past
// log(FLT_MAX)).
#ifndef SOFTCHECK_PROPERTIES_ATTENTION_GENERATORS_H_
#define SOFTCHECK_PROPERTIES_ATTENTION_GENERATORS_H_

#include <rapidcheck.h>

#include <cstddef>
#include <ostream>

#include "properties/attention_properties.h"

namespace softcheck::properties {

// How large problems get.
struct AttentionBudget {
  size_t max_n = 64;         // n_q and n_kv at most this (ordinary cases)
  size_t max_d = 64;         // d and d_v
  size_t max_scores = 2048;  // n_q * n_kv cap for ordinary cases
  // Chance of a large case: n_q and n_kv up to big_n, n_q * n_kv up to
  // big_scores (past the kernels' default blocks: 16 x 64 scalar, 32 x 96 and
  // 48 x 128 Highway).
  double big_chance = 0.05;
  size_t big_n = 256;
  size_t big_scores = 16384;
};

rc::Gen<AttentionPropertyCase> AttentionCaseGen(AttentionProperty p,
                                                const AttentionBudget& budget);

// How RapidCheck prints a counterexample: every value as decimal and hex.
void showValue(const AttentionPropertyCase& c, std::ostream& os);

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_ATTENTION_GENERATORS_H_
