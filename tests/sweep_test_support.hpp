#pragma once
// What the sweep tests share (test_sweep_file, test_sweep_expansion, test_run_id, test_sweep): a
// tiny model, and a fixture that writes sweep files into a temporary directory and checks that a
// malformed one is refused naming file, key and line.
#include "core/base/error.hpp"
#include "core/format/json_source.hpp"
#include "batch/sweep.hpp"
#include "batch/sweep_expansion.hpp"
#include "batch/sweep_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace m1::test {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// A tiny model by density (so that scale applies), with an annotation (free text: any string is
// accepted there) and a stimulation target whose name holds a '/' (JSON Pointer ~1).
inline const std::string tiny_sweep_model = R"({
 "netParams": {
  "sizeX": 100,
  "sizeY": 100,
  "sizeZ": 100,
  "popParams": {"E": {"cellModel": "Izhi", "cellType": "RS", "density": 4000}},
  "cellParams": {"RS": {"conds": {"cellType": "RS"}, "secs": {"soma": {"geom": {"diam": 10, "L": 10, "cm": 31.831}, "pointps": {"Izhi": {"mod": "Izhi2007b", "celltype": 1}}}}}},
  "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.05, "tau2": 5.3, "e": 0}},
  "stimSourceParams": {"bg": {"type": "NetStim", "rate": 50, "noise": 1.0}},
  "stimTargetParams": {"bg_E": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA", "weight": 0.5, "delay": 2},
                       "bg/E~": {"source": "bg", "conds": {"pop": "E"}, "synMech": "AMPA", "weight": 0.25, "delay": 2}},
  "connParams": {"EE": {"preConds": {"pop": "E"}, "postConds": {"pop": "E"}, "synMech": "AMPA", "probability": 0.5, "weight": 0.01, "delay": 2}},
  "annots": {"note": "none"}
 },
 "simConfig": {"duration": 100, "dt": 0.025}
}
)";

inline const std::string conn_weight = "/netParams/connParams/EE/weight";  // 0.01 in the tiny model
inline const std::string stim_weight = "/netParams/stimTargetParams/bg_E/weight";  // 0.5

inline std::filesystem::path m1_2017() { return fs::path(M1_SOURCE_DIR) / "configs" / "models" / "m1_2017.json"; }

inline std::set<std::string> ids_of(const std::vector<m1::batch::sweep_run>& runs) {
    std::set<std::string> ids;
    for (const auto& r : runs) ids.insert(r.id);
    return ids;
}

// The same JSON with every object's keys in reverse order.
inline nlohmann::ordered_json reversed(const nlohmann::ordered_json& v) {
    if (v.is_array()) {
        json out = json::array();
        for (const auto& e : v) out.push_back(reversed(e));
        return out;
    }
    if (!v.is_object()) return v;
    std::vector<std::pair<std::string, json>> members;
    for (auto it = v.begin(); it != v.end(); ++it) members.emplace_back(it.key(), reversed(*it));
    json out = json::object();
    for (auto it = members.rbegin(); it != members.rend(); ++it) out[it->first] = it->second;
    return out;
}

// A temporary directory holding the tiny model, sweep files written into it, and the check that
// loading a malformed one fails naming file, key and line.
class sweep_test : public ::testing::Test {
protected:
    void SetUp() override { write("tiny.json", tiny_sweep_model); }
    fs::path write(const std::string& name, const std::string& text) {
        return temp_.write(name, text);
    }
    // A sweep file over the tiny model: the run keys, then `body`.
    static std::string on_tiny(const std::string& body) {
        return "model = \"tiny.json\"\noutput = \"out\"\n" + body;
    }
    m1::batch::sweep_spec load(const std::string& body, const std::string& name = "sweep.toml") {
        return m1::batch::load_sweep(write(name, on_tiny(body)));
    }
    // Loading (and expanding) `text` fails with an input_error at `key` on the line holding
    // `needle` (0: no line), whose reason contains `words`.
    void expect_error(const std::string& text, const std::string& key, const std::string& needle,
                      const std::string& words, std::size_t max_runs = 100000) {
        expect_refusal(text, key, needle, words, [&](const fs::path& p) {
            m1::batch::expand_sweep(m1::batch::load_sweep(p), max_runs);
        });
    }
    // The same for any reader `load` of the file.
    template <class Load>
    void expect_refusal(const std::string& text, const std::string& key, const std::string& needle,
                        const std::string& words, Load load) {
        const fs::path p = write("bad.toml", text);
        try {
            load(p);
            ADD_FAILURE() << "accepted:\n" << text;
        } catch (const m1::input_error& e) {
            EXPECT_EQ(e.where().file, p.string()) << e.what();
            EXPECT_EQ(e.where().key_path, key) << e.what();
            const std::size_t line = needle.empty() ? 0 : line_of(text, needle);
            EXPECT_EQ(e.where().line, line) << e.what();
            EXPECT_NE(e.reason().find(words), std::string::npos) << e.what();
            std::string head = p.string();
            if (line) head.append(":").append(std::to_string(line));
            head.append(":");
            EXPECT_EQ(std::string(e.what()).rfind(head, 0), 0u) << e.what();
        }
    }
    m1::test::temporary_directory temp_{"sweep"};
    const fs::path dir_ = temp_.path();
};

}  // namespace m1::test
