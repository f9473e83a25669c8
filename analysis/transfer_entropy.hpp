#pragma once
// Normalised transfer entropy between two spike trains as NetPyNE's nTE defines it
// (netpyne/analysis/info.py nTE -> support/nte.hoc normte -> support/nte.mod, NEURON's infot.mod,
// tentropspks / tetrospks2): spike counts in 20 ms bins, used as they are (not binarised: the
// alphabet is 0..max count), one-bin history, plug-in probabilities (counts / (bins - 1)),
// entropies in bits;
//   TE = H(YF | YP) - H(YF | YP, XP)   (X the source, Y the target, F the bin, P the bin before)
//   nTE = (TE - mean TE over shuffles of the source's bins) / H(YF | YP),
// the shuffles successive in-place Fisher-Yates permutations of the whole source series. A source
// or target whose counts do not vary gives 0 (as tentropspks does), and so does a target fully
// determined by its past, H(YF | YP) = 0, in standard mode (in netpyne mode nte.mod's table makes
// LOG2(1) = -4e-9, so H is ~4e-9 and nTE rounding noise of ~1e-16, as in NEURON).
#include "spike_trains.hpp"

#include <cstdint>

namespace m1::analysis {

enum class nte_mode {
    // spike_counts() bins (every full bin of the window), log2 exact, shuffles drawn from
    // m1::random_stream keyed by `seed`.
    standard,
    // NetPyNE's nTE number for number: netpyne_spike_counts() bins (granger.hpp; NetPyNE's own
    // range is [0, sim.cfg.duration] whatever its timeRange, pass that window to match it),
    // nte.mod's LOG2 (NEURON's TABLE: linear interpolation in 50,000 steps over [0.001, 32] for
    // conditional probabilities in that range, log(x)/ln 2 below it), and the shuffles of
    // nte.mod's ishuffle: mcell_ran4 draws from index `ran4_index` (lowindex 0).
    netpyne,
};

struct nte_params {
    nte_mode mode = nte_mode::standard;
    double bin_ms = 20;
    int shuffles = 30;
    std::uint32_t seed = 1;  // standard: keys the shuffle stream
    // netpyne: mcell_ran4's index when normte is called. nte.mod keeps it in a static that starts
    // at 0 when NEURON loads and advances by shuffles * (bins - 1) per call that reaches the
    // shuffles, so NetPyNE's k-th call (0-based) on same-length series starts at
    // k * shuffles * (bins - 1).
    std::uint32_t ran4_index = 0;
};

// nTE(source -> target) over the window (NetPyNE ignores its timeRange; this does not). Safe to
// call from several threads at once. Throws std::invalid_argument for bin_ms <= 0 or shuffles < 0.
double normalized_transfer_entropy(const std::vector<double>& source_times,
                                   const std::vector<double>& target_times, const window& w,
                                   const nte_params& params);

}  // namespace m1::analysis
