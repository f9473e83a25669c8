// Micro-benchmarks of the analysis layer (Google Benchmark):
//   BM_DelayedTePair/<spikes>   delayed_transfer_entropy of one ordered pair, 1 s, 30 surrogates,
//                               source and target of <spikes> spikes each
//   BM_DelayedTeFullModel/<t>   the 13 x 13 matrix (156 ordered pairs) of a full-scale 1 s run
//                               (~225,000 spikes, populations from 60,000 to 500), on t threads as
//                               analyze() runs it (tbb::parallel_for over the pairs)
// Poisson populations: the estimator's cost depends on the bins and spike counts, not on what
// the spikes mean.
#include "analysis/transfer_entropy.hpp"
#include "core/base/random.hpp"

#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <vector>

namespace {

using namespace m1::analysis;

std::vector<double> poisson(std::uint32_t id, double spikes_per_s, double stop_ms) {
    m1::random_stream s(id, 0x62656e63u /* "benc" */, 1);
    std::vector<double> t;
    const double isi = 1000.0 / spikes_per_s;
    for (double now = s.negexp(isi); now < stop_ms; now += s.negexp(isi)) t.push_back(now);
    return t;
}

void BM_DelayedTePair(benchmark::State& state) {
    const auto x = poisson(1, double(state.range(0)), 1000), y = poisson(2, double(state.range(0)), 1000);
    for (auto _ : state) benchmark::DoNotOptimize(delayed_transfer_entropy(x, y, {0, 1000}, nte_params{}));
}
BENCHMARK(BM_DelayedTePair)->Arg(500)->Arg(5000)->Arg(60000)->Unit(benchmark::kMicrosecond);

void BM_DelayedTeFullModel(benchmark::State& state) {
    const double spikes[13] = {60000, 45000, 30000, 25000, 20000, 15000, 10000, 8000, 5000, 3000, 2000, 1500, 500};
    std::vector<std::vector<double>> pops;
    for (std::uint32_t p = 0; p < 13; ++p) pops.push_back(poisson(100 + p, spikes[p], 1000));
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, std::size_t(state.range(0)));
    std::vector<double> z(13 * 13);
    for (auto _ : state) {
        tbb::parallel_for(std::size_t(0), z.size(), [&](std::size_t k) {
            if (k / 13 != k % 13) z[k] = delayed_transfer_entropy(pops[k / 13], pops[k % 13], {0, 1000}, nte_params{}).z;
        });
        benchmark::DoNotOptimize(z.data());
    }
}
BENCHMARK(BM_DelayedTeFullModel)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
