#include "core/engine/event_router.hpp"

#include "core/base/error.hpp"

#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace m1 {

event_router::event_router(const network& net, const synapse_lanes& lanes, const time_grid& grid,
                           std::size_t groups, std::size_t threads)
    : synapses_(net.synapses), lanes_(lanes), grid_(grid), cells_(net.gid_of_slot.size()),
      groups_(groups) {
    size_epochs(net);
    // Delivery partitions: enough that a partition's input blocks stay in cache when its events
    // are scattered (16 per thread measured best here); the result does not depend on them.
    if (threads == 0) threads = static_cast<std::size_t>(tbb::info::default_concurrency());
    partitions_ = std::max<std::size_t>(1, std::min<std::size_t>(groups, 16 * threads));
    block_size_ = epoch_steps_ * lanes.mechs * group_size;
    find_partition_starts(net);
    buckets_.assign(epochs_ahead_ * partitions_, {});
    inputs_.assign(groups * block_size_, 0.0);
    index_steps();
}

// Epochs as long as the shortest cell-to-cell delay allows: a spike sent in one epoch never lands
// inside it. Buckets for as many epochs ahead as the longest delay reaches.
void event_router::size_epochs(const network& net) {
    const double dt = grid_.dt();
    const double max_step = 10.0;  // pc.set_maxstep(10)
    std::size_t L = static_cast<std::size_t>(std::max(1.0, std::floor(max_step / dt)));
    if (net.synapses.size() > 0 && std::isfinite(net.min_delay)) {
        const double lag = std::ceil(net.min_delay / dt - 0.5 - 1e-6);
        if (lag < 1)
            throw run_error("the shortest connection delay (" + std::to_string(net.min_delay) +
                            " ms) is shorter than the time step: m1batch needs delays of at "
                            "least dt");
        L = std::min(L, static_cast<std::size_t>(lag));
    }
    epoch_steps_ = std::max<std::size_t>(L, 1);
    const double longest = std::max(net.max_delay, net.max_artificial_delay);
    const std::size_t longest_steps = static_cast<std::size_t>(std::ceil(longest / dt)) + 3;
    epochs_ahead_ = (longest_steps + epoch_steps_ - 1) / epoch_steps_ + 2;
}

void event_router::find_partition_starts(const network& net) {
    const synapse_wiring& t = *net.synapses.wiring;
    const std::size_t sources = t.offsets.size() - 1;
    partition_starts_.resize(sources * (partitions_ + 1));
    tbb::parallel_for(std::size_t(0), sources, [&](std::size_t g) {
        const std::uint32_t* begin = t.post_slot.data() + t.offsets[g];
        const std::uint32_t* end = t.post_slot.data() + t.offsets[g + 1];
        for (std::size_t p = 0; p <= partitions_; ++p) {
            const std::uint32_t lo = static_cast<std::uint32_t>(
                std::min(cells_, groups_ * p / partitions_ * group_size));
            partition_starts_[g * (partitions_ + 1) + p] =
                t.offsets[g] + static_cast<std::uint64_t>(std::lower_bound(begin, end, lo) - begin);
        }
    });
}

void event_router::index_steps() {
    const std::size_t steps = grid_.steps();
    bucket_row_of_step_.resize(steps + 1);
    step_offset_.resize(steps + 1);
    for (std::size_t n = 0; n <= steps; ++n) {
        bucket_row_of_step_[n] =
            static_cast<std::uint32_t>((n / epoch_steps_ % epochs_ahead_) * partitions_);
        step_offset_[n] = static_cast<std::uint32_t>(n % epoch_steps_ * lanes_.mechs * group_size);
    }
}

void event_router::deliver(std::span<const spike> spikes,
                           std::span<const std::size_t> emitted_steps, std::size_t part) {
    const synapse_wiring& t = *synapses_.wiring;
    const double* weight = synapses_.weight.data();
    const std::size_t steps = grid_.steps();
    const std::uint8_t* lane_of_mech = lanes_.lane_of_mech.data();
    for (std::size_t i = 0; i < spikes.size(); ++i) {
        const spike& sp = spikes[i];
        const std::size_t emitted = emitted_steps[i];
        const std::uint64_t* range = partition_starts_.data() + sp.gid * (partitions_ + 1) + part;
        for (std::uint64_t k = range[0]; k < range[1]; ++k) {
            const std::uint32_t* q = t.post_slot.data() + k;
            const std::size_t arrival = std::max(emitted, grid_.step_of(sp.time + t.delay[k]));
            if (arrival >= steps) continue;  // lands after the run
            const std::uint8_t m = lane_of_mech[t.synaptic_mechanism[k]];
            const std::uint32_t cell = *q, group = cell / group_size;
            buckets_[bucket_row_of_step_[arrival] + part].push_back(
                {lanes_.event_input(m, weight[k]),
                 static_cast<std::uint32_t>(group * block_size_ + step_offset_[arrival] +
                                            m * group_size + (cell - group * group_size))});
        }
    }
}

void event_router::scatter(std::size_t first_step, std::size_t part) {
    auto& bucket = buckets_[bucket_row_of_step_[first_step] + part];
    double* in = inputs_.data();
    for (const event& e : bucket) in[e.place] += e.input;
    bucket.clear();
}

}  // namespace m1
