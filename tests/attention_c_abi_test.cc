// The stable C ABI for attention: libsoftcheck_kernels.so, opened with
// dlopen the way a user's tool would, exports softcheck_<name>_attention_f32
// for every attention family in the registry, and each symbol computes that
// family's attention.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "impl/attention_registry.h"
#include "oracle/error.h"

namespace softcheck {
namespace {

using CAttention = void (*)(const float*, const float*, const float*,
                            const float*, int, float, float*, size_t, size_t,
                            size_t, size_t);

class AttentionCAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(SOFTCHECK_KERNELS_SO, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
  }
  void TearDown() override {
    if (handle_) dlclose(handle_);
  }
  CAttention Symbol(const std::string& family) {
    return reinterpret_cast<CAttention>(
        dlsym(handle_, ("softcheck_" + family + "_attention_f32").c_str()));
  }
  void* handle_ = nullptr;
};

TEST_F(AttentionCAbi, ExportsEveryFamilyAndMatchesTheRegistry) {
  // 3 queries x 5 keys, d = 2, d_v = 3, a mask with one -inf, bottom-right.
  const float kInf = std::numeric_limits<float>::infinity();
  const std::vector<float> q = {0.5f, -1, 2, 0.25f, -0.75f, 1.5f};
  const std::vector<float> k = {1, 0, 0, 1, -1, 1, 2, 2, 0.5f, -3};
  const std::vector<float> v = {1,    2, 3,  -1, 0, 4, 0.5f, 0.5f,
                                0.5f, 7, -7, 1,  3, 3, -2};
  std::vector<float> mask(15, 0.125f);
  mask[6] = -kInf;
  for (const std::string& family : AttentionFamilies()) {
    const CAttention c = Symbol(family);
    ASSERT_NE(c, nullptr) << "softcheck_" << family
                          << "_attention_f32 not exported";
    const AttentionKernel& entry = *FindAttentionKernel(family);
    for (int causal : {0, 1, 2}) {
      std::vector<float> a(9), b(9);
      c(q.data(), k.data(), v.data(), mask.data(), causal, 0.7f, a.data(), 3, 5,
        2, 3);
      entry.f32(q.data(), k.data(), v.data(), mask.data(), causal, 0.7f,
                b.data(), 3, 5, 2, 3);
      for (size_t x = 0; x < 9; ++x)
        EXPECT_EQ(std::bit_cast<uint32_t>(a[x]), std::bit_cast<uint32_t>(b[x]))
            << family << " causal " << causal << " out[" << x << "]";
    }
  }
}

TEST_F(AttentionCAbi, ShiftedKernelsSurviveWhereNaiveOverflows) {
  // Scores 1000 and 999: naive's exp overflows, the others give the softmax
  // weights 0.731 and 0.269 of v = [1, 0] and [0, 1].
  const float q[1] = {1}, k[2] = {1000, 999}, v[4] = {1, 0, 0, 1};
  float out[2];
  Symbol("naive")(q, k, v, nullptr, 0, 1.0f, out, 1, 2, 1, 2);
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  // The weights 1 / (1 + e^-1) and e^-1 / (1 + e^-1), within 2 ULP.
  const long double e = std::exp(-1.0L);
  for (const char* family : {"maxshift", "streaming", "highway"}) {
    Symbol(family)(q, k, v, nullptr, 0, 1.0f, out, 1, 2, 1, 2);
    EXPECT_LE(UlpError<float>(out[0], 1 / (1 + e)), 2.0) << family << " " << out[0];
    EXPECT_LE(UlpError<float>(out[1], e / (1 + e)), 2.0) << family << " " << out[1];
  }
}

TEST_F(AttentionCAbi, ExportsNothingButTheCAbi) {
  EXPECT_EQ(dlsym(handle_, "_ZN9softcheck16AttentionKernelsEv"), nullptr);
}

}  // namespace
}  // namespace softcheck
