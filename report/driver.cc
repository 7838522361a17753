#include "report/driver.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include "bench/peers/peers.h"
#include "gate/check.h"
#include "gate/isolation.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"
#include "report/accuracy_sweep.h"
#include "report/measure.h"
#include "report/render.h"

#ifndef SOFTCHECK_PEERS_PLUGIN
#define SOFTCHECK_PEERS_PLUGIN ""
#endif

namespace softcheck::report {

using gate::Recorder;
using json = nlohmann::json;

std::vector<size_t> DefaultSoftmaxSizes(bool quick) {
  if (quick) return {64, 4096};
  return {64, 1024, 16384, size_t{1} << 20};
}

std::vector<size_t> DefaultAttentionSizes(bool quick) {
  if (quick) return {128};
  return {512, 2048};
}

namespace {

constexpr int kWorkerTrouble = 3;

bool IsKind(const std::string& k) {
  return k == "softmax-f32" || k == "softmax-f64" || k == "attention-f32";
}

// Everything the run needs, with the quick/full defaults filled in.
struct Settings {
  ReportOptions o;
  std::vector<size_t> softmax_sizes, attention_sizes;
  size_t sample_rows = 64;
  TimingOptions timing;
  int attention_reps = 5;
  size_t max_softmax_rows = 32;    // accuracy rows per (distribution, n)...
  size_t softmax_elements = 65536; // ...up to this many elements
  bool Wants(const std::string& kind) const {
    return o.kinds.empty() || std::find(o.kinds.begin(), o.kinds.end(), kind) != o.kinds.end();
  }
};

Settings Resolve(const ReportOptions& o) {
  Settings s;
  s.o = o;
  s.softmax_sizes = o.softmax_sizes.empty() ? DefaultSoftmaxSizes(o.quick) : o.softmax_sizes;
  s.attention_sizes = o.attention_sizes.empty() ? DefaultAttentionSizes(o.quick) : o.attention_sizes;
  s.sample_rows = o.attention_sample_rows ? o.attention_sample_rows : (o.quick ? 16 : 64);
  s.timing.reps = o.reps > 0 ? o.reps : (o.quick ? 3 : 7);
  s.timing.min_rep_s = o.min_rep_s > 0 ? o.min_rep_s : (o.quick ? 0.002 : 0.02);
  s.timing.warmup_calls = o.quick ? 1 : 2;
  s.attention_reps = o.reps > 0 ? o.reps : (o.quick ? 3 : 5);
  if (o.quick) {
    s.max_softmax_rows = 8;
    s.softmax_elements = 4096;
  }
  return s;
}

// The progress line on a terminal (stderr), nothing otherwise.
class Progress {
 public:
  explicit Progress(bool on) : on_(on), t0_(std::chrono::steady_clock::now()) {}
  void Say(const std::string& what) const {
    if (!on_) return;
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "\r\033[K[%6.1f s] report: %s", t, what.c_str());
    std::fflush(stderr);
  }
  void Done() const {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_;
};

// The worker's side of the hang clock: a kernel call (or a timed repetition
// of calls) is in flight.
void Enter(Recorder* rec, size_t n) {
  rec->n = n;
  rec->call_started_ns = gate::MonotonicNs();
  rec->in_call = 1;
}
void Leave(Recorder* rec) {
  rec->in_call = 0;
  gate::NoteProgress(rec);
}

// Set once softcheck is interrupted (gate::DeferInterrupts is on): what is
// left is recorded as not run, and no more oracle time is spent.
bool Stopped() { return gate::Interrupted() != 0; }

// The contract state of an implementation reached after the interruption.
std::string NotCheckedInterrupted() {
  return fmt::format("not checked: softcheck was interrupted ({})",
                     gate::SignalName(gate::Interrupted()));
}

std::string Casualty(const gate::WorkerEnd& end, size_t n, double timeout_s) {
  if (end.kind == gate::WorkerEnd::kInterrupted)
    return fmt::format("{} ({})", gate::kInterruptedNotRun, gate::SignalName(end.code));
  if (end.lost_pipe >= 0)
    return fmt::format("CRASH: {} (at n = {})", gate::LostPipeText(end.lost_pipe), n);
  if (end.kind == gate::WorkerEnd::kHung)
    return fmt::format("HANG: a call at n = {} did not return within {} s", n, timeout_s);
  if (end.kind == gate::WorkerEnd::kSignaled)
    return fmt::format("CRASH: {} at n = {}{}", gate::SignalName(end.code), n,
                       end.in_call ? "" : " (outside the kernel: a softcheck bug)");
  return fmt::format("the measuring worker exited with status {} at n = {}", end.code, n);
}

// Measures one implementation at every size in a supervised worker;
// `work(from, rec, fd)` is the worker's life (sizes [from, end), one JSON
// cell per line). A crash or hang at one size is that cell's failure and a
// new worker goes on with the next size.
void MeasureIsolated(Implementation* impl, const std::vector<size_t>& sizes, double timeout_s,
                     const std::function<void(size_t)>& progress,
                     const std::function<int(size_t, Recorder*, int)>& work,
                     std::string* trouble) {
  impl->cells.assign(sizes.size(), Cell{});
  std::vector<bool> done(sizes.size(), false);
  Recorder* rec = gate::MapRecorder();
  size_t start = 0;
  while (start < sizes.size()) {
    std::string worker_trouble;
    progress(start);
    const gate::WorkerEnd end = gate::Supervise(
        rec, timeout_s, [&](int fd) { return work(start, rec, fd); },
        [&](const std::string& line) {
          const json j = json::parse(line, nullptr, false);
          if (j.is_discarded()) return;
          if (j.contains("trouble")) {
            worker_trouble = j["trouble"].get<std::string>();
            return;
          }
          const size_t i = j.at("index").get<size_t>();
          if (i >= sizes.size() || !CellFromJson(j.at("cell").dump(), &impl->cells[i])) return;
          done[i] = true;
          if (i + 1 < sizes.size()) progress(i + 1);
        });
    if (!worker_trouble.empty()) {
      *trouble = fmt::format("{}: {}", impl->name, worker_trouble);
      break;
    }
    size_t next = start;
    while (next < sizes.size() && done[next]) ++next;
    if (next == sizes.size()) break;
    impl->cells[next] = Cell{};
    impl->cells[next].n = sizes[next];
    impl->cells[next].failure = Casualty(end, sizes[next], timeout_s);
    done[next] = true;
    start = next + 1;
  }
  gate::UnmapRecorder(rec);
}

void EmitCell(int fd, size_t index, const Cell& cell) {
  json j;
  j["index"] = index;
  j["cell"] = json::parse(CellToJson(cell));
  gate::WriteLine(fd, j.dump());
}

void SetOverall(Cell* cell, const ErrorAccumulator& all) {
  const DistributionError e = all.Summary("all");
  cell->max_ulp = e.max_ulp;
  cell->median_ulp = e.median_ulp;
  cell->max_rel = e.max_rel;
  cell->nonfinite = e.nonfinite;
  cell->underflow = e.underflow;
  cell->max_ulp_above_floor = e.max_ulp_above_floor;
}

// Loads lib and finds symbol, in the worker. "" or why.
std::string LoadSymbol(const std::string& lib, const std::string& symbol, void** fn) {
  void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return fmt::format("cannot load '{}': {}", lib, dlerror());
  *fn = dlsym(h, symbol.c_str());
  if (!*fn) return fmt::format("'{}' has no symbol '{}'", lib, symbol);
  return "";
}

// ---- softmax ----------------------------------------------------------------

template <typename T>
using Batch = std::function<void(const T*, T*, size_t, size_t)>;

template <typename T>
struct SoftmaxCandidate {
  Implementation info;
  Batch<T> batch;           // null: a user's library, loaded in the worker
  std::string lib, symbol;  // the user's kernel
};

template <typename T>
std::vector<SoftmaxCandidate<T>> SoftmaxCandidates(const Settings& s) {
  std::vector<SoftmaxCandidate<T>> out;
  for (const SoftmaxKernel& k : SoftmaxKernels()) {
    SoftmaxCandidate<T> c;
    c.info.name = k.name;
    c.info.origin = "built-in";
    c.info.detail = k.target;
    if constexpr (std::is_same_v<T, float>) {
      // The batch entry where the kernel has one: it is what a batched
      // caller (and the benchmarks) would call, bit for bit f32 row by row,
      // so the accuracy measured through it is f32's too.
      if (k.batch_f32 != nullptr) {
        const SoftmaxBatchF32 b = k.batch_f32;
        c.batch = [b](const float* x, float* y, size_t rows, size_t n) { b(x, y, rows, n, 1.0f); };
        c.info.detail += ", batch entry";
      } else {
        const SoftmaxF32 f = k.f32;
        c.batch = [f](const float* x, float* y, size_t rows, size_t n) {
          for (size_t r = 0; r < rows; ++r) f(x + r * n, y + r * n, n, 1.0f);
        };
      }
    } else {
      const SoftmaxF64 f = k.f64;
      c.batch = [f](const double* x, double* y, size_t rows, size_t n) {
        for (size_t r = 0; r < rows; ++r) f(x + r * n, y + r * n, n, 1.0);
      };
    }
    out.push_back(std::move(c));
  }
  if constexpr (std::is_same_v<T, float>) {
    for (const peers::SoftmaxPeer& p : peers::SoftmaxPeers()) {
      SoftmaxCandidate<T> c;
      c.info.name = p.name;
      c.info.origin = "peer";
      c.info.detail = p.version;
      c.batch = p.batch;
      out.push_back(std::move(c));
    }
  }
  const std::string kind = std::is_same_v<T, float> ? "softmax-f32" : "softmax-f64";
  if (!s.o.lib.empty() && s.o.kind == kind) {
    SoftmaxCandidate<T> c;
    c.info.name = "user:" + s.o.symbol;
    c.info.origin = "user";
    c.info.detail = s.o.lib;
    c.lib = LibraryPath(s.o.lib);  // as the gate loads it
    c.symbol = s.o.symbol;
    out.push_back(std::move(c));
  }
  return out;
}

// The candidate's batch function, in the worker (a user's library is loaded
// here, never in the report's own process). "" or why not.
template <typename T>
std::string LoadBatch(const SoftmaxCandidate<T>& c, Batch<T>* batch) {
  *batch = c.batch;
  if (c.lib.empty()) return "";
  void* sym = nullptr;
  const std::string why = LoadSymbol(c.lib, c.symbol, &sym);
  if (!why.empty()) return why;
  using Fn = void (*)(const T*, T*, size_t);
  const Fn f = reinterpret_cast<Fn>(sym);
  *batch = [f](const T* x, T* y, size_t rows, size_t n) {
    for (size_t r = 0; r < rows; ++r) f(x + r * n, y + r * n, n);
  };
  return "";
}

// The hard rows of the contract, each run once on every implementation so
// that the report shows what each returns (the gate's findings say which
// clause that breaks).
template <typename T>
std::vector<std::vector<T>> SpecialRows() {
  constexpr T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  return {{1, nan, 2}, {1, inf, 2}, {-inf, -inf, -inf}, {0, -inf, 1}, {1000, 999}};
}
const std::vector<std::string>& SpecialRowNames() {
  static const std::vector<std::string> names = {"[1, NaN, 2]", "[1, +inf, 2]",
                                                 "[-inf, -inf, -inf]", "[0, -inf, 1]",
                                                 "[1000, 999]"};
  return names;
}

template <typename T>
std::string FormatRow(const T* y, size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) out += fmt::format("{}{:.4g}", i ? ", " : "", y[i]);
  return out + "]";
}

// Runs the special rows in a supervised worker: one output line per row, or
// the crash or hang that ended it. Each row has 64 bytes of slack after it
// and no guard page (the gate's checks are where out-of-bounds reads show).
template <typename T>
std::vector<std::string> SpecialOutputs(const SoftmaxCandidate<T>& c, double timeout_s) {
  const std::vector<std::vector<T>> rows = SpecialRows<T>();
  std::vector<std::string> got;
  Recorder* rec = gate::MapRecorder();
  const gate::WorkerEnd end = gate::Supervise(
      rec, timeout_s,
      [&](int fd) {
        gate::InstallFaultHandlers(rec);
        Batch<T> batch;
        const std::string why = LoadBatch(c, &batch);
        if (!why.empty()) return kWorkerTrouble;
        constexpr size_t kSlack = 64 / sizeof(T);
        for (const std::vector<T>& row : rows) {
          std::vector<T> x(row.size() + kSlack, T(0)), y(row.size() + kSlack, T(0));
          std::copy(row.begin(), row.end(), x.begin());
          Enter(rec, row.size());
          batch(x.data(), y.data(), 1, row.size());
          Leave(rec);
          gate::WriteLine(fd, FormatRow(y.data(), row.size()));
        }
        return 0;
      },
      [&](const std::string& line) { got.push_back(line); });
  gate::UnmapRecorder(rec);
  if (got.size() < rows.size()) got.push_back(Casualty(end, rows[got.size()].size(), timeout_s));
  return got;
}

template <typename T>
int SoftmaxWorker(const SoftmaxCandidate<T>& c,
                  const std::vector<std::vector<SoftmaxSample<T>>>& samples,
                  const Settings& s, size_t from, Recorder* rec, int fd) {
  gate::InstallFaultHandlers(rec);
  Batch<T> batch;
  const std::string why = LoadBatch(c, &batch);
  if (!why.empty()) {
    gate::WriteLine(fd, json{{"trouble", why}}.dump());
    return kWorkerTrouble;
  }
  const auto& dists = SoftmaxDistributions();
  for (size_t i = from; i < s.softmax_sizes.size(); ++i) {
    const size_t n = s.softmax_sizes[i];
    rec->task = static_cast<int32_t>(i);
    Cell cell;
    cell.n = n;
    ErrorAccumulator all;
    for (const SoftmaxSample<T>& sample : samples[i]) {
      std::vector<T> y(sample.x.size(), T(0));
      Enter(rec, n);
      batch(sample.x.data(), y.data(), sample.rows, n);
      Leave(rec);
      ErrorAccumulator a;
      a.Add(y.data(), sample.exact.data(), y.size());
      cell.distributions.push_back(a.Summary(dists[sample.dist].name));
      all.Merge(a);
    }
    SetOverall(&cell, all);
    // Speed: a batch of rows filling 256 KiB of input (one row when longer),
    // allocated and touched here, before the clock starts.
    const size_t rows = std::max<size_t>(1, (size_t{256} << 10) / sizeof(T) / n);
    const std::vector<T> x = SoftmaxInputs<T>(0, rows, n, s.o.seed + 7);
    std::vector<T> y(x.size(), T(0));
    TimingOptions t = s.timing;
    t.between_reps = [&] { Enter(rec, n); };
    Enter(rec, n);
    const Timing tm = TimeCalls([&] { batch(x.data(), y.data(), rows, n); }, t);
    Leave(rec);
    const double elements = static_cast<double>(rows * n);
    cell.ns_per_element = tm.seconds_per_call * 1e9 / elements;
    cell.gb_per_s = 2 * sizeof(T) * elements / tm.seconds_per_call / 1e9;
    cell.gflop_per_s = std::nan("");
    cell.reps = tm.reps;
    cell.calls_per_rep = tm.calls_per_rep;
    cell.spread = tm.Spread();
    EmitCell(fd, i, cell);
  }
  return 0;
}

// ---- contract checks ----------------------------------------------------------

GateOptions GateSettings(const Settings& s) {
  GateOptions g;
  g.seed = s.o.seed;
  g.cases = s.o.gate_cases > 0 ? s.o.gate_cases : (s.o.quick ? 10 : 0);
  g.timeout_s = std::min(s.o.timeout_s, 10.0);
  g.progress = false;  // the report's own line says what runs
  return g;
}

// The first lines of the gate's counterexample, enough to see the finding.
std::string Excerpt(const std::string& details, size_t max_lines) {
  std::string out;
  size_t lines = 0, pos = 0;
  while (pos < details.size() && lines < max_lines) {
    size_t nl = details.find('\n', pos);
    if (nl == std::string::npos) nl = details.size();
    std::string line = details.substr(pos, nl - pos);
    pos = nl + 1;
    // RapidCheck's own bookkeeping says nothing about the kernel.
    if (line.find_first_not_of(' ') == std::string::npos ||
        line.rfind("Falsifiable after", 0) == 0 || line.rfind("softcheck::properties::Case", 0) == 0)
      continue;
    if (line.size() > 160) line = line.substr(0, 157) + "...";
    out += line + "\n";
    ++lines;
  }
  if (pos < details.size()) out += "...\n";
  return out;
}

ContractResult FromGate(const GateResult& r, const std::string& trouble) {
  ContractResult c;
  if (!trouble.empty()) {
    c.state = "trouble: " + trouble;
    return c;
  }
  c.state = "checked";
  c.seconds = r.seconds;
  for (const PropertyResult& p : r.results) {
    if (p.status == Status::kSkipped) continue;
    ++c.properties;
    c.cases += p.cases;
    if (p.status == Status::kExpectedFail) {
      c.declared.push_back(fmt::format("{} ({})", p.clause, p.property));
    } else if (StatusFails(p.status)) {
      Violation v;
      v.property = p.property;
      v.clause = p.clause;
      v.status = StatusName(p.status);
      v.message = p.message;
      v.example = Excerpt(p.details, 8);
      v.reproduce = p.reproduce;
      c.violations.push_back(std::move(v));
    }
  }
  if (const int not_run = r.NotRun()) {
    // An interrupted check: "none" would claim what was not checked, so it
    // reads as not checked, with what it had found broken by then.
    std::string found;
    for (const Violation& v : c.violations)
      found += fmt::format("{}{} {} ({})", found.empty() ? "" : ", ", v.property, v.status, v.clause);
    c.state = fmt::format("not checked: softcheck was interrupted after {} of {} properties{}",
                          static_cast<int>(r.results.size()) - not_run, r.results.size(),
                          found.empty() ? "" : "; broken by then: " + found);
  }
  return c;
}

// The peers' plugin, relative to the working directory when it lies under
// it: the replay commands the report prints then work from where the report
// was made and hold no build machine's absolute paths.
std::string PeersPlugin(const Settings& s) {
  const std::string path = s.o.peers_plugin.empty() ? SOFTCHECK_PEERS_PLUGIN : s.o.peers_plugin;
  std::error_code ec;
  const std::filesystem::path rel = std::filesystem::proximate(path, ec);
  if (ec || rel.empty() || *rel.begin() == "..") return path;
  const std::string r = rel.string();
  // A bare file name would make dlopen search the library path instead.
  return r.find('/') == std::string::npos ? "./" + r : r;
}

ContractResult CheckPlugin(const std::string& path, const std::string& symbol, KernelKind kind,
                           const GateOptions& g) {
  if (path.empty() || access(path.c_str(), R_OK) != 0) {
    ContractResult c;
    c.state = fmt::format("not checked: the peers' plugin library '{}' is not there", path);
    return c;
  }
  std::string trouble;
  const GateResult r = CheckLibrary(path, symbol, kind, g, &trouble);
  return FromGate(r, trouble);
}

template <typename T>
Section SoftmaxSection(const Settings& s, const Progress& progress, std::string* trouble) {
  const std::string kind = std::is_same_v<T, float> ? "softmax-f32" : "softmax-f64";
  const KernelKind gate_kind =
      std::is_same_v<T, float> ? KernelKind::kSoftmaxF32 : KernelKind::kSoftmaxF64;
  Section section;
  section.kind = kind;
  section.speed_unit = "GB/s";
  const auto& dists = SoftmaxDistributions();
  for (const DistributionInfo& d : dists) section.distributions.push_back(d.name);
  section.special_rows = SpecialRowNames();

  // The oracle once per (size, distribution), shared by every implementation
  // (the forked workers inherit it).
  std::vector<std::vector<SoftmaxSample<T>>> samples(s.softmax_sizes.size());
  size_t oracle_rows = 0;
  const double oracle_t0 = progress.Seconds();
  for (size_t i = 0; i < s.softmax_sizes.size(); ++i) {
    const size_t n = s.softmax_sizes[i];
    const size_t rows = std::clamp<size_t>(s.softmax_elements / n, 1, s.max_softmax_rows);
    for (size_t d = 0; d < dists.size() && !Stopped(); ++d) {
      progress.Say(fmt::format("{}: oracle, n = {}, {} ({} rows)", kind, n, dists[d].name, rows));
      samples[i].push_back(MakeSoftmaxSample<T>(d, rows, n, s.o.seed));
      oracle_rows += rows;
    }
  }
  section.notes.push_back(fmt::format(
      "Accuracy: per size and distribution, min(32, max(1, {} / n)) rows; the oracle "
      "(mpfr, 256 bits) evaluated {} rows in {:.1f} s.",
      s.softmax_elements, oracle_rows, progress.Seconds() - oracle_t0));
  section.notes.push_back(fmt::format(
      "Speed: single thread, median of {} repetitions of at least {} ms each, on a batch of "
      "rows filling 256 KiB of input (one row when longer); GB/s counts reading x and "
      "writing y.", s.timing.reps, s.timing.min_rep_s * 1e3));

  std::vector<SoftmaxCandidate<T>> candidates = SoftmaxCandidates<T>(s);
  const GateOptions g = GateSettings(s);
  for (size_t c = 0; c < candidates.size(); ++c) {
    SoftmaxCandidate<T>& cand = candidates[c];
    Implementation impl = cand.info;
    MeasureIsolated(
        &impl, s.softmax_sizes, s.o.timeout_s,
        [&](size_t i) {
          progress.Say(fmt::format("{} [{}/{}] {}: n = {}", kind, c + 1, candidates.size(),
                                   impl.name, s.softmax_sizes[i]));
        },
        [&](size_t from, Recorder* rec, int fd) {
          return SoftmaxWorker<T>(cand, samples, s, from, rec, fd);
        },
        trouble);
    if (!trouble->empty()) return section;
    impl.special_outputs = SpecialOutputs<T>(cand, s.o.timeout_s);
    if (Stopped()) {
      impl.contract.state = NotCheckedInterrupted();
    } else if (s.o.contract_checks) {
      progress.Say(fmt::format("{} [{}/{}] {}: contract checks (the gate)", kind, c + 1,
                               candidates.size(), impl.name));
      if (impl.origin == "built-in") {
        impl.contract = FromGate(CheckBuiltin(*FindSoftmaxKernel(impl.name), g, gate_kind), "");
      } else if (impl.origin == "peer") {
        const peers::SoftmaxPeer* peer = nullptr;
        for (const peers::SoftmaxPeer& p : peers::SoftmaxPeers())
          if (p.name == impl.name) peer = &p;
        impl.contract = CheckPlugin(PeersPlugin(s), peers::PluginSymbol(*peer), gate_kind, g);
      } else {
        std::string why;
        const GateResult r = CheckLibrary(cand.lib, cand.symbol, gate_kind, g, &why);
        impl.contract = FromGate(r, why);
      }
    } else {
      impl.contract.state = "not checked: --no-checks";
    }
    section.implementations.push_back(std::move(impl));
  }
  return section;
}

// ---- attention ----------------------------------------------------------------

struct AttentionCandidate {
  Implementation info;
  AttentionF32 fn = nullptr;  // null: a user's library, loaded in the worker
  std::string lib, symbol;
};

std::vector<AttentionCandidate> AttentionCandidates(const Settings& s) {
  std::vector<AttentionCandidate> out;
  for (const AttentionKernel& k : AttentionKernels()) {
    AttentionCandidate c;
    c.info.name = k.name;
    c.info.origin = "built-in";
    c.info.detail = k.target;
    c.fn = k.f32;
    out.push_back(std::move(c));
  }
  for (const peers::AttentionPeer& p : peers::AttentionPeers()) {
    AttentionCandidate c;
    c.info.name = p.name;
    c.info.origin = "peer";
    c.info.detail = p.version;
    c.fn = p.f32;
    out.push_back(std::move(c));
  }
  if (!s.o.lib.empty() && s.o.kind == "attention-f32") {
    AttentionCandidate c;
    c.info.name = "user:" + s.o.symbol;
    c.info.origin = "user";
    c.info.detail = s.o.lib;
    c.lib = LibraryPath(s.o.lib);  // as the gate loads it
    c.symbol = s.o.symbol;
    out.push_back(std::move(c));
  }
  return out;
}

int AttentionWorker(const AttentionCandidate& c,
                    const std::vector<std::vector<AttentionSample>>& samples, const Settings& s,
                    size_t from, Recorder* rec, int fd) {
  gate::InstallFaultHandlers(rec);
  AttentionF32 fn = c.fn;
  if (!c.lib.empty()) {
    void* sym = nullptr;
    const std::string why = LoadSymbol(c.lib, c.symbol, &sym);
    if (!why.empty()) {
      gate::WriteLine(fd, json{{"trouble", why}}.dump());
      return kWorkerTrouble;
    }
    fn = reinterpret_cast<AttentionF32>(sym);
  }
  const auto& dists = AttentionDistributions();
  for (size_t i = from; i < s.attention_sizes.size(); ++i) {
    const size_t n = s.attention_sizes[i];
    rec->task = static_cast<int32_t>(i);
    Cell cell;
    cell.n = n;
    ErrorAccumulator all;
    std::vector<float> out;
    for (const AttentionSample& sample : samples[i]) {
      const AttentionProblem p = sample.problem.View();
      out.assign(p.n_q * p.d_v, 0.0f);
      Enter(rec, n);
      RunAttention(fn, p, out.data());
      Leave(rec);
      ErrorAccumulator a;
      for (size_t k = 0; k < sample.sampled_rows.size(); ++k)
        a.Add(out.data() + sample.sampled_rows[k] * p.d_v, sample.exact.exact.data() + k * p.d_v,
              p.d_v);
      cell.distributions.push_back(a.Summary(dists[sample.dist].name));
      all.Merge(a);
    }
    SetOverall(&cell, all);
    // Speed on the normal problem (no mask, non-causal); `out` is allocated
    // and was written above.
    const AttentionProblem p = samples[i][0].problem.View();
    out.assign(p.n_q * p.d_v, 0.0f);
    TimingOptions t = s.timing;
    t.reps = s.attention_reps;
    t.warmup_calls = 1;
    t.between_reps = [&] { Enter(rec, n); };
    Enter(rec, n);
    const Timing tm = TimeCalls([&] { RunAttention(fn, p, out.data()); }, t);
    Leave(rec);
    const double scores = static_cast<double>(p.n_q) * static_cast<double>(p.n_kv);
    cell.ns_per_element = tm.seconds_per_call * 1e9 / scores;
    cell.gflop_per_s = 4 * scores * static_cast<double>(p.d) / tm.seconds_per_call / 1e9;
    cell.gb_per_s = std::nan("");
    cell.reps = tm.reps;
    cell.calls_per_rep = tm.calls_per_rep;
    cell.spread = tm.Spread();
    EmitCell(fd, i, cell);
  }
  return 0;
}

Section AttentionSection(const Settings& s, const Progress& progress, std::string* trouble) {
  Section section;
  section.kind = "attention-f32";
  section.speed_unit = "GFLOP/s";
  const auto& dists = AttentionDistributions();
  for (const DistributionInfo& d : dists) section.distributions.push_back(d.name);
  const size_t d = s.o.attention_d;
  std::vector<std::vector<AttentionSample>> samples(s.attention_sizes.size());
  const double oracle_t0 = progress.Seconds();
  size_t oracle_rows = 0;
  for (size_t i = 0; i < s.attention_sizes.size(); ++i) {
    const size_t n = s.attention_sizes[i];
    for (size_t k = 0; k < dists.size() && !Stopped(); ++k) {
      progress.Say(fmt::format("attention-f32: oracle, n = {}, d = {}, {}", n, d, dists[k].name));
      samples[i].push_back(MakeAttentionSample(k, n, d, s.sample_rows, s.o.seed, s.o.oracle_threads));
      oracle_rows += samples[i].back().sampled_rows.size();
    }
  }
  section.notes.push_back(fmt::format(
      "d = d_v = {}, n_q = n_kv = n. Accuracy: the oracle (exact scores, 257-bit softmax) on "
      "at most {} query rows per problem, evenly spaced, first and last included (every row "
      "when n <= {}); {} rows in {:.1f} s. The kernels compute every row.",
      d, s.sample_rows, s.sample_rows, oracle_rows, progress.Seconds() - oracle_t0));
  section.notes.push_back(fmt::format(
      "Speed: single thread, the normal problem (no mask, non-causal), median of {} "
      "repetitions of at least {} ms; GFLOP/s counts 4 n_q n_kv d flops; ns/element is per "
      "score (query-key pair).", s.attention_reps, s.timing.min_rep_s * 1e3));

  std::vector<AttentionCandidate> candidates = AttentionCandidates(s);
  const GateOptions g = GateSettings(s);
  for (size_t c = 0; c < candidates.size(); ++c) {
    AttentionCandidate& cand = candidates[c];
    Implementation impl = cand.info;
    MeasureIsolated(
        &impl, s.attention_sizes, s.o.timeout_s,
        [&](size_t i) {
          progress.Say(fmt::format("attention-f32 [{}/{}] {}: n = {}", c + 1, candidates.size(),
                                   impl.name, s.attention_sizes[i]));
        },
        [&](size_t from, Recorder* rec, int fd) {
          return AttentionWorker(cand, samples, s, from, rec, fd);
        },
        trouble);
    if (!trouble->empty()) return section;
    if (Stopped()) {
      impl.contract.state = NotCheckedInterrupted();
    } else if (s.o.contract_checks) {
      progress.Say(fmt::format("attention-f32 [{}/{}] {}: contract checks (the gate)", c + 1,
                               candidates.size(), impl.name));
      if (impl.origin == "built-in") {
        impl.contract = FromGate(CheckBuiltin(*FindAttentionKernel(impl.name), g), "");
      } else if (impl.origin == "peer") {
        const peers::AttentionPeer* peer = nullptr;
        for (const peers::AttentionPeer& p : peers::AttentionPeers())
          if (p.name == impl.name) peer = &p;
        impl.contract =
            CheckPlugin(PeersPlugin(s), peers::PluginSymbol(*peer), KernelKind::kAttentionF32, g);
      } else {
        std::string why;
        const GateResult r = CheckLibrary(cand.lib, cand.symbol, KernelKind::kAttentionF32, g, &why);
        impl.contract = FromGate(r, why);
      }
    } else {
      impl.contract.state = "not checked: --no-checks";
    }
    section.implementations.push_back(std::move(impl));
  }
  return section;
}

std::string CpuName() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  return "unknown CPU";
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string ValidateOptions(const ReportOptions& o) {
  if (!o.lib.empty() && o.symbol.empty())
    return "report: --lib needs --symbol (the function to measure)";
  if (o.lib.empty() && !o.symbol.empty())
    return "report: --symbol needs --lib (the shared library that exports it)";
  if ((!o.lib.empty() || !o.kind.empty()) && !IsKind(o.kind))  // with or without --lib
    return fmt::format("report: unknown --kind '{}' (softmax-f32, softmax-f64 or attention-f32)",
                       o.kind);
  // --kind describes the --lib kernel; alone it used to add its section to
  // the defaults, silently.
  if (o.lib.empty() && !o.kind.empty())
    return "report: --kind names the kind of the --lib kernel; without --lib, --only picks the sections";
  for (const std::string& k : o.kinds)
    if (!IsKind(k))
      return fmt::format("report: unknown section '{}' (softmax-f32, softmax-f64, attention-f32)", k);
  for (size_t n : o.softmax_sizes)
    if (n == 0) return "report: softmax sizes must be positive";
  for (size_t n : o.attention_sizes)
    if (n == 0) return "report: attention sizes must be positive";
  if (o.attention_d == 0) return "report: --attention-d must be positive";
  if (!o.lib.empty()) {
    const std::string why = ProbeLibrary(o.lib, o.symbol);
    if (!why.empty()) return "report: " + why;
  }
  return "";
}

Report BuildReport(const ReportOptions& options, std::string* trouble) {
  trouble->clear();
  const Settings s = Resolve(options);
  Progress progress(options.progress);
  Report report;
  report.date = UtcNow();
  report.cpu = CpuName();
  const SoftmaxKernel* hwy = FindSoftmaxKernel("highway");
  report.host_target = hwy ? hwy->target : "";
#if defined(__clang__)
  report.compiler = fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#else
  report.compiler = fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#endif
  report.quick = options.quick;
  report.missing_peers = peers::MissingPeers();
  for (const DistributionInfo& d : SoftmaxDistributions())
    report.distribution_docs.push_back("softmax " + d.name + ": " + d.description);
  for (const DistributionInfo& d : AttentionDistributions())
    report.distribution_docs.push_back("attention " + d.name + ": " + d.description);
  if (s.Wants("softmax-f32") || options.kind == "softmax-f32")
    report.sections.push_back(SoftmaxSection<float>(s, progress, trouble));
  if (trouble->empty() && (s.Wants("softmax-f64") || options.kind == "softmax-f64"))
    report.sections.push_back(SoftmaxSection<double>(s, progress, trouble));
  if (trouble->empty() && (s.Wants("attention-f32") || options.kind == "attention-f32"))
    report.sections.push_back(AttentionSection(s, progress, trouble));
  progress.Done();
  report.seconds = progress.Seconds();
  if (Stopped()) report.interrupted = gate::SignalName(gate::Interrupted());
  return report;
}

bool HasFindings(const Report& report) {
  for (const Section& s : report.sections)
    for (const Implementation& impl : s.implementations) {
      if (impl.origin == "peer") continue;
      if (!impl.contract.violations.empty()) return true;
      for (const Cell& c : impl.cells)
        if (!c.failure.empty()) return true;
    }
  return false;
}

}  // namespace softcheck::report
