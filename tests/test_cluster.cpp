// batch/cluster: the [cluster] table, times and sizes, the scheduler's environment, templates,
// running a command and reading a job id. batch/scheduler_limits and scheduler_queue: what
// sinfo, pbsnodes and qstat say of a partition or queue, whether a request fits it, and the states
// and pending reasons of queued jobs (the schedulers' text as they print it).
#include "batch/cluster.hpp"
#include "batch/scheduler_limits.hpp"
#include "batch/scheduler_queue.hpp"
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

// --- what a partition or queue can give

// sinfo -h -a -e -o "%P|%c|%m|%D|%l|%s" on a cluster with a heterogeneous default partition, a
// partition with a MaxTime and MaxNodes, and one whose nodes sinfo lumps together ("+").
const std::string sinfo_text =
    "compute*|64|256000|10|1-12:00:00|1-infinite\n"
    "compute*|8|16000|4|1-12:00:00|1-infinite\n"
    "compute*|64|256000|2|1-12:00:00|1-infinite\n"  // the same configuration in another state
    "debug|2|21694|1|30:00|1-2\n"
    "old|4+|8000+|3|infinite|1\n";

TEST(PartitionLimits, SinfoLinesMakeOnePartitionPerNameWithItsNodeConfigurations) {
    const auto parts = parse_sinfo(sinfo_text);
    ASSERT_EQ(parts.size(), 3u);
    const partition_limits& compute = parts[0];
    EXPECT_EQ(compute.name, "compute");
    EXPECT_TRUE(compute.is_default);
    ASSERT_EQ(compute.nodes.size(), 2u);
    EXPECT_EQ(compute.nodes[0].cpus, 64);
    EXPECT_EQ(compute.nodes[0].mem_mib, 256000);
    EXPECT_EQ(compute.nodes[0].count, 12);
    EXPECT_EQ(compute.nodes[1].count, 4);
    EXPECT_EQ(compute.max_time_s, 86400 + 12 * 3600);
    EXPECT_FALSE(compute.max_nodes);
    EXPECT_EQ(largest_cpus(compute), 64);
    EXPECT_EQ(parts[1].name, "debug");
    EXPECT_FALSE(parts[1].is_default);
    EXPECT_EQ(parts[1].max_time_s, 30 * 60);
    EXPECT_EQ(parts[1].max_nodes, 2);
    EXPECT_EQ(parts[2].nodes[0].cpus, 4);  // "4+": at least 4
    EXPECT_EQ(parts[2].max_nodes, 1);
    EXPECT_FALSE(parts[2].max_time_s);
    EXPECT_TRUE(parse_sinfo("").empty());
}

TEST(PartitionLimits, SlurmTimeLimits) {
    EXPECT_EQ(parse_slurm_limit_time("30:00"), 1800);  // minutes:seconds, as sinfo prints 30 minutes
    EXPECT_EQ(parse_slurm_limit_time("2:00:00"), 7200);
    EXPECT_EQ(parse_slurm_limit_time("7-00:00:00"), 7 * 86400);
    EXPECT_EQ(parse_slurm_limit_time("1-12"), 86400 + 12 * 3600);
    for (const char* none : {"infinite", "UNLIMITED", "n/a", "", "garbage"})
        EXPECT_FALSE(parse_slurm_limit_time(none)) << none;
}

// pbsnodes -a of an OpenPBS complex: two nodes for every queue, a big one kept for the queue
// "big" (its queue attribute), one offline; and of Torque (np, status's physmem).
const std::string openpbs_nodes =
    "node01\n     Mom = node01.cluster\n     ntype = PBS\n     state = free\n     pcpus = 2\n"
    "     resources_available.arch = linux\n     resources_available.host = node01\n"
    "     resources_available.mem = 16gb\n     resources_available.ncpus = 2\n"
    "     resources_assigned.mem = 0kb\n     resources_assigned.ncpus = 0\n     sharing = default_shared\n\n"
    "node02\n     Mom = node02.cluster\n     state = offline\n     resources_available.mem = 16777216kb\n"
    "     resources_available.ncpus = 2\n\n"
    "fat01\n     Mom = fat01.cluster\n     state = free\n     resources_available.mem = 1tb\n"
    "     resources_available.ncpus = 64\n     queue = big\n";
const std::string torque_nodes =
    "n001\n     state = free\n     power_state = Running\n     np = 8\n     ntype = cluster\n"
    "     status = rectime=1606366400,macaddr=52:54:00:12:34:56,cpuclock=Fixed,varattr=,jobs=,state=free,"
    "loadave=0.00,ncpus=8,physmem=16318808kb,availmem=15000000kb,totmem=16318808kb,nusers=0,opsys=linux\n"
    "     mom_service_port = 15002\n";

TEST(PartitionLimits, PbsListingsSizesAndTimes) {
    const auto records = parse_pbs_records(openpbs_nodes);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].heading, "node01");
    EXPECT_EQ(records[0].attributes.at("resources_available.mem"), "16gb");
    EXPECT_EQ(records[2].attributes.at("queue"), "big");
    // qstat wraps a long value onto a tab-indented line, inside a word.
    const auto wrapped = parse_pbs_records("Job Id: 7.srv\n    comment = Not Running: Insufficient amo\n\tunt of resource: ncpus \n");
    EXPECT_EQ(wrapped.at(0).attributes.at("comment"), "Not Running: Insufficient amount of resource: ncpus");

    EXPECT_EQ(parse_pbs_memory_mib("16gb"), 16384);
    EXPECT_EQ(parse_pbs_memory_mib("16777216kb"), 16384);
    EXPECT_EQ(parse_pbs_memory_mib("512MB"), 512);
    EXPECT_EQ(parse_pbs_memory_mib("1tb"), 1024 * 1024);
    EXPECT_EQ(parse_pbs_memory_mib("1073741824"), 1024);  // bytes
    EXPECT_EQ(parse_pbs_memory_mib("1500kb"), 1);          // rounded down: what a node has
    EXPECT_EQ(parse_pbs_memory_mib("lots"), -1);
    EXPECT_EQ(parse_pbs_memory_mib("4xb"), -1);
    EXPECT_EQ(parse_pbs_walltime("24:00:00"), 86400);
    EXPECT_EQ(parse_pbs_walltime("168:00:00"), 168 * 3600);  // PBS counts hours past a day
    EXPECT_EQ(parse_pbs_walltime("30:00"), 1800);
    EXPECT_EQ(parse_pbs_walltime("3600"), 3600);  // seconds
    EXPECT_EQ(parse_pbs_walltime("1-00:00:00"), -1);
}

TEST(PartitionLimits, PbsNodesServeTheirQueue) {
    const auto records = parse_pbs_records(openpbs_nodes);
    // workq has no nodes of its own: the nodes without a queue attribute (offline ones count).
    const auto workq = pbs_queue_nodes(records, "workq");
    ASSERT_EQ(workq.size(), 1u);
    EXPECT_EQ(workq[0].cpus, 2);
    EXPECT_EQ(workq[0].mem_mib, 16384);
    EXPECT_EQ(workq[0].count, 2);
    const auto big = pbs_queue_nodes(records, "big");
    ASSERT_EQ(big.size(), 1u);
    EXPECT_EQ(big[0].cpus, 64);
    EXPECT_EQ(big[0].mem_mib, 1024 * 1024);
    const auto torque = pbs_queue_nodes(parse_pbs_records(torque_nodes), "batch");
    ASSERT_EQ(torque.size(), 1u);
    EXPECT_EQ(torque[0].cpus, 8);
    EXPECT_EQ(torque[0].mem_mib, 15936);  // 16318808 kB

    const partition_limits q = parse_qstat_queue(
        "Queue: workq\n    queue_type = Execution\n    total_jobs = 0\n"
        "    state_count = Transit:0 Queued:0 Held:0 Waiting:0 Running:0 Exiting:0 Begun:0 \n"
        "    resources_max.mem = 32gb\n    resources_max.ncpus = 8\n    resources_max.walltime = 24:00:00\n"
        "    resources_default.walltime = 01:00:00\n    enabled = True\n    started = True\n");
    EXPECT_EQ(q.scheduler, scheduler_kind::pbs);
    EXPECT_EQ(q.name, "workq");
    EXPECT_EQ(q.max_time_s, 86400);
    EXPECT_EQ(q.max_job_cpus, 8);
    EXPECT_EQ(q.max_job_mem_mib, 32768);
    const partition_limits open = parse_qstat_queue("Queue: big\n    queue_type = Execution\n    enabled = True\n");
    EXPECT_FALSE(open.max_time_s || open.max_job_cpus || open.max_job_mem_mib);
}

// The message of check_request's refusal, "" for none; key set to its key.
std::string refusal_of(const partition_limits& p, const partition_request& r, std::string* key = nullptr) {
    const auto refusal = check_request(p, r);
    if (key) *key = refusal ? refusal->key : "";
    return refusal ? refusal->message : "";
}

TEST(PartitionLimits, ArrayTaskMustFitOneNodeConfiguration) {
    const auto parts = parse_sinfo(sinfo_text);
    const partition_limits& debug = parts[1];
    std::string key;
    EXPECT_EQ(refusal_of(debug, {job_mode::array, 4, 1024, 600}, &key),
              "partition debug: no node has 4 CPUs (largest: 2)");
    EXPECT_EQ(key, "cpus_per_task");
    EXPECT_EQ(refusal_of(debug, {job_mode::array, 2, 30000, 600}, &key),
              "partition debug: no node has 30000 MiB of memory (largest: 21694 MiB)");
    EXPECT_EQ(key, "mem");
    EXPECT_EQ(refusal_of(debug, {job_mode::array, 2, 21694, 1800}), "");  // exactly what there is
    EXPECT_EQ(refusal_of(debug, {job_mode::array, 2, 1024, 1801}, &key),
              "partition debug: time 00:30:01 is over its MaxTime 00:30:00");
    EXPECT_EQ(key, "time");
    // Unknown time and memory (not estimated yet) are not checked.
    EXPECT_EQ(refusal_of(debug, {job_mode::array, 2, 0, 0}), "");

    // Heterogeneous: 64 CPUs exist, 200000 MiB exist, but 8-CPU nodes have 16000 MiB: 8 CPUs and
    // 100000 MiB fit the big nodes; 64 CPUs and 300000 MiB fit none.
    const partition_limits& compute = parts[0];
    EXPECT_EQ(refusal_of(compute, {job_mode::array, 8, 100000, 3600}), "");
    EXPECT_EQ(refusal_of(compute, {job_mode::array, 64, 300000, 3600}, &key),
              "partition compute: no node has 300000 MiB of memory (largest: 256000 MiB)");
    partition_limits mixed = compute;
    mixed.nodes = {{64, 16000, 2}, {8, 256000, 4}};
    EXPECT_EQ(refusal_of(mixed, {job_mode::array, 32, 100000, 3600}, &key),
              "partition compute: no node has both 32 CPUs and 100000 MiB (2 nodes of 64 CPUs and 16000 MiB, "
              "4 nodes of 8 CPUs and 256000 MiB)");
    EXPECT_EQ(key, "mem");
    // A partition whose nodes are not known is not judged by them.
    partition_limits empty = debug;
    empty.nodes.clear();
    EXPECT_EQ(refusal_of(empty, {job_mode::array, 512, 1 << 30, 60}), "");
}

TEST(PartitionLimits, MpiRanksMustFitTheNodes) {
    const auto parts = parse_sinfo(sinfo_text);
    const partition_limits& debug = parts[1];  // one node of 2 CPUs and 21694 MiB, MaxNodes 2
    std::string key;
    EXPECT_EQ(refusal_of(debug, {job_mode::mpi, 1, 1024, 600, 0, 2}), "");
    EXPECT_EQ(refusal_of(debug, {job_mode::mpi, 1, 1024, 600, 0, 3}, &key),
              "partition debug: its nodes hold 2 ranks of 1 CPU and 1024 MiB, not 3");
    EXPECT_EQ(key, "ntasks");
    // Memory limits the ranks a node holds as much as CPUs do.
    EXPECT_EQ(refusal_of(debug, {job_mode::mpi, 1, 15000, 600, 0, 2}),
              "partition debug: its nodes hold 1 rank of 1 CPU and 15000 MiB, not 2");
    EXPECT_EQ(refusal_of(debug, {job_mode::mpi, 1, 1024, 600, 2, 2}, &key), "partition debug: nodes 2 > its 1 node");
    EXPECT_EQ(key, "nodes");
    // nodes known before ntasks is chosen: checked alone.
    EXPECT_EQ(refusal_of(debug, {job_mode::mpi, 1, 0, 0, 2, 0}), "partition debug: nodes 2 > its 1 node");

    const partition_limits& compute = parts[0];  // 12 x 64 CPUs, 4 x 8 CPUs, no MaxNodes
    EXPECT_EQ(refusal_of(compute, {job_mode::mpi, 8, 1000, 600, 2, 16}), "");   // 8 + 8 on two big nodes
    EXPECT_EQ(refusal_of(compute, {job_mode::mpi, 8, 1000, 600, 2, 17}),
              "partition compute: 2 nodes of it hold 16 ranks of 8 CPUs and 1000 MiB, not 17");
    partition_limits limited = parts[1];
    limited.nodes = {{2, 4000, 5}};  // 5 nodes, MaxNodes 2
    EXPECT_EQ(refusal_of(limited, {job_mode::mpi, 1, 1000, 600, 2, 4}), "");
    EXPECT_EQ(refusal_of(limited, {job_mode::mpi, 1, 1000, 600, 3, 0}, &key),
              "partition debug: nodes 3 > its MaxNodes 2");
    // Without nodes, MaxNodes bounds the nodes the ranks may spread over.
    EXPECT_EQ(refusal_of(limited, {job_mode::mpi, 1, 1000, 600, 0, 5}),
              "partition debug: its nodes hold 4 ranks of 1 CPU and 1000 MiB, not 5");
}

TEST(PartitionLimits, PbsQueueLimitsAndEvenRanksPerNode) {
    partition_limits q = parse_qstat_queue("Queue: workq\n    resources_max.mem = 32gb\n    resources_max.ncpus = 8\n"
                                           "    resources_max.walltime = 24:00:00\n");
    q.nodes = pbs_queue_nodes(parse_pbs_records(openpbs_nodes), "workq");  // 2 x (2 CPUs, 16 GiB)
    std::string key;
    EXPECT_EQ(refusal_of(q, {job_mode::array, 2, 4096, 86400}), "");
    EXPECT_EQ(refusal_of(q, {job_mode::array, 2, 4096, 86401}, &key),
              "queue workq: walltime 24:00:01 is over its resources_max.walltime 24:00:00");
    EXPECT_EQ(key, "time");
    EXPECT_EQ(refusal_of(q, {job_mode::array, 4, 4096, 600}), "queue workq: no node has 4 CPUs (largest: 2)");
    EXPECT_EQ(largest_cpus(q), 2);
    // The job's totals: an MPI job of 4 ranks of 2 CPUs is 8 CPUs, 4 x 10 GiB is over 32 GiB.
    EXPECT_EQ(refusal_of(q, {job_mode::mpi, 1, 1024, 600, 0, 4}), "");
    EXPECT_EQ(refusal_of(q, {job_mode::mpi, 1, 10240, 600, 0, 4}, &key),
              "queue workq: the job asks for 40960 MiB, over its resources_max.mem 32768 MiB");
    EXPECT_EQ(key, "mem");
    q.nodes = {{16, 65536, 4}};
    EXPECT_EQ(refusal_of(q, {job_mode::mpi, 1, 1024, 600, 0, 9}, &key),
              "queue workq: the job asks for 9 CPUs, over its resources_max.ncpus 8");
    EXPECT_EQ(key, "ntasks");
    EXPECT_EQ(largest_cpus(q), 8);  // a task can have no more than the queue's ncpus
    // PBS puts ceil(ntasks / nodes) ranks on every node (one select chunk each): 5 ranks on 2
    // nodes are 3 + 3, which a 4-CPU and a 2-CPU node cannot hold though they have 6 CPUs.
    q.max_job_cpus.reset();
    q.nodes = {{4, 65536, 1}, {2, 65536, 1}};
    EXPECT_EQ(refusal_of(q, {job_mode::mpi, 1, 1024, 600, 2, 5}),
              "queue workq: 2 nodes of it hold 3 ranks of 1 CPU and 1024 MiB, not 5");
    partition_limits slurm = q;
    slurm.scheduler = scheduler_kind::slurm;  // SLURM fills nodes as they have room: 4 + 1
    EXPECT_EQ(refusal_of(slurm, {job_mode::mpi, 1, 1024, 600, 2, 5}), "");
}

// --- queued jobs: states and pending reasons

TEST(JobQueue, SqueueTasksGroupedByStateAndReason) {
    // squeue -h -r -j 12 -o "%T|%r" for an array of 5 tasks, 2 at a time.
    const auto groups = parse_squeue("RUNNING|None\nRUNNING|None\nPENDING|JobArrayTaskLimit\n"
                                     "PENDING|JobArrayTaskLimit\nPENDING|JobArrayTaskLimit\n");
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].state, "RUNNING");
    EXPECT_EQ(groups[0].reason, "");
    EXPECT_EQ(groups[0].tasks, 2u);
    EXPECT_EQ(groups[1].reason, "JobArrayTaskLimit");
    EXPECT_EQ(groups[1].tasks, 3u);
    // Reasons with spaces and commas, as SLURM 22.05 prints them for a drained node.
    const auto drained = parse_squeue("PENDING|ReqNodeNotAvail, UnavailableNodes:localhost\n");
    ASSERT_EQ(drained.size(), 1u);
    EXPECT_EQ(drained[0].reason, "ReqNodeNotAvail, UnavailableNodes:localhost");
    EXPECT_TRUE(parse_squeue("").empty());
}

TEST(JobQueue, QstatJobAndArrayStates) {
    const auto single = parse_qstat_job("Job Id: 12.pbsserver\n    Job_Name = m1batch-s\n    job_state = Q\n"
                                        "    comment = Not Running: Insufficient amount of resource: ncpus (R: 4 A: 0 \n"
                                        "\tT: 8)\n    queue = workq\n");
    ASSERT_EQ(single.size(), 1u);
    EXPECT_EQ(single[0].state, "QUEUED");
    EXPECT_EQ(single[0].reason, "Not Running: Insufficient amount of resource: ncpus (R: 4 A: 0 T: 8)");
    EXPECT_EQ(single[0].tasks, 1u);
    const auto array = parse_qstat_job("Job Id: 77[].pbsserver\n    job_state = B\n"
                                       "    comment = Job Array Began at Thu Nov 26 04:33:00 2026\n"
                                       "    array_state_count = Queued:3 Running:1 Exiting:0 Expired:2 \n");
    ASSERT_EQ(array.size(), 2u);
    EXPECT_EQ(array[0].state, "QUEUED");
    EXPECT_EQ(array[0].tasks, 3u);
    EXPECT_EQ(array[1].state, "RUNNING");
    EXPECT_EQ(array[1].tasks, 1u);
    EXPECT_TRUE(parse_qstat_job("qstat: Unknown Job Id 5.pbsserver\n").empty());
}

TEST(JobQueue, ReasonsThatDoNotEndByThemselves) {
    auto kind = [](scheduler_kind s, const std::string& state, const std::string& reason) {
        return pending_meaning(s, {state, reason, 1}).kind;
    };
    const auto slurm = scheduler_kind::slurm;
    for (const char* never : {"PartitionConfig", "PartitionTimeLimit", "PartitionNodeLimit", "BadConstraints",
                              "InvalidAccount", "InvalidQOS", "DependencyNeverSatisfied",
                              "QOSMaxWallDurationPerJobLimit", "AssocMaxCpuPerJobLimit", "QOSMinCpuNotSatisfied"})
        EXPECT_EQ(kind(slurm, "PENDING", never), wait_kind::never) << never;
    // Limits per user or group lift as other jobs end; Priority and Resources are the queue at work.
    for (const char* ordinary : {"Priority", "Resources", "JobArrayTaskLimit", "QOSMaxCpuPerUserLimit",
                                 "AssocGrpCpuLimit", "Dependency", "BeginTime", ""})
        EXPECT_EQ(kind(slurm, "PENDING", ordinary), wait_kind::ordinary) << ordinary;
    for (const char* admin : {"ReqNodeNotAvail, UnavailableNodes:localhost", "ReqNodeNotAvail, Reserved for maintenance",
                              "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions",
                              "PartitionDown", "NodeDown"})
        EXPECT_EQ(kind(slurm, "PENDING", admin), wait_kind::administrator) << admin;
    EXPECT_EQ(kind(slurm, "PENDING", "JobHeldUser"), wait_kind::held);
    EXPECT_EQ(kind(slurm, "PENDING", "JobHeldAdmin"), wait_kind::held);
    EXPECT_EQ(kind(slurm, "RUNNING", ""), wait_kind::ordinary);
    EXPECT_NE(pending_meaning(slurm, {"PENDING", "PartitionTimeLimit", 1}).why.find("MaxTime"), std::string::npos);

    const auto pbs = scheduler_kind::pbs;
    EXPECT_EQ(kind(pbs, "QUEUED", "Can Never Run: Insufficient amount of queue resource: ncpus (R: 16 Q: 8)"),
              wait_kind::never);
    EXPECT_EQ(kind(pbs, "QUEUED", "Not Running: Insufficient amount of resource: ncpus (R: 4 A: 0 T: 8)"),
              wait_kind::ordinary);
    EXPECT_EQ(kind(pbs, "HELD", ""), wait_kind::held);
}

}  // namespace
