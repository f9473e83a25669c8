#pragma once
// CMA-ES as an ask/tell loop, after N. Hansen, "The CMA Evolution Strategy: A Tutorial",
// arXiv:1604.00772 (equation numbers are the tutorial's: its summary, eqs. 38-47, and the default
// strategy parameters of its Table 1, eqs. 49-56), with its negative recombination weights (active
// CMA). The search space is the unit cube; see cmaes.cpp for how samples outside it are handled.
#include "batch/search_algorithm.hpp"

// Single-threaded Eigen whatever the flags (-fopenmp would otherwise parallelise its products):
// the same state gives bit-identical candidates.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif
#include <Eigen/Dense>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace m1::batch {

// The tutorial's default strategy parameters (Table 1) for dimension n and population lambda.
struct cmaes_parameters {
    std::size_t n = 0, lambda = 0, mu = 0;  // mu = lambda / 2 positive weights
    Eigen::VectorXd weights;                // w_1..w_lambda (eq. 53): the first mu sum to 1
    double mu_eff = 0, c_sigma = 0, d_sigma = 0, c_c = 0, c_1 = 0, c_mu = 0;
    double chi_n = 0;                       // E||N(0, I)||
};
cmaes_parameters cmaes_default_parameters(std::size_t n, std::size_t lambda);

class cmaes : public search_algorithm {
public:
    // Throws std::invalid_argument for dimension 0 or a population below
    // minimum_population("cmaes").
    cmaes(std::size_t dimension, std::size_t population, std::uint64_t seed);

    std::vector<unit_point> ask() override;
    void tell(const std::vector<double>& fitness) override;
    std::size_t generation() const override { return generation_; }
    nlohmann::json state() const override;
    void restore(const nlohmann::json& state) override;

    const cmaes_parameters& parameters() const { return p_; }
    double sigma() const { return sigma_; }
    std::size_t restarts() const { return restarts_; }  // after the distribution collapsed

private:
    Eigen::MatrixXd sample() const;
    Eigen::MatrixXd sort(const Eigen::MatrixXd& y, const std::vector<double>& fitness) const;
    Eigen::VectorXd recombine(const Eigen::MatrixXd& y_sorted) const;
    Eigen::MatrixXd inverse_sqrt_C() const;
    void update_p_sigma(const Eigen::VectorXd& y_w);
    void update_sigma();
    bool h_sigma() const;
    void update_p_c(const Eigen::VectorXd& y_w, bool h);
    Eigen::Index weights_used(std::size_t failed) const;
    Eigen::VectorXd rank_mu_weights(const Eigen::MatrixXd& y_sorted, std::size_t failed) const;
    void update_C(const Eigen::MatrixXd& y_sorted, bool h, std::size_t failed);
    void eigendecomposition();
    bool collapsed() const;
    void restart();

    cmaes_parameters p_;
    Eigen::Index finite_ = 0;
    std::uint64_t seed_;
    std::size_t generation_ = 0;
    Eigen::VectorXd m_, p_sigma_, p_c_;
    double sigma_;
    std::size_t restarts_ = 0;
    Eigen::MatrixXd C_;
    Eigen::MatrixXd B_;  // C = B diag(D)^2 B^T: B's columns the eigenvectors,
    Eigen::VectorXd D_;  // D the square roots of the eigenvalues
};

}  // namespace m1::batch
