// softcheck: the command line. CLI11 parses (Debian's libcli11-dev: header
// only, subcommands, `--` separators and help generation built in); every
// parse error becomes one line on stderr and exit code 2.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "cli/commands.h"

namespace softcheck {

int Trouble(const std::string& message) {
  std::fprintf(stderr, "softcheck: %s\n", message.c_str());
  return kExitTrouble;
}

namespace {

// Seconds softcheck accepts for a timeout or budget: about 11.6 days, far
// beyond any run, and far inside what the supervisor's clock can count.
constexpr double kMaxSeconds = 1e6;

// A positive, finite number up to `max`, refused in one short line.
// (CLI::PositiveNumber accepts nan, and its message prints DBL_MAX in full.)
CLI::Validator Positive(double max = 1.7976931348623157e308) {
  return CLI::Validator(
      [max](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])) ||
            end != s.c_str() + s.size())
          return fmt::format("'{}' is not a number", s);
        if (!(v > 0) || !std::isfinite(v)) return fmt::format("'{}' is not a positive number", s);
        if (v > max) return fmt::format("{} is more than the largest allowed, {:g}", s, max);
        return "";
      },
      "POSITIVE");
}

// Reads a whole number written in decimal or 0x hex, all of s, that fits
// 64 bits. Leading zeros are decimal: CLI11 converts with strtoull's base 0,
// which reads "010" as octal 8, so the validators below hand it the
// canonical decimal instead (a transform: Option::check's validators may not
// change the text).
bool ParseWhole(const std::string& s, uint64_t* v) {
  std::string_view d = s;
  int base = 10;
  if (d.size() > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
    base = 16;
    d.remove_prefix(2);
  }
  if (d.empty()) return false;
  const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), *v, base);
  return ec == std::errc() && end == d.data() + d.size();
}

// A seed: a whole number in [0, 2^64 - 1] (decimal or 0x hex), nothing
// wrapped ("-1"), clamped (2^64) or read as octal ("010").
CLI::Validator Seed() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        uint64_t v = 0;
        if (!ParseWhole(s, &v))
          return fmt::format("'{}' is not a seed (a whole number from 0 to 2^64 - 1)", s);
        s = std::to_string(v);
        return "";
      },
      "SEED");
}

// A count: a whole number from 1 to `max` (decimal or 0x hex), refused in
// one short line. CLI::PositiveNumber let "010" through as octal and left
// "1.5" or "1e10" to a "Could not convert" message.
CLI::Validator Count(uint64_t max) {
  return CLI::Validator(
      [max](std::string& s) -> std::string {
        uint64_t v = 0;
        if (!ParseWhole(s, &v)) {
          const bool digits = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
          if (digits) return fmt::format("{} is more than the largest allowed, {}", s, max);
          return fmt::format("'{}' is not a whole number", s);
        }
        if (v == 0) return fmt::format("'{}' is not a positive number", s);
        if (v > max) return fmt::format("{} is more than the largest allowed, {}", s, max);
        s = std::to_string(v);
        return "";
      },
      "COUNT");
}

template <typename T>
CLI::Validator Count() {
  return Count(static_cast<uint64_t>(std::numeric_limits<T>::max()));
}

}  // namespace
}  // namespace softcheck

int main(int argc, char** argv) {
  using namespace softcheck;
  // Descriptors 0-2 closed by the caller ("softcheck eval -- 1 2 >&-") would
  // go to the first file or pipe softcheck opens (a worker's pipe, a
  // report), and what is printed to stdout with them: each closed one is
  // held on /dev/null instead, and a closed stdout is a write error at the end.
  bool stdout_closed = false;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == STDOUT_FILENO) stdout_closed = true;
    const int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null >= 0 && null != fd) {
      dup2(null, fd);
      close(null);
    }
  }
  // Output that could not be written is trouble, not success: a user piping
  // the output to a full disk or a closed descriptor must hear of it. rc is
  // what the command returned; trouble (2) has said its one line already.
  auto finish = [stdout_closed](int rc) {
    const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
    const int error = stdout_closed ? EBADF : errno;
    if (!(failed || stdout_closed) || rc == kExitTrouble) return rc;
    Trouble(fmt::format("cannot write to standard output: {}", std::strerror(error)));
    return rc > kExitTrouble ? rc : kExitTrouble;  // an interrupted check keeps 128 + signal
  };
  CLI::App app{
      "softcheck: numerical verification of softmax and attention kernels.\n"
      "Exit codes: 0 all held, 1 a finding, 2 trouble (usage, bad input)."};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", "softcheck 0.1.0");

  ListOptions list_options;
  app.add_subcommand("list", "List the implementations, their targets and claims");

  EvalOptions eval;
  CLI::App* eval_cmd = app.add_subcommand(
      "eval",
      "Run implementations on one row and compare with the oracle's correctly "
      "rounded softmax.\nExample: softcheck eval -- 1000 999");
  eval_cmd->add_option("--impl", eval.impl,
                       "An implementation or family (default: all; see `softcheck list`)");
  CLI::Option* eval_type = eval_cmd->add_option("--type", eval.type, "Element type")
      ->check(CLI::IsMember({"f32", "f64"}));
  eval_cmd->add_option("--lib", eval.lib, "A shared library holding a kernel to run too (isolated)");
  eval_cmd->add_option("--symbol", eval.symbol, "The kernel in --lib: void f(const float *x, float *y, size_t n)");
  CLI::Option* eval_kind = eval_cmd->add_option("--kind", eval.kind,
                       "softmax-f32 (default), softmax-f64 or attention-f32 (then the problem "
                       "comes from --shape, --causal, --scale, --q, --k, --v, --mask)");
  eval_cmd->add_option("--shape", eval.shape, "attention-f32: NQxNKVxDxDV, e.g. 2x3x4x4");
  CLI::Option* eval_causal = eval_cmd->add_option("--causal", eval.causal,
                       "attention-f32: 0 none (default), 1 top-left, 2 bottom-right");
  eval_cmd->add_option("--scale", eval.scale, "attention-f32: the score scale (default 1/sqrt(d))");
  eval_cmd->add_option("--q", eval.q, "attention-f32: Q, n_q x d values, row-major, comma-separated");
  eval_cmd->add_option("--k", eval.k, "attention-f32: K, n_kv x d values");
  eval_cmd->add_option("--v", eval.v, "attention-f32: V, n_kv x d_v values");
  eval_cmd->add_option("--mask", eval.mask,
                       "attention-f32: the additive mask, n_q x n_kv values (-inf hides a key)");
  CLI::Option* eval_temperature = eval_cmd->add_option("--temperature,-T", eval.temperature,
                       "softmax(x / T); 0 is the argmax limit (default 1)");
  CLI::Option* eval_oracle = eval_cmd->add_option("--oracle", eval.oracle, "Oracle backend")
      ->check(CLI::IsMember({"mpfr", "cpp_bin_float"}));
  eval_cmd->add_option("values", eval.values,
                       "The row: decimals, hex floats (0x1.8p-3), inf, -inf, nan. "
                       "Put them after -- so that negative values are not read as options.");

  CheckCommandOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check",
      "The gate: run the property suite, the oracle comparison and random bit "
      "patterns against the built-ins or a user's kernel (isolated in worker "
      "processes).\nExit codes: 0 every property held, 1 a finding, 2 trouble.\n"
      "Example: softcheck check --lib ./libmine.so --symbol my_softmax --kind "
      "softmax-f32 --junit report.xml");
  check_cmd->add_option("--impl", check.impl, "A built-in or family (default: every built-in)");
  CLI::Option* check_type = check_cmd->add_option("--type", check.type,
                                                   "Element type for the softmax built-ins")
      ->check(CLI::IsMember({"f32", "f64"}));
  check_cmd->add_option("--lib", check.lib, "A shared library holding the kernel to check");
  check_cmd->add_option("--symbol", check.symbol,
                        "The kernel: void f(const float *x, float *y, size_t n) "
                        "(double for softmax-f64)");
  CLI::Option* check_kind = check_cmd->add_option(
      "--kind", check.kind,
      "softmax-f32 (default), softmax-f64 or attention-f32 (the kernel's signature: "
      "docs/gate.md); for the built-ins it picks the operation (default: all of them)");
  check_cmd->add_option("--seed", check.seed, "RapidCheck seed (default 1: a gate never flakes)")
      ->transform(Seed());
  check_cmd->add_option("--cases", check.cases, "Cases per property (default: each property's own)")
      ->transform(Count<int>());
  check_cmd->add_option("--budget", check.budget,
                        "Seconds to spend, shared among the properties (instead of --cases)")
      ->check(Positive(kMaxSeconds));
  check_cmd->add_option("--timeout", check.timeout,
                        "Seconds one kernel call may take before it is a hang (default 10)")
      ->check(Positive(kMaxSeconds));
  check_cmd->add_option("--json", check.json, "Write the JSON report here (docs/gate.md)");
  check_cmd->add_option("--junit", check.junit, "Write the JUnit XML report here");
  check_cmd->add_option("--fully-masked", check.fully_masked,
                        "What an all -inf row must give: zero (default), nan, any")
      ->check(CLI::IsMember({"zero", "nan", "any"}));
  check_cmd->add_option("--non-finite", check.non_finite,
                        "What a row holding NaN or +inf must give: nan (default), any")
      ->check(CLI::IsMember({"nan", "any"}));
  check_cmd->add_option("--exp-ulp", check.exp_ulp,
                        "Accuracy rule: the kernel's exp error in ULP (default 1)")
      ->check(Positive());
  check_cmd->add_option("--slack", check.slack, "Accuracy rule: overall slack factor (default 2)")
      ->check(Positive());
  check_cmd->add_option("--sum", check.sum,
                        "Accuracy rule: summation bound, sequential (default) or pairwise")
      ->check(CLI::IsMember({"sequential", "pairwise"}));

  FuzzOptions fuzz;
  CLI::App* fuzz_cmd = app.add_subcommand(
      "fuzz",
      "Fuzz a user's kernel with libFuzzer (raw bit patterns, the contract and the "
      "oracle), isolated in a child process; findings come back as `softcheck eval` "
      "commands.\nExit codes: 0 no finding, 1 a finding, 2 trouble.\n"
      "Example: softcheck fuzz --lib ./libmine.so --symbol my_softmax --time 60");
  fuzz_cmd->add_option("--lib", fuzz.lib, "A shared library holding the kernel to fuzz");
  fuzz_cmd->add_option("--symbol", fuzz.symbol, "The kernel (the signature of --kind)");
  fuzz_cmd->add_option("--kind", fuzz.kind, "softmax-f32 (default), softmax-f64 or attention-f32");
  fuzz_cmd->add_option("--time", fuzz.time, "Seconds of fuzzing (default 60)")
      ->check(Positive(kMaxSeconds));
  fuzz_cmd->add_option("--jobs", fuzz.jobs, "Worker processes (libFuzzer -fork=N; default 1)")
      ->transform(Count<int>());
  fuzz_cmd->add_option("--timeout", fuzz.timeout,
                       "Seconds one input may take before it is a hang (default 10)")
      ->check(Positive(kMaxSeconds));
  fuzz_cmd->add_option("--corpus", fuzz.corpus,
                       "A corpus directory to start from and grow (default: a copy of the seeds)");
  fuzz_cmd->add_option("--runs", fuzz.runs, "Stop after this many inputs (default: --time decides)")
      ->transform(Count<long>());

  ReportCommandOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "Accuracy against the oracle and speed for every built-in, every peer (oneDNN, XNNPACK, "
      "Eigen, where built in) and optionally your kernel: report.md, report.json and an "
      "error-against-time plot (SVG, PNG) in --out. Runs for minutes; --quick for a smoke "
      "test.\nExit codes: 0 written, 1 written with a finding against a built-in or your "
      "kernel, 2 trouble.\nExample: softcheck report --out report");
  report_cmd->add_option("--out", report.out, "Directory to write (default softcheck-report)");
  report_cmd->add_flag("--quick", report.quick,
                       "Smoke test: softmax n in {64, 4096}, attention n = 128, 3 repetitions, "
                       "10 gate cases per property");
  report_cmd->add_option("--lib", report.lib, "A shared library holding your kernel (measured isolated)");
  report_cmd->add_option("--symbol", report.symbol, "Your kernel in --lib (the signature of --kind)");
  report_cmd->add_option("--kind", report.kind, "softmax-f32 (default), softmax-f64 or attention-f32");
  report_cmd->add_option("--sizes", report.sizes,
                         "Softmax row lengths, comma-separated (default 64,1024,16384,2^20)");
  report_cmd->add_option("--attention-sizes", report.attention_sizes,
                         "Attention n_q = n_kv, comma-separated (default 512,2048)");
  report_cmd->add_option("--attention-d", report.attention_d, "Attention head size (default 64, at most 4096)")
      ->transform(Count(kMaxAttentionDim));
  report_cmd->add_option("--only", report.only,
                         "Sections to make: softmax-f32, softmax-f64, attention-f32 (default all)")
      ->delimiter(',');
  report_cmd->add_option("--seed", report.seed, "Seed of the inputs and the gate (default 1)")
      ->transform(Seed());
  report_cmd->add_option("--timeout", report.timeout,
                         "Seconds one kernel call may take before it is a hang (default 60)")
      ->check(Positive(kMaxSeconds));
  report_cmd->add_option("--reps", report.reps, "Timed repetitions (median reported; default 7)")
      ->transform(Count<int>());
  report_cmd->add_option("--cases", report.cases, "Gate cases per property (default: the gate's)")
      ->transform(Count<int>());
  report_cmd->add_flag("--no-checks", report.no_checks, "Skip the contract checks (the gate)");
  report_cmd->add_option("--peers-lib", report.peers_lib,
                         "libsoftcheck_peers.so for the peers' contract checks (default: the one built)");

  app.add_subcommand("demo",
                     "Show naive softmax overflowing to NaN (and where), the shifted kernels "
                     "staying correct, the shrunk counterexample and -inf masking");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return finish(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return finish(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return finish(app.exit(e));
  } catch (const CLI::ParseError& e) {
    // "softcheck bogus": CLI11 says only that a subcommand is required.
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty())
      return Trouble(fmt::format(
          "unknown command '{}' (list, eval, check, fuzz, report, demo; see softcheck --help)",
          argv[1]));
    std::string what = e.what();
    for (char& c : what) if (c == '\n') c = ' ';
    return Trouble(what + " (see softcheck --help)");
  }
  eval.type_given = eval_type->count() > 0;
  eval.kind_given = eval_kind->count() > 0;
  eval.causal_given = eval_causal->count() > 0;
  eval.temperature_given = eval_temperature->count() > 0;
  eval.oracle_given = eval_oracle->count() > 0;
  check.kind_given = check_kind->count() > 0;
  check.type_given = check_type->count() > 0;
  int rc = kExitTrouble;
  try {
    if (app.got_subcommand("list")) rc = RunList(list_options);
    else if (app.got_subcommand("eval")) rc = RunEval(eval);
    else if (app.got_subcommand("check")) rc = RunCheck(check);
    else if (app.got_subcommand("demo")) rc = RunDemo();
    else if (app.got_subcommand("report")) rc = RunReport(report);
    else if (app.got_subcommand("fuzz")) rc = RunFuzz(fuzz);
    else return Trouble("no subcommand");
  } catch (const std::system_error& e) {
    // {fmt} throws when a write fails (a buffer's worth in): say so.
    if (std::ferror(stdout) != 0)
      return Trouble(fmt::format("cannot write to standard output: {}",
                                 std::strerror(e.code().value())));
    return Trouble(std::string("internal error: ") + e.what());
  } catch (const std::exception& e) {
    return Trouble(std::string("internal error: ") + e.what());
  }
  return finish(rc);
}
