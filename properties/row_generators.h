// RapidCheck generators for the property suite: rows built at the bit level
// from the values and shapes where softmax breaks, and shrinking that ends in
// a small counterexample.
//
// RapidCheck's own gen::arbitrary<float> never yields NaN, infinities, -0,
// subnormals or magnitudes past about 9e18, so nothing here uses it. A row is
// one of these shapes (row_generators.cc says why each one):
//   * mixture: each element drawn from a value class -- logits, small
//     integers, normals with any exponent, subnormals, +-0, +-MAX, raw bit
//     patterns, and the thresholds where softmax breaks, a few ULP either
//     side: exp overflow (88.72 float, 709.78 double), subnormal exp (-87.34,
//     -708.40), exp flushing to zero (-103.28 and -103.97; -744.44, -745.13),
//     fp16's overflow (11.09) and underflows (-9.70, -16.64);
//   * uniform logits around 0 or a threshold, of tiny to enormous spread;
//   * clusters of near-equal tops above a threshold (oneDNN's 88 + {2, 1, 0})
//     with the rest far below;
//   * ties; sorted rows (every element a new running maximum); integer rows
//     (x + c exact for integer c); extremes; rows mostly or entirely -inf;
//   * NaN or +inf injected where the property asks for them.
// Lengths favour 0, 1, the vector widths +-1 (4, 8, 16 lanes, unrolled 4x:
// 3..5, 7..9, 15..17, 31..33, 63..65, 127..129) and short rows, with a few
// long ones (Budget).
//
// Shrinking tries, in order: removing chunks of the row (halves, quarters,
// ... down to single elements for short rows), simplifying the case's other
// fields (T towards 1, c towards 0, no permutation, no offset), and, on rows
// of at most 64 elements, simplifying each value: NaN and infinities towards
// 0, negatives towards positives, then smaller magnitudes by bisecting the
// bit pattern (so an overflow shrinks to the first float whose exp
// overflows, 0x1.62e43p+6).
#ifndef SOFTCHECK_PROPERTIES_ROW_GENERATORS_H_
#define SOFTCHECK_PROPERTIES_ROW_GENERATORS_H_

#include <rapidcheck.h>

#include <cstddef>
#include <ostream>

#include "properties/softmax_properties.h"

namespace softcheck::properties {

// How long rows get, and how often a row is long.
struct Budget {
  size_t max_length = 4096;    // the longest row
  size_t mid_length = 4096;    // ordinary rows stay at or below this
  double long_chance = 0.01;   // chance of a row of max_length (or +-1)
};

template <typename T>
rc::Gen<Case<T>> CaseGen(Property p, const Budget& budget);

// How RapidCheck prints a counterexample: every value as decimal and hex.
void showValue(const Case<float>& c, std::ostream& os);
void showValue(const Case<double>& c, std::ostream& os);

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_ROW_GENERATORS_H_
