#pragma once
// Running the runs of a sweep: one run (run_one), and the executors that hand runs out: local
// (several runs at once in this process), the MPI bulletin board (bulletin_board.hpp), and array
// tasks (one share of the sweep per scheduler task). Whatever runs a run, its run file is the
// same bit for bit: the executor only chooses where and when. What the batch has done, shows and
// returns is kept by its ledger (ledger.hpp).
#include "analysis/run_analysis.hpp"
#include "batch/results.hpp"
#include "batch/sweep.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

// Exit codes of m1batch (README "Exit codes").
enum exit_code : int {
    exit_ok = 0,           // every run of the batch (or task) is done
    exit_runs_failed = 1,  // some run failed (the others ran); or an unexpected error
    exit_bad_input = 2,    // the sweep, run configuration or model is invalid: nothing ran
    exit_interrupted = 3,  // SIGINT or SIGTERM: current runs marked interrupted, rerun to resume
    exit_busy = 4,         // another batch holds the output directory
};

struct batch_options {
    std::size_t jobs = 0;     // runs at once in this process; 0: automatic
    std::size_t threads = 0;  // threads per run; 0: automatic
    std::size_t max_runs = 10000;
    bool retry_failed = false;  // rerun failed runs (otherwise they stay failed)
    std::optional<std::size_t> task_index, task_count;  // array-task mode
    // Only these runs (indices into the sweep's runs, in this order; --runs FILE). Array tasks
    // share them by position: task i takes the runs at positions i, i + count, ...
    std::optional<std::vector<std::size_t>> selected;
    // The CPUs this process may use (a scheduler's grant); 0: the machine's cores. With a grant
    // and neither jobs nor threads given, one run at a time uses them all.
    std::size_t cores = 0;
    bool quiet = false;
    std::chrono::seconds claim_stale_after{600};
};

// The measures a sweep's `analysis` asks for after each run, with m1analyze's default parameters.
analysis::analysis_params analysis_params_of(const sweep_spec& sweep);

// Set by SIGINT/SIGTERM (main.cpp installs the handlers): runs stop at the next epoch and are
// marked interrupted; no new run starts.
std::atomic<bool>& stop_requested();

// Runs one run of the sweep into its run directory: claims it, writes log.txt, runs it with
// `threads` threads (timeout_s and stop_requested() honoured), writes run.h5, records a failure
// or interruption in status.json, releases the claim. Never throws for a failure of the run.
run_outcome run_one(const sweep_spec& sweep, const sweep_run& run, const results_directory& dir,
                    std::size_t threads, network_cache* networks);

// How many runs at once and how many threads each, for `pending` runs of a model with `cells`
// cells on `cores` cores with `memory_mib` available (README "Executors").
struct job_split {
    std::size_t jobs = 1, threads = 1;
};
job_split automatic_split(std::size_t pending, std::size_t cells, std::size_t cores,
                          double memory_mib);
// Runs at once and threads each for the runs `todo` of `runs` under `options`.
job_split choose_split(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                       const std::vector<std::size_t>& todo, const batch_options& options);
// How the runs run, after "T to run": ", J at a time with T threads each (automatic)".
std::string split_text(const job_split& split, const batch_options& options);

class ledger;
// The local executor's pool: split.jobs threads take runs from `book` until none is left, sharing
// `networks` (a network is reused when only weights change); this thread follows their progress.
void run_pool(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
              const results_directory& dir, const job_split& split, ledger& book,
              network_cache& networks);

// Takes the results directory for a batch (the exclusive lock, then clean-up and the copies of
// the sources) or for an array task (the shared lock; the copies only if missing), and reports run
// directories of none of `runs` (of an earlier model or sweep; not done for a search, whose runs
// are not known in advance: `runs` empty). Returns exit_ok, or the exit code after printing why not.
int take_directory(const sweep_spec& sweep, const std::vector<sweep_run>& runs, bool exclusive,
                   bool quiet, std::ostream& out, results_directory::lock& lock);

// The one line a batch ends with when its results directory failed it (the first fault, the runs
// not started, what to do); returns exit_runs_failed.
int report_directory_fault(const results_directory& dir, std::size_t not_started, std::ostream& out);

// The local executor (and array-task mode when options.task_index is set). Returns the exit code.
int run_local(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
              const batch_options& options, std::ostream& out);

// `m1batch status OUTPUT`: counts and the table of runs from the run files; `rebuild` rewrites
// index.csv and index.h5 from them. Returns the exit code (0 when every run is done, 1 otherwise).
int show_status(const std::filesystem::path& output, bool rebuild, bool csv, std::ostream& out);
// The same for the runs `runs` of a batch read as `sweep` (a search's: search.hpp).
int show_status_of(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                   const std::filesystem::path& output, bool rebuild, bool csv, std::ostream& out);

}  // namespace m1::batch
