// m1batch: runs a run configuration, or a sweep (a configuration with a [sweep] table) locally, as
// an MPI bulletin board (under mpirun), or as one array task; or a search ([optimize]) locally or
// on the bulletin board. Argument parsing and wiring only;
// the work is in core/ and batch/.
//
// Options come from the command line (CLI11) and from M1BATCH_* environment variables
// (Boost.Program_options' environment parser, mapped onto the same option names); the command
// line wins.
#include "batch/bulletin_board.hpp"
#include "batch/cluster.hpp"
#include "batch/estimate.hpp"
#include "core/base/error.hpp"
#include "batch/executor.hpp"
#include "batch/scheduler_environment.hpp"
#include "batch/search.hpp"
#include "core/run/run.hpp"
#include "batch/submit.hpp"
#include "batch/sweep.hpp"

#include <CLI/CLI.hpp>
#include <boost/program_options.hpp>
#include <mpi.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <tuple>

namespace {

namespace po = boost::program_options;
using namespace m1::batch;

// Environment variables and the options they set (threads, task index and count, with the
// scheduler's variables: scheduler_environment.hpp).
const std::map<std::string, std::string>& environment_names() {
    static const std::map<std::string, std::string> names = {
        {"M1BATCH_JOBS", "jobs"}, {"M1BATCH_MAX_RUNS", "max-runs"}, {"M1BATCH_OUTPUT", "output"},
    };
    return names;
}

po::variables_map read_environment() {
    po::options_description known;
    known.add_options()("jobs", po::value<std::size_t>())("max-runs", po::value<std::size_t>())(
        "output", po::value<std::string>());
    po::variables_map vm;
    try {
        po::store(po::parse_environment(known,
                                        [](const std::string& variable) -> std::string {
                                            const auto& names = environment_names();
                                            const auto it = names.find(variable);
                                            return it == names.end() ? "" : it->second;
                                        }),
                  vm);
    } catch (const po::error& e) {
        // Name the variable, not Boost's option name.
        std::string option = e.what(), variable;
        for (const auto& [var, name] : environment_names())
            if (option.find("'" + name + "'") != std::string::npos ||
                option.find("--" + name) != std::string::npos)
                variable = var;
        throw m1::input_error({"environment", variable, 0, 0},
                              std::string("invalid value: ") + e.what());
    }
    return vm;
}

// Whether mpirun (Open MPI, or any PMI launcher) started this process as one of several.
bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
        if (const char* s = std::getenv(v); s && std::atoi(s) > 1) return true;
    return false;
}

extern "C" void on_stop_signal(int) { stop_requested().store(true); }

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    // The first signal stops the batch cleanly; a second one (impatience) kills as usual.
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// Everything the command line gives (the subcommands share some of it, as they always have).
struct command_line {
    std::string config_path, output, format = "table", runs_file;
    std::size_t threads = 0, jobs = 0, max_runs = 10000, task_index = 0, task_count = 0;
    bool quiet = false, dry_run = false, retry_failed = false;
    CLI::Option *threads_opt = nullptr, *jobs_opt = nullptr, *output_opt = nullptr,
                *max_runs_opt = nullptr, *task_index_opt = nullptr, *task_count_opt = nullptr,
                *runs_opt = nullptr;
    // status
    CLI::App* status = nullptr;
    std::string status_dir;
    bool rebuild = false;
    // submit: the [cluster] table's keys as options (they win over the table)
    CLI::App* submit = nullptr;
    std::string sweep_path, scheduler, mode, account, partition, time_text, mem_text, template_path;
    std::int64_t cpus_per_task = 0, nodes = 0, ntasks = 0, array_size = 0, array_limit = 0;
    bool missing = false;
    // estimate
    CLI::App* estimate = nullptr;
    double pilot_ms = 200;
};

void add_run_options(CLI::App& app, command_line& cl) {
    app.add_option("config", cl.config_path, "run configuration or sweep (TOML)");
    cl.threads_opt = app.add_option("-t,--threads", cl.threads, "threads per run (default: automatic, or the CPUs a scheduler granted)")->check(CLI::NonNegativeNumber);
    cl.jobs_opt = app.add_option("-j,--jobs", cl.jobs, "sweeps: runs at once in this process (default: automatic)")->check(CLI::NonNegativeNumber);
    cl.output_opt = app.add_option("-o,--output", cl.output, "output directory (overrides the configuration's)");
    app.add_flag("-q,--quiet", cl.quiet, "print only errors");
    app.add_flag("--dry-run", cl.dry_run, "sweeps: print the runs and exit");
    app.add_option("--format", cl.format, "--dry-run and status: table or csv")
        ->check(CLI::IsMember({"table", "csv"}));
    cl.max_runs_opt = app.add_option("--max-runs", cl.max_runs, "refuse sweeps of more runs (default 10000)")->check(CLI::NonNegativeNumber);
    app.add_flag("--retry-failed", cl.retry_failed, "sweeps: rerun the runs that failed");
    cl.task_index_opt = app.add_option("--task-index", cl.task_index, "array-task mode: this task's index (0-based)")->check(CLI::NonNegativeNumber);
    cl.task_count_opt = app.add_option("--task-count", cl.task_count, "array-task mode: the number of tasks")->check(CLI::NonNegativeNumber);
    cl.runs_opt = app.add_option("--runs", cl.runs_file, "sweeps: only the runs listed in this file (one id per line)");
}

void add_status(CLI::App& app, command_line& cl) {
    cl.status = app.add_subcommand("status", "show (and --rebuild) the index of a results directory");
    cl.status->add_option("output", cl.status_dir, "results directory")->required();
    cl.status->add_flag("--rebuild", cl.rebuild, "rewrite index.csv and index.h5 from the run files");
    cl.status->add_option("--format", cl.format, "table or csv")->check(CLI::IsMember({"table", "csv"}));
}

void add_submit(CLI::App& app, command_line& cl) {
    CLI::App* submit = cl.submit = app.add_subcommand("submit", "submit a sweep or a search to SLURM or PBS (README \"Running on a cluster\")");
    submit->add_option("sweep", cl.sweep_path, "sweep or search file (TOML), or a results directory's sweep.toml or optimize.toml")->required();
    submit->add_option("-o,--output", cl.output, "results directory (overrides the sweep's)");
    submit->add_option("--scheduler", cl.scheduler, "slurm or pbs (default: [cluster] scheduler, else sbatch or qsub, whichever is here)")
        ->check(CLI::IsMember({"slurm", "pbs"}));
    submit->add_option("--mode", cl.mode, "array (a share of the sweep per task) or mpi (the bulletin board; a search's only mode)")
        ->check(CLI::IsMember({"array", "mpi"}));
    submit->add_flag("--missing", cl.missing, "only the runs that are missing, interrupted or failed");
    submit->add_flag("--dry-run", cl.dry_run, "write the job script, do not submit it");
    submit->add_option("--template", cl.template_path, "a job script template of your own (jobs/*.sh.in)");
    submit->add_option("--account", cl.account, "account (SLURM -A, PBS -A)");
    submit->add_option("--partition,--queue", cl.partition, "partition (SLURM) or queue (PBS)");
    submit->add_option("--time", cl.time_text, "time per task: [D-]HH:MM:SS, MM:SS or minutes (default: estimated)");
    submit->add_option("--mem", cl.mem_text, "memory per task (mpi: per rank): 4G, 1500M (default: estimated)");
    submit->add_option("--cpus-per-task", cl.cpus_per_task, "CPUs, and threads, per run (default 4, or the largest node's CPUs if fewer)");
    submit->add_option("--nodes", cl.nodes, "mpi: nodes");
    submit->add_option("--ntasks", cl.ntasks, "mpi: ranks (rank 0 hands out runs)");
    submit->add_option("--array-size", cl.array_size, "array: tasks (default: one per run, at most 1000)");
    submit->add_option("--array-limit", cl.array_limit, "array: at most this many tasks at once");
    submit->add_option("--max-runs", cl.max_runs, "refuse sweeps of more runs (default 10000)")->check(CLI::NonNegativeNumber);
    submit->add_flag("-q,--quiet", cl.quiet, "print only errors");
}

void add_estimate(CLI::App& app, command_line& cl) {
    cl.estimate = app.add_subcommand("estimate", "expected time and memory per run of a sweep (a short pilot)");
    cl.estimate->add_option("sweep", cl.sweep_path, "sweep file (TOML)")->required();
    cl.estimate->add_option("-t,--threads", cl.threads, "threads of the pilot (default: all cores)")->check(CLI::NonNegativeNumber);
    cl.estimate->add_option("--pilot-ms", cl.pilot_ms, "model time the pilot simulates (default 200 ms)")
        ->check(CLI::PositiveNumber);
    cl.estimate->add_option("--max-runs", cl.max_runs, "refuse sweeps of more runs (default 10000)")->check(CLI::NonNegativeNumber);
}

m1::source_location option_at(const char* option) { return {"command line", option, 0, 0}; }

// The submit options that override [cluster] keys; a refusal found later names the option.
cluster_spec cluster_overrides(const command_line& cl) {
    cluster_spec o;
    if (!cl.scheduler.empty()) o.scheduler = cl.scheduler == "slurm" ? scheduler_kind::slurm : scheduler_kind::pbs;
    if (!cl.mode.empty()) {
        o.mode = cl.mode == "array" ? job_mode::array : job_mode::mpi;
        o.where["mode"] = option_at("--mode");
    }
    if (!cl.account.empty()) o.account = cl.account;
    if (!cl.partition.empty()) o.partition = cl.partition;
    if (!cl.time_text.empty()) o.time_s = parse_job_time(cl.time_text, option_at("--time"));
    if (!cl.mem_text.empty()) o.mem_mib = parse_job_memory(cl.mem_text, option_at("--mem"));
    for (auto [given, key, name] : {std::tuple{!cl.partition.empty(), "partition", "--partition"},
                                    {!cl.time_text.empty(), "time", "--time"}, {!cl.mem_text.empty(), "mem", "--mem"}})
        if (given) o.where[key] = option_at(name);
    // The [cluster] key each option stands for: errors found later name the option.
    for (auto [value, field, name, key, least] :
         {std::tuple{cl.cpus_per_task, &o.cpus_per_task, "--cpus-per-task", "cpus_per_task", 1},
          {cl.nodes, &o.nodes, "--nodes", "nodes", 1}, {cl.ntasks, &o.ntasks, "--ntasks", "ntasks", 2},
          {cl.array_size, &o.array_size, "--array-size", "array_size", 1},
          {cl.array_limit, &o.array_limit, "--array-limit", "array_limit", 1}}) {
        if (cl.submit->get_option(name)->count() == 0) continue;
        if (value < least)
            throw m1::input_error(option_at(name), "must be a whole number >= " + std::to_string(least));
        *field = value;
        o.where[key] = option_at(name);
    }
    return o;
}

submit_options submit_options_of(const command_line& cl, const cluster_spec& table) {
    submit_options options;
    options.missing = cl.missing;
    options.dry_run = cl.dry_run;
    options.quiet = cl.quiet;
    options.table = table;
    if (!cl.template_path.empty()) options.template_file = cl.template_path;
    options.overrides = cluster_overrides(cl);
    return options;
}

// m1batch submit of a search ([optimize]): one MPI job running the search on the board.
int submit_search_file(const command_line& cl) {
    search_spec search = load_search(cl.sweep_path);
    const cluster_spec cluster = load_cluster(search.runs);
    if (!cl.output.empty())
        search.runs.config.output = std::filesystem::absolute(cl.output).lexically_normal();
    return submit_search(search, submit_options_of(cl, cluster), std::cout, std::cerr);
}

// m1batch submit and m1batch estimate.
int submit_or_estimate(const command_line& cl) {
    if (cl.submit->parsed() && is_search_file(cl.sweep_path)) return submit_search_file(cl);
    sweep_spec sweep = load_sweep(cl.sweep_path);
    const cluster_spec cluster = load_cluster(sweep);
    if (!cl.output.empty()) sweep.config.output = std::filesystem::absolute(cl.output).lexically_normal();
    const std::vector<sweep_run> runs = expand_sweep(sweep, cl.max_runs);
    if (cl.estimate->parsed()) {
        print_estimate(sweep, runs, estimate_run(sweep, runs, cl.threads, cl.pilot_ms), std::cout);
        return exit_ok;
    }
    return submit_sweep(sweep, runs, submit_options_of(cl, cluster), std::cout, std::cerr);
}

// The threads a run uses: --threads, else M1BATCH_THREADS; the scheduler's CPUs are told apart
// (scheduler_cpus) as a batch shares them out.
struct thread_choice {
    std::size_t threads = 0;
    bool scheduler_cpus = false;
};

thread_choice choose_threads(const command_line& cl, const task_environment& task_env) {
    thread_choice c{cl.threads, false};
    c.scheduler_cpus = cl.threads_opt->count() == 0 && task_env.cpus && task_env.cpus_from != "M1BATCH_THREADS";
    if (cl.threads_opt->count() == 0 && task_env.cpus && !c.scheduler_cpus) c.threads = *task_env.cpus;
    return c;
}

// A run configuration without a [sweep] table: one run, in this process.
int run_single(const command_line& cl, const task_environment& task_env, const thread_choice& threads,
               bool mpi) {
    const bool task_env_given = task_env.index_from == "M1BATCH_TASK_INDEX" ||
                                task_env.count_from == "M1BATCH_TASK_COUNT";
    if (cl.dry_run || cl.jobs || cl.task_index_opt->count() || cl.task_count_opt->count() ||
        task_env_given || cl.retry_failed || cl.runs_opt->count())
        throw m1::input_error({cl.config_path, "", 0, 0},
                              "--dry-run, --jobs, --task-index, --task-count, --runs and "
                              "--retry-failed apply to sweeps (a [sweep] table)");
    if (mpi) {
        int size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size > 1)
            throw m1::input_error({cl.config_path, "", 0, 0},
                                  "a single run does not use MPI (every rank would run it): "
                                  "run it without mpirun, or make it a sweep");
    }
    m1::run_config config = m1::load_run_config(cl.config_path);
    if (threads.threads > 0) config.threads = threads.threads;
    else if (threads.scheduler_cpus) config.threads = *task_env.cpus;
    if (!cl.output.empty()) config.output = cl.output;
    // No handlers here: SIGINT ends a single run at once (its run.h5 is never half-written).
    const m1::run_summary summary = m1::run_instance(config, cl.quiet ? nullptr : &std::cerr);
    if (!cl.quiet) m1::print_summary(summary, std::cout);
    return exit_ok;
}

// This process's share of an array: the task index and count from the command line, else the
// scheduler's environment; both or neither, the index below the count.
struct array_task {
    bool given = false;
    std::size_t index = 0, count = 0;
    std::string index_source;
};

array_task read_array_task(const command_line& cl, const task_environment& task_env) {
    const bool task_given = cl.task_index_opt->count() || task_env.task_index;
    const bool count_given = cl.task_count_opt->count() || task_env.task_count;
    array_task t{count_given, cl.task_index, cl.task_count, ""};
    if (!cl.task_index_opt->count() && task_env.task_index) t.index = *task_env.task_index;
    if (!cl.task_count_opt->count() && task_env.task_count) t.count = *task_env.task_count;
    t.index_source = cl.task_index_opt->count() ? "--task-index" : task_env.index_from;
    const std::string count_source = cl.task_count_opt->count() ? "--task-count" : task_env.count_from;
    if (task_given != count_given)
        throw m1::input_error({cl.config_path, "", 0, 0},
                              "array-task mode needs both a task index and a task count: " +
                                  (task_given ? t.index_source + " is set, but neither --task-count nor M1BATCH_TASK_COUNT nor SLURM_ARRAY_TASK_COUNT"
                                              : count_source + " is set, but no task index (--task-index, M1BATCH_TASK_INDEX, SLURM_ARRAY_TASK_ID, PBS_ARRAY_INDEX, PBS_ARRAYID)"));
    if (count_given && (t.count == 0 || t.index >= t.count))
        throw m1::input_error({cl.config_path, "", 0, 0},
                              "the task index (" + t.index_source + " = " + std::to_string(t.index) +
                                  ") must be below the task count (" + count_source + " = " +
                                  std::to_string(t.count) + "; indices are 0-based)");
    return t;
}

batch_options batch_options_of(const command_line& cl, const task_environment& task_env,
                               const thread_choice& threads, const array_task& task, bool mpi,
                               const std::vector<sweep_run>& runs) {
    batch_options options;
    options.jobs = cl.jobs;
    options.threads = threads.threads;
    options.max_runs = cl.max_runs;
    options.retry_failed = cl.retry_failed;
    options.quiet = cl.quiet;
    if (threads.scheduler_cpus) {
        if (mpi) options.threads = *task_env.cpus;  // each rank is one scheduler task
        else options.cores = *task_env.cpus;
    }
    if (cl.runs_opt->count()) options.selected = read_run_list(cl.runs_file, runs);
    if (task.given) {
        options.task_index = task.index;
        options.task_count = task.count;
    }
    return options;
}

// A sweep: its runs here, as one array task, or as a bulletin board under mpirun.
int run_sweep(const command_line& cl, const task_environment& task_env, const thread_choice& threads,
              bool mpi) {
    sweep_spec sweep = load_sweep(cl.config_path);
    load_cluster(sweep);  // checked, and carried into OUTPUT/sweep.toml
    if (!cl.output.empty()) sweep.config.output = std::filesystem::absolute(cl.output).lexically_normal();
    const array_task task = read_array_task(cl, task_env);
    const std::vector<sweep_run> runs = expand_sweep(sweep, cl.max_runs);
    if (cl.dry_run) {
        print_runs(sweep, runs, std::cout, cl.format == "csv");
        return exit_ok;
    }
    const batch_options options = batch_options_of(cl, task_env, threads, task, mpi, runs);
    install_signal_handlers();
    if (!mpi) return run_local(sweep, runs, options, std::cerr);
    if (task.given)
        throw m1::input_error({cl.config_path, "", 0, 0},
                              "array-task mode (" + task.index_source +
                                  ") runs without mpirun (one process per task)");
    return run_bulletin_board(sweep, runs, options, std::cerr);
}

// A search ([optimize]): its generations run here by the local executor, or under mpirun with
// several ranks by the bulletin board, the search on rank 0 (README "Searches").
int run_search_file(const command_line& cl, const task_environment& task_env,
                    const thread_choice& threads, bool mpi) {
    search_spec search = load_search(cl.config_path);
    load_cluster(search.runs);  // checked, and carried into OUTPUT/optimize.toml
    if (!cl.output.empty())
        search.runs.config.output = std::filesystem::absolute(cl.output).lexically_normal();
    const array_task task = read_array_task(cl, task_env);
    if (cl.dry_run || task.given || cl.runs_opt->count())
        throw m1::input_error({cl.config_path, "", 0, 0},
                              "--dry-run, --task-index, --task-count and --runs apply to sweeps: a "
                              "search decides its runs as it goes");
    int ranks = 1;
    if (mpi) MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const batch_options options = batch_options_of(cl, task_env, threads, task, ranks > 1, {});
    install_signal_handlers();
    if (ranks > 1) return run_search_on_board(search, options, std::cerr);
    return run_search(search, options, std::cerr);
}

// An option left off the command line takes its M1BATCH_* variable, if set.
template <class T>
void from_environment(const po::variables_map& env, const CLI::Option* option, const char* name, T& value) {
    if (option->count() == 0 && env.count(name)) value = env[name].as<T>();
}

int dispatch(command_line& cl, CLI::App& app, bool mpi) {
    if (cl.status->parsed()) {
        const bool search = std::filesystem::exists(std::filesystem::path(cl.status_dir) / "optimize.toml");
        const int code = (search ? show_search_status : show_status)(cl.status_dir, cl.rebuild,
                                                                    cl.format == "csv", std::cout);
        print_jobs(cl.status_dir, cl.format == "csv", std::cout, std::cerr);
        return code;
    }
    const po::variables_map env = read_environment();
    from_environment(env, cl.max_runs_opt, "max-runs", cl.max_runs);
    if (cl.submit->parsed() || cl.estimate->parsed()) return submit_or_estimate(cl);
    if (cl.config_path.empty()) {
        std::cerr << app.help();
        return exit_bad_input;
    }
    from_environment(env, cl.jobs_opt, "jobs", cl.jobs);
    from_environment(env, cl.output_opt, "output", cl.output);
    // Task index and count, threads: the command line, else M1BATCH_*, else the scheduler's.
    const task_environment task_env = read_task_environment();
    const thread_choice threads = choose_threads(cl, task_env);
    if (is_search_file(cl.config_path)) return run_search_file(cl, task_env, threads, mpi);
    if (!is_sweep_file(cl.config_path)) return run_single(cl, task_env, threads, mpi);
    return run_sweep(cl, task_env, threads, mpi);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"m1batch: simulate the NetPyNE mouse M1 model, fast, and sweep its parameters"};
    app.set_version_flag("--version", std::string(M1_VERSION));
    command_line cl;
    add_run_options(app, cl);
    add_status(app, cl);
    add_submit(app, cl);
    add_estimate(app, cl);
    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help, --version; else bad input, as every bad option
    }

    const bool subcommand = cl.status->parsed() || cl.submit->parsed() || cl.estimate->parsed();
    const bool mpi = launched_by_mpi() && !subcommand && !cl.dry_run;
    int rank = 0;
    if (mpi) {
        int provided = 0;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    int code = exit_ok;
    try {
        code = dispatch(cl, app, mpi);
    } catch (const m1::input_error& e) {
        // Only rank 0 speaks (every rank reads the same files and would say the same thing).
        if (rank == 0) std::cerr << "error: " << e.what() << "\n";
        code = exit_bad_input;
    } catch (const std::exception& e) {
        if (rank == 0) std::cerr << "error: " << e.what() << "\n";
        code = exit_runs_failed;
    }
    if (mpi) MPI_Finalize();
    return code;
}
