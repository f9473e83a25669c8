// Every key used by the two M1 model files is a key NetPyNE 1.1.0 knows, and the table carries
// NetPyNE 1.1.0's real defaults (specs/netParams.py, specs/simConfig.py; docs/netpyne-semantics.md).
#include "core/format/netpyne_keys.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using nlohmann::ordered_json;

const ordered_json& section(const std::string& name) {
    const auto& keys = m1::netpyne_known_keys();
    EXPECT_TRUE(keys.contains(name)) << "no section " << name;
    return keys.at(name);
}

// Records "<path>.<key>" for every key of `object` that `section_name` neither lists nor accepts.
void check_keys(const ordered_json& object, const std::string& section_name, const std::string& path,
                std::vector<std::string>& unknown) {
    ASSERT_TRUE(object.is_object()) << path << " is not an object";
    const auto& known = section(section_name);
    for (const auto& [key, value] : object.items()) {
        (void)value;
        if (!known.contains(key) && !m1::netpyne_section_allows_any_key(section_name))
            unknown.push_back(path + "." + key);
    }
}

// The project's own copies of the model files (configs/models/README.md names their source).
std::filesystem::path model_file(const std::string& file) {
    return std::filesystem::path(M1_SOURCE_DIR) / "configs" / "models" / file;
}

std::vector<std::string> unknown_keys_of(const std::string& file) {
    std::ifstream in(model_file(file));
    EXPECT_TRUE(in.good()) << "cannot open " << model_file(file);
    const ordered_json model = ordered_json::parse(in);
    std::vector<std::string> unknown;
    const auto& net = model.at("netParams");
    const auto& cfg = model.at("simConfig");

    // Top-level keys must be listed by name, even though both sections accept any key.
    for (const auto& [key, value] : net.items()) {
        (void)value;
        if (!section("netParams").contains(key)) unknown.push_back("netParams." + key);
    }
    for (const auto& [key, value] : cfg.items()) {
        (void)value;
        if (!section("simConfig").contains(key)) unknown.push_back("simConfig." + key);
    }
    if (cfg.contains("seeds"))
        for (const auto& [key, value] : cfg.at("seeds").items()) {
            (void)value;
            if (!section("simConfig").at("seeds").contains(key))
                unknown.push_back("simConfig.seeds." + key);
        }
    if (cfg.contains("hParams"))
        for (const auto& [key, value] : cfg.at("hParams").items()) {
            (void)value;
            if (!section("simConfig").at("hParams").contains(key))
                unknown.push_back("simConfig.hParams." + key);
        }

    for (const auto& [label, pop] : net.at("popParams").items()) {
        // The M1 pops are compartmental: only listed keys are meaningful.
        for (const auto& [key, value] : pop.items()) {
            (void)value;
            if (!section("popParams").contains(key))
                unknown.push_back("netParams.popParams." + label + "." + key);
        }
    }
    for (const auto& [label, rule] : net.at("cellParams").items()) {
        const std::string path = "netParams.cellParams." + label;
        check_keys(rule, "cellParams", path, unknown);
        if (rule.contains("conds")) check_keys(rule.at("conds"), "conds", path + ".conds", unknown);
        for (const auto& [secName, sec] : rule.at("secs").items()) {
            const std::string secPath = path + ".secs." + secName;
            check_keys(sec, "cellParams.secs", secPath, unknown);
            if (sec.contains("geom")) {
                // geom accepts any Section attribute, but the M1 files only use listed ones.
                for (const auto& [key, value] : sec.at("geom").items()) {
                    (void)value;
                    if (!section("cellParams.secs.geom").contains(key))
                        unknown.push_back(secPath + ".geom." + key);
                }
            }
            if (sec.contains("pointps"))
                for (const auto& [ppName, pp] : sec.at("pointps").items()) {
                    check_keys(pp, "cellParams.secs.pointps", secPath + ".pointps." + ppName, unknown);
                    EXPECT_TRUE(pp.contains("mod")) << secPath << ".pointps." << ppName;
                }
        }
    }
    for (const auto& [label, mech] : net.at("synMechParams").items()) {
        check_keys(mech, "synMechParams", "netParams.synMechParams." + label, unknown);
        EXPECT_TRUE(mech.contains("mod")) << label;
    }
    for (const auto& [label, src] : net.at("stimSourceParams").items()) {
        // NetStim sources: only NetStim's listed keys mean anything, so require them by name.
        for (const auto& [key, value] : src.items()) {
            (void)value;
            if (!section("stimSourceParams").contains(key))
                unknown.push_back("netParams.stimSourceParams." + label + "." + key);
        }
    }
    for (const auto& [label, target] : net.at("stimTargetParams").items()) {
        const std::string path = "netParams.stimTargetParams." + label;
        check_keys(target, "stimTargetParams", path, unknown);
        check_keys(target.at("conds"), "conds", path + ".conds", unknown);
    }
    for (const auto& [label, rule] : net.at("connParams").items()) {
        const std::string path = "netParams.connParams." + label;
        check_keys(rule, "connParams", path, unknown);
        check_keys(rule.at("preConds"), "conds", path + ".preConds", unknown);
        check_keys(rule.at("postConds"), "conds", path + ".postConds", unknown);
        // conds accept any tag, but the M1 files only use the usual ones.
        for (const char* side : {"preConds", "postConds"})
            for (const auto& [key, value] : rule.at(side).items()) {
                (void)value;
                if (!section("conds").contains(key)) unknown.push_back(path + "." + side + "." + key);
            }
    }
    return unknown;
}

TEST(netpyne_keys, every_key_of_m1_2017_is_known) {
    const auto unknown = unknown_keys_of("m1_2017.json");
    EXPECT_TRUE(unknown.empty()) << "first unknown key: " << (unknown.empty() ? "" : unknown.front());
}

TEST(netpyne_keys, every_key_of_m1_2016_is_known) {
    const auto unknown = unknown_keys_of("m1_2016.json");
    EXPECT_TRUE(unknown.empty()) << "first unknown key: " << (unknown.empty() ? "" : unknown.front());
}

TEST(netpyne_keys, has_every_section) {
    for (const char* name : {"netParams", "simConfig", "popParams", "cellParams", "cellParams.secs",
                             "cellParams.secs.geom", "cellParams.secs.pointps", "synMechParams",
                             "stimSourceParams", "stimTargetParams", "connParams", "conds"}) {
        ASSERT_TRUE(m1::netpyne_known_keys().contains(name)) << name;
        EXPECT_TRUE(m1::netpyne_known_keys().at(name).is_object()) << name;
    }
}

TEST(netpyne_keys, simconfig_defaults_are_netpyne_1_1_0) {
    const auto& cfg = section("simConfig");
    EXPECT_DOUBLE_EQ(cfg.at("dt").get<double>(), 0.025);
    EXPECT_DOUBLE_EQ(cfg.at("duration").get<double>(), 1000.0);
    EXPECT_DOUBLE_EQ(cfg.at("recordStep").get<double>(), 0.1);
    EXPECT_DOUBLE_EQ(cfg.at("hParams").at("v_init").get<double>(), -65.0);
    EXPECT_DOUBLE_EQ(cfg.at("hParams").at("celsius").get<double>(), 6.3);
    EXPECT_EQ(cfg.at("seeds"), ordered_json::parse(R"({"conn":1,"stim":1,"loc":1,"cell":1})"));
    EXPECT_TRUE(cfg.at("rand123GlobalIndex").is_null());
    EXPECT_EQ(cfg.at("oneSynPerNetcon"), true);
    EXPECT_EQ(cfg.at("allowSelfConns"), false);
    EXPECT_EQ(cfg.at("cvode_active"), false);
    EXPECT_EQ(cfg.at("random123"), false);
    EXPECT_EQ(cfg.at("recordStim"), false);
    EXPECT_EQ(cfg.at("recordCellsSpikes"), -1);
}

TEST(netpyne_keys, netparams_defaults_are_netpyne_1_1_0) {
    const auto& net = section("netParams");
    EXPECT_EQ(net.at("defaultDelay"), 1);
    EXPECT_EQ(net.at("defaultWeight"), 1);
    EXPECT_EQ(net.at("defaultThreshold"), 10);
    EXPECT_DOUBLE_EQ(net.at("propVelocity").get<double>(), 500.0);
    EXPECT_EQ(net.at("scale"), 1);
    EXPECT_EQ(net.at("sizeX"), 100);
    EXPECT_EQ(net.at("sizeY"), 100);
    EXPECT_EQ(net.at("sizeZ"), 100);
    EXPECT_EQ(net.at("shape"), "cuboid");
    EXPECT_EQ(net.at("scaleConnWeight"), 1);
    EXPECT_EQ(net.at("scaleConnWeightNetStims"), 1);
    EXPECT_EQ(net.at("scaleConnWeightModels"), false);
    EXPECT_EQ(net.at("popTagsCopiedToCells"), ordered_json::parse(R"(["cellModel","cellType"])"));
    // Model-defined keys the M1 files use: known, without a NetPyNE default.
    for (const char* key : {"annots", "probLambda", "ItoIweight"}) EXPECT_TRUE(net.at(key).is_null()) << key;
}

TEST(netpyne_keys, stim_and_conn_defaults_are_netpyne_1_1_0) {
    const auto& src = section("stimSourceParams");
    EXPECT_EQ(src.at("start"), 0);  // NetPyNE's NetStim stim default (NEURON's own is 50)
    EXPECT_DOUBLE_EQ(src.at("number").get<double>(), 1e9);
    EXPECT_DOUBLE_EQ(src.at("noise").get<double>(), 0.0);
    const auto& target = section("stimTargetParams");
    EXPECT_DOUBLE_EQ(target.at("weight").get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(target.at("delay").get<double>(), 1.0);  // not netParams.defaultDelay
    EXPECT_EQ(target.at("synsPerConn"), 1);
    const auto& conn = section("connParams");
    EXPECT_EQ(conn.at("synsPerConn"), 1);
    EXPECT_TRUE(conn.at("weight").is_null());  // falls back to netParams.defaultWeight
    EXPECT_TRUE(conn.at("delay").is_null());   // falls back to netParams.defaultDelay
    EXPECT_TRUE(section("popParams").at("start").is_null());  // NetStim pop: NEURON's 50 ms
    EXPECT_DOUBLE_EQ(section("cellParams.secs.pointps").at("loc").get<double>(), 0.5);
}

TEST(netpyne_keys, open_sections) {
    EXPECT_TRUE(m1::netpyne_section_allows_any_key("netParams"));
    EXPECT_TRUE(m1::netpyne_section_allows_any_key("cellParams.secs.pointps"));
    EXPECT_TRUE(m1::netpyne_section_allows_any_key("synMechParams"));
    EXPECT_FALSE(m1::netpyne_section_allows_any_key("connParams"));
    EXPECT_FALSE(m1::netpyne_section_allows_any_key("stimTargetParams"));
    EXPECT_FALSE(m1::netpyne_section_allows_any_key("cellParams.secs"));
}

TEST(netpyne_keys, parsed_once) {
    EXPECT_EQ(&m1::netpyne_known_keys(), &m1::netpyne_known_keys());
}

}  // namespace
