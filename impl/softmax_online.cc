// online: the single-pass normaliser of Milakov & Gimelshein (2018), "Online
// normalizer calculation for softmax", then the write pass.
//
// Pass 1 keeps a running maximum m and a running sum d of exp((x_j - m)/T)
// over the entries seen so far; when a larger x_i arrives the sum is rescaled:
//   d <- d * exp((m - x_i)/T) + 1,  m <- x_i.
// Pass 2 writes y_i = exp((x_i - m)/T) / d.
//
// Contract: the full contract of impl/softmax.h, float and double.
//   * The -inf corner: with m = -inf and x_i = -inf, exp(x_i - m) would be
//     exp(NaN). -inf entries contribute nothing and are skipped; the first
//     finite entry sets d = 1 (d * exp(-inf) = 0 * 0 = 0, plus 1).
//   * NaN compares false and would be skipped silently, so it is tracked
//     apart; +inf becomes the maximum; either gives an all-NaN row.
//   * Accuracy: like maxshift, plus one rounding per rescale (at most one per
//     element, each exact-ish: exp of a non-positive argument times d <= n).
//   * In place is fine: pass 1 only reads; pass 2 reads x_i before writing y_i.
#include <cmath>
#include <limits>

#include "impl/softmax.h"
#include "impl/softmax_common.h"

namespace softcheck {
namespace {

template <typename T>
void OnlineSoftmax(const T* x, T* y, size_t n, T temperature) {
  if (HandleSpecialTemperature(x, y, n, temperature)) return;
  constexpr T kInf = std::numeric_limits<T>::infinity();
  // For T != 1 the division is one more rounding of the exp argument.
  // With T > 1, a - b may overflow to -inf while (a - b) / T is moderate
  // (a = -FLT_MAX, b = 2^103, T = 2^124 gives -16): then scale first.
  auto scaled = [temperature](T a, T b) {
    if (temperature == 1) return a - b;
    const T d = a - b;
    return d == -kInf && a != -kInf && b != kInf ? a / temperature - b / temperature
                                                 : d / temperature;
  };
  T m = -kInf, d = 0;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    const T xi = x[i];
    if (xi > m) {
      d = d * std::exp(scaled(m, xi)) + T(1);
      m = xi;
    } else if (xi > -kInf) {
      d += std::exp(scaled(xi, m));
    } else {
      nan |= std::isnan(xi);
    }
  }
  if (nan || m == kInf) return FillRow(y, n, std::numeric_limits<T>::quiet_NaN());
  if (m == -kInf) return FillRow(y, n, T(0));
  for (size_t i = 0; i < n; ++i) y[i] = std::exp(scaled(x[i], m)) / d;
}

}  // namespace

std::vector<SoftmaxKernel> OnlineSoftmaxKernels() {
  SoftmaxKernel k;
  k.name = k.family = "online";
  k.target = "scalar";
  k.summary = "running max and rescaled sum in one pass (Milakov & Gimelshein), then write";
  k.f32 = &OnlineSoftmax<float>;
  k.f64 = &OnlineSoftmax<double>;
  k.claims.exp_ulp = 1;
  return {k};
}

}  // namespace softcheck
