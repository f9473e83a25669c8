// m1analyze's options (analysis/main.cpp): a bad value is bad input, refused before any work:
// exit 2, one line naming the option, nothing written beside the run file.
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace m1::test;

namespace {

class AnalyzeOptions : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(runs_);
        m1::write_run_file(runs_ / "run.h5", m1::test::one_cell_populations(
                                                 {{"A", {10, 20, 30, 45, 70}}, {"B", {12, 25, 33, 60}}}, 100));
    }
    // m1analyze on the run's directory with `options`; its output in dir_ (not beside the run).
    m1::test::shell_result analyze(const std::string& options) {
        return run_shell(quote(M1ANALYZE_BIN) + " " + quote(runs_.string()) + " " + options, dir_.path());
    }
    // The option is refused: exit 2, one error line that names it, and the run's directory as it was.
    void expect_refused(const std::string& options, const std::string& option) {
        const auto r = analyze(options);
        EXPECT_EQ(r.status, 2) << options << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("error: " + option + ": ", 0), 0u) << options << "\n" << r.err;
        EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << options << "\n" << r.err;
        EXPECT_EQ(listing(runs_), std::vector<std::string>{"run.h5"}) << options;
    }

    temporary_directory dir_{"analyze-cli"};
    fs::path runs_ = dir_.path() / "run";
};

TEST_F(AnalyzeOptions, GoodOptionsAnalyseTheRun) {
    const auto r = analyze("--order 2 --shuffles 3 --pairs A:B --no-plots");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(runs_ / "analysis.h5"));
}

TEST_F(AnalyzeOptions, GrangerOrderBelowOneRefused) {
    expect_refused("--order 0", "--order");
    expect_refused("--order -3 --mode netpyne", "--order");
}

TEST_F(AnalyzeOptions, NegativeShufflesRefused) {
    expect_refused("--shuffles -1", "--shuffles");
    expect_refused("--shuffles -1 --mode netpyne", "--shuffles");
}

TEST_F(AnalyzeOptions, BadWindowRefused) {
    expect_refused("--window 250:50", "--window");
    expect_refused("--window 50", "--window");
}

TEST_F(AnalyzeOptions, BadListsRefused) {
    expect_refused("--only spikes", "--only");
    expect_refused("--pairs AB", "--pairs");
}

TEST_F(AnalyzeOptions, PairsOfPopulationsNoRunHasRefused) {
    expect_refused("--pairs A:C", "--pairs");
    expect_refused("--pairs C:A --only rates,granger", "--pairs");
}

TEST_F(AnalyzeOptions, BadSpikeFileDefaultsRefused) {
    expect_refused("--cells A=0", "--cells");
    expect_refused("--duration -5", "--duration");
}

// What the command-line parser itself refuses (an unknown mode, option or extra argument, a value
// of the wrong type) is bad input too: exit 2 (CLI11's own codes were 105-109), nothing written.
TEST_F(AnalyzeOptions, WhatTheParserRefusesExitsTwo) {
    for (const char* options : {"--mode nonsense", "--no-such-option", "--seed -1", "--order two", "--threads -2"}) {
        const auto r = analyze(options);
        EXPECT_EQ(r.status, 2) << options << "\n" << r.err;
        EXPECT_FALSE(r.err.empty()) << options;
        EXPECT_EQ(listing(runs_), std::vector<std::string>{"run.h5"}) << options;
    }
    EXPECT_EQ(analyze("--help").status, 0);
}

}  // namespace
