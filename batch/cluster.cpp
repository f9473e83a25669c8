#include "batch/cluster.hpp"

#include "core/io/posix_file.hpp"
#include "core/run/run.hpp"


#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <set>
#include <sstream>
#include <utility>

extern char** environ;

namespace m1::batch {

// The templates of jobs/, built in by CMake (batch/CMakeLists.txt: job_templates.cpp).
namespace job_templates {
extern const char* const slurm_array;
extern const char* const slurm_mpi;
extern const char* const pbs_array;
extern const char* const pbs_mpi;
}  // namespace job_templates

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const source_location& where, const std::string& what) {
    throw input_error(where, what);
}

const std::set<std::string>& cluster_keys() {
    static const std::set<std::string> keys = {
        "scheduler", "mode", "account", "partition", "queue", "time", "mem", "cpus_per_task",
        "nodes", "ntasks", "array_size", "array_limit", "pbs_variant", "setup", "extra"};
    return keys;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A string that goes into a directive line: one line, no control characters.
std::string one_line(const toml::node& node, const source_location& where) {
    const auto s = node.value<std::string>();
    if (!s || s->empty()) fail(where, "must be a non-empty string");
    for (char c : *s)
        if (static_cast<unsigned char>(c) < 0x20) fail(where, "must be one line of text");
    return *s;
}

std::vector<std::string> lines_of(const toml::node& node, const source_location& where) {
    std::vector<std::string> out;
    auto add = [&](const std::string& text) {
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) out.push_back(line);
    };
    if (const auto s = node.value_exact<std::string>()) {
        add(*s);
        return out;
    }
    const toml::array* a = node.as_array();
    if (!a) fail(where, "must be a string or a list of strings (one line each)");
    for (std::size_t i = 0; i < a->size(); ++i) {
        const auto s = a->get(i)->value_exact<std::string>();
        if (!s) fail(where, "must be a string or a list of strings (one line each)");
        add(*s);
    }
    return out;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::int64_t to_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return -1;
    return v;
}

std::string shell_quote(const std::string& s) {
    if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+=:,@%", c);
        }))
        return s;
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out.append("'\\''");
        else out.push_back(c);
    }
    return out.append("'");
}

std::string two(std::int64_t v) {
    std::string s = std::to_string(v);
    return s.size() < 2 ? "0" + s : s;
}

}  // namespace

std::string_view to_string(scheduler_kind s) { return s == scheduler_kind::slurm ? "slurm" : "pbs"; }
std::string_view to_string(job_mode m) { return m == job_mode::array ? "array" : "mpi"; }

void cluster_spec::override_with(const cluster_spec& o) {
    auto take = [](auto& mine, const auto& theirs) {
        if (theirs) mine = theirs;
    };
    take(scheduler, o.scheduler);
    take(mode, o.mode);
    take(account, o.account);
    take(partition, o.partition);
    take(time_s, o.time_s);
    take(mem_mib, o.mem_mib);
    take(cpus_per_task, o.cpus_per_task);
    take(nodes, o.nodes);
    take(ntasks, o.ntasks);
    take(array_size, o.array_size);
    take(array_limit, o.array_limit);
    take(variant, o.variant);
    if (!o.setup.empty()) setup = o.setup;
    if (!o.extra.empty()) extra = o.extra;
    for (const auto& [k, w] : o.where) where[k] = w;
}

std::int64_t parse_job_time(const std::string& text, const source_location& where) {
    const std::string usage =
        "a time is [D-]HH:MM:SS, MM:SS, D-HH or whole minutes (\"2:00:00\", \"1-12:00:00\", 90)";
    std::string s = text;
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (!s.empty() && s.front() == '-') fail(where, "must be positive: " + usage);
    std::int64_t days = 0;
    std::string rest = s;
    const bool has_days = s.find('-') != std::string::npos;
    if (has_days) {
        const std::string d = s.substr(0, s.find('-'));
        rest = s.substr(s.find('-') + 1);
        if (!all_digits(d)) fail(where, "malformed time \"" + text + "\": " + usage);
        days = to_int(d);
    }
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t colon = rest.find(':', start);
        parts.push_back(rest.substr(start, colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    std::vector<std::int64_t> v;
    for (const auto& p : parts) {
        if (!all_digits(p) || p.size() > 9) fail(where, "malformed time \"" + text + "\": " + usage);
        v.push_back(to_int(p));
    }
    std::int64_t seconds = 0;
    if (has_days) {  // D-H, D-H:M, D-H:M:S
        if (v.size() > 3) fail(where, "malformed time \"" + text + "\": " + usage);
        seconds = days * 86400 + v[0] * 3600 + (v.size() > 1 ? v[1] * 60 : 0) + (v.size() > 2 ? v[2] : 0);
    } else if (v.size() == 1) {
        seconds = v[0] * 60;  // minutes
    } else if (v.size() == 2) {
        seconds = v[0] * 60 + v[1];
    } else if (v.size() == 3) {
        seconds = v[0] * 3600 + v[1] * 60 + v[2];
    } else {
        fail(where, "malformed time \"" + text + "\": " + usage);
    }
    if (seconds <= 0) fail(where, "must be positive: " + usage);
    return seconds;
}

std::int64_t parse_job_memory(const std::string& text, const source_location& where) {
    const std::string usage = "a memory size is a number with K, M, G or T (\"4G\", \"1500M\"), or MiB";
    std::string s = lower(text);
    if (!s.empty() && s.front() == '-') fail(where, "must be positive: " + usage);
    if (s.size() > 1 && s.back() == 'b' && !std::isdigit(static_cast<unsigned char>(s[s.size() - 2])))
        s.pop_back();  // "GB", "mb"
    double factor = 1;  // MiB
    if (!s.empty() && std::isalpha(static_cast<unsigned char>(s.back()))) {
        switch (s.back()) {
            case 'k': factor = 1.0 / 1024; break;
            case 'm': factor = 1; break;
            case 'g': factor = 1024; break;
            case 't': factor = 1024.0 * 1024; break;
            default: fail(where, "malformed memory \"" + text + "\": " + usage);
        }
        s.pop_back();
    }
    double value = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(value))
        fail(where, "malformed memory \"" + text + "\": " + usage);
    if (!(value > 0)) fail(where, "must be positive: " + usage);
    return static_cast<std::int64_t>(std::ceil(value * factor));
}

std::string slurm_time(std::int64_t t) {
    const std::int64_t d = t / 86400, h = t % 86400 / 3600, m = t % 3600 / 60, s = t % 60;
    return (d ? std::to_string(d) + "-" : "") + two(h) + ":" + two(m) + ":" + two(s);
}

std::string pbs_time(std::int64_t t) {
    return two(t / 3600) + ":" + two(t % 3600 / 60) + ":" + two(t % 60);
}

namespace {

// Reads the keys of one [cluster] table, each naming the file, cluster.<key> and the line.
class cluster_reader {
public:
    cluster_reader(const toml::table& table, const fs::path& file) : table_(table), file_(file) {}

    source_location at(const std::string& key) const {
        return toml_location(file_, "cluster." + key, table_.get(key));
    }

    // Every key known, and partition or queue, not both.
    void check_keys(cluster_spec& spec) const {
        for (auto&& [k, node] : table_) {
            const std::string key(k.str());
            if (!cluster_keys().count(key)) {
                std::string list;
                for (const auto& name : cluster_keys()) list += (list.empty() ? "" : ", ") + name;
                fail(at(key), "unknown key (a [cluster] table has " + list + ")");
            }
            spec.where[key == "queue" ? "partition" : key] = at(key);
        }
        if (table_.contains("partition") && table_.contains("queue"))
            fail(at("queue"), "partition and queue are the same setting (SLURM's and PBS's name): give one");
    }

    void read_counts(cluster_spec& spec) const {
        positive("cpus_per_task", spec.cpus_per_task);
        positive("nodes", spec.nodes);
        positive("ntasks", spec.ntasks);
        positive("array_size", spec.array_size);
        positive("array_limit", spec.array_limit);
        if (spec.ntasks && *spec.ntasks < 2)
            fail(at("ntasks"),
                 "an MPI job needs at least 2 ranks (rank 0 hands out the runs, the others run them)");
    }

    void read_choices(cluster_spec& spec) const {
        choose("scheduler", {{"slurm", scheduler_kind::slurm}, {"pbs", scheduler_kind::pbs}},
               "must be \"slurm\" or \"pbs\"", spec.scheduler);
        choose("mode", {{"array", job_mode::array}, {"mpi", job_mode::mpi}},
               "must be \"array\" (one share of the sweep per task) or \"mpi\"", spec.mode);
        choose("pbs_variant", {{"openpbs", pbs_variant::openpbs}, {"torque", pbs_variant::torque}},
               "must be \"openpbs\" (PBS Professional) or \"torque\"", spec.variant);
        if (const toml::node* n = table_.get("account")) spec.account = one_line(*n, at("account"));
        for (const char* key : {"partition", "queue"})
            if (const toml::node* n = table_.get(key)) spec.partition = one_line(*n, at(key));
    }

    // time: whole minutes or a time string; mem: whole MiB or a size string.
    void read_time_and_memory(cluster_spec& spec) const {
        if (const toml::node* n = table_.get("time")) {
            if (n->is_integer() && n->as_integer()->get() < 1)
                fail(at("time"), "must be positive (minutes, or \"HH:MM:SS\")");
            if (n->is_integer()) spec.time_s = n->as_integer()->get() * 60;
            else if (n->is_string()) spec.time_s = parse_job_time(n->as_string()->get(), at("time"));
            else fail(at("time"), "must be a string such as \"2:00:00\" or whole minutes");
        }
        if (const toml::node* n = table_.get("mem")) {
            if (n->is_integer() && n->as_integer()->get() < 1)
                fail(at("mem"), "must be positive (MiB, or \"4G\")");
            if (n->is_integer()) spec.mem_mib = n->as_integer()->get();
            else if (n->is_string()) spec.mem_mib = parse_job_memory(n->as_string()->get(), at("mem"));
            else fail(at("mem"), "must be a string such as \"4G\" or whole MiB");
        }
    }

    void read_lines(cluster_spec& spec) const {
        if (const toml::node* n = table_.get("setup")) spec.setup = lines_of(*n, at("setup"));
        if (const toml::node* n = table_.get("extra")) {
            spec.extra = lines_of(*n, at("extra"));
            for (const auto& line : spec.extra)
                if (line.find_first_not_of(" \t") == std::string::npos)
                    fail(at("extra"), "holds an empty line (each line is one directive)");
        }
    }

private:
    void positive(const char* key, std::optional<std::int64_t>& field) const {
        if (const toml::node* n = table_.get(key)) {
            if (!n->is_integer() || n->as_integer()->get() < 1) fail(at(key), "must be a whole number >= 1");
            field = n->as_integer()->get();
        }
    }

    template <class T>
    void choose(const char* key, std::initializer_list<std::pair<const char*, T>> names,
                const char* refusal, std::optional<T>& field) const {
        const toml::node* n = table_.get(key);
        if (!n) return;
        const auto s = n->value_exact<std::string>();
        for (const auto& [name, value] : names)
            if (s == name) {
                field = value;
                return;
            }
        fail(at(key), refusal);
    }

    const toml::table& table_;
    const fs::path& file_;
};

}  // namespace

cluster_spec read_cluster_table(const toml::table& table, const fs::path& file) {
    const cluster_reader reader(table, file);
    cluster_spec spec;
    reader.check_keys(spec);
    reader.read_counts(spec);
    reader.read_choices(spec);
    reader.read_time_and_memory(spec);
    reader.read_lines(spec);
    return spec;
}

toml::table cluster_table(const cluster_spec& spec) {
    toml::table t;
    if (spec.scheduler) t.insert_or_assign("scheduler", std::string(to_string(*spec.scheduler)));
    if (spec.mode) t.insert_or_assign("mode", std::string(to_string(*spec.mode)));
    if (spec.account) t.insert_or_assign("account", *spec.account);
    if (spec.partition) t.insert_or_assign("partition", *spec.partition);
    if (spec.time_s) t.insert_or_assign("time", slurm_time(*spec.time_s));
    if (spec.mem_mib) t.insert_or_assign("mem", std::to_string(*spec.mem_mib) + "M");
    for (const auto& [key, field] :
         {std::pair{"cpus_per_task", spec.cpus_per_task}, {"nodes", spec.nodes},
          {"ntasks", spec.ntasks}, {"array_size", spec.array_size}, {"array_limit", spec.array_limit}})
        if (field) t.insert_or_assign(key, *field);
    if (spec.variant)
        t.insert_or_assign("pbs_variant", spec.variant == pbs_variant::openpbs ? "openpbs" : "torque");
    for (const auto& [key, lines] : {std::pair{"setup", &spec.setup}, {"extra", &spec.extra}})
        if (!lines->empty()) {
            toml::array a;
            for (const auto& l : *lines) a.push_back(l);
            t.insert_or_assign(key, std::move(a));
        }
    return t;
}

cluster_spec load_cluster(sweep_spec& sweep) {
    cluster_spec cluster;
    for (const carried_table& t : sweep.cluster_tables)
        cluster.override_with(read_cluster_table(*t.table, t.file));
    if (toml::table table = cluster_table(cluster); !table.empty())
        sweep.self_contained.insert_or_assign("cluster", std::move(table));
    return cluster;
}

std::string render_template(const std::string& text, const std::map<std::string, std::string>& values,
                            const std::string& template_name) {
    std::string out;
    std::istringstream in(text);
    std::size_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        std::string rendered;
        bool drop = false;
        std::size_t pos = 0;
        for (;;) {
            const std::size_t open = line.find("{{", pos);
            if (open == std::string::npos) {
                rendered.append(line, pos);
                break;
            }
            const std::size_t close = line.find("}}", open + 2);
            if (close == std::string::npos)
                throw input_error({template_name, "", line_number, open + 1}, "unclosed {{");
            const std::string name = line.substr(open + 2, close - open - 2);
            const auto it = values.find(name);
            if (it == values.end()) {
                std::string known;
                for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
                throw input_error({template_name, "", line_number, open + 1},
                                  "unknown placeholder {{" + name + "}} (known: " + known + ")");
            }
            if (it->second.empty()) drop = true;
            rendered.append(line, pos, open - pos).append(it->second);
            pos = close + 2;
        }
        if (!drop) out.append(rendered).push_back('\n');
    }
    return out;
}

std::string template_file_name(scheduler_kind scheduler, job_mode mode) {
    return std::string(to_string(scheduler)).append("_").append(to_string(mode)).append(".sh.in");
}

const std::string& built_in_template(scheduler_kind scheduler, job_mode mode) {
    static const std::string texts[2][2] = {
        {job_templates::slurm_array, job_templates::slurm_mpi},
        {job_templates::pbs_array, job_templates::pbs_mpi}};
    return texts[scheduler == scheduler_kind::pbs][mode == job_mode::mpi];
}

namespace {

using placeholders = std::map<std::string, std::string>;

bool is_slurm(const job_request& job) { return job.scheduler == scheduler_kind::slurm; }
bool is_torque(const job_request& job) { return !is_slurm(job) && job.variant == pbs_variant::torque; }

void add_plain_values(const job_request& job, placeholders& v) {
    const bool slurm = is_slurm(job);
    v["job_name"] = job.job_name;
    v["account"] = job.account;
    v["partition"] = job.partition;
    v["time"] = slurm ? slurm_time(job.time_s) : pbs_time(job.time_s);
    v["mem"] = std::to_string(job.mem_mib) + (slurm ? "M" : "mb");
    v["cpus_per_task"] = std::to_string(job.cpus_per_task);
    v["log_directory"] = job.log_directory.string();
    v["runs"] = std::to_string(job.runs);
    v["runs_text"] = std::to_string(job.runs) + (job.runs == 1 ? " run" : " runs");
    v["tasks_text"] = std::to_string(job.array_size) + (job.array_size == 1 ? " task" : " tasks");
    v["nodes"] = job.nodes > 0 ? std::to_string(job.nodes) : "";
    v["ntasks"] = std::to_string(job.ntasks);
    v["array_size"] = std::to_string(job.array_size);
    v["array_limit"] = job.array_limit > 0 ? std::to_string(job.array_limit) : "";
    v["sweep_file"] = job.sweep_file.string();
}

// SLURM: --array=0-(n-1)%k. OpenPBS: -J 0-(n-1) (it wants two subjobs at least) with the
// max_run_subjobs attribute as the throttle; Torque: -t 0-(n-1)%k.
void add_array_values(const job_request& job, placeholders& v) {
    const bool slurm = is_slurm(job), torque = is_torque(job);
    const std::string range = "0-" + std::to_string(job.array_size - 1);
    const std::string throttle = job.array_limit > 0 ? "%" + std::to_string(job.array_limit) : "";
    v["array"] = slurm || torque ? range + throttle : job.array_size > 1 ? range : "";
    v["array_option"] = torque ? "-t" : "-J";
    v["max_run_subjobs"] =
        !slurm && !torque && job.array_size > 1 && job.array_limit > 0 ? v["array_limit"] : "";
}

// PBS resources: OpenPBS chunks (select), Torque nodes:ppn.
void add_pbs_resources(const job_request& job, std::int64_t ranks_per_node, placeholders& v) {
    const bool mpi = job.mode == job_mode::mpi;
    if (is_torque(job)) {
        const std::int64_t nodes = mpi ? std::max<std::int64_t>(1, job.nodes) : 1;
        v["resources"] = "nodes=" + std::to_string(nodes) + ":ppn=" +
                         std::to_string(ranks_per_node * job.cpus_per_task);
        v["memory_resource"] = "mem=" + std::to_string(job.mem_mib * (mpi ? job.ntasks : 1)) + "mb";  // the job's total
    } else if (mpi && job.nodes > 0) {
        // OpenPBS, nodes given: one chunk per node holding its ranks.
        v["resources"] = "select=" + std::to_string(job.nodes) + ":ncpus=" +
                         std::to_string(ranks_per_node * job.cpus_per_task) + ":mpiprocs=" +
                         std::to_string(ranks_per_node) + ":mem=" +
                         std::to_string(ranks_per_node * job.mem_mib) + "mb";
        v["memory_resource"] = "";
    } else {
        // OpenPBS: one chunk per rank (mpi) or the task's one chunk, placed where PBS likes.
        v["resources"] = "select=" + std::to_string(mpi ? job.ntasks : 1) +
                         ":ncpus=" + std::to_string(job.cpus_per_task) +
                         (mpi ? ":mpiprocs=1" : "") + ":mem=" + std::to_string(job.mem_mib) + "mb";
        v["memory_resource"] = "";
    }
}

void add_rank_values(const job_request& job, placeholders& v) {
    std::int64_t ranks_per_node = 1;
    if (job.mode == job_mode::mpi) {
        const std::int64_t nodes = std::max<std::int64_t>(1, job.nodes);
        ranks_per_node = (job.ntasks + nodes - 1) / nodes;
        v["ranks_per_node"] = std::to_string(ranks_per_node);
        v["mem_per_cpu"] = std::to_string((job.mem_mib + job.cpus_per_task - 1) / job.cpus_per_task) +
                           (is_slurm(job) ? "M" : "mb");
    } else {
        v["ranks_per_node"] = "1";
        v["mem_per_cpu"] = "";
    }
    add_pbs_resources(job, ranks_per_node, v);
    // mpirun under PBS: ranks per node as requested, or one per slot of PBS's node file.
    v["map_by"] = is_torque(job) || job.nodes > 0 ? "ppr:" + std::to_string(ranks_per_node) + ":node" : "slot";
}

// The extra directives ("#SBATCH"/"#PBS" added when missing) and the setup lines.
void add_lines(const job_request& job, placeholders& v) {
    std::string extra;
    for (const auto& line : job.extra) {
        std::string l = line.substr(line.find_first_not_of(" \t"));
        if (l.front() != '#') l = (is_slurm(job) ? "#SBATCH " : "#PBS ") + l;
        extra.append(extra.empty() ? "" : "\n").append(l);
    }
    v["extra"] = extra;
    std::string setup;
    for (const auto& line : job.setup) setup.append(setup.empty() ? "" : "\n").append(line);
    v["setup"] = setup;
}

void add_command(const job_request& job, placeholders& v) {
    std::string args = shell_quote(job.sweep_file.string());
    if (!job.run_list.empty()) args.append(" --runs ").append(shell_quote(job.run_list.string()));
    if (job.retry_failed) args.append(" --retry-failed");
    if (job.mode == job_mode::mpi) args.append(" --threads ").append(std::to_string(job.cpus_per_task));
    v["m1batch"] = shell_quote(job.m1batch.string());
    v["m1batch_arguments"] = args;
}

}  // namespace

std::map<std::string, std::string> template_values(const job_request& job) {
    placeholders v;
    add_plain_values(job, v);
    add_array_values(job, v);
    add_rank_values(job, v);
    add_lines(job, v);
    add_command(job, v);
    return v;
}

std::string render_job_script(const job_request& job) {
    return render_template(built_in_template(job.scheduler, job.mode), template_values(job),
                           template_file_name(job.scheduler, job.mode));
}

namespace {

// Starts argv with stdout and stderr into the pipes' write ends, stdin from /dev/null; the
// posix_spawnp error (0 when started).
int spawn(const std::vector<std::string>& argv, const fd_handle& out, const fd_handle& err, pid_t& pid) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err.get(), STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

// Both pipes at once, so that a child filling one while we wait on the other cannot stall.
void drain(const fd_handle& out, const fd_handle& err, command_result& result) {
    pollfd fds[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_pipes = 2;
    while (open_pipes > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buffer[4096];
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_pipes;
            }
        }
    }
}

}  // namespace

command_result run_command(const std::vector<std::string>& argv) {
    command_result result;
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return result;
    }
    fd_handle out_read(out_pipe[0]), out_write(out_pipe[1]), err_read(err_pipe[0]), err_write(err_pipe[1]);
    pid_t pid = -1;
    const int rc = spawn(argv, out_write, err_write, pid);
    out_write.close();
    err_write.close();
    if (rc != 0) {
        result.err = "cannot start " + argv[0] + ": " + errno_text(rc);
        return result;
    }
    drain(out_read, err_read, result);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string parse_job_id(scheduler_kind scheduler, const std::string& answer) {
    std::string s = answer;
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    if (const std::size_t nl = s.rfind('\n'); nl != std::string::npos) s = s.substr(nl + 1);
    if (scheduler == scheduler_kind::slurm) {
        s = s.substr(0, s.find(';'));  // "1234;cluster"
        return all_digits(s) ? s : std::string();
    }
    // qsub: "1234.server" or "1234[].server" (arrays); the id is the whole first word.
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) return "";
    return s.substr(0, s.find_first_of(" \t"));
}

bool job_active(scheduler_kind scheduler, const std::string& job_id) {
    if (scheduler == scheduler_kind::slurm) {
        // Array tasks one line each; only states in which a task may still run.
        const command_result r =
            run_command({"squeue", "-h", "-r", "-j", job_id, "-t", "PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED", "-o", "%i"});
        return r.status == 0 && r.out.find_first_not_of(" \n") != std::string::npos;
    }
    // qstat knows queued, running and held jobs; finished ones are gone (without -x).
    const command_result r = run_command({"qstat", job_id});
    return r.status == 0;
}

std::optional<scheduler_kind> detect_scheduler() {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "");
    std::optional<scheduler_kind> found;
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (dir.empty()) continue;
        if (::access((fs::path(dir) / "sbatch").c_str(), X_OK) == 0) return scheduler_kind::slurm;
        if (!found && ::access((fs::path(dir) / "qsub").c_str(), X_OK) == 0) found = scheduler_kind::pbs;
    }
    return found;
}

}  // namespace m1::batch
