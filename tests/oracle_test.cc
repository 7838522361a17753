// Tests of the oracle (oracle/oracle.h): it must be exactly the contract of
// impl/softmax.h, correctly rounded.
//
// Where the expected values come from: the hex constants below were computed
// independently of this code, in Python 3.11 with mpmath 1.3 at 3000 bits of
// precision (exp, log, the division), converted exactly to fractions.Fraction
// and rounded to binary32/binary64 in exact integer arithmetic (round-half-
// even, subnormals included; the binary64 roundings were also checked against
// CPython's correctly rounded int/int division). The long exact decimal
// strings are exact expansions of the dyadic rationals they name (decimal
// module at 2000 digits, checked to convert back to the same Fraction).
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "oracle/error.h"
#include "oracle/oracle.h"

namespace softcheck::oracle {
namespace {

constexpr float kFInf = std::numeric_limits<float>::infinity();
constexpr double kDInf = std::numeric_limits<double>::infinity();
constexpr float kFNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kDNaN = std::numeric_limits<double>::quiet_NaN();

uint32_t Bits(float v) { return std::bit_cast<uint32_t>(v); }
uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

std::string Hex(long double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%La", v);
  return buf;
}

// Bit-for-bit equality (so +0 and -0 differ), NaN equal to any NaN.
template <typename T>
::testing::AssertionResult SameBits(T actual, T expected) {
  if (std::isnan(actual) && std::isnan(expected)) return ::testing::AssertionSuccess();
  if (Bits(actual) == Bits(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << Hex(actual) << " expected " << Hex(expected);
}

template <typename T>
::testing::AssertionResult SameRow(const std::vector<T>& actual,
                                   const std::vector<T>& expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " vs " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    ::testing::AssertionResult r = SameBits(actual[i], expected[i]);
    if (!r) return r << " at index " << i;
  }
  return ::testing::AssertionSuccess();
}

// The long double `exact` agrees with an independently computed value to its
// own precision (64 bits: one long double ulp, relative 2^-63).
::testing::AssertionResult CloseLD(long double actual, long double expected) {
  const long double tol = std::ldexp(std::fabs(expected), -63);
  if (std::fabs(actual - expected) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << Hex(actual) << " expected " << Hex(expected);
}

class OracleTest : public ::testing::TestWithParam<Backend> {
 protected:
  Options Opt(unsigned bits = 256) const { return Options{GetParam(), bits}; }
  std::vector<float> F(std::vector<float> x, float t = 1) const {
    return Softmax(x.data(), x.size(), t, Opt()).rounded;
  }
  std::vector<double> D(std::vector<double> x, double t = 1) const {
    return Softmax(x.data(), x.size(), t, Opt()).rounded;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, OracleTest,
                         ::testing::Values(Backend::kMpfr, Backend::kCppBinFloat),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kMpfr ? "Mpfr" : "CppBinFloat";
                         });

// ---- hand-computed rows ---------------------------------------------------

TEST_P(OracleTest, LargeLogitsAreShifted) {
  // [1000, 999]: exp(1000) overflows any float type; the answer is
  // [sigmoid(1), sigmoid(-1)] = [0.7310585786..., 0.2689414213...].
  EXPECT_TRUE(SameRow(F({1000.0f, 999.0f}), {0x1.764d5p-1f, 0x1.136562p-2f}));
  EXPECT_TRUE(SameRow(F({1.0f, -1.0f}), {0x1.c2f7d6p-1f, 0x1.e84152p-4f}));
}

TEST_P(OracleTest, WorkedExample) {
  // [2.0, 1.0, 0.1] -> [0.659, 0.242, 0.099]; in float 0.1f is
  // 0x1.99999ap-4, so the float and double rows differ in the 9th digit.
  EXPECT_TRUE(SameRow(F({2.0f, 1.0f, 0.1f}),
                      {0x1.516898p-1f, 0x1.f080b2p-3f, 0x1.93b9d4p-4f}));
  EXPECT_TRUE(SameRow(D({2.0, 1.0, 0.1}),
                      {0x1.516898e7157f3p-1, 0x1.f080b28530e40p-3,
                       0x1.93b9d3bcf23e7p-4}));
  const auto r = Softmax(std::vector<double>{2.0, 1.0, 0.1}.data(), 3, 1.0, Opt());
  EXPECT_TRUE(CloseLD(r.exact[0], 0.6590011388859679065534411L));
  EXPECT_TRUE(CloseLD(r.exact[1], 0.2424329707047139213915247L));
  EXPECT_TRUE(CloseLD(r.exact[2], 0.09856589040931817205503421L));
}

TEST_P(OracleTest, TemperatureDividesInHighPrecision) {
  // x / 3 and x / 0.1f are not representable in float; the oracle divides
  // exactly-ish (>= 200 bits) and so matches mpmath, not a float division.
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f, 3.0f}, 3.0f),
                      {0x1.d7869cp-3f, 0x1.49089ep-2f, 0x1.cb3414p-2f}));
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f, 3.0f}, 0.1f),
                      {0x1.1b452p-29f, 0x1.7cd332p-15f, 0x1.fffa0cp-1f}));
  EXPECT_TRUE(SameRow(D({1.0, 2.0, 3.0}, 0.1),
                      {0x1.1b451a831eee6p-29, 0x1.7cd32e34b2743p-15,
                       0x1.fffa0ca192db9p-1}));
}

TEST_P(OracleTest, SubnormalOutputs) {
  // exp(-100) / (1 + exp(-100)) = 3.7200759760208e-44 = 26.55 * 2^-149.
  EXPECT_TRUE(SameRow(F({0.0f, -100.0f}), {1.0f, 0x1.bp-145f}));
  // 1.85e-45 = 1.32 * 2^-149 -> 2^-149; 6.8e-46 = 0.49 * 2^-149 -> 0.
  EXPECT_TRUE(SameRow(F({0.0f, -103.0f}), {1.0f, 0x1p-149f}));
  EXPECT_TRUE(SameRow(F({0.0f, -104.0f}), {1.0f, 0.0f}));
  // double: 2.03e-313 is subnormal; exp(-745) = 0.57 * 2^-1074 rounds up to
  // the smallest subnormal, exp(-746) = 0.21 * 2^-1074 down to 0.
  EXPECT_TRUE(SameRow(D({0.0, -720.0}), {1.0, 0x0.0000993b4dc95p-1022}));
  EXPECT_TRUE(SameRow(D({0.0, -745.0}), {1.0, 0x0.0000000000001p-1022}));
  EXPECT_TRUE(SameRow(D({0.0, -746.0}), {1.0, 0.0}));
  // The long double `exact` keeps what float and double lose.
  std::vector<float> x = {0.0f, -100.0f};
  auto r = Softmax(x.data(), 2, 1.0f, Opt());
  EXPECT_TRUE(CloseLD(r.exact[1], 3.720075976020835962959696e-44L));
  x = {0.0f, -104.0f};
  r = Softmax(x.data(), 2, 1.0f, Opt());
  EXPECT_TRUE(CloseLD(r.exact[1], 6.813556821545298513418186e-46L));
  EXPECT_EQ(r.rounded[1], 0.0f);
}

TEST_P(OracleTest, HugeInputs) {
  EXPECT_TRUE(SameRow(F({FLT_MAX, FLT_MAX}), {0.5f, 0.5f}));
  EXPECT_TRUE(SameRow(F({-FLT_MAX, -FLT_MAX}), {0.5f, 0.5f}));
  EXPECT_TRUE(SameRow(F({FLT_MAX, -FLT_MAX}), {1.0f, 0.0f}));
  EXPECT_TRUE(SameRow(F({-FLT_MAX, 0.0f, FLT_MAX}), {0.0f, 0.0f, 1.0f}));
  // FLT_MAX - (-FLT_MAX) overflows in float; (x - max) / T does not here:
  // with T = FLT_MAX the row is softmax([1, -1]).
  EXPECT_TRUE(SameRow(F({FLT_MAX, -FLT_MAX}, FLT_MAX), {0x1.c2f7d6p-1f, 0x1.e84152p-4f}));
  EXPECT_TRUE(SameRow(D({DBL_MAX, -DBL_MAX, DBL_MAX}), {0.5, 0.0, 0.5}));
  EXPECT_TRUE(SameRow(D({-DBL_MAX, -DBL_MAX}), {0.5, 0.5}));
  // A tiny temperature turns a gap of 1 into -2e323 before exp: still 0.
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_TRUE(SameRow(D({1.0, 2.0}, tiny), {0.0, 1.0}));
  EXPECT_TRUE(SameRow(D({-DBL_MAX, DBL_MAX}, tiny), {0.0, 1.0}));
  // Subnormal inputs are ordinary numbers: exp(tiny) == 1 to any precision.
  EXPECT_TRUE(SameRow(D({tiny, -tiny}), {0.5, 0.5}));
}

// ---- special rows ---------------------------------------------------------

TEST_P(OracleTest, EmptyAndSingleRows) {
  const auto empty = Softmax(static_cast<const float*>(nullptr), 0, 1.0f, Opt());
  EXPECT_TRUE(empty.rounded.empty());
  EXPECT_TRUE(empty.exact.empty());
  EXPECT_TRUE(Softmax(static_cast<const double*>(nullptr), 0, -1.0, Opt()).rounded.empty());
  for (float v : {0.0f, -0.0f, 1.0f, -FLT_MAX, FLT_MAX, 0x1p-149f}) {
    EXPECT_TRUE(SameRow(F({v}), {1.0f})) << v;
    EXPECT_TRUE(SameRow(F({v}, 0.0f), {1.0f})) << v;
    EXPECT_TRUE(SameRow(F({v}, kFInf), {1.0f})) << v;
  }
  EXPECT_TRUE(SameRow(D({-DBL_MAX}, 1e-300), {1.0}));
  const auto one = Softmax(std::vector<double>{42.0}.data(), 1, 1.0, Opt());
  EXPECT_EQ(one.exact[0], 1.0L);
}

TEST_P(OracleTest, MaskedEntries) {
  EXPECT_TRUE(SameRow(F({-kFInf, 0.0f, -kFInf, 0.0f}), {0.0f, 0.5f, 0.0f, 0.5f}));
  EXPECT_TRUE(SameRow(F({-kFInf, -kFInf}), {0.0f, 0.0f}));  // +0, not -0
  EXPECT_TRUE(SameRow(D({-kDInf}), {0.0}));
  EXPECT_TRUE(SameRow(F({-kFInf, -kFInf}, 0.0f), {0.0f, 0.0f}));
  EXPECT_TRUE(SameRow(F({-kFInf, -kFInf}, kFInf), {0.0f, 0.0f}));
  // Masking is exact: the rest is the softmax of the unmasked entries.
  EXPECT_TRUE(SameRow(F({1000.0f, -kFInf, 999.0f}),
                      {0x1.764d5p-1f, 0.0f, 0x1.136562p-2f}));
  const auto r = Softmax(std::vector<double>{-kDInf, 3.0}.data(), 2, 1.0, Opt());
  EXPECT_EQ(r.exact[0], 0.0L);
  EXPECT_FALSE(std::signbit(r.exact[0]));
}

TEST_P(OracleTest, NanAndPlusInfPoisonTheRow) {
  const std::vector<float> kAllNaN3(3, kFNaN);
  EXPECT_TRUE(SameRow(F({1.0f, kFNaN, 2.0f}), kAllNaN3));
  EXPECT_TRUE(SameRow(F({kFInf, 1.0f, 2.0f}), kAllNaN3));
  EXPECT_TRUE(SameRow(F({-kFInf, -kFInf, kFNaN}), kAllNaN3));  // not "masked"
  EXPECT_TRUE(SameRow(F({-kFInf, kFInf, -kFInf}), kAllNaN3));
  EXPECT_TRUE(SameRow(F({1.0f, kFNaN, 2.0f}, 0.0f), kAllNaN3));
  EXPECT_TRUE(SameRow(F({1.0f, kFInf, 2.0f}, kFInf), kAllNaN3));
  EXPECT_TRUE(SameRow(D({kDNaN}), {kDNaN}));
  EXPECT_TRUE(SameRow(D({kDInf, kDInf}), {kDNaN, kDNaN}));
  const auto r = Softmax(std::vector<double>{0.0, kDNaN}.data(), 2, 1.0, Opt());
  EXPECT_TRUE(std::isnan(r.exact[0]));
  EXPECT_TRUE(std::isnan(r.exact[1]));
}

TEST_P(OracleTest, BadTemperatureGivesNaN) {
  const std::vector<float> kAllNaN2(2, kFNaN);
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f}, -1.0f), kAllNaN2));
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f}, -0x1p-149f), kAllNaN2));
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f}, -kFInf), kAllNaN2));
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f}, kFNaN), kAllNaN2));
  // A caller error wins over a fully masked row.
  EXPECT_TRUE(SameRow(F({-kFInf, -kFInf}, -1.0f), kAllNaN2));
  EXPECT_TRUE(SameRow(D({1.0}, kDNaN), {kDNaN}));
  // -0 is not negative: it is the argmax limit.
  EXPECT_TRUE(SameRow(F({1.0f, 2.0f}, -0.0f), {0.0f, 1.0f}));
}

TEST_P(OracleTest, ZeroTemperatureIsArgmax) {
  EXPECT_TRUE(SameRow(F({1.0f, 3.0f, 3.0f, 2.0f}, 0.0f), {0.0f, 0.5f, 0.5f, 0.0f}));
  // Three ties share 1/3, itself correctly rounded.
  EXPECT_TRUE(SameRow(F({7.0f, 7.0f, -kFInf, 7.0f}, 0.0f),
                      {0x1.555556p-2f, 0x1.555556p-2f, 0.0f, 0x1.555556p-2f}));
  EXPECT_TRUE(SameRow(D({7.0, 7.0, 7.0}, 0.0),
                      {0x1.5555555555555p-2, 0x1.5555555555555p-2, 0x1.5555555555555p-2}));
  const auto r = Softmax(std::vector<double>{7.0, 7.0, 7.0}.data(), 3, 0.0, Opt());
  EXPECT_EQ(r.exact[0], 1.0L / 3.0L);  // IEEE division is correctly rounded
  EXPECT_TRUE(SameRow(F({-kFInf, 5.0f}, 0.0f), {0.0f, 1.0f}));
  EXPECT_TRUE(SameRow(F({FLT_MAX, FLT_MAX, -FLT_MAX}, 0.0f), {0.5f, 0.5f, 0.0f}));
  EXPECT_TRUE(SameRow(D({0x1p-1074, 0.0}, 0.0), {1.0, 0.0}));
}

TEST_P(OracleTest, InfiniteTemperatureIsUniform) {
  EXPECT_TRUE(SameRow(F({1.0f, 1000.0f, -kFInf, -5.0f}, kFInf),
                      {0x1.555556p-2f, 0x1.555556p-2f, 0.0f, 0x1.555556p-2f}));
  EXPECT_TRUE(SameRow(D({-DBL_MAX, DBL_MAX}, kDInf), {0.5, 0.5}));
  // A huge finite T is arithmetic, not the limit, yet 0.5 -+ 1.4e-309 rounds
  // to 0.5 all the same.
  EXPECT_TRUE(SameRow(D({0.0, 1.0}, DBL_MAX), {0.5, 0.5}));
}

// ---- log-sum-exp ----------------------------------------------------------

TEST_P(OracleTest, LogSumExpValues) {
  const Options o = Opt();
  std::vector<float> f = {1.0f, 2.0f, 3.0f};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), 0x1.b42c6ep+1f));
  std::vector<double> d = {1.0, 2.0, 3.0};
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), 0x1.b42c6ea778b93p+1));
  d = {1000.0, 1000.0};  // exp(1000) overflows double: 1000 + ln 2
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), 0x1.f458b90bfbe8ep+9));
  d = {-1000.0, -1000.0};
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), -0x1.f3a746f404172p+9));
  // Cancellation: -ln2 (rounded) + ln 2 leaves only the rounding error of
  // the input, which the oracle must recover to full relative precision.
  f = {-0x1.62e43p-1f, -0x1.62e43p-1f};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), -0x1.05c61p-29f));
  d = {-0x1.62e42fefa39efp-1, -0x1.62e42fefa39efp-1};
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), 0x1.abc9e3b39803fp-56));
  // FLT_MAX + ln 2 is within half an ulp (2^103) of FLT_MAX.
  f = {FLT_MAX, FLT_MAX};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), FLT_MAX));
  f = {FLT_MAX, -FLT_MAX, -kFInf};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), FLT_MAX));
  d = {DBL_MAX, DBL_MAX, DBL_MAX};
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), DBL_MAX));
  d = {-DBL_MAX};
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), -DBL_MAX));
  d = {0x1p-1074};  // one entry: the entry itself, even when subnormal
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), 0x1p-1074));
  f = {0.0f};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), 0.0f));
}

TEST_P(OracleTest, LogSumExpSpecialRows) {
  const Options o = Opt();
  EXPECT_TRUE(SameBits(LogSumExp(static_cast<const float*>(nullptr), 0, o), -kFInf));
  std::vector<float> f = {-kFInf, -kFInf};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), -kFInf));
  f = {1.0f, kFNaN};
  EXPECT_TRUE(std::isnan(LogSumExp(f.data(), f.size(), o)));
  f = {1.0f, kFInf};
  EXPECT_TRUE(SameBits(LogSumExp(f.data(), f.size(), o), kFInf));
  f = {kFInf, kFNaN};  // NaN wins
  EXPECT_TRUE(std::isnan(LogSumExp(f.data(), f.size(), o)));
  std::vector<double> d = {-kDInf, 2.0, -kDInf};
  EXPECT_TRUE(SameBits(LogSumExp(d.data(), d.size(), o), 2.0));
}

// ---- the rounding itself --------------------------------------------------

// The exact decimal expansion of a dyadic rational ends in 5; these make the
// nearest strings just below and just above it, far past 256 bits, so only
// an exact parse (not a 256-bit one) can tell them from the tie.
std::string JustBelow(const std::string& digits, const std::string& exponent) {
  std::string s = digits;
  s.back() = static_cast<char>(s.back() - 1);
  return s + std::string(120, '9') + exponent;
}
std::string JustAbove(const std::string& digits, const std::string& exponent) {
  return digits + std::string(120, '0') + "1" + exponent;
}

const char kTwoPowMinus150[] =  // 2^-150: half of float's smallest subnormal
    "7.00649232162408535461864791644958065640130970938257885878534141944895"
    "541342930300743319094181060791015625";
const char kFloatMinMidpoint[] =  // (2^24 - 1) * 2^-150, between 0x1.fffffcp-127 and 2^-126
    "1.17549428075736429172788299103576651332285899275899042768296311842500"
    "30649651730385585324256680905818939208984375";
const char kTwoPowMinus1075[] =  // 2^-1075: half of double's smallest subnormal
    "2.47032822920623272088284396434110686182529901307162382212792841250337"
    "75363510437593264991818081799618989828234772285886546332835517796989819"
    "93873980053909390631503565951557022639229085839244910518443593180284993"
    "65361525003193704576782492193656236698636584807570015857692699037063119"
    "28279558551332927834338409351978015531246597263579574622766465272827220"
    "05637400648549997709659947045402082816622623785739345073633900796776193"
    "05775067401763246736009689513405355374585166611342237666786041621596804"
    "61914467291840300530057530849048765391711386591646239524912623653881879"
    "63623937328042389101867234849766823508986338858792562830275599565752445"
    "55072551893136908362547791869486679949683240497058210285131854513962138"
    "37722826145437693412532098591327667236328125";

TEST_P(OracleTest, RoundToFloatTiesToEven) {
  const Options o = Opt();
  // 1 + 2^-24 is the midpoint of 1 and 1 + 2^-23: even is 1.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.000001p+0", o), 1.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("1.000000059604644775390625", o), 1.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("-1.000000059604644775390625", o), -1.0f));
  EXPECT_TRUE(SameBits(RoundToFloat(JustAbove("1.000000059604644775390625", "").c_str(), o),
                       0x1.000002p+0f));
  EXPECT_TRUE(SameBits(RoundToFloat(JustBelow("1.000000059604644775390625", "").c_str(), o),
                       1.0f));
  // 1 + 3 * 2^-24 is the midpoint of 1 + 2^-23 and 1 + 2^-22: even is the latter.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.000003p+0", o), 0x1.000004p+0f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.0000030000000000000000000000000000000000000"
                                    "0000000000000000000000000000000000000000001p+0", o),
                       0x1.000004p+0f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.000002ffffffffffffffffffffffffffffffffffff"
                                    "fffffffffffffffffffffffffffffffffffffffffp+0", o),
                       0x1.000002p+0f));
  EXPECT_TRUE(SameBits(RoundToFloat("0.1", o), 0.1f));
  EXPECT_TRUE(SameBits(RoundToFloat("  +3.5e0 ", o), 3.5f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x.8p1", o), 1.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("16777217", o), 16777216.0f));  // 2^24 + 1: tie
  EXPECT_TRUE(SameBits(RoundToFloat("16777219", o), 16777220.0f));  // 2^24 + 3: tie
}

TEST_P(OracleTest, RoundToFloatSubnormals) {
  const Options o = Opt();
  // 2^-150 is the midpoint of 0 and 2^-149: even is 0.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1p-150", o), 0.0f));
  EXPECT_TRUE(SameBits(RoundToFloat((std::string(kTwoPowMinus150) + "e-46").c_str(), o), 0.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("-0x1p-150", o), -0.0f));
  // Anything above it, however little, is 2^-149.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.00000000000000000000000000000000000000000000"
                                    "00000000000000000000000000000000000000000000000000"
                                    "000000000000000000001p-150", o),
                       0x1p-149f));
  EXPECT_TRUE(SameBits(RoundToFloat(JustAbove(kTwoPowMinus150, "e-46").c_str(), o), 0x1p-149f));
  EXPECT_TRUE(SameBits(RoundToFloat(JustBelow(kTwoPowMinus150, "e-46").c_str(), o), 0.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.0000000000001p-150", o), 0x1p-149f));
  // 3 * 2^-150 is the midpoint of 2^-149 and 2^-148: even is 2^-148.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.8p-149", o), 0x1p-148f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.4p-149", o), 0x1p-149f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.cp-149", o), 0x1p-148f));
  EXPECT_TRUE(SameBits(RoundToFloat("1e-46", o), 0.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("1.5e-45", o), 0x1p-149f));
  EXPECT_TRUE(SameBits(RoundToFloat("1e-400000", o), 0.0f));
  // The largest subnormal (2^23 - 1) * 2^-149 and FLT_MIN = 2^-126: their
  // midpoint goes to FLT_MIN (even mantissa), anything below to the subnormal.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffffcp-127", o), 0x1.fffffcp-127f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffffep-127", o), FLT_MIN));
  EXPECT_TRUE(SameBits(RoundToFloat((std::string(kFloatMinMidpoint) + "e-38").c_str(), o),
                       FLT_MIN));
  EXPECT_TRUE(SameBits(RoundToFloat(JustBelow(kFloatMinMidpoint, "e-38").c_str(), o),
                       0x1.fffffcp-127f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffffdp-127", o), 0x1.fffffcp-127f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.ffffffp-127", o), FLT_MIN));
  // Subnormal midpoints go to the even neighbour, down or up:
  // 8388606.5 * 2^-149 -> 8388606, 8388605.5 * 2^-149 -> 8388606.
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffffap-127", o), 0x1.fffff8p-127f));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffff6p-127", o), 0x1.fffff8p-127f));
}

TEST_P(OracleTest, RoundToFloatOverflow) {
  const Options o = Opt();
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffffep+127", o), FLT_MAX));
  // FLT_MAX + half an ulp = 2^128 - 2^103: the tie goes to the even 2^128,
  // which is infinity.
  EXPECT_TRUE(SameBits(RoundToFloat("340282356779733661637539395458142568448", o), kFInf));
  EXPECT_TRUE(SameBits(RoundToFloat("340282356779733661637539395458142568447", o), FLT_MAX));
  EXPECT_TRUE(SameBits(RoundToFloat("-0x1.ffffffp+127", o), -kFInf));
  EXPECT_TRUE(SameBits(RoundToFloat("0x1.fffffefffffffp+127", o), FLT_MAX));
  EXPECT_TRUE(SameBits(RoundToFloat("1e39", o), kFInf));
  EXPECT_TRUE(SameBits(RoundToFloat("1e400000", o), kFInf));
}

TEST_P(OracleTest, RoundToDouble) {
  const Options o = Opt();
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.00000000000008p+0", o), 1.0));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.00000000000018p+0", o), 0x1.0000000000002p+0));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.000000000000080000000000000000000000000000"
                                     "00000000000000000000000000000000000000000001p+0", o),
                       0x1.0000000000001p+0));
  EXPECT_TRUE(SameBits(RoundToDouble("0.1", o), 0.1));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1p-1075", o), 0.0));
  EXPECT_TRUE(SameBits(RoundToDouble((std::string(kTwoPowMinus1075) + "e-324").c_str(), o), 0.0));
  EXPECT_TRUE(SameBits(RoundToDouble(JustAbove(kTwoPowMinus1075, "e-324").c_str(), o),
                       0x1p-1074));
  EXPECT_TRUE(SameBits(RoundToDouble(JustBelow(kTwoPowMinus1075, "e-324").c_str(), o), 0.0));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.8p-1074", o), 0x1p-1073));
  EXPECT_TRUE(SameBits(RoundToDouble("4.9406564584124654e-324", o), 0x1p-1074));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.ffffffffffffe8p-1023", o), 0x1.ffffffffffffep-1023));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.fffffffffffff8p-1023", o), DBL_MIN));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.fffffffffffff8p+1023", o), kDInf));
  EXPECT_TRUE(SameBits(RoundToDouble("0x1.fffffffffffff7ffp+1023", o), DBL_MAX));
  EXPECT_TRUE(SameBits(RoundToDouble("1.7976931348623157e308", o), DBL_MAX));
  EXPECT_TRUE(SameBits(RoundToDouble("2.2250738585072014e-308", o), DBL_MIN));
}

TEST_P(OracleTest, RoundStringSpecialsAndErrors) {
  const Options o = Opt();
  EXPECT_TRUE(SameBits(RoundToFloat("-0", o), -0.0f));
  EXPECT_TRUE(SameBits(RoundToFloat("0e999999999999999", o), 0.0f));
  EXPECT_TRUE(SameBits(RoundToDouble("-0.000", o), -0.0));
  EXPECT_TRUE(SameBits(RoundToFloat("inf", o), kFInf));
  EXPECT_TRUE(SameBits(RoundToFloat("-Infinity", o), -kFInf));
  EXPECT_TRUE(std::isnan(RoundToFloat("nan", o)));
  EXPECT_TRUE(std::isnan(RoundToDouble("NaN", o)));
  for (const char* bad : {"", " ", "abc", "1.0x", "1e", "0x", "0xp3", "--1", "1..2",
                          "1e+", "infinite", "nanx", "0x1.8q3"}) {
    EXPECT_THROW(RoundToFloat(bad, o), std::invalid_argument) << "'" << bad << "'";
    EXPECT_THROW(RoundToDouble(bad, o), std::invalid_argument) << "'" << bad << "'";
  }
  EXPECT_THROW(RoundToFloat(nullptr, o), std::invalid_argument);
}

// ---- precision ------------------------------------------------------------

TEST_P(OracleTest, BitsAreValidated) {
  const float x[2] = {1.0f, 2.0f};
  EXPECT_THROW(Softmax(x, 2, 1.0f, Options{GetParam(), 199}), std::invalid_argument);
  EXPECT_THROW(Softmax(x, 2, 1.0f, Options{GetParam(), 0}), std::invalid_argument);
  EXPECT_THROW(LogSumExp(x, 2, Options{GetParam(), 100}), std::invalid_argument);
  EXPECT_THROW(RoundToFloat("1", Options{GetParam(), 64}), std::invalid_argument);
  EXPECT_THROW(Softmax(x, 2, 1.0f, Options{GetParam(), 1u << 20}), std::invalid_argument);
  EXPECT_NO_THROW(Softmax(x, 2, 1.0f, Options{GetParam(), 200}));
  EXPECT_NO_THROW(Softmax(x, 2, 1.0f, Options{GetParam(), 1024}));
}

// A random row; no NaN or +inf (those rows are trivial). A quarter of the
// rows mix the extremes (+-max, subnormals, -inf, any exponent), where most
// outputs are exactly 0 or 1; the rest keep every entry within reach of
// exp, spread so that the smallest outputs land in the subnormal range of
// the type (gaps up to 110 for float, 760 for double), with ties and masks.
template <typename T>
std::vector<T> RandomRow(std::mt19937_64& rng) {
  using L = std::numeric_limits<T>;
  std::uniform_int_distribution<int> size_dist(1, 40), kind_dist(0, 11);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const int n = size_dist(rng);
  std::vector<T> x(static_cast<size_t>(n));
  if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
    const int min_exp = L::min_exponent - L::digits, max_exp = L::max_exponent - 1;
    std::uniform_int_distribution<int> exp_dist(min_exp, max_exp);
    for (T& v : x) {
      switch (kind_dist(rng)) {
        case 0: v = L::max(); break;
        case 1: v = -L::max(); break;
        case 2: v = -L::infinity(); break;
        case 3:
          v = static_cast<T>(std::uniform_int_distribution<int>(1, 9)(rng)) * L::denorm_min();
          break;
        case 4: v = static_cast<T>(std::ldexp(unit(rng), exp_dist(rng))); break;
        case 5: v = x[0]; break;  // a tie
        case 6: v = 0; break;
        default: v = static_cast<T>(unit(rng) * 20); break;
      }
    }
    return x;
  }
  const double gap = sizeof(T) == 4 ? 110.0 : 760.0;
  // The row's location: near 0 or far from it, where x - max is inexact
  // in the type but exact in the oracle.
  const int far = sizeof(T) == 4 ? 16 : 40;
  const double centre = std::ldexp(unit(rng), std::uniform_int_distribution<int>(-4, far)(rng));
  for (T& v : x) {
    switch (kind_dist(rng)) {
      case 0: v = -L::infinity(); break;
      case 1: v = x[0]; break;  // a tie
      case 2: v = static_cast<T>(centre + unit(rng)); break;  // near the max
      default: v = static_cast<T>(centre - gap * (unit(rng) + 1) / 2); break;
    }
  }
  return x;
}

template <typename T>
void ExpectBackendsAgree(uint64_t seed, int rows, int* nontrivial, int* subnormal) {
  using L = std::numeric_limits<T>;
  std::mt19937_64 rng(seed);
  const T temperatures[] = {1, 1, 1, 0.5, 3, static_cast<T>(0.1), 100, 0,
                            std::numeric_limits<T>::infinity(), static_cast<T>(1e-30)};
  for (int r = 0; r < rows; ++r) {
    const std::vector<T> x = RandomRow<T>(rng);
    const T t = temperatures[static_cast<size_t>(r) % std::size(temperatures)];
    const auto a = Softmax(x.data(), x.size(), t, Options{Backend::kMpfr, 256});
    const auto b = Softmax(x.data(), x.size(), t, Options{Backend::kCppBinFloat, 256});
    ASSERT_TRUE(SameRow(a.rounded, b.rounded)) << "row " << r;
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_TRUE(std::isnan(a.exact[i]) ? std::isnan(b.exact[i]) : a.exact[i] == b.exact[i])
          << "row " << r << " index " << i;
      // `rounded` is within half an ulp of `exact`, up to exact's own 64-bit
      // rounding (2^-40 float ulp, 2^-11 double ulp), allowed twice over.
      EXPECT_LE(UlpError(a.rounded[i], a.exact[i]),
                0.5 + std::ldexp(1.0, std::numeric_limits<T>::digits - 63))
          << "row " << r;
    }
    for (size_t i = 0; i < x.size(); ++i) {
      const T v = a.rounded[i];
      if (v != 0 && !std::isnan(v)) ++*nontrivial;
      if (v != 0 && std::fabs(v) < L::min()) ++*subnormal;
    }
    const T lse_a = LogSumExp(x.data(), x.size(), Options{Backend::kMpfr, 256});
    const T lse_b = LogSumExp(x.data(), x.size(), Options{Backend::kCppBinFloat, 256});
    ASSERT_TRUE(SameBits(lse_a, lse_b)) << "row " << r;
  }
}

// The rows must exercise the rounding: many nonzero outputs, some subnormal.
TEST(OracleBackends, AgreeBitForBitFloat) {
  int nontrivial = 0, subnormal = 0;
  ExpectBackendsAgree<float>(20240601, 300, &nontrivial, &subnormal);
  EXPECT_GT(nontrivial, 2000);
  EXPECT_GT(subnormal, 20);
}
TEST(OracleBackends, AgreeBitForBitDouble) {
  int nontrivial = 0, subnormal = 0;
  ExpectBackendsAgree<double>(20240602, 300, &nontrivial, &subnormal);
  EXPECT_GT(nontrivial, 2000);
  EXPECT_GT(subnormal, 20);
}

TEST(OracleBackends, AgreeOnRoundingStrings) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    // Random float midpoints and their neighbours, normal and subnormal.
    const int e = std::uniform_int_distribution<int>(-180, 110)(rng);
    const uint64_t m = std::uniform_int_distribution<uint64_t>(1u << 24, (1u << 25) - 1)(rng);
    char text[64];
    std::snprintf(text, sizeof text, "0x%llxp%d", static_cast<unsigned long long>(m), e);
    const float a = RoundToFloat(text, Options{Backend::kMpfr, 256});
    const float b = RoundToFloat(text, Options{Backend::kCppBinFloat, 256});
    ASSERT_TRUE(SameBits(a, b)) << text;
    // The C library's strtof rounds correctly as well: a third opinion.
    ASSERT_TRUE(SameBits(a, std::strtof(text, nullptr))) << text;
    const double ad = RoundToDouble(text, Options{Backend::kMpfr, 300});
    ASSERT_TRUE(SameBits(ad, std::strtod(text, nullptr))) << text;
  }
}

TEST_P(OracleTest, PrecisionIsHonoured) {
  // The same rows at 200, 256, 512 and 1024 bits round the same way, and
  // interleaving precisions leaves nothing behind between calls.
  std::mt19937_64 rng(99);
  for (int r = 0; r < 40; ++r) {
    const std::vector<double> x = RandomRow<double>(rng);
    const auto base = Softmax(x.data(), x.size(), 1.0, Opt(256));
    for (unsigned bits : {200u, 1024u, 256u, 512u, 333u}) {
      const auto other = Softmax(x.data(), x.size(), 1.0, Opt(bits));
      ASSERT_TRUE(SameRow(base.rounded, other.rounded)) << bits;
    }
  }
}

TEST(OracleThreads, ConcurrentCallsWithDifferentPrecisions) {
  // mpfr_float's default precision is process-wide in Boost 1.74; calls at
  // different precisions on different threads must not disturb each other,
  // nor calls on the cpp_bin_float backend running beside them.
  std::mt19937_64 rng(5);
  std::vector<std::vector<double>> rows;
  for (int r = 0; r < 24; ++r) rows.push_back(RandomRow<double>(rng));
  std::vector<std::vector<double>> expected;
  for (const auto& x : rows)
    expected.push_back(Softmax(x.data(), x.size(), 0.5, Options{}).rounded);
  constexpr int kThreads = 6;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Options options =
          t < 4 ? Options{Backend::kMpfr, 200 + 150 * static_cast<unsigned>(t)}
                : Options{Backend::kCppBinFloat, 256u * static_cast<unsigned>(t - 3)};
      for (int rep = 0; rep < 3; ++rep)
        for (size_t r = 0; r < rows.size(); ++r) {
          const auto got = Softmax(rows[r].data(), rows[r].size(), 0.5, options);
          if (!SameRow(got.rounded, expected[r])) ++failures[static_cast<size_t>(t)];
        }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(failures[static_cast<size_t>(t)], 0) << "thread " << t;
}

// ---- a long row -------------------------------------------------------------

TEST(OracleLongRow, TwoToTheTwentyFloats) {
  // 2^20 logits in [-20, 20], default (mpfr, 256-bit) backend. Measured on
  // a shared 2-core development VM: 3.2-3.7 s with g++ 12 or clang 14 at -O2,
  // 9-15 s under ASan+UBSan (exp at 256 bits is ~2 us of it per element; the
  // cpp_bin_float backend takes ~11-12 s, so it is not run here). The bound
  // leaves room for slow or loaded CI machines; it is not a benchmark.
  const size_t n = size_t{1} << 20;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-20.0f, 20.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  const auto start = std::chrono::steady_clock::now();
  const auto r = Softmax(x.data(), n);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ timing   ] Softmax(2^20 floats, mpfr 256 bits): %.2f s\n", seconds);
  EXPECT_LT(seconds, 120.0);
  ASSERT_EQ(r.rounded.size(), n);
  long double sum_rounded = 0, sum_exact = 0;
  for (size_t i = 0; i < n; ++i) {
    sum_rounded += r.rounded[i];
    sum_exact += r.exact[i];
  }
  // Each rounded output is within half an ulp of its exact value, so their
  // sum is within a few float ulps of 1 (errors of 2^20 terms mostly cancel).
  EXPECT_NEAR(static_cast<double>(sum_rounded), 1.0, 4 * FLT_EPSILON);
  EXPECT_NEAR(static_cast<double>(sum_exact), 1.0, 1e-15);
}

}  // namespace
}  // namespace softcheck::oracle
