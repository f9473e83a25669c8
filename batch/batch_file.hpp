#pragma once
// What a sweep file ([sweep], sweep_file.hpp) and a search file ([optimize], optimize_file.hpp)
// share: the chain of files (the file, then the base file it names, then that one's, ...), the run
// keys of the chain, the name, the [cluster] tables carried along, the keys both tables have
// (replicates, replicate_seeds, timeout_s, analysis), the checks of the parameters against the
// model, and the run keys of the self-contained copy. A file has either [sweep] or [optimize]; a
// base file has neither (it gives run keys only). Every refusal is an input_error naming the file,
// the key and the line.
#include "batch/sweep_file.hpp"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace m1::batch {

// Throws the input_error at `key` of `file`, on the line of `node` (nullptr: none).
[[noreturn]] void fail_at(const std::filesystem::path& file, const std::string& key,
                          const toml::node* node, const std::string& what);
// "key[i]"
std::string indexed(const std::string& key, std::size_t i);

// One file of a chain, as parsed.
struct source_file {
    std::filesystem::path path;
    toml::table table;
};

// The file and its base files, the file first: a base file that does not exist, one that closes a
// cycle, a base file with [sweep] or [optimize], and a file with both are refused.
std::vector<source_file> read_sources(const std::filesystem::path& file);

// Starts loading a sweep or search file into `spec`: its chain (spec.sources), the chain's run keys
// (spec.config: the deepest base first, each file overriding what it sets; model and output
// required) and the name (default: the file's stem). The caller reads the model file (once its own
// table is found). Returns the chain for carry_cluster_tables.
std::vector<source_file> read_batch_file(const std::filesystem::path& file, sweep_spec& spec);

// [cluster] of every file of the chain, the deepest base first: the files' tables move into
// spec.cluster_tables (keeping their lines).
void carry_cluster_tables(std::vector<source_file>& chain, sweep_spec& spec);

// The file's own table ([sweep] or [optimize]) as its readers see it.
struct table_reading {
    const std::filesystem::path& file;
    const toml::table& table;
    std::string key;  // "sweep" or "optimize"
    sweep_spec& spec;
};

// The table `key` of `top`; refused when missing (`missing` says why it is needed) or not a table.
const toml::table& own_table(const toml::table& top, const std::filesystem::path& file,
                             const std::string& key, const std::string& missing);
// Unknown keys of the table; `keys` are its keys in the order the message lists them.
void check_table_keys(const table_reading& r, const std::vector<std::string>& keys);
// replicates (>= 1) and replicate_seeds (conn, stim, loc).
void read_replicates(const table_reading& r);
// timeout_s: a positive number of seconds per run.
void read_timeout(const table_reading& r);
// The per-run analyses a batch file may ask for, in the order a search lists what it needs.
inline constexpr const char* analysis_measures[] = {"rates", "rate_psd", "granger", "nte", "lfp"};
// analysis: rates, rate_psd, granger, nte, lfp, each at most once, in the order given.
void read_analysis(const table_reading& r);
// What every batch table says of its runs: replicates, timeout and analysis (the three above).
void read_run_policy(const table_reading& r);

// The first value each parameter takes, and where it is written (for the model's refusals).
struct first_values {
    std::vector<param_value> values;
    std::vector<source_location> where;
};

// Every pointer names a value of the model; the model with the run keys passes as a single run's
// would; then the first run's (values `first`, the replicates' seeds still seeds). A refusal of the
// first run's model names the parameter it refuses, else the table. Returns the model with the run
// keys, as parsed.
model_spec check_model(const table_reading& r, const first_values& first);

// The run keys of `config` (seed, seeds, threads, duration, dt, scale, [record], [lfp] when not the
// default) written into `out`.
void write_run_keys(const run_config& config, toml::table& out);
// The file made self-contained (spec.self_contained): name, model = "model.json", output = ".",
// the run keys of the chain merged, and the file's own table as written.
void write_self_contained(const table_reading& r);

}  // namespace m1::batch
