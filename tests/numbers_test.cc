// The command line's number reading: every accepted spelling gives the right
// bits, every malformed one is refused with a reason.
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "cli/numbers.h"

namespace softcheck {
namespace {

TEST(ParseValue, ReadsDecimalsHexFloatsAndSpecials) {
  std::string err;
  EXPECT_EQ(*ParseValue<float>("1000", &err), 1000.0f);
  EXPECT_EQ(*ParseValue<float>("-1.5e3", &err), -1500.0f);
  EXPECT_EQ(*ParseValue<float>("0x1.8p-3", &err), 0.1875f);
  EXPECT_EQ(*ParseValue<float>("0x1p-149", &err), std::numeric_limits<float>::denorm_min());
  EXPECT_EQ(*ParseValue<float>("inf", &err), INFINITY);
  EXPECT_EQ(*ParseValue<float>("+inf", &err), INFINITY);
  EXPECT_EQ(*ParseValue<float>("-inf", &err), -INFINITY);
  EXPECT_EQ(*ParseValue<float>("-Infinity", &err), -INFINITY);
  EXPECT_TRUE(std::isnan(*ParseValue<float>("nan", &err)));
  EXPECT_TRUE(std::isnan(*ParseValue<double>("NaN", &err)));
  EXPECT_EQ(*ParseValue<double>("0x1.fffffffffffffp+1023", &err), DBL_MAX);
}

TEST(ParseValue, RoundsDecimalsStraightToFloat) {
  // 1 + 2^-24 + about 1e-16 (2^-53.2, under half a double ulp) lies just
  // above the midpoint of 1 and 1 + 2^-23: read as float it rounds up;
  // through double it would become the midpoint, tie and round to even (1).
  std::string err;
  EXPECT_EQ(*ParseValue<float>("1.0000000596046448753", &err), 1.0f + FLT_EPSILON);
  EXPECT_EQ(*ParseValue<float>("3.4028235e38", &err), FLT_MAX);
}

TEST(ParseValue, RefusesMalformedNumbers) {
  std::string err;
  for (const char* bad : {"", "abc", "1.5x", "1,5", " 1", "1 ", "--1", "0x", "1e", "in"}) {
    err.clear();
    EXPECT_FALSE(ParseValue<float>(bad, &err).has_value()) << "'" << bad << "'";
    EXPECT_FALSE(err.empty()) << "'" << bad << "'";
    EXPECT_EQ(err.find('\n'), std::string::npos) << "one line: " << err;
  }
}

TEST(ParseValue, RefusesFiniteLiteralsThatOverflowTheType) {
  std::string err;
  EXPECT_FALSE(ParseValue<float>("1e39", &err).has_value());
  EXPECT_NE(err.find("overflows f32"), std::string::npos) << err;
  EXPECT_EQ(*ParseValue<double>("1e39", &err), 1e39);
  EXPECT_FALSE(ParseValue<double>("1e309", &err).has_value());
  // Underflow is ordinary rounding, not an error.
  EXPECT_EQ(*ParseValue<float>("1e-50", &err), 0.0f);
}

TEST(FormatValue, PrintsWhatParsesBackToTheSameBits) {
  // Compared as bits, so that -0 printed as "0" would fail.
  for (float v : {0.7310586f, 1e-45f, FLT_MAX, -0.0f, 1.0f / 3}) {
    std::string err;
    EXPECT_EQ(std::bit_cast<uint32_t>(*ParseValue<float>(FormatDecimal(v), &err)),
              std::bit_cast<uint32_t>(v))
        << v;
    EXPECT_EQ(std::bit_cast<uint32_t>(*ParseValue<float>(FormatHex(v), &err)),
              std::bit_cast<uint32_t>(v))
        << v;
  }
  EXPECT_EQ(FormatValue(0.1875f), "0.1875 (0x1.8p-3)");
  EXPECT_EQ(FormatValue(-INFINITY), "-inf");
  EXPECT_EQ(FormatValue(NAN), "nan");
}

// Every NaN prints as something that parses back to its bits: the sign, the
// quiet bit and the payload (a reproduce line must replay the same input).
template <typename T, typename U>
void NanRoundTrip() {
  constexpr int kMantissa = std::numeric_limits<T>::digits - 1;
  constexpr U kExp = ((U{1} << (sizeof(T) * 8 - 1 - kMantissa)) - 1) << kMantissa;
  constexpr U kQuiet = U{1} << (kMantissa - 1);
  std::mt19937_64 rng(7);
  std::vector<U> mantissas = {kQuiet, kQuiet | 1, 1, kQuiet - 1, (kQuiet << 1) - 1};
  for (int i = 0; i < 2000; ++i) mantissas.push_back(static_cast<U>(rng()) & ((kQuiet << 1) - 1));
  int checked = 0;
  for (U m : mantissas) {
    if (m == 0) continue;  // that is infinity
    for (U sign : {U{0}, U{1} << (sizeof(T) * 8 - 1)}) {
      const U bits = sign | kExp | m;
      const T v = std::bit_cast<T>(bits);
      ASSERT_TRUE(std::isnan(v));
      for (const std::string& text : {FormatHex(v), FormatDecimal(v), FormatValue(v)}) {
        std::string err;
        const std::optional<T> back = ParseValue<T>(text, &err);
        ASSERT_TRUE(back.has_value()) << text << ": " << err;
        EXPECT_EQ(std::bit_cast<U>(*back), bits) << text;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 6000);
}

TEST(Numbers, EveryNanRoundTripsItsBits) {
  NanRoundTrip<float, uint32_t>();
  NanRoundTrip<double, uint64_t>();
  EXPECT_EQ(FormatHex(std::bit_cast<float>(0x7fc00000u)), "nan");
  EXPECT_EQ(FormatHex(std::bit_cast<float>(0xffc00000u)), "-nan");
  EXPECT_EQ(FormatHex(std::bit_cast<float>(0x7fc0002au)), "nan(0x2a)");
  EXPECT_EQ(FormatHex(std::bit_cast<float>(0x7f800001u)), "snan(0x1)");
  std::string err;
  EXPECT_FALSE(ParseValue<float>("snan(0x0)", &err).has_value());  // infinity's bits
  EXPECT_FALSE(ParseValue<float>("nan(0x400000)", &err).has_value());  // past the payload
  EXPECT_FALSE(ParseValue<float>("nan(12)", &err).has_value());
  EXPECT_FALSE(ParseValue<float>("nan(0x1", &err).has_value());
  EXPECT_EQ(std::bit_cast<uint32_t>(*ParseValue<float>("-NaN(0x2A)", &err)), 0xffc0002au);
}

}  // namespace
}  // namespace softcheck
