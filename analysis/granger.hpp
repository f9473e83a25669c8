#pragma once
// Spectral Granger causality between two spike-count series, as NetPyNE's granger()
// (netpyne/analysis/info.py, plotGranger) computes it with BSMART's pwcausalr
// (netpyne/support/bsmart.py): a bivariate autoregressive model of order p fitted by armorf (the
// LWR algorithm as modified by Morf: normalised forward/backward lattice, Cholesky square roots),
// the transfer matrix H(f) = (I + sum_m A_m e^{-i 2 pi f m / fs})^-1, the spectral matrix
// S(f) = H Z H^* / fs, and Geweke's measures
//   F(y -> x)(f) = ln(|S_xx| / |S_xx - H_xy (Z_yy - Z_xy^2 / Z_xx) H_xy^* / fs|), and x <-> y.
// The model gives H and Z directly: there is no nonparametric (Wilson) spectral factorisation, the
// only factorisations are armorf's Cholesky ones. Those make the fit depend on the channel order:
// granger(y, x) is granger(x, y) with the directions swapped only to ~0.1 %.
#include "analysis/spike_trains.hpp"

#include <string>
#include <vector>

namespace m1::analysis {

enum class granger_mode {
    // spike_counts() bins (every full bin of the window), each series' mean removed (BSMART:
    // "remove the ensemble mean before using this code"; raw counts put spurious power near
    // 0 Hz), sampling rate 1000 / bin_ms; a Cholesky factorisation that fails is reported in
    // granger_result::failure.
    standard,
    // NetPyNE's granger() number for number: numpy.histogram(spikes, np.arange(start, stop,
    // bin_ms)) counts (see netpyne_spike_counts), not demeaned, fs = int(1000 / bin_ms); a
    // Cholesky factorisation that fails is replaced by the identity matrix (bsmart.ckchol), as
    // NetPyNE does, and counted in granger_result::identity_substitutions.
    netpyne,
};

struct granger_params {
    granger_mode mode = granger_mode::standard;
    double bin_ms = 5;         // NetPyNE: 5 ms bins -> 200 Hz sampling
    int order = 10;            // AR model order (NetPyNE: 10)
    double max_freq_hz = 100;  // frequencies 0, 1, ..., floor(min(max_freq_hz, fs / 2)) Hz
                               // (NetPyNE: 0..int(fs / 2), i.e. 0..100 at 5 ms bins)
};

struct granger_result {
    std::vector<double> freq_hz, f_xy, f_yx;  // F(x -> y)(f), F(y -> x)(f); empty on failure
    std::string failure;  // non-empty: why nothing was computed (a train without spikes or with
                          // constant counts, a window shorter than order + 2 bins, a failed
                          // factorisation in standard mode, a singular matrix, a non-finite F)
    int identity_substitutions = 0;  // netpyne mode: failed Cholesky factorisations replaced by
                                     // the identity as NetPyNE does (its numbers are then invalid)
};

// Throws std::invalid_argument for bin_ms <= 0 or order < 1: what granger() refuses, checked by
// m1analyze once, before any run (its --order).
void validate(const granger_params& params);

// Pairs are independent: safe to call from several threads at once. Throws as validate().
granger_result granger(const std::vector<double>& x_times, const std::vector<double>& y_times,
                       const window& w, const granger_params& params);

// NetPyNE's binning, shared by the netpyne modes of granger and nTE:
// numpy.histogram(times, bins=np.arange(w.start_ms, w.stop_ms, bin_ms))[0]. The edges stop
// before w.stop_ms, so there is one bin fewer than edges, the last bin is closed on the right
// (a spike on the last edge counts), and spikes after the last edge are dropped: with a 1000 ms
// window and 5 ms bins, 198 bins over [0, 995] ms. (It belongs with spike_counts in
// spike_trains.hpp.)
std::vector<double> netpyne_spike_counts(const std::vector<double>& times, const window& w,
                                         double bin_ms);

}  // namespace m1::analysis
