// batch/cluster: the [cluster] table, times and sizes, the scheduler's environment, templates,
// running a command and reading a job id.
#include "cluster.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

using namespace m1::batch;
namespace fs = std::filesystem;

const m1::source_location here{"test", "cluster.time", 0, 0};

cluster_spec parse(const std::string& text) {
    const toml::table t = toml::parse(text);
    return read_cluster_table(*t.get("cluster")->as_table(), "c.toml");
}

// The message of the input_error `text` raises ("" when it raises none).
std::string refusal(const std::string& text) {
    try {
        parse(text);
    } catch (const m1::input_error& e) {
        return e.what();
    }
    return "";
}

TEST(JobTime, SbatchFormsInSeconds) {
    EXPECT_EQ(parse_job_time("90", here), 90 * 60);  // whole minutes, as sbatch reads them
    EXPECT_EQ(parse_job_time("30:15", here), 30 * 60 + 15);
    EXPECT_EQ(parse_job_time("2:00:00", here), 7200);
    EXPECT_EQ(parse_job_time("1-12", here), 86400 + 12 * 3600);
    EXPECT_EQ(parse_job_time("1-12:30", here), 86400 + 12 * 3600 + 30 * 60);
    EXPECT_EQ(parse_job_time("2-00:00:01", here), 2 * 86400 + 1);
    for (const char* bad : {"-5", "-1:00:00", "0", "00:00:00", "1h", "1:2:3:4", "", "1-", "a-1"})
        EXPECT_THROW(parse_job_time(bad, here), m1::input_error) << bad;
    EXPECT_EQ(slurm_time(90 * 60), "01:30:00");
    EXPECT_EQ(slurm_time(86400 + 61), "1-00:01:01");
    EXPECT_EQ(pbs_time(86400 + 61), "24:01:01");  // walltime counts hours past a day
}

TEST(JobMemory, UnitsInMiBRoundedUp) {
    EXPECT_EQ(parse_job_memory("4G", here), 4096);
    EXPECT_EQ(parse_job_memory("4gb", here), 4096);
    EXPECT_EQ(parse_job_memory("1500M", here), 1500);
    EXPECT_EQ(parse_job_memory("1500", here), 1500);
    EXPECT_EQ(parse_job_memory("1.5G", here), 1536);
    EXPECT_EQ(parse_job_memory("1T", here), 1024 * 1024);
    EXPECT_EQ(parse_job_memory("100K", here), 1);  // rounded up: a request never shrinks to 0
    for (const char* bad : {"-1G", "0", "0M", "G", "4X", "four", ""})
        EXPECT_THROW(parse_job_memory(bad, here), m1::input_error) << bad;
}

TEST(ClusterTable, ReadsEveryKey) {
    const cluster_spec c = parse(R"(
[cluster]
scheduler = "pbs"
mode = "mpi"
account = "proj"
queue = "long"
time = "1-00:00:00"
mem = "2G"
cpus_per_task = 8
nodes = 2
ntasks = 9
array_size = 4
array_limit = 2
pbs_variant = "torque"
setup = ["module load openmpi", "echo ready"]
extra = "-l feature=avx2"
)");
    EXPECT_EQ(c.scheduler, scheduler_kind::pbs);
    EXPECT_EQ(c.mode, job_mode::mpi);
    EXPECT_EQ(c.account, "proj");
    EXPECT_EQ(c.partition, "long");  // queue is PBS's name for it
    EXPECT_EQ(c.time_s, 86400);
    EXPECT_EQ(c.mem_mib, 2048);
    EXPECT_EQ(c.cpus_per_task, 8);
    EXPECT_EQ(c.nodes, 2);
    EXPECT_EQ(c.ntasks, 9);
    EXPECT_EQ(c.array_size, 4);
    EXPECT_EQ(c.array_limit, 2);
    EXPECT_EQ(c.variant, pbs_variant::torque);
    EXPECT_EQ(c.setup, (std::vector<std::string>{"module load openmpi", "echo ready"}));
    EXPECT_EQ(c.extra, (std::vector<std::string>{"-l feature=avx2"}));
    EXPECT_EQ(c.where.at("partition").line, 6u);
    EXPECT_EQ(c.where.at("array_size").key_path, "cluster.array_size");
    // Integers: minutes and MiB.
    const cluster_spec d = parse("[cluster]\ntime = 30\nmem = 512\n");
    EXPECT_EQ(d.time_s, 1800);
    EXPECT_EQ(d.mem_mib, 512);
}

TEST(ClusterTable, RefusesWithFileKeyAndLine) {
    auto check = [](const std::string& text, const std::string& key, std::size_t line,
                    const std::string& words) {
        const std::string e = refusal(text);
        EXPECT_NE(e.find("c.toml:" + std::to_string(line)), std::string::npos) << e;
        EXPECT_NE(e.find(key), std::string::npos) << e;
        EXPECT_NE(e.find(words), std::string::npos) << e;
    };
    check("[cluster]\npartition = \"a\"\nwalltime = \"1:00:00\"\n", "cluster.walltime", 3, "unknown key");
    check("[cluster]\ntime = \"-1:00:00\"\n", "cluster.time", 2, "positive");
    check("[cluster]\ntime = -5\n", "cluster.time", 2, "positive");
    check("[cluster]\ntime = \"2h\"\n", "cluster.time", 2, "malformed time");
    check("[cluster]\nmem = \"-4G\"\n", "cluster.mem", 2, "positive");
    check("[cluster]\ncpus_per_task = 0\n", "cluster.cpus_per_task", 2, ">= 1");
    check("[cluster]\narray_limit = 1.5\n", "cluster.array_limit", 2, "whole number");
    check("[cluster]\nntasks = 1\n", "cluster.ntasks", 2, "at least 2 ranks");
    check("[cluster]\nscheduler = \"lsf\"\n", "cluster.scheduler", 2, "\"slurm\" or \"pbs\"");
    check("[cluster]\nmode = \"serial\"\n", "cluster.mode", 2, "\"array\"");
    check("[cluster]\npartition = \"a\"\nqueue = \"b\"\n", "cluster.queue", 3, "give one");
    check("[cluster]\naccount = \"a\\nb\"\n", "cluster.account", 2, "one line");
    check("[cluster]\nextra = [\"--qos=x\", \" \"]\n", "cluster.extra", 2, "empty line");
    check("[cluster]\nsetup = 3\n", "cluster.setup", 2, "list of strings");
}

TEST(ClusterTable, LaterFilesOverrideKeyByKeyAndTheTableRoundTrips) {
    cluster_spec base = parse("[cluster]\npartition = \"a\"\ntime = 10\nsetup = \"x\"\n");
    base.override_with(parse("[cluster]\ntime = 20\ncpus_per_task = 2\n"));
    EXPECT_EQ(base.partition, "a");
    EXPECT_EQ(base.time_s, 1200);
    EXPECT_EQ(base.cpus_per_task, 2);
    EXPECT_EQ(base.setup, std::vector<std::string>{"x"});
    // OUTPUT/sweep.toml keeps the table; read back, it is the same spec.
    toml::table wrapper;
    wrapper.insert_or_assign("cluster", cluster_table(base));
    const cluster_spec again = read_cluster_table(*wrapper.get("cluster")->as_table(), "again.toml");
    EXPECT_EQ(again.partition, base.partition);
    EXPECT_EQ(again.time_s, base.time_s);
    EXPECT_EQ(again.cpus_per_task, base.cpus_per_task);
    EXPECT_EQ(again.setup, base.setup);
}

// Sets environment variables for one scope and restores what was there.
class scoped_environment {
public:
    explicit scoped_environment(std::vector<std::pair<std::string, std::string>> vars) {
        for (const char* name : all) {
            const char* old = std::getenv(name);
            saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
            ::unsetenv(name);
        }
        for (const auto& [k, v] : vars) ::setenv(k.c_str(), v.c_str(), 1);
    }
    ~scoped_environment() {
        for (const auto& [k, v] : saved_) {
            if (v) ::setenv(k.c_str(), v->c_str(), 1);
            else ::unsetenv(k.c_str());
        }
    }
    static constexpr const char* all[] = {
        "M1BATCH_TASK_INDEX", "M1BATCH_TASK_COUNT", "M1BATCH_THREADS", "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT",
        "SLURM_CPUS_PER_TASK", "PBS_ARRAY_INDEX", "PBS_ARRAYID", "NCPUS", "PBS_NUM_PPN"};

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(TaskEnvironment, SchedulerVariablesAndTheirPrecedence) {
    {
        scoped_environment env({});
        const task_environment t = read_task_environment();
        EXPECT_FALSE(t.task_index || t.task_count || t.cpus);
    }
    {
        scoped_environment env({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "3"},
                                {"SLURM_CPUS_PER_TASK", "4"}});
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 2u);
        EXPECT_EQ(t.task_count, 3u);
        EXPECT_EQ(t.cpus, 4u);
        EXPECT_EQ(t.index_from, "SLURM_ARRAY_TASK_ID");
        EXPECT_EQ(t.cpus_from, "SLURM_CPUS_PER_TASK");
    }
    {  // --array=10-20:5 -> tasks 10, 15, 20 are indices 0, 1, 2
        scoped_environment env({{"SLURM_ARRAY_TASK_ID", "15"}, {"SLURM_ARRAY_TASK_MIN", "10"},
                                {"SLURM_ARRAY_TASK_STEP", "5"}});
        EXPECT_EQ(read_task_environment().task_index, 1u);
    }
    {
        scoped_environment env({{"PBS_ARRAY_INDEX", "1"}, {"NCPUS", "8"}});
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 1u);
        EXPECT_EQ(t.cpus, 8u);
        EXPECT_FALSE(t.task_count);  // PBS has none: the template exports M1BATCH_TASK_COUNT
    }
    {
        scoped_environment env({{"PBS_ARRAYID", "3"}, {"PBS_NUM_PPN", "2"}});  // Torque
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 3u);
        EXPECT_EQ(t.cpus, 2u);
        EXPECT_EQ(t.cpus_from, "PBS_NUM_PPN");
    }
    {  // M1BATCH_* win over the scheduler's variables
        scoped_environment env({{"SLURM_ARRAY_TASK_ID", "2"}, {"M1BATCH_TASK_INDEX", "0"},
                                {"SLURM_ARRAY_TASK_COUNT", "3"}, {"M1BATCH_TASK_COUNT", "5"},
                                {"SLURM_CPUS_PER_TASK", "4"}, {"M1BATCH_THREADS", "1"}});
        const task_environment t = read_task_environment();
        EXPECT_EQ(t.task_index, 0u);
        EXPECT_EQ(t.task_count, 5u);
        EXPECT_EQ(t.cpus, 1u);
        EXPECT_EQ(t.index_from, "M1BATCH_TASK_INDEX");
    }
}

TEST(TaskEnvironment, MalformedValuesNameTheVariable) {
    auto message = [](std::vector<std::pair<std::string, std::string>> vars) -> std::string {
        scoped_environment env(std::move(vars));
        try {
            read_task_environment();
        } catch (const m1::input_error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(message({{"SLURM_CPUS_PER_TASK", "four"}}).find("SLURM_CPUS_PER_TASK"), std::string::npos);
    EXPECT_NE(message({{"SLURM_CPUS_PER_TASK", "0"}}).find(">= 1"), std::string::npos);
    EXPECT_NE(message({{"PBS_ARRAY_INDEX", "-1"}}).find("PBS_ARRAY_INDEX"), std::string::npos);
    EXPECT_NE(message({{"SLURM_ARRAY_TASK_ID", "12"}, {"SLURM_ARRAY_TASK_MIN", "10"},
                       {"SLURM_ARRAY_TASK_STEP", "5"}})
                  .find("not in the array"),
              std::string::npos);
}

TEST(Template, PlaceholdersEmptyLinesAndUnknownNames) {
    const std::map<std::string, std::string> v = {{"a", "1"}, {"none", ""}, {"many", "x\ny"}};
    EXPECT_EQ(render_template("#X --a={{a}}\n#X --b={{none}}\n{{many}}\nend {{a}}{{a}}\n", v, "t"),
              "#X --a=1\nx\ny\nend 11\n");
    try {
        render_template("ok\n#X {{nope}}\n", v, "my.sh.in");
        FAIL() << "an unknown placeholder renders";
    } catch (const m1::input_error& e) {
        EXPECT_NE(std::string(e.what()).find("my.sh.in:2"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("{{nope}}"), std::string::npos) << e.what();
    }
    EXPECT_THROW(render_template("{{a\n", v, "t"), m1::input_error);
}

job_request sample_job(scheduler_kind s, job_mode m) {
    job_request j;
    j.scheduler = s;
    j.mode = m;
    j.job_name = "m1batch-test";
    j.time_s = 3600 + 60;
    j.mem_mib = 2048;
    j.cpus_per_task = 4;
    j.array_size = 6;
    j.array_limit = 2;
    j.ntasks = 5;
    j.nodes = 2;
    j.m1batch = "/opt/m1 batch/m1batch";  // a space: the exec line must quote it
    j.sweep_file = "/r/sweep.toml";
    j.log_directory = "/r/jobs/logs";
    j.runs = 12;
    return j;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(Template, EveryBuiltInTemplateRendersCompletely) {
    for (auto s : {scheduler_kind::slurm, scheduler_kind::pbs})
        for (auto m : {job_mode::array, job_mode::mpi})
            for (auto v : {pbs_variant::openpbs, pbs_variant::torque}) {
                job_request j = sample_job(s, m);
                j.variant = v;
                const std::string script = render_job_script(j);
                EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
                EXPECT_EQ(script.find("{{"), std::string::npos) << script;
                EXPECT_NE(script.find("exec "), std::string::npos);
                EXPECT_NE(script.find("'/opt/m1 batch/m1batch' /r/sweep.toml"), std::string::npos) << script;
                // Directives come before the first command (schedulers stop reading at it).
                const std::string directive = s == scheduler_kind::slurm ? "#SBATCH" : "#PBS";
                EXPECT_LT(script.rfind(directive), script.find("\nset -eu")) << script;
            }
}

TEST(Template, SlurmDirectives) {
    job_request j = sample_job(scheduler_kind::slurm, job_mode::array);
    j.account = "proj";
    j.extra = {"--qos=long", "#SBATCH --constraint=avx2"};
    j.setup = {"module load hdf5"};
    const std::string a = render_job_script(j);
    EXPECT_TRUE(has_line(a, "#SBATCH --account=proj")) << a;
    EXPECT_FALSE(a.find("--partition") != std::string::npos) << "an empty setting leaves its line out";
    EXPECT_TRUE(has_line(a, "#SBATCH --time=01:01:00")) << a;
    EXPECT_TRUE(has_line(a, "#SBATCH --mem=2048M")) << a;
    EXPECT_TRUE(has_line(a, "#SBATCH --cpus-per-task=4")) << a;
    EXPECT_TRUE(has_line(a, "#SBATCH --array=0-5%2")) << a;
    EXPECT_TRUE(has_line(a, "#SBATCH --output=/r/jobs/logs/%A_%a.out")) << a;
    EXPECT_TRUE(has_line(a, "#SBATCH --qos=long")) << a;
    EXPECT_TRUE(has_line(a, "#SBATCH --constraint=avx2")) << a;
    EXPECT_TRUE(has_line(a, "module load hdf5")) << a;
    j.run_list = "/r/jobs/002.runs";
    j.retry_failed = true;
    EXPECT_NE(render_job_script(j).find("/r/sweep.toml --runs /r/jobs/002.runs --retry-failed"),
              std::string::npos);

    const std::string m = render_job_script(sample_job(scheduler_kind::slurm, job_mode::mpi));
    EXPECT_TRUE(has_line(m, "#SBATCH --ntasks=5")) << m;
    EXPECT_TRUE(has_line(m, "#SBATCH --nodes=2")) << m;
    EXPECT_TRUE(has_line(m, "#SBATCH --mem-per-cpu=512M")) << m;  // 2048 MiB per rank over 4 CPUs
    EXPECT_NE(m.find("mpirun --bind-to none -np 5 "), std::string::npos) << m;
    EXPECT_NE(m.find("--threads 4"), std::string::npos) << m;
    EXPECT_EQ(m.find("--array"), std::string::npos);
}

TEST(Template, PbsDirectivesForOpenPbsAndTorque) {
    job_request j = sample_job(scheduler_kind::pbs, job_mode::array);
    j.partition = "workq";
    const std::string o = render_job_script(j);
    EXPECT_TRUE(has_line(o, "#PBS -q workq")) << o;
    EXPECT_TRUE(has_line(o, "#PBS -l walltime=01:01:00")) << o;
    EXPECT_TRUE(has_line(o, "#PBS -l select=1:ncpus=4:mem=2048mb")) << o;
    EXPECT_TRUE(has_line(o, "#PBS -J 0-5")) << o;
    EXPECT_TRUE(has_line(o, "#PBS -W max_run_subjobs=2")) << o;
    EXPECT_TRUE(has_line(o, "#PBS -o /r/jobs/logs/")) << o;
    EXPECT_TRUE(has_line(o, "export M1BATCH_TASK_COUNT=6")) << o;
    j.variant = pbs_variant::torque;
    const std::string t = render_job_script(j);
    EXPECT_TRUE(has_line(t, "#PBS -t 0-5%2")) << t;
    EXPECT_TRUE(has_line(t, "#PBS -l nodes=1:ppn=4")) << t;
    EXPECT_TRUE(has_line(t, "#PBS -l mem=2048mb")) << t;
    EXPECT_EQ(t.find("max_run_subjobs"), std::string::npos) << t;
    // OpenPBS wants two subjobs at least: one task is a plain job, task 0.
    j.variant = pbs_variant::openpbs;
    j.array_size = 1;
    const std::string one = render_job_script(j);
    EXPECT_EQ(one.find("#PBS -J"), std::string::npos) << one;
    EXPECT_TRUE(has_line(one, "export M1BATCH_TASK_COUNT=1")) << one;

    job_request m = sample_job(scheduler_kind::pbs, job_mode::mpi);
    const std::string pm = render_job_script(m);
    // nodes given: a chunk per node with its ceil(5 / 2) = 3 ranks, mpirun placing 3 a node.
    EXPECT_TRUE(has_line(pm, "#PBS -l select=2:ncpus=12:mpiprocs=3:mem=6144mb")) << pm;
    EXPECT_NE(pm.find("--map-by ppr:3:node "), std::string::npos) << pm;
    // no nodes: a chunk per rank wherever PBS puts it, mpirun following PBS's node file.
    m.nodes = 0;
    const std::string free_placement = render_job_script(m);
    EXPECT_TRUE(has_line(free_placement, "#PBS -l select=5:ncpus=4:mpiprocs=1:mem=2048mb")) << free_placement;
    EXPECT_NE(free_placement.find("--map-by slot "), std::string::npos) << free_placement;
    m.nodes = 2;
    m.variant = pbs_variant::torque;
    const std::string tm = render_job_script(m);
    EXPECT_TRUE(has_line(tm, "#PBS -l nodes=2:ppn=12")) << tm;  // 3 ranks x 4 CPUs per node
    EXPECT_TRUE(has_line(tm, "#PBS -l mem=10240mb")) << tm;     // the job's total: 5 x 2048
}

TEST(Command, RunsAProgramAndCollectsItsOutput) {
    const command_result r = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    // Large output on both pipes at once does not stall.
    const command_result big = run_command(
        {"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2"});
    EXPECT_EQ(big.status, 0);
    EXPECT_EQ(big.out.size(), 300000u);
    EXPECT_EQ(big.err.size(), 300000u);
    const command_result none = run_command({"m1batch-no-such-program"});
    EXPECT_EQ(none.status, -1);
    EXPECT_NE(none.err.find("cannot start"), std::string::npos);
}

TEST(Command, JobIdsFromSbatchAndQsub) {
    EXPECT_EQ(parse_job_id(scheduler_kind::slurm, "1234\n"), "1234");
    EXPECT_EQ(parse_job_id(scheduler_kind::slurm, "1234;cluster\n"), "1234");
    EXPECT_EQ(parse_job_id(scheduler_kind::slurm, "sbatch: warning: x\n77\n"), "77");
    EXPECT_EQ(parse_job_id(scheduler_kind::slurm, "Submitted batch job 5\n"), "");
    EXPECT_EQ(parse_job_id(scheduler_kind::pbs, "1234.server\n"), "1234.server");
    EXPECT_EQ(parse_job_id(scheduler_kind::pbs, "1234[].pbs01\n"), "1234[].pbs01");
    EXPECT_EQ(parse_job_id(scheduler_kind::pbs, "qsub: error\n"), "");
}

}  // namespace
