// Attention kernels written to test the attention properties, not to be
// used: they are not in the registry, so `softcheck list`, the C ABI and the
// registry's own tests never see them. (The gate's own wrong kernels, built
// as shared libraries and run isolated, live in tests/gate/kernels.)
//
// All are one scalar streaming kernel (4-query x 16-key blocks by default,
// with a blocked entry) that differs from a correct one in one place each:
//   fixture:streaming        correct: it must pass every property
//   wrong:no-max-shift       exp(s) with no running max        NeverOverflows
//   wrong:no-scale           scale ignored                     MatchesOracle
//   wrong:scale-squared      scale^2 (1/d where 1/sqrt(d))     MatchesOracle
//   wrong:causal-off-by-one  key j visible iff j < i (+ shift) CausalSeesOnlyThePrefix
//   wrong:always-top-left    bottom-right served as top-left   CausalAlignmentAsSpecified
//   wrong:mask-ignored       the additive mask never read      MaskingDeletesTheKey
//   wrong:forgot-acc-rescale l rescaled, the accumulator not   StreamingMatchesMaterialised
//   wrong:inf-minus-inf      no guard for exp(-inf - (-inf))   FullyMaskedGivesZero
//   wrong:hidden-times-zero  hidden keys as score -inf, weight
//                            0 times v_j (0 * NaN = NaN)       MaskedNanStaysOut
//   wrong:nan-swallowed      a NaN score skipped like -inf     NanPoisonsTheRow
//   wrong:sum-skips-last     the normaliser misses the last key IsConvexCombination
//   wrong:reads-out          out += acc / l (assumes out = 0)  KeepsHygiene
//   wrong:odd-blocks-drop-tail  key blocks of a size that is not
//                            a power of two drop the tail      IndependentOfBlockSize
// None reads or writes outside its buffers: they run in-process, under ASan.
#ifndef SOFTCHECK_PROPERTIES_ATTENTION_WRONG_KERNELS_H_
#define SOFTCHECK_PROPERTIES_ATTENTION_WRONG_KERNELS_H_

#include <vector>

#include "impl/attention.h"
#include "properties/attention_properties.h"

namespace softcheck::properties {

struct AttentionFixture {
  AttentionKernel kernel;         // family "fixture"; a correct kernel's claims
  bool correct;                   // every property must pass it (or one fail)
  AttentionProperty caught_by;    // for a wrong one: the property that must fail
};

const std::vector<AttentionFixture>& AttentionFixtures();

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_ATTENTION_WRONG_KERNELS_H_
