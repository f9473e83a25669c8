// The analysis of one run (analysis/run_analysis.hpp): where it is written (analysis.h5 beside the
// run file, which stays byte for byte as it was), whose it is (an analysis of other bytes is not
// taken), results of earlier versions (/analysis inside run.h5) still read, and the netpyne modes'
// default window, NetPyNE's own, checked through m1analyze against NetPyNE's numbers.
#include "core/base/error.hpp"
#include "core/io/hdf5_support.hpp"
#include "core/io/posix_file.hpp"
#include "analysis/run_analysis.hpp"
#include "core/base/digest.hpp"
#include "core/io/run_file.hpp"
#include "core/run/run.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace m1::test;
using namespace m1::analysis;

nlohmann::json reference(const char* name) {
    std::ifstream in(std::string(M1_SOURCE_DIR "/tests/data/analysis/") + name);
    return nlohmann::json::parse(in);
}

const nlohmann::json& case_named(const nlohmann::json& ref, const std::string& name) {
    for (const auto& c : ref["cases"])
        if (c["name"] == name) return c;
    throw std::runtime_error("no reference case " + name);
}

std::vector<double> train(const nlohmann::json& ref, const nlohmann::json& c, const char* key) {
    return ref["trains"][c[key].get<std::string>()].get<std::vector<double>>();
}

analysis_params rates_only() {
    analysis_params p;
    p.compute_rate_psd = p.compute_granger = p.compute_nte = p.compute_lfp = false;
    return p;
}

class run_analysis : public ::testing::Test {
protected:
    temporary_directory dir_{"run-analysis"};
    fs::path run_file_ = dir_.path() / "run.h5";

    void write_run(double shift_ms = 0) {
        std::vector<double> a{1, 5, 9, 30}, b{2, 7, 40};
        for (double& t : a) t += shift_ms;
        m1::write_run_file(run_file_, one_cell_populations({{"A", a}, {"B", b}}, 100));
    }
};

TEST_F(run_analysis, goes_into_its_own_file_beside_the_run_file_which_stays_as_it_was) {
    write_run();
    const std::string bytes = m1::read_bytes(run_file_);
    const file_identity before = identity(run_file_);
    const analysis_params params = rates_only();
    write_analysis(run_file_, analyze(load_trains(run_file_), params), params);

    EXPECT_EQ(analysis_file(run_file_), dir_.path() / "analysis.h5");
    EXPECT_EQ(analysis_file(dir_.path() / "sim7.h5"), dir_.path() / "sim7.analysis.h5");
    EXPECT_EQ(listing(dir_.path()), (std::vector<std::string>{"analysis.h5", "run.h5"}));
    EXPECT_EQ(m1::read_bytes(run_file_), bytes);
    EXPECT_EQ(identity(run_file_), before);
    EXPECT_EQ(recorded_params(run_file_), params.to_json());
    const analysis_result back = read_analysis(run_file_);
    ASSERT_EQ(back.rates.size(), 2u);
    EXPECT_DOUBLE_EQ(back.rates[0].rate_hz, 4 / 0.1);  // 4 spikes of 1 cell in 100 ms

    h5 file(H5Fopen((dir_.path() / "analysis.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    h5 group(H5Gopen2(file, "analysis", H5P_DEFAULT), H5Gclose);
    for (const char* name : {"params", "format_version", "run_file", "run_file_sha256"})
        EXPECT_GT(H5Aexists(group, name), 0) << name;
}

TEST_F(run_analysis, an_analysis_of_other_bytes_is_not_taken_as_this_runs) {
    write_run();
    const analysis_params params = rates_only();
    write_analysis(run_file_, analyze(load_trains(run_file_), params), params);
    write_run(/*shift_ms=*/1);  // the run was run again: other spikes, same name
    EXPECT_EQ(recorded_params(run_file_), "");
    EXPECT_THROW(read_analysis(run_file_), m1::run_error);
}

// Results of earlier versions carry /analysis inside run.h5 (format version 1): still read.
TEST_F(run_analysis, version_one_analysis_inside_the_run_file_is_still_read) {
    write_run();
    {
        h5 file(H5Fopen(run_file_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
        h5 group(H5Gcreate2(file, "analysis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        const m1::hdf5_checker check("cannot write", run_file_.string());
        const m1::hdf5_writer w(check);
        w.attribute(group, "/analysis", "params", std::string("{\"version\":1}"));
        h5 rates(H5Gcreate2(group, "rates", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        w.strings(rates, "/analysis/rates", "population", {"A", "B"});
        w.numbers(rates, "/analysis/rates", "rate_hz", std::vector<double>{40, 30});
        w.numbers(rates, "/analysis/rates", "cv_isi", std::vector<double>{0.5, 0.25});
        w.numbers(rates, "/analysis/rates", "silent_fraction", std::vector<double>{0, 0});
    }
    EXPECT_EQ(recorded_params(run_file_), "{\"version\":1}");
    const analysis_result back = read_analysis(run_file_);
    ASSERT_EQ(back.rates.size(), 2u);
    EXPECT_EQ(back.rates[1].rate_hz, 30);
    EXPECT_EQ(back.populations, (std::vector<std::string>{"A", "B"}));
}

TEST(run_analysis_window, the_netpyne_default_is_netpynes_time_range) {
    run_trains t;
    t.duration_ms = 2000;
    analysis_params p;
    EXPECT_EQ(analysed_window(t, p).stop_ms, std::nextafter(2000.0, 1e300));  // the whole run
    p.when_unset = default_window::netpyne;
    EXPECT_EQ(analysed_window(t, p).stop_ms, 2000.0);
    p.analysed = window{100, 900};
    EXPECT_EQ(analysed_window(t, p).stop_ms, 900.0);  // a given window wins
}

// m1analyze --mode netpyne without --window gives NetPyNE 1.1.0's own Granger and nTE numbers
// (tests/data/analysis, computed by NetPyNE's code on these spikes with its default timeRange).
// Before, the default window made one bin more: Granger spectra off by up to 11 % of their peak.
TEST(run_analysis_window, m1analyze_in_netpyne_mode_without_window_gives_netpynes_numbers) {
    temporary_directory dir("netpyne-window");
    const auto granger_ref = reference("granger_reference.json");
    const auto& g = case_named(granger_ref, "driven");
    ASSERT_EQ(g["window"][0].get<double>(), 0.0);
    const fs::path granger_run = dir.path() / "granger" / "run.h5";
    fs::create_directories(granger_run.parent_path());
    m1::write_run_file(granger_run, one_cell_populations({{"X", train(granger_ref, g, "x")},
                                               {"Y", train(granger_ref, g, "y")}},
                                              g["window"][1].get<double>()));
    const auto nte_ref = reference("nte_reference.json");
    const auto& n = case_named(nte_ref, "driven_small");
    ASSERT_EQ(n["ran4_index"].get<int>(), 0);  // m1analyze starts every pair's shuffles at 0
    const fs::path nte_run = dir.path() / "nte" / "run.h5";
    fs::create_directories(nte_run.parent_path());
    m1::write_run_file(nte_run, one_cell_populations({{"S", train(nte_ref, n, "source")},
                                           {"T", train(nte_ref, n, "target")}},
                                          n["window"][1].get<double>()));

    for (const fs::path& run : {granger_run, nte_run}) {
        const auto r = run_shell(quote(M1ANALYZE_BIN) + " " + quote(run.string()) +
                                     " --mode netpyne --only granger,nte --no-plots",
                                 dir.path());
        ASSERT_EQ(r.status, 0) << r.err;
    }
    const analysis_result granger_back = read_analysis(granger_run);
    ASSERT_EQ(granger_back.granger.size(), 2u);
    const m1::analysis::granger_result& xy = granger_back.granger[0].result;  // X__Y
    const auto fxy = g["f_xy"].get<std::vector<double>>();
    ASSERT_EQ(xy.freq_hz, g["freq_hz"].get<std::vector<double>>());
    ASSERT_EQ(xy.f_xy.size(), fxy.size());
    // 1e-6 relative: the tolerance of the Granger reference test (test_granger.cpp), whose worst
    // measured difference is ~1e-14 (Eigen against NumPy's LAPACK).
    for (std::size_t i = 0; i < fxy.size(); ++i)
        EXPECT_NEAR(xy.f_xy[i], fxy[i], 1e-6 * std::abs(fxy[i])) << "at " << xy.freq_hz[i] << " Hz";
    const analysis_result nte_result = read_analysis(nte_run);
    ASSERT_EQ(nte_result.nte.size(), 2u);
    EXPECT_EQ(nte_result.nte[0][1], n["nte"].get<double>());  // bit for bit, as test_transfer_entropy
}

}  // namespace

// The sweep path analyses a run from its record in memory (trains_of) and records the digest
// write_run returns: the same trains as read back from the run file, the digest of its bytes.
TEST(run_analysis_from_record, equals_the_analysis_of_the_run_file) {
    temporary_directory dir("from-record");
    m1::run_config config;
    config.model = M1_SOURCE_DIR "/configs/models/m1_2017.json";
    config.output = dir.path();
    config.scale = 0.05;
    config.duration = 200;
    m1::simulated_run run = m1::simulate(config, m1::effective_model(config), nullptr);
    const std::string digest = m1::write_run(config, run);
    const fs::path run_file = m1::run_file_of(config);
    EXPECT_EQ(digest, m1::sha256_hex(m1::read_bytes(run_file)));

    const run_trains memory = trains_of(run.record), file = load_trains(run_file);
    ASSERT_EQ(memory.populations.size(), file.populations.size());
    for (std::size_t p = 0; p < file.populations.size(); ++p) {
        const auto &a = memory.populations[p], &b = file.populations[p];
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.cells, b.cells);
        EXPECT_EQ(a.mean_ynorm, b.mean_ynorm);
        EXPECT_EQ(a.times, b.times);
        EXPECT_EQ(a.node_ids, b.node_ids);
    }
    EXPECT_GT(run.summary.spikes, 0u);
    EXPECT_EQ(memory.duration_ms, file.duration_ms);
    ASSERT_TRUE(memory.lfp && file.lfp);
    EXPECT_EQ(memory.lfp->ampa, file.lfp->ampa);
    EXPECT_EQ(memory.lfp->gaba, file.lfp->gaba);
    EXPECT_EQ(memory.lfp->cells, file.lfp->cells);

    // Written with the digest, the analysis is this run file's (recorded_params finds it).
    const analysis_params params = rates_only();
    write_analysis(run_file, analyze(memory, params), params, digest);
    EXPECT_EQ(recorded_params(run_file), params.to_json());
}
