// The subcommands of the softcheck executable. Each returns the process exit
// code: 0 all held, 1 a finding, 2 trouble (usage, bad input), as GNU diff.
#ifndef SOFTCHECK_CLI_COMMANDS_H_
#define SOFTCHECK_CLI_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace softcheck {

constexpr int kExitOk = 0;
constexpr int kExitFinding = 1;
constexpr int kExitTrouble = 2;

// The largest attention size eval's --shape and report's --attention-d take.
constexpr size_t kMaxAttentionDim = 4096;

struct ListOptions {};
int RunList(const ListOptions& options);

struct EvalOptions {
  std::string impl;            // registry name or family; empty: all
  std::string type = "f32";    // f32 | f64
  std::string temperature = "1";
  std::string oracle = "mpfr";  // mpfr | cpp_bin_float
  std::string lib, symbol;      // a user's kernel, run isolated
  std::string kind = "softmax-f32";
  // Given on the command line (not the default): an option that does not
  // apply to the kind evaluated is trouble, never silently ignored.
  bool type_given = false, kind_given = false, causal_given = false;
  bool temperature_given = false, oracle_given = false;
  std::vector<std::string> values;
  // --kind attention-f32: the problem (values as comma-separated lists).
  std::string shape;  // NQxNKVxDxDV
  int causal = 0;     // 0 none, 1 top-left, 2 bottom-right
  std::string scale;  // empty: 1/sqrt(d)
  std::string q, k, v, mask;
};
int RunEval(const EvalOptions& options);
int RunEvalAttention(const EvalOptions& options);

struct CheckCommandOptions {
  std::string impl;                   // registry name or family; empty: all
  std::string type = "f32";           // built-ins: f32 | f64
  std::string lib, symbol;            // a user's kernel
  std::string kind = "softmax-f32";   // softmax-f32 | softmax-f64 | attention-f32
  bool kind_given = false;            // built-ins: --kind picks the operation
  bool type_given = false;
  uint64_t seed = 1;
  int cases = 0;                      // per property; 0: defaults
  double budget = 0;                  // seconds; 0: case counts decide
  double timeout = 10;                // seconds per kernel call
  std::string json, junit;            // report files
  std::string fully_masked = "zero";  // zero | nan | any
  std::string non_finite = "nan";     // nan | any
  double exp_ulp = 1, slack = 2;      // the accuracy rule's parameters
  std::string sum = "sequential";     // sequential | pairwise
};
int RunCheck(const CheckCommandOptions& options);

struct FuzzOptions {
  std::string lib, symbol;           // the user's kernel
  std::string kind = "softmax-f32";  // softmax-f32 | softmax-f64 | attention-f32
  double time = 60;                  // seconds of fuzzing
  int jobs = 1;                      // > 1: libFuzzer's -fork=N
  double timeout = 10;               // seconds one input may take: a hang
  std::string corpus;                // empty: a copy of the built-in seeds
  long runs = 0;                     // > 0: stop after this many inputs
};
int RunFuzz(const FuzzOptions& options);

// The overflow story on one screen. 0, or 1 if the property suite could no
// longer find naive's overflow.
int RunDemo();

// softcheck report: accuracy against speed (report/driver.h, docs/report.md).
struct ReportCommandOptions {
  std::string out = "softcheck-report";  // the directory written
  bool quick = false;                    // CI smoke test: fewer sizes, reps, cases
  std::string lib, symbol;               // a user's kernel, measured too
  std::string kind;                      // --lib's: softmax-f32 (default) | softmax-f64 | attention-f32
  std::string sizes;                     // softmax sizes, "64,1024,2^20"; empty: defaults
  std::string attention_sizes;           // n_q = n_kv; empty: defaults
  size_t attention_d = 64;
  std::vector<std::string> only;         // sections; empty: all
  uint64_t seed = 1;
  double timeout = 60;                   // seconds per kernel call
  int reps = 0;                          // 0: 7 (3 with --quick)
  int cases = 0;                         // gate cases per property; 0: defaults
  bool no_checks = false;                // skip the contract checks
  std::string peers_lib;                 // libsoftcheck_peers.so; empty: the built one
};
int RunReport(const ReportCommandOptions& options);

// One line on stderr, "softcheck: <message>", and kExitTrouble.
int Trouble(const std::string& message);

}  // namespace softcheck

#endif  // SOFTCHECK_CLI_COMMANDS_H_
