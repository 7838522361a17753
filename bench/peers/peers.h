// The kernels a user would pick instead of ours: softmax and materialised
// attention from the libraries people already use, found at configure time
// (bench/CMakeLists.txt) and absent here, with a line in MissingPeers(), when
// their Debian package is not installed.
//
// Each peer is the library's own operation, called the way its documentation
// shows, single-threaded, with nothing added: no max shift, no NaN or -inf
// handling of ours. Whatever the library does with a hard row (NaN, +inf, a
// fully masked row) is what the peer does, so that `softcheck report` and
// `softcheck check --lib libsoftcheck_peers.so` show the library's real
// behaviour. The one exception is Eigen, which has no softmax: its peer is
// the row softmax a user writes with Eigen arrays, shift by the row's max
// included (that is the user's code, not a guard of ours).
//
// Degenerate sizes: rows == 0 or n == 0 (softmax) and n_q == 0 or d_v == 0
// (attention) return at once without touching anything, as the contract asks;
// a library call that fails on a legal size prints one line to stderr and
// aborts (the gate then reports CRASH with the input).
#ifndef SOFTCHECK_BENCH_PEERS_PEERS_H_
#define SOFTCHECK_BENCH_PEERS_PEERS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "impl/attention.h"

namespace softcheck::peers {

struct SoftmaxPeer {
  std::string name;     // "onednn", "xnnpack", "eigen"
  std::string version;  // the library version found at configure time
  // Row softmax over `rows` contiguous rows of n floats (x == y allowed),
  // single-threaded (each peer's thread count is set to 1 explicitly). May
  // cache per-shape state (primitives, operators) between calls with the
  // same (rows, n), per calling thread.
  void (*batch)(const float* x, float* y, size_t rows, size_t n);
};

struct AttentionPeer {
  std::string name;     // "onednn-gemm", "eigen-gemm"
  std::string version;
  // Materialised attention, the way a user composes it: S = scale * Q K^T
  // (the library's GEMM), S += mask, S_ij = -inf where the causal mode
  // (1 top-left, 2 bottom-right; any other value: none) hides key j, the
  // peer's softmax on each row of S, out = S V (the library's GEMM). The
  // n_q x n_kv scratch is kept per calling thread between calls.
  softcheck::AttentionF32 f32;
};

// Only the peers found at configure time, in a fixed order.
const std::vector<SoftmaxPeer>& SoftmaxPeers();
const std::vector<AttentionPeer>& AttentionPeers();

// One line per peer that is missing, e.g.
// "xnnpack: libxnnpack-dev not found at configure time".
std::vector<std::string> MissingPeers();

// The symbols libsoftcheck_peers.so (target softcheck_peers_plugin) exports
// for a peer, in the plugin ABI of `softcheck check --lib --symbol --kind`:
//   softcheck_peer_<name>_softmax_f32(const float* x, float* y, size_t n)
//   softcheck_peer_<name>_attention_f32(q, k, v, mask, causal, scale, out,
//                                       n_q, n_kv, d, d_v)
// where <name> is the peer's name with '-' written as '_'
// ("onednn-gemm" -> softcheck_peer_onednn_gemm_attention_f32).
std::string PluginSymbol(const SoftmaxPeer& peer);
std::string PluginSymbol(const AttentionPeer& peer);

}  // namespace softcheck::peers

#endif  // SOFTCHECK_BENCH_PEERS_PEERS_H_
