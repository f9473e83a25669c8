#include "batch/submit.hpp"

#include "batch/estimate.hpp"
#include "batch/executor.hpp"
#include "batch/ledger.hpp"
#include "core/io/posix_file.hpp"
#include "batch/results.hpp"
#include "batch/scheduler_limits.hpp"
#include "batch/scheduler_queue.hpp"
#include "batch/search_records.hpp"
#include "core/base/text_format.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>
#include <thread>

namespace m1::batch {

namespace {

namespace fs = std::filesystem;

// Array jobs larger than this are refused by most sites (SLURM's default MaxArraySize is 1001).
constexpr std::int64_t default_max_array = 1000;
constexpr std::int64_t default_cpus_per_task = 4;
constexpr std::int64_t default_mpi_workers = 8;

source_location where_of(const cluster_spec& c, const std::string& key, const sweep_spec& sweep) {
    const auto it = c.where.find(key);
    return it != c.where.end() ? it->second : source_location{sweep.file.string(), "cluster." + key, 0, 0};
}

// The next free script number in OUTPUT/jobs ("001", "002", ...).
std::string next_number(const fs::path& jobs) {
    int highest = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(jobs, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 4 && std::isdigit(static_cast<unsigned char>(name[0])) && name[3] == '-')
            highest = std::max(highest, std::atoi(name.substr(0, 3).c_str()));
    }
    std::ostringstream s;
    s << std::setw(3) << std::setfill('0') << highest + 1;
    return s.str();
}

// The bytes of a file the user named; input_error naming it when it cannot be read.
std::string read_user_file(const fs::path& file) {
    try {
        return read_bytes(file);
    } catch (const run_error& e) {
        throw input_error({file.string(), "", 0, 0}, e.what());
    }
}

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// The program the job runs: this one, by its absolute path.
fs::path this_program() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("m1batch") : p;
}

// The keys of one mode or scheduler given for another, and sizes the sweep cannot fill.
void check_keys_of_mode(const cluster_spec& c, const job_request& job, std::size_t runs, const sweep_spec& sweep) {
    const bool array = job.mode == job_mode::array;
    for (const char* key : {"nodes", "ntasks"})
        if ((key == std::string("nodes") ? c.nodes : c.ntasks) && array)
            throw input_error(where_of(c, key, sweep),
                              std::string(key) + " is for mode = \"mpi\" (an array task is one process "
                              "on one node; cpus_per_task sets its threads)");
    for (const char* key : {"array_size", "array_limit"})
        if ((key == std::string("array_size") ? c.array_size : c.array_limit) && !array)
            throw input_error(where_of(c, key, sweep),
                              std::string(key) + " is for mode = \"array\"; an MPI job's size is ntasks");
    if (c.variant && job.scheduler != scheduler_kind::pbs)
        throw input_error(where_of(c, "pbs_variant", sweep), "pbs_variant is for scheduler = \"pbs\"");
    if (c.array_size && *c.array_size > static_cast<std::int64_t>(runs))
        throw input_error(where_of(c, "array_size", sweep),
                          "array_size " + std::to_string(*c.array_size) + " is larger than the sweep (" +
                              std::to_string(runs) + " runs): a task would have nothing to do");
    if (array) return;
    const std::int64_t ntasks =
        c.ntasks.value_or(1 + std::min<std::int64_t>(default_mpi_workers, static_cast<std::int64_t>(runs)));
    if (c.nodes && *c.nodes > ntasks)
        throw input_error(where_of(c, "nodes", sweep),
                          "nodes " + std::to_string(*c.nodes) + " > ntasks " + std::to_string(ntasks) +
                              ": a node would have no rank");
}

// The partition (SLURM) or queue (PBS) an extra directive names: "--partition=long", "-p long",
// "-q workq".
std::string partition_in_extra(const std::vector<std::string>& extra, scheduler_kind scheduler) {
    const bool slurm = scheduler == scheduler_kind::slurm;
    std::string named;
    for (const auto& line : extra) {
        std::istringstream in(line);
        std::vector<std::string> w;
        for (std::string word; in >> word;) w.push_back(word);
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (slurm && w[i].rfind("--partition=", 0) == 0) named = w[i].substr(12);
            const bool flag = slurm ? w[i] == "-p" || w[i] == "--partition" : w[i] == "-q";
            if (flag && i + 1 < w.size()) named = w[i + 1];
        }
    }
    return named;
}

// The partitions the job goes to, in sbatch's order of precedence: SBATCH_PARTITION, then the
// script's directives (extra's after the template's); "": the default. "a,b": either. `where`:
// where they were named.
struct named_partitions {
    std::vector<std::string> names;
    source_location where;
};
named_partitions partitions_named(const cluster_spec& c, scheduler_kind scheduler, const sweep_spec& sweep) {
    std::string named = partition_in_extra(c.extra, scheduler);
    source_location where = where_of(c, named.empty() ? "partition" : "extra", sweep);
    if (named.empty()) named = c.partition.value_or("");
    if (const char* env = std::getenv("SBATCH_PARTITION"); env && *env && scheduler == scheduler_kind::slurm) {
        named = env;
        where = {"environment", "SBATCH_PARTITION", 0, 0};
    }
    named_partitions out{{}, where};
    std::istringstream in(named);
    for (std::string name; std::getline(in, name, ',');) out.names.push_back(name);
    if (out.names.empty()) out.names.push_back("");
    return out;
}

// What the partitions the job goes to can give; none when the scheduler cannot be asked (said on
// `err`: the job is then submitted unchecked). A partition the scheduler does not know is refused.
std::vector<partition_limits> ask_partitions(scheduler_kind scheduler, const cluster_spec& c,
                                             const sweep_spec& sweep, bool quiet, std::ostream& err) {
    const std::string what = scheduler == scheduler_kind::slurm ? "partition" : "queue";
    std::vector<partition_limits> partitions;
    const named_partitions named = partitions_named(c, scheduler, sweep);
    for (const std::string& name : named.names) {
        partition_query q = ask_partition(scheduler, name);
        if (q.no_such)
            throw input_error(named.where,
                              "no " + what + " " + name + " here" +
                                  (q.known.empty() ? "" : " (sinfo lists " + q.known + ")"));
        if (!q.limits) {
            if (!quiet)
                err << "note: cannot ask what the " << what << (name.empty() ? "" : " " + name)
                    << " can give (" << q.cannot_ask << "): the request is not checked against it\n";
            return {};
        }
        partitions.push_back(std::move(*q.limits));
    }
    return partitions;
}

// cpus_per_task when [cluster] leaves it out: 4, or fewer when no node has 4.
std::int64_t choose_cpus_per_task(const cluster_spec& c, const std::vector<partition_limits>& partitions,
                                  bool quiet, std::ostream& out) {
    if (c.cpus_per_task) return *c.cpus_per_task;
    const partition_limits* widest = nullptr;
    for (const auto& p : partitions)
        if (!widest || largest_cpus(p) > largest_cpus(*widest)) widest = &p;
    const std::int64_t largest = widest ? largest_cpus(*widest) : 0;
    if (largest == 0 || largest >= default_cpus_per_task) return default_cpus_per_task;
    if (!quiet)
        out << "note: " << (widest->scheduler == scheduler_kind::slurm ? "partition " : "queue ") << widest->name
            << ": its largest node has " << largest << " CPUs, so " << largest << " CPUs per task (cpus_per_task)\n";
    return largest;
}

// What a job asks of a partition; with only `c`'s settings (`job` before its sizes are chosen),
// what the user gave.
partition_request request_of(const job_request& job) {
    return {job.mode, job.cpus_per_task, job.mem_mib, job.time_s, job.nodes, job.ntasks};
}
partition_request request_given(const cluster_spec& c, const job_request& job) {
    const bool mpi = job.mode == job_mode::mpi;
    return {job.mode, job.cpus_per_task, c.mem_mib.value_or(0), c.time_s.value_or(0),
            mpi ? c.nodes.value_or(0) : 0, mpi ? c.ntasks.value_or(0) : 0};
}

// Appends the job to OUTPUT/jobs/submissions.csv (written whole, atomically).
void record_submission(const fs::path& record, const job_request& job, const std::string& job_id,
                       const fs::path& script_file) {
    std::string csv;
    std::error_code ec;
    if (fs::exists(record, ec)) csv = read_bytes(record);
    else csv_line(csv, {"submitted_at", "scheduler", "mode", "job_id", "tasks", "runs", "script"});
    const bool array = job.mode == job_mode::array;
    csv_line(csv, {iso_now(), std::string(to_string(job.scheduler)), std::string(to_string(job.mode)), job_id,
                   std::to_string(array ? job.array_size : job.ntasks), std::to_string(job.runs),
                   script_file.string()});
    write_file_atomically(record, csv);
}

// "lower cpus_per_task in [cluster] or pass --cpus-per-task"; for a size m1batch chose, give it.
std::string remedy(const std::string& key, const cluster_spec& c) {
    std::string option = key;
    std::replace(option.begin(), option.end(), '_', '-');
    const bool chosen = (key == "time" && !c.time_s) || (key == "mem" && !c.mem_mib) || (key == "ntasks" && !c.ntasks);
    return (chosen ? std::string(key == "ntasks" ? "that is the default" : "that is the estimate") + ": give "
                   : std::string("lower ")) +
           key + " in [cluster] or pass --" + option;
}

// Refuses (input_error at the key at fault) a request that no partition the job may go to can
// ever satisfy: it would pend forever. Nothing to check against: nothing refused.
void check_against_partitions(const std::vector<partition_limits>& partitions, const partition_request& request,
                              const cluster_spec& c, const sweep_spec& sweep) {
    std::optional<request_refusal> first;
    for (const auto& p : partitions) {
        const auto refusal = check_request(p, request);
        if (!refusal) return;
        if (!first) first = refusal;
    }
    if (first) throw input_error(where_of(c, first->key, sweep), first->message + "; " + remedy(first->key, c));
}

}  // namespace

std::vector<std::size_t> read_run_list(const fs::path& file, const std::vector<sweep_run>& runs) {
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < runs.size(); ++i) index.emplace(runs[i].id, i);
    std::istringstream in(read_user_file(file));
    std::vector<std::size_t> list;
    std::map<std::size_t, std::size_t> seen;  // run -> line
    std::size_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        const std::string id = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
        const auto it = index.find(id);
        if (it == index.end())
            throw input_error({file.string(), "", line_number, first + 1},
                              "\"" + id + "\" is no run of this sweep");
        if (const auto s = seen.find(it->second); s != seen.end())
            throw input_error({file.string(), "", line_number, first + 1},
                              "run " + id + " is listed twice (line " + std::to_string(s->second) + ")");
        seen.emplace(it->second, line_number);
        list.push_back(it->second);
    }
    if (list.empty()) throw input_error({file.string(), "", 0, 0}, "lists no run");
    return list;
}

std::vector<submission> read_submissions(const fs::path& output) {
    std::vector<submission> jobs;
    std::ifstream in(output / "jobs" / "submissions.csv");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        // No field holds a comma but the script's path, which is last (and may be quoted).
        std::vector<std::string> f;
        std::istringstream fields(line);
        for (std::string x; f.size() < 6 && std::getline(fields, x, ',');) f.push_back(x);
        if (f.size() < 6) continue;
        std::string script;
        std::getline(fields, script);
        if (script.size() >= 2 && script.front() == '"' && script.back() == '"') {
            script = script.substr(1, script.size() - 2);
            for (std::size_t q = script.find("\"\""); q != std::string::npos; q = script.find("\"\"", q + 1))
                script.erase(q, 1);
        }
        jobs.push_back({f[0], f[1], f[2], f[3], f[4], f[5], script});
    }
    return jobs;
}

std::string describe(const submission& job) {
    return job.scheduler + " job " + job.job_id + " (" + job.mode + ", " + job.tasks + " task" +
           (job.tasks == "1" ? "" : "s") + ", " + job.runs + " run" + (job.runs == "1" ? "" : "s") +
           "), submitted " + job.submitted_at;
}

namespace {

// "PENDING (PartitionConfig)"; for several tasks "2 tasks PENDING (JobArrayTaskLimit), 1 task RUNNING".
std::string groups_text(const std::vector<task_group>& groups) {
    std::string text;
    for (const auto& g : groups) {
        text += text.empty() ? "" : ", ";
        if (groups.size() > 1 || g.tasks > 1) text += plural(g.tasks, "task") + " ";
        text += g.state + (g.reason.empty() ? "" : " (" + g.reason + ")");
    }
    return text;
}

// A warning for tasks whose wait does not end by itself: what they wait for, and what ends it.
void warn_of_wait(scheduler_kind scheduler, const std::string& id, const task_group& g, std::ostream& err) {
    const wait_meaning m = pending_meaning(scheduler, g);
    if (m.kind == wait_kind::ordinary) return;
    const bool slurm = scheduler == scheduler_kind::slurm;
    const std::string cancel = (slurm ? "scancel " : "qdel ") + id;
    const std::string reason = g.reason.empty() || g.reason == m.why ? m.why : g.reason + ": " + m.why;
    err << "warning: " << to_string(scheduler) << " job " << id
        << (g.tasks > 1 ? " (" + plural(g.tasks, "task") + ")" : "");
    if (m.kind == wait_kind::never)
        err << " will never start as it is (" << reason << "): cancel it (" << cancel
            << ") and submit again with a request that fits\n";
    else if (m.kind == wait_kind::administrator)
        err << " waits for the cluster, not for its turn (" << reason << "); to give up on it: " << cancel << "\n";
    else if (g.reason == "JobHeldAdmin")
        err << " is held by an administrator; to give up on it: " << cancel << "\n";
    else
        err << " is held: " << (slurm ? "scontrol release " : "qrls ") << id << " lets it start, " << cancel
            << " cancels it\n";
}

}  // namespace

void print_jobs(const fs::path& output, bool csv, std::ostream& out, std::ostream& err) {
    for (const submission& job : read_submissions(output)) {
        if (!csv) out << "  " << describe(job) << "\n";
        const scheduler_kind scheduler = job.scheduler == "pbs" ? scheduler_kind::pbs : scheduler_kind::slurm;
        const std::vector<task_group> groups = ask_job_state(scheduler, job.job_id);
        if (!csv && !groups.empty())
            out << "    " << (job.scheduler == "pbs" ? "qstat" : "squeue") << ": " << groups_text(groups) << "\n";
        for (const task_group& g : groups) warn_of_wait(scheduler, job.job_id, g, err);
    }
}

namespace {

// What the steps of one submission share.
struct submission_plan {
    const sweep_spec& sweep;
    const std::vector<sweep_run>& runs;
    const submit_options& options;
    std::ostream& out;
    std::ostream& err;
    cluster_spec c;                          // [cluster] with the command line's overrides
    job_request job;
    std::string template_text, template_name;  // a template of the user's
    std::vector<partition_limits> partitions;
    std::vector<std::size_t> selected;       // the runs the job covers
    std::size_t running = 0, done = 0, failed = 0;
    std::size_t runs_per_task = 1;
    const search_spec* search = nullptr;     // a search's job (runs: stand-ins for the estimate)

    bool array() const { return job.mode == job_mode::array; }
    // The runs handed out at once: the sweep's the job covers, or a search's generation.
    std::size_t at_once() const {
        return search ? search->population * std::max<std::size_t>(1, sweep.replicates) : selected.size();
    }
    // The runs the job covers: a search's at most (its budget; a point met again is not run again).
    std::size_t covered() const { return search ? at_once() * generation_budget(*search) : selected.size(); }
};

scheduler_kind scheduler_of(const cluster_spec& c, const sweep_spec& sweep) {
    if (c.scheduler) return *c.scheduler;
    if (const auto found = detect_scheduler()) return *found;
    throw input_error({sweep.file.string(), "cluster.scheduler", 0, 0},
                      "no scheduler here: neither sbatch nor qsub is in PATH; name one with "
                      "--scheduler slurm|pbs or [cluster] scheduler (--dry-run writes the script "
                      "without submitting it)");
}

// A template of the user's: every placeholder must be known before anything is written.
void read_template(submission_plan& plan) {
    if (!plan.options.template_file) return;
    plan.template_name = plan.options.template_file->string();
    plan.template_text = read_user_file(*plan.options.template_file);
    job_request probe = plan.job;
    probe.time_s = probe.mem_mib = 1;
    render_template(plan.template_text, template_values(probe), plan.template_name);
}

// array (the default) or mpi; a search's only mpi (its default).
job_mode choose_mode(const submission_plan& plan) {
    const job_mode mode = plan.c.mode.value_or(plan.search ? job_mode::mpi : job_mode::array);
    if (plan.search && mode == job_mode::array)
        throw input_error(where_of(plan.c, "mode", plan.sweep),
                          "a search runs as one MPI job (mode = \"mpi\", its default), not as an "
                          "array: array tasks share out runs known in advance, and a search's are "
                          "not (each generation's come from the fitness of the last)");
    return mode;
}

// The kind of job, and what the partition can give: a request that could never start is refused
// before anything is written.
void plan_job(submission_plan& plan) {
    plan.job.scheduler = scheduler_of(plan.c, plan.sweep);
    plan.job.mode = choose_mode(plan);
    check_keys_of_mode(plan.c, plan.job, plan.search ? plan.at_once() : plan.runs.size(), plan.sweep);
    read_template(plan);
    plan.partitions = ask_partitions(plan.job.scheduler, plan.c, plan.sweep, plan.options.quiet, plan.err);
    plan.job.cpus_per_task = choose_cpus_per_task(plan.c, plan.partitions, plan.options.quiet, plan.out);
    check_against_partitions(plan.partitions, request_given(plan.c, plan.job), plan.c, plan.sweep);
}

// An earlier job still at work would do the same runs: it is to be waited for, or cancelled first.
bool earlier_job_active(const submission_plan& plan, const results_directory& dir) {
    const scheduler_kind scheduler = plan.job.scheduler;
    for (const submission& earlier : read_submissions(dir.root()))
        if (earlier.scheduler == to_string(scheduler) && job_active(scheduler, earlier.job_id)) {
            plan.err << "error: " << describe(earlier)
                     << " is still queued or running; its tasks will do the runs that are not done. "
                        "Wait for it, or cancel it ("
                     << (scheduler == scheduler_kind::slurm ? "scancel " : "qdel ") << earlier.job_id
                     << ") and submit again\n";
            return true;
        }
    return false;
}

// Which runs, from the results directory as it is now; an exit code when it is held.
int select_runs(submission_plan& plan, const results_directory& dir) {
    // Briefly exclusive: no batch or task may be writing while the sources are replaced. Released
    // before the job is submitted, so that its tasks (shared holders) can start at once.
    results_directory::lock lock;
    if (const int code = take_directory(plan.sweep, plan.runs, /*exclusive=*/true, plan.options.quiet,
                                        plan.err, lock))
        return code;
    const std::vector<index_row> rows = read_rows(plan.runs, dir);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const run_state s = rows[i].state;
        plan.running += s == run_state::running;
        plan.done += s == run_state::done;
        plan.failed += s == run_state::failed;
        if (s == run_state::missing || s == run_state::interrupted ||
            (plan.options.missing && s == run_state::failed))
            plan.selected.push_back(i);
    }
    return exit_ok;
}

// Without --missing the job covers the whole sweep (its tasks skip what is done).
void cover_all_runs(submission_plan& plan) {
    if (plan.options.missing) return;
    if (plan.done > 0 && !plan.options.quiet)
        plan.out << "note: " << plan.done << " of " << plan.runs.size()
                 << " runs are done already (the job skips them); submit --missing makes an array "
                    "of just the runs still to do\n";
    plan.selected.resize(plan.runs.size());
    for (std::size_t i = 0; i < plan.runs.size(); ++i) plan.selected[i] = i;
}

// True (and said) when there is nothing to do. Failed runs are to do only with --missing (the
// plain job's tasks leave them failed).
bool nothing_to_do(const submission_plan& plan) {
    const bool missing = plan.options.missing;
    const std::size_t todo =
        missing ? plan.selected.size() : plan.runs.size() - plan.done - plan.running - plan.failed;
    if (todo > 0) return false;
    if (!plan.options.quiet)
        plan.out << plan.sweep.name << ": nothing to submit: " << plan.done << " of " << plan.runs.size()
                 << " runs done, " << plan.running << " running"
                 << (plan.failed && !missing
                         ? ", " + std::to_string(plan.failed) + " failed (--missing reruns them)"
                         : "")
                 << "\n";
    return true;
}

// Array tasks or MPI ranks, and the runs each does.
void choose_sizes(submission_plan& plan) {
    const cluster_spec& c = plan.c;
    job_request& job = plan.job;
    const std::size_t count = plan.at_once();
    if (plan.array()) {
        job.array_size = std::min<std::int64_t>(c.array_size.value_or(default_max_array),
                                                static_cast<std::int64_t>(count));
        if (c.array_size && *c.array_size > job.array_size && !plan.options.quiet)
            plan.out << "note: array_size " << *c.array_size << " > the " << count
                     << " runs to do: " << job.array_size << " tasks\n";
        job.array_limit = c.array_limit.value_or(0);
        plan.runs_per_task = (count + job.array_size - 1) / job.array_size;
    } else {
        job.ntasks = c.ntasks.value_or(1 + std::min<std::int64_t>(default_mpi_workers,
                                                                  static_cast<std::int64_t>(count)));
        job.nodes = std::min(c.nodes.value_or(0), job.ntasks);  // checked above against the sweep's size
        plan.runs_per_task = (count + job.ntasks - 2) / (job.ntasks - 1);
        if (plan.search) plan.runs_per_task *= generation_budget(*plan.search);  // a rank's share of each
    }
}

// Time and memory per task (rank): as given, else from a pilot of the largest run.
void choose_time_and_memory(submission_plan& plan) {
    const cluster_spec& c = plan.c;
    job_request& job = plan.job;
    if (c.time_s && c.mem_mib) {
        job.time_s = *c.time_s;
        job.mem_mib = *c.mem_mib;
        return;
    }
    const std::size_t threads = std::min<std::size_t>(
        static_cast<std::size_t>(job.cpus_per_task), std::max(1u, std::thread::hardware_concurrency()));
    if (!plan.options.quiet)
        plan.out << "estimating time and memory per run (a pilot of the largest run, " << threads
                 << " thread" << (threads == 1 ? "" : "s") << ")...\n" << std::flush;
    const run_estimate e = estimate_run(plan.sweep, plan.runs, threads);
    job.time_s = c.time_s.value_or(requested_time_s(e, plan.runs_per_task));
    job.mem_mib = c.mem_mib.value_or(requested_memory_mib(e));
    if (!plan.options.quiet)
        plan.out << "  one run: " << std::fixed << std::setprecision(1) << e.time_s() << " s, "
                 << e.memory_mib << " MiB; asking for" << (c.time_s ? "" : " time " + slurm_time(job.time_s))
                 << (c.mem_mib ? "" : " mem " + std::to_string(job.mem_mib) + "M") << " per "
                 << (plan.array() ? "task" : "rank") << " (" << plan.runs_per_task << " run"
                 << (plan.runs_per_task == 1 ? "" : "s") << " each)\n";
}

// The rest of the request, straight from [cluster]; the job's name from the sweep's.
void complete_job(submission_plan& plan) {
    job_request& job = plan.job;
    job.variant = plan.c.variant.value_or(pbs_variant::openpbs);
    job.account = plan.c.account.value_or("");
    job.partition = plan.c.partition.value_or("");
    job.setup = plan.c.setup;
    job.extra = plan.c.extra;
    job.runs = plan.covered();
    job.job_name = "m1batch-" + plan.sweep.name;
    for (char& ch : job.job_name)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
}

// --missing: the runs the job covers, OUTPUT/jobs/NNN.runs.
void write_run_list(submission_plan& plan, const fs::path& jobs, const std::string& number) {
    job_request& job = plan.job;
    job.run_list = jobs / (number + ".runs");
    job.retry_failed = true;
    std::string text = "# runs of " + job.sweep_file.string() + " still to do (m1batch submit --missing, " +
                       iso_now() + ")\n";
    for (std::size_t i : plan.selected) text.append(plan.runs[i].id).push_back('\n');
    write_file_atomically(job.run_list, text);
}

// The job script (and run list) in OUTPUT/jobs; returns the script's path.
fs::path write_job_files(submission_plan& plan, const fs::path& root) {
    job_request& job = plan.job;
    const fs::path jobs = root / "jobs";
    job.log_directory = jobs / "logs";
    fs::create_directories(job.log_directory);
    const std::string number = next_number(jobs);
    job.m1batch = this_program();
    job.sweep_file = root / plan.sweep.copy_name;  // sweep.toml; a search's optimize.toml
    if (plan.options.missing) write_run_list(plan, jobs, number);
    const std::string script = plan.options.template_file
                                   ? render_template(plan.template_text, template_values(job), plan.template_name)
                                   : render_job_script(job);
    const fs::path script_file =
        jobs / (number + "-" + std::string(to_string(job.scheduler)) + "-" + std::string(to_string(job.mode)) + ".sh");
    write_file_atomically(script_file, script);
    ::chmod(script_file.c_str(), 0755);
    return script_file;
}

std::string submit_command(const job_request& job) {
    return job.scheduler == scheduler_kind::slurm ? "sbatch" : "qsub";
}

// "3 tasks (at most 2 at a time)" or "9 MPI ranks".
std::string size_text(const job_request& job) {
    if (job.mode != job_mode::array) return std::to_string(job.ntasks) + " MPI ranks";
    return plural(job.array_size, "task") +
           (job.array_limit ? " (at most " + std::to_string(job.array_limit) + " at a time)" : "");
}

// sbatch or qsub: the job id, or "" when refused (said on err).
std::string submit_script(const job_request& job, const fs::path& script_file, std::ostream& err) {
    std::vector<std::string> argv = {submit_command(job)};
    if (job.scheduler == scheduler_kind::slurm) argv.push_back("--parsable");
    argv.push_back(script_file.string());
    const command_result r = run_command(argv);
    const std::string job_id = r.status == 0 ? parse_job_id(job.scheduler, r.out) : "";
    if (!job_id.empty()) return job_id;
    const std::string why = r.err.empty() ? r.out : r.err;
    err << "error: " << submit_command(job) << " refused " << script_file.string() << " (exit "
        << r.status << "): " << why;
    if (why.empty() || why.back() != '\n') err << "\n";
    return "";
}

// "6 runs"; a search's "3 generations of 6 candidates (at most 18 runs)".
std::string covered_text(const submission_plan& plan) {
    if (!plan.search) return plural(plan.covered(), "run");
    return plural(generation_budget(*plan.search), "generation") + " of " +
           plural(plan.search->population, "candidate") + " (at most " + plural(plan.covered(), "run") + ")";
}

void print_submitted(const submission_plan& plan, const std::string& job_id, const fs::path& script_file,
                     const fs::path& root) {
    const job_request& job = plan.job;
    plan.out << "submitted " << (job.scheduler == scheduler_kind::slurm ? "SLURM" : "PBS") << " job "
             << job_id << ": " << size_text(job) << ", " << covered_text(plan) << ", "
             << job.cpus_per_task << " CPU" << (job.cpus_per_task == 1 ? "" : "s") << " and "
             << job.mem_mib << " MiB per " << (plan.array() ? "task" : "rank") << ", time "
             << slurm_time(job.time_s) << "\n"
             << "  script: " << script_file.string() << "\n"
             << "  logs:   " << job.log_directory.string() << "\n"
             << "  follow: m1batch status " << root.string() << "\n";
}

// The job written (and, unless a dry run, submitted and recorded).
int write_and_submit(submission_plan& plan, const results_directory& dir) {
    const fs::path root = fs::absolute(dir.root()).lexically_normal();
    const fs::path script_file = write_job_files(plan, root);
    const job_request& job = plan.job;
    if (plan.options.dry_run) {
        if (!plan.options.quiet)
            plan.out << "job script: " << script_file.string() << " (" << size_text(job) << ", "
                     << covered_text(plan) << "; not submitted: " << submit_command(job)
                     << " " << script_file.string() << " submits it)\n";
        return exit_ok;
    }
    const std::string job_id = submit_script(job, script_file, plan.err);
    if (job_id.empty()) return exit_runs_failed;
    record_submission(root / "jobs" / "submissions.csv", job, job_id, script_file);
    if (!plan.options.quiet) print_submitted(plan, job_id, script_file, root);
    return exit_ok;
}

// The job's size, time and memory, then the job written and submitted.
int size_and_submit(submission_plan& plan, const results_directory& dir) {
    choose_sizes(plan);
    choose_time_and_memory(plan);
    complete_job(plan);
    check_against_partitions(plan.partitions, request_of(plan.job), plan.c, plan.sweep);  // with the estimate's time and memory
    return write_and_submit(plan, dir);
}

// Stand-ins for a search's runs in the estimate of time and memory: every parameter at the low
// end of its range, then at the high end (the costliest run, by scale and duration, is at a
// corner of the box).
std::vector<sweep_run> corner_runs(const search_spec& search) {
    sweep_spec corners = search.runs;
    corners.method = sweep_method::list;
    corners.replicates = 1;
    for (double u : {0.0, 1.0}) {
        std::vector<param_value> point;
        for (const parameter& p : corners.params) point.push_back(value_in_range(p, u));
        corners.points.push_back(std::move(point));
    }
    return expand_sweep(corners, 2);
}

// The search's directory taken briefly (its sources renewed, as the search's own start does),
// and how far the search has come: an exit code when there is nothing to submit or the
// directory is held, none to go on.
std::optional<int> take_search_directory(const submission_plan& plan, const results_directory& dir) {
    {
        results_directory::lock lock;
        const bool quiet = plan.options.quiet;
        if (const int code = take_directory(plan.sweep, {}, /*exclusive=*/true, quiet, plan.err, lock))
            return code;
    }
    const std::optional<search_state> state = load_state(dir, *plan.search);
    const std::size_t done = state ? state->generations : 0, budget = generation_budget(*plan.search);
    if (done >= budget) {
        if (!plan.options.quiet)
            plan.out << plan.sweep.name << ": nothing to submit: the search has evaluated its "
                     << plural(budget, "generation") << "\n";
        return exit_ok;
    }
    if (done > 0 && !plan.options.quiet)
        plan.out << "note: the search has evaluated " << done << " of " << plural(budget, "generation")
                 << " (search_state.json): the job goes on from there\n";
    return std::nullopt;
}

}  // namespace

int submit_sweep(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                 const submit_options& options, std::ostream& out, std::ostream& err) {
    submission_plan plan{sweep, runs, options, out, err, options.table, {}, {}, {}, {}, {}};
    plan.c.override_with(options.overrides);
    plan_job(plan);
    results_directory dir(sweep.config.output);
    if (!options.dry_run && earlier_job_active(plan, dir)) return exit_busy;
    dir.create();
    if (const int code = select_runs(plan, dir)) return code;
    cover_all_runs(plan);
    if (nothing_to_do(plan)) return exit_ok;
    return size_and_submit(plan, dir);
}

int submit_search(const search_spec& search, const submit_options& options, std::ostream& out,
                  std::ostream& err) {
    if (options.missing)
        throw input_error({"command line", "--missing", 0, 0},
                          "--missing is for sweeps: a search's job goes on from its last whole "
                          "generation by itself (submit it again without --missing)");
    const std::vector<sweep_run> corners = corner_runs(search);
    submission_plan plan{search.runs, corners, options, out, err, options.table, {}, {}, {}, {}, {}};
    plan.search = &search;
    plan.c.override_with(options.overrides);
    plan_job(plan);
    results_directory dir(search.runs.config.output);
    if (!options.dry_run && earlier_job_active(plan, dir)) return exit_busy;
    dir.create();
    if (const std::optional<int> code = take_search_directory(plan, dir)) return *code;
    return size_and_submit(plan, dir);
}

}  // namespace m1::batch
