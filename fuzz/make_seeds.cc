// Writes the hand-made seeds of the corpora (fuzz/corpus/<target>/seed-*):
// rows that sit on the thresholds where softmax kernels break, each named
// for what it probes. Run once when a seed is added here; the corpora are
// then minimised with libFuzzer's -merge=1 (docs/fuzzing.md) and committed.
//
//   fuzz_make_seeds fuzz/corpus
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"

namespace {

using softcheck::AttentionCase;
using namespace softcheck::fuzz;

std::filesystem::path g_root;

void Write(const std::string& target, const std::string& name,
           const std::vector<uint8_t>& bytes) {
  const std::filesystem::path dir = g_root / target;
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The thresholds of type T: where exp(x) overflows, where it leaves the
// normal range, where it underflows to 0.
template <typename T>
struct Edges {
  T overflow, normal, tiniest, zero;
};
// 0x1.62e43p+6 = 88.72284 is the first float whose exp overflows; below
// -87.33655 exp is subnormal, at -103.27893 it is the smallest subnormal,
// below -103.97208 it rounds to 0.
const Edges<float> kF{0x1.62e43p+6f, -0x1.5d58ap+6f, -0x1.9d1dap+6f, -0x1.9fe368p+6f};
// 709.78271289338409 overflows; below -708.39641853226 subnormal; at
// -744.44007 the smallest subnormal; below -745.13321910194122 zero.
const Edges<double> kD{0x1.62e42fefa39fp+9, -0x1.6232bdd7abcd2p+9, -0x1.74385446d71c3p+9,
                       -0x1.74910d52d3052p+9};

template <typename T>
void SoftmaxSeeds(const std::string& t, const Edges<T>& e) {
  using L = std::numeric_limits<T>;
  const T inf = L::infinity(), nan = L::quiet_NaN(), mx = L::max(), mn = L::min(),
          dn = L::denorm_min();
  const T below = std::nextafter(e.overflow, T(0));
  Write(t, "empty", EncodeSoftmax<T>({}));
  Write(t, "one", EncodeSoftmax<T>({T(3)}));
  Write(t, "small-logits", EncodeSoftmax<T>({T(1), T(2), T(3), T(-4), T(0.5)}));
  Write(t, "exp-overflows", EncodeSoftmax<T>({e.overflow, T(0), T(1)}));
  Write(t, "exp-just-finite", EncodeSoftmax<T>({below, below, T(0)}));
  Write(t, "exp-leaves-normal", EncodeSoftmax<T>({e.normal, e.normal, e.normal}));
  Write(t, "exp-is-denorm-min", EncodeSoftmax<T>({e.tiniest, e.tiniest, e.normal}));
  Write(t, "every-exp-underflows", EncodeSoftmax<T>({e.zero, e.zero, T(2) * e.zero}));
  Write(t, "1000-999", EncodeSoftmax<T>({T(1000), T(999)}));
  Write(t, "max-and-minus-max", EncodeSoftmax<T>({mx, -mx, T(0)}));
  Write(t, "max-twice", EncodeSoftmax<T>({mx, mx}));
  Write(t, "minus-max", EncodeSoftmax<T>({-mx, -mx, -mx}));
  Write(t, "plus-inf", EncodeSoftmax<T>({inf, T(1), T(2)}));
  Write(t, "nan", EncodeSoftmax<T>({T(1), nan, T(2)}));
  Write(t, "masked", EncodeSoftmax<T>({-inf, T(1), -inf, T(2)}));
  Write(t, "fully-masked", EncodeSoftmax<T>({-inf, -inf, -inf}));
  Write(t, "subnormals", EncodeSoftmax<T>({dn, -dn, mn, T(0), -T(0)}));
  Write(t, "masked-and-huge", EncodeSoftmax<T>({-inf, mx, e.overflow}));
  // Long rows by repetition: every SIMD tail length and a sum of many terms.
  for (size_t n : {size_t{7}, size_t{17}, size_t{33}, size_t{257}, size_t{1000}, kMaxRow})
    Write(t, "repeated-" + std::to_string(n),
          EncodeSoftmaxRepeated<T>({T(1), e.overflow, T(-2), -inf}, n));
  Write(t, "long-fully-masked", EncodeSoftmaxRepeated<T>({-inf}, 100));
  Write(t, "long-one-nan-period", EncodeSoftmaxRepeated<T>({T(0), T(1), T(2), nan}, 67));
  // Temperature: the limits, the caller errors, extremes.
  Write(t, "t-zero-ties", EncodeSoftmax<T>({T(2), T(2), T(1)}, T(0)));
  Write(t, "t-inf", EncodeSoftmax<T>({T(2), -inf, T(1)}, inf));
  Write(t, "t-negative", EncodeSoftmax<T>({T(1), T(2)}, T(-1)));
  Write(t, "t-nan", EncodeSoftmax<T>({T(1), T(2)}, nan));
  Write(t, "t-subnormal", EncodeSoftmax<T>({T(1), T(2)}, dn));
  Write(t, "t-max", EncodeSoftmax<T>({mx, -mx}, mx));
  Write(t, "t-half-overflow", EncodeSoftmax<T>({e.overflow, T(1)}, T(0.5)));
}

void AttentionSeeds() {
  const std::string t = "attention_f32";
  const float inf = INFINITY, nan = NAN;
  auto make = [](size_t nq, size_t nkv, size_t d, size_t dv, int causal, bool mask,
                 float scale, std::vector<float> pattern) {
    AttentionCase c;
    c.n_q = nq, c.n_kv = nkv, c.d = d, c.d_v = dv, c.causal = causal, c.scale = scale;
    size_t i = 0;
    auto fill = [&](std::vector<float>* v, size_t count) {
      v->resize(count);
      for (float& e : *v) e = pattern.empty() ? 0.0f : pattern[i++ % pattern.size()];
    };
    fill(&c.q, nq * d);
    fill(&c.k, nkv * d);
    fill(&c.v, nkv * dv);
    if (mask) fill(&c.mask, nq * nkv);
    return EncodeAttention(c);
  };
  Write(t, "small", make(2, 3, 4, 4, 0, false, 0.5f, {1, -2, 0.5f, 3}));
  Write(t, "causal-top-left", make(3, 5, 2, 2, 1, false, 1, {1, 2, 3}));
  Write(t, "causal-bottom-right", make(3, 5, 2, 2, 2, false, 1, {1, 2, 3}));
  Write(t, "causal-bottom-right-more-queries", make(5, 3, 2, 2, 2, false, 1, {1, 2, 3}));
  Write(t, "causal-invalid", make(2, 2, 1, 1, 3, false, 1, {1}));
  Write(t, "scores-overflow-exp", make(2, 4, 1, 3, 0, false, 1, {100, 1, 0x1.62e43p+6f, -5}));
  Write(t, "huge-scores", make(2, 2, 2, 2, 0, false, 0x1p+100f, {1e10f, -1e10f, 3, 4}));
  Write(t, "masked", make(2, 3, 2, 2, 0, true, 1, {1, -inf, 2, 0, 3}));
  Write(t, "fully-masked", make(2, 2, 2, 2, 0, true, 1, {-inf}));
  Write(t, "nan-in-q", make(2, 2, 2, 2, 0, false, 1, {nan, 1, 2, 3, 4}));
  Write(t, "inf-in-v", make(2, 3, 2, 2, 0, false, 1, {1, 2, inf, 0.5f}));
  Write(t, "scale-nan", make(2, 2, 2, 2, 0, false, nan, {1, 2}));
  Write(t, "scale-inf", make(2, 2, 2, 2, 0, false, inf, {1, 2}));
  Write(t, "no-keys", make(3, 0, 4, 4, 0, false, 1, {1}));
  Write(t, "d-zero", make(2, 3, 0, 2, 1, true, 1, {0.5f, -1}));
  Write(t, "wide-heads", make(4, 4, 33, 33, 2, false, 0.125f, {1, -1, 2, 0.25f, 7}));
  Write(t, "max-shape", make(16, 16, 39, 39, 0, true, 0.125f, {1, -3, 2, 0.25f, 9, -inf}));
  Write(t, "subnormals", make(2, 2, 3, 2, 0, false, 1, {0x1p-149f, -0x1p-149f, 0x1p-126f}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  SoftmaxSeeds<float>("softmax_f32", kF);
  SoftmaxSeeds<double>("softmax_f64", kD);
  // The float-row rounding of the regression the suite found (issue 3):
  // x - max ties at 2^128 and rounds to -inf at T = 2^124; and double's.
  Write("softmax_f32", "regression-shift-overflows-at-large-t",
        EncodeSoftmax<float>({0x1p+103f, -FLT_MAX}, 0x1p+124f));
  Write("softmax_f64", "regression-shift-overflows-at-large-t",
        EncodeSoftmax<double>({0x1p+970, -DBL_MAX}, 0x1p+1021));
  AttentionSeeds();
  return 0;
}
