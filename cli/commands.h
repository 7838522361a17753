// The subcommands of the softcheck executable. Each returns the process exit
// code: 0 all held, 1 a finding, 2 trouble (usage, bad input), as GNU diff.
#ifndef SOFTCHECK_CLI_COMMANDS_H_
#define SOFTCHECK_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace softcheck {

constexpr int kExitOk = 0;
constexpr int kExitFinding = 1;
constexpr int kExitTrouble = 2;

struct ListOptions {};
int RunList(const ListOptions& options);

struct EvalOptions {
  std::string impl;            // registry name or family; empty: all
  std::string type = "f32";    // f32 | f64
  std::string temperature = "1";
  std::string oracle = "mpfr";  // mpfr | cpp_bin_float
  std::vector<std::string> values;
};
int RunEval(const EvalOptions& options);

// One line on stderr, "softcheck: <message>", and kExitTrouble.
int Trouble(const std::string& message);

}  // namespace softcheck

#endif  // SOFTCHECK_CLI_COMMANDS_H_
