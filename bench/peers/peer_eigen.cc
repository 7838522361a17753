// Eigen (libeigen3-dev). Eigen has no softmax, so the peer is the row softmax
// a user writes with Eigen arrays -- shift by the row's max, exp, divide by
// the sum -- vectorised by Eigen's own exp; attention is that softmax between
// two Eigen GEMMs. Eigen runs single-threaded unless built with OpenMP, and
// setNbThreads(1) says so explicitly. This file may be compiled for the host
// CPU (SOFTCHECK_PEERS_NATIVE), as a user tuning Eigen would.
#include <vector>

#include <Eigen/Core>

#include "bench/peers/attention_compose.h"
#include "bench/peers/peers_internal.h"

namespace softcheck::peers {
namespace {

using RowMajor =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void EigenRowSoftmax(const float* x, float* y, size_t n) {
  const Eigen::Map<const Eigen::ArrayXf> in(x, static_cast<Eigen::Index>(n));
  Eigen::Map<Eigen::ArrayXf> out(y, static_cast<Eigen::Index>(n));
  out = (in - in.maxCoeff()).exp();
  out /= out.sum();
}

}  // namespace

void EigenSoftmaxBatch(const float* x, float* y, size_t rows, size_t n) {
  if (rows == 0 || n == 0) return;
  Eigen::setNbThreads(1);
  for (size_t r = 0; r < rows; ++r) EigenRowSoftmax(x + r * n, y + r * n, n);
}

void EigenAttention(const float* q, const float* k, const float* v,
                    const float* mask, int causal, float scale, float* out,
                    size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  if (n_q == 0 || d_v == 0) return;
  Eigen::setNbThreads(1);
  const auto i = [](size_t s) { return static_cast<Eigen::Index>(s); };
  Eigen::Map<RowMajor> o(out, i(n_q), i(d_v));
  thread_local RowMajor s;
  s.resize(i(n_q), i(n_kv));
  if (n_kv > 0) {
    const Eigen::Map<const RowMajor> qm(q, i(n_q), i(d));
    const Eigen::Map<const RowMajor> km(k, i(n_kv), i(d));
    s.noalias() = scale * (qm * km.transpose());
    MaskScores(s.data(), mask, causal, n_q, n_kv);
    for (size_t r = 0; r < n_q; ++r) {
      EigenRowSoftmax(s.data() + r * n_kv, s.data() + r * n_kv, n_kv);
    }
    const Eigen::Map<const RowMajor> vm(v, i(n_kv), i(d_v));
    o.noalias() = s * vm;
  } else {
    o.setZero();  // the empty product S V with S n_q x 0
  }
}

}  // namespace softcheck::peers
