// The accuracy-versus-speed report as data: what `softcheck report` measures
// for each implementation and size, before it is rendered as Markdown, JSON
// and a plot (report/render.h, report/plot.h). Plain types only.
#ifndef SOFTCHECK_REPORT_MODEL_H_
#define SOFTCHECK_REPORT_MODEL_H_

#include <cstddef>
#include <string>
#include <vector>

namespace softcheck::report {

// The error of one implementation on one input distribution at one size,
// against the oracle's exact values.
struct DistributionError {
  std::string distribution;  // "normal", "uniform20", "wide", "masked", ...
  size_t elements = 0;       // outputs compared
  double max_ulp = 0;        // +inf when an output is NaN/inf against a finite exact value
  double median_ulp = 0;
  double max_rel = 0;        // over outputs whose exact value is not tiny (see below)
  size_t nonfinite = 0;      // NaN or inf outputs where the exact value is finite
  // Tiny outputs: exact value below kFloorUlp (report/accuracy_sweep.h),
  // where the accuracy rule's absolute floor (FLT_MIN / DBL_MIN) is more than
  // one ULP, so a kernel may flush or approximate them. `underflow` counts
  // those more than 1 ULP off (each can be 10^6..10^10 ULPs, and would hide
  // everything else); max_ulp_above_floor is the largest error elsewhere.
  size_t underflow = 0;
  double max_ulp_above_floor = 0;
};

// One implementation at one size.
struct Cell {
  size_t n = 0;  // softmax: the row length; attention: n_q = n_kv
  // Speed; NaN where it does not apply or was not measured.
  double ns_per_element = 0;  // softmax: per row element; attention: per score (query-key pair)
  double gb_per_s = 0;        // softmax: (read x + write y) bytes / time
  double gflop_per_s = 0;     // attention: 4 n_q n_kv d flops / time
  int reps = 0;               // timed repetitions (the median is reported)
  long calls_per_rep = 0;
  double spread = 0;          // (slowest rep - fastest rep) / median
  // Accuracy over every distribution together, and each alone.
  double max_ulp = 0, median_ulp = 0, max_rel = 0;
  size_t nonfinite = 0;
  size_t underflow = 0;
  double max_ulp_above_floor = 0;
  std::vector<DistributionError> distributions;
  // Set when the implementation crashed or hung at this size (the report
  // goes on): "CRASH: SIGSEGV ..." / "HANG: ...". Then nothing above is valid.
  std::string failure;
};

// A property of the contract an implementation broke, as the gate found it.
struct Violation {
  std::string property;  // "NanOrInfinityPoisonsTheRow"
  std::string clause;    // "nan-propagation"
  std::string status;    // "FAIL", "CRASH", "HANG", "XPASS"
  std::string message;   // the gate's one-line finding
  std::string example;   // the counterexample's first lines, as the gate printed them
  std::string reproduce; // the command that replays it, where there is one
};

struct ContractResult {
  // "checked", "not checked: <why>", "trouble: <why>"
  std::string state = "not checked";
  int properties = 0;      // properties run
  int cases = 0;           // cases over all properties
  double seconds = 0;
  std::vector<Violation> violations;  // failing properties (promised clauses)
  std::vector<std::string> declared;  // declared expected failures, still failing (XFAIL)
};

struct Implementation {
  std::string name;     // "highway:AVX2", "onednn", "user:my_softmax"
  std::string origin;   // "built-in", "peer", "user"
  std::string detail;   // SIMD target, library version, or the .so path
  std::vector<Cell> cells;
  ContractResult contract;
  // What it returns on the section's special rows (Section::special_rows),
  // one line each, or why there is none ("CRASH: ...").
  std::vector<std::string> special_outputs;
};

struct Section {
  std::string kind;  // "softmax-f32", "softmax-f64", "attention-f32"
  std::string speed_unit;  // "GB/s" or "GFLOP/s"
  std::vector<std::string> distributions;  // names, in order
  std::vector<std::string> notes;          // method notes printed under the table
  std::vector<std::string> special_rows;   // hard rows every implementation is run on
  std::vector<Implementation> implementations;
};

struct Report {
  int schema = 1;
  std::string date;      // UTC, ISO 8601
  std::string cpu;       // /proc/cpuinfo's model name
  std::string host_target;  // Highway's dispatch target ("AVX3")
  std::string compiler;
  bool quick = false;
  // "SIGINT", "SIGTERM" or "SIGHUP" when softcheck was interrupted: the
  // report holds what had finished, the rest as "not run"; empty otherwise.
  std::string interrupted;
  double seconds = 0;    // the whole run
  std::vector<std::string> missing_peers;  // peers not built in, with why
  std::vector<std::string> distribution_docs;  // one line per distribution
  std::vector<Section> sections;
  std::vector<std::string> plots;  // file names written beside report.md
};

}  // namespace softcheck::report

#endif  // SOFTCHECK_REPORT_MODEL_H_
