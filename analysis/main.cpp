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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"m1analyze: rates, spectra, Granger causality and transfer entropy of m1batch runs"};
    app.set_version_flag("--version", std::string(M1_VERSION));
    std::string path, window_text, mode = "standard", only, pairs_text;
    m1::analysis::results_options options;
    auto& params = options.params;
    app.add_option("path", path, "results directory, run directory, run file, spike file or directory of spike files")->required();
    app.add_option("--window", window_text, "analysed window START:STOP in ms (default: the whole run; in the netpyne modes NetPyNE's default, [0, duration])");
    app.add_option("--mode", mode,
                   "standard; netpyne for NetPyNE's numbers (rate PSD as plotRatePSD's 'fft'); "
                   "netpyne_morlet (rate PSD as plotRatePSD's default Morlet)")
        ->check(CLI::IsMember({"standard", "netpyne", "netpyne_morlet"}));
    app.add_option("--only", only, "comma-separated subset of rates,rate_psd,granger,nte,lfp");
    app.add_option("--pairs", pairs_text, "Granger pairs PRE:POST,... (default: every ordered pair)");
    app.add_option("--order", params.granger.order, "Granger: autoregressive model order (default 10)");
    app.add_option("--shuffles", params.nte.shuffles,
                   "nTE: surrogates, circular shifts of the source (standard; p >= 1/(shuffles + 1)), "
                   "or NetPyNE's shuffles (netpyne modes) (default 30)");
    app.add_option("--seed", params.nte.seed, "nTE: seed of the surrogates or shuffles (default 1)");
    app.add_flag("--force", options.force, "redo analyses that are up to date");
    bool no_plots = false;
    app.add_flag("--no-plots", no_plots, "write no plots");
    app.add_option("--heatmap", options.heatmap_measure,
                   "sweeps: the summary column shown over two swept parameters (default rate_hz)");
    app.add_option("--x", options.heatmap_x, "sweeps: the heatmap's x parameter (default: the first swept)");
    app.add_option("--y", options.heatmap_y, "sweeps: the heatmap's y parameter (default: the second swept)");
    app.add_option("-t,--threads", options.threads, "threads (default: all cores)");
    std::string cells_text, duration_text;
    CLI::Option* cells_option = app.add_option(
        "--cells", cells_text, "spike files without /cells: population sizes POP=N,... (default: largest node id + 1)");
    CLI::Option* duration_option = app.add_option(
        "--duration", duration_text, "spike files without /run duration_ms: the run's duration in ms");
    CLI11_PARSE(app, argc, argv);
    options.plots = !no_plots;

    try {
        if (!window_text.empty()) {
            const auto colon = window_text.find(':');
            double a = 0, b = 0;
            try {
                if (colon == std::string::npos) throw std::invalid_argument("");
                a = std::stod(window_text.substr(0, colon));
                b = std::stod(window_text.substr(colon + 1));
            } catch (const std::exception&) {
                throw m1::input_error({"--window", "", 0, 0}, "'" + window_text + "' is not START:STOP in ms");
            }
            if (!(b > a)) throw m1::input_error({"--window", "", 0, 0}, "STOP must be after START");
            params.analysed = m1::analysis::window{a, b};
        }
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
        if (!only.empty()) {
            params.compute_rates = params.compute_rate_psd = params.compute_granger =
                params.compute_nte = params.compute_lfp = false;
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
        if (cells_option->count()) params.spike_files.cells = parse_cells(cells_text);
        if (duration_option->count()) params.spike_files.duration_ms = parse_duration(duration_text);
        std::istringstream in(pairs_text);
        for (std::string item; std::getline(in, item, ',');) {
            const auto colon = item.find(':');
            if (colon == std::string::npos)
                throw m1::input_error({"--pairs", "", 0, 0}, "'" + item + "' is not PRE:POST");
            params.granger_pairs.emplace_back(item.substr(0, colon), item.substr(colon + 1));
        }
        return m1::analysis::analyze_results(path, options, std::cerr);
    } catch (const m1::input_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
