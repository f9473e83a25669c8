#include "batch/pagmo_search.hpp"

#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/algorithms/pso_gen.hpp>
#include <pagmo/bfe.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace m1::batch {

namespace {

// The search space as pagmo sees it: the unit cube with `objectives` objectives. pagmo never
// evaluates a point of it alone: every evaluation goes through the batch evaluator.
struct unit_cube {
    std::size_t dimension = 1, objectives = 1;

    pagmo::vector_double fitness(const pagmo::vector_double&) const {
        throw std::logic_error("a search's candidates are evaluated a generation at a time");
    }
    std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
        return {pagmo::vector_double(dimension, 0.0), pagmo::vector_double(dimension, 1.0)};
    }
    pagmo::vector_double::size_type get_nobj() const { return objectives; }
};

// Thrown through pagmo by the replaying evaluator: the batch not evaluated yet.
struct batch_asked {
    pagmo::vector_double decision_vectors;
};

// pagmo's batch evaluator during a replay: its k-th batch gets the fitness told for generation k.
// pagmo copies evaluators, so the count of batches answered is shared.
struct replay_evaluator {
    const std::vector<pagmo::vector_double>* told = nullptr;
    std::shared_ptr<std::size_t> answered = std::make_shared<std::size_t>(0);

    pagmo::vector_double operator()(const pagmo::problem&, const pagmo::vector_double& dvs) const {
        const std::size_t k = (*answered)++;
        if (k >= told->size()) throw batch_asked{dvs};
        return (*told)[k];
    }
};

// A pagmo algorithm replayed (see the header): what pso_gen and nsga2 share.
class replayed_search : public search_algorithm {
public:
    std::vector<unit_point> ask() override {
        const pagmo::vector_double asked = replay();
        std::vector<unit_point> points(head_.population);
        for (std::size_t k = 0; k < points.size(); ++k)
            points[k].assign(asked.begin() + std::ptrdiff_t(k * head_.dimension),
                             asked.begin() + std::ptrdiff_t((k + 1) * head_.dimension));
        return points;
    }

    void tell(const std::vector<double>& fitness) override {
        if (fitness.size() != head_.population * objectives_)
            throw std::invalid_argument(std::string(head_.algorithm) + " told " +
                                        std::to_string(fitness.size()) + " values for " +
                                        std::to_string(head_.population) + " candidates of " +
                                        std::to_string(objectives_) + " objectives");
        told_.push_back(worst_for_failed(fitness));
        ++head_.generation;
    }

    std::size_t objectives() const override { return objectives_; }
    std::size_t generation() const override { return head_.generation; }

    nlohmann::json state() const override {
        nlohmann::json s = write_state_head(head_);
        s["generations"] = generations_;
        s["objectives"] = objectives_;
        pagmo::vector_double told;  // generation after generation
        for (const pagmo::vector_double& g : told_) told.insert(told.end(), g.begin(), g.end());
        s["told"] = told;
        return s;
    }

    void restore(const nlohmann::json& state) override {
        const search_state_head head = read_state_head(state, head_);
        if (state_count(state, "generations") != generations_ || state_count(state, "objectives") != objectives_)
            throw std::invalid_argument("search state: another budget or number of objectives");
        if (head.generation > generations_)
            throw std::invalid_argument("search state: \"generation\" is past the budget");
        told_ = read_told(state, head.generation);
        head_ = head;
    }

protected:
    replayed_search(std::string_view algorithm, std::size_t dimension, std::size_t population,
                    std::size_t objectives, std::size_t generations, std::uint64_t seed)
        : head_{algorithm, dimension, population, seed, 0}, objectives_(objectives),
          generations_(generations) {
        check_search_shape(algorithm, dimension, population);
        if (generations == 0) throw std::invalid_argument(std::string(algorithm) + " needs at least 1 generation");
    }

    // pagmo's algorithm over the generations after the initial population, evaluating through
    // `evaluator`.
    virtual void evolve(pagmo::population& population, const pagmo::bfe& evaluator,
                        unsigned seed) const = 0;

    search_state_head head_;
    std::size_t objectives_, generations_;

private:
    // The generation asked: pagmo's initial population and evolve() from the seed, answered
    // with the fitness told, up to the first batch not told.
    pagmo::vector_double replay() const {
        if (head_.generation >= generations_)
            throw std::logic_error(std::string(head_.algorithm) + ": every generation of the budget was asked");
        const pagmo::bfe evaluator{replay_evaluator{&told_}};
        try {
            pagmo::population population(pagmo::problem{unit_cube{head_.dimension, objectives_}},
                                         evaluator, head_.population, pagmo_seeds_of(head_.seed).population);
            evolve(population, evaluator, pagmo_seeds_of(head_.seed).algorithm);
        } catch (batch_asked& asked) {
            return std::move(asked.decision_vectors);
        }
        throw std::logic_error(std::string(head_.algorithm) + " asked for no batch in generation " +
                               std::to_string(head_.generation));
    }

    // A failed candidate (NaN or infinite fitness) scores the largest double: pagmo's sorting and
    // crowding distances need finite, comparable values.
    static pagmo::vector_double worst_for_failed(pagmo::vector_double f) {
        for (double& x : f)
            if (!std::isfinite(x)) x = std::numeric_limits<double>::max();
        return f;
    }

    std::vector<pagmo::vector_double> read_told(const nlohmann::json& state, std::size_t generations) const {
        const std::size_t per_generation = head_.population * objectives_;
        const std::vector<double> all = state_numbers(state, "told", generations * per_generation);
        std::vector<pagmo::vector_double> told;
        for (std::size_t g = 0; g < generations; ++g)
            told.emplace_back(all.begin() + std::ptrdiff_t(g * per_generation),
                              all.begin() + std::ptrdiff_t((g + 1) * per_generation));
        return told;
    }

    std::vector<pagmo::vector_double> told_;
};

class pso final : public replayed_search {
public:
    pso(std::size_t dimension, std::size_t population, std::size_t generations, std::uint64_t seed)
        : replayed_search("pso", dimension, population, 1, generations, seed) {}

private:
    void evolve(pagmo::population& population, const pagmo::bfe& evaluator, unsigned seed) const override {
        pagmo::pso_gen algorithm(unsigned(generations_ - 1), 0.7298, 2.05, 2.05, 0.5, 5u, 2u, 4u,
                                 false, seed);
        algorithm.set_bfe(evaluator);
        algorithm.evolve(population);
    }
};

class nsga2 final : public replayed_search {
public:
    nsga2(std::size_t dimension, std::size_t population, std::size_t objectives,
          std::size_t generations, std::uint64_t seed)
        : replayed_search("nsga2", dimension, population, objectives, generations, seed) {
        if (objectives < 2) throw std::invalid_argument("nsga2 needs at least 2 objectives");
        if (population % 4 != 0) throw std::invalid_argument("nsga2 needs a population that is a multiple of 4");
    }

private:
    void evolve(pagmo::population& population, const pagmo::bfe& evaluator, unsigned seed) const override {
        pagmo::nsga2 algorithm(unsigned(generations_ - 1), 0.95, 10., 0.01, 50., seed);
        algorithm.set_bfe(evaluator);
        algorithm.evolve(population);
    }
};

}  // namespace

pagmo_seeds pagmo_seeds_of(std::uint64_t seed) {
    const std::uint64_t population[] = {seed, 0}, algorithm[] = {seed, 1};
    return {hash_list(population), hash_list(algorithm)};
}

std::unique_ptr<search_algorithm> make_pso(std::size_t dimension, std::size_t population,
                                           std::size_t generations, std::uint64_t seed) {
    return std::make_unique<pso>(dimension, population, generations, seed);
}

std::unique_ptr<search_algorithm> make_nsga2(std::size_t dimension, std::size_t population,
                                             std::size_t objectives, std::size_t generations,
                                             std::uint64_t seed) {
    return std::make_unique<nsga2>(dimension, population, objectives, generations, seed);
}

}  // namespace m1::batch
