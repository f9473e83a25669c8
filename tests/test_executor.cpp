// The executors (batch/executor.cpp) through the real m1batch program: a sweep run locally, as
// array tasks, interrupted, killed with SIGKILL and resumed, refused on a busy directory; failures
// recorded and the batch going on; the same spikes whichever way a run was run.
#include "batch/executor.hpp"
#include "analysis/run_analysis.hpp"
#include "batch/results.hpp"
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
using namespace m1::test;

namespace {

// Every file under `dir` whose name contains `part`.
std::vector<fs::path> files_containing(const fs::path& dir, const std::string& part) {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(part) != std::string::npos) out.push_back(e.path());
    return out;
}

// Rows of index.csv after the header, split on commas (the tests' values have none).
std::vector<std::vector<std::string>> index_rows(const fs::path& dir) {
    const std::vector<std::string> lines = m1::test::text_lines(read_file(dir / "index.csv"));
    std::vector<std::vector<std::string>> rows;
    for (std::size_t k = 1; k < lines.size(); ++k) {
        const std::string& line = lines[k];
        std::vector<std::string> fields;
        std::string field;
        std::istringstream l(line);
        while (std::getline(l, field, ',')) fields.push_back(field);
        rows.push_back(fields);
    }
    return rows;
}


class Executor : public ::testing::Test {
protected:
    void SetUp() override {
        bin_ = m1::test::m1batch_binary();
        ASSERT_FALSE(bin_.empty()) << "M1BATCH_BIN is not set";
        write("tiny.json", tiny_model);
    }
    fs::path write(const std::string& name, const std::string& text) {
        return temp_.write(name, text);
    }
    // A sweep of the tiny model over the background weight (values) with `extra` [sweep] keys.
    fs::path tiny_sweep(const std::string& name, const std::string& values,
                        const std::string& extra = "", const std::string& top = "") {
        return write(name + ".toml", "model = \"tiny.json\"\noutput = \"" + name + "\"\n" + top +
                                         "[sweep]\nreplicates = 2\n" + extra +
                                         "[[sweep.param]]\npath = \"/netParams/stimTargetParams/bg_E/weight\"\n"
                                         "values = " + values + "\n");
    }
    // The M1 model at scale 0.1: 1,065 cells, real connectivity, a fraction of a second a run.
    fs::path m1_sweep(const std::string& name, double duration = 200) {
        return write(name + ".toml", "model = \"" + m1_model + "\"\noutput = \"" + name +
                                         "\"\nscale = 0.1\nduration = " + std::to_string(duration) +
                                         "\n[sweep]\nreplicates = 2\n[[sweep.param]]\n"
                                         "path = \"/netParams/scaleConnWeight\"\n"
                                         "values = [0.0003, 0.0004]\n");
    }
    int run(const std::string& args, const std::string& env = "") {
        auto r = m1::test::run_shell(env + " " + quote(bin_) + " " + args, dir_);
        out_ = std::move(r.out);
        err_ = std::move(r.err);
        return r.status;
    }
    // Starts m1batch in the background (in dir_, stderr to background.txt); returns its pid.
    pid_t start(const std::vector<std::string>& args) {
        return m1::test::start_background(bin_, args, dir_, dir_ / "background.txt");
    }
    static int wait_exit(pid_t pid) { return m1::test::wait_exit(pid); }
    std::size_t count_done(const fs::path& out) {
        return files_containing(out / "runs", "run.h5").size() -
               files_containing(out / "runs", "run.h5.tmp").size();
    }

    m1::test::temporary_directory temp_{"executor"};
    const fs::path dir_ = temp_.path();
    std::string bin_;
    std::string out_, err_;
};

TEST(AutomaticSplit, OneRunPerCoreWhileMemoryAndWorkAllow) {
    using m1::batch::automatic_split;
    auto s = automatic_split(24, 10734, 2, 24000);
    EXPECT_EQ(s.jobs, 2u);
    EXPECT_EQ(s.threads, 1u);
    s = automatic_split(1, 10734, 8, 24000);  // one run left: all cores to it
    EXPECT_EQ(s.jobs, 1u);
    EXPECT_EQ(s.threads, 8u);
    s = automatic_split(3, 10734, 8, 24000);
    EXPECT_EQ(s.jobs, 3u);
    EXPECT_EQ(s.threads, 2u);
    s = automatic_split(100, 10734, 64, 2000);  // 2 GB: 4 full-model runs fit (~483 MiB each)
    EXPECT_EQ(s.jobs, 3u);
    EXPECT_EQ(s.threads, 21u);
}

TEST_F(Executor, LocalSweepLeavesACompleteSelfDescribingDirectory) {
    const fs::path sweep = tiny_sweep("s", "[0.3, 0.5, 0.7]");
    ASSERT_EQ(run(quote(sweep.string())), 0) << err_;
    const fs::path out = dir_ / "s";
    const auto rows = index_rows(out);
    ASSERT_EQ(rows.size(), 6u) << read_file(out / "index.csv");
    for (const auto& r : rows) {
        ASSERT_GE(r.size(), 6u);
        EXPECT_EQ(r[3], "done");  // run_id, weight, seed, status
        EXPECT_TRUE(fs::exists(out / "runs" / r[0] / "run.h5"));
        EXPECT_TRUE(fs::exists(out / "runs" / r[0] / "log.txt"));
    }
    EXPECT_TRUE(fs::exists(out / "index.h5"));
    // The copy says the values as the user wrote them (not 0.29999999999999999).
    EXPECT_NE(read_file(out / "sweep.toml").find("values = [ 0.3, 0.5, 0.7 ]"), std::string::npos)
        << read_file(out / "sweep.toml");
    EXPECT_EQ(read_file(out / "model.json"), tiny_model);
    EXPECT_EQ(read_file(out / "source" / "s.toml"), read_file(sweep));
    EXPECT_TRUE(files_containing(out, ".tmp").empty());
    EXPECT_TRUE(files_containing(out / "runs", "claim").empty());
    // The run file names its run and its swept value.
    const auto attrs = m1::read_run_attributes(out / "runs" / rows[2][0] / "run.h5");
    ASSERT_EQ(attrs.sweep.size(), 1u);
    EXPECT_EQ(attrs.sweep[0].first, "/netParams/stimTargetParams/bg_E/weight");
    EXPECT_EQ(std::get<double>(attrs.sweep[0].second), 0.5);
    ASSERT_NE(attrs.find("run_id"), nullptr);
    EXPECT_EQ(std::get<std::string>(*attrs.find("run_id")), rows[2][0]);
    // The directory alone reproduces the sweep: its sweep.toml gives the same run ids.
    ASSERT_EQ(run("--dry-run --format csv " + quote((out / "sweep.toml").string())), 0) << err_;
    for (const auto& r : rows) EXPECT_NE(out_.find(r[0]), std::string::npos) << out_;
}

TEST_F(Executor, RerunDoesNothingAgain) {
    const fs::path sweep = tiny_sweep("s", "[0.3, 0.5]");
    ASSERT_EQ(run(quote(sweep.string())), 0) << err_;
    std::map<std::string, file_identity> before;
    for (const auto& f : files_containing(dir_ / "s" / "runs", "run.h5")) before[f] = identity(f);
    ASSERT_EQ(before.size(), 4u);
    ASSERT_EQ(run(quote(sweep.string())), 0) << err_;
    EXPECT_NE(err_.find("4 done; 0 to run"), std::string::npos) << err_;
    for (const auto& [f, id] : before) EXPECT_EQ(identity(f), id) << f;
}

TEST_F(Executor, FailedRunIsRecordedAndTheBatchGoesOn) {
    // numCells -1 makes the model invalid for that point only.
    const fs::path sweep = write("f.toml", "model = \"tiny.json\"\noutput = \"f\"\n[sweep]\n"
                                           "[[sweep.param]]\npath = \"/netParams/popParams/E/numCells\"\n"
                                           "values = [3, -1, 5]\n");
    EXPECT_EQ(run(quote(sweep.string())), 1) << err_;
    const auto rows = index_rows(dir_ / "f");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0][3], "done");
    EXPECT_EQ(rows[1][3], "failed");
    EXPECT_EQ(rows[2][3], "done");
    EXPECT_NE(read_file(dir_ / "f" / "index.csv").find("numCells"), std::string::npos);
    EXPECT_NE(read_file(dir_ / "f" / "runs" / rows[1][0] / "status.json").find("failed"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir_ / "f" / "runs" / rows[1][0] / "run.h5"));
    // Failed runs stay failed on a plain rerun, and are the only ones --retry-failed reruns.
    const auto done_file = dir_ / "f" / "runs" / rows[0][0] / "run.h5";
    const file_identity before = identity(done_file);
    EXPECT_EQ(run(quote(sweep.string())), 1) << err_;
    EXPECT_NE(err_.find("0 to run"), std::string::npos) << err_;
    EXPECT_EQ(run("--retry-failed " + quote(sweep.string())), 1) << err_;
    EXPECT_NE(err_.find("1 to run"), std::string::npos) << err_;
    EXPECT_EQ(identity(done_file), before);
}

TEST_F(Executor, RunWithRunawayCellsIsDoneAndSaysSo) {
    // A weight of 1.7e308 uS overflows the synaptic conductance to infinity, and inf * 0 is NaN:
    // the driven cells leave the numbers. As in NEURON the run goes on without them; the run is
    // done, and its row says how many ran away. (1e300 would not do: the conductance then clamps
    // the cell at the synapse's reversal.)
    const fs::path sweep = write("n.toml", "model = \"tiny.json\"\noutput = \"n\"\n[sweep]\n"
                                           "[[sweep.param]]\npath = \"/netParams/stimTargetParams/bg_E/weight\"\n"
                                           "values = [0.5, 1.7e308]\n");
    EXPECT_EQ(run(quote(sweep.string())), 0) << err_;
    const auto rows = index_rows(dir_ / "n");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][3], "done");
    EXPECT_EQ(rows[1][3], "done");
    for (const std::string& field : rows[0])
        EXPECT_EQ(field.find("ran away"), std::string::npos) << "the first run's cells stayed finite";
    EXPECT_NE(rows[1].back().find("cells ran away to a non-finite voltage"), std::string::npos)
        << rows[1].back();
}

TEST_F(Executor, ManyRunawayCellsAreCountedAndListedWithinTheAttributeLimit) {
    // 2,000 cells all running away: the run file is still written (HDF5 refuses attributes over
    // 64 KiB), with the count and the first 100.
    const fs::path sweep = write("many.toml", "model = \"tiny.json\"\noutput = \"many\"\n[sweep]\n"
                                              "[[sweep.param]]\npath = \"/netParams/stimTargetParams/bg_E/weight\"\n"
                                              "values = [1.7e308]\n"
                                              "[[sweep.param]]\npath = \"/netParams/popParams/E/numCells\"\n"
                                              "values = [2000]\n");
    EXPECT_EQ(run(quote(sweep.string())), 0) << err_;
    const auto rows = index_rows(dir_ / "many");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][4], "done");
    const m1::run_file_attributes attrs =
        m1::read_run_attributes(dir_ / "many" / "runs" / rows[0][0] / "run.h5");
    const auto* count = std::get_if<std::int64_t>(attrs.find("runaway_cells"));
    ASSERT_NE(count, nullptr);
    EXPECT_GT(*count, 1000) << "most cells got an event of that weight";
    const auto* list = std::get_if<std::string>(attrs.find("runaway_cell_list"));
    ASSERT_NE(list, nullptr);
    EXPECT_NE(list->find("; ... and " + std::to_string(*count - 100) + " more"), std::string::npos)
        << *list;
    EXPECT_LT(list->size(), 64u * 1024u);
    EXPECT_NE(rows[0].back().find(std::to_string(*count) + " cells ran away"), std::string::npos)
        << rows[0].back();
}

TEST_F(Executor, RunOverItsTimeoutFails) {
    const fs::path sweep = write("t.toml", "model = \"" + m1_model + "\"\noutput = \"t\"\nscale = 0.1\n"
                                           "duration = 100000.0\n[sweep]\ntimeout_s = 0.5\n"
                                           "[[sweep.param]]\npath = \"seed\"\nvalues = [1]\n");
    EXPECT_EQ(run(quote(sweep.string())), 1) << err_;
    const auto rows = index_rows(dir_ / "t");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][3], "failed");
    EXPECT_NE(read_file(dir_ / "t" / "index.csv").find("timed out after 0.5 s"), std::string::npos);
}

TEST_F(Executor, SecondBatchOnTheSameDirectoryIsRefused) {
    const fs::path sweep = tiny_sweep("busy", "[0.5]");
    fs::create_directories(dir_ / "busy");
    // Another batch (a child process holding the exclusive lock).
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t holder = ::fork();
    if (holder == 0) {
        m1::batch::results_directory d(dir_ / "busy");
        auto lock = d.acquire_lock(true);
        char c = 1;
        (void)!::write(ready[1], &c, 1);
        ::pause();
        ::_exit(0);
    }
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    EXPECT_EQ(run(quote(sweep.string())), 4) << err_;
    EXPECT_NE(err_.find("in use by another batch"), std::string::npos) << err_;
    EXPECT_NE(err_.find(std::to_string(holder)), std::string::npos) << err_;
    EXPECT_TRUE(files_containing(dir_ / "busy", "run.h5").empty());
    ::kill(holder, SIGKILL);
    wait_exit(holder);
    // The kernel released the killed holder's lock: the batch runs now.
    EXPECT_EQ(run(quote(sweep.string())), 0) << err_;
}

// A file system without flock (flock fails with ENOLCK: an LD_PRELOAD shim, as no such file
// system can be mounted here): the batch warns and runs, and array tasks running at once still
// run every run exactly once (the claims).
TEST_F(Executor, FileSystemWithoutFlockRunsWithAWarning) {
    const std::string no_flock = "LD_PRELOAD=" + quote(NO_FLOCK_LIB);
    const fs::path sweep = tiny_sweep("nf", "[0.3, 0.5, 0.7]");
    EXPECT_EQ(run(quote(sweep.string()), no_flock), 0) << err_;
    EXPECT_NE(err_.find("does not support flock"), std::string::npos) << err_;
    EXPECT_EQ(count_done(dir_ / "nf"), 6u);

    const fs::path m1 = m1_sweep("nfa");
    std::vector<pid_t> tasks;
    ::setenv("LD_PRELOAD", NO_FLOCK_LIB, 1);
    for (int i = 0; i < 2; ++i)
        tasks.push_back(start({m1.string(), "--task-index", std::to_string(i), "--task-count", "2", "-t", "1"}));
    ::unsetenv("LD_PRELOAD");
    for (pid_t t : tasks) EXPECT_EQ(wait_exit(t), 0) << read_file(dir_ / "background.txt");
    EXPECT_NE(read_file(dir_ / "background.txt").find("does not support flock"), std::string::npos);
    EXPECT_EQ(count_done(dir_ / "nfa"), 4u);
    EXPECT_TRUE(files_containing(dir_ / "nfa" / "runs", "claim").empty());
    ASSERT_EQ(run(quote(m1.string()) + " -o " + quote((dir_ / "nfa-local").string())), 0) << err_;
    m1::test::expect_same_runs(dir_ / "nfa", dir_ / "nfa-local", 4);
}

// The acceptance: kill -9 mid-batch, restart; every run done exactly once, the index
// complete, no stray temporary or claim files, the spikes those of an uninterrupted batch.
TEST_F(Executor, KilledBatchResumesWithoutRedoingOrDuplicating) {
    const fs::path sweep = write("k.toml", "model = \"" + m1_model + "\"\noutput = \"k\"\nscale = 0.1\n"
                                           "duration = 1000.0\n[sweep]\nreplicates = 4\n[[sweep.param]]\n"
                                           "path = \"/netParams/scaleConnWeight\"\nvalues = [0.0003, 0.0004]\n");
    const fs::path out = dir_ / "k";
    const pid_t pid = start({sweep.string(), "--jobs", "1", "--threads", "1"});
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (count_done(out) < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    ::kill(pid, SIGKILL);
    EXPECT_EQ(wait_exit(pid), -SIGKILL);
    const std::size_t done_before = count_done(out);
    ASSERT_GE(done_before, 2u);
    ASSERT_LT(done_before, 8u) << "the batch finished before the kill";
    std::map<fs::path, file_identity> before;
    for (const auto& f : files_containing(out / "runs", "run.h5"))
        if (f.filename() == "run.h5") before[f] = identity(f);

    ASSERT_EQ(run(quote(sweep.string()) + " -j 2 -t 1"), 0) << err_;
    EXPECT_NE(err_.find(std::to_string(before.size()) + " done; " +
                        std::to_string(8 - before.size()) + " to run"),
              std::string::npos) << err_;
    for (const auto& [f, id] : before) EXPECT_EQ(identity(f), id) << f << " was redone";
    const auto rows = index_rows(out);
    ASSERT_EQ(rows.size(), 8u);
    for (const auto& r : rows) EXPECT_EQ(r[3], "done");
    EXPECT_TRUE(files_containing(out, ".tmp").empty());
    EXPECT_TRUE(files_containing(out / "runs", "claim").empty());
    EXPECT_EQ(files_containing(out / "runs", "run.h5").size(), 8u);

    // An uninterrupted batch of the same sweep elsewhere: the same spikes, run for run.
    ASSERT_EQ(run(quote(sweep.string()) + " -o " + quote((dir_ / "k2").string()) + " -j 1 -t 2"), 0) << err_;
    m1::test::expect_same_runs(out, dir_ / "k2", 8);
}

TEST_F(Executor, SigtermMarksRunsInterruptedAndTheRerunCompletes) {
    const fs::path sweep = m1_sweep("i", 3000);
    const fs::path out = dir_ / "i";
    const pid_t pid = start({sweep.string(), "--jobs", "2", "--threads", "1"});
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (files_containing(out / "runs", "claim").empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(200ms);
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_exit(pid), 3) << read_file(dir_ / "background.txt");
    const auto rows = index_rows(out);
    ASSERT_EQ(rows.size(), 4u);
    std::size_t interrupted = 0;
    for (const auto& r : rows) interrupted += r[3] == "interrupted";
    EXPECT_GE(interrupted, 1u) << read_file(out / "index.csv");
    EXPECT_TRUE(files_containing(out / "runs", "claim").empty());
    EXPECT_TRUE(files_containing(out, ".tmp").empty());
    ASSERT_EQ(run(quote(sweep.string())), 0) << err_;
    for (const auto& r : index_rows(out)) EXPECT_EQ(r[3], "done");
}

// Local with 2 jobs x 1 thread, local with 1 job x 2 threads, and three array tasks (run at the
// same time): the same spike datasets for every run.
TEST_F(Executor, SpikesDoNotDependOnTheExecutor) {
    const fs::path sweep = m1_sweep("e");
    ASSERT_EQ(run(quote(sweep.string()) + " -j 2 -t 1 -o " + quote((dir_ / "jobs").string())), 0) << err_;
    ASSERT_EQ(run(quote(sweep.string()) + " -j 1 -t 2 -o " + quote((dir_ / "threads").string())), 0) << err_;
    std::vector<pid_t> tasks;
    for (int i = 0; i < 3; ++i)
        tasks.push_back(start({sweep.string(), "-o", (dir_ / "array").string(), "--task-index",
                               std::to_string(i), "--task-count", "3", "-t", "1"}));
    for (pid_t t : tasks) EXPECT_EQ(wait_exit(t), 0) << read_file(dir_ / "background.txt");
    const auto a = spikes_of(dir_ / "jobs"), b = spikes_of(dir_ / "threads"), c = spikes_of(dir_ / "array");
    ASSERT_EQ(a.size(), 4u);
    ASSERT_EQ(b.size(), 4u);
    ASSERT_EQ(c.size(), 4u);
    std::size_t spikes = 0;
    for (const auto& [id, s] : a) {
        EXPECT_TRUE(same_spikes(s, b.at(id))) << id;
        EXPECT_TRUE(same_spikes(s, c.at(id))) << id;
        for (const auto& p : s) spikes += p.timestamps.size();
    }
    EXPECT_GT(spikes, 1000u);
    const auto rows = index_rows(dir_ / "array");
    ASSERT_EQ(rows.size(), 4u);
    for (const auto& r : rows) EXPECT_EQ(r[3], "done");
}

TEST_F(Executor, ChangedSweepReportsStaleRuns) {
    ASSERT_EQ(run(quote(tiny_sweep("st", "[0.3, 0.5]").string())), 0) << err_;
    ASSERT_EQ(run(quote(tiny_sweep("st", "[0.3, 0.6]").string())), 0) << err_;
    EXPECT_NE(err_.find("note: 2 run directories"), std::string::npos) << err_;
    EXPECT_EQ(index_rows(dir_ / "st").size(), 4u);
    EXPECT_EQ(run("status " + quote((dir_ / "st").string())), 0) << err_;
    EXPECT_NE(out_.find("4 done"), std::string::npos) << out_;
    EXPECT_NE(out_.find("2 stale"), std::string::npos) << out_;
}

TEST_F(Executor, StatusRebuildsTheIndexFromTheRunFiles) {
    ASSERT_EQ(run(quote(tiny_sweep("r", "[0.3, 0.5]").string())), 0) << err_;
    const std::string index = read_file(dir_ / "r" / "index.csv");
    fs::remove(dir_ / "r" / "index.csv");
    fs::remove(dir_ / "r" / "index.h5");
    EXPECT_EQ(run("status --rebuild " + quote((dir_ / "r").string())), 0) << err_;
    EXPECT_EQ(read_file(dir_ / "r" / "index.csv"), index);
    EXPECT_TRUE(fs::exists(dir_ / "r" / "index.h5"));
}

TEST_F(Executor, EnvironmentVariablesSetOptionsAndTheCommandLineWins) {
    const fs::path sweep = tiny_sweep("env", "[0.3, 0.5]");
    EXPECT_EQ(run(quote(sweep.string()), "M1BATCH_JOBS=1 M1BATCH_THREADS=1"), 0) << err_;
    EXPECT_NE(err_.find("1 at a time with 1 thread each"), std::string::npos) << err_;
    EXPECT_EQ(run(quote(sweep.string()) + " -o " + quote((dir_ / "env2").string()) + " -j 2",
                  "M1BATCH_JOBS=1 M1BATCH_THREADS=1"),
              0) << err_;
    EXPECT_NE(err_.find("2 at a time with 1 thread each"), std::string::npos) << err_;
    EXPECT_EQ(run(quote(sweep.string()), "M1BATCH_THREADS=many"), 2) << err_;
    EXPECT_NE(err_.find("M1BATCH_THREADS"), std::string::npos) << err_;
}

TEST_F(Executor, DryRunListsTheRunsAndRunsNothing) {
    const fs::path sweep = write("d.toml", "model = \"tiny.json\"\noutput = \"d\"\n[sweep]\nreplicates = 2\n"
                                           "[[sweep.param]]\npath = \"/netParams/scaleConnWeight\"\n"
                                           "values = [0.0002, 0.0003, 0.0004]\n"
                                           "[[sweep.param]]\npath = \"/netParams/stimTargetParams/bg_E/weight\"\n"
                                           "values = [0.25, 0.5, 0.75, 1.0]\n");
    ASSERT_EQ(run("--dry-run --format csv " + quote(sweep.string())), 0) << err_;
    std::istringstream in(out_);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
    ASSERT_EQ(lines.size(), 25u) << out_;
    EXPECT_EQ(lines[0], "run_id,/netParams/scaleConnWeight,/netParams/stimTargetParams/bg_E/weight,seed\r");
    EXPECT_FALSE(fs::exists(dir_ / "d"));
    EXPECT_EQ(run("--dry-run --max-runs 20 " + quote(sweep.string())), 2) << err_;
    EXPECT_NE(err_.find("--max-runs"), std::string::npos) << err_;
}

}  // namespace

namespace {

// `analysis = [...]` in the sweep: each run file carries /analysis right after its run.
TEST_F(Executor, SweepAsksForAnalysisAfterEachRun) {
    const fs::path sweep = tiny_sweep("a", "[0.5]", "analysis = [\"rates\", \"rate_psd\"]\n");
    ASSERT_EQ(run(quote(sweep.string())), 0) << err_;
    const auto rows = index_rows(dir_ / "a");
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& r : rows) {
        const fs::path file = dir_ / "a" / "runs" / r[0] / "run.h5";
        const auto result = m1::analysis::read_analysis(file);
        ASSERT_EQ(result.rates.size(), 1u);
        EXPECT_EQ(result.rate_psd.size(), 2u);  // E and all
        EXPECT_TRUE(result.granger.empty());
        EXPECT_TRUE(result.nte.empty());
        // The analysed rate is the run's own mean rate.
        EXPECT_DOUBLE_EQ(result.rates[0].rate_hz, std::stod(r[6]));
    }
}

}  // namespace
