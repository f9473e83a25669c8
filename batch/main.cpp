// m1batch: runs a run configuration, or a sweep (a configuration with a [sweep] table) locally, as
// an MPI bulletin board (under mpirun), or as one array task. Argument parsing and wiring only;
// the work is in core/ and batch/.
//
// Options come from the command line (CLI11) and from M1BATCH_* environment variables
// (Boost.Program_options' environment parser, mapped onto the same option names); the command
// line wins.
#include "bulletin_board.hpp"
#include "error.hpp"
#include "executor.hpp"
#include "run.hpp"
#include "sweep.hpp"

#include <CLI/CLI.hpp>
#include <boost/program_options.hpp>
#include <mpi.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>

namespace {

namespace po = boost::program_options;
using namespace m1::batch;

// Environment variables and the options they set.
const std::map<std::string, std::string>& environment_names() {
    static const std::map<std::string, std::string> names = {
        {"M1BATCH_THREADS", "threads"},       {"M1BATCH_JOBS", "jobs"},
        {"M1BATCH_TASK_INDEX", "task-index"}, {"M1BATCH_TASK_COUNT", "task-count"},
        {"M1BATCH_MAX_RUNS", "max-runs"},     {"M1BATCH_OUTPUT", "output"},
    };
    return names;
}

po::variables_map read_environment() {
    po::options_description known;
    known.add_options()("threads", po::value<std::size_t>())("jobs", po::value<std::size_t>())(
        "task-index", po::value<std::size_t>())("task-count", po::value<std::size_t>())(
        "max-runs", po::value<std::size_t>())("output", po::value<std::string>());
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
    std::string config_path, output, format = "table";
    std::size_t threads = 0, jobs = 0, max_runs = 10000, task_index = 0, task_count = 0;
    bool quiet = false, dry_run = false, retry_failed = false;
    app.add_option("config", config_path, "run configuration or sweep (TOML)");
    auto* threads_opt = app.add_option("-t,--threads", threads, "threads per run (default: automatic)");
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

    CLI::App* status = app.add_subcommand("status", "show (and --rebuild) the index of a results directory");
    std::string status_dir;
    bool rebuild = false;
    status->add_option("output", status_dir, "results directory")->required();
    status->add_flag("--rebuild", rebuild, "rewrite index.csv and index.h5 from the run files");
    status->add_option("--format", format, "table or csv")->check(CLI::IsMember({"table", "csv"}));
    app.require_subcommand(0, 1);
    CLI11_PARSE(app, argc, argv);

    const bool mpi = launched_by_mpi() && !status->parsed() && !dry_run;
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
        if (status->parsed()) return finish(show_status(status_dir, rebuild, format == "csv", std::cout));
        if (config_path.empty()) {
            std::cerr << app.help();
            return finish(exit_bad_input);
        }
        const po::variables_map env = read_environment();
        auto from_env = [&](CLI::Option* opt, const char* name, auto& value) {
            if (opt->count() == 0 && env.count(name))
                value = env[name].as<std::remove_reference_t<decltype(value)>>();
        };
        from_env(threads_opt, "threads", threads);
        from_env(jobs_opt, "jobs", jobs);
        from_env(max_runs_opt, "max-runs", max_runs);
        from_env(output_opt, "output", output);
        const bool task_given = task_index_opt->count() || env.count("task-index");
        const bool count_given = task_count_opt->count() || env.count("task-count");
        from_env(task_index_opt, "task-index", task_index);
        from_env(task_count_opt, "task-count", task_count);

        if (!is_sweep_file(config_path)) {
            if (dry_run || jobs || task_given || count_given || retry_failed)
                throw m1::input_error({config_path, "", 0, 0},
                                      "--dry-run, --jobs, --task-index, --task-count and "
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
            if (!output.empty()) config.output = output;
            // No handlers here: SIGINT ends a single run at once (its run.h5 is never half-written).
            const m1::run_summary summary = m1::run_instance(config, quiet ? nullptr : &err);
            if (!quiet) m1::print_summary(summary, std::cout);
            return finish(exit_ok);
        }

        sweep_spec sweep = load_sweep(config_path);
        if (!output.empty()) sweep.config.output = std::filesystem::absolute(output).lexically_normal();
        if (task_given != count_given)
            throw m1::input_error({config_path, "", 0, 0},
                                  "array-task mode needs both --task-index and --task-count");
        if (count_given && (task_count == 0 || task_index >= task_count))
            throw m1::input_error({config_path, "", 0, 0},
                                  "--task-index must be below --task-count (0-based)");
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
                                      "array-task mode runs without mpirun (one process per task)");
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
