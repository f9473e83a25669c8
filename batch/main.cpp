// m1batch: runs a run configuration, or a sweep (a configuration with a [sweep] table) locally, as
// an MPI bulletin board (under mpirun), or as one array task. Argument parsing and wiring only;
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
// scheduler's variables: cluster.hpp read_task_environment).
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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"m1batch: simulate the NetPyNE mouse M1 model, fast, and sweep its parameters"};
    app.set_version_flag("--version", std::string(M1_VERSION));
    std::string config_path, output, format = "table", runs_file;
    std::size_t threads = 0, jobs = 0, max_runs = 10000, task_index = 0, task_count = 0;
    bool quiet = false, dry_run = false, retry_failed = false;
    app.add_option("config", config_path, "run configuration or sweep (TOML)");
    auto* threads_opt = app.add_option("-t,--threads", threads, "threads per run (default: automatic, or the CPUs a scheduler granted)");
    auto* jobs_opt = app.add_option("-j,--jobs", jobs, "sweeps: runs at once in this process (default: automatic)");
    auto* output_opt = app.add_option("-o,--output", output, "output directory (overrides the configuration's)");
    app.add_flag("-q,--quiet", quiet, "print only errors");
    app.add_flag("--dry-run", dry_run, "sweeps: print the runs and exit");
    app.add_option("--format", format, "--dry-run and status: table or csv")
        ->check(CLI::IsMember({"table", "csv"}));
    auto* max_runs_opt = app.add_option("--max-runs", max_runs, "refuse sweeps of more runs (default 10000)");
    app.add_flag("--retry-failed", retry_failed, "sweeps: rerun the runs that failed");
    auto* task_index_opt = app.add_option("--task-index", task_index, "array-task mode: this task's index (0-based)");
    auto* task_count_opt = app.add_option("--task-count", task_count, "array-task mode: the number of tasks");
    auto* runs_opt = app.add_option("--runs", runs_file, "sweeps: only the runs listed in this file (one id per line)");

    CLI::App* status = app.add_subcommand("status", "show (and --rebuild) the index of a results directory");
    std::string status_dir;
    bool rebuild = false;
    status->add_option("output", status_dir, "results directory")->required();
    status->add_flag("--rebuild", rebuild, "rewrite index.csv and index.h5 from the run files");
    status->add_option("--format", format, "table or csv")->check(CLI::IsMember({"table", "csv"}));

    // submit: the [cluster] table's keys as options (they win over the table).
    CLI::App* submit = app.add_subcommand("submit", "submit a sweep to SLURM or PBS (README \"Running on a cluster\")");
    std::string sweep_path, scheduler, mode, account, partition, time_text, mem_text, template_path;
    std::int64_t cpus_per_task = 0, nodes = 0, ntasks = 0, array_size = 0, array_limit = 0;
    bool missing = false;
    submit->add_option("sweep", sweep_path, "sweep file (TOML), or a results directory's sweep.toml")->required();
    submit->add_option("-o,--output", output, "results directory (overrides the sweep's)");
    submit->add_option("--scheduler", scheduler, "slurm or pbs (default: [cluster] scheduler, else sbatch or qsub, whichever is here)")
        ->check(CLI::IsMember({"slurm", "pbs"}));
    submit->add_option("--mode", mode, "array (a share of the sweep per task) or mpi (the bulletin board)")
        ->check(CLI::IsMember({"array", "mpi"}));
    submit->add_flag("--missing", missing, "only the runs that are missing, interrupted or failed");
    submit->add_flag("--dry-run", dry_run, "write the job script, do not submit it");
    submit->add_option("--template", template_path, "a job script template of your own (jobs/*.sh.in)");
    submit->add_option("--account", account, "account (SLURM -A, PBS -A)");
    submit->add_option("--partition,--queue", partition, "partition (SLURM) or queue (PBS)");
    submit->add_option("--time", time_text, "time per task: [D-]HH:MM:SS, MM:SS or minutes (default: estimated)");
    submit->add_option("--mem", mem_text, "memory per task (mpi: per rank): 4G, 1500M (default: estimated)");
    submit->add_option("--cpus-per-task", cpus_per_task, "CPUs, and threads, per run (default 4, or the largest node's CPUs if fewer)");
    submit->add_option("--nodes", nodes, "mpi: nodes");
    submit->add_option("--ntasks", ntasks, "mpi: ranks (rank 0 hands out runs)");
    submit->add_option("--array-size", array_size, "array: tasks (default: one per run, at most 1000)");
    submit->add_option("--array-limit", array_limit, "array: at most this many tasks at once");
    submit->add_option("--max-runs", max_runs, "refuse sweeps of more runs (default 10000)");
    submit->add_flag("-q,--quiet", quiet, "print only errors");

    CLI::App* estimate = app.add_subcommand("estimate", "expected time and memory per run of a sweep (a short pilot)");
    double pilot_ms = 200;
    estimate->add_option("sweep", sweep_path, "sweep file (TOML)")->required();
    estimate->add_option("-t,--threads", threads, "threads of the pilot (default: all cores)");
    estimate->add_option("--pilot-ms", pilot_ms, "model time the pilot simulates (default 200 ms)")
        ->check(CLI::PositiveNumber);
    estimate->add_option("--max-runs", max_runs, "refuse sweeps of more runs (default 10000)");
    app.require_subcommand(0, 1);
    CLI11_PARSE(app, argc, argv);

    const bool subcommand = status->parsed() || submit->parsed() || estimate->parsed();
    const bool mpi = launched_by_mpi() && !subcommand && !dry_run;
    int rank = 0;
    if (mpi) {
        int provided = 0;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    // Only rank 0 speaks (every rank reads the same files and would say the same thing).
    auto finish = [&](int code) {
        if (mpi) MPI_Finalize();
        return code;
    };
    std::ostream& err = std::cerr;

    try {
        if (status->parsed()) {
            const int code = show_status(status_dir, rebuild, format == "csv", std::cout);
            print_jobs(status_dir, format == "csv", std::cout, std::cerr);
            return finish(code);
        }
        const po::variables_map env = read_environment();
        auto from_env = [&](CLI::Option* opt, const char* name, auto& value) {
            if (opt->count() == 0 && env.count(name))
                value = env[name].as<std::remove_reference_t<decltype(value)>>();
        };
        from_env(max_runs_opt, "max-runs", max_runs);
        if (submit->parsed() || estimate->parsed()) {
            sweep_spec sweep = load_sweep(sweep_path);
            if (!output.empty()) sweep.config.output = std::filesystem::absolute(output).lexically_normal();
            const std::vector<sweep_run> runs = expand_sweep(sweep, max_runs);
            if (estimate->parsed()) {
                print_estimate(sweep, runs, estimate_run(sweep, runs, threads, pilot_ms), std::cout);
                return finish(exit_ok);
            }
            submit_options options;
            options.missing = missing;
            options.dry_run = dry_run;
            options.quiet = quiet;
            if (!template_path.empty()) options.template_file = template_path;
            cluster_spec& o = options.overrides;
            auto at = [](const char* option) { return m1::source_location{"command line", option, 0, 0}; };
            if (!scheduler.empty()) o.scheduler = scheduler == "slurm" ? scheduler_kind::slurm : scheduler_kind::pbs;
            if (!mode.empty()) o.mode = mode == "array" ? job_mode::array : job_mode::mpi;
            if (!account.empty()) o.account = account;
            if (!partition.empty()) o.partition = partition;
            if (!time_text.empty()) o.time_s = parse_job_time(time_text, at("--time"));
            if (!mem_text.empty()) o.mem_mib = parse_job_memory(mem_text, at("--mem"));
            // A refusal found later (the partition's limits) names the option.
            for (auto [given, key, name] : {std::tuple{!partition.empty(), "partition", "--partition"},
                                            {!time_text.empty(), "time", "--time"}, {!mem_text.empty(), "mem", "--mem"}})
                if (given) o.where[key] = at(name);
            // The [cluster] key each option stands for: errors found later name the option.
            for (auto [value, field, name, key, least] :
                 {std::tuple{cpus_per_task, &o.cpus_per_task, "--cpus-per-task", "cpus_per_task", 1},
                  {nodes, &o.nodes, "--nodes", "nodes", 1}, {ntasks, &o.ntasks, "--ntasks", "ntasks", 2},
                  {array_size, &o.array_size, "--array-size", "array_size", 1},
                  {array_limit, &o.array_limit, "--array-limit", "array_limit", 1}}) {
                if (submit->get_option(name)->count() == 0) continue;
                if (value < least)
                    throw m1::input_error(at(name), "must be a whole number >= " + std::to_string(least));
                *field = value;
                o.where[key] = at(name);
            }
            return finish(submit_sweep(sweep, runs, options, std::cout, err));
        }
        if (config_path.empty()) {
            std::cerr << app.help();
            return finish(exit_bad_input);
        }
        from_env(jobs_opt, "jobs", jobs);
        from_env(output_opt, "output", output);
        // Task index and count, threads: the command line, else M1BATCH_*, else the scheduler's.
        const task_environment task_env = read_task_environment();
        const bool from_scheduler_cpus = threads_opt->count() == 0 && task_env.cpus &&
                                         task_env.cpus_from != "M1BATCH_THREADS";
        if (threads_opt->count() == 0 && task_env.cpus && !from_scheduler_cpus) threads = *task_env.cpus;

        if (!is_sweep_file(config_path)) {
            const bool task_env_given = task_env.index_from == "M1BATCH_TASK_INDEX" ||
                                        task_env.count_from == "M1BATCH_TASK_COUNT";
            if (dry_run || jobs || task_index_opt->count() || task_count_opt->count() ||
                task_env_given || retry_failed || runs_opt->count())
                throw m1::input_error({config_path, "", 0, 0},
                                      "--dry-run, --jobs, --task-index, --task-count, --runs and "
                                      "--retry-failed apply to sweeps (a [sweep] table)");
            if (mpi) {
                int size = 1;
                MPI_Comm_size(MPI_COMM_WORLD, &size);
                if (size > 1)
                    throw m1::input_error({config_path, "", 0, 0},
                                          "a single run does not use MPI (every rank would run it): "
                                          "run it without mpirun, or make it a sweep");
            }
            m1::run_config config = m1::load_run_config(config_path);
            if (threads > 0) config.threads = threads;
            else if (from_scheduler_cpus) config.threads = *task_env.cpus;
            if (!output.empty()) config.output = output;
            // No handlers here: SIGINT ends a single run at once (its run.h5 is never half-written).
            const m1::run_summary summary = m1::run_instance(config, quiet ? nullptr : &err);
            if (!quiet) m1::print_summary(summary, std::cout);
            return finish(exit_ok);
        }

        sweep_spec sweep = load_sweep(config_path);
        if (!output.empty()) sweep.config.output = std::filesystem::absolute(output).lexically_normal();
        const bool task_given = task_index_opt->count() || task_env.task_index;
        const bool count_given = task_count_opt->count() || task_env.task_count;
        if (!task_index_opt->count() && task_env.task_index) task_index = *task_env.task_index;
        if (!task_count_opt->count() && task_env.task_count) task_count = *task_env.task_count;
        const std::string index_source = task_index_opt->count() ? "--task-index" : task_env.index_from;
        const std::string count_source = task_count_opt->count() ? "--task-count" : task_env.count_from;
        if (task_given != count_given)
            throw m1::input_error({config_path, "", 0, 0},
                                  "array-task mode needs both a task index and a task count: " +
                                      (task_given ? index_source + " is set, but neither --task-count nor M1BATCH_TASK_COUNT nor SLURM_ARRAY_TASK_COUNT"
                                                  : count_source + " is set, but no task index (--task-index, M1BATCH_TASK_INDEX, SLURM_ARRAY_TASK_ID, PBS_ARRAY_INDEX, PBS_ARRAYID)"));
        if (count_given && (task_count == 0 || task_index >= task_count))
            throw m1::input_error({config_path, "", 0, 0},
                                  "the task index (" + index_source + " = " + std::to_string(task_index) +
                                      ") must be below the task count (" + count_source + " = " +
                                      std::to_string(task_count) + "; indices are 0-based)");
        const std::vector<sweep_run> runs = expand_sweep(sweep, max_runs);
        if (dry_run) {
            print_runs(sweep, runs, std::cout, format == "csv");
            return finish(exit_ok);
        }
        batch_options options;
        options.jobs = jobs;
        options.threads = threads;
        options.max_runs = max_runs;
        options.retry_failed = retry_failed;
        options.quiet = quiet;
        if (from_scheduler_cpus) {
            if (mpi) options.threads = *task_env.cpus;  // each rank is one scheduler task
            else options.cores = *task_env.cpus;
        }
        if (runs_opt->count()) options.selected = read_run_list(runs_file, runs);
        if (count_given) {
            options.task_index = task_index;
            options.task_count = task_count;
        }
        install_signal_handlers();
        if (mpi) {
            int size = 1;
            MPI_Comm_size(MPI_COMM_WORLD, &size);
            if (count_given)
                throw m1::input_error({config_path, "", 0, 0},
                                      "array-task mode (" + index_source +
                                          ") runs without mpirun (one process per task)");
            return finish(run_bulletin_board(sweep, runs, options, err));
        }
        return finish(run_local(sweep, runs, options, err));
    } catch (const m1::input_error& e) {
        if (rank == 0) err << "error: " << e.what() << "\n";
        return finish(exit_bad_input);
    } catch (const std::exception& e) {
        if (rank == 0) err << "error: " << e.what() << "\n";
        return finish(exit_runs_failed);
    }
}
