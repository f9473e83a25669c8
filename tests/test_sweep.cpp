// The runs of a sweep as users see them (batch/sweep.hpp): swept values and seeds in Python's
// notation, the dry-run table and its CSV form.
#include "sweep_test_support.hpp"

#include <gtest/gtest.h>

#include <sstream>

using m1::batch::param_value;
using namespace m1::test;

namespace {

class Sweep : public sweep_test {};

// ---------------------------------------------------------------------------------------------
// Output

TEST_F(Sweep, FormatsValuesAndSeeds) {
    EXPECT_EQ(m1::batch::format_value(param_value{0.1}), "0.1");
    // Shortest round-trip digits in Python's repr layout (what NetPyNE users see for a float).
    EXPECT_EQ(m1::batch::format_value(param_value{0.001}), "0.001");
    EXPECT_EQ(m1::batch::format_value(param_value{0.0003}), "0.0003");
    EXPECT_EQ(m1::batch::format_value(param_value{0.0001}), "0.0001");
    EXPECT_EQ(m1::batch::format_value(param_value{0.00001}), "1e-05");
    EXPECT_EQ(m1::batch::format_value(param_value{-0.00045}), "-0.00045");
    EXPECT_EQ(m1::batch::format_value(param_value{1.0}), "1.0");
    EXPECT_EQ(m1::batch::format_value(param_value{1234.5}), "1234.5");
    EXPECT_EQ(m1::batch::format_value(param_value{1e15}), "1000000000000000.0");
    EXPECT_EQ(m1::batch::format_value(param_value{1e16}), "1e+16");
    EXPECT_EQ(m1::batch::format_value(param_value{1e21}), "1e+21");
    EXPECT_EQ(m1::batch::format_value(param_value{1.7e308}), "1.7e+308");
    EXPECT_EQ(m1::batch::format_value(param_value{0.1 + 0.2}), "0.30000000000000004");
    EXPECT_EQ(m1::batch::format_value(param_value{std::int64_t{-42}}), "-42");
    EXPECT_EQ(m1::batch::format_value(param_value{true}), "true");
    EXPECT_EQ(m1::batch::format_value(param_value{std::string("a, b")}), "a, b");
    EXPECT_EQ(m1::batch::format_seeds({3, 3, 3}), "3");
    EXPECT_EQ(m1::batch::format_seeds({1, 2, 1}), "1/2/1");
}

TEST_F(Sweep, CsvIsRfc4180) {
    const auto sweep = load(R"([sweep]
replicates = 2
replicate_seeds = ["stim"]
[[sweep.param]]
path = "/netParams/annots/note"
values = ["a, \"b\"", "plain"]
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.25]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    ASSERT_EQ(runs.size(), 4u);
    std::ostringstream csv;
    m1::batch::print_runs(sweep, runs, csv, true);
    const std::string expected =
        "run_id,/netParams/annots/note,/netParams/connParams/EE/weight,seed\r\n" +
        runs[0].id + ",\"a, \"\"b\"\"\",0.25,1\r\n" +
        runs[1].id + ",\"a, \"\"b\"\"\",0.25,1/2/1\r\n" +
        runs[2].id + ",plain,0.25,1\r\n" +
        runs[3].id + ",plain,0.25,1/2/1\r\n";
    EXPECT_EQ(csv.str(), expected);
}

TEST_F(Sweep, DryRunTableIsAligned) {
    const auto sweep = load(R"([sweep]
replicates = 2
[[sweep.param]]
path = "/netParams/connParams/EE/weight"
values = [0.001, 0.25, 1e-05]
)");
    const auto runs = m1::batch::expand_sweep(sweep, 10);
    std::ostringstream table;
    m1::batch::print_runs(sweep, runs, table, false);
    std::vector<std::string> lines;
    std::istringstream in(table.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 8u);
    EXPECT_EQ(lines[0].find("#"), 0u);
    const auto id_column = lines[0].find("run_id");
    const auto value_column = lines[0].find("/netParams/connParams/EE/weight");
    const auto seed_column = lines[0].find("seed");
    ASSERT_NE(value_column, std::string::npos);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const std::string& line = lines[i + 1];
        EXPECT_EQ(line.find(runs[i].id), id_column) << line;
        EXPECT_EQ(line.find(m1::batch::format_value(runs[i].values[0]), id_column + 16), value_column) << line;
        EXPECT_EQ(line.substr(seed_column), std::to_string(1 + i % 2)) << line;
    }
    EXPECT_NE(lines[5].find("1e-05"), std::string::npos);
    EXPECT_EQ(lines[7], "6 runs (3 points x 2 replicates)");
}

}  // namespace
