// How a fuzzer's bytes become a softmax row or an attention problem.
//
// The bytes are read as raw IEEE bit patterns, never through
// FuzzedDataProvider::ConsumeFloatingPoint (which never yields NaN, inf or
// subnormals): every bit pattern a kernel can meet is reachable, and a
// mutation of one byte moves one value by a bit or an exponent step.
//
// Softmax (targets softmax_f32, softmax_f64; `softcheck fuzz --kind softmax-*`):
//   byte 0      flags: bit 0  a temperature follows the header (else T = 1);
//                      bit 1  n is bytes 1-2 (else n = the number of whole
//                             values given)
//   bytes 1-2   n, little endian, modulo kMaxRow + 1 (read with bit 1 only)
//   [T]         sizeof(T) bytes, little endian (with bit 0 only)
//   values      the rest, sizeof(T) bytes each, little endian; when n is
//               given and more than the values, they repeat cyclically
//               (zeros if there are none), so a short input makes a long row
//               that walks through every SIMD tail length
// Attention (target attention_f32; `softcheck fuzz --kind attention-f32`):
//   byte 0      flags: bits 0-1  causal mode 0..3 (3 is a caller error: the
//                                contract wants every output NaN);
//                      bit 2     a mask is present;
//                      bit 3     the scale follows the header (else 1/sqrt(d))
//   bytes 1-4   n_q = b1 % 17, n_kv = b2 % 17, d = b3 % 40, d_v = b4 % 40
//               (d and d_v past 32 cover two AVX-512 vectors and their tails;
//               the exact oracle stays around a millisecond)
//   [scale]     4 bytes, little endian (with bit 3 only)
//   values      q, k, v and the mask in that order, row-major, from the
//               rest, repeating cyclically (zeros if there are none)
// Encode* are the inverses, used to write seeds and regression cases.
#ifndef SOFTCHECK_FUZZ_FUZZ_INPUT_H_
#define SOFTCHECK_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "impl/attention.h"

namespace softcheck::fuzz {

constexpr size_t kMaxRow = 4096;         // longest softmax row decoded
constexpr size_t kSoftmaxHeader = 3;     // flags + n
constexpr size_t kMaxQueries = 16;       // n_q, n_kv <= this
constexpr size_t kMaxHeadDim = 39;       // d, d_v <= this
constexpr size_t kAttentionHeader = 5;   // flags + 4 sizes

enum SoftmaxFlags : uint8_t { kHasTemperature = 1, kExplicitN = 2 };
enum AttentionFlags : uint8_t { kCausalBits = 3, kHasMask = 4, kHasScale = 8 };

template <typename T>
struct SoftmaxInput {
  std::vector<T> x;
  T temperature = 1;
};

template <typename T>
SoftmaxInput<T> DecodeSoftmax(const uint8_t* data, size_t size);
AttentionCase DecodeAttention(const uint8_t* data, size_t size);

// The shortest encoding of a row (n implied by the values; the temperature
// written only when it is not 1).
template <typename T>
std::vector<uint8_t> EncodeSoftmax(const std::vector<T>& x, T temperature = 1);
// A row of n values made by repeating `pattern` (n given explicitly).
template <typename T>
std::vector<uint8_t> EncodeSoftmaxRepeated(const std::vector<T>& pattern,
                                           size_t n, T temperature = 1);
// Sizes must be within the limits above; c.scale is always written.
std::vector<uint8_t> EncodeAttention(const AttentionCase& c);

}  // namespace softcheck::fuzz

#endif  // SOFTCHECK_FUZZ_FUZZ_INPUT_H_
