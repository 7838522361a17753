// The isolation layer alone: a supervised worker that crashes, hangs, reads
// or writes outside its buffers or writes to its input is seen for what it
// did, with the input it was given, and the supervisor lives on.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
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

}  // namespace
}  // namespace softcheck::gate
