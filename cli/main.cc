// softcheck: the command line. CLI11 parses (Debian's libcli11-dev: header
// only, subcommands, `--` separators and help generation built in); every
// parse error becomes one line on stderr and exit code 2.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.h"

namespace softcheck {

int Trouble(const std::string& message) {
  std::fprintf(stderr, "softcheck: %s\n", message.c_str());
  return kExitTrouble;
}

}  // namespace softcheck

int main(int argc, char** argv) {
  using namespace softcheck;
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
  eval_cmd->add_option("--kind", eval.kind, "softmax-f32 (default) or softmax-f64");
  eval_cmd->add_option("--temperature,-T", eval.temperature,
                       "softmax(x / T); 0 is the argmax limit (default 1)");
  eval_cmd->add_option("--oracle", eval.oracle, "Oracle backend")
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
  check_cmd->add_option("--type", check.type, "Element type for the built-ins")
      ->check(CLI::IsMember({"f32", "f64"}));
  check_cmd->add_option("--lib", check.lib, "A shared library holding the kernel to check");
  check_cmd->add_option("--symbol", check.symbol,
                        "The kernel: void f(const float *x, float *y, size_t n) "
                        "(double for softmax-f64)");
  check_cmd->add_option("--kind", check.kind, "softmax-f32 (default) or softmax-f64");
  check_cmd->add_option("--seed", check.seed, "RapidCheck seed (default 1: a gate never flakes)");
  check_cmd->add_option("--cases", check.cases, "Cases per property (default: each property's own)")
      ->check(CLI::PositiveNumber);
  check_cmd->add_option("--budget", check.budget,
                        "Seconds to spend, shared among the properties (instead of --cases)")
      ->check(CLI::PositiveNumber);
  check_cmd->add_option("--timeout", check.timeout,
                        "Seconds one kernel call may take before it is a hang (default 10)")
      ->check(CLI::PositiveNumber);
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
      ->check(CLI::PositiveNumber);
  check_cmd->add_option("--slack", check.slack, "Accuracy rule: overall slack factor (default 2)")
      ->check(CLI::PositiveNumber);
  check_cmd->add_option("--sum", check.sum,
                        "Accuracy rule: summation bound, sequential (default) or pairwise")
      ->check(CLI::IsMember({"sequential", "pairwise"}));

  app.add_subcommand("demo",
                     "Show naive softmax overflowing to NaN (and where), the shifted kernels "
                     "staying correct, the shrunk counterexample and -inf masking");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) if (c == '\n') c = ' ';
    return Trouble(what + " (see softcheck --help)");
  }
  eval.type_given = eval_type->count() > 0;
  try {
    if (app.got_subcommand("list")) return RunList(list_options);
    if (app.got_subcommand("eval")) return RunEval(eval);
    if (app.got_subcommand("check")) return RunCheck(check);
    if (app.got_subcommand("demo")) return RunDemo();
  } catch (const std::exception& e) {
    return Trouble(std::string("internal error: ") + e.what());
  }
  return Trouble("no subcommand");
}
