#include "batch/scheduler_queue.hpp"

#include "batch/scheduler_limits.hpp"
#include "core/base/text_format.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>

namespace m1::batch {

namespace {

void add_tasks(std::vector<task_group>& groups, const std::string& state, const std::string& reason,
               std::size_t tasks) {
    if (tasks == 0) return;
    for (auto& g : groups)
        if (g.state == state && g.reason == reason) {
            g.tasks += tasks;
            return;
        }
    groups.push_back({state, reason, tasks});
}

std::string pbs_state(const std::string& letter) {
    static const std::map<std::string, std::string> words = {
        {"Q", "QUEUED"},  {"R", "RUNNING"},   {"H", "HELD"},      {"W", "WAITING"}, {"T", "TRANSIT"},
        {"E", "EXITING"}, {"S", "SUSPENDED"}, {"U", "SUSPENDED"}, {"B", "BEGUN"},   {"X", "EXPIRED"},
        {"F", "FINISHED"}, {"M", "MOVED"}};
    const auto it = words.find(letter);
    return it == words.end() ? letter : it->second;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// SLURM's reasons that no waiting ends (squeue(1) "JOB REASON CODES", job_reason_codes.html).
const std::map<std::string, std::string>& slurm_never() {
    static const std::map<std::string, std::string> reasons = {
        {"PartitionConfig", "the partition cannot give what it asks for (CPUs, memory or nodes)"},
        {"PartitionTimeLimit", "its time limit is over the partition's MaxTime"},
        {"PartitionNodeLimit", "its node count is outside the partition's limits (or the nodes it needs "
                               "are down or drained)"},
        {"BadConstraints", "its constraints match no node"},
        {"InvalidAccount", "its account is not valid here"},
        {"InvalidQOS", "its QOS is not valid here"},
        {"AccountNotAllowed", "its account may not use the partition"},
        {"QOSNotAllowed", "its QOS may not use the partition"},
        {"DependencyNeverSatisfied", "it depends on a job that will never satisfy the dependency"}};
    return reasons;
}

wait_meaning slurm_meaning(const std::string& reason) {
    // "ReqNodeNotAvail, UnavailableNodes:node1": the code is the first word.
    const std::string code = reason.substr(0, reason.find_first_of(", "));
    if (const auto it = slurm_never().find(code); it != slurm_never().end()) return {wait_kind::never, it->second};
    // Per-job limits of an association or QOS (QOSMaxWallDurationPerJobLimit, AssocMaxCpuPerJobLimit)
    // and QOS minimums stay; per-user and group limits (QOSMaxCpuPerUserLimit) lift as jobs end.
    if ((starts_with(code, "QOSMax") || starts_with(code, "AssocMax")) && code.find("PerJob") != std::string::npos)
        return {wait_kind::never, "it asks for more than a per-job limit of its account or QOS allows"};
    if (starts_with(code, "QOSMin"))
        return {wait_kind::never, "it asks for less than its QOS's minimum"};
    if (code == "ReqNodeNotAvail" || starts_with(reason, "Nodes required for job are DOWN"))
        return {wait_kind::administrator, "nodes it needs are down, drained or reserved; it starts when they "
                                          "return, which for down or drained nodes takes an administrator"};
    if (code == "PartitionDown" || code == "PartitionInactive" || code == "NodeDown" || code == "FrontEndDown")
        return {wait_kind::administrator, "the partition or a node it needs is down; it starts when an "
                                          "administrator brings it back"};
    if (code == "JobHeldUser") return {wait_kind::held, "held"};
    if (code == "JobHeldAdmin") return {wait_kind::held, "held by an administrator"};
    return {};
}

}  // namespace

std::vector<task_group> parse_squeue(const std::string& text) {
    std::vector<task_group> groups;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto bar = line.find('|');
        if (bar == std::string::npos || trim(line.substr(0, bar)).empty()) continue;
        std::string reason = trim(line.substr(bar + 1));
        if (reason == "None") reason.clear();  // a running task's
        add_tasks(groups, trim(line.substr(0, bar)), reason, 1);
    }
    return groups;
}

std::vector<task_group> parse_qstat_job(const std::string& text) {
    std::vector<task_group> groups;
    const auto records = parse_pbs_records(text);
    if (records.empty()) return groups;
    const auto& a = records.front().attributes;
    auto attribute = [&](const char* key) {
        const auto it = a.find(key);
        return it == a.end() ? std::string() : it->second;
    };
    const std::string comment = attribute("comment"), counts = attribute("array_state_count");
    if (counts.empty()) {
        if (!attribute("job_state").empty()) add_tasks(groups, pbs_state(attribute("job_state")), comment, 1);
        return groups;
    }
    // "Queued:3 Running:1 Exiting:0 Expired:0"
    std::istringstream in(counts);
    for (std::string item; in >> item;) {
        const auto colon = item.find(':');
        if (colon == std::string::npos) continue;
        std::string state = item.substr(0, colon);
        for (char& ch : state) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (state == "EXPIRED") continue;  // done
        add_tasks(groups, state, state == "QUEUED" ? comment : "", std::strtoul(item.c_str() + colon + 1, nullptr, 10));
    }
    return groups;
}

wait_meaning pending_meaning(scheduler_kind scheduler, const task_group& tasks) {
    if (scheduler == scheduler_kind::slurm)
        return tasks.state == "PENDING" ? slurm_meaning(tasks.reason) : wait_meaning{};
    if (tasks.state == "HELD") return {wait_kind::held, "held"};
    // PBS's scheduler says so itself: "Can Never Run: Insufficient amount of resource: ncpus ...".
    if (tasks.state == "QUEUED" && starts_with(tasks.reason, "Can Never Run")) return {wait_kind::never, tasks.reason};
    return {};
}

std::vector<task_group> ask_job_state(scheduler_kind scheduler, const std::string& job_id) {
    if (scheduler == scheduler_kind::slurm) {
        const command_result r = run_command({"squeue", "-h", "-r", "-j", job_id, "-o", "%T|%r"});
        return r.status == 0 ? parse_squeue(r.out) : std::vector<task_group>{};
    }
    // Without -x qstat knows only jobs not yet finished.
    const command_result r = run_command({"qstat", "-f", job_id});
    return r.status == 0 ? parse_qstat_job(r.out) : std::vector<task_group>{};
}

}  // namespace m1::batch
