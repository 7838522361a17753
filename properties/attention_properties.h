// The attention property checks: plain functions that take an attention
// kernel descriptor (impl/attention.h) and one generated case, run the kernel
// (several times where the property relates calls), and return what they
// found. No RapidCheck here: the generators and the driver
// (properties/attention_generators.h, properties/attention_driver.h) feed
// these functions, and so does `softcheck check --kind attention-f32`, with
// any AttentionKernel -- one wrapping a user's function pointer included
// (blocked null, default claims).
//
// Data flow, as for softmax: generate -> run -> oracle -> verdict. Every
// output a check produces is judged by the one verdict step, JudgeAttention
// (oracle/attention_accuracy.h). A relation between two calls (the problem
// and a derived one: the causal prefix, the key deleted, K/V permuted) is
// judged the same way: the derived problem has, by the contract, the same
// exact result as the original, so its output is judged against the
// original's exact values under its own allowance; two outputs that each
// keep the rule are then within the sum of both allowances of each other.
// A finding on a derived problem is tagged with the property's clause.
//
// Properties that need no accuracy (NeverOverflows, MaskedNanStaysOut,
// NanPoisonsTheRow, KeepsHygiene, FullyMaskedGivesZero, the agreement ones)
// judge structure without the oracle -- which rows must be all NaN or all +0
// and which outputs must be finite follows from the inputs in long double --
// and ask the oracle only when that finds something, so that the finding
// reads with the exact values (problems too large for it keep the finding
// without them).
//
// The properties (docs/attention.md, "Properties", says what each catches):
//   MatchesOracle                 every output within the attention rule
//   IsConvexCombination           out_ic within [min, max] of v_jc over the
//                                 keys left
//   CausalSeesOnlyThePrefix       causal out_i = attention over keys
//                                 [0, CausalEnd) built without causality
//   CausalAlignmentAsSpecified    top-left and bottom-right agree when
//                                 n_q = n_kv, and each equals the explicit
//                                 -inf mask of its definition otherwise
//   MaskingDeletesTheKey          a -inf mask entry = deleting that key
//   FullyMaskedGivesZero          no key left gives rows of +0
//   IsInvariantUnderKvPermutation permuting K, V rows (mask columns) together
//   StreamingMatchesMaterialised  agrees with every reference kernel within
//                                 both allowances
//   IndependentOfBlockSize        (kernels with `blocked`) block sizes 1,
//                                 non-divisors, larger than the problem
//   NeverOverflows                scores far beyond exp's range stay finite
//   MaskedNanStaysOut             NaN/inf in hidden k, v, mask never leaks
//   NanPoisonsTheRow              NaN/+inf score: row all NaN; NaN in a
//                                 visible v_jc: column c NaN
//   KeepsHygiene                  poisoned out, guard canaries around every
//                                 buffer, misaligned buffers, same bits again
//
// Which findings count is the kernel's claims' business (Unexpected below).
// As for softmax, a kernel that declares it breaks overflow-safe (naive) is
// held to nothing on a row outside exp's range -- an exp(s_ij) of a key left
// overflows or is subnormal, or their sum overflows (stricter than
// AttentionRowExpSafe, which asks only whether a NaN can arise) -- so its
// findings there on the finite-row clauses are attributed to overflow-safe.
#ifndef SOFTCHECK_PROPERTIES_ATTENTION_PROPERTIES_H_
#define SOFTCHECK_PROPERTIES_ATTENTION_PROPERTIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "oracle/attention_accuracy.h"

namespace softcheck::properties {

enum class AttentionProperty {
  kAccuracy,
  kConvexCombination,
  kCausalPrefix,
  kCausalAlignment,
  kMaskDeletes,
  kFullyMasked,
  kKvPermutation,
  kAgreement,
  kBlockSize,
  kOverflowSafe,
  kMaskedNan,
  kNonFinite,
  kHygiene,
};

struct AttentionPropertyInfo {
  AttentionProperty property;
  const char* name;   // "MatchesOracle": reads as the claim
  Clause clause;      // the clause a failure of the property breaks
  bool uses_oracle;   // every case calls the oracle (problems kept smaller)
  const char* claim;  // one line, for reports
};

const std::vector<AttentionPropertyInfo>& AllAttentionProperties();
const AttentionPropertyInfo& Info(AttentionProperty p);
// The property whose failures are the clause's (for checking a declared
// expected failure): overflow-safe -> NeverOverflows, masking ->
// MaskingDeletesTheKey, fully-masked -> FullyMaskedGivesZero,
// nan-propagation -> NanPoisonsTheRow, accuracy -> MatchesOracle, ...
AttentionProperty AttentionPropertyFor(Clause c);

// Whether the property says anything about this kernel: IndependentOfBlockSize
// needs `blocked`; StreamingMatchesMaterialised needs a reference other than
// the kernel itself (pass the references the run will use). A caller (the
// gate, the tests) runs only the properties that apply, rather than calling a
// skipped one passing.
bool AttentionPropertyApplies(const AttentionKernel& k, AttentionProperty p,
                              const std::vector<const AttentionKernel*>&
                                  references = {});

// One generated input: the problem and what the property needs beside it.
struct AttentionPropertyCase {
  AttentionProperty property = AttentionProperty::kAccuracy;
  AttentionCase problem;
  // IsInvariantUnderKvPermutation: seed of the shuffle of the keys (0: the
  // identity). MaskingDeletesTheKey: picks the query row whose -inf keys are
  // deleted in a one-query problem.
  uint64_t permutation = 0;
  // KeepsHygiene: misalignment of every buffer, in floats.
  size_t offset = 0;
  // IndependentOfBlockSize: one (block_q, block_kv) pair tried beside the
  // fixed list (1 x 1, non-divisors, larger than the problem, 0 = default).
  size_t block_q = 0, block_kv = 0;
};

struct AttentionCheckOptions {
  // StreamingMatchesMaterialised compares against each of these (entries with
  // the kernel's own name, and ones that do not promise accuracy, skipped).
  std::vector<const AttentionKernel*> references;
  // Problems with more scores (n_q * n_kv) than this are not sent to the
  // oracle only to word a structural finding (properties that use the oracle
  // always call it).
  size_t oracle_limit = 4096;
};

// What a property found on one case.
struct AttentionCaseVerdict {
  std::vector<AttentionFinding> findings;
  // The largest error / allowance among the oracle judgments made; 0 when
  // none was made.
  double worst_ratio = 0;
  std::string worst_detail;  // that element: value, exact value, allowance
  // The commands that replay each problem the property ran (softcheck eval),
  // filled only when there are findings.
  std::vector<std::string> replay;
};

AttentionCaseVerdict CheckAttention(const AttentionKernel& k,
                                    const AttentionPropertyCase& c,
                                    const AttentionCheckOptions& options = {});

// The findings on clauses the kernel promises (AttentionClaims::Promises).
std::vector<AttentionFinding> Unexpected(
    const AttentionKernel& k, const std::vector<AttentionFinding>& findings);

// Printing: a problem with every value as "decimal (hex float)", the shape,
// causal mode and scale first.
std::string FormatAttentionCase(const AttentionCase& c);
std::string FormatAttentionPropertyCase(const AttentionPropertyCase& c);

// The replay command
//   softcheck eval <selector> --kind attention-f32 --shape NQxNKVxDxDV
//     --causal C --scale HEX --q h,h,... --k ... --v ... [--mask ...]
// every value a hex float (inf, -inf, nan), row-major. The selector is
// "--impl NAME" for a registry entry; the gate passes "--lib PATH --symbol
// SYM" for a user's kernel.
std::string AttentionEvalCommand(const std::string& selector,
                                 const AttentionCase& c);
std::string AttentionEvalCommand(const AttentionKernel& k,
                                 const AttentionCase& c);

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_ATTENTION_PROPERTIES_H_
