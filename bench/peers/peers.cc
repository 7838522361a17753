#include "bench/peers/peers.h"

#include "bench/peers/peers_internal.h"

namespace softcheck::peers {

const std::vector<SoftmaxPeer>& SoftmaxPeers() {
  static const std::vector<SoftmaxPeer> peers = [] {
    std::vector<SoftmaxPeer> v;
#ifdef SOFTCHECK_PEER_ONEDNN
    v.push_back({"onednn", SOFTCHECK_PEER_ONEDNN, OnednnSoftmaxBatch});
#endif
#ifdef SOFTCHECK_PEER_XNNPACK
    v.push_back({"xnnpack", SOFTCHECK_PEER_XNNPACK, XnnpackSoftmaxBatch});
#endif
#ifdef SOFTCHECK_PEER_EIGEN
    v.push_back({"eigen", SOFTCHECK_PEER_EIGEN, EigenSoftmaxBatch});
#endif
    return v;
  }();
  return peers;
}

const std::vector<AttentionPeer>& AttentionPeers() {
  static const std::vector<AttentionPeer> peers = [] {
    std::vector<AttentionPeer> v;
#ifdef SOFTCHECK_PEER_ONEDNN
    v.push_back({"onednn-gemm", SOFTCHECK_PEER_ONEDNN, OnednnAttention});
#endif
#ifdef SOFTCHECK_PEER_EIGEN
    v.push_back({"eigen-gemm", SOFTCHECK_PEER_EIGEN, EigenAttention});
#endif
    return v;
  }();
  return peers;
}

std::vector<std::string> MissingPeers() {
  std::vector<std::string> missing;
#ifndef SOFTCHECK_PEER_ONEDNN
  missing.push_back("onednn: libdnnl-dev not found at configure time");
  missing.push_back("onednn-gemm: libdnnl-dev not found at configure time");
#endif
#ifndef SOFTCHECK_PEER_XNNPACK
  missing.push_back("xnnpack: libxnnpack-dev not found at configure time");
#endif
#ifndef SOFTCHECK_PEER_EIGEN
  missing.push_back("eigen: libeigen3-dev not found at configure time");
  missing.push_back("eigen-gemm: libeigen3-dev not found at configure time");
#endif
  return missing;
}

namespace {
std::string CName(std::string name) {
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}
}  // namespace

std::string PluginSymbol(const SoftmaxPeer& peer) {
  return "softcheck_peer_" + CName(peer.name) + "_softmax_f32";
}
std::string PluginSymbol(const AttentionPeer& peer) {
  return "softcheck_peer_" + CName(peer.name) + "_attention_f32";
}

}  // namespace softcheck::peers
