// The command line's number reading: every accepted spelling gives the right
// bits, every malformed one is refused with a reason.
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>

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

}  // namespace
}  // namespace softcheck
