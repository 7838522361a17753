#include "properties/attention_generators.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace softcheck::properties {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();
using P = AttentionProperty;

// The random choices of one case, seeded from RapidCheck's Random: a case is
// a pure function of what RapidCheck hands over and replays with it.
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
  size_t Weighted(std::initializer_list<double> weights) {
    return Weighted(std::vector<double>(weights));
  }
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = Unit() * total;
    size_t i = 0;
    for (double w : weights) {
      if (r < w) return i;
      r -= w;
      ++i;
    }
    return weights.size() - 1;
  }
  // A standard normal (Box-Muller).
  double Normal() {
    const double u1 = std::max(Unit(), 0x1p-60), u2 = Unit();
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 rng_;
};

float StepUlps(float v, int steps) {
  for (int i = 0; i < std::abs(steps); ++i)
    v = std::nextafter(v, steps > 0 ? kInf : -kInf);
  return v;
}

// Scores where attention's softmax breaks: the logs of FLT_MAX (exp
// overflows), FLT_MIN (exp turns subnormal), the smallest subnormal and half
// of it (exp flushes to zero), and fp16's largest value (a half-precision
// kernel's 88.72).
float NearThreshold(Draw& d) {
  static const float kThresholds[] = {88.7228391f, -87.3365448f, -103.278931f,
                                      -103.972076f, 11.0898665f};
  const float t = kThresholds[d.Below(std::size(kThresholds))];
  return StepUlps(t, static_cast<int>(d.Below(9)) - 4);
}

float NaNValue(Draw& d) {
  // Any payload, either sign, quiet or signalling.
  uint32_t b = static_cast<uint32_t>(d.Next()) | 0x7f800000u;
  if ((b & 0x7fffffu) == 0) b |= 1;
  return std::bit_cast<float>(b);
}

float Special(Draw& d) {
  switch (d.Weighted({50, 25, 25})) {
    case 0: return NaNValue(d);
    case 1: return kInf;
    default: return -kInf;
  }
}

// One entry of q or k from a value class.
float MixtureValue(Draw& d) {
  switch (d.Weighted({35, 15, 8, 5, 8, 4, 10, 5})) {
    case 0: return static_cast<float>(d.Unit() * 6 - 3);
    case 1: return static_cast<float>(static_cast<int>(d.Below(9)) - 4);
    case 2: {  // any exponent
      const uint32_t e = 1 + static_cast<uint32_t>(d.Below(254));
      const float v = std::bit_cast<float>((e << 23) | (static_cast<uint32_t>(d.Next()) & 0x7fffffu));
      return d.Chance(0.5) ? v : -v;
    }
    case 3: {  // subnormal: products vanish
      uint32_t m = static_cast<uint32_t>(d.Next()) & 0x7fffffu;
      if (m == 0) m = 1;
      const float v = std::bit_cast<float>(m);
      return d.Chance(0.5) ? v : -v;
    }
    case 4: return d.Chance(0.5) ? 0.0f : -0.0f;
    case 5: {
      const float v = d.Pick<float>({kMax, kMax / 2, 1e30f, 1e19f, 0x1p-126f});
      return d.Chance(0.5) ? v : -v;
    }
    case 6: {
      const float v = NearThreshold(d);
      return d.Chance(0.2) ? -v : v;
    }
    default:
      while (true) {
        const float v = std::bit_cast<float>(static_cast<uint32_t>(d.Next()));
        if (std::isfinite(v)) return v;
      }
  }
}

// How the problem's values are drawn.
struct Mix {
  // Q/K kinds: gaussian (times a magnitude), mixture, score targets (q = e0,
  // k_j0 = the score: thresholds, clusters above 88), ties, sorted scores.
  std::vector<double> qk = {40, 20, 20, 5, 15};
  std::vector<double> causal = {50, 25, 25};  // none, TL, BR
  double mask_none = 0.4, mask_finite = 0.25;           // rest: -inf patterns
  double special_chance = 0.0;  // NaN or +-inf anywhere
  double huge_scale = 0.08;
  double unequal_n = 0.0;       // force n_q != n_kv this often
};

Mix MixFor(P p) {
  Mix m;
  switch (p) {
    case P::kAccuracy: m.special_chance = 0.05; break;
    case P::kCausalPrefix: m.causal = {0, 50, 50}; m.unequal_n = 0.6; break;
    case P::kCausalAlignment: m.causal = {0, 50, 50}; m.unequal_n = 0.7; m.mask_none = 0.6; break;
    case P::kMaskDeletes: m.causal = {1, 0, 0}; m.mask_none = 0; m.mask_finite = 0.05; break;
    case P::kFullyMasked: m.mask_none = 0.1; m.mask_finite = 0.05; break;
    case P::kKvPermutation: m.causal = {1, 0, 0}; m.special_chance = 0.03; break;
    case P::kOverflowSafe:
      m.qk = {35, 15, 45, 0, 15};
      m.huge_scale = 0.35;
      break;
    case P::kMaskedNan: m.causal = {40, 35, 25}; m.mask_none = 0.2; break;
    case P::kHygiene: m.special_chance = 0.1; break;
    default: break;
  }
  return m;
}

// Vector widths (4, 8, 16 lanes) and tile and block edges (6-row Highway
// tiles, 12/24/48-key panels, 16 x 64 scalar blocks, 32 x 96 and 48 x 128
// Highway blocks), each +-1.
constexpr size_t kEdges[] = {3,  4,  5,  6,  7,  8,  9,  11, 12, 13, 15, 16, 17,
                             23, 24, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95,
                             96, 97, 127, 128, 129, 191, 192, 193, 255, 256, 257};

size_t Extent(Draw& d, size_t max) {
  if (max == 0) return 0;
  const double r = d.Unit();
  size_t n;
  if (r < 0.03) n = 0;
  else if (r < 0.15) n = 1;
  else if (r < 0.25) n = 2 + d.Below(2);
  else if (r < 0.55) n = kEdges[d.Below(std::size(kEdges))];
  else n = 1 + d.Below(max);
  return std::min(n, max);
}

float ScaleValue(Draw& d, size_t dim, double huge) {
  const float root = dim ? 1.0f / std::sqrt(static_cast<float>(dim)) : 1.0f;
  switch (d.Weighted({45, 15, 10, 10, 100 * huge, 5, 2, 5})) {
    case 0: return root;
    case 1: return 1.0f;
    case 2: return std::ldexp(1.0f, static_cast<int>(d.Below(21)) - 10);
    case 3: return static_cast<float>(std::pow(10.0, d.Unit() * 6 - 3));
    case 4:  // scores far past exp's range
      return d.Pick<float>({1e3f, 1e6f, 1e12f, 1e30f, 0x1p100f,
                            static_cast<float>(std::pow(10.0, 2 + d.Unit() * 20))});
    case 5:  // tiny: products and scores subnormal
      return d.Pick<float>({1e-20f, 1e-38f, std::numeric_limits<float>::denorm_min()});
    case 6: return d.Chance(0.5) ? 0.0f : -0.0f;
    default: return -root;
  }
}

void FillQk(Draw& d, const Mix& mix, AttentionCase& c) {
  const size_t kind = d.Weighted(mix.qk);
  if (kind == 0) {
    const double g = d.Pick<double>({1, 1, 1, 1, 3, 10, 100, 1e4, 1e8, 1e18});
    for (float& x : c.q) x = static_cast<float>(d.Normal() * g);
    for (float& x : c.k) x = static_cast<float>(d.Normal() * g);
    return;
  }
  if (kind == 1) {
    for (float& x : c.q) x = MixtureValue(d);
    for (float& x : c.k) x = MixtureValue(d);
    return;
  }
  for (float& x : c.q) x = static_cast<float>(d.Normal() * 0.5);
  for (float& x : c.k) x = static_cast<float>(d.Normal() * 0.5);
  if (c.d == 0) return;
  // The first dimension carries the score: q_i0 = 1, the rest of q 0, so
  // s_ij = scale * k_j0 exactly; scale 1.
  c.scale = 1.0f;
  for (size_t i = 0; i < c.n_q; ++i) {
    c.q[i * c.d] = 1.0f;
    for (size_t t = 1; t < c.d; ++t) c.q[i * c.d + t] = 0.0f;
  }
  if (kind == 2) {
    // Near-equal tops above a threshold (oneDNN's 88 + {2, 1, 0}), the rest
    // far below, or every key at a threshold.
    const float base = d.Pick<float>({88, 88, 1e4f, 0, -87, -104, 11});
    const bool cluster = d.Chance(0.6);
    for (size_t j = 0; j < c.n_kv; ++j) {
      float s = cluster ? static_cast<float>(base - 20 - 200 * d.Unit()) : NearThreshold(d);
      if (cluster && d.Chance(3.0 / static_cast<double>(c.n_kv + 1)))
        s = StepUlps(base + static_cast<float>(d.Below(3)),
                     static_cast<int>(d.Below(5)) - 2);
      c.k[j * c.d] = s;
    }
  } else if (kind == 3) {
    // Ties: every key the same, so the weights are equal.
    for (size_t j = 1; j < c.n_kv; ++j)
      std::copy(c.k.begin(), c.k.begin() + static_cast<std::ptrdiff_t>(c.d),
                c.k.begin() + static_cast<std::ptrdiff_t>(j * c.d));
  } else {
    // Scores ascending (every key a new running maximum: a streaming kernel
    // rescales at every block) or descending, over a small to huge span.
    const double span = d.Pick<double>({1, 20, 200, 1e4, 1e30});
    const double start = d.Pick<double>({0, -100, 80, 1e4});
    const bool up = d.Chance(0.7);
    for (size_t j = 0; j < c.n_kv; ++j) {
      const double f = c.n_kv > 1 ? static_cast<double>(j) / static_cast<double>(c.n_kv - 1) : 0;
      c.k[j * c.d] = static_cast<float>(start + span * (up ? f : 1 - f));
    }
  }
}

void FillV(Draw& d, AttentionCase& c) {
  switch (d.Weighted({45, 15, 10, 15, 5, 5, 5})) {
    case 0:
      for (float& x : c.v) x = static_cast<float>(d.Unit() * 2 - 1 + 0.25);
      break;
    case 1:
      for (float& x : c.v) x = static_cast<float>(static_cast<int>(d.Below(17)) - 8);
      break;
    case 2:  // constant columns: a convex combination must return them
      for (size_t col = 0; col < c.d_v; ++col) {
        const float v = static_cast<float>(d.Normal() * 4);
        for (size_t j = 0; j < c.n_kv; ++j) c.v[j * c.d_v + col] = v;
      }
      break;
    case 3:
      for (float& x : c.v) x = MixtureValue(d);
      // Keep the columns' sums inside the rule's domain (2^120) mostly.
      for (float& x : c.v)
        if (std::fabs(x) > 1e30f) x = std::copysign(1e30f, x);
      break;
    case 4:  // one-hot rows
      std::fill(c.v.begin(), c.v.end(), 0.0f);
      for (size_t j = 0; j < c.n_kv && c.d_v; ++j) c.v[j * c.d_v + j % c.d_v] = 1.0f;
      break;
    case 5:
      for (float& x : c.v) x = static_cast<float>(d.Normal() * 1e20);
      break;
    default:
      for (float& x : c.v) x = static_cast<float>(d.Normal() * 1e-30);
      break;
  }
}

float FiniteMaskValue(Draw& d) {
  switch (d.Weighted({60, 20, 10, 10})) {
    case 0: return static_cast<float>(d.Unit() * 6 - 3);
    case 1: return d.Pick<float>({-1e4f, -1e30f, -100.0f, -kMax});
    case 2: return d.Pick<float>({100.0f, 1e4f});
    default: return static_cast<float>(static_cast<int>(d.Below(9)) - 4);
  }
}

// -inf patterns: random entries, fully masked rows, padding (the last keys
// hidden from every query), whole columns, everything, and the first key
// block(s) hidden from some rows -- a streaming kernel's running max is then
// still -inf at the next block: exp(-inf - (-inf)) = NaN.
void MaskPattern(Draw& d, AttentionCase& c, P p) {
  const size_t n_q = c.n_q, n_kv = c.n_kv;
  auto at = [&](size_t i, size_t j) -> float& { return c.mask[i * n_kv + j]; };
  const size_t kind = p == P::kFullyMasked ? d.Weighted({10, 45, 10, 5, 10, 20})
                      : p == P::kMaskDeletes ? d.Weighted({30, 10, 30, 20, 2, 8})
                                             : d.Weighted({30, 15, 15, 10, 5, 25});
  switch (kind) {
    case 0: {
      const double density = d.Pick({0.1, 0.5, 0.9});
      for (float& m : c.mask)
        if (d.Chance(density)) m = -kInf;
      break;
    }
    case 1:
      for (size_t i = 0; i < n_q; ++i)
        if (d.Chance(0.3) || (i == 0 && d.Chance(0.5)))
          for (size_t j = 0; j < n_kv; ++j) at(i, j) = -kInf;
      break;
    case 2: {
      const size_t pad = 1 + d.Below(n_kv);
      for (size_t i = 0; i < n_q; ++i)
        for (size_t j = n_kv - pad; j < n_kv; ++j) at(i, j) = -kInf;
      break;
    }
    case 3:
      for (size_t j = 0; j < n_kv; ++j)
        if (d.Chance(0.3))
          for (size_t i = 0; i < n_q; ++i) at(i, j) = -kInf;
      break;
    case 4:
      std::fill(c.mask.begin(), c.mask.end(), -kInf);
      break;
    default: {
      size_t b = d.Pick<size_t>({16, 32, 48, 64, 96, 128, n_kv - 1, n_kv / 2, 1});
      b = std::min(b, n_kv);
      for (size_t i = 0; i < n_q; ++i)
        if (d.Chance(0.6))
          for (size_t j = 0; j < b; ++j) at(i, j) = -kInf;
      break;
    }
  }
  // Sometimes a second pattern on top.
  if (d.Chance(0.2) && n_kv > 0)
    for (float& m : c.mask)
      if (d.Chance(0.1)) m = -kInf;
}

// Keys hidden from query i: by causality, or by a -inf mask entry.
bool Hidden(const AttentionCase& c, size_t i, size_t j) {
  long long end = static_cast<long long>(c.n_kv);
  if (c.causal == kCausalTopLeft) end = static_cast<long long>(i) + 1;
  if (c.causal == kCausalBottomRight)
    end = static_cast<long long>(i + 1 + c.n_kv) - static_cast<long long>(c.n_q);
  if (static_cast<long long>(j) >= end) return true;
  return !c.mask.empty() && c.mask[i * c.n_kv + j] == -kInf;
}

// NaN and infinities where the contract says they must not reach the output:
// in k_j and v_j of keys hidden from every query, and in mask entries that
// causality hides. Keys hidden from only some queries get them too,
// sometimes: the queries that see them must then be poisoned, and only
// those.
void HideNonFinite(Draw& d, AttentionCase& c) {
  if (c.causal == kCausalNone && c.mask.empty() && c.n_kv > 1) c.causal = kCausalTopLeft;
  const bool partial = d.Chance(0.2);
  for (size_t j = 0; j < c.n_kv; ++j) {
    size_t hidden_from = 0;
    for (size_t i = 0; i < c.n_q; ++i) hidden_from += Hidden(c, i, j);
    if (hidden_from == 0 || (hidden_from < c.n_q && !partial)) continue;
    if (!d.Chance(0.7)) continue;
    for (size_t t = 0; t < c.d; ++t)
      if (d.Chance(0.3)) c.k[j * c.d + t] = Special(d);
    for (size_t t = 0; t < c.d_v; ++t)
      if (d.Chance(0.3)) c.v[j * c.d_v + t] = Special(d);
  }
  if (c.causal != kCausalNone && d.Chance(0.5)) {
    if (c.mask.empty()) c.mask.assign(c.n_q * c.n_kv, 0.0f);
    for (size_t i = 0; i < c.n_q; ++i)
      for (size_t j = 0; j < c.n_kv; ++j)
        if (Hidden(c, i, j) && d.Chance(0.2))
          c.mask[i * c.n_kv + j] = d.Chance(0.5) ? NaNValue(d) : kInf;
  }
}

// NaN or infinities in visible places (q, a visible key's k or v, a mask
// entry), or a caller error.
void InjectVisible(Draw& d, AttentionCase& c) {
  if (d.Chance(0.08)) {
    if (d.Chance(0.6))
      c.scale = d.Pick<float>({std::numeric_limits<float>::quiet_NaN(), kInf, -kInf});
    else
      c.causal = d.Pick<int>({3, 7, -1});
    return;
  }
  const size_t count = 1 + d.Below(3);
  for (size_t x = 0; x < count; ++x) {
    switch (d.Below(4)) {
      case 0: if (!c.q.empty()) c.q[d.Below(c.q.size())] = Special(d); break;
      case 1: if (!c.k.empty()) c.k[d.Below(c.k.size())] = Special(d); break;
      case 2: if (!c.v.empty()) c.v[d.Below(c.v.size())] = Special(d); break;
      default:
        if (c.n_q * c.n_kv == 0) break;
        if (c.mask.empty()) c.mask.assign(c.n_q * c.n_kv, 0.0f);
        c.mask[d.Below(c.mask.size())] = d.Chance(0.5) ? NaNValue(d) : kInf;
        break;
    }
  }
}

AttentionPropertyCase MakeCase(Draw& d, P p, const AttentionBudget& b) {
  const Mix mix = MixFor(p);
  AttentionPropertyCase pc;
  pc.property = p;
  AttentionCase& c = pc.problem;
  const bool big = d.Chance(b.big_chance);
  const size_t max_n = big ? b.big_n : b.max_n;
  const size_t max_scores = big ? b.big_scores : b.max_scores;
  c.n_q = big ? max_n / 2 + d.Below(max_n / 2 + 2) : Extent(d, max_n);
  c.n_kv = big ? max_n / 2 + d.Below(max_n / 2 + 2) : Extent(d, max_n);
  if (d.Chance(mix.unequal_n) && c.n_q == c.n_kv) c.n_kv = c.n_kv + 1 + d.Below(8);
  if (!big && d.Chance(0.15)) c.n_kv = c.n_q;  // square: the causal modes agree
  while (c.n_q * c.n_kv > max_scores) {
    if (c.n_q > c.n_kv) c.n_q = (c.n_q + 1) / 2;
    else c.n_kv = (c.n_kv + 1) / 2;
  }
  if (p == P::kFullyMasked && d.Chance(0.05)) c.n_kv = 0;
  c.d = Extent(d, b.max_d);
  c.d_v = d.Chance(0.35) ? c.d : Extent(d, b.max_d);
  if (c.d_v == 0 && d.Chance(0.7)) c.d_v = 1 + d.Below(4);
  c.causal = static_cast<int>(d.Weighted(mix.causal));
  if (p == P::kFullyMasked && d.Chance(0.2)) {
    // Bottom-right with more queries than keys: the first n_q - n_kv
    // queries see nothing.
    c.causal = kCausalBottomRight;
    if (c.n_q <= c.n_kv) std::swap(c.n_q, c.n_kv);
    if (c.n_q == c.n_kv) ++c.n_q;
  }
  c.scale = ScaleValue(d, c.d, mix.huge_scale);
  c.q.resize(c.n_q * c.d);
  c.k.resize(c.n_kv * c.d);
  c.v.resize(c.n_kv * c.d_v);
  FillQk(d, mix, c);
  FillV(d, c);
  const double r = d.Unit();
  if (c.n_q * c.n_kv > 0 && r >= mix.mask_none) {
    c.mask.resize(c.n_q * c.n_kv);
    const bool finite = r < mix.mask_none + mix.mask_finite;
    const bool base_zero = !finite && d.Chance(0.5);
    for (float& m : c.mask) m = base_zero ? 0.0f : FiniteMaskValue(d);
    if (!finite) MaskPattern(d, c, p);
  }
  if (p == P::kMaskDeletes && !c.mask.empty()) {
    // What a deleted key holds must not matter: give keys masked from every
    // query scores and values that would dominate if they got in.
    for (size_t j = 0; j < c.n_kv; ++j) {
      bool all = true;
      for (size_t i = 0; i < c.n_q && all; ++i) all = c.mask[i * c.n_kv + j] == -kInf;
      if (!all || !d.Chance(0.7)) continue;
      for (size_t t = 0; t < c.d; ++t) c.k[j * c.d + t] *= 1e3f;
      for (size_t t = 0; t < c.d_v; ++t) c.v[j * c.d_v + t] = d.Chance(0.5) ? 1e6f : -1e6f;
    }
  }
  if (p == P::kMaskedNan) HideNonFinite(d, c);
  if (p == P::kNonFinite) InjectVisible(d, c);
  if (mix.special_chance > 0 && d.Chance(mix.special_chance)) InjectVisible(d, c);
  if (p == P::kKvPermutation || p == P::kMaskDeletes) pc.permutation = d.Next() | 1;
  if (p == P::kHygiene) pc.offset = d.Below(16);
  if (p == P::kBlockSize) {
    pc.block_q = d.Pick<size_t>({0, 1, 2, 3, 6, 7, 16, 17, 33}) + (d.Chance(0.3) ? d.Below(40) : 0);
    pc.block_kv = d.Pick<size_t>({0, 1, 2, 5, 12, 13, 63, 65, 97, 129}) + (d.Chance(0.3) ? d.Below(130) : 0);
  }
  return pc;
}

// ---- shrinking ------------------------------------------------------------

// Simpler values than v, simplest first: 0, 1, positive, whole, fewer
// significant bits, then closer to 1 by bisecting the bit pattern
// (RapidCheck keeps the first that still fails and restarts from it: an
// overflow's score shrinks from above to the first float past log(FLT_MAX),
// and a value that only has to be non-zero to fail becomes 1 rather than a
// subnormal). Every candidate but 0 and 1 is strictly closer to 1 in bits,
// or the same magnitude made positive, so shrinking ends.
std::vector<float> ShrinkValue(float v) {
  std::vector<float> out;
  if (std::isnan(v)) {
    out.push_back(0.0f);
    const float canonical = std::numeric_limits<float>::quiet_NaN();
    if (std::bit_cast<uint32_t>(v) != std::bit_cast<uint32_t>(canonical))
      out.push_back(canonical);
    return out;
  }
  if (std::isinf(v) || v == 0) {
    if (v != 0 || std::signbit(v)) out.push_back(0.0f);
    return out;
  }
  constexpr uint32_t kOne = 0x3f800000u;
  const uint32_t b = std::bit_cast<uint32_t>(std::fabs(v));
  auto distance = [](uint32_t x) { return x > kOne ? x - kOne : kOne - x; };
  auto closer = [&](float c) {
    return std::isfinite(c) && c != 0 &&
           distance(std::bit_cast<uint32_t>(std::fabs(c))) < distance(b);
  };
  out.push_back(0.0f);
  if (v != 1) out.push_back(1.0f);
  if (v < 0) out.push_back(-v);
  const float whole = std::trunc(v);
  if (closer(whole)) out.push_back(whole);
  for (int bits : {1, 2, 4, 8, 12}) {
    // v rounded to `bits` significant bits.
    int e = 0;
    const double m = std::frexp(static_cast<double>(v), &e);
    const float r = static_cast<float>(std::ldexp(std::round(std::ldexp(m, bits)), e - bits));
    if (r != v && closer(r)) out.push_back(r);
  }
  for (uint32_t diff = distance(b) / 2; diff > 0; diff /= 2)
    out.push_back(std::copysign(std::bit_cast<float>(b > kOne ? b - diff : b + diff), v));
  return out;
}

enum class Op : uint8_t { kQueries, kKeys, kDims, kValueDims, kField, kValue };
struct Edit {
  Op op;
  size_t a, b;  // [a, a + b) for removals; field index; tensor and element
};

// Removes [start, start + len) of the rows of a row-major rows x cols tensor.
void EraseRows(std::vector<float>& x, size_t cols, size_t start, size_t len) {
  x.erase(x.begin() + static_cast<std::ptrdiff_t>(start * cols),
          x.begin() + static_cast<std::ptrdiff_t>((start + len) * cols));
}

// Removes columns [start, start + len) of a rows x cols tensor.
void EraseCols(std::vector<float>& x, size_t rows, size_t cols, size_t start,
               size_t len) {
  std::vector<float> y;
  y.reserve(rows * (cols - len));
  for (size_t r = 0; r < rows; ++r)
    for (size_t t = 0; t < cols; ++t)
      if (t < start || t >= start + len) y.push_back(x[r * cols + t]);
  x = std::move(y);
}

std::vector<float>* Tensor(AttentionCase& c, size_t which) {
  switch (which) {
    case 0: return &c.q;
    case 1: return &c.k;
    case 2: return &c.v;
    default: return &c.mask;
  }
}

const std::vector<float>& TensorOf(const AttentionCase& c, size_t which) {
  switch (which) {
    case 0: return c.q;
    case 1: return c.k;
    case 2: return c.v;
    default: return c.mask;
  }
}

constexpr size_t kFieldCount = 8;

std::vector<AttentionPropertyCase> Apply(const AttentionPropertyCase& pc, Edit e) {
  std::vector<AttentionPropertyCase> out;
  AttentionPropertyCase s = pc;
  AttentionCase& c = s.problem;
  switch (e.op) {
    case Op::kQueries:
      EraseRows(c.q, c.d, e.a, e.b);
      if (!c.mask.empty()) EraseRows(c.mask, c.n_kv, e.a, e.b);
      c.n_q -= e.b;
      if (c.n_q * c.n_kv == 0) c.mask.clear();
      out.push_back(std::move(s));
      break;
    case Op::kKeys:
      EraseRows(c.k, c.d, e.a, e.b);
      EraseRows(c.v, c.d_v, e.a, e.b);
      if (!c.mask.empty()) EraseCols(c.mask, c.n_q, c.n_kv, e.a, e.b);
      c.n_kv -= e.b;
      if (c.n_q * c.n_kv == 0) c.mask.clear();
      out.push_back(std::move(s));
      break;
    case Op::kDims:
      EraseCols(c.q, c.n_q, c.d, e.a, e.b);
      EraseCols(c.k, c.n_kv, c.d, e.a, e.b);
      c.d -= e.b;
      out.push_back(std::move(s));
      break;
    case Op::kValueDims:
      EraseCols(c.v, c.n_kv, c.d_v, e.a, e.b);
      c.d_v -= e.b;
      out.push_back(std::move(s));
      break;
    case Op::kField:
      switch (e.a) {
        case 0:
          if (c.mask.empty()) break;
          c.mask.clear();
          out.push_back(std::move(s));
          break;
        case 1:
          if (c.causal == kCausalNone) break;
          if (c.causal == kCausalBottomRight) {
            AttentionPropertyCase t = s;
            t.problem.causal = kCausalTopLeft;
            out.push_back(std::move(t));
          }
          c.causal = kCausalNone;
          out.push_back(std::move(s));
          break;
        case 2: {
          const float scale = c.scale;
          if (scale == 1) break;
          c.scale = 1;
          out.push_back(s);
          if (std::isfinite(scale) && scale != 0) {
            const float p2 = std::exp2(std::round(std::log2(std::fabs(scale))));
            if (p2 != std::fabs(scale) && std::isnormal(p2)) {
              c.scale = std::copysign(p2, scale);
              out.push_back(s);
            }
            if (scale < 0) {
              c.scale = -scale;
              out.push_back(s);
            }
          }
          break;
        }
        case 3:
          if (s.permutation > 1) {
            s.permutation = 1;
            out.push_back(std::move(s));
          }
          break;
        case 4:
          if (s.offset != 0) {
            s.offset = 0;
            out.push_back(std::move(s));
          }
          break;
        case 5:
          if (s.block_q != 0 || s.block_kv != 0) {
            s.block_q = s.block_kv = 0;
            out.push_back(std::move(s));
          }
          break;
        case 7: {
          // One query: fold the scale and q into K (q_t -> 1, k_jt -> scale
          // q_t k_jt rounded once), so that the scores read off K directly.
          if (c.n_q != 1 || c.d == 0 || (c.scale == 1 && [&] {
                for (float x : c.q)
                  if (x != 0 && x != 1) return false;
                return true;
              }()))
            break;
          bool finite = std::isfinite(c.scale);
          for (float x : c.q) finite = finite && std::isfinite(x);
          for (float x : c.k) finite = finite && std::isfinite(x);
          if (!finite) break;
          for (size_t j = 0; j < c.n_kv; ++j)
            for (size_t t = 0; t < c.d; ++t) {
              const double folded = static_cast<double>(c.scale) * c.q[t] * c.k[j * c.d + t];
              if (!(std::fabs(folded) <= kMax)) return out;
              c.k[j * c.d + t] = static_cast<float>(folded);
            }
          for (float& x : c.q) x = x != 0 ? 1.0f : 0.0f;
          c.scale = 1;
          out.push_back(std::move(s));
          break;
        }
        default:
          // A finite mask entry to 0, all at once.
          if (c.mask.empty()) break;
          {
            bool changed = false;
            for (float& m : c.mask)
              if (m != -kInf && m != 0) {
                m = 0;
                changed = true;
              }
            if (changed) out.push_back(std::move(s));
          }
          break;
      }
      break;
    case Op::kValue: {
      const std::vector<float>& x = TensorOf(pc.problem, e.a);
      if (e.b >= x.size()) break;
      for (float v : ShrinkValue(x[e.b])) {
        AttentionPropertyCase t = pc;
        (*Tensor(t.problem, e.a))[e.b] = v;
        out.push_back(std::move(t));
      }
      break;
    }
  }
  return out;
}

// Chunks of [0, n): halves, quarters, ... down to `min_chunk`.
void Chunks(std::vector<Edit>& edits, Op op, size_t n, size_t min_chunk) {
  for (size_t chunk = n; chunk >= std::max<size_t>(min_chunk, 1);) {
    for (size_t start = 0; start < n; start += chunk)
      edits.push_back({op, start, std::min(chunk, n - start)});
    if (chunk == 1) break;
    chunk = (chunk + 1) / 2;
  }
}

rc::Seq<AttentionPropertyCase> ShrinkCase(AttentionPropertyCase pc) {
  const AttentionCase& c = pc.problem;
  std::vector<Edit> edits;
  auto min_chunk = [](size_t n) { return n <= 64 ? size_t{1} : n / 32; };
  Chunks(edits, Op::kQueries, c.n_q, min_chunk(c.n_q));
  Chunks(edits, Op::kKeys, c.n_kv, min_chunk(c.n_kv));
  Chunks(edits, Op::kDims, c.d, min_chunk(c.d));
  Chunks(edits, Op::kValueDims, c.d_v, min_chunk(c.d_v));
  for (size_t f = 0; f < kFieldCount; ++f) edits.push_back({Op::kField, f, 0});
  if (c.q.size() + c.k.size() + c.v.size() + c.mask.size() <= 256)
    for (size_t t = 0; t < 4; ++t)
      for (size_t e = 0; e < TensorOf(c, t).size(); ++e)
        edits.push_back({Op::kValue, t, e});
  return rc::seq::mapcat(rc::seq::fromContainer(std::move(edits)),
                         [pc](Edit e) { return rc::seq::fromContainer(Apply(pc, e)); });
}

}  // namespace

rc::Gen<AttentionPropertyCase> AttentionCaseGen(AttentionProperty p,
                                                const AttentionBudget& budget) {
  return rc::Gen<AttentionPropertyCase>([p, budget](const rc::Random& random, int) {
    // Salted by the property, so that properties sharing a seed do not all
    // draw the same problems.
    Draw d(rc::Random(random).next() ^
           (0xc2b2ae3d27d4eb4fULL * (static_cast<uint64_t>(p) + 1)));
    return rc::shrinkable::shrinkRecur(MakeCase(d, p, budget), &ShrinkCase);
  });
}

void showValue(const AttentionPropertyCase& c, std::ostream& os) {
  os << FormatAttentionPropertyCase(c);
}

}  // namespace softcheck::properties
