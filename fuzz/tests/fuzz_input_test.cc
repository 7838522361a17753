// The fuzz input format (fuzz/fuzz_input.h): encoding and decoding are
// inverses bit for bit (NaN payloads, -0 and subnormals included), short
// inputs repeat, and every byte string decodes to something within limits.
#include "fuzz/fuzz_input.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace softcheck::fuzz {
namespace {

template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <typename T>
void RoundTrips() {
  using L = std::numeric_limits<T>;
  T payload_nan;
  if constexpr (sizeof(T) == 4) {
    const uint32_t bits = 0xffc01234u;
    std::memcpy(&payload_nan, &bits, 4);
  } else {
    const uint64_t bits = 0xfff8000000001234ull;
    std::memcpy(&payload_nan, &bits, 8);
  }
  const std::vector<T> x = {T(1), -T(0), L::denorm_min(), -L::max(), L::infinity(),
                            -L::infinity(), payload_nan};
  for (T t : {T(1), T(0), T(-2), L::infinity(), payload_nan}) {
    const std::vector<uint8_t> bytes = EncodeSoftmax(x, t);
    const SoftmaxInput<T> in = DecodeSoftmax<T>(bytes.data(), bytes.size());
    EXPECT_TRUE(SameBits(in.x, x));
    EXPECT_TRUE(SameBits(std::vector<T>{in.temperature}, std::vector<T>{t}));
  }
}

TEST(FuzzInput, SoftmaxRoundTripsBitForBit) {
  RoundTrips<float>();
  RoundTrips<double>();
}

TEST(FuzzInput, ShortInputsRepeatToTheRequestedLength) {
  const std::vector<uint8_t> bytes = EncodeSoftmaxRepeated<float>({1, 2, 3}, 1000);
  const SoftmaxInput<float> in = DecodeSoftmax<float>(bytes.data(), bytes.size());
  ASSERT_EQ(in.x.size(), 1000u);
  for (size_t i = 0; i < in.x.size(); ++i) EXPECT_EQ(in.x[i], float(1 + i % 3));
  const std::vector<uint8_t> none = EncodeSoftmaxRepeated<double>({}, 5);
  EXPECT_EQ(DecodeSoftmax<double>(none.data(), none.size()).x, std::vector<double>(5, 0.0));
}

TEST(FuzzInput, AttentionRoundTripsBitForBit) {
  AttentionCase c;
  c.n_q = 3, c.n_kv = 2, c.d = 2, c.d_v = 1, c.causal = 2, c.scale = -0x1p-140f;
  c.q = {1, 2, 3, -INFINITY, NAN, 0x1p-149f};
  c.k = {5, 6, 7, 8};
  c.v = {-0.0f, 9};
  c.mask = {0, -INFINITY, 1, 2, 3, 4};
  const std::vector<uint8_t> bytes = EncodeAttention(c);
  const AttentionCase d = DecodeAttention(bytes.data(), bytes.size());
  EXPECT_EQ(d.n_q, 3u);
  EXPECT_EQ(d.n_kv, 2u);
  EXPECT_EQ(d.d, 2u);
  EXPECT_EQ(d.d_v, 1u);
  EXPECT_EQ(d.causal, 2);
  EXPECT_TRUE(SameBits(std::vector<float>{d.scale}, std::vector<float>{c.scale}));
  EXPECT_TRUE(SameBits(d.q, c.q));
  EXPECT_TRUE(SameBits(d.k, c.k));
  EXPECT_TRUE(SameBits(d.v, c.v));
  EXPECT_TRUE(SameBits(d.mask, c.mask));
}

// Any bytes at all decode to a problem within the documented limits.
TEST(FuzzInput, EveryByteStringDecodesWithinLimits) {
  uint64_t s = 12345;
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bytes(static_cast<size_t>(trial % 97));
    for (uint8_t& b : bytes) b = static_cast<uint8_t>((s = s * 6364136223846793005ull + 1) >> 56);
    EXPECT_LE(DecodeSoftmax<float>(bytes.data(), bytes.size()).x.size(), kMaxRow);
    EXPECT_LE(DecodeSoftmax<double>(bytes.data(), bytes.size()).x.size(), kMaxRow);
    const AttentionCase c = DecodeAttention(bytes.data(), bytes.size());
    EXPECT_LE(c.n_q, kMaxQueries);
    EXPECT_LE(c.n_kv, kMaxQueries);
    EXPECT_LE(c.d, kMaxHeadDim);
    EXPECT_LE(c.d_v, kMaxHeadDim);
    EXPECT_LE(c.causal, 3);
    EXPECT_EQ(c.q.size(), c.n_q * c.d);
    EXPECT_EQ(c.k.size(), c.n_kv * c.d);
    EXPECT_EQ(c.v.size(), c.n_kv * c.d_v);
    EXPECT_TRUE(c.mask.empty() || c.mask.size() == c.n_q * c.n_kv);
  }
}

}  // namespace
}  // namespace softcheck::fuzz
