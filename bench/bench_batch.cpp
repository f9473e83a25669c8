// Micro-benchmarks of the batch layer (Google Benchmark):
//   BM_ExpandSweep/<runs>   expand_sweep of a grid of the full model: run ids (SHA-256 of each
//                           run's canonical effective model), in parallel
//   BM_NetworkFresh         the full model's recipe + build_network (what a run without reuse pays)
//   BM_NetworkReused        the recipe + a cached network copied and reweighted (what a run that
//                           differs only in weights pays instead)
// The whole-sweep benchmark (batch overhead, jobs x threads splits) is sweep_throughput.sh.
#include "core/engine/network.hpp"
#include "core/engine/recipe.hpp"
#include "core/run/run.hpp"
#include "batch/pagmo_search.hpp"
#include "batch/search_algorithm.hpp"
#include "batch/sweep.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

const std::string model_path = M1_SOURCE_DIR "/configs/models/m1_2017.json";

// A grid of n x n points over two weights of the full model.
std::filesystem::path grid_file(int n) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("m1-bench-sweep-" + std::to_string(::getpid()) + "-" + std::to_string(n) + ".toml");
    std::ofstream out(path);
    out << "model = \"" << model_path << "\"\noutput = \"unused\"\n[sweep]\n";
    for (const char* p : {"/netParams/scaleConnWeight", "/netParams/ItoIweight"}) {
        out << "[[sweep.param]]\npath = \"" << p << "\"\nvalues = [";
        for (int i = 0; i < n; ++i) out << (i ? ", " : "") << 0.0001 * (i + 1);
        out << "]\n";
    }
    return path;
}

void BM_ExpandSweep(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const auto file = grid_file(n);
    const m1::batch::sweep_spec sweep = m1::batch::load_sweep(file);
    std::filesystem::remove(file);
    std::size_t runs = 0;
    for (auto _ : state) runs = m1::batch::expand_sweep(sweep, 1000000).size();
    state.SetItemsProcessed(static_cast<std::int64_t>(runs * state.iterations()));
    state.counters["runs"] = static_cast<double>(runs);
}
BENCHMARK(BM_ExpandSweep)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

m1::model_spec full_model(double scale_conn_weight) {
    const m1::json_document doc = m1::json_document::read_file(model_path);
    nlohmann::ordered_json changed = doc.root();
    changed["netParams"]["scaleConnWeight"] = scale_conn_weight;
    return m1::parse_effective_model(doc, std::move(changed));
}

void BM_NetworkFresh(benchmark::State& state) {
    const m1::model_spec model = full_model(0.0004);
    for (auto _ : state) {
        m1::recipe r(model);
        m1::network net = m1::build_network(r);
        benchmark::DoNotOptimize(net.synapses.weight.data());
    }
}
BENCHMARK(BM_NetworkFresh)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_NetworkReused(benchmark::State& state) {
    const m1::model_spec first = full_model(0.0003), second = full_model(0.0004);
    m1::network_cache cache(1);
    {
        m1::recipe r(first);
        cache.store(m1::connectivity_key(first),
                    std::make_shared<const m1::network>(m1::build_network(r)));
    }
    for (auto _ : state) {
        m1::recipe r(second);
        const m1::network net = m1::reweighted(*cache.find(m1::connectivity_key(second)), r);
        benchmark::DoNotOptimize(net.synapses.weight.data());
    }
}
BENCHMARK(BM_NetworkReused)->Unit(benchmark::kMillisecond)->UseRealTime();

// The optimiser's own time per generation (ask, then tell; sphere fitness): what a search adds to
// its runs besides reading their analyses.
void BM_CmaesGeneration(benchmark::State& state) {
    const auto dimension = static_cast<std::size_t>(state.range(0));
    auto cmaes = m1::batch::make_cmaes(dimension, 16, 1);
    for (auto _ : state) {
        const auto candidates = cmaes->ask();
        std::vector<double> fitness;
        for (const auto& x : candidates) {
            double f = 0;
            for (double v : x) f += (v - 0.3) * (v - 0.3);
            fitness.push_back(f);
        }
        cmaes->tell(fitness);
    }
}
BENCHMARK(BM_CmaesGeneration)->Arg(4)->Arg(10)->Arg(20)->Unit(benchmark::kMicrosecond);

// pagmo's pso_gen and nsga2 are replayed from the seed (batch/pagmo_search.hpp): generation g costs
// pagmo's work for all g generations so far. Arguments: the generation asked (16 candidates,
// 5 parameters; nsga2 with 13 objectives, the M1 rates), against a budget of 200 generations.
void pagmo_generation(benchmark::State& state, bool nsga2) {
    const auto generation = static_cast<std::size_t>(state.range(0));
    const std::size_t objectives = nsga2 ? 13 : 1;
    auto a = nsga2 ? m1::batch::make_nsga2(5, 16, objectives, 200, 1) : m1::batch::make_pso(5, 16, 200, 1);
    const auto told = [&](const std::vector<m1::batch::unit_point>& candidates) {
        std::vector<double> f;
        for (const auto& x : candidates)
            for (std::size_t k = 0; k < objectives; ++k) f.push_back(std::abs(x[k % x.size()] - 0.1 * double(k % 7)));
        return f;
    };
    for (std::size_t g = 0; g < generation; ++g) a->tell(told(a->ask()));
    for (auto _ : state) benchmark::DoNotOptimize(a->ask());
}
void BM_PsoGeneration(benchmark::State& state) { pagmo_generation(state, false); }
void BM_Nsga2Generation(benchmark::State& state) { pagmo_generation(state, true); }
BENCHMARK(BM_PsoGeneration)->Arg(25)->Arg(200 - 1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Nsga2Generation)->Arg(25)->Arg(200 - 1)->Unit(benchmark::kMicrosecond);

}  // namespace
