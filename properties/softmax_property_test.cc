// The property suite under GoogleTest: every property against every registry
// entry (each Highway target included) in float and double; every declared
// expected failure shown to still fail, with its shrunk counterexample; and
// the accuracy rule shown to separate correct kernels from deliberately wrong
// ones (properties/wrong_kernels.h).
//
// Under ctest the seed is fixed (RC_PARAMS, properties/CMakeLists.txt) and
// the case counts bounded; SOFTCHECK_DEEP=1 runs ten times the cases on rows
// up to 2^20 elements. A failure prints the counterexample (decimal and hex),
// the `softcheck eval` commands that replay its rows, and the RC_PARAMS
// string with the command line that replays the whole run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "impl/registry.h"
#include "oracle/oracle.h"
#include "oracle/verdict.h"
#include "properties/property_driver.h"
#include "properties/softmax_properties.h"
#include "properties/wrong_kernels.h"

namespace softcheck::properties {
namespace {

std::string TestName(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

// The command line that reruns the current test with RapidCheck's
// reproduction string (only that property: the others are not in the map).
std::string Rerun(const RunOutcome& out) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return fmt::format("rerun: {} {} --gtest_filter='{}.{}'\n", out.reproduce,
                     error ? "softcheck_property_tests" : self.string(),
                     info->test_suite_name(), info->name());
}

std::vector<const SoftmaxKernel*> Registry() {
  std::vector<const SoftmaxKernel*> all;
  for (const SoftmaxKernel& k : SoftmaxKernels()) all.push_back(&k);
  return all;
}

// The references for AgreesAcrossImplementations: each family's first entry
// (Highway's is the dispatching one). Every entry is compared with every
// family, and the per-target entries are compared with the dispatcher, at a
// third of the cost of all pairs.
std::vector<const SoftmaxKernel*> FamilyHeads() {
  std::vector<const SoftmaxKernel*> heads;
  for (const SoftmaxKernel& k : SoftmaxKernels())
    if (k.name == k.family) heads.push_back(&k);
  return heads;
}

template <typename T>
RunOutcome Holds(const SoftmaxKernel& k, Property p) {
  RunSettings s = DefaultSettings(p, DeepRun());
  s.check.references = FamilyHeads();
  const std::string id = fmt::format("{}/{}/{}", Info(p).name, k.name, LaneTypeName<T>());
  const RunOutcome out = RunProperty<T>(k, p, s, id);
  EXPECT_FALSE(out.trouble) << out.report;
  EXPECT_FALSE(out.falsified) << k.name << " " << LaneTypeName<T>() << " fails "
                              << Info(p).name << " (" << Info(p).claim << ")\n"
                              << out.report << Rerun(out);
  fmt::print("{} {} {}: {} cases, worst error {:.3g} of the allowance\n",
             Info(p).name, k.name, LaneTypeName<T>(), out.cases, out.worst_ratio);
  // Where a correct kernel comes close to the rule's bound, show the case:
  // the rule's margin is worth watching.
  if (out.worst_ratio > 0.5 && out.worst_ratio <= 1)
    fmt::print("  closest to the bound: {}", out.worst_case);
  ::testing::Test::RecordProperty("cases", out.cases);
  return out;
}

// ---- every property, every registry entry ---------------------------------

struct KernelProperty {
  std::string kernel;
  Property property;
  bool f64;
};

void PrintTo(const KernelProperty& p, std::ostream* os) {
  *os << Info(p.property).name << " " << p.kernel << (p.f64 ? " f64" : " f32");
}

class RegistryProperty : public ::testing::TestWithParam<KernelProperty> {};

TEST_P(RegistryProperty, Holds) {
  const SoftmaxKernel& k = *FindSoftmaxKernel(GetParam().kernel);
  if (GetParam().f64) Holds<double>(k, GetParam().property);
  else Holds<float>(k, GetParam().property);
}

std::vector<KernelProperty> AllKernelProperties() {
  std::vector<KernelProperty> all;
  for (const PropertyInfo& p : AllProperties())
    for (const SoftmaxKernel& k : SoftmaxKernels())
      for (bool f64 : {false, true}) all.push_back({k.name, p.property, f64});
  return all;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, RegistryProperty, ::testing::ValuesIn(AllKernelProperties()),
    [](const ::testing::TestParamInfo<KernelProperty>& info) {
      return TestName(fmt::format("{}_{}_{}", Info(info.param.property).name,
                                  info.param.kernel, info.param.f64 ? "f64" : "f32"));
    });

// ---- declared expected failures are found, and shown ------------------------

struct Declared {
  std::string kernel;
  Clause clause;
  bool f64;
};

void PrintTo(const Declared& d, std::ostream* os) {
  *os << d.kernel << " " << ClauseName(d.clause) << (d.f64 ? " f64" : " f32");
}

class DeclaredFailure : public ::testing::TestWithParam<Declared> {};

template <typename T>
void ExpectFound(const SoftmaxKernel& k, Clause c) {
  const Property p = PropertyFor(c);
  RunSettings s = DefaultSettings(p, DeepRun());
  s.check.references = FamilyHeads();
  s.declared = c;
  const std::string id = fmt::format("declared/{}/{}/{}", ClauseName(c), k.name,
                                     LaneTypeName<T>());
  const RunOutcome out = RunProperty<T>(k, p, s, id);
  ASSERT_FALSE(out.trouble) << out.report;
  ASSERT_TRUE(out.falsified)
      << k.name << " " << LaneTypeName<T>() << " declares that it breaks "
      << ClauseName(c) << ", but " << Info(p).name << " found no case in "
      << out.cases << ": a suite that cannot see the failure has lost its power";
  // The demonstration: the shrunk counterexample, printed on every run.
  fmt::print("{} {} breaks {} as it declares; {} found it after {} passing "
             "cases and shrank it in {} steps:\n{}",
             k.name, LaneTypeName<T>(), ClauseName(c), Info(p).name, out.cases,
             out.shrinks, out.report);
}

TEST_P(DeclaredFailure, IsStillFound) {
  const SoftmaxKernel& k = *FindSoftmaxKernel(GetParam().kernel);
  if (GetParam().f64) ExpectFound<double>(k, GetParam().clause);
  else ExpectFound<float>(k, GetParam().clause);
}

std::vector<Declared> AllDeclared() {
  std::vector<Declared> all;
  for (const SoftmaxKernel& k : SoftmaxKernels())
    for (const ExpectedFailure& e : k.claims.expected_failures)
      for (bool f64 : {false, true}) all.push_back({k.name, e.clause, f64});
  return all;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, DeclaredFailure, ::testing::ValuesIn(AllDeclared()),
    [](const ::testing::TestParamInfo<Declared>& info) {
      return TestName(fmt::format("{}_{}_{}", info.param.kernel,
                                  ClauseName(info.param.clause),
                                  info.param.f64 ? "f64" : "f32"));
    });

// The headline: in float, naive's overflow shrinks to one value just past
// log(FLT_MAX) = 88.7228391..., where expf overflows to inf and inf / inf is
// NaN.
TEST(NaiveOverflow, ShrinksToOneValueJustAboveLogFltMax) {
  const SoftmaxKernel* naive = FindSoftmaxKernel("naive");
  ASSERT_NE(naive, nullptr);
  RunSettings s = DefaultSettings(Property::kOverflowSafe, DeepRun());
  s.declared = Clause::kOverflowSafe;
  const RunOutcome out =
      RunProperty<float>(*naive, Property::kOverflowSafe, s, "naive-overflow-demo");
  ASSERT_TRUE(out.falsified) << out.report;
  fmt::print("{}", out.report);
  // The first float above log(FLT_MAX) is 0x1.62e43p+6 = 88.72283935546875.
  EXPECT_NE(out.report.find("x[0] = 88.72284 (0x1.62e43p+6)"), std::string::npos)
      << out.report;
  EXPECT_NE(out.report.find("n = 1,"), std::string::npos) << out.report;
}

// ---- the accuracy rule separates correct kernels from wrong ones ------------

class FixtureRun : public ::testing::TestWithParam<std::pair<size_t, bool>> {};

template <typename T>
void CheckFixture(const Fixture& f) {
  const SoftmaxKernel& k = f.kernel;
  if (f.correct) {
    // Held to the rule and to the relations the rule bounds.
    for (Property p : {Property::kAccuracy, Property::kSumsToOne,
                       Property::kPermutation, Property::kMasking}) {
      RunSettings s = DefaultSettings(p, DeepRun());
      const RunOutcome out = RunProperty<T>(
          k, p, s, fmt::format("{}/{}/{}", Info(p).name, k.name, LaneTypeName<T>()));
      EXPECT_FALSE(out.falsified) << k.name << " is correct but fails "
                                  << Info(p).name << "\n" << out.report << Rerun(out);
      fmt::print("{} {} {}: passes, {} cases, worst error {:.3g} of the allowance\n",
                 k.name, LaneTypeName<T>(), Info(p).name, out.cases, out.worst_ratio);
    }
    return;
  }
  const Property p = f.caught_by;
  RunSettings s = DefaultSettings(p, DeepRun());
  const RunOutcome out = RunProperty<T>(
      k, p, s, fmt::format("{}/{}/{}", Info(p).name, k.name, LaneTypeName<T>()));
  ASSERT_TRUE(out.falsified) << k.name << " (" << k.summary << ") is wrong but "
                             << Info(p).name << " passed " << out.cases
                             << " cases: the rule (or the property) cannot see it";
  fmt::print("{} {} fails {} after {} passing cases (worst error {:.3g} of the "
             "allowance):\n{}",
             k.name, LaneTypeName<T>(), Info(p).name, out.cases, out.worst_ratio,
             out.report);
}

TEST_P(FixtureRun, RuleSeparatesIt) {
  const Fixture& f = Fixtures()[GetParam().first];
  if (GetParam().second) CheckFixture<double>(f);
  else CheckFixture<float>(f);
}

std::vector<std::pair<size_t, bool>> AllFixtures() {
  std::vector<std::pair<size_t, bool>> all;
  for (size_t i = 0; i < Fixtures().size(); ++i)
    for (bool f64 : {false, true}) all.emplace_back(i, f64);
  return all;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, FixtureRun, ::testing::ValuesIn(AllFixtures()),
    [](const ::testing::TestParamInfo<std::pair<size_t, bool>>& info) {
      return TestName(fmt::format("{}_{}", Fixtures()[info.param.first].kernel.name,
                                  info.param.second ? "f64" : "f32"));
    });

// Fixed rows, each judged for every fixture and every registry entry against
// one oracle evaluation: the table of worst error / allowance ratios. Correct
// kernels stay at or below 1 on every row, up to 2^16 elements (2^20 in the
// deep run); the wrong ones exceed it (the -1e4 mask on its masked rows).
struct BatteryRow {
  std::string what;
  std::vector<double> x;
};

std::vector<BatteryRow> Battery(bool deep) {
  std::mt19937_64 rng(2024);
  auto uniform = [&rng](size_t n, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<double> x(n);
    for (double& v : x) v = d(rng);
    return x;
  };
  std::vector<BatteryRow> rows = {
      {"7 logits in [-20, 20]", uniform(7, -20, 20)},
      {"1000 logits in [-20, 20]", uniform(1000, -20, 20)},
      {"4096 in [-1e-3, 1e-3] (tiny spread)", uniform(4096, -1e-3, 1e-3)},
      {"1000 in [-1e4, 0] (wide)", uniform(1000, -1e4, 0)},
      {"100 in [-1e30, 1e30]", uniform(100, -1e30, 1e30)},
      {"1000 ascending in [-20, 20]", uniform(1000, -20, 20)},
  };
  std::sort(rows.back().x.begin(), rows.back().x.end());
  std::vector<double> cluster = uniform(64, 20, 68);
  cluster[5] = 90, cluster[17] = 89, cluster[40] = 88;  // 88 + {2, 1, 0}
  rows.push_back({"64 with tops 88 + {2, 1, 0}", cluster});
  const size_t big = deep ? size_t{1} << 20 : size_t{1} << 16;
  rows.push_back({fmt::format("{} logits in [-20, 20]", big), uniform(big, -20, 20)});
  rows.push_back({"masked: [-2e4, -3e4, -inf, -inf]", {-2e4, -3e4, -INFINITY, -INFINITY}});
  rows.push_back({"fully masked: 5 x -inf", std::vector<double>(5, -INFINITY)});
  return rows;
}

template <typename T>
void SeparationTable() {
  std::vector<const SoftmaxKernel*> kernels = Registry();
  for (const Fixture& f : Fixtures()) kernels.push_back(&f.kernel);
  std::vector<double> worst(kernels.size(), 0);
  std::vector<std::string> broken(kernels.size());
  for (const BatteryRow& row : Battery(DeepRun())) {
    std::vector<T> x(row.x.begin(), row.x.end());
    const std::vector<long double> exact =
        oracle::Softmax(x.data(), x.size(), T(1)).exact;
    bool masked = false;
    for (T v : x) masked |= v == -std::numeric_limits<T>::infinity();
    for (size_t j = 0; j < kernels.size(); ++j) {
      const SoftmaxKernel& k = *kernels[j];
      // naive promises nothing outside exp's range (its declared failure).
      if (!k.claims.Promises(Clause::kOverflowSafe) &&
          !InExpRange(x.data(), x.size(), T(1)))
        continue;
      std::vector<T> y(x.size(), std::numeric_limits<T>::quiet_NaN());
      k.Run(x.data(), y.data(), x.size(), T(1));
      const AccuracyRule rule = RuleFor(k.claims);
      const RowVerdict v = JudgeRow(x.data(), x.size(), T(1), y.data(), exact, rule);
      // The ratio column is the rule's alone: rows without -inf.
      if (!masked && v.accuracy.judged > 0)
        worst[j] = std::max(worst[j], v.accuracy.worst_ratio);
      for (const Finding& f : Unexpected(k, v.findings))
        if (broken[j].find(ClauseName(f.clause)) == std::string::npos)
          broken[j] += fmt::format("{}{} on \"{}\"", broken[j].empty() ? "" : "; ",
                                   ClauseName(f.clause), row.what);
    }
  }
  fmt::print("separation ({}): worst error / allowance on {} fixed finite "
             "rows, and the clauses broken on any row\n",
             LaneTypeName<T>(), Battery(false).size() - 2);
  for (size_t j = 0; j < kernels.size(); ++j) {
    const SoftmaxKernel& k = *kernels[j];
    fmt::print("  {:<24} {:>10.3g}  {}\n", k.name, worst[j],
               broken[j].empty() ? "holds" : "FAILS " + broken[j]);
    const Fixture* fixture = nullptr;
    for (const Fixture& f : Fixtures())
      if (&f.kernel == &k) fixture = &f;
    const bool correct = fixture == nullptr ? true : fixture->correct;
    if (correct) {
      EXPECT_TRUE(broken[j].empty()) << k.name << ": " << broken[j];
    } else {
      EXPECT_FALSE(broken[j].empty()) << k.name << " is wrong but holds on every row";
    }
  }
}

TEST(Separation, FixedRowsTableF32) { SeparationTable<float>(); }
TEST(Separation, FixedRowsTableF64) { SeparationTable<double>(); }

}  // namespace
}  // namespace softcheck::properties
