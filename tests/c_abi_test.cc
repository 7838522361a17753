// The stable C ABI: libsoftcheck_kernels.so, opened with dlopen the way a
// user's tool would, exports softcheck_<name>_softmax_f32/_f64 for every
// family in the registry, and each symbol computes that family's softmax.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "impl/registry.h"
#include "oracle/error.h"

namespace softcheck {
namespace {

using CF32 = void (*)(const float*, float*, size_t);
using CF64 = void (*)(const double*, double*, size_t);

class CAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(SOFTCHECK_KERNELS_SO, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
  }
  void TearDown() override {
    if (handle_) dlclose(handle_);
  }
  void* handle_ = nullptr;
};

TEST_F(CAbi, ExportsEveryFamilyAndMatchesTheRegistry) {
  const std::vector<float> x = {1000, 999, -INFINITY, 998.5f, 0};
  const std::vector<double> xd = {710, 709, -INFINITY, 708.5, 0};
  for (const std::string& family : SoftmaxFamilies()) {
    const std::string f32 = "softcheck_" + family + "_softmax_f32";
    const std::string f64 = "softcheck_" + family + "_softmax_f64";
    auto* c32 = reinterpret_cast<CF32>(dlsym(handle_, f32.c_str()));
    auto* c64 = reinterpret_cast<CF64>(dlsym(handle_, f64.c_str()));
    ASSERT_NE(c32, nullptr) << f32 << " not exported";
    ASSERT_NE(c64, nullptr) << f64 << " not exported";
    // The symbol must give the same bits as the registry's entry at T = 1.
    const SoftmaxKernel& k = *FindSoftmaxKernel(family);
    std::vector<float> a(x.size()), b(x.size());
    c32(x.data(), a.data(), x.size());
    k.f32(x.data(), b.data(), x.size(), 1.0f);
    // Same bits (so +0 and -0 differ); NaNs need only both be NaN.
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_TRUE(std::bit_cast<uint32_t>(a[i]) == std::bit_cast<uint32_t>(b[i]) ||
                  (std::isnan(a[i]) && std::isnan(b[i])))
          << f32 << " y[" << i << "] " << a[i] << " vs " << b[i];
    std::vector<double> ad(xd.size()), bd(xd.size());
    c64(xd.data(), ad.data(), xd.size());
    k.f64(xd.data(), bd.data(), xd.size(), 1.0);
    for (size_t i = 0; i < xd.size(); ++i)
      EXPECT_TRUE(std::bit_cast<uint64_t>(ad[i]) == std::bit_cast<uint64_t>(bd[i]) ||
                  (std::isnan(ad[i]) && std::isnan(bd[i])))
          << f64 << " y[" << i << "] " << ad[i] << " vs " << bd[i];
  }
}

TEST_F(CAbi, ShiftedKernelsSurviveWhereNaiveOverflows) {
  const float x[2] = {1000, 999};
  float y[2];
  reinterpret_cast<CF32>(dlsym(handle_, "softcheck_naive_softmax_f32"))(x, y, 2);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
  reinterpret_cast<CF32>(dlsym(handle_, "softcheck_highway_softmax_f32"))(x, y, 2);
  // softmax(1000, 999) = 1 / (1 + e^-1), e^-1 / (1 + e^-1): within 2 ULP
  // (the rule's slack over the exp's 0.6 and one division).
  const long double e = std::exp(-1.0L);
  EXPECT_LE(UlpError<float>(y[0], 1 / (1 + e)), 2.0) << y[0];
  EXPECT_LE(UlpError<float>(y[1], e / (1 + e)), 2.0) << y[1];
}

TEST_F(CAbi, ExportsNothingButTheCAbi) {
  // Internal C++ symbols stay hidden, so a user's own symbols never clash.
  EXPECT_EQ(dlsym(handle_, "_ZN9softcheck14SoftmaxKernelsEv"), nullptr);
}

}  // namespace
}  // namespace softcheck
