// Network construction facts of the M1 model (2017 form). Expected numbers are copied from
// docs/SEMANTICS.md (NetPyNE 1.1.0 semantics, computed with the verified
// re-implementation); the section is named at each use.
#include "core/format/model.hpp"
#include "core/engine/network.hpp"
#include "core/engine/recipe.hpp"
#include "core/run/run.hpp"

#include <gtest/gtest.h>

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace {

const char* m1_2017 = M1_SOURCE_DIR "/configs/models/m1_2017.json";

// The full-scale model and recipe, built once for the tests that need them.
const m1::recipe& full_recipe() {
    static const std::unique_ptr<m1::model_spec> model =
        std::make_unique<m1::model_spec>(m1::load_model(m1_2017));
    static const std::unique_ptr<m1::recipe> r = std::make_unique<m1::recipe>(*model);
    return *r;
}

// The model at scale 0.1 (M1_test.py's), through a run configuration as the CLI does it.
const m1::recipe& tenth_recipe() {
    static const std::unique_ptr<m1::model_spec> model = [] {
        m1::run_config config;
        config.model = m1_2017;
        config.output = "unused";
        config.scale = 0.1;
        return std::make_unique<m1::model_spec>(m1::effective_model(config));
    }();
    static const std::unique_ptr<m1::recipe> r = std::make_unique<m1::recipe>(*model);
    return *r;
}

using conn_tuple = std::tuple<m1::gid_type, m1::gid_type, std::uint16_t, double, double>;

std::vector<conn_tuple> as_tuples(const std::vector<m1::connection>& cs) {
    std::vector<conn_tuple> out;
    out.reserve(cs.size());
    for (const auto& c : cs) out.emplace_back(c.pre, c.post, c.rule, c.weight, c.delay);
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Recipe, FullScalePopulationsAndGids) {
    const m1::recipe& r = full_recipe();
    // SEMANTICS.md §1, table "first gid / N" at full size (sizeX = sizeZ = 300, sizeY = 1350).
    struct expected_pop {
        const char* name;
        m1::gid_type first;
        std::uint32_t size;
    };
    const expected_pop expected[] = {
        {"IT_L23", 0, 1846},    {"IT_L4", 1846, 971},    {"IT_L5A", 2817, 1069},
        {"IT_L5B", 3886, 1215}, {"PT_L5B", 5101, 1215},  {"IT_L6", 6316, 1117},
        {"CT_L6", 7433, 1117},  {"PV_L23", 8550, 255},   {"SOM_L23", 8805, 255},
        {"PV_L5", 9060, 558},   {"SOM_L5", 9618, 558},   {"PV_L6", 10176, 279},
        {"SOM_L6", 10455, 279},
    };
    const auto pops = r.populations();
    ASSERT_EQ(pops.size(), 13u);
    for (std::size_t p = 0; p < pops.size(); ++p) {
        SCOPED_TRACE(expected[p].name);
        EXPECT_EQ(r.model().populations[pops[p].spec].name, expected[p].name);
        EXPECT_EQ(pops[p].first_gid, expected[p].first);
        EXPECT_EQ(pops[p].size, expected[p].size);
        EXPECT_EQ(r.population_of(expected[p].first), p);
    }
    EXPECT_EQ(r.num_cells(), 10734u);  // SEMANTICS.md §1: 10 734 cells
}

TEST(Recipe, FullScaleGid0Position) {
    const m1::recipe& r = full_recipe();
    // SEMANTICS.md §1, test vector.
    const m1::cell_position& p = r.position(0);
    EXPECT_NEAR(p.x, 274.048932927184, 1e-9);
    EXPECT_NEAR(p.y, 270.165423039658, 1e-9);
    EXPECT_NEAR(p.z, 147.643126978622, 1e-9);
    EXPECT_NEAR(p.ynorm, 0.200122535585, 1e-9);
    EXPECT_FALSE(r.is_artificial(0));
    ASSERT_NE(r.cell_rule_of(0), nullptr);
}

TEST(Recipe, FullScaleRule0Selection) {
    const m1::recipe& r = full_recipe();
    // SEMANTICS.md §4 step 4: rule 0 has |SP| = |SQ| = 814.
    EXPECT_EQ(r.rule_pre_cells(0).size(), 814u);
    EXPECT_EQ(r.rule_post_cells(0).size(), 814u);
    EXPECT_TRUE(std::is_sorted(r.rule_pre_cells(0).begin(), r.rule_pre_cells(0).end()));
}

TEST(Recipe, FullScaleStimulationDelays) {
    const m1::recipe& r = full_recipe();
    // SEMANTICS.md §5: the '2+normal(5,3)' delay of gid 0 and gid 1.
    const auto s0 = r.stimulations_on(0);
    const auto s1 = r.stimulations_on(1);
    ASSERT_EQ(s0.size(), 1u);
    ASSERT_EQ(s1.size(), 1u);
    EXPECT_NEAR(s0[0].delay, 6.57762067289666, 1e-12);
    EXPECT_NEAR(s1[0].delay, 4.484599976475625, 1e-12);
    // SEMANTICS.md §5 weight table: IT cells get 0.1 * 0.25 = 0.025 µS.
    EXPECT_NEAR(s0[0].weight, 0.025, 1e-15);
}

TEST(Recipe, TenthScaleCellsAndContacts) {
    const m1::recipe& r = tenth_recipe();
    EXPECT_EQ(r.num_cells(), 1065u);  // SEMANTICS.md §1: 1065 cells at scale 0.1
    const m1::network net = m1::build_network(r);
    EXPECT_EQ(net.num_contacts, 60473u);
    EXPECT_EQ(net.synapses.size(), 60473u);
    std::uint64_t summed = 0;
    for (auto c : net.contacts) summed += c;
    EXPECT_EQ(summed, 60473u);
}

TEST(Recipe, TenthScaleConnectionsFromAndOnAgree) {
    const m1::recipe& r = tenth_recipe();
    std::vector<m1::connection> from, on, buffer;
    for (m1::gid_type g = 0; g < r.num_cells(); ++g) {
        buffer.clear();
        r.connections_from(g, buffer);
        for (const auto& c : buffer) EXPECT_EQ(c.pre, g);
        from.insert(from.end(), buffer.begin(), buffer.end());
        buffer.clear();
        r.connections_on(g, buffer);
        for (const auto& c : buffer) EXPECT_EQ(c.post, g);
        on.insert(on.end(), buffer.begin(), buffer.end());
    }
    EXPECT_EQ(from.size(), 60473u);
    ASSERT_EQ(from.size(), on.size());
    EXPECT_TRUE(as_tuples(from) == as_tuples(on));
    // No self-connections (simConfig.allowSelfConns is false).
    for (const auto& c : from) EXPECT_NE(c.pre, c.post);
}

TEST(Recipe, TenthScaleNetworkIndependentOfThreads) {
    const m1::recipe& r = tenth_recipe();
    m1::network one, two;
    tbb::task_arena(1).execute([&] { one = m1::build_network(r); });
    tbb::task_arena(2).execute([&] { two = m1::build_network(r); });
    EXPECT_EQ(one.num_contacts, two.num_contacts);
    EXPECT_TRUE(one.synapses.wiring->offsets == two.synapses.wiring->offsets);
    EXPECT_TRUE(one.synapses.wiring->post_slot == two.synapses.wiring->post_slot);
    EXPECT_TRUE(one.synapses.wiring->synaptic_mechanism == two.synapses.wiring->synaptic_mechanism);
    EXPECT_TRUE(one.synapses.weight == two.synapses.weight);
    EXPECT_TRUE(one.synapses.wiring->delay == two.synapses.wiring->delay);
    EXPECT_TRUE(one.contacts == two.contacts);
    EXPECT_TRUE(one.slot_of_gid == two.slot_of_gid);
    EXPECT_EQ(one.min_delay, two.min_delay);
    EXPECT_EQ(one.max_delay, two.max_delay);
}

TEST(Recipe, FullScaleNetwork) {
    const m1::recipe& r = full_recipe();
    const m1::network net = m1::build_network(r);
    // SEMANTICS.md §4, "Full-scale result".
    EXPECT_EQ(net.num_contacts, 5021489u);
    const auto& mechs = r.model().synaptic_mechanisms;
    const std::size_t num_pops = r.populations().size(), num_mechs = mechs.size();
    ASSERT_EQ(net.contacts.size(), num_pops * num_pops * num_mechs);
    std::vector<std::uint64_t> by_mech(num_mechs, 0);
    for (std::size_t pre = 0; pre < num_pops; ++pre)
        for (std::size_t post = 0; post < num_pops; ++post)
            for (std::size_t m = 0; m < num_mechs; ++m)
                by_mech[m] += net.contacts[(pre * num_pops + post) * num_mechs + m];
    auto count_of = [&](const std::string& name) -> std::uint64_t {
        for (std::size_t m = 0; m < num_mechs; ++m)
            if (mechs[m].name == name) return by_mech[m];
        ADD_FAILURE() << "no synaptic mechanism " << name;
        return 0;
    };
    EXPECT_EQ(count_of("AMPA"), 3832606u);
    EXPECT_EQ(count_of("GABAA"), 591045u);
    EXPECT_EQ(count_of("GABAB"), 597838u);
    EXPECT_EQ(count_of("NMDA"), 0u);
    // SEMANTICS.md §4 step 7: delays 2.0 + dist_3D/100, between 2.0 and about 16.2 ms.
    EXPECT_GE(net.min_delay, 2.0);
    EXPECT_LE(net.max_delay, 16.3);
}

}  // namespace

// convConn and divConn (docs/netpyne-semantics.md §3): exact counts, distinct partners, no
// self-connections, the same pairs whichever direction the recipe is asked from.
namespace {

m1::model_spec sampled_model(const std::string& rule) {
    const std::string text = R"({"netParams": {
      "sizeX": 100, "sizeY": 100, "sizeZ": 100,
      "popParams": {"E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 40},
                    "I": {"cellModel": "Izhi", "cellType": "RS", "numCells": 15}},
      "cellParams": {"RS": {"conds": {"cellType": "RS"}, "secs": {"soma": {
          "geom": {"diam": 10, "L": 10, "cm": 31.831},
          "pointps": {"Izhi": {"mod": "Izhi2007b", "C": 1, "k": 0.7, "vr": -60, "vt": -40,
                               "vpeak": 35, "a": 0.03, "b": -2, "c": -50, "d": 100, "celltype": 1}}}}}},
      "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 2.3, "e": 0}},
      "connParams": {"rule": )" + rule + R"(}},
      "simConfig": {"duration": 10, "dt": 0.05}})";
    return m1::parse_model(m1::json_document::parse(text, "sampled.json"));
}

struct pair_counts {
    std::vector<std::size_t> in, out;
    std::vector<conn_tuple> from, on;
};

pair_counts count_pairs(const m1::recipe& r) {
    pair_counts c;
    c.in.assign(r.num_cells(), 0);
    c.out.assign(r.num_cells(), 0);
    std::vector<m1::connection> from, on;
    for (m1::gid_type g = 0; g < r.num_cells(); ++g) {
        r.connections_from(g, from);
        r.connections_on(g, on);
    }
    for (const auto& x : from) {
        EXPECT_NE(x.pre, x.post) << "self-connection";
        ++c.in[x.post];
        ++c.out[x.pre];
    }
    c.from = as_tuples(from);
    c.on = as_tuples(on);
    EXPECT_EQ(std::adjacent_find(c.from.begin(), c.from.end()), c.from.end()) << "duplicate pair";
    return c;
}

}  // namespace

TEST(Recipe, ConvergenceGivesEachPostExactlyThatManyDistinctPres) {
    // 7.5 rounds half to even: 8; E (gids 0-39) onto I (gids 40-54).
    const m1::model_spec m = sampled_model(
        R"({"preConds": {"pop": "E"}, "postConds": {"pop": "I"}, "synMech": "AMPA",
            "convergence": 7.5, "weight": 0.5, "delay": 2})");
    const m1::recipe r(m);
    const pair_counts c = count_pairs(r);
    for (m1::gid_type g = 40; g < 55; ++g) EXPECT_EQ(c.in[g], 8u) << "post " << g;
    EXPECT_EQ(c.from, c.on);
    EXPECT_EQ(c.from.size(), 15u * 8u);
}

TEST(Recipe, ConvergenceWithinOnePopulationSkipsTheCellItself) {
    // Pre and post are the same 40 cells: at most 39 partners each, never the cell itself.
    const m1::model_spec m = sampled_model(
        R"({"preConds": {"pop": "E"}, "postConds": {"pop": "E"}, "synMech": "AMPA",
            "convergence": 12, "weight": 0.5, "delay": 2})");
    const m1::recipe r(m);
    const pair_counts c = count_pairs(r);
    for (m1::gid_type g = 0; g < 40; ++g) EXPECT_EQ(c.in[g], 12u) << "post " << g;
    EXPECT_EQ(c.from, c.on);
}

TEST(Recipe, DivergenceGivesEachPreExactlyThatManyDistinctPosts) {
    const m1::model_spec m = sampled_model(
        R"({"preConds": {"pop": "I"}, "postConds": {"pop": "E"}, "synMech": "AMPA",
            "divergence": 5, "weight": 0.5, "delay": 2})");
    const m1::recipe r(m);
    const pair_counts c = count_pairs(r);
    for (m1::gid_type g = 40; g < 55; ++g) EXPECT_EQ(c.out[g], 5u) << "pre " << g;
    EXPECT_EQ(c.from, c.on);
}

TEST(Recipe, ConvergenceLargerThanThePresIsClipped) {
    const m1::model_spec m = sampled_model(
        R"({"preConds": {"pop": "I"}, "postConds": {"pop": "E"}, "synMech": "AMPA",
            "convergence": 100, "weight": 0.5, "delay": 2})");
    const m1::recipe r(m);
    const pair_counts c = count_pairs(r);
    // NetPyNE clips to nPre - 1 = 14.
    for (m1::gid_type g = 0; g < 40; ++g) EXPECT_EQ(c.in[g], 14u) << "post " << g;
}

TEST(Recipe, ConvergenceNamingPresynapticVariablesIsRefused) {
    EXPECT_THROW(sampled_model(R"({"preConds": {"pop": "E"}, "postConds": {"pop": "I"},
                                   "synMech": "AMPA", "convergence": "dist_3D/10"})"),
                 m1::input_error);
}

TEST(Recipe, RandomStringsDrawnWhereNetPyNEDrawsThem) {
    // A probability calling uniform() is drawn up front from the conn_probConn stream; fullConn's
    // random weights from the conn_fullConn stream (docs/netpyne-semantics.md §3). Here: the
    // recipe answers the same from both directions and every weight lies in the drawn range.
    const m1::model_spec prob = sampled_model(
        R"x({"preConds": {"pop": "E"}, "postConds": {"pop": "I"}, "synMech": "AMPA",
            "probability": "0.5*uniform(0,1)", "weight": 0.5, "delay": 2})x");
    const m1::recipe rp(prob);
    const pair_counts cp = count_pairs(rp);
    EXPECT_EQ(cp.from, cp.on);
    EXPECT_GT(cp.from.size(), 40u);   // about 600 pairs * mean probability 0.25
    EXPECT_LT(cp.from.size(), 300u);

    const m1::model_spec full = sampled_model(
        R"x({"preConds": {"pop": "I"}, "postConds": {"pop": "I"}, "synMech": "AMPA",
            "weight": "uniform(0.2,0.4)", "delay": 2})x");
    const m1::recipe rf(full);
    const pair_counts cf = count_pairs(rf);
    EXPECT_EQ(cf.from, cf.on);
    EXPECT_EQ(cf.from.size(), 15u * 14u);  // all pairs but the cells themselves
    for (const auto& t : cf.from) {
        EXPECT_GE(std::get<3>(t), 0.2);
        EXPECT_LE(std::get<3>(t), 0.4);
    }
}
