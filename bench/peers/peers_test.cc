// The peers compute softmax and attention at all: each one against a plain
// double-precision reference on finite inputs (NaN, +inf and fully masked
// rows are the report's business: there the peers are allowed to differ, and
// do), plus the degenerate sizes, which must neither crash nor write.
#include "bench/peers/peers.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace softcheck::peers {
namespace {

std::vector<float> Random(size_t count, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& f : v) f = dist(gen);
  return v;
}

void ReferenceSoftmax(const float* x, double* y, size_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) m = std::max(m, double{x[i]});
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(double{x[i]} - m));
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
}

// |got - want| <= 1e-5 |want| + 1e-30, printed as hex floats when not.
void ExpectClose(float got, double want, const std::string& where) {
  EXPECT_LE(std::fabs(got - want), 1e-5 * std::fabs(want) + 1e-30)
      << where << ": got " << std::hexfloat << got << " want " << want;
}

TEST(Peers, EveryPeerIsFoundOrSaidMissing) {
  // onednn, xnnpack, eigen, onednn-gemm, eigen-gemm: each is either present
  // or has its line in MissingPeers().
  EXPECT_EQ(SoftmaxPeers().size() + AttentionPeers().size() +
                MissingPeers().size(),
            5u);
  for (const std::string& line : MissingPeers()) {
    EXPECT_NE(line.find("not found at configure time"), std::string::npos);
  }
}

TEST(Peers, SoftmaxMatchesReference) {
  for (const SoftmaxPeer& p : SoftmaxPeers()) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{64}, size_t{1000}}) {
      const size_t rows = 3;
      const std::vector<float> x = Random(rows * n, -20, 20, unsigned(n));
      std::vector<float> y(rows * n, -1);
      p.batch(x.data(), y.data(), rows, n);
      std::vector<double> want(n);
      for (size_t r = 0; r < rows; ++r) {
        ReferenceSoftmax(x.data() + r * n, want.data(), n);
        for (size_t i = 0; i < n; ++i) {
          ExpectClose(y[r * n + i], want[i],
                      p.name + " n=" + std::to_string(n) + " row " +
                          std::to_string(r) + " i=" + std::to_string(i));
        }
      }
    }
  }
}

TEST(Peers, SoftmaxOfNothingWritesNothing) {
  for (const SoftmaxPeer& p : SoftmaxPeers()) {
    float y = 42;
    p.batch(nullptr, &y, 0, 5);
    p.batch(nullptr, &y, 5, 0);
    EXPECT_EQ(y, 42) << p.name;
  }
}

TEST(Peers, AttentionMatchesReference) {
  const float minus_inf = -std::numeric_limits<float>::infinity();
  struct Shape { size_t n_q, n_kv, d, d_v; };
  for (const AttentionPeer& p : AttentionPeers()) {
    for (Shape s : {Shape{5, 9, 8, 3}, Shape{9, 5, 4, 6}, Shape{16, 16, 64, 64},
                    Shape{3, 4, 0, 2}}) {
      for (int causal : {0, 1, 2}) {
        for (bool masked : {false, true}) {
          const std::vector<float> q = Random(s.n_q * s.d, -1, 1, 1);
          const std::vector<float> k = Random(s.n_kv * s.d, -1, 1, 2);
          const std::vector<float> v = Random(s.n_kv * s.d_v, -1, 1, 3);
          std::vector<float> mask = Random(s.n_q * s.n_kv, -2, 2, 4);
          if (masked) mask[1] = minus_inf;
          const float scale = 0.125f;
          std::vector<float> out(s.n_q * s.d_v, -1);
          p.f32(q.data(), k.data(), v.data(), masked ? mask.data() : nullptr,
                causal, scale, out.data(), s.n_q, s.n_kv, s.d, s.d_v);
          for (size_t i = 0; i < s.n_q; ++i) {
            const size_t end = CausalEnd(causal, i, s.n_q, s.n_kv);
            std::vector<float> row;  // the visible scores, in float
            std::vector<size_t> key;
            for (size_t j = 0; j < end; ++j) {
              double dot = 0;
              for (size_t c = 0; c < s.d; ++c)
                dot += double{q[i * s.d + c]} * k[j * s.d + c];
              double sc = scale * dot + (masked ? mask[i * s.n_kv + j] : 0);
              if (sc == -INFINITY) continue;
              row.push_back(float(sc));
              key.push_back(j);
            }
            std::vector<double> pr(row.size());
            ReferenceSoftmax(row.data(), pr.data(), row.size());
            for (size_t c = 0; c < s.d_v; ++c) {
              double want = 0, mag = 0;
              for (size_t t = 0; t < key.size(); ++t) {
                want += pr[t] * v[key[t] * s.d_v + c];
                mag += pr[t] * std::fabs(v[key[t] * s.d_v + c]);
              }
              const float got = out[i * s.d_v + c];
              if (key.empty()) continue;  // fully masked: the report's business
              EXPECT_LE(std::fabs(got - want), 1e-5 * mag + 1e-30)
                  << p.name << " n_q=" << s.n_q << " n_kv=" << s.n_kv
                  << " d=" << s.d << " causal=" << causal << " mask=" << masked
                  << " out[" << i << "][" << c << "]: got " << std::hexfloat
                  << got << " want " << want;
            }
          }
        }
      }
    }
  }
}

TEST(Peers, AttentionDegenerateSizes) {
  for (const AttentionPeer& p : AttentionPeers()) {
    std::vector<float> out(6, -1);
    p.f32(nullptr, nullptr, nullptr, nullptr, 0, 1, out.data(), 0, 4, 2, 2);
    p.f32(nullptr, nullptr, nullptr, nullptr, 0, 1, out.data(), 3, 4, 2, 0);
    EXPECT_EQ(out, std::vector<float>(6, -1)) << p.name << " wrote for n_q or d_v 0";
    // n_kv == 0: the empty product S V, rows of 0.
    p.f32(nullptr, nullptr, nullptr, nullptr, 0, 1, out.data(), 3, 0, 2, 2);
    EXPECT_EQ(out, std::vector<float>(6, 0)) << p.name << " n_kv = 0";
  }
}

TEST(Peers, PluginExportsEveryPeer) {
  void* so = dlopen(SOFTCHECK_PEERS_SO, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(so, nullptr) << dlerror();
  using Row = void (*)(const float*, float*, size_t);
  for (const SoftmaxPeer& p : SoftmaxPeers()) {
    auto f = reinterpret_cast<Row>(dlsym(so, PluginSymbol(p).c_str()));
    ASSERT_NE(f, nullptr) << PluginSymbol(p);
    const float x[2] = {0, 0};
    float y[2] = {-1, -1};
    f(x, y, 2);
    EXPECT_EQ(y[0], 0.5f) << p.name;
    EXPECT_EQ(y[1], 0.5f) << p.name;
  }
  for (const AttentionPeer& p : AttentionPeers()) {
    auto f = reinterpret_cast<AttentionF32>(dlsym(so, PluginSymbol(p).c_str()));
    ASSERT_NE(f, nullptr) << PluginSymbol(p);
    const float q[1] = {1}, k[2] = {0, 0}, v[2] = {1, 3};
    float out[1] = {-1};
    f(q, k, v, nullptr, 0, 1, out, 1, 2, 1, 1);
    EXPECT_EQ(out[0], 2.0f) << p.name;
  }
  dlclose(so);
}

}  // namespace
}  // namespace softcheck::peers
