#pragma once
// Power spectra (FFTW): Welch's method, the rate spectrum of a population in three modes (ours and
// NetPyNE's plotRatePSD, fft and Morlet), the peak frequency and the power in the usual bands.
#include "analysis/spike_trains.hpp"

#include <string>
#include <vector>

namespace m1::analysis {

struct spectrum {
    std::vector<double> freq_hz, power;
};

// Welch's estimate: Hann windows of `segment` samples overlapping by `overlap`, each detrended by
// its mean when `demean`, one-sided density (scipy.signal.welch's scaling="density"), at sampling
// rate fs_hz. As scipy.signal.welch(x, fs_hz, window="hann", nperseg=segment, noverlap=overlap,
// detrend="constant" or False): periodic Hann, a segment longer than x shrinks to x, segments
// average by the mean. Empty x: empty spectrum; overlap >= segment: std::invalid_argument.
spectrum welch(const std::vector<double>& x, double fs_hz, std::size_t segment, std::size_t overlap,
               bool demean = true);

enum class rate_psd_mode {
    standard,  // 1 ms bins, mean removed, Welch (Hann, 500-sample segments, 50 % overlap): the
               // reference figures' method. Bins as spike_counts; a window under 500 ms is one
               // segment of all of it.
    netpyne,   // NetPyNE's plotRatePSD(transformMethod='fft'), number for number: 5 ms bins of
               // the rate per cell on np.arange(start, stop, 5) edges (the last bin closed, what
               // follows the last edge dropped), matplotlib.mlab.psd (NFFT 256, noverlap 128, Fs 200 Hz,
               // symmetric Hann, no detrending, density), 0-100 Hz. Linear power: NetPyNE plots
               // 10*log10 of it (yLogScale=True, its default).
    netpyne_morlet,  // plotRatePSD with its default transformMethod='morlet': the time average of
                     // Morlet wavelet energy (7 cycles) of the same 5 ms rate at 1, 2, ..., 100
                     // Hz. Power in (spikes/s)^2, not a density.
};

struct rate_psd_params {
    rate_psd_mode mode = rate_psd_mode::standard;
};

// The rate spectrum of spike times (one population, or all merged) over a window. Power is in
// (spikes/s)^2/Hz of the population-mean rate (spikes/s per cell) in the standard and netpyne
// modes. With cells == 0 the rate is taken as 0.
spectrum rate_psd(const std::vector<double>& times, std::uint32_t cells, const window& w,
                  const rate_psd_params& params);

struct band_powers {
    double theta = 0, alpha = 0, beta = 0, gamma = 0;  // 4-8, 8-13, 13-30, 30-80 Hz
};
// Integral of the density over each band: the sum of power * df over the bins with lo <= f < hi.
band_powers bands_of(const spectrum& s);
// The frequency of the largest power in [lo_hz, hi_hz], both ends included, the first on ties
// (numpy.argmax); NaN when no bin is in the range. The default is the reference's: the argmax
// between 5 and 100 Hz (tests/data/reference_m1_2017.json, tests/fidelity/fidelity.py).
double peak_frequency(const spectrum& s, double lo_hz = 5.0, double hi_hz = 100.0);

}  // namespace m1::analysis
