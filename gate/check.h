// softcheck's gate: the whole property suite, the oracle comparison and a
// burst of random bit-pattern rows against one kernel -- a built-in, a
// user's function in a shared library, or a function pointer from inside a
// user's own test -- each run isolated in a supervised worker process
// (gate/isolation.h), so that a crash, a hang or a stray read or write is a
// finding with the input that caused it and never takes the gate down.
//
//   softcheck::GateOptions options;
//   softcheck::GateResult r = softcheck::CheckSoftmax(&my_softmax, options);
//   EXPECT_TRUE(r.Ok()) << r.Summary();
#ifndef SOFTCHECK_GATE_CHECK_H_
#define SOFTCHECK_GATE_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/attention.h"
#include "impl/softmax.h"
#include "oracle/verdict.h"

namespace softcheck {

// The ABI users' kernels are checked through (impl/softcheck_c.h's).
using UserSoftmaxF32 = void (*)(const float* x, float* y, size_t n);
using UserSoftmaxF64 = void (*)(const double* x, double* y, size_t n);

struct GateOptions {
  uint64_t seed = 1;      // RapidCheck's seed: fixed, so a gate never flakes
  int cases = 0;          // cases per property; 0: the property's default
  double budget_s = 0;    // > 0: run each property for its share of this
  double timeout_s = 10;  // a kernel call (or loading the library) longer than
                          // this is a hang
  bool isolate = true;    // run in a worker process (false: in-process)
  // For users' kernels (the built-ins declare their own): what a fully
  // masked row must give, what NaN/+inf input must give, and the accuracy
  // rule's parameters (oracle/accuracy.h).
  FullyMaskedRule fully_masked = FullyMaskedRule::kZero;
  NonFiniteRule non_finite = NonFiniteRule::kNan;
  double exp_ulp = 1;
  double slack = 2;
  bool sequential_sum = true;
  bool progress = false;  // a progress line on stderr (for terminals)
};

enum class Status {
  kPass,            // held on every case
  kFail,            // a case broke a promised clause
  kExpectedFail,    // a declared expected failure, still failing: fine
  kUnexpectedPass,  // a declared expected failure that no longer fails
  kCrash,           // the kernel died of a signal on a case
  kHang,            // a kernel call did not return within the timeout
  kSkipped,         // not applicable (e.g. temperature through the C ABI)
};
const char* StatusName(Status s);  // "PASS", "FAIL", "XFAIL", ...
bool StatusFails(Status s);        // FAIL, XPASS, CRASH, HANG

struct PropertyResult {
  std::string implementation;
  std::string property;  // "NeverOverflows"
  std::string clause;    // "overflow-safe"
  std::string claim;     // one line: what the property asserts
  Status status = Status::kPass;
  int cases = 0;
  uint64_t elements = 0;      // row elements the kernel was called on
  uint64_t oracle_evals = 0;  // oracle rows evaluated
  double seconds = 0;
  double worst_ratio = 0;     // largest error / allowance seen
  std::string message;        // one line
  std::string details;        // the counterexample and findings, multi-line
  std::string reproduce;      // one shell command replaying the failure
  std::string rc_params;      // RC_PARAMS="reproduce=..." where it applies
};

struct GateResult {
  std::vector<PropertyResult> results;
  double seconds = 0;
  uint64_t seed = 0;
  std::string kind;  // "softmax-f32", "softmax-f64", "attention-f32"
  // The signal that stopped the run early (SIGINT, SIGTERM, SIGHUP, after
  // gate::DeferInterrupts()), or 0. The properties it did not reach are
  // in results as kSkipped, "not run: interrupted"; such a run is not Ok().
  int interrupted = 0;
  bool Ok() const;
  int NotRun() const;  // the properties an interruption left unrun
  int Cases() const;
  uint64_t Elements() const;
  uint64_t OracleEvals() const;
  std::string Summary() const;  // the human report (gate/report.h)
};

// A user's kernel, in process (options.isolate forks a worker around it).
GateResult CheckSoftmax(UserSoftmaxF32 fn, const GateOptions& options,
                        const std::string& name = "user");
GateResult CheckSoftmax(UserSoftmaxF64 fn, const GateOptions& options,
                        const std::string& name = "user");

enum class KernelKind { kSoftmaxF32, kSoftmaxF64, kAttentionF32 };

// A built-in registry entry, against its declared claims.
GateResult CheckBuiltin(const SoftmaxKernel& k, const GateOptions& options,
                        KernelKind kind = KernelKind::kSoftmaxF32);

// Attention (impl/attention.h's signature and contract): a user's function
// in process, and a built-in attention entry against its declared claims.
// GateOptions' policies and rule parameters apply as for softmax; "elements"
// in the results counts scores (n_q x n_kv per call).
GateResult CheckAttention(AttentionF32 fn, const GateOptions& options,
                          const std::string& name = "user");
GateResult CheckBuiltin(const AttentionKernel& k, const GateOptions& options);

// A user's kernel in a shared library. Trouble (unreadable file, not a
// library, missing symbol, unknown kind) is reported in *trouble with an
// empty result.
bool ParseKernelKind(const std::string& text, KernelKind* kind);
GateResult CheckLibrary(const std::string& path, const std::string& symbol,
                        KernelKind kind, const GateOptions& options,
                        std::string* trouble);

// Runs a user's kernel once on x (T = 1), isolated and guarded like the
// gate. On success *y holds the output and the result is "". Otherwise it is
// one line: what happened (a signal and where it faulted, or a hang).
// Trouble loading the library goes to *trouble instead.
std::string RunLibraryOnce(const std::string& path, const std::string& symbol,
                           KernelKind kind, const std::vector<double>& x,
                           double timeout_s, std::vector<double>* y,
                           std::string* trouble);

// RunLibraryOnce for an attention kernel: one call on problem c.
std::string RunAttentionLibraryOnce(const std::string& path, const std::string& symbol,
                                    const AttentionCase& c, double timeout_s,
                                    std::vector<float>* out, std::string* trouble);

// Loads PATH and finds SYMBOL in a supervised worker (a crashing, exiting or
// hanging constructor cannot take the caller down: a load that takes longer
// than timeout_s is killed). Returns "" or a one-line reason. A PATH without
// a slash means ./PATH, as in every --lib: dlopen would otherwise search the
// system's library path for it and load some other file.
std::string ProbeLibrary(const std::string& path, const std::string& symbol,
                         double timeout_s = 10);

// PATH as every --lib reads it: ./PATH when it has no slash.
std::string LibraryPath(const std::string& path);

}  // namespace softcheck

#endif  // SOFTCHECK_GATE_CHECK_H_
