#pragma once
// A sweep expanded into its runs: the points of its method, the seeds of each replicate, the run
// ids and each run's effective model.
#include "batch/run_id.hpp"
#include "batch/sweep_file.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace m1::batch {

struct sweep_run {
    std::size_t index = 0;               // position in the expansion (0-based)
    std::size_t point = 0, replicate = 0;
    std::vector<param_value> values;     // one per sweep_spec::params
    m1::seeds seeds;                     // the seeds this run uses
    std::string id;                      // 16 lowercase hex digits (run_id)
    run_config config;                   // the sweep's run keys with this run's run-key params and
                                         // seeds applied; output = OUTPUT/runs/<id>
};

// A run as JSON, as the MPI board hands a run to a worker rank (which cannot expand a search's
// runs itself): {"index", "point", "replicate", "values", "seeds": {"conn", "stim", "loc"}, "id"}.
// The configuration is not in it: run_from_json rebuilds it from the sweep as expand_sweep made
// it (run_config_of, output OUTPUT/runs/<id>).
nlohmann::json to_json(const sweep_run& run);
sweep_run run_from_json(const sweep_spec& sweep, const nlohmann::json& j);

// The runs of a sweep, in order: points (grid: first parameter slowest, as itertools.product),
// then replicates. Throws input_error naming the file when there are more than max_runs.
std::vector<sweep_run> expand_sweep(const sweep_spec& sweep, std::size_t max_runs);

// A run's effective model: the model file with the run's JSON Pointer params set, then its run
// keys applied (m1::apply_run_keys).
nlohmann::ordered_json effective_document(const sweep_spec& sweep, const sweep_run& run);

// The seed policy. The three seeds a run starts from before its parameters and replicate: the
// configuration's, else the model's simConfig.seeds (load_sweep has had the model parser check them).
m1::seeds base_seeds(const sweep_spec& sweep);
// Replicate k adds k to each seed `which` names (conn, stim, loc).
m1::seeds replicate_of(const m1::seeds& s, const std::vector<std::string>& which, std::size_t k);
// The seed called `name`: "conn", "stim" or "loc".
std::uint32_t seed_named(const m1::seeds& s, const std::string& name);

// A run's configuration without its output (which needs the id): the sweep's run keys with the
// run's run-key parameters and seeds.
run_config run_config_of(const sweep_spec& sweep, const std::vector<param_value>& values,
                         const m1::seeds& seeds);

}  // namespace m1::batch
