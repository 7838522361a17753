// softcheck_bench: every registered softmax and attention implementation
// (every Highway target too), the peers found at configure time
// (bench/peers/peers.h) and memcpy of the same bytes as the floor, in one
// Google Benchmark binary. Kernels come from the registries; nothing here
// names one.
//
// Rules every case keeps:
//   * single-threaded (the peers set their thread counts to 1 themselves);
//   * nothing allocated or first-touched inside the timed loop: the buffers
//     are allocated and written once at start-up, and every case makes one
//     untimed call first (it also builds the peers' primitives/operators);
//   * same inputs for every implementation of a case.
//
// Softmax (float): rows of n in {64, 1024, 16384, 2^20}, two regimes:
//   cache  a batch whose input plus output take half the L2 (for n = 2^20,
//          whose row alone exceeds it: one row), compute-bound;
//   mem    a 64 MiB input batch (and a 64 MiB output), streamed from memory.
// Counters: bytes_per_second (input read + output written), items_per_second
// (elements), rows.
//
// Attention: d = d_v = 64, n_q = n_kv in {512, 2048, 4096}, causal 0 and 1,
// scale 1/8, no mask. Counters: FLOP/s (4 n_q n_kv d flops, half for causal)
// and peak_bytes, the memory one call needs beyond its inputs and output:
// measured at start-up, before anything is timed, in a forked child per case
// (fresh process state, so per-shape caches count), as the growth of the
// child's peak RSS (VmHWM, reset through /proc/self/clear_refs) over the
// call. -1 where the kernel could not be measured that way.
#include <benchmark/benchmark.h>
#include <regex.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/peers/peers.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"

namespace softcheck::bench {
namespace {

constexpr size_t kMemBatchBytes = size_t{64} << 20;

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// A 64-byte aligned float buffer, written once here (first touch) and kept
// until exit.
float* TouchedBuffer(size_t floats, unsigned seed, float stddev) {
  static std::vector<std::unique_ptr<float, FreeDeleter>> owned;
  void* p = std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
  if (p == nullptr) {
    std::fprintf(stderr, "softcheck_bench: out of memory\n");
    std::exit(2);
  }
  float* f = static_cast<float*>(p);
  owned.emplace_back(f);
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  for (size_t i = 0; i < floats; ++i) f[i] = stddev == 0 ? 0.0f : dist(gen);
  return f;
}

size_t L2Bytes() {
  const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return l2 > 0 ? static_cast<size_t>(l2) : size_t{1} << 20;
}

// The softmax buffers: 64 MiB of standard-normal logits times 4 and a 64 MiB
// output, shared by every case (the cache regime uses their start).
struct SoftmaxBuffers {
  float* x = TouchedBuffer(kMemBatchBytes / 4, 1, 4.0f);
  float* y = TouchedBuffer(kMemBatchBytes / 4, 2, 0.0f);
};
SoftmaxBuffers& Buffers() {
  static SoftmaxBuffers b;
  return b;
}

struct SoftmaxCase {
  size_t n, rows;
  std::string regime;
  std::string Name(const std::string& impl) const {
    return "softmax_f32/" + impl + "/n:" + std::to_string(n) + "/" + regime;
  }
};

std::vector<SoftmaxCase> SoftmaxCases() {
  std::vector<SoftmaxCase> cases;
  const size_t cache_floats = L2Bytes() / 2 / 2 / sizeof(float);  // x + y = L2/2
  for (size_t n : {size_t{64}, size_t{1024}, size_t{16384}, size_t{1} << 20}) {
    cases.push_back({n, std::max<size_t>(1, cache_floats / n), "cache"});
    cases.push_back({n, kMemBatchBytes / sizeof(float) / n, "mem"});
  }
  return cases;
}

void SetSoftmaxCounters(benchmark::State& state, const SoftmaxCase& c) {
  const double elems = static_cast<double>(c.rows * c.n);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(2 * c.rows * c.n * sizeof(float)));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * elems));
  state.counters["rows"] = static_cast<double>(c.rows);
}

template <class F>
void RunSoftmax(benchmark::State& state, const SoftmaxCase& c, F batch) {
  const float* x = Buffers().x;
  float* y = Buffers().y;
  batch(x, y);  // untimed: primitives, operators, caches
  for (auto _ : state) {
    batch(x, y);
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  }
  SetSoftmaxCounters(state, c);
}

void RegisterSoftmax() {
  for (const SoftmaxCase& c : SoftmaxCases()) {
    benchmark::RegisterBenchmark(c.Name("memcpy").c_str(),
                                 [c](benchmark::State& s) {
      RunSoftmax(s, c, [&c](const float* x, float* y) {
        std::memcpy(y, x, c.rows * c.n * sizeof(float));
      });
    });
    for (const SoftmaxKernel& k : SoftmaxKernels()) {
      const SoftmaxF32 f = k.f32;
      benchmark::RegisterBenchmark(c.Name(k.name).c_str(),
                                   [c, f](benchmark::State& s) {
        RunSoftmax(s, c, [&c, f](const float* x, float* y) {
          for (size_t r = 0; r < c.rows; ++r) f(x + r * c.n, y + r * c.n, c.n, 1.0f);
        });
      });
    }
    // A kernel's batch entry (SoftmaxKernel::batch_f32), where it has one,
    // as "<name>@batch": the same bits, possibly written with streaming
    // stores.
    for (const SoftmaxKernel& k : SoftmaxKernels()) {
      if (k.batch_f32 == nullptr) continue;
      const SoftmaxBatchF32 f = k.batch_f32;
      benchmark::RegisterBenchmark(c.Name(k.name + "@batch").c_str(),
                                   [c, f](benchmark::State& s) {
        RunSoftmax(s, c, [&c, f](const float* x, float* y) { f(x, y, c.rows, c.n, 1.0f); });
      });
    }
    for (const peers::SoftmaxPeer& p : peers::SoftmaxPeers()) {
      const auto batch = p.batch;
      benchmark::RegisterBenchmark(c.Name("peer:" + p.name).c_str(),
                                   [c, batch](benchmark::State& s) {
        RunSoftmax(s, c, [&c, batch](const float* x, float* y) {
          batch(x, y, c.rows, c.n);
        });
      });
    }
  }
}

// ---- attention ----------------------------------------------------------------

constexpr size_t kHeadDim = 64;

struct AttentionCase {
  size_t n;
  int causal;
  std::string Name(const std::string& impl) const {
    return "attention_f32/" + impl + "/n:" + std::to_string(n) +
           "/causal:" + std::to_string(causal);
  }
  double Flops() const {
    const double f = 4.0 * double(n) * double(n) * double(kHeadDim);
    return causal ? f / 2 : f;
  }
};

struct AttentionInputs {
  float *q, *k, *v, *out;
};

AttentionInputs MakeAttentionInputs(size_t n) {
  return {TouchedBuffer(n * kHeadDim, 11, 1.0f), TouchedBuffer(n * kHeadDim, 12, 1.0f),
          TouchedBuffer(n * kHeadDim, 13, 1.0f), TouchedBuffer(n * kHeadDim, 14, 0.0f)};
}

// Per size, allocated and touched on first use (outside any timed loop).
const AttentionInputs& Inputs(size_t n) {
  static std::map<size_t, AttentionInputs> inputs;
  auto it = inputs.find(n);
  if (it == inputs.end()) it = inputs.emplace(n, MakeAttentionInputs(n)).first;
  return it->second;
}

void CallAttention(AttentionF32 f, const AttentionCase& c,
                   const AttentionInputs& in) {
  f(in.q, in.k, in.v, nullptr, c.causal, 0.125f, in.out, c.n, c.n, kHeadDim,
    kHeadDim);
}

long ReadVmHwmKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// The growth of peak RSS over one call, in a forked child (see the top).
double PeakBytes(AttentionF32 f, const AttentionCase& c) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    close(fds[0]);
    const AttentionInputs& in = Inputs(c.n);
    long growth = -1;
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5" << std::flush;
    if (clear) {
      const long before = ReadVmHwmKiB();
      CallAttention(f, c, in);
      const long after = ReadVmHwmKiB();
      if (before >= 0 && after >= 0) growth = (after - before) * 1024;
    }
    if (write(fds[1], &growth, sizeof growth) != sizeof growth) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  long growth = -1;
  if (read(fds[0], &growth, sizeof growth) != sizeof growth) growth = -1;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return static_cast<double>(growth);
}

// The benchmark filter as Google Benchmark applies it (an extended regular
// expression; a leading '-' negates), so that peak memory is measured only
// for the cases that run. POSIX regcomp rather than std::regex, whose g++ 12
// headers warn (maybe-uninitialized) in the sanitized build.
bool Selected(const std::string& name) {
  std::string filter = benchmark::GetBenchmarkFilter();
  if (filter.empty() || filter == "all" || filter == ".") return true;
  bool negate = false;
  if (filter[0] == '-') {
    negate = true;
    filter.erase(0, 1);
  }
  regex_t re;
  if (regcomp(&re, filter.c_str(), REG_EXTENDED | REG_NOSUB) != 0) {
    return true;  // Google Benchmark reports the bad filter itself
  }
  const bool match = regexec(&re, name.c_str(), 0, nullptr, 0) == 0;
  regfree(&re);
  return match != negate;
}

void RegisterAttention() {
  struct Entry {
    std::string name;
    AttentionF32 f;
  };
  std::vector<Entry> entries;
  for (const AttentionKernel& k : AttentionKernels()) entries.push_back({k.name, k.f32});
  for (const peers::AttentionPeer& p : peers::AttentionPeers())
    entries.push_back({"peer:" + p.name, p.f32});
  for (size_t n : {size_t{512}, size_t{2048}, size_t{4096}}) {
    for (int causal : {0, 1}) {
      const AttentionCase c{n, causal};
      for (const Entry& e : entries) {
        const std::string name = c.Name(e.name);
        if (!Selected(name)) continue;
        const double peak = PeakBytes(e.f, c);
        const AttentionF32 f = e.f;
        benchmark::RegisterBenchmark(name.c_str(), [c, f, peak](benchmark::State& s) {
          const AttentionInputs& in = Inputs(c.n);
          CallAttention(f, c, in);  // untimed: scratch, packing buffers
          for (auto _ : s) {
            CallAttention(f, c, in);
            benchmark::DoNotOptimize(in.out);
            benchmark::ClobberMemory();
          }
          s.counters["FLOP/s"] =
              benchmark::Counter(c.Flops(), benchmark::Counter::kIsIterationInvariantRate);
          s.counters["peak_bytes"] =
              benchmark::Counter(peak, benchmark::Counter::kDefaults,
                                 benchmark::Counter::kIs1024);
        })->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace
}  // namespace softcheck::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  for (const std::string& line : softcheck::peers::MissingPeers())
    std::fprintf(stderr, "softcheck_bench: peer left out: %s\n", line.c_str());
  for (const auto& p : softcheck::peers::SoftmaxPeers())
    benchmark::AddCustomContext("peer " + p.name, p.version);
  for (const auto& p : softcheck::peers::AttentionPeers())
    benchmark::AddCustomContext("peer " + p.name, p.version);
  softcheck::bench::RegisterSoftmax();
  softcheck::bench::RegisterAttention();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
