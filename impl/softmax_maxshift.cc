// maxshift: three passes over the row -- the maximum m; e_i = exp((x_i - m)/T)
// stored in y while summing; then y_i = e_i / sum.
//
// Contract: the full contract of impl/softmax.h, float and double.
//   * Overflow-safe: every exp argument is <= 0, so e_i <= 1 and the sum lies
//     in [1, n]; no finite input overflows. x_i - m may round to -inf when
//     x_i = -FLT_MAX and m = FLT_MAX; exp(-inf) = 0 is then the right answer.
//   * Accuracy: rounding z_i = x_i - m costs |z_i| u relative in e_i (about
//     30 ULP on logits in [-20, 20] in float); libm's exp adds < 1 ulp; the
//     sequential sum adds at most (n - 1) u; the division 0.5 ulp.
//   * NaN is detected explicitly (std::max would drop it), +inf makes the
//     maximum +inf; either gives an all-NaN row. m = -inf means fully masked.
//   * In place is fine: pass 2 reads x_i before writing y_i.
#include <cmath>
#include <limits>

#include "impl/softmax.h"
#include "impl/softmax_common.h"

namespace softcheck {
namespace {

template <typename T>
void MaxshiftSoftmax(const T* x, T* y, size_t n, T temperature) {
  if (HandleSpecialTemperature(x, y, n, temperature)) return;
  constexpr T kInf = std::numeric_limits<T>::infinity();
  T m = -kInf;
  bool nan = false;
  for (size_t i = 0; i < n; ++i) {
    nan |= std::isnan(x[i]);
    m = x[i] > m ? x[i] : m;
  }
  if (nan || m == kInf) return FillRow(y, n, std::numeric_limits<T>::quiet_NaN());
  if (m == -kInf) return FillRow(y, n, T(0));
  T sum = 0;
  if (temperature == 1) {
    for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i] - m));
  } else {
    for (size_t i = 0; i < n; ++i) {
      // With T > 1, x - m may overflow to -inf while (x - m) / T is
      // moderate (x = -FLT_MAX, m = 2^103, T = 2^124 gives -16): then shift
      // after scaling, which cannot overflow.
      const T d = x[i] - m;
      const T z = d == -kInf && x[i] != -kInf ? x[i] / temperature - m / temperature
                                              : d / temperature;
      sum += (y[i] = std::exp(z));
    }
  }
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

}  // namespace

std::vector<SoftmaxKernel> MaxshiftSoftmaxKernels() {
  SoftmaxKernel k;
  k.name = k.family = "maxshift";
  k.target = "scalar";
  k.summary = "three passes: max; exp(x - max) and sum; divide";
  k.f32 = &MaxshiftSoftmax<float>;
  k.f64 = &MaxshiftSoftmax<double>;
  k.claims.exp_ulp = 1;
  return {k};
}

}  // namespace softcheck
