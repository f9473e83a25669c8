#pragma once
// The LFP estimate of a run: the point-neuron LFP proxy of Mazzoni, Lindén et al. 2015 ("Computing
// the local field potential (LFP) from integrate-and-fire network models", PLoS Comput Biol
// 11(12):e1004584), their reference weighted sum (RWS), from the current sums the engine records
// (lfp_sums in core/io/run_file.hpp: per electrode, the sums over its excitatory cells of |I| of the
// AMPA-class and of the GABA-class synaptic mechanisms, background input included in AMPA):
//
//     LFP(t) = Σ|I_AMPA(t − 6 ms)| − 1.65 · Σ|I_GABA(t)|,   then z-scored per electrode.
//
// Sign: the series has the sign of Mazzoni's proxy, which rises with the excitatory (AMPA) current
// and falls with the inhibitory (GABA) current. It stands for the LFP only up to a
// depth-dependent factor, which the paper fits and we drop (hence the z-score): a real
// extracellular potential is the proxy times a negative factor on the apical side of the
// pyramidal cells' dipole (where the excitatory synapses are a current sink) and a positive
// factor on the somatic/basal side, the sign flipping near the dipole's centre (the paper's Fig.
// 2B). So read it as minus the potential at superficial/apical sites and as the potential near the
// somata; its spectrum does not depend on the sign.
#include "core/io/run_file.hpp"
#include "analysis/spectrum.hpp"
#include "analysis/spike_trains.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace m1::analysis {

struct lfp_params {
    double ampa_delay_ms = 6;     // the AMPA term lags by this (RWS: 6 ms; the GABA term by 0)
    double gaba_weight = 1.65;    // alpha of the RWS proxy
    std::size_t welch_segment = 0;  // samples; 0: 500 ms worth, at most the series
};

struct lfp_trace {
    std::string electrode;
    std::vector<double> t_ms;  // sample times, ms
    std::vector<double> lfp;   // z-scored proxy, dimensionless
    spectrum psd;              // Welch spectrum of lfp, 1/Hz
};

// One trace per electrode, in the order of sums.electrodes. The proxy exists at the sample times
// t with t − ampa_delay_ms at or after the first sample time (earlier samples have no delayed
// AMPA and are dropped); lfp is z-scored over those samples (population std, ddof 0; a constant
// series gives zeros, not NaN); psd = welch(lfp, fs = 1000 / interval_ms, Hann, welch_segment
// samples (clamped to the series), 50 % overlap, mean removed). The recorded sums are already
// sums of |I| and are used as they are. Throws std::invalid_argument when the delay is not a
// whole number of sampling intervals (6 ms at 1 ms or 0.5 ms: fine), when the delay is negative,
// interval_ms is not positive, or the arrays do not hold whole [sample][electrode] rows of equal
// size. No electrodes: an empty result.
std::vector<lfp_trace> mazzoni_lfp(const lfp_sums& sums, const lfp_params& params);

// The same, keeping only the sample times in [w.start_ms, w.stop_ms) (the analysed window); the
// delayed AMPA term may come from before the window. z-score and spectrum are over the kept
// samples. An empty or inverted window gives empty traces.
std::vector<lfp_trace> mazzoni_lfp(const lfp_sums& sums, const lfp_params& params, const window& w);

}  // namespace m1::analysis
