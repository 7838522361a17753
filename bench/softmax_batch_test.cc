// Every registry entry's batch entry (SoftmaxKernel::batch_f32) gives, row
// by row, exactly the bits its per-row f32 gives -- out of place and in
// place, at every temperature class, on hard rows (NaN, +inf, -inf entries,
// fully masked, huge), and on batches large enough for the streamed path
// (8 MiB and more) and on every path the batch entry takes: row by row, the
// three-row pipeline (hard rows inside it) and the streamed one (a scratch
// row, non-temporal stores from each row's first aligned vector).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "impl/registry.h"

namespace softcheck {
namespace {

std::vector<float> Rows(size_t rows, size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 8.0f);
  std::vector<float> x(rows * n);
  for (float& f : x) f = dist(gen);
  const float inf = std::numeric_limits<float>::infinity();
  // Hard rows among the first ones: NaN, +inf, masked entries, fully masked,
  // a huge spread (x - max overflows for T > 1 handling).
  if (rows > 0) x[0 * n + n / 2] = std::numeric_limits<float>::quiet_NaN();
  if (rows > 1) x[1 * n] = inf;
  if (rows > 2) for (size_t i = 0; i < n; i += 2) x[2 * n + i] = -inf;
  if (rows > 3) for (size_t i = 0; i < n; ++i) x[3 * n + i] = -inf;
  if (rows > 4) {
    x[4 * n] = 3.0e38f;
    x[4 * n + n - 1] = -3.0e38f;
  }
  return x;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

void ExpectSameBits(const SoftmaxKernel& k, size_t rows, size_t n, float t,
                    bool in_place) {
  const std::vector<float> x = Rows(rows, n, static_cast<unsigned>(rows * 31 + n));
  std::vector<float> want(rows * n);
  for (size_t r = 0; r < rows; ++r) k.f32(x.data() + r * n, want.data() + r * n, n, t);
  std::vector<float> got = in_place ? x : std::vector<float>(rows * n, 42.0f);
  k.batch_f32(in_place ? got.data() : x.data(), got.data(), rows, n, t);
  size_t bad = 0;
  for (size_t i = 0; i < rows * n && bad < 5; ++i) {
    if (Bits(got[i]) != Bits(want[i])) {
      ++bad;
      ADD_FAILURE() << k.name << " batch_f32 rows=" << rows << " n=" << n
                    << " T=" << std::hexfloat << t << (in_place ? " in place" : "")
                    << ": y[" << i / n << "][" << i % n << "] = " << got[i]
                    << ", per-row f32 gives " << want[i] << " (x = " << x[i]
                    << "); reproduce: softcheck_batch_tests --gtest_filter="
                    << ::testing::UnitTest::GetInstance()->current_test_info()->name();
    }
  }
}

struct Shape {
  size_t rows, n;
};

// Cache-sized batches: rows shorter than a vector go row by row, the rest
// through the three-row pipeline (2 rows, the fewest it takes; n = 16,
// exactly one vector; 100 and 1000, partial last vectors; 16384, its
// longest row). Batches of 8 MiB and more: the pipeline for rows under 1024
// floats (n = 64), the streamed path for rows of 1024 to 2^16 floats (n =
// 4097 and 1025 start rows at every alignment, so both the scalar head and
// tail and a head of zero are run; n = 16384 with rows of whole vectors), the
// per-row way past 2^16 (n = 65537).
const Shape kShapes[] = {{3, 1},       {6, 7},        {2, 50},    {4, 16},
                         {6, 100},     {5, 1000},     {3, 16384}, {130, 16384},
                         {520, 4097},  {2100, 1025},  {33000, 64}, {33, 65537}};

TEST(SoftmaxBatch, SameBitsAsRowByRow) {
  size_t tested = 0;
  for (const SoftmaxKernel& k : SoftmaxKernels()) {
    if (k.batch_f32 == nullptr) continue;
    ++tested;
    for (const Shape& s : kShapes) {
      // T = 1 and T != 1 take different code (no division at T = 1).
      for (float t : {1.0f, 3.0f}) ExpectSameBits(k, s.rows, s.n, t, false);
      ExpectSameBits(k, s.rows, s.n, 1.0f, true);
    }
    // The limits and caller errors.
    for (float t : {0.0f, std::numeric_limits<float>::infinity(), -1.0f,
                    std::numeric_limits<float>::quiet_NaN()}) {
      ExpectSameBits(k, 6, 100, t, false);
      ExpectSameBits(k, 150, 4100, t, false);  // 2.46 MB: streamed if ordinary
    }
  }
  std::printf("batch entries checked: %zu\n", tested);
}

TEST(SoftmaxBatch, NothingToDo) {
  for (const SoftmaxKernel& k : SoftmaxKernels()) {
    if (k.batch_f32 == nullptr) continue;
    float y = 42;
    k.batch_f32(nullptr, &y, 0, 5, 1.0f);
    k.batch_f32(nullptr, &y, 5, 0, 1.0f);
    EXPECT_EQ(y, 42.0f) << k.name;
  }
}

}  // namespace
}  // namespace softcheck
