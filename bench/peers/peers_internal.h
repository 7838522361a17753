// What each peer's file defines; only bench/peers/*.cc include this.
#ifndef SOFTCHECK_BENCH_PEERS_PEERS_INTERNAL_H_
#define SOFTCHECK_BENCH_PEERS_PEERS_INTERNAL_H_

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace softcheck::peers {

void OnednnSoftmaxBatch(const float* x, float* y, size_t rows, size_t n);
void OnednnAttention(const float* q, const float* k, const float* v,
                     const float* mask, int causal, float scale, float* out,
                     size_t n_q, size_t n_kv, size_t d, size_t d_v);
void XnnpackSoftmaxBatch(const float* x, float* y, size_t rows, size_t n);
void EigenSoftmaxBatch(const float* x, float* y, size_t rows, size_t n);
void EigenAttention(const float* q, const float* k, const float* v,
                    const float* mask, int causal, float scale, float* out,
                    size_t n_q, size_t n_kv, size_t d, size_t d_v);

// A library call failed on a legal size: say so on one line and stop.
[[noreturn]] inline void PeerFailed(const char* peer, const char* what,
                                    long status) {
  std::fprintf(stderr, "softcheck peer %s: %s failed (status %ld)\n", peer,
               what, status);
  std::abort();
}

}  // namespace softcheck::peers

#endif  // SOFTCHECK_BENCH_PEERS_PEERS_INTERNAL_H_
