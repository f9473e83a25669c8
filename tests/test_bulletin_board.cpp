// The MPI bulletin board (batch/bulletin_board.cpp), really started: mpirun with several ranks
// (oversubscribed: CI has 2 cores), compared with the local executor; a worker rank killed with
// SIGKILL and the batch restarted.
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using m1::test::mpirun;
using m1::test::read_file;
using m1::test::runs_done;
using m1::test::same_spikes;
using m1::test::spikes_of;

namespace {

using m1::test::m1_model;

std::size_t count_status(const fs::path& dir, const std::string& status) {
    std::istringstream in(read_file(dir / "index.csv"));
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) n += line.find("," + status + ",") != std::string::npos;
    return n;
}

class BulletinBoard : public ::testing::Test {
protected:
    void SetUp() override {
        bin_ = m1::test::m1batch_binary();
        ASSERT_FALSE(bin_.empty()) << "M1BATCH_BIN is not set";
        sweep_ = temp_.write("mpi.toml",
                             "model = \"" + m1_model + "\"\noutput = \"mpi\"\nscale = 0.1\n"
                             "duration = 300.0\n[sweep]\nreplicates = 3\n[[sweep.param]]\n"
                             "path = \"/netParams/scaleConnWeight\"\nvalues = [0.0003, 0.0004]\n");
    }
    int shell(const std::string& command) {
        auto r = m1::test::run_shell(command, dir_);
        err_ = std::move(r.err);
        return r.status;
    }
    m1::test::temporary_directory temp_{"mpi"};
    const fs::path dir_ = temp_.path();
    std::string bin_;
    fs::path sweep_;
    std::string err_;
};

TEST_F(BulletinBoard, ThreeRanksCompleteTheSweepWithTheLocalExecutorsSpikes) {
    ASSERT_EQ(shell(mpirun(3) + bin_ + " -t 1 " + sweep_.string()), 0) << err_;
    EXPECT_NE(err_.find("on 2 MPI workers"), std::string::npos) << err_;
    EXPECT_EQ(count_status(dir_ / "mpi", "done"), 6u) << read_file(dir_ / "mpi" / "index.csv");
    // Both workers took runs (the board hands out to whichever asks).
    EXPECT_NE(err_.find("on rank 1"), std::string::npos) << err_;
    EXPECT_NE(err_.find("on rank 2"), std::string::npos) << err_;

    ASSERT_EQ(shell(bin_ + " -j 1 -t 2 -o " + (dir_ / "local").string() + " " + sweep_.string()), 0) << err_;
    const auto a = spikes_of(dir_ / "mpi"), b = spikes_of(dir_ / "local");
    ASSERT_EQ(a.size(), 6u);
    ASSERT_EQ(b.size(), 6u);
    for (const auto& [id, s] : a) {
        ASSERT_TRUE(b.count(id)) << id;
        EXPECT_TRUE(same_spikes(s, b.at(id))) << id;
    }
}

TEST_F(BulletinBoard, KilledWorkerRankThenRestartCompletesEveryRunOnce) {
    const fs::path out = dir_ / "mpi";
    const pid_t mpirun_pid = m1::test::start_mpirun(3, bin_ + " -t 1 " + sweep_.string(), dir_, dir_ / "first.txt");
    // Wait for the first finished run, then kill -9 one worker rank.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (runs_done(out) < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    ASSERT_GE(runs_done(out), 1u) << read_file(dir_ / "first.txt");
    const pid_t victim = m1::test::mpi_rank_pid(bin_, sweep_.string(), 2);
    ASSERT_NE(victim, 0) << "no rank 2 found";
    std::map<std::string, std::int64_t> before;
    for (const auto& e : fs::directory_iterator(out / "runs"))
        if (fs::exists(e.path() / "run.h5")) {
            struct stat st {};
            ::stat((e.path() / "run.h5").c_str(), &st);
            before[e.path().filename().string()] = std::int64_t(st.st_ino) ^ (std::int64_t(st.st_mtim.tv_nsec) << 20);
        }
    ::kill(victim, SIGKILL);
    // mpirun ends the job when a rank dies.
    const std::optional<int> ended = m1::test::wait_exit_within(mpirun_pid, 60s);
    ASSERT_TRUE(ended.has_value()) << "mpirun did not end after its rank was killed";
    EXPECT_NE(*ended, 0) << read_file(dir_ / "first.txt");

    ASSERT_EQ(shell(mpirun(3) + bin_ + " -t 1 " + sweep_.string()), 0) << err_;
    EXPECT_EQ(count_status(out, "done"), 6u) << read_file(out / "index.csv");
    for (const auto& [id, key] : before) {
        struct stat st {};
        ::stat((out / "runs" / id / "run.h5").c_str(), &st);
        EXPECT_EQ(std::int64_t(st.st_ino) ^ (std::int64_t(st.st_mtim.tv_nsec) << 20), key) << id << " was redone";
    }
    for (const auto& e : fs::recursive_directory_iterator(out)) {
        const std::string name = e.path().filename().string();
        EXPECT_EQ(name.find(".tmp"), std::string::npos) << e.path();
        EXPECT_EQ(name.find("claim"), std::string::npos) << e.path();
    }
}

}  // namespace

namespace {

// A single run under mpirun would be run by every rank: refused, with the reason.
TEST_F(BulletinBoard, SingleRunUnderMpirunIsRefused) {
    const fs::path config = dir_ / "one.toml";
    std::ofstream(config) << "model = \"" << m1_model << "\"\noutput = \"one\"\nscale = 0.1\nduration = 50.0\n";
    EXPECT_NE(shell(mpirun(2) + bin_ + " " + config.string()), 0);
    EXPECT_NE(err_.find("a single run does not use MPI"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "one" / "run.h5"));
}

}  // namespace
