// Tests of the error measures (oracle/error.h): the ulp of an exact value as
// float and double see it, and the NaN / infinity rules every report relies
// on. Expected values are powers of two worked out by hand from the
// definition ulp(v) = 2^(e - p + 1), floored at the subnormal spacing.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "oracle/error.h"

namespace softcheck {
namespace {

constexpr long double kLNaN = std::numeric_limits<long double>::quiet_NaN();
constexpr long double kLInf = std::numeric_limits<long double>::infinity();
constexpr float kFNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kFInf = std::numeric_limits<float>::infinity();
constexpr double kDNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDInf = std::numeric_limits<double>::infinity();

TEST(UlpOf, Float) {
  EXPECT_EQ(UlpOf<float>(1.0L), std::ldexp(1.0L, -23));
  EXPECT_EQ(UlpOf<float>(-1.0L), std::ldexp(1.0L, -23));  // sign-blind
  EXPECT_EQ(UlpOf<float>(1.9999L), std::ldexp(1.0L, -23));
  EXPECT_EQ(UlpOf<float>(0.75L), std::ldexp(1.0L, -24));  // below 1: finer
  EXPECT_EQ(UlpOf<float>(FLT_MAX), std::ldexp(1.0L, 104));
  // From FLT_MIN down, the spacing is that of the subnormals, 2^-149.
  EXPECT_EQ(UlpOf<float>(FLT_MIN), std::ldexp(1.0L, -149));
  EXPECT_EQ(UlpOf<float>(std::ldexp(1.0L, -125)), std::ldexp(1.0L, -148));
  EXPECT_EQ(UlpOf<float>(std::ldexp(1.0L, -140)), std::ldexp(1.0L, -149));
  EXPECT_EQ(UlpOf<float>(std::ldexp(1.0L, -149)), std::ldexp(1.0L, -149));
  EXPECT_EQ(UlpOf<float>(std::ldexp(1.0L, -200)), std::ldexp(1.0L, -149));
  EXPECT_EQ(UlpOf<float>(0.0L), std::ldexp(1.0L, -149));
  EXPECT_EQ(UlpOf<float>(-0.0L), std::ldexp(1.0L, -149));
  // Past the type's range the binades just continue.
  EXPECT_EQ(UlpOf<float>(std::ldexp(1.0L, 200)), std::ldexp(1.0L, 177));
  EXPECT_TRUE(std::isnan(UlpOf<float>(kLNaN)));
  EXPECT_EQ(UlpOf<float>(-kLInf), kLInf);
}

TEST(UlpOf, Double) {
  EXPECT_EQ(UlpOf<double>(1.0L), std::ldexp(1.0L, -52));
  EXPECT_EQ(UlpOf<double>(3.0L), std::ldexp(1.0L, -51));
  EXPECT_EQ(UlpOf<double>(DBL_MIN), std::ldexp(1.0L, -1074));
  EXPECT_EQ(UlpOf<double>(std::ldexp(1.0L, -1060)), std::ldexp(1.0L, -1074));
  EXPECT_EQ(UlpOf<double>(0.0L), std::ldexp(1.0L, -1074));
  EXPECT_EQ(UlpOf<double>(DBL_MAX), std::ldexp(1.0L, 971));
  // A long double between two doubles gets the ulp of its binade.
  EXPECT_EQ(UlpOf<double>(1.0L + std::ldexp(1.0L, -60)), std::ldexp(1.0L, -52));
}

TEST(UlpError, CountsUlpsOfTheExactValue) {
  EXPECT_EQ(UlpError(1.0f, 1.0L), 0.0);
  EXPECT_EQ(UlpError(0x1.000002p0f, 1.0L), 1.0);       // one float ulp above 1
  EXPECT_EQ(UlpError(0x1.000004p0f, 1.0L), 2.0);
  // One float below 1 is half an ulp *of 1*: the ulp is the exact value's.
  EXPECT_EQ(UlpError(0x1.fffffep-1f, 1.0L), 0.5);
  EXPECT_EQ(UlpError(-0x1.000002p0f, -1.0L), 1.0);
  EXPECT_EQ(UlpError(0x1.000002p0f, 1.0L + std::ldexp(1.0L, -24)), 0.5);
  EXPECT_EQ(UlpError(0x1.0000000000001p0, 1.0L), 1.0);
  EXPECT_EQ(UlpError(1.0, 1.0L + std::ldexp(1.0L, -54)), 0.25);
  // Subnormals and zero: the spacing is denorm_min.
  EXPECT_EQ(UlpError(0x1p-149f, 0.0L), 1.0);
  EXPECT_EQ(UlpError(0.0f, std::ldexp(1.0L, -150)), 0.5);
  EXPECT_EQ(UlpError(0x1p-147f, std::ldexp(1.0L, -149)), 3.0);
  EXPECT_EQ(UlpError(0x1p-1074, 0.0L), 1.0);
  EXPECT_EQ(UlpError(-0.0f, 0.0L), 0.0);
  // Too many ulps for a double: reported as +inf, not an undefined cast.
  EXPECT_EQ(UlpError(DBL_MAX, 0.0L), kDInf);
  EXPECT_EQ(UlpError(DBL_MAX, -static_cast<long double>(DBL_MAX)), 2.0 * std::ldexp(1.0, 53) - 2.0);
}

TEST(UlpError, NanAndInfinityRules) {
  EXPECT_EQ(UlpError(kFNaN, kLNaN), 0.0);  // both NaN: as expected
  EXPECT_EQ(UlpError(kDNaN, kLNaN), 0.0);
  EXPECT_EQ(UlpError(kFNaN, 1.0L), kDInf);  // exactly one NaN
  EXPECT_EQ(UlpError(1.0f, kLNaN), kDInf);
  EXPECT_EQ(UlpError(kDNaN, kLInf), kDInf);
  EXPECT_EQ(UlpError(kFInf, kLNaN), kDInf);
  EXPECT_EQ(UlpError(kFInf, static_cast<long double>(FLT_MAX)), kDInf);  // spurious overflow
  EXPECT_EQ(UlpError(-kFInf, -1.0L), kDInf);
  EXPECT_EQ(UlpError(FLT_MAX, kLInf), kDInf);  // missed infinity
  EXPECT_EQ(UlpError(kFInf, kLInf), 0.0);
  EXPECT_EQ(UlpError(-kDInf, -kLInf), 0.0);
  EXPECT_EQ(UlpError(kDInf, -kLInf), kDInf);
}

TEST(RelativeError, Values) {
  EXPECT_EQ(RelativeError(1.5f, 1.0L), 0.5);
  EXPECT_EQ(RelativeError(-3.0, -4.0L), 0.25);
  EXPECT_EQ(RelativeError(0.0f, 0.0L), 0.0);
  EXPECT_EQ(RelativeError(-0.0, 0.0L), 0.0);
  EXPECT_EQ(RelativeError(0x1p-149f, 0.0L), kDInf);  // exact 0, actual not
  EXPECT_EQ(RelativeError(0.0f, std::ldexp(1.0L, -150)), 1.0);
  EXPECT_EQ(RelativeError(kFNaN, kLNaN), 0.0);
  EXPECT_EQ(RelativeError(kFNaN, 0.0L), kDInf);
  EXPECT_EQ(RelativeError(0.0, kLNaN), kDInf);
  EXPECT_EQ(RelativeError(kDInf, 1.0L), kDInf);
  EXPECT_EQ(RelativeError(kDInf, kLInf), 0.0);
  // DBL_MAX against 2^-1074: the ratio exceeds DBL_MAX.
  EXPECT_EQ(RelativeError(DBL_MAX, std::ldexp(1.0L, -1074)), kDInf);
}

TEST(AbsoluteError, Values) {
  EXPECT_EQ(AbsoluteError(3.0f, 1.0L), 2.0);
  EXPECT_EQ(AbsoluteError(-3.0, 1.0L), 4.0);
  EXPECT_EQ(AbsoluteError(0x1p-149f, 0.0L), std::ldexp(1.0, -149));
  EXPECT_EQ(AbsoluteError(kDNaN, kLNaN), 0.0);
  EXPECT_EQ(AbsoluteError(1.0, kLNaN), kDInf);
  EXPECT_EQ(AbsoluteError(kFInf, kLInf), 0.0);
  EXPECT_EQ(AbsoluteError(-kFInf, kLInf), kDInf);
  // 2 * DBL_MAX fits a long double but not a double.
  EXPECT_EQ(AbsoluteError(DBL_MAX, -static_cast<long double>(DBL_MAX)), kDInf);
}

}  // namespace
}  // namespace softcheck
