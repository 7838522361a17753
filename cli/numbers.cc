#include "cli/numbers.h"

#include <fmt/format.h>

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <cmath>
#include <cstdlib>
#include <string>

#include "impl/softmax.h"

namespace softcheck {
namespace {

template <typename T>
T StrTo(const char* s, char** end);
template <>
float StrTo<float>(const char* s, char** end) { return std::strtof(s, end); }
template <>
double StrTo<double>(const char* s, char** end) { return std::strtod(s, end); }

// NaN bits. The quiet bit is the mantissa's top bit; the payload is the
// mantissa's other bits.
template <typename T>
struct NanBits {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  static constexpr int kMantissa = std::numeric_limits<T>::digits - 1;
  static constexpr U kQuiet = U{1} << (kMantissa - 1);
  static constexpr U kPayload = kQuiet - 1;
  static constexpr U kSign = U{1} << (sizeof(T) * 8 - 1);
  static constexpr U kExponent = ~kSign & ~(kQuiet | kPayload);
};

// "nan", "-nan", "nan(0xP)" (quiet, payload P) or "snan(0xP)" (signalling):
// the spelling that ParseValue reads back to the same bits.
template <typename T>
std::string FormatNan(T v) {
  using B = NanBits<T>;
  const auto bits = std::bit_cast<typename B::U>(v);
  const char* sign = (bits & B::kSign) ? "-" : "";
  const auto payload = bits & B::kPayload;
  if (bits & B::kQuiet) {
    if (payload == 0) return fmt::format("{}nan", sign);
    return fmt::format("{}nan(0x{:x})", sign, payload);
  }
  return fmt::format("{}snan(0x{:x})", sign, payload);
}

// Reads the spellings FormatNan writes (any case). Not a NaN spelling with
// a payload: nullopt, and the caller parses as usual.
template <typename T>
std::optional<T> ParseNanWithPayload(const std::string& s, std::string* error, bool* matched) {
  using B = NanBits<T>;
  *matched = false;
  std::string t;
  for (char c : s) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = 0;
  bool negative = false;
  if (at < t.size() && (t[at] == '-' || t[at] == '+')) negative = t[at++] == '-';
  bool signalling = false;
  if (t.compare(at, 5, "snan(") == 0) {
    signalling = true;
    at += 5;
  } else if (t.compare(at, 4, "nan(") == 0) {
    at += 4;
  } else {
    return std::nullopt;
  }
  *matched = true;
  const std::string inside = t.substr(at, t.size() - at - (t.back() == ')' ? 1 : 0));
  typename B::U payload = 0;
  bool ok = t.back() == ')' && inside.size() > 2 && inside.compare(0, 2, "0x") == 0 &&
            inside.size() <= 2 + sizeof(T) * 2 &&
            inside.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
  if (ok) {
    payload = static_cast<typename B::U>(std::strtoull(inside.c_str() + 2, nullptr, 16));
    ok = payload <= B::kPayload && !(signalling && payload == 0);
  }
  if (!ok) {
    *error = fmt::format(
        "malformed NaN '{}' (expected nan(0xP) or snan(0xP), P a hex payload from {} to 0x{:x})",
        s, signalling ? "0x1" : "0x0", B::kPayload);
    return std::nullopt;
  }
  const typename B::U bits = (negative ? B::kSign : 0) | B::kExponent |
                             (signalling ? 0 : B::kQuiet) | payload;
  return std::bit_cast<T>(bits);
}

}  // namespace

template <typename T>
std::optional<T> ParseValue(std::string_view text, std::string* error) {
  const std::string s(text);
  const char* type = LaneTypeName<T>();
  if (s.empty()) {
    *error = "empty value";
    return std::nullopt;
  }
  // strto* skips leading blanks and stops at trailing garbage; both would
  // hide a typo, so neither is accepted.
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    *error = fmt::format("malformed number '{}': surrounding blanks", s);
    return std::nullopt;
  }
  bool nan_spelling = false;
  const std::optional<T> nan = ParseNanWithPayload<T>(s, error, &nan_spelling);
  if (nan_spelling) return nan;
  errno = 0;
  char* end = nullptr;
  const T v = StrTo<T>(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') {
    *error = fmt::format(
        "malformed number '{}' (expected a decimal, a hex float such as "
        "0x1.8p-3, inf, -inf or nan)", s);
    return std::nullopt;
  }
  if (errno == ERANGE && std::isinf(v)) {
    *error = fmt::format("'{}' overflows {}: write inf or -inf if that is meant",
                         s, type);
    return std::nullopt;
  }
  return v;
}

template <typename T>
std::string FormatDecimal(T v) {
  if (std::isnan(v)) return FormatNan(v);
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

template <typename T>
std::string FormatHex(T v) {
  if (std::isnan(v)) return FormatNan(v);
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:a}", v);
}

template <typename T>
std::string FormatValue(T v) {
  if (!std::isfinite(v)) return FormatDecimal(v);
  return fmt::format("{} ({})", FormatDecimal(v), FormatHex(v));
}

template std::optional<float> ParseValue<float>(std::string_view, std::string*);
template std::optional<double> ParseValue<double>(std::string_view, std::string*);
template std::string FormatDecimal<float>(float);
template std::string FormatDecimal<double>(double);
template std::string FormatHex<float>(float);
template std::string FormatHex<double>(double);
template std::string FormatValue<float>(float);
template std::string FormatValue<double>(double);

}  // namespace softcheck
