// Pieces of the contract that every kernel shares and that are not numerics:
// the temperatures that are limits or caller errors, and filling a row.
// Kernels call HandleSpecialTemperature() first; for an ordinary T (finite,
// > 0) it returns false and touches nothing.
#ifndef SOFTCHECK_IMPL_SOFTMAX_COMMON_H_
#define SOFTCHECK_IMPL_SOFTMAX_COMMON_H_

#include <cmath>
#include <cstddef>
#include <limits>

namespace softcheck {

template <typename T>
void FillRow(T* y, size_t n, T value) {
  for (size_t i = 0; i < n; ++i) y[i] = value;
}

// True for the temperatures a kernel's arithmetic does not handle:
//   T == 0      the argmax limit: one-hot on the maximum, tied maxima share
//               1/k each, -inf entries stay +0, an all -inf row is all +0;
//   T == +inf   the uniform limit over the unmasked (finite) entries;
//   T < 0, NaN  a caller error: the row is all NaN.
// In every case a NaN or +inf in x makes the row NaN, as the contract says.
// Reads x fully before writing y, so x == y is fine.
template <typename T>
bool HandleSpecialTemperature(const T* x, T* y, size_t n, T temperature) {
  const bool ordinary = temperature > 0 && std::isfinite(temperature);
  if (ordinary) return false;
  const T kNaN = std::numeric_limits<T>::quiet_NaN();
  const T kInf = std::numeric_limits<T>::infinity();
  if (!(temperature >= 0)) {  // negative or NaN
    FillRow(y, n, kNaN);
    return true;
  }
  T max = -kInf;
  size_t ties = 0, unmasked = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(x[i]) || x[i] == kInf) {
      FillRow(y, n, kNaN);
      return true;
    }
    if (x[i] == -kInf) continue;
    ++unmasked;
    if (x[i] > max) {
      max = x[i];
      ties = 1;
    } else if (x[i] == max) {
      ++ties;
    }
  }
  if (unmasked == 0) {  // fully masked
    FillRow(y, n, T(0));
    return true;
  }
  const bool argmax = temperature == 0;
  const T share = T(1) / static_cast<T>(argmax ? ties : unmasked);
  for (size_t i = 0; i < n; ++i) {
    const bool on = argmax ? x[i] == max : x[i] != -kInf;
    y[i] = on ? share : T(0);
  }
  return true;
}

}  // namespace softcheck

#endif  // SOFTCHECK_IMPL_SOFTMAX_COMMON_H_
