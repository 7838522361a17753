// Unit tests of softcheck report's pieces: the timing loop, the input
// distributions, the error summary, the plot and the renderers.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "impl/registry.h"
#include "report/accuracy_sweep.h"
#include "report/measure.h"
#include "report/plot.h"
#include "report/render.h"
#include "tests/report/xml_check.h"

namespace softcheck::report {
namespace {

using softcheck::testing::CheckXml;

TEST(Median, OddAndEvenCounts) {
  std::vector<double> odd = {5, 1, 3};
  EXPECT_EQ(Median(odd), 3);
  std::vector<double> even = {4, 1, 3, 2};
  EXPECT_EQ(Median(even), 2.5);
  std::vector<double> none;
  EXPECT_EQ(Median(none), 0);
}

TEST(TimeCalls, WarmsUpCalibratesAndRepeats) {
  std::atomic<long> calls{0};
  TimingOptions o;
  o.warmup_calls = 2;
  o.reps = 5;
  o.min_rep_s = 0.001;
  int between = 0;
  o.between_reps = [&] { ++between; };
  const Timing t = TimeCalls([&] { calls.fetch_add(1); }, o);
  EXPECT_EQ(t.reps, 5);
  EXPECT_EQ(between, 5);
  EXPECT_GE(t.calls_per_rep, 1);
  // warm-up + calibration + the timed repetitions, nothing else
  EXPECT_EQ(calls.load(), 2 + 1 + 5 * t.calls_per_rep);
  EXPECT_GT(t.seconds_per_call, 0);
  EXPECT_LE(t.fastest, t.seconds_per_call);
  EXPECT_GE(t.slowest, t.seconds_per_call);
}

TEST(TimeCalls, ASlowCallIsTimedOncePerRepetition) {
  TimingOptions o;
  o.warmup_calls = 0;
  o.reps = 3;
  o.min_rep_s = 0.001;
  const Timing t = TimeCalls([] {
    volatile double s = 0;
    for (int i = 0; i < 2000000; ++i) s = s + 1;
  }, o);
  EXPECT_EQ(t.calls_per_rep, 1);
  EXPECT_GT(t.seconds_per_call, 1e-4);
}

TEST(SoftmaxInputs, AreDeterministicAndDistinctPerDistribution) {
  EXPECT_EQ(SoftmaxInputs<float>(0, 2, 64, 1), SoftmaxInputs<float>(0, 2, 64, 1));
  EXPECT_NE(SoftmaxInputs<float>(0, 2, 64, 1), SoftmaxInputs<float>(0, 2, 64, 2));
  EXPECT_NE(SoftmaxInputs<float>(0, 2, 64, 1), SoftmaxInputs<float>(1, 2, 64, 1));
}

TEST(SoftmaxInputs, WideLogitsPassExpsOverflowThreshold) {
  const std::vector<float> x = SoftmaxInputs<float>(2, 4, 1024, 1);
  float hi = 0;
  for (float v : x) hi = std::max(hi, std::fabs(v));
  EXPECT_GT(hi, 88.73f);   // exp overflows in float
  EXPECT_LE(hi, 4096.0f);
}

TEST(SoftmaxInputs, MaskedRowsHoldMinusInfinityAndAFiniteEntry) {
  const size_t n = 64, rows = 50;
  const std::vector<double> x = SoftmaxInputs<double>(3, rows, n, 1);
  size_t masked = 0;
  for (size_t r = 0; r < rows; ++r) {
    size_t finite = 0;
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(x[r * n + i])) ++finite;
      else if (x[r * n + i] == -std::numeric_limits<double>::infinity()) ++masked;
      else ADD_FAILURE() << "neither finite nor -inf";
    }
    EXPECT_GE(finite, 1u);
  }
  EXPECT_GT(masked, rows * n / 4);
  EXPECT_LT(masked, rows * n * 3 / 4);
}

TEST(SoftmaxSample, MaxShiftIsWithinAFewUlpOfTheOracle) {
  const SoftmaxSample<float> s = MakeSoftmaxSample<float>(1, 4, 256, 1);
  ASSERT_EQ(s.exact.size(), s.x.size());
  const SoftmaxKernel* k = FindSoftmaxKernel("maxshift");
  ASSERT_NE(k, nullptr);
  std::vector<float> y(s.x.size());
  for (size_t r = 0; r < s.rows; ++r) k->f32(s.x.data() + r * 256, y.data() + r * 256, 256, 1.0f);
  ErrorAccumulator a;
  a.Add(y.data(), s.exact.data(), y.size());
  const DistributionError e = a.Summary("uniform20");
  EXPECT_EQ(e.elements, s.x.size());
  EXPECT_EQ(e.nonfinite, 0u);
  // uniform [-20, 20]: rounding x - max costs up to ~40 ULP in exp (the
  // accuracy rule's |z| term); far less than that is a measurement bug.
  EXPECT_LT(e.max_ulp, 64);
  EXPECT_GT(e.max_ulp, 0);
  EXPECT_LE(e.median_ulp, e.max_ulp);
}

TEST(ErrorAccumulator, CountsNanAsInfiniteErrorAndSkipsSubnormalRelativeError) {
  const long double exact[4] = {0.5L, 0.25L, 1e-40L, 0.0L};
  const float actual[4] = {0.5f, std::nanf(""), 0.0f, 0.0f};
  ErrorAccumulator a;
  a.Add(actual, exact, 4);
  const DistributionError e = a.Summary("x");
  EXPECT_EQ(e.nonfinite, 1u);
  EXPECT_TRUE(std::isinf(e.max_ulp));
  // 1e-40 underflow to 0 is a relative error of 1 but below FLT_MIN: not counted;
  // the NaN is.
  EXPECT_TRUE(std::isinf(e.max_rel));
  ErrorAccumulator b;
  const float ok[3] = {0.5f, 0.25f, 0.0f};
  b.Add(ok, exact, 3);
  EXPECT_EQ(b.Summary("y").max_rel, 0);
  EXPECT_EQ(b.Summary("y").median_ulp, 0);
}

TEST(ErrorAccumulator, KeepsTinyOutputsApartFromTheRest) {
  EXPECT_EQ(FloorUlpThreshold<float>(), std::ldexp(1.0L, -103));
  EXPECT_EQ(FloorUlpThreshold<double>(), std::ldexp(1.0L, -970));
  // 1e-40 rounds to a float subnormal: 0 there is a flush (about 7e4 ULPs of
  // denorm_min). 1e-50 rounds to 0 itself: 0 is right, not counted.
  const long double exact[3] = {0.5L, 1e-40L, 1e-50L};
  const float actual[3] = {std::nextafter(0.5f, 1.0f), 0.0f, 0.0f};
  ErrorAccumulator a;
  a.Add(actual, exact, 3);
  const DistributionError e = a.Summary("x");
  EXPECT_EQ(e.underflow, 1u);
  EXPECT_GT(e.max_ulp, 1e4);
  EXPECT_EQ(e.max_ulp_above_floor, 1);
  EXPECT_EQ(e.nonfinite, 0u);
}

TEST(ErrorAccumulator, MedianIsOverEveryMergedElement) {
  const long double exact[3] = {1.0L, 1.0L, 1.0L};
  const float one_ulp = std::nextafter(1.0f, 2.0f);  // 1 + 2^-23: one ULP of 1
  const float a1[3] = {1.0f, 1.0f, one_ulp};
  ErrorAccumulator a, b;
  a.Add(a1, exact, 3);
  const float b1[3] = {one_ulp, one_ulp, one_ulp};
  b.Add(b1, exact, 3);
  a.Merge(b);
  const DistributionError e = a.Summary("all");
  EXPECT_EQ(e.elements, 6u);
  EXPECT_EQ(e.max_ulp, 1);
  EXPECT_EQ(e.median_ulp, 1);  // four of six elements are 1 ULP off
}

TEST(AttentionSample, SamplesFirstAndLastRowsAndMasksAboveTheDiagonal) {
  const AttentionSample s = MakeAttentionSample(2, 40, 8, 5, 1, 1);
  ASSERT_EQ(s.sampled_rows.size(), 5u);
  EXPECT_EQ(s.sampled_rows.front(), 0u);
  EXPECT_EQ(s.sampled_rows.back(), 39u);
  EXPECT_EQ(s.exact.exact.size(), 5u * 8);
  ASSERT_EQ(s.problem.mask.size(), 40u * 40);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(s.problem.mask[i * 40 + i], 0.0f);
    for (size_t j = i + 1; j < 40; ++j)
      EXPECT_EQ(s.problem.mask[i * 40 + j], -std::numeric_limits<float>::infinity());
  }
  // Row 0 sees key 0 alone: its output is v_0, exactly.
  for (size_t c = 0; c < 8; ++c)
    EXPECT_EQ(s.exact.exact[c], static_cast<long double>(s.problem.v[c]));
}

TEST(Plot, IsWellFormedSvgWithLegendAxesAndPeersMarked) {
  PlotSpec spec;
  spec.title = "softmax-f32 <test> & more";
  spec.x_label = "time per element, ns (log)";
  spec.y_label = "max error, ULP (log)";
  spec.points = {{"maxshift", "built-in", "64", 1.5, 3.2},
                 {"maxshift", "built-in", "1K", 1.2, 4.0},
                 {"onednn", "peer", "64", 0.3, 0.9},
                 {"naive", "built-in", "64", 1.0, INFINITY},
                 {"user:f", "user", "64", 2.0, 0.0},
                 {"unmeasured", "built-in", "64", NAN, 1.0}};
  const std::string svg = ErrorTimePlotSvg(spec);
  EXPECT_EQ(CheckXml(svg), "") << svg;
  EXPECT_NE(svg.find("softmax-f32 &lt;test&gt; &amp; more"), std::string::npos);
  EXPECT_NE(svg.find(">onednn (peer)</text>"), std::string::npos);  // the legend
  EXPECT_NE(svg.find("<rect x=\""), std::string::npos);     // a peer's square
  EXPECT_NE(svg.find(">user:f (user)</text>"), std::string::npos);
  EXPECT_NE(svg.find("NaN/inf"), std::string::npos);
  EXPECT_NE(svg.find("time per element, ns (log)"), std::string::npos);
  EXPECT_NE(svg.find("1 point(s) without a time left out"), std::string::npos);
}

TEST(PlaceLabels, AvoidsMarkersAndOtherLabelsAndLeavesOutWhatCannotFit) {
  const Box area{0, 0, 200, 100};
  // Two points 4 units apart: the second label must go elsewhere than the
  // first's right-up place; a point in a corner cannot use places outside.
  const std::vector<std::pair<double, double>> anchors = {{50, 50}, {54, 50}, {195, 5}};
  const std::vector<double> widths = {20, 20, 20};
  const auto placed = PlaceLabels(anchors, widths, 9, 7, area);
  ASSERT_EQ(placed.size(), 3u);
  for (size_t i = 0; i < placed.size(); ++i) {
    ASSERT_TRUE(placed[i].has_value()) << i;
    const Box& b = *placed[i];
    EXPECT_GE(b.x0, area.x0);
    EXPECT_LE(b.x1, area.x1);
    EXPECT_GE(b.y0, area.y0);
    EXPECT_LE(b.y1, area.y1);
    for (const auto& [x, y] : anchors)
      EXPECT_FALSE(b.Overlaps({x - 7, y - 7, x + 7, y + 7})) << i;
    for (size_t j = 0; j < i; ++j) EXPECT_FALSE(b.Overlaps(*placed[j])) << i << " " << j;
  }
  EXPECT_EQ(placed[0]->x0, 59);  // right-up, the first choice
  EXPECT_EQ(placed[0]->y1, 41);
  EXPECT_LT(placed[2]->x1, 195);  // left of the corner point
  // Twelve points on one spot: labels until the eight places around it are
  // used up (fewer where a label's place overlaps another's), none after.
  const std::vector<std::pair<double, double>> crowd(12, {100, 50});
  const auto crowded = PlaceLabels(crowd, std::vector<double>(12, 20), 9, 7, area);
  size_t labelled = 0;
  for (const auto& p : crowded) labelled += p.has_value();
  EXPECT_GE(labelled, 1u);
  EXPECT_LE(labelled, 8u);
  EXPECT_FALSE(crowded.back().has_value());
}

TEST(XmlCheck, RejectsWhatIsNotWellFormed) {
  EXPECT_EQ(CheckXml("<a><b x=\"1\"/></a>"), "");
  EXPECT_NE(CheckXml("<a><b></a>"), "");
  EXPECT_NE(CheckXml("<a x=1></a>"), "");
  EXPECT_NE(CheckXml("<a>&nbsp;</a>"), "");
  EXPECT_NE(CheckXml("<a></a><b></b>"), "");
  EXPECT_NE(CheckXml("<a>1 < 2</a>"), "");
}

TEST(ShortSize, NamesPowersOfTwo) {
  EXPECT_EQ(ShortSize(64), "64");
  EXPECT_EQ(ShortSize(1024), "1K");
  EXPECT_EQ(ShortSize(16384), "16K");
  EXPECT_EQ(ShortSize(size_t{1} << 20), "1M");
  EXPECT_EQ(ShortSize(1000), "1000");
}

TEST(CellJson, RoundTripsNonFiniteNumbersAndFailures) {
  Cell c;
  c.n = 1024;
  c.ns_per_element = 0.25;
  c.gb_per_s = 32;
  c.gflop_per_s = NAN;
  c.max_ulp = INFINITY;
  c.median_ulp = 0.5;
  c.max_rel = 1e-7;
  c.nonfinite = 3;
  c.distributions.push_back({"wide", 100, INFINITY, 0.5, 1e-7, 3});
  Cell back;
  ASSERT_TRUE(CellFromJson(CellToJson(c), &back));
  EXPECT_EQ(back.n, 1024u);
  EXPECT_TRUE(std::isinf(back.max_ulp));
  EXPECT_TRUE(std::isnan(back.gflop_per_s));
  EXPECT_EQ(back.distributions.at(0).distribution, "wide");
  EXPECT_TRUE(std::isinf(back.distributions[0].max_ulp));
  EXPECT_EQ(back.nonfinite, 3u);
  c.failure = "CRASH: SIGSEGV at n = 1024";
  ASSERT_TRUE(CellFromJson(CellToJson(c), &back));
  EXPECT_EQ(back.failure, c.failure);
  EXPECT_FALSE(CellFromJson("not json", &back));
}

TEST(Markdown, TabulatesCellsAndQuotesViolations) {
  Report r;
  r.date = "2026-11-25T07:00:00Z";
  r.cpu = "Test CPU";
  Section s;
  s.kind = "softmax-f32";
  s.speed_unit = "GB/s";
  s.distributions = {"normal"};
  Implementation peer;
  peer.name = "xnnpack";
  peer.origin = "peer";
  peer.detail = "XNNPACK 0.0";
  Cell c;
  c.n = 64;
  c.ns_per_element = 0.5;
  c.gb_per_s = 16;
  c.max_ulp = 3;
  c.median_ulp = 0.5;
  c.max_rel = 2e-7;
  c.distributions.push_back({"normal", 64, 3, 0.5, 2e-7, 0});
  peer.cells.push_back(c);
  Cell crashed;
  crashed.n = 1024;
  crashed.failure = "CRASH: SIGSEGV at n = 1024";
  peer.cells.push_back(crashed);
  peer.contract.state = "checked";
  peer.contract.properties = 12;
  peer.contract.violations.push_back(
      {"MasksNegativeInfinity", "fully-masked", "FAIL", "y[0] = -inf on a fully masked row",
       "x[0] = -inf\n", "softcheck eval --lib p.so -- -inf"});
  // The clause the message names wins over the property's own.
  peer.contract.violations.push_back(
      {"SumsToOne", "sums-to-one", "FAIL", "breaks nan-propagation: y[0] = 0, expected NaN", "", ""});
  s.implementations.push_back(peer);
  r.sections.push_back(s);
  const std::string md = ReportMarkdown(r);
  EXPECT_NE(md.find("| xnnpack | peer, XNNPACK 0.0 | 64 | 0.5 | 16 | 3 | 0.5 | 2.00e-07 | **fully-masked, nan-propagation** |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| xnnpack | peer, XNNPACK 0.0 | 1024 | CRASH: SIGSEGV at n = 1024 |"),
            std::string::npos) << md;
  EXPECT_NE(md.find("`MasksNegativeInfinity` (fully-masked) FAIL: y[0] = -inf on a fully masked row"),
            std::string::npos) << md;
  EXPECT_NE(md.find("replay: `softcheck eval --lib p.so -- -inf`"), std::string::npos);
  EXPECT_NE(md.find("![softmax-f32: max error against time per element](plot-softmax-f32.svg)"),
            std::string::npos);
}

}  // namespace
}  // namespace softcheck::report
