// Isolation for kernels we do not trust: the gate runs them in a worker
// process that it supervises, with guard pages around every buffer.
//
// * The Recorder lives in memory shared by the supervisor and the worker
//   (mmap MAP_SHARED before fork). Before every call of the kernel the worker
//   writes the input row, its length, the temperature and the buffer layout
//   there; a signal handler adds the signal and faulting address. When the
//   worker dies or hangs, the supervisor still has the exact input that did
//   it, and the layout tells it what the faulting address was: a read past
//   the input, a write past the output, a write to the (read-only) input.
// * GuardedCall places x and y in mappings that end (or, on alternate calls,
//   begin) at a PROT_NONE page, makes x read-only during the call, and
//   copies y in and out, so whatever y held before (the poison) is what the
//   kernel sees.
// * Supervise runs a worker function in a forked child, reads its messages
//   (one line each) from a pipe, and reports how it ended: finished, died of
//   a signal, or stopped making progress for longer than the timeout (then
//   it is killed).
#ifndef SOFTCHECK_GATE_ISOLATION_H_
#define SOFTCHECK_GATE_ISOLATION_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "impl/attention.h"

namespace softcheck::gate {

// Where a faulting address lies relative to the current call's buffers.
enum class FaultPlace {
  kUnknown,
  kBeforeInput,   // the guard page below x
  kAfterInput,    // the guard page above x
  kInput,         // x's own pages, read-only during the call: a write
  kBeforeOutput,  // the guard page below y
  kAfterOutput,   // the guard page above y
};
const char* FaultPlaceText(FaultPlace p);

// One guarded buffer of an attention call: its guard pages and its own pages.
struct GuardedRegion {
  uintptr_t guard_lo[2], guard_hi[2];  // below, above
  uintptr_t lo, hi;                    // the buffer's pages (read-only for inputs)
};

// The buffers of an attention call, in the order the recorder keeps them.
enum AttentionBuffer { kBufQ, kBufK, kBufV, kBufMask, kBufOut, kAttentionBuffers };

// The largest row recorded in full (bytes); longer rows keep their prefix.
constexpr size_t kRecorderRowBytes = size_t{8} << 20;

struct Recorder {
  // Written by the worker, read by the supervisor.
  volatile int32_t in_call;          // 1 while the kernel runs
  volatile int32_t task;             // the task in progress
  volatile uint64_t calls;           // kernel calls started so far
  volatile int64_t progress_ns;      // CLOCK_MONOTONIC at the last progress
  volatile int64_t call_started_ns;  // CLOCK_MONOTONIC at the current call
  volatile int32_t in_load;          // 1 while the user's library loads
  volatile int64_t load_started_ns;  // CLOCK_MONOTONIC when it began
  int32_t elem_size;                 // 4 or 8
  int32_t in_place;
  uint64_t n;                        // the row's length
  double temperature;
  // Guard layout of the current call: [lo, hi) byte ranges.
  uintptr_t x_guard_lo[2], x_guard_hi[2];  // below, above
  uintptr_t x_lo, x_hi;
  uintptr_t y_guard_lo[2], y_guard_hi[2];
  // Attention calls (op == 1): the shape, and q | k | v | mask in `row`.
  int32_t op;  // 0: a softmax row (GuardedCall), 1: attention
  uint64_t n_q, n_kv, d, d_v;
  int32_t causal, has_mask;
  float scale;
  GuardedRegion regions[kAttentionBuffers];
  // Filled by the worker's signal handler.
  // fd + 1 when the worker found its result pipe closed under it (the
  // kernel closed descriptors it did not open); 0 otherwise.
  volatile int32_t lost_pipe;
  volatile int32_t fault_signal;
  volatile uintptr_t fault_addr;
  alignas(64) unsigned char row[kRecorderRowBytes];

  FaultPlace Place(uintptr_t addr) const;
  // Where addr lies, in words, for either kind of call: "read past x[n-1]",
  // "touched memory past out[n_q*d_v-1]", "wrote to its input k", or "".
  std::string Where(uintptr_t addr) const;
  // The recorded row as doubles (float rows widened exactly).
  std::vector<double> Row() const;
  // The attention problem of the current call; false when it was too large
  // to record in full (the recorder keeps kRecorderRowBytes of it).
  bool Attention(AttentionCase* c) const;
};

// Maps a zeroed Recorder shared with any child forked afterwards.
Recorder* MapRecorder();
void UnmapRecorder(Recorder* r);

// Worker side: installs handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGABRT, SIGTRAP and SIGSYS (on an alternate stack, so a stack overflow is
// caught too) that note the signal and address in `r` and then die of the
// same signal.
void InstallFaultHandlers(Recorder* r);

// Worker side: calls f(x, y, n) with x and y in guarded mappings (see top).
// x == y means in place. Updates the recorder before and after.
template <typename T>
using RowFn = void (*)(const T* x, T* y, size_t n);
template <typename T>
void GuardedCall(Recorder* r, RowFn<T> f, const T* x, T* y, size_t n,
                 double temperature_for_record);

// Worker side: calls call(guarded problem, guarded out) with copies of
// q, k, v and mask in read-only guarded mappings and out in a writable one
// holding out's current contents (the poison), against the upper guards on
// one call and the lower ones on the next; copies out back afterwards. A
// null input stays null. Updates the recorder before and after.
void GuardedAttentionCall(
    Recorder* r, const std::function<void(const AttentionProblem&, float*)>& call,
    const AttentionProblem& p, float* out);

// Marks progress without a kernel call (the supervisor's hang clock).
void NoteProgress(Recorder* r);

int64_t MonotonicNs();

// Worker side: brackets loading the user's library (dlopen runs its
// constructors, which may hang): the supervisor's timeout covers it as it
// covers a kernel call. Null r: not supervised, nothing to note.
void BeginLoad(Recorder* r);
void EndLoad(Recorder* r);

// How a supervised worker ended.
struct WorkerEnd {
  // kInterrupted: softcheck itself got SIGINT, SIGTERM or SIGHUP (only
  // after DeferInterrupts(); see below) and killed the worker.
  enum Kind { kExited, kSignaled, kHung, kInterrupted } kind = kExited;
  int code = 0;  // exit status, or the signal number
  // The recorder's view when it ended: was a kernel call in flight, or was
  // the library still loading?
  bool in_call = false;
  bool in_load = false;
  // The worker's result pipe was closed under it (by the kernel): its fd,
  // or -1.
  int lost_pipe = -1;
};

// Forks; the child runs `work(fd)` (writing newline-terminated messages to
// fd) and _exits with its return value. The parent hands each complete line
// to on_line as it arrives, kills the child if a kernel call or the library
// load has run for longer than `timeout_s` seconds, and returns how the
// child ended.
//
// The worker leads its own process group, and whatever it forks is killed
// with it: when it hangs, when it exits (a grandchild left holding the pipe
// cannot keep the supervisor waiting) and when softcheck is interrupted. It
// also gets SIGKILL if softcheck dies, so no worker outlives softcheck.
WorkerEnd Supervise(Recorder* r, double timeout_s,
                    const std::function<int(int fd)>& work,
                    const std::function<void(const std::string&)>& on_line);

// SIGINT, SIGTERM and SIGHUP. Supervise installs a handler for them that
// kills the running worker's process group at once. By default softcheck
// then dies of the signal as it would have without the handler. After
// DeferInterrupts() it goes on instead: Supervise returns kInterrupted, and
// Interrupted() gives the signal, so that the caller can write out what it
// has (softcheck check and report do) and exit with 128 + the signal's
// number. DeferInterrupts installs the handler itself, so the caller's own
// work before its first worker is covered too; a second signal after the
// first is not deferred: softcheck dies of it.
void DeferInterrupts();
int Interrupted();  // 0, or the first interrupting signal

// "SIGINT", "SIGSEGV", ...: how every report names a signal.
std::string SignalName(int sig);
// How a property, a measurement or a cell an interruption left unrun reads:
// this, then " (SIGINT)". Readers find unrun results by it.
inline constexpr std::string_view kInterruptedNotRun = "not run: softcheck was interrupted";
// What a worker whose result pipe the kernel closed (WorkerEnd::lost_pipe)
// reports: the kernel's doing, not softcheck's.
std::string LostPipeText(int fd);

// Writes one line (a newline is appended) to fd, all of it.
void WriteLine(int fd, const std::string& line);

}  // namespace softcheck::gate

#endif  // SOFTCHECK_GATE_ISOLATION_H_
