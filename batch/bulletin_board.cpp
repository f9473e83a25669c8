#include "batch/bulletin_board.hpp"

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <ostream>
#include <set>
#include <string_view>
#include <thread>

namespace m1::batch {

namespace {

constexpr int tag_report = 1;  // worker -> board: "ready", with the outcome of its last run
constexpr int tag_assign = 2;  // board -> worker: the index of a run, or -1: no more work

// The index is the directory's summary, rebuilt from the run files: when the directory cannot
// take it (a full disk), the batch goes on and says so.
void write_index_if_possible(const results_directory& dir, const std::vector<std::string>& paths,
                             const std::vector<index_row>& rows, std::ostream& out) {
    try {
        dir.write_index(paths, rows);
    } catch (const std::exception& e) {
        out << "warning: " << e.what() << "\n";
    }
}

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

int board(const sweep_spec& sweep, const std::vector<sweep_run>& runs, const batch_options& options,
          std::ostream& out, int size) {
    const results_directory dir(sweep.config.output);
    std::vector<std::string> paths;
    for (const auto& p : sweep.params) paths.push_back(p.path);

    std::vector<index_row> rows = read_rows(runs, dir);
    const std::vector<std::size_t> todo = runs_to_do(rows, options);
    std::size_t already_done = 0;
    for (const auto& r : rows) already_done += r.state == run_state::done;
    if (!options.quiet)
        out << sweep.name << ": " << runs.size() << " runs; " << already_done << " done; "
            << todo.size() << " to run on " << (size - 1) << " MPI worker" << (size == 2 ? "" : "s") << " (bulletin board)\n"
            << "results: " << dir.root().string() << "\n"
            << std::flush;

    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    auto last_index = start;
    std::size_t next = 0, finished = 0, failed = 0, interrupted = 0;
    int active = size - 1;
    while (active > 0) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, tag_report, MPI_COMM_WORLD, &flag, &status);
        if (!flag) {
            // Sleep rather than block in MPI_Recv, which Open MPI implements by spinning.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            if (clock::now() - last_index > std::chrono::seconds(2)) {
                write_index_if_possible(dir, paths, rows, out);
                last_index = clock::now();
            }
            continue;
        }
        const auto report = nlohmann::json::parse(receive_text(status.MPI_SOURCE, tag_report, status));
        if (report.contains("run")) {
            const std::size_t k = report["run"].get<std::size_t>();
            index_row& row = rows[k];
            row.state = run_state_from(report["state"].get<std::string>())
                            .value_or(run_state::failed);
            if (report["skipped"].get<bool>()) {
                row = read_row(runs[k], dir);
            } else {
                ++finished;
                row.wall_s = report["wall_s"].get<double>();
                row.spikes = report["spikes"].get<std::uint64_t>();
                row.mean_rate_hz = report["mean_rate_hz"].get<double>();
                row.message = report["message"].get<std::string>();
                row.directory_fault = report["directory_fault"].get<bool>();
                // A full or read-only directory fails every run: no new runs are handed out.
                if (row.directory_fault) dir.report_fault(report["fault"].get<std::string>());
                failed += row.state == run_state::failed;
                interrupted += row.state == run_state::interrupted;
                // A signal to any rank stops the batch: no new runs are handed out.
                if (row.state == run_state::interrupted) stop_requested() = true;
                if (!options.quiet) {
                    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
                    out << "[" << sweep.name << "] " << finished << "/" << todo.size() << " runs ("
                        << (finished - failed - interrupted) << " done, " << failed
                        << " failed), run " << runs[k].id << " " << to_string(row.state)
                        << " on rank " << status.MPI_SOURCE;
                    if (!row.message.empty()) out << ": " << row.message;
                    if (finished < todo.size())
                        out << ", ETA " << std::fixed << std::setprecision(0)
                            << elapsed / double(finished) * double(todo.size() - finished) << " s";
                    out << "\n" << std::flush;
                }
            }
        }
        std::int64_t assignment = -1;
        if (!stop_requested() && !dir.faulted() && next < todo.size()) assignment = static_cast<std::int64_t>(todo[next++]);
        if (assignment < 0) --active;
        else rows[static_cast<std::size_t>(assignment)].state = run_state::running;
        MPI_Send(&assignment, 1, MPI_INT64_T, status.MPI_SOURCE, tag_assign, MPI_COMM_WORLD);
    }
    write_index_if_possible(dir, paths, rows, out);
    std::size_t done = 0;
    for (const auto& r : rows) done += r.state == run_state::done;
    if (!options.quiet)
        out << sweep.name << ": sweep " << done << "/" << runs.size() << " done\nindex: "
            << (dir.root() / "index.csv").string() << "\n";
    if (dir.faulted()) return report_directory_fault(dir, todo.size() - next, out);
    if (stop_requested()) return exit_interrupted;
    for (const auto& r : rows)
        if (r.state == run_state::failed) return exit_runs_failed;
    return done == runs.size() ? exit_ok : exit_runs_failed;
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
        const run_outcome o = run_one(sweep, runs[k], dir, threads, &networks);
        report = {{"run", k},
                  {"state", std::string(to_string(o.state))},
                  {"skipped", o.skipped},
                  {"wall_s", o.wall_s},
                  {"spikes", o.spikes},
                  {"mean_rate_hz", o.mean_rate_hz},
                  {"message", o.message},
                  {"directory_fault", o.directory_fault},
                  {"fault", dir.fault_message()}};
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
