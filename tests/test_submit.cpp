// batch/submit through the real m1batch program: job scripts rendered from the [cluster] table and
// the command line (SLURM and PBS, array and MPI), malformed settings refused before anything is
// written, the rendered PBS script run for real subjob by subjob, --missing and run lists, the
// schedulers' environment as a task reads it, and submission through stand-in sbatch and qsub
// programs (no real scheduler is ever called: every command runs with PATH set to a directory
// holding only the stand-ins, which log each call). What a partition or queue can give is asked of
// stand-in sinfo, pbsnodes and qstat printing the schedulers' text (tests/test_slurm.cpp asks a
// real SLURM).
#include "batch/submit.hpp"
#include "batch/sweep.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace m1::test;

namespace {

// The directives of a job script, "#SBATCH " or "#PBS " taken off, in order.
std::vector<std::string> directives(const std::string& script, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& line : text_lines(script))
        if (line.rfind(prefix + " ", 0) == 0) out.push_back(line.substr(prefix.size() + 1));
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// Index of the first line equal to `line` (lines.size() when absent).
std::size_t position(const std::vector<std::string>& lines, const std::string& line) {
    return static_cast<std::size_t>(std::find(lines.begin(), lines.end(), line) - lines.begin());
}

// The last line that is not empty.
std::string last_line(const std::string& text) {
    const auto lines = text_lines(text);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
        if (!it->empty()) return *it;
    return "";
}

// Run id -> status, from index.csv (its columns found by name in the header).
std::vector<std::pair<std::string, std::string>> run_states(const fs::path& output) {
    const auto lines = text_lines(read_file(output / "index.csv"));
    std::vector<std::pair<std::string, std::string>> out;
    if (lines.empty()) return out;
    auto split = [](std::string line) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> f;
        std::istringstream in(line);
        for (std::string x; std::getline(in, x, ',');) f.push_back(x);
        return f;
    };
    const auto header = split(lines[0]);
    const std::size_t status = position(header, "status");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = split(lines[i]);
        if (f.size() > status) out.emplace_back(f[0], f[status]);
    }
    return out;
}

// The run ids of a run list (comments and blank lines left out).
std::vector<std::string> listed_runs(const fs::path& file) {
    std::vector<std::string> ids;
    for (const auto& line : text_lines(read_file(file)))
        if (!line.empty() && line[0] != '#') ids.push_back(line);
    return ids;
}


class Submit : public ::testing::Test {
protected:
    void SetUp() override {
        bin_ = m1::test::m1batch_binary();
        ASSERT_FALSE(bin_.empty()) << "M1BATCH_BIN is not set";
        // Stand-ins for sbatch and qsub: they log their arguments and answer as the real ones do.
        fake_bin_ = dir_ / "bin";
        calls_ = dir_ / "scheduler-calls.txt";
        temp_.write("bin/sbatch", "#!/bin/sh\necho \"sbatch $*\" >> " + quote(calls_.string()) +
                                      "\necho '4242;testcluster'\n");
        temp_.write("bin/qsub", "#!/bin/sh\necho \"qsub $*\" >> " + quote(calls_.string()) +
                                    "\necho '77[].pbsserver'\n");
        fs::permissions(fake_bin_ / "sbatch", fs::perms::owner_all);
        fs::permissions(fake_bin_ / "qsub", fs::perms::owner_all);
    }
    fs::path write(const std::string& name, const std::string& text) { return temp_.write(name, text); }
    // A stand-in program in the PATH the tests give m1batch: `body` run by sh.
    void stand_in(const std::string& name, const std::string& body) {
        write("bin/" + name, "#!/bin/sh\n" + body);
        fs::permissions(fake_bin_ / name, fs::perms::owner_all);
    }

    // The M1 model at scale 0.1 (1,065 cells, a twentieth of a second a run at 100 ms): two weights
    // x two replicates = 4 runs, with `cluster` as its [cluster] table (no table when empty).
    std::string m1_sweep_text(const std::string& name, const std::string& cluster = "",
                              double duration = 100) {
        return "model = \"" + m1_model + "\"\noutput = \"" + name + "\"\nscale = 0.1\nduration = " +
               std::to_string(duration) +
               "\n[sweep]\nreplicates = 2\n[[sweep.param]]\npath = \"/netParams/scaleConnWeight\"\n"
               "values = [0.0003, 0.0004]\n" +
               (cluster.empty() ? "" : "[cluster]\n" + cluster);
    }
    fs::path m1_sweep(const std::string& name, const std::string& cluster = "", double duration = 100) {
        return write(name + ".toml", m1_sweep_text(name, cluster, duration));
    }
    // m1batch with `args`, the scheduler variables unset, `env` set and only the stand-ins in PATH.
    int run(const std::string& args, const std::string& env = "") {
        return shell(clean_environment + " PATH=" + quote(fake_bin_.string()) + " " + env + " " +
                     quote(bin_) + " " + args);
    }
    int shell(const std::string& command) {
        auto r = m1::test::run_shell(command, dir_);
        out_ = std::move(r.out);
        err_ = std::move(r.err);
        return r.status;
    }
    // The calls the stand-in sbatch and qsub received.
    std::string scheduler_calls() const { return read_file(calls_); }
    // The results directory as m1batch names it in the scripts.
    fs::path root(const std::string& name) const { return fs::absolute(dir_ / name).lexically_normal(); }
    // The one job script numbered `number` in OUTPUT/jobs.
    fs::path script(const fs::path& output, const std::string& number = "001") const {
        std::vector<fs::path> found;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(output / "jobs", ec))
            if (e.path().filename().string().rfind(number + "-", 0) == 0 && e.path().extension() == ".sh")
                found.push_back(e.path());
        EXPECT_EQ(found.size(), 1u) << "scripts numbered " << number << " in " << output / "jobs";
        return found.empty() ? fs::path() : found[0];
    }
    // The m1batch the scripts run: the program itself, by its absolute path.
    std::string program() const { return fs::canonical(bin_).string(); }

    m1::test::temporary_directory temp_{"submit"};
    const fs::path dir_ = temp_.path();
    std::string bin_;
    fs::path fake_bin_, calls_;
    std::string out_, err_;
};

// The example: an array job from the [cluster] table, written and not submitted.
TEST_F(Submit, DryRunRendersTheSlurmArrayScriptFromTheClusterTable) {
    const fs::path sweep = m1_sweep("s", "scheduler = \"slurm\"\naccount = \"proj123\"\n"
                                         "partition = \"compute\"\ntime = \"1-02:03:04\"\nmem = \"3G\"\n"
                                         "cpus_per_task = 2\narray_size = 3\narray_limit = 2\n"
                                         "setup = [\"module load gcc\", \"export OMP_PROC_BIND=false\"]\n"
                                         "extra = [\"--qos=long\", \"#SBATCH --constraint=amd\"]\n");
    ASSERT_EQ(run("submit --dry-run " + quote(sweep.string())), 0) << err_;
    const fs::path out = root("s");
    const fs::path file = script(out);
    EXPECT_EQ(file.filename(), "001-slurm-array.sh");
    EXPECT_NE(out_.find("not submitted"), std::string::npos) << out_;
    EXPECT_TRUE((fs::status(file).permissions() & fs::perms::owner_exec) != fs::perms::none);
    const std::string text = read_file(file);
    EXPECT_EQ(text.rfind("#!/bin/bash\n", 0), 0u) << text;
    const std::string logs = (out / "jobs" / "logs").string();
    EXPECT_EQ(directives(text, "#SBATCH"),
              (std::vector<std::string>{"--job-name=m1batch-s", "--account=proj123", "--partition=compute",
                                        "--time=1-02:03:04", "--mem=3072M", "--nodes=1", "--ntasks=1",
                                        "--cpus-per-task=2", "--array=0-2%2",
                                        "--output=" + logs + "/%A_%a.out",
                                        "--error=" + logs + "/%A_%a.err", "--qos=long",
                                        "--constraint=amd"}))
        << text;
    EXPECT_TRUE(fs::is_directory(out / "jobs" / "logs"));
    // sbatch reads directives only up to the first command: the setup lines come after them all.
    const auto lines = text_lines(text);
    const std::size_t last_directive = position(lines, "#SBATCH --constraint=amd");
    const std::size_t setup = position(lines, "module load gcc");
    ASSERT_LT(setup, lines.size()) << text;
    EXPECT_GT(setup, last_directive);
    EXPECT_EQ(lines[setup + 1], "export OMP_PROC_BIND=false");
    EXPECT_LT(position(lines, "set -eu"), setup);
    // The program by its absolute path, on the results directory's self-contained sweep.
    EXPECT_EQ(last_line(text), "exec " + program() + " " + (out / "sweep.toml").string());
    EXPECT_TRUE(fs::exists(out / "sweep.toml"));
    EXPECT_TRUE(fs::exists(out / "model.json"));
    // Nothing submitted, nothing recorded, no run started.
    EXPECT_EQ(scheduler_calls(), "");
    EXPECT_FALSE(fs::exists(out / "jobs" / "submissions.csv"));
    EXPECT_FALSE(fs::exists(out / "jobs" / "001.runs"));
    EXPECT_TRUE(m1::test::listing(out / "runs").empty());

    // A second dry run is the next script; short times are HH:MM:SS.
    ASSERT_EQ(run("submit --dry-run --time 45 " + quote(sweep.string())), 0) << err_;
    EXPECT_TRUE(contains(directives(read_file(script(out, "002")), "#SBATCH"), "--time=00:45:00"));
    EXPECT_EQ(read_file(file), text);
}

TEST_F(Submit, CommandLineOverridesTheClusterTable) {
    const fs::path sweep = m1_sweep("o", "scheduler = \"pbs\"\naccount = \"proj123\"\n"
                                         "partition = \"compute\"\ntime = \"2:00:00\"\nmem = \"3G\"\n"
                                         "cpus_per_task = 2\narray_size = 3\narray_limit = 2\n");
    ASSERT_EQ(run("submit --dry-run --scheduler slurm --account other --partition short --time 30:00 "
                  "--mem 1500M --cpus-per-task 1 --array-size 4 --array-limit 1 -o " +
                  quote((dir_ / "elsewhere").string()) + " " + quote(sweep.string())),
              0) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "o"));  // -o wins over the sweep's output
    const fs::path out = root("elsewhere");
    const fs::path file = script(out);
    EXPECT_EQ(file.filename(), "001-slurm-array.sh");  // --scheduler slurm over scheduler = "pbs"
    const auto d = directives(read_file(file), "#SBATCH");
    for (const std::string expected : {"--account=other", "--partition=short", "--time=00:30:00",
                                       "--mem=1500M", "--cpus-per-task=1", "--array=0-3%1"})
        EXPECT_TRUE(contains(d, expected)) << expected << " not in\n" << read_file(file);
    EXPECT_EQ(last_line(read_file(file)), "exec " + program() + " " + (out / "sweep.toml").string());
    EXPECT_EQ(scheduler_calls(), "");
}

TEST_F(Submit, TemplateOfOnesOwn) {
    const fs::path sweep = m1_sweep("t", "scheduler = \"slurm\"\naccount = \"proj123\"\ntime = 20\nmem = 512\n");
    const fs::path tpl = write("mine.sh.in", "#!/bin/bash\n#SBATCH -A {{account}} -t {{time}} --mem={{mem}}\n"
                                             "#SBATCH --partition={{partition}}\n"
                                             "srun {{m1batch}} {{m1batch_arguments}}\n");
    ASSERT_EQ(run("submit --dry-run --template " + quote(tpl.string()) + " " + quote(sweep.string())), 0) << err_;
    const fs::path out = root("t");
    // The partition line is left out: its setting is empty.
    EXPECT_EQ(read_file(script(out)), "#!/bin/bash\n#SBATCH -A proj123 -t 00:20:00 --mem=512M\nsrun " +
                                          program() + " " + (out / "sweep.toml").string() + "\n");
}

// The three malformed tables and more: exit 2, the file, line and key named, and the
// results directory not even created (nothing written, nothing submitted).
TEST_F(Submit, MalformedClusterTableIsRefusedBeforeAnythingIsWritten) {
    struct bad {
        std::string lines, key, needle, reason;
    };
    const std::vector<bad> cases = {
        {"colour = \"red\"\n", "colour", "colour", "unknown key"},
        {"time = \"-1:00:00\"\n", "time", "time =", "must be positive"},
        {"time = -5\n", "time", "time =", "must be positive"},
        {"time = \"ab:cd\"\n", "time", "time =", "malformed time"},
        {"array_size = 5\n", "array_size", "array_size", "larger than the sweep (4 runs)"},
        {"mem = \"lots\"\n", "mem", "mem =", "malformed memory"},
        {"cpus_per_task = 0\n", "cpus_per_task", "cpus_per_task", "whole number >= 1"},
        {"nodes = 2\n", "nodes", "nodes", "is for mode = \"mpi\""},
        {"mode = \"mpi\"\narray_limit = 2\n", "array_limit", "array_limit", "is for mode = \"array\""},
        {"mode = \"mpi\"\nntasks = 1\n", "ntasks", "ntasks", "at least 2 ranks"},
        {"pbs_variant = \"torque\"\n", "pbs_variant", "pbs_variant", "is for scheduler = \"pbs\""},
        {"scheduler = \"lsf\"\n", "scheduler", "scheduler = \"lsf\"", "\"slurm\" or \"pbs\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.lines);
        const bool sets_scheduler = c.key == "scheduler";
        const std::string text =
            m1_sweep_text("bad", (sets_scheduler ? "" : "scheduler = \"slurm\"\n") + c.lines);
        const fs::path sweep = write("bad.toml", text);
        EXPECT_EQ(run("submit " + quote(sweep.string())), 2) << err_;
        const std::string where = "error: " + sweep.string() + ":" + std::to_string(line_of(text, c.needle)) + ":";
        EXPECT_EQ(err_.rfind(where, 0), 0u) << err_ << "(expected it to start with " << where << ")";
        EXPECT_NE(err_.find(": cluster." + c.key + ": "), std::string::npos) << err_;
        EXPECT_NE(err_.find(c.reason), std::string::npos) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "bad" / "jobs"));
        EXPECT_FALSE(fs::exists(dir_ / "bad"));
        EXPECT_EQ(scheduler_calls(), "");
    }
}

TEST_F(Submit, MalformedCommandLineValueNamesTheOption) {
    const fs::path sweep = m1_sweep("cl", "scheduler = \"slurm\"\ntime = 10\nmem = 512\n");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"--time -5", "--time"},       {"--time=1:xx:00", "--time"},   {"--mem 0", "--mem"},
        {"--mem 3Q", "--mem"},         {"--cpus-per-task 0", "--cpus-per-task"},
        {"--array-size 9", "--array-size"},  // 4 runs
        {"--mode mpi --ntasks 1", "--ntasks"},
        {"--nodes 2", "--nodes"},      // an array job
    };
    for (const auto& [args, option] : cases) {
        SCOPED_TRACE(args);
        EXPECT_EQ(run("submit --dry-run " + args + " " + quote(sweep.string())), 2) << err_;
        EXPECT_EQ(err_.rfind("error: command line: " + option + ": ", 0), 0u) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "cl"));
    }
    EXPECT_EQ(scheduler_calls(), "");
}

TEST_F(Submit, PbsArrayScriptsForOpenPbsAndTorque) {
    const std::string table = "scheduler = \"pbs\"\naccount = \"proj123\"\nqueue = \"workq\"\n"
                              "time = \"1-01:00:00\"\nmem = \"2G\"\ncpus_per_task = 2\narray_size = 3\n"
                              "array_limit = 2\nextra = [\"-l place=scatter\"]\nsetup = \"echo setting up >&2\"\n";
    const fs::path sweep = m1_sweep("p", table);
    ASSERT_EQ(run("submit --dry-run " + quote(sweep.string())), 0) << err_;
    const fs::path out = root("p");
    const fs::path file = script(out);
    EXPECT_EQ(file.filename(), "001-pbs-array.sh");
    std::string text = read_file(file);
    const std::string logs = (out / "jobs" / "logs").string() + "/";
    // OpenPBS: -J with max_run_subjobs as the throttle, resources as a select chunk; PBS walltime
    // has no days.
    EXPECT_EQ(directives(text, "#PBS"),
              (std::vector<std::string>{"-N m1batch-p", "-A proj123", "-q workq", "-l walltime=25:00:00",
                                        "-l select=1:ncpus=2:mem=2048mb", "-J 0-2",
                                        "-W max_run_subjobs=2", "-j oe", "-o " + logs,
                                        "-l place=scatter"}))
        << text;
    auto lines = text_lines(text);
    EXPECT_GT(position(lines, "echo setting up >&2"), position(lines, "#PBS -l place=scatter"));
    EXPECT_LT(position(lines, "echo setting up >&2"), lines.size());
    // PBS has no variable for the count of subjobs: the script says it.
    EXPECT_LT(position(lines, "export M1BATCH_TASK_COUNT=3"), lines.size()) << text;
    EXPECT_EQ(last_line(text), "exec " + program() + " " + (out / "sweep.toml").string());

    // Torque: -t with SLURM's %k, nodes:ppn and the memory on its own.
    const fs::path torque = write("p.toml", m1_sweep_text("p", table + "pbs_variant = \"torque\"\n"));
    ASSERT_EQ(run("submit --dry-run " + quote(torque.string())), 0) << err_;
    text = read_file(script(out, "002"));
    EXPECT_EQ(directives(text, "#PBS"),
              (std::vector<std::string>{"-N m1batch-p", "-A proj123", "-q workq", "-l walltime=25:00:00",
                                        "-l nodes=1:ppn=2", "-l mem=2048mb", "-t 0-2%2", "-j oe",
                                        "-o " + logs, "-l place=scatter"}))
        << text;

    // One task is no array: no -J line (OpenPBS refuses a single subjob), and it is task 0.
    ASSERT_EQ(run("submit --dry-run --array-size 1 " + quote(sweep.string())), 0) << err_;
    text = read_file(script(out, "003"));
    const auto d = directives(text, "#PBS");
    EXPECT_TRUE(std::none_of(d.begin(), d.end(), [](const std::string& s) { return s.rfind("-J", 0) == 0; })) << text;
    EXPECT_TRUE(std::none_of(d.begin(), d.end(), [](const std::string& s) { return s.rfind("-W", 0) == 0; })) << text;
    EXPECT_EQ(scheduler_calls(), "");
    // Run as PBS runs a plain job (no array variables): task 0 of 1, every run.
    ASSERT_EQ(shell(clean_environment + " NCPUS=1 bash " + quote(script(out, "003").string())), 0) << err_;
    EXPECT_NE(err_.find("4 runs, task 0 of 1; 0 done; 4 to run"), std::string::npos) << err_;
    EXPECT_EQ(err_.rfind("setting up\n", 0), 0u) << err_;  // the setup line, before m1batch
    for (const auto& [id, state] : run_states(out)) EXPECT_EQ(state, "done") << id;
}

TEST_F(Submit, MpiScriptsForSlurmAndPbs) {
    const std::string table = "mode = \"mpi\"\naccount = \"proj123\"\ntime = \"3:00:00\"\nmem = \"1000M\"\n"
                              "cpus_per_task = 3\nnodes = 2\nntasks = 5\nsetup = [\"module load openmpi\"]\n";
    const fs::path sweep = m1_sweep("m", "scheduler = \"slurm\"\n" + table);
    ASSERT_EQ(run("submit --dry-run " + quote(sweep.string())), 0) << err_;
    const fs::path out = root("m");
    std::string text = read_file(script(out));
    EXPECT_EQ(script(out).filename(), "001-slurm-mpi.sh");
    const std::string logs = (out / "jobs" / "logs").string();
    // mem is per rank; a rank has cpus_per_task CPUs: 1000 MiB / 3 CPUs, rounded up.
    EXPECT_EQ(directives(text, "#SBATCH"),
              (std::vector<std::string>{"--job-name=m1batch-m", "--account=proj123", "--time=03:00:00",
                                        "--nodes=2", "--ntasks=5", "--cpus-per-task=3", "--mem-per-cpu=334M",
                                        "--output=" + logs + "/%j.out", "--error=" + logs + "/%j.err"}))
        << text;
    EXPECT_GT(position(text_lines(text), "module load openmpi"),
              position(text_lines(text), "#SBATCH --error=" + logs + "/%j.err"));
    EXPECT_EQ(last_line(text), "exec mpirun --bind-to none -np 5 " + program() + " " +
                                   (out / "sweep.toml").string() + " --threads 3");

    // OpenPBS with nodes: a chunk per node holding ceil(5 / 2) = 3 ranks; mpirun places 3 a node.
    ASSERT_EQ(run("submit --dry-run --scheduler pbs " + quote(sweep.string())), 0) << err_;
    text = read_file(script(out, "002"));
    EXPECT_EQ(script(out, "002").filename(), "002-pbs-mpi.sh");
    auto d = directives(text, "#PBS");
    EXPECT_TRUE(contains(d, "-l select=2:ncpus=9:mpiprocs=3:mem=3000mb")) << text;
    EXPECT_TRUE(contains(d, "-l walltime=03:00:00")) << text;
    EXPECT_TRUE(contains(d, "-A proj123")) << text;
    EXPECT_TRUE(std::none_of(d.begin(), d.end(), [](const std::string& s) { return s.rfind("-J", 0) == 0; }));
    EXPECT_EQ(last_line(text), "exec mpirun --bind-to none -np 5 --map-by ppr:3:node " + program() + " " +
                                   (out / "sweep.toml").string() + " --threads 3");

    // Torque: nodes=N:ppn=(ranks a node x CPUs a rank), the job's memory in total (5 x 1000).
    const fs::path torque =
        write("m.toml", m1_sweep_text("m", "scheduler = \"pbs\"\npbs_variant = \"torque\"\n" + table));
    ASSERT_EQ(run("submit --dry-run " + quote(torque.string())), 0) << err_;
    d = directives(read_file(script(out, "003")), "#PBS");
    EXPECT_TRUE(contains(d, "-l nodes=2:ppn=9")) << read_file(script(out, "003"));
    EXPECT_TRUE(contains(d, "-l mem=5000mb")) << read_file(script(out, "003"));
    EXPECT_EQ(scheduler_calls(), "");
}

// The rendered PBS script run for real, subjob by subjob, as PBS would (its variables set): each
// subjob does its share, and the sweep ends with the spikes of a plain local run.
TEST_F(Submit, RenderedPbsScriptRunsTheSweepSubjobBySubjob) {
    const fs::path sweep = m1_sweep("pbs", "scheduler = \"pbs\"\narray_size = 2\ncpus_per_task = 1\n");
    ASSERT_EQ(run("submit --dry-run --time 10 --mem 1G " + quote(sweep.string())), 0) << err_;
    const fs::path out = root("pbs");
    const fs::path file = script(out);
    EXPECT_TRUE(contains(directives(read_file(file), "#PBS"), "-J 0-1")) << read_file(file);

    // Subjob 1 first: the runs at positions 1 and 3, nothing else.
    ASSERT_EQ(shell(clean_environment + " PBS_ARRAY_INDEX=1 NCPUS=1 bash " + quote(file.string())), 0) << err_;
    EXPECT_NE(err_.find("4 runs, task 1 of 2; 0 done; 2 to run, 1 at a time with 1 thread each (the CPUs granted)"),
              std::string::npos) << err_;
    auto states = run_states(out);
    ASSERT_EQ(states.size(), 4u) << read_file(out / "index.csv");
    EXPECT_EQ(states[0].second, "missing");
    EXPECT_EQ(states[1].second, "done");
    EXPECT_EQ(states[2].second, "missing");
    EXPECT_EQ(states[3].second, "done");
    ASSERT_EQ(shell(clean_environment + " PBS_ARRAY_INDEX=0 NCPUS=1 bash " + quote(file.string())), 0) << err_;
    EXPECT_NE(err_.find("task 0 of 2; 2 done; 2 to run"), std::string::npos) << err_;
    for (const auto& [id, state] : run_states(out)) EXPECT_EQ(state, "done") << id;
    ASSERT_EQ(run("status " + quote(out.string())), 0) << err_;
    EXPECT_NE(out_.find("4 runs: 4 done, 0 failed"), std::string::npos) << out_;
    // The run files say they ran with the one CPU PBS granted.
    for (const auto& [id, state] : run_states(out)) {
        const auto attrs = m1::read_run_attributes(out / "runs" / id / "run.h5");
        ASSERT_NE(attrs.find("threads"), nullptr);
        EXPECT_EQ(std::get<std::int64_t>(*attrs.find("threads")), 1) << id;
    }

    ASSERT_EQ(run(quote(sweep.string()) + " -o " + quote((dir_ / "local").string())), 0) << err_;
    m1::test::expect_same_runs(out, dir_ / "local", 4);
}

// Torque's variables (PBS_ARRAYID, PBS_NUM_PPN), the two subjobs at the same time.
TEST_F(Submit, RenderedTorqueScriptRunsItsSubjobsAtOnce) {
    const fs::path sweep = m1_sweep("tq", "scheduler = \"pbs\"\npbs_variant = \"torque\"\narray_size = 2\n"
                                          "cpus_per_task = 1\ntime = 10\nmem = \"1G\"\n");
    ASSERT_EQ(run("submit --dry-run " + quote(sweep.string())), 0) << err_;
    const fs::path out = root("tq");
    const fs::path file = script(out);
    EXPECT_TRUE(contains(directives(read_file(file), "#PBS"), "-t 0-1")) << read_file(file);
    auto subjob = [&](int i) {
        const std::string log = (dir_ / ("subjob" + std::to_string(i) + ".txt")).string();
        return "( " + clean_environment + " PBS_ARRAYID=" + std::to_string(i) + " PBS_NUM_PPN=1 bash " +
               quote(file.string()) + " >" + quote(log) + " 2>&1 )";
    };
    ASSERT_EQ(shell("sh -c " + quote(subjob(0) + " & a=$!; " + subjob(1) +
                                     " & b=$!; wait $a; ra=$?; wait $b; rb=$?; exit $((ra + rb))")),
              0) << read_file(dir_ / "subjob0.txt") << read_file(dir_ / "subjob1.txt");
    for (int i = 0; i < 2; ++i) {
        const std::string log = read_file(dir_ / ("subjob" + std::to_string(i) + ".txt"));
        EXPECT_NE(log.find("4 runs, task " + std::to_string(i) + " of 2;"), std::string::npos) << log;
        EXPECT_NE(log.find("1 at a time with 1 thread each (the CPUs granted)"), std::string::npos) << log;
        // Each ran its two runs only.
        EXPECT_NE(log.find("2 runs in "), std::string::npos) << log;
    }
    const auto states = run_states(out);
    ASSERT_EQ(states.size(), 4u);
    for (const auto& [id, state] : states) EXPECT_EQ(state, "done") << id;
    ASSERT_EQ(run(quote(sweep.string()) + " -o " + quote((dir_ / "local").string())), 0) << err_;
    m1::test::expect_same_runs(out, dir_ / "local", 4);
}

TEST_F(Submit, MissingSubmitsOnlyTheRunsStillToDo) {
    const fs::path sweep = m1_sweep("mi", "scheduler = \"slurm\"\ncpus_per_task = 1\n");
    const fs::path out = root("mi");
    // Half the sweep, as array task 0 of 2: the runs at positions 0 and 2.
    ASSERT_EQ(run(quote(sweep.string()) + " --task-index 0 --task-count 2 -t 1"), 0) << err_;
    const auto before = run_states(out);
    ASSERT_EQ(before.size(), 4u);
    ASSERT_EQ(before[0].second, "done");
    ASSERT_EQ(before[2].second, "done");
    std::map<std::string, file_identity> done_before;
    for (std::size_t i : {0, 2}) {
        const fs::path f = out / "runs" / before[i].first / "run.h5";
        done_before[before[i].first] = identity(f);
    }

    ASSERT_EQ(run("submit --missing --dry-run --time 10 --mem 1G --array-size 2 " + quote(sweep.string())), 0)
        << err_;
    const fs::path list = out / "jobs" / "001.runs";
    ASSERT_TRUE(fs::exists(list));
    EXPECT_EQ(listed_runs(list), (std::vector<std::string>{before[1].first, before[3].first})) << read_file(list);
    const std::string text = read_file(script(out));
    EXPECT_TRUE(contains(directives(text, "#SBATCH"), "--array=0-1")) << text;
    EXPECT_EQ(last_line(text), "exec " + program() + " " + (out / "sweep.toml").string() + " --runs " +
                                   list.string() + " --retry-failed");

    // The script's task 1 (SLURM numbering from 0): the run list's second entry, nothing else.
    ASSERT_EQ(shell(clean_environment + " SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=2 "
                                        "SLURM_CPUS_PER_TASK=1 bash " + quote(script(out).string())),
              0) << err_;
    EXPECT_NE(err_.find("task 1 of 2"), std::string::npos) << err_;
    auto states = run_states(out);
    EXPECT_EQ(states[1].second, "missing");
    EXPECT_EQ(states[3].second, "done");

    // The rest of the list, locally: everything done, the earlier run files untouched.
    ASSERT_EQ(run(quote((out / "sweep.toml").string()) + " --runs " + quote(list.string())), 0) << err_;
    for (const auto& [id, state] : run_states(out)) EXPECT_EQ(state, "done") << id;
    for (const auto& [id, before_id] : done_before)
        EXPECT_EQ(identity(out / "runs" / id / "run.h5"), before_id) << id << " was redone";

    // Nothing left: nothing submitted, no script written.
    const auto listing = m1::test::listing(out / "jobs");
    ASSERT_EQ(run("submit --missing --time 10 --mem 1G " + quote(sweep.string())), 0) << err_;
    EXPECT_NE(out_.find("nothing to submit: 4 of 4 runs done"), std::string::npos) << out_;
    EXPECT_EQ(m1::test::listing(out / "jobs"), listing);
    EXPECT_EQ(scheduler_calls(), "");
}

// A failed run is still to do for --missing (whose tasks rerun it with --retry-failed).
TEST_F(Submit, MissingIncludesFailedRuns) {
    write("tiny.json", tiny_model);
    // numCells -1 makes the model invalid for that point only.
    const fs::path sweep = write("f.toml", "model = \"tiny.json\"\noutput = \"f\"\n[sweep]\n"
                                           "[[sweep.param]]\npath = \"/netParams/popParams/E/numCells\"\n"
                                           "values = [3, -1, 5]\n[cluster]\nscheduler = \"slurm\"\n"
                                           "time = 10\nmem = 256\n");
    EXPECT_EQ(run(quote(sweep.string())), 1) << err_;
    const auto states = run_states(root("f"));
    ASSERT_EQ(states.size(), 3u);
    ASSERT_EQ(states[1].second, "failed");
    ASSERT_EQ(run("submit --missing --dry-run " + quote(sweep.string())), 0) << err_;
    EXPECT_EQ(listed_runs(root("f") / "jobs" / "001.runs"), std::vector<std::string>{states[1].first});
    EXPECT_TRUE(contains(directives(read_file(script(root("f"))), "#SBATCH"), "--array=0-0")) << out_;
}

TEST_F(Submit, RunListErrorsNameTheFileAndLine) {
    const fs::path sweep = m1_sweep("rl");
    ASSERT_EQ(run("--dry-run --format csv " + quote(sweep.string())), 0) << err_;
    const auto csv = text_lines(out_);
    ASSERT_EQ(csv.size(), 5u) << out_;
    const std::string first = csv[1].substr(0, 16), second = csv[2].substr(0, 16);

    struct bad {
        std::string text, at, reason;
    };
    const std::vector<bad> cases = {
        {first + "\n\n# a comment\nnot-a-run\n", ":4:1: ", "\"not-a-run\" is no run of this sweep"},
        {first + "\n" + second + "\n  " + first + "\n", ":3:3: ", "is listed twice (line 1)"},
        {"# nothing but a comment\n\n", ": ", "lists no run"},
        {"", ": ", "lists no run"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const fs::path list = write("list.txt", c.text);
        EXPECT_EQ(run(quote(sweep.string()) + " --runs " + quote(list.string())), 2) << err_;
        EXPECT_EQ(err_.rfind("error: " + list.string() + c.at, 0), 0u) << err_;
        EXPECT_NE(err_.find(c.reason), std::string::npos) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "rl")) << "a run started";
    }

    // The library: the runs in the file's order, blank lines, comments and spaces skipped.
    const auto spec = m1::batch::load_sweep(sweep);
    const auto runs = m1::batch::expand_sweep(spec, 100);
    const fs::path list = write("good.txt", "# two runs\n\n  " + runs[3].id + " \n" + runs[1].id + "\r\n");
    EXPECT_EQ(m1::batch::read_run_list(list, runs), (std::vector<std::size_t>{3, 1}));
    try {
        m1::batch::read_run_list(write("dup.txt", runs[0].id + "\n" + runs[0].id + "\n"), runs);
        ADD_FAILURE() << "a run listed twice was accepted";
    } catch (const m1::input_error& e) {
        EXPECT_EQ(e.where().line, 2u);
        EXPECT_EQ(e.where().file, (dir_ / "dup.txt").string());
    }

    // Only the listed runs run.
    ASSERT_EQ(run(quote(sweep.string()) + " --runs " + quote(write("one.txt", second + "\n").string())), 0) << err_;
    const auto states = run_states(root("rl"));
    ASSERT_EQ(states.size(), 4u);
    for (const auto& [id, state] : states) EXPECT_EQ(state, id == second ? "done" : "missing") << id;
}

// A task as SLURM starts it: its index, count and CPUs from SLURM's variables; M1BATCH_* win over
// those, the command line over both.
TEST_F(Submit, SlurmEnvironmentMakesTheProcessAnArrayTask) {
    const fs::path sweep = m1_sweep("env");
    const std::string slurm = "SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_COUNT=2 "
                              "SLURM_CPUS_PER_TASK=1";
    auto output = [&](const std::string& name) { return " -o " + quote((dir_ / name).string()) + " "; };

    ASSERT_EQ(run(output("e1") + quote(sweep.string()), slurm), 0) << err_;
    EXPECT_EQ(text_lines(err_).at(0), "env: 4 runs, task 1 of 2; 0 done; 2 to run, 1 at a time with 1 thread each "
                                    "(the CPUs granted)") << err_;
    const auto states = run_states(dir_ / "e1");
    ASSERT_EQ(states.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(states[i].second, i % 2 ? "done" : "missing") << i;
    const auto attrs = m1::read_run_attributes(dir_ / "e1" / "runs" / states[1].first / "run.h5");
    ASSERT_NE(attrs.find("threads"), nullptr);
    EXPECT_EQ(std::get<std::int64_t>(*attrs.find("threads")), 1);

    // SLURM_ARRAY_TASK_STEP: ids 2, 4, 6 are tasks 0, 1, 2.
    ASSERT_EQ(run(output("e2") + quote(sweep.string()),
                  "SLURM_ARRAY_TASK_ID=6 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_STEP=2 "
                  "SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1"),
              0) << err_;
    EXPECT_NE(err_.find("task 2 of 3; 0 done; 1 to run"), std::string::npos) << err_;

    ASSERT_EQ(run(output("e3") + quote(sweep.string()), "M1BATCH_TASK_INDEX=0 " + slurm), 0) << err_;
    EXPECT_NE(text_lines(err_).at(0).find("task 0 of 2;"), std::string::npos) << err_;
    ASSERT_EQ(run(output("e4") + "--task-index 1 " + quote(sweep.string()), "M1BATCH_TASK_INDEX=0 " + slurm), 0)
        << err_;
    EXPECT_NE(text_lines(err_).at(0).find("task 1 of 2;"), std::string::npos) << err_;
    // Threads: M1BATCH_THREADS over the CPUs granted, -t over both.
    // (How many runs at once is then automatic, from this machine's cores: not checked.)
    ASSERT_EQ(run(output("e5") + quote(sweep.string()), "M1BATCH_THREADS=2 " + slurm), 0) << err_;
    EXPECT_NE(text_lines(err_).at(0).find(" at a time with 2 threads each"), std::string::npos) << err_;
    EXPECT_EQ(text_lines(err_).at(0).find("(the CPUs granted)"), std::string::npos) << err_;
    ASSERT_EQ(run(output("e6") + "-t 2 " + quote(sweep.string()), "M1BATCH_THREADS=1 " + slurm), 0) << err_;
    EXPECT_NE(text_lines(err_).at(0).find(" at a time with 2 threads each"), std::string::npos) << err_;

    // Malformed or incomplete: exit 2 naming the variable, nothing run.
    EXPECT_EQ(run(output("bad") + quote(sweep.string()),
                  "SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_COUNT=2 SLURM_CPUS_PER_TASK=two"),
              2) << err_;
    EXPECT_EQ(err_.rfind("error: environment: SLURM_CPUS_PER_TASK: invalid value \"two\"", 0), 0u) << err_;
    EXPECT_EQ(run(output("bad") + quote(sweep.string()), "PBS_ARRAY_INDEX=1"), 2) << err_;
    EXPECT_NE(err_.find("needs both a task index and a task count: PBS_ARRAY_INDEX is set, but neither "
                        "--task-count nor M1BATCH_TASK_COUNT"),
              std::string::npos) << err_;
    EXPECT_EQ(run(output("bad") + quote(sweep.string()), "SLURM_ARRAY_TASK_COUNT=2"), 2) << err_;
    EXPECT_NE(err_.find("SLURM_ARRAY_TASK_COUNT is set, but no task index"), std::string::npos) << err_;
    EXPECT_EQ(run(output("bad") + quote(sweep.string()),
                  "SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=3"),
              2) << err_;
    EXPECT_NE(err_.find("SLURM_ARRAY_TASK_ID 5 is not in the array"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "bad"));
}

// Submitted for real, to the stand-ins: the scheduler's answer recorded, a refusal reported.
TEST_F(Submit, SubmitsWithSbatchOrQsubAndRecordsTheJob) {
    const fs::path sweep = m1_sweep("j", "time = 10\nmem = \"1G\"\ncpus_per_task = 1\n");
    const fs::path out = root("j");
    // No scheduler named: sbatch is in PATH, so SLURM.
    ASSERT_EQ(run("submit " + quote(sweep.string())), 0) << err_;
    const fs::path first = script(out);
    EXPECT_EQ(first.filename(), "001-slurm-array.sh");
    EXPECT_EQ(scheduler_calls(), "sbatch --parsable " + first.string() + "\n");
    EXPECT_NE(out_.find("submitted SLURM job 4242: 4 tasks, 4 runs"), std::string::npos) << out_;
    const std::string submissions = read_file(out / "jobs" / "submissions.csv");
    auto csv = text_lines(submissions);
    ASSERT_EQ(csv.size(), 2u);
    EXPECT_EQ(submissions.rfind("submitted_at,scheduler,mode,job_id,tasks,runs,script\r\n", 0), 0u);
    EXPECT_NE(csv[1].find(",slurm,array,4242,4,4," + first.string()), std::string::npos) << csv[1];
    // status exits 1 while runs are still to do (README "Exit codes"); it lists the job.
    ASSERT_EQ(run("status " + quote(out.string())), 1) << err_;
    EXPECT_NE(out_.find("slurm job 4242 (array, 4 tasks, 4 runs)"), std::string::npos) << out_;

    // Only qsub here: PBS; its job id is the whole "77[].pbsserver".
    fs::remove(fake_bin_ / "sbatch");
    ASSERT_EQ(run("submit " + quote(sweep.string())), 0) << err_;
    EXPECT_EQ(script(out, "002").filename(), "002-pbs-array.sh");
    EXPECT_NE(scheduler_calls().find("qsub " + script(out, "002").string() + "\n"), std::string::npos);
    csv = text_lines(read_file(out / "jobs" / "submissions.csv"));
    ASSERT_EQ(csv.size(), 3u);
    EXPECT_NE(csv[2].find(",pbs,array,77[].pbsserver,4,4,"), std::string::npos) << csv[2];

    // A refusal: exit 1 with the scheduler's words; the job is not recorded.
    write("bin/qsub", "#!/bin/sh\necho 'qsub: Unknown queue' >&2\nexit 3\n");
    fs::permissions(fake_bin_ / "qsub", fs::perms::owner_all);
    EXPECT_EQ(run("submit " + quote(sweep.string())), 1) << err_;
    EXPECT_NE((out_ + err_).find("qsub refused"), std::string::npos) << out_ << err_;
    EXPECT_NE((out_ + err_).find("qsub: Unknown queue"), std::string::npos) << out_ << err_;
    EXPECT_EQ(text_lines(read_file(out / "jobs" / "submissions.csv")).size(), 3u);

    // Neither: exit 2, nothing written.
    fs::remove(fake_bin_ / "qsub");
    const auto listing = m1::test::listing(out / "jobs");
    EXPECT_EQ(run("submit " + quote(sweep.string())), 2) << err_;
    EXPECT_NE(err_.find("cluster.scheduler: no scheduler here"), std::string::npos) << err_;
    EXPECT_EQ(m1::test::listing(out / "jobs"), listing);
}

// A job submitted earlier that the scheduler still holds (qstat knows it) would do the same runs:
// the next submission is refused (exit 4, as a busy directory) until it is gone.
TEST_F(Submit, EarlierJobStillQueuedIsWaitedFor) {
    fs::remove(fake_bin_ / "sbatch");
    const fs::path sweep = m1_sweep("q", "scheduler = \"pbs\"\ntime = 10\nmem = \"1G\"\ncpus_per_task = 1\n");
    const fs::path out = root("q");
    ASSERT_EQ(run("submit " + quote(sweep.string())), 0) << err_;
    // qstat as PBS answers for a queued job, then for one it has forgotten.
    write("bin/qstat", "#!/bin/sh\necho \"qstat $*\" >> " + quote(calls_.string()) + "\n"
                       "[ \"$1\" = '77[].pbsserver' ] && [ ! -e " + quote((dir_ / "finished").string()) + " ]\n");
    fs::permissions(fake_bin_ / "qstat", fs::perms::owner_all);
    EXPECT_EQ(run("submit --missing " + quote(sweep.string())), 4) << err_;
    EXPECT_NE(err_.find("pbs job 77[].pbsserver (array, 4 tasks, 4 runs)"), std::string::npos) << err_;
    EXPECT_NE(err_.find("is still queued or running"), std::string::npos) << err_;
    EXPECT_NE(err_.find("qdel 77[].pbsserver"), std::string::npos) << err_;
    EXPECT_NE(scheduler_calls().find("qstat 77[].pbsserver\n"), std::string::npos) << scheduler_calls();
    EXPECT_FALSE(fs::exists(out / "jobs" / "002-pbs-array.sh"));
    // A dry run is not a submission: it writes its script all the same.
    EXPECT_EQ(run("submit --dry-run --missing " + quote(sweep.string())), 0) << err_;
    EXPECT_TRUE(fs::exists(out / "jobs" / "002-pbs-array.sh"));
    write("finished", "");
    EXPECT_EQ(run("submit --missing " + quote(sweep.string())), 0) << err_;
    EXPECT_TRUE(fs::exists(out / "jobs" / "003-pbs-array.sh"));
}

// --- what the partition or queue can give, asked before anything is written

// sinfo as a cluster of a small default partition and a big one answers
// (sinfo -h -a -e -o "%P|%c|%m|%D|%l|%s").
const std::string two_partitions = "short*|2|4000|4|1:00:00|1-infinite\nlong|32|128000|2|7-00:00:00|1-infinite\n";

// The partition checked is the one the job goes to: the default (sinfo's '*'), the one named by
// --partition or [cluster], by an extra directive, or by SBATCH_PARTITION (which sbatch obeys over
// the script); "a,b" goes to either.
TEST_F(Submit, RequestIsCheckedAgainstThePartitionItGoesTo) {
    stand_in("sinfo", "printf '" + two_partitions + "'\n");
    const fs::path sweep = m1_sweep("pa", "scheduler = \"slurm\"\ntime = 10\nmem = \"1G\"\n");
    auto refused = [&](const std::string& args, const std::string& env, const std::string& message) {
        SCOPED_TRACE(args + " " + env);
        EXPECT_EQ(run("submit " + args + " " + quote(sweep.string()), env), 2) << err_;
        EXPECT_NE(err_.find(message), std::string::npos) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "pa"));
        EXPECT_EQ(scheduler_calls(), "");
    };
    refused("--cpus-per-task 8", "",
            "error: command line: --cpus-per-task: partition short: no node has 8 CPUs (largest: 2); "
            "lower cpus_per_task in [cluster] or pass --cpus-per-task\n");
    refused("--time 2:00:00", "", "--time: partition short: time 02:00:00 is over its MaxTime 01:00:00; lower time");
    refused("--partition long --mem 200G", "", "partition long: no node has 204800 MiB of memory (largest: 128000 MiB)");
    refused("--partition nope", "", "--partition: no partition nope here (sinfo lists short*, long)");
    refused("--mode mpi --ntasks 3 --nodes 3 --partition long", "", "partition long: nodes 3 > its 2 nodes; lower nodes");
    refused("--cpus-per-task 8", "SBATCH_PARTITION=short,nope",
            "error: environment: SBATCH_PARTITION: no partition nope here (sinfo lists short*, long)\n");
    // A dry run checks too (the script would never start).
    refused("--dry-run --cpus-per-task 8", "", "partition short: no node has 8 CPUs");

    int number = 0;
    auto accepted = [&](const std::string& args, const std::string& env, const std::string& cpus) {
        SCOPED_TRACE(args + " " + env);
        ASSERT_EQ(run("submit --dry-run " + args + " " + quote(sweep.string()), env), 0) << err_;
        std::string n = std::to_string(++number);
        n.insert(0, 3 - n.size(), '0');
        EXPECT_TRUE(contains(directives(read_file(script(root("pa"), n)), "#SBATCH"), "--cpus-per-task=" + cpus))
            << read_file(script(root("pa"), n));
    };
    accepted("--partition long --cpus-per-task 8", "", "8");
    accepted("--partition short,long --cpus-per-task 8", "", "8");
    accepted("--cpus-per-task 8", "SBATCH_PARTITION=long", "8");
    // Without cpus_per_task: 4, or the largest node's CPUs when fewer.
    accepted("--partition long", "", "4");
    accepted("", "", "2");
    EXPECT_NE(out_.find("note: partition short: its largest node has 2 CPUs, so 2 CPUs per task (cpus_per_task)"),
              std::string::npos) << out_;
    const fs::path extra = write("pa.toml", m1_sweep_text("pa", "scheduler = \"slurm\"\ntime = 10\nmem = \"1G\"\n"
                                                                "cpus_per_task = 8\nextra = [\"--partition=long\"]\n"));
    ASSERT_EQ(run("submit --dry-run " + quote(extra.string())), 0) << err_;
    EXPECT_EQ(scheduler_calls(), "");
}

// sinfo missing or failing: one line saying so, and the job goes as it is (cpus_per_task 4).
TEST_F(Submit, SchedulerThatCannotBeAskedIsSaidAndTheJobSubmitted) {
    const fs::path sweep = m1_sweep("na", "scheduler = \"slurm\"\ntime = 10\nmem = \"1G\"\n");
    ASSERT_EQ(run("submit " + quote(sweep.string())), 0) << err_;
    EXPECT_EQ(err_, "note: cannot ask what the partition can give (sinfo is not here): the request is not "
                    "checked against it\n");
    EXPECT_TRUE(contains(directives(read_file(script(root("na"))), "#SBATCH"), "--cpus-per-task=4"));
    EXPECT_NE(scheduler_calls().find("sbatch --parsable "), std::string::npos);

    stand_in("sinfo", "echo 'sinfo: error: Unable to contact slurm controller (connect failure)' >&2\nexit 1\n");
    ASSERT_EQ(run("submit --partition compute " + quote(sweep.string())), 0) << err_;
    EXPECT_EQ(err_, "note: cannot ask what the partition compute can give (sinfo failed (exit 1): sinfo: error: "
                    "Unable to contact slurm controller (connect failure)): the request is not checked against it\n");
    EXPECT_NE(out_.find("submitted SLURM job 4242"), std::string::npos) << out_;
    // --quiet: errors only.
    ASSERT_EQ(run("submit -q --missing " + quote(sweep.string())), 0) << err_;
    EXPECT_EQ(err_, "");
}

// PBS: the nodes of pbsnodes -a that serve the queue, and the queue's resources_max from
// qstat -Qf (the default queue from qstat -Bf); a queued job that can never run is warned of.
TEST_F(Submit, PbsQueueIsAskedBeforeSubmittingAndItsJobsInStatus) {
    fs::remove(fake_bin_ / "sbatch");
    // Two 2-CPU nodes of 16 GiB for every queue, a 64-CPU node kept for the queue "big".
    write("pbsnodes.txt",
          "node01\n     Mom = node01.cluster\n     state = free\n     pcpus = 2\n"
          "     resources_available.mem = 16gb\n     resources_available.ncpus = 2\n\n"
          "node02\n     Mom = node02.cluster\n     state = free\n     resources_available.mem = 16777216kb\n"
          "     resources_available.ncpus = 2\n\n"
          "fat01\n     Mom = fat01.cluster\n     state = free\n     resources_available.mem = 1tb\n"
          "     resources_available.ncpus = 64\n     queue = big\n");
    write("job.txt", "Job Id: 77[].pbsserver\n    Job_Name = m1batch-pq\n    job_state = Q\n    queue = big\n"
                     "    comment = Can Never Run: Insufficient amount of queue resource: ncpus (R: 8 Q:\n"
                     "\t 4)\n    array_state_count = Queued:4 Running:0 Exiting:0 Expired:0 \n");
    stand_in("pbsnodes", "/bin/cat " + quote((dir_ / "pbsnodes.txt").string()) + "\n");
    stand_in("qstat", "case \"$1 $2\" in\n"
                      "'-Bf ') printf 'Server: pbsserver\\n    server_state = Active\\n    default_queue = workq\\n' ;;\n"
                      "'-Qf workq') printf 'Queue: workq\\n    queue_type = Execution\\n    resources_max.mem = 32gb\\n"
                      "    resources_max.ncpus = 8\\n    resources_max.walltime = 24:00:00\\n    enabled = True\\n' ;;\n"
                      "'-Qf big') printf 'Queue: big\\n    queue_type = Execution\\n    enabled = True\\n' ;;\n"
                      "'-Qf '*) echo \"qstat: Unknown queue $2\" >&2; exit 2 ;;\n"
                      "'-f 77[].pbsserver') /bin/cat " + quote((dir_ / "job.txt").string()) + " ;;\n"
                      "*) exit 1 ;;\nesac\n");
    const fs::path sweep = m1_sweep("pq", "scheduler = \"pbs\"\ntime = \"2:00:00\"\nmem = \"1G\"\n");
    for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
             {"--cpus-per-task 8", "--cpus-per-task: queue workq: no node has 8 CPUs (largest: 2)"},
             {"--time 25:00:00", "--time: queue workq: walltime 25:00:00 is over its resources_max.walltime 24:00:00"},
             {"--mem 40G", "--mem: queue workq: no node has 40960 MiB of memory (largest: 16384 MiB)"},
             {"--mode mpi --ntasks 5 --cpus-per-task 2", "--ntasks: queue workq: the job asks for 10 CPUs, over its "
                                                         "resources_max.ncpus 8"},
             {"--queue nosuch", "--partition: no queue nosuch here"}}) {
        SCOPED_TRACE(args);
        EXPECT_EQ(run("submit " + args + " " + quote(sweep.string())), 2) << err_;
        EXPECT_NE(err_.find(message), std::string::npos) << err_;
        EXPECT_FALSE(fs::exists(dir_ / "pq"));
        EXPECT_EQ(scheduler_calls(), "");
    }
    // The default: as many CPUs as workq's nodes have (2), not 4.
    ASSERT_EQ(run("submit --dry-run " + quote(sweep.string())), 0) << err_;
    EXPECT_TRUE(contains(directives(read_file(script(root("pq"))), "#PBS"), "-l select=1:ncpus=2:mem=1024mb"))
        << read_file(script(root("pq")));
    EXPECT_NE(out_.find("note: queue workq: its largest node has 2 CPUs"), std::string::npos) << out_;
    // The queue "big" has its own node of 64 CPUs.
    ASSERT_EQ(run("submit --queue big --cpus-per-task 8 " + quote(sweep.string())), 0) << err_;
    EXPECT_NE(scheduler_calls().find("qsub "), std::string::npos);

    // status: the job's state from qstat -f, and a warning naming qdel for a job PBS says can never run.
    EXPECT_EQ(run("status " + quote(root("pq").string())), 1) << err_;
    EXPECT_NE(out_.find("pbs job 77[].pbsserver (array, 4 tasks, 4 runs)"), std::string::npos) << out_;
    const std::string comment = "Can Never Run: Insufficient amount of queue resource: ncpus (R: 8 Q: 4)";
    EXPECT_NE(out_.find("    qstat: 4 tasks QUEUED (" + comment + ")\n"), std::string::npos) << out_;
    EXPECT_EQ(err_, "warning: pbs job 77[].pbsserver (4 tasks) will never start as it is (" + comment +
                        "): cancel it (qdel 77[].pbsserver) and submit again with a request that fits\n");
    // The csv form stays csv on standard output; the warning still goes to standard error.
    EXPECT_EQ(run("status --format csv " + quote(root("pq").string())), 1) << err_;
    EXPECT_EQ(out_.find("qstat:"), std::string::npos) << out_;
    EXPECT_NE(err_.find("qdel 77[].pbsserver"), std::string::npos) << err_;
}

// Without time and mem, a pilot chooses them: what the script asks for is what submit says it
// measured, in the documented steps (estimate.hpp: 5 minutes, 64 MiB).
TEST_F(Submit, PilotChoosesTimeAndMemory) {
    const fs::path sweep = m1_sweep("pi", "scheduler = \"slurm\"\ncpus_per_task = 1\n");
    ASSERT_EQ(run("submit --dry-run " + quote(sweep.string())), 0) << err_;
    EXPECT_NE(out_.find("estimating time and memory per run (a pilot of the largest run, 1 thread)"),
              std::string::npos) << out_;
    const auto d = directives(read_file(script(root("pi"))), "#SBATCH");
    std::string time, mem;
    for (const auto& x : d) {
        if (x.rfind("--time=", 0) == 0) time = x.substr(7);
        if (x.rfind("--mem=", 0) == 0) mem = x.substr(6);
    }
    ASSERT_FALSE(time.empty());
    ASSERT_FALSE(mem.empty());
    EXPECT_NE(out_.find("asking for time " + time + " mem " + mem + " per task (1 run each)"), std::string::npos)
        << out_;
    ASSERT_EQ(mem.back(), 'M');
    const long mib = std::stol(mem.substr(0, mem.size() - 1));
    EXPECT_EQ(mib % 64, 0);
    EXPECT_GT(mib, 256);  // 1.5 x the measured memory + 256 MiB
    int h = 0, m = 0, s = 0;
    ASSERT_EQ(std::sscanf(time.c_str(), "%d:%d:%d", &h, &m, &s), 3) << time;
    const int seconds = h * 3600 + m * 60 + s;
    EXPECT_EQ(seconds % 300, 0) << time;
    EXPECT_GT(seconds, 600) << time;  // 2 x the measured time + 10 minutes

    // Given time, only the memory is estimated; the given time stays.
    ASSERT_EQ(run("submit --dry-run --time 7 " + quote(sweep.string())), 0) << err_;
    EXPECT_NE(out_.find("asking for mem "), std::string::npos) << out_;
    EXPECT_TRUE(contains(directives(read_file(script(root("pi"), "002")), "#SBATCH"), "--time=00:07:00"));
}

}  // namespace

// Refusals before anything is written, and failed runs that a plain submit leaves alone.
namespace {

// nodes > ntasks is refused before the results directory is created.
TEST_F(Submit, NodesAboveNtasksIsRefusedBeforeAnythingIsWritten) {
    const fs::path sweep = m1_sweep("na", "scheduler = \"slurm\"\nmode = \"mpi\"\ntime = 10\nmem = 512\n"
                                          "nodes = 3\nntasks = 2\n");
    EXPECT_EQ(run("submit --dry-run " + quote(sweep.string())), 2) << err_;
    EXPECT_NE(err_.find("cluster.nodes: nodes 3 > ntasks 2"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "na"));
}

// A template's unknown placeholder is refused before OUTPUT/jobs is written, naming the template.
TEST_F(Submit, BadTemplateIsRefusedBeforeAnythingIsWritten) {
    const fs::path sweep = m1_sweep("bt", "scheduler = \"slurm\"\ntime = 10\nmem = 512\n");
    const fs::path tpl = write("bad.sh.in", "#!/bin/bash\n#SBATCH --foo={{nonsense}}\n");
    EXPECT_EQ(run("submit --dry-run --template " + quote(tpl.string()) + " " + quote(sweep.string())), 2) << err_;
    EXPECT_EQ(err_.rfind("error: " + tpl.string() + ":2:", 0), 0u) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "bt" / "jobs"));
}

// A --runs or --template file that cannot be read is bad input (exit 2), not a failure (exit 1).
TEST_F(Submit, UnreadableRunListOrTemplateIsBadInput) {
    const fs::path sweep = m1_sweep("ur", "scheduler = \"slurm\"\ntime = 10\nmem = 512\n");
    EXPECT_EQ(run(quote(sweep.string()) + " --runs " + quote((dir_ / "no-such-list").string())), 2) << err_;
    EXPECT_EQ(run("submit --dry-run --template " + quote((dir_ / "no-such.sh.in").string()) + " " +
                  quote(sweep.string())),
              2) << err_;
}

// Without --missing, failed runs are not to do (the job's tasks would leave them failed): with
// only failed runs left there is nothing to submit.
TEST_F(Submit, PlainSubmitWithOnlyFailedRunsLeftSubmitsNothing) {
    write("tiny.json", tiny_model);
    const fs::path sweep = write("ff.toml", "model = \"tiny.json\"\noutput = \"ff\"\n[sweep]\n"
                                            "[[sweep.param]]\npath = \"/netParams/popParams/E/numCells\"\n"
                                            "values = [3, -1, 5]\n[cluster]\nscheduler = \"slurm\"\n"
                                            "time = 10\nmem = 256\n");
    EXPECT_EQ(run(quote(sweep.string())), 1) << err_;
    EXPECT_EQ(run("submit " + quote(sweep.string())), 0) << err_;
    EXPECT_NE(out_.find("nothing to submit: 2 of 3 runs done, 0 running, 1 failed (--missing reruns them)"),
              std::string::npos) << out_;
    EXPECT_EQ(scheduler_calls(), "");
}

}  // namespace

// A search as a cluster job.
namespace {

// A small search (6 candidates x 3 generations of 100 ms runs at scale 0.1), `cluster` as its
// [cluster] table.
fs::path m1_search(const temporary_directory& temp, const std::string& name, const std::string& cluster) {
    return temp.write(name + ".toml",
                      "model = \"" + m1_model + "\"\noutput = \"" + name +
                          "\"\nscale = 0.1\nduration = 100.0\n[optimize]\nalgorithm = \"cmaes\"\n"
                          "population = 6\ngenerations = 3\nseed = 3\n"
                          "[[optimize.param]]\npath = \"/netParams/scaleConnWeight\"\n"
                          "range = [0.0002, 0.0008]\nlog = true\n"
                          "[[optimize.objective]]\ncolumn = \"rate_hz:IT_L23\"\ntarget = 5.0\nwidth = 2.0\n"
                          "[cluster]\n" + cluster);
}

// A search is one MPI job (its default mode) running its self-contained OUTPUT/optimize.toml under
// mpirun: sized on a generation (1 + min(8, 6 candidates) ranks), its time on the whole budget (3
// generations, one run a rank each), the estimate on the box's corners; submitted and shown by
// status; a search with every generation evaluated has nothing to submit.
TEST_F(Submit, SearchIsOneMpiJobRunningItsSelfContainedFile) {
    const fs::path file = m1_search(temp_, "fit", "scheduler = \"slurm\"\ncpus_per_task = 1\n");
    const fs::path out = root("fit");
    ASSERT_EQ(run("submit --dry-run " + quote(file.string())), 0) << err_;
    EXPECT_EQ(script(out).filename(), "001-slurm-mpi.sh");
    EXPECT_EQ(last_line(read_file(script(out))), "exec mpirun --bind-to none -np 7 " + program() + " " +
                                                    (out / "optimize.toml").string() + " --threads 1");
    EXPECT_TRUE(fs::exists(out / "optimize.toml"));
    EXPECT_TRUE(contains(directives(read_file(script(out)), "#SBATCH"), "--ntasks=7"));
    EXPECT_NE(out_.find("estimating time and memory per run (a pilot of the largest run, 1 thread)"),
              std::string::npos) << out_;
    EXPECT_NE(out_.find(" per rank (3 runs each)"), std::string::npos) << out_;
    EXPECT_NE(out_.find("(7 MPI ranks, 3 generations of 6 candidates (at most 18 runs); not submitted"),
              std::string::npos) << out_;

    // Submitted (to the stand-in sbatch), from the results directory's copy; status shows the job.
    ASSERT_EQ(run("submit --time 10 --mem 1G --ntasks 3 " + quote((out / "optimize.toml").string())), 0) << err_;
    EXPECT_EQ(scheduler_calls(), "sbatch --parsable " + script(out, "002").string() + "\n");
    EXPECT_NE(out_.find("submitted SLURM job 4242: 3 MPI ranks, 3 generations of 6 candidates (at most 18 runs)"),
              std::string::npos) << out_;
    EXPECT_EQ(run("status " + quote(out.string())), 0) << err_;
    EXPECT_NE(out_.find("slurm job 4242 (mpi, 3 tasks, 18 runs)"), std::string::npos) << out_;

    // Once the search has evaluated every generation, nothing is left to submit.
    ASSERT_EQ(run("-q -j 2 -t 1 " + quote(file.string())), 0) << err_;
    ASSERT_EQ(run("submit --time 10 --mem 1G " + quote(file.string())), 0) << err_;
    EXPECT_NE(out_.find("fit: nothing to submit: the search has evaluated its 3 generations"), std::string::npos)
        << out_;
    EXPECT_EQ(text_lines(scheduler_calls()).size(), 1u);
}

// Array mode (the command line's or the [cluster] table's) and --missing are refused for a search,
// saying why, before anything is written.
TEST_F(Submit, SearchAsAnArrayOrWithMissingIsRefused) {
    const fs::path file = m1_search(temp_, "ar", "scheduler = \"slurm\"\ntime = 10\nmem = 512\n");
    EXPECT_EQ(run("submit --dry-run --mode array " + quote(file.string())), 2) << err_;
    EXPECT_EQ(err_.rfind("error: command line: --mode: a search runs as one MPI job", 0), 0u) << err_;
    EXPECT_NE(err_.find("a search's are not (each generation's come from the fitness of the last)"),
              std::string::npos) << err_;
    const fs::path in_table = m1_search(temp_, "at", "scheduler = \"slurm\"\nmode = \"array\"\n");
    EXPECT_EQ(run("submit --dry-run " + quote(in_table.string())), 2) << err_;
    EXPECT_EQ(err_.rfind("error: " + in_table.string() + ":" +
                             std::to_string(line_of(read_file(in_table), "mode =")) + ":", 0), 0u) << err_;
    EXPECT_NE(err_.find("cluster.mode: a search runs as one MPI job"), std::string::npos) << err_;
    EXPECT_EQ(run("submit --dry-run --missing " + quote(file.string())), 2) << err_;
    EXPECT_NE(err_.find("--missing is for sweeps"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "ar"));
    EXPECT_FALSE(fs::exists(dir_ / "at"));
    EXPECT_EQ(scheduler_calls(), "");
}

}  // namespace
