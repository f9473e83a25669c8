#include "core/engine/time_grid.hpp"

#include "core/base/error.hpp"

namespace m1 {

time_grid::time_grid(double duration, double dt) : dt_(dt), inverse_dt_(1.0 / dt) {
    if (!(dt > 0)) throw run_error("dt must be positive");
    if (!(duration > 0)) throw run_error("duration must be positive");
    // ncs2nrn_integrate: n = int((tstop - t)/dt + 1e-9) steps.
    steps_ = static_cast<std::size_t>(duration / dt + 1e-9);
    t_start_.resize(steps_ + 2);
    t_mid_.resize(steps_ + 2);
    double t = 0;
    for (std::size_t n = 0; n < steps_ + 2; ++n) {
        t_start_[n] = t;
        t += 0.5 * dt;
        t_mid_[n] = t;
        t += 0.5 * dt;
    }
}

}  // namespace m1
