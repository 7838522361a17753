// The README's example: a user's kernel, gated from the user's own test.
#include <gtest/gtest.h>
#include <gate/check.h>

#include <cmath>

// The kernel under test: a plain max-shift softmax.
static void MySoftmax(const float* x, float* y, size_t n) {
  float m = -INFINITY;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= std::isnan(x[i]) || x[i] == INFINITY;
    m = x[i] > m ? x[i] : m;
  }
  if (nan || m == -INFINITY) {  // NaN row, or fully masked
    for (size_t i = 0; i < n; ++i) y[i] = nan ? NAN : 0.0f;
    return;
  }
  float sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i] - m));
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

TEST(MySoftmax, KeepsTheSoftmaxContract) {
  softcheck::GateOptions options;
  options.cases = 50;
  const softcheck::GateResult result = softcheck::CheckSoftmax(&MySoftmax, options, "MySoftmax");
  EXPECT_TRUE(result.Ok()) << result.Summary();
}
