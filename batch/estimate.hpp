#pragma once
// What one run of a sweep costs, before the sweep runs (m1batch estimate; m1batch submit asks it
// for a job's time and memory when the [cluster] table leaves them out). Measured, not guessed
// from a formula: the largest run's network is built and simulated for a short pilot, and the
// pilot's simulation time, peak memory and spike rate are extrapolated to the run's duration.
#include "batch/sweep.hpp"

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <vector>

namespace m1::batch {

struct run_estimate {
    std::size_t run = 0;                   // the run measured (index into the sweep's runs)
    std::uint64_t cells = 0, synapses = 0;
    double duration_ms = 0, pilot_ms = 0;
    std::size_t threads = 1;
    double build_s = 0, simulate_s = 0;    // the whole run's, simulate_s extrapolated from the pilot
    double spikes = 0;                     // expected: the pilot's, then its second half's rate
    double memory_mib = 0;                 // this process's peak after the pilot (so: call it in a
                                           // fresh process, as m1batch does) plus the spikes to come
    double time_s() const { return build_s + simulate_s; }
};

// The run that costs most: the largest scale, then the longest duration (the first of equals),
// as its effective model has them (run keys or JSON Pointers into the model alike).
std::size_t costliest_run(const sweep_spec& sweep, const std::vector<sweep_run>& runs);

// Measures runs[costliest_run(runs)] with `threads` threads (0: all cores) for
// min(its duration, pilot_ms) of model time. The pilot's run file goes to a temporary directory
// that is removed.
run_estimate estimate_run(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                          std::size_t threads, double pilot_ms = 200);

// What a scheduler should be asked for a task that runs `runs_per_task` such runs one after the
// other: time twice the estimate plus 10 minutes, rounded up to 5 minutes; memory 1.5 times the
// estimate plus 256 MiB, rounded up to 64 MiB (compute nodes are not the machine that measured).
std::int64_t requested_time_s(const run_estimate& e, std::size_t runs_per_task);
std::int64_t requested_memory_mib(const run_estimate& e);

// m1batch estimate's report.
void print_estimate(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                    const run_estimate& e, std::ostream& out);

}  // namespace m1::batch
