#pragma once
// The time grid of a run: NEURON's fixed steps of dt, with the times NEURON accumulates (t += dt/2
// twice a step, not n*dt), and the step an event at a given time joins.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace m1 {

class time_grid {
public:
    // Throws run_error unless dt and duration are positive.
    time_grid(double duration, double dt);

    double dt() const noexcept { return dt_; }
    std::size_t steps() const noexcept { return steps_; }  // ncs2nrn_integrate's count
    double start(std::size_t n) const { return t_start_[n]; }  // t at the start of step n
    double mid(std::size_t n) const { return t_mid_[n]; }      // t at its middle, t_n + dt/2

    // The first step whose inputs an event at time T joins: NEURON delivers an event at the first
    // boundary whose delivery time (t_n + dt/2) it does not exceed.
    std::size_t step_of(double T) const {
        if (!(T > t_mid_[0])) return 0;
        // An estimate, made exact by the comparisons with NEURON's accumulated times below.
        std::size_t n = static_cast<std::size_t>(std::max(0.0, T * inverse_dt_ - 0.5));
        if (n >= t_mid_.size()) return t_mid_.size();
        while (n < t_mid_.size() && t_mid_[n] < T) ++n;
        while (n > 0 && t_mid_[n - 1] >= T) --n;
        return n;
    }

private:
    double dt_ = 0, inverse_dt_ = 0;
    std::size_t steps_ = 0;
    std::vector<double> t_start_, t_mid_;  // steps + 2 of each
};

}  // namespace m1
