// Spike files that other tools wrote (core/io/run_file.cpp's readers, core/hdf5_strings.cpp, and
// m1analyze over them): files written here by h5py as users and tools write them — text as
// fixed-length byte strings (h5py's default), fixed-length UTF-8, space-padded; no
// /cells/cell_type; no /cells at all (NEST, Brian2, bmtk write /spikes alone); no /run; node ids
// as uint32 or int64, times as float32 in seconds, unsorted; bmtk's earlier flat layout; a
// directory of such files analysed as a set; and malformed files, each refused by name.
#include "core/base/error.hpp"
#include "analysis/run_analysis.hpp"
#include "core/io/run_file.hpp"
#include "test_support.hpp"
#include "core/base/text_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace m1::test;

// Debian's interpreter, which has python3-h5py and python3-numpy (scripts/setup.sh).
std::string python() {
    const char* p = std::getenv("M1_TEST_PYTHON");
    return quote(p ? p : "/usr/bin/python3");
}

// What every script writing test files starts with: h5py's ways of storing text, and a
// population group as SONATA lays it out.
const std::string prelude = R"(import h5py, numpy as np
def texts(values, kind):
    if kind == "ascii":  # h5py's default for bytes: fixed-length, NUL-padded ASCII ('S')
        return np.array([v.encode("ascii") for v in values])
    if kind == "utf8":   # fixed-length UTF-8
        size = max(len(v.encode()) for v in values)
        return np.array([v.encode() for v in values], dtype=h5py.string_dtype("utf-8", size))
    return np.array(values, dtype=h5py.string_dtype())  # variable-length UTF-8, as m1batch writes
def population(f, name, times, ids, ids_type="uint64", times_type="float64", units=None):
    g = f.require_group("spikes").create_group(name)
    g["timestamps"] = np.array(times, dtype=times_type)
    if units is not None:
        g["timestamps"].attrs["units"] = units
    g["node_ids"] = np.array(ids, dtype=ids_type)
def cell_table(f, populations, cell_types=None, kind="ascii"):
    f["cells/population"] = texts(populations, kind)
    if cell_types is not None:
        f["cells/cell_type"] = texts(cell_types, kind)
def run(f, duration_ms):
    f.create_group("run").attrs["duration_ms"] = duration_ms
)";

// A population as a test writes it, and its true size.
struct population {
    std::string name;
    std::vector<double> times_ms;
    std::vector<std::uint64_t> ids;
    std::uint64_t cells = 0;
};

// `cells` Poisson cells at rate_hz over 1.1 s, each cell firing (node ids cycle through all of
// them), with a spike at exactly 1000 ms (the end of a 1 s run, which the whole-run window keeps).
population poisson_population(const std::string& name, std::uint32_t id, std::uint64_t cells, double rate_hz) {
    population p{name, poisson_train(id, 11, double(cells), rate_hz, 1100), {}, cells};
    p.times_ms.push_back(1000.0);
    std::sort(p.times_ms.begin(), p.times_ms.end());
    for (std::size_t k = 0; k < p.times_ms.size(); ++k) p.ids.push_back((k * 3) % cells);
    return p;
}

std::vector<population> two_populations() {
    return {poisson_population("E", 1, 8, 4.0), poisson_population("I", 2, 2, 12.0)};
}

// The whole-run rate of `p` for a population of `cells` in a run of duration_ms: spikes with
// 0 <= t <= duration per cell per second, as the run summary and m1analyze count them.
double expected_rate(const population& p, std::uint64_t cells, double duration_ms) {
    const double stop = std::nextafter(duration_ms, 1e300);
    const auto n = std::count_if(p.times_ms.begin(), p.times_ms.end(),
                                 [&](double t) { return t >= 0 && t < stop; });
    return double(n) / double(cells) / (stop / 1000.0);
}

template <class T>
std::string python_list(const std::vector<T>& values) {
    std::string s = "[";
    for (const T& v : values) {
        if constexpr (std::is_floating_point_v<T>) s += m1::python_repr(v);
        else s += std::to_string(v);
        s += ", ";
    }
    return s + "]";
}

// population(f, ...) for `p`, with `extra` arguments (types, units).
std::string python_population(const population& p, const std::string& extra = "") {
    return "population(f, '" + p.name + "', " + python_list(p.times_ms) + ", " +
           python_list(p.ids) + extra + ")\n";
}

// cell_table(f, ...) for `pops`: their populations (and, if asked, cell types) in `kind` of text.
std::string python_cells(const std::vector<population>& pops, bool cell_types, const std::string& kind) {
    std::string names, types;
    for (const auto& p : pops) {
        names += (names.empty() ? "" : " + ") + ("['" + p.name + "'] * " + std::to_string(p.cells));
        types += (types.empty() ? "" : " + ") + ("['PYR'] * " + std::to_string(p.cells));
    }
    return "cell_table(f, " + names + (cell_types ? ", " + types : ", None") + ", kind='" + kind + "')\n";
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> fields(1);
        bool quoted = false;
        for (char c : line) {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) fields.emplace_back();
            else fields.back() += c;
        }
        rows.push_back(fields);
    }
    return rows;
}

// A summary.csv read back: the value of `column` in the row of `run_id`.
struct summary {
    std::vector<std::vector<std::string>> rows;
    explicit summary(const fs::path& dir) : rows(csv_rows(read_file(dir / "summary.csv"))) {}
    std::size_t runs() const { return rows.empty() ? 0 : rows.size() - 1; }
    std::string at(const std::string& run_id, const std::string& column) const {
        const auto& header = rows.at(0);
        const auto c = std::find(header.begin(), header.end(), column);
        if (c == header.end()) {
            ADD_FAILURE() << "no column " << column;
            return {};
        }
        for (std::size_t r = 1; r < rows.size(); ++r)
            if (rows[r].at(0) == run_id) return rows[r].at(std::size_t(c - header.begin()));
        ADD_FAILURE() << "no run " << run_id;
        return {};
    }
    double number(const std::string& run_id, const std::string& column) const {
        const std::string v = at(run_id, column);
        return v.empty() ? std::nan("") : std::stod(v);
    }
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class SpikeFiles : public ::testing::Test {
protected:
    temporary_directory dir_{"spike-files"};

    // Runs h5py code (after `prelude`) that writes into the file at `path` as `f`.
    void write_h5(const fs::path& path, const std::string& body) {
        fs::create_directories(path.parent_path());
        std::string script = prelude + "with h5py.File('" + path.string() + "', 'w') as f:\n";
        std::istringstream lines(body);
        for (std::string line; std::getline(lines, line);) script += "    " + line + "\n";
        script += "    pass\n";
        const fs::path file = dir_.write("write.py", script);
        const auto r = run_shell(python() + " " + quote(file.string()), dir_.path());
        ASSERT_EQ(r.status, 0) << "h5py could not write the test file:\n" << r.err;
    }
    shell_result analyze(const fs::path& path, const std::string& options) {
        return run_shell(quote(M1ANALYZE_BIN) + " " + quote(path.string()) + " " + options, dir_.path());
    }
    // `pops` as a SONATA file written with h5py's defaults: fixed-length byte strings in /cells.
    void write_sonata(const fs::path& path, const std::vector<population>& pops, bool cell_types,
                      std::optional<double> duration_ms) {
        std::string body;
        for (const auto& p : pops) body += python_population(p);
        body += python_cells(pops, cell_types, "ascii");
        if (duration_ms) body += "run(f, " + m1::python_repr(*duration_ms) + ")\n";
        write_h5(path, body);
    }
    // The rates m1analyze wrote for `run_id` are what `pops` of `sizes` give over duration_ms.
    void expect_rates(const summary& s, const std::string& run_id, const std::vector<population>& pops,
                      const std::vector<std::uint64_t>& sizes, double duration_ms) {
        double spikes = 0, cells = 0;
        for (std::size_t i = 0; i < pops.size(); ++i) {
            const double rate = expected_rate(pops[i], sizes[i], duration_ms);
            EXPECT_NEAR(s.number(run_id, "rate_hz:" + pops[i].name), rate, 1e-12 * rate) << run_id << " " << pops[i].name;
            spikes += rate * double(sizes[i]);
            cells += double(sizes[i]);
        }
        EXPECT_NEAR(s.number(run_id, "rate_hz"), spikes / cells, 1e-12 * spikes / cells) << run_id;
    }
};

// ---------------------------------------------------------------------------------------------
// The readers

TEST_F(SpikeFiles, text_of_every_kind_is_read_in_datasets_and_attributes) {
    const fs::path file = dir_.path() / "strings.h5";
    const auto pops = two_populations();
    write_h5(file, python_population(pops[0]) + python_population(pops[1]) +
                       python_cells(pops, true, "ascii") + R"(run(f, 1000.0)
f["run"].attrs["model_file"] = np.bytes_("m1.json")                              # fixed-length ASCII
f["run"].attrs["note"] = "café"                                                    # variable-length UTF-8
f["run"].attrs["kind"] = np.array("sonata".encode(), dtype=h5py.string_dtype("utf-8", 6))
t = h5py.h5t.C_S1.copy(); t.set_size(8); t.set_strpad(h5py.h5t.STR_SPACEPAD)      # Fortran's padding
a = h5py.h5a.create(f["run"].id, b"padded", t, h5py.h5s.create(h5py.h5s.SCALAR))
a.write(np.array(b"abc     ", dtype="S8"))
lfp = f.create_group("lfp")
lfp.attrs["interval_ms"] = 1.0
lfp.attrs["electrodes"] = np.array([b"upper", b"lower"])
lfp.attrs["ynorm_low"] = np.array([0.1, 0.4]); lfp.attrs["ynorm_high"] = np.array([0.4, 1.0])
lfp.attrs["cells"] = np.array([6, 4], dtype=np.int64)
rng = np.random.default_rng(1)
lfp["ampa"] = rng.random((1000, 2)); lfp["gaba"] = rng.random((1000, 2))
)");
    const m1::cell_table cells = m1::read_run_cells(file);
    ASSERT_EQ(cells.population.size(), 10u);
    EXPECT_EQ(cells.population.front(), "E");
    EXPECT_EQ(cells.population.back(), "I");
    EXPECT_EQ(cells.cell_type.front(), "PYR");
    EXPECT_TRUE(cells.gid.empty());  // a column the file does not have
    const m1::run_file_attributes attrs = m1::read_run_attributes(file);
    auto text = [&](const char* name) {
        const m1::attribute_value* v = attrs.find(name);
        return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "(none)";
    };
    EXPECT_EQ(text("model_file"), "m1.json");
    EXPECT_EQ(text("note"), "caf\xc3\xa9");
    EXPECT_EQ(text("kind"), "sonata");
    EXPECT_EQ(text("padded"), "abc");
    const auto lfp = m1::read_run_lfp(file);
    ASSERT_TRUE(lfp);
    EXPECT_EQ(lfp->electrodes, (std::vector<std::string>{"upper", "lower"}));
    EXPECT_EQ(lfp->samples(), 1000u);

    // m1analyze takes it whole: the LFP's electrodes come from the fixed-length attribute.
    const auto r = analyze(file, "--only rates,lfp --no-plots");
    ASSERT_EQ(r.status, 0) << r.err;
    const summary s(dir_.path());
    EXPECT_EQ(s.at("strings", "message"), "");
    EXPECT_TRUE(std::isfinite(s.number("strings", "lfp_peak_hz:upper")));
    expect_rates(s, "strings", pops, {8, 2}, 1000);
}

TEST_F(SpikeFiles, other_number_types_units_orders_and_the_flat_layout_are_read) {
    const fs::path file = dir_.path() / "types.h5";
    write_h5(file, R"(population(f, "seconds", [0.3, 0.1, 0.2], [4, 0, 2], ids_type="uint32", times_type="float32", units="s")
population(f, "signed", [5.0, 5.0, 1.0], [3, 1, 2], ids_type="int64")
)");
    const auto spikes = m1::read_run_spikes(file);
    ASSERT_EQ(spikes.size(), 2u);  // name order: the file does not track creation order
    EXPECT_EQ(spikes[0].population, "seconds");
    const auto ms = [](float seconds) { return double(seconds) * 1000; };
    EXPECT_EQ(spikes[0].timestamps, (std::vector<double>{ms(0.1f), ms(0.2f), ms(0.3f)}));  // sorted
    EXPECT_EQ(spikes[0].node_ids, (std::vector<std::uint64_t>{0, 2, 4}));
    EXPECT_EQ(spikes[1].timestamps, (std::vector<double>{1, 5, 5}));
    EXPECT_EQ(spikes[1].node_ids, (std::vector<std::uint64_t>{2, 1, 3}));  // ties by node id

    const fs::path flat = dir_.path() / "flat.h5";  // bmtk's earlier layout
    write_h5(flat, R"(f["spikes/timestamps"] = np.array([2.0, 1.0])
f["spikes/gids"] = np.array([7, 3])
)");
    const auto one = m1::read_run_spikes(flat);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].population, m1::unnamed_population);
    EXPECT_EQ(one[0].timestamps, (std::vector<double>{1, 2}));
    EXPECT_EQ(one[0].node_ids, (std::vector<std::uint64_t>{3, 7}));
}

// Each malformed file is refused with its name and what is wrong, never a crash.
struct malformed {
    std::string name, body, says;
};

const std::vector<malformed> malformed_files = {
    {"no_node_ids", "f.create_group('spikes/E')['timestamps'] = np.array([1.0])", "no /spikes/E/node_ids"},
    {"text_times", "f['spikes/E/timestamps'] = np.array([b'a']); f['spikes/E/node_ids'] = np.array([0])",
     "/spikes/E/timestamps does not hold numbers"},
    {"nan_time", "population(f, 'E', [1.0, float('nan')], [0, 1])", "/spikes/E/timestamps holds a time that is not a finite number"},
    {"negative_id", "population(f, 'E', [1.0, 2.0], [0, -1], ids_type='int64')", "negative id -1"},
    {"float_ids", "population(f, 'E', [1.0], [0.5], ids_type='float64')", "/spikes/E/node_ids does not hold integers"},
    {"minutes", "population(f, 'E', [1.0], [0], units='minutes')", "units 'minutes'"},
    {"lengths", "population(f, 'E', [1.0, 2.0, 3.0], [0, 1])", "3 timestamps but 2 node ids"},
    {"two_d", "f['spikes/E/timestamps'] = np.zeros((2, 2)); f['spikes/E/node_ids'] = np.zeros(4, dtype=np.uint64)",
     "/spikes/E/timestamps is not one-dimensional"},
    {"numeric_populations", "population(f, 'E', [1.0], [0]); f['cells/population'] = np.array([1, 2])",
     "/cells/population is not text"},
    {"short_column", "population(f, 'E', [1.0], [0]); cell_table(f, ['E'] * 3); f['cells/ynorm'] = np.zeros(2)",
     "/cells/ynorm has 2 rows"},
    {"huge_id", "population(f, 'E', [1.0], [2**62])", "more cells than m1analyze takes"},
    {"empty", "f.create_group('spikes')", "/spikes holds no population"},
    {"bad_duration", "population(f, 'E', [1.0], [0]); run(f, -5.0)", "is not positive"},
    {"lfp_attributes", "population(f, 'E', [1.0], [0]); g = f.create_group('lfp'); "
                       "g.attrs['electrodes'] = np.array([b'a', b'b']); g.attrs['ynorm_low'] = np.zeros(3)",
     "attribute ynorm_low of /lfp does not hold one value per electrode"},
};

TEST_F(SpikeFiles, malformed_files_are_refused_naming_the_file_and_what_is_wrong) {
    const fs::path set = dir_.path() / "set";
    for (const auto& m : malformed_files) write_h5(set / (m.name + ".h5"), m.body);
    write_file(set / "not_hdf5.h5", "spikes, but not in HDF5\n");
    const m1::analysis::spike_file_defaults one_second{{}, 1000.0};
    auto refusal = [&](const fs::path& file) -> std::string {
        try {
            m1::analysis::load_trains(file, one_second);
        } catch (const std::exception& e) {
            return e.what();
        }
        return "(accepted)";
    };
    for (const auto& m : malformed_files) {
        const std::string why = refusal(set / (m.name + ".h5"));
        EXPECT_TRUE(contains(why, (set / (m.name + ".h5")).string())) << why;
        EXPECT_TRUE(contains(why, m.says)) << m.name << ": " << why;
    }
    EXPECT_TRUE(contains(refusal(set / "not_hdf5.h5"), "not an HDF5 file")) << refusal(set / "not_hdf5.h5");
    write_h5(dir_.path() / "no_spikes.h5", "cell_table(f, ['E'])");
    EXPECT_TRUE(contains(refusal(dir_.path() / "no_spikes.h5"), "no /spikes"));

    // Over the directory with one good file: each bad one a failed run, named; the good one analysed.
    write_sonata(set / "good.h5", two_populations(), true, 1000.0);
    const auto r = analyze(set, "--only rates --no-plots --duration 1000");
    EXPECT_EQ(r.status, 1) << r.err;  // exited (no signal), some runs failed
    EXPECT_TRUE(contains(r.err, "1 analysed, 0 up to date, " + std::to_string(malformed_files.size() + 1) + " failed")) << r.err;
    for (const auto& m : malformed_files) EXPECT_TRUE(contains(r.err, (set / (m.name + ".h5")).string())) << m.name;
    const summary s(set);
    EXPECT_EQ(s.at("good", "status"), "analysed");
    EXPECT_EQ(s.at("huge_id", "status"), "failed");
}

// ---------------------------------------------------------------------------------------------
// m1analyze over spike files of other tools

TEST_F(SpikeFiles, a_sonata_file_with_h5pys_fixed_length_strings_is_analysed) {
    const fs::path file = dir_.path() / "sim.h5";
    const auto pops = two_populations();
    write_sonata(file, pops, /*cell_types=*/true, 1000.0);
    const auto r = analyze(file, "--only rates,lfp --no-plots");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir_.path() / "sim.analysis.h5"));
    const summary s(dir_.path());
    ASSERT_EQ(s.runs(), 1u);
    expect_rates(s, "sim", pops, {8, 2}, 1000);  // sizes from /cells
    EXPECT_TRUE(contains(s.at("sim", "message"), "LFP skipped: no /lfp")) << s.at("sim", "message");
}

TEST_F(SpikeFiles, without_cell_type_the_lfp_is_skipped_with_a_note_and_the_rest_analysed) {
    const fs::path file = dir_.path() / "sim.h5";
    const auto pops = two_populations();
    write_sonata(file, pops, /*cell_types=*/false, 1000.0);
    EXPECT_TRUE(m1::read_run_cells(file).cell_type.empty());
    const auto r = analyze(file, "--only rates,rate_psd,lfp");  // with plots: a raster without depths
    ASSERT_EQ(r.status, 0) << r.err;
    const summary s(dir_.path());
    expect_rates(s, "sim", pops, {8, 2}, 1000);
    EXPECT_GT(s.number("sim", "peak_hz"), 0);
    EXPECT_TRUE(contains(s.at("sim", "message"), "LFP skipped")) << s.at("sim", "message");
    EXPECT_TRUE(fs::exists(dir_.path() / "plots" / "raster.png"));
}

TEST_F(SpikeFiles, without_cells_sizes_come_from_node_ids_or_the_cells_option) {
    const fs::path file = dir_.path() / "nest.h5";
    const auto pops = two_populations();
    write_h5(file, python_population(pops[0]) + python_population(pops[1]) + "run(f, 1000.0)\n");
    ASSERT_EQ(*std::max_element(pops[0].ids.begin(), pops[0].ids.end()), 7u);
    auto r = analyze(file, "--only rates --no-plots");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rates(summary(dir_.path()), "nest", pops, {8, 2}, 1000);  // largest node id + 1
    r = analyze(file, "--only rates --no-plots --cells E=20,I=5");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rates(summary(dir_.path()), "nest", pops, {20, 5}, 1000);
    r = analyze(file, "--only rates --no-plots --cells E=20");  // I from its node ids
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rates(summary(dir_.path()), "nest", pops, {20, 2}, 1000);
}

TEST_F(SpikeFiles, without_run_the_duration_comes_from_the_duration_option) {
    const fs::path file = dir_.path() / "brian.h5";
    const auto pops = two_populations();
    write_h5(file, python_population(pops[0]) + python_population(pops[1]));
    auto r = analyze(file, "--only rates --no-plots");
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, file.string() + ": no /run duration_ms; give the duration with --duration MS")) << r.err;
    EXPECT_EQ(summary(dir_.path()).at("brian", "status"), "failed");
    r = analyze(file, "--only rates --no-plots --duration 800");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rates(summary(dir_.path()), "brian", pops, {8, 2}, 800);

    // A duration the file records wins over --duration.
    const fs::path timed = dir_.path() / "timed" / "bmtk.h5";
    write_h5(timed, python_population(pops[0]) + "run(f, 1050)\n");  // an integer, as h5py stores 1050
    r = analyze(timed, "--only rates --no-plots --duration 800");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rates(summary(timed.parent_path()), "bmtk", {pops[0]}, {8}, 1050);
}

TEST_F(SpikeFiles, bad_cells_and_duration_options_exit_2_and_analyse_nothing) {
    const fs::path file = dir_.path() / "nest.h5";
    const auto pops = two_populations();
    write_h5(file, python_population(pops[0]) + python_population(pops[1]) + "run(f, 1000.0)\n");
    auto r = analyze(file, "--only rates --no-plots --cells X=5");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "--cells: no spike file without /cells has a population X")) << r.err;
    r = analyze(file, "--only rates --no-plots --cells E=7");  // node ids go up to 7
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_TRUE(contains(r.err, file.string() + ": population E has node ids up to 7: more than 7 cells")) << r.err;
    for (const char* bad : {"E", "E=0", "E=x", "=3", "E=3,E=4", "E=2.5"}) {
        r = analyze(file, std::string("--only rates --no-plots --cells ") + quote(bad));
        EXPECT_EQ(r.status, 2) << bad << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "--cells")) << r.err;
    }
    for (const char* bad : {"-5", "0", "abc", "nan", "inf", "10ms"}) {
        r = analyze(file, std::string("--only rates --no-plots --duration ") + quote(bad));
        EXPECT_EQ(r.status, 2) << bad << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "--duration")) << r.err;
    }
    EXPECT_FALSE(fs::exists(dir_.path() / "nest.analysis.h5"));
    EXPECT_FALSE(fs::exists(dir_.path() / "summary.csv"));
}

TEST_F(SpikeFiles, utf8_fixed_length_names_are_read) {
    const fs::path file = dir_.path() / "utf8.h5";
    auto pops = two_populations();
    pops[0].name = "Pyramidal-\xc3\xa9";  // é
    pops[1].name = "Korb-\xc3\x9f";       // ß
    write_h5(file, python_population(pops[0]) + python_population(pops[1]) +
                       python_cells(pops, true, "utf8") + "run(f, 1000.0)\n");
    EXPECT_EQ(m1::read_run_cells(file).population.front(), pops[0].name);
    const auto r = analyze(file, "--only rates --no-plots");
    ASSERT_EQ(r.status, 0) << r.err;
    expect_rates(summary(dir_.path()), "utf8", pops, {8, 2}, 1000);  // sizes from /cells by name
}

TEST_F(SpikeFiles, a_directory_of_spike_files_is_analysed_as_a_set) {
    const fs::path set = dir_.path() / "set";
    const auto pops = two_populations();
    write_sonata(set / "a.h5", pops, /*cell_types=*/true, 1000.0);
    write_sonata(set / "b.h5", pops, /*cell_types=*/false, 900.0);
    write_h5(set / "c.h5", python_population(pops[0]) + python_population(pops[1]));  // /spikes alone
    write_h5(set / "nodes.h5", "cell_table(f, ['E'] * 8)");  // no /spikes: not a spike file
    write_file(set / "notes.txt", "not a spike file\n");
    auto r = analyze(set, "--only rates,lfp --no-plots --duration 1000");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "3 runs: 3 analysed, 0 up to date, 0 failed")) << r.err;
    summary s(set);
    ASSERT_EQ(s.runs(), 3u);
    EXPECT_EQ(s.rows[1][0], "a");
    EXPECT_EQ(s.rows[3][0], "c");
    expect_rates(s, "a", pops, {8, 2}, 1000);
    expect_rates(s, "b", pops, {8, 2}, 900);   // its own /run duration
    expect_rates(s, "c", pops, {8, 2}, 1000);  // --duration, sizes from node ids
    for (const char* run : {"a", "b", "c"}) {
        EXPECT_TRUE(fs::exists(set / (std::string(run) + ".analysis.h5"))) << run;
        EXPECT_TRUE(contains(s.at(run, "message"), "LFP skipped")) << run;
    }

    // Again: every analysis up to date; its own files (analysis, summary) are not taken for runs.
    r = analyze(set, "--only rates,lfp --no-plots --duration 1000");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "3 runs: 0 analysed, 3 up to date, 0 failed")) << r.err;
    s = summary(set);
    ASSERT_EQ(s.runs(), 3u);
    expect_rates(s, "b", pops, {8, 2}, 900);
}

}  // namespace
