// What a search leaves beside its runs (batch/search_records.hpp), from evaluations made up here
// over a search file of the tiny model: optimization.h5 read back with HDF5's C API and compared,
// column by column, with optimization.csv; the state saved and loaded again, not loaded for
// another search, refused when unreadable; the best point's files.
#include "batch/search_records.hpp"
#include "core/base/text_format.hpp"
#include "core/io/hdf5_strings.hpp"
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <tuple>

using namespace m1::test;
using m1::batch::evaluation;
using m1::batch::results_directory;
using m1::batch::search_spec;

namespace {

constexpr double nan = NAN;

// A connection weight (a float) and the duration (whole ms), for E's rate and the peak frequency.
std::string search_file(double target = 5.0) {
    return "[optimize]\npopulation = 5\nreplicates = 2\n"
           "[[optimize.param]]\npath = \"/netParams/connParams/EE/weight\"\nrange = [0.001, 0.1]\n"
           "[[optimize.param]]\npath = \"duration\"\nrange = [50, 80]\n"
           "[[optimize.objective]]\ncolumn = \"rate_hz:E\"\ntarget = " + m1::python_repr(target) +
           "\nwidth = 2.5\n[[optimize.objective]]\ncolumn = \"peak_hz\"\nrange = [10, 30]\n";
}

evaluation evaluated(std::size_t generation, std::size_t individual, std::vector<m1::batch::param_value> values,
                     std::vector<double> objectives, double fitness, std::string status = "done") {
    evaluation e{generation, individual, std::move(values), {}, std::move(objectives), fitness, std::move(status)};
    for (const char* replicate : {"a", "b"})
        e.run_ids.push_back(std::to_string(generation) + std::to_string(individual) + replicate);
    return e;
}

// Three candidates: one scored, one failed (no values), one with a value missing.
std::vector<evaluation> three() {
    return {evaluated(0, 0, {0.002, std::int64_t{60}}, {4.5, 20.0}, 0.25),
            evaluated(0, 1, {0.05, std::int64_t{75}}, {nan, nan}, 1000, "failed: timed out"),
            evaluated(1, 0, {0.0105, std::int64_t{50}}, {6.25, nan}, 500.5)};
}

// Every value of the dataset `name` as optimization.csv writes it (NaN as nothing).
std::vector<std::string> column_text(hid_t file, const std::string& name) {
    h5 set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    h5 type(H5Dget_type(set), H5Tclose), space(H5Dget_space(set), H5Sclose);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    std::vector<std::string> text;
    const H5T_class_t kind = H5Tget_class(type);
    if (kind == H5T_STRING) return m1::read_strings(m1::hdf5_checker("read", name), set, name);
    if (kind == H5T_ENUM) {  // h5py's bool
        std::vector<std::int8_t> v(n);
        if (n) ok(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
        for (std::int8_t b : v) text.push_back(b ? "true" : "false");
    } else if (kind == H5T_INTEGER) {
        std::vector<std::int64_t> v(n);
        if (n) ok(H5Dread(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
        for (std::int64_t i : v) text.push_back(std::to_string(i));
    } else {
        std::vector<double> v(n);
        if (n) ok(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()));
        for (double x : v) text.push_back(std::isnan(x) ? "" : m1::python_repr(x));
    }
    return text;
}

// The same field, or the same number written two ways ("2" and "2.0": the float64 column of a
// parameter whose values mix integers and floats).
bool same_field(const std::string& a, const std::string& b) {
    if (a == b) return true;
    try {
        std::size_t i = 0, j = 0;
        return std::stod(a, &i) == std::stod(b, &j) && i == a.size() && j == b.size();
    } catch (const std::exception&) {
        return false;
    }
}

// The dataset holding optimization.csv's column `column`.
std::string dataset_of(const search_spec& search, const std::string& column) {
    for (std::size_t k = 0; k < search.runs.params.size(); ++k)
        if (search.runs.params[k].path == column) return "params/p" + std::to_string(k);
    for (const auto& o : search.objectives) {
        if (column == o.column) return "objectives/" + o.column;
        if (column == "score:" + o.column) return "scores/" + o.column;
    }
    return column;
}

// The HDF5 type of a dataset: its class, size in bytes and sign.
std::tuple<H5T_class_t, std::size_t, H5T_sign_t> type_of(hid_t file, const std::string& name) {
    h5 set(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    h5 type(H5Dget_type(set), H5Tclose);
    const H5T_class_t kind = H5Tget_class(type);
    return {kind, H5Tget_size(type), kind == H5T_INTEGER ? H5Tget_sign(type) : H5T_SGN_ERROR};
}

std::string string_attribute(hid_t file, const std::string& object, const std::string& name) {
    h5 set(H5Dopen2(file, object.c_str(), H5P_DEFAULT), H5Dclose);
    return m1::read_string_attribute(m1::hdf5_checker("read", object), set, name, object).value_or("");
}

class SearchRecords : public sweep_test {
protected:
    void SetUp() override {
        sweep_test::SetUp();
        fs::create_directories(dir_ / "out");
        search_ = load_search();
    }
    search_spec load_search(double target = 5.0) {
        return m1::batch::load_search(write("search.toml", on_tiny(search_file(target))));
    }
    // optimization.csv and .h5 of `evaluations`: the CSV's rows, each column of the HDF5 file as
    // the CSV would write it into the same rows.
    void expect_same_tables(const std::vector<evaluation>& evaluations) {
        m1::batch::write_optimization_csv(out_, search_, evaluations);
        m1::batch::write_optimization_h5(out_, search_, evaluations);
        const auto lines = text_lines(read_file(dir_ / "out" / "optimization.csv"));
        ASSERT_EQ(lines.size(), evaluations.size() + 1);
        std::vector<std::vector<std::string>> rows;
        for (const std::string& line : lines) rows.push_back(split(line));
        h5 file(H5Fopen((dir_ / "out" / "optimization.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
        for (std::size_t c = 0; c < rows[0].size(); ++c) {
            const std::vector<std::string> column = column_text(file, dataset_of(search_, rows[0][c]));
            ASSERT_EQ(column.size(), evaluations.size()) << rows[0][c];
            for (std::size_t r = 0; r < column.size(); ++r)
                EXPECT_PRED2(same_field, column[r], rows[r + 1][c]) << rows[0][c];
        }
    }
    static std::vector<std::string> split(const std::string& line) {
        std::vector<std::string> fields;
        std::istringstream in(line + ",");
        for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
        return fields;
    }

    search_spec search_;
    const results_directory out_{dir_ / "out"};
};

void expect_same_evaluation(const evaluation& a, const evaluation& b) {
    EXPECT_EQ(std::tie(a.generation, a.individual, a.values, a.run_ids, a.fitness, a.status),
              std::tie(b.generation, b.individual, b.values, b.run_ids, b.fitness, b.status));
    ASSERT_EQ(a.objective_values.size(), b.objective_values.size());
    for (std::size_t k = 0; k < a.objective_values.size(); ++k)
        EXPECT_TRUE(a.objective_values[k] == b.objective_values[k] ||
                    (std::isnan(a.objective_values[k]) && std::isnan(b.objective_values[k])));
}

// ---------------------------------------------------------------------------------------------
// optimization.h5

TEST_F(SearchRecords, OptimizationH5HoldsTheCsvsColumns) {
    expect_same_tables(three());
    h5 file(H5Fopen((dir_ / "out" / "optimization.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    // Each parameter in its own type, its path beside it; the counts unsigned.
    EXPECT_EQ(type_of(file, "params/p0"), std::make_tuple(H5T_FLOAT, std::size_t{8}, H5T_SGN_ERROR));
    EXPECT_EQ(type_of(file, "params/p1"), std::make_tuple(H5T_INTEGER, std::size_t{8}, H5T_SGN_2));
    EXPECT_EQ(type_of(file, "generation"), std::make_tuple(H5T_INTEGER, std::size_t{8}, H5T_SGN_NONE));
    EXPECT_EQ(string_attribute(file, "params/p0", "path"), "/netParams/connParams/EE/weight");
    EXPECT_EQ(string_attribute(file, "params/p1", "path"), "duration");
    EXPECT_EQ(column_text(file, "run_id"), (std::vector<std::string>{"00a/00b", "01a/01b", "10a/10b"}));
    EXPECT_EQ(column_text(file, "objectives/peak_hz"), (std::vector<std::string>{"20.0", "", ""}));
    EXPECT_EQ(m1::test::listing(dir_ / "out"), (std::vector<std::string>{"optimization.csv", "optimization.h5"}));
}

// Booleans and text keep theirs too (parameters a search cannot have yet), numbers that mix
// integers and floats are float64; a table of no evaluations has every column, empty.
TEST_F(SearchRecords, OptimizationH5KeepsEveryTypeOfValue) {
    const std::pair<const char*, m1::batch::param_value> first[] = {
        {"/netParams/annots/on", true}, {"/netParams/annots/label", std::string("x")},
        {"/netParams/annots/mixed", std::int64_t{1}}};
    for (const auto& [path, value] : first)
        search_.runs.params.push_back({path, {}, {value}, std::nullopt, false, false, {}});
    std::vector<evaluation> evaluations = three();
    const std::vector<m1::batch::param_value> added[] = {
        {true, std::string("a b"), std::int64_t{2}}, {false, std::string(""), 0.5}, {true, std::string("é"), 1e-7}};
    for (std::size_t r = 0; r < evaluations.size(); ++r)
        evaluations[r].values.insert(evaluations[r].values.end(), added[r].begin(), added[r].end());
    expect_same_tables(evaluations);
    h5 file(H5Fopen((dir_ / "out" / "optimization.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    EXPECT_EQ(std::get<0>(type_of(file, "params/p2")), H5T_ENUM);
    EXPECT_EQ(std::get<0>(type_of(file, "params/p3")), H5T_STRING);
    EXPECT_EQ(std::get<0>(type_of(file, "params/p4")), H5T_FLOAT);
    search_.runs.params.resize(2);
    expect_same_tables({});
}

// ---------------------------------------------------------------------------------------------
// The state

TEST_F(SearchRecords, StateIsLoadedBackForTheSameSearchOnly) {
    EXPECT_FALSE(m1::batch::load_state(out_, search_));  // none saved yet
    m1::batch::search_state saved;
    saved.generations = 2;
    saved.optimiser = nlohmann::json::parse(R"({"mean": [0.5, 0.25], "sigma": 0.3})");
    saved.evaluations = three();
    m1::batch::save_state(out_, search_, saved);
    const auto loaded = m1::batch::load_state(out_, search_);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->search_digest, m1::batch::search_digest(search_));
    EXPECT_EQ(loaded->generations, 2u);
    EXPECT_EQ(loaded->optimiser, saved.optimiser);
    ASSERT_EQ(loaded->evaluations.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) expect_same_evaluation(loaded->evaluations[k], saved.evaluations[k]);
    // The file edited since (another target): another search, whose state this is not.
    const search_spec edited = load_search(6.0);
    EXPECT_NE(m1::batch::search_digest(edited), m1::batch::search_digest(search_));
    EXPECT_FALSE(m1::batch::load_state(out_, edited));
    EXPECT_TRUE(m1::batch::load_state(out_, load_search(5.0)));  // the same file again: the same search
}

TEST_F(SearchRecords, UnreadableStateIsRefusedSayingHowToStartAfresh) {
    const fs::path state = write("out/search_state.json", "{\"format\": 1, \"search_digest\": ");
    try {
        m1::batch::load_state(out_, search_);
        FAIL() << "an unreadable state was loaded";
    } catch (const m1::run_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(state.string() + ": not a search state m1batch can read (", 0), 0u) << what;
        EXPECT_NE(what.find("remove it to start the search afresh"), std::string::npos) << what;
    }
}

// ---------------------------------------------------------------------------------------------
// The best point

TEST_F(SearchRecords, BestIsTheLowestFitnessAndItsFilesRunIt) {
    std::vector<evaluation> evaluations = three();
    EXPECT_EQ(m1::batch::best_of({}), nullptr);
    evaluations.push_back(evaluated(1, 1, {0.003, std::int64_t{70}}, {5.0, 15.0}, 0.25));
    const evaluation* best = m1::batch::best_of(evaluations);
    ASSERT_EQ(best, &evaluations[0]);  // the first proposed among equals
    m1::batch::write_best(out_, search_, *best);
    const auto model = nlohmann::json::parse(read_file(dir_ / "out" / "best_model.json"));
    EXPECT_EQ(model["netParams"]["connParams"]["EE"]["weight"], 0.002);
    const std::string text = read_file(dir_ / "out" / "best.toml");
    EXPECT_EQ(text.rfind("# The best point of the search (generation 0, individual 0, fitness 0.25)", 0), 0u) << text;
    const toml::table best_toml = toml::parse(text);
    EXPECT_EQ(best_toml["model"].value<std::string>(), "best_model.json");
    EXPECT_EQ(best_toml["output"].value<std::string>(), "best");
    EXPECT_EQ(best_toml["duration"].value<double>(), 60.0);
}

}  // namespace
