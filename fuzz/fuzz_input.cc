#include "fuzz/fuzz_input.h"

#include <cmath>
#include <cstring>

namespace softcheck::fuzz {
namespace {

// Little-endian bits to a value, whatever the host's byte order.
template <typename T, typename U>
T FromBytes(const uint8_t* p) {
  U bits = 0;
  for (size_t b = 0; b < sizeof(U); ++b) bits |= static_cast<U>(p[b]) << (8 * b);
  T v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

template <typename T>
T Load(const uint8_t* p) {
  if constexpr (sizeof(T) == 4) return FromBytes<T, uint32_t>(p);
  else return FromBytes<T, uint64_t>(p);
}

template <typename T>
void Store(T v, std::vector<uint8_t>* out) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof v);  // little-endian hosts only, like the seeds
  for (size_t b = 0; b < sizeof(T); ++b) out->push_back(static_cast<uint8_t>(bits >> (8 * b)));
}

// The values of a body of bytes, read cyclically: value i is the
// (i mod count)-th whole value, 0 when the body holds none.
template <typename T>
class Values {
 public:
  Values(const uint8_t* data, size_t size) : data_(data), count_(size / sizeof(T)) {}
  size_t count() const { return count_; }
  T Next() {
    if (count_ == 0) return T(0);
    const T v = Load<T>(data_ + sizeof(T) * (next_ % count_));
    ++next_;
    return v;
  }

 private:
  const uint8_t* data_;
  size_t count_;
  size_t next_ = 0;
};

uint8_t At(const uint8_t* data, size_t size, size_t i) { return i < size ? data[i] : 0; }

}  // namespace

template <typename T>
SoftmaxInput<T> DecodeSoftmax(const uint8_t* data, size_t size) {
  SoftmaxInput<T> in;
  const uint8_t flags = At(data, size, 0);
  size_t pos = kSoftmaxHeader;
  if ((flags & kHasTemperature) && pos + sizeof(T) <= size) {
    in.temperature = Load<T>(data + pos);
    pos += sizeof(T);
  }
  const size_t body = size > pos ? size - pos : 0;
  Values<T> values(data + (size > pos ? pos : size), body);
  size_t n = values.count();
  if (flags & kExplicitN)
    n = (static_cast<size_t>(At(data, size, 1)) | static_cast<size_t>(At(data, size, 2)) << 8) %
        (kMaxRow + 1);
  if (n > kMaxRow) n = kMaxRow;
  in.x.resize(n);
  for (T& v : in.x) v = values.Next();
  return in;
}

AttentionCase DecodeAttention(const uint8_t* data, size_t size) {
  AttentionCase c;
  const uint8_t flags = At(data, size, 0);
  c.causal = flags & kCausalBits;
  c.n_q = At(data, size, 1) % (kMaxQueries + 1);
  c.n_kv = At(data, size, 2) % (kMaxQueries + 1);
  c.d = At(data, size, 3) % (kMaxHeadDim + 1);
  c.d_v = At(data, size, 4) % (kMaxHeadDim + 1);
  size_t pos = kAttentionHeader;
  c.scale = c.d == 0 ? 1.0f : 1.0f / std::sqrt(static_cast<float>(c.d));
  if ((flags & kHasScale) && pos + 4 <= size) {
    c.scale = Load<float>(data + pos);
    pos += 4;
  }
  Values<float> values(data + (size > pos ? pos : size), size > pos ? size - pos : 0);
  auto fill = [&](std::vector<float>* v, size_t count) {
    v->resize(count);
    for (float& e : *v) e = values.Next();
  };
  fill(&c.q, c.n_q * c.d);
  fill(&c.k, c.n_kv * c.d);
  fill(&c.v, c.n_kv * c.d_v);
  if (flags & kHasMask) fill(&c.mask, c.n_q * c.n_kv);
  return c;
}

template <typename T>
std::vector<uint8_t> EncodeSoftmax(const std::vector<T>& x, T temperature) {
  std::vector<uint8_t> out = {0, 0, 0};
  if (!(temperature == 1)) {  // NaN is written too
    out[0] |= kHasTemperature;
    Store(temperature, &out);
  }
  for (T v : x) Store(v, &out);
  return out;
}

template <typename T>
std::vector<uint8_t> EncodeSoftmaxRepeated(const std::vector<T>& pattern, size_t n,
                                           T temperature) {
  std::vector<uint8_t> out = EncodeSoftmax(pattern, temperature);
  out[0] |= kExplicitN;
  out[1] = static_cast<uint8_t>(n & 0xff);
  out[2] = static_cast<uint8_t>(n >> 8);
  return out;
}

std::vector<uint8_t> EncodeAttention(const AttentionCase& c) {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>((c.causal & kCausalBits) |
                                     (c.mask.empty() ? 0 : kHasMask) | kHasScale));
  for (size_t s : {c.n_q, c.n_kv, c.d, c.d_v}) out.push_back(static_cast<uint8_t>(s));
  Store(c.scale, &out);
  for (const std::vector<float>* v : {&c.q, &c.k, &c.v, &c.mask})
    for (float e : *v) Store(e, &out);
  return out;
}

#define SOFTCHECK_INSTANTIATE(T)                                                     \
  template SoftmaxInput<T> DecodeSoftmax<T>(const uint8_t*, size_t);                 \
  template std::vector<uint8_t> EncodeSoftmax<T>(const std::vector<T>&, T);          \
  template std::vector<uint8_t> EncodeSoftmaxRepeated<T>(const std::vector<T>&, size_t, T);
SOFTCHECK_INSTANTIATE(float)
SOFTCHECK_INSTANTIATE(double)
#undef SOFTCHECK_INSTANTIATE

}  // namespace softcheck::fuzz
