/* Attention kernels for the gate's tests (issue 5), written the way a user
 * writes one: a plain C streaming (online-softmax, FlashAttention-style)
 * kernel with the ABI of `softcheck check --kind attention-f32`:
 *
 *   void attention_f32(const float *q, const float *k, const float *v,
 *                      const float *mask, int causal, float scale, float *out,
 *                      size_t n_q, size_t n_kv, size_t d, size_t d_v);
 *
 * Built once correct (BUG = NONE) and once per planted bug, each a shared
 * library gate_fixture_attention_<bug> (tests/gate/CMakeLists.txt says which
 * property must catch which):
 *
 *   NO_MAX_SHIFT        exp(s) unshifted: large scores overflow to inf/inf
 *   MISSING_SCALE       the scale argument is never applied
 *   SCALE_ONE_OVER_D    a hard-coded 1/d where the caller's scale belongs
 *                       (the classic 1/d for 1/sqrt(d) slip)
 *   CAUSAL_OFF_BY_ONE   top-left causality hides key i from query i too
 *   TOP_LEFT_FOR_BR     bottom-right causality (2) treated as top-left (1)
 *   FORGOTTEN_RESCALE   a new running max rescales the normaliser but not
 *                       the output accumulator
 *   INF_MINUS_INF       a block with no visible key makes the running max
 *                       -inf, and exp(-inf - (-inf)) = NaN enters the sums
 *   MASK_IGNORED        the additive mask is never read
 *   V_STRIDE_D          V's rows indexed with d instead of d_v
 *
 * The correct kernel keeps the contract of impl/attention.h: hidden keys
 * (causality, a -inf mask entry) are skipped before anything of theirs is
 * read; a NaN or +inf score poisons the row; a row with no key left is +0;
 * a NaN or infinite scale, or an unknown causal mode, gives NaN everywhere.
 * Keys are walked in blocks of four, so the -inf corner of the streaming
 * update is reached whenever a query's first block is entirely hidden. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NONE 0
#define NO_MAX_SHIFT 1
#define MISSING_SCALE 2
#define SCALE_ONE_OVER_D 3
#define CAUSAL_OFF_BY_ONE 4
#define TOP_LEFT_FOR_BR 5
#define FORGOTTEN_RESCALE 6
#define INF_MINUS_INF 7
#define MASK_IGNORED 8
#define V_STRIDE_D 9

#ifndef BUG
#define BUG NONE
#endif

enum { kBlock = 4 };

/* Keys [0, end) are visible to query i under the causal mode. */
static size_t causal_end(int causal, size_t i, size_t n_q, size_t n_kv) {
#if BUG == TOP_LEFT_FOR_BR
  if (causal == 2) causal = 1;
#endif
  if (causal == 1) {
#if BUG == CAUSAL_OFF_BY_ONE
    return i < n_kv ? i : n_kv;
#else
    return i + 1 < n_kv ? i + 1 : n_kv;
#endif
  }
  if (causal == 2) {
    if (i + 1 + n_kv <= n_q) return 0;
    const size_t end = i + 1 + n_kv - n_q;
    return end < n_kv ? end : n_kv;
  }
  return n_kv;
}

static void fill(float *row, size_t n, float value) {
  for (size_t c = 0; c < n; ++c) row[c] = value;
}

void attention_f32(const float *q, const float *k, const float *v,
                   const float *mask, int causal, float scale, float *out,
                   size_t n_q, size_t n_kv, size_t d, size_t d_v) {
#if BUG == MASK_IGNORED
  (void)mask;
#endif
  if (n_q == 0 || d_v == 0) return;
  if (isnan(scale) || isinf(scale) || causal < 0 || causal > 2) {
    fill(out, n_q * d_v, NAN);
    return;
  }
#if BUG == MISSING_SCALE
  scale = 1.0f;
#elif BUG == SCALE_ONE_OVER_D
  scale = d ? 1.0f / (float)d : 1.0f;
#endif
#if BUG == V_STRIDE_D
  const size_t v_stride = d;
#else
  const size_t v_stride = d_v;
#endif
  float *acc = malloc(d_v * sizeof *acc);
  if (!acc) abort();
  for (size_t i = 0; i < n_q; ++i) {
    float *o = out + i * d_v;
    const size_t end = causal_end(causal, i, n_q, n_kv);
    float m = -INFINITY, l = 0.0f;
    int poisoned = 0;
    fill(acc, d_v, 0.0f);
    for (size_t j0 = 0; j0 < end && !poisoned; j0 += kBlock) {
      const size_t j1 = j0 + kBlock < end ? j0 + kBlock : end;
      float s[kBlock];
      int kept[kBlock];
      float block_max = -INFINITY;
      for (size_t j = j0; j < j1; ++j) {
        kept[j - j0] = 0;
        float add = 0.0f;
#if BUG != MASK_IGNORED
        if (mask) {
          add = mask[i * n_kv + j];
          if (add == -INFINITY) continue; /* deleted: read nothing else */
        }
#endif
        float dot = 0.0f;
        for (size_t t = 0; t < d; ++t) dot += q[i * d + t] * k[j * d + t];
        const float score = scale * dot + add;
        if (isnan(score) || score == INFINITY) {
          poisoned = 1;
          break;
        }
        if (score == -INFINITY) continue;
        s[j - j0] = score;
        kept[j - j0] = 1;
        if (score > block_max) block_max = score;
      }
      if (poisoned) break;
#if BUG != INF_MINUS_INF
      if (block_max == -INFINITY) continue; /* nothing left in this block */
#endif
#if BUG == NO_MAX_SHIFT
      const float m_new = 0.0f;
      const float alpha = 1.0f;
#else
      const float m_new = block_max > m ? block_max : m;
      const float alpha = expf(m - m_new);
#endif
      l *= alpha;
#if BUG != FORGOTTEN_RESCALE
      for (size_t c = 0; c < d_v; ++c) acc[c] *= alpha;
#endif
      for (size_t j = j0; j < j1; ++j) {
        if (!kept[j - j0]) continue;
        const float p = expf(s[j - j0] - m_new);
        l += p;
        for (size_t c = 0; c < d_v; ++c) acc[c] += p * v[j * v_stride + c];
      }
      m = m_new;
    }
    if (poisoned) {
      fill(o, d_v, NAN);
    } else if (l == 0.0f && m == -INFINITY) {
      fill(o, d_v, 0.0f); /* no key left: the fully masked rule */
    } else {
      for (size_t c = 0; c < d_v; ++c) o[c] = acc[c] / l;
    }
  }
  free(acc);
}
