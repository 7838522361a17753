// The attention property suite under GoogleTest: every attention property
// against every attention registry entry it applies to (each Highway target
// included); every declared expected failure shown to still fail, with its
// shrunk counterexample; and every deliberately wrong kernel
// (properties/attention_wrong_kernels.h) caught by the property meant for
// it, with the table of which properties catch which bug.
//
// Under ctest the seed is fixed (RC_PARAMS, properties/CMakeLists.txt) and
// the case counts bounded; SOFTCHECK_DEEP=1 runs ten times the cases on
// larger problems. A failure prints the counterexample (decimal and hex),
// the `softcheck eval` commands that replay its problems, and the RC_PARAMS
// string with the command line that replays the whole run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "impl/attention_registry.h"
#include "properties/attention_driver.h"
#include "properties/attention_properties.h"
#include "properties/attention_wrong_kernels.h"

namespace softcheck::properties {
namespace {

std::string TestName(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

// The command line that reruns the current test with RapidCheck's
// reproduction string.
std::string Rerun(const RunOutcome& out) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return fmt::format("rerun: {} {} --gtest_filter='{}.{}'\n", out.reproduce,
                     error ? "softcheck_attention_property_tests" : self.string(),
                     info->test_suite_name(), info->name());
}

// The references for StreamingMatchesMaterialised: each family's first entry
// (Highway's is the dispatching one), so every entry meets the materialised
// kernels (naive where it is safe, maxshift), the scalar streaming one and
// Highway's dispatcher.
std::vector<const AttentionKernel*> FamilyHeads() {
  std::vector<const AttentionKernel*> heads;
  for (const AttentionKernel& k : AttentionKernels())
    if (k.name == k.family) heads.push_back(&k);
  return heads;
}

AttentionRunSettings Settings(AttentionProperty p) {
  AttentionRunSettings s = DefaultAttentionSettings(p, DeepRun());
  s.check.references = FamilyHeads();
  return s;
}

// ---- every property, every registry entry it applies to --------------------

struct KernelProperty {
  std::string kernel;
  AttentionProperty property;
};

void PrintTo(const KernelProperty& p, std::ostream* os) {
  *os << Info(p.property).name << " " << p.kernel;
}

class AttentionRegistryProperty : public ::testing::TestWithParam<KernelProperty> {};

TEST_P(AttentionRegistryProperty, Holds) {
  const AttentionKernel& k = *FindAttentionKernel(GetParam().kernel);
  const AttentionProperty p = GetParam().property;
  const auto start = std::chrono::steady_clock::now();
  const RunOutcome out = RunAttentionProperty(
      k, p, Settings(p), fmt::format("attention/{}/{}", Info(p).name, k.name));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(out.trouble) << out.report;
  EXPECT_FALSE(out.falsified) << k.name << " fails " << Info(p).name << " ("
                              << Info(p).claim << ")\n"
                              << out.report << Rerun(out);
  fmt::print("{} {}: {} cases in {:.2f} s, worst error {:.3g} of the allowance\n",
             Info(p).name, k.name, out.cases, seconds, out.worst_ratio);
  if (out.worst_ratio > 0.5 && out.worst_ratio <= 1)
    fmt::print("  closest to the bound: {}", out.worst_case);
  ::testing::Test::RecordProperty("cases", out.cases);
}

// Only the pairs where the property says something: IndependentOfBlockSize
// for kernels with a blocked entry, and so on (AttentionPropertyApplies).
std::vector<KernelProperty> AllKernelProperties() {
  std::vector<KernelProperty> all;
  const std::vector<const AttentionKernel*> heads = FamilyHeads();
  for (const AttentionPropertyInfo& p : AllAttentionProperties())
    for (const AttentionKernel& k : AttentionKernels())
      if (AttentionPropertyApplies(k, p.property, heads))
        all.push_back({k.name, p.property});
  return all;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, AttentionRegistryProperty, ::testing::ValuesIn(AllKernelProperties()),
    [](const ::testing::TestParamInfo<KernelProperty>& info) {
      return TestName(fmt::format("{}_{}", Info(info.param.property).name,
                                  info.param.kernel));
    });

// ---- declared expected failures are found, and shrunk ------------------------

struct Declared {
  std::string kernel;
  Clause clause;
};

void PrintTo(const Declared& d, std::ostream* os) {
  *os << d.kernel << " " << ClauseName(d.clause);
}

class AttentionDeclaredFailure : public ::testing::TestWithParam<Declared> {};

TEST_P(AttentionDeclaredFailure, IsFoundAndShrunk) {
  const AttentionKernel& k = *FindAttentionKernel(GetParam().kernel);
  const Clause c = GetParam().clause;
  const AttentionProperty p = AttentionPropertyFor(c);
  AttentionRunSettings s = Settings(p);
  s.declared = c;
  const RunOutcome out = RunAttentionProperty(
      k, p, s, fmt::format("attention/declared/{}/{}", ClauseName(c), k.name));
  ASSERT_FALSE(out.trouble) << out.report;
  ASSERT_TRUE(out.falsified)
      << k.name << " declares that it breaks " << ClauseName(c) << ", but "
      << Info(p).name << " found no case in " << out.cases
      << ": a suite that cannot see the failure has lost its power";
  // Shrunk: the counterexample is one query, at most two keys, one
  // dimension each way -- the failure itself, nothing around it.
  EXPECT_GT(out.shrinks, 0) << out.report;
  EXPECT_NE(out.report.find("n_q = 1, n_kv = 1, d = 1, d_v = 1"), std::string::npos)
      << "not shrunk to a 1 x 1 x 1 x 1 problem:\n" << out.report;
  fmt::print("{} breaks {} as it declares; {} found it after {} passing cases "
             "and shrank it in {} steps:\n{}",
             k.name, ClauseName(c), Info(p).name, out.cases, out.shrinks,
             out.report);
}

std::vector<Declared> AllDeclared() {
  std::vector<Declared> all;
  for (const AttentionKernel& k : AttentionKernels())
    for (const AttentionExpectedFailure& e : k.claims.expected_failures)
      all.push_back({k.name, e.clause});
  return all;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, AttentionDeclaredFailure, ::testing::ValuesIn(AllDeclared()),
    [](const ::testing::TestParamInfo<Declared>& info) {
      return TestName(fmt::format("{}_{}", info.param.kernel,
                                  ClauseName(info.param.clause)));
    });

// The headline: naive's overflow shrinks to one query, one key and a score
// just past log(FLT_MAX) = 88.7228391...: q = [1], k = [0x1.62e43p+6], where
// expf overflows to inf and inf / inf is NaN.
TEST(NaiveAttentionOverflow, ShrinksToTheFirstScorePastLogFltMax) {
  const AttentionKernel* naive = FindAttentionKernel("naive");
  ASSERT_NE(naive, nullptr);
  AttentionRunSettings s = Settings(AttentionProperty::kOverflowSafe);
  s.declared = Clause::kOverflowSafe;
  const RunOutcome out = RunAttentionProperty(
      *naive, AttentionProperty::kOverflowSafe, s, "attention/naive-overflow-demo");
  ASSERT_TRUE(out.falsified) << out.report;
  fmt::print("{}", out.report);
  EXPECT_NE(out.report.find("q[0] = 1 (0x1p+0)\n  k[0] = 88.72284 (0x1.62e43p+6)"),
            std::string::npos)
      << out.report;
}

// ---- the properties can fail: deliberately wrong kernels ----------------------

class AttentionFixtureRun : public ::testing::TestWithParam<size_t> {};

TEST_P(AttentionFixtureRun, IsCaughtByItsProperty) {
  const AttentionFixture& f = AttentionFixtures()[GetParam()];
  const AttentionKernel& k = f.kernel;
  const std::vector<const AttentionKernel*> heads = FamilyHeads();
  if (f.correct) {
    // The correct base of every wrong kernel passes every property: the
    // failures below are the bugs', not the scaffolding's.
    for (const AttentionPropertyInfo& info : AllAttentionProperties()) {
      if (!AttentionPropertyApplies(k, info.property, heads)) continue;
      const RunOutcome out = RunAttentionProperty(
          k, info.property, Settings(info.property),
          fmt::format("attention/{}/{}", info.name, k.name));
      EXPECT_FALSE(out.falsified) << k.name << " is correct but fails "
                                  << info.name << "\n" << out.report << Rerun(out);
    }
    return;
  }
  const AttentionProperty p = f.caught_by;
  const RunOutcome out = RunAttentionProperty(
      k, p, Settings(p), fmt::format("attention/{}/{}", Info(p).name, k.name));
  ASSERT_FALSE(out.trouble) << out.report;
  ASSERT_TRUE(out.falsified) << k.name << " (" << k.summary << ") is wrong but "
                             << Info(p).name << " passed " << out.cases
                             << " cases: the property cannot see it";
  fmt::print("{} fails {} after {} passing cases, shrunk in {} steps:\n{}",
             k.name, Info(p).name, out.cases, out.shrinks, out.report);
}

std::vector<size_t> FixtureIndices() {
  std::vector<size_t> all;
  for (size_t i = 0; i < AttentionFixtures().size(); ++i) all.push_back(i);
  return all;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, AttentionFixtureRun, ::testing::ValuesIn(FixtureIndices()),
    [](const ::testing::TestParamInfo<size_t>& info) {
      return TestName(AttentionFixtures()[info.param].kernel.name);
    });

// Which properties catch which bug: every wrong kernel against every
// property, few cases each. Printed as a table; the property meant for each
// bug must be among those that catch it.
TEST(AttentionFixtures, DetectionTable) {
  const std::vector<const AttentionKernel*> heads = FamilyHeads();
  const std::vector<AttentionPropertyInfo>& all = AllAttentionProperties();
  std::string header = fmt::format("{:<28}", "");
  for (size_t p = 0; p < all.size(); ++p) header += fmt::format(" {:>3}", p + 1);
  fmt::print("{}\n", header);
  for (const AttentionFixture& f : AttentionFixtures()) {
    if (f.correct) continue;
    std::string line = fmt::format("{:<28}", f.kernel.name);
    bool meant_caught = false;
    for (const AttentionPropertyInfo& info : all) {
      if (!AttentionPropertyApplies(f.kernel, info.property, heads)) {
        line += fmt::format(" {:>3}", "-");
        continue;
      }
      AttentionRunSettings s = Settings(info.property);
      s.cases = DeepRun() ? 200 : 30;
      s.shrink = false;
      const RunOutcome out = RunAttentionProperty(
          f.kernel, info.property, s,
          fmt::format("attention/table/{}/{}", info.name, f.kernel.name));
      const bool caught = out.falsified;
      if (info.property == f.caught_by) meant_caught = caught;
      line += fmt::format(" {:>3}", caught ? (info.property == f.caught_by ? "X*" : "X")
                                           : (info.property == f.caught_by ? ".*" : "."));
    }
    fmt::print("{}\n", line);
    EXPECT_TRUE(meant_caught) << f.kernel.name << " is not caught by "
                              << Info(f.caught_by).name << " within " << (DeepRun() ? 200 : 30)
                              << " cases";
  }
  std::string legend = "X: caught, .: not caught within the cases run, *: the "
                       "property meant for the bug; columns:";
  for (size_t p = 0; p < all.size(); ++p)
    legend += fmt::format(" {} {}{}", p + 1, all[p].name, p + 1 < all.size() ? "," : "");
  fmt::print("{}\n", legend);
}

// ---- printing ------------------------------------------------------------------

TEST(AttentionReplay, CommandCarriesEveryValueAsHexFloat) {
  AttentionCase c;
  c.n_q = 1;
  c.n_kv = 2;
  c.d = 1;
  c.d_v = 1;
  c.q = {1.5f};
  c.k = {0x1p+7f, -std::numeric_limits<float>::infinity()};
  c.v = {std::numeric_limits<float>::quiet_NaN(), 0.25f};
  c.mask = {0.0f, -1.0f};
  c.causal = kCausalBottomRight;
  c.scale = 0.125f;
  EXPECT_EQ(AttentionEvalCommand("--impl naive", c),
            "softcheck eval --impl naive --kind attention-f32 --shape 1x2x1x1 "
            "--causal 2 --scale 0x1p-3 --q 0x1.8p+0 --k 0x1p+7,-inf "
            "--v nan,0x1p-2 --mask 0x0p+0,-0x1p+0");
  const std::string text = FormatAttentionCase(c);
  EXPECT_NE(text.find("k[0] = 128 (0x1p+7)"), std::string::npos) << text;
  EXPECT_NE(text.find("bottom-right"), std::string::npos) << text;
}

}  // namespace
}  // namespace softcheck::properties
