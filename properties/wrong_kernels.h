// Kernels written to test the accuracy rule (oracle/accuracy.h) and the
// properties, not to be used: they are not in the registry, so `softcheck
// list`, the C ABI and the registry's own tests never see them.
//
// The rule must pass every correct ordinary kernel and fail every one that
// is systematically worse (docs/accuracy.md). Both groups are written here
// as max-shift kernels that differ from impl/softmax_maxshift.cc in one
// place each:
//   correct: a sequential sum (maxshift itself), a pairwise sum, and an exp
//            that errs by up to 3 ULP on top of libm's (declared: exp_ulp 4);
//   wrong:   a running sum kept in bfloat16 (8 bits: errs by about n 2^-9),
//            an exp with about 1e-4 relative error (a 24-entry table of
//            2^(j/24) times 1 + r, declaring exp_ulp 1), a normaliser one
//            element off (the maximum's exp(0) = 1 counted twice), and -inf
//            replaced by -1e4 before anything else (an additive mask written
//            with a "large negative" instead of -inf).
// The last one computes finite rows exactly as maxshift does, so the rule
// cannot see it: the masking clause does (a fully masked row, or one whose
// finite entries lie below -1e4).
#ifndef SOFTCHECK_PROPERTIES_WRONG_KERNELS_H_
#define SOFTCHECK_PROPERTIES_WRONG_KERNELS_H_

#include <vector>

#include "impl/softmax.h"
#include "properties/softmax_properties.h"

namespace softcheck::properties {

struct Fixture {
  SoftmaxKernel kernel;  // family "fixture"; claims as a correct kernel's
  bool correct;          // the rule must pass it (or fail it)
  Property caught_by;    // for a wrong one: the property that must fail
};

const std::vector<Fixture>& Fixtures();

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_WRONG_KERNELS_H_
