#include "analysis/run_analysis.hpp"

#include "core/base/error.hpp"
#include "core/io/hdf5_strings.hpp"
#include "core/io/hdf5_support.hpp"
#include "core/base/digest.hpp"
#include "core/io/posix_file.hpp"
#include "core/io/run_file.hpp"

#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace m1::analysis {

namespace {

const char* mode_name(rate_psd_mode m) {
    switch (m) {
        case rate_psd_mode::netpyne: return "netpyne";
        case rate_psd_mode::netpyne_morlet: return "netpyne_morlet";
        default: return "standard";
    }
}
const char* mode_name(granger_mode m) { return m == granger_mode::netpyne ? "netpyne" : "standard"; }

// Bumped when a measure's definition changes: older analyses then count as out of date.
constexpr int analysis_version = 1;

}  // namespace

std::string analysis_params::to_json() const {
    nlohmann::ordered_json j;
    j["version"] = analysis_version;
    if (analysed) j["window_ms"] = {analysed->start_ms, analysed->stop_ms};
    else if (when_unset == default_window::netpyne) j["window_ms"] = "netpyne";
    if (compute_rates) j["rates"] = {{"cv_min_spikes", cv_min_spikes}};
    if (compute_rate_psd) j["rate_psd"] = {{"mode", mode_name(psd.mode)}};
    if (compute_granger) {
        j["granger"] = {{"mode", mode_name(this->granger.mode)},
                        {"bin_ms", this->granger.bin_ms},
                        {"order", this->granger.order},
                        {"max_freq_hz", this->granger.max_freq_hz}};
        if (!granger_pairs.empty()) {
            auto& pairs = j["granger"]["pairs"] = nlohmann::ordered_json::array();
            for (const auto& [a, b] : granger_pairs) pairs.push_back({a, b});
        }
    }
    if (compute_lfp)
        j["lfp"] = {{"ampa_delay_ms", lfp.ampa_delay_ms}, {"gaba_weight", lfp.gaba_weight},
                    {"welch_segment", lfp.welch_segment}};
    if (compute_nte && this->nte.mode == nte_mode::netpyne)
        j["nte"] = {{"mode", "netpyne"},
                    {"bin_ms", this->nte.bin_ms},
                    {"shuffles", this->nte.shuffles},
                    {"seed", this->nte.seed}};
    else if (compute_nte)  // the delayed TE (transfer_entropy.hpp)
        j["nte"] = {{"mode", "standard"},
                    {"estimator", "delayed_te"},
                    {"state_bin_ms", this->nte.state_bin_ms},
                    {"max_delay_ms", this->nte.max_delay_ms},
                    {"levels", this->nte.levels},
                    {"source_windows_ms", this->nte.source_windows_ms},
                    {"shuffles", this->nte.shuffles},
                    {"seed", this->nte.seed}};
    // Only when given, so that analyses of m1batch's run files made without them stay up to date.
    if (!spike_files.cells.empty()) j["cells"] = spike_files.cells;
    if (spike_files.duration_ms) j["duration_ms"] = *spike_files.duration_ms;
    return j.dump();
}

namespace {

const char* const no_lfp = "LFP skipped: no /lfp (the current sums m1batch records)";

// A run's duration: /run duration_ms, else the one given for spike files without it.
double duration_of(const std::filesystem::path& run_file, const spike_file_defaults& defaults) {
    std::optional<double> duration = defaults.duration_ms;
    if (holds_group(run_file, "run")) {
        const attribute_value* stored = read_run_attributes(run_file).find("duration_ms");
        if (const auto* ms = stored ? std::get_if<double>(stored) : nullptr) duration = *ms;
        if (const auto* ms = stored ? std::get_if<std::int64_t>(stored) : nullptr) duration = double(*ms);
    }
    const std::string file = "cannot analyse " + run_file.string() + ": ";
    if (!duration) throw run_error(file + "no /run duration_ms; give the duration with --duration MS");
    if (!(*duration > 0) || !std::isfinite(*duration))
        throw run_error(file + "its duration, " + std::to_string(*duration) + " ms, is not positive");
    return *duration;
}

// Each population's cells and mean depth from /cells (0 for a population it does not list).
void count_cells(const cell_table& cells, std::vector<population_train>& populations) {
    std::map<std::string, std::pair<std::uint32_t, double>> per_population;  // cells, sum of ynorm
    for (std::size_t i = 0; i < cells.population.size(); ++i) {
        auto& [count, ynorm] = per_population[cells.population[i]];
        ++count;
        if (!cells.ynorm.empty()) ynorm += cells.ynorm[i];
    }
    for (auto& t : populations)
        if (const auto it = per_population.find(t.name); it != per_population.end()) {
            t.cells = it->second.first;
            t.mean_ynorm = it->second.second / double(it->second.first);
        }
}

// The size --cells gives a population whose largest node id is `largest` (none: no spikes).
std::uint32_t given_cells(const std::string& which, std::optional<std::uint64_t> largest,
                          std::uint64_t n) {
    const std::string cells = std::to_string(n) + " cells";
    if (n > max_population_cells)
        throw input_error({"--cells", "", 0, 0}, which + ": " + cells + ", more than m1analyze takes (" +
                                                     std::to_string(max_population_cells) + ")");
    if (largest && n <= *largest)
        throw input_error({"--cells", "", 0, 0}, which + " has node ids up to " +
                                                     std::to_string(*largest) + ": more than " + cells);
    return static_cast<std::uint32_t>(n);
}

// nTE of every ordered pair, in parallel: NetPyNE's in the netpyne modes, else the delayed TE
// with its significance and the lag of its peak.
void measure_nte(analysis_result& r, const std::vector<population_train>& pops, const nte_params& params) {
    const std::size_t n = pops.size();
    const std::vector<std::vector<double>> none(n, std::vector<double>(n, std::numeric_limits<double>::quiet_NaN()));
    const bool netpyne = params.mode == nte_mode::netpyne;
    r.nte = none;
    if (!netpyne) r.nte_z = r.nte_p = r.nte_delay_ms = none;
    tbb::parallel_for(std::size_t(0), n * n, [&](std::size_t k) {
        const std::size_t a = k / n, b = k % n;
        if (a == b) return;
        if (netpyne) {
            r.nte[a][b] = normalized_transfer_entropy(pops[a].times, pops[b].times, r.analysed, params);
            return;
        }
        const nte_result v = delayed_transfer_entropy(pops[a].times, pops[b].times, r.analysed, params);
        r.nte[a][b] = v.nte;
        r.nte_z[a][b] = v.z;
        r.nte_p[a][b] = v.p;
        r.nte_delay_ms[a][b] = v.delay_ms;
    });
}

}  // namespace

std::uint32_t cells_of(const std::filesystem::path& run_file, const population_spikes& p,
                       const spike_file_defaults& defaults) {
    const std::string which = run_file.string() + ": population " + p.population;
    std::optional<std::uint64_t> largest;
    if (!p.node_ids.empty()) largest = *std::max_element(p.node_ids.begin(), p.node_ids.end());
    if (const auto given = defaults.cells.find(p.population); given != defaults.cells.end())
        return given_cells(which, largest, given->second);
    if (largest && *largest >= max_population_cells)
        throw run_error("cannot analyse " + which + " has node ids up to " + std::to_string(*largest) +
                        ", more cells than m1analyze takes (" + std::to_string(max_population_cells) + ")");
    return largest ? static_cast<std::uint32_t>(*largest + 1) : 0;
}

run_trains load_trains(const std::filesystem::path& run_file, const spike_file_defaults& defaults) {
    run_trains out;
    const bool cell_table = holds_group(run_file, "cells");
    for (auto& p : read_run_spikes(run_file)) {
        population_train t;
        t.name = p.population;
        if (!cell_table) t.cells = cells_of(run_file, p, defaults);
        t.times = std::move(p.timestamps);
        t.node_ids = std::move(p.node_ids);
        out.populations.push_back(std::move(t));
    }
    if (out.populations.empty())
        throw run_error("cannot analyse " + run_file.string() + ": /spikes holds no population");
    if (cell_table) count_cells(read_run_cells(run_file), out.populations);
    out.duration_ms = duration_of(run_file, defaults);
    out.lfp = read_run_lfp(run_file);
    if (!out.lfp) out.lfp_skipped = no_lfp;
    return out;
}

run_trains trains_of(const run_record& record) {
    run_trains out;
    for (const auto& p : record.spikes) {
        population_train t;
        t.name = p.population;
        t.times = p.timestamps;
        t.node_ids = p.node_ids;
        out.populations.push_back(std::move(t));
    }
    count_cells(record.cells, out.populations);
    for (const auto& [name, value] : record.run_attributes)
        if (name == "duration_ms") out.duration_ms = std::get<double>(value);
    out.lfp = record.lfp;
    if (!out.lfp) out.lfp_skipped = no_lfp;
    return out;
}

window analysed_window(const run_trains& trains, const analysis_params& params) {
    if (params.analysed) return *params.analysed;
    if (params.when_unset == default_window::netpyne) return {0.0, trains.duration_ms};
    return {0.0, std::nextafter(trains.duration_ms, 1e300)};
}

namespace {

// The rate spectrum of each population, then of all spikes together ("all", last).
void measure_rate_psd(analysis_result& r, const std::vector<population_train>& pops, const rate_psd_params& params) {
    const std::size_t n = pops.size();
    r.rate_psd.resize(n + 1);
    std::vector<double> all;
    std::uint32_t all_cells = 0;
    for (const auto& p : pops) {
        all.insert(all.end(), p.times.begin(), p.times.end());
        all_cells += p.cells;
    }
    std::sort(all.begin(), all.end());
    tbb::parallel_for(std::size_t(0), n + 1, [&](std::size_t p) {
        r.rate_psd[p] = p < n ? rate_psd(pops[p].times, pops[p].cells, r.analysed, params)
                              : rate_psd(all, all_cells, r.analysed, params);
    });
}

// The ordered population pairs Granger is asked for: the given ones, else every ordered pair.
std::vector<std::pair<std::size_t, std::size_t>> granger_pairs_of(const std::vector<population_train>& pops,
                                                                  const analysis_params& params) {
    const std::size_t n = pops.size();
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    if (params.granger_pairs.empty()) {
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = 0; b < n; ++b)
                if (a != b) pairs.emplace_back(a, b);
        return pairs;
    }
    std::map<std::string, std::size_t> index;
    for (std::size_t p = 0; p < n; ++p) index[pops[p].name] = p;
    for (const auto& [a, b] : params.granger_pairs) {
        if (!index.count(a) || !index.count(b))
            throw input_error({"", "granger pairs", 0, 0}, "no population named " + (index.count(a) ? b : a));
        pairs.emplace_back(index[a], index[b]);
    }
    return pairs;
}

void measure_granger(analysis_result& r, const std::vector<population_train>& pops, const analysis_params& params) {
    const auto pairs = granger_pairs_of(pops, params);
    r.granger.resize(pairs.size());
    tbb::parallel_for(std::size_t(0), pairs.size(), [&](std::size_t k) {
        const auto [a, b] = pairs[k];
        r.granger[k] = {pops[a].name, pops[b].name, granger(pops[a].times, pops[b].times, r.analysed, params.granger)};
    });
}

}  // namespace

analysis_result analyze(const run_trains& trains, const analysis_params& params) {
    analysis_result r;
    r.analysed = analysed_window(trains, params);
    const auto& pops = trains.populations;
    for (const auto& p : pops) r.populations.push_back(p.name);
    if (params.compute_rates) {
        r.rates.resize(pops.size());
        tbb::parallel_for(std::size_t(0), pops.size(), [&](std::size_t p) {
            r.rates[p] = rates_of(pops[p], r.analysed, params.cv_min_spikes);
        });
    }
    if (params.compute_rate_psd) measure_rate_psd(r, pops, params.psd);
    if (params.compute_granger) measure_granger(r, pops, params);
    if (params.compute_lfp && trains.lfp) r.lfp = mazzoni_lfp(*trains.lfp, params.lfp, r.analysed);
    if (params.compute_nte) measure_nte(r, pops, params.nte);
    return r;
}

namespace {

// The analysis file's layout version: 1 was /analysis inside run.h5 (still read), 2 is
// analysis.h5 beside it, tied to its run file by the run file's SHA-256.
constexpr std::int64_t analysis_format_version = 2;

std::string file_digest(const std::filesystem::path& file) { return sha256_hex(read_bytes(file)); }

void write_rates(const hdf5_writer& w, hid_t group, const analysis_result& r) {
    const std::string where = "/analysis/rates";
    h5_handle g = w.group(group, "/analysis", "rates", true, true);
    std::vector<double> rate, cv, silent;
    for (const auto& x : r.rates) {
        rate.push_back(x.rate_hz);
        cv.push_back(x.cv_isi);
        silent.push_back(x.silent_fraction);
    }
    w.strings(g, where, "population", r.populations);
    w.numbers(g, where, "rate_hz", rate);
    w.numbers(g, where, "cv_isi", cv);
    w.numbers(g, where, "silent_fraction", silent);
    // Each population's per-cell rates (by node id): the distribution behind the means.
    h5_handle cells = w.group(g, where, "cell_rate_hz", true);
    for (std::size_t p = 0; p < r.rates.size() && p < r.populations.size(); ++p)
        w.numbers(cells, where + "/cell_rate_hz", r.populations[p], r.rates[p].cell_rates_hz);
}

void write_rate_psd(const hdf5_writer& w, hid_t group, const analysis_result& r,
                    const analysis_params& params) {
    const std::string where = "/analysis/rate_psd";
    h5_handle g = w.group(group, "/analysis", "rate_psd", true, true);
    w.attribute(g, where, "mode", std::string(mode_name(params.psd.mode)));
    for (std::size_t p = 0; p < r.rate_psd.size(); ++p) {
        const std::string name = p < r.populations.size() ? r.populations[p] : "all";
        h5_handle s = w.group(g, where, name, true);
        w.numbers(s, where + "/" + name, "freq_hz", r.rate_psd[p].freq_hz);
        w.numbers(s, where + "/" + name, "power", r.rate_psd[p].power);
    }
}

void write_granger(const hdf5_writer& w, hid_t group, const analysis_result& r,
                   const analysis_params& params) {
    const std::string where = "/analysis/granger";
    h5_handle g = w.group(group, "/analysis", "granger", true, true);
    w.attribute(g, where, "mode", std::string(mode_name(params.granger.mode)));
    w.attribute(g, where, "order", std::int64_t{params.granger.order});
    w.attribute(g, where, "bin_ms", params.granger.bin_ms);
    for (const auto& pg : r.granger) {
        const std::string name = pg.pre + "__" + pg.post;
        h5_handle s = w.group(g, where, name, true, true);
        w.numbers(s, where + "/" + name, "freq_hz", pg.result.freq_hz);
        w.numbers(s, where + "/" + name, "f_xy", pg.result.f_xy);
        w.numbers(s, where + "/" + name, "f_yx", pg.result.f_yx);
        if (!pg.result.failure.empty()) w.attribute(s, where + "/" + name, "failure", pg.result.failure);
    }
}

void write_lfp(const hdf5_writer& w, hid_t group, const analysis_result& r,
               const analysis_params& params) {
    const std::string where = "/analysis/lfp";
    h5_handle g = w.group(group, "/analysis", "lfp", true, true);
    w.attribute(g, where, "ampa_delay_ms", params.lfp.ampa_delay_ms);
    w.attribute(g, where, "gaba_weight", params.lfp.gaba_weight);
    w.attribute(g, where, "method", std::string("Mazzoni et al. 2015 RWS proxy, z-scored"));
    for (const auto& trace : r.lfp) {
        const std::string at = where + "/" + trace.electrode;
        h5_handle e = w.group(g, where, trace.electrode, true);
        w.numbers(e, at, "t_ms", trace.t_ms);
        w.numbers(e, at, "lfp", trace.lfp);
        w.numbers(e, at, "freq_hz", trace.psd.freq_hz);
        w.numbers(e, at, "power", trace.psd.power);
    }
}

// A [source][target] matrix as /analysis/<name>.
h5_handle write_pair_matrix(const hdf5_writer& w, hid_t group, const std::string& name,
                            const std::vector<std::vector<double>>& m) {
    std::vector<double> flat;
    for (const auto& row : m) flat.insert(flat.end(), row.begin(), row.end());
    return w.numbers(group, "/analysis", name, flat.data(), {hsize_t(m.size()), hsize_t(m.size())});
}

void write_nte(const hdf5_writer& w, hid_t group, const analysis_result& r,
               const analysis_params& params) {
    const std::string where = "/analysis/nte";
    const nte_params& p = params.nte;
    h5_handle set = write_pair_matrix(w, group, "nte", r.nte);
    w.attribute(set, where, "populations", r.populations);
    w.attribute(set, where, "shuffles", std::int64_t{p.shuffles});
    w.attribute(set, where, "seed", std::int64_t{p.seed});
    w.attribute(set, where, "mode", std::string(p.mode == nte_mode::netpyne ? "netpyne" : "standard"));
    if (p.mode == nte_mode::netpyne) {
        w.attribute(set, where, "bin_ms", p.bin_ms);
        return;
    }
    w.attribute(set, where, "estimator", std::string("delayed_te"));
    w.attribute(set, where, "state_bin_ms", p.state_bin_ms);
    w.attribute(set, where, "max_delay_ms", p.max_delay_ms);
    w.attribute(set, where, "levels", std::int64_t{p.levels});
    w.attribute(set, where, "source_windows_ms", file_type<double>(), native_type<double>(),
                p.source_windows_ms.data(), {hsize_t(p.source_windows_ms.size())});
    write_pair_matrix(w, group, "nte_z", r.nte_z);
    write_pair_matrix(w, group, "nte_p", r.nte_p);
    write_pair_matrix(w, group, "nte_delay_ms", r.nte_delay_ms);
}

// /analysis's own attributes: what was asked, of which run file, over which window.
void write_analysis_attributes(const hdf5_writer& w, hid_t group, const analysis_result& r,
                               const analysis_params& params,
                               const std::filesystem::path& run_file, const std::string& digest) {
    const std::string where = "/analysis";
    w.attribute(group, where, "params", params.to_json());
    w.attribute(group, where, "version", std::int64_t{analysis_version});
    w.attribute(group, where, "format_version", analysis_format_version);
    w.attribute(group, where, "run_file", run_file.filename().string());
    w.attribute(group, where, "run_file_sha256", digest);
    w.attribute(group, where, "window_start_ms", r.analysed.start_ms);
    w.attribute(group, where, "window_stop_ms", r.analysed.stop_ms);
}

}  // namespace

std::filesystem::path analysis_file(const std::filesystem::path& run_file) {
    if (run_file.filename() == "run.h5") return run_file.parent_path() / "analysis.h5";
    return run_file.parent_path() / (run_file.stem().string() + ".analysis.h5");
}

void write_analysis(const std::filesystem::path& run_file, const analysis_result& r,
                    const analysis_params& params) {
    write_analysis(run_file, r, params, file_digest(run_file));
}

void write_analysis(const std::filesystem::path& run_file, const analysis_result& r,
                    const analysis_params& params, const std::string& digest) {
    write_hdf5_atomically(analysis_file(run_file), [&](const hdf5_checker& c, hid_t file) {
        const hdf5_writer w(c);
        h5_handle group = w.group(file, "/", "analysis", true, true);
        write_analysis_attributes(w, group, r, params, run_file, digest);
        if (!r.rates.empty()) write_rates(w, group, r);
        if (!r.rate_psd.empty()) write_rate_psd(w, group, r, params);
        if (!r.granger.empty()) write_granger(w, group, r, params);
        if (!r.lfp.empty()) write_lfp(w, group, r, params);
        if (!r.nte.empty()) write_nte(w, group, r, params);
    });
}

namespace {

// The text of an attribute; empty when it is absent or not one string.
std::string text_attribute(hid_t object, const char* name) {
    try {
        const hdf5_checker c("cannot read", "an analysis");
        return read_string_attribute(c, object, name, "/analysis").value_or("");
    } catch (const run_error&) {
        return {};
    }
}

// The /analysis group that belongs to a run file: analysis.h5 beside it when that was made from
// these very bytes, else (results of earlier versions) /analysis inside the run file. Both
// handles invalid when there is none.
struct analysis_group {
    h5_handle file, group;
};

analysis_group open_group(const std::filesystem::path& file) {
    analysis_group a;
    a.file = h5_handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (a.file.get() < 0 || H5Lexists(a.file, "analysis", H5P_DEFAULT) <= 0) return {};
    a.group = h5_handle(H5Gopen2(a.file, "analysis", H5P_DEFAULT), H5Gclose);
    if (a.group.get() < 0) return {};
    return a;
}

analysis_group open_analysis(const std::filesystem::path& run_file) {
    const std::filesystem::path own = analysis_file(run_file);
    std::error_code ec;
    if (!std::filesystem::exists(own, ec)) return open_group(run_file);
    analysis_group a = open_group(own);
    if (a.group.get() >= 0 && text_attribute(a.group, "run_file_sha256") == file_digest(run_file))
        return a;
    return {};  // made from other bytes: the run was run again since
}

}  // namespace

std::string recorded_params(const std::filesystem::path& run_file) {
    hdf5_quiet quiet;
    const analysis_group a = open_analysis(run_file);
    return a.group.get() >= 0 ? text_attribute(a.group, "params") : std::string();
}

namespace {

std::vector<double> read_doubles(const hdf5_checker& c, hid_t parent, const std::string& name,
                                 std::vector<hsize_t>* dims_out = nullptr) {
    h5_handle set = c.handle(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "cannot open " + name);
    h5_handle space = c.handle(H5Dget_space(set), H5Sclose, "cannot read " + name);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    hsize_t n = 1;
    for (hsize_t d : dims) n *= d;
    std::vector<double> v(n);
    if (n > 0) c.ok(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "cannot read " + name);
    if (dims_out) *dims_out = dims;
    return v;
}

std::vector<std::string> read_texts(const hdf5_checker& c, hid_t parent, const std::string& name) {
    const h5_handle set = c.handle(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose, "cannot open " + name);
    return read_strings(c, set, name);
}


double number_attribute(hid_t object, const char* name) {
    double v = std::numeric_limits<double>::quiet_NaN();
    if (H5Aexists(object, name) <= 0) return v;
    h5_handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
    H5Aread(attr, H5T_NATIVE_DOUBLE, &v);
    return v;
}

// The names of a group's members in creation order.
std::vector<std::string> members(const hdf5_checker& c, hid_t group) {
    H5G_info_t info;
    c.ok(H5Gget_info(group, &info), "cannot list a group");
    std::vector<std::string> out;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t size = H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        std::string name(static_cast<std::size_t>(std::max<ssize_t>(size, 0)) + 1, '\0');
        H5Lget_name_by_idx(group, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
        name.resize(static_cast<std::size_t>(std::max<ssize_t>(size, 0)));
        out.push_back(name);
    }
    return out;
}

// The [source][target] matrix /analysis/<name>; empty when absent (nte_z and the others: the
// netpyne modes and analyses made before they existed).
std::vector<std::vector<double>> read_pair_matrix(const hdf5_checker& c, hid_t analysis, const char* name) {
    std::vector<std::vector<double>> m;
    if (H5Lexists(analysis, name, H5P_DEFAULT) <= 0) return m;
    std::vector<hsize_t> dims;
    const auto flat = read_doubles(c, analysis, name, &dims);
    if (dims.size() == 2)
        for (hsize_t i = 0; i < dims[0]; ++i)
            m.emplace_back(flat.begin() + std::ptrdiff_t(i * dims[1]), flat.begin() + std::ptrdiff_t((i + 1) * dims[1]));
    return m;
}

}  // namespace

namespace {

h5_handle open_subgroup(const hdf5_checker& c, hid_t parent, const std::string& name, const std::string& where) {
    return c.handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "cannot open " + where);
}

void read_rates(const hdf5_checker& c, hid_t a, analysis_result& r) {
    h5_handle g = open_subgroup(c, a, "rates", "/analysis/rates");
    r.populations = read_texts(c, g, "population");
    const auto rate = read_doubles(c, g, "rate_hz"), cv = read_doubles(c, g, "cv_isi"),
               silent = read_doubles(c, g, "silent_fraction");
    for (std::size_t p = 0; p < rate.size() && p < cv.size() && p < silent.size(); ++p) {
        population_rates x;
        x.rate_hz = rate[p];
        x.cv_isi = cv[p];
        x.silent_fraction = silent[p];
        r.rates.push_back(std::move(x));
    }
    if (H5Lexists(g, "cell_rate_hz", H5P_DEFAULT) <= 0) return;
    h5_handle cells = open_subgroup(c, g, "cell_rate_hz", "/analysis/rates/cell_rate_hz");
    for (std::size_t p = 0; p < r.rates.size() && p < r.populations.size(); ++p)
        if (H5Lexists(cells, r.populations[p].c_str(), H5P_DEFAULT) > 0)
            r.rates[p].cell_rates_hz = read_doubles(c, cells, r.populations[p]);
}

void read_rate_psd(const hdf5_checker& c, hid_t a, analysis_result& r) {
    h5_handle g = open_subgroup(c, a, "rate_psd", "/analysis/rate_psd");
    for (const std::string& name : members(c, g)) {
        h5_handle s = open_subgroup(c, g, name, name);
        r.rate_psd.push_back({read_doubles(c, s, "freq_hz"), read_doubles(c, s, "power")});
    }
}

void read_granger(const hdf5_checker& c, hid_t a, analysis_result& r) {
    h5_handle g = open_subgroup(c, a, "granger", "/analysis/granger");
    for (const std::string& name : members(c, g)) {
        h5_handle s = open_subgroup(c, g, name, name);
        pair_granger pg;
        const auto split = name.find("__");
        pg.pre = name.substr(0, split);
        pg.post = split == std::string::npos ? "" : name.substr(split + 2);
        pg.result.freq_hz = read_doubles(c, s, "freq_hz");
        pg.result.f_xy = read_doubles(c, s, "f_xy");
        pg.result.f_yx = read_doubles(c, s, "f_yx");
        pg.result.failure = text_attribute(s, "failure");
        r.granger.push_back(std::move(pg));
    }
}

void read_lfp(const hdf5_checker& c, hid_t a, analysis_result& r) {
    h5_handle g = open_subgroup(c, a, "lfp", "/analysis/lfp");
    for (const std::string& name : members(c, g)) {
        h5_handle e = open_subgroup(c, g, name, name);
        lfp_trace t;
        t.electrode = name;
        t.t_ms = read_doubles(c, e, "t_ms");
        t.lfp = read_doubles(c, e, "lfp");
        t.psd = {read_doubles(c, e, "freq_hz"), read_doubles(c, e, "power")};
        r.lfp.push_back(std::move(t));
    }
}

}  // namespace

analysis_result read_analysis(const std::filesystem::path& run_file) {
    hdf5_quiet quiet;
    const hdf5_checker c("cannot read", analysis_file(run_file).string());
    const analysis_group found = open_analysis(run_file);
    if (found.group.get() < 0) c.fail("no analysis of " + run_file.string());
    const hid_t a = found.group;
    analysis_result r;
    r.analysed = {number_attribute(a, "window_start_ms"), number_attribute(a, "window_stop_ms")};
    const auto has = [&](const char* name) { return H5Lexists(a, name, H5P_DEFAULT) > 0; };
    if (has("rates")) read_rates(c, a, r);
    if (has("rate_psd")) read_rate_psd(c, a, r);
    if (has("granger")) read_granger(c, a, r);
    if (has("lfp")) read_lfp(c, a, r);
    r.nte = read_pair_matrix(c, a, "nte");
    r.nte_z = read_pair_matrix(c, a, "nte_z");
    r.nte_p = read_pair_matrix(c, a, "nte_p");
    r.nte_delay_ms = read_pair_matrix(c, a, "nte_delay_ms");
    return r;
}

}  // namespace m1::analysis
