#pragma once
// Event routing: spikes become synaptic input of the steps they land in. Delivery appends (input,
// place) records to the bucket of the epoch and delivery partition an event lands in: a few
// sequential write streams, where a ring over all cells and all future steps (~100 MB for M1)
// would take a cache miss per event. Before an epoch, each partition scatters its bucket into the
// input blocks of its groups (epoch steps x lanes x cells each). The sums run in delivery order
// either way: not a bit of the result depends on this.
#include "core/engine/izhikevich_cells.hpp"
#include "core/engine/spike.hpp"
#include "core/engine/synapse_lanes.hpp"
#include "core/engine/time_grid.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace m1 {

class event_router {
public:
    // Epochs as long as the shortest cell-to-cell delay allows (at most 10 ms), and `threads`
    // (0: all cores) sizing the delivery partitions. Throws run_error when a delay is shorter
    // than dt.
    event_router(const network& net, const synapse_lanes& lanes, const time_grid& grid,
                 std::size_t groups, std::size_t threads);

    std::size_t epoch_steps() const noexcept { return epoch_steps_; }
    std::size_t partitions() const noexcept { return partitions_; }
    // A group's input block of the current epoch: lane m of step n (of the epoch) of cell i at
    // [(n * lanes + m) * group_size + i].
    double* block(std::size_t group) { return inputs_.data() + group * block_size_; }

    // Delivers spikes, each counting from the step it was emitted in, to the cells of one
    // partition (a range of cell groups). Each group's buckets are written by one partition, in
    // spike order, so the sums do not depend on the partitioning.
    void deliver(std::span<const spike> spikes, std::span<const std::size_t> emitted_steps,
                 std::size_t part);
    // Adds the partition's events of the epoch starting at first_step into its groups' blocks.
    void scatter(std::size_t first_step, std::size_t part);

private:
    struct event {
        double input;         // weight * factor (* r)
        std::uint32_t place;  // into inputs_: group * block_size + step offset + lane * group_size + cell
    };
    void size_epochs(const network& net);
    void find_partition_starts(const network& net);
    void index_steps();

    const synapse_table& synapses_;
    const synapse_lanes& lanes_;
    const time_grid& grid_;
    std::size_t cells_ = 0, groups_ = 0, partitions_ = 1;
    std::size_t epoch_steps_ = 1, epochs_ahead_ = 1, block_size_ = 0;
    // Per step: its epoch's bucket row and its offset in a block (no divisions per event).
    std::vector<std::uint32_t> bucket_row_of_step_, step_offset_;
    std::vector<std::vector<event>> buckets_;  // [(epoch % epochs_ahead) * partitions + partition]
    // Where each presynaptic cell's synapses onto each partition start in the synapse table (its
    // synapses are sorted by postsynaptic cell): [gid * (partitions + 1) + partition].
    std::vector<std::uint64_t> partition_starts_;
    std::vector<double> inputs_;  // [group * block_size + ...]
};

}  // namespace m1
