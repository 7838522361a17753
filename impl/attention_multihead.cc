// The batched multi-head entry (impl/attention.h): a loop over batch x heads
// that hands each head to a single-head kernel, gathering strided rows into
// contiguous scratch when the layout is not the kernel's own.
#include <cstring>
#include <vector>

#include "impl/attention.h"

namespace softcheck {
namespace {

// The head (b, h) of a tensor; null stays null (n_kv == 0 lets a caller pass
// no K or V at all, and an offset from null is undefined).
const float* HeadOf(const HeadTensor& t, size_t b, size_t h) {
  return t.data ? t.data + b * t.batch_stride + h * t.head_stride : nullptr;
}

// `rows` rows of `cols` floats, `stride` apart, as one contiguous block: the
// source itself when it already is one, else a copy in `scratch`.
const float* Contiguous(const float* src, size_t rows, size_t cols,
                        size_t stride, std::vector<float>& scratch) {
  if (src == nullptr || rows <= 1 || stride == cols) return src;
  scratch.resize(rows * cols);
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(scratch.data() + r * cols, src + r * stride,
                cols * sizeof(float));
  return scratch.data();
}

bool RowsFit(size_t rows, size_t cols, size_t stride) {
  return rows <= 1 || stride >= cols;
}

}  // namespace

MultiHeadProblem MultiHeadProblem::Contiguous(size_t batch, size_t heads,
                                              size_t n_q, size_t n_kv, size_t d,
                                              size_t d_v, const float* q,
                                              const float* k, const float* v,
                                              const float* mask, int causal,
                                              float scale, float* out) {
  MultiHeadProblem p;
  p.batch = batch;
  p.heads = heads;
  p.n_q = n_q;
  p.n_kv = n_kv;
  p.d = d;
  p.d_v = d_v;
  p.q = {q, heads * n_q * d, n_q * d, d};
  p.k = {k, heads * n_kv * d, n_kv * d, d};
  p.v = {v, heads * n_kv * d_v, n_kv * d_v, d_v};
  p.mask = {mask, heads * n_q * n_kv, n_q * n_kv, n_kv};
  p.causal = causal;
  p.scale = scale;
  p.out = out;
  p.out_batch_stride = heads * n_q * d_v;
  p.out_head_stride = n_q * d_v;
  p.out_row_stride = d_v;
  return p;
}

bool MultiHeadAttention(AttentionF32 f, const MultiHeadProblem& p) {
  const size_t kv_heads = p.kv_heads ? p.kv_heads : p.heads;
  if (p.heads == 0 || p.batch == 0) return true;
  if (p.heads % kv_heads != 0) return false;
  if (!RowsFit(p.n_q, p.d, p.q.row_stride) ||
      !RowsFit(p.n_kv, p.d, p.k.row_stride) ||
      !RowsFit(p.n_kv, p.d_v, p.v.row_stride) ||
      (p.mask.data && !RowsFit(p.n_q, p.n_kv, p.mask.row_stride)) ||
      !RowsFit(p.n_q, p.d_v, p.out_row_stride))
    return false;
  if (p.n_q == 0 || p.d_v == 0) return true;  // no output to write
  const size_t group = p.heads / kv_heads;
  const bool out_packed = p.n_q <= 1 || p.out_row_stride == p.d_v;
  std::vector<float> q_buf, k_buf, v_buf, mask_buf, out_buf;
  for (size_t b = 0; b < p.batch; ++b) {
    for (size_t h = 0; h < p.heads; ++h) {
      const size_t kvh = h / group;
      const float* q =
          Contiguous(HeadOf(p.q, b, h), p.n_q, p.d, p.q.row_stride, q_buf);
      const float* k =
          Contiguous(HeadOf(p.k, b, kvh), p.n_kv, p.d, p.k.row_stride, k_buf);
      const float* v =
          Contiguous(HeadOf(p.v, b, kvh), p.n_kv, p.d_v, p.v.row_stride, v_buf);
      const float* mask = Contiguous(HeadOf(p.mask, b, h), p.n_q, p.n_kv,
                                     p.mask.row_stride, mask_buf);
      float* out = p.out + b * p.out_batch_stride + h * p.out_head_stride;
      if (out_packed) {
        f(q, k, v, mask, p.causal, p.scale, out, p.n_q, p.n_kv, p.d, p.d_v);
        continue;
      }
      out_buf.resize(p.n_q * p.d_v);
      f(q, k, v, mask, p.causal, p.scale, out_buf.data(), p.n_q, p.n_kv, p.d,
        p.d_v);
      for (size_t r = 0; r < p.n_q; ++r)
        std::memcpy(out + r * p.out_row_stride, out_buf.data() + r * p.d_v,
                    p.d_v * sizeof(float));
    }
  }
  return true;
}

}  // namespace softcheck
