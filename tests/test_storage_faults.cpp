// A results directory on a file system that fills up or turns read-only, for real: a small tmpfs
// mounted by the test (CI runs as root; where mount is not permitted the tests are skipped with
// the reason). m1batch (local and the MPI board) and m1analyze must end with one clear line and
// exit 1 (never a signal), leave no temporary file, keep every run file whole, start no new run
// after the fault, and complete when rerun where there is room.
#include "batch/executor.hpp"
#include "batch/search_records.hpp"
#include "core/io/posix_file.hpp"
#include "analysis/run_analysis.hpp"
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <hdf5.h>
#include <sys/mount.h>

#include <fstream>
#include <map>

namespace {

namespace fs = std::filesystem;
using namespace m1::test;

// A tmpfs of `size_kib` mounted on a fresh directory, unmounted (lazily) at the end.
class small_file_system {
public:
    small_file_system(const fs::path& where, std::size_t size_kib) : path_(where) {
        fs::create_directories(path_);
        const std::string options = "size=" + std::to_string(size_kib) + "k";
        if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0)
            reason_ = "cannot mount a tmpfs (" + m1::errno_text(errno) + "): needs root";
        else mounted_ = true;
    }
    ~small_file_system() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    small_file_system(const small_file_system&) = delete;
    small_file_system& operator=(const small_file_system&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& reason() const { return reason_; }
    const fs::path& path() const { return path_; }
    // Makes it read-only (EROFS for every write from now on).
    bool make_read_only() {
        return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
    }
    // Fills it up but for `leave_kib`.
    void fill(std::size_t leave_kib) {
        const auto space = fs::space(path_);
        const std::size_t fill_bytes = space.available > leave_kib * 1024 ? space.available - leave_kib * 1024 : 0;
        std::ofstream(path_ / "filler", std::ios::binary) << std::string(fill_bytes, 'x');
    }

private:
    fs::path path_;
    bool mounted_ = false;
    std::string reason_;
};

// Every file under `root` whose name contains `part`.
std::vector<fs::path> files_named(const fs::path& root, const std::string& part) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().find(part) != std::string::npos) out.push_back(e.path());
    return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The state of each run directory: done (run.h5), else what status.json says, else "none".
std::map<std::string, std::string> run_states(const fs::path& results) {
    std::map<std::string, std::string> out;
    if (!fs::exists(results / "runs")) return out;
    for (const auto& e : fs::directory_iterator(results / "runs")) {
        std::string state = "none";
        if (fs::exists(e.path() / "run.h5")) state = "done";
        else if (fs::exists(e.path() / "status.json")) state = read_file(e.path() / "status.json");
        out[e.path().filename().string()] = state;
    }
    return out;
}

class storage_faults : public ::testing::Test {
protected:
    temporary_directory dir_{"storage-faults"};
    const std::string m1batch_ = m1::test::m1batch_binary();

    // 12 runs of M1 at a tenth of its size (run.h5 ~330 KiB, analysis.h5 ~70 KiB each), analysed
    // right after each run as the sweep was.
    fs::path sweep(const fs::path& output) {
        return dir_.write("sweep.toml",
                          "model = \"" M1_SOURCE_DIR "/configs/models/m1_2017.json\"\n"
                          "output = \"" + output.string() + "\"\nscale = 0.1\nduration = 300.0\n"
                          "[sweep]\nreplicates = 2\nanalysis = [\"rates\", \"rate_psd\"]\n"
                          "[[sweep.param]]\npath = \"/netParams/scaleConnWeight\"\n"
                          "values = [0.0003, 0.0004, 0.0005, 0.00035, 0.00045, 0.00055]\n");
    }
    shell_result m1batch(const std::string& args, const std::string& prefix = "") {
        return run_shell(clean_environment + " " + prefix + quote(m1batch_) + " " + args, dir_.path());
    }
    shell_result m1analyze(const std::string& args) {
        return run_shell(quote(M1ANALYZE_BIN) + " " + args, dir_.path());
    }

    // After a fault: no temporary file, every run file and analysis file whole, a clear line.
    void expect_fault_handled(const shell_result& r, const fs::path& results, const std::string& what) {
        EXPECT_EQ(r.status, 1) << r.out << r.err;  // not 139: no signal
        const std::string all = r.out + r.err;
        EXPECT_EQ(count_of(all, "error: " + what), 1u) << all;
        EXPECT_EQ(all.find("HDF5-DIAG"), std::string::npos) << all;
        EXPECT_TRUE(files_named(results, ".tmp").empty());
        for (const fs::path& f : files_named(results, "run.h5")) EXPECT_NO_THROW(m1::read_run_spikes(f)) << f;
        for (const fs::path& f : files_named(results, "analysis.h5"))
            EXPECT_NO_THROW(m1::analysis::read_analysis(f.parent_path() / "run.h5")) << f;
    }
};

#define MOUNT_OR_SKIP(fs_)                                 \
    if (!(fs_).mounted()) GTEST_SKIP() << (fs_).reason();

// The case: a sweep whose results directory is a small tmpfs. Before: SIGSEGV inside
// HDF5, a run.h5.tmp.* left, and the remaining runs started anyway, each failing the same way.
TEST_F(storage_faults, full_disk_stops_the_sweep_with_one_line_and_a_rerun_completes_it) {
    small_file_system tiny(dir_.path() / "tiny", 1024);
    MOUNT_OR_SKIP(tiny);
    const fs::path results = tiny.path() / "results";
    const auto r = m1batch("-j 1 -t 1 " + quote(sweep(results).string()));
    expect_fault_handled(r, results, "no space left on device while writing runs/");
    EXPECT_NE((r.out + r.err).find("stopped with "), std::string::npos) << r.out << r.err;
    const auto states = run_states(results);
    EXPECT_LT(states.size(), 12u) << "runs started after the fault";
    std::size_t done = 0;
    for (const auto& [id, state] : states) done += state == "done";
    EXPECT_GE(done, 1u);

    // Room is made by moving the directory to a file system with space: the same sweep completes,
    // and the runs done before keep their files (not rerun).
    const fs::path big = dir_.path() / "big";
    ASSERT_EQ(std::system(("cp -a " + quote(results.string()) + " " + quote(big.string())).c_str()), 0);
    std::map<std::string, file_identity> before;
    for (const auto& [id, state] : run_states(big))
        if (state == "done") before[id] = identity(big / "runs" / id / "run.h5");
    const auto again = m1batch("-j 1 -t 1 -o " + quote(big.string()) + " " + quote(sweep(results).string()));
    ASSERT_EQ(again.status, 0) << again.out << again.err;
    const auto after = run_states(big);
    ASSERT_EQ(after.size(), 12u);
    for (const auto& [id, state] : after) EXPECT_EQ(state, "done") << id;
    for (const auto& [id, seen] : before) EXPECT_EQ(identity(big / "runs" / id / "run.h5"), seen) << id;
    EXPECT_EQ(files_named(big / "runs", "analysis.h5").size(), 12u);
}

// A search whose results directory fills up: one line, exit 1, nothing half-written; moved where
// there is room, the same search ends exactly as one that never met the fault.
TEST_F(storage_faults, full_disk_stops_a_search_and_a_rerun_ends_it_as_an_uninterrupted_one) {
    small_file_system tiny(dir_.path() / "tiny", 1024);
    MOUNT_OR_SKIP(tiny);
    const fs::path results = tiny.path() / "results";
    const fs::path file = dir_.write(
        "search.toml", "model = \"" M1_SOURCE_DIR "/configs/models/m1_2017.json\"\noutput = \"" +
                           results.string() + "\"\nscale = 0.1\nduration = 300.0\n[optimize]\n"
                           "population = 6\ngenerations = 3\n[[optimize.param]]\n"
                           "path = \"/netParams/scaleConnWeight\"\nrange = [0.0002, 0.0006]\n"
                           "[[optimize.objective]]\ncolumn = \"rate_hz:IT_L23\"\ntarget = 5.0\nwidth = 2.0\n");
    const auto r = m1batch("-j 1 -t 1 " + quote(file.string()));
    expect_fault_handled(r, results, "no space left on device while writing ");
    const fs::path big = dir_.path() / "big";
    ASSERT_EQ(std::system(("cp -a " + quote(results.string()) + " " + quote(big.string())).c_str()), 0);
    const auto again = m1batch("-j 1 -t 1 -o " + quote(big.string()) + " " + quote(file.string()));
    ASSERT_EQ(again.status, 0) << again.out << again.err;
    const auto fresh = m1batch("-j 1 -t 1 -o " + quote((dir_.path() / "fresh").string()) + " " +
                               quote(file.string()));
    ASSERT_EQ(fresh.status, 0) << fresh.out << fresh.err;
    EXPECT_EQ(read_file(big / "optimization.csv"), read_file(dir_.path() / "fresh" / "optimization.csv"));
}

TEST_F(storage_faults, full_disk_under_the_mpi_board_stops_handing_out_runs) {
    small_file_system tiny(dir_.path() / "tiny", 1024);
    MOUNT_OR_SKIP(tiny);
    const fs::path results = tiny.path() / "results";
    // As test_bulletin_board runs mpirun: as root, more ranks than cores.
    const std::string mpirun = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                               "OMPI_MCA_plm_rsh_agent= mpirun --oversubscribe -np 3 ";
    const auto r = m1batch("-t 1 " + quote(sweep(results).string()), mpirun);
    expect_fault_handled(r, results, "no space left on device while writing runs/");
    EXPECT_LT(run_states(results).size(), 12u) << "runs handed out after the fault";
}

TEST_F(storage_faults, a_single_run_on_a_full_disk_fails_cleanly) {
    small_file_system tiny(dir_.path() / "tiny", 128);
    MOUNT_OR_SKIP(tiny);
    const fs::path config = dir_.write("run.toml", "model = \"" M1_SOURCE_DIR
                                                   "/configs/models/m1_2017.json\"\noutput = \"" +
                                                       (tiny.path() / "run").string() +
                                                       "\"\nscale = 0.1\nduration = 300.0\n");
    const auto r = m1batch(quote(config.string()));
    expect_fault_handled(r, tiny.path(), "no space left on device while writing " +
                                             (tiny.path() / "run" / "run.h5").string());
    EXPECT_FALSE(fs::exists(tiny.path() / "run" / "run.h5"));
}

// m1analyze: the analyses, the summary and the plots each meet a full disk; then a read-only one.
TEST_F(storage_faults, m1analyze_on_a_full_or_read_only_disk_stops_and_leaves_run_files_untouched) {
    const fs::path made = dir_.path() / "made";
    ASSERT_EQ(m1batch("-q " + quote(sweep(made).string())).status, 0);
    small_file_system tiny(dir_.path() / "tiny", 8192);
    MOUNT_OR_SKIP(tiny);
    const fs::path results = tiny.path() / "results";
    ASSERT_EQ(std::system(("cp -a " + quote(made.string()) + " " + quote(results.string())).c_str()), 0);
    for (const fs::path& f : files_named(results / "runs", "analysis.h5")) fs::remove(f);
    std::map<fs::path, std::string> run_bytes;
    for (const fs::path& f : files_named(results, "run.h5")) run_bytes[f] = m1::read_bytes(f);

    // Room for a few analyses (~70 KiB each), not for twelve with the summary and plots.
    tiny.fill(200);
    const auto full = m1analyze(quote(results.string()) + " --only rates,rate_psd");
    expect_fault_handled(full, results, "no space left on device while writing ");
    EXPECT_NE(full.err.find("run the same command again"), std::string::npos) << full.err;
    for (const auto& [f, bytes] : run_bytes) EXPECT_EQ(m1::read_bytes(f), bytes) << f;

    // Room for every analysis and the summary, not for the plots (~1 MiB).
    fs::remove(tiny.path() / "filler");
    const auto room = fs::space(tiny.path()).available / 1024;
    ASSERT_GT(room, 1500u);
    tiny.fill(900);
    const auto plots = m1analyze(quote(results.string()) + " --only rates,rate_psd");
    expect_fault_handled(plots, results, "no space left on device while writing ");
    EXPECT_TRUE(fs::exists(results / "summary.csv"));

    // Read-only: one line naming it.
    fs::remove(tiny.path() / "filler");
    for (const fs::path& f : files_named(results / "runs", "analysis.h5")) fs::remove(f);
    ASSERT_TRUE(tiny.make_read_only());
    const auto read_only = m1analyze(quote(results.string()) + " --only rates --no-plots");
    expect_fault_handled(read_only, results, "read-only file system while writing ");
    for (const auto& [f, bytes] : run_bytes) EXPECT_EQ(m1::read_bytes(f), bytes) << f;

    // Where there is room, the same command completes.
    const fs::path big = dir_.path() / "big";
    ASSERT_EQ(std::system(("cp -a " + quote(results.string()) + " " + quote(big.string())).c_str()), 0);
    const auto done = m1analyze(quote(big.string()) + " --only rates,rate_psd");
    ASSERT_EQ(done.status, 0) << done.err;
    EXPECT_EQ(files_named(big / "runs", "analysis.h5").size(), 12u);
}

// A search's tables meet a full disk, then a read-only one, alike: optimization.h5 throws the
// storage_error optimization.csv does, and neither leaves anything behind.
TEST_F(storage_faults, optimization_h5_fails_as_optimization_csv_does) {
    small_file_system tiny(dir_.path() / "tiny", 64);
    MOUNT_OR_SKIP(tiny);
    dir_.write("tiny.json", tiny_model);
    const auto search = m1::batch::load_search(dir_.write(
        "search.toml", "model = \"tiny.json\"\noutput = \"out\"\n[optimize]\n[[optimize.param]]\n"
                       "path = \"/netParams/connParams/EE/weight\"\nrange = [0.001, 0.1]\n"
                       "[[optimize.objective]]\ncolumn = \"rate_hz:E\"\ntarget = 5.0\nwidth = 5.0\n"));
    const m1::batch::results_directory out(tiny.path());
    const std::vector<m1::batch::evaluation> evaluations(
        200, {0, 0, {0.01}, {"0123456789abcdef"}, {5.0}, 1.0, "done"});
    const auto expect_storage_error = [&](const std::string& file, const std::string& what) {
        try {
            if (file == "optimization.h5") m1::batch::write_optimization_h5(out, search, evaluations);
            else m1::batch::write_optimization_csv(out, search, evaluations);
            ADD_FAILURE() << file << ": no storage_error";
        } catch (const m1::storage_error& e) {
            EXPECT_EQ(std::string(e.what()), what + " while writing " + (tiny.path() / file).string());
        }
    };
    tiny.fill(0);
    for (const char* file : {"optimization.csv", "optimization.h5"})
        expect_storage_error(file, "no space left on device");
    EXPECT_EQ(listing(tiny.path()), std::vector<std::string>{"filler"});
    fs::remove(tiny.path() / "filler");
    ASSERT_TRUE(tiny.make_read_only());
    for (const char* file : {"optimization.csv", "optimization.h5"})
        expect_storage_error(file, "read-only file system");
    EXPECT_TRUE(listing(tiny.path()).empty());
}

// In one process: a run file that does not fit throws storage_error, and afterwards HDF5 holds no
// open object (before, the failed file stayed open and HDF5 crashed flushing it at exit).
TEST_F(storage_faults, a_failed_write_leaves_no_hdf5_object_open_and_no_temporary) {
    small_file_system tiny(dir_.path() / "tiny", 64);
    MOUNT_OR_SKIP(tiny);
    m1::run_record big;
    big.spikes.push_back({"P", std::vector<double>(20000, 1.0), std::vector<std::uint64_t>(20000, 0)});
    try {
        m1::write_run_file(tiny.path() / "run.h5", big);
        FAIL() << "no storage_error";
    } catch (const m1::storage_error& e) {
        EXPECT_EQ(e.error_number(), ENOSPC);
        EXPECT_EQ(std::string(e.what()),
                  "no space left on device while writing " + (tiny.path() / "run.h5").string());
    }
    EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    EXPECT_TRUE(listing(tiny.path()).empty());
    ASSERT_TRUE(tiny.make_read_only());
    EXPECT_THROW(m1::write_file_atomically(tiny.path() / "x.txt", "x"), m1::storage_error);
    EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

}  // namespace
