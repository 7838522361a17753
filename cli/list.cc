// softcheck list: the registry as a person reads it.
#include <fmt/format.h>

#include <string>

#include "cli/commands.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"

namespace softcheck {

int RunList(const ListOptions&) {
  fmt::print("{:<16} {:<16} {:<8} {}\n", "implementation", "target", "exp ulp",
             "summary");
  for (const SoftmaxKernel& k : SoftmaxKernels())
    fmt::print("{:<16} {:<16} {:<8} {}\n", k.name, k.target,
               fmt::format("{:g}", k.claims.exp_ulp), k.summary);
  fmt::print("\nclaims (the contract's clauses each implementation promises; "
             "xfail = declared expected failure, checked to still fail):\n");
  for (const SoftmaxKernel& k : SoftmaxKernels()) {
    if (k.family != k.name) continue;  // targets share their family's claims
    std::string promised;
    for (Clause c : AllClauses())
      if (k.claims.Promises(c)) promised += std::string(ClauseName(c)) + " ";
    fmt::print("  {:<10} promises: {}\n", k.name, promised);
    for (const ExpectedFailure& e : k.claims.expected_failures)
      fmt::print("  {:<10} xfail {}: {}\n", "", ClauseName(e.clause), e.why);
  }

  fmt::print("\nattention (softcheck check --kind attention-f32; C symbols "
             "softcheck_<family>_attention_f32):\n");
  fmt::print("{:<16} {:<16} {:<8} {:<7} {}\n", "implementation", "target", "exp ulp",
             "blocks", "summary");
  for (const AttentionKernel& k : AttentionKernels())
    fmt::print("{:<16} {:<16} {:<8} {:<7} {}\n", k.name, k.target,
               fmt::format("{:g}", k.claims.exp_ulp), k.blocked ? "yes" : "-", k.summary);
  for (const AttentionKernel& k : AttentionKernels()) {
    if (k.family != k.name) continue;
    for (const AttentionExpectedFailure& e : k.claims.expected_failures)
      fmt::print("  {:<10} xfail {}: {}\n", k.name, ClauseName(e.clause), e.why);
  }
  return kExitOk;
}

}  // namespace softcheck
