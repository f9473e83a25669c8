// The m1batch program itself (batch/main.cpp): exit codes, messages and output files. The binary
// is found through the environment variable M1BATCH_BIN (set by CMake for this test).
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using m1::test::quote;
using m1::test::tiny_model;

namespace {

// The names in `dir`, none when it does not exist (m1::test::listing requires it to).
std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    return out;
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        bin_ = fs::absolute(m1::test::m1batch_binary());
        ASSERT_TRUE(fs::is_regular_file(bin_)) << "no m1batch binary at M1BATCH_BIN=" << bin_;
    }
    fs::path write(const std::string& name, const std::string& text) {
        return temp_.write(name, text);
    }
    // Runs m1batch on `config` (extra arguments appended); returns its exit status, with stdout
    // and stderr in out_ and err_.
    int run(const fs::path& config, const std::string& extra = "") {
        auto r = m1::test::run_shell(
            quote(bin_.string()) + " " + quote(config.string()) + " -t 2 " + extra, dir_);
        out_ = std::move(r.out);
        err_ = std::move(r.err);
        return r.status;
    }
    m1::test::temporary_directory temp_{"cli"};
    const fs::path dir_ = temp_.path();
    fs::path bin_;
    std::string out_, err_;
};

TEST_F(Cli, TinyModelRunsAndLeavesExactlyRunH5) {
    write("tiny.json", tiny_model);
    const fs::path config = write("run.toml", "model = \"tiny.json\"\noutput = \"out\"\nseed = 3\n");
    ASSERT_EQ(run(config), 0) << err_;
    const std::vector<std::string> files = entries(dir_ / "out");
    ASSERT_EQ(files.size(), 1u) << "output directory holds " << files.size() << " entries";
    EXPECT_EQ(files[0], "run.h5");
    EXPECT_GT(fs::file_size(dir_ / "out" / "run.h5"), 0u);
    for (const auto& f : files) EXPECT_EQ(f.find(".tmp"), std::string::npos) << f;
    EXPECT_NE(out_.find("run.h5"), std::string::npos) << out_;  // the summary names the run file
}

TEST_F(Cli, UnwritableOutputDirectoryFails) {
    write("tiny.json", tiny_model);
    write("blocker", "a regular file where a directory should be\n");
    const fs::path output = dir_ / "blocker" / "out";
    const fs::path config =
        write("run.toml", "model = \"tiny.json\"\noutput = \"" + output.string() + "\"\n");
    const int code = run(config);
    EXPECT_NE(code, 0);
    EXPECT_NE(err_.find((dir_ / "blocker").string()), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(output / "run.h5"));
    EXPECT_TRUE(fs::is_regular_file(dir_ / "blocker"));
}

TEST_F(Cli, MalformedModelExits2WithFileAndLine) {
    // Line 4 holds the syntax error.
    const fs::path model = write("broken.json", "{\n \"netParams\": {\n  \"sizeX\": 100,\n  \"sizeY\": ]\n }\n}\n");
    const fs::path config = write("run.toml", "model = \"broken.json\"\noutput = \"out\"\n");
    EXPECT_EQ(run(config), 2) << err_;
    EXPECT_NE(err_.find(model.string() + ":4"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "run.h5"));
    EXPECT_TRUE(entries(dir_ / "out").empty());
}

TEST_F(Cli, InvalidModelKeyExits2WithFileAndLine) {
    std::string text = tiny_model;
    const std::string from = "\"probability\": 0.5";
    text.replace(text.find(from), from.size(), "\"probabilty\": 0.5");
    const fs::path model = write("typo.json", text);
    const fs::path config = write("run.toml", "model = \"typo.json\"\noutput = \"out\"\n");
    EXPECT_EQ(run(config), 2) << err_;
    const std::size_t line = m1::test::line_of(text, "\"probabilty\"");
    EXPECT_NE(err_.find(model.string() + ":" + std::to_string(line) + ":"), std::string::npos) << err_;
    EXPECT_NE(err_.find("netParams.connParams.EE.probabilty"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "run.h5"));
}

TEST_F(Cli, MissingModelFileExits2) {
    const fs::path config = write("run.toml", "model = \"nowhere.json\"\noutput = \"out\"\n");
    EXPECT_EQ(run(config), 2) << err_;
    EXPECT_NE(err_.find("nowhere.json"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "run.h5"));
}

TEST_F(Cli, MissingConfigFileExits2) {
    EXPECT_EQ(run(dir_ / "absent.toml"), 2) << err_;
    EXPECT_NE(err_.find("absent.toml"), std::string::npos) << err_;
}

// What the command-line parser refuses (an unknown option, a value of the wrong type, a negative
// count, which a size_t would have taken as 2^64 - n) is bad input too: exit 2 before any work
// (CLI11's own codes were 105-109).
TEST_F(Cli, WhatTheParserRefusesExits2) {
    write("tiny.json", tiny_model);
    const fs::path config = write("run.toml", "model = \"tiny.json\"\noutput = \"out\"\n");
    for (const char* extra : {"--no-such-option", "--jobs many", "--threads two", "--threads -2", "--max-runs -3"}) {
        EXPECT_EQ(run(config, extra), 2) << extra << "\n" << err_;
        EXPECT_FALSE(err_.empty()) << extra;
        EXPECT_TRUE(entries(dir_ / "out").empty()) << extra;
    }
}

}  // namespace

// Voltage traces through the command line: /traces/v holds one row per traced cell, sampled every
// recordStep from t = 0 (100 ms at 0.1 ms: 1001 samples), starting at the cell's vr.
TEST_F(Cli, TracesAreRecordedAtRecordStep) {
    write("tiny.json", tiny_model);
    const fs::path config = write(
        "run.toml", "model = \"tiny.json\"\noutput = \"out\"\n[record]\ntraces = [\"E:0\", \"E:3\"]\n");
    ASSERT_EQ(run(config), 0) << err_;
    const hid_t file = H5Fopen((dir_ / "out" / "run.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t v = H5Dopen2(file, "/traces/v", H5P_DEFAULT);
    ASSERT_GE(v, 0);
    const hid_t space = H5Dget_space(v);
    hsize_t dims[2] = {0, 0};
    ASSERT_EQ(H5Sget_simple_extent_ndims(space), 2);
    H5Sget_simple_extent_dims(space, dims, nullptr);
    EXPECT_EQ(dims[0], 2u);
    EXPECT_EQ(dims[1], 1001u);
    std::vector<double> values(dims[0] * dims[1]);
    ASSERT_GE(H5Dread(v, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
    EXPECT_EQ(values[0], -60.0);         // the Izhi2007b default vr, set at t = 0
    EXPECT_EQ(values[dims[1]], -60.0);
    H5Sclose(space);
    H5Dclose(v);
    H5Fclose(file);
}

TEST_F(Cli, UnknownTracedCellExits2) {
    write("tiny.json", tiny_model);
    const fs::path config =
        write("run.toml", "model = \"tiny.json\"\noutput = \"out\"\n[record]\ntraces = [\"E:9\"]\n");
    EXPECT_EQ(run(config), 2) << err_;
    EXPECT_NE(err_.find("E:9"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(dir_ / "out" / "run.h5"));
}
