// m1analyze over real run files (batch/, analysis/results_analysis.cpp): a 4-run sweep of the M1
// model at a tenth of its size made by m1batch, then analysed: /analysis written beside untouched
// spikes, the summary's rates equal to the batch index's, idempotent reruns, a truncated run file
// reported while the others are analysed, and the plots.
#include "analysis/run_analysis.hpp"
#include "core/io/run_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using m1::test::quote;
using m1::test::read_file;
using m1::test::run_shell;
using m1::test::same_spikes;
using m1::test::temporary_directory;

namespace {

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> fields;
        std::string field;
        bool quoted = false;
        for (char c : line) {
            if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) {
                fields.push_back(field);
                field.clear();
            } else field += c;
        }
        fields.push_back(field);
        rows.push_back(fields);
    }
    return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return 0;
}

class ResultsAnalysis : public ::testing::Test {
protected:
    // One sweep for the whole suite (m1batch takes about a second for it); each test copies it.
    static void SetUpTestSuite() {
        sweep_dir_ = new temporary_directory("analysis-sweep");
        const fs::path sweep = sweep_dir_->write(
            "s.toml", "model = \"" M1_SOURCE_DIR "/configs/models/m1_2017.json\"\noutput = \"out\"\n"
                      "scale = 0.1\nduration = 300.0\n[sweep]\n"
                      "[[sweep.param]]\npath = \"/netParams/scaleConnWeight\"\nvalues = [0.0003, 0.0004]\n"
                      "[[sweep.param]]\npath = \"/netParams/ItoIweight\"\nvalues = [0.5, 1.0]\n");
        const auto r = run_shell(quote(m1::test::m1batch_binary()) + " -q " + quote(sweep.string()),
                                 sweep_dir_->path());
        ASSERT_EQ(r.status, 0) << r.err;
    }
    static void TearDownTestSuite() {
        delete sweep_dir_;
        sweep_dir_ = nullptr;
    }
    void SetUp() override {
        fs::copy(sweep_dir_->path() / "out", dir_.path() / "out", fs::copy_options::recursive);
        out_ = dir_.path() / "out";
    }
    m1::test::shell_result analyze(const std::string& args) {
        return run_shell(quote(M1ANALYZE_BIN) + " " + args, dir_.path());
    }
    std::vector<fs::path> run_files() {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(out_ / "runs")) files.push_back(e.path() / "run.h5");
        std::sort(files.begin(), files.end());
        return files;
    }

    static temporary_directory* sweep_dir_;
    temporary_directory dir_{"analysis"};
    fs::path out_;
};
temporary_directory* ResultsAnalysis::sweep_dir_ = nullptr;

TEST_F(ResultsAnalysis, EveryRunAnalysedSpikesUntouchedRatesAsTheIndex) {
    std::map<fs::path, std::vector<m1::population_spikes>> before;
    for (const auto& f : run_files()) before[f] = m1::read_run_spikes(f);
    const auto r = analyze(quote(out_.string()) + " --shuffles 5");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("4 runs: 4 analysed, 0 up to date, 0 failed"), std::string::npos) << r.err;
    for (const auto& [f, spikes] : before) {
        EXPECT_TRUE(same_spikes(m1::read_run_spikes(f), spikes)) << f;
        const auto a = m1::analysis::read_analysis(f);
        EXPECT_EQ(a.populations.size(), 13u);
        EXPECT_EQ(a.rates.size(), 13u);
        EXPECT_EQ(a.rate_psd.size(), 14u);       // 13 populations and all
        EXPECT_EQ(a.granger.size(), 13u * 12u);  // every ordered pair
        ASSERT_EQ(a.nte.size(), 13u);
        EXPECT_TRUE(std::isnan(a.nte[0][0]));
        ASSERT_EQ(a.lfp.size(), 5u);  // L23, L4, L5A, L5B, L6
        EXPECT_EQ(a.lfp[0].electrode, "L23");
        // Samples are at 1, 2, ... ms; the first with a delayed (6 ms) AMPA sample is at 7 ms.
        EXPECT_EQ(a.lfp[0].t_ms.front(), 7.0);
    }
    const auto summary = csv_rows(read_file(out_ / "summary.csv"));
    const auto index = csv_rows(read_file(out_ / "index.csv"));
    ASSERT_EQ(summary.size(), 5u);
    ASSERT_EQ(index.size(), 5u);
    const std::size_t rate = column(summary[0], "rate_hz"), index_rate = column(index[0], "mean_rate_hz");
    EXPECT_EQ(summary[0][1], "/netParams/scaleConnWeight");
    EXPECT_EQ(summary[0][2], "/netParams/ItoIweight");
    for (std::size_t i = 1; i < 5; ++i) {
        EXPECT_EQ(summary[i][0], index[i][0]);  // the same runs in the same order
        EXPECT_EQ(summary[i][1], index[i][1]);  // the same swept values, written alike
        // The whole-run rate is the run summary's (different summation order: 1e-12).
        EXPECT_NEAR(std::stod(summary[i][rate]), std::stod(index[i][index_rate]),
                    1e-12 * std::stod(index[i][index_rate]));
    }
    EXPECT_TRUE(fs::exists(out_ / "summary.h5"));
    for (const char* plot : {"raster.png", "raster.svg", "rate_psd.png", "rate_psd.svg"})
        EXPECT_TRUE(fs::exists(out_ / "plots" / summary[1][0] / plot)) << plot;
    EXPECT_TRUE(fs::exists(out_ / "plots" / "heatmap_rate_hz.png"));
    for (const auto& e : fs::recursive_directory_iterator(out_))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(ResultsAnalysis, UpToDateAnalysesAreSkippedUnlessForcedOrChanged) {
    ASSERT_EQ(analyze(quote(out_.string()) + " --shuffles 5 --no-plots").status, 0);
    auto r = analyze(quote(out_.string()) + " --shuffles 5 --no-plots");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("0 analysed, 4 up to date"), std::string::npos) << r.err;
    r = analyze(quote(out_.string()) + " --shuffles 5 --no-plots --force");
    EXPECT_NE(r.err.find("4 analysed, 0 up to date"), std::string::npos) << r.err;
    r = analyze(quote(out_.string()) + " --shuffles 6 --no-plots");  // other parameters
    EXPECT_NE(r.err.find("4 analysed, 0 up to date"), std::string::npos) << r.err;
}

TEST_F(ResultsAnalysis, TruncatedRunFileIsReportedAndTheOthersAnalysed) {
    const fs::path broken = run_files()[1];
    fs::resize_file(broken, fs::file_size(broken) / 2);
    const auto r = analyze(quote(out_.string()) + " --only rates,rate_psd --no-plots");
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find(broken.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("3 analysed, 0 up to date, 1 failed"), std::string::npos) << r.err;
    const auto summary = csv_rows(read_file(out_ / "summary.csv"));
    ASSERT_EQ(summary.size(), 5u);
    std::size_t failed = 0;
    for (std::size_t i = 1; i < summary.size(); ++i) failed += summary[i][column(summary[0], "status")] == "failed";
    EXPECT_EQ(failed, 1u);
}

TEST_F(ResultsAnalysis, OneRunFileAndBadOptions) {
    const fs::path file = run_files()[0];
    const auto r = analyze(quote(file.string()) + " --only rates --no-plots --window 50:250");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto a = m1::analysis::read_analysis(file);
    EXPECT_EQ(a.analysed.start_ms, 50.0);
    EXPECT_EQ(a.analysed.stop_ms, 250.0);
    EXPECT_TRUE(fs::exists(file.parent_path() / "summary.csv"));
    EXPECT_EQ(analyze(quote(file.string()) + " --window 250:50").status, 2);
    EXPECT_EQ(analyze(quote(file.string()) + " --only spikes").status, 2);
    EXPECT_EQ(analyze(quote((dir_.path() / "nowhere").string())).status, 2);
}

}  // namespace
