#include "batch/sweep_expansion.hpp"

#include "core/base/random.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace m1::batch {

namespace {

using json = nlohmann::ordered_json;

// id3 of the sampling streams, one per use, so that no two uses share draws.
constexpr std::uint32_t random_stream_id = 0x52414e44;    // "RAND"
constexpr std::uint32_t lhs_permutation_id = 0x4c485350;  // "LHSP"
constexpr std::uint32_t lhs_offset_id = 0x4c48534f;       // "LHSO"

// The points of a sweep, computed on demand so that counting them costs nothing.
class point_source {
public:
    explicit point_source(const sweep_spec& sweep) : sweep_(sweep) {
        if (sweep.params.empty()) count_ = 1;
        else if (sweep.method == sweep_method::grid) make_axes();
        else if (sweep.method == sweep_method::list) count_ = sweep.points.size();
        else count_ = sweep.samples;
    }

    std::size_t count() const noexcept { return count_; }
    bool overflow() const noexcept { return overflow_; }

    // Draws the random and Latin hypercube values (only once the count is known to be sane).
    void sample() {
        if (sweep_.method != sweep_method::random && sweep_.method != sweep_method::latin_hypercube)
            return;
        samples_.assign(sweep_.params.size(), {});
        for (std::size_t p = 0; p < sweep_.params.size(); ++p) {
            samples_[p].reserve(count_);
            if (sweep_.method == sweep_method::random) sample_random(p);
            else sample_latin_hypercube(p);
        }
    }

    std::vector<param_value> values(std::size_t point) const {
        std::vector<param_value> v(sweep_.params.size());
        if (sweep_.params.empty()) return v;
        if (sweep_.method == sweep_method::grid) {
            std::size_t q = point;  // mixed radix, the last axis fastest
            for (std::size_t a = axes_.size(); a-- > 0;) {
                const std::size_t index = q % lengths_[a];
                q /= lengths_[a];
                for (std::size_t p : axes_[a]) v[p] = sweep_.params[p].values[index];
            }
        } else if (sweep_.method == sweep_method::list) {
            v = sweep_.points[point];
        } else {
            for (std::size_t p = 0; p < v.size(); ++p) v[p] = samples_[p][point];
        }
        return v;
    }

private:
    // One axis per group (at its first parameter) and per ungrouped parameter.
    void make_axes() {
        std::map<std::string, std::size_t> group_axis;
        for (std::size_t i = 0; i < sweep_.params.size(); ++i) {
            const std::string& group = sweep_.groups[i];
            if (!group.empty()) {
                auto [it, fresh] = group_axis.emplace(group, axes_.size());
                if (!fresh) {
                    axes_[it->second].push_back(i);
                    continue;
                }
            }
            axes_.push_back({i});
            lengths_.push_back(sweep_.params[i].values.size());
        }
        count_ = 1;
        for (std::size_t len : lengths_)
            if (__builtin_mul_overflow(count_, len, &count_)) overflow_ = true;
    }

    std::uint32_t id1() const { return static_cast<std::uint32_t>(sweep_.sampling_seed); }
    std::uint32_t global() const { return static_cast<std::uint32_t>(sweep_.sampling_seed >> 32); }

    void sample_random(std::size_t p) {
        random_stream stream(id1(), static_cast<std::uint32_t>(p), random_stream_id, global());
        for (std::size_t i = 0; i < count_; ++i)
            samples_[p].push_back(value_in_range(sweep_.params[p], stream.uniform01()));
    }

    // Each of the n strata of [0, 1) once, in a random order (Fisher-Yates), at a uniform offset
    // inside it.
    void sample_latin_hypercube(std::size_t p) {
        const std::size_t n = count_;
        const auto pid = static_cast<std::uint32_t>(p);
        std::vector<std::uint64_t> strata(n);
        for (std::size_t i = 0; i < n; ++i) strata[i] = i;
        random_stream shuffle(id1(), pid, lhs_permutation_id, global());
        for (std::size_t i = n; i-- > 1;) {
            const auto j = static_cast<std::size_t>((std::uint64_t{shuffle.next_word()} * (i + 1)) >> 32);
            std::swap(strata[i], strata[j]);
        }
        random_stream offset(id1(), pid, lhs_offset_id, global());
        for (std::size_t i = 0; i < n; ++i) {
            const double u = (double(strata[i]) + offset.uniform01()) / double(n);
            samples_[p].push_back(value_in_range(sweep_.params[p], std::min(u, std::nextafter(1.0, 0.0))));
        }
    }

    const sweep_spec& sweep_;
    std::size_t count_ = 0;
    bool overflow_ = false;
    std::vector<std::vector<std::size_t>> axes_;
    std::vector<std::size_t> lengths_;
    std::vector<std::vector<param_value>> samples_;  // [param][point]
};

// The seeds of the model file's simConfig.seeds (zero where it gives none).
m1::seeds model_seeds(const json& root) {
    m1::seeds s;
    if (!root.is_object() || !root.contains("simConfig")) return s;
    const json& sim = root.at("simConfig");
    if (!sim.is_object() || !sim.contains("seeds") || !sim.at("seeds").is_object()) return s;
    const json& seeds = sim.at("seeds");
    auto read = [&](const char* key, std::uint32_t& into) {
        if (seeds.contains(key) && seeds.at(key).is_number()) {
            const double x = seeds.at(key).get<double>();
            if (x >= 0 && x <= double(max_seed)) into = static_cast<std::uint32_t>(x);
        }
    };
    read("conn", s.conn);
    read("stim", s.stim);
    read("loc", s.loc);
    return s;
}

std::size_t replicates_of(const sweep_spec& sweep) { return std::max<std::size_t>(1, sweep.replicates); }

// More runs than max_runs (or than a size_t holds) is an input_error; else the count.
std::size_t count_runs(const sweep_spec& sweep, const point_source& points, std::size_t max_runs) {
    std::size_t total = 0;
    const bool overflow =
        points.overflow() || __builtin_mul_overflow(points.count(), replicates_of(sweep), &total);
    if (overflow || total > max_runs)
        throw input_error({sweep.file.string(), "sweep", 0, 0},
                          "the sweep has " +
                              (overflow ? std::string("more than 2^64") : std::to_string(total)) +
                              " runs, more than --max-runs " + std::to_string(max_runs) +
                              "; raise --max-runs to run it");
    return total;
}

// Each point's values and seeds before replicates.
struct point_table {
    std::vector<std::vector<param_value>> values;
    std::vector<m1::seeds> seeds;
};

point_table points_of(const sweep_spec& sweep, const point_source& points) {
    const m1::seeds base = base_seeds(sweep);
    point_table table{std::vector<std::vector<param_value>>(points.count()),
                      std::vector<m1::seeds>(points.count())};
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, points.count()), [&](const auto& r) {
        for (std::size_t q = r.begin(); q != r.end(); ++q) {
            table.values[q] = points.values(q);
            table.seeds[q] = seeds_with(base, sweep.params, table.values[q]);
        }
    });
    return table;
}

// Replicates count each point's seeds up: they must stay seeds.
void check_replicate_seeds(const sweep_spec& sweep, const point_table& points) {
    const std::size_t reps = replicates_of(sweep);
    for (std::size_t q = 0; q < points.seeds.size(); ++q)
        for (const std::string& name : sweep.replicate_seeds) {
            const std::uint32_t s = seed_named(points.seeds[q], name);
            if (std::uint64_t{s} + reps - 1 > max_seed)
                throw input_error({sweep.file.string(), "sweep.replicates", 0, 0},
                                  "point " + std::to_string(q) + ": replicates would take seed " +
                                      name + " = " + std::to_string(s) + " past 4294967295");
        }
}

// Run `i` without its id.
void fill_run(const sweep_spec& sweep, const point_table& points, std::size_t i, sweep_run& run) {
    const std::size_t reps = replicates_of(sweep);
    run.index = i;
    run.point = i / reps;
    run.replicate = i % reps;
    run.values = points.values[run.point];
    run.seeds = replicate_of(points.seeds[run.point], sweep.replicate_seeds, run.replicate);
    run.config = run_config_of(sweep, run.values, run.seeds);
}

// The splicer must give exactly run_id's text; checked on the first and last runs.
bool splicer_agrees(const sweep_spec& sweep, const run_id_splicer& splicer,
                    const std::vector<sweep_run>& runs) {
    if (!splicer.usable()) return false;
    std::string text;
    for (const sweep_run* run : {&runs.front(), &runs.back()}) {
        splicer.id_text(run->values, run->config, text);
        if (id_digest(text) != run_id(effective_document(sweep, *run), run->config)) return false;
    }
    return true;
}

// Two runs with one id would be one simulation counted twice.
void check_unique_ids(const sweep_spec& sweep, const std::vector<sweep_run>& runs) {
    std::vector<std::size_t> order(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return runs[a].id != runs[b].id ? runs[a].id < runs[b].id : a < b;
    });
    for (std::size_t k = 1; k < runs.size(); ++k)
        if (runs[order[k]].id == runs[order[k - 1]].id)
            throw input_error(
                {sweep.file.string(), "sweep", 0, 0},
                "runs " + std::to_string(order[k - 1]) + " and " + std::to_string(order[k]) +
                    " are the same simulation (run id " + runs[order[k]].id +
                    "): look for a repeated value or point, seeds varied both by a parameter and "
                    "by replicates, or an integer range with fewer values than samples");
}

// Every run filled, with its id and output; ids spliced when the splicer agrees.
void fill_runs(const sweep_spec& sweep, const point_table& points, std::vector<sweep_run>& runs) {
    fill_run(sweep, points, 0, runs.front());
    fill_run(sweep, points, runs.size() - 1, runs.back());
    const run_id_splicer splicer(sweep.model.root(), sweep.params);
    const bool splice = splicer_agrees(sweep, splicer, runs);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, runs.size()), [&](const auto& r) {
        std::string buffer;
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
            sweep_run& run = runs[i];
            fill_run(sweep, points, i, run);
            if (splice) {
                splicer.id_text(run.values, run.config, buffer);
                run.id = id_digest(buffer);
            } else {
                run.id = run_id(effective_document(sweep, run), run.config);
            }
            run.config.output = sweep.config.output / "runs" / run.id;
        }
    });
}

}  // namespace

m1::seeds base_seeds(const sweep_spec& sweep) {
    if (sweep.config.seeds) return *sweep.config.seeds;
    if (sweep.config.seed) return {*sweep.config.seed, *sweep.config.seed, *sweep.config.seed};
    return model_seeds(sweep.model.root());
}

m1::seeds replicate_of(const m1::seeds& s, const std::vector<std::string>& which, std::size_t k) {
    m1::seeds out = s;
    const auto add = static_cast<std::uint32_t>(k);
    for (const std::string& name : which) {
        if (name == "conn") out.conn += add;
        else if (name == "stim") out.stim += add;
        else if (name == "loc") out.loc += add;
    }
    return out;
}

std::uint32_t seed_named(const m1::seeds& s, const std::string& name) {
    return name == "conn" ? s.conn : name == "stim" ? s.stim : s.loc;
}

run_config run_config_of(const sweep_spec& sweep, const std::vector<param_value>& values,
                         const m1::seeds& seeds) {
    run_config c = sweep.config;
    apply_run_key_values(c, sweep.params, values);
    c.seed.reset();
    c.seeds = seeds;
    return c;
}

std::vector<sweep_run> expand_sweep(const sweep_spec& sweep, std::size_t max_runs) {
    point_source points(sweep);
    const std::size_t total = count_runs(sweep, points, max_runs);
    points.sample();
    const point_table table = points_of(sweep, points);
    check_replicate_seeds(sweep, table);
    std::vector<sweep_run> runs(total);
    if (total == 0) return runs;
    fill_runs(sweep, table, runs);
    check_unique_ids(sweep, runs);
    return runs;
}

nlohmann::json to_json(const sweep_run& run) {
    nlohmann::json values = nlohmann::json::array();
    for (const param_value& v : run.values) values.push_back(param_value_to_json(v));
    return {{"index", run.index}, {"point", run.point}, {"replicate", run.replicate},
            {"values", values},
            {"seeds", {{"conn", run.seeds.conn}, {"stim", run.seeds.stim}, {"loc", run.seeds.loc}}},
            {"id", run.id}};
}

sweep_run run_from_json(const sweep_spec& sweep, const nlohmann::json& j) {
    sweep_run run;
    run.index = j.at("index").get<std::size_t>();
    run.point = j.at("point").get<std::size_t>();
    run.replicate = j.at("replicate").get<std::size_t>();
    for (const nlohmann::json& v : j.at("values")) run.values.push_back(param_value_from_json(v));
    const nlohmann::json& seeds = j.at("seeds");
    run.seeds = {seeds.at("conn").get<std::uint32_t>(), seeds.at("stim").get<std::uint32_t>(),
                 seeds.at("loc").get<std::uint32_t>()};
    run.id = j.at("id").get<std::string>();
    run.config = run_config_of(sweep, run.values, run.seeds);
    run.config.output = sweep.config.output / "runs" / run.id;
    return run;
}

nlohmann::ordered_json effective_document(const sweep_spec& sweep, const sweep_run& run) {
    json doc = effective_model(sweep.model.root(), sweep.params, run.values);
    apply_run_keys(doc, run.config);
    return doc;
}

}  // namespace m1::batch
