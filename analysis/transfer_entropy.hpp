#pragma once
// Transfer entropy between two populations' spike trains, two estimators.
//
// 1. m1analyze's standard mode: "does X drive Y?" -- delayed_transfer_entropy() below, the
// delayed transfer entropy of Ito et al. 2011 (PLoS ONE 6:e27431, "Extending transfer entropy
// improves identification of effective connectivity in a spiking cortical network model"):
//   TE(d, m) = I(Y_t ; X_{t-d-m+1 .. t-d} | Y_{t-1}),  delays d = 1..D bins, windows m,
// the peak over d and m; Ito et al. show that scanning delays and "message lengths" (several bins
// of the sender) finds far more true connections than one delay and one bin. The target's own
// past is the bin just before t, as Wibral et al. 2013 (PLoS ONE 8:e55809, "Measuring
// information-transfer delays") show it must be for the peak to sit at the interaction delay.
// Populations fire several spikes per bin, so a state is not Ito's binary spike/no spike but one
// of a few ordinal levels of the population's count (equal-frequency cuts at the count's
// quantiles in the window; a window of m bins is summed first): the alphabet stays small whatever
// the population's size and rate, which keeps the plug-in bias small and alike for every pair.
// Why 1 ms bins, windows of 1 and 3 ms and 3 levels (measured on synthetic populations, figures
// in the README's "Analysis"): 2 ms bins lose most of a weak drive whose lag straddles bins,
// one-bin windows lose a drive whose delay varies by a millisecond, 3-ms windows lose a weak
// exact-lag drive; both windows together keep nearly the best of each (4 or 5 levels: no better
// than 3; 2: worse).
// Significance: the peak is compared with the peaks of circular time shifts of the source (each
// train keeps its rate and autocorrelation, only their alignment is destroyed; the source
// surrogates of Schreiber 2000, PRL 85:461, TRENTOOL, JIDT and IDTxl), the maximum over delays
// and windows taken in each surrogate too, so that the search is paid for; p = (1 + #surrogates
// >= observed) / (1 + surrogates) (Phipson & Smyth 2010, Stat Appl Genet Mol Biol 9:39).
// Pairwise TE cannot tell a common input from a drive: with equal lags from the common source
// the two directions look alike (nothing, or weak coupling both ways when the lags vary); with
// unequal lags the earlier population seems to drive the later one.
//
// 2. NetPyNE's nTE -- normalized_transfer_entropy() below, m1analyze's netpyne mode. On
// population counts it is bias-dominated (tens of count values per 20 ms bin: as many states as
// samples) and blind to lags shorter than its bin, so it is kept for parity only.
//
// Normalised transfer entropy between two spike trains as NetPyNE's nTE defines it
// (netpyne/analysis/info.py nTE -> support/nte.hoc normte -> support/nte.mod, NEURON's infot.mod,
// tentropspks / tetrospks2): spike counts in 20 ms bins, used as they are (not binarised: the
// alphabet is 0..max count), one-bin history, plug-in probabilities (counts / (bins - 1)),
// entropies in bits;
//   TE = H(YF | YP) - H(YF | YP, XP)   (X the source, Y the target, F the bin, P the bin before)
//   nTE = (TE - mean TE over shuffles of the source's bins) / H(YF | YP),
// the shuffles successive in-place Fisher-Yates permutations of the whole source series. A source
// or target whose counts do not vary gives 0 (as tentropspks does), and so does a target fully
// determined by its past, H(YF | YP) = 0, with nte_mode::standard (in netpyne mode nte.mod's table makes
// LOG2(1) = -4e-9, so H is ~4e-9 and nTE rounding noise of ~1e-16, as in NEURON).
#include "analysis/spike_trains.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace m1::analysis {

enum class nte_mode {
    // m1analyze's standard mode: delayed_transfer_entropy. In normalized_transfer_entropy,
    // NetPyNE's definition in exact arithmetic: spike_counts() bins (every full bin of the
    // window), log2 exact, shuffles drawn from m1::random_stream keyed by `seed`.
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
    double bin_ms = 20;      // normalized_transfer_entropy's bins (NetPyNE's binSize)
    int shuffles = 30;       // shuffles of the source; delayed_transfer_entropy: its surrogates
    std::uint32_t seed = 1;  // standard: keys the shuffle (surrogate) stream
    // delayed_transfer_entropy: bins of the states, the largest delay (delays are 1 .. max_delay_ms
    // / state_bin_ms bins: Ito et al. scan 1-30 ms in 1 ms bins; M1's synaptic delays are a few ms),
    // the number of ordinal levels of a population's count, and the source's windows.
    double state_bin_ms = 1;
    double max_delay_ms = 20;
    int levels = 3;
    std::vector<double> source_windows_ms{1, 3};
    // netpyne: mcell_ran4's index when normte is called. nte.mod keeps it in a static that starts
    // at 0 when NEURON loads and advances by shuffles * (bins - 1) per call that reaches the
    // shuffles, so NetPyNE's k-th call (0-based) on same-length series starts at
    // k * shuffles * (bins - 1).
    std::uint32_t ran4_index = 0;
};

// What each estimator refuses, checked by m1analyze once, before any run (its --shuffles): throw
// std::invalid_argument as the estimator below would.
void validate_normalized_te(const nte_params& params);
void validate_delayed_te(const nte_params& params);

// nTE(source -> target) over the window (NetPyNE ignores its timeRange; this does not). Safe to
// call from several threads at once. Throws std::invalid_argument for bin_ms <= 0 or shuffles < 0.
double normalized_transfer_entropy(const std::vector<double>& source_times,
                                   const std::vector<double>& target_times, const window& w,
                                   const nte_params& params);

// The delayed transfer entropy of source -> target and its significance (see the top).
struct nte_result {
    // (peak TE - mean of the surrogates' peak TE) / H(Y_t | Y_{t-1}): the share of the target's
    // uncertainty that the source's past removes beyond chance, like NetPyNE's nTE.
    double nte = 0;
    double z = 0;         // (peak TE - surrogate mean) / surrogate standard deviation
    double p = 1;         // (1 + #surrogate peaks >= peak) / (1 + surrogates)
    // The lag of the peak, from the middle of the source's window to the target's bin; NaN when
    // there is none.
    double delay_ms = std::numeric_limits<double>::quiet_NaN();
};

// Over the window's whole state bins. The surrogates' shifts are drawn from m1::random_stream
// keyed by params.seed and the surrogate's index alone: a pair's result depends on its two
// trains, the window and the params, not on the other pairs or the thread count. Safe to call
// from several threads at once. A source or target whose levels do not vary gives nte 0, z 0,
// p 1; a window of no more bins than the longest delay and source window + 1 gives NaN throughout; one too short for
// surrogates shifted by at least twice the largest delay (4 delays + 1 bins), or fewer than 2
// shuffles, gives z and p NaN and nte the peak TE over H (not bias-corrected).
// Throws std::invalid_argument for state_bin_ms <= 0, max_delay_ms < state_bin_ms, levels < 2
// or > 16, no source window or one outside (0, 1000] ms, or shuffles < 0.
nte_result delayed_transfer_entropy(const std::vector<double>& source_times,
                                    const std::vector<double>& target_times, const window& w,
                                    const nte_params& params);

}  // namespace m1::analysis
