// The fuzz targets' checks (fuzz/fuzz_checks.h) on kernels built to break one
// promise: the batch entry must give each row its f32's bits, and a batch
// entry that does not is found, whichever row and buffer it breaks on; the
// registry's own batch entries pass the same check.
#include "fuzz/fuzz_checks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "impl/registry.h"

namespace softcheck::fuzz {
namespace {

// A correct max-shift row kernel: the reference the broken batches wrap.
void ShiftRow(const float* x, float* y, size_t n, float t) {
  float m = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < n; ++i) m = std::fmax(m, x[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    y[i] = std::exp((x[i] - m) / t);
    sum += y[i];
  }
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(y[i] / sum);
}
void ShiftRow64(const double* x, double* y, size_t n, double t) {
  double m = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) m = std::fmax(m, x[i]);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp((x[i] - m) / t));
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

void GoodBatch(const float* x, float* y, size_t rows, size_t n, float t) {
  for (size_t r = 0; r < rows; ++r) ShiftRow(x + r * n, y + r * n, n, t);
}
// Off by one ulp in the last element of the middle row only.
void MiddleRowOff(const float* x, float* y, size_t rows, size_t n, float t) {
  GoodBatch(x, y, rows, n, t);
  if (rows > 1 && n > 0) y[2 * n - 1] = std::nextafter(y[2 * n - 1], 2.0f);
}
// Right out of place, wrong in place: when x == y it overwrites y[2n].
void WrongInPlace(const float* x, float* y, size_t rows, size_t n, float t) {
  GoodBatch(x, y, rows, n, t);
  if (x == y && rows > 2) y[2 * n] = 0.25f;
}

SoftmaxKernel WithBatch(SoftmaxBatchF32 batch) {
  SoftmaxKernel k;
  k.name = k.family = "test";
  k.f32 = &ShiftRow;
  k.f64 = &ShiftRow64;
  k.batch_f32 = batch;
  return k;
}

size_t BatchFindings(const SoftmaxKernel& k, const std::vector<float>& x,
                     std::string* first = nullptr) {
  size_t found = 0;
  for (const Violation& v : CheckSoftmaxRow<float>(k, x, 1.0f, {})) {
    if (v.clause != Clause::kHygiene || v.what.find("batch_f32") == std::string::npos)
      continue;
    if (found++ == 0 && first != nullptr) *first = v.what + " | " + v.replay;
  }
  return found;
}

TEST(FuzzChecks, BatchEntryThatMatchesItsRowsPasses) {
  EXPECT_EQ(BatchFindings(WithBatch(&GoodBatch), {1, 2, 3, -4, 5}), 0u);
}

TEST(FuzzChecks, BatchEntryOffInOneRowIsFound) {
  std::string what;
  EXPECT_EQ(BatchFindings(WithBatch(&MiddleRowOff), {1, 2, 3, -4, 5}, &what), 2u);
  EXPECT_NE(what.find("batch_f32: y[4] = "), std::string::npos) << what;
  EXPECT_NE(what.find("row 1 (x reversed)"), std::string::npos) << what;
  EXPECT_NE(what.find("0x"), std::string::npos) << what;  // hex floats
  EXPECT_NE(what.find("fuzz_softmax_f32_replay"), std::string::npos) << what;
}

TEST(FuzzChecks, BatchEntryWrongOnlyInPlaceIsFound) {
  std::string what;
  EXPECT_EQ(BatchFindings(WithBatch(&WrongInPlace), {1, 2, 3, -4, 5}, &what), 1u);
  EXPECT_NE(what.find("in place (3 rows of 5), row 2"), std::string::npos) << what;
}

// A kernel without a batch entry is not called through one (a null batch_f32
// would crash here).
TEST(FuzzChecks, NoBatchEntryNothingToCheck) {
  EXPECT_EQ(BatchFindings(WithBatch(nullptr), {1, 2, 3}), 0u);
}

// 27 values: 1s, one -inf, then NaNs with payloads 1 to 5.
std::vector<float> PayloadRow() {
  std::vector<float> x(27, 1.0f);
  x[20] = -std::numeric_limits<float>::infinity();
  for (uint32_t p = 1; p <= 5; ++p) {
    const uint32_t bits = 0xffc00000u | p;
    std::memcpy(&x[20 + p], &bits, sizeof bits);
  }
  return x;
}

// The registry's batch entries on a few lengths and the hard values, at T = 1
// (the fuzzers reach far more, other temperatures included).
TEST(FuzzChecks, RegistryBatchEntriesPass) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<std::vector<float>> rows = {
      {0.5f},
      {1, 2, 3, 4, 5, 6, 7},
      std::vector<float>(100, 3.0f),
      {1, -inf, 2, -inf, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17},
      {-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf,
       -inf, -inf, -inf},
      {1, 2, std::numeric_limits<float>::quiet_NaN(), 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
       15, 16, 17, 18},
      {3e38f, -3e38f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19},
      // NaNs of several payloads: which one an output carries differs between
      // Highway's two entries (impl/softmax.h), and is not part of the answer.
      PayloadRow()};
  size_t checked = 0;
  for (const SoftmaxKernel& k : SoftmaxKernels()) {
    if (k.batch_f32 == nullptr) continue;
    ++checked;
    for (const std::vector<float>& x : rows) {
      std::string what;
      EXPECT_EQ(BatchFindings(k, x, &what), 0u) << k.name << ": " << what;
    }
  }
  EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace softcheck::fuzz
