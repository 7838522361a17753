// The property checks: plain functions that take a kernel descriptor and one
// generated case, run the kernel (several times where the property relates
// calls), and return what they found. No RapidCheck here: the generators and
// the driver (properties/row_generators.h, properties/property_driver.h) feed
// these functions, and so will any other caller (`softcheck check`, fuzzers).
//
// Every row a check runs goes through the one verdict step, JudgeRow
// (oracle/verdict.h), against the oracle's exact softmax where the property
// needs accuracy; relations between calls (x against x + c, x against a
// permutation of x, ...) are bounded by the same accuracy rule
// (oracle/accuracy.h): two outputs that are each within their allowance of
// the same exact value are within the sum of the two allowances of each other.
//
// The properties (docs/contract.md names the clauses):
//   SumsToOne                    sum of outputs within the rule's bound of 1
//   OutputsLieInZeroOne          [+0, 1], non-zero well above underflow
//   IsShiftInvariant             softmax(x + c) = softmax(x)
//   MasksNegativeInfinity        -inf gives +0, inserting -inf changes nothing
//   NanOrInfinityPoisonsTheRow   NaN or +inf anywhere gives an all-NaN row
//   NeverOverflows               finite input never gives NaN or inf
//   IsMonotone                   x_i <= x_j implies y_i <= y_j
//   IsPermutationEquivariant     permuting x permutes y
//   ScalesWithTemperature        softmax(x, T) = softmax(x / T, 1); limits
//   MatchesOracle                every output within the accuracy rule
//   AgreesAcrossImplementations  two kernels within both allowances
//   KeepsHygiene                 poisoned y, in place, guards, repeat calls
//
// Which findings count is the kernel's claims' business (Unexpected below):
// a finding on a clause the kernel declares it breaks is expected. One
// consequence of a declared failure is spelled out here rather than left to
// each property: a kernel that declares it breaks overflow-safe (naive) is not
// overflow-safe anywhere outside exp's range, whatever the symptom -- NaN
// (inf / inf), all zeros (x / inf) or outputs built from subnormal exps that
// have lost their bits -- so on such rows its findings on the finite-row
// clauses are attributed to overflow-safe. Inside exp's range it is held to
// everything else.
#ifndef SOFTCHECK_PROPERTIES_SOFTMAX_PROPERTIES_H_
#define SOFTCHECK_PROPERTIES_SOFTMAX_PROPERTIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/softmax.h"
#include "oracle/verdict.h"

namespace softcheck::properties {

enum class Property {
  kSumsToOne,
  kPositivity,
  kShiftInvariance,
  kMasking,
  kNonFinite,
  kOverflowSafe,
  kMonotonicity,
  kPermutation,
  kTemperature,
  kAccuracy,
  kAgreement,
  kHygiene,
};

struct PropertyInfo {
  Property property;
  const char* name;   // "SumsToOne": reads as the claim
  Clause clause;      // the clause a failure of the property breaks
  bool uses_oracle;   // every case calls the oracle (rows are kept shorter)
  const char* claim;  // one line, for reports
};

const std::vector<PropertyInfo>& AllProperties();
const PropertyInfo& Info(Property p);
// The property whose failures are the clause's (for checking a declared
// expected failure): overflow-safe -> NeverOverflows, fully-masked ->
// MasksNegativeInfinity, nan-propagation -> NanOrInfinityPoisonsTheRow, ...
Property PropertyFor(Clause c);

// One generated input. Fields other than x and temperature are read only by
// the properties that need them.
template <typename T>
struct Case {
  Property property = Property::kAccuracy;
  std::vector<T> x;
  T temperature = 1;
  T shift = 0;               // IsShiftInvariant: c
  uint64_t permutation = 0;  // IsPermutationEquivariant: seed of the shuffle
  size_t offset = 0;         // KeepsHygiene: misalignment, in elements
};

struct CheckOptions {
  // AgreesAcrossImplementations compares against each of these (entries
  // with the kernel's own name are skipped).
  std::vector<const SoftmaxKernel*> references;
};

// What a property found on one case.
struct CaseVerdict {
  std::vector<Finding> findings;
  // The largest error / allowance among the oracle judgments made (JudgeRow's
  // accuracy statistic); 0 when none was made.
  double worst_ratio = 0;
  std::string worst_detail;  // that element: value, exact value, allowance
  // The shell commands that replay the rows involved (softcheck eval).
  std::vector<std::string> replay;
};

template <typename T>
CaseVerdict Check(const SoftmaxKernel& k, const Case<T>& c,
                  const CheckOptions& options = {});

// The findings on clauses the kernel promises (Claims::Promises).
std::vector<Finding> Unexpected(const SoftmaxKernel& k,
                                const std::vector<Finding>& findings);

// True when every exp(x_i / T) of a finite entry is a normal number and their
// sum is finite: the rows on which the textbook formula keeps its precision.
// Limits and caller errors of T (0, inf, negative, NaN) and rows holding NaN
// or +inf involve no exp and count as inside.
template <typename T>
bool InExpRange(const T* x, size_t n, T temperature);

// Printing: values as "decimal (hex float)", the replay command
// `softcheck eval --impl NAME --type f32 [--temperature T] -- <hex floats>`.
template <typename T>
std::string FormatRow(const std::vector<T>& x, size_t max_values = 64);
template <typename T>
std::string FormatCase(const Case<T>& c);
template <typename T>
std::string EvalCommand(const SoftmaxKernel& k, const std::vector<T>& x,
                        T temperature);

}  // namespace softcheck::properties

#endif  // SOFTCHECK_PROPERTIES_SOFTMAX_PROPERTIES_H_
