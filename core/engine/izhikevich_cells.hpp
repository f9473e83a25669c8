#pragma once
// The cell block: every simulated cell's Izhi2007b parameters, its soma tree's coefficients and
// its state, one array per variable in slot order (network::gid_of_slot), padded to whole groups of
// group_size cells (the padding cells copies of the last real one) so that the arithmetic runs
// over full groups in vector registers.
#include "core/engine/network.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace m1 {

constexpr std::size_t group_size = 64;  // cells per group: a group's state stays in cache

// Cells rounded up to whole groups.
inline std::size_t padded_cells(std::size_t cells) {
    return (cells + group_size - 1) / group_size * group_size;
}

struct izhikevich_cells {
    izhikevich_cells(const recipe& r, const network& net, double dt);

    std::size_t cells = 0, groups = 0, padded = 0;
    // Izhi2007b's parameters, and the spike detector's threshold.
    std::vector<double> C, k, vr, vt, vpeak, a, b, c, d, Iin, threshold;
    std::vector<std::uint8_t> celltype;
    // The recovery law's target per celltype: b*(v - vr) with b switching at -65 mV for TC/RTN
    // (b_above, b_below; both b for the others), the FS cubic where fs_mask is 1.
    std::vector<double> b_above, b_below;
    std::vector<double> fs_mask;  // 1 for FS cells (celltype 5), else 0
    std::vector<double> peak_u;   // the WATCH threshold is vpeak + peak_u * u
    // NEURON's tree coefficients of the root, soma and end nodes.
    std::vector<double> point_factor, cap_d, A_s, B_s, A_e, B_e, solve_pe;
    // State: the three nodes' voltages, the recovery variable, the detector and WATCH flags.
    std::vector<double> v_root, v_soma, v_end, u;
    std::vector<std::uint8_t> spike_flag, watch_flag;

    // The spike detector at t_n (threshold 10 mV): true when v_soma crosses it upward.
    bool detect_spike(std::size_t s) {
        if (v_soma[s] - threshold[s] > 0) {
            if (spike_flag[s]) return false;
            spike_flag[s] = 1;
            return true;
        }
        spike_flag[s] = 0;
        return false;
    }
    // The WATCH threshold: vpeak - 0.1u for LTS, vpeak + 0.1u for TC, vpeak otherwise (peak_u is
    // -0.1, 0.1 or 0; adding (-0.1*u) is subtracting 0.1*u, to the bit).
    double peak(std::size_t s) const { return vpeak[s] + peak_u[s] * u[s]; }
    // The mechanism's WATCH at t_n: on crossing the peak, NET_RECEIVE flag 2 at t_n + 1e-10,
    // delivered in this step, resets v and u.
    void watch_peak(std::size_t s, double v0) {
        if (v0 - peak(s) > 0) {
            if (!watch_flag[s]) {
                watch_flag[s] = 1;
                reset(s);
            }
        } else {
            watch_flag[s] = 0;
        }
    }
    // Whether slot s's v and u are numbers (a cell driven past its model's range runs away to
    // infinity and NaN, in NEURON as here).
    bool finite(std::size_t s) const { return std::isfinite(v_soma[s]) && std::isfinite(u[s]); }
    // The slot of the first cell whose v or u is NaN or infinite; v_soma.size() when none is.
    std::size_t first_non_finite() const {
        for (std::size_t i = 0; i < v_soma.size(); ++i)
            if (!finite(i)) return i;
        return v_soma.size();
    }

private:
    void reset(std::size_t s) {
        const int type = celltype[s];
        if (type == 4) {
            v_soma[s] = c[s] + 0.04 * u[s];
            u[s] = (u[s] + d[s]) < 670 ? u[s] + d[s] : 670;
        } else if (type == 5) {
            v_soma[s] = c[s];
        } else if (type == 6) {
            v_soma[s] = c[s] - 0.1 * u[s];
            u[s] = u[s] + d[s];
        } else {
            v_soma[s] = c[s];
            u[s] = u[s] + d[s];
        }
    }
    void size_arrays();
    void set_parameters(std::size_t s, const izhikevich_params& z, double threshold_mv);
    void set_tree(std::size_t s, const soma_geometry& g, double dt);
};

}  // namespace m1
