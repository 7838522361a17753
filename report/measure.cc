#include "report/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace softcheck::report {

namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

double Median(std::vector<double>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return lower + (upper - lower) / 2;
}

Timing TimeCalls(const std::function<void()>& call, const TimingOptions& o) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < o.warmup_calls; ++i) call();
  // Calibration: one call, timed, decides the calls per repetition.
  const auto c0 = Clock::now();
  call();
  const double one = std::max(Seconds(Clock::now() - c0), 1e-9);
  Timing t;
  t.calls_per_rep = std::max<long>(1, static_cast<long>(std::ceil(o.min_rep_s / one)));
  t.reps = std::max(1, o.reps);
  std::vector<double> per_call;
  per_call.reserve(static_cast<size_t>(t.reps));
  for (int r = 0; r < t.reps; ++r) {
    if (o.between_reps) o.between_reps();
    const auto t0 = Clock::now();
    for (long i = 0; i < t.calls_per_rep; ++i) call();
    per_call.push_back(Seconds(Clock::now() - t0) / static_cast<double>(t.calls_per_rep));
  }
  t.fastest = *std::min_element(per_call.begin(), per_call.end());
  t.slowest = *std::max_element(per_call.begin(), per_call.end());
  t.seconds_per_call = Median(per_call);
  return t;
}

}  // namespace softcheck::report
