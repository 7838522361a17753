#include "report/accuracy_sweep.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "oracle/error.h"
#include "oracle/oracle.h"
#include "report/measure.h"

namespace softcheck::report {

const std::vector<DistributionInfo>& SoftmaxDistributions() {
  static const std::vector<DistributionInfo> d = {
      {"normal", "x ~ N(0, 1): logits as a classifier gives them"},
      {"uniform20", "x ~ U[-20, 20]: exp spans 2^57; rounding x - max costs up to 40 ULP in exp"},
      {"wide", "|x| = 2^U(-4, 12) with a random sign: up to 4096, past exp's overflow "
               "threshold in float (88.7) and double (709.8)"},
      {"masked", "x ~ N(0, 1), each entry -inf with probability 1/2 (one entry kept finite)"},
  };
  return d;
}

const std::vector<DistributionInfo>& AttentionDistributions() {
  static const std::vector<DistributionInfo> d = {
      {"normal", "Q, K, V ~ N(0, 1), scale 1/sqrt(d), no mask"},
      {"large", "Q, K ~ N(0, 10^2), V ~ N(0, 1), scale 1/sqrt(d): scores of standard "
                "deviation 100, far past exp's range"},
      {"masked", "as normal, plus an additive mask: -inf above the diagonal (causal) and on a "
                 "random quarter of the keys below it; the diagonal stays visible"},
  };
  return d;
}

namespace {

uint64_t Mix(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  // SplitMix64 over the arguments: independent streams per (dist, rows, n).
  uint64_t h = seed;
  for (uint64_t v : {a, b, c}) {
    h += 0x9e3779b97f4a7c15ULL + v;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
  }
  return h;
}

}  // namespace

template <typename T>
std::vector<T> SoftmaxInputs(size_t dist, size_t rows, size_t n, uint64_t seed) {
  std::mt19937_64 rng(Mix(seed, dist, rows, n));
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<T> x(rows * n);
  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  for (size_t r = 0; r < rows; ++r) {
    T* row = x.data() + r * n;
    const size_t keep = n ? static_cast<size_t>(rng() % n) : 0;
    for (size_t i = 0; i < n; ++i) {
      switch (dist) {
        case 0: row[i] = static_cast<T>(normal(rng)); break;
        case 1: row[i] = static_cast<T>(-20 + 40 * unit(rng)); break;
        case 2: {
          const double magnitude = std::exp2(-4 + 16 * unit(rng));
          row[i] = static_cast<T>(rng() & 1 ? magnitude : -magnitude);
          break;
        }
        default: {
          const double v = normal(rng);
          row[i] = (i != keep && (rng() & 1)) ? kMinusInf : static_cast<T>(v);
        }
      }
    }
  }
  return x;
}

template <typename T>
SoftmaxSample<T> MakeSoftmaxSample(size_t dist, size_t rows, size_t n, uint64_t seed) {
  SoftmaxSample<T> s;
  s.dist = dist;
  s.rows = rows;
  s.n = n;
  s.x = SoftmaxInputs<T>(dist, rows, n, seed);
  s.exact.reserve(rows * n);
  for (size_t r = 0; r < rows; ++r) {
    const oracle::SoftmaxResult<T> e = oracle::Softmax(s.x.data() + r * n, n, T(1));
    s.exact.insert(s.exact.end(), e.exact.begin(), e.exact.end());
  }
  return s;
}

AttentionSample MakeAttentionSample(size_t dist, size_t n, size_t d, size_t sample_rows,
                                    uint64_t seed, unsigned oracle_threads) {
  AttentionSample s;
  s.dist = dist;
  s.n = n;
  s.d = d;
  std::mt19937_64 rng(Mix(seed, 100 + dist, n, d));
  std::normal_distribution<double> normal(0, 1);
  AttentionCase& c = s.problem;
  c.n_q = c.n_kv = n;
  c.d = c.d_v = d;
  c.scale = static_cast<float>(1 / std::sqrt(static_cast<double>(d)));
  c.causal = kCausalNone;
  const double qk_sigma = dist == 1 ? 10 : 1;
  c.q.resize(n * d);
  c.k.resize(n * d);
  c.v.resize(n * d);
  for (float& v : c.q) v = static_cast<float>(qk_sigma * normal(rng));
  for (float& v : c.k) v = static_cast<float>(qk_sigma * normal(rng));
  for (float& v : c.v) v = static_cast<float>(normal(rng));
  if (dist == 2) {
    c.mask.assign(n * n, 0.0f);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (j > i || (j < i && rng() % 4 == 0))
          c.mask[i * n + j] = -std::numeric_limits<float>::infinity();
  }
  if (n <= sample_rows || sample_rows < 2) {
    for (size_t i = 0; i < n; ++i) s.sampled_rows.push_back(i);
  } else {
    for (size_t k = 0; k < sample_rows; ++k)
      s.sampled_rows.push_back(k * (n - 1) / (sample_rows - 1));
  }
  // The oracle on the sampled query rows alone: the same keys, the same mask
  // rows. The causal pattern lives in the mask, so a row keeps its keys.
  AttentionCase sub;
  sub.n_q = s.sampled_rows.size();
  sub.n_kv = n;
  sub.d = sub.d_v = d;
  sub.scale = c.scale;
  sub.causal = kCausalNone;
  sub.k = c.k;
  sub.v = c.v;
  for (size_t i : s.sampled_rows) {
    sub.q.insert(sub.q.end(), c.q.begin() + static_cast<std::ptrdiff_t>(i * d),
                 c.q.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
    if (!c.mask.empty())
      sub.mask.insert(sub.mask.end(), c.mask.begin() + static_cast<std::ptrdiff_t>(i * n),
                      c.mask.begin() + static_cast<std::ptrdiff_t>((i + 1) * n));
  }
  oracle::AttentionOptions options;
  options.threads = oracle_threads;
  s.exact = oracle::Attention(sub.View(), options);
  return s;
}

template <typename T>
long double FloorUlpThreshold() {
  // ulp(v) = 2^(e - digits + 1) for v in [2^e, 2^(e+1)); it exceeds min()
  // from v = min() * 2^(digits - 1) on.
  return std::ldexp(static_cast<long double>(std::numeric_limits<T>::min()),
                    std::numeric_limits<T>::digits - 1);
}
template long double FloorUlpThreshold<float>();
template long double FloorUlpThreshold<double>();

template <typename T>
void ErrorAccumulator::Add(const T* actual, const long double* exact, size_t count) {
  const long double floor_ulp = FloorUlpThreshold<T>();
  for (size_t i = 0; i < count; ++i) {
    const double ulp = UlpError<T>(actual[i], exact[i]);
    ulps_.push_back(ulp);
    max_ulp_ = std::max(max_ulp_, ulp);
    if (std::isfinite(exact[i]) && !std::isfinite(actual[i])) ++nonfinite_;
    const bool tiny = std::fabs(exact[i]) < floor_ulp && exact[i] != 0;
    if (tiny && ulp > 1 && std::isfinite(actual[i])) ++underflow_;
    if (!tiny) max_ulp_above_floor_ = std::max(max_ulp_above_floor_, ulp);
    if (!tiny && exact[i] != 0) {
      const double rel = RelativeError<T>(actual[i], exact[i]);
      max_rel_ = std::isnan(rel) ? std::numeric_limits<double>::infinity()
                                 : std::max(max_rel_, rel);
    }
  }
}

void ErrorAccumulator::Merge(const ErrorAccumulator& o) {
  ulps_.insert(ulps_.end(), o.ulps_.begin(), o.ulps_.end());
  max_ulp_ = std::max(max_ulp_, o.max_ulp_);
  max_rel_ = std::max(max_rel_, o.max_rel_);
  max_ulp_above_floor_ = std::max(max_ulp_above_floor_, o.max_ulp_above_floor_);
  nonfinite_ += o.nonfinite_;
  underflow_ += o.underflow_;
}

DistributionError ErrorAccumulator::Summary(const std::string& name) const {
  DistributionError e;
  e.distribution = name;
  e.elements = ulps_.size();
  e.max_ulp = max_ulp_;
  std::vector<double> copy = ulps_;
  e.median_ulp = Median(copy);
  e.max_rel = max_rel_;
  e.nonfinite = nonfinite_;
  e.underflow = underflow_;
  e.max_ulp_above_floor = max_ulp_above_floor_;
  return e;
}

template std::vector<float> SoftmaxInputs<float>(size_t, size_t, size_t, uint64_t);
template std::vector<double> SoftmaxInputs<double>(size_t, size_t, size_t, uint64_t);
template SoftmaxSample<float> MakeSoftmaxSample<float>(size_t, size_t, size_t, uint64_t);
template SoftmaxSample<double> MakeSoftmaxSample<double>(size_t, size_t, size_t, uint64_t);
template void ErrorAccumulator::Add<float>(const float*, const long double*, size_t);
template void ErrorAccumulator::Add<double>(const double*, const long double*, size_t);

}  // namespace softcheck::report
