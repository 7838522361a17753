// Reading and writing floating-point values on the command line.
// Every value a user types goes through ParseValue, and every value softcheck
// prints goes through FormatValue, so what is printed can be pasted back and
// reproduces the same bits.
#ifndef SOFTCHECK_CLI_NUMBERS_H_
#define SOFTCHECK_CLI_NUMBERS_H_

#include <optional>
#include <string>
#include <string_view>

namespace softcheck {

// Parses one value of type T (float or double): a decimal ("-1.5e3"), a hex
// float ("0x1.8p-3", "%a" style), "inf", "+inf", "-inf", "infinity", "nan",
// "-nan", and a NaN's exact bits: "nan(0x2a)" (quiet, payload 0x2a),
// "snan(0x1)" (signalling), either with a sign. Decimals are rounded correctly to T (strtof for float, no double
// rounding through double). Returns nullopt with a one-line reason in *error
// for an empty string, trailing characters, leading blanks, or a finite
// literal that overflows T ("1e39" in float). A literal below T's smallest
// subnormal rounds as usual (to 0 or denorm_min).
template <typename T>
std::optional<T> ParseValue(std::string_view text, std::string* error);

// "0.7310586 (0x1.7649p-1)": shortest round-trip decimal, then the hex float.
// Infinities print as "inf", "-inf"; NaN as "nan" or "-nan" when it is the
// default quiet NaN, otherwise "nan(0xP)" / "snan(0xP)" with its payload, so
// that every printed value parses back to the same bits.
template <typename T>
std::string FormatValue(T v);

// The shortest round-trip decimal alone ("0.7310586", "nan", "-inf").
template <typename T>
std::string FormatDecimal(T v);

// The hex float alone, as printf's %a writes it ("0x1.7649p-1").
template <typename T>
std::string FormatHex(T v);

}  // namespace softcheck

#endif  // SOFTCHECK_CLI_NUMBERS_H_
