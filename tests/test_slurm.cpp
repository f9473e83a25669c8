// m1batch submit against a real SLURM: each test starts a single-node cluster (Debian's
// slurmctld, slurmd and munge, configured in a temporary directory by
// tests/cluster/slurm_cluster.sh), submits array and MPI jobs (of sweeps, and of a search) to it,
// waits for them with squeue, checks the results directory, and stops the daemons it started by
// their pid files.
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <regex>
#include <set>
#include <thread>

namespace {

namespace fs = std::filesystem;
using m1::test::quote;
using m1::test::read_file;
using m1::test::run_shell;
using namespace std::chrono_literals;

const std::string cluster_script = std::string(M1_SOURCE_DIR) + "/tests/cluster/slurm_cluster.sh";
using m1::test::m1_model;

class Slurm : public ::testing::Test {
protected:
    void SetUp() override {
        bin_ = m1::test::m1batch_binary();
        ASSERT_FALSE(bin_.empty()) << "M1BATCH_BIN is not set";
        const auto r = run_shell("bash " + quote(cluster_script) + " start " + quote((dir_ / "cluster").string()), dir_);
        ASSERT_EQ(r.status, 0) << "the test's SLURM did not start (scripts/setup.sh installs slurmctld, "
                                  "slurmd, slurm-client and munge):\n" << r.err;
        ASSERT_EQ(r.out.rfind("SLURM_CONF=", 0), 0u) << r.out;
        std::string conf = r.out.substr(11);
        while (!conf.empty() && conf.back() == '\n') conf.pop_back();
        ::setenv("SLURM_CONF", conf.c_str(), 1);  // sbatch, squeue, scancel (and m1batch submit's sbatch)
        started_ = true;
    }
    void TearDown() override {
        if (!started_) return;
        const auto r = run_shell("bash " + quote(cluster_script) + " stop " + quote((dir_ / "cluster").string()), dir_);
        EXPECT_EQ(r.status, 0) << r.err;
        ::unsetenv("SLURM_CONF");
    }

    // The M1 model at scale 0.1 (1,065 cells), two recurrent weights x three replicates = 6 runs;
    // no [cluster] table when `cluster` is empty.
    fs::path sweep(const std::string& name, double duration_ms, const std::string& cluster) {
        return temp_.write(name + ".toml",
                           "model = \"" + m1_model + "\"\noutput = \"" + name + "\"\nscale = 0.1\n"
                           "duration = " + std::to_string(duration_ms) + "\n"
                           "[sweep]\nreplicates = 3\n[[sweep.param]]\npath = \"/netParams/scaleConnWeight\"\n"
                           "values = [0.0003, 0.0004]\n" + (cluster.empty() ? "" : "[cluster]\n" + cluster));
    }
    // The test node's CPUs and memory (MiB) as SLURM describes them (slurm_cluster.sh gives it the
    // machine's CPUs and 90 % of its memory).
    std::pair<long, long> node() {
        const auto r = run_shell("sinfo -h -o '%c %m'", dir_);
        long cpus = 0, mem = 0;
        std::istringstream(r.out) >> cpus >> mem;
        EXPECT_GT(cpus, 0) << r.out << r.err;
        EXPECT_GT(mem, 0) << r.out << r.err;
        return {cpus, mem};
    }
    // The pending reason squeue gives job's first task, once `wanted` accepts it (at most a minute:
    // the scheduler sets it on its next pass).
    std::string pending_reason(const std::string& job, const std::function<bool(const std::string&)>& wanted) {
        std::string reason;
        for (const auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;
             std::this_thread::sleep_for(200ms)) {
            reason = run_shell("squeue -h -r -j " + job + " -o '%r' | head -n 1", dir_).out;
            while (!reason.empty() && reason.back() == '\n') reason.pop_back();
            if (wanted(reason)) return reason;
        }
        ADD_FAILURE() << "job " << job << " still pends for \"" << reason << "\"";
        return reason;
    }
    int run(const std::string& args) {
        auto r = run_shell(m1::test::clean_environment + " " + quote(bin_) + " " + args, dir_);
        out_ = std::move(r.out);
        err_ = std::move(r.err);
        return r.status;
    }
    // The job id m1batch submit printed ("submitted SLURM job 12: ...").
    std::string submitted_job() {
        std::smatch m;
        const std::regex re("submitted SLURM job ([0-9]+):");
        EXPECT_TRUE(std::regex_search(out_, m, re)) << out_ << err_;
        return m.size() > 1 ? m[1].str() : "";
    }
    // Array task index -> state (PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, ...), from squeue
    // (the test's slurm.conf keeps finished jobs listed for 5 minutes).
    std::map<std::string, std::string> task_states(const std::string& job) {
        const auto r = run_shell("squeue -h -r -t all -j " + job + " -o '%i %T'", dir_);
        std::map<std::string, std::string> states;
        std::istringstream in(r.out);
        for (std::string id, state; in >> id >> state;) {
            const auto underscore = id.find('_');
            states[underscore == std::string::npos ? id : id.substr(underscore + 1)] = state;
        }
        return states;
    }
    static bool finished(const std::string& state) {
        return state != "PENDING" && state != "RUNNING" && state != "CONFIGURING" &&
               state != "COMPLETING" && state != "SUSPENDED";
    }
    // Waits until every task of `job` has ended (at most `limit`); returns the most tasks seen
    // running at once.
    std::size_t wait_for(const std::string& job, std::size_t tasks, std::chrono::seconds limit = 300s) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        std::size_t most_running = 0;
        for (;;) {
            const auto states = task_states(job);
            std::size_t running = 0, ended = 0;
            for (const auto& [task, state] : states) {
                running += state == "RUNNING";
                ended += finished(state);
            }
            most_running = std::max(most_running, running);
            if (states.size() == tasks && ended == tasks) return most_running;
            if (std::chrono::steady_clock::now() > deadline) {
                ADD_FAILURE() << "job " << job << " did not finish in " << limit.count() << " s";
                return most_running;
            }
            std::this_thread::sleep_for(200ms);
        }
    }
    // run id -> the identity (inode, mtime) of its run.h5, for the runs that have one.
    std::map<std::string, m1::test::file_identity> run_files(const fs::path& out) {
        std::map<std::string, m1::test::file_identity> files;
        for (const auto& e : fs::directory_iterator(out / "runs"))
            if (fs::exists(e.path() / "run.h5"))
                files[e.path().filename().string()] = m1::test::identity(e.path() / "run.h5");
        return files;
    }

    m1::test::temporary_directory temp_{"slurm"};
    const fs::path dir_ = temp_.path();
    std::string bin_, out_, err_;
    bool started_ = false;
};

TEST_F(Slurm, ArrayJobOfThreeTasksAtMostTwoAtATimeCompletesTheSweep) {
    const fs::path file = sweep("a", 300, "array_size = 3\narray_limit = 2\ncpus_per_task = 1\n"
                                          "time = \"0:10:00\"\nmem = \"1G\"\n");
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm"), 0) << out_ << err_;
    const std::string job = submitted_job();
    ASSERT_FALSE(job.empty());
    const std::size_t most_running = wait_for(job, 3);
    EXPECT_LE(most_running, 2u) << "the %2 throttle";
    for (const auto& [task, state] : task_states(job)) EXPECT_EQ(state, "COMPLETED") << "task " << task;

    const fs::path out = dir_ / "a";
    EXPECT_EQ(run("status " + quote(out.string())), 0) << out_ << err_;
    EXPECT_NE(out_.find("6 runs: 6 done"), std::string::npos) << out_;
    EXPECT_NE(out_.find("slurm job " + job + " (array, 3 tasks, 6 runs)"), std::string::npos) << out_;
    const std::string index = read_file(out / "index.csv");
    EXPECT_EQ(std::count(index.begin(), index.end(), '\n'), 7) << index;
    // Each task learned its index and count from SLURM and took its share with one thread.
    for (int task = 0; task < 3; ++task) {
        const std::string log = read_file(out / "jobs" / "logs" / (job + "_" + std::to_string(task) + ".err"));
        EXPECT_NE(log.find("task " + std::to_string(task) + " of 3"), std::string::npos) << log;
        EXPECT_NE(log.find("2 to run, 1 at a time with 1 thread each (the CPUs granted)"), std::string::npos) << log;
    }
    // The spikes are those of a local run of the same sweep.
    ASSERT_EQ(run(quote(file.string()) + " -q -o " + quote((dir_ / "local").string())), 0) << err_;
    m1::test::expect_same_runs(out, dir_ / "local", 6);
}

TEST_F(Slurm, CancelledTaskIsResubmittedWithMissingWithoutRedoingFinishedRuns) {
    // Runs long enough (15 s of model time, seconds of wall time each) for a task to be caught
    // in the middle of one. No time or mem: submit estimates them.
    const fs::path file = sweep("c", 15000, "array_size = 3\narray_limit = 2\ncpus_per_task = 1\n");
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm"), 0) << out_ << err_;
    EXPECT_NE(out_.find("estimating time and memory"), std::string::npos) << out_;
    const std::string job = submitted_job();
    ASSERT_FALSE(job.empty());
    // While the job is queued or running, a second submission would do the same runs: refused.
    EXPECT_EQ(run("submit " + quote(file.string()) + " --missing --scheduler slurm --time 10 --mem 1G"), 4);
    EXPECT_NE(err_.find("slurm job " + job + " (array, 3 tasks, 6 runs)"), std::string::npos) << err_;
    EXPECT_NE(err_.find("is still queued or running"), std::string::npos) << err_;
    EXPECT_NE(err_.find("scancel " + job), std::string::npos) << err_;

    // Task 1's first run is at position 1 of the sweep: wait until it is running, then cancel task 1.
    ASSERT_EQ(run("--dry-run --format csv " + quote(file.string())), 0) << err_;
    std::vector<std::string> ids;
    {
        std::istringstream in(out_);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) ids.push_back(line.substr(0, line.find(',')));
    }
    ASSERT_EQ(ids.size(), 6u);
    const fs::path out = dir_ / "c";
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!fs::exists(out / "runs" / ids[1] / "claim") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(fs::exists(out / "runs" / ids[1] / "claim")) << "task 1 never started its first run";
    ASSERT_EQ(run_shell("scancel " + job + "_1", dir_).status, 0);
    wait_for(job, 3);
    const auto states = task_states(job);
    EXPECT_EQ(states.at("0"), "COMPLETED");
    EXPECT_EQ(states.at("1"), "CANCELLED");
    EXPECT_EQ(states.at("2"), "COMPLETED");

    // Task 1's runs (positions 1 and 4) are not done: the first interrupted by scancel's SIGTERM.
    EXPECT_EQ(run("status " + quote(out.string())), 1) << out_;
    EXPECT_NE(out_.find("6 runs: 4 done"), std::string::npos) << out_;
    EXPECT_NE(out_.find(ids[1] + "  interrupted"), std::string::npos) << out_;
    EXPECT_NE(out_.find(ids[4] + "  missing"), std::string::npos) << out_;
    const auto before = run_files(out);
    ASSERT_EQ(before.size(), 4u);

    ASSERT_EQ(run("submit " + quote((out / "sweep.toml").string()) + " --missing --scheduler slurm --time 10 --mem 1G"), 0)
        << out_ << err_;
    const std::string again = submitted_job();
    ASSERT_FALSE(again.empty());
    EXPECT_NE(out_.find("2 tasks"), std::string::npos) << out_;  // an array over the 2 runs to do
    const std::string list = read_file(out / "jobs" / "002.runs");
    EXPECT_NE(list.find(ids[1] + "\n"), std::string::npos) << list;
    EXPECT_NE(list.find(ids[4] + "\n"), std::string::npos) << list;
    wait_for(again, 2);
    for (const auto& [task, state] : task_states(again)) EXPECT_EQ(state, "COMPLETED") << "task " << task;

    EXPECT_EQ(run("status " + quote(out.string())), 0) << out_;
    EXPECT_NE(out_.find("6 runs: 6 done"), std::string::npos) << out_;
    const auto after = run_files(out);
    ASSERT_EQ(after.size(), 6u);
    for (const auto& [id, file_id] : before) EXPECT_EQ(after.at(id), file_id) << "run " << id << " was redone";
    // Nothing left to submit.
    ASSERT_EQ(run("submit " + quote((out / "sweep.toml").string()) + " --missing --scheduler slurm"), 0) << err_;
    EXPECT_NE(out_.find("nothing to submit"), std::string::npos) << out_;
}

TEST_F(Slurm, MpiJobRunsTheBulletinBoard) {
    // Two ranks on the test's 2-CPU node: rank 0 hands out the runs, rank 1 runs them all. As
    // root, Open MPI wants to be told that is fine (the setup lines).
    const fs::path file = sweep("p", 300, "mode = \"mpi\"\nntasks = 2\ncpus_per_task = 1\ntime = 10\nmem = \"1G\"\n"
                                          "setup = [\"export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\", "
                                          "\"export OMPI_MCA_btl=self,vader\"]\n");
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm"), 0) << out_ << err_;
    const std::string job = submitted_job();
    ASSERT_FALSE(job.empty());
    wait_for(job, 1);
    EXPECT_EQ(task_states(job).at(job), "COMPLETED");
    const std::string log = read_file(dir_ / "p" / "jobs" / "logs" / (job + ".err"));
    EXPECT_NE(log.find("6 to run on 1 MPI worker (bulletin board)"), std::string::npos) << log;
    EXPECT_EQ(run("status " + quote((dir_ / "p").string())), 0) << out_;
    EXPECT_NE(out_.find("6 runs: 6 done"), std::string::npos) << out_;
    ASSERT_EQ(run(quote(file.string()) + " -q -o " + quote((dir_ / "local").string())), 0) << err_;
    m1::test::expect_same_runs(dir_ / "p", dir_ / "local", 6);
}

// A search as one MPI job (submit --mode mpi): the search on rank 0, rank 1 running each
// generation's runs; it ends with the optimization.csv of a local run, and status shows its runs
// and the job.
TEST_F(Slurm, SearchRunsAsAnMpiJob) {
    const std::string search = "model = \"" + m1_model + "\"\noutput = \"s\"\nscale = 0.1\nduration = 200.0\n"
                               "[optimize]\nalgorithm = \"cmaes\"\npopulation = 6\ngenerations = 3\nseed = 3\n"
                               "[[optimize.param]]\npath = \"/netParams/scaleConnWeight\"\n"
                               "range = [0.0002, 0.0008]\nlog = true\n"
                               "[[optimize.objective]]\ncolumn = \"rate_hz:IT_L23\"\ntarget = 5.0\nwidth = 2.0\n"
                               "[cluster]\nntasks = 2\ncpus_per_task = 1\ntime = 10\nmem = \"1G\"\n"
                               "setup = [\"export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\", "
                               "\"export OMPI_MCA_btl=self,vader\"]\n";
    const fs::path file = temp_.write("s.toml", search);
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm --mode mpi"), 0) << out_ << err_;
    const std::string job = submitted_job();
    ASSERT_FALSE(job.empty());
    wait_for(job, 1);
    EXPECT_EQ(task_states(job).at(job), "COMPLETED");
    const fs::path out = dir_ / "s";
    const std::string log = read_file(out / "jobs" / "logs" / (job + ".err"));
    EXPECT_NE(log.find("s: each generation's runs on 1 MPI worker (bulletin board)"), std::string::npos) << log;
    EXPECT_NE(log.find("s: generation 3/3: 18 evaluations"), std::string::npos) << log;
    EXPECT_EQ(run("status " + quote(out.string())), 0) << out_ << err_;
    EXPECT_NE(out_.find("s: 18 runs: 18 done"), std::string::npos) << out_;
    EXPECT_NE(out_.find("slurm job " + job + " (mpi, 2 tasks, 18 runs)"), std::string::npos) << out_;
    ASSERT_EQ(run(quote(file.string()) + " -q -j 2 -t 1 -o " + quote((dir_ / "local").string())), 0) << err_;
    EXPECT_EQ(read_file(out / "optimization.csv"), read_file(dir_ / "local" / "optimization.csv"));
}

TEST_F(Slurm, MalformedClusterTableSubmitsNothing) {
    for (const std::string& cluster : {std::string("walltime = \"1:00:00\"\n"), std::string("time = \"-1:00:00\"\n"),
                                       std::string("array_size = 7\n")}) {
        const fs::path file = sweep("m", 300, cluster);
        EXPECT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm"), 2) << cluster << out_;
        EXPECT_NE(err_.find("m.toml:"), std::string::npos) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "m" / "jobs")) << cluster;
    }
    const auto jobs = run_shell("squeue -h -t all -o %i", dir_);
    EXPECT_EQ(jobs.status, 0) << jobs.err;
    EXPECT_EQ(jobs.out, "") << "a job reached the scheduler";
}

// The case: a request no node can satisfy is refused before anything is written, with the
// partition's figures, instead of pending forever (sbatch accepts --cpus-per-task above the node's
// CPUs and leaves the job PENDING for PartitionConfig).
TEST_F(Slurm, RequestNoNodeCanSatisfyIsRefusedWithThePartitionsFigures) {
    const auto [cpus, mem] = node();
    const std::string c = std::to_string(cpus), over = std::to_string(cpus + 1);
    const fs::path file = sweep("o", 300, "time = 10\nmem = \"1G\"\n");
    auto refused = [&](const std::string& args, const std::string& message) {
        SCOPED_TRACE(args);
        EXPECT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm " + args), 2) << out_ << err_;
        EXPECT_NE(err_.find(message), std::string::npos) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "o"));
    };
    refused("--cpus-per-task " + over, "error: command line: --cpus-per-task: partition test: no node has " + over +
                                           " CPUs (largest: " + c + "); lower cpus_per_task in [cluster] or pass "
                                           "--cpus-per-task\n");
    refused("--mem " + std::to_string(mem + 1024) + "M",
            "error: command line: --mem: partition test: no node has " + std::to_string(mem + 1024) +
                " MiB of memory (largest: " + std::to_string(mem) + " MiB); lower mem in [cluster] or pass --mem\n");
    refused("--mode mpi --nodes 2 --ntasks 2 --cpus-per-task 1", "--nodes: partition test: nodes 2 > its 1 node; lower nodes");
    refused("--mode mpi --ntasks " + over + " --cpus-per-task 1",
            "--ntasks: partition test: its nodes hold " + c + " ranks of 1 CPU and 1024 MiB, not " + over + "; lower ntasks");
    refused("--dry-run --cpus-per-task " + over, "partition test: no node has " + over + " CPUs");
    // A partition MaxTime, set as an administrator sets it.
    const auto update = run_shell("scontrol update PartitionName=test MaxTime=30", dir_);
    ASSERT_EQ(update.status, 0) << update.err;
    refused("--time 1:00:00", "error: command line: --time: partition test: time 01:00:00 is over its MaxTime "
                              "00:30:00; lower time in [cluster] or pass --time\n");
    const std::string table = "time = \"45:00\"\nmem = \"1G\"\n";
    const fs::path in_table = sweep("ot", 300, table);
    EXPECT_EQ(run("submit " + quote(in_table.string()) + " --scheduler slurm"), 2) << out_ << err_;
    EXPECT_EQ(err_.rfind("error: " + in_table.string() + ":" +
                             std::to_string(m1::test::line_of(read_file(in_table), "time =")) + ":", 0), 0u) << err_;
    EXPECT_NE(err_.find(": cluster.time: partition test: time 00:45:00 is over its MaxTime 00:30:00"),
              std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "ot"));
    // Within the limits the same sweep goes.
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm --cpus-per-task " + c), 0) << out_ << err_;
    const std::string job = submitted_job();
    // A time the pilot chose is checked once measured: it is at least 15 minutes (twice the runs'
    // time plus 10 minutes, in steps of 5), over a MaxTime of 10. The sources are written by then,
    // no job script.
    ASSERT_EQ(run_shell("scontrol update PartitionName=test MaxTime=10", dir_).status, 0);
    const fs::path estimated = sweep("oe", 300, "cpus_per_task = 1\nmem = \"1G\"\n");
    EXPECT_EQ(run("submit " + quote(estimated.string()) + " --scheduler slurm"), 2) << out_ << err_;
    EXPECT_NE(out_.find("estimating time and memory"), std::string::npos) << out_;
    EXPECT_NE(err_.find(": cluster.time: partition test: time 00:"), std::string::npos) << err_;
    EXPECT_NE(err_.find(" is over its MaxTime 00:10:00; that is the estimate: give time in [cluster] or pass --time\n"),
              std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "oe" / "jobs"));
    // %F: the array's job id (a started array task gets a job id of its own, %A).
    const auto jobs = run_shell("squeue -h -t all -o %F | sort -u", dir_);
    EXPECT_EQ(jobs.out, job + "\n") << "only the job that fits reached the scheduler";
}

// A sweep without a [cluster] table, submitted as it is: cpus_per_task min(4, the node's CPUs),
// time and memory from the pilot; it runs to completion.
TEST_F(Slurm, SweepWithoutClusterTableRunsToCompletion) {
    const long cpus = std::min(4L, node().first);
    const fs::path file = sweep("n", 300, "");
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm"), 0) << out_ << err_;
    EXPECT_EQ(err_, "");
    // Said when the node has fewer than the 4 CPUs asked for by default.
    const bool said = out_.find("note: partition test: its largest node has " + std::to_string(cpus) + " CPUs, so " +
                                std::to_string(cpus) + " CPUs per task (cpus_per_task)") != std::string::npos;
    EXPECT_EQ(said, cpus < 4) << out_;
    const std::string job = submitted_job();
    ASSERT_FALSE(job.empty());
    const std::string script = read_file(dir_ / "n" / "jobs" / "001-slurm-array.sh");
    EXPECT_NE(script.find("\n#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n"), std::string::npos) << script;
    wait_for(job, 6);
    for (const auto& [task, state] : task_states(job)) EXPECT_EQ(state, "COMPLETED") << "task " << task;
    EXPECT_EQ(run("status " + quote((dir_ / "n").string())), 0) << out_ << err_;
    EXPECT_NE(out_.find("6 runs: 6 done"), std::string::npos) << out_;
    EXPECT_EQ(out_.find("squeue:"), std::string::npos) << "a finished job is no longer queued:\n" << out_;
    const std::string log = read_file(dir_ / "n" / "jobs" / "logs" / (job + "_0.err"));
    EXPECT_NE(log.find("with " + std::to_string(cpus) + " thread" + (cpus == 1 ? "" : "s") + " each (the CPUs granted)"),
              std::string::npos) << log;
}

// m1batch status shows a queued job's state and reason as squeue gives them, and warns of waits
// that do not end by themselves, naming scancel. Made for real: a template of one's own asking for
// more CPUs than the node has (the check cannot see inside it: PartitionConfig); a drained node
// (ReqNodeNotAvail or SLURM's "Nodes required for job are DOWN, DRAINED ..."); a MaxTime lowered
// under a queued job (PartitionTimeLimit).
TEST_F(Slurm, StatusShowsQueuedJobsAndWarnsOfWaitsThatDoNotEnd) {
    const std::string over = std::to_string(node().first + 1);
    std::string text = read_file(std::string(M1_SOURCE_DIR) + "/jobs/slurm_array.sh.in");
    text.replace(text.find("{{cpus_per_task}}"), 17, over);
    const fs::path tpl = temp_.write("mine.sh.in", text);
    const fs::path file = sweep("w", 300, "array_size = 2\ncpus_per_task = 1\ntime = 10\nmem = \"1G\"\n");
    ASSERT_EQ(run("submit " + quote(file.string()) + " --scheduler slurm --template " + quote(tpl.string())), 0) << err_;
    const std::string job = submitted_job();
    const fs::path out = dir_ / "w";
    EXPECT_EQ(pending_reason(job, [](const std::string& r) { return r == "PartitionConfig"; }), "PartitionConfig");
    EXPECT_EQ(run("status " + quote(out.string())), 1) << out_ << err_;
    EXPECT_NE(out_.find("  slurm job " + job + " (array, 2 tasks, 6 runs), submitted "), std::string::npos) << out_;
    EXPECT_NE(out_.find("\n    squeue: 2 tasks PENDING (PartitionConfig)\n"), std::string::npos) << out_;
    EXPECT_EQ(err_, "warning: slurm job " + job + " (2 tasks) will never start as it is (PartitionConfig: the "
                    "partition cannot give what it asks for (CPUs, memory or nodes)): cancel it (scancel " + job +
                    ") and submit again with a request that fits\n");
    ASSERT_EQ(run_shell("scancel " + job, dir_).status, 0);
    wait_for(job, 2);
    EXPECT_EQ(run("status " + quote(out.string())), 1) << out_ << err_;
    EXPECT_EQ(out_.find("squeue:"), std::string::npos) << out_;
    EXPECT_EQ(err_, "");

    // A drained node: the job waits for an administrator.
    ASSERT_EQ(run_shell("scontrol update NodeName=localhost State=DRAIN Reason=m1batch-test", dir_).status, 0);
    ASSERT_EQ(run("submit " + quote((out / "sweep.toml").string()) + " --scheduler slurm"), 0) << out_ << err_;
    const std::string drained = submitted_job();
    const std::string reason = pending_reason(drained, [](const std::string& r) {
        return r.rfind("ReqNodeNotAvail", 0) == 0 || r.rfind("Nodes required for job are DOWN", 0) == 0;
    });
    EXPECT_EQ(run("status " + quote(out.string())), 1) << out_ << err_;
    EXPECT_NE(out_.find("    squeue: 2 tasks PENDING (" + reason + ")\n"), std::string::npos) << out_;
    EXPECT_EQ(err_.rfind("warning: slurm job " + drained + " (2 tasks) waits for the cluster, not for its turn (" + reason, 0), 0u)
        << err_;
    EXPECT_NE(err_.find("to give up on it: scancel " + drained + "\n"), std::string::npos) << err_;
    // Its time (10 minutes) over a MaxTime lowered while it waits: it never starts.
    ASSERT_EQ(run_shell("scontrol update PartitionName=test MaxTime=5", dir_).status, 0);
    EXPECT_EQ(pending_reason(drained, [](const std::string& r) { return r == "PartitionTimeLimit"; }), "PartitionTimeLimit");
    EXPECT_EQ(run("status " + quote(out.string())), 1) << out_ << err_;
    EXPECT_NE(out_.find("    squeue: 2 tasks PENDING (PartitionTimeLimit)\n"), std::string::npos) << out_;
    EXPECT_EQ(err_, "warning: slurm job " + drained + " (2 tasks) will never start as it is (PartitionTimeLimit: its "
                    "time limit is over the partition's MaxTime): cancel it (scancel " + drained +
                    ") and submit again with a request that fits\n");
}

}  // namespace
