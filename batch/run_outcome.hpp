#pragma once
// How a run stands (run_state) and how one attempt at it ended (run_outcome), with their text:
// the one place that spells a state, and the JSON form in which a worker rank reports an outcome
// to the bulletin board.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace m1::batch {

enum class run_state { missing, done, failed, interrupted, running };
std::string_view to_string(run_state state);  // "missing", "done", "failed", "interrupted", "running"
// The state a text names; none for any other text.
std::optional<run_state> run_state_from(std::string_view text);
// Done, failed or interrupted: the run has a wall time (the index leaves it empty otherwise).
bool has_ended(run_state state);

// The outcome of one run, as the index shows it.
struct run_outcome {
    run_state state = run_state::missing;
    double wall_s = 0, build_s = 0;
    std::uint64_t spikes = 0;
    double mean_rate_hz = 0;
    std::string message;
    bool network_reused = false;
    bool skipped = false;  // another worker had claimed it
    // The results directory could not be written (storage_error; the directory has it too): the
    // run failed, or its analysis did, through no fault of its own.
    bool directory_fault = false;
};

// {"state", "skipped", "wall_s", "spikes", "mean_rate_hz", "message", "directory_fault"}; a state
// the reader does not know reads as failed.
nlohmann::json to_json(const run_outcome& outcome);
run_outcome outcome_from_json(const nlohmann::json& j);

}  // namespace m1::batch
