#include "batch/scheduler_environment.hpp"

#include "core/base/error.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace m1::batch {

namespace {

namespace po = boost::program_options;

// Each variable has its own option so that several set at once do not collide in Boost's store;
// the precedence is decided by the readers below.
const std::vector<std::pair<std::string, std::string>>& variables() {
    static const std::vector<std::pair<std::string, std::string>> names = {
        {"M1BATCH_TASK_INDEX", "index-m1batch"}, {"SLURM_ARRAY_TASK_ID", "index-slurm"},
        {"SLURM_ARRAY_TASK_MIN", "index-slurm-min"}, {"SLURM_ARRAY_TASK_STEP", "index-slurm-step"},
        {"PBS_ARRAY_INDEX", "index-pbs"}, {"PBS_ARRAYID", "index-torque"},
        {"M1BATCH_TASK_COUNT", "count-m1batch"}, {"SLURM_ARRAY_TASK_COUNT", "count-slurm"},
        {"M1BATCH_THREADS", "cpus-m1batch"}, {"SLURM_CPUS_PER_TASK", "cpus-slurm"},
        {"NCPUS", "cpus-pbs"}, {"PBS_NUM_PPN", "cpus-torque"}};
    return names;
}

po::variables_map read_variables() {
    po::options_description known;
    for (const auto& [variable, option] : variables())
        known.add_options()(option.c_str(), po::value<std::string>());
    po::variables_map vm;
    po::store(po::parse_environment(known,
                                    [](const std::string& variable) -> std::string {
                                        for (const auto& [v, o] : variables())
                                            if (v == variable) return o;
                                        return "";
                                    }),
              vm);
    return vm;
}

// Digits only, at most 11 of them: the number; anything else -1.
std::int64_t whole_number(const std::string& text) {
    if (text.empty() || text.size() >= 12 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return -1;
    std::int64_t value = -1;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

// The value of `option`'s variable (nullopt when unset); one below `min` is an input_error.
std::optional<std::int64_t> number(const po::variables_map& vm, const std::string& option,
                                   std::int64_t min) {
    if (!vm.count(option)) return std::nullopt;
    const std::string text = vm[option].as<std::string>();
    std::string variable;
    for (const auto& [v, o] : variables())
        if (o == option) variable = v;
    const std::int64_t value = whole_number(text);
    if (value < min)
        throw input_error({"environment", variable, 0, 0},
                          "invalid value \"" + text + "\": a whole number >= " + std::to_string(min));
    return value;
}

// The first of `options` that is set, and its variable.
void first_set(const po::variables_map& vm,
               std::initializer_list<std::pair<const char*, const char*>> options, std::int64_t min,
               std::optional<std::size_t>& out, std::string& from) {
    for (const auto& [option, variable] : options)
        if (const auto v = number(vm, option, min)) {
            out = static_cast<std::size_t>(*v);
            from = variable;
            return;
        }
}

// SLURM_ARRAY_TASK_ID as an index into the array SLURM_ARRAY_TASK_MIN and STEP describe.
void read_slurm_index(const po::variables_map& vm, task_environment& env) {
    const auto id = number(vm, "index-slurm", 0);
    if (!id) return;
    const std::int64_t min = number(vm, "index-slurm-min", 0).value_or(0);
    const std::int64_t step = number(vm, "index-slurm-step", 1).value_or(1);
    if (*id < min || (*id - min) % step != 0)
        throw input_error({"environment", "SLURM_ARRAY_TASK_ID", 0, 0},
                          "SLURM_ARRAY_TASK_ID " + std::to_string(*id) +
                              " is not in the array SLURM_ARRAY_TASK_MIN/STEP describe");
    env.task_index = static_cast<std::size_t>((*id - min) / step);
    env.index_from = "SLURM_ARRAY_TASK_ID";
}

}  // namespace

task_environment read_task_environment() {
    const po::variables_map vm = read_variables();
    task_environment env;
    first_set(vm, {{"index-m1batch", "M1BATCH_TASK_INDEX"}}, 0, env.task_index, env.index_from);
    if (!env.task_index) read_slurm_index(vm, env);
    if (!env.task_index)
        first_set(vm, {{"index-pbs", "PBS_ARRAY_INDEX"}, {"index-torque", "PBS_ARRAYID"}}, 0,
                  env.task_index, env.index_from);
    first_set(vm, {{"count-m1batch", "M1BATCH_TASK_COUNT"}, {"count-slurm", "SLURM_ARRAY_TASK_COUNT"}},
              1, env.task_count, env.count_from);
    first_set(vm, {{"cpus-m1batch", "M1BATCH_THREADS"}, {"cpus-slurm", "SLURM_CPUS_PER_TASK"},
                   {"cpus-pbs", "NCPUS"}, {"cpus-torque", "PBS_NUM_PPN"}},
              1, env.cpus, env.cpus_from);
    return env;
}

}  // namespace m1::batch
