// The results directory of a sweep (results.hpp).
//
// Everything here must survive kill -9 at any instruction and several workers (MPI ranks, array
// tasks, on several hosts sharing one file system) acting on one directory at once:
//  - every file is written under a temporary name "<name>.tmp.<pid>.<n>" and renamed, so a reader
//    sees the old file or the whole new one, and clean_up can recognize what a killed writer left;
//  - the directory lock is flock(2), which the kernel drops when the holder dies;
//  - a run is claimed by creating its claim file with O_EXCL, the one operation that exactly one
//    of several racing creators wins; a dead owner's claim is taken over by the one worker that
//    creates its takeover marker (O_EXCL again), which renames it aside and creates a new one.
//    (A taker killed between those two steps leaves the run unclaimable until clean_up.)
#include "batch/results.hpp"

#include "core/base/error.hpp"
#include "core/io/hdf5_support.hpp"
#include "core/io/posix_file.hpp"
#include "core/base/text_format.hpp"
#include "core/io/run_file.hpp"
#include "core/run/run.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace m1::batch {

namespace fs = std::filesystem;

namespace {

std::string host_name() {
    char buffer[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
    return buffer;
}

std::string iso_time(std::time_t t) {
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}


std::string shortest(double value) { return format_value(param_value{value}); }

bool parse_number(std::string_view text, double& value) {
    const char* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, value);
    return r.ec == std::errc() && r.ptr == end;
}

// ---------------------------------------------------------------------------------------------
// Claims

// A claim file as read: its identity (inode, mtime) and contents, so that a taker can check that
// the file it renamed aside is the one it judged stale.
struct claim_snapshot {
    bool present = false;
    struct stat st {};
    std::string text;
};

claim_snapshot read_claim(const fs::path& file) {
    claim_snapshot s;
    fd_handle fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT) return s;
        throw run_error("cannot read claim " + file.string() + ": " + errno_text(err));
    }
    if (::fstat(fd.get(), &s.st) != 0 || !read_all(fd.get(), s.text)) {
        const int err = errno;
        throw run_error("cannot read claim " + file.string() + ": " + errno_text(err));
    }
    s.present = true;
    return s;
}

// Stale: the owner is gone (same host and no such process) or has not refreshed the claim for
// stale_after. A claim being written (its host and pid lines not yet complete) is judged by its
// mtime alone, which is fresh, so it is live. This process's own claims are always live.
bool is_stale(const claim_snapshot& s, std::chrono::seconds stale_after) {
    const std::size_t host_end = s.text.find('\n');
    const std::size_t pid_end =
        host_end == std::string::npos ? std::string::npos : s.text.find('\n', host_end + 1);
    if (pid_end != std::string::npos && host_end > 0) {
        long long pid = 0;
        const char* first = s.text.data() + host_end + 1;
        const char* last = s.text.data() + pid_end;
        const auto r = std::from_chars(first, last, pid);
        if (r.ec == std::errc() && r.ptr == last && pid > 0 && pid <= INT_MAX &&
            s.text.compare(0, host_end, host_name()) == 0) {
            if (pid == ::getpid()) return false;
            if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
        }
    }
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const double age = double(now.tv_sec - s.st.st_mtim.tv_sec) +
                       double(now.tv_nsec - s.st.st_mtim.tv_nsec) * 1e-9;
    return age > double(stale_after.count());
}

bool same_claim(const claim_snapshot& a, const claim_snapshot& b) {
    return a.present && b.present && a.st.st_dev == b.st.st_dev && a.st.st_ino == b.st.st_ino &&
           a.st.st_mtim.tv_sec == b.st.st_mtim.tv_sec &&
           a.st.st_mtim.tv_nsec == b.st.st_mtim.tv_nsec && a.text == b.text;
}

// A name for one particular claim file: inode, mtime and a hash of its text (FNV-1a, the same in
// every process), so that a later claim reusing the inode gets another name.
std::string claim_identity(const claim_snapshot& s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s.text) h = (h ^ c) * 1099511628211ull;
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(h));
    return std::to_string(s.st.st_ino) + "." + std::to_string(s.st.st_mtim.tv_sec) + "." +
           std::to_string(s.st.st_mtim.tv_nsec) + "." + hash;
}

// Creates the claim file; false when it exists.
bool create_claim(const fs::path& file) {
    fd_handle fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == EEXIST) return false;
        throw_write_failure(file, err, "cannot create claim");
    }
    const std::string text = host_name() + "\n" + std::to_string(::getpid()) + "\n" +
                             std::to_string(std::time(nullptr)) + "\n";
    if (!write_all(fd.get(), text) || fd.close() != 0) {
        const int err = errno;
        ::unlink(file.c_str());
        throw_write_failure(file, err, "cannot write claim");
    }
    return true;
}

// Several workers may judge the same claim stale. Renaming it aside is not enough to elect one of
// them: a slow one would rename the fresh claim of the fast one (the name is all rename sees), and
// putting it back leaves a moment without a claim, in which a third worker creates its own: two
// would run the run. So first exactly one of them creates the takeover marker named after this
// very claim (O_EXCL); the others give up (false). Markers stay until clean_up: removing one would
// let a worker that judged the same claim stale long ago take over a second time.
bool elect_taker(const fs::path& file, const claim_snapshot& seen) {
    const fs::path marker = file.parent_path() / ("claim.takeover." + claim_identity(seen));
    fd_handle fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (fd.get() >= 0) return true;
    const int err = errno;
    if (err == EEXIST) return false;  // another worker takes it over
    throw run_error("cannot take over claim " + file.string() + ": cannot create " +
                    marker.string() + ": " + errno_text(err));
}

// The elected taker renames the stale claim aside and removes it; false when what it renamed was
// not that claim (put back).
bool move_aside(const fs::path& file, const claim_snapshot& seen) {
    const fs::path aside = file.parent_path() / ("claim.stale." + unique_suffix());
    if (::rename(file.c_str(), aside.c_str()) != 0) {
        const int err = errno;
        if (err != ENOENT)  // ENOENT: its owner was alive after all and released it
            throw run_error("cannot take over claim " + file.string() + ": " + errno_text(err));
        return true;
    }
    // Only the marker's creator touches this claim, but its owner (alive after all, on another
    // host) may have released it and someone claimed anew since: put that back.
    const bool same = same_claim(seen, read_claim(aside));
    if (!same && ::link(aside.c_str(), file.c_str()) != 0) {
        // EEXIST: claimed again in between; nothing more can be done safely.
    }
    ::unlink(aside.c_str());
    return same;
}

// The entries of `dir`, none when it does not exist; run_error "<verb> <dir>: <reason>" when it
// cannot be listed.
fs::directory_iterator entries_of(const fs::path& dir, const std::string& verb) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec == std::errc::no_such_file_or_directory) return {};
    if (ec) throw run_error(verb + " " + dir.string() + ": " + ec.message());
    return it;
}

// Removes the non-directory entries of `dir` whose name satisfies `match`; a missing directory
// has nothing to remove.
template <class Match>
void remove_matching(const fs::path& dir, Match match) {
    std::error_code ec;
    for (const auto& entry : entries_of(dir, "cannot clean up")) {
        const std::string name = entry.path().filename().string();
        if (!match(name) || entry.is_directory(ec)) continue;
        if (::unlink(entry.path().c_str()) != 0 && errno != ENOENT) {
            const int err = errno;
            throw run_error("cannot clean up " + dir.string() + ": cannot remove " + name + ": " +
                            errno_text(err));
        }
    }
}

bool is_temporary(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// HDF5 (index.h5)

// index.h5's columns but the parameters: NaN where the run has not ended (wall time) or not
// finished (rate); spikes 0 then.
void write_index_columns(const hdf5_writer& w, hid_t file, const std::vector<index_row>& rows) {
    std::vector<std::string> ids, seeds, status, messages;
    std::vector<double> wall, rate;
    std::vector<std::uint64_t> spikes;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const auto& r : rows) {
        ids.push_back(r.id);
        seeds.push_back(r.seed);
        status.emplace_back(to_string(r.state));
        messages.push_back(r.message);
        wall.push_back(has_ended(r.state) ? r.wall_s : nan);
        rate.push_back(r.state == run_state::done ? r.mean_rate_hz : nan);
        spikes.push_back(r.state == run_state::done ? r.spikes : 0);
    }
    w.strings(file, "/", "run_id", ids);
    w.strings(file, "/", "seed", seeds);
    w.strings(file, "/", "status", status);
    w.strings(file, "/", "message", messages);
    w.numbers(file, "/", "wall_s", wall);
    w.numbers(file, "/", "mean_rate_hz", rate);
    w.numbers(file, "/", "spikes", spikes);
}

// /params/p<p>: the p-th parameter's values, float64 where every value is a number, else text,
// with its path as attribute.
void write_index_param(const hdf5_writer& w, hid_t params, std::size_t p, const std::string& path,
                       const std::vector<index_row>& rows) {
    // Appended rather than "p" + ...: GCC 12 warns falsely (-Wrestrict) on that form here.
    const std::string name = std::string("p").append(std::to_string(p));
    std::vector<std::string> text;
    std::vector<double> numbers;
    bool numeric = true;
    for (const auto& r : rows) {
        text.push_back(r.values[p]);
        double v = 0;
        numeric = numeric && parse_number(r.values[p], v);
        numbers.push_back(v);
    }
    const h5_handle set = numeric ? w.numbers(params, "/params", name, numbers)
                                  : w.strings(params, "/params", name, text);
    w.attribute(set, "/params/" + name, "path", path);
}

// index.h5: one dataset per column; parameters under /params as p0, p1, ...
void write_index_h5(const hdf5_checker& c, hid_t file, const std::vector<std::string>& param_paths,
                    const std::vector<index_row>& rows) {
    const hdf5_writer w(c);
    write_index_columns(w, file, rows);
    const h5_handle params = w.group(file, "/", "params");
    for (std::size_t p = 0; p < param_paths.size(); ++p)
        write_index_param(w, params, p, param_paths[p], rows);
}

// The lock file's text "pid P host H since T" as "pid P, host H, since T".
std::string describe_holder(const std::string& text) {
    std::istringstream in(text);
    std::string k1, pid, k2, host, k3, since;
    if (in >> k1 >> pid >> k2 >> host >> k3 >> since && k1 == "pid" && k2 == "host" &&
        k3 == "since")
        return " (pid " + pid + ", host " + host + ", since " + since + ")";
    return "";
}

// A lock refused at once. An exclusive request is refused by an exclusive holder or by shared
// ones; a shared lock succeeds only in the second case, and then, if the holders just left,
// upgrading it succeeds. Otherwise directory_busy names who holds the directory.
void upgrade_or_refuse(const fs::path& root, int fd, bool exclusive) {
    if (exclusive && ::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
        throw directory_busy(root.string() +
                             " is in use by the array tasks of a batch; wait for them to finish "
                             "or stop them");
    }
    std::string text;
    char buffer[512];
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, 0);
    if (n > 0) text.assign(buffer, static_cast<std::size_t>(n));
    throw directory_busy(root.string() + " is in use by another batch" + describe_holder(text) +
                         "; wait for it to finish or stop it");
}

// The exclusive holder's "pid P host H since T", only for the refusal message of others: a
// failure here costs nothing else.
void write_holder(int fd) {
    const std::string text = "pid " + std::to_string(::getpid()) + " host " + host_name() +
                             " since " + iso_time(std::time(nullptr)) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) < 0) {
        // best effort
    }
}

// A finished run's row from its run file's /run attributes (failed when it cannot be read).
void read_finished(const fs::path& h5, index_row& row) {
    try {
        const run_file_attributes attrs = read_run_attributes(h5);
        auto number = [&](const char* name) -> double {
            const attribute_value* v = attrs.find(name);
            if (v == nullptr) return 0;
            if (const auto* d = std::get_if<double>(v)) return *d;
            if (const auto* i = std::get_if<std::int64_t>(v)) return double(*i);
            return 0;
        };
        row.state = run_state::done;
        row.wall_s = number("wall_s");
        row.mean_rate_hz = number("mean_rate_hz");
        const attribute_value* s = attrs.find("spikes");
        if (const auto* i = s ? std::get_if<std::int64_t>(s) : nullptr; i && *i > 0)
            row.spikes = std::uint64_t(*i);
        row.message = runaway_note(static_cast<std::uint64_t>(number("runaway_cells")));
    } catch (const std::exception& e) {
        row.state = run_state::failed;
        row.message = std::string("run.h5 unreadable: ") + e.what();
    }
}

// A failed or interrupted run's row from its status.json (failed when it cannot be read).
void read_status(const fs::path& status, index_row& row) {
    try {
        const auto j = nlohmann::json::parse(read_bytes(status));
        const std::string s = j.at("status").get<std::string>();
        const std::optional<run_state> state = run_state_from(s);
        if (state != run_state::failed && state != run_state::interrupted)
            throw std::runtime_error("unknown status \"" + s + "\"");
        row.state = *state;
        if (auto m = j.find("message"); m != j.end() && m->is_string())
            row.message = m->get<std::string>();
        if (auto w = j.find("wall_s"); w != j.end() && w->is_number())
            row.wall_s = w->get<double>();
        if (auto f = j.find("directory_fault"); f != j.end() && f->is_boolean())
            row.directory_fault = f->get<bool>();
    } catch (const std::exception& e) {
        row.state = run_state::failed;
        row.message = std::string("status.json unreadable: ") + e.what();
    }
}

}  // namespace

std::string iso_now() { return iso_time(std::time(nullptr)); }

// ---------------------------------------------------------------------------------------------

results_directory::results_directory(fs::path root) : root_(std::move(root)) {}

std::string results_directory::describe(const storage_error& e) const {
    const fs::path written(e.path());
    const fs::path inside = written.lexically_relative(root_);
    if (inside.empty() || *inside.begin() == "..") return e.what();
    const std::string what = e.what();
    return what.substr(0, what.size() - e.path().size()) + inside.string();
}

void results_directory::report_fault(const storage_error& e) const { report_fault(describe(e)); }

void results_directory::report_fault(const std::string& message) const { fault_->report(message); }

std::string results_directory::fault_message() const { return fault_->message(); }

fs::path results_directory::run_directory(const std::string& id) const {
    return root_ / "runs" / id;
}
fs::path results_directory::run_file(const std::string& id) const {
    return run_directory(id) / "run.h5";
}
fs::path results_directory::log_file(const std::string& id) const {
    return run_directory(id) / "log.txt";
}

void results_directory::create() const { make_directories(root_ / "runs"); }

results_directory::lock results_directory::acquire_lock(bool exclusive) const {
    const fs::path file = root_ / ".lock";
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        const int err = errno;
        throw run_error("cannot lock " + root_.string() + ": cannot open " + file.string() + ": " +
                        errno_text(err));
    }
    const int locked = ::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
    const int err = locked != 0 ? errno : 0;
    if (err == ENOLCK || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL)
        return lock(fd, /*enforced=*/false);  // no flock on this file system
    lock held(fd);  // closes fd on every way out
    if (locked != 0 && err != EWOULDBLOCK)
        throw run_error("cannot lock " + root_.string() + ": flock on " + file.string() + ": " +
                        errno_text(err));
    if (locked != 0) upgrade_or_refuse(root_, fd, exclusive);
    if (exclusive) write_holder(fd);
    return held;
}

bool results_directory::claim(const std::string& id, std::chrono::seconds stale_after) const {
    const fs::path dir = run_directory(id);
    make_directories(dir);
    const fs::path file = dir / "claim";
    if (create_claim(file)) return true;

    const claim_snapshot seen = read_claim(file);
    if (seen.present) {
        if (!is_stale(seen, stale_after)) return false;
        if (!elect_taker(file, seen) || !move_aside(file, seen)) return false;
    }
    return create_claim(file);
}

void results_directory::refresh_claim(const std::string& id) const {
    const fs::path file = run_directory(id) / "claim";
    if (::utimensat(AT_FDCWD, file.c_str(), nullptr, 0) != 0) {
        const int err = errno;
        throw run_error("cannot refresh claim " + file.string() + ": " + errno_text(err));
    }
}

void results_directory::release_claim(const std::string& id) const {
    const fs::path file = run_directory(id) / "claim";
    // Only our own: a worker that hung past stale_after may find its claim taken over, and must
    // not remove the new owner's.
    const claim_snapshot held = read_claim(file);
    const std::string ours = host_name() + "\n" + std::to_string(::getpid()) + "\n";
    if (!held.present || held.text.compare(0, ours.size(), ours) != 0) return;
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
        const int err = errno;
        throw run_error("cannot remove claim " + file.string() + ": " + errno_text(err));
    }
}

index_row results_directory::read_state(const std::string& id) const {
    index_row row;
    row.id = id;
    std::error_code ec;
    if (fs::exists(run_file(id), ec)) {
        read_finished(run_file(id), row);
    } else if (const fs::path status = run_directory(id) / "status.json"; fs::exists(status, ec)) {
        read_status(status, row);
    } else {
        const claim_snapshot c = read_claim(run_directory(id) / "claim");
        if (c.present && !is_stale(c, std::chrono::seconds(600))) row.state = run_state::running;
    }
    return row;
}

void results_directory::record_outcome(const std::string& id, run_state state,
                                       const std::string& message, double wall_s,
                                       bool directory_fault) const {
    if (state != run_state::failed && state != run_state::interrupted)
        throw std::invalid_argument("record_outcome: only failed or interrupted runs have one");
    nlohmann::ordered_json j;
    j["status"] = to_string(state);
    j["message"] = message;
    j["wall_s"] = wall_s;
    j["time"] = iso_now();
    if (directory_fault) j["directory_fault"] = true;
    make_directories(run_directory(id));
    // A message may quote bytes that are not UTF-8 (a file name, a program's output).
    write_file_atomically(run_directory(id) / "status.json",
                          j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void results_directory::clear_outcome(const std::string& id) const {
    const fs::path file = run_directory(id) / "status.json";
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
        const int err = errno;
        throw run_error("cannot remove " + file.string() + ": " + errno_text(err));
    }
}

void results_directory::write_index(const std::vector<std::string>& param_paths,
                                    const std::vector<index_row>& rows) const {
    for (const auto& r : rows)
        if (r.values.size() != param_paths.size())
            throw std::invalid_argument("write_index: run " + r.id + " has " +
                                        std::to_string(r.values.size()) + " values for " +
                                        std::to_string(param_paths.size()) + " parameters");
    std::string csv;
    std::vector<std::string> fields{"run_id"};
    fields.insert(fields.end(), param_paths.begin(), param_paths.end());
    for (const char* c : {"seed", "status", "wall_s", "spikes", "mean_rate_hz", "message"})
        fields.emplace_back(c);
    csv_line(csv, fields);
    for (const auto& r : rows) {
        fields.assign({r.id});
        fields.insert(fields.end(), r.values.begin(), r.values.end());
        fields.push_back(r.seed);
        fields.emplace_back(to_string(r.state));
        // A run that has not ended has no wall time, spikes or rate: empty, not 0.
        const bool finished = r.state == run_state::done;
        fields.push_back(has_ended(r.state) ? shortest(r.wall_s) : std::string());
        fields.push_back(finished ? std::to_string(r.spikes) : std::string());
        fields.push_back(finished ? shortest(r.mean_rate_hz) : std::string());
        fields.push_back(r.message);
        csv_line(csv, fields);
    }
    const fs::path h5 = root_ / "index.h5";
    write_hdf5_atomically(h5, [&](const hdf5_checker& c, hid_t file) {
        write_index_h5(c, file, param_paths, rows);
    });
    write_file_atomically(root_ / "index.csv", csv);
}

std::vector<std::string> results_directory::stale_runs(const std::set<std::string>& ids) const {
    std::error_code ec;
    std::vector<std::string> stale;
    for (const auto& entry : entries_of(root_ / "runs", "cannot list")) {
        std::string name = entry.path().filename().string();
        if (entry.is_directory(ec) && ids.count(name) == 0) stale.push_back(std::move(name));
    }
    std::sort(stale.begin(), stale.end());
    return stale;
}

// The caller holds the exclusive lock, so no other batch runs here: every claim is a dead
// worker's, whatever its age or host, and every *.tmp.* file a dead writer's. Claims renamed
// aside by a taker that died before removing them (claim.stale.*) and takeover markers
// (claim.takeover.*, see claim) go too.
void results_directory::clean_up() const {
    remove_matching(root_, is_temporary);
    remove_matching(root_ / "source", is_temporary);
    std::error_code ec;
    for (const auto& entry : entries_of(root_ / "runs", "cannot clean up")) {
        if (!entry.is_directory(ec)) continue;
        remove_matching(entry.path(), [](const std::string& name) {
            return is_temporary(name) || name == "claim" || name.rfind("claim.stale.", 0) == 0 ||
                   name.rfind("claim.takeover.", 0) == 0;
        });
    }
}

namespace {

// A number starts at text[i]: a digit or minus sign not inside a word or after a dot.
bool starts_number(const std::string& text, std::size_t i) {
    const char c = text[i];
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-') return false;
    if (i == 0) return true;
    const char before = text[i - 1];
    return !(std::isalnum(static_cast<unsigned char>(before)) || before == '_' || before == '.');
}

// Where the number starting at text[i] ends: digits, dots, exponents and their signs.
std::size_t number_end(const std::string& text, std::size_t i) {
    std::size_t j = i + (text[i] == '-');
    const auto part = [&](std::size_t k) {
        const char c = text[k];
        return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
               ((c == '-' || c == '+') && (text[k - 1] == 'e' || text[k - 1] == 'E'));
    };
    while (j < text.size() && part(j)) ++j;
    return j;
}

// A number token as written, or in the shortest form when it is a float.
std::string shortest_float(const std::string& token) {
    double value = 0;
    const auto r = std::from_chars(token.data(), token.data() + token.size(), value);
    const bool is_float = token.find_first_of(".eE") != std::string::npos;
    if (is_float && r.ec == std::errc() && r.ptr == token.data() + token.size())
        return python_repr(value);
    return token;
}

// toml++ (as Debian builds it) prints floats with 17 significant digits, 0.0003 as
// 0.00029999999999999997: the same double, but not what the user wrote. Floats outside strings
// are rewritten in the shortest form that reads back to the same double (python_repr).
std::string with_short_floats(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    char quote = 0;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (quote) {
            out += c;
            if (c == '\\' && quote == '"' && i + 1 < text.size()) out += text[++i];
            else if (c == quote) quote = 0;
            ++i;
        } else if (c == '\'' || c == '"') {
            quote = c;
            out += c;
            ++i;
        } else if (starts_number(text, i)) {
            const std::size_t j = number_end(text, i);
            out += shortest_float(text.substr(i, j - i));
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

}  // namespace

std::string toml_text(const toml::table& table) {
    std::ostringstream text;
    text << table << '\n';
    return with_short_floats(text.str());
}

void results_directory::save_sources(const sweep_spec& sweep) const {
    make_directories(root_ / "source");
    write_file_atomically(root_ / sweep.copy_name, toml_text(sweep.self_contained));
    write_file_atomically(root_ / "model.json", sweep.model.text());
    std::set<std::string> used;
    for (std::size_t i = 0; i < sweep.sources.size(); ++i) {
        std::string name = sweep.sources[i].filename().string();
        // Base files of different directories may share a name.
        if (!used.insert(name).second) {
            name = std::to_string(i) + "_" + name;
            used.insert(name);
        }
        write_file_atomically(root_ / "source" / name, read_bytes(sweep.sources[i]));
    }
}

}  // namespace m1::batch
