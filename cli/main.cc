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
  eval_cmd->add_option("--type", eval.type, "Element type")
      ->check(CLI::IsMember({"f32", "f64"}));
  eval_cmd->add_option("--temperature,-T", eval.temperature,
                       "softmax(x / T); 0 is the argmax limit (default 1)");
  eval_cmd->add_option("--oracle", eval.oracle, "Oracle backend")
      ->check(CLI::IsMember({"mpfr", "cpp_bin_float"}));
  eval_cmd->add_option("values", eval.values,
                       "The row: decimals, hex floats (0x1.8p-3), inf, -inf, nan. "
                       "Put them after -- so that negative values are not read as options.");

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
  try {
    if (app.got_subcommand("list")) return RunList(list_options);
    if (app.got_subcommand("eval")) return RunEval(eval);
  } catch (const std::exception& e) {
    return Trouble(std::string("internal error: ") + e.what());
  }
  return Trouble("no subcommand");
}
