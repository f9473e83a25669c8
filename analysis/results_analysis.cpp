#include "analysis/results_analysis.hpp"

#include "core/base/error.hpp"
#include "core/base/execution.hpp"
#include "core/io/hdf5_strings.hpp"
#include "core/io/hdf5_support.hpp"
#include "core/base/text_format.hpp"
#include "analysis/plots.hpp"
#include "analysis/summary_measures.hpp"
#include "core/io/posix_file.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <variant>

namespace m1::analysis {

namespace fs = std::filesystem;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string text_of(const attribute_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    return python_repr(std::get<double>(v));  // as index.csv writes the swept values
}

std::string number_text(double v) { return std::isnan(v) ? std::string() : python_repr(v); }


// One row of the summary: the run, its swept values, its status, and named numbers.
struct summary_row {
    run_entry run;
    std::string status = "analysed", message;
    std::vector<std::pair<std::string, double>> measures;  // in column order
    analysis_result result;
    run_trains trains;
};

void fill_measures(summary_row& row) { row.measures = summary_measures(row.result, row.trains); }

// The summary's columns as the rows fill them: the runs' ids, status and messages, each swept
// parameter's values (text) and each measure's (NaN where a run has none).
struct summary_table {
    std::vector<std::string> ids, status, messages;
    std::vector<std::vector<std::string>> params;
    std::vector<std::vector<double>> measures;
};

// The run's value of a swept parameter as text; empty when the run has none.
std::string swept_value(const run_entry& run, const std::string& param) {
    std::string v;
    for (const auto& [name, value] : run.sweep)
        if (name == param) v = text_of(value);
    return v;
}

double measure_value(const summary_row& row, const std::string& measure) {
    double v = nan;
    for (const auto& [name, value] : row.measures)
        if (name == measure) v = value;
    return v;
}

summary_table table_of(const std::vector<std::string>& params, const std::vector<std::string>& measures,
                       const std::vector<summary_row>& rows) {
    summary_table t;
    t.params.resize(params.size());
    t.measures.resize(measures.size());
    for (const auto& row : rows) {
        t.ids.push_back(row.run.run_id);
        t.status.push_back(row.status);
        t.messages.push_back(row.message);
        for (std::size_t p = 0; p < params.size(); ++p) t.params[p].push_back(swept_value(row.run, params[p]));
        for (std::size_t k = 0; k < measures.size(); ++k) t.measures[k].push_back(measure_value(row, measures[k]));
    }
    return t;
}

// CSV, RFC 4180.
std::string summary_csv(const std::vector<std::string>& params, const std::vector<std::string>& measures,
                        const summary_table& t) {
    std::string csv = "run_id";
    for (const auto& p : params) csv += "," + csv_field(p);
    csv += ",status,message";
    for (const auto& m : measures) csv += "," + csv_field(m);
    csv += "\r\n";
    for (std::size_t r = 0; r < t.ids.size(); ++r) {
        csv += csv_field(t.ids[r]);
        for (const auto& column : t.params)
            csv.append(",").append(csv_field(column[r]));  // append: GCC 12's -Wrestrict misfires on ","+
        csv.append(",").append(t.status[r]).append(",").append(csv_field(t.messages[r]));
        for (const auto& column : t.measures) csv.append(",").append(number_text(column[r]));
        csv += "\r\n";
    }
    return csv;
}

// HDF5: one dataset per column (measures float64, NaN where missing), parameters as text under
// /params with their path as attribute.
void write_summary_h5(const fs::path& file, const std::vector<std::string>& params,
                      const std::vector<std::string>& measures, const summary_table& t) {
    write_hdf5_atomically(file, [&](const hdf5_checker& c, hid_t h5) {
        hdf5_writer w(c);
        w.strings(h5, "/", "run_id", t.ids);
        w.strings(h5, "/", "status", t.status);
        w.strings(h5, "/", "message", t.messages);
        h5_handle pg = w.group(h5, "/", "params", true);
        for (std::size_t p = 0; p < params.size(); ++p) {
            // Appended rather than "p" + ...: GCC 12 warns falsely (-Wrestrict) on that form.
            const std::string name = std::string("p").append(std::to_string(p));
            const h5_handle set = w.strings(pg, "/params", name, t.params[p]);
            w.attribute(set, "/params/" + name, "path", params[p]);
        }
        h5_handle mg = w.group(h5, "/", "measures", true);
        for (std::size_t k = 0; k < measures.size(); ++k)
            w.numbers(mg, "/measures", measures[k], t.measures[k]);  // names hold ':' and '__': valid
    });
}

void write_summary(const fs::path& dir, const std::vector<std::string>& params,
                   const std::vector<std::string>& measures, const std::vector<summary_row>& rows) {
    const summary_table table = table_of(params, measures, rows);
    write_file_atomically(dir / "summary.csv", summary_csv(params, measures, table));
    write_summary_h5(dir / "summary.h5", params, measures, table);
}

void plot_run(const fs::path& dir, const summary_row& row) {
    const std::string title = "run " + row.run.run_id;
    plot_raster(dir / "raster", "Spikes, " + title, row.trains.populations, row.result.analysed);
    if (!row.result.rate_psd.empty()) {
        std::vector<series> curves;
        for (std::size_t p = 0; p < row.result.rate_psd.size(); ++p) {
            series s;
            s.label = p < row.result.populations.size() ? row.result.populations[p] : "all";
            s.x = row.result.rate_psd[p].freq_hz;
            s.y = row.result.rate_psd[p].power;
            if (s.label == "all") s.colour = rgb{0, 0, 0};
            curves.push_back(std::move(s));
        }
        plot_spectra(dir / "rate_psd", "Rate spectra, " + title, curves);
    }
    if (!row.result.lfp.empty()) {
        std::vector<series> curves;
        for (const auto& trace : row.result.lfp)
            curves.push_back({trace.electrode, trace.psd.freq_hz, trace.psd.power, std::nullopt});
        plot_spectra(dir / "lfp_psd", "LFP spectra (Mazzoni proxy, z-scored), " + title, curves,
                     "frequency (Hz)", "power (1/Hz, z-scored LFP)");
    }
    // The four strongest Granger pairs (by peak F over 5-100 Hz).
    std::vector<std::pair<double, std::size_t>> strongest;
    for (std::size_t k = 0; k < row.result.granger.size(); ++k) {
        const double peak = granger_peak(row.result.granger[k].result);
        if (!std::isnan(peak)) strongest.emplace_back(peak, k);
    }
    std::sort(strongest.rbegin(), strongest.rend());
    for (std::size_t i = 0; i < strongest.size() && i < 4; ++i) {
        const pair_granger& g = row.result.granger[strongest[i].second];
        plot_granger(dir / ("granger_" + g.pre + "__" + g.post),
                     "Granger causality " + g.pre + " \u2192 " + g.post + ", " + title,
                     g.result.freq_hz, g.result.f_xy, g.result.f_yx, g.pre, g.post);
    }
}

bool numeric_less(const std::string& a, const std::string& b) {
    double x = 0, y = 0;
    const auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
    const auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
    if (ra.ec == std::errc() && rb.ec == std::errc()) return x < y;
    return a < b;
}

// A measure over two swept parameters: their values (ordered as numbers) and, per pair of
// values, the sum and count of the runs' finite values.
struct sweep_grid {
    std::set<std::string, decltype(&numeric_less)> xs{&numeric_less}, ys{&numeric_less};
    std::map<std::pair<std::string, std::string>, std::pair<double, int>> cells;
};

sweep_grid grid_of(const std::vector<summary_row>& rows, const std::string& x, const std::string& y,
                   const std::string& measure) {
    sweep_grid g;
    for (const auto& row : rows) {
        const std::string xv = swept_value(row.run, x), yv = swept_value(row.run, y);
        if (xv.empty() || yv.empty()) continue;
        g.xs.insert(xv);
        g.ys.insert(yv);
        for (const auto& [name, value] : row.measures)
            if (name == measure && !std::isnan(value)) {
                auto& c = g.cells[{xv, yv}];
                c.first += value;
                ++c.second;
            }
    }
    return g;
}

// Each cell's mean over its runs (the replicates), [y][x]; NaN where none has a value.
std::vector<std::vector<double>> cell_means(const sweep_grid& g, const std::vector<std::string>& x_ticks,
                                            const std::vector<std::string>& y_ticks) {
    std::vector<std::vector<double>> values(y_ticks.size(), std::vector<double>(x_ticks.size(), nan));
    for (std::size_t i = 0; i < y_ticks.size(); ++i)
        for (std::size_t j = 0; j < x_ticks.size(); ++j)
            if (auto it = g.cells.find({x_ticks[j], y_ticks[i]}); it != g.cells.end() && it->second.second > 0)
                values[i][j] = it->second.first / it->second.second;
    return values;
}

// Columns named for people (the column name stays in the file name and the colour bar).
std::string described(const std::string& measure) {
    static const std::map<std::string, std::string> descriptions = {
        {"rate_hz", "mean firing rate (Hz)"},
        {"peak_hz", "peak frequency of the network's rate spectrum (Hz)"},
        {"theta", "theta power (4-8 Hz) of the network rate"},
        {"alpha", "alpha power (8-13 Hz) of the network rate"},
        {"beta", "beta power (13-30 Hz) of the network rate"},
        {"gamma", "gamma power (30-80 Hz) of the network rate"}};
    const auto it = descriptions.find(measure);
    return it != descriptions.end() ? it->second : measure;
}

// Cells average the runs that share their two values: the replicates, and every value of any
// other swept parameter (said in the title, so a 2-D picture of a 3-D sweep is read right).
std::string averaged_over(const std::vector<std::string>& params, const std::string& x, const std::string& y) {
    std::string averaged = "mean over replicates";
    if (params.size() > 2) {
        averaged = "mean over replicates and";
        for (const auto& p : params)
            if (p != x && p != y) averaged += " " + p;
    }
    return averaged;
}

void plot_sweep_heatmap(const fs::path& dir, const results_options& options,
                        const std::vector<std::string>& params, const std::vector<summary_row>& rows,
                        std::ostream& log) {
    if (params.size() < 2) return;
    const std::string x = options.heatmap_x.empty() ? params[0] : options.heatmap_x;
    const std::string y = options.heatmap_y.empty() ? params[1] : options.heatmap_y;
    const sweep_grid g = grid_of(rows, x, y, options.heatmap_measure);
    if (g.xs.empty() || g.ys.empty()) {
        log << "heatmap: no runs have both " << x << " and " << y << "\n";
        return;
    }
    const std::vector<std::string> x_ticks(g.xs.begin(), g.xs.end()), y_ticks(g.ys.begin(), g.ys.end());
    std::string stem = "heatmap_" + options.heatmap_measure;
    std::replace(stem.begin(), stem.end(), ':', '_');
    plot_heatmap(dir / stem, described(options.heatmap_measure) + ", " + averaged_over(params, x, y), x,
                 x_ticks, y, y_ticks, cell_means(g, x_ticks, y_ticks), options.heatmap_measure);
}

// What m1analyze and m1batch write beside the spikes: never a spike file to analyse.
bool is_own_output(const fs::path& file) {
    const std::string name = file.filename().string();
    return name == "analysis.h5" || name == "summary.h5" || name == "index.h5" ||
           name.ends_with(".analysis.h5");
}

// The *.h5 files of `dir` that hold /spikes (SONATA spike files of any tool). A file that cannot
// be read as HDF5 is kept, to be reported as a failed run rather than passed over in silence.
std::vector<fs::path> spike_files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".h5" || !e.is_regular_file(ec) || is_own_output(e.path())) continue;
        try {
            if (holds_group(e.path(), "spikes")) files.push_back(e.path());
        } catch (const std::exception&) {
            files.push_back(e.path());
        }
    }
    return files;
}

// A search's results directory (README "Searches"): m1batch wrote OUTPUT/optimize.toml where a
// sweep's has sweep.toml.
bool is_search_directory(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "optimize.toml", ec) && fs::is_directory(dir / "runs", ec);
}

// The run ids of OUTPUT/index.h5 in its order; none when it cannot be read.
std::vector<std::string> indexed_ids(const fs::path& dir) {
    const fs::path index = dir / "index.h5";
    try {
        const hdf5_quiet quiet;
        const hdf5_checker c("cannot read", index.string());
        const h5_handle file = open_for_reading(c, index);
        const h5_handle set = c.handle(H5Dopen2(file, "run_id", H5P_DEFAULT), H5Dclose, "no /run_id");
        return read_strings(c, set, "/run_id");
    } catch (const run_error&) {
        return {};
    }
}

// A search's runs as its index lists them, in the order evaluated (optimization.csv's): their
// run_index counts within a generation only. Runs it does not list keep their order, after.
void order_as_indexed(const fs::path& dir, std::vector<run_entry>& runs) {
    const std::vector<std::string> ids = indexed_ids(dir);
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < ids.size(); ++i) position.emplace(ids[i], i);
    const auto rank = [&](const run_entry& r) {
        const auto it = position.find(r.run_id);
        return it == position.end() ? ids.size() : it->second;
    };
    std::stable_sort(runs.begin(), runs.end(),
                     [&](const run_entry& a, const run_entry& b) { return rank(a) < rank(b); });
}

// The run files under `path`: the file itself; runs/*/run.h5 of a sweep; a run directory's
// run.h5; else the spike files of a directory.
std::vector<fs::path> run_files_under(const fs::path& path) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) return {path};
    std::vector<fs::path> files;
    if (fs::is_directory(path / "runs", ec)) {
        for (const auto& e : fs::directory_iterator(path / "runs"))
            if (fs::exists(e.path() / "run.h5")) files.push_back(e.path() / "run.h5");
        return files;
    }
    if (fs::exists(path / "run.h5", ec)) return {path / "run.h5"};
    if (fs::is_directory(path, ec)) files = spike_files_in(path);
    if (files.empty())
        throw input_error({path.string(), "", 0, 0},
                          "no run file here (a run file, a run's output directory with run.h5, "
                          "a sweep's or search's results directory with runs/, or a directory of "
                          "spike files: *.h5 with /spikes)");
    return files;
}

}  // namespace

std::vector<run_entry> find_runs(const fs::path& path) {
    const std::vector<fs::path> files = run_files_under(path);
    std::vector<run_entry> out;
    for (const fs::path& f : files) {
        run_entry e;
        e.run_file = f;
        e.run_id = f.filename() == "run.h5" ? f.parent_path().filename().string() : f.stem().string();
        try {
            const run_file_attributes a = read_run_attributes(f);
            if (const auto* i = a.find("run_index"); i && std::holds_alternative<std::int64_t>(*i))
                e.run_index = std::get<std::int64_t>(*i);
            e.sweep = a.sweep;
        } catch (const std::exception&) {
            // Reported when the run is analysed.
        }
        out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(), [](const run_entry& a, const run_entry& b) {
        return a.run_index != b.run_index ? a.run_index < b.run_index : a.run_id < b.run_id;
    });
    if (is_search_directory(path)) order_as_indexed(path, out);
    return out;
}

namespace {

// The spikes of a file without /cells; none for other files, and for files that cannot be read
// (those are reported when analysed).
std::vector<population_spikes> spikes_without_cells(const fs::path& file) {
    try {
        if (!holds_group(file, "cells")) return read_run_spikes(file);
    } catch (const run_error&) {
    }
    return {};
}

// --cells names populations of spike files without /cells, each no smaller than its largest node
// id + 1: a bad option (input_error, exit 2) before anything is analysed.
void check_given_cells(const std::vector<run_entry>& runs, const spike_file_defaults& given) {
    if (given.cells.empty()) return;
    std::set<std::string> named;
    for (const run_entry& run : runs)
        for (const population_spikes& p : spikes_without_cells(run.run_file)) {
            named.insert(p.population);
            if (given.cells.count(p.population)) cells_of(run.run_file, p, given);
        }
    for (const auto& [population, n] : given.cells)
        if (!named.count(population))
            throw input_error({"--cells", "", 0, 0}, "no spike file without /cells has a population " + population);
}

// The populations of the runs' spike files (those that cannot be read are reported when analysed).
std::set<std::string> populations_of(const std::vector<run_entry>& runs) {
    std::set<std::string> names;
    for (const run_entry& run : runs) {
        try {
            for (const population_spikes& p : read_run_spikes(run.run_file)) names.insert(p.population);
        } catch (const std::exception&) {
        }
    }
    return names;
}

// --pairs names populations that some run has: a bad option (input_error, exit 2) before anything
// is analysed, rather than every run failing.
void check_given_pairs(const std::vector<run_entry>& runs, const analysis_params& params) {
    if (!params.compute_granger || params.granger_pairs.empty()) return;
    const std::set<std::string> known = populations_of(runs);
    for (const auto& [pre, post] : params.granger_pairs)
        for (const std::string& name : {pre, post})
            if (!known.count(name)) throw input_error({"--pairs", "", 0, 0}, "no run has a population " + name);
}

// One run: analysed, or read back when its analysis is up to date. A fault of the directory
// (storage_error) goes to `fault`: the runs after it are not started.
void analyse_run(summary_row& row, const results_options& options, const std::string& wanted,
                 storage_fault_latch& fault) {
    if (fault.seen()) {
        row.status = "failed";
        row.message = "not analysed: " + fault.message();
        return;
    }
    try {
        row.trains = load_trains(row.run.run_file, options.params.spike_files);
        if (!options.force && recorded_params(row.run.run_file) == wanted) {
            row.result = read_analysis(row.run.run_file);
            row.status = "up to date";
        } else {
            row.result = analyze(row.trains, options.params);
            write_analysis(row.run.run_file, row.result, options.params);
        }
        fill_measures(row);
        for (const auto& g : row.result.granger)
            if (!g.result.failure.empty() && row.message.empty())
                row.message = "granger " + g.pre + "->" + g.post + ": " + g.result.failure;
        if (options.params.compute_lfp && !row.trains.lfp_skipped.empty())
            row.message += (row.message.empty() ? "" : "; ") + row.trains.lfp_skipped;
    } catch (const storage_error& e) {
        fault.report(e.what());
        row.status = "failed";
        row.message = e.what();
    } catch (const std::exception& e) {
        row.status = "failed";
        row.message = e.what();
    }
}

// The summary's columns: every swept parameter and every measure any run has, in first-seen order.
void summary_columns(const std::vector<summary_row>& rows, std::vector<std::string>& params,
                     std::vector<std::string>& measures) {
    for (const auto& row : rows) {
        for (const auto& [name, value] : row.run.sweep)
            if (std::find(params.begin(), params.end(), name) == params.end()) params.push_back(name);
        for (const auto& [name, value] : row.measures)
            if (std::find(measures.begin(), measures.end(), name) == measures.end()) measures.push_back(name);
    }
}

void plot_runs(const fs::path& plots, const std::vector<summary_row>& rows, std::ostream& log,
               std::mutex& log_mutex, storage_fault_latch& fault) {
    tbb::parallel_for(std::size_t(0), rows.size(), [&](std::size_t i) {
        if (rows[i].status == "failed" || fault.seen()) return;
        try {
            plot_run(rows.size() == 1 ? plots : plots / rows[i].run.run_id, rows[i]);
        } catch (const storage_error& e) {
            fault.report(e.what());
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> g(log_mutex);
            log << "warning: plots of " << rows[i].run.run_id << ": " << e.what() << "\n";
        }
    });
}

// The one line m1analyze ends with when the directory could not be written (exit 1).
int report_fault(const storage_fault_latch& fault, const fs::path& dir, std::ostream& log) {
    log << "error: " << fault.message() << "; stopped: run the same command again once "
        << dir.string() << " can be written to (run files are untouched)\n";
    return 1;
}

// Every run analysed in parallel (a failed one said in the log at once); `fault` holds a fault of
// the directory.
std::vector<summary_row> analyse_runs(const std::vector<run_entry>& runs, const results_options& options,
                                      std::ostream& log, std::mutex& log_mutex, storage_fault_latch& fault) {
    const std::string wanted = options.params.to_json();
    std::vector<summary_row> rows(runs.size());
    tbb::parallel_for(std::size_t(0), runs.size(), [&](std::size_t i) {
        rows[i].run = runs[i];
        analyse_run(rows[i], options, wanted, fault);
        if (rows[i].status == "failed" && !fault.seen()) {
            std::lock_guard<std::mutex> g(log_mutex);
            log << "error: " << rows[i].run.run_file.string() << ": " << rows[i].message << "\n";
        }
    });
    return rows;
}

// The plots of every run and the sweep's heatmap; a fault of the directory goes to `fault`. A
// search's points are scattered, not a grid: a heatmap of them would be mostly empty cells.
void plot_results(const fs::path& dir, const results_options& options, const std::vector<std::string>& params,
                  const std::vector<summary_row>& rows, std::ostream& log, std::mutex& log_mutex,
                  storage_fault_latch& fault) {
    plot_runs(dir / "plots", rows, log, log_mutex, fault);
    if (is_search_directory(dir)) {
        if (!fault.seen())
            log << "heatmap: none (a search's points are scattered, not a grid); the search's own "
                   "plots are m1batch's, " << (dir / "plots" / "search_*").string() << "\n";
        return;
    }
    try {
        if (!fault.seen()) plot_sweep_heatmap(dir / "plots", options, params, rows, log);
    } catch (const storage_error& e) {
        fault.report(e.what());
    }
}

// The last lines: how many runs were analysed, up to date or failed, and where the results are.
std::size_t report_totals(const std::vector<summary_row>& rows, const fs::path& dir, bool plots,
                          std::ostream& log) {
    std::size_t failed = 0, analysed = 0, up_to_date = 0;
    for (const auto& row : rows) {
        failed += row.status == "failed";
        analysed += row.status == "analysed";
        up_to_date += row.status == "up to date";
    }
    log << rows.size() << " run" << (rows.size() == 1 ? "" : "s") << ": " << analysed
        << " analysed, " << up_to_date << " up to date, " << failed << " failed\n"
        << "summary: " << (dir / "summary.csv").string() << "\n";
    if (plots) log << "plots: " << (dir / "plots").string() << "\n";
    return failed;
}

}  // namespace

int analyze_results(const fs::path& path, const results_options& options, std::ostream& log) {
    const std::vector<run_entry> runs = find_runs(path);
    check_given_cells(runs, options.params.spike_files);
    check_given_pairs(runs, options.params);
    const fs::path dir = fs::is_regular_file(path) ? path.parent_path() : path;
    execution threads(options.threads);
    std::mutex log_mutex;
    storage_fault_latch fault;
    const std::vector<summary_row> rows =
        threads.run([&] { return analyse_runs(runs, options, log, log_mutex, fault); });
    if (fault.seen()) return report_fault(fault, dir, log);
    std::vector<std::string> params, measures;
    summary_columns(rows, params, measures);
    try {
        write_summary(dir, params, measures, rows);
    } catch (const storage_error& e) {
        fault.report(e.what());
        return report_fault(fault, dir, log);
    }
    if (options.plots) {
        threads.run([&] { plot_results(dir, options, params, rows, log, log_mutex, fault); });
        if (fault.seen()) return report_fault(fault, dir, log);
    }
    return report_totals(rows, dir, options.plots, log) ? 1 : 0;
}

}  // namespace m1::analysis
