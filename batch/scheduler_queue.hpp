#pragma once
// What the scheduler says of a job it still holds: its tasks' states and pending reasons, and
// whether a reason goes away by itself (m1batch status; README "Running on a cluster").
//
// The parsers take the schedulers' text (no command run); ask_job_state runs the command:
//   SLURM  squeue -h -r -j ID -o "%T|%r"    one line per array task (-r), pending ones included
//   PBS    qstat -f ID                       job_state, comment, array_state_count
#include "batch/cluster.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace m1::batch {

// Tasks of a job in the same state for the same reason ("PENDING", "PartitionConfig", 3).
struct task_group {
    std::string state, reason;
    std::size_t tasks = 0;
};

// squeue -h -r -j ID -o "%T|%r": the groups in the order first seen. A reason may hold spaces and
// commas ("ReqNodeNotAvail, UnavailableNodes:node1").
std::vector<task_group> parse_squeue(const std::string& text);
// qstat -f ID: one group for a job (its state spelled out: "Q" is QUEUED), or one per state of
// array_state_count for an array; the comment is the queued tasks' reason.
std::vector<task_group> parse_qstat_job(const std::string& text);

// How the wait of a group of tasks ends. ordinary: by itself (Priority, Resources, a per-user limit);
// never: not without cancelling and submitting again (PartitionConfig, PartitionTimeLimit,
// BadConstraints, InvalidAccount, a per-job limit, PBS's "Can Never Run"); administrator: when
// nodes or the partition come back (ReqNodeNotAvail: down, drained or reserved nodes); held: when
// the hold is released (SLURM JobHeldUser, JobHeldAdmin; PBS state H). Running tasks: ordinary.
enum class wait_kind { ordinary, never, administrator, held };
struct wait_meaning {
    wait_kind kind = wait_kind::ordinary;
    std::string why;  // in words, for the warning; empty for ordinary reasons
};
wait_meaning pending_meaning(scheduler_kind scheduler, const task_group& tasks);

// The groups of tasks the scheduler still holds for `job_id`; none when it holds none, has
// forgotten the job, or cannot be asked.
std::vector<task_group> ask_job_state(scheduler_kind scheduler, const std::string& job_id);

}  // namespace m1::batch
