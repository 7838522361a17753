#include "cli/numbers.h"

#include <fmt/format.h>

#include <cerrno>
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
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

template <typename T>
std::string FormatHex(T v) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
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
