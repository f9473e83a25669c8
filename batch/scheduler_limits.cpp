#include "batch/scheduler_limits.hpp"

#include "core/base/text_format.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <sstream>

namespace m1::batch {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, separator);) fields.push_back(trim(f));
    return fields;
}

// The number a field starts with ("2", sinfo's "2+" for "2 or more"); -1 when there is none.
std::int64_t leading_number(const std::string& s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p != s.data() ? v : -1;
}

std::int64_t whole_number(const std::string& s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty() ? v : -1;
}

// Adds `count` nodes to the configuration of their size (a new one when there is none).
void add_nodes(std::vector<node_configuration>& nodes, std::int64_t cpus, std::int64_t mem_mib,
               std::int64_t count) {
    if (cpus <= 0 || count <= 0) return;
    for (auto& n : nodes)
        if (n.cpus == cpus && n.mem_mib == mem_mib) {
            n.count += count;
            return;
        }
    nodes.push_back({cpus, std::max<std::int64_t>(mem_mib, 0), count});
}

std::string named(const partition_limits& p) {
    return (p.scheduler == scheduler_kind::slurm ? "partition " : "queue ") + p.name;
}

std::string time_text(const partition_limits& p, std::int64_t seconds) {
    return p.scheduler == scheduler_kind::slurm ? slurm_time(seconds) : pbs_time(seconds);
}

std::string count_of(std::int64_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// "2 nodes of 8 CPUs and 16000 MiB, 1 node of 64 CPUs and 2000 MiB"
std::string configurations_text(const partition_limits& p) {
    std::string text;
    for (const auto& n : p.nodes)
        text += (text.empty() ? "" : ", ") + count_of(n.count, "node") + " of " + std::to_string(n.cpus) +
                " CPUs and " + std::to_string(n.mem_mib) + " MiB";
    return text;
}

bool memory_fits(const node_configuration& n, std::int64_t mem_mib) {
    return mem_mib <= 0 || n.mem_mib == 0 || n.mem_mib >= mem_mib;
}

// CPUs and memory of one task (array) or rank (mpi): some node configuration must hold both.
std::optional<request_refusal> check_node_shape(const partition_limits& p, const partition_request& r) {
    std::int64_t most_cpus = 0, most_mem = 0;
    bool both = false, memory_known = true;
    for (const auto& n : p.nodes) {
        most_cpus = std::max(most_cpus, n.cpus);
        most_mem = std::max(most_mem, n.mem_mib);
        memory_known = memory_known && n.mem_mib > 0;
        both = both || (n.cpus >= r.cpus_per_task && memory_fits(n, r.mem_mib));
    }
    const std::string cpus = std::to_string(r.cpus_per_task), mem = std::to_string(r.mem_mib);
    if (most_cpus < r.cpus_per_task)
        return request_refusal{"cpus_per_task", named(p) + ": no node has " + cpus + " CPUs (largest: " +
                                                    std::to_string(most_cpus) + ")"};
    if (memory_known && most_mem < r.mem_mib)
        return request_refusal{"mem", named(p) + ": no node has " + mem + " MiB of memory (largest: " +
                                          std::to_string(most_mem) + " MiB)"};
    if (!both)
        return request_refusal{"mem", named(p) + ": no node has both " + cpus + " CPUs and " + mem +
                                          " MiB (" + configurations_text(p) + ")"};
    return std::nullopt;
}

std::optional<request_refusal> check_time(const partition_limits& p, const partition_request& r) {
    if (r.time_s <= 0 || !p.max_time_s || r.time_s <= *p.max_time_s) return std::nullopt;
    const bool slurm = p.scheduler == scheduler_kind::slurm;
    return request_refusal{"time", named(p) + ": " + (slurm ? "time " : "walltime ") + time_text(p, r.time_s) +
                                       " is over its " + (slurm ? "MaxTime " : "resources_max.walltime ") +
                                       time_text(p, *p.max_time_s)};
}

// PBS queues limit a job's total CPUs and memory (resources_max.ncpus, .mem).
std::optional<request_refusal> check_job_totals(const partition_limits& p, const partition_request& r) {
    const bool array = r.mode == job_mode::array;
    const std::int64_t tasks = array ? 1 : r.ntasks;
    if (tasks <= 0) return std::nullopt;
    const std::int64_t cpus = tasks * r.cpus_per_task, mem = tasks * r.mem_mib;
    if (p.max_job_cpus && cpus > *p.max_job_cpus)
        return request_refusal{array ? "cpus_per_task" : "ntasks",
                               named(p) + ": the job asks for " + std::to_string(cpus) +
                                   " CPUs, over its resources_max.ncpus " + std::to_string(*p.max_job_cpus)};
    if (p.max_job_mem_mib && mem > *p.max_job_mem_mib)
        return request_refusal{"mem", named(p) + ": the job asks for " + std::to_string(mem) +
                                          " MiB, over its resources_max.mem " +
                                          std::to_string(*p.max_job_mem_mib) + " MiB"};
    return std::nullopt;
}

// Ranks the best `nodes` nodes hold together (0: every node). PBS places the same number of ranks
// on each node (one select chunk a node): there a node holds `per_node` ranks or none.
std::int64_t rank_room(const partition_limits& p, const partition_request& r, std::int64_t nodes,
                       std::int64_t per_node) {
    std::vector<std::pair<std::int64_t, std::int64_t>> room;  // ranks a node holds, nodes
    for (const auto& n : p.nodes) {
        std::int64_t k = n.cpus / r.cpus_per_task;
        if (r.mem_mib > 0 && n.mem_mib > 0) k = std::min(k, n.mem_mib / r.mem_mib);
        if (per_node > 0) k = k >= per_node ? per_node : 0;
        room.emplace_back(k, n.count);
    }
    std::sort(room.rbegin(), room.rend());
    std::int64_t total = 0, left = nodes > 0 ? nodes : std::numeric_limits<std::int64_t>::max();
    for (const auto& [k, count] : room) {
        const std::int64_t taken = std::min(count, left);
        total += k * taken;
        left -= taken;
        if (left == 0) break;
    }
    return total;
}

// MPI: the nodes asked for exist, and they hold the ranks.
std::optional<request_refusal> check_ranks(const partition_limits& p, const partition_request& r) {
    std::int64_t total_nodes = 0;
    for (const auto& n : p.nodes) total_nodes += n.count;
    if (r.nodes > total_nodes)
        return request_refusal{"nodes", named(p) + ": nodes " + std::to_string(r.nodes) + " > its " +
                                            count_of(total_nodes, "node")};
    if (r.nodes > 0 && p.max_nodes && r.nodes > *p.max_nodes)
        return request_refusal{"nodes", named(p) + ": nodes " + std::to_string(r.nodes) + " > its MaxNodes " +
                                            std::to_string(*p.max_nodes)};
    if (r.ntasks <= 0) return std::nullopt;
    const bool pbs = p.scheduler == scheduler_kind::pbs;
    const std::int64_t per_node = pbs && r.nodes > 0 ? (r.ntasks + r.nodes - 1) / r.nodes : 0;
    const std::int64_t room = rank_room(p, r, r.nodes > 0 ? r.nodes : p.max_nodes.value_or(0), per_node);
    if (room >= r.ntasks) return std::nullopt;
    return request_refusal{
        "ntasks", named(p) + ": " + (r.nodes > 0 ? count_of(r.nodes, "node") + " of it hold " : "its nodes hold ") +
                      count_of(room, "rank") + " of " + count_of(r.cpus_per_task, "CPU") +
                      (r.mem_mib > 0 ? " and " + std::to_string(r.mem_mib) + " MiB" : "") + ", not " +
                      std::to_string(r.ntasks)};
}

}  // namespace

std::int64_t largest_cpus(const partition_limits& p) {
    std::int64_t most = 0;
    for (const auto& n : p.nodes) most = std::max(most, n.cpus);
    return p.max_job_cpus && most > 0 ? std::min(most, *p.max_job_cpus) : most;
}

std::optional<request_refusal> check_request(const partition_limits& p, const partition_request& r) {
    if (!p.nodes.empty())
        if (auto refusal = check_node_shape(p, r)) return refusal;
    if (auto refusal = check_time(p, r)) return refusal;
    if (auto refusal = check_job_totals(p, r)) return refusal;
    if (r.mode == job_mode::mpi && !p.nodes.empty()) return check_ranks(p, r);
    return std::nullopt;
}

std::optional<std::int64_t> parse_slurm_limit_time(const std::string& text) {
    const std::string t = lower(trim(text));
    if (t.empty() || t == "infinite" || t == "unlimited" || t == "n/a" || t == "none") return std::nullopt;
    try {
        return parse_job_time(t, {"sinfo", "", 0, 0});
    } catch (const input_error&) {
        return std::nullopt;
    }
}

std::vector<partition_limits> parse_sinfo(const std::string& text) {
    std::vector<partition_limits> partitions;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto f = split(line, '|');
        if (f.size() < 6 || f[0].empty() || f[0] == "*") continue;
        std::string name = f[0];
        const bool is_default = name.back() == '*';
        if (is_default) name.pop_back();
        auto p = std::find_if(partitions.begin(), partitions.end(), [&](const auto& x) { return x.name == name; });
        if (p == partitions.end()) {
            p = partitions.insert(partitions.end(), partition_limits{});
            p->name = name;
        }
        p->is_default = p->is_default || is_default;
        add_nodes(p->nodes, leading_number(f[1]), leading_number(f[2]), leading_number(f[3]));
        p->max_time_s = parse_slurm_limit_time(f[4]);
        // %s: "MIN-MAX" job size in nodes, or "N"; "infinite" for no limit.
        const std::int64_t max_nodes = leading_number(f[5].substr(f[5].find('-') + 1));
        if (max_nodes > 0) p->max_nodes = max_nodes;
    }
    return partitions;
}

std::vector<pbs_record> parse_pbs_records(const std::string& text) {
    std::vector<pbs_record> records;
    std::string* last = nullptr;  // the value a tab-indented line continues
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (trim(line).empty()) continue;
        if (line[0] == '\t') {
            if (last) last->append(line, 1);  // qstat wraps inside a word: no space added
        } else if (line[0] != ' ') {
            records.push_back({trim(line), {}});
            last = nullptr;
        } else if (const auto eq = line.find(" = "); eq != std::string::npos && !records.empty()) {
            last = &(records.back().attributes[trim(line.substr(0, eq))] = line.substr(eq + 3));
        }
    }
    for (auto& r : records)
        for (auto& [key, value] : r.attributes) value = trim(value);
    return records;
}

std::int64_t parse_pbs_memory_mib(const std::string& text) {
    const std::string t = lower(trim(text));
    const std::size_t unit = t.find_first_not_of("0123456789");
    const std::int64_t value = whole_number(t.substr(0, unit));
    if (value < 0) return -1;
    const std::string suffix = unit == std::string::npos ? "b" : t.substr(unit);
    static const std::pair<const char*, double> units[] = {
        {"b", 1.0 / (1 << 20)}, {"kb", 1.0 / 1024}, {"mb", 1}, {"gb", 1024}, {"tb", 1 << 20}, {"pb", 1 << 30}};
    for (const auto& [name, mib] : units)
        if (suffix == name) return static_cast<std::int64_t>(static_cast<double>(value) * mib);
    return -1;
}

std::int64_t parse_pbs_walltime(const std::string& text) {
    std::int64_t seconds = 0;
    const auto parts = split(trim(text), ':');
    if (parts.empty() || parts.size() > 3) return -1;
    for (const auto& part : parts) {
        const std::int64_t v = whole_number(part);
        if (v < 0) return -1;
        seconds = seconds * 60 + v;
    }
    return seconds;
}

std::vector<node_configuration> pbs_queue_nodes(const std::vector<pbs_record>& nodes, const std::string& queue) {
    auto queue_of = [](const pbs_record& n) {
        const auto it = n.attributes.find("queue");
        return it == n.attributes.end() ? std::string() : it->second;
    };
    const bool own_nodes = !queue.empty() && std::any_of(nodes.begin(), nodes.end(),
                                                         [&](const auto& n) { return queue_of(n) == queue; });
    auto attribute = [](const pbs_record& n, const char* key) {
        const auto it = n.attributes.find(key);
        return it == n.attributes.end() ? std::string() : it->second;
    };
    std::vector<node_configuration> out;
    for (const auto& n : nodes) {
        if (own_nodes ? queue_of(n) != queue : !queue_of(n).empty()) continue;
        std::int64_t cpus = whole_number(attribute(n, "resources_available.ncpus"));
        if (cpus < 0) cpus = whole_number(attribute(n, "np"));  // Torque
        std::int64_t mem = parse_pbs_memory_mib(attribute(n, "resources_available.mem"));
        if (mem < 0) {  // Torque: status = "...,physmem=16318808kb,..."
            const std::string status = attribute(n, "status");
            const auto at = status.find("physmem=");
            if (at != std::string::npos) mem = parse_pbs_memory_mib(status.substr(at + 8, status.find(',', at) - at - 8));
        }
        add_nodes(out, cpus, mem, 1);
    }
    return out;
}

partition_limits parse_qstat_queue(const std::string& text) {
    partition_limits p;
    p.scheduler = scheduler_kind::pbs;
    const auto records = parse_pbs_records(text);
    if (records.empty()) return p;
    const pbs_record& q = records.front();
    p.name = q.heading.rfind("Queue:", 0) == 0 ? trim(q.heading.substr(6)) : q.heading;
    auto limit = [&](const char* key, std::int64_t (*parse)(const std::string&)) -> std::optional<std::int64_t> {
        const auto it = q.attributes.find(key);
        const std::int64_t v = it == q.attributes.end() ? -1 : parse(it->second);
        return v > 0 ? std::optional(v) : std::nullopt;
    };
    p.max_time_s = limit("resources_max.walltime", parse_pbs_walltime);
    p.max_job_cpus = limit("resources_max.ncpus", whole_number);
    p.max_job_mem_mib = limit("resources_max.mem", parse_pbs_memory_mib);
    return p;
}

namespace {

// Why a command gave no answer: "is not here", "failed (exit 1): <the first line it wrote>".
std::string failure(const command_result& r) {
    if (r.status == -1) return "is not here";
    const std::string& said = r.err.empty() ? r.out : r.err;
    const std::string first = trim(said.substr(0, said.find('\n')));
    return "failed (exit " + std::to_string(r.status) + ")" + (first.empty() ? "" : ": " + first);
}

partition_query answer(partition_limits limits) {
    partition_query q;
    q.limits = std::move(limits);
    return q;
}
partition_query cannot_ask(std::string why) {
    partition_query q;
    q.cannot_ask = std::move(why);
    return q;
}
partition_query no_such(std::string known) {
    partition_query q;
    q.no_such = true;
    q.known = std::move(known);
    return q;
}

partition_query ask_slurm(const std::string& name) {
    // -a: hidden partitions too (a user may name one); -e: one line per exact node configuration.
    const command_result r = run_command({"sinfo", "-h", "-a", "-e", "-o", "%P|%c|%m|%D|%l|%s"});
    if (r.status != 0) return cannot_ask("sinfo " + failure(r));
    const std::vector<partition_limits> partitions = parse_sinfo(r.out);
    std::string known;
    for (const auto& p : partitions) {
        if (name.empty() ? p.is_default : p.name == name) return answer(p);
        known += (known.empty() ? "" : ", ") + p.name + (p.is_default ? "*" : "");
    }
    if (name.empty()) return cannot_ask("sinfo shows no default partition");
    return no_such(known);
}

partition_query ask_pbs(const std::string& name) {
    const command_result nodes = run_command({"pbsnodes", "-a"});
    if (nodes.status != 0) return cannot_ask("pbsnodes -a " + failure(nodes));
    std::string queue = name;
    if (queue.empty()) {
        const command_result server = run_command({"qstat", "-Bf"});
        for (const auto& s : parse_pbs_records(server.out))
            if (const auto it = s.attributes.find("default_queue"); it != s.attributes.end()) queue = it->second;
        if (queue.empty()) return cannot_ask("qstat -Bf " + (server.status ? failure(server) : "names no default_queue"));
    }
    const command_result q = run_command({"qstat", "-Qf", queue});
    if (q.status != 0) {
        if (lower(q.err + q.out).find("unknown queue") != std::string::npos) return no_such("");
        return cannot_ask("qstat -Qf " + queue + " " + failure(q));
    }
    partition_limits p = parse_qstat_queue(q.out);
    p.name = queue;
    p.nodes = pbs_queue_nodes(parse_pbs_records(nodes.out), queue);
    return answer(std::move(p));
}

}  // namespace

partition_query ask_partition(scheduler_kind scheduler, const std::string& name) {
    return scheduler == scheduler_kind::slurm ? ask_slurm(name) : ask_pbs(name);
}

}  // namespace m1::batch
