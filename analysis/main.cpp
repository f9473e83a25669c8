// m1analyze: (re)computes the per-run analyses over a results directory (a sweep's, one run's, or
// one run file) and writes the summary and the plots. Argument parsing and wiring only.
#include "core/base/error.hpp"
#include "analysis/results_analysis.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

// --cells POPULATION=N,...: the sizes of populations of spike files without /cells.
std::map<std::string, std::uint64_t> parse_cells(const std::string& text) {
    std::map<std::string, std::uint64_t> cells;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        const auto eq = item.find('=');
        std::uint64_t n = 0;
        const char* last = item.data() + item.size();
        const auto read = std::from_chars(item.data() + (eq == std::string::npos ? 0 : eq + 1), last, n);
        if (eq == std::string::npos || eq == 0 || read.ec != std::errc() || read.ptr != last || n == 0)
            throw m1::input_error({"--cells", "", 0, 0}, "'" + item + "' is not POPULATION=N (N cells, a positive whole number)");
        if (!cells.emplace(item.substr(0, eq), n).second)
            throw m1::input_error({"--cells", "", 0, 0}, "population " + item.substr(0, eq) + " given twice");
    }
    return cells;
}

// --duration MS: the duration of runs whose file has no /run duration_ms.
double parse_duration(const std::string& text) {
    double ms = 0;
    const auto read = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (read.ec != std::errc() || read.ptr != text.data() + text.size() || !(ms > 0) || !std::isfinite(ms))
        throw m1::input_error({"--duration", "", 0, 0}, "'" + text + "' is not a positive duration in ms");
    return ms;
}

// --window START:STOP in ms.
m1::analysis::window parse_window(const std::string& text) {
    const auto colon = text.find(':');
    double a = 0, b = 0;
    try {
        if (colon == std::string::npos) throw std::invalid_argument("");
        a = std::stod(text.substr(0, colon));
        b = std::stod(text.substr(colon + 1));
    } catch (const std::exception&) {
        throw m1::input_error({"--window", "", 0, 0}, "'" + text + "' is not START:STOP in ms");
    }
    if (!(b > a)) throw m1::input_error({"--window", "", 0, 0}, "STOP must be after START");
    return m1::analysis::window{a, b};
}

// --mode: the estimators' modes, the CV's fewest spikes and the default window.
void apply_mode(const std::string& mode, m1::analysis::analysis_params& params) {
    const bool netpyne = mode != "standard";
    params.psd.mode = mode == "netpyne"          ? m1::analysis::rate_psd_mode::netpyne
                      : mode == "netpyne_morlet" ? m1::analysis::rate_psd_mode::netpyne_morlet
                                                 : m1::analysis::rate_psd_mode::standard;
    params.granger.mode = netpyne ? m1::analysis::granger_mode::netpyne : m1::analysis::granger_mode::standard;
    // Every pair's shuffles start at mcell_ran4 index 0, as one NetPyNE nTE call in a fresh
    // NEURON does.
    params.nte.mode = netpyne ? m1::analysis::nte_mode::netpyne : m1::analysis::nte_mode::standard;
    params.cv_min_spikes = netpyne ? 11 : 3;
    if (netpyne) params.when_unset = m1::analysis::default_window::netpyne;
}

// --only: the analyses asked for, a comma-separated subset.
void parse_only(const std::string& only, m1::analysis::analysis_params& params) {
    params.compute_rates = params.compute_rate_psd = params.compute_granger = params.compute_nte =
        params.compute_lfp = false;
    std::istringstream in(only);
    for (std::string item; std::getline(in, item, ',');) {
        if (item == "rates") params.compute_rates = true;
        else if (item == "rate_psd") params.compute_rate_psd = true;
        else if (item == "granger") params.compute_granger = true;
        else if (item == "nte") params.compute_nte = true;
        else if (item == "lfp") params.compute_lfp = true;
        else throw m1::input_error({"--only", "", 0, 0}, "unknown analysis '" + item +
                                                          "' (rates, rate_psd, granger, nte, lfp)");
    }
}

// --pairs PRE:POST,...
std::vector<std::pair<std::string, std::string>> parse_pairs(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        const auto colon = item.find(':');
        if (colon == std::string::npos) throw m1::input_error({"--pairs", "", 0, 0}, "'" + item + "' is not PRE:POST");
        pairs.emplace_back(item.substr(0, colon), item.substr(colon + 1));
    }
    return pairs;
}

// `validate` throws what the measure would throw for every pair of every run: an input_error
// naming `option` instead, before any run is read.
template <typename Validate>
void check_option(const char* option, Validate validate) {
    try {
        validate();
    } catch (const std::invalid_argument& e) {
        throw m1::input_error({option, "", 0, 0}, e.what());
    }
}

void check_measure_params(const m1::analysis::analysis_params& params) {
    check_option("--order", [&] { m1::analysis::validate(params.granger); });
    check_option("--shuffles", [&] {
        m1::analysis::validate_normalized_te(params.nte);
        m1::analysis::validate_delayed_te(params.nte);
    });
}

// The options as given, before they are read into results_options.
struct option_texts {
    std::string path, window, mode = "standard", only, pairs, cells, duration;
    bool no_plots = false;
    CLI::Option *cells_option = nullptr, *duration_option = nullptr;
};

void add_options(CLI::App& app, option_texts& t, m1::analysis::results_options& options) {
    auto& params = options.params;
    app.add_option("path", t.path, "results directory, run directory, run file, spike file or directory of spike files")->required();
    app.add_option("--window", t.window, "analysed window START:STOP in ms (default: the whole run; in the netpyne modes NetPyNE's default, [0, duration])");
    app.add_option("--mode", t.mode,
                   "standard; netpyne for NetPyNE's numbers (rate PSD as plotRatePSD's 'fft'); "
                   "netpyne_morlet (rate PSD as plotRatePSD's default Morlet)")
        ->check(CLI::IsMember({"standard", "netpyne", "netpyne_morlet"}));
    app.add_option("--only", t.only, "comma-separated subset of rates,rate_psd,granger,nte,lfp");
    app.add_option("--pairs", t.pairs, "Granger pairs PRE:POST,... (default: every ordered pair)");
    app.add_option("--order", params.granger.order, "Granger: autoregressive model order (default 10)");
    app.add_option("--shuffles", params.nte.shuffles,
                   "nTE: surrogates, circular shifts of the source (standard; p >= 1/(shuffles + 1)), "
                   "or NetPyNE's shuffles (netpyne modes) (default 30)");
    app.add_option("--seed", params.nte.seed, "nTE: seed of the surrogates or shuffles (default 1)");
    app.add_flag("--force", options.force, "redo analyses that are up to date");
    app.add_flag("--no-plots", t.no_plots, "write no plots");
    app.add_option("--heatmap", options.heatmap_measure,
                   "sweeps: the summary column shown over two swept parameters (default rate_hz)");
    app.add_option("--x", options.heatmap_x, "sweeps: the heatmap's x parameter (default: the first swept)");
    app.add_option("--y", options.heatmap_y, "sweeps: the heatmap's y parameter (default: the second swept)");
    app.add_option("-t,--threads", options.threads, "threads (default: all cores)")
        ->check(CLI::NonNegativeNumber);  // a size_t would take -2 as 2^64-2
    t.cells_option = app.add_option(
        "--cells", t.cells, "spike files without /cells: population sizes POP=N,... (default: largest node id + 1)");
    t.duration_option = app.add_option(
        "--duration", t.duration, "spike files without /run duration_ms: the run's duration in ms");
}

// The options read into `options`; throws input_error naming a bad one.
void read_options(const option_texts& t, m1::analysis::results_options& options) {
    auto& params = options.params;
    options.plots = !t.no_plots;
    if (!t.window.empty()) params.analysed = parse_window(t.window);
    apply_mode(t.mode, params);
    if (!t.only.empty()) parse_only(t.only, params);
    if (t.cells_option->count()) params.spike_files.cells = parse_cells(t.cells);
    if (t.duration_option->count()) params.spike_files.duration_ms = parse_duration(t.duration);
    params.granger_pairs = parse_pairs(t.pairs);
    check_measure_params(params);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"m1analyze: rates, spectra, Granger causality and transfer entropy of m1batch runs"};
    app.set_version_flag("--version", std::string(M1_VERSION));
    option_texts texts;
    m1::analysis::results_options options;
    add_options(app, texts, options);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help, --version; else bad input, as every bad option
    }
    try {
        read_options(texts, options);
        return m1::analysis::analyze_results(texts.path, options, std::cerr);
    } catch (const m1::input_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
