// softcheck_exp_sweep: the Highway kernels' own exp (ExpNonPositive,
// impl/exp-inl.h) against a reference, on every target this CPU supports,
// held to the errors impl/exp_constants.h records as measured
// (kExpMeasuredUlp*), which are tighter than the bounds the kernels claim
// (Claims::exp_ulp).
//
//   softcheck_exp_sweep                 every float of [ln FLT_MIN, 0] and
//                                       10^8 doubles: the full measurement
//                                       (about 40 s per target on one core)
//   softcheck_exp_sweep --stride 127 --double-points 1000000
//                                       every 127th float: what ctest runs
//
// Float: the floats z <= 0 whose exp is at least FLT_MIN, walked in bit order
// (every --stride-th bit pattern; an odd stride reaches both parities of
// the mantissa's last bit), against exp in double (its error, under 2^-52 relative, moves a
// float ulp figure by under 1e-8). Double: --double-points points, half
// evenly spread over [ln DBL_MIN, 0] and half log-spread towards 0 (as
// tests/highway_targets_test.cc), against expl in long double (64 bits:
// about 0.0005 of a double ulp).
//
// Prints one line per target and lane type with the largest error and its
// argument in hex. Exit codes: 0 every error within the measured figure; 1
// one above it (the line says which), or a target whose exp or registry
// entry cannot be found; 2 a bad argument.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "impl/exp_constants.h"
#include "impl/softmax.h"

namespace softcheck {

// Defined in impl/softmax_highway.cc.
std::vector<SoftmaxKernel> HighwaySoftmaxKernels();
bool HighwayExpForTest(int64_t target, const float* z, float* out, size_t n);
bool HighwayExpForTest(int64_t target, const double* z, double* out, size_t n);

namespace {

struct Worst {
  double ulp = 0;
  double at = 0;
  uint64_t points = 0;
  bool missing = false;  // the target's exp is not compiled in
  // A NaN error (a NaN from the exp) counts as the worst there is.
  void Take(double err, double z) {
    if (!(err <= ulp)) {
      ulp = err;
      at = z;
    }
  }
};

// Error of `got` in ulps of the exact value (a normal number of T).
template <typename T, typename R>
double UlpError(T got, R exact) {
  const R ulp = std::ldexp(R(1), std::ilogb(exact) - std::numeric_limits<T>::digits + 1);
  return static_cast<double>(std::fabs(static_cast<R>(got) - exact) / ulp);
}

Worst SweepFloat(int64_t target, uint32_t stride) {
  const float lo = std::log(std::numeric_limits<float>::min());  // -87.3365
  uint32_t lo_bits;
  std::memcpy(&lo_bits, &lo, sizeof lo_bits);
  constexpr size_t kChunk = 1 << 16;
  std::vector<float> z(kChunk), out(kChunk);
  Worst w;
  uint64_t bits = 0x80000000u;  // -0.0, then more negative in bit order
  while (bits <= lo_bits) {
    size_t m = 0;
    for (; m < kChunk && bits <= lo_bits; ++m, bits += stride) {
      const uint32_t b = static_cast<uint32_t>(bits);
      std::memcpy(&z[m], &b, sizeof b);
    }
    if (!HighwayExpForTest(target, z.data(), out.data(), m)) {
      w.missing = true;
      return w;
    }
    for (size_t i = 0; i < m; ++i) {
      const double exact = std::exp(static_cast<double>(z[i]));
      if (exact < std::numeric_limits<float>::min()) continue;  // flushed: allowed
      ++w.points;
      w.Take(UlpError(out[i], exact), z[i]);
    }
  }
  return w;
}

Worst SweepDouble(int64_t target, uint64_t points) {
  const double lo = std::log(std::numeric_limits<double>::min());
  constexpr size_t kChunk = 1 << 16;
  std::vector<double> z(kChunk), out(kChunk);
  std::mt19937_64 rng(11);
  Worst w;
  for (uint64_t done = 0; done < points;) {
    const size_t m = static_cast<size_t>(std::min<uint64_t>(kChunk, points - done));
    for (size_t i = 0; i < m; ++i) {
      const uint64_t k = done + i;
      // Two draws in a fixed order (as arguments of one call their order
      // would be the compiler's choice, and so would the points).
      const uint64_t mantissa = rng() >> 12;
      const int exponent = -static_cast<int>(rng() % 40);
      z[i] = (k & 1) ? lo * (static_cast<double>(k) / static_cast<double>(points))
                     : -std::ldexp(1.0 + static_cast<double>(mantissa) * 0x1p-52, exponent);
    }
    if (!HighwayExpForTest(target, z.data(), out.data(), m)) {
      w.missing = true;
      return w;
    }
    for (size_t i = 0; i < m; ++i) {
      const long double exact = std::exp(static_cast<long double>(z[i]));
      if (exact < std::numeric_limits<double>::min()) continue;
      ++w.points;
      w.Take(UlpError(out[i], exact), z[i]);
    }
    done += m;
  }
  return w;
}

}  // namespace
}  // namespace softcheck

int main(int argc, char** argv) {
  using namespace softcheck;
  uint32_t stride = 1;
  uint64_t double_points = 100000000;
  CLI::App app{"The Highway kernels' exp against a reference on every supported target, "
               "held to the errors measured in impl/exp_constants.h"};
  app.add_option("--stride", stride, "take every Nth float bit pattern (1: every float)")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--double-points", double_points, "double arguments to try")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  const std::vector<SoftmaxKernel> kernels = HighwaySoftmaxKernels();
  int rc = 0;
  for (size_t t = 0; t < targets.size(); ++t) {
    const char* name = hwy::TargetName(targets[t]);
    bool fma = false, found = false;
    for (const SoftmaxKernel& k : kernels)
      if (k.target == name) {
        found = true;
        fma = k.claims.exp_ulp == highway_exp::kExpUlpFma;
      }
    if (!found) {
      std::printf("%s: no highway:%s registry entry, so no claim to hold it to\n", name, name);
      rc = 1;
      continue;
    }
    const Worst f = SweepFloat(targets[t], stride);
    const Worst d = SweepDouble(targets[t], double_points);
    if (f.missing || d.missing) {
      std::printf("%s: its exp is not compiled into this build\n", name);
      rc = 1;
      continue;
    }
    const double want_f =
        fma ? highway_exp::kExpMeasuredUlpFmaF32 : highway_exp::kExpMeasuredUlpNoFmaF32;
    const double want_d =
        fma ? highway_exp::kExpMeasuredUlpFmaF64 : highway_exp::kExpMeasuredUlpNoFmaF64;
    const bool ok_f = f.ulp <= want_f, ok_d = d.ulp <= want_d;
    const std::string which =
        stride == 1 ? std::string("all of them") : fmt::format("stride {} in bit order", stride);
    std::printf("%s%s float:  max %.4f ulp at z = %a (%llu floats, %s), measured figure "
                "%.2f: %s\n",
                name, fma ? " (FMA)" : "", f.ulp, f.at,
                static_cast<unsigned long long>(f.points), which.c_str(), want_f,
                ok_f ? "within" : "ABOVE");
    std::printf("%s%s double: max %.4f ulp at z = %a (%llu points), measured figure %.2f: %s\n",
                name, fma ? " (FMA)" : "", d.ulp, d.at,
                static_cast<unsigned long long>(d.points), want_d, ok_d ? "within" : "ABOVE");
    std::fflush(stdout);
    if (!ok_f || !ok_d) rc = 1;
  }
  return rc;
}
