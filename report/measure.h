// Timing for the report: one careful loop, single thread.
//
//   * the caller allocates and touches every buffer before timing (nothing is
//     allocated or first-touched inside the timed region);
//   * warm-up calls first (caches, branch predictors, lazy dispatch, page
//     faults on the output), then a calibration call picks how many calls
//     one repetition makes so that it lasts at least `min_rep_s`;
//   * `reps` repetitions are timed with steady_clock; the median seconds per
//     call is reported, with the spread between the fastest and slowest
//     repetition so that a noisy machine shows.
#ifndef SOFTCHECK_REPORT_MEASURE_H_
#define SOFTCHECK_REPORT_MEASURE_H_

#include <functional>
#include <vector>

namespace softcheck::report {

struct TimingOptions {
  int warmup_calls = 2;
  int reps = 7;
  double min_rep_s = 0.02;
  // Called between repetitions (the supervisor's progress clock).
  std::function<void()> between_reps;
};

struct Timing {
  double seconds_per_call = 0;  // the median repetition / calls_per_rep
  double fastest = 0, slowest = 0;  // seconds per call, over repetitions
  long calls_per_rep = 0;
  int reps = 0;
  double Spread() const {
    return seconds_per_call > 0 ? (slowest - fastest) / seconds_per_call : 0;
  }
};

Timing TimeCalls(const std::function<void()>& call, const TimingOptions& options);

// The median of v (v is reordered); 0 for an empty v. For even sizes, the
// mean of the two middle values.
double Median(std::vector<double>& v);

}  // namespace softcheck::report

#endif  // SOFTCHECK_REPORT_MEASURE_H_
