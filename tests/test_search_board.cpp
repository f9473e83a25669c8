// A search on the MPI bulletin board (batch/bulletin_board.hpp run_search_on_board), really
// started: mpirun -np 3 (oversubscribed: CI has 2 cores) gives the optimization.csv of the local
// executor's splits, byte for byte; rank 0 killed with SIGKILL twice and the search rerun ends the
// same; SIGINT to a worker rank or to rank 0 exits 3 and the search resumes; a directory another
// batch holds, and a search rank 0 refuses, end every rank with the same exit code.
#include "batch/results.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace m1::test;

// A CMA-ES search of two weights for IT_L23's rate: 6 candidates x 3 generations, 200 ms runs at
// scale 0.1 (tests/test_search.cpp's); `algorithm` lets a test ask for one that does not run.
std::string search_text(const std::string& output, const std::string& algorithm = "cmaes") {
    return "model = \"" + m1_model + "\"\noutput = \"" + output +
           "\"\nscale = 0.1\nduration = 200.0\n[optimize]\nalgorithm = \"" + algorithm +
           "\"\npopulation = " + (algorithm == "cmaes" ? "6" : "8") + "\ngenerations = 3\nseed = 3\n"
           "[[optimize.param]]\npath = \"/netParams/scaleConnWeight\"\n"
           "range = [0.0002, 0.0008]\nlog = true\n"
           "[[optimize.param]]\npath = \"/netParams/stimTargetParams/bgE->PT/weight\"\n"
           "range = [0.1, 0.4]\n"
           "[[optimize.objective]]\ncolumn = \"rate_hz:IT_L23\"\ntarget = 5.0\nwidth = 2.0\nmin = 0.5\n";
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

class SearchBoard : public ::testing::Test {
protected:
    // The reference, once for the suite: the search run locally, one run at a time with 2 threads.
    static void SetUpTestSuite() {
        reference_dir_ = std::make_unique<temporary_directory>("search-board-reference");
        const fs::path file = reference_dir_->write("reference.toml", search_text("reference"));
        const auto r = run_shell(clean_environment + " " + quote(m1batch_binary()) + " -j 1 -t 2 " +
                                     quote(file.string()), reference_dir_->path());
        ASSERT_EQ(r.status, 0) << r.err;
        reference_csv_ = read_file(reference_dir_->path() / "reference" / "optimization.csv");
        reference_best_ = read_file(reference_dir_->path() / "reference" / "best.toml");
    }
    static void TearDownTestSuite() { reference_dir_.reset(); }

    void SetUp() override {
        bin_ = m1batch_binary();
        ASSERT_FALSE(bin_.empty()) << "M1BATCH_BIN is not set";
        ASSERT_EQ(text_lines(reference_csv_).size(), 19u) << reference_csv_;
    }
    fs::path search_file(const std::string& name, const std::string& algorithm = "cmaes") {
        return temp_.write(name + ".toml", search_text(name, algorithm));
    }
    // `command` in the test's directory (at most two minutes: a rank that hangs fails the test).
    int shell(const std::string& command) {
        auto r = run_shell("timeout 120 " + command, dir_);
        err_ = std::move(r.err);
        return r.status;
    }
    int on_board(const fs::path& file) { return shell(mpirun(3) + quote(bin_) + " -t 1 " + quote(file.string())); }
    // Starts the search under mpirun -np 3 and sends `signal` to rank `rank` once `done` more of
    // its runs have ended; mpirun's exit.
    int signal_rank_after(const fs::path& file, std::size_t done, int rank, int signal) {
        const fs::path out = dir_ / file.stem();
        const std::size_t before = runs_done(out);
        const pid_t pid = start_mpirun(3, quote(bin_) + " -t 1 " + quote(file.string()), dir_, dir_ / "background.txt");
        for (int i = 0; i < 2400 && runs_done(out) < before + done; ++i) std::this_thread::sleep_for(25ms);
        const pid_t target = mpi_rank_pid(bin_, file.string(), rank);
        EXPECT_NE(target, 0) << "no rank " << rank << " (the search ended first?)";
        if (target) ::kill(target, signal);
        const std::optional<int> code = wait_exit_within(pid, 120s);
        EXPECT_TRUE(code.has_value()) << "mpirun did not end";
        return code.value_or(-1);
    }
    void expect_reference(const std::string& name) {
        EXPECT_EQ(read_file(dir_ / name / "optimization.csv"), reference_csv_) << name;
        EXPECT_EQ(read_file(dir_ / name / "best.toml"), reference_best_) << name;
    }

    static inline std::unique_ptr<temporary_directory> reference_dir_;
    static inline std::string reference_csv_, reference_best_;
    temporary_directory temp_{"search-board"};
    const fs::path dir_ = temp_.path();
    std::string bin_, err_;
};

// Issue 13's acceptance: local 2x1, local 1x2 (the reference) and mpirun -np 3 give the same
// optimization.csv, byte for byte (it has no times).
TEST_F(SearchBoard, ThreeRanksGiveTheLocalSplitsOptimizationCsv) {
    const fs::path board = search_file("board"), local = search_file("local");
    ASSERT_EQ(on_board(board), 0) << err_;
    EXPECT_NE(err_.find("board: each generation's runs on 2 MPI workers (bulletin board)"), std::string::npos) << err_;
    EXPECT_EQ(occurrences(err_, "generation 3/3: 18 evaluations, best "), 1u) << "rank 0 alone speaks:\n" << err_;
    expect_reference("board");
    EXPECT_EQ(occurrences(read_file(dir_ / "board" / "index.csv"), ",done,"), 18u);
    ASSERT_EQ(shell(clean_environment + " " + quote(bin_) + " -j 2 -t 1 " + quote(local.string())), 0) << err_;
    expect_reference("local");
    // Again on the board: nothing left to run, the same evaluations.
    ASSERT_EQ(on_board(board), 0) << err_;
    EXPECT_NE(err_.find("resuming after generation 3"), std::string::npos) << err_;
    expect_reference("board");
}

// kill -9 of rank 0 (mpirun then ends the other ranks) inside the first generation and again
// later; the same command under mpirun ends exactly as an uninterrupted search.
TEST_F(SearchBoard, Rank0KilledTwiceThenRerunEndsAsUninterrupted) {
    const fs::path file = search_file("killed");
    EXPECT_NE(signal_rank_after(file, 3, 0, SIGKILL), 0);
    EXPECT_LT(runs_done(dir_ / "killed"), 18u);
    EXPECT_NE(signal_rank_after(file, 5, 0, SIGKILL), 0);
    EXPECT_LT(runs_done(dir_ / "killed"), 18u);
    ASSERT_EQ(on_board(file), 0) << err_;
    expect_reference("killed");
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "killed")) {
        const std::string name = e.path().filename().string();
        EXPECT_EQ(name.find(".tmp"), std::string::npos) << e.path();
        EXPECT_EQ(name.find("claim"), std::string::npos) << e.path();
    }
}

// A signal to any rank stops the search (a worker's run is interrupted and reported; rank 0
// hands out no more runs): exit 3 on every rank and the search's one line; the same command
// resumes and ends as an uninterrupted search.
TEST_F(SearchBoard, SigintToAWorkerOrToRank0Exits3AndResumes) {
    const fs::path file = search_file("interrupted");
    EXPECT_EQ(signal_rank_after(file, 4, 2, SIGINT), 3);
    EXPECT_EQ(signal_rank_after(file, 4, 0, SIGINT), 3);
    const std::string log = read_file(dir_ / "background.txt");
    EXPECT_EQ(occurrences(log, "interrupted in generation "), 2u) << log;
    EXPECT_EQ(occurrences(log, "the same command resumes after generation "), 2u) << log;
    ASSERT_EQ(on_board(file), 0) << err_;
    expect_reference("interrupted");
}

// What stops rank 0 before any run ends the workers too, each rank with the same exit code: a
// directory another batch holds (4), a search that cannot run (2). Rank 0 alone says why.
TEST_F(SearchBoard, RefusalsOnRank0EndEveryRankWithItsExitCode) {
    const fs::path file = search_file("busy");
    fs::create_directories(dir_ / "busy");
    const m1::batch::results_directory busy(dir_ / "busy");
    {
        const auto held = busy.acquire_lock(true);  // another batch
        EXPECT_EQ(on_board(file), 4) << err_;
        EXPECT_EQ(occurrences(err_, "in use by another batch"), 1u) << err_;
        // Each rank's exit code, through a shell around it (mpirun told not to end the other
        // ranks as soon as one exits non-zero; it then exits 0 itself).
        const std::string each = "sh -c '\"$0\" \"$@\"; c=$?; echo \"$OMPI_COMM_WORLD_RANK $c\" >>" +
                                 (dir_ / "codes.txt").string() + "; exit $c' " + quote(bin_) + " -t 1 ";
        shell("env OMPI_MCA_orte_abort_on_non_zero_status=0 " + mpirun(3) + each + quote(file.string()));
        const auto codes = text_lines(read_file(dir_ / "codes.txt"));
        EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()),
                  (std::set<std::string>{"0 4", "1 4", "2 4"})) << err_;
    }
    EXPECT_FALSE(fs::exists(dir_ / "busy" / "optimize.toml"));  // not touched
    // A file every rank refuses (nsga2 with one objective): said once, by rank 0.
    EXPECT_EQ(on_board(search_file("refused", "nsga2")), 2) << err_;
    EXPECT_EQ(occurrences(err_, "nsga2 is multi-objective"), 1u) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "refused"));
}

}  // namespace
