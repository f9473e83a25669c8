// Searches (batch/search.hpp) through the m1batch program on the M1 model at scale 0.1: a search
// ends with every evaluation, the best point and a runnable best.toml; its evaluations are the same
// bytes whatever the split of runs over threads, and after kill -9 (twice) the same command ends
// exactly as an uninterrupted search; failed candidates score the worst and the search goes on;
// what a search cannot do is refused before any output.
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace m1::test;

class Search : public ::testing::Test {
protected:
    void SetUp() override {
        bin_ = m1::test::m1batch_binary();
        ASSERT_FALSE(bin_.empty()) << "M1BATCH_BIN is not set";
    }
    // A CMA-ES search of two weights for IT_L23's rate: 6 candidates x `generations`, 200 ms runs.
    fs::path search_file(const std::string& name, const std::string& optimize = "",
                         std::size_t generations = 3) {
        return temp_.write(name + ".toml",
                           "model = \"" + m1_model + "\"\noutput = \"" + name +
                               "\"\nscale = 0.1\nduration = 200.0\n[optimize]\nalgorithm = \"cmaes\"\n"
                               "population = 6\ngenerations = " + std::to_string(generations) +
                               "\nseed = 3\n" + optimize +
                               "[[optimize.param]]\npath = \"/netParams/scaleConnWeight\"\n"
                               "range = [0.0002, 0.0008]\nlog = true\n"
                               "[[optimize.param]]\npath = \"/netParams/stimTargetParams/bgE->PT/weight\"\n"
                               "range = [0.1, 0.4]\n"
                               "[[optimize.objective]]\ncolumn = \"rate_hz:IT_L23\"\ntarget = 5.0\n"
                               "width = 2.0\nmin = 0.5\n");
    }
    int run(const std::string& args) {
        auto r = m1::test::run_shell(quote(bin_) + " " + args, dir_);
        out_ = std::move(r.out);
        err_ = std::move(r.err);
        return r.status;
    }
    // Starts the search and sends it `signal` once `done` more of its runs have ended; its exit.
    int signal_after(const fs::path& file, std::size_t done, int signal) {
        const fs::path out = dir_ / file.stem();
        const std::size_t before = runs_done(out);
        const pid_t pid = m1::test::start_background(bin_, {file.string(), "-j", "2", "-t", "1"},
                                                     dir_, dir_ / "background.txt");
        for (int i = 0; i < 600 && runs_done(out) < before + done; ++i) std::this_thread::sleep_for(50ms);
        ::kill(pid, signal);
        return m1::test::wait_exit(pid);
    }
    void kill_after(const fs::path& file, std::size_t done) {
        EXPECT_EQ(signal_after(file, done, SIGKILL), -SIGKILL) << "the search ended before it was killed";
    }

    m1::test::temporary_directory temp_{"search"};
    const fs::path dir_ = temp_.path();
    std::string bin_, out_, err_;
};

TEST_F(Search, EndsWithEveryEvaluationAndARunnableBestPoint) {
    const fs::path file = search_file("fit");
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    const fs::path out = dir_ / "fit";
    const auto rows = m1::test::text_lines(read_file(out / "optimization.csv"));
    ASSERT_EQ(rows.size(), 1u + 18u);
    EXPECT_EQ(rows[0], "generation,individual,/netParams/scaleConnWeight,"
                       "/netParams/stimTargetParams/bgE->PT/weight,rate_hz:IT_L23,"
                       "score:rate_hz:IT_L23,fitness,run_id,status");
    EXPECT_EQ(rows[1].rfind("0,0,", 0), 0u);
    EXPECT_EQ(rows[18].rfind("2,5,", 0), 0u);
    for (std::size_t k = 1; k < rows.size(); ++k) EXPECT_NE(rows[k].find(",done"), std::string::npos) << rows[k];
    for (const char* name : {"optimize.toml", "model.json", "search_state.json", "index.csv",
                             "best.toml", "best_model.json"})
        EXPECT_TRUE(fs::exists(out / name)) << name;
    EXPECT_NE(err_.find("generation 3/3: 18 evaluations, best "), std::string::npos) << err_;
    EXPECT_NE(err_.find("best point: " + (out / "best.toml").string()), std::string::npos) << err_;
    for (const char* plot : {"search_fitness.png", "search_parameters.svg", "search_parameters.png",
                             "search_objectives.png"})
        EXPECT_TRUE(fs::exists(out / "plots" / plot)) << plot;
    // m1batch status knows a search's directory: every run of the generations evaluated.
    ASSERT_EQ(run("status " + quote(out.string())), 0) << err_;
    EXPECT_EQ(out_.rfind("fit: 18 runs: 18 done, 0 failed", 0), 0u) << out_;
    // The best point runs as a configuration of its own.
    ASSERT_EQ(run(quote((out / "best.toml").string())), 0) << err_;
    EXPECT_TRUE(fs::exists(out / "best" / "run.h5"));
    // Run again: nothing left to do, the same evaluations.
    const std::string csv = read_file(out / "optimization.csv");
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    EXPECT_EQ(read_file(out / "optimization.csv"), csv);
    EXPECT_NE(err_.find("resuming after generation 3"), std::string::npos) << err_;
    // Killed between a run file and its analysis, and before the state was saved: the search
    // starts over, runs nothing again, analyses that run from its run file, and ends the same.
    const std::string first_run = rows[1].substr(rows[1].rfind(",done") - 16, 16);
    fs::remove(out / "runs" / first_run / "analysis.h5");
    fs::remove(out / "search_state.json");
    const auto before = m1::test::identity(out / "runs" / first_run / "run.h5");
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    EXPECT_EQ(read_file(out / "optimization.csv"), csv);
    EXPECT_TRUE(fs::exists(out / "runs" / first_run / "analysis.h5"));
    EXPECT_EQ(m1::test::identity(out / "runs" / first_run / "run.h5"), before);  // not run again
}

// Nothing depends on how runs are spread over threads or on the order in which they end; a
// search killed at any moment and started again ends exactly as one never interrupted.
TEST_F(Search, TheSameEvaluationsWhateverTheSplitAndAfterKill9) {
    const fs::path a = search_file("one_by_two"), b = search_file("two_by_one"),
                   c = search_file("killed");
    ASSERT_EQ(run(quote(a.string()) + " -j 1 -t 2"), 0) << err_;
    ASSERT_EQ(run(quote(b.string()) + " -j 2 -t 1"), 0) << err_;
    const std::string reference = read_file(dir_ / "one_by_two" / "optimization.csv");
    EXPECT_EQ(read_file(dir_ / "two_by_one" / "optimization.csv"), reference);
    kill_after(c, 4);   // inside the first generation
    kill_after(c, 5);   // most likely inside the second: the first was saved
    ASSERT_EQ(run(quote(c.string()) + " -j 2 -t 1"), 0) << err_;
    EXPECT_EQ(read_file(dir_ / "killed" / "optimization.csv"), reference);
    EXPECT_EQ(read_file(dir_ / "killed" / "best.toml"), read_file(dir_ / "one_by_two" / "best.toml"));
}

// Ctrl-C: the runs in flight are marked interrupted, exit 3 with a line saying how to resume, and
// the same command ends as an uninterrupted search.
TEST_F(Search, InterruptedBySigintExits3AndResumes) {
    const fs::path reference = search_file("whole"), file = search_file("interrupted");
    ASSERT_EQ(run(quote(reference.string()) + " -j 2 -t 1"), 0) << err_;
    ASSERT_EQ(signal_after(file, 8, SIGINT), 3);
    const std::string log = read_file(dir_ / "background.txt");
    EXPECT_NE(log.find("interrupted in generation "), std::string::npos) << log;
    EXPECT_NE(log.find("the same command resumes after generation "), std::string::npos) << log;
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    EXPECT_EQ(read_file(dir_ / "interrupted" / "optimization.csv"),
              read_file(dir_ / "whole" / "optimization.csv"));
}

// pagmo's algorithms through the same loop: nsga2 keeps two objectives apart and leaves their
// Pareto front; killed inside its second generation, it ends as an uninterrupted one; pso, de
// and sade run.
TEST_F(Search, PagmosAlgorithmsRunResumeAndNsga2LeavesAParetoFront) {
    const auto pagmo_file = [&](const std::string& name, const std::string& algorithm, int population) {
        std::string text = read_file(search_file(name, "", 2));
        text.replace(text.find("\"cmaes\""), 7, "\"" + algorithm + "\"");
        text.replace(text.find("population = 6"), 14, "population = " + std::to_string(population));
        text += "[[optimize.objective]]\ncolumn = \"rate_hz:PT_L5B\"\ntarget = 1.0\nwidth = 1.0\n";
        return temp_.write(name + ".toml", text);
    };
    const fs::path whole = pagmo_file("nsga2", "nsga2", 8), killed = pagmo_file("nsga2_killed", "nsga2", 8);
    ASSERT_EQ(run(quote(whole.string()) + " -j 2 -t 1"), 0) << err_;
    const auto rows = m1::test::text_lines(read_file(dir_ / "nsga2" / "optimization.csv"));
    ASSERT_EQ(rows.size(), 1u + 16u);
    const auto front = m1::test::text_lines(read_file(dir_ / "nsga2" / "pareto.csv"));
    ASSERT_GE(front.size(), 2u);
    EXPECT_EQ(front[0], rows[0]);
    for (std::size_t k = 1; k < front.size(); ++k)  // the front's rows are evaluations' rows
        EXPECT_NE(std::find(rows.begin(), rows.end(), front[k]), rows.end()) << front[k];
    kill_after(killed, 10);  // inside the second generation: the first was saved
    ASSERT_EQ(run(quote(killed.string()) + " -j 1 -t 2"), 0) << err_;
    EXPECT_EQ(read_file(dir_ / "nsga2_killed" / "optimization.csv"), read_file(dir_ / "nsga2" / "optimization.csv"));
    EXPECT_EQ(read_file(dir_ / "nsga2_killed" / "pareto.csv"), read_file(dir_ / "nsga2" / "pareto.csv"));
    // The single-objective ones: pso (pagmo's own), de and sade (pagmo's defaults, a generation
    // at a time): every evaluation, one fitness, no front.
    for (const auto& [algorithm, population] : {std::pair{"pso", 4}, {"de", 5}, {"sade", 7}}) {
        ASSERT_EQ(run(quote(pagmo_file(algorithm, algorithm, population).string()) + " -j 2 -t 1"), 0) << err_;
        EXPECT_EQ(m1::test::text_lines(read_file(dir_ / algorithm / "optimization.csv")).size(),
                  1u + 2u * std::size_t(population)) << algorithm;
        EXPECT_FALSE(fs::exists(dir_ / algorithm / "pareto.csv")) << algorithm;
    }
}

TEST_F(Search, FailedCandidatesScoreTheWorstAndTheSearchGoesOn) {
    const fs::path file = search_file("timeouts", "timeout_s = 0.001\nmax_fitness = 500\n", 1);
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    const auto rows = m1::test::text_lines(read_file(dir_ / "timeouts" / "optimization.csv"));
    ASSERT_EQ(rows.size(), 7u);
    for (std::size_t k = 1; k < rows.size(); ++k) {
        EXPECT_NE(rows[k].find(",500.0,"), std::string::npos) << rows[k];  // fitness: max_fitness
        EXPECT_NE(rows[k].find(",failed: "), std::string::npos) << rows[k];
    }
}

// A search's [cluster] table is part of what its state belongs to: m1batch status reads the
// search as the search itself did, and finds its runs.
TEST_F(Search, StatusFindsTheRunsOfASearchWithAClusterTable) {
    const fs::path file = temp_.write("clustered.toml", read_file(search_file("clustered", "", 1)) +
                                                            "[cluster]\nscheduler = \"slurm\"\ncpus_per_task = 1\n");
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    ASSERT_EQ(run("status " + quote((dir_ / "clustered").string())), 0) << out_ << err_;
    EXPECT_EQ(out_.rfind("clustered: 6 runs: 6 done, 0 failed", 0), 0u) << out_;
}

// A state m1batch cannot read (damaged by hand) is not guessed at: one line saying how to start
// afresh, and no run is lost.
TEST_F(Search, AnUnreadableStateSaysHowToStartAfresh) {
    const fs::path file = search_file("damaged", "", 1);
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
    const fs::path state = dir_ / "damaged" / "search_state.json";
    std::string text = read_file(state);
    text.replace(text.find("\"dimension\": 2"), 14, "\"dimension\": 3");
    temp_.write("damaged/search_state.json", text);
    EXPECT_EQ(run(quote(file.string())), 1) << err_;
    EXPECT_NE(err_.find("remove it to start the search afresh"), std::string::npos) << err_;
    temp_.write("damaged/search_state.json", "{ not json");
    EXPECT_EQ(run(quote(file.string())), 1) << err_;
    EXPECT_NE(err_.find("remove it to start the search afresh"), std::string::npos) << err_;
    fs::remove(state);
    ASSERT_EQ(run(quote(file.string()) + " -j 2 -t 1"), 0) << err_;
}

TEST_F(Search, WhatASearchCannotDoIsRefusedBeforeAnyOutput) {
    EXPECT_EQ(run(quote(search_file("dry", "").string()) + " --dry-run"), 2);
    EXPECT_NE(err_.find("apply to sweeps"), std::string::npos) << err_;
    EXPECT_EQ(run(quote(search_file("task", "").string()) + " --task-index 0 --task-count 2"), 2);
    EXPECT_NE(err_.find("apply to sweeps"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "dry"));
    EXPECT_FALSE(fs::exists(dir_ / "task"));
}

}  // namespace
