// The gate's driver. The supervisor (this process) plans one task per
// property, starts a worker process that runs them in order and reports each
// result as one JSON line, and when the worker dies or hangs it records that
// task's result from the shared Recorder (the input in flight, the faulting
// address) and starts a new worker at the next task. The worker runs the
// kernel only through GuardedCall, so every call is recorded and guarded.
#include "gate/check.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>

#include "cli/numbers.h"
#include "gate/isolation.h"
#include "gate/report.h"
#include "impl/attention_registry.h"
#include "impl/registry.h"
#include "oracle/attention_accuracy.h"
#include "oracle/oracle.h"
#include "properties/attention_driver.h"
#include "properties/attention_properties.h"
#include "properties/property_driver.h"
#include "properties/softmax_properties.h"

namespace softcheck {
namespace {

using nlohmann::json;
using properties::AttentionProperty;
using properties::Property;
using gate::GuardedCall;
using gate::InstallFaultHandlers;
using gate::MapRecorder;
using gate::NoteProgress;
using gate::Recorder;
using gate::RowFn;
using gate::Supervise;
using gate::UnmapRecorder;
using gate::WorkerEnd;
using gate::WriteLine;

// Exit code of a worker that could not load the library (its reason comes
// as a {"trouble": ...} line first).
constexpr int kWorkerTrouble = 42;

// ---- what is checked ---------------------------------------------------

struct Target {
  std::string name;      // for reports
  std::string selector;  // the command-line words naming it for `eval`
  KernelKind kind = KernelKind::kSoftmaxF32;
  Claims claims;
  const SoftmaxKernel* builtin = nullptr;  // a registry entry, or
  UserSoftmaxF32 user32 = nullptr;         // a user's function, or
  UserSoftmaxF64 user64 = nullptr;
  std::string lib, symbol;                 // one to load in the worker
  // kind == kAttentionF32:
  AttentionClaims attention_claims;
  const AttentionKernel* attention_builtin = nullptr;  // a registry entry, or
  AttentionF32 user_attention = nullptr;               // a user's function
  bool Attention() const { return kind == KernelKind::kAttentionF32; }
};

// ---- worker-side state: the kernel behind the guarded trampolines --------

Recorder* g_recorder = nullptr;
UserSoftmaxF32 g_user32 = nullptr;
UserSoftmaxF64 g_user64 = nullptr;
const SoftmaxKernel* g_builtin = nullptr;
double g_temperature = 1;
uint64_t g_elements = 0;
AttentionF32 g_user_attention = nullptr;
const AttentionKernel* g_attention_builtin = nullptr;

template <typename T>
RowFn<T> UserFn() {
  if constexpr (sizeof(T) == 4) return g_user32;
  else return g_user64;
}

template <typename T>
void BuiltinRow(const T* x, T* y, size_t n) {
  if constexpr (sizeof(T) == 4) g_builtin->f32(x, y, n, static_cast<T>(g_temperature));
  else g_builtin->f64(x, y, n, static_cast<T>(g_temperature));
}

template <typename T>
void GuardedBuiltin(const T* x, T* y, size_t n, T temperature) {
  g_elements += n;
  g_temperature = temperature;
  GuardedCall<T>(g_recorder, &BuiltinRow<T>, x, y, n, temperature);
}

// The C ABI has no temperature; its kernels declare takes_temperature =
// false and the properties call them at T = 1 only. Should anything else
// arrive, the row is handed over as x / T, which is what softmax(x, T) means.
template <typename T>
void GuardedUser(const T* x, T* y, size_t n, T temperature) {
  g_elements += n;
  if (temperature == 1) {
    GuardedCall<T>(g_recorder, UserFn<T>(), x, y, n, 1.0);
    return;
  }
  std::vector<T> scaled(x, x + n);
  for (T& v : scaled) v /= temperature;
  if (x == y) {
    GuardedCall<T>(g_recorder, UserFn<T>(), scaled.data(), scaled.data(), n, temperature);
    std::copy(scaled.begin(), scaled.end(), y);
  } else {
    GuardedCall<T>(g_recorder, UserFn<T>(), scaled.data(), y, n, temperature);
  }
}

// The descriptor the property suite sees, inside the worker.
SoftmaxKernel WorkerKernel(const Target& t) {
  SoftmaxKernel k;
  k.name = t.name;
  k.family = t.builtin ? t.builtin->family : "user";
  k.target = t.builtin ? t.builtin->target : "C ABI";
  k.summary = t.builtin ? t.builtin->summary : "user kernel";
  k.cli_selector = t.selector;
  k.claims = t.claims;
  if (t.builtin) {
    g_builtin = t.builtin;
    k.f32 = &GuardedBuiltin<float>;
    k.f64 = &GuardedBuiltin<double>;
  } else {
    k.f32 = &GuardedUser<float>;
    k.f64 = &GuardedUser<double>;
  }
  return k;
}

// Attention's trampolines: every call goes through GuardedAttentionCall.
AttentionProblem ProblemOf(const float* q, const float* k, const float* v,
                           const float* mask, int causal, float scale, size_t n_q,
                           size_t n_kv, size_t d, size_t d_v) {
  return AttentionProblem{q, k, v, mask, causal, scale, n_q, n_kv, d, d_v};
}

void GuardedAttention(const float* q, const float* k, const float* v, const float* mask,
                      int causal, float scale, float* out, size_t n_q, size_t n_kv,
                      size_t d, size_t d_v) {
  g_elements += n_q * n_kv;
  const AttentionF32 f = g_attention_builtin ? g_attention_builtin->f32 : g_user_attention;
  gate::GuardedAttentionCall(
      g_recorder, [f](const AttentionProblem& p, float* o) { RunAttention(f, p, o); },
      ProblemOf(q, k, v, mask, causal, scale, n_q, n_kv, d, d_v), out);
}

void GuardedAttentionBlocked(const float* q, const float* k, const float* v,
                             const float* mask, int causal, float scale, float* out,
                             size_t n_q, size_t n_kv, size_t d, size_t d_v,
                             size_t block_q, size_t block_kv) {
  g_elements += n_q * n_kv;
  const AttentionBlockedF32 f = g_attention_builtin->blocked;
  gate::GuardedAttentionCall(
      g_recorder,
      [f, block_q, block_kv](const AttentionProblem& p, float* o) {
        f(p.q, p.k, p.v, p.mask, p.causal, p.scale, o, p.n_q, p.n_kv, p.d, p.d_v, block_q,
          block_kv);
      },
      ProblemOf(q, k, v, mask, causal, scale, n_q, n_kv, d, d_v), out);
}

// The attention descriptor the property suite sees, inside the worker.
AttentionKernel WorkerAttentionKernel(const Target& t) {
  AttentionKernel k;
  k.name = t.name;
  k.family = t.attention_builtin ? t.attention_builtin->family : "user";
  k.target = t.attention_builtin ? t.attention_builtin->target : "C ABI";
  k.summary = t.attention_builtin ? t.attention_builtin->summary : "user kernel";
  k.claims = t.attention_claims;
  k.cli_selector = t.selector;
  g_attention_builtin = t.attention_builtin;
  k.f32 = &GuardedAttention;
  if (t.attention_builtin && t.attention_builtin->blocked) k.blocked = &GuardedAttentionBlocked;
  return k;
}

// Loads the target's library in this (worker) process. "" or the reason.
// rec (may be null) times the load: a constructor that hangs is killed.
std::string LoadInWorker(const Target& t, Recorder* rec) {
  if (t.lib.empty()) {
    g_user32 = t.user32;
    g_user64 = t.user64;
    g_user_attention = t.user_attention;
    return "";
  }
  dlerror();
  gate::BeginLoad(rec);
  void* h = dlopen(t.lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  gate::EndLoad(rec);
  if (!h) {
    const char* e = dlerror();
    return fmt::format("cannot load '{}': {}", t.lib, e ? e : "unknown error");
  }
  dlerror();
  void* f = dlsym(h, t.symbol.c_str());
  if (!f) return fmt::format("symbol '{}' not found in '{}'", t.symbol, t.lib);
  if (t.kind == KernelKind::kSoftmaxF32) g_user32 = reinterpret_cast<UserSoftmaxF32>(f);
  else if (t.kind == KernelKind::kSoftmaxF64) g_user64 = reinterpret_cast<UserSoftmaxF64>(f);
  else g_user_attention = reinterpret_cast<AttentionF32>(f);
  return "";
}

// ---- the plan -------------------------------------------------------------

struct Task {
  Property property = Property::kAccuracy;
  bool burst = false;  // the random bit-pattern burst, not a property
  bool attention = false;
  AttentionProperty attention_property{};
};

constexpr const char* kBurstName = "HoldsOnRandomBitPatterns";
constexpr int kBurstRows = 300;
constexpr int kAttentionBurstProblems = 150;

std::vector<Task> Plan(KernelKind kind) {
  std::vector<Task> tasks;
  if (kind == KernelKind::kAttentionF32) {
    for (const properties::AttentionPropertyInfo& p : properties::AllAttentionProperties())
      tasks.push_back({Property::kAccuracy, false, true, p.property});
    tasks.push_back({Property::kAccuracy, true, true, {}});
    return tasks;
  }
  for (const properties::PropertyInfo& p : properties::AllProperties())
    tasks.push_back({p.property, false});
  tasks.push_back({Property::kAccuracy, true});
  return tasks;
}

PropertyResult Blank(const Target& t, const Task& task) {
  PropertyResult r;
  r.implementation = t.name;
  if (task.burst) {
    r.property = kBurstName;
    r.clause = "contract";
    r.claim = task.attention
                  ? "problems of random bit patterns (any shape, value class, mask, causal mode "
                    "and scale) keep every clause"
                  : "rows of random bit patterns (any value class) keep every clause";
    return r;
  }
  if (task.attention) {
    const properties::AttentionPropertyInfo& info = properties::Info(task.attention_property);
    r.property = info.name;
    r.clause = ClauseName(info.clause);
    r.claim = info.claim;
    return r;
  }
  const properties::PropertyInfo& info = properties::Info(task.property);
  r.property = info.name;
  r.clause = ClauseName(info.clause);
  r.claim = info.claim;
  return r;
}

json ToJson(const PropertyResult& r, size_t task) {
  return {{"task", task},          {"status", static_cast<int>(r.status)},
          {"clause", r.clause},
          {"cases", r.cases},      {"elements", r.elements},
          {"oracle_evals", r.oracle_evals},
          {"seconds", r.seconds},  {"worst_ratio", r.worst_ratio},
          {"message", r.message},  {"details", r.details},
          {"reproduce", r.reproduce}, {"rc_params", r.rc_params}};
}

void FromJson(const json& j, PropertyResult* r) {
  r->status = static_cast<Status>(j.at("status").get<int>());
  r->clause = j.at("clause");
  r->cases = j.at("cases");
  r->elements = j.at("elements");
  r->oracle_evals = j.at("oracle_evals");
  r->seconds = j.at("seconds");
  // JSON has no infinity: nlohmann writes a non-finite ratio as null.
  const json& w = j.at("worst_ratio");
  r->worst_ratio = w.is_number() ? w.get<double>() : INFINITY;
  r->message = j.at("message");
  r->details = j.at("details");
  r->reproduce = j.at("reproduce");
  r->rc_params = j.at("rc_params");
}

std::string FirstLineWith(const std::string& text, const char* needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = text.find('\n', at);
  std::string line = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  const size_t s = line.find(needle);
  return line.substr(s);
}

// The property's own line of findings: the first line of the report that
// names a clause, or its first line.
std::string Headline(const std::string& report) {
  for (const char* key : {"breaks ", "finding", "FAIL", "y["}) {
    std::string l = FirstLineWith(report, key);
    if (!l.empty()) return l.size() > 160 ? l.substr(0, 157) + "..." : l;
  }
  const size_t nl = report.find('\n');
  return report.substr(0, nl);
}

template <typename T>
PropertyResult RunBurst(const SoftmaxKernel& k, const Target& t, const Task& task,
                        const GateOptions& o) {
  PropertyResult r = Blank(t, task);
  std::mt19937_64 rng(o.seed ^ 0xb17b17b17ULL);
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const int rows = o.cases > 0 ? o.cases : kBurstRows;
  for (int i = 0; i < rows; ++i) {
    properties::Case<T> c;
    c.property = Property::kAccuracy;
    c.x.resize(rng() % 65);
    for (T& v : c.x) {
      const Bits b = static_cast<Bits>(rng());
      std::memcpy(&v, &b, sizeof(T));
    }
    const properties::CaseVerdict v = properties::Check(k, c);
    ++r.cases;
    r.worst_ratio = std::max(r.worst_ratio, v.worst_ratio);
    std::vector<Finding> hits = properties::Unexpected(k, v.findings);
    if (!hits.empty()) {
      // Bit patterns do not shrink like RapidCheck's rows; one greedy pass
      // dropping elements that are not needed for the failure goes a long
      // way (n <= 64, so at most 64 more checks).
      for (size_t j = c.x.size(); j-- > 0 && c.x.size() > 1;) {
        properties::Case<T> smaller = c;
        smaller.x.erase(smaller.x.begin() + static_cast<std::ptrdiff_t>(j));
        std::vector<Finding> again =
            properties::Unexpected(k, properties::Check(k, smaller).findings);
        if (!again.empty()) {
          c = std::move(smaller);
          hits = std::move(again);
        }
      }
      r.status = Status::kFail;
      r.clause = ClauseName(hits.front().clause);
      r.message = hits.front().what;
      r.details = fmt::format("row {} of the burst, shrunk to n = {}:\n{}", i, c.x.size(),
                              properties::FormatRow(c.x));
      r.reproduce = properties::EvalCommand(k, c.x, T(1));
      break;
    }
  }
  return r;
}

// Runs a property in batches (successive seeds while its share of a time
// budget lasts, else once) and turns the outcome into the result: PASS/FAIL,
// or XFAIL/XPASS when `expected` (a declared failure the run looks for) is
// set. run_batch(seed, cases) runs one batch; cases 0 means the defaults.
template <typename RunBatch>
void Conclude(PropertyResult* r, const GateOptions& o, size_t task_count,
              const std::string* expected_why, const std::string& expected_clause,
              RunBatch run_batch) {
  const double share = o.budget_s > 0 ? o.budget_s / static_cast<double>(task_count) : 0;
  const auto start = std::chrono::steady_clock::now();
  properties::RunOutcome out;
  uint64_t seed = o.seed;
  for (int batch = 1;; ++batch) {
    const int cases = share > 0 ? (o.cases > 0 ? o.cases : 20) : o.cases;
    properties::RunOutcome b = run_batch(seed, cases);
    out.cases += b.cases;
    out.worst_ratio = std::max(out.worst_ratio, b.worst_ratio);
    if (b.falsified || b.trouble) {
      b.cases = out.cases;
      b.worst_ratio = out.worst_ratio;
      out = b;
      break;
    }
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (share <= 0 || spent >= share) break;
    seed = o.seed + static_cast<uint64_t>(batch) * 0x9e3779b97f4a7c15ULL;
  }
  r->cases = out.cases;
  r->worst_ratio = out.worst_ratio;
  if (out.trouble) {
    r->status = Status::kFail;
    r->message = "RapidCheck could not run the property (gave up generating cases)";
    r->details = out.report;
  } else if (expected_why) {
    r->status = out.falsified ? Status::kExpectedFail : Status::kUnexpectedPass;
    r->clause = expected_clause;
    r->message = out.falsified
                     ? fmt::format("declared: {}", *expected_why)
                     : fmt::format("declared to fail ({}) but held on {} cases: the "
                                   "suite can no longer see it", *expected_why, out.cases);
    r->details = out.falsified ? out.report : "";
  } else {
    r->status = out.falsified ? Status::kFail : Status::kPass;
    r->message = out.falsified ? Headline(out.report) : "";
    r->details = out.falsified ? out.report : "";
  }
  if (out.falsified) {
    r->reproduce = FirstLineWith(out.report, "softcheck eval");
    r->rc_params = out.reproduce;
  }
}

template <typename T>
PropertyResult RunTask(const SoftmaxKernel& k, const Target& t, const Task& task,
                       const GateOptions& o) {
  if (task.burst) return RunBurst<T>(k, t, task, o);
  PropertyResult r = Blank(t, task);
  const properties::PropertyInfo& info = properties::Info(task.property);
  if (task.property == Property::kTemperature && !t.claims.takes_temperature) {
    r.status = Status::kSkipped;
    r.message = "the C ABI takes no temperature";
    return r;
  }
  properties::RunSettings s = properties::DefaultSettings(task.property, properties::DeepRun());
  for (const char* ref : {"maxshift", "highway"})
    if (const SoftmaxKernel* rk = FindSoftmaxKernel(ref)) s.check.references.push_back(rk);
  // A property that is where a declared expected failure shows (PropertyFor)
  // runs looking for it: finding it is XFAIL, not finding it XPASS.
  const ExpectedFailure* expected = nullptr;
  for (const ExpectedFailure& e : t.claims.expected_failures)
    if (properties::PropertyFor(e.clause) == task.property) expected = &e;
  if (expected) s.declared = expected->clause;
  const std::string id = fmt::format("softcheck/{}/{}/{}", t.name,
                                     LaneTypeName<T>(), info.name);
  const int default_cases = s.cases;
  Conclude(&r, o, Plan(t.kind).size(), expected ? &expected->why : nullptr,
           expected ? ClauseName(expected->clause) : "", [&](uint64_t seed, int cases) {
             s.seed = seed;
             s.cases = cases > 0 ? cases : default_cases;
             return properties::RunProperty<T>(k, task.property, s, id);
           });
  return r;
}

// ---- attention ---------------------------------------------------------------

// Problems of random bit patterns: small random shapes, every value a random
// float, a random mask (or none), causal mode and scale. A failure is shrunk
// greedily: dropping query rows, then keys, while it still fails.
PropertyResult RunAttentionBurst(const AttentionKernel& k, const Target& t, const Task& task,
                                 const GateOptions& o) {
  PropertyResult r = Blank(t, task);
  std::mt19937_64 rng(o.seed ^ 0xa77e7710bULL);
  auto bits = [&rng] {
    const uint32_t b = static_cast<uint32_t>(rng());
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  };
  auto check = [&k](const AttentionCase& c) {
    properties::AttentionPropertyCase pc;
    pc.property = properties::AttentionPropertyFor(Clause::kAccuracy);
    pc.problem = c;
    return properties::Unexpected(k, properties::CheckAttention(k, pc).findings);
  };
  const int problems = o.cases > 0 ? o.cases : kAttentionBurstProblems;
  for (int i = 0; i < problems; ++i) {
    AttentionCase c;
    c.n_q = rng() % 9;
    c.n_kv = rng() % 9;
    c.d = rng() % 9;
    c.d_v = rng() % 9;
    c.causal = static_cast<int>(rng() % 3);
    // Mostly ordinary scales; sometimes a random bit pattern.
    c.scale = rng() % 4 == 0 ? bits() : (c.d ? 1.0f / std::sqrt(static_cast<float>(c.d)) : 1.0f);
    c.q.resize(c.n_q * c.d);
    c.k.resize(c.n_kv * c.d);
    c.v.resize(c.n_kv * c.d_v);
    for (auto* m : {&c.q, &c.k, &c.v})
      for (float& x : *m) x = bits();
    if (rng() % 2) {
      c.mask.resize(c.n_q * c.n_kv);
      for (float& x : c.mask) x = rng() % 3 == 0 ? -INFINITY : bits();
    }
    std::vector<AttentionFinding> hits = check(c);
    ++r.cases;
    if (hits.empty()) continue;
    // Shrink: drop one query row or one key while the failure stays.
    for (bool smaller = true; smaller;) {
      smaller = false;
      for (size_t i2 = c.n_q; i2-- > 0 && c.n_q > 1;) {
        AttentionCase s = c;
        s.q.erase(s.q.begin() + static_cast<std::ptrdiff_t>(i2 * c.d),
                  s.q.begin() + static_cast<std::ptrdiff_t>((i2 + 1) * c.d));
        if (!s.mask.empty())
          s.mask.erase(s.mask.begin() + static_cast<std::ptrdiff_t>(i2 * c.n_kv),
                       s.mask.begin() + static_cast<std::ptrdiff_t>((i2 + 1) * c.n_kv));
        --s.n_q;
        std::vector<AttentionFinding> again = check(s);
        if (!again.empty()) {
          c = std::move(s);
          hits = std::move(again);
          smaller = true;
        }
      }
      for (size_t j = c.n_kv; j-- > 0 && c.n_kv > 1;) {
        AttentionCase s = c;
        s.k.erase(s.k.begin() + static_cast<std::ptrdiff_t>(j * c.d),
                  s.k.begin() + static_cast<std::ptrdiff_t>((j + 1) * c.d));
        s.v.erase(s.v.begin() + static_cast<std::ptrdiff_t>(j * c.d_v),
                  s.v.begin() + static_cast<std::ptrdiff_t>((j + 1) * c.d_v));
        if (!s.mask.empty())
          for (size_t q = c.n_q; q-- > 0;)
            s.mask.erase(s.mask.begin() + static_cast<std::ptrdiff_t>(q * c.n_kv + j));
        --s.n_kv;
        std::vector<AttentionFinding> again = check(s);
        if (!again.empty()) {
          c = std::move(s);
          hits = std::move(again);
          smaller = true;
        }
      }
    }
    r.status = Status::kFail;
    r.clause = ClauseName(hits.front().clause);
    r.message = hits.front().what;
    r.details = fmt::format("problem {} of the burst, shrunk to {}x{}x{}x{}:\n{}", i, c.n_q,
                            c.n_kv, c.d, c.d_v, properties::FormatAttentionCase(c));
    r.reproduce = properties::AttentionEvalCommand(t.selector, c);
    break;
  }
  return r;
}

PropertyResult RunAttentionTask(const AttentionKernel& k, const Target& t, const Task& task,
                                const GateOptions& o) {
  if (task.burst) return RunAttentionBurst(k, t, task, o);
  PropertyResult r = Blank(t, task);
  const properties::AttentionPropertyInfo& info = properties::Info(task.attention_property);
  std::vector<const AttentionKernel*> references;
  for (const char* ref : {"maxshift", "highway"})
    if (const AttentionKernel* rk = FindAttentionKernel(ref)) references.push_back(rk);
  if (!properties::AttentionPropertyApplies(k, task.attention_property, references)) {
    r.status = Status::kSkipped;
    r.message = k.blocked ? "no reference kernel to compare with"
                          : "the kernel exposes no block sizes (the C ABI has none)";
    return r;
  }
  properties::AttentionRunSettings s =
      properties::DefaultAttentionSettings(task.attention_property, properties::DeepRun());
  s.check.references = references;
  const AttentionExpectedFailure* expected = nullptr;
  for (const AttentionExpectedFailure& e : t.attention_claims.expected_failures)
    if (properties::AttentionPropertyFor(e.clause) == task.attention_property) expected = &e;
  if (expected) s.declared = expected->clause;
  const std::string id = fmt::format("softcheck/{}/attention-f32/{}", t.name, info.name);
  const int default_cases = s.cases;
  Conclude(&r, o, Plan(t.kind).size(), expected ? &expected->why : nullptr,
           expected ? ClauseName(expected->clause) : "", [&](uint64_t seed, int cases) {
             s.seed = seed;
             s.cases = cases > 0 ? cases : default_cases;
             return properties::RunAttentionProperty(k, task.attention_property, s, id);
           });
  return r;
}

// Runs tasks [from, end) and emits each result; the worker's whole life.
int WorkerMain(const Target& t, const std::vector<Task>& tasks, size_t from,
               const GateOptions& o, Recorder* rec,
               const std::function<void(const std::string&)>& emit) {
  g_recorder = rec;
  InstallFaultHandlers(rec);
  const std::string trouble = LoadInWorker(t, rec);
  if (!trouble.empty()) {
    emit(json{{"trouble", trouble}}.dump());
    return kWorkerTrouble;
  }
  const SoftmaxKernel k = t.Attention() ? SoftmaxKernel{} : WorkerKernel(t);
  const AttentionKernel ak = t.Attention() ? WorkerAttentionKernel(t) : AttentionKernel{};
  for (size_t i = from; i < tasks.size(); ++i) {
    rec->task = static_cast<int32_t>(i);
    NoteProgress(rec);
    const uint64_t elements0 = g_elements, evals0 = oracle::RowsEvaluated();
    const auto t0 = std::chrono::steady_clock::now();
    PropertyResult r = t.Attention()                     ? RunAttentionTask(ak, t, tasks[i], o)
                       : t.kind == KernelKind::kSoftmaxF32 ? RunTask<float>(k, t, tasks[i], o)
                                                           : RunTask<double>(k, t, tasks[i], o);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.elements = g_elements - elements0;
    r.oracle_evals = oracle::RowsEvaluated() - evals0;
    emit(ToJson(r, i).dump());
  }
  return 0;
}



// The result of the task a worker was running when it died or hung.
PropertyResult Casualty(const Target& t, const Task& task, const WorkerEnd& end,
                        const Recorder& rec, double seconds) {
  PropertyResult r = Blank(t, task);
  r.seconds = seconds;
  if (t.Attention()) {
    AttentionCase c;
    const bool whole = rec.op == 1 && rec.Attention(&c);
    const std::string shape = fmt::format("n_q = {}, n_kv = {}, d = {}, d_v = {}", rec.n_q,
                                          rec.n_kv, rec.d, rec.d_v);
    if (end.kind == WorkerEnd::kHung) {
      r.status = Status::kHang;
      r.message = fmt::format("a call ({}) did not return within the timeout", shape);
    } else {
      r.status = Status::kCrash;
      const int sig = end.kind == WorkerEnd::kSignaled ? end.code : 0;
      const std::string where = rec.fault_signal ? rec.Where(rec.fault_addr) : "";
      r.message = sig ? fmt::format("{}{} on a call with {}", gate::SignalName(sig),
                                    where.empty() ? "" : " (" + where + ")", shape)
                      : fmt::format("the worker exited with status {}", end.code);
      if (end.lost_pipe >= 0)
        r.message = gate::LostPipeText(end.lost_pipe) + fmt::format(" (a call with {})", shape);
      else if (!end.in_call)
        r.message += " -- outside the kernel: a softcheck bug, please report it";
    }
    if (whole) {
      r.details = "input:\n" + properties::FormatAttentionCase(c);
      if (end.in_call) r.reproduce = properties::AttentionEvalCommand(t.selector, c);
    } else {
      r.details = fmt::format("input too large to record ({})", shape);
    }
    return r;
  }
  const std::vector<double> row = rec.Row();
  const uint64_t n = rec.n;
  std::string where;
  if (end.kind == WorkerEnd::kHung) {
    r.status = Status::kHang;
    r.message = fmt::format("a call on a row of n = {} did not return within the timeout", n);
  } else {
    r.status = Status::kCrash;
    const int sig = end.kind == WorkerEnd::kSignaled ? end.code : 0;
    where = rec.fault_signal ? rec.Where(rec.fault_addr) : "";
    r.message = sig ? fmt::format("{}{} on a row of n = {}{}", gate::SignalName(sig),
                                  where.empty() ? "" : " (" + where + ")", n,
                                  rec.in_place ? ", in place" : "")
                    : fmt::format("the worker exited with status {}", end.code);
    if (end.lost_pipe >= 0)
      r.message = gate::LostPipeText(end.lost_pipe) + fmt::format(" (a row of n = {})", n);
    else if (!end.in_call)
      r.message += " -- outside the kernel: a softcheck bug, please report it";
  }
  std::string values;
  const size_t shown = std::min<size_t>(row.size(), 64);
  for (size_t i = 0; i < shown; ++i) {
    // The recorded bits themselves, in FormatHex (not {:a}): a NaN's
    // payload and sign must replay too (widening to double would quiet a
    // signalling NaN).
    values += ' ';
    if (t.kind == KernelKind::kSoftmaxF32) {
      float v;
      std::memcpy(&v, rec.row + 4 * i, 4);
      values += FormatHex(v);
    } else {
      double v;
      std::memcpy(&v, rec.row + 8 * i, 8);
      values += FormatHex(v);
    }
  }
  r.details = fmt::format("input (n = {}{}):{}{}", n,
                          rec.in_place ? ", in place" : "", values,
                          row.size() > shown ? " ..." : "");
  if (n <= 64 && end.in_call)
    r.reproduce = fmt::format("softcheck eval {} --{}", t.selector, values);
  return r;
}

GateResult RunGate(const Target& t, const GateOptions& o, std::string* trouble) {
  properties::QuietRapidCheck();
  GateResult result;
  result.seed = o.seed;
  result.kind = t.Attention()                        ? "attention-f32"
                : t.kind == KernelKind::kSoftmaxF64 ? "softmax-f64"
                                                    : "softmax-f32";
  const std::vector<Task> tasks = Plan(t.kind);
  std::vector<PropertyResult> results(tasks.size());
  std::vector<bool> done(tasks.size(), false);
  Recorder* rec = MapRecorder();
  const auto t0 = std::chrono::steady_clock::now();
  size_t start = 0;
  std::string worker_trouble;
  auto progress = [&](size_t i) {
    if (o.progress)
      std::fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s", i + 1, tasks.size(),
                   t.name.c_str(), Blank(t, tasks[i]).property.c_str());
  };
  while (start < tasks.size()) {
    auto task_started = std::chrono::steady_clock::now();
    auto on_line = [&](const std::string& line) {
      const json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) return;
      if (j.contains("trouble")) {
        worker_trouble = j["trouble"].get<std::string>();
        return;
      }
      const size_t i = j.at("task");
      results[i] = Blank(t, tasks[i]);
      FromJson(j, &results[i]);
      done[i] = true;
      task_started = std::chrono::steady_clock::now();
      if (i + 1 < tasks.size()) progress(i + 1);
    };
    progress(start);
    WorkerEnd end;
    if (o.isolate) {
      end = Supervise(rec, o.timeout_s,
                      [&](int fd) {
                        return WorkerMain(t, tasks, start, o, rec,
                                          [fd](const std::string& l) { WriteLine(fd, l); });
                      },
                      on_line);
    } else {
      end.code = WorkerMain(t, tasks, start, o, rec, on_line);
    }
    if (!worker_trouble.empty()) {
      *trouble = worker_trouble;
      break;
    }
    if (end.kind == WorkerEnd::kInterrupted) {
      // Keep what finished; the rest is listed as not run.
      result.interrupted = end.code;
      for (size_t i = 0; i < tasks.size(); ++i) {
        if (done[i]) continue;
        results[i] = Blank(t, tasks[i]);
        results[i].status = Status::kSkipped;
        results[i].message = fmt::format("{} ({})", gate::kInterruptedNotRun, gate::SignalName(end.code));
      }
      break;
    }
    if (end.kind == WorkerEnd::kHung && end.in_load) {
      *trouble = fmt::format("'{}' did not finish loading within {} s", t.lib, o.timeout_s);
      break;
    }
    size_t next = start;
    while (next < tasks.size() && done[next]) ++next;
    if (next == tasks.size()) break;
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - task_started).count();
    results[next] = Casualty(t, tasks[next], end, *rec, spent);
    done[next] = true;
    start = next + 1;
  }
  if (o.progress) std::fprintf(stderr, "\r\033[K");
  UnmapRecorder(rec);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (trouble->empty()) result.results = std::move(results);
  return result;
}

}  // namespace

const char* StatusName(Status s) {
  switch (s) {
    case Status::kPass: return "PASS";
    case Status::kFail: return "FAIL";
    case Status::kExpectedFail: return "XFAIL";
    case Status::kUnexpectedPass: return "XPASS";
    case Status::kCrash: return "CRASH";
    case Status::kHang: return "HANG";
    case Status::kSkipped: return "SKIP";
  }
  return "?";
}

bool StatusFails(Status s) {
  return s == Status::kFail || s == Status::kUnexpectedPass ||
         s == Status::kCrash || s == Status::kHang;
}

int GateResult::NotRun() const {
  int k = 0;
  for (const PropertyResult& r : results) k += r.message.rfind(gate::kInterruptedNotRun, 0) == 0;
  return k;
}

bool GateResult::Ok() const {
  if (interrupted) return false;
  for (const PropertyResult& r : results)
    if (StatusFails(r.status)) return false;
  return !results.empty();
}

int GateResult::Cases() const {
  int k = 0;
  for (const PropertyResult& r : results) k += r.cases;
  return k;
}

uint64_t GateResult::Elements() const {
  uint64_t k = 0;
  for (const PropertyResult& r : results) k += r.elements;
  return k;
}

uint64_t GateResult::OracleEvals() const {
  uint64_t k = 0;
  for (const PropertyResult& r : results) k += r.oracle_evals;
  return k;
}

std::string GateResult::Summary() const { return HumanReport({*this}); }

bool ParseKernelKind(const std::string& text, KernelKind* kind) {
  if (text == "softmax-f32") *kind = KernelKind::kSoftmaxF32;
  else if (text == "softmax-f64") *kind = KernelKind::kSoftmaxF64;
  else if (text == "attention-f32") *kind = KernelKind::kAttentionF32;
  else return false;
  return true;
}

namespace {

Claims UserClaims(const GateOptions& o) {
  Claims c;
  c.exp_ulp = o.exp_ulp;
  c.rule_slack = o.slack;
  c.sequential_sum = o.sequential_sum;
  c.fully_masked = o.fully_masked;
  c.non_finite = o.non_finite;
  c.takes_temperature = false;
  return c;
}

AttentionClaims UserAttentionClaims(const GateOptions& o) {
  AttentionClaims c;
  c.exp_ulp = o.exp_ulp;
  c.rule_slack = o.slack;
  c.fully_masked = o.fully_masked;
  c.non_finite = o.non_finite;
  return c;
}

const char* KindName(KernelKind k) {
  switch (k) {
    case KernelKind::kSoftmaxF32: return "softmax-f32";
    case KernelKind::kSoftmaxF64: return "softmax-f64";
    case KernelKind::kAttentionF32: return "attention-f32";
  }
  return "?";
}

}  // namespace

namespace {

// A user's function pointer, in process: the worker forked by RunGate
// inherits it, so isolation needs no library.
GateResult CheckUserFunction(UserSoftmaxF32 f32, UserSoftmaxF64 f64,
                             const GateOptions& options, const std::string& name) {
  Target t;
  t.name = name;
  t.selector = "--impl " + name;
  t.kind = f32 ? KernelKind::kSoftmaxF32 : KernelKind::kSoftmaxF64;
  t.claims = UserClaims(options);
  t.user32 = f32;
  t.user64 = f64;
  std::string trouble;
  return RunGate(t, options, &trouble);
}

}  // namespace

GateResult CheckSoftmax(UserSoftmaxF32 fn, const GateOptions& options,
                        const std::string& name) {
  return CheckUserFunction(fn, nullptr, options, name);
}

GateResult CheckSoftmax(UserSoftmaxF64 fn, const GateOptions& options,
                        const std::string& name) {
  return CheckUserFunction(nullptr, fn, options, name);
}

GateResult CheckAttention(AttentionF32 fn, const GateOptions& options,
                          const std::string& name) {
  Target t;
  t.name = name;
  t.selector = "--impl " + name;
  t.kind = KernelKind::kAttentionF32;
  t.attention_claims = UserAttentionClaims(options);
  t.user_attention = fn;
  std::string trouble;
  return RunGate(t, options, &trouble);
}

GateResult CheckBuiltin(const AttentionKernel& k, const GateOptions& options) {
  Target t;
  t.name = k.name;
  t.kind = KernelKind::kAttentionF32;
  t.selector = "--impl " + k.name;
  t.attention_claims = k.claims;
  t.attention_builtin = &k;
  std::string trouble;
  return RunGate(t, options, &trouble);
}

GateResult CheckBuiltin(const SoftmaxKernel& k, const GateOptions& options,
                        KernelKind kind) {
  Target t;
  t.name = k.name;
  t.kind = kind;
  t.selector = fmt::format("--impl {} --type {}", k.name,
                           kind == KernelKind::kSoftmaxF32 ? "f32" : "f64");
  t.claims = k.claims;
  t.builtin = &k;
  std::string trouble;
  return RunGate(t, options, &trouble);
}

std::string LibraryPath(const std::string& path) {
  // dlopen searches the library path for a name without a slash: the file
  // checked must be the file loaded, so such a name is taken as ./name.
  return path.find('/') == std::string::npos ? "./" + path : path;
}

std::string ProbeLibrary(const std::string& user_path, const std::string& symbol,
                         double timeout_s) {
  const std::string path = LibraryPath(user_path);
  if (access(path.c_str(), R_OK) != 0)
    return fmt::format("cannot read library '{}': {}", user_path, std::strerror(errno));
  Recorder* rec = MapRecorder();
  std::string reason;
  bool answered = false;
  const WorkerEnd end = Supervise(
      rec, timeout_s,
      [&](int fd) {
        Target t;
        t.lib = path;
        t.symbol = symbol;
        const std::string why = LoadInWorker(t, rec);
        WriteLine(fd, why.empty() ? "ok" : why);
        return 0;
      },
      [&](const std::string& line) {
        answered = true;
        reason = line == "ok" ? "" : line;
      });
  UnmapRecorder(rec);
  if (end.kind == WorkerEnd::kInterrupted)
    return fmt::format("interrupted ({}) while loading '{}'", gate::SignalName(end.code), user_path);
  if (end.kind == WorkerEnd::kHung)
    return fmt::format("'{}' did not finish loading within {} s (a constructor hangs?)",
                       user_path, timeout_s);
  if (end.kind == WorkerEnd::kSignaled)
    return fmt::format("'{}' crashed while loading ({})", user_path, gate::SignalName(end.code));
  if (end.kind == WorkerEnd::kExited && end.code != 0)
    return fmt::format("'{}' exited with status {} while loading", user_path, end.code);
  // A constructor that calls exit(0), or closes the worker's pipe, ends the
  // load without a word: that is trouble with the library too.
  if (!answered)
    return fmt::format("'{}' ended the process while loading (status 0, no answer)",
                       user_path);
  return reason;
}

namespace {

// Bit patterns travel between processes as integers: NaN payloads and -0
// survive the JSON.
template <typename T>
json BitsOf(const std::vector<T>& values) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  json bits = json::array();
  for (T v : values) {
    Bits b;
    std::memcpy(&b, &v, sizeof(T));
    bits.push_back(b);
  }
  return bits;
}

template <typename T>
void AppendBits(const json& bits, std::vector<T>* out) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  for (const json& b : bits) {
    const Bits u = b.get<Bits>();
    T v;
    std::memcpy(&v, &u, sizeof(T));
    out->push_back(v);
  }
}

// Runs `call` once in a supervised worker that has loaded t's library; the
// worker sends back {"out": bits} (or {"trouble": why}). Returns "" or one
// line saying how the call failed (a hang, a crash and where it faulted).
std::string RunOnceIsolated(const Target& t, double timeout_s,
                            const std::function<json(Recorder*)>& call,
                            const std::function<void(const json&)>& on_out,
                            std::string* trouble) {
  Recorder* rec = MapRecorder();
  bool got = false;
  const WorkerEnd end = Supervise(
      rec, timeout_s,
      [&](int fd) {
        g_recorder = rec;
        InstallFaultHandlers(rec);
        const std::string why = LoadInWorker(t, rec);
        if (!why.empty()) {
          WriteLine(fd, json{{"trouble", why}}.dump());
          return kWorkerTrouble;
        }
        WriteLine(fd, json{{"out", call(rec)}}.dump());
        return 0;
      },
      [&](const std::string& line) {
        const json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) return;
        if (j.contains("trouble")) *trouble = j["trouble"].get<std::string>();
        if (!j.contains("out")) return;
        on_out(j["out"]);
        got = true;
      });
  std::string failure;
  if (end.kind == WorkerEnd::kInterrupted) {
    failure = fmt::format("INTERRUPTED: softcheck got {}", gate::SignalName(end.code));
  } else if (end.kind == WorkerEnd::kHung && end.in_load) {
    *trouble = fmt::format("'{}' did not finish loading within {} s", t.lib, timeout_s);
  } else if (end.kind == WorkerEnd::kHung) {
    failure = fmt::format("HANG: the call did not return within {} s", timeout_s);
  } else if (end.kind == WorkerEnd::kSignaled) {
    const std::string where = rec->fault_signal ? rec->Where(rec->fault_addr) : "";
    failure = fmt::format("CRASH: {}{}", gate::SignalName(end.code),
                          where.empty() ? "" : " (" + where + ")");
  } else if (end.code != 0 && trouble->empty()) {
    failure = fmt::format("CRASH: the kernel exited the process with status {}", end.code);
  } else if (!got && trouble->empty()) {
    failure = "CRASH: the worker ended without a result";
  }
  UnmapRecorder(rec);
  return failure;
}

}  // namespace

std::string RunLibraryOnce(const std::string& path, const std::string& symbol,
                           KernelKind kind, const std::vector<double>& x,
                           double timeout_s, std::vector<double>* y,
                           std::string* trouble) {
  *trouble = ProbeLibrary(path, symbol, timeout_s);
  if (!trouble->empty()) return "";
  Target t;
  t.kind = kind;
  t.lib = LibraryPath(path);
  t.symbol = symbol;
  y->clear();
  const bool f32 = kind == KernelKind::kSoftmaxF32;
  return RunOnceIsolated(
      t, timeout_s,
      [&](Recorder* rec) {
        if (f32) {
          std::vector<float> xs(x.begin(), x.end()), ys(x.size());
          GuardedCall<float>(rec, g_user32, xs.data(), ys.data(), xs.size(), 1.0);
          return BitsOf(ys);
        }
        std::vector<double> ys(x.size());
        GuardedCall<double>(rec, g_user64, x.data(), ys.data(), x.size(), 1.0);
        return BitsOf(ys);
      },
      [&](const json& bits) {
        if (!f32) return AppendBits(bits, y);
        std::vector<float> ys;
        AppendBits(bits, &ys);
        y->assign(ys.begin(), ys.end());
      },
      trouble);
}

std::string RunAttentionLibraryOnce(const std::string& path, const std::string& symbol,
                                    const AttentionCase& c, double timeout_s,
                                    std::vector<float>* out, std::string* trouble) {
  *trouble = ProbeLibrary(path, symbol, timeout_s);
  if (!trouble->empty()) return "";
  Target t;
  t.kind = KernelKind::kAttentionF32;
  t.lib = LibraryPath(path);
  t.symbol = symbol;
  out->assign(c.n_q * c.d_v, 0.0f);
  return RunOnceIsolated(
      t, timeout_s,
      [&](Recorder* rec) {
        // NaN as the poison: a kernel that leaves an element unwritten shows.
        std::vector<float> o(c.n_q * c.d_v, std::numeric_limits<float>::quiet_NaN());
        const AttentionF32 f = g_user_attention;
        gate::GuardedAttentionCall(
            rec, [f](const AttentionProblem& p, float* dst) { RunAttention(f, p, dst); },
            c.View(), o.data());
        return BitsOf(o);
      },
      [&](const json& bits) {
        out->clear();
        AppendBits(bits, out);
      },
      trouble);
}

GateResult CheckLibrary(const std::string& path, const std::string& symbol,
                        KernelKind kind, const GateOptions& options,
                        std::string* trouble) {
  *trouble = ProbeLibrary(path, symbol, options.timeout_s);
  if (!trouble->empty()) return {};
  Target t;
  t.name = symbol;
  t.selector = fmt::format("--lib {} --symbol {} --kind {}", path, symbol, KindName(kind));
  t.kind = kind;
  t.claims = UserClaims(options);
  t.attention_claims = UserAttentionClaims(options);
  t.lib = LibraryPath(path);
  t.symbol = symbol;
  return RunGate(t, options, trouble);
}

}  // namespace softcheck
