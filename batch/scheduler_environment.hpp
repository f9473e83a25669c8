#pragma once
// What an array task learns from its scheduler's environment (SLURM, PBS, or m1batch's own
// variables): which task it is, how many there are, and the CPUs it was granted.
#include <cstddef>
#include <optional>
#include <string>

namespace m1::batch {

// A task's index (0-based) and the count of tasks in its array, and the CPUs it was granted;
// each with the variable it came from.
struct task_environment {
    std::optional<std::size_t> task_index, task_count, cpus;
    std::string index_from, count_from, cpus_from;  // e.g. "SLURM_ARRAY_TASK_ID"
};

// Reads, in this order of precedence: M1BATCH_TASK_INDEX, SLURM_ARRAY_TASK_ID (less
// SLURM_ARRAY_TASK_MIN, over SLURM_ARRAY_TASK_STEP), PBS_ARRAY_INDEX, PBS_ARRAYID; M1BATCH_TASK_COUNT,
// SLURM_ARRAY_TASK_COUNT; M1BATCH_THREADS, SLURM_CPUS_PER_TASK, NCPUS, PBS_NUM_PPN; through
// Boost.Program_options' environment parser. A malformed value is an input_error naming the
// variable.
task_environment read_task_environment();

}  // namespace m1::batch
