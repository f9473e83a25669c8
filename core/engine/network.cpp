#include "core/engine/network.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace m1 {

namespace {

// One presynaptic cell's synapses, before they go into the table.
struct outgoing {
    std::vector<std::uint32_t> post_slot;
    std::vector<std::uint8_t> mech;
    std::vector<double> weight, delay;
    std::vector<std::uint16_t> rule;
};

// Contacts and delays counted by one thread, summed at the end.
struct tally {
    std::vector<std::uint64_t> contacts;
    double min_delay = std::numeric_limits<double>::infinity(), max_delay = 0;
    double max_artificial_delay = 0;
};

void number_simulated_cells(const recipe& r, network& net) {
    const std::size_t n = r.num_cells();
    net.slot_of_gid.assign(n, -1);
    for (gid_type g = 0; g < n; ++g) {
        if (r.is_artificial(g)) continue;
        net.slot_of_gid[g] = static_cast<std::int32_t>(net.gid_of_slot.size());
        net.gid_of_slot.push_back(g);
    }
}

// The synapses of `conns`, sorted by postsynaptic cell (ties kept in rule order); artificial
// cells receive nothing.
void collect_outgoing(const std::vector<connection>& conns, const network& net,
                      std::vector<std::uint32_t>& order, outgoing& out) {
    order.resize(conns.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return conns[a].post < conns[b].post;
    });
    out.post_slot.reserve(conns.size());
    out.mech.reserve(conns.size());
    out.weight.reserve(conns.size());
    out.delay.reserve(conns.size());
    out.rule.reserve(conns.size());
    for (std::uint32_t k : order) {
        const connection& c = conns[k];
        const std::int32_t slot = net.slot_of_gid[c.post];
        if (slot < 0) continue;
        out.post_slot.push_back(static_cast<std::uint32_t>(slot));
        out.mech.push_back(c.synaptic_mechanism);
        out.weight.push_back(c.weight);
        out.delay.push_back(c.delay);
        out.rule.push_back(c.rule);
    }
}

// Each presynaptic cell's synapses, generated independently (counter-based draws), in parallel.
std::vector<outgoing> generate_outgoing(const recipe& r, const network& net) {
    const std::size_t n = r.num_cells();
    std::vector<outgoing> per_pre(n);
    tbb::enumerable_thread_specific<std::vector<connection>> scratch;
    tbb::parallel_for(tbb::blocked_range<gid_type>(0, static_cast<gid_type>(n), 16),
                      [&](const tbb::blocked_range<gid_type>& range) {
        std::vector<connection>& conns = scratch.local();
        std::vector<std::uint32_t> order;
        for (gid_type pre = range.begin(); pre != range.end(); ++pre) {
            conns.clear();
            r.connections_from(pre, conns);
            collect_outgoing(conns, net, order, per_pre[pre]);
        }
    });
    return per_pre;
}

void size_table(const std::vector<outgoing>& per_pre, synapse_wiring& w, uninitialized_vector<double>& weight) {
    w.offsets.assign(per_pre.size() + 1, 0);
    for (std::size_t g = 0; g < per_pre.size(); ++g)
        w.offsets[g + 1] = w.offsets[g] + per_pre[g].post_slot.size();
    const std::size_t total = w.offsets.back();
    w.post_slot.resize(total);
    w.synaptic_mechanism.resize(total);
    w.delay.resize(total);
    w.rule.resize(total);
    weight.resize(total);
}

void copy_into_table(const outgoing& out, std::size_t at, synapse_wiring& w,
                     uninitialized_vector<double>& weight) {
    std::copy(out.post_slot.begin(), out.post_slot.end(), w.post_slot.begin() + at);
    std::copy(out.mech.begin(), out.mech.end(), w.synaptic_mechanism.begin() + at);
    std::copy(out.weight.begin(), out.weight.end(), weight.begin() + at);
    std::copy(out.delay.begin(), out.delay.end(), w.delay.begin() + at);
    std::copy(out.rule.begin(), out.rule.end(), w.rule.begin() + at);
}

void count_contacts(const recipe& r, const network& net, gid_type pre, const outgoing& out,
                    std::size_t num_pops, std::size_t num_mechs, tally& x) {
    const std::size_t pre_pop = r.population_of(pre);
    for (std::size_t k = 0; k < out.post_slot.size(); ++k) {
        const std::size_t post_pop = r.population_of(net.gid_of_slot[out.post_slot[k]]);
        ++x.contacts[(pre_pop * num_pops + post_pop) * num_mechs + out.mech[k]];
        if (r.is_artificial(pre)) {
            x.max_artificial_delay = std::max(x.max_artificial_delay, out.delay[k]);
        } else {
            x.min_delay = std::min(x.min_delay, out.delay[k]);
            x.max_delay = std::max(x.max_delay, out.delay[k]);
        }
    }
}

void add_tallies(const tbb::enumerable_thread_specific<tally>& tallies, network& net) {
    net.min_delay = std::numeric_limits<double>::infinity();
    for (const tally& x : tallies) {
        for (std::size_t k = 0; k < x.contacts.size(); ++k) net.contacts[k] += x.contacts[k];
        net.min_delay = std::min(net.min_delay, x.min_delay);
        net.max_delay = std::max(net.max_delay, x.max_delay);
        net.max_artificial_delay = std::max(net.max_artificial_delay, x.max_artificial_delay);
    }
}

// Fills the table from `per_pre` (freeing it as it goes: the table is the largest thing a run
// holds) and counts contacts by population pair and mechanism, and the delays.
void fill_table(const recipe& r, std::vector<outgoing>& per_pre, network& net) {
    synapse_wiring w;
    uninitialized_vector<double>& weight = net.synapses.weight;
    size_table(per_pre, w, weight);
    const std::size_t num_pops = r.populations().size();
    const std::size_t num_mechs = r.synaptic_mechanisms().size();
    const std::size_t cells = num_pops * num_pops * std::max<std::size_t>(num_mechs, 1);
    tbb::enumerable_thread_specific<tally> tallies([&] {
        tally x;
        x.contacts.assign(cells, 0);
        return x;
    });
    tbb::parallel_for(tbb::blocked_range<gid_type>(0, static_cast<gid_type>(per_pre.size()), 64),
                      [&](const tbb::blocked_range<gid_type>& range) {
        tally& x = tallies.local();
        for (gid_type pre = range.begin(); pre != range.end(); ++pre) {
            copy_into_table(per_pre[pre], w.offsets[pre], w, weight);
            count_contacts(r, net, pre, per_pre[pre], num_pops, num_mechs, x);
            per_pre[pre] = outgoing{};
        }
    });
    net.contacts.assign(cells, 0);
    add_tallies(tallies, net);
    net.num_contacts = w.size();
    net.synapses.wiring = std::make_shared<const synapse_wiring>(std::move(w));
}

}  // namespace

network build_network(const recipe& r) {
    network net;
    number_simulated_cells(r, net);
    std::vector<outgoing> per_pre = generate_outgoing(r, net);
    fill_table(r, per_pre, net);
    return net;
}

}  // namespace m1
