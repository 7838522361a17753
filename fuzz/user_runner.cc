// softcheck-fuzz-runner: the libFuzzer target behind `softcheck fuzz`, which
// drives a user's kernel from a shared library through the same decode ->
// run -> oracle -> verdict steps as the built-in targets (fuzz/targets.h).
// `softcheck fuzz` starts it as a child process and passes the kernel in the
// environment:
//   SOFTCHECK_FUZZ_LIB     the shared library
//   SOFTCHECK_FUZZ_SYMBOL  the function
//   SOFTCHECK_FUZZ_KIND    softmax-f32 | softmax-f64 | attention-f32
// Softmax rows reach the kernel through the gate's GuardedCall
// (gate/isolation.h): x and y end at a PROT_NONE page (the lower guard on
// alternate calls) and x is read-only, so a stray read or write of an
// uninstrumented kernel faults at once, and libFuzzer saves the input.
// Attention problems through GuardedAttentionCall, likewise. A user's kernel
// declares no expected failures and takes no temperature.
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz/targets.h"
#include "gate/isolation.h"

namespace {

using namespace softcheck;

gate::Recorder* g_recorder = nullptr;
void* g_fn = nullptr;
std::string g_kind;

template <typename T>
void Guarded(const T* x, T* y, size_t n, T) {
  gate::GuardedCall<T>(g_recorder, reinterpret_cast<gate::RowFn<T>>(g_fn), x, y, n, 1.0);
}

// Attention goes through the gate's GuardedAttentionCall: q, k, v and the
// mask read-only against guard pages, out against its own.
void Attention(const float* q, const float* k, const float* v, const float* mask, int causal,
               float scale, float* out, size_t n_q, size_t n_kv, size_t d, size_t d_v) {
  AttentionProblem p;
  p.q = q, p.k = k, p.v = v, p.mask = mask, p.causal = causal, p.scale = scale;
  p.n_q = n_q, p.n_kv = n_kv, p.d = d, p.d_v = d_v;
  gate::GuardedAttentionCall(
      g_recorder,
      [](const AttentionProblem& g, float* o) { RunAttention(reinterpret_cast<AttentionF32>(g_fn), g, o); },
      p, out);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "softcheck-fuzz-runner: %s\n", why.c_str());
  std::exit(2);
}

SoftmaxKernel g_softmax;
AttentionKernel g_attention;
std::string g_selector, g_attention_selector;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string lib = Env("SOFTCHECK_FUZZ_LIB"), symbol = Env("SOFTCHECK_FUZZ_SYMBOL");
  g_kind = Env("SOFTCHECK_FUZZ_KIND");
  if (lib.empty() || symbol.empty())
    Fail("set SOFTCHECK_FUZZ_LIB and SOFTCHECK_FUZZ_SYMBOL (softcheck fuzz does)");
  if (g_kind != "softmax-f32" && g_kind != "softmax-f64" && g_kind != "attention-f32")
    Fail("SOFTCHECK_FUZZ_KIND must be softmax-f32, softmax-f64 or attention-f32");
  void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) Fail(std::string("cannot load '") + lib + "': " + dlerror());
  g_fn = dlsym(h, symbol.c_str());
  if (!g_fn) Fail("symbol '" + symbol + "' not found in '" + lib + "'");
  // The words that name the kernel for eval (AttentionReplay adds the kind).
  g_attention_selector = "--lib " + lib + " --symbol " + symbol;
  g_selector = g_attention_selector + " --kind " + g_kind;
  g_recorder = gate::MapRecorder();
  g_softmax.name = g_attention.name = symbol;
  g_softmax.family = g_attention.family = "user";
  g_softmax.cli_selector = g_selector;
  g_softmax.claims.takes_temperature = false;
  g_softmax.f32 = &Guarded<float>;
  g_softmax.f64 = &Guarded<double>;
  g_attention.f32 = &Attention;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<const SoftmaxKernel*> softmax = {&g_softmax};
  static const std::vector<const AttentionKernel*> attention = {&g_attention};
  if (g_kind == "softmax-f32")
    fuzz::FuzzSoftmax<float>("softcheck fuzz", softmax, data, size, false);
  else if (g_kind == "softmax-f64")
    fuzz::FuzzSoftmax<double>("softcheck fuzz", softmax, data, size, false);
  else
    fuzz::FuzzAttention("softcheck fuzz", attention, {g_attention_selector}, data, size);
  return 0;
}
