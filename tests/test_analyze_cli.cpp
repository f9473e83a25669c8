// m1analyze's options (analysis/main.cpp): a bad value is bad input, refused before any work:
// exit 2, one line naming the option, nothing written beside the run file. And m1analyze over a
// search's results directory, made by the real m1batch.
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
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

// A search of two weights of the tiny model: 5 candidates x 2 generations, runs of milliseconds.
const std::string tiny_search = "model = \"tiny.json\"\noutput = \"search\"\n[optimize]\npopulation = 5\n"
                                "generations = 2\n[[optimize.param]]\n"
                                "path = \"/netParams/connParams/EE/weight\"\nrange = [0.001, 0.05]\n"
                                "[[optimize.param]]\npath = \"/netParams/stimTargetParams/bg_E/weight\"\n"
                                "range = [0.2, 1.0]\n[[optimize.objective]]\ncolumn = \"rate_hz:E\"\n"
                                "target = 100.0\nwidth = 20.0\n";

// The field `field` of each row of a CSV file without quoted fields in its rows (from the end when
// negative); the header left out.
std::vector<std::string> csv_column(const fs::path& file, int field) {
    std::vector<std::string> column;
    const std::vector<std::string> lines = text_lines(read_file(file));
    for (std::size_t k = 1; k < lines.size(); ++k) {
        std::vector<std::string> fields;
        std::istringstream in(lines[k] + ",");
        for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
        column.push_back(fields.at(field < 0 ? fields.size() + field : field));
    }
    return column;
}

// A search's directory: its runs summarised as a sweep's, in the order evaluated; no heatmap over
// its scattered points, one line saying where the search's own plots are; none of the search's
// files rewritten.
TEST(AnalyzeSearch, SummarisesTheRunsAndLeavesTheSearchsFilesAsTheyAre) {
    const std::string m1batch = m1batch_binary();
    ASSERT_FALSE(m1batch.empty()) << "M1BATCH_BIN is not set";
    temporary_directory dir("analyze-search");
    dir.write("tiny.json", tiny_model);
    const fs::path file = dir.write("search.toml", tiny_search);
    const auto made = run_shell(clean_environment + " " + quote(m1batch) + " " + quote(file.string()) + " -j 2 -t 1",
                                dir.path());
    ASSERT_EQ(made.status, 0) << made.err;
    const fs::path out = dir.path() / "search";
    std::map<std::string, std::pair<std::string, file_identity>> before;
    for (const char* name : {"optimize.toml", "model.json", "optimization.csv", "search_state.json",
                             "best.toml", "best_model.json", "index.csv", "index.h5",
                             "plots/search_fitness.png", "plots/search_objectives.svg"})
        before[name] = {read_file(out / name), identity(out / name)};

    const auto r = run_shell(quote(M1ANALYZE_BIN) + " " + quote(out.string()) + " -t 2", dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("10 runs: 10 analysed, 0 up to date, 0 failed"), std::string::npos) << r.err;
    EXPECT_EQ(text_lines(read_file(out / "summary.csv")).at(0).rfind(
                  "run_id,/netParams/connParams/EE/weight,/netParams/stimTargetParams/bg_E/weight,status,", 0),
              0u);
    EXPECT_EQ(csv_column(out / "summary.csv", 0), csv_column(out / "optimization.csv", -2));
    EXPECT_NE(r.err.find("heatmap: none (a search's points are scattered, not a grid); the search's own "
                         "plots are m1batch's, " + (out / "plots" / "search_*").string() + "\n"),
              std::string::npos) << r.err;
    for (const std::string& name : listing(out / "plots")) EXPECT_NE(name.rfind("heatmap", 0), 0u) << name;
    std::size_t run_plots = 0;  // besides the search's own, search_*
    for (const std::string& name : listing(out / "plots")) run_plots += name.rfind("search_", 0) != 0;
    EXPECT_EQ(run_plots, 10u);
    for (const auto& [name, was] : before) {
        EXPECT_EQ(read_file(out / name), was.first) << name;
        EXPECT_EQ(identity(out / name), was.second) << name;
    }
}

}  // namespace
