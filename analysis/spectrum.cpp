#include "analysis/spectrum.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <memory>
#include <mutex>
#include <numbers>
#include <stdexcept>

namespace m1::analysis {

namespace {

// FFTW's planner is not thread-safe (fftw_execute is), and m1analyze analyses several runs at
// once: every plan is made and destroyed under this lock.
std::mutex& planner_mutex() {
    static std::mutex m;
    return m;
}

// A plan made once per call and destroyed under the planner lock.
class fft_plan {
public:
    template <class Make>
    explicit fft_plan(Make make) {
        std::lock_guard lock(planner_mutex());
        plan_ = make();
        if (!plan_) throw std::runtime_error("FFTW could not make a plan");
    }
    fft_plan(const fft_plan&) = delete;
    fft_plan& operator=(const fft_plan&) = delete;
    ~fft_plan() {
        std::lock_guard lock(planner_mutex());
        fftw_destroy_plan(plan_);
    }
    void execute() const { fftw_execute(plan_); }

private:
    fftw_plan plan_ = nullptr;
};

// FFTW-aligned storage (SIMD codelets want it).
template <class T>
struct fftw_deleter {
    void operator()(T* p) const { fftw_free(p); }
};
template <class T>
std::unique_ptr<T[], fftw_deleter<T>> fftw_array(std::size_t n) {
    auto* p = static_cast<T*>(fftw_malloc(sizeof(T) * std::max<std::size_t>(n, 1)));
    if (!p) throw std::bad_alloc();
    return std::unique_ptr<T[], fftw_deleter<T>>(p);
}

constexpr double pi = std::numbers::pi;

// Averaged one-sided periodograms of `x` cut into segments of `segment` samples every `step`,
// each demeaned when asked and multiplied by `win`, scaled by `scale`; bins 1..n/2-1 (and n/2 for
// odd n) doubled, as both scipy and matplotlib do for a one-sided density.
std::vector<double> averaged_periodogram(const std::vector<double>& x, std::size_t segment,
                                         std::size_t step, std::size_t segments,
                                         const std::vector<double>& win, bool demean,
                                         double scale) {
    const std::size_t bins = segment / 2 + 1;
    auto in = fftw_array<double>(segment);
    auto out = fftw_array<fftw_complex>(bins);
    const fft_plan plan([&] {
        return fftw_plan_dft_r2c_1d(static_cast<int>(segment), in.get(), out.get(), FFTW_ESTIMATE);
    });
    std::vector<double> power(bins, 0.0);
    for (std::size_t s = 0; s < segments; ++s) {
        const double* seg = x.data() + s * step;
        double mean = 0;
        if (demean) {
            for (std::size_t i = 0; i < segment; ++i) mean += seg[i];
            mean /= static_cast<double>(segment);
        }
        for (std::size_t i = 0; i < segment; ++i) in[i] = (seg[i] - mean) * win[i];
        plan.execute();
        for (std::size_t k = 0; k < bins; ++k)
            power[k] += (out[k][0] * out[k][0] + out[k][1] * out[k][1]) * scale;
    }
    // The DC bin, and for an even segment the Nyquist bin, have no mirror image to fold in.
    const std::size_t last_doubled = segment % 2 ? bins - 1 : bins - 2;
    for (std::size_t k = 1; k <= last_doubled && k < bins; ++k) power[k] *= 2;
    for (double& p : power) p /= static_cast<double>(segments);
    return power;
}

// numpy.fft.rfftfreq(n, 1/fs): k / (n * d), in that order of operations.
std::vector<double> rfft_frequencies(std::size_t n, double fs_hz) {
    std::vector<double> f(n / 2 + 1);
    const double val = 1.0 / (static_cast<double>(n) * (1.0 / fs_hz));
    for (std::size_t k = 0; k < f.size(); ++k) f[k] = static_cast<double>(k) * val;
    return f;
}

// NetPyNE's plotRatePSD binning: np.histogram(spkts, bins=np.arange(start, stop, binSize)), then
// counts * (1000 / binSize) / cells. The edges are numpy.arange's (start + i * delta, with delta
// = (start + bin) - start, ceil((stop - start) / bin) of them), so the last edge lies before stop
// and the last bin is closed on the right, as numpy.histogram's: a spike at that edge counts, the
// spikes after it are dropped.
std::vector<double> netpyne_rate(const std::vector<double>& times, std::uint32_t cells,
                                 const window& w, double bin_ms) {
    const double delta = (w.start_ms + bin_ms) - w.start_ms;
    const double edges_real = std::ceil((w.stop_ms - w.start_ms) / bin_ms);
    const std::size_t edges = edges_real > 0 ? static_cast<std::size_t>(edges_real) : 0;
    if (edges < 2) return {};
    std::vector<double> edge(edges);
    for (std::size_t i = 0; i < edges; ++i) edge[i] = w.start_ms + static_cast<double>(i) * delta;
    std::vector<double> counts(edges - 1, 0.0);
    for (double t : times) {
        if (!(t >= edge.front() && t <= edge.back())) continue;
        // searchsorted(edges, t, 'right') - 1, the right-closed last bin folded in.
        auto k = static_cast<std::size_t>(std::upper_bound(edge.begin(), edge.end(), t) -
                                          edge.begin()) - 1;
        counts[std::min(k, edges - 2)] += 1;
    }
    const double per_second = 1000.0 / bin_ms;
    for (double& c : counts) c = cells ? c * per_second / cells : 0.0;
    return counts;
}

// matplotlib.mlab.psd(x, NFFT, Fs, detrend=detrend_none, window=window_hanning, noverlap,
// pad_to=None, sides='default', scale_by_freq=True) for real x (matplotlib 3.x _spectral_helper):
// x zero-padded to NFFT when shorter; (len - noverlap) // (NFFT - noverlap) segments; the
// symmetric Hann window numpy.hanning(NFFT); no detrending; |fft|^2, one-sided doubling,
// / Fs / sum(window^2); mean over segments. Frequencies k * Fs / NFFT, k = 0..NFFT/2.
spectrum mlab_psd(std::vector<double> x, std::size_t nfft, std::size_t noverlap, double fs_hz) {
    if (x.size() < nfft) x.resize(nfft, 0.0);
    std::vector<double> win(nfft);
    for (std::size_t i = 0; i < nfft; ++i)  // numpy.hanning: 0.5 + 0.5 cos(pi n / (M - 1))
        win[i] = nfft > 1 ? 0.5 + 0.5 * std::cos(pi * (2.0 * static_cast<double>(i) + 1.0 -
                                                       static_cast<double>(nfft)) /
                                                 static_cast<double>(nfft - 1))
                          : 1.0;
    double norm = 0;
    for (double v : win) norm += v * v;
    const std::size_t step = nfft - noverlap;
    const std::size_t segments = (x.size() - noverlap) / step;
    spectrum s;
    s.power = averaged_periodogram(x, nfft, step, segments, win, false, 1.0 / fs_hz / norm);
    s.freq_hz = rfft_frequencies(nfft, fs_hz);  // fftfreq with the Nyquist sign flipped back
    return s;
}

// numpy.arange(fmin, fmax + 1, fstep): start + i * delta.
std::vector<double> arange_frequencies(double fmin, double fmax, double fstep) {
    std::vector<double> f;
    const auto count = static_cast<std::size_t>(std::max(0.0, std::ceil((fmax + 1 - fmin) / fstep)));
    const double fdelta = (fmin + fstep) - fmin;
    for (std::size_t i = 0; i < count; ++i) f.push_back(fmin + static_cast<double>(i) * fdelta);
    return f;
}

// sps.detrend(x - mean(x)): the residual of the least-squares line through the samples.
std::vector<double> detrended(const std::vector<double>& rate) {
    const std::size_t n = rate.size();
    double mean = 0;
    for (double v : rate) mean += v;
    mean /= static_cast<double>(n);
    const double tmean = (static_cast<double>(n) - 1.0) / 2.0;
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double dt = static_cast<double>(i) - tmean;
        sxy += dt * (rate[i] - mean);
        sxx += dt * dt;
    }
    const double slope = sxx > 0 ? sxy / sxx : 0.0;
    std::vector<double> sig(n);
    for (std::size_t i = 0; i < n; ++i) sig[i] = rate[i] - mean - slope * (static_cast<double>(i) - tmean);
    return sig;
}

// Morlet(sampr, freq, width): A exp(-t^2 / (2 st^2)) exp(2 pi i f t) on
// t = np.arange(-3.5 st, 3.5 st, 1 / sampr), in numpy's operation order so the sample count
// (ceil of the span over the step) is numpy's.
struct wavelet {
    double f, start, delta, st, amplitude;
    std::size_t samples;
};

wavelet morlet(double f, double fs_hz, double width) {
    const double dt = 1.0 / fs_hz;
    const double sf = f / width;
    const double st = 1.0 / (2.0 * pi * sf);
    const double start = -3.5 * st, stop = 3.5 * st;
    const auto samples = static_cast<std::size_t>(std::ceil((stop - start) / dt));
    return {f, start, (start + dt) - start, st, 1.0 / (st * std::sqrt(2.0 * pi)), samples};
}

// The wavelet's samples, zero-padded to `size`.
void write_wavelet(const wavelet& w, fftw_complex* buf, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
        if (i < w.samples) {
            const double t = w.start + static_cast<double>(i) * w.delta;
            const std::complex<double> m = w.amplitude * std::exp(-(t * t) / (2.0 * w.st * w.st)) *
                                           std::exp(std::complex<double>(0.0, 2.0 * pi * w.f * t));
            buf[i][0] = m.real();
            buf[i][1] = m.imag();
        } else {
            buf[i][0] = buf[i][1] = 0.0;
        }
    }
}

// MorletVec's energy averaged over time: y = (2 |conv| / sampr)^2 kept from ceil(M / 2), n
// samples (the slice's upper end, len(y) - floor(M / 2) + 1, is n samples further on for any
// M >= 2), of the unnormalised backward transform in `buf` (size times the convolution).
double mean_energy(const fftw_complex* buf, std::size_t size, std::size_t samples, std::size_t n,
                   double fs_hz) {
    const std::size_t lower = (samples + 1) / 2;
    double sum = 0;
    for (std::size_t i = lower; i < lower + n; ++i) {
        const double re = buf[i][0] / static_cast<double>(size);
        const double im = buf[i][1] / static_cast<double>(size);
        const double a = 2.0 * std::sqrt(re * re + im * im) / fs_hz;
        sum += a * a;
    }
    return sum / static_cast<double>(n);
}

// Full linear convolutions (scipy.signal.fftconvolve) of `sig` with each wavelet, through one FFT
// size that fits the longest wavelet, so two plans serve every frequency; each one's mean energy.
std::vector<double> morlet_energies(const std::vector<double>& sig, const std::vector<wavelet>& wavelets,
                                    double fs_hz) {
    const std::size_t n = sig.size();
    std::size_t longest = 0, size = 1;
    for (const wavelet& w : wavelets) longest = std::max(longest, w.samples);
    while (size < n + longest - 1) size *= 2;
    auto buf = fftw_array<fftw_complex>(size);
    auto spec = fftw_array<fftw_complex>(size);
    const fft_plan forward([&] {
        return fftw_plan_dft_1d(static_cast<int>(size), buf.get(), spec.get(), FFTW_FORWARD, FFTW_ESTIMATE);
    });
    const fft_plan backward([&] {
        return fftw_plan_dft_1d(static_cast<int>(size), spec.get(), buf.get(), FFTW_BACKWARD, FFTW_ESTIMATE);
    });
    for (std::size_t i = 0; i < size; ++i) {
        buf[i][0] = i < n ? sig[i] : 0.0;
        buf[i][1] = 0.0;
    }
    forward.execute();
    std::vector<std::complex<double>> sig_hat(size);
    for (std::size_t i = 0; i < size; ++i) sig_hat[i] = {spec[i][0], spec[i][1]};
    std::vector<double> energies;
    for (const wavelet& w : wavelets) {
        write_wavelet(w, buf.get(), size);
        forward.execute();
        for (std::size_t i = 0; i < size; ++i) {
            const std::complex<double> p = std::complex<double>(spec[i][0], spec[i][1]) * sig_hat[i];
            spec[i][0] = p.real();
            spec[i][1] = p.imag();
        }
        backward.execute();
        energies.push_back(mean_energy(buf.get(), size, w.samples, n, fs_hz));
    }
    return energies;
}

// plotRatePSD's transformMethod='morlet': netpyne/support/morlet.py (MorletSpec, MorletVec,
// Morlet) of NetPyNE 1.1.0 with width 7 at freqs = np.arange(fmin, fmax + 1, step), and the
// time average of each frequency's energy (np.mean(TFR, 1)).
spectrum morlet_power(const std::vector<double>& rate, double fs_hz, double fmin, double fmax,
                      double fstep, double width) {
    spectrum s;
    s.freq_hz = arange_frequencies(fmin, fmax, fstep);
    s.power.assign(s.freq_hz.size(), 0.0);
    if (rate.empty()) return s;
    std::vector<wavelet> wavelets;
    for (double f : s.freq_hz) wavelets.push_back(morlet(f, fs_hz, width));
    s.power = morlet_energies(detrended(rate), wavelets, fs_hz);
    return s;
}

}  // namespace

spectrum welch(const std::vector<double>& x, double fs_hz, std::size_t segment, std::size_t overlap,
               bool demean) {
    if (x.empty()) return {};
    if (segment == 0) throw std::invalid_argument("welch: segment must be positive");
    segment = std::min(segment, x.size());  // scipy shortens nperseg to the signal, too
    if (overlap >= segment) throw std::invalid_argument("welch: overlap must be below the segment");
    // scipy.signal.get_window("hann", n): the periodic (DFT-even) Hann window, computed as scipy
    // does, 0.5 + 0.5 cos(linspace(-pi, pi, n + 1)[:n]).
    std::vector<double> win(segment);
    const double step_angle = 2.0 * pi / static_cast<double>(segment);
    for (std::size_t i = 0; i < segment; ++i)
        win[i] = 0.5 + 0.5 * std::cos(static_cast<double>(i) * step_angle - pi);
    double norm = 0;
    for (double v : win) norm += v * v;
    const std::size_t step = segment - overlap;
    const std::size_t segments = (x.size() - overlap) / step;
    spectrum s;
    s.power = averaged_periodogram(x, segment, step, segments, win, demean, 1.0 / (fs_hz * norm));
    s.freq_hz = rfft_frequencies(segment, fs_hz);
    return s;
}

spectrum rate_psd(const std::vector<double>& times, std::uint32_t cells, const window& w,
                  const rate_psd_params& params) {
    switch (params.mode) {
        case rate_psd_mode::standard: {
            // The reference's method (reference_m1_2017.json "oscillation", fidelity.py): 1 ms
            // counts, mean removed, scipy.signal.welch(fs=1000, nperseg=500, noverlap=250), here
            // of the population-mean rate in spikes/s per cell (counts / cells / 0.001 s).
            std::vector<double> rate = spike_counts(times, w, 1.0);
            if (rate.empty()) return {};
            double mean = 0;
            for (double& r : rate) {
                r = cells ? r / cells / 0.001 : 0.0;
                mean += r;
            }
            mean /= static_cast<double>(rate.size());
            for (double& r : rate) r -= mean;
            // Windows under 500 ms: one segment of all of it, still half-overlapping.
            const std::size_t segment = std::min<std::size_t>(500, rate.size());
            return welch(rate, 1000.0, segment, segment / 2, true);
        }
        case rate_psd_mode::netpyne:
            // plotRatePSD(transformMethod='fft') defaults: binSize 5, NFFT 256, noverlap 128,
            // Fs = 1000 / binSize (netpyne/analysis/spikes_legacy.py of 1.1.0).
            return mlab_psd(netpyne_rate(times, cells, w, 5.0), 256, 128, 1000.0 / 5.0);
        case rate_psd_mode::netpyne_morlet:
            // plotRatePSD() defaults: binSize 5, minFreq 1, maxFreq 100, stepFreq 1; MorletSpec's
            // width 7.
            return morlet_power(netpyne_rate(times, cells, w, 5.0), 1000.0 / 5.0, 1.0, 100.0, 1.0,
                                7.0);
    }
    throw std::invalid_argument("rate_psd: unknown mode");
}

band_powers bands_of(const spectrum& s) {
    // Uniform frequency grid: df is the spacing of the first two bins.
    const double df = s.freq_hz.size() > 1 ? s.freq_hz[1] - s.freq_hz[0] : 0.0;
    auto band = [&](double lo, double hi) {
        double sum = 0;
        for (std::size_t k = 0; k < s.freq_hz.size() && k < s.power.size(); ++k)
            if (s.freq_hz[k] >= lo && s.freq_hz[k] < hi) sum += s.power[k] * df;
        return sum;
    };
    band_powers b;
    b.theta = band(4, 8);
    b.alpha = band(8, 13);
    b.beta = band(13, 30);
    b.gamma = band(30, 80);
    return b;
}

double peak_frequency(const spectrum& s, double lo_hz, double hi_hz) {
    double best_f = std::numeric_limits<double>::quiet_NaN();
    double best_p = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < s.freq_hz.size() && k < s.power.size(); ++k) {
        const double f = s.freq_hz[k];
        if (f < lo_hz || f > hi_hz) continue;
        if (s.power[k] > best_p) {  // strictly greater: the first of equal maxima, as np.argmax
            best_p = s.power[k];
            best_f = f;
        }
    }
    return best_f;
}

}  // namespace m1::analysis
