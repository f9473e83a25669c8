#pragma once
// The results directory of a sweep (README "Results directory"). Run files are the truth; every
// other file can be rebuilt from them and the sweep.
//
//   OUTPUT/sweep.toml                  the sweep, self-contained (model = "model.json", output = ".");
//                                      a search's is optimize.toml (batch/search.hpp)
//   OUTPUT/model.json                  the model file the sweep names, byte for byte
//   OUTPUT/source/<file>               the sweep file and its base files as written
//   OUTPUT/runs/<run_id>/run.h5        a finished run (written under a temporary name, renamed)
//   OUTPUT/runs/<run_id>/log.txt       what the run printed
//   OUTPUT/runs/<run_id>/status.json   a failed or interrupted run: status, message, wall_s, time
//   OUTPUT/runs/<run_id>/claim         a worker is running it: host, pid, start; refreshed while it runs
//   OUTPUT/index.csv, OUTPUT/index.h5  one row per run of the sweep
//   OUTPUT/.lock                       flock'ed by the batch that owns the directory
//   OUTPUT/jobs/                       cluster jobs: scripts, run lists, logs (batch/submit.hpp)
#include "core/base/error.hpp"
#include "core/io/posix_file.hpp"
#include "batch/run_outcome.hpp"
#include "batch/sweep.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace m1::batch {

// The time now in ISO 8601, UTC ("2026-11-26T04:32:54Z"), as the directory's records write it.
std::string iso_now();

// The output directory is held by another batch (or by the array tasks of one): acquire_lock's
// refusal, which m1batch answers with exit_busy.
class directory_busy : public run_error {
public:
    using run_error::run_error;
};

// `table` as TOML text with every float in the shortest form that reads back to the same double
// (0.0003, not toml++'s 0.00029999999999999997): how the directory's TOML copies are written.
std::string toml_text(const toml::table& table);

// One row of the index.
struct index_row {
    std::string id;
    std::vector<std::string> values;  // one per swept parameter (format_value)
    std::string seed;                 // format_seeds
    run_state state = run_state::missing;
    double wall_s = 0;                // the run's wall time (build + simulate + writing)
    std::uint64_t spikes = 0;
    double mean_rate_hz = 0;
    std::string message;              // why it failed or was interrupted
    // Failed because the results directory could not be written (no space, over quota,
    // read-only), not through a fault of its own: a plain rerun runs it again.
    bool directory_fault = false;
};

class results_directory {
public:
    explicit results_directory(std::filesystem::path root);  // creates nothing

    // A fault of the whole directory (storage_error: no space, over quota, read-only) seen by any
    // worker of this process: no new run starts, runs in flight stop. Copies share it.
    void report_fault(const storage_error& e) const;
    void report_fault(const std::string& message) const;  // as another worker described it
    bool faulted() const noexcept { return fault_->seen(); }
    // "no space left on device while writing runs/<id>/run.h5" (paths inside the directory are
    // given relative to it); empty when no fault was reported.
    std::string fault_message() const;
    std::string describe(const storage_error& e) const;

    const std::filesystem::path& root() const noexcept { return root_; }
    std::filesystem::path run_directory(const std::string& id) const;  // root/runs/<id>
    std::filesystem::path run_file(const std::string& id) const;       // .../run.h5
    std::filesystem::path log_file(const std::string& id) const;       // .../log.txt

    // Creates root and root/runs; run_error naming the path when it cannot.
    void create() const;

    // The directory's lock (flock on root/.lock, released by the kernel when the process dies, so
    // kill -9 leaves no stale lock). Exclusive: a local or MPI batch; shared: the array tasks of
    // one batch, which coexist with each other but never with an exclusive holder. When it cannot
    // be had at once: directory_busy "OUTPUT is in use by another batch (pid P, host H, since T); ..."
    // Move-only. Closing the descriptor releases the flock (no other descriptor shares its open
    // file description, unless a child forked since holds one: then the lock lasts until it
    // exits too).
    //
    // On a file system without flock (Lustre mounted without -o flock, some NFS set-ups: flock
    // fails with ENOLCK, ENOSYS, EOPNOTSUPP or EINVAL) the lock is not enforced: enforced() is
    // false, nothing keeps a second, independent batch out, and the runs are still claimed one by
    // one.
    class lock {
    public:
        lock() = default;
        explicit lock(int fd, bool enforced = true) noexcept : fd_(fd), enforced_(enforced) {}
        bool held() const noexcept { return fd_.get() >= 0; }
        bool enforced() const noexcept { return held() && enforced_; }

    private:
        fd_handle fd_;
        bool enforced_ = true;
    };
    lock acquire_lock(bool exclusive) const;

    // Claims: how the workers of one batch (MPI ranks, array tasks) make sure two never run the same
    // run. claim() creates runs/<id>/claim exclusively (O_CREAT | O_EXCL) holding host, pid and
    // time; a claim whose owner is gone (same host and no such process, or not refreshed for
    // stale_after) is taken over. Returns false when a live worker holds it.
    bool claim(const std::string& id,
               std::chrono::seconds stale_after = std::chrono::seconds(600)) const;
    void refresh_claim(const std::string& id) const;  // heartbeat: touches the claim
    void release_claim(const std::string& id) const;  // removes it (no error when absent)

    // What the directory says of a run: done when run.h5 exists (wall_s, spikes, mean_rate_hz from
    // its /run attributes), else failed or interrupted per status.json, else running when a live
    // claim exists, else missing. Fills id, state, wall_s, spikes, mean_rate_hz, message.
    index_row read_state(const std::string& id) const;

    // Records a failed or interrupted run in status.json (atomically); clear_outcome removes it
    // (a run about to be retried, or finished).
    // `directory_fault`: the failure was the directory's (index_row::directory_fault).
    void record_outcome(const std::string& id, run_state state, const std::string& message,
                        double wall_s, bool directory_fault = false) const;
    void clear_outcome(const std::string& id) const;

    // index.csv (RFC 4180: run_id, each parameter path, seed, status, wall_s, spikes,
    // mean_rate_hz, message) and index.h5 (one dataset per column; parameters under /params as
    // p0, p1, ... with their path as attribute, float64 where every value is a number), each
    // written under a temporary name and renamed.
    void write_index(const std::vector<std::string>& param_paths,
                     const std::vector<index_row>& rows) const;

    // Run directories under runs/ whose id is not in `ids` (runs of an earlier model or sweep).
    std::vector<std::string> stale_runs(const std::set<std::string>& ids) const;

    // Removes what a killed process leaves behind: temporary files (*.tmp.*) in root and in run
    // directories, and claims whose owner is gone. Only the holder of the exclusive lock calls it.
    void clean_up() const;

    // OUTPUT/sweep.toml (sweep.self_contained; a search's: optimize.toml), OUTPUT/model.json and
    // OUTPUT/source/*, atomically.
    void save_sources(const sweep_spec& sweep) const;

private:
    std::filesystem::path root_;
    std::shared_ptr<storage_fault_latch> fault_ = std::make_shared<storage_fault_latch>();
};

}  // namespace m1::batch
