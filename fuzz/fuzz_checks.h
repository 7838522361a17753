// What a fuzz target does with one decoded input: the suite's own steps,
// run -> oracle -> verdict, on every kernel that promises overflow safety.
// Nothing here judges a number itself: rows go through the property checks
// (properties/softmax_properties.h: Check with SumsToOne and KeepsHygiene,
// which judge through JudgeRow), through the batch entry where a kernel has
// one (its rows must get f32's bits, up to kHygieneRow, under the hygiene
// clause) and through JudgeRow against the oracle
// (oracle/verdict.h); attention problems through JudgeAttention
// (oracle/attention_accuracy.h). A kernel's claims decide which findings
// count, exactly as in the property suite and the gate.
//
// The oracle costs about 3 us per softmax element and a few us per attention
// score, so it is consulted only where the target stays fast: softmax rows of
// at most kOracleRow elements (longer rows get every clause that needs no
// exact value: NaN/inf, masking, the fully masked rule, NaN propagation,
// sums to one, hygiene up to kHygieneRow), and attention problems of at most
// 16 x 16 scores (the decoder's limit), always.
#ifndef SOFTCHECK_FUZZ_FUZZ_CHECKS_H_
#define SOFTCHECK_FUZZ_FUZZ_CHECKS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "impl/softmax.h"
#include "oracle/attention_oracle.h"

namespace softcheck::fuzz {

constexpr size_t kOracleRow = 32;   // softmax rows judged against the oracle
constexpr size_t kHygieneRow = 256;  // rows also run through KeepsHygiene

// The registry entries a target drives: every one that promises overflow
// safety (naive declares it does not; its target is the demonstration).
std::vector<const SoftmaxKernel*> OverflowSafeSoftmaxKernels();
std::vector<const AttentionKernel*> OverflowSafeAttentionKernels();

// One broken promise, ready to print.
struct Violation {
  std::string kernel;
  Clause clause;
  std::string what;    // the verdict's line, hex floats included
  std::string replay;  // the `softcheck eval ...` command
};

// Exact softmax of a row for the checks below: empty when the row is longer
// than kOracleRow (no oracle for it).
template <typename T>
std::vector<long double> ExactIfShort(const std::vector<T>& x, T temperature);

// Every finding on a clause k promises, on row x at temperature t. `exact`
// (from ExactIfShort) empty: the oracle-free clauses only. With
// `only_clause` set, only findings on that clause count, promised or not
// (the demonstration target holds naive to the clause it declares broken).
template <typename T>
std::vector<Violation> CheckSoftmaxRow(const SoftmaxKernel& k, const std::vector<T>& x,
                                       T temperature, const std::vector<long double>& exact,
                                       const Clause* only_clause = nullptr);

// Every finding on a clause k promises, on problem c, whose exact result is
// `exact` (oracle::Attention, computed once for every kernel). `selector`
// names the kernel for eval ("--impl NAME" when empty).
std::vector<Violation> CheckAttentionProblem(const AttentionKernel& k, const AttentionCase& c,
                                             const oracle::AttentionResult& exact,
                                             const std::string& selector = "");

// Replay commands that hold every value, however long the row.
template <typename T>
std::string SoftmaxReplay(const SoftmaxKernel& k, const std::vector<T>& x, T temperature);
std::string AttentionReplay(const std::string& selector, const AttentionCase& c);

// Prints every violation (kernel, clause, verdict, replay command) and the
// input to stderr, each line starting "softcheck-fuzz: ", then aborts: the
// fuzzing engine saves the input as a crash. Never returns.
[[noreturn]] void ReportAndAbort(const char* target, const std::vector<Violation>& found,
                                 const std::string& input);

}  // namespace softcheck::fuzz

#endif  // SOFTCHECK_FUZZ_FUZZ_CHECKS_H_
