#pragma once
// m1batch submit: a sweep, or a search, as a cluster job (README "Running on a cluster"). Renders
// the job script from the templates in jobs/ with the [cluster] table and the command line's
// overrides, writes it into OUTPUT/jobs/, submits it with sbatch or qsub (unless dry_run) and
// records the job in OUTPUT/jobs/submissions.csv:
//
//   OUTPUT/jobs/NNN-<scheduler>-<mode>.sh   the rendered script (submit it by hand if you like)
//   OUTPUT/jobs/NNN.runs                    --missing: the runs the job covers, one id per line
//   OUTPUT/jobs/logs/                       the tasks' standard output and error
//   OUTPUT/jobs/submissions.csv             submitted_at, scheduler, mode, job_id, tasks, runs, script
#include "batch/cluster.hpp"
#include "batch/optimize_file.hpp"
#include "batch/sweep.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

struct submit_options {
    cluster_spec table;       // the sweep's [cluster] table (load_cluster)
    cluster_spec overrides;   // the command line's; they win over the [cluster] table
    bool missing = false;     // only the runs that are missing, interrupted or failed
    bool dry_run = false;     // write the script, do not submit it
    std::optional<std::filesystem::path> template_file;  // instead of the built-in template
    bool quiet = false;
};

// Returns the exit code (README "Exit codes"): 0 submitted (or nothing to submit, or dry run),
// 1 the scheduler refused the job, 2 the [cluster] settings are wrong (input_error thrown before
// anything is written or submitted), 4 a batch holds the results directory, or a job submitted
// for it earlier is still queued or running (squeue, qstat).
int submit_sweep(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                 const submit_options& options, std::ostream& out, std::ostream& err);

// A search (search.hpp) as one MPI job running `mpirun m1batch OUTPUT/optimize.toml` (written
// here, as the search itself writes it): the search on rank 0, each generation's runs handed out by
// the board. Not as an array (refused, exit 2): array tasks share out runs known in advance, and a
// search's are not. Its size is sized on a generation (population x replicates), its time on the
// whole budget, its estimate on the box's corners; a search whose state has every generation has
// nothing to submit. Exit codes as submit_sweep's; --missing is refused (the job resumes the search).
int submit_search(const search_spec& search, const submit_options& options, std::ostream& out,
                  std::ostream& err);

// A run list (--runs FILE): one run id per line; blank lines and lines starting with '#' are
// skipped. Returns the indices into `runs` in the file's order; an id that is no run of the sweep,
// or one listed twice, is an input_error naming the file and the line.
std::vector<std::size_t> read_run_list(const std::filesystem::path& file,
                                       const std::vector<sweep_run>& runs);

// A job submitted for a results directory: a row of OUTPUT/jobs/submissions.csv.
struct submission {
    std::string submitted_at, scheduler, mode, job_id, tasks, runs, script;
};
// The jobs submitted for a results directory, oldest first (none when there is no record).
std::vector<submission> read_submissions(const std::filesystem::path& output);
// "slurm job 12 (array, 3 tasks, 6 runs), submitted 2026-11-26T04:32:54Z", for m1batch status.
std::string describe(const submission& job);
// m1batch status: each job submitted for `output` (unless csv) and, for the ones the scheduler still
// holds, their tasks' states and pending reasons (squeue, qstat -f); on `err`, a warning for tasks
// waiting for something that does not come by itself (PartitionConfig, PartitionTimeLimit,
// ReqNodeNotAvail, a hold, ...), naming what ends the wait and the cancel command.
void print_jobs(const std::filesystem::path& output, bool csv, std::ostream& out, std::ostream& err);

}  // namespace m1::batch
