// A run's state and outcome (batch/run_outcome.hpp): their text, and the JSON form a worker rank
// reports in.
#include "batch/run_outcome.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using m1::batch::run_outcome;
using m1::batch::run_state;

namespace {

TEST(RunState, Names) {
    EXPECT_EQ(m1::batch::to_string(run_state::missing), "missing");
    EXPECT_EQ(m1::batch::to_string(run_state::done), "done");
    EXPECT_EQ(m1::batch::to_string(run_state::failed), "failed");
    EXPECT_EQ(m1::batch::to_string(run_state::interrupted), "interrupted");
    EXPECT_EQ(m1::batch::to_string(run_state::running), "running");
}

TEST(RunState, EveryStateReadsBackFromItsText) {
    for (run_state s : {run_state::missing, run_state::done, run_state::failed,
                        run_state::interrupted, run_state::running})
        EXPECT_EQ(m1::batch::run_state_from(m1::batch::to_string(s)), s);
    EXPECT_EQ(m1::batch::run_state_from("stale"), std::nullopt);
    EXPECT_EQ(m1::batch::run_state_from(""), std::nullopt);
}

TEST(RunState, OnlyDoneFailedAndInterruptedHaveEnded) {
    EXPECT_TRUE(m1::batch::has_ended(run_state::done));
    EXPECT_TRUE(m1::batch::has_ended(run_state::failed));
    EXPECT_TRUE(m1::batch::has_ended(run_state::interrupted));
    EXPECT_FALSE(m1::batch::has_ended(run_state::missing));
    EXPECT_FALSE(m1::batch::has_ended(run_state::running));
}

TEST(RunOutcome, JsonRoundTrip) {
    run_outcome o;
    o.state = run_state::failed;
    o.wall_s = 12.25;
    o.spikes = 123456789012ull;
    o.mean_rate_hz = 3.5;
    o.message = "no space \"left\"";
    o.directory_fault = true;
    const nlohmann::json j = m1::batch::to_json(o);
    EXPECT_EQ(j.at("state"), "failed");
    const run_outcome back = m1::batch::outcome_from_json(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(back.state, o.state);
    EXPECT_EQ(back.wall_s, o.wall_s);
    EXPECT_EQ(back.spikes, o.spikes);
    EXPECT_EQ(back.mean_rate_hz, o.mean_rate_hz);
    EXPECT_EQ(back.message, o.message);
    EXPECT_EQ(back.directory_fault, o.directory_fault);
    EXPECT_FALSE(back.skipped);
}

TEST(RunOutcome, AnUnknownStateReadsAsFailed) {
    nlohmann::json j = m1::batch::to_json(run_outcome{});
    j["state"] = "exploded";
    EXPECT_EQ(m1::batch::outcome_from_json(j).state, run_state::failed);
}

}  // namespace
