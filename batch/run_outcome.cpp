#include "batch/run_outcome.hpp"

#include <nlohmann/json.hpp>

namespace m1::batch {

namespace {

constexpr run_state every_state[] = {run_state::missing, run_state::done, run_state::failed,
                                     run_state::interrupted, run_state::running};

}  // namespace

std::string_view to_string(run_state state) {
    switch (state) {
        case run_state::missing: return "missing";
        case run_state::done: return "done";
        case run_state::failed: return "failed";
        case run_state::interrupted: return "interrupted";
        case run_state::running: return "running";
    }
    return "unknown";
}

std::optional<run_state> run_state_from(std::string_view text) {
    for (run_state state : every_state)
        if (to_string(state) == text) return state;
    return std::nullopt;
}

bool has_ended(run_state state) {
    return state == run_state::done || state == run_state::failed ||
           state == run_state::interrupted;
}

nlohmann::json to_json(const run_outcome& o) {
    return {{"state", std::string(to_string(o.state))},
            {"skipped", o.skipped},
            {"wall_s", o.wall_s},
            {"spikes", o.spikes},
            {"mean_rate_hz", o.mean_rate_hz},
            {"message", o.message},
            {"directory_fault", o.directory_fault}};
}

run_outcome outcome_from_json(const nlohmann::json& j) {
    run_outcome o;
    o.state = run_state_from(j.at("state").get<std::string>()).value_or(run_state::failed);
    o.skipped = j.at("skipped").get<bool>();
    o.wall_s = j.at("wall_s").get<double>();
    o.spikes = j.at("spikes").get<std::uint64_t>();
    o.mean_rate_hz = j.at("mean_rate_hz").get<double>();
    o.message = j.at("message").get<std::string>();
    o.directory_fault = j.at("directory_fault").get<bool>();
    return o;
}

}  // namespace m1::batch
