#include "batch/bulletin_board.hpp"

#include "batch/ledger.hpp"
#include "batch/search.hpp"

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

namespace m1::batch {

namespace {

using json = nlohmann::json;

constexpr int tag_report = 1;  // worker -> board: ready, with the outcome of its last run
constexpr int tag_assign = 2;  // board -> worker: a run, or the end

// ---------------------------------------------------------------------------------------------
// Messages

// Waits for a message without spinning (Open MPI's blocking receive spins on a core): probes,
// and sleeps between probes, calling `idle` each time.
MPI_Status wait_for(int source, int tag, const std::function<void()>& idle = {}) {
    for (;;) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status);
        if (flag) return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (idle) idle();
    }
}

// The message `wait_for` found.
json receive(const MPI_Status& found) {
    int count = 0;
    MPI_Get_count(&found, MPI_CHAR, &count);
    std::string text(static_cast<std::size_t>(count), '\0');
    MPI_Recv(text.data(), count, MPI_CHAR, found.MPI_SOURCE, found.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return json::parse(text);
}

void send(const json& message, int dest, int tag) {
    const std::string text = message.dump();
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

// Threads per worker: the node's cores shared among the workers on it (rank 0 does not count).
std::size_t default_threads() {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int rank = 0, node_size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(node, &node_size);
    int is_board = rank == 0, boards_here = 0;
    MPI_Allreduce(&is_board, &boards_here, 1, MPI_INT, MPI_SUM, node);
    MPI_Comm_free(&node);
    const int workers = std::max(1, node_size - boards_here);
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return static_cast<std::size_t>(std::max(1, cores / workers));
}

// ---------------------------------------------------------------------------------------------
// The worker ranks

// Runs the run assigned; its report.
json run_assigned(const sweep_spec& sweep, const json& assignment, const results_directory& dir,
                  std::size_t threads, network_cache& networks) {
    run_outcome outcome;
    try {
        outcome = run_one(sweep, run_from_json(sweep, assignment.at("spec")), dir, threads, &networks);
    } catch (const std::exception& e) {  // run_one does not throw; a message it cannot read might
        outcome.state = run_state::failed;
        outcome.message = e.what();
    }
    json report = to_json(outcome);
    report["run"] = assignment.at("run");
    report["fault"] = dir.fault_message();
    return report;
}

// A worker: asks for a run, runs it, reports, until the board ends the batch or search (between a
// search's generations it waits). Its networks stay for the next runs. Returns the board's code.
int serve_runs(const sweep_spec& sweep, std::size_t threads) {
    const results_directory dir(sweep.config.output);
    network_cache networks(2);
    json report = json::object();
    for (;;) {
        send(report, 0, tag_report);
        const json assignment = receive(wait_for(0, tag_assign));
        if (assignment.contains("end")) return assignment["end"].get<int>();
        report = run_assigned(sweep, assignment, dir, threads, networks);
    }
}

// ---------------------------------------------------------------------------------------------
// The board (rank 0)

// A worker's report: "ready" (its first) or the outcome of its last run, recorded.
void record_report(ledger& book, const results_directory& dir, const json& report, int rank) {
    if (!report.contains("run")) return;
    const run_outcome o = outcome_from_json(report);
    // A full or read-only directory fails every run: no new runs are handed out.
    if (o.directory_fault && !o.skipped) dir.report_fault(report["fault"].get<std::string>());
    book.record(report["run"].get<std::size_t>(), o, "rank " + std::to_string(rank));
    // A signal to any rank stops the batch: no new runs are handed out.
    if (!o.skipped && o.state == run_state::interrupted) stop_requested() = true;
}

// The workers as the board sees them: those waiting for a run, and how many owe it a report (a
// run's, or at the start their "ready"). Kept across a search's generations.
class worker_pool {
public:
    explicit worker_pool(int size) : size_(size), owing_(size - 1) {}
    int workers() const { return size_ - 1; }

    // Hands the runs of `book` out until each has been run (or the batch stops) and every worker
    // waits again; returns the ledger's exit code.
    int run_batch(ledger& book, const std::vector<sweep_run>& runs, const results_directory& dir) {
        hand_out(book, runs);
        while (owing_ > 0) {
            const MPI_Status found =
                wait_for(MPI_ANY_SOURCE, tag_report, [&] { book.write_index_when_due(); });
            const json report = receive(found);
            arrived(found.MPI_SOURCE);  // first: a report that throws must not be waited for again
            record_report(book, dir, report, found.MPI_SOURCE);
            hand_out(book, runs);
        }
        return book.finish();
    }

    // Ends every worker with the exit code, once those still at a run (rank 0 stopped by an
    // exception inside a batch) have reported it.
    void end(int code) {
        while (owing_ > 0) {
            const MPI_Status found = wait_for(MPI_ANY_SOURCE, tag_report);
            receive(found);
            arrived(found.MPI_SOURCE);
        }
        for (int rank : waiting_) send({{"end", code}}, rank, tag_assign);
        waiting_.clear();
    }

private:
    void arrived(int rank) {
        --owing_;
        waiting_.push_back(rank);
    }
    void hand_out(ledger& book, const std::vector<sweep_run>& runs) {
        while (!waiting_.empty()) {
            const std::optional<std::size_t> k = book.take();
            if (!k) return;
            send({{"run", *k}, {"spec", to_json(runs[*k])}}, waiting_.back(), tag_assign);
            waiting_.pop_back();
            ++owing_;
        }
    }

    int size_;
    int owing_;
    std::vector<int> waiting_;
};

// " on 2 MPI workers (bulletin board)"
std::string workers_text(const worker_pool& pool) {
    const int n = pool.workers();
    return " on " + std::to_string(n) + " MPI worker" + (n == 1 ? "" : "s") + " (bulletin board)";
}

// Rank 0 runs `board` with the workers, which serve runs of `sweep` until it ends them. Returns
// the board's exit code on every rank; an exception on rank 0 ends the workers with the exit code
// main gives it (2 bad input, else 1) and goes on to main.
int with_workers(const sweep_spec& sweep, const batch_options& options,
                 const std::function<int(worker_pool&)>& board) {
    const std::size_t threads = options.threads ? options.threads : default_threads();  // collective
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank != 0) return serve_runs(sweep, threads);
    worker_pool pool(size);
    int code = exit_runs_failed;
    try {
        code = board(pool);
    } catch (const input_error&) {
        pool.end(exit_bad_input);
        throw;
    } catch (...) {
        pool.end(exit_runs_failed);
        throw;
    }
    pool.end(code);
    return code;
}

// A search's generations on the board: each one's runs a batch (the ledger skips those done).
class board_generations : public generation_executor {
public:
    board_generations(worker_pool& pool, bool quiet) : pool_(pool), quiet_(quiet) {}

    int run(const sweep_spec& sweep, const std::vector<sweep_run>& runs, const results_directory& dir,
            const batch_options& options, std::ostream& out) override {
        if (!quiet_ && !said_) out << sweep.name << ": each generation's runs" << workers_text(pool_) << "\n";
        said_ = true;
        ledger book(sweep, runs, dir, options, ledger_mode::board, out);
        book.print_start("");
        return pool_.run_batch(book, runs, dir);
    }

private:
    worker_pool& pool_;
    bool quiet_, said_ = false;
};

}  // namespace

int run_bulletin_board(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                       const batch_options& options, std::ostream& out) {
    return with_workers(sweep, options, [&](worker_pool& pool) {
        results_directory::lock lock;
        if (const int code = take_directory(sweep, runs, /*exclusive=*/true, options.quiet, out, lock))
            return code;
        const results_directory dir(sweep.config.output);
        ledger book(sweep, runs, dir, options, ledger_mode::board, out);
        book.print_start(workers_text(pool));
        return pool.run_batch(book, runs, dir);
    });
}

int run_search_on_board(const search_spec& search, const batch_options& options, std::ostream& out) {
    return with_workers(search.runs, options, [&](worker_pool& pool) {
        board_generations generations(pool, options.quiet);
        return run_search(search, options, out, generations);
    });
}

}  // namespace m1::batch
