// The network cache: which model changes keep the connectivity (connectivity_key), and that a
// reused network with its weights recomputed (reweight) is bit for bit the freshly built one, down
// to the spikes it gives.
#include "core/format/model.hpp"
#include "core/engine/network.hpp"
#include "core/engine/recipe.hpp"
#include "core/run/network_cache.hpp"
#include "core/run/run.hpp"
#include "core/engine/simulation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace {

const char* m1_2017 = M1_SOURCE_DIR "/configs/models/m1_2017.json";

// The M1 model at scale 0.1 with `change` applied to its document.
m1::model_spec tenth_model(const std::function<void(nlohmann::ordered_json&)>& change = {}) {
    const m1::json_document doc = m1::json_document::read_file(m1_2017);
    nlohmann::ordered_json changed = doc.root();
    if (change) change(changed);
    m1::run_config config;
    config.scale = 0.1;
    config.duration = 100;
    m1::apply_run_keys(changed, config);
    return m1::parse_effective_model(doc, std::move(changed));
}

nlohmann::ordered_json& net(nlohmann::ordered_json& d) { return d["netParams"]; }

TEST(NetworkCache, KeyIgnoresWeightsStimulationDurationAndStimSeed) {
    const std::string base = m1::connectivity_key(tenth_model());
    EXPECT_EQ(base.size(), 64u);
    const std::vector<std::function<void(nlohmann::ordered_json&)>> same = {
        [](auto& d) { net(d)["scaleConnWeight"] = 0.0004; },
        [](auto& d) { net(d)["ItoIweight"] = 0.75; },  // used only in weight strings
        [](auto& d) { net(d)["scaleConnWeightNetStims"] = 0.5; },
        [](auto& d) { net(d)["connParams"]["0"]["weight"] = 0.7; },
        [](auto& d) { net(d)["stimSourceParams"]["background_E"]["rate"] = 20; },
        [](auto& d) { net(d)["stimTargetParams"]["bgE->PT"]["weight"] = 0.3; },
        [](auto& d) { d["simConfig"]["duration"] = 50.0; },
        [](auto& d) { d["simConfig"]["seeds"]["stim"] = 7; },
    };
    for (std::size_t i = 0; i < same.size(); ++i)
        EXPECT_EQ(m1::connectivity_key(tenth_model(same[i])), base) << "change " << i;
}

TEST(NetworkCache, KeyFollowsWhatDecidesWhoConnects) {
    const std::string base = m1::connectivity_key(tenth_model());
    const std::vector<std::function<void(nlohmann::ordered_json&)>> different = {
        [](auto& d) { d["simConfig"]["seeds"]["conn"] = 2; },
        [](auto& d) { d["simConfig"]["seeds"]["loc"] = 2; },
        [](auto& d) { net(d)["connParams"]["0"]["probability"] = 0.1; },
        [](auto& d) { net(d)["propVelocity"] = 200.0; },  // delays: defaultDelay+dist_3D/propVelocity
        [](auto& d) { net(d)["probLambda"] = 50.0; },
        [](auto& d) { net(d)["connParams"]["0"]["weight"] = "uniform(0.5, 0.7)"; },  // draws
        [](auto& d) { net(d)["connParams"]["0"]["weight"] = "0.7 * dist_3D"; },     // per pair
    };
    for (std::size_t i = 0; i < different.size(); ++i)
        EXPECT_NE(m1::connectivity_key(tenth_model(different[i])), base) << "change " << i;
}

// A network built for the base model, reweighted for a model with other weights, equals the
// network built for that model from scratch: every field, every bit. The wiring is shared.
TEST(NetworkCache, ReweightedEqualsFreshBuild) {
    const m1::model_spec a = tenth_model();
    const m1::model_spec b = tenth_model([](auto& d) {
        net(d)["scaleConnWeight"] = 0.00037;
        net(d)["ItoIweight"] = 0.9;
        net(d)["connParams"]["5"]["weight"] = 1.3;
    });
    ASSERT_EQ(m1::connectivity_key(a), m1::connectivity_key(b));
    const m1::recipe ra(a), rb(b);
    const m1::network built = m1::build_network(ra);
    const m1::network fresh = m1::build_network(rb);
    std::size_t changed = 0;
    for (std::size_t s = 0; s < fresh.synapses.size(); ++s)
        changed += built.synapses.weight[s] != fresh.synapses.weight[s];
    EXPECT_GT(changed, fresh.synapses.size() / 2);  // the test changes most weights
    const m1::network reused = m1::reweighted(built, rb);
    EXPECT_EQ(reused.synapses.wiring, built.synapses.wiring);  // shared, not copied
    const m1::synapse_wiring &r = *reused.synapses.wiring, &f = *fresh.synapses.wiring;
    EXPECT_EQ(r.offsets, f.offsets);
    EXPECT_EQ(r.post_slot, f.post_slot);
    EXPECT_EQ(r.synaptic_mechanism, f.synaptic_mechanism);
    EXPECT_EQ(r.delay, f.delay);
    EXPECT_EQ(r.rule, f.rule);
    EXPECT_EQ(reused.synapses.weight, fresh.synapses.weight);  // exact: operator== on doubles
    EXPECT_EQ(reused.slot_of_gid, fresh.slot_of_gid);
    EXPECT_EQ(reused.gid_of_slot, fresh.gid_of_slot);
    EXPECT_EQ(reused.contacts, fresh.contacts);
    EXPECT_EQ(reused.num_contacts, fresh.num_contacts);
    EXPECT_EQ(reused.min_delay, fresh.min_delay);
    EXPECT_EQ(reused.max_delay, fresh.max_delay);
    EXPECT_EQ(reused.max_artificial_delay, fresh.max_artificial_delay);
}

// A rule whose weight varies per pair keeps its built weights (they, and scaleConnWeight, are in
// the connectivity key) while a constant rule's weight changes.
TEST(NetworkCache, ReweightedKeepsPerPairWeights) {
    auto per_pair = [](auto& d) { net(d)["connParams"]["0"]["weight"] = "0.7 * dist_3D"; };
    const m1::model_spec a = tenth_model(per_pair);
    const m1::model_spec b = tenth_model([&](auto& d) {
        per_pair(d);
        net(d)["connParams"]["5"]["weight"] = 1.3;
    });
    ASSERT_EQ(m1::connectivity_key(a), m1::connectivity_key(b));
    const m1::recipe ra(a), rb(b);
    const m1::network built = m1::build_network(ra), fresh = m1::build_network(rb);
    EXPECT_NE(built.synapses.weight, fresh.synapses.weight);  // rule 5 has synapses at this scale
    EXPECT_EQ(m1::reweighted(built, rb).synapses.weight, fresh.synapses.weight);
}

// The cache hands out the network it holds (no copy) and keeps the most recent `capacity`.
TEST(NetworkCache, FindSharesTheStoredNetworkAndForgetsTheOldest) {
    m1::network_cache cache(2);
    auto one = std::make_shared<const m1::network>(), two = std::make_shared<const m1::network>(),
         three = std::make_shared<const m1::network>();
    cache.store("one", one);
    cache.store("two", two);
    EXPECT_EQ(cache.find("one"), one);  // now the most recent
    cache.store("three", three);
    EXPECT_EQ(cache.find("two"), nullptr);
    EXPECT_EQ(cache.find("one"), one);
    EXPECT_EQ(cache.find("three"), three);
    m1::network_cache none(0);
    none.store("one", one);
    EXPECT_EQ(none.find("one"), nullptr);
}

// Through run_model with a cache: the second run reuses the network and its spikes are those of a
// run in a fresh process state.
TEST(NetworkCache, RunWithReusedNetworkGivesTheSameSpikes) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("m1batch-test-network-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    auto weights = [](auto& d) { net(d)["scaleConnWeight"] = 0.00035; };
    m1::run_config config;
    config.model = m1_2017;
    config.threads = 2;
    m1::network_cache cache;
    m1::run_extras with_cache;
    with_cache.networks = &cache;

    config.output = dir / "first";
    const auto first = m1::run_model(config, tenth_model(), nullptr, with_cache);
    EXPECT_FALSE(first.network_reused);
    config.output = dir / "reused";
    const auto reused = m1::run_model(config, tenth_model(weights), nullptr, with_cache);
    EXPECT_TRUE(reused.network_reused);
    config.output = dir / "fresh";
    const auto fresh = m1::run_model(config, tenth_model(weights), nullptr);
    EXPECT_FALSE(fresh.network_reused);

    const auto a = m1::read_run_spikes(reused.run_file), b = m1::read_run_spikes(fresh.run_file);
    ASSERT_EQ(a.size(), b.size());
    std::size_t spikes = 0;
    for (std::size_t p = 0; p < a.size(); ++p) {
        EXPECT_EQ(a[p].timestamps, b[p].timestamps) << a[p].population;
        EXPECT_EQ(a[p].node_ids, b[p].node_ids) << a[p].population;
        spikes += a[p].timestamps.size();
    }
    EXPECT_GT(spikes, 100u);
    EXPECT_NE(first.spikes, reused.spikes);  // the weights did change the activity
    std::filesystem::remove_all(dir);
}

}  // namespace
