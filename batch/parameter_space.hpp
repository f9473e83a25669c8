#pragma once
// The parameters a sweep varies (and a search explores): each a JSON Pointer into the model file
// or a run key, with a list of values or a range; read from TOML with the file, key and line of
// every refusal, checked against the model, and applied to the model document and run keys of a
// point. Independent of the [sweep] table: `key` names the entry, e.g. "sweep.param[0]".
#include "core/base/error.hpp"
#include "core/format/json_source.hpp"
#include "core/run/run.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace m1::batch {

// One value of a parameter. Integers and floats are both numbers; a float field set from an
// integer is written as a float (so that 1 and 1.0 give the same effective model and run id).
using param_value = std::variant<std::int64_t, double, bool, std::string>;

constexpr std::uint64_t max_seed = 4294967295ULL;

// Run keys a parameter may name instead of a JSON Pointer.
// "seed" (all three seeds), "seeds.conn", "seeds.stim", "seeds.loc", "duration", "dt", "scale".
bool is_run_key(std::string_view path);

struct parameter {
    std::string path;                     // as written: a JSON Pointer or a run key
    std::vector<std::string> tokens;      // the JSON Pointer's tokens; empty for a run key
    std::vector<param_value> values;      // a list of values
    std::optional<std::array<double, 2>> range;
    bool log = false;                     // range: uniform in log(value)
    bool integer = false;                 // range: whole numbers (both range ends are integers)
    source_location where;                // the entry's `path` key
};

// `path` of the table `entry` (at `key`): a JSON Pointer or a run key.
parameter read_parameter_path(const toml::table& entry, const std::filesystem::path& file,
                              const std::string& key);
// `values = [...]`: non-empty, one type, each a value the run key takes.
void read_parameter_values(parameter& p, const toml::table& entry, const std::filesystem::path& file,
                           const std::string& key);
// A repeated value in `values` (it would give the same run twice).
void check_distinct_values(const parameter& p, const toml::table& entry,
                           const std::filesystem::path& file, const std::string& key);
// `range = [lo, hi]` and `log`: lo < hi, finite; integer ends make an integer range.
void read_parameter_range(parameter& p, const toml::table& entry, const std::filesystem::path& file,
                          const std::string& key);

// One value as written in TOML: a finite number, a string or a boolean.
param_value read_value(const std::filesystem::path& file, const std::string& key, const toml::node& node);
// A run-key parameter's value must be what the run key itself accepts (no check for a pointer).
void check_run_value(const parameter& p, const param_value& v, const std::filesystem::path& file,
                     const std::string& key, const toml::node* node);
// "mixed types" when `v` is not of the family (number, string, boolean) of `first`, written at `first_key`.
void check_same_type(const param_value& v, const param_value& first, const std::string& first_key,
                     const std::filesystem::path& file, const std::string& key, const toml::node* node);
bool same_value(const param_value& a, const param_value& b);
double as_double(const param_value& v);
// A value as JSON and back: an integer stays an integer and a float a float (nlohmann writes
// floats in shortest round-trip form), so the value read back is the value written, bit for bit.
nlohmann::json param_value_to_json(const param_value& v);
param_value param_value_from_json(const nlohmann::json& j);

// Parameters may not touch the same thing twice; `table_key` ("sweep.param") names the entries.
void check_distinct_parameters(const std::vector<parameter>& params, const std::string& table_key);
// simConfig keys that every run's run keys (or a run-key parameter) overwrite would vary for
// nothing; the refusal names `table_key`, where the run key itself can be varied.
void check_against_run_keys(const std::vector<parameter>& params, const run_config& config,
                            const std::string& table_key);
// Every pointer names a value in the model, or a key it leaves at NetPyNE's default that the model
// parser takes with `first` (one value per parameter) set.
void check_in_model(const std::vector<parameter>& params, const std::vector<param_value>& first,
                    const json_document& model, const std::string& model_name);
// The key path of the model a parameter sets (as the model's errors name it); "" for seeds, scale.
std::string model_key_path(const parameter& p);

// u in [0, 1) to a value in the parameter's range (log, integer as it says).
param_value value_in_range(const parameter& p, double u);

// A value as the model stores it at a slot now holding `existing` (nullptr: none): a float field
// keeps floats, an integer stays an integer only where the model holds one.
nlohmann::ordered_json model_value(const param_value& value, const nlohmann::ordered_json* existing);
// The model with the pointer parameters set to `values` (run keys are not applied here).
nlohmann::ordered_json effective_model(const nlohmann::ordered_json& model,
                                       const std::vector<parameter>& params,
                                       const std::vector<param_value>& values);
// `base` with the seed parameters among `params` set to their `values`.
m1::seeds seeds_with(const m1::seeds& base, const std::vector<parameter>& params,
                     const std::vector<param_value>& values);
// `config` with the duration, dt and scale parameters set.
void apply_run_key_values(run_config& config, const std::vector<parameter>& params,
                          const std::vector<param_value>& values);

}  // namespace m1::batch
