#pragma once
// What several unit tests need alike (header-only): files and temporary directories, running a
// command, line numbers in a text, spikes read back and compared, and a minimal HDF5 handle for
// the tests' own readers (independent of the writers' code under test).
#include "core/base/random.hpp"
#include "core/io/run_file.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace m1::test {

// `s` as one word for sh: in single quotes, each ' written as '\''.
inline std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// The bytes of a file; empty when it cannot be read.
inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Writes the bytes `text` to `p`, creating its directory first; returns `p`.
inline std::filesystem::path write_file(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

// The names in a directory, sorted.
inline std::vector<std::string> listing(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A fresh, empty directory "m1batch-test-<name>-<pid>-<n>" under the system's temporary
// directory, removed with all it holds on destruction. The pid and the counter keep tests run at
// once (ctest -j) or one after another apart.
class temporary_directory {
public:
    explicit temporary_directory(const std::string& name) {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("m1batch-test-" + name + "-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    temporary_directory(const temporary_directory&) = delete;
    temporary_directory& operator=(const temporary_directory&) = delete;
    ~temporary_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    const std::filesystem::path& path() const noexcept { return path_; }
    // The file `name` (a path relative to the directory) with the bytes `text`.
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        return write_file(path_ / name, text);
    }

private:
    std::filesystem::path path_;
};

// How a shell command ended and what it printed.
struct shell_result {
    int status = -1;  // its exit status; -1 when it did not exit normally
    std::string out, err;
};

// Runs `command` with sh; its standard output and error go to stdout.txt and stderr.txt in `dir`
// and are read back.
inline shell_result run_shell(const std::string& command, const std::filesystem::path& dir) {
    const std::filesystem::path out = dir / "stdout.txt", err = dir / "stderr.txt";
    const std::string full = command + " >" + quote(out.string()) + " 2>" + quote(err.string());
    const int status = std::system(full.c_str());
    return {status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out),
            read_file(err)};
}

// 1-based line of the first occurrence of `needle` (the test fails if absent).
inline std::size_t line_of(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    EXPECT_NE(at, std::string::npos) << "test setup: '" << needle << "' not in the text";
    std::size_t line = 1;
    for (std::size_t i = 0; i < at && i < text.size(); ++i)
        if (text[i] == '\n') ++line;
    return line;
}

// Run id -> spikes, for every run.h5 under dir/runs (a results directory).
inline std::map<std::string, std::vector<m1::population_spikes>> spikes_of(
    const std::filesystem::path& dir) {
    std::map<std::string, std::vector<m1::population_spikes>> out;
    for (const auto& e : std::filesystem::directory_iterator(dir / "runs"))
        if (std::filesystem::exists(e.path() / "run.h5"))
            out[e.path().filename().string()] = m1::read_run_spikes(e.path() / "run.h5");
    return out;
}

// The same populations with the same spikes, to the bit.
inline bool same_spikes(const std::vector<m1::population_spikes>& a,
                        const std::vector<m1::population_spikes>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t p = 0; p < a.size(); ++p)
        if (a[p].population != b[p].population || a[p].timestamps != b[p].timestamps ||
            a[p].node_ids != b[p].node_ids)
            return false;
    return true;
}

// An HDF5 identifier that closes itself, for the tests' readers; a failed call (negative id)
// throws, so a reader stops at the first thing missing.
struct h5 {
    hid_t id;
    herr_t (*close)(hid_t);
    h5(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {
        if (id < 0) throw std::runtime_error("HDF5 call failed in the test reader");
    }
    h5(const h5&) = delete;
    h5& operator=(const h5&) = delete;
    h5(h5&& other) noexcept : id(other.id), close(other.close) { other.id = H5I_INVALID_HID; }
    ~h5() {
        if (id >= 0) close(id);
    }
    operator hid_t() const { return id; }
};

// Throws when an HDF5 call of a test reader failed.
inline void ok(herr_t r) {
    if (r < 0) throw std::runtime_error("HDF5 call failed in the test reader");
}

// Synthetic spike trains for the analysis tests. A population of `cells` Poisson cells at rate_hz,
// merged (one Poisson process), drawn from the counter-based stream (id, salt, 1).
inline std::vector<double> poisson_train(std::uint32_t id, std::uint32_t salt, double cells,
                                         double rate_hz, double stop_ms) {
    m1::random_stream s(id, salt, 1);
    const double mean_isi = 1000.0 / (cells * rate_hz);
    std::vector<double> t;
    for (double now = s.negexp(mean_isi); now < stop_ms; now += s.negexp(mean_isi)) t.push_back(now);
    return t;
}

// A population driven by x: x's spikes thinned to `keep` and delayed by lag_ms, plus `noise`.
inline std::vector<double> driven_train(std::uint32_t id, std::uint32_t salt, const std::vector<double>& x,
                                        double keep, double lag_ms, double stop_ms,
                                        const std::vector<double>& noise) {
    m1::random_stream s(id, salt, 2);
    std::vector<double> y = noise;
    for (double t : x)
        if (s.uniform01() < keep && t + lag_ms < stop_ms) y.push_back(t + lag_ms);
    std::sort(y.begin(), y.end());
    return y;
}

// The lines of `text`, without their line ends (\n or \r\n, as CSV files have them).
inline std::vector<std::string> text_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line);
    }
    return out;
}

// Starts `bin` with `args` in the background in `dir`, its stderr appended to `log` and its stdout
// dropped; returns its pid (wait_exit collects it).
inline pid_t start_background(const std::string& bin, const std::vector<std::string>& args,
                              const std::filesystem::path& dir, const std::filesystem::path& log) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::chdir(dir.c_str()) != 0) ::_exit(126);
        std::freopen(log.c_str(), "a", stderr);
        std::freopen("/dev/null", "w", stdout);
        std::vector<char*> argv{const_cast<char*>(bin.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

// The exit status of a child, or minus the signal that ended it.
inline int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// The runs of a results directory that have their run file (runs/<id>/run.h5): finished ones.
inline std::size_t runs_done(const std::filesystem::path& output) {
    std::size_t n = 0;
    std::error_code ec;
    if (!std::filesystem::exists(output / "runs", ec)) return 0;
    for (const auto& e : std::filesystem::directory_iterator(output / "runs", ec))
        n += std::filesystem::exists(e.path() / "run.h5", ec);
    return n;
}

// mpirun as the tests and CI run it, the start of a shell command: as root (Open MPI's
// allow-run-as-root settings), more ranks than cores, over the loopback only.
inline std::string mpirun(int ranks) {
    return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader "
           "OMPI_MCA_plm_rsh_agent= mpirun --oversubscribe -np " + std::to_string(ranks) + " ";
}

// Starts `mpirun(ranks) arguments` in the background in `dir` (start_background: its stderr
// appended to `log`); returns mpirun's pid, which wait_exit collects and signals reach.
inline pid_t start_mpirun(int ranks, const std::string& arguments, const std::filesystem::path& dir,
                          const std::filesystem::path& log) {
    return start_background("/bin/sh", {"-c", "exec " + mpirun(ranks) + arguments}, dir, log);
}

// The pid of MPI rank `rank` of the program `bin` started with `marker` (its file, say) on its
// command line: a process whose environment says OMPI_COMM_WORLD_RANK=rank; 0 when there is none.
inline pid_t mpi_rank_pid(const std::string& bin, const std::string& marker, int rank) {
    const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0';
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string cmdline = read_file(e.path() / "cmdline");
        if (cmdline.rfind(bin, 0) != 0 || cmdline.find(marker) == std::string::npos) continue;
        if (read_file(e.path() / "environ").find(wanted) != std::string::npos)
            return static_cast<pid_t>(std::stol(e.path().filename().string()));
    }
    return 0;
}

// wait_exit for at most `limit`; none when the process had not ended by then (it is then killed
// with SIGKILL and collected, so that a test that fails does not hang).
inline std::optional<int> wait_exit_within(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return std::nullopt;
        }
        ::usleep(20000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// The full M1 model (configs/models/m1_2017.json).
inline const std::string m1_model = M1_SOURCE_DIR "/configs/models/m1_2017.json";

// The m1batch under test, which CMake names in M1BATCH_BIN; empty when it is not set.
inline std::string m1batch_binary() {
    const char* bin = std::getenv("M1BATCH_BIN");
    return bin ? bin : "";
}

// Four cells of one population driven by background noise (a NetPyNE model file): a run takes
// milliseconds. For tests of the batch layer, where what runs matters less than how.
inline const std::string tiny_model = R"({
 "netParams": {
  "sizeX": 100, "sizeY": 100, "sizeZ": 100,
  "scaleConnWeight": 1.0,
  "popParams": {"E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 4}},
  "cellParams": {"RS": {"conds": {"cellType": "RS"}, "secs": {"soma": {"geom": {"diam": 10, "L": 10, "cm": 31.831}, "pointps": {"Izhi": {"mod": "Izhi2007b", "celltype": 1}}}}}},
  "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 5.3, "e": 0}},
  "stimSourceParams": {"bg": {"type": "NetStim", "rate": 50, "noise": 1.0}},
  "stimTargetParams": {"bg_E": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA", "weight": 0.5, "delay": 2}},
  "connParams": {"EE": {"preConds": {"pop": "E"}, "postConds": {"pop": "E"}, "synMech": "AMPA", "probability": 0.5, "weight": 0.01, "delay": 2}}
 },
 "simConfig": {"duration": 100, "dt": 0.025}
}
)";

// A file's inode and modification time: the same after a step means the step did not rewrite it.
struct file_identity {
    ino_t inode = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const file_identity&) const = default;
};
inline file_identity identity(const std::filesystem::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return {st.st_ino, std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// An `env` prefix that unsets every variable m1batch takes a task index, count, threads or jobs
// from: a test run inside a SLURM or PBS job, or with M1BATCH_THREADS exported, sees none of them.
inline const std::string clean_environment =
    "env -u M1BATCH_TASK_INDEX -u M1BATCH_TASK_COUNT -u M1BATCH_THREADS -u M1BATCH_JOBS "
    "-u M1BATCH_OUTPUT -u M1BATCH_MAX_RUNS -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_MIN "
    "-u SLURM_ARRAY_TASK_STEP -u SLURM_ARRAY_TASK_COUNT -u SLURM_CPUS_PER_TASK -u PBS_ARRAY_INDEX "
    "-u PBS_ARRAYID -u NCPUS -u PBS_NUM_PPN -u OMPI_COMM_WORLD_SIZE -u PMI_SIZE -u PMIX_SIZE";

// Two results directories hold the same `runs` runs with the same spikes, run for run.
inline void expect_same_runs(const std::filesystem::path& a, const std::filesystem::path& b, std::size_t runs) {
    const auto x = spikes_of(a), y = spikes_of(b);
    ASSERT_EQ(x.size(), runs) << a;
    ASSERT_EQ(y.size(), runs) << b;
    for (const auto& [id, spikes] : x) {
        ASSERT_TRUE(y.count(id)) << id;
        EXPECT_TRUE(same_spikes(spikes, y.at(id))) << id;
    }
}

// A synthetic train (with poisson_train, driven_train): `times` each moved by a normal deviate of
// sd_ms (stream (id, salt, 3)), sorted again; spikes passed on through synapses whose delays vary.
inline std::vector<double> jittered_train(std::uint32_t id, std::uint32_t salt, std::vector<double> times,
                                          double sd_ms) {
    m1::random_stream s(id, salt, 3);
    for (double& t : times) t += s.normal(0, sd_ms * sd_ms);
    std::sort(times.begin(), times.end());
    return times;
}

// A run record holding `trains` as populations of one cell each (node id 0) over `duration_ms`:
// what the analysis needs of a run file, for analysis tests on synthetic or reference spikes.
inline m1::run_record one_cell_populations(
    const std::vector<std::pair<std::string, std::vector<double>>>& trains, double duration_ms) {
    m1::run_record r;
    for (const auto& [name, times] : trains) {
        r.spikes.push_back({name, times, std::vector<std::uint64_t>(times.size(), 0)});
        r.cells.gid.push_back(r.cells.gid.size());
        r.cells.population.push_back(name);
        r.cells.cell_type.push_back("PYR");
        for (auto* column : {&r.cells.x, &r.cells.y, &r.cells.z}) column->push_back(0);
        r.cells.ynorm.push_back(0.5);
    }
    r.run_attributes = {{"format_version", std::int64_t{2}}, {"duration_ms", duration_ms}};
    return r;
}

}  // namespace m1::test
