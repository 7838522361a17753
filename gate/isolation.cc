#include "gate/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>

namespace softcheck::gate {
namespace {

// In a worker: its recorder (Supervise sets it after the fork), so that
// WriteLine can say the kernel closed the result pipe; the exit status it
// then ends with (the recorder's lost_pipe is what the supervisor reads).
Recorder* g_worker_recorder = nullptr;
constexpr int kLostPipeExit = 4;

size_t PageSize() {
  static const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return kPage;
}

// A mapping of `pages` accessible pages between two PROT_NONE guard pages.
struct Arena {
  unsigned char* base = nullptr;
  size_t pages = 0;
  unsigned char* Data() const { return base + PageSize(); }
  size_t DataBytes() const { return pages * PageSize(); }
};

Arena MapArena(size_t pages) {
  const size_t page = PageSize();
  void* p = mmap(nullptr, (pages + 2) * page, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap of a guarded buffer failed");
  Arena a{static_cast<unsigned char*>(p), pages};
  if (pages && mprotect(a.Data(), a.DataBytes(), PROT_READ | PROT_WRITE) != 0)
    throw std::runtime_error("mprotect of a guarded buffer failed");
  return a;
}

// Arenas are kept per page count, so each size is mapped and first touched
// once per worker: first touch costs about 11 us a page.
Arena& ArenaFor(std::map<size_t, Arena>& cache, size_t bytes) {
  const size_t pages = (bytes + PageSize() - 1) / PageSize();
  auto it = cache.find(pages);
  if (it == cache.end()) it = cache.emplace(pages, MapArena(pages)).first;
  return it->second;
}

std::map<size_t, Arena> g_x_arenas, g_y_arenas;
std::map<size_t, Arena> g_attention_arenas[kAttentionBuffers];
Recorder* g_fault_recorder = nullptr;

void OnFault(int sig, siginfo_t* info, void*) {
  if (g_fault_recorder) {
    g_fault_recorder->fault_signal = sig;
    g_fault_recorder->fault_addr = reinterpret_cast<uintptr_t>(info->si_addr);
  }
  // Die of the same signal, so the supervisor's waitpid sees what happened.
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

const char* FaultPlaceText(FaultPlace p) {
  switch (p) {
    case FaultPlace::kUnknown: return "";
    case FaultPlace::kBeforeInput: return "read before x[0]";
    case FaultPlace::kAfterInput: return "read past x[n-1]";
    case FaultPlace::kInput: return "wrote to its input x";
    case FaultPlace::kBeforeOutput: return "touched memory before y[0]";
    case FaultPlace::kAfterOutput: return "touched memory past y[n-1]";
  }
  return "";
}

FaultPlace Recorder::Place(uintptr_t addr) const {
  auto in = [addr](uintptr_t lo, uintptr_t hi) { return addr >= lo && addr < hi; };
  // Output first: in place, x and y are the same writable buffer.
  if (in(y_guard_lo[0], y_guard_hi[0])) return FaultPlace::kBeforeOutput;
  if (in(y_guard_lo[1], y_guard_hi[1])) return FaultPlace::kAfterOutput;
  if (in(x_guard_lo[0], x_guard_hi[0])) return FaultPlace::kBeforeInput;
  if (in(x_guard_lo[1], x_guard_hi[1])) return FaultPlace::kAfterInput;
  if (in(x_lo, x_hi)) return FaultPlace::kInput;
  return FaultPlace::kUnknown;
}

std::string Recorder::Where(uintptr_t addr) const {
  if (op != 1) return FaultPlaceText(Place(addr));
  static const char* const kName[kAttentionBuffers] = {"q", "k", "v", "mask", "out"};
  static const char* const kLast[kAttentionBuffers] = {"q[n_q*d-1]", "k[n_kv*d-1]",
                                                       "v[n_kv*d_v-1]", "mask[n_q*n_kv-1]",
                                                       "out[n_q*d_v-1]"};
  auto in = [addr](uintptr_t lo, uintptr_t hi) { return addr >= lo && addr < hi; };
  for (int b = 0; b < kAttentionBuffers; ++b) {
    const GuardedRegion& g = regions[b];
    const bool output = b == kBufOut;
    if (in(g.guard_lo[0], g.guard_hi[0]))
      return std::string(output ? "touched memory before " : "read before ") + kName[b] + "[0]";
    if (in(g.guard_lo[1], g.guard_hi[1]))
      return std::string(output ? "touched memory past " : "read past ") + kLast[b];
    if (!output && in(g.lo, g.hi)) return std::string("wrote to its input ") + kName[b];
  }
  return "";
}

bool Recorder::Attention(AttentionCase* c) const {
  c->n_q = n_q;
  c->n_kv = n_kv;
  c->d = d;
  c->d_v = d_v;
  c->causal = causal;
  c->scale = scale;
  const size_t sizes[4] = {n_q * d, n_kv * d, n_kv * d_v, has_mask ? n_q * n_kv : 0};
  size_t total = 0;
  for (size_t s : sizes) total += s;
  if (total * sizeof(float) > kRecorderRowBytes) return false;
  std::vector<float>* parts[4] = {&c->q, &c->k, &c->v, &c->mask};
  size_t at = 0;
  for (int b = 0; b < 4; ++b) {
    parts[b]->resize(sizes[b]);
    if (sizes[b]) std::memcpy(parts[b]->data(), row + at, sizes[b] * sizeof(float));
    at += sizes[b] * sizeof(float);
  }
  return true;
}

std::vector<double> Recorder::Row() const {
  const size_t cap = kRecorderRowBytes / (elem_size ? elem_size : 4);
  const size_t m = n < cap ? n : cap;
  std::vector<double> out(m);
  for (size_t i = 0; i < m; ++i) {
    if (elem_size == 4) {
      float f;
      std::memcpy(&f, row + 4 * i, 4);
      out[i] = f;
    } else {
      std::memcpy(&out[i], row + 8 * i, 8);
    }
  }
  return out;
}

Recorder* MapRecorder() {
  void* p = mmap(nullptr, sizeof(Recorder), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("mmap of the recorder failed");
  return static_cast<Recorder*>(p);  // anonymous memory is zeroed
}

void UnmapRecorder(Recorder* r) { munmap(r, sizeof(Recorder)); }

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void NoteProgress(Recorder* r) { r->progress_ns = MonotonicNs(); }

void InstallFaultHandlers(Recorder* r) {
  g_fault_recorder = r;
  static unsigned char alt_stack[1 << 16];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof(alt_stack);
  sigaltstack(&ss, nullptr);
  struct sigaction sa{};
  sa.sa_sigaction = OnFault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
    sigaction(sig, &sa, nullptr);
}

template <typename T>
void GuardedCall(Recorder* r, RowFn<T> f, const T* x, T* y, size_t n,
                 double temperature_for_record) {
  const size_t bytes = n * sizeof(T);
  const bool in_place = x == y;
  // Alternate calls put the row against the upper guard (catching reads and
  // writes past the end) or the lower one (before the start).
  const bool at_end = (r->calls & 1) == 0;
  Arena& ya = ArenaFor(g_y_arenas, bytes);
  T* gy = reinterpret_cast<T*>(at_end ? ya.Data() + ya.DataBytes() - bytes : ya.Data());
  if (n) std::memcpy(gy, y, bytes);  // the caller's poison, as it is
  const T* gx = gy;
  Arena* xa = nullptr;
  if (!in_place) {
    xa = &ArenaFor(g_x_arenas, bytes);
    T* px = reinterpret_cast<T*>(at_end ? xa->Data() + xa->DataBytes() - bytes
                                        : xa->Data());
    if (n) std::memcpy(px, x, bytes);
    if (xa->pages) mprotect(xa->Data(), xa->DataBytes(), PROT_READ);
    gx = px;
  } else if (n) {
    std::memcpy(gy, x, bytes);
  }

  const size_t page = PageSize();
  auto guards = [page](const Arena& a, uintptr_t lo[2], uintptr_t hi[2]) {
    const uintptr_t b = reinterpret_cast<uintptr_t>(a.base);
    lo[0] = b;
    hi[0] = b + page;
    lo[1] = b + page + a.DataBytes();
    hi[1] = lo[1] + page;
  };
  const Arena& xg = in_place ? ya : *xa;
  guards(xg, r->x_guard_lo, r->x_guard_hi);
  guards(ya, r->y_guard_lo, r->y_guard_hi);
  r->x_lo = in_place ? 0 : reinterpret_cast<uintptr_t>(xg.Data());
  r->x_hi = in_place ? 0 : r->x_lo + xg.DataBytes();
  r->op = 0;
  r->elem_size = sizeof(T);
  r->in_place = in_place;
  r->n = n;
  r->temperature = temperature_for_record;
  if (n) std::memcpy(r->row, x, bytes < kRecorderRowBytes ? bytes : kRecorderRowBytes);
  r->calls = r->calls + 1;
  r->call_started_ns = MonotonicNs();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  r->in_call = 1;
  f(gx, gy, n);
  r->in_call = 0;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  r->progress_ns = MonotonicNs();

  if (xa && xa->pages) mprotect(xa->Data(), xa->DataBytes(), PROT_READ | PROT_WRITE);
  if (n) std::memcpy(y, gy, bytes);
}

void GuardedAttentionCall(
    Recorder* r, const std::function<void(const AttentionProblem&, float*)>& call,
    const AttentionProblem& p, float* out) {
  const bool at_end = (r->calls & 1) == 0;
  const float* src[kAttentionBuffers] = {p.q, p.k, p.v, p.mask, out};
  const size_t count[kAttentionBuffers] = {p.n_q * p.d, p.n_kv * p.d, p.n_kv * p.d_v,
                                           p.mask ? p.n_q * p.n_kv : 0, p.n_q * p.d_v};
  float* guarded[kAttentionBuffers] = {};
  Arena* arenas[kAttentionBuffers] = {};
  const size_t page = PageSize();
  size_t recorded = 0;
  for (int b = 0; b < kAttentionBuffers; ++b) {
    GuardedRegion& g = r->regions[b];
    g = GuardedRegion{};
    if (src[b] == nullptr) continue;  // null stays null (no mask, n_kv = 0)
    const size_t bytes = count[b] * sizeof(float);
    Arena& a = ArenaFor(g_attention_arenas[b], bytes);
    arenas[b] = &a;
    unsigned char* at = at_end ? a.Data() + a.DataBytes() - bytes : a.Data();
    guarded[b] = reinterpret_cast<float*>(at);
    if (bytes) std::memcpy(at, src[b], bytes);
    const uintptr_t base = reinterpret_cast<uintptr_t>(a.base);
    g.guard_lo[0] = base;
    g.guard_hi[0] = base + page;
    g.lo = base + page;
    g.hi = g.lo + a.DataBytes();
    g.guard_lo[1] = g.hi;
    g.guard_hi[1] = g.hi + page;
    if (b != kBufOut) {
      if (recorded + bytes <= kRecorderRowBytes && bytes)
        std::memcpy(r->row + recorded, src[b], bytes);
      recorded += bytes;
      if (a.pages) mprotect(a.Data(), a.DataBytes(), PROT_READ);
    }
  }
  AttentionProblem gp = p;
  gp.q = guarded[kBufQ];
  gp.k = guarded[kBufK];
  gp.v = guarded[kBufV];
  gp.mask = guarded[kBufMask];
  r->op = 1;
  r->elem_size = 4;
  r->in_place = 0;
  r->n = p.n_q * p.d_v;
  r->n_q = p.n_q;
  r->n_kv = p.n_kv;
  r->d = p.d;
  r->d_v = p.d_v;
  r->causal = p.causal;
  r->scale = p.scale;
  r->has_mask = p.mask != nullptr;
  r->calls = r->calls + 1;
  r->call_started_ns = MonotonicNs();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  r->in_call = 1;
  call(gp, guarded[kBufOut]);
  r->in_call = 0;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  r->progress_ns = MonotonicNs();
  for (int b = 0; b < kBufOut; ++b)
    if (arenas[b] && arenas[b]->pages)
      mprotect(arenas[b]->Data(), arenas[b]->DataBytes(), PROT_READ | PROT_WRITE);
  if (out && count[kBufOut]) std::memcpy(out, guarded[kBufOut], count[kBufOut] * sizeof(float));
}

template void GuardedCall<float>(Recorder*, RowFn<float>, const float*, float*,
                                 size_t, double);
template void GuardedCall<double>(Recorder*, RowFn<double>, const double*,
                                  double*, size_t, double);

void WriteLine(int fd, const std::string& line) {
  std::string s = line + "\n";
  const char* p = s.data();
  size_t left = s.size();
  while (left) {
    const ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EBADF && g_worker_recorder != nullptr) {
        // The kernel closed the pipe: say so through the recorder, and end
        // here, since no result can reach the supervisor any more.
        g_worker_recorder->lost_pipe = fd + 1;
        _exit(kLostPipeExit);
      }
      return;  // the supervisor went away; nothing useful to do
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
}

void BeginLoad(Recorder* r) {
  if (r == nullptr) return;
  r->load_started_ns = MonotonicNs();
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  r->in_load = 1;
}

void EndLoad(Recorder* r) {
  if (r == nullptr) return;
  r->in_load = 0;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  NoteProgress(r);
}

namespace {

volatile sig_atomic_t g_interrupted = 0;
volatile sig_atomic_t g_defer_interrupts = 0;
volatile sig_atomic_t g_worker_group = 0;  // the running worker's pid and group

constexpr int kInterruptSignals[] = {SIGINT, SIGTERM, SIGHUP};

void OnInterrupt(int sig) {
  const bool again = g_interrupted != 0;
  if (!again) g_interrupted = sig;
  const pid_t group = g_worker_group;
  if (group > 0) kill(-group, SIGKILL);
  // Not deferred, or a second signal while the first is being written out
  // (a second Ctrl-C during a long oracle step, say): die of it.
  if (!g_defer_interrupts || again) {
    // Die of it as if there were no handler (it is delivered on return).
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

void InstallInterruptHandlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction sa{};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : kInterruptSignals) {
    struct sigaction old{};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) continue;  // nohup and the like: keep it
    sigaction(sig, &sa, nullptr);
  }
}

bool Exited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

}  // namespace

// The handlers go in now, not at the first Supervise: a caller that does
// seconds of its own work first (report's oracle) is interrupted there too.
void DeferInterrupts() {
  g_defer_interrupts = 1;
  InstallInterruptHandlers();
}
int Interrupted() { return g_interrupted; }

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig);
}

std::string LostPipeText(int fd) {
  return "the kernel closed file descriptor " + std::to_string(fd) +
         ", the worker's result pipe, so no result could be sent (a kernel must not close "
         "descriptors it did not open)";
}

WorkerEnd Supervise(Recorder* r, double timeout_s,
                    const std::function<int(int fd)>& work,
                    const std::function<void(const std::string&)>& on_line) {
  InstallInterruptHandlers();
  WorkerEnd end;
  if (g_defer_interrupts && g_interrupted) {
    end.kind = WorkerEnd::kInterrupted;
    end.code = g_interrupted;
    return end;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  r->in_call = 0;
  r->in_load = 0;
  r->fault_signal = 0;
  r->fault_addr = 0;
  r->lost_pipe = 0;
  r->progress_ns = MonotonicNs();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    for (int sig : kInterruptSignals) signal(sig, SIG_DFL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // softcheck died before prctl
    g_worker_recorder = r;
    close(fds[0]);
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // a crashing kernel leaves no core file
    int rc = 1;
    try {
      rc = work(fds[1]);
    } catch (...) {
      rc = 3;
    }
    close(fds[1]);
    _exit(rc);
  }
  setpgid(pid, pid);  // as the child does: whichever runs first
  g_worker_group = pid;
  close(fds[1]);
  std::string buffer;
  auto take = [&](const char* data, size_t size) {
    buffer.append(data, size);
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      on_line(buffer.substr(0, nl));
      buffer.erase(0, nl + 1);
    }
  };
  bool pipe_open = true, killed = false, interrupted = false;
  // In double: a huge timeout must not overflow (inf never expires).
  const double timeout_ns = timeout_s * 1e9;
  for (;;) {
    if (g_defer_interrupts && g_interrupted) {
      kill(-pid, SIGKILL);
      interrupted = true;
      break;
    }
    if (pipe_open) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char chunk[65536];
        const ssize_t got = read(fds[0], chunk, sizeof(chunk));
        if (got > 0) {
          take(chunk, static_cast<size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          pipe_open = false;  // EOF: the worker closed it or is gone
        }
      }
    } else {
      poll(nullptr, 0, 2);
    }
    // The worker has ended (it stays a zombie until reaped below, so its
    // pid and group cannot be reused meanwhile). Whatever it forked may
    // still hold the pipe open: do not wait for an EOF.
    if (Exited(pid)) break;
    // A hang is a kernel call (or the library's load) that does not return:
    // only time spent inside it counts, so a slow oracle on a long row is not
    // one.
    const int64_t now = MonotonicNs();
    if (!killed &&
        ((r->in_call && static_cast<double>(now - r->call_started_ns) > timeout_ns) ||
         (r->in_load && static_cast<double>(now - r->load_started_ns) > timeout_ns))) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  kill(-pid, SIGKILL);  // anything the worker forked
  if (pipe_open) {
    // What the worker wrote before it ended is all in the pipe.
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    char chunk[65536];
    for (;;) {
      const ssize_t got = read(fds[0], chunk, sizeof(chunk));
      if (got > 0) {
        take(chunk, static_cast<size_t>(got));
      } else if (got < 0 && errno == EINTR) {
        continue;
      } else {
        break;
      }
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_worker_group = 0;
  end.in_call = r->in_call != 0;
  end.in_load = r->in_load != 0;
  end.lost_pipe = r->lost_pipe - 1;
  if (interrupted) {
    end.kind = WorkerEnd::kInterrupted;
    end.code = g_interrupted;
  } else if (killed) {
    end.kind = WorkerEnd::kHung;
  } else if (WIFSIGNALED(status)) {
    end.kind = WorkerEnd::kSignaled;
    end.code = WTERMSIG(status);
  } else {
    end.kind = WorkerEnd::kExited;
    end.code = WEXITSTATUS(status);
  }
  return end;
}

}  // namespace softcheck::gate
