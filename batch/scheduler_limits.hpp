#pragma once
// What a SLURM partition or a PBS queue can give one job, and whether a request fits (README
// "Running on a cluster"). m1batch submit asks before it writes anything, so that a job that could
// never start (more CPUs, memory, nodes or time than any node or the partition's limits allow) is
// refused with the partition's figures instead of pending forever.
//
// The parsers take the schedulers' text and return structs (no command run); ask_partition runs
// the commands:
//   SLURM  sinfo -h -a -e -o "%P|%c|%m|%D|%l|%s"   one line per partition and node configuration
//   PBS    pbsnodes -a                              the nodes (resources_available.ncpus, .mem)
//          qstat -Bf                                the server's default_queue
//          qstat -Qf QUEUE                          the queue's resources_max.walltime, .ncpus, .mem
#include "batch/cluster.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace m1::batch {

// Nodes alike in CPUs and memory (a heterogeneous partition has several configurations);
// mem_mib 0: not known (not checked).
struct node_configuration {
    std::int64_t cpus = 0, mem_mib = 0, count = 0;
};

struct partition_limits {
    scheduler_kind scheduler = scheduler_kind::slurm;
    std::string name;
    bool is_default = false;  // SLURM: sinfo's '*'
    std::vector<node_configuration> nodes;
    // A job's limits; nullopt: none. max_time_s: SLURM MaxTime, PBS resources_max.walltime;
    // max_nodes: SLURM MaxNodes; max_job_cpus, max_job_mem_mib: PBS resources_max.ncpus, .mem.
    std::optional<std::int64_t> max_time_s, max_nodes, max_job_cpus, max_job_mem_mib;
};

// The most CPUs one task can have there (the largest node, within a PBS queue's ncpus).
std::int64_t largest_cpus(const partition_limits& partition);

// What a job asks for: per task (array) or per rank (mpi). 0 where not known yet (unchecked).
struct partition_request {
    job_mode mode = job_mode::array;
    std::int64_t cpus_per_task = 1, mem_mib = 0, time_s = 0;
    std::int64_t nodes = 0, ntasks = 0;  // mpi
};

// Why a request can never start: the [cluster] key at fault ("cpus_per_task", "mem", "time",
// "nodes", "ntasks") and the partition's figures ("partition debug: no node has 4 CPUs
// (largest: 2)").
struct request_refusal {
    std::string key, message;
};
std::optional<request_refusal> check_request(const partition_limits& partition,
                                             const partition_request& request);

// sinfo -h -a -e -o "%P|%c|%m|%D|%l|%s": the partitions, in sinfo's order. Memory is MiB per node;
// %l "infinite" is no MaxTime; %s is "MIN-MAX" nodes or "N".
std::vector<partition_limits> parse_sinfo(const std::string& text);
// A SLURM time limit as sinfo and scontrol print it ("1-12:00:00", "30:00", "infinite",
// "UNLIMITED"): seconds, nullopt for none (or unreadable).
std::optional<std::int64_t> parse_slurm_limit_time(const std::string& text);

// PBS's "name = value" listings (pbsnodes -a, qstat -f, -Qf, -Bf): one record per unindented
// heading ("node01", "Queue: workq", "Job Id: 12.server") with its attributes; a line starting
// with a tab continues the value before it.
struct pbs_record {
    std::string heading;
    std::map<std::string, std::string> attributes;
};
std::vector<pbs_record> parse_pbs_records(const std::string& text);
// PBS sizes ("16gb", "1048576kb", "512mb", bytes without a unit): MiB, rounded down; -1 unreadable.
std::int64_t parse_pbs_memory_mib(const std::string& text);
// PBS walltime ("24:00:00", "1:30", "3600" seconds): seconds; -1 unreadable.
std::int64_t parse_pbs_walltime(const std::string& text);
// The nodes of pbsnodes -a that serve `queue` (OpenPBS: a node with a queue attribute serves only
// that queue, the others every queue without nodes of its own), as configurations. OpenPBS's
// resources_available.ncpus/.mem, Torque's np and status's physmem.
std::vector<node_configuration> pbs_queue_nodes(const std::vector<pbs_record>& nodes, const std::string& queue);
// qstat -Qf QUEUE: the queue's name and resources_max (walltime, ncpus, mem).
partition_limits parse_qstat_queue(const std::string& text);

// What the scheduler says of the partition (or queue) `name` ("": the default). Exactly one of:
// limits; cannot_ask (the command is missing or failed, or no default is known: why); no_such (the
// named partition does not exist; `known`: the ones that do, e.g. "debug*, long", when listed).
struct partition_query {
    std::optional<partition_limits> limits;
    std::string cannot_ask;
    bool no_such = false;
    std::string known;
};
partition_query ask_partition(scheduler_kind scheduler, const std::string& name);

}  // namespace m1::batch
