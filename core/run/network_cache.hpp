#pragma once
// Networks kept between the runs of one process: runs that differ only in weights, stimulation or
// duration share their connectivity, so a sweep over weights builds the network once.
#include "core/engine/network.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace m1 {

// What a model's connectivity (who connects to whom, with which mechanism and delay) depends on, as
// a SHA-256: the effective model without what only sets weights, stimulation or how long to run
// (duration, recordStep, seeds.stim, stimSourceParams, stimTargetParams, scaleConnWeightNetStims,
// the weights of rules whose weight is the same for every pair, and scaleConnWeight and the netParams
// numbers that only such weights use). A rule whose weight varies per pair or draws random numbers
// keeps its weight in the key (its draws share the pair's stream with the delay).
std::string connectivity_key(const model_spec& model);

// The network `built` for a model with the same connectivity_key as `r`'s, with the weights
// build_network would give for `r`'s model (rule weight times scaleConnWeight, the same
// operations): the wiring is shared, not copied, and only the weights are new.
network reweighted(const network& built, const recipe& r);

// Networks kept between the runs of one process: a run whose connectivity_key matches an earlier
// run's shares that network's wiring and computes only its weights (reweighted), bit for bit what
// a fresh build gives. Holds the most recently used `capacity` networks. Thread-safe.
class network_cache {
public:
    explicit network_cache(std::size_t capacity = 2) : capacity_(capacity) {}
    // The network stored under `key`, or null.
    std::shared_ptr<const network> find(const std::string& key);
    void store(const std::string& key, std::shared_ptr<const network> net);

private:
    std::mutex mutex_;
    std::size_t capacity_;
    std::vector<std::pair<std::string, std::shared_ptr<const network>>> entries_;  // most recent last
};

struct obtained_network {
    std::shared_ptr<const network> net;
    bool reused = false;  // from the cache, reweighted
};

// The network of `r`: a cached one of the same connectivity_key, reweighted, else a new one built
// (and stored). Without a cache, always built.
obtained_network network_for(const recipe& r, network_cache* cache);

}  // namespace m1
