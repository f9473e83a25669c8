#include "batch/cmaes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

// The bounds. CMA-ES samples in unbounded space; what ask() returns is each sample mirrored into
// [0, 1] with period 2 (reflect below), and the update uses the unmirrored sample. So the
// strategy minimises the well-defined function f(reflect(x)) on R^n, whose samples stay
// N(m, sigma^2 C) as every update equation assumes: no sample is moved, nothing piles up on the
// bounds, and an optimum on a bound is an ordinary (kinked) minimum of f(reflect(x)). pycma's
// default BoundTransform does the same, with a periodic map smoothed near the bounds; the
// tutorial's other way, a penalty on the distance to a repaired sample, needs a penalty weight
// adapted to f's scale. The mean may wander outside the cube; its image is what counts.
// Measured while choosing (evaluations to 1e-8, median of 5 seeds, the test functions of
// tests/test_search_algorithm.cpp): on an optimum on the bounds ours took 626 (5-D) and 1235
// (10-D), what CMA-ES takes on the unbounded problem; with the reflected sample in the update
// no run reached 1e-8 there in 5-D; with a clamped sample evaluated and the unclamped one in the
// update, the mean drifted on the plateau outside (2 of 5 runs failed in 10-D). The price: a
// sphere centred 0.3 (one sigma0 from a bound) sees its mirror image early on: 650 and 1336
// against 589 and 1150 without the bounds (pagmo, clamping the samples its update sees: 531 and
// 1122).
namespace m1::batch {

namespace {

constexpr double mean0 = 0.5;   // the cube's centre
constexpr double sigma0 = 0.3;  // of the cube's side (the tutorial: about 0.3 of the range, so
                                // that the optimum lies within m +- 2 sigma0 in every coordinate)

// x mirrored into [0, 1] at every integer: -0.2 -> 0.2, 1.3 -> 0.7, 2.1 -> 0.1.
double reflect(double x) {
    const double t = std::fmod(std::fabs(x), 2.0);
    return t <= 1.0 ? t : 2.0 - t;
}

// w'_i = ln((lambda + 1) / 2) - ln i for i = 1..lambda (eq. 49).
Eigen::VectorXd raw_weights(std::size_t lambda) {
    Eigen::VectorXd w(static_cast<Eigen::Index>(lambda));
    for (std::size_t i = 0; i < lambda; ++i)
        w[static_cast<Eigen::Index>(i)] = std::log((lambda + 1.0) / 2.0) - std::log(i + 1.0);
    return w;
}

// (sum w)^2 / sum w^2: mu_eff over the positive weights, mu_eff^- over the negative (Table 1).
double effective_mass(const Eigen::VectorXd& w) { return w.sum() * w.sum() / w.squaredNorm(); }

// The positive w'_i scaled to sum to 1, the negative to sum to -min(alpha_mu^-, alpha_mu_eff^-,
// alpha_posdef^-) (eqs. 50-53).
Eigen::VectorXd final_weights(const Eigen::VectorXd& w, const cmaes_parameters& p) {
    const Eigen::VectorXd negative = w.tail(static_cast<Eigen::Index>(p.lambda - p.mu));
    const double alpha_mu = 1 + p.c_1 / p.c_mu;                                       // eq. 50
    const double alpha_mu_eff = 1 + 2 * effective_mass(negative) / (p.mu_eff + 2);  // eq. 51
    const double alpha_posdef = (1 - p.c_1 - p.c_mu) / (double(p.n) * p.c_mu);      // eq. 52
    const double alpha = std::min({alpha_mu, alpha_mu_eff, alpha_posdef});
    const double positive_sum = w.head(static_cast<Eigen::Index>(p.mu)).sum();
    const double negative_sum = -negative.sum();
    Eigen::VectorXd out(w.size());
    for (Eigen::Index i = 0; i < w.size(); ++i)  // eq. 53
        out[i] = w[i] >= 0 ? w[i] / positive_sum : alpha * w[i] / negative_sum;
    return out;
}

// The runs that failed: +inf or NaN (-inf is a fitness, the best).
std::size_t failed(const std::vector<double>& fitness) {
    return std::size_t(std::count_if(fitness.begin(), fitness.end(), [](double f) {
        return std::isnan(f) || f == std::numeric_limits<double>::infinity();
    }));
}

// Symmetric C's eigenvalues: the largest positive, none below -1e-12 of it (as rounding can leave
// them, which eigendecomposition() floors).
bool positive_semidefinite(const Eigen::MatrixXd& C) {
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(C, Eigen::EigenvaluesOnly);
    const double largest = solver.eigenvalues().maxCoeff();
    return solver.info() == Eigen::Success && largest > 0 &&
           solver.eigenvalues().minCoeff() >= -1e-12 * largest;
}

std::vector<double> to_std(const Eigen::VectorXd& v) { return {v.begin(), v.end()}; }

Eigen::VectorXd to_eigen(const std::vector<double>& v) {
    return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

}  // namespace

cmaes_parameters cmaes_default_parameters(std::size_t n, std::size_t lambda) {
    cmaes_parameters p;
    p.n = n, p.lambda = lambda, p.mu = lambda / 2;
    const double N = double(n);
    const Eigen::VectorXd w = raw_weights(lambda);
    p.mu_eff = effective_mass(w.head(static_cast<Eigen::Index>(p.mu)));
    p.c_sigma = (p.mu_eff + 2) / (N + p.mu_eff + 5);                                         // eq. 55
    p.d_sigma = 1 + 2 * std::max(0.0, std::sqrt((p.mu_eff - 1) / (N + 1)) - 1) + p.c_sigma;  // eq. 55
    p.c_c = (4 + p.mu_eff / N) / (N + 4 + 2 * p.mu_eff / N);                                 // eq. 56
    // Table 1 with alpha_cov = 2 (c_mu without pycma's later "rankmu_offset" of 1/4).
    p.c_1 = 2 / ((N + 1.3) * (N + 1.3) + p.mu_eff);
    p.c_mu = std::min(1 - p.c_1, 2 * (p.mu_eff - 2 + 1 / p.mu_eff) / ((N + 2) * (N + 2) + p.mu_eff));
    p.weights = final_weights(w, p);
    p.chi_n = std::sqrt(N) * (1 - 1 / (4 * N) + 1 / (21 * N * N));  // the tutorial's approximation
    return p;
}

cmaes::cmaes(std::size_t dimension, std::size_t population, std::uint64_t seed)
    : seed_(seed), sigma_(sigma0) {
    check_search_shape("cmaes", dimension, population);
    p_ = cmaes_default_parameters(dimension, population);
    const auto n = static_cast<Eigen::Index>(dimension);
    m_ = Eigen::VectorXd::Constant(n, mean0);
    p_sigma_ = p_c_ = Eigen::VectorXd::Zero(n);
    C_ = Eigen::MatrixXd::Identity(n, n);
    eigendecomposition();
}

// Column k: y_k = B D z_k ~ N(0, C) (eq. 39), z_k ~ N(0, I) from candidate k's stream (eq. 38).
Eigen::MatrixXd cmaes::sample() const {
    const auto n = static_cast<Eigen::Index>(p_.n);
    Eigen::MatrixXd y(n, static_cast<Eigen::Index>(p_.lambda));
    Eigen::VectorXd z(n);
    for (std::size_t k = 0; k < p_.lambda; ++k) {
        random_stream stream = candidate_stream(seed_, search_stream::cmaes, generation_, k);
        for (Eigen::Index i = 0; i < n; ++i) z[i] = stream.normal(0, 1);
        y.col(static_cast<Eigen::Index>(k)) = B_ * D_.cwiseProduct(z);
    }
    return y;
}

// x_k = m + sigma y_k (eq. 40), mirrored into the cube.
std::vector<unit_point> cmaes::ask() {
    const Eigen::MatrixXd y = sample();
    std::vector<unit_point> points(p_.lambda, unit_point(p_.n));
    for (std::size_t k = 0; k < p_.lambda; ++k)
        for (std::size_t i = 0; i < p_.n; ++i) {
            const auto row = static_cast<Eigen::Index>(i), col = static_cast<Eigen::Index>(k);
            points[k][i] = reflect(m_[row] + sigma_ * y(row, col));
        }
    return points;
}

void cmaes::tell(const std::vector<double>& fitness) {
    if (fitness.size() != p_.lambda)
        throw std::invalid_argument("CMA-ES told " + std::to_string(fitness.size()) +
                                    " fitness values for " + std::to_string(p_.lambda) + " candidates");
    const Eigen::MatrixXd y = sort(sample(), fitness);
    const Eigen::VectorXd y_w = recombine(y);
    m_ += sigma_ * y_w;  // eq. 42, c_m = 1
    update_p_sigma(y_w);
    update_sigma();
    const bool h = h_sigma();
    update_p_c(y_w, h);
    update_C(y, h, failed(fitness));
    if (collapsed()) restart();
    eigendecomposition();
    ++generation_;
}

// The distribution has nothing left to search: its spread below what doubles resolve in the cube
// (sigma sqrt(largest eigenvalue of C) < 1e-16: every candidate the same point), C's condition
// number past 1e14 (the tutorial's limit), or a number that is not finite. Left alone, sigma
// underflows and C stops being decomposable (seen after ~80,000 generations on the sphere).
bool cmaes::collapsed() const {
    if (!m_.allFinite() || !C_.allFinite() || !p_c_.allFinite() || !p_sigma_.allFinite() ||
        !std::isfinite(sigma_) || !(sigma_ > 0))
        return true;
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(C_, Eigen::EigenvaluesOnly);
    if (solver.info() != Eigen::Success) return true;
    const double largest = solver.eigenvalues().maxCoeff(), smallest = solver.eigenvalues().minCoeff();
    return !(largest > 0) || sigma_ * std::sqrt(largest) < 1e-16 || largest > 1e14 * std::max(smallest, 0.0);
}

// A restart from where the search is (the mean, else the cube's centre) with the initial spread:
// a search that has converged looks around its optimum again instead of failing.
void cmaes::restart() {
    const auto n = static_cast<Eigen::Index>(p_.n);
    if (!m_.allFinite()) m_ = Eigen::VectorXd::Constant(n, mean0);
    sigma_ = sigma0;
    C_ = Eigen::MatrixXd::Identity(n, n);
    p_sigma_ = p_c_ = Eigen::VectorXd::Zero(n);
    ++restarts_;
}

// y_{i:lambda}: the samples ranked by fitness, best first; NaN counts as +inf, equals keep the
// order asked. The fitness enters the update only through this ranking, so a failed run's +inf
// never meets arithmetic.
Eigen::MatrixXd cmaes::sort(const Eigen::MatrixXd& y, const std::vector<double>& fitness) const {
    const auto key = [&](std::size_t k) {
        return std::isnan(fitness[k]) ? std::numeric_limits<double>::infinity() : fitness[k];
    };
    std::vector<std::size_t> order(p_.lambda);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return key(a) < key(b); });
    Eigen::MatrixXd sorted(y.rows(), y.cols());
    for (std::size_t i = 0; i < p_.lambda; ++i)
        sorted.col(static_cast<Eigen::Index>(i)) = y.col(static_cast<Eigen::Index>(order[i]));
    return sorted;
}

// <y>_w = sum_{i <= mu} w_i y_{i:lambda} (eq. 41).
Eigen::VectorXd cmaes::recombine(const Eigen::MatrixXd& y_sorted) const {
    const auto mu = static_cast<Eigen::Index>(p_.mu);
    return y_sorted.leftCols(mu) * p_.weights.head(mu);
}

// C^(-1/2) = B D^-1 B^T.
Eigen::MatrixXd cmaes::inverse_sqrt_C() const {
    return B_ * D_.cwiseInverse().asDiagonal() * B_.transpose();
}

// p_sigma <- (1 - c_sigma) p_sigma + sqrt(c_sigma (2 - c_sigma) mu_eff) C^(-1/2) <y>_w (eq. 43).
void cmaes::update_p_sigma(const Eigen::VectorXd& y_w) {
    const double c = p_.c_sigma;
    p_sigma_ = (1 - c) * p_sigma_ + std::sqrt(c * (2 - c) * p_.mu_eff) * (inverse_sqrt_C() * y_w);
}

// sigma <- sigma exp(c_sigma / d_sigma (||p_sigma|| / E||N(0, I)|| - 1)) (eq. 44).
void cmaes::update_sigma() {
    sigma_ *= std::exp(p_.c_sigma / p_.d_sigma * (p_sigma_.norm() / p_.chi_n - 1));
}

// h_sigma = 1 if ||p_sigma|| / sqrt(1 - (1 - c_sigma)^(2 (g + 1))) < (1.4 + 2 / (n + 1))
// E||N(0, I)||, the test that stalls p_c while sigma grows (defined with eqs. 45-47).
bool cmaes::h_sigma() const {
    const double g = double(generation_);
    const double decay = std::pow(1 - p_.c_sigma, 2 * (g + 1));
    return p_sigma_.norm() / std::sqrt(1 - decay) < (1.4 + 2 / (double(p_.n) + 1)) * p_.chi_n;
}

// p_c <- (1 - c_c) p_c + h_sigma sqrt(c_c (2 - c_c) mu_eff) <y>_w (eq. 45).
void cmaes::update_p_c(const Eigen::VectorXd& y_w, bool h) {
    const double c = p_.c_c;
    p_c_ = (1 - c) * p_c_ + (h ? std::sqrt(c * (2 - c) * p_.mu_eff) : 0.0) * y_w;
}

// How many weights, by rank, the covariance update uses. A failed run (the last `failed` ranks)
// has no fitness to be worst by, so a negative weight of its sample is not used rather than
// pushing C away from it; the positive weights all are, by rank, as for equal fitness. Measured
// on the 5-D sphere, median evaluations to 1e-8 over 15 seeds: with half of the runs failing at
// random 1576 instead of 2360 (752 without failures); with a failing region only, no difference
// (632 against 640, and 696 against 712 with the region next to the optimum).
Eigen::Index cmaes::weights_used(std::size_t failed) const {
    return static_cast<Eigen::Index>(std::max(p_.lambda - failed, p_.mu));
}

// w_i° (eq. 46): a negative weight divided by its sample's squared Mahalanobis length over n (a
// zero sample, of probability 0, adds nothing); 0 past weights_used.
Eigen::VectorXd cmaes::rank_mu_weights(const Eigen::MatrixXd& y, std::size_t failed) const {
    const Eigen::MatrixXd inverse_sqrt = inverse_sqrt_C();
    Eigen::VectorXd w = p_.weights;
    for (Eigen::Index i = static_cast<Eigen::Index>(p_.mu); i < w.size(); ++i) {
        const double length2 = (inverse_sqrt * y.col(i)).squaredNorm();
        if (i >= weights_used(failed) || length2 == 0) w[i] = 0;
        else if (w[i] < 0) w[i] *= double(p_.n) / length2;
    }
    return w;
}

// C <- (1 + c_1 delta(h_sigma) - c_1 - c_mu sum w_j) C + c_1 p_c p_c^T
//      + c_mu sum w_i° y_{i:lambda} y_{i:lambda}^T (eq. 47), sum w_j over the weights used;
// then C made exactly symmetric.
void cmaes::update_C(const Eigen::MatrixXd& y, bool h, std::size_t failed) {
    const Eigen::VectorXd w = rank_mu_weights(y, failed);
    Eigen::MatrixXd rank_mu = Eigen::MatrixXd::Zero(y.rows(), y.rows());
    for (Eigen::Index i = 0; i < y.cols(); ++i) rank_mu += w[i] * (y.col(i) * y.col(i).transpose());
    const double sum_w = p_.weights.head(weights_used(failed)).sum();
    const double delta_h = h ? 0.0 : p_.c_c * (2 - p_.c_c);
    const double keep = 1 + p_.c_1 * delta_h - p_.c_1 - p_.c_mu * sum_w;
    const Eigen::MatrixXd C = keep * C_ + p_.c_1 * (p_c_ * p_c_.transpose()) + p_.c_mu * rank_mu;
    C_ = (C + C.transpose()) * 0.5;
}

// C = B D^2 B^T (the decomposition eq. 39 samples with), every generation (n is small).
// Eigenvalues are floored at 1e-20 of the largest so that C^(-1/2) stays finite.
void cmaes::eigendecomposition() {
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(C_);
    if (solver.info() != Eigen::Success)
        throw std::runtime_error("CMA-ES: the eigendecomposition of C failed");
    B_ = solver.eigenvectors();
    const double floor = 1e-20 * solver.eigenvalues().maxCoeff();
    D_ = solver.eigenvalues().cwiseMax(floor).cwiseSqrt();
}

// C is written row by row as n * n numbers.
nlohmann::json cmaes::state() const {
    nlohmann::json s = write_state_head({"cmaes", p_.n, p_.lambda, seed_, generation_});
    s["mean"] = to_std(m_);
    s["sigma"] = sigma_;
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> C = C_;
    s["C"] = std::vector<double>(C.data(), C.data() + C.size());
    s["p_c"] = to_std(p_c_);
    s["p_sigma"] = to_std(p_sigma_);
    s["restarts"] = restarts_;
    return s;
}

void cmaes::restore(const nlohmann::json& state) {
    const search_state_head head = read_state_head(state, {"cmaes", p_.n, p_.lambda});
    const double sigma = state_number(state, "sigma");
    if (!(sigma > 0)) throw std::invalid_argument("CMA-ES state: sigma must be positive");
    const auto n = static_cast<Eigen::Index>(p_.n);
    const std::vector<double> c = state_numbers(state, "C", p_.n * p_.n);
    const Eigen::MatrixXd C = Eigen::Map<const Eigen::MatrixXd>(c.data(), n, n).transpose();
    if (C != C.transpose() || !positive_semidefinite(C))
        throw std::invalid_argument("CMA-ES state: C is not a covariance matrix");
    Eigen::VectorXd m = to_eigen(state_numbers(state, "mean", p_.n));
    Eigen::VectorXd p_c = to_eigen(state_numbers(state, "p_c", p_.n));
    Eigen::VectorXd p_sigma = to_eigen(state_numbers(state, "p_sigma", p_.n));
    const auto restarts = state.contains("restarts") ? state.at("restarts").get<std::size_t>() : 0;
    seed_ = head.seed, generation_ = head.generation, sigma_ = sigma, restarts_ = restarts;
    m_ = std::move(m), p_c_ = std::move(p_c), p_sigma_ = std::move(p_sigma), C_ = C;
    eigendecomposition();
}

}  // namespace m1::batch
