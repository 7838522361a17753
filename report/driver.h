// softcheck report: measures every built-in (every Highway target), every
// peer found at configure time (bench/peers/peers.h) and optionally a user's
// kernel on accuracy against the oracle and on speed, runs the gate's
// contract checks on each, and returns it all as data (report/model.h).
//
// Isolation: each implementation is measured in a supervised worker process
// (gate/isolation.h), so a crashing or hanging kernel costs its own row of
// the table, never the report; the contract checks are the gate's own
// (gate/check.h), isolated the same way.
//
// Speed: single thread, nothing allocated or first-touched in the timed loop
// (report/measure.h). Softmax times a batch of rows that fills 256 KiB of
// input (one row when a row is larger), so input and output stay in L2 and
// the number is the kernel's, not the memory system's. Attention times one
// call on the `normal` problem, non-causal, no mask.
#ifndef SOFTCHECK_REPORT_DRIVER_H_
#define SOFTCHECK_REPORT_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "report/model.h"

namespace softcheck::report {

struct ReportOptions {
  bool quick = false;  // CI smoke test: fewer sizes, fewer reps, fewer cases
  // Empty: the defaults (DefaultSoftmaxSizes / DefaultAttentionSizes).
  std::vector<size_t> softmax_sizes;
  std::vector<size_t> attention_sizes;
  size_t attention_d = 64;
  // The attention oracle runs on at most this many query rows per problem.
  size_t attention_sample_rows = 0;  // 0: 64 (16 with quick)
  int reps = 0;                      // 0: 7 (3 with quick)
  double min_rep_s = 0;              // 0: 0.02 s (0.002 s with quick)
  double timeout_s = 60;             // one kernel call longer than this is a hang
  uint64_t seed = 1;
  bool contract_checks = true;
  int gate_cases = 0;                // per property; 0: the gate's (10 with quick)
  bool progress = false;             // a progress line on stderr
  unsigned oracle_threads = 2;       // the attention oracle's threads
  // Which sections: "softmax-f32", "softmax-f64", "attention-f32"; empty: all.
  std::vector<std::string> kinds;
  // The peers' plugin library (libsoftcheck_peers.so) for their contract
  // checks; empty: the one built beside this tool.
  std::string peers_plugin;
  // A user's kernel: a shared library, the symbol and its kind
  // (softmax-f32, softmax-f64, attention-f32). Empty lib: none.
  std::string lib, symbol, kind;
};

std::vector<size_t> DefaultSoftmaxSizes(bool quick);    // {64, 1024, 16384, 2^20}; quick {64, 4096}
std::vector<size_t> DefaultAttentionSizes(bool quick);  // {512, 2048}; quick {128}

// Checks what can be checked before minutes are spent: the user's library,
// symbol and kind, the sizes. "" or one line.
std::string ValidateOptions(const ReportOptions& options);

// Runs everything. `trouble` gets a one-line reason when the report could
// not be made (the user's library failed to load in the worker, say).
Report BuildReport(const ReportOptions& options, std::string* trouble);

// True when something that should hold did not: the user's kernel broke a
// contract property, crashed or hung, or a built-in broke its declared claims.
bool HasFindings(const Report& report);

}  // namespace softcheck::report

#endif  // SOFTCHECK_REPORT_DRIVER_H_
