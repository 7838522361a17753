// oneDNN (libdnnl-dev): its softmax primitive over the rows, and dnnl_sgemm
// for materialised attention. Debian's oneDNN uses the OpenMP runtime, so the
// thread count is set with omp_set_num_threads(1) before every call.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "bench/peers/attention_compose.h"
#include "bench/peers/peers_internal.h"
#include "oneapi/dnnl/dnnl.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace softcheck::peers {
namespace {

// The primitive and memory objects for one (rows, n), kept per thread.
struct SoftmaxState {
  size_t rows = 0, n = 0;
  dnnl::engine engine;
  dnnl::stream stream;
  dnnl::softmax_forward primitive;
  dnnl::memory src, dst;
};

SoftmaxState& StateFor(size_t rows, size_t n) {
  thread_local SoftmaxState state;
  if (!state.engine) {
    state.engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
    state.stream = dnnl::stream(state.engine);
  }
  if (state.rows != rows || state.n != n || !state.primitive) {
    const dnnl::memory::desc md(
        {static_cast<dnnl::memory::dim>(rows), static_cast<dnnl::memory::dim>(n)},
        dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
    const dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference,
                                           md, 1);
    const dnnl::softmax_forward::primitive_desc pd(desc, state.engine);
    state.primitive = dnnl::softmax_forward(pd);
    state.src = dnnl::memory(md, state.engine, DNNL_MEMORY_NONE);
    state.dst = dnnl::memory(md, state.engine, DNNL_MEMORY_NONE);
    state.rows = rows;
    state.n = n;
  }
  return state;
}

void Sgemm(char ta, char tb, size_t m, size_t n, size_t k, float alpha,
           const float* a, size_t lda, const float* b, size_t ldb, float* c,
           size_t ldc) {
  if (k == 0) {
    // dnnl_sgemm rejects K = 0; BLAS defines it (C = beta C, here 0), and so
    // does every other GEMM a user might call: an empty sum.
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n; ++j) c[i * ldc + j] = 0.0f;
    return;
  }
  const dnnl_status_t status = dnnl_sgemm(
      ta, tb, static_cast<dnnl_dim_t>(m), static_cast<dnnl_dim_t>(n),
      static_cast<dnnl_dim_t>(k), alpha, a,
      static_cast<dnnl_dim_t>(std::max<size_t>(lda, 1)), b,
      static_cast<dnnl_dim_t>(std::max<size_t>(ldb, 1)), 0.0f, c,
      static_cast<dnnl_dim_t>(std::max<size_t>(ldc, 1)));
  if (status != dnnl_success) PeerFailed("onednn", "dnnl_sgemm", status);
}

}  // namespace

void OnednnSoftmaxBatch(const float* x, float* y, size_t rows, size_t n) {
  if (rows == 0 || n == 0) return;
  omp_set_num_threads(1);
  try {
    SoftmaxState& s = StateFor(rows, n);
    s.src.set_data_handle(const_cast<float*>(x));
    s.dst.set_data_handle(y);
    s.primitive.execute(s.stream, {{DNNL_ARG_SRC, s.src}, {DNNL_ARG_DST, s.dst}});
    s.stream.wait();
  } catch (const dnnl::error& e) {
    PeerFailed("onednn", e.what(), e.status);
  }
}

void OnednnAttention(const float* q, const float* k, const float* v,
                     const float* mask, int causal, float scale, float* out,
                     size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  if (n_q == 0 || d_v == 0) return;
  omp_set_num_threads(1);
  thread_local std::vector<float> scores;
  scores.resize(n_q * n_kv);
  float* s = scores.data();
  if (n_kv > 0) {
    Sgemm('N', 'T', n_q, n_kv, d, scale, q, d, k, d, s, n_kv);
    MaskScores(s, mask, causal, n_q, n_kv);
    OnednnSoftmaxBatch(s, s, n_q, n_kv);
  }
  Sgemm('N', 'N', n_q, d_v, n_kv, 1.0f, s, n_kv, v, d_v, out, d_v);
}

}  // namespace softcheck::peers
