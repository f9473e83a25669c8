#pragma once
// Run ids: what makes two runs the same simulation, as 16 hex digits.
#include "batch/parameter_space.hpp"
#include "core/run/run.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace m1::batch {

// The run id: the first 16 hex digits of SHA-256 over the run-file format version, the canonical
// effective model (m1::canonical_json), the scale and the recorded traces. Never threads, output or executor.
std::string run_id(const nlohmann::ordered_json& effective, const run_config& config);
// The first 16 hex digits of SHA-256 over `text`.
std::string id_digest(const std::string& text);

// The text run_id hashes, for the runs of one sweep, without building each run's whole model. A
// run's effective model differs from the model file only at the swept pointers and where
// apply_run_keys writes (netParams' numbers, simConfig). So each run fills a small overlay (those
// members, the swept values, then apply_run_keys on it) and its canonical text is spliced from the
// overlay and the canonical text of every other member, computed once. The caller checks it
// against the full construction (run_id) and falls back to that.
class run_id_splicer {
public:
    // `model` and `params` must outlive the splicer.
    run_id_splicer(const nlohmann::ordered_json& model, const std::vector<parameter>& params);

    // False when the parameters cannot be spliced (no netParams object, overlapping pointers).
    bool usable() const noexcept { return usable_; }

    // The id text of a run with parameter `values` and run keys `config`.
    void id_text(const std::vector<param_value>& values, const run_config& config, std::string& out) const;

private:
    struct spine {  // the containers on the way to the swept values
        std::map<std::string, spine> children;
        bool leaf = false;
    };
    struct node_plan;
    struct member {
        std::string key, key_text;  // key_text: the key as canonical JSON writes it
        const nlohmann::ordered_json* base = nullptr;
        std::unique_ptr<node_plan> partial;  // a container on the way to a swept value
        bool leaf = false;                   // a swept value: always from the overlay
        std::string cached;                  // canonical text of the rest
    };
    struct node_plan {
        bool is_array = false;
        std::vector<member> members;  // objects: sorted by key; lists: by index
    };

    bool start_overlay();
    bool mirror(spine& top, const parameter& p);
    static node_plan build(const spine& s, const nlohmann::ordered_json& base);
    static void write(const node_plan& plan, const nlohmann::ordered_json& overlay, std::string& out);
    static void write_array(const node_plan& plan, const nlohmann::ordered_json& overlay, std::string& out);
    static void write_object(const node_plan& plan, const nlohmann::ordered_json& overlay, std::string& out);

    const nlohmann::ordered_json& model_;
    const std::vector<parameter>& params_;
    bool usable_ = false;
    nlohmann::ordered_json overlay_;
    node_plan plan_;
};

}  // namespace m1::batch
