// The oracle (oracle.h): softmax and log-sum-exp evaluated at >= `bits` of
// binary precision with Boost.Multiprecision (mpfr_float or cpp_bin_float),
// then correctly rounded, round-half-even, to float, double or long double,
// subnormals included, by RoundTo() below rather than by a library cast.
//
// Guarantees:
//   * the special rows follow impl/softmax.h exactly (the same precedence as
//     HandleSpecialTemperature: bad T, then NaN/+inf, then fully masked);
//   * no overflow or NaN for any finite input, +-FLT_MAX / +-DBL_MAX included:
//     the row maximum is subtracted in high precision, so every exponent is
//     <= 0 and the sum is in [1, n];
//   * both backends run the very same templated code; they can differ only
//     where their exp/log differ in the last of >= 200 bits, i.e. for a value
//     within ~2^-200 (relative) of a rounding midpoint;
//   * RoundToFloat/RoundToDouble are exact for any input string: the string
//     is parsed exactly (cpp_int), truncated to `bits` bits, and the
//     truncation's direction breaks a tie the truncation may have created.
// Precision: Options::bits outside [200, max] throws std::invalid_argument
// (max 65536 for mpfr, 1024 for cpp_bin_float). mpfr runs at the smallest
// Boost digits10 whose bit count reaches `bits` (bits to bits + 4 bits);
// cpp_bin_float's precision is static, so the smallest of the 256-, 512- and
// 1024-bit types that reaches `bits` is used.
// What is NOT guaranteed: a softmax/LSE value whose exact result lies within
// about 2^-bits (relative) of a midpoint of the destination type may round the
// wrong way (the table maker's dilemma; only the precision bounds it).
//
// Threading: cpp_bin_float has static precision and no shared state (Boost's
// constant caches are thread_local). Boost 1.74's mpfr_float keeps its
// default precision in one process-wide variable that every new variable
// reads; MpfrPrecisionScope makes concurrent calls with the same `bits` run
// in parallel and calls with different `bits` wait for each other, and
// restores the previous default when the last one leaves.
#include "oracle/oracle.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include "oracle/rounding.h"

namespace softcheck::oracle {
namespace {

namespace mp = boost::multiprecision;

using MpfrReal = mp::mpfr_float;  // runtime precision, see MpfrPrecisionScope
using CppBin256 = mp::number<mp::cpp_bin_float<256, mp::digit_base_2>>;
using CppBin512 = mp::number<mp::cpp_bin_float<512, mp::digit_base_2>>;
using CppBin1024 = mp::number<mp::cpp_bin_float<1024, mp::digit_base_2>>;

constexpr unsigned kMinBits = 200;
// mpfr handles far more, but a request above this is a bug in the caller,
// and it keeps the digits10 arithmetic below well inside `unsigned`.
constexpr unsigned kMaxMpfrBits = 1u << 16;
// cpp_bin_float's precision is a template argument; the largest instance.
constexpr unsigned kMaxCppBinFloatBits = 1024;

void CheckBits(const Options& options) {
  if (options.bits < kMinBits)
    throw std::invalid_argument("softcheck oracle: bits must be >= 200, got " +
                                std::to_string(options.bits));
  const unsigned max = options.backend == Backend::kMpfr ? kMaxMpfrBits
                                                         : kMaxCppBinFloatBits;
  if (options.bits > max)
    throw std::invalid_argument("softcheck oracle: bits must be <= " +
                                std::to_string(max) + " for this backend, got " +
                                std::to_string(options.bits));
}

// Boost sets mpfr precision in decimal digits and turns d digits into
// digits10_2_2(d) bits; the smallest d whose bit count reaches `bits`.
unsigned MpfrDigits10For(unsigned bits) {
  unsigned d = bits * 301u / 1000u;
  while (mp::detail::digits10_2_2(d) < bits) ++d;
  return d;
}

// Holds mpfr_float's process-wide default precision at `digits10` for the
// lifetime of the scope. Every variable the algorithm creates picks that
// precision up, and Boost's per-expression precision guards then find nothing
// to change, so the global is only written on the first entry and last exit.
class MpfrPrecisionScope {
 public:
  explicit MpfrPrecisionScope(unsigned digits10) {
    std::unique_lock<std::mutex> lock(Mutex());
    State& s = Shared();
    Cv().wait(lock, [&] { return s.active == 0 || s.digits10 == digits10; });
    if (s.active == 0) {
      s.saved = MpfrReal::default_precision();
      s.digits10 = digits10;
      MpfrReal::default_precision(digits10);
    }
    ++s.active;
  }
  ~MpfrPrecisionScope() {
    std::lock_guard<std::mutex> lock(Mutex());
    State& s = Shared();
    if (--s.active == 0) {
      MpfrReal::default_precision(s.saved);
      Cv().notify_all();
    }
  }
  MpfrPrecisionScope(const MpfrPrecisionScope&) = delete;
  MpfrPrecisionScope& operator=(const MpfrPrecisionScope&) = delete;

 private:
  struct State {
    unsigned active = 0;
    unsigned digits10 = 0;
    unsigned saved = 0;
  };
  static std::mutex& Mutex() {
    static std::mutex mutex;
    return mutex;
  }
  static std::condition_variable& Cv() {
    static std::condition_variable cv;
    return cv;
  }
  static State& Shared() {
    static State state;
    return state;
  }
};

// MPFR keeps per-thread caches (constants such as log 2, a pool of mpz
// integers) until the thread calls mpfr_free_cache. Boost frees the main
// thread's at exit; this frees those of any other thread that ran the mpfr
// backend when it ends, so a pool of worker threads does not leak.
void ReleaseMpfrCachesAtThreadExit() {
  struct Releaser {
    ~Releaser() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }
  };
  thread_local Releaser releaser;
  (void)releaser;
}

template <typename Real>
struct Tag {
  using type = Real;
};

// Runs fn(Tag<Real>{}) with the number type the options ask for.
template <typename Fn>
auto WithReal(const Options& options, Fn&& fn) {
  CheckBits(options);
  if (options.backend == Backend::kMpfr) {
    ReleaseMpfrCachesAtThreadExit();
    MpfrPrecisionScope scope(MpfrDigits10For(options.bits));
    // digits10_2_2 is a Boost detail: make sure it still means what it did.
    if (mpfr_get_prec(MpfrReal(0).backend().data()) < static_cast<mpfr_prec_t>(options.bits))
      throw std::logic_error("softcheck oracle: mpfr precision below the request");
    return fn(Tag<MpfrReal>{});
  }
  if (options.bits <= 256) return fn(Tag<CppBin256>{});
  if (options.bits <= 512) return fn(Tag<CppBin512>{});
  return fn(Tag<CppBin1024>{});
}

// RoundTo, RoundScratch: oracle/rounding.h (shared with the attention
// oracle).
using internal::RoundScratch;
using internal::RoundTo;

// Below this z, exp(z) is treated as exactly 0. exp(z) is then below
// 2^-(1.44 * (bits + 16600)) <= 2^-24230: under half of long double's
// smallest subnormal (2^-16446), so every output it feeds rounds to +0 in
// every destination type; and set against a sum >= 1 it sits more than
// 2^23000 times under the working precision's resolution 2^-bits, however
// long the row. Skipping it also keeps exp() away from arguments near
// -2 * DBL_MAX / T, whose result would underflow the backends' exponent range.
double ExpCutoff(unsigned bits) { return -(static_cast<double>(bits) + 16600.0); }

template <typename Fp>
struct RowScan {
  bool poisoned = false;  // NaN or +inf somewhere
  bool has_nan = false;
  size_t unmasked = 0;    // entries that are not -inf
  size_t ties = 0;        // entries equal to the maximum
  Fp max = -std::numeric_limits<Fp>::infinity();
};

template <typename Fp>
RowScan<Fp> ScanRow(const Fp* x, size_t n) {
  RowScan<Fp> s;
  const Fp kInf = std::numeric_limits<Fp>::infinity();
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) {
      s.poisoned = s.has_nan = true;
    } else if (x[i] == kInf) {
      s.poisoned = true;
    } else if (x[i] != -kInf) {
      ++s.unmasked;
      if (x[i] > s.max) {
        s.max = x[i];
        s.ties = 1;
      } else if (x[i] == s.max) {
        ++s.ties;
      }
    }
  }
  return s;
}

template <typename Fp>
void FillResult(SoftmaxResult<Fp>& r, Fp rounded, long double exact) {
  std::fill(r.rounded.begin(), r.rounded.end(), rounded);
  std::fill(r.exact.begin(), r.exact.end(), exact);
}

template <typename Real, typename Fp>
SoftmaxResult<Fp> SoftmaxImpl(const Fp* x, size_t n, Fp temperature,
                              unsigned bits) {
  SoftmaxResult<Fp> result;
  result.rounded.assign(n, Fp(0));
  result.exact.assign(n, 0.0L);
  if (n == 0) return result;
  const Fp kNaN = std::numeric_limits<Fp>::quiet_NaN();
  const long double kNaNL = std::numeric_limits<long double>::quiet_NaN();
  if (!(temperature >= 0)) {  // negative or NaN: a caller error
    FillResult(result, kNaN, kNaNL);
    return result;
  }
  const RowScan<Fp> scan = ScanRow(x, n);
  if (scan.poisoned) {
    FillResult(result, kNaN, kNaNL);
    return result;
  }
  if (scan.unmasked == 0) return result;  // fully masked: all +0

  const Fp kInf = std::numeric_limits<Fp>::infinity();
  if (temperature == 0 || temperature == kInf) {
    // The limits: 1/k over the argmax ties (T == 0) or over every unmasked
    // entry (T == +inf), 1/k itself correctly rounded.
    const bool argmax = temperature == 0;
    const size_t k = argmax ? scan.ties : scan.unmasked;
    const Real share = Real(1) / Real(static_cast<unsigned long long>(k));
    const Fp share_rounded = RoundTo<Fp>(share);
    const long double share_exact = RoundTo<long double>(share);
    for (size_t i = 0; i < n; ++i) {
      const bool on = argmax ? x[i] == scan.max : x[i] != -kInf;
      if (on) {
        result.rounded[i] = share_rounded;
        result.exact[i] = share_exact;
      }
    }
    return result;
  }

  // exp((x_i - max) / T) once per element, kept for the normalisation pass.
  // The subtraction and division happen in Real, so x_i / T is never formed
  // in Fp and nothing can overflow: every z_i <= 0 and z_max == 0.
  const Real max = scan.max;
  const Real t = temperature;
  const bool unit_t = temperature == 1;
  const double cutoff = ExpCutoff(bits);
  std::vector<Real> e(n);  // 0 where masked or below the cutoff
  Real z;
  Real sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] == -kInf) continue;
    z = x[i];
    z -= max;
    if (!unit_t) z /= t;
    if (z < cutoff) continue;
    e[i] = exp(z);
    sum += e[i];
  }
  Real y;
  RoundScratch<Real> scratch;
  for (size_t i = 0; i < n; ++i) {
    if (e[i] == 0) continue;  // +0 output, already in place
    y = e[i] / sum;
    result.rounded[i] = RoundTo<Fp>(y, scratch);
    result.exact[i] = RoundTo<long double>(y, scratch);
  }
  return result;
}

template <typename Real, typename Fp>
Fp LogSumExpImpl(const Fp* x, size_t n, unsigned bits) {
  const Fp kInf = std::numeric_limits<Fp>::infinity();
  const RowScan<Fp> scan = ScanRow(x, n);
  if (scan.has_nan) return std::numeric_limits<Fp>::quiet_NaN();
  if (scan.poisoned) return kInf;
  if (scan.unmasked == 0) return -kInf;  // also n == 0: log(0)

  // max + log(sum exp(x_i - max)): the sum is in [1, n], so the log neither
  // overflows nor loses the max's magnitude.
  const Real max = scan.max;
  const double cutoff = ExpCutoff(bits);
  Real z;
  Real sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] == -kInf) continue;
    z = x[i];
    z -= max;
    if (z < cutoff) continue;
    sum += exp(z);
  }
  const Real lse = max + log(sum);
  return RoundTo<Fp>(lse);
}

// ---- exact parsing of the RoundToFloat/RoundToDouble strings -------------

struct ParsedNumber {
  enum class Kind { kFinite, kZero, kInf, kNaN };
  Kind kind = Kind::kFinite;
  bool negative = false;
  // kFinite: |value| = numerator / denominator, both positive.
  mp::cpp_int numerator;
  mp::cpp_int denominator;
};

bool MatchWord(const char*& p, const char* word) {
  const char* q = p;
  for (; *word != '\0'; ++word, ++q)
    if (std::tolower(static_cast<unsigned char>(*q)) != *word) return false;
  p = q;
  return true;
}

int DigitValue(char c, int radix) {
  int d = -1;
  if (c >= '0' && c <= '9') d = c - '0';
  else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
  return d < radix ? d : -1;
}

// Accepts what strtod accepts, minus locale: [ws][+-](inf|infinity|nan|
// decimal[eE exp]|0x hex[pP exp])[ws]. Anything else throws, so a typo in a
// test is an error rather than a silently different number.
ParsedNumber ParseExact(const char* text) {
  if (text == nullptr) throw std::invalid_argument("softcheck oracle: null string");
  const auto bad = [&] {
    return std::invalid_argument(std::string("softcheck oracle: not a number: '") +
                                 text + "'");
  };
  ParsedNumber out;
  const char* p = text;
  while (std::isspace(static_cast<unsigned char>(*p))) ++p;
  if (*p == '+' || *p == '-') out.negative = *p++ == '-';
  const auto at_end = [&] {
    while (std::isspace(static_cast<unsigned char>(*p))) ++p;
    return *p == '\0';
  };
  if (MatchWord(p, "infinity") || MatchWord(p, "inf")) {
    if (!at_end()) throw bad();
    out.kind = ParsedNumber::Kind::kInf;
    return out;
  }
  if (MatchWord(p, "nan")) {
    if (!at_end()) throw bad();
    out.kind = ParsedNumber::Kind::kNaN;
    return out;
  }

  int radix = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    radix = 16;
    p += 2;
  }
  mp::cpp_int mantissa = 0;
  long long significant_digits = 0;  // digits from the first nonzero one
  long long fraction_digits = 0;
  long long digits = 0;
  bool seen_point = false;
  for (;; ++p) {
    if (*p == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    const int d = DigitValue(*p, radix);
    if (d < 0) break;
    ++digits;
    if (seen_point) ++fraction_digits;
    if (d != 0 || significant_digits > 0) {
      mantissa = mantissa * radix + d;
      ++significant_digits;
    }
  }
  if (digits == 0) throw bad();

  // The exponent saturates: anything past +-10^12 is far outside every range
  // handled below, so its exact value stops mattering.
  long long exponent = 0;
  const char marker = radix == 16 ? 'p' : 'e';
  if (std::tolower(static_cast<unsigned char>(*p)) == marker) {
    ++p;
    bool exponent_negative = false;
    if (*p == '+' || *p == '-') exponent_negative = *p++ == '-';
    if (DigitValue(*p, 10) < 0) throw bad();
    for (; DigitValue(*p, 10) >= 0; ++p)
      exponent = std::min(exponent * 10 + (*p - '0'), 1'000'000'000'000LL);
    if (exponent_negative) exponent = -exponent;
  }
  if (!at_end()) throw bad();

  if (mantissa == 0) {
    out.kind = ParsedNumber::Kind::kZero;
    return out;
  }
  // value = mantissa * base^scale with base 10 or 2; magnitude in
  // [base^(top - 1), base^top). Beyond the bounds below the value is certainly
  // below 2^-1075 (rounds to 0 in double and float) or above DBL_MAX + its
  // half ulp (infinite), and no huge power needs to be formed.
  long long scale = 0, top = 0;
  if (radix == 10) {
    scale = exponent - fraction_digits;
    top = significant_digits + scale;
    if (top < -400) out.kind = ParsedNumber::Kind::kZero;
    if (top - 1 > 400) out.kind = ParsedNumber::Kind::kInf;
  } else {
    scale = exponent - 4 * fraction_digits;
    top = static_cast<long long>(mp::msb(mantissa)) + 1 + scale;
    if (top < -1200) out.kind = ParsedNumber::Kind::kZero;
    if (top - 1 > 1100) out.kind = ParsedNumber::Kind::kInf;
  }
  if (out.kind != ParsedNumber::Kind::kFinite) return out;

  out.numerator = std::move(mantissa);
  out.denominator = 1;
  if (radix == 10) {
    const mp::cpp_int power =
        mp::pow(mp::cpp_int(10), static_cast<unsigned>(scale < 0 ? -scale : scale));
    if (scale >= 0) out.numerator *= power;
    else out.denominator = power;
  } else {
    if (scale >= 0) out.numerator <<= static_cast<unsigned>(scale);
    else out.denominator <<= static_cast<unsigned>(-scale);
  }
  return out;
}

// An integer of at most the working precision, converted exactly: 32 bits at
// a time so each partial value is exactly representable along the way.
template <typename Real>
Real CppIntToReal(const mp::cpp_int& value) {
  Real acc = 0;
  const unsigned top = static_cast<unsigned>(mp::msb(value));
  for (int shift = static_cast<int>(top / 32 * 32); shift >= 0; shift -= 32) {
    const mp::cpp_int chunk = (value >> shift) & 0xffffffffu;
    acc = ldexp(acc, 32);
    acc += chunk.convert_to<unsigned long>();
  }
  return acc;
}

// The parsed value truncated to `bits` significant bits, and the direction of
// the truncation (+1: the true magnitude is above, 0: exact).
template <typename Real>
std::pair<Real, int> ToReal(const ParsedNumber& parsed, unsigned bits) {
  using Kind = ParsedNumber::Kind;
  const Real sign = parsed.negative ? -1 : 1;
  switch (parsed.kind) {
    case Kind::kNaN:
      return {std::numeric_limits<Real>::quiet_NaN(), 0};
    case Kind::kInf:
      return {sign * std::numeric_limits<Real>::infinity(), 0};
    case Kind::kZero:
      return {sign * Real(0), 0};
    case Kind::kFinite:
      break;
  }
  // N / D in (2^(nb - db - 1), 2^(nb - db + 1)), so with k = bits - (nb - db)
  // the quotient N * 2^k / D has bits or bits + 1 significant bits.
  const long long nb = static_cast<long long>(mp::msb(parsed.numerator));
  const long long db = static_cast<long long>(mp::msb(parsed.denominator));
  long long k = static_cast<long long>(bits) - (nb - db);
  mp::cpp_int quotient, remainder;
  if (k >= 0) {
    mp::divide_qr(mp::cpp_int(parsed.numerator << static_cast<unsigned>(k)),
                  parsed.denominator, quotient, remainder);
  } else {
    mp::divide_qr(parsed.numerator,
                  mp::cpp_int(parsed.denominator << static_cast<unsigned>(-k)),
                  quotient, remainder);
  }
  bool inexact = remainder != 0;
  if (mp::msb(quotient) >= bits) {
    inexact = inexact || mp::bit_test(quotient, 0);
    quotient >>= 1;
    --k;
  }
  const Real magnitude = ldexp(CppIntToReal<Real>(quotient), static_cast<int>(-k));
  return {sign * magnitude, inexact ? 1 : 0};
}

template <typename Fp>
Fp RoundString(const char* text, const Options& options) {
  const ParsedNumber parsed = ParseExact(text);
  return WithReal(options, [&](auto tag) {
    using Real = typename decltype(tag)::type;
    const auto [value, direction] = ToReal<Real>(parsed, options.bits);
    return RoundTo<Fp>(value, direction);
  });
}

std::atomic<uint64_t> g_rows_evaluated{0};

}  // namespace

uint64_t RowsEvaluated() { return g_rows_evaluated.load(); }
void NoteRowsEvaluated(uint64_t rows) { g_rows_evaluated += rows; }

SoftmaxResult<float> Softmax(const float* x, size_t n, float temperature,
                             const Options& options) {
  ++g_rows_evaluated;
  return WithReal(options, [&](auto tag) {
    using Real = typename decltype(tag)::type;
    return SoftmaxImpl<Real>(x, n, temperature, options.bits);
  });
}

SoftmaxResult<double> Softmax(const double* x, size_t n, double temperature,
                              const Options& options) {
  ++g_rows_evaluated;
  return WithReal(options, [&](auto tag) {
    using Real = typename decltype(tag)::type;
    return SoftmaxImpl<Real>(x, n, temperature, options.bits);
  });
}

float LogSumExp(const float* x, size_t n, const Options& options) {
  return WithReal(options, [&](auto tag) {
    using Real = typename decltype(tag)::type;
    return LogSumExpImpl<Real>(x, n, options.bits);
  });
}

double LogSumExp(const double* x, size_t n, const Options& options) {
  return WithReal(options, [&](auto tag) {
    using Real = typename decltype(tag)::type;
    return LogSumExpImpl<Real>(x, n, options.bits);
  });
}

float RoundToFloat(const char* exact_decimal, const Options& options) {
  return RoundString<float>(exact_decimal, options);
}

double RoundToDouble(const char* exact_decimal, const Options& options) {
  return RoundString<double>(exact_decimal, options);
}

}  // namespace softcheck::oracle
