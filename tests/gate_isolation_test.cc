// The isolation layer alone: a supervised worker that crashes, hangs, reads
// or writes outside its buffers or writes to its input is seen for what it
// did, with the input it was given, and the supervisor lives on.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gate/isolation.h"

namespace softcheck::gate {
namespace {

void Correct(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * 2;
}
void ReadsPastEnd(const float* x, float* y, size_t n) {
  volatile float s = 0;
  for (size_t i = 0; i <= n; ++i) s = s + x[i];
  for (size_t i = 0; i < n; ++i) y[i] = s;
}
void ReadsBeforeStart(const float* x, float* y, size_t n) {
  volatile float s = x[-1];
  for (size_t i = 0; i < n; ++i) y[i] = s;
}
void WritesPastEnd(const float*, float* y, size_t n) {
  for (size_t i = 0; i <= n; ++i) y[i] = 0;
}
void WritesInput(const float* x, float* y, size_t n) {
  const_cast<float*>(x)[0] = 0;
  for (size_t i = 0; i < n; ++i) y[i] = 0;
}
void Hangs(const float*, float*, size_t) {
  volatile int forever = 1;
  while (forever) {
  }
}
void Aborts(const float*, float*, size_t) { abort(); }

struct Outcome {
  WorkerEnd end;
  FaultPlace place = FaultPlace::kUnknown;
  std::vector<double> row;
  std::vector<std::string> lines;
};

// Calls f twice (the two calls put the row against the upper, then the
// lower guard page) on x, in a supervised worker.
Outcome RunIsolated(RowFn<float> f, std::vector<float> x, bool in_place = false,
                    double timeout = 5) {
  Recorder* r = MapRecorder();
  Outcome out;
  out.end = Supervise(
      r, timeout,
      [&](int fd) {
        InstallFaultHandlers(r);
        for (int call = 0; call < 2; ++call) {
          std::vector<float> y(x.size(), NAN);
          if (in_place) {
            y = x;
            GuardedCall<float>(r, f, y.data(), y.data(), y.size(), 1);
          } else {
            GuardedCall<float>(r, f, x.data(), y.data(), x.size(), 1);
          }
          WriteLine(fd, "y0=" + std::to_string(x.empty() ? 0.0 : y[0]));
        }
        return 0;
      },
      [&](const std::string& l) { out.lines.push_back(l); });
  if (r->fault_signal) out.place = r->Place(r->fault_addr);
  out.row = r->Row();
  UnmapRecorder(r);
  return out;
}

TEST(Isolation, ACorrectKernelRunsAndReportsBack) {
  const Outcome o = RunIsolated(Correct, {1, 2, 3});
  EXPECT_EQ(o.end.kind, WorkerEnd::kExited);
  EXPECT_EQ(o.end.code, 0);
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0], "y0=2.000000");
}

TEST(Isolation, AReadPastTheEndHitsTheGuardPage) {
  const Outcome o = RunIsolated(ReadsPastEnd, {1, 2, 3, 4, 5});
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.end.code, SIGSEGV);
  EXPECT_TRUE(o.end.in_call);
  EXPECT_EQ(o.place, FaultPlace::kAfterInput);
  EXPECT_EQ(o.row, (std::vector<double>{1, 2, 3, 4, 5}));  // the input in flight
}

TEST(Isolation, AReadBeforeTheStartHitsTheLowerGuard) {
  const Outcome o = RunIsolated(ReadsBeforeStart, {1, 2, 3});
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  // The first call has the row against the upper guard (x[-1] is readable
  // slack there); the second puts it right above the lower guard.
  EXPECT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.place, FaultPlace::kBeforeInput);
}

TEST(Isolation, AWritePastTheEndOfTheOutputIsCaught) {
  const Outcome o = RunIsolated(WritesPastEnd, {1, 2, 3});
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.place, FaultPlace::kAfterOutput);
}

TEST(Isolation, AWriteToTheInputIsCaught) {
  const Outcome o = RunIsolated(WritesInput, {1, 2, 3});
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.place, FaultPlace::kInput);
}

TEST(Isolation, InPlaceTheRowIsWritable) {
  const Outcome o = RunIsolated(WritesInput, {1, 2, 3}, /*in_place=*/true);
  EXPECT_EQ(o.end.kind, WorkerEnd::kExited);
}

TEST(Isolation, AnEmptyRowPointsAtAGuardPage) {
  // n = 0: any access at all faults.
  const Outcome o = RunIsolated(WritesPastEnd, {});
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.place, FaultPlace::kAfterOutput);
}

TEST(Isolation, AHangIsKilledAfterTheTimeout) {
  const Outcome o = RunIsolated(Hangs, {7, 8}, false, 0.5);
  EXPECT_EQ(o.end.kind, WorkerEnd::kHung);
  EXPECT_TRUE(o.end.in_call);
  EXPECT_EQ(o.row, (std::vector<double>{7, 8}));
}

TEST(Isolation, AnAbortIsACrashWithItsSignal) {
  const Outcome o = RunIsolated(Aborts, {1});
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.end.code, SIGABRT);
}

TEST(Isolation, PoisonInYReachesTheKernel) {
  // GuardedCall copies y in: a kernel that leaves y alone returns the poison.
  Recorder* r = MapRecorder();
  std::vector<float> x = {1, 2}, y = {NAN, 5};
  GuardedCall<float>(r, [](const float*, float*, size_t) {}, x.data(), y.data(), 2, 1);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 5);
  UnmapRecorder(r);
}

// ---- attention: five buffers, each between its own guard pages -----------

// out_i = sum of v's rows (visible keys ignored: the buffers are the point).
void AttentionSumsV(const AttentionProblem& p, float* out) {
  for (size_t i = 0; i < p.n_q; ++i)
    for (size_t c = 0; c < p.d_v; ++c) {
      float s = 0;
      for (size_t j = 0; j < p.n_kv; ++j) s += p.v[j * p.d_v + c];
      out[i * p.d_v + c] = s;
    }
}

struct AttentionOutcome {
  WorkerEnd end;
  std::string where;
  AttentionCase recorded;
  bool whole = false;
  std::vector<std::string> lines;
};

// A 2 x 3 problem, d = 2, d_v = 2, with a mask; `bug` runs inside the call.
AttentionOutcome RunAttentionIsolated(
    const std::function<void(const AttentionProblem&, float*)>& kernel) {
  AttentionCase c;
  c.n_q = 2;
  c.n_kv = 3;
  c.d = 2;
  c.d_v = 2;
  c.q = {1, 2, 3, 4};
  c.k = {5, 6, 7, 8, 9, 10};
  c.v = {11, 12, 13, 14, 15, 16};
  c.mask = {0, -INFINITY, 0, 0, 0, 0};
  c.causal = kCausalBottomRight;
  c.scale = 0.5f;
  Recorder* r = MapRecorder();
  AttentionOutcome out;
  out.end = Supervise(
      r, 5,
      [&](int fd) {
        InstallFaultHandlers(r);
        for (int call = 0; call < 2; ++call) {
          std::vector<float> o(c.n_q * c.d_v, NAN);
          GuardedAttentionCall(r, kernel, c.View(), o.data());
          WriteLine(fd, "out0=" + std::to_string(o[0]));
        }
        return 0;
      },
      [&](const std::string& l) { out.lines.push_back(l); });
  if (r->fault_signal) out.where = r->Where(r->fault_addr);
  out.whole = r->Attention(&out.recorded);
  UnmapRecorder(r);
  return out;
}

TEST(Isolation, AttentionCallsRunAndTheProblemIsRecorded) {
  const AttentionOutcome o = RunAttentionIsolated(AttentionSumsV);
  EXPECT_EQ(o.end.kind, WorkerEnd::kExited);
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0], "out0=39.000000");
  ASSERT_TRUE(o.whole);
  EXPECT_EQ(o.recorded.k, (std::vector<float>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(o.recorded.mask[1], -INFINITY);
  EXPECT_EQ(o.recorded.causal, kCausalBottomRight);
  EXPECT_EQ(o.recorded.scale, 0.5f);
}

TEST(Isolation, AttentionReadPastKIsNamed) {
  const AttentionOutcome o = RunAttentionIsolated([](const AttentionProblem& p, float* out) {
    volatile float s = p.k[p.n_kv * p.d];  // one past the end
    out[0] = s;
  });
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.where, "read past k[n_kv*d-1]");
  EXPECT_TRUE(o.whole);  // the problem in flight is kept
}

TEST(Isolation, AttentionReadBeforeVIsNamedOnTheSecondCall) {
  const AttentionOutcome o = RunAttentionIsolated([](const AttentionProblem& p, float* out) {
    volatile float s = p.v[-1];
    out[0] = s;
  });
  EXPECT_EQ(o.end.kind, WorkerEnd::kSignaled);
  EXPECT_EQ(o.lines.size(), 1u);  // the first call's v[-1] is readable slack
  EXPECT_EQ(o.where, "read before v[0]");
}

TEST(Isolation, AttentionWritesPastOutAndToItsInputsAreNamed) {
  AttentionOutcome o = RunAttentionIsolated([](const AttentionProblem& p, float* out) {
    for (size_t i = 0; i <= p.n_q * p.d_v; ++i) out[i] = 0;
  });
  EXPECT_EQ(o.where, "touched memory past out[n_q*d_v-1]");
  o = RunAttentionIsolated([](const AttentionProblem& p, float*) {
    const_cast<float*>(p.mask)[0] = 1;
  });
  EXPECT_EQ(o.where, "wrote to its input mask");
}

}  // namespace
}  // namespace softcheck::gate
