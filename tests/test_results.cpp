// The results directory (batch/results.hpp): real files in a temporary directory, real processes
// (fork) for the lock and the claims, index.h5 read back with HDF5's C API.
#include "batch/results.hpp"

#include "core/base/error.hpp"
#include "core/format/json_source.hpp"
#include "core/io/posix_file.hpp"
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <hdf5.h>

#include <gtest/gtest.h>

#include <cmath>
#include <toml++/toml.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <ctime>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using m1::batch::index_row;
using m1::batch::results_directory;
using m1::batch::run_state;
using m1::test::h5;
using m1::test::listing;
using m1::test::ok;
using m1::test::read_file;
using m1::test::write_file;

namespace {

std::string host() {
    char buffer[HOST_NAME_MAX + 1] = {};
    ::gethostname(buffer, sizeof buffer - 1);
    return buffer;
}

// "YYYY-MM-DDTHH:MM:SSZ"
bool is_iso_time(const std::string& t) {
    const std::string pattern = "dddd-dd-ddTdd:dd:ddZ";
    if (t.size() != pattern.size()) return false;
    for (std::size_t i = 0; i < t.size(); ++i)
        if (pattern[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(t[i])) : t[i] != pattern[i])
            return false;
    return true;
}

// A run directory after one takeover: the new claim and the takeover marker, nothing else.
void expect_claim_and_one_marker(const fs::path& dir) {
    const auto names = listing(dir);
    ASSERT_EQ(names.size(), 2u);
    EXPECT_EQ(names[0], "claim");
    EXPECT_EQ(names[1].rfind("claim.takeover.", 0), 0u) << names[1];
}

// Sets a file's mtime `seconds` into the past.
void age(const fs::path& p, long seconds) {
    timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds;
    times[1] = times[0];
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
}

// A forked child running `body`, which reports one character to the parent through a pipe
// (report()) and then either returns (the child exits with _exit, releasing nothing itself) or
// stays alive until killed (stay = true). Killed with SIGKILL at the latest on destruction.
class child_process {
public:
    child_process(const std::function<char()>& body, bool stay) {
        int p[2];
        if (::pipe(p) != 0) throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::close(p[0]);
            char c = 'E';
            try {
                c = body();
            } catch (...) {
            }
            if (::write(p[1], &c, 1) != 1) ::_exit(2);
            if (stay)
                for (;;) ::pause();
            ::_exit(0);
        }
        ::close(p[1]);
        fd_ = p[0];
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        kill9();
        ::close(fd_);
    }

    pid_t pid() const { return pid_; }
    char report() const {
        char c = 0;
        return ::read(fd_, &c, 1) == 1 ? c : 0;
    }
    // Waits for the child to end by itself.
    void wait() {
        if (!reaped_) ::waitpid(pid_, nullptr, 0);
        reaped_ = true;
    }
    void kill9() {
        if (reaped_) return;
        ::kill(pid_, SIGKILL);
        wait();
    }

private:
    pid_t pid_ = -1;
    int fd_ = -1;
    bool reaped_ = false;
};

class results : public ::testing::Test {
protected:
    // The refusal message naming an exclusive holder, checked whole.
    void expect_held_by(const m1::run_error& e, pid_t pid) const {
        const std::string what = e.what();
        const std::string prefix = root_.string() + " is in use by another batch (pid " +
                                   std::to_string(pid) + ", host " + host() + ", since ";
        const std::string suffix = "); wait for it to finish or stop it";
        ASSERT_GT(what.size(), prefix.size() + suffix.size()) << what;
        EXPECT_EQ(what.substr(0, prefix.size()), prefix) << what;
        EXPECT_EQ(what.substr(what.size() - suffix.size()), suffix) << what;
        const std::string time =
            what.substr(prefix.size(), what.size() - prefix.size() - suffix.size());
        EXPECT_TRUE(is_iso_time(time)) << time;
    }

    m1::test::temporary_directory temp_{"results"};
    const fs::path root_ = temp_.path();
};

// ---------------------------------------------------------------------------------------------
// write_file_atomically

TEST_F(results, atomic_write_replaces_the_file_and_leaves_no_temporary) {
    const fs::path f = root_ / "f.txt";
    m1::write_file_atomically(f, "first");
    EXPECT_EQ(read_file(f), "first");
    const std::string binary("second\0\r\n\xff", 10);
    m1::write_file_atomically(f, binary);
    EXPECT_EQ(read_file(f), binary);
    m1::write_file_atomically(root_ / "empty", "");
    EXPECT_EQ(fs::file_size(root_ / "empty"), 0u);
    EXPECT_EQ(listing(root_), (std::vector<std::string>{"empty", "f.txt"}));
}

TEST_F(results, atomic_write_failure_names_the_path_and_leaves_nothing) {
    const fs::path missing = root_ / "no" / "f.txt";
    try {
        m1::write_file_atomically(missing, "x");
        FAIL() << "no error";
    } catch (const m1::run_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot create " + missing.string() + ": No such file or directory");
    }
    // The rename fails (the target is a directory): the temporary must be gone.
    fs::create_directories(root_ / "d");
    try {
        m1::write_file_atomically(root_ / "d", "x");
        FAIL() << "no error";
    } catch (const m1::run_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot write " + (root_ / "d").string() + ": rename: Is a directory");
    }
    EXPECT_EQ(listing(root_), (std::vector<std::string>{"d"}));
    EXPECT_TRUE(listing(root_ / "d").empty());
}

TEST_F(results, create_makes_root_and_runs_and_names_what_it_cannot_create) {
    const results_directory dir(root_ / "out");
    EXPECT_FALSE(fs::exists(root_ / "out"));  // the constructor creates nothing
    EXPECT_EQ(dir.run_file("ab"), root_ / "out" / "runs" / "ab" / "run.h5");
    EXPECT_EQ(dir.log_file("ab"), root_ / "out" / "runs" / "ab" / "log.txt");
    dir.create();
    EXPECT_TRUE(fs::is_directory(root_ / "out" / "runs"));

    write_file(root_ / "file", "x");
    EXPECT_THROW(results_directory(root_ / "file" / "out").create(), m1::run_error);
}

// ---------------------------------------------------------------------------------------------
// The lock

TEST_F(results, exclusive_lock_refuses_another_process_and_kill_9_leaves_no_stale_lock) {
    const results_directory dir(root_);
    child_process holder(
        [&] {
            auto* l = new results_directory::lock(dir.acquire_lock(true));  // held until killed
            return l->held() ? '1' : '0';
        },
        /*stay=*/true);
    ASSERT_EQ(holder.report(), '1');
    try {
        (void)dir.acquire_lock(true);
        FAIL() << "exclusive lock granted twice";
    } catch (const m1::run_error& e) {
        expect_held_by(e, holder.pid());
    }
    try {
        (void)dir.acquire_lock(false);
        FAIL() << "shared lock granted beside an exclusive one";
    } catch (const m1::run_error& e) {
        expect_held_by(e, holder.pid());
    }
    holder.kill9();
    const auto l = dir.acquire_lock(true);
    EXPECT_TRUE(l.held());
    EXPECT_EQ(read_file(root_ / ".lock").substr(0, 4 + std::to_string(::getpid()).size() + 1),
              "pid " + std::to_string(::getpid()) + " ");
}

TEST_F(results, shared_locks_coexist_but_exclude_an_exclusive_one) {
    const results_directory dir(root_);
    child_process task(
        [&] {
            auto* l = new results_directory::lock(dir.acquire_lock(false));
            return l->held() ? '1' : '0';
        },
        /*stay=*/true);
    ASSERT_EQ(task.report(), '1');
    {
        const auto shared = dir.acquire_lock(false);
        EXPECT_TRUE(shared.held());
        try {
            (void)dir.acquire_lock(true);
            FAIL() << "exclusive lock granted beside shared ones";
        } catch (const m1::run_error& e) {
            EXPECT_EQ(std::string(e.what()),
                      root_.string() + " is in use by the array tasks of a batch; wait for them "
                                       "to finish or stop them");
        }
    }
    task.kill9();
    EXPECT_TRUE(dir.acquire_lock(true).held());
}

TEST_F(results, shared_lock_in_another_process_is_refused_by_an_exclusive_holder) {
    const results_directory dir(root_);
    const auto held = dir.acquire_lock(true);
    const std::string expected = root_.string() + " is in use by another batch (pid " +
                                 std::to_string(::getpid()) + ", host " + host() + ", since ";
    child_process task(
        [&] {
            try {
                (void)dir.acquire_lock(false);
                return 'G';
            } catch (const m1::run_error& e) {
                return std::string(e.what()).rfind(expected, 0) == 0 ? 'R' : 'M';
            }
        },
        /*stay=*/false);
    EXPECT_EQ(task.report(), 'R');
    task.wait();
}

TEST_F(results, lock_objects_in_one_process_conflict_and_release_on_destruction) {
    const results_directory dir(root_);
    auto first = dir.acquire_lock(true);
    EXPECT_THROW((void)dir.acquire_lock(true), m1::run_error);
    results_directory::lock moved(std::move(first));
    EXPECT_FALSE(first.held());
    EXPECT_TRUE(moved.held());
    EXPECT_THROW((void)dir.acquire_lock(false), m1::run_error);
    moved = results_directory::lock();  // move assignment closes the held descriptor
    EXPECT_FALSE(moved.held());
    auto a = dir.acquire_lock(false);
    auto b = dir.acquire_lock(false);
    EXPECT_TRUE(a.held() && b.held());
    a = std::move(b);
    EXPECT_THROW((void)dir.acquire_lock(true), m1::run_error);  // a still holds b's lock
    a = results_directory::lock();
    EXPECT_TRUE(dir.acquire_lock(true).held());
}

// A busy directory is told by the error's type (m1batch exits with exit_busy), not its text; a
// directory that cannot be locked at all is not busy.
TEST_F(results, a_refused_lock_is_directory_busy) {
    const results_directory dir(root_);
    const auto held = dir.acquire_lock(true);
    EXPECT_THROW((void)dir.acquire_lock(true), m1::batch::directory_busy);
    EXPECT_THROW((void)dir.acquire_lock(false), m1::batch::directory_busy);
    const results_directory missing(root_ / "missing");
    try {
        (void)missing.acquire_lock(true);
        FAIL() << "no error";
    } catch (const m1::batch::directory_busy&) {
        FAIL() << "a missing directory is not busy";
    } catch (const m1::run_error&) {
    }
}

TEST_F(results, lock_on_a_missing_directory_names_it) {
    const results_directory dir(root_ / "missing");
    try {
        (void)dir.acquire_lock(true);
        FAIL() << "no error";
    } catch (const m1::run_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot lock " + (root_ / "missing").string() +
                                             ": cannot open " +
                                             (root_ / "missing" / ".lock").string() +
                                             ": No such file or directory");
    }
}

// ---------------------------------------------------------------------------------------------
// Claims

TEST_F(results, claim_is_exclusive_and_names_its_owner) {
    const results_directory dir(root_);
    const std::time_t before = std::time(nullptr);
    ASSERT_TRUE(dir.claim("r1"));
    const std::string text = read_file(root_ / "runs" / "r1" / "claim");
    std::istringstream in(text);
    std::string h, pid, start;
    std::getline(in, h);
    std::getline(in, pid);
    std::getline(in, start);
    EXPECT_EQ(h, host());
    EXPECT_EQ(pid, std::to_string(::getpid()));
    EXPECT_GE(std::stoll(start), before);
    EXPECT_LE(std::stoll(start), std::time(nullptr));
    EXPECT_EQ(text, h + "\n" + pid + "\n" + start + "\n");

    EXPECT_FALSE(dir.claim("r1"));  // our own claim is live
    // Even when old: this process is alive and owns it.
    age(root_ / "runs" / "r1" / "claim", 1200);
    EXPECT_FALSE(dir.claim("r1"));
    dir.release_claim("r1");
    EXPECT_FALSE(fs::exists(root_ / "runs" / "r1" / "claim"));
    EXPECT_NO_THROW(dir.release_claim("r1"));
    EXPECT_NO_THROW(dir.release_claim("never"));
    EXPECT_TRUE(dir.claim("r1"));
}

TEST_F(results, claim_of_a_dead_process_is_taken_over) {
    const results_directory dir(root_);
    child_process worker([&] { return dir.claim("r1") ? '1' : '0'; }, /*stay=*/false);
    ASSERT_EQ(worker.report(), '1');
    worker.wait();  // exited without releasing
    const fs::path claim = root_ / "runs" / "r1" / "claim";
    const std::string owner = host() + "\n" + std::to_string(worker.pid()) + "\n";
    EXPECT_EQ(read_file(claim).substr(0, owner.size()), owner);
    EXPECT_EQ(dir.read_state("r1").state, run_state::missing);  // its owner is gone
    EXPECT_TRUE(dir.claim("r1"));
    std::istringstream in(read_file(claim));
    std::string h, pid;
    std::getline(in, h);
    std::getline(in, pid);
    EXPECT_EQ(pid, std::to_string(::getpid()));
    expect_claim_and_one_marker(root_ / "runs" / "r1");
}

TEST_F(results, claim_of_a_live_process_is_respected_until_it_dies) {
    const results_directory dir(root_);
    child_process worker([&] { return dir.claim("r1") ? '1' : '0'; }, /*stay=*/true);
    ASSERT_EQ(worker.report(), '1');
    EXPECT_FALSE(dir.claim("r1"));
    EXPECT_EQ(dir.read_state("r1").state, run_state::running);
    worker.kill9();
    EXPECT_EQ(dir.read_state("r1").state, run_state::missing);
    EXPECT_TRUE(dir.claim("r1"));
    expect_claim_and_one_marker(root_ / "runs" / "r1");
}

TEST_F(results, claim_not_refreshed_for_stale_after_is_taken_over) {
    const results_directory dir(root_);
    const fs::path claim = root_ / "runs" / "r1" / "claim";
    // Another host: its pid means nothing here, only the age counts.
    write_file(claim, "elsewhere.invalid\n1\n" + std::to_string(std::time(nullptr)) + "\n");
    EXPECT_FALSE(dir.claim("r1"));
    EXPECT_EQ(dir.read_state("r1").state, run_state::running);
    age(claim, 1200);
    EXPECT_FALSE(dir.claim("r1", std::chrono::seconds(3600)));
    EXPECT_EQ(read_file(claim).substr(0, 18), "elsewhere.invalid\n");
    EXPECT_EQ(dir.read_state("r1").state, run_state::missing);
    EXPECT_TRUE(dir.claim("r1", std::chrono::seconds(600)));
    EXPECT_EQ(read_file(claim).substr(0, host().size() + 1), host() + "\n");
    expect_claim_and_one_marker(root_ / "runs" / "r1");
}

TEST_F(results, refresh_claim_touches_it) {
    const results_directory dir(root_);
    ASSERT_TRUE(dir.claim("r1"));
    const fs::path claim = root_ / "runs" / "r1" / "claim";
    age(claim, 1200);
    struct stat st {};
    ASSERT_EQ(::stat(claim.c_str(), &st), 0);
    EXPECT_LT(st.st_mtim.tv_sec, std::time(nullptr) - 1000);
    dir.refresh_claim("r1");
    ASSERT_EQ(::stat(claim.c_str(), &st), 0);
    EXPECT_GE(st.st_mtim.tv_sec, std::time(nullptr) - 5);
    EXPECT_THROW(dir.refresh_claim("never"), m1::run_error);
}

TEST_F(results, exactly_one_of_several_processes_takes_over_a_stale_claim) {
    const results_directory dir(root_);
    // Several rounds: the interleavings differ from one to the next.
    for (int round = 0; round < 10; ++round) {
        std::string id = "r";
        id += std::to_string(round);
        const fs::path claim = root_ / "runs" / id / "claim";
        write_file(claim, "elsewhere.invalid\n1\n0\n");
        age(claim, 1200);
        int start[2];
        ASSERT_EQ(::pipe(start), 0);
        std::vector<std::unique_ptr<child_process>> workers;
        for (int i = 0; i < 6; ++i)
            workers.push_back(std::make_unique<child_process>(
                [&] {
                    char go = 0;
                    if (::read(start[0], &go, 1) != 1) return 'E';
                    return dir.claim(id) ? '1' : '0';
                },
                /*stay=*/true));  // alive, so that the winner's claim stays live
        ::close(start[0]);
        const std::string go(workers.size(), 'g');
        ASSERT_EQ(::write(start[1], go.data(), go.size()), ssize_t(go.size()));
        ::close(start[1]);
        int winners = 0;
        pid_t winner = -1;
        for (const auto& w : workers) {
            const char c = w->report();
            EXPECT_TRUE(c == '0' || c == '1') << c;
            if (c == '1') ++winners, winner = w->pid();
        }
        EXPECT_EQ(winners, 1) << "round " << round;
        std::istringstream in(read_file(claim));
        std::string h, pid;
        std::getline(in, h);
        std::getline(in, pid);
        EXPECT_EQ(pid, std::to_string(winner)) << "round " << round;
        expect_claim_and_one_marker(root_ / "runs" / id);
    }
}

// ---------------------------------------------------------------------------------------------
// Run states

m1::run_record small_record(double wall_s, std::int64_t spikes, double rate) {
    m1::run_record r;
    r.run_attributes = {{"format_version", std::int64_t(1)},
                        {"wall_s", wall_s},
                        {"spikes", spikes},
                        {"mean_rate_hz", rate}};
    r.model_json = "{}";
    return r;
}

TEST_F(results, read_state_reports_each_state) {
    const results_directory dir(root_);
    dir.create();
    index_row row = dir.read_state("r1");
    EXPECT_EQ(row.id, "r1");
    EXPECT_EQ(row.state, run_state::missing);

    ASSERT_TRUE(dir.claim("r1"));
    EXPECT_EQ(dir.read_state("r1").state, run_state::running);
    dir.release_claim("r1");

    dir.record_outcome("r1", run_state::failed, "timeout, after \"600\" s\n", 612.5);
    row = dir.read_state("r1");
    EXPECT_EQ(row.state, run_state::failed);
    EXPECT_EQ(row.message, "timeout, after \"600\" s\n");
    EXPECT_EQ(row.wall_s, 612.5);
    const auto status = nlohmann::json::parse(read_file(root_ / "runs" / "r1" / "status.json"));
    EXPECT_EQ(status.at("status"), "failed");
    EXPECT_EQ(status.at("wall_s"), 612.5);
    EXPECT_TRUE(is_iso_time(status.at("time").get<std::string>()));

    dir.record_outcome("r1", run_state::interrupted, "SIGTERM", 3.25);
    row = dir.read_state("r1");
    EXPECT_EQ(row.state, run_state::interrupted);
    EXPECT_EQ(row.message, "SIGTERM");
    EXPECT_EQ(row.wall_s, 3.25);
    EXPECT_EQ(listing(root_ / "runs" / "r1"), (std::vector<std::string>{"status.json"}));

    dir.clear_outcome("r1");
    EXPECT_EQ(dir.read_state("r1").state, run_state::missing);
    EXPECT_NO_THROW(dir.clear_outcome("r1"));
    EXPECT_THROW(dir.record_outcome("r1", run_state::done, "", 0), std::invalid_argument);

    // A finished run wins over an outcome left behind.
    dir.record_outcome("r1", run_state::failed, "earlier attempt", 1);
    m1::write_run_file(dir.run_file("r1"), small_record(2.5, 42, 3.75));
    row = dir.read_state("r1");
    EXPECT_EQ(row.id, "r1");
    EXPECT_EQ(row.state, run_state::done);
    EXPECT_EQ(row.wall_s, 2.5);
    EXPECT_EQ(row.spikes, 42u);
    EXPECT_EQ(row.mean_rate_hz, 3.75);
    EXPECT_EQ(row.message, "");
}

TEST_F(results, read_state_reports_unreadable_files_as_failed) {
    const results_directory dir(root_);
    write_file(dir.run_directory("r1") / "status.json", "{\"status\": ");
    index_row row = dir.read_state("r1");
    EXPECT_EQ(row.state, run_state::failed);
    EXPECT_EQ(row.message.rfind("status.json unreadable: ", 0), 0u) << row.message;

    write_file(dir.run_file("r2"), "not HDF5");
    row = dir.read_state("r2");
    EXPECT_EQ(row.state, run_state::failed);
    const std::string prefix = "run.h5 unreadable: cannot read " + dir.run_file("r2").string() +
                               ": not an HDF5 file or cannot be opened";
    EXPECT_EQ(row.message.substr(0, prefix.size()), prefix);
}

// ---------------------------------------------------------------------------------------------
// The index

hsize_t length(hid_t set) {
    h5 space(H5Dget_space(set), H5Sclose);
    EXPECT_EQ(H5Sget_simple_extent_ndims(space), 1);
    hsize_t n = 0;
    ok(H5Sget_simple_extent_dims(space, &n, nullptr));
    return n;
}

template <class T>
std::vector<T> read_numbers(hid_t file, const char* name, H5T_class_t cls, hid_t memory) {
    h5 set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    h5 type(H5Dget_type(set), H5Tclose);
    EXPECT_EQ(H5Tget_class(type), cls) << name;
    EXPECT_EQ(H5Tget_size(type), 8u) << name;
    if (cls == H5T_INTEGER) {
        EXPECT_EQ(H5Tget_sign(type), H5T_SGN_NONE) << name;
    }
    std::vector<T> values(length(set));
    if (!values.empty()) ok(H5Dread(set, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
    return values;
}

std::vector<std::string> read_strings(hid_t file, const char* name) {
    h5 set(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    h5 type(H5Dget_type(set), H5Tclose);
    EXPECT_EQ(H5Tget_class(type), H5T_STRING) << name;
    EXPECT_GT(H5Tis_variable_str(type), 0) << name;
    EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8) << name;
    std::vector<char*> pointers(length(set));
    std::vector<std::string> values;
    if (pointers.empty()) return values;
    ok(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()));
    for (char* p : pointers) {
        values.emplace_back(p);
        H5free_memory(p);
    }
    return values;
}

std::string string_attribute(hid_t file, const char* object, const char* name) {
    h5 attr(H5Aopen_by_name(file, object, name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    h5 type(H5Aget_type(attr), H5Tclose);
    char* text = nullptr;
    ok(H5Aread(attr, type, &text));
    std::string value(text);
    H5free_memory(text);
    return value;
}

std::vector<index_row> sample_rows() {
    index_row a;
    a.id = "0123456789abcdef";
    a.values = {"0.0002", "a,b"};
    a.seed = "1";
    a.state = run_state::done;
    a.wall_s = 1.5;
    a.spikes = 123456789012;
    a.mean_rate_hz = 0.1;
    index_row b;
    b.id = "fedcba9876543210";
    b.values = {"0.0003", "say \"hi\""};
    b.seed = "1/2/3";
    b.state = run_state::failed;
    b.wall_s = 600.25;
    b.message = "line one\nline two\r";
    index_row c;
    c.id = "00000000000000ff";
    c.values = {"1e-05", "plain"};
    c.seed = "2";
    c.state = run_state::missing;
    return {a, b, c};
}

// A failed run has a wall time but no spikes or rate; a missing one has none of them.
TEST_F(results, write_index_writes_rfc_4180_csv) {
    const results_directory dir(root_);
    dir.write_index({"/netParams/scaleConnWeight", "label,x"}, sample_rows());
    EXPECT_EQ(read_file(root_ / "index.csv"),
              "run_id,/netParams/scaleConnWeight,\"label,x\",seed,status,wall_s,spikes,"
              "mean_rate_hz,message\r\n"
              "0123456789abcdef,0.0002,\"a,b\",1,done,1.5,123456789012,0.1,\r\n"
              "fedcba9876543210,0.0003,\"say \"\"hi\"\"\",1/2/3,failed,600.25,,,"
              "\"line one\nline two\r\"\r\n"
              "00000000000000ff,1e-05,plain,2,missing,,,,\r\n");
    EXPECT_EQ(listing(root_), (std::vector<std::string>{"index.csv", "index.h5"}));
}

TEST_F(results, write_index_writes_index_h5) {
    const results_directory dir(root_);
    dir.write_index({"/netParams/scaleConnWeight", "label,x"}, sample_rows());
    h5 file(H5Fopen((root_ / "index.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    EXPECT_EQ(read_strings(file, "run_id"),
              (std::vector<std::string>{"0123456789abcdef", "fedcba9876543210", "00000000000000ff"}));
    EXPECT_EQ(read_strings(file, "seed"), (std::vector<std::string>{"1", "1/2/3", "2"}));
    EXPECT_EQ(read_strings(file, "status"), (std::vector<std::string>{"done", "failed", "missing"}));
    EXPECT_EQ(read_strings(file, "message"),
              (std::vector<std::string>{"", "line one\nline two\r", ""}));
    // NaN where a run has not ended (wall time) or not finished (rate).
    const auto wall = read_numbers<double>(file, "wall_s", H5T_FLOAT, H5T_NATIVE_DOUBLE);
    ASSERT_EQ(wall.size(), 3u);
    EXPECT_EQ(wall[0], 1.5);
    EXPECT_EQ(wall[1], 600.25);
    EXPECT_TRUE(std::isnan(wall[2]));
    const auto rate = read_numbers<double>(file, "mean_rate_hz", H5T_FLOAT, H5T_NATIVE_DOUBLE);
    ASSERT_EQ(rate.size(), 3u);
    EXPECT_EQ(rate[0], 0.1);
    EXPECT_TRUE(std::isnan(rate[1]));
    EXPECT_TRUE(std::isnan(rate[2]));
    EXPECT_EQ(read_numbers<std::uint64_t>(file, "spikes", H5T_INTEGER, H5T_NATIVE_UINT64),
              (std::vector<std::uint64_t>{123456789012, 0, 0}));
    // Every value of p0 is a number: float64. p1 has text: strings.
    EXPECT_EQ(read_numbers<double>(file, "params/p0", H5T_FLOAT, H5T_NATIVE_DOUBLE),
              (std::vector<double>{0.0002, 0.0003, 1e-05}));
    EXPECT_EQ(string_attribute(file, "params/p0", "path"), "/netParams/scaleConnWeight");
    EXPECT_EQ(read_strings(file, "params/p1"),
              (std::vector<std::string>{"a,b", "say \"hi\"", "plain"}));
    EXPECT_EQ(string_attribute(file, "params/p1", "path"), "label,x");
    H5G_info_t info;
    h5 params(H5Gopen2(file, "params", H5P_DEFAULT), H5Gclose);
    ok(H5Gget_info(params, &info));
    EXPECT_EQ(info.nlinks, 2u);
}

TEST_F(results, write_index_of_no_runs_and_of_a_mismatched_row) {
    const results_directory dir(root_);
    dir.write_index({"/a"}, {});
    EXPECT_EQ(read_file(root_ / "index.csv"),
              "run_id,/a,seed,status,wall_s,spikes,mean_rate_hz,message\r\n");
    {
        h5 file(H5Fopen((root_ / "index.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        EXPECT_TRUE(read_strings(file, "run_id").empty());
        EXPECT_TRUE(read_numbers<double>(file, "params/p0", H5T_FLOAT, H5T_NATIVE_DOUBLE).empty());
    }
    index_row r;
    r.id = "x";
    r.values = {"1", "2"};
    EXPECT_THROW(dir.write_index({"/a"}, {r}), std::invalid_argument);
    EXPECT_EQ(listing(root_), (std::vector<std::string>{"index.csv", "index.h5"}));
}

// ---------------------------------------------------------------------------------------------
// Housekeeping

TEST_F(results, stale_runs_are_run_directories_not_in_the_sweep) {
    const results_directory dir(root_);
    EXPECT_TRUE(dir.stale_runs({"a"}).empty());  // no runs/ yet
    for (const char* id : {"c", "a", "b", "d"}) fs::create_directories(root_ / "runs" / id);
    write_file(root_ / "runs" / "notes.txt", "not a run");
    EXPECT_EQ(dir.stale_runs({"b", "z"}), (std::vector<std::string>{"a", "c", "d"}));
    EXPECT_TRUE(dir.stale_runs({"a", "b", "c", "d"}).empty());
}

TEST_F(results, clean_up_removes_temporaries_and_claims_only) {
    const results_directory dir(root_);
    dir.create();
    const fs::path run = root_ / "runs" / "r1";
    fs::create_directories(run);
    m1::write_run_file(run / "run.h5", small_record(1, 2, 3));
    for (const char* f : {"log.txt", "status.json", "run.h5.tmp.4242", "status.json.tmp.1.2",
                          "claim.stale.7.0", "claim.takeover.12.0.0.00ff"})
        write_file(run / f, "x");
    ASSERT_TRUE(dir.claim("r1"));  // even a live-looking claim: the caller holds the lock
    write_file(root_ / "runs" / "r2" / "claim", "elsewhere.invalid\n1\n0\n");
    write_file(root_ / "index.csv", "x");
    write_file(root_ / "index.csv.tmp.99.0", "x");
    write_file(root_ / "source" / "m1.toml", "x");
    write_file(root_ / "source" / "m1.toml.tmp.99.1", "x");
    const auto l = dir.acquire_lock(true);

    dir.clean_up();
    EXPECT_EQ(listing(run), (std::vector<std::string>{"log.txt", "run.h5", "status.json"}));
    EXPECT_TRUE(listing(root_ / "runs" / "r2").empty());
    EXPECT_EQ(listing(root_), (std::vector<std::string>{".lock", "index.csv", "runs", "source"}));
    EXPECT_EQ(listing(root_ / "source"), (std::vector<std::string>{"m1.toml"}));
    EXPECT_EQ(dir.read_state("r1").state, run_state::done);
    EXPECT_NO_THROW(results_directory(root_ / "missing").clean_up());
}

TEST_F(results, save_sources_copies_the_sweep_model_and_sources) {
    const std::string model_text = "{\"netParams\": {\"scaleConnWeight\": 1e-4}}\n\n";
    write_file(root_ / "in" / "a" / "sweep.toml", "base = \"../b/base.toml\"\n");
    write_file(root_ / "in" / "b" / "base.toml", "base = \"../c/base.toml\"\nduration = 100\n");
    write_file(root_ / "in" / "c" / "base.toml", std::string("dt = 0.025\n\0", 12));

    m1::batch::sweep_spec sweep;
    sweep.sources = {root_ / "in" / "a" / "sweep.toml", root_ / "in" / "b" / "base.toml",
                     root_ / "in" / "c" / "base.toml"};
    sweep.model = m1::json_document::parse(model_text, "m1.json");
    sweep.self_contained = toml::parse(R"(name = "s"
model = "model.json"
output = "."
duration = 100
dt = 0.025
[sweep]
method = "grid"
[[sweep.param]]
path = "/netParams/scaleConnWeight"
values = [0.0002, 3, "x"]
)");
    const results_directory dir(root_ / "out");
    dir.save_sources(sweep);

    EXPECT_EQ(listing(root_ / "out"), (std::vector<std::string>{"model.json", "source", "sweep.toml"}));
    EXPECT_EQ(read_file(root_ / "out" / "model.json"), model_text);
    const toml::table back = toml::parse_file((root_ / "out" / "sweep.toml").string());
    EXPECT_EQ(back, sweep.self_contained);
    EXPECT_EQ(listing(root_ / "out" / "source"),
              (std::vector<std::string>{"2_base.toml", "base.toml", "sweep.toml"}));
    EXPECT_EQ(read_file(root_ / "out" / "source" / "sweep.toml"), "base = \"../b/base.toml\"\n");
    EXPECT_EQ(read_file(root_ / "out" / "source" / "base.toml"),
              "base = \"../c/base.toml\"\nduration = 100\n");
    EXPECT_EQ(read_file(root_ / "out" / "source" / "2_base.toml"), std::string("dt = 0.025\n\0", 12));

    sweep.sources.push_back(root_ / "in" / "gone.toml");
    try {
        dir.save_sources(sweep);
        FAIL() << "no error";
    } catch (const m1::run_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot read " + (root_ / "in" / "gone.toml").string() + ": No such file or directory");
    }
}

}  // namespace
