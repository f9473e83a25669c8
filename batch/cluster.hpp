#pragma once
// Cluster jobs (README "Running on a cluster"): the sweep file's [cluster] table, the job scripts
// rendered from the templates in jobs/ and their submission with sbatch or qsub (the scheduler's
// environment as a task sees it: scheduler_environment.hpp).
//
//   [cluster]
//   scheduler = "slurm"          # slurm | pbs (default: whichever of sbatch, qsub is installed)
//   mode = "array"               # array: one share of the sweep per array task; mpi: one MPI job
//                                # running the bulletin board
//   account = "proj123"
//   partition = "compute"        # PBS: queue (either name)
//   time = "2:00:00"             # per task: [D-]HH:MM:SS, MM:SS, or whole minutes (default: estimate)
//   mem = "4G"                   # per task (mpi: per rank), K/M/G/T or MiB (default: estimate)
//   cpus_per_task = 4            # threads per run
//   nodes = 2                    # mpi
//   ntasks = 17                  # mpi: ranks (rank 0 hands out runs, the others run them)
//   array_size = 10              # array: tasks (default: one per run, at most 1000)
//   array_limit = 4              # array: at most this many tasks at once (SLURM's %k)
//   pbs_variant = "openpbs"      # openpbs (PBS Professional, qsub -J) | torque (qsub -t)
//   setup = ["module load openmpi"]   # shell lines run before m1batch
//   extra = ["--qos=long"]       # directives, verbatim ("#SBATCH"/"#PBS" added when missing)
#include "batch/sweep_file.hpp"
#include "core/base/error.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

enum class scheduler_kind { slurm, pbs };
enum class job_mode { array, mpi };
enum class pbs_variant { openpbs, torque };

std::string_view to_string(scheduler_kind s);  // "slurm", "pbs"
std::string_view to_string(job_mode m);        // "array", "mpi"

// The [cluster] table, or the command line's overrides of it: every field optional; where[key] is
// where a key was written (for errors found once the runs are known, e.g. array_size).
struct cluster_spec {
    std::optional<scheduler_kind> scheduler;
    std::optional<job_mode> mode;
    std::optional<std::string> account, partition;
    std::optional<std::int64_t> time_s, mem_mib;
    std::optional<std::int64_t> cpus_per_task, nodes, ntasks, array_size, array_limit;
    std::optional<pbs_variant> variant;
    std::vector<std::string> setup, extra;
    std::map<std::string, source_location> where;

    // The keys `other` sets replace this one's (base file <- sweep file <- command line).
    void override_with(const cluster_spec& other);
};

// Reads a [cluster] table (`table` is the table itself; `file` names it in errors). Unknown keys,
// wrong types, zero or negative numbers and malformed times or sizes are an input_error naming the
// file, the key (cluster.<key>) and the line.
cluster_spec read_cluster_table(const toml::table& table, const std::filesystem::path& file);
// The [cluster] table a spec came from, for the self-contained OUTPUT/sweep.toml.
toml::table cluster_table(const cluster_spec& spec);
// The sweep's [cluster] tables read and merged (base files first, each overriding the keys it
// sets); the merged table goes into the sweep's self-contained copy (OUTPUT/sweep.toml).
cluster_spec load_cluster(sweep_spec& sweep);

// "2:00:00", "1-12:00:00", "30:00" (MM:SS), "90" or 90 (minutes, as sbatch reads them): seconds.
// Throws input_error at `where` when malformed or not positive.
std::int64_t parse_job_time(const std::string& text, const source_location& where);
// "4G", "1500M", "512MB", "2gb" or a plain number (MiB): MiB, rounded up. Throws input_error.
std::int64_t parse_job_memory(const std::string& text, const source_location& where);
// SLURM's and PBS's forms: "D-HH:MM:SS" (days only when needed), "HH:MM:SS".
std::string slurm_time(std::int64_t seconds);
std::string pbs_time(std::int64_t seconds);

// A template: `{{name}}` placeholders; a line holding a placeholder whose value is empty is left
// out (an optional directive); a multi-line value is inserted as it is. A placeholder not in
// `values` is an input_error naming the template and the line.
std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& template_name);
// The template of jobs/<scheduler>_<mode>.sh.in as built into m1batch.
const std::string& built_in_template(scheduler_kind scheduler, job_mode mode);
std::string template_file_name(scheduler_kind scheduler, job_mode mode);  // "slurm_array.sh.in"

// A job to submit: everything the templates take.
struct job_request {
    scheduler_kind scheduler = scheduler_kind::slurm;
    job_mode mode = job_mode::array;
    pbs_variant variant = pbs_variant::openpbs;
    std::string job_name;
    std::string account, partition;
    std::int64_t time_s = 0, mem_mib = 0;  // per task (array) or per rank (mpi)
    std::int64_t cpus_per_task = 1, nodes = 0, ntasks = 0, array_size = 1, array_limit = 0;
    std::vector<std::string> setup, extra;
    std::filesystem::path m1batch;      // the program the job runs
    std::filesystem::path sweep_file;   // OUTPUT/sweep.toml
    std::filesystem::path run_list;     // --missing: the runs to do (empty: the whole sweep)
    bool retry_failed = false;          // the run list holds failed runs: rerun them
    std::filesystem::path log_directory;
    std::size_t runs = 0;               // runs the job covers
};

// The values the templates' placeholders take for `job`.
std::map<std::string, std::string> template_values(const job_request& job);
// The job script: built_in_template rendered.
std::string render_job_script(const job_request& job);

// Runs a program (argv[0] looked up in PATH) and collects its exit status and output.
struct command_result {
    int status = -1;  // exit status; 128 + signal when killed; -1 when it could not be started
    std::string out, err;
};
command_result run_command(const std::vector<std::string>& argv);

// The job id in sbatch --parsable's or qsub's answer ("1234", "1234;cluster", "1234.server",
// "1234[].server"); empty when there is none.
std::string parse_job_id(scheduler_kind scheduler, const std::string& answer);

// Whether the scheduler still holds tasks of job `job_id` that are queued or running (squeue for
// SLURM, qstat for PBS). False when it does not, and when it cannot tell (no such command, a job
// long forgotten).
bool job_active(scheduler_kind scheduler, const std::string& job_id);

// Which scheduler this machine submits to: sbatch or qsub in PATH (sbatch first); nullopt: neither.
std::optional<scheduler_kind> detect_scheduler();

}  // namespace m1::batch
