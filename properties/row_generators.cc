#include "properties/row_generators.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace softcheck::properties {
namespace {

template <typename T>
using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
template <typename T>
constexpr int kMantissaBits = std::numeric_limits<T>::digits - 1;  // 23, 52
template <typename T>
constexpr int kExponentBits = sizeof(T) == 4 ? 8 : 11;
template <typename T>
constexpr T kInf = std::numeric_limits<T>::infinity();
template <typename T>
constexpr T kMax = std::numeric_limits<T>::max();

// The random choices of one case. Seeded from RapidCheck's Random, so a case
// is a pure function of what RapidCheck hands over and replays with it.
class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  uint64_t Next() { return rng_(); }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  double Unit() { return static_cast<double>(rng_() >> 11) * 0x1p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename V>
  V Pick(std::initializer_list<V> values) {
    return *(values.begin() + Below(values.size()));
  }
  // Index into weights, drawn in proportion to them.
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = Unit() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 rng_;
};

// Where softmax breaks: the natural logarithms of the float (and, for double
// rows, the double) overflow threshold MAX, the smallest normal MIN (below it
// exp is subnormal and loses bits), the smallest subnormal and half of it
// (exp flushes to zero), and fp16's largest value and smallest normal and
// subnormal (a kernel computing in half precision breaks there: 11.09 is
// fp16's 88.72).
template <typename T>
const std::vector<long double>& Thresholds() {
  static const std::vector<long double> kValues = [] {
    auto ln = [](long double v) { return std::log(v); };
    std::vector<long double> v = {
        ln(std::numeric_limits<float>::max()),
        ln(std::numeric_limits<float>::min()),
        ln(std::numeric_limits<float>::denorm_min()),
        ln(std::numeric_limits<float>::denorm_min() / 2.0L),
        ln(65504.0L),
        ln(0x1p-14L),
        ln(0x1p-24L)};
    if (sizeof(T) == 8) {
      v.push_back(ln(std::numeric_limits<double>::max()));
      v.push_back(ln(std::numeric_limits<double>::min()));
      v.push_back(ln(std::numeric_limits<double>::denorm_min()));
      v.push_back(ln(std::numeric_limits<double>::denorm_min() / 2.0L));
    }
    return v;
  }();
  return kValues;
}

template <typename T>
T StepUlps(T v, int steps) {
  for (int i = 0; i < std::abs(steps); ++i)
    v = std::nextafter(v, steps > 0 ? kInf<T> : -kInf<T>);
  return v;
}

template <typename T>
T NearThreshold(Draw& d) {
  const std::vector<long double>& t = Thresholds<T>();
  return StepUlps(static_cast<T>(t[d.Below(t.size())]),
                  static_cast<int>(d.Below(9)) - 4);
}

template <typename T>
T NaNValue(Draw& d) {
  // Any payload, either sign, quiet or signalling: a kernel must not care.
  Bits<T> b = static_cast<Bits<T>>(d.Next());
  b |= Bits<T>((Bits<T>(1) << kExponentBits<T>) - 1) << kMantissaBits<T>;
  if ((b & ((Bits<T>(1) << kMantissaBits<T>) - 1)) == 0) b |= 1;
  return std::bit_cast<T>(b);
}

enum class ValueClass {
  kLogit,         // uniform in [-20, 20]: the ordinary case
  kSmallInteger,  // -16..16: exact sums and shifts, ties
  kNormal,        // any exponent: from MIN to MAX, either sign
  kSubnormal,     // x - max may be exact and tiny; exp(subnormal) is 1
  kZero,          // +0 and -0
  kExtreme,       // +-MAX, +-MAX/2, +-MIN, +-1e30: x - max overflows
  kRawBits,       // any pattern (finite unless the property wants more)
  kThreshold,     // a few ULP around a threshold above, sometimes negated
};

template <typename T>
T Value(Draw& d, ValueClass c, bool any_bits) {
  switch (c) {
    case ValueClass::kLogit:
      return static_cast<T>(d.Unit() * 40 - 20);
    case ValueClass::kSmallInteger:
      return static_cast<T>(static_cast<int>(d.Below(33)) - 16);
    case ValueClass::kNormal: {
      const Bits<T> exponent = 1 + d.Below((Bits<T>(1) << kExponentBits<T>) - 2);
      const Bits<T> mantissa =
          static_cast<Bits<T>>(d.Next()) & ((Bits<T>(1) << kMantissaBits<T>) - 1);
      const T v = std::bit_cast<T>((exponent << kMantissaBits<T>) | mantissa);
      return d.Chance(0.5) ? v : -v;
    }
    case ValueClass::kSubnormal: {
      Bits<T> mantissa =
          static_cast<Bits<T>>(d.Next()) & ((Bits<T>(1) << kMantissaBits<T>) - 1);
      if (mantissa == 0) mantissa = 1;
      const T v = std::bit_cast<T>(mantissa);
      return d.Chance(0.5) ? v : -v;
    }
    case ValueClass::kZero:
      return d.Chance(0.5) ? T(0) : -T(0);
    case ValueClass::kExtreme: {
      const T v = d.Pick<T>({kMax<T>, kMax<T> / 2, std::numeric_limits<T>::min(),
                             static_cast<T>(1e30)});
      return d.Chance(0.5) ? v : -v;
    }
    case ValueClass::kRawBits:
      while (true) {
        const T v = std::bit_cast<T>(static_cast<Bits<T>>(d.Next()));
        if (any_bits || std::isfinite(v)) return v;
      }
    case ValueClass::kThreshold: {
      const T v = NearThreshold<T>(d);
      return d.Chance(0.15) ? -v : v;
    }
  }
  return 0;
}

template <typename T>
T MixtureValue(Draw& d, bool any_bits) {
  static const std::vector<double> kWeights = {30, 12, 10, 5, 6, 5, 7, 15};
  return Value<T>(d, static_cast<ValueClass>(d.Weighted(kWeights)), any_bits);
}

// A centre and a spread for uniform rows: tiny spreads test the sum of many
// near-equal terms; enormous ones make x - max overflow or exps underflow.
template <typename T>
std::vector<T> UniformRow(Draw& d, size_t n, bool sorted) {
  long double centre = 0;
  switch (d.Below(5)) {
    case 0: case 1: break;
    case 2: centre = static_cast<long double>(NearThreshold<T>(d)); break;
    case 3: centre = d.Pick<long double>({1e4L, -1e4L, 1e30L, -1e30L}); break;
    default: centre = d.Unit() * 200 - 100; break;
  }
  long double width = d.Pick<long double>({1e-3L, 1, 20, 100, 1e4L, 1e30L});
  if (d.Chance(0.1)) width = std::max<long double>(std::fabs(centre) * 0x1p-20L, 1e-6L);
  std::vector<T> x(n);
  for (T& v : x) {
    const long double r = centre + width * (2 * static_cast<long double>(d.Unit()) - 1);
    v = static_cast<T>(std::clamp<long double>(r, -kMax<T>, kMax<T>));
  }
  if (sorted) {
    // Ascending, every element a new maximum: an online kernel rescales its
    // sum at every step.
    std::sort(x.begin(), x.end());
    if (d.Chance(0.3)) std::reverse(x.begin(), x.end());
  }
  return x;
}

// Near-equal tops far above the overflow threshold, the rest well below
// them: the tops' exps overflow together in a naive kernel, and a shifted
// one must keep their ratios (oneDNN's softmax fill does this).
template <typename T>
std::vector<T> ClusterRow(Draw& d, size_t n) {
  const long double base =
      sizeof(T) == 8 && d.Chance(0.5) ? 709
                                      : d.Pick<long double>({88, 88, 11, 1e4L, 0, -87, -104});
  std::vector<T> x(n);
  for (size_t i = 0; i < n; ++i) {
    long double v = base - 20 - 200 * static_cast<long double>(d.Unit());
    if (i < 3) v = base + static_cast<long double>(2 - i);
    T t = static_cast<T>(v);
    if (i < 3 && d.Chance(0.3)) t = StepUlps(t, static_cast<int>(d.Below(5)) - 2);
    x[i] = t;
  }
  for (size_t i = n; i > 1; --i) std::swap(x[i - 1], x[d.Below(i)]);
  return x;
}

template <typename T>
std::vector<T> TiesRow(Draw& d, size_t n) {
  // k copies of the maximum (they must share equally, bit for bit) and the
  // rest below it or equal to each other.
  const T top = d.Chance(0.7) ? static_cast<T>(static_cast<int>(d.Below(41)) - 20)
                              : MixtureValue<T>(d, false);
  const size_t copies = n == 0 ? 0 : 1 + d.Below(n);
  const T low = static_cast<T>(static_cast<long double>(top) - 1 - d.Below(30));
  std::vector<T> x(n, d.Chance(0.5) ? low : top);
  for (size_t i = 0; i < copies; ++i) x[i] = top;
  for (size_t i = copies; i < n; ++i)
    if (d.Chance(0.5)) x[i] = static_cast<T>(std::fmin(static_cast<long double>(top) - 1, d.Unit() * 40 - 20));
  for (size_t i = n; i > 1; --i) std::swap(x[i - 1], x[d.Below(i)]);
  return x;
}

// Integer-valued rows: x + c is exact for integer c, so a max-shifting
// kernel must be bit-exactly shift invariant on them.
template <typename T>
std::vector<T> IntegerRow(Draw& d, size_t n) {
  const long long r = d.Pick<long long>({8, 100, 1 << 20});
  std::vector<T> x(n);
  for (T& v : x)
    v = static_cast<T>(static_cast<long long>(d.Below(static_cast<size_t>(2 * r + 1))) - r);
  return x;
}

enum class RowKind {
  kMixture,
  kUniform,
  kSorted,
  kCluster,
  kTies,
  kIntegers,
  kExtremes,
  kRawBits,
  kMasked,
};

// How one property's rows are drawn: row kinds' weights and how often -inf,
// NaN or +inf are injected.
struct Mix {
  std::vector<double> kinds = {22, 22, 7, 10, 9, 10, 6, 5, 5};
  double mask_chance = 0.2;     // -inf entries injected
  double special_chance = 0.03; // NaN or +inf injected
};

Mix MixFor(Property p) {
  Mix m;
  auto weight = [&m](RowKind k) -> double& { return m.kinds[static_cast<size_t>(k)]; };
  switch (p) {
    case Property::kShiftInvariance:
      weight(RowKind::kIntegers) = 35;
      break;
    case Property::kMasking:
      weight(RowKind::kMasked) = 25;
      m.mask_chance = 0.85;
      break;
    case Property::kNonFinite:
      m.special_chance = 1;
      break;
    case Property::kOverflowSafe:
      weight(RowKind::kCluster) = 25;
      weight(RowKind::kExtremes) = 15;
      weight(RowKind::kRawBits) = 12;
      m.mask_chance = 0.1;
      m.special_chance = 0;
      break;
    case Property::kHygiene:
      m.special_chance = 0.1;
      break;
    case Property::kAccuracy:
      m.special_chance = 0.05;
      break;
    default:
      break;
  }
  return m;
}

// Vector widths (4, 8, 16 lanes) and the 4x unrolling, each +-1: where the
// main loop ends and the tail begins.
constexpr size_t kWidthLengths[] = {3,  4,  5,  7,  8,  9,  15,  16,  17,
                                    31, 32, 33, 63, 64, 65, 127, 128, 129};

size_t Length(Draw& d, const Budget& b) {
  const double r = d.Unit();
  size_t n;
  if (r < 0.03) n = 0;
  else if (r < 0.10) n = 1;
  else if (r < 0.18) n = 2 + d.Below(2);
  else if (r < 0.50) n = kWidthLengths[d.Below(std::size(kWidthLengths))];
  else if (r < 0.78) n = 4 + d.Below(61);
  else if (r < 0.92) n = 65 + d.Below(448);
  else if (r < 1 - b.long_chance) n = 513 + d.Below(b.mid_length > 513 ? b.mid_length - 512 : 1);
  else n = b.max_length - d.Below(2) + (d.Chance(0.3) ? 1 : 0);
  return std::min(n, std::max(b.max_length, b.mid_length) + 1);
}

template <typename T>
std::vector<T> MakeRow(Draw& d, const Mix& mix, size_t n, bool any_bits) {
  std::vector<T> x;
  switch (static_cast<RowKind>(d.Weighted(mix.kinds))) {
    case RowKind::kMixture:
      x.resize(n);
      for (T& v : x) v = MixtureValue<T>(d, any_bits);
      break;
    case RowKind::kUniform: x = UniformRow<T>(d, n, false); break;
    case RowKind::kSorted: x = UniformRow<T>(d, n, true); break;
    case RowKind::kCluster: x = ClusterRow<T>(d, n); break;
    case RowKind::kTies: x = TiesRow<T>(d, n); break;
    case RowKind::kIntegers: x = IntegerRow<T>(d, n); break;
    case RowKind::kExtremes:
      x.resize(n);
      for (T& v : x)
        v = Value<T>(d, d.Pick({ValueClass::kExtreme, ValueClass::kExtreme,
                                ValueClass::kZero, ValueClass::kLogit}), false);
      break;
    case RowKind::kRawBits:
      x.resize(n);
      for (T& v : x) v = Value<T>(d, ValueClass::kRawBits, any_bits);
      break;
    case RowKind::kMasked: {
      // Mostly or entirely -inf: causal and padding masks hide whole rows.
      const double masked = d.Pick({0.5, 0.9, 1.0});
      x.resize(n);
      for (T& v : x) v = d.Chance(masked) ? -kInf<T> : MixtureValue<T>(d, false);
      break;
    }
  }
  return x;
}

template <typename T>
T TemperatureValue(Draw& d) {
  switch (d.Weighted({30, 25, 8, 8, 8, 6, 3, 5, 7})) {
    case 0:  // a power of two: x / T is exact for most x
      return std::ldexp(T(1), static_cast<int>(d.Below(25)) - 12);
    case 1:  // log-uniform in [1e-3, 1e3]
      return static_cast<T>(std::pow(10.0, d.Unit() * 6 - 3));
    case 2:  // tiny: (x - max) / T overflows to -inf
      return static_cast<T>(std::pow(10.0, -10 - d.Unit() * 20));
    case 3: {  // huge, up to MAX: near uniform, x / T may underflow
      const long double top = std::log10(static_cast<long double>(kMax<T>));
      return static_cast<T>(std::min<long double>(
          std::pow(10.0L, 10 + static_cast<long double>(d.Unit()) * (top - 10)),
          kMax<T>));
    }
    case 4: return T(0);          // argmax limit
    case 5: return kInf<T>;       // uniform limit
    case 6: return std::numeric_limits<T>::denorm_min();
    case 7:                       // caller errors: all-NaN row
      return d.Chance(0.5) ? T(-1) : std::numeric_limits<T>::quiet_NaN();
    default: return T(1);
  }
}

template <typename T>
T ShiftValue(Draw& d) {
  switch (d.Weighted({40, 25, 15, 20})) {
    case 0: {
      const T v = static_cast<T>(1 + d.Below(1000));
      return d.Chance(0.5) ? v : -v;
    }
    case 1: {
      const T v = std::ldexp(T(1), static_cast<int>(d.Below(41)) - 10);
      return d.Chance(0.5) ? v : -v;
    }
    case 2: {
      const T v = d.Pick<T>({T(88), T(1e4), static_cast<T>(1e30)});
      return d.Chance(0.5) ? v : -v;
    }
    default:
      return static_cast<T>(d.Unit() * 40 - 20);
  }
}

template <typename T>
Case<T> MakeCase(Draw& d, Property p, const Budget& budget) {
  const Mix mix = MixFor(p);
  Case<T> c;
  c.property = p;
  const size_t n = Length(d, budget);
  const bool specials = d.Chance(mix.special_chance);
  c.x = MakeRow<T>(d, mix, n, specials);
  if (n > 0 && d.Chance(mix.mask_chance)) {
    const size_t count = 1 + d.Below(d.Chance(0.5) ? n : std::max<size_t>(1, n / 8));
    for (size_t i = 0; i < count; ++i) c.x[d.Below(n)] = -kInf<T>;
  }
  if (n > 0 && specials) {
    const size_t count = 1 + d.Below(3);
    for (size_t i = 0; i < count; ++i)
      c.x[d.Below(n)] = d.Chance(0.3) ? kInf<T> : NaNValue<T>(d);
  }
  const double unit_temperature = p == Property::kTemperature ? 0.1 : 0.8;
  c.temperature = d.Chance(unit_temperature) ? T(1) : TemperatureValue<T>(d);
  if (p == Property::kTemperature && n > 1 && d.Chance(0.1)) {
    // A spread beyond MAX brought back into exp's range by T: x_i - max
    // overflows to -inf although (x_i - max) / T is an ordinary -20..-80.
    c.x[0] = kMax<T>;
    c.x[1] = -kMax<T>;
    const long double spread = 2.0L * kMax<T>;
    c.temperature = static_cast<T>(spread / (20 + 60 * static_cast<long double>(d.Unit())));
  }
  if (p == Property::kShiftInvariance) c.shift = ShiftValue<T>(d);
  if (p == Property::kPermutation) c.permutation = d.Next() | 1;
  if (p == Property::kHygiene) c.offset = d.Below(16);
  return c;
}

// ---- shrinking ------------------------------------------------------------

// Simpler values than v, simplest first.
template <typename T>
std::vector<T> ShrinkValue(T v) {
  std::vector<T> out;
  if (std::isnan(v)) {
    out.push_back(T(0));
    const T canonical = std::numeric_limits<T>::quiet_NaN();
    if (std::bit_cast<Bits<T>>(v) != std::bit_cast<Bits<T>>(canonical))
      out.push_back(canonical);
    return out;
  }
  if (std::isinf(v) || v == 0) {
    if (v != 0 || std::signbit(v)) out.push_back(T(0));
    return out;
  }
  out.push_back(T(0));
  if (v < 0) out.push_back(-v);
  const T whole = std::trunc(v);
  if (whole != 0 && whole != v) out.push_back(whole);
  // Smaller magnitudes, bisecting the bit pattern from below: the first that
  // still fails is kept, and the search restarts from it.
  const Bits<T> b = std::bit_cast<Bits<T>>(std::fabs(v));
  for (Bits<T> diff = b / 2; diff > 0; diff /= 2)
    out.push_back(std::copysign(std::bit_cast<T>(Bits<T>(b - diff)), v));
  return out;
}

template <typename T>
std::vector<Case<T>> ShrinkFields(const Case<T>& c) {
  std::vector<Case<T>> out;
  auto with = [&](auto change) {
    Case<T> s = c;
    change(s);
    out.push_back(std::move(s));
  };
  const T t = c.temperature;
  if (t != 1 && t > 0 && std::isfinite(t)) {
    // The same softmax at T = 1, where every x_i / T is exact: softmax(x, T)
    // = softmax(x / T, 1) reads more simply.
    std::vector<T> scaled(c.x.size());
    bool exact = true;
    for (size_t i = 0; i < c.x.size() && exact; ++i) {
      scaled[i] = c.x[i] / t;
      exact = !std::isfinite(c.x[i]) ||
              (std::isfinite(scaled[i]) && std::fma(scaled[i], t, -c.x[i]) == 0);
    }
    if (exact)
      with([&scaled](Case<T>& s) {
        s.x = scaled;
        s.temperature = 1;
      });
  }
  if (t != 1) {
    with([](Case<T>& s) { s.temperature = 1; });
    if (t > 0 && std::isfinite(t)) {
      const T p2 = std::exp2(std::round(std::log2(t)));
      if (p2 != t && std::isnormal(p2)) with([p2](Case<T>& s) { s.temperature = p2; });
    }
  }
  if (c.property == Property::kShiftInvariance)
    for (T v : ShrinkValue(c.shift))
      if (v != 0 && std::isfinite(v)) with([v](Case<T>& s) { s.shift = v; });
  if (c.permutation > 1) with([](Case<T>& s) { s.permutation = 1; });
  if (c.offset != 0) with([](Case<T>& s) { s.offset = 0; });
  return out;
}

// The shrinks of a case, produced one at a time (a long row's candidates are
// not all held at once).
template <typename T>
class CaseShrinks {
 public:
  explicit CaseShrinks(Case<T> c) : c_(std::move(c)), chunk_(c_.x.size()) {
    const size_t n = c_.x.size();
    // Short rows go down to single elements; long rows stop at 1/128th, so
    // that a failure needing the whole row costs a bounded number of tries.
    min_chunk_ = n <= 64 ? 1 : std::max<size_t>(1, n / 128);
  }

  rc::Maybe<Case<T>> operator()() {
    const size_t n = c_.x.size();
    while (stage_ == kChunks) {
      if (chunk_ == 0 || chunk_ < min_chunk_) {
        stage_ = kFields;
        break;
      }
      if (start_ >= n) {
        if (chunk_ == 1) {
          chunk_ = 0;
        } else {
          chunk_ = (chunk_ + 1) / 2;
          if (chunk_ < min_chunk_) chunk_ = 0;
        }
        start_ = 0;
        continue;
      }
      Case<T> s = c_;
      const size_t end = std::min(n, start_ + chunk_);
      s.x.erase(s.x.begin() + static_cast<std::ptrdiff_t>(start_),
                s.x.begin() + static_cast<std::ptrdiff_t>(end));
      start_ += chunk_;
      return s;
    }
    if (stage_ == kFields) {
      if (fields_.empty() && field_ == 0) fields_ = ShrinkFields(c_);
      if (field_ < fields_.size()) return std::move(fields_[field_++]);
      fields_.clear();
      stage_ = n <= 64 ? kElements : kDone;
    }
    while (stage_ == kElements) {
      if (value_ < values_.size()) {
        Case<T> s = c_;
        s.x[element_ - 1] = values_[value_++];
        return s;
      }
      if (element_ >= n) {
        stage_ = kDone;
        break;
      }
      values_ = ShrinkValue(c_.x[element_++]);
      value_ = 0;
    }
    return rc::Nothing;
  }

 private:
  enum Stage { kChunks, kFields, kElements, kDone };
  Case<T> c_;
  Stage stage_ = kChunks;
  size_t chunk_ = 0, min_chunk_ = 1, start_ = 0;
  std::vector<Case<T>> fields_;
  size_t field_ = 0;
  size_t element_ = 0;
  std::vector<T> values_;
  size_t value_ = 0;
};

template <typename T>
rc::Seq<Case<T>> ShrinkCase(Case<T> c) {
  return rc::makeSeq<CaseShrinks<T>>(std::move(c));
}

}  // namespace

template <typename T>
rc::Gen<Case<T>> CaseGen(Property p, const Budget& budget) {
  return rc::Gen<Case<T>>([p, budget](const rc::Random& random, int) {
    // Salted by the property, so that properties sharing a seed do not all
    // draw the same rows.
    Draw d(rc::Random(random).next() ^
           (0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(p) + 1)));
    return rc::shrinkable::shrinkRecur(MakeCase<T>(d, p, budget),
                                       &ShrinkCase<T>);
  });
}

template rc::Gen<Case<float>> CaseGen<float>(Property, const Budget&);
template rc::Gen<Case<double>> CaseGen<double>(Property, const Budget&);

void showValue(const Case<float>& c, std::ostream& os) { os << FormatCase(c); }
void showValue(const Case<double>& c, std::ostream& os) { os << FormatCase(c); }

}  // namespace softcheck::properties
