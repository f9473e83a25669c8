#pragma once
// The bookkeeping of a batch of runs, whichever executor runs them (the local one, an array task,
// the MPI bulletin board): the index rows, the runs to do and which one is next, the counts, the
// progress lines, the index written every few seconds and at the end, the final summary and the
// exit code. The executors keep only how runs are run: the local one its threads, the board its
// MPI protocol. Thread-safe: the local executor's workers take and record runs concurrently.
//
// A batch is any list of runs of one results directory (a sweep file's, or a generation of
// candidates of a search): `runs` are its runs and `param_paths` the columns of its index. The
// runs, the directory and the stream must outlive the ledger.
#include "batch/executor.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace m1::batch {

// The index's parameter columns of a sweep: its swept paths.
std::vector<std::string> param_paths(const sweep_spec& sweep);

// The runs that still need running: not done, and not failed unless retry_failed or the failure
// was the results directory's (index_row::directory_fault).
std::vector<std::size_t> pending_runs(const std::vector<index_row>& rows, bool retry_failed);

// The runs this batch or task runs: pending_runs, only those in options.selected, and of them the
// task's share in array-task mode.
std::vector<std::size_t> runs_to_do(const std::vector<index_row>& rows, const batch_options& options);

// The index rows of all runs of the sweep as the directory has them now.
std::vector<index_row> read_rows(const std::vector<sweep_run>& runs, const results_directory& dir);
// One of them: the directory's state of the run with its swept values and seeds.
index_row read_row(const sweep_run& run, const results_directory& dir);

// Who keeps the ledger; it decides what the index is written from and how progress is printed.
enum class ledger_mode {
    local,       // this process runs every run of the batch (README "Executors")
    array_task,  // one task of several sharing the directory: the index from the directory's files
    board,       // the MPI board: a line per finished run, which a worker rank reports
};

class ledger {
public:
    ledger(std::string name, std::vector<std::string> param_paths,
           const std::vector<sweep_run>& runs, const results_directory& dir,
           const batch_options& options, ledger_mode mode, std::ostream& out);
    // A sweep's batch: named after it, its swept parameters as the index's columns.
    ledger(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
           const results_directory& dir, const batch_options& options, ledger_mode mode,
           std::ostream& out);

    // The runs this batch runs (runs_to_do), in order; and what the directory had done before.
    const std::vector<std::size_t>& todo() const noexcept { return todo_; }
    std::size_t already_done() const noexcept { return already_done_; }
    std::size_t already_failed() const noexcept { return already_failed_; }  // not retried

    // The first lines: "NAME: N runs[, task i of n]; D done[, F failed ...]; T to run" then `how`,
    // then "results: DIR". Starts the clock of the ETA and of the periodic index.
    void print_start(std::string_view how);

    // The next run to run (an index into runs), marked running; none when every run has been
    // handed out, a signal stopped the batch or the directory failed it.
    std::optional<std::size_t> take();
    // What became of a run taken: its row (read back from the directory when another worker had
    // it), the counts, and its line (`where`: the board's "rank R").
    void record(std::size_t k, const run_outcome& outcome, std::string_view where = {});

    // Local progress: waits up to `timeout` for a run to end, then prints the progress line when
    // due (rewritten on a terminal; on a log, when a run has ended) and writes the index when due.
    // False once every run has been handed out and none runs.
    bool follow(std::chrono::milliseconds timeout);
    // The index when it is due (every 2 s; an array task every 30 s). Called by one thread only:
    // the one that follows (local) or the board's.
    void write_index_when_due();

    // The last index, the summary and the exit code (README "Exit codes").
    int finish();

private:
    using clock = std::chrono::steady_clock;
    struct reuse_counts {
        std::size_t reused = 0, fresh = 0;
        double reused_build_s = 0, fresh_build_s = 0;
    };

    void count(const run_outcome& o);
    void print_run_line(std::size_t k, std::string_view where) const;
    void print_progress();
    std::string counts_text() const;
    void write_index(std::string_view before_warning);
    std::vector<index_row> final_rows() const;
    void print_summary(const std::vector<index_row>& rows);
    void print_reuse();
    int exit_code(const std::vector<index_row>& rows) const;
    bool stopping() const;
    double elapsed_s() const;

    std::string name_;
    std::vector<std::string> param_paths_;
    const std::vector<sweep_run>& runs_;
    const results_directory& dir_;
    batch_options options_;
    ledger_mode mode_;
    std::ostream& out_;
    bool terminal_;  // the progress line is rewritten in place

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<index_row> rows_;
    std::vector<std::size_t> todo_;
    std::size_t already_done_ = 0, already_failed_ = 0;
    std::size_t next_ = 0, finished_ = 0, failed_ = 0, interrupted_ = 0, running_ = 0;
    std::size_t printed_finished_ = std::size_t(-1);
    std::size_t changes_ = 0, seen_changes_ = 0;  // runs recorded; as follow last saw them
    reuse_counts reuse_;
    clock::time_point start_ = clock::now(), last_print_ = start_ - std::chrono::hours(1),
                      last_index_ = start_;
};

}  // namespace m1::batch
