#include "analysis/granger.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace m1::analysis {

std::vector<double> netpyne_spike_counts(const std::vector<double>& times, const window& w,
                                         double bin_ms) {
    // np.arange's length and values: ceil((stop - start) / step) elements, start + i * delta with
    // delta the difference of the first two (exact for NetPyNE's whole-millisecond ranges).
    const double span = (w.stop_ms - w.start_ms) / bin_ms;
    const auto edges = span > 0 ? static_cast<std::size_t>(std::ceil(span)) : 0;
    if (edges < 2) return {};
    const double delta = (w.start_ms + bin_ms) - w.start_ms;
    auto edge = [&](std::size_t i) { return i == 0 ? w.start_ms : w.start_ms + double(i) * delta; };
    const std::size_t bins = edges - 1;
    const double first = edge(0), last = edge(bins);
    std::vector<double> counts(bins, 0.0);
    for (double t : times) {
        if (!(t >= first && t <= last)) continue;  // also drops NaN
        // The arithmetic guess, corrected against the edges themselves (searchsorted's answer).
        auto b = static_cast<std::size_t>(std::clamp((t - first) / delta, 0.0, double(bins - 1)));
        while (b > 0 && t < edge(b)) --b;
        while (b + 1 < bins && t >= edge(b + 1)) ++b;
        counts[b] += 1;
    }
    return counts;
}

namespace {

using mat2 = Eigen::Matrix2d;
using cmat2 = Eigen::Matrix2cd;
using series = Eigen::Matrix<double, 2, Eigen::Dynamic>;

// Raised inside the fit; its text becomes granger_result::failure.
struct fit_failure {
    std::string what;
};

// bsmart.ckchol followed by its callers' ".T.H": the lower Cholesky factor L (M = L L^T) of the
// lower triangle of M, as LAPACK's potrf computes it. NetPyNE replaces a failed factorisation by
// the identity; standard mode reports it.
class factoriser {
public:
    explicit factoriser(bool substitute) : substitute_(substitute) {}

    mat2 lower(const mat2& m, const char* what) {
        mat2 l = mat2::Zero();
        const double a00 = m(0, 0);
        if (a00 > 0) {
            l(0, 0) = std::sqrt(a00);
            l(1, 0) = m(1, 0) / l(0, 0);
            const double d = m(1, 1) - l(1, 0) * l(1, 0);
            if (d > 0) {
                l(1, 1) = std::sqrt(d);
                return l;
            }
        }
        if (!substitute_)
            throw fit_failure{std::string("the Cholesky factorisation of ") + what +
                              " failed (not positive definite): the two series are (nearly) "
                              "linearly dependent at this model order"};
        ++substitutions_;
        return mat2::Identity();
    }
    int substitutions() const { return substitutions_; }

private:
    bool substitute_;
    int substitutions_ = 0;
};

// numpy.linalg.inv raises on an exactly singular matrix (LAPACK's getrf finds a zero pivot).
template <class M>
M inverse(const M& m, const char* what) {
    if (m.determinant() == typename M::Scalar(0))
        throw fit_failure{std::string("singular matrix (") + what + ")"};
    return m.inverse();
}

struct ar_model {
    std::vector<mat2> a;  // A_1..A_p: x_t + sum_m A_m x_{t-m} = e_t
    mat2 z;               // noise covariance
};

// armorf's state: the forward and backward AR coefficients of the order reached (ap, bp; a, b
// for the next), the normalised errors and their covariances, and the factor of the noise
// covariance (en).
struct lattice {
    std::vector<mat2> ap, bp, a, b;
    mat2 en, pf, pb, pfb;
    series efp, ebp;
};

// Before the first step: order 0, the data's own covariances.
lattice start_lattice(const series& x, factoriser& chol) {
    const Eigen::Index n = x.cols();
    const auto head = x.leftCols(n - 1), tail = x.rightCols(n - 1);
    lattice l;
    l.en = x * x.transpose();
    // "ap / ntrls * (npts - 1)": BSMART's (and its MATLAB original's) scaling, kept for equality.
    const mat2 fwd = mat2(tail * tail.transpose()) * double(n - 1),
               bwd = mat2(head * head.transpose()) * double(n - 1);
    const mat2 ap0 = inverse(chol.lower(fwd, "the forward covariance"), "forward normaliser");
    const mat2 bp0 = inverse(chol.lower(bwd, "the backward covariance"), "backward normaliser");
    l.efp = ap0 * tail;
    l.ebp = bp0 * head;
    l.pf = l.efp * l.efp.transpose();
    l.pb = l.ebp * l.ebp.transpose();
    l.pfb = l.efp * l.ebp.transpose();
    l.en = chol.lower(l.en / double(n), "the data covariance");
    l.ap = {ap0};
    l.bp = {bp0};
    return l;
}

// Step m: the next reflection coefficient, the normalised forward / backward error covariances
// and the coefficients of order m + 1.
void next_coefficients(lattice& l, int m, factoriser& chol) {
    const mat2 eye = mat2::Identity();
    const mat2 ck = inverse(chol.lower(l.pf, "the forward error covariance"), "forward error") *
                    l.pfb *
                    inverse(mat2(chol.lower(l.pb, "the backward error covariance").transpose()),
                            "backward error");
    const mat2 ef = eye - ck * ck.transpose(), eb = eye - ck.transpose() * ck;
    const mat2 lef = chol.lower(ef, "I - K K^T");
    l.en = l.en * lef;
    l.ap.push_back(mat2::Zero());
    l.bp.push_back(mat2::Zero());
    const mat2 ief = inverse(lef, "I - K K^T");
    const mat2 ieb = inverse(chol.lower(eb, "I - K^T K"), "I - K^T K");
    l.a.assign(m + 2, mat2::Zero());
    l.b.assign(m + 2, mat2::Zero());
    for (int i = 0; i < m + 2; ++i) {
        l.a[i] = ief * (l.ap[i] - ck * l.bp[m + 1 - i]);
        l.b[i] = ieb * (l.bp[i] - ck.transpose() * l.ap[m + 1 - i]);
    }
}

// Step m: the errors of the coefficients of order m + 1 over the samples they reach.
void next_errors(lattice& l, const series& x, int m) {
    const Eigen::Index len = x.cols() - m - 2;
    if (len <= 0) throw fit_failure{"too few bins for the model order"};
    l.efp = series::Zero(2, len);
    l.ebp = series::Zero(2, len);
    for (int i = 0; i < m + 2; ++i) {
        l.efp += l.a[i] * x.middleCols(m + 2 - i, len);
        l.ebp += l.b[m + 1 - i] * x.middleCols(m + 1 - i, len);
    }
    l.pf = l.efp * l.efp.transpose();
    l.pb = l.ebp * l.ebp.transpose();
    l.pfb = l.efp * l.ebp.transpose();
    l.ap = l.a;
    l.bp = l.b;
}

// bsmart.armorf with one trial (ntrls = 1, npts = N), step for step.
ar_model armorf(const series& x, int p, factoriser& chol) {
    lattice l = start_lattice(x, chol);
    for (int m = 0; m < p; ++m) {
        next_coefficients(l, m, chol);
        next_errors(l, x, m);
    }
    ar_model model;
    const mat2 ia0 = inverse(l.a[0], "leading AR coefficient");
    for (int j = 0; j < p; ++j) model.a.push_back(ia0 * l.a[j + 1]);
    model.z = l.en * l.en.transpose();
    return model;
}

std::string spikes_problem(const char* name, const std::vector<double>& counts, const window& w) {
    double total = 0;
    for (double c : counts) total += c;
    std::ostringstream s;
    if (total == 0)
        s << "too few spikes for Granger: " << name << " has no spikes in [" << w.start_ms << ", "
          << w.stop_ms << ") ms";
    else if (std::all_of(counts.begin(), counts.end(), [&](double c) { return c == counts[0]; }))
        s << "Granger needs varying counts: " << name << "'s counts are the same in every bin ("
          << counts[0] << ")";
    return s.str();
}

// The counts of the standard mode (spike_counts) or of NetPyNE's (netpyne_spike_counts).
std::vector<double> counts_of(const std::vector<double>& times, const window& w, double bin_ms, bool netpyne) {
    return netpyne ? netpyne_spike_counts(times, w, bin_ms) : spike_counts(times, w, bin_ms);
}

// The two count series as the rows of one, each demeaned in the standard mode.
series paired(const std::vector<double>& cx, const std::vector<double>& cy, bool netpyne) {
    const auto n = static_cast<Eigen::Index>(cx.size());
    series x(2, n);
    for (Eigen::Index t = 0; t < n; ++t) x(0, t) = cx[t], x(1, t) = cy[t];
    if (!netpyne) x.colwise() -= x.rowwise().mean();
    return x;
}

// The model's noise: Z, and (bsmart.pwcausalr) the partial noise variances ("corrected
// covariance") of each channel.
struct model_noise {
    cmat2 zc;
    double eyx, exy;
};

model_noise noise_of(const mat2& z) {
    return {z.cast<std::complex<double>>(), z(1, 1) - z(0, 1) * z(0, 1) / z(0, 0),
            z(0, 0) - z(1, 0) * z(1, 0) / z(1, 1)};
}

// Geweke's F(x -> y) and F(y -> x) at f Hz; a fit_failure when either is not finite.
std::pair<double, double> causality_at(const ar_model& model, const model_noise& e, double f,
                                       double inv_fs) {
    // bsmart.spectrum_AR, the exponent evaluated in numpy's order (numpy divides a complex by a
    // real as a product with its reciprocal).
    cmat2 h = cmat2::Identity();
    for (std::size_t m = 0; m < model.a.size(); ++m) {
        const double theta = -double(m + 1) * 2.0 * std::numbers::pi * f * inv_fs;
        h += model.a[m].cast<std::complex<double>>() * std::polar(1.0, theta);
    }
    h = inverse(h, "I + sum A_m e^{-i m w} at a frequency");
    const cmat2 s = (h * e.zc * h.adjoint()) * inv_fs;
    const std::complex<double> h01 = h(0, 1), h10 = h(1, 0);
    const double fyx = std::log(std::abs(s(0, 0)) / std::abs(s(0, 0) - (h01 * e.eyx * std::conj(h01)) * inv_fs));
    const double fxy = std::log(std::abs(s(1, 1)) / std::abs(s(1, 1) - (h10 * e.exy * std::conj(h10)) * inv_fs));
    if (!std::isfinite(fxy) || !std::isfinite(fyx)) {
        std::ostringstream m;
        m << "non-finite Granger causality at " << f << " Hz (the fitted model is "
          << "degenerate: the series are (nearly) determined by each other's past)";
        throw fit_failure{m.str()};
    }
    return {fxy, fyx};
}

// F(x -> y) and F(y -> x) at 0, 1, ..., floor(min(max_freq_hz, fs / 2)) Hz into r.
void geweke_spectra(const ar_model& model, const granger_params& params, bool netpyne, granger_result& r) {
    // NetPyNE: fs = int(1000 / binSize), frequencies range(0, int(fs / 2) + 1).
    const double fs = netpyne ? std::trunc(1000.0 / params.bin_ms) : 1000.0 / params.bin_ms;
    const double fmax = std::floor(std::min(params.max_freq_hz, fs / 2));
    const double inv_fs = 1.0 / fs;
    const model_noise noise = noise_of(model.z);
    for (double f = 0; f <= fmax; f += 1) {
        const auto [fxy, fyx] = causality_at(model, noise, f, inv_fs);
        r.freq_hz.push_back(f);
        r.f_xy.push_back(fxy);
        r.f_yx.push_back(fyx);
    }
}

}  // namespace

void validate(const granger_params& params) {
    if (!(params.bin_ms > 0)) throw std::invalid_argument("granger: bin_ms must be > 0");
    if (params.order < 1) throw std::invalid_argument("granger: order must be >= 1");
}

granger_result granger(const std::vector<double>& x_times, const std::vector<double>& y_times,
                       const window& w, const granger_params& params) {
    validate(params);
    const bool netpyne = params.mode == granger_mode::netpyne;
    granger_result r;
    const std::vector<double> cx = counts_of(x_times, w, params.bin_ms, netpyne),
                              cy = counts_of(y_times, w, params.bin_ms, netpyne);
    const auto n = static_cast<Eigen::Index>(cx.size());
    if (n < params.order + 2) {
        std::ostringstream s;
        s << "window too short for Granger: " << n << " bins of " << params.bin_ms
          << " ms, order " << params.order << " needs at least " << params.order + 2;
        r.failure = s.str();
        return r;
    }
    for (auto [name, c] : {std::pair{"x", &cx}, std::pair{"y", &cy}})
        if (r.failure = spikes_problem(name, *c, w); !r.failure.empty()) return r;
    factoriser chol(netpyne);
    try {
        geweke_spectra(armorf(paired(cx, cy, netpyne), params.order, chol), params, netpyne, r);
    } catch (const fit_failure& e) {
        r = granger_result{};
        r.failure = e.what;
    }
    r.identity_substitutions = chol.substitutions();
    return r;
}

}  // namespace m1::analysis
