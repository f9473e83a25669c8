#include "batch/ledger.hpp"

#include "core/io/posix_file.hpp"

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace m1::batch {

std::vector<std::size_t> pending_runs(const std::vector<index_row>& rows, bool retry_failed) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const run_state s = rows[i].state;
        if (s == run_state::done) continue;
        if (s == run_state::failed && !retry_failed && !rows[i].directory_fault) continue;
        out.push_back(i);
    }
    return out;
}

index_row read_row(const sweep_run& run, const results_directory& dir) {
    index_row row = dir.read_state(run.id);
    row.id = run.id;
    row.values.clear();
    for (const auto& v : run.values) row.values.push_back(format_value(v));
    row.seed = format_seeds(run.seeds);
    return row;
}

std::vector<index_row> read_rows(const std::vector<sweep_run>& runs, const results_directory& dir) {
    std::vector<index_row> rows;
    rows.reserve(runs.size());
    for (const sweep_run& run : runs) rows.push_back(read_row(run, dir));
    return rows;
}

std::vector<std::size_t> runs_to_do(const std::vector<index_row>& rows, const batch_options& options) {
    std::vector<std::size_t> todo = pending_runs(rows, options.retry_failed);
    const bool array_task = options.task_index.has_value();
    if (!options.selected && !array_task) return todo;
    // A run's position among the runs this batch covers (all of them, or the --runs list).
    std::vector<std::size_t> position(rows.size(), rows.size());
    if (options.selected) {
        for (std::size_t p = 0; p < options.selected->size(); ++p) position[(*options.selected)[p]] = p;
    } else {
        for (std::size_t i = 0; i < rows.size(); ++i) position[i] = i;
    }
    // The i-th share: every count-th run, so long and short runs spread over the tasks. The share
    // depends on the list, not on what is done, so tasks starting at different times agree.
    std::vector<std::size_t> share;
    for (std::size_t i : todo)
        if (position[i] < rows.size() &&
            (!array_task || position[i] % *options.task_count == *options.task_index))
            share.push_back(i);
    return share;
}

namespace {

using namespace std::chrono_literals;

std::string seconds_text(double s) {
    std::ostringstream o;
    if (s < 60) o << std::fixed << std::setprecision(1) << s << " s";
    else if (s < 3600) o << int(s / 60) << " min " << int(std::fmod(s, 60)) << " s";
    else o << int(s / 3600) << " h " << int(std::fmod(s, 3600) / 60) << " min";
    return o.str();
}

// An flock held for the duration of a scope (the index of array tasks, which write it in turn);
// the kernel releases it when the descriptor closes.
class file_lock {
public:
    explicit file_lock(const std::filesystem::path& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666)) {
        if (fd_.get() >= 0) ::flock(fd_.get(), LOCK_EX);
    }

private:
    fd_handle fd_;
};

}  // namespace

std::vector<std::string> param_paths(const sweep_spec& sweep) {
    std::vector<std::string> out;
    for (const auto& p : sweep.params) out.push_back(p.path);
    return out;
}

ledger::ledger(std::string name, std::vector<std::string> param_paths,
               const std::vector<sweep_run>& runs, const results_directory& dir,
               const batch_options& options, ledger_mode mode, std::ostream& out)
    : name_(std::move(name)), param_paths_(std::move(param_paths)), runs_(runs), dir_(dir),
      options_(options), mode_(mode), out_(out),
      terminal_(mode != ledger_mode::board && ::isatty(STDERR_FILENO) && &out == &std::cerr),
      rows_(read_rows(runs, dir)), todo_(runs_to_do(rows_, options)) {
    for (const auto& r : rows_) {
        already_done_ += r.state == run_state::done;
        already_failed_ += r.state == run_state::failed && !options.retry_failed;
    }
}

ledger::ledger(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
               const results_directory& dir, const batch_options& options, ledger_mode mode,
               std::ostream& out)
    : ledger(sweep.name, param_paths(sweep), runs, dir, options, mode, out) {}

void ledger::print_start(std::string_view how) {
    if (!options_.quiet) {
        out_ << name_ << ": " << runs_.size() << " runs";
        if (mode_ == ledger_mode::array_task)
            out_ << ", task " << *options_.task_index << " of " << *options_.task_count;
        out_ << "; " << already_done_ << " done";
        if (already_failed_ && mode_ != ledger_mode::board)
            out_ << ", " << already_failed_ << " failed (--retry-failed reruns them)";
        out_ << "; " << todo_.size() << " to run" << how << "\n"
             << "results: " << dir_.root().string() << "\n"
             << std::flush;
    }
    start_ = last_index_ = clock::now();
}

bool ledger::stopping() const { return stop_requested() || dir_.faulted(); }

double ledger::elapsed_s() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
}

std::optional<std::size_t> ledger::take() {
    std::lock_guard<std::mutex> g(mutex_);
    if (next_ >= todo_.size() || stopping()) return std::nullopt;
    const std::size_t k = todo_[next_++];
    ++running_;
    rows_[k].state = run_state::running;
    return k;
}

void ledger::record(std::size_t k, const run_outcome& o, std::string_view where) {
    {
        std::lock_guard<std::mutex> g(mutex_);
        --running_;
        ++changes_;
        index_row& row = rows_[k];
        if (o.skipped) {
            row = read_row(runs_[k], dir_);
        } else {
            row.state = o.state;
            row.wall_s = o.wall_s;
            row.spikes = o.spikes;
            row.mean_rate_hz = o.mean_rate_hz;
            row.message = o.message;
            row.directory_fault = o.directory_fault;
            count(o);
            print_run_line(k, where);
        }
    }
    changed_.notify_all();
}

void ledger::count(const run_outcome& o) {
    ++finished_;
    failed_ += o.state == run_state::failed;
    interrupted_ += o.state == run_state::interrupted;
    if (o.state != run_state::done) return;
    if (o.network_reused) {
        ++reuse_.reused;
        reuse_.reused_build_s += o.build_s;
    } else {
        ++reuse_.fresh;
        reuse_.fresh_build_s += o.build_s;
    }
}

// "[NAME] F/T runs (D done, F failed)": the start of every progress line.
std::string ledger::counts_text() const {
    std::ostringstream line;
    line << "[" << name_ << "] " << finished_ << "/" << todo_.size() << " runs ("
         << (finished_ - failed_ - interrupted_) << " done, " << failed_ << " failed)";
    return line.str();
}

// The board prints a line per run; the local executor one for each run that did not finish.
void ledger::print_run_line(std::size_t k, std::string_view where) const {
    if (options_.quiet) return;
    const index_row& row = rows_[k];
    if (mode_ != ledger_mode::board) {
        if (row.state != run_state::done)
            out_ << "\nrun " << row.id << " " << to_string(row.state) << ": " << row.message
                 << "\n";
        return;
    }
    out_ << counts_text() << ", run " << row.id << " " << to_string(row.state) << " on " << where;
    if (!row.message.empty()) out_ << ": " << row.message;
    if (finished_ < todo_.size())
        out_ << ", ETA " << std::fixed << std::setprecision(0)
             << elapsed_s() / double(finished_) * double(todo_.size() - finished_) << " s";
    out_ << "\n" << std::flush;
}

bool ledger::follow(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> g(mutex_);
    changed_.wait_for(g, timeout, [&] { return changes_ != seen_changes_; });
    seen_changes_ = changes_;
    const bool all_started = next_ >= todo_.size() || stopping();
    if (!options_.quiet) print_progress();
    g.unlock();
    write_index_when_due();
    g.lock();
    return !(all_started && running_ == 0);
}

// One line, rewritten (a terminal) or printed when a run has ended (a log file).
void ledger::print_progress() {
    const auto now = clock::now();
    if (terminal_ ? now - last_print_ <= 500ms : printed_finished_ == finished_) return;
    const std::size_t remaining = todo_.size() - finished_;
    std::ostringstream line;
    line << counts_text() << ", " << running_ << " running";
    if (finished_ > 0 && remaining > 0)
        line << ", ETA " << seconds_text(elapsed_s() / double(finished_) * double(remaining));
    else line << ", " << seconds_text(elapsed_s()) << " elapsed";
    out_ << (terminal_ ? "\r" : "") << line.str() << (terminal_ ? "   " : "\n");
    out_.flush();
    last_print_ = now;
    printed_finished_ = finished_;
}

void ledger::write_index_when_due() {
    const auto interval = mode_ == ledger_mode::array_task ? 30s : 2s;
    if (clock::now() - last_index_ <= interval) return;
    // The local progress line may stand unfinished on a terminal: a warning starts a line.
    write_index(mode_ == ledger_mode::board ? "" : "\n");
    last_index_ = clock::now();
}

// The index is the directory's summary, rebuilt from the run files: when the directory cannot
// take it (a full disk), the batch goes on and says so.
void ledger::write_index(std::string_view before_warning) {
    try {
        if (mode_ == ledger_mode::array_task) {
            // Other tasks write too: under a lock, from what the directory holds now.
            file_lock index_lock(dir_.root() / ".index.lock");
            dir_.write_index(param_paths_, read_rows(runs_, dir_));
        } else {
            std::unique_lock<std::mutex> g(mutex_);
            const std::vector<index_row> copy = rows_;
            g.unlock();
            dir_.write_index(param_paths_, copy);
        }
    } catch (const std::exception& e) {
        out_ << before_warning << "warning: " << e.what() << "\n";
    }
}

int ledger::finish() {
    if (terminal_ && !options_.quiet) out_ << "\n";
    write_index("");
    const std::vector<index_row> rows = final_rows();
    if (!options_.quiet) print_summary(rows);
    return exit_code(rows);
}

// An array task's rows are the directory's (other tasks ran the rest).
std::vector<index_row> ledger::final_rows() const {
    if (mode_ == ledger_mode::array_task) return read_rows(runs_, dir_);
    std::lock_guard<std::mutex> g(mutex_);
    return rows_;
}

void ledger::print_summary(const std::vector<index_row>& rows) {
    std::size_t done = 0, failed = 0, missing = 0;
    for (const auto& r : rows) {
        done += r.state == run_state::done;
        failed += r.state == run_state::failed;
        missing += r.state == run_state::missing || r.state == run_state::interrupted;
    }
    if (mode_ == ledger_mode::board) {
        out_ << name_ << ": sweep " << done << "/" << runs_.size() << " done";
    } else {
        out_ << name_ << ": " << finished_ << " runs in " << seconds_text(elapsed_s()) << "; sweep "
             << done << "/" << runs_.size() << " done, " << failed << " failed";
        if (missing) out_ << ", " << missing << " to do";
    }
    out_ << "\nindex: " << (dir_.root() / "index.csv").string() << "\n";
    if (mode_ != ledger_mode::board) print_reuse();
}

// What reusing networks saved, when it did (README "Network reuse").
void ledger::print_reuse() {
    const reuse_counts& r = reuse_;
    if (r.reused == 0 || r.fresh == 0) return;
    const double per_fresh = r.fresh_build_s / double(r.fresh);
    const double per_reused = r.reused_build_s / double(r.reused);
    if (per_fresh <= per_reused) return;
    out_ << "network reused in " << r.reused << " of " << (r.reused + r.fresh) << " runs: build "
         << std::fixed << std::setprecision(2) << per_reused << " s instead of " << per_fresh
         << " s, saving " << seconds_text(double(r.reused) * (per_fresh - per_reused))
         << " of build time (summed over runs)\n";
}

// A run failed: the batch's (local), the task's own (array task), or any, and the board also
// fails a sweep left incomplete.
int ledger::exit_code(const std::vector<index_row>& rows) const {
    std::size_t done = 0, failed = 0;
    for (const auto& r : rows) {
        done += r.state == run_state::done;
        failed += r.state == run_state::failed;
    }
    if (dir_.faulted()) {
        const std::size_t ran = mode_ == ledger_mode::board ? next_ : finished_;
        return report_directory_fault(dir_, todo_.size() - ran, out_);
    }
    if (stop_requested()) return exit_interrupted;
    switch (mode_) {
        case ledger_mode::local: return failed_ > 0 || failed > 0 ? exit_runs_failed : exit_ok;
        case ledger_mode::array_task: return failed_ > 0 ? exit_runs_failed : exit_ok;
        case ledger_mode::board:
            return failed > 0 || done != runs_.size() ? exit_runs_failed : exit_ok;
    }
    return exit_runs_failed;
}

}  // namespace m1::batch
