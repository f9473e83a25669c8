#include "batch/search.hpp"

#include "batch/cluster.hpp"
#include "batch/differential_evolution.hpp"
#include "batch/fitness.hpp"
#include "batch/ledger.hpp"
#include "batch/pagmo_search.hpp"
#include "batch/search_algorithm.hpp"
#include "batch/search_plots.hpp"
#include "batch/search_records.hpp"
#include "batch/sweep_expansion.hpp"
#include "core/base/text_format.hpp"

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <ostream>
#include <set>

namespace m1::batch {

namespace {

using clock = std::chrono::steady_clock;

std::unique_ptr<search_algorithm> make_algorithm(const search_spec& s) {
    const std::size_t d = s.runs.params.size();
    switch (s.algorithm) {
        case search_algorithm_kind::cmaes: return make_cmaes(d, s.population, s.seed);
        case search_algorithm_kind::de: return make_de(d, s.population, s.seed);
        case search_algorithm_kind::sade: return make_sade(d, s.population, s.seed);
        case search_algorithm_kind::pso: return make_pso(d, s.population, generation_budget(s), s.seed);
        case search_algorithm_kind::nsga2:
            return make_nsga2(d, s.population, s.objectives.size(), generation_budget(s), s.seed);
        case search_algorithm_kind::random: return make_random_search(d, s.population, s.seed);
        case search_algorithm_kind::latin_hypercube:
            return make_latin_hypercube(d, s.population, generation_budget(s), s.seed);
    }
    throw std::logic_error("unknown search algorithm");
}

std::vector<param_value> point_values(const search_spec& s, const unit_point& u) {
    std::vector<param_value> values;
    for (std::size_t k = 0; k < s.runs.params.size(); ++k)
        values.push_back(value_in_range(s.runs.params[k], std::clamp(u[k], 0.0, 1.0)));
    return values;
}

// A generation's runs: its distinct points (two candidates at one point are one simulation),
// each with its replicates, as a list sweep expands them.
struct generation_runs {
    std::vector<sweep_run> runs;             // point-major, replicates inner
    std::vector<std::size_t> point_of;       // per candidate: its point
};

generation_runs runs_of(const search_spec& s, const std::vector<std::vector<param_value>>& candidates) {
    generation_runs g;
    sweep_spec sweep = s.runs;
    sweep.method = sweep_method::list;
    for (const auto& values : candidates) {
        const auto it = std::find(sweep.points.begin(), sweep.points.end(), values);
        g.point_of.push_back(static_cast<std::size_t>(it - sweep.points.begin()));
        if (it == sweep.points.end()) sweep.points.push_back(values);
    }
    g.runs = expand_sweep(sweep, std::numeric_limits<std::size_t>::max());
    return g;
}

// A run killed between its run file and its analysis file (or analysed otherwise since) is
// analysed again from its run file: its spikes are whole, only the analysis is missing.
void ensure_analysis(const search_spec& s, const std::filesystem::path& run_file) {
    const analysis::analysis_params params = analysis_params_of(s.runs);
    if (analysis::recorded_params(run_file) == params.to_json()) return;
    analysis::write_analysis(run_file, analysis::analyze(analysis::load_trains(run_file), params), params);
}

// One replicate's objective values and fitness, or why it has none.
struct replicate_score {
    std::vector<double> values;
    double fitness = 0;
    std::string failure;
};

replicate_score score_run(const search_spec& s, const results_directory& dir, const std::string& id) {
    replicate_score r;
    const index_row row = dir.read_state(id);
    if (row.state != run_state::done) {
        r.failure = std::string(to_string(row.state)) + (row.message.empty() ? "" : ": " + row.message);
    } else {
        try {
            ensure_analysis(s, dir.run_file(id));
            r.values = objective_values(s, analysis::measures_of_run(dir.run_file(id)));
            r.fitness = fitness_of(s, r.values);
            return r;
        } catch (const storage_error&) {
            throw;  // the results directory's fault, not the candidate's: the search stops
        } catch (const std::exception& e) {
            r.failure = std::string("analysis: ") + e.what();
        }
    }
    r.values.assign(s.objectives.size(), std::numeric_limits<double>::quiet_NaN());
    r.fitness = s.max_fitness;
    return r;
}

// The mean of each objective over the replicates that gave it.
std::vector<double> mean_values(const std::vector<replicate_score>& reps, std::size_t objectives) {
    std::vector<double> mean(objectives, 0.0);
    for (std::size_t k = 0; k < objectives; ++k) {
        std::size_t n = 0;
        for (const auto& r : reps)
            if (std::isfinite(r.values[k])) mean[k] += r.values[k], ++n;
        mean[k] = n ? mean[k] / double(n) : std::numeric_limits<double>::quiet_NaN();
    }
    return mean;
}

evaluation evaluate(const search_spec& s, const results_directory& dir, const generation_runs& g,
                    std::size_t generation, std::size_t individual,
                    const std::vector<param_value>& values) {
    evaluation e{generation, individual, values, {}, {}, 0, "done"};
    const std::size_t reps = std::max<std::size_t>(1, s.runs.replicates);
    std::vector<replicate_score> scores;
    for (std::size_t r = 0; r < reps; ++r) {
        const std::string& id = g.runs[g.point_of[individual] * reps + r].id;
        e.run_ids.push_back(id);
        scores.push_back(score_run(s, dir, id));
        e.fitness += scores.back().fitness / double(reps);
        if (!scores.back().failure.empty() && e.status == "done") e.status = "failed: " + scores.back().failure;
    }
    e.objective_values = mean_values(scores, s.objectives.size());
    return e;
}

// What a search carries from one generation to the next.
struct search_run {
    search_run(const search_spec& s, const batch_options& o, std::ostream& os, generation_executor& e)
        : spec(s), options(o), out(os), executor(e), dir(s.runs.config.output) {}

    const search_spec& spec;
    const batch_options& options;
    std::ostream& out;
    generation_executor& executor;
    results_directory dir;
    std::unique_ptr<search_algorithm> optimiser;
    search_state state;
    std::vector<sweep_run> runs;  // every run so far, each id once: the index's rows
    std::set<std::string> ids;
    clock::time_point start = clock::now();
    std::size_t generations_this_process = 0;
};

void add_runs(search_run& sr, const std::vector<sweep_run>& runs) {
    for (const sweep_run& r : runs)
        if (sr.ids.insert(r.id).second) sr.runs.push_back(r);
}

// The runs of `evaluations`, generation by generation, each id once.
std::vector<sweep_run> runs_of_evaluations(const search_spec& s, const std::vector<evaluation>& evaluations) {
    std::map<std::size_t, std::vector<std::vector<param_value>>> by_generation;
    for (const evaluation& e : evaluations) by_generation[e.generation].push_back(e.values);
    std::vector<sweep_run> runs;
    std::set<std::string> ids;
    for (const auto& [g, candidates] : by_generation)
        for (sweep_run& r : runs_of(s, candidates).runs)
            if (ids.insert(r.id).second) runs.push_back(std::move(r));
    return runs;
}

// The saved state, when it is this search's: the optimiser restored, the runs of the generations
// done back in the index.
void resume(search_run& sr) {
    std::optional<search_state> saved = load_state(sr.dir, sr.spec);
    if (!saved) return;
    try {
        sr.optimiser->restore(saved->optimiser);
    } catch (const std::invalid_argument& e) {
        throw run_error((sr.dir.root() / "search_state.json").string() + ": " + e.what() +
                        "; remove it to start the search afresh (its runs are kept and reused)");
    }
    sr.state = std::move(*saved);
    add_runs(sr, runs_of_evaluations(sr.spec, sr.state.evaluations));
}

// A fitness for progress lines: four significant digits.
std::string fitness_text(double f) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", f);
    return buffer;
}

std::string seconds_text(double s) {
    return s < 120 ? python_repr(std::round(s * 10) / 10) + " s"
                   : std::to_string(static_cast<long>(s / 60 + 0.5)) + " min";
}

// "search: generation 3/25: 48 evaluations, best 1.23, median 4.56, 1 failed; 35 s, ETA 4 min"
void print_generation(search_run& sr, const std::vector<double>& fitness, std::size_t failed) {
    if (sr.options.quiet) return;
    const evaluation* best = best_of(sr.state.evaluations);
    const double elapsed = std::chrono::duration<double>(clock::now() - sr.start).count();
    const std::size_t total = generation_budget(sr.spec), g = sr.state.generations;
    sr.out << sr.spec.runs.name << ": generation " << g << "/" << total << ": "
           << sr.state.evaluations.size() << " evaluations, best " << fitness_text(best->fitness)
           << ", median " << fitness_text(median_of(fitness));
    if (failed) sr.out << ", " << failed << " failed";
    sr.out << "; " << seconds_text(elapsed);
    if (g < total && sr.generations_this_process)
        sr.out << ", ETA " << seconds_text(elapsed / double(sr.generations_this_process) * double(total - g));
    sr.out << "\n" << std::flush;
}

// The generation's runs through the executor, quiet: the search prints a line per generation.
int run_candidates(search_run& sr) {
    batch_options options = sr.options;
    options.quiet = true;
    return sr.executor.run(sr.spec.runs, sr.runs, sr.dir, options, sr.out);
}

// Evaluates the generation's candidates, tells the optimiser, and saves everything.
void record_generation(search_run& sr, const generation_runs& gen,
                       const std::vector<std::vector<param_value>>& candidates) {
    std::vector<double> fitness, told;
    std::size_t failed = 0;
    for (std::size_t k = 0; k < candidates.size(); ++k) {
        const evaluation& e = sr.state.evaluations.emplace_back(
            evaluate(sr.spec, sr.dir, gen, sr.state.generations, k, candidates[k]));
        fitness.push_back(e.fitness);
        failed += e.status != "done";
        if (sr.optimiser->objectives() == 1) told.push_back(e.fitness);
        else for (double score : objective_scores(sr.spec, e.objective_values)) told.push_back(score);
    }
    sr.optimiser->tell(told);
    ++sr.state.generations;
    ++sr.generations_this_process;
    sr.state.optimiser = sr.optimiser->state();
    save_state(sr.dir, sr.spec, sr.state);
    write_optimization_csv(sr.dir, sr.spec, sr.state.evaluations);
    write_optimization_h5(sr.dir, sr.spec, sr.state.evaluations);
    if (sr.optimiser->objectives() > 1) write_pareto_csv(sr.dir, sr.spec, sr.state.evaluations);
    write_best(sr.dir, sr.spec, *best_of(sr.state.evaluations));
    print_generation(sr, fitness, failed);
}

// One generation: ask, run, evaluate, tell. exit_ok to go on, else the code to stop with.
int run_generation(search_run& sr) {
    std::vector<std::vector<param_value>> candidates;
    for (const unit_point& u : sr.optimiser->ask()) candidates.push_back(point_values(sr.spec, u));
    const generation_runs gen = runs_of(sr.spec, candidates);
    add_runs(sr, gen.runs);
    const int code = run_candidates(sr);
    if (code == exit_interrupted || sr.dir.faulted()) return code;
    record_generation(sr, gen, candidates);
    return exit_ok;
}

// A search stopped inside a generation: the ledger has said why when the directory failed it; an
// interruption gets its line here (the generation's runs are quiet).
int stopped(const search_run& sr, int code) {
    if (code == exit_interrupted && !sr.options.quiet)
        sr.out << sr.spec.runs.name << ": interrupted in generation " << sr.state.generations + 1
               << "; the same command resumes after generation " << sr.state.generations
               << " (finished runs are kept)\n";
    return code;
}

void print_start(const search_run& sr) {
    if (sr.options.quiet) return;
    const search_spec& s = sr.spec;
    sr.out << s.runs.name << ": " << algorithm_name(s.algorithm) << ", " << s.runs.params.size()
           << " parameters, " << s.objectives.size() << " objectives, " << generation_budget(s)
           << " generations of " << s.population << " candidates";
    if (s.runs.replicates > 1) sr.out << " x " << s.runs.replicates << " replicates";
    if (sr.state.generations)
        sr.out << "; resuming after generation " << sr.state.generations << " ("
               << sr.state.evaluations.size() << " evaluations)";
    sr.out << "\nresults: " << sr.dir.root().string() << "\n" << std::flush;
}

void print_end(const search_run& sr) {
    if (sr.options.quiet) return;
    const evaluation* best = best_of(sr.state.evaluations);
    sr.out << sr.spec.runs.name << ": " << sr.state.evaluations.size()
           << " evaluations; best fitness " << python_repr(best->fitness) << " (generation "
           << best->generation << ", individual " << best->individual << "):";
    for (std::size_t k = 0; k < best->values.size(); ++k)
        sr.out << " " << sr.spec.runs.params[k].path << " = " << format_value(best->values[k]);
    sr.out << "\nevaluations: " << (sr.dir.root() / "optimization.csv").string()
           << "\nbest point: " << (sr.dir.root() / "best.toml").string()
           << "\nplots: " << (sr.dir.root() / "plots").string() << "/search_*.png, .svg\n";
}

}  // namespace

int local_generations::run(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                           const results_directory& dir, const batch_options& options, std::ostream& out) {
    ledger book(sweep, runs, dir, options, ledger_mode::local, out);
    const job_split split = choose_split(sweep, runs, book.todo(), options);
    book.print_start("");
    run_pool(sweep, runs, dir, split, book, networks_);
    return book.finish();
}

int run_search(const search_spec& spec, const batch_options& options, std::ostream& out) {
    local_generations here;
    return run_search(spec, options, out, here);
}

int run_search(const search_spec& spec, const batch_options& options, std::ostream& out,
               generation_executor& executor) {
    std::unique_ptr<search_algorithm> optimiser = make_algorithm(spec);  // refusals before OUTPUT
    results_directory::lock lock;
    if (const int code = take_directory(spec.runs, {}, /*exclusive=*/true, options.quiet, out, lock))
        return code;
    search_run sr(spec, options, out, executor);
    sr.optimiser = std::move(optimiser);
    try {
        resume(sr);
        print_start(sr);
        while (sr.state.generations < generation_budget(spec))
            if (const int code = run_generation(sr)) return stopped(sr, code);
        write_search_plots(spec, sr.state.evaluations, sr.dir.root() / "plots");
        print_end(sr);
        return exit_ok;
    } catch (const storage_error& e) {
        sr.dir.report_fault(e);
        return report_directory_fault(sr.dir, 0, out);
    }
}

std::vector<sweep_run> evaluated_runs(const search_spec& search, const results_directory& dir) {
    const std::optional<search_state> state = load_state(dir, search);
    return state ? runs_of_evaluations(search, state->evaluations) : std::vector<sweep_run>{};
}

int show_search_status(const std::filesystem::path& output, bool rebuild, bool csv, std::ostream& out) {
    search_spec search = load_search(output / "optimize.toml");
    load_cluster(search.runs);  // as the search read it: its [cluster] table is in its state's digest
    return show_status_of(search.runs, evaluated_runs(search, results_directory(output)), output,
                          rebuild, csv, out);
}

}  // namespace m1::batch
