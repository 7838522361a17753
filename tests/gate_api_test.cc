// The C++ API a user's own tests call: softcheck::CheckSoftmax on a function
// pointer, isolated in a worker process, asserted on with GoogleTest.
#include <gtest/gtest.h>

#include <cmath>

#include "gate/check.h"

namespace {

void MaxShift(const float* x, float* y, size_t n) {
  if (n == 0) return;
  float m = -INFINITY;
  bool bad = false;
  for (size_t i = 0; i < n; ++i) {
    bad |= std::isnan(x[i]) || x[i] == INFINITY;
    m = x[i] > m ? x[i] : m;
  }
  if (bad || m == -INFINITY) {
    for (size_t i = 0; i < n; ++i) y[i] = bad ? NAN : 0.0f;
    return;
  }
  float sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i] - m));
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

void NoMaxShift(const float* x, float* y, size_t n) {
  float sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i]));
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

void CrashesOnNegatives(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (x[i] < -1e30f) *static_cast<volatile int*>(nullptr) = 1;
    y[i] = 1.0f / static_cast<float>(n);
  }
}

softcheck::GateOptions Quick() {
  softcheck::GateOptions o;
  o.cases = 40;
  return o;
}

const softcheck::PropertyResult* Find(const softcheck::GateResult& r, const char* property) {
  for (const auto& p : r.results)
    if (p.property == property) return &p;
  return nullptr;
}

TEST(GateApi, ACorrectKernelPasses) {
  const softcheck::GateResult r = softcheck::CheckSoftmax(&MaxShift, Quick(), "max_shift");
  EXPECT_TRUE(r.Ok()) << r.Summary();
  EXPECT_GT(r.Cases(), 400);
}

TEST(GateApi, TheTextbookFormulaFailsOverflowSafety) {
  const softcheck::GateResult r = softcheck::CheckSoftmax(&NoMaxShift, Quick(), "no_max_shift");
  EXPECT_FALSE(r.Ok());
  const softcheck::PropertyResult* p = Find(r, "NeverOverflows");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->status, softcheck::Status::kFail) << r.Summary();
  EXPECT_NE(p->reproduce.find("softcheck eval"), std::string::npos);
}

TEST(GateApi, ACrashIsAFindingAndTheTestProcessLives) {
  const softcheck::GateResult r =
      softcheck::CheckSoftmax(&CrashesOnNegatives, Quick(), "crashes");
  EXPECT_FALSE(r.Ok());
  bool crashed = false;
  for (const auto& p : r.results) crashed |= p.status == softcheck::Status::kCrash;
  EXPECT_TRUE(crashed) << r.Summary();
}

}  // namespace
