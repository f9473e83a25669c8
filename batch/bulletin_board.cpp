#include "batch/bulletin_board.hpp"

#include "batch/ledger.hpp"

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <optional>
#include <string>
#include <thread>

namespace m1::batch {

namespace {

constexpr int tag_report = 1;  // worker -> board: "ready", with the outcome of its last run
constexpr int tag_assign = 2;  // board -> worker: the index of a run, or -1: no more work

std::string receive_text(int source, int tag, MPI_Status& status) {
    MPI_Probe(source, tag, MPI_COMM_WORLD, &status);
    int count = 0;
    MPI_Get_count(&status, MPI_CHAR, &count);
    std::string text(static_cast<std::size_t>(count), '\0');
    MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    return text;
}

void send_text(const std::string& text, int dest, int tag) {
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

// A worker's report: "ready" (an empty object, its first) or the outcome of its last run.
void receive_report(ledger& book, const results_directory& dir, MPI_Status& status) {
    const auto report = nlohmann::json::parse(receive_text(status.MPI_SOURCE, tag_report, status));
    if (!report.contains("run")) return;
    const run_outcome o = outcome_from_json(report);
    // A full or read-only directory fails every run: no new runs are handed out.
    if (o.directory_fault && !o.skipped) dir.report_fault(report["fault"].get<std::string>());
    book.record(report["run"].get<std::size_t>(), o, "rank " + std::to_string(status.MPI_SOURCE));
    // A signal to any rank stops the batch: no new runs are handed out.
    if (!o.skipped && o.state == run_state::interrupted) stop_requested() = true;
}

int board(const sweep_spec& sweep, const std::vector<sweep_run>& runs, const batch_options& options,
          std::ostream& out, int size) {
    const results_directory dir(sweep.config.output);
    ledger book(sweep, runs, dir, options, ledger_mode::board, out);
    book.print_start(" on " + std::to_string(size - 1) + " MPI worker" + (size == 2 ? "" : "s") +
                     " (bulletin board)");
    for (int active = size - 1; active > 0;) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, tag_report, MPI_COMM_WORLD, &flag, &status);
        if (!flag) {
            // Sleep rather than block in MPI_Recv, which Open MPI implements by spinning.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            book.write_index_when_due();
            continue;
        }
        receive_report(book, dir, status);
        const std::optional<std::size_t> k = book.take();
        const std::int64_t assignment = k ? static_cast<std::int64_t>(*k) : -1;
        if (!k) --active;
        MPI_Send(&assignment, 1, MPI_INT64_T, status.MPI_SOURCE, tag_assign, MPI_COMM_WORLD);
    }
    return book.finish();
}

void worker(const sweep_spec& sweep, const std::vector<sweep_run>& runs, std::size_t threads) {
    const results_directory dir(sweep.config.output);
    network_cache networks(2);
    nlohmann::json report = nlohmann::json::object();
    for (;;) {
        send_text(report.dump(), 0, tag_report);
        std::int64_t assignment = -1;
        MPI_Recv(&assignment, 1, MPI_INT64_T, 0, tag_assign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (assignment < 0) return;
        const std::size_t k = static_cast<std::size_t>(assignment);
        report = to_json(run_one(sweep, runs[k], dir, threads, &networks));
        report["run"] = k;
        report["fault"] = dir.fault_message();
    }
}

}  // namespace

int run_bulletin_board(const sweep_spec& sweep, const std::vector<sweep_run>& runs,
                       const batch_options& options, std::ostream& out) {
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const std::size_t threads = options.threads ? options.threads : default_threads();

    // Rank 0 takes the directory; every rank learns whether it could.
    int code = exit_ok;
    results_directory::lock lock;
    if (rank == 0) code = take_directory(sweep, runs, /*exclusive=*/true, options.quiet, out, lock);
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (code != exit_ok) return code;

    if (rank == 0) code = board(sweep, runs, options, out, size);
    else worker(sweep, runs, threads);
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return code;
}

}  // namespace m1::batch
