// Micro-benchmarks of the engine's parts (Google Benchmark):
//   BM_CellUpdate       the full model's cells with no connections (background stimulation only),
//                       100 ms: the cost of advancing cells, in cell-steps per second;
//   BM_SpikeDelivery    the connected model at scale 0.1, 100 ms: spikes and synaptic events;
//   BM_Uniform01Block   m1::uniform01_block (one Philox4x32-10 evaluation, four draws);
//   BM_Normal           random_stream::normal (Marsaglia polar, as NEURON's gnu/Normal);
//   BM_BuildNetwork     recipe + build_network at scale 0.1.
// Simulation benchmarks use manual time: the engine's own integration-loop wall time
// (simulation_result::simulate_seconds), so set-up is not counted.
#include "core/engine/network.hpp"
#include "core/base/random.hpp"
#include "core/engine/recipe.hpp"
#include "core/run/run.hpp"
#include "core/engine/simulation.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

namespace {

const std::string model_path = M1_SOURCE_DIR "/configs/models/m1_2017.json";

// The model at `scale` (M1.py's scaling, as a run configuration's `scale` applies it).
m1::model_spec scaled_model(double scale) {
    m1::run_config config;
    config.file = "bench_engine";
    config.model = model_path;
    config.scale = scale;
    return m1::effective_model(config);
}

// A model with its recipe and network, built once per process and kept (recipe refers to model).
struct built {
    m1::model_spec model;
    std::unique_ptr<m1::recipe> recipe;
    m1::network net;

    explicit built(m1::model_spec m) : model(std::move(m)) {
        recipe = std::make_unique<m1::recipe>(model);
        net = m1::build_network(*recipe);
    }
};

const built& unconnected_full() {
    static const built b = [] {
        m1::model_spec m = m1::load_model(model_path);
        m.connectivity_rules.clear();  // background stimulation (stimTargetParams) stays
        return built(std::move(m));
    }();
    return b;
}

const built& connected_tenth() {
    static const built b(scaled_model(0.1));
    return b;
}

constexpr double bench_duration_ms = 100;

// One simulation of `bench_duration_ms` on a built network; the benchmark times its loop only.
m1::simulation_result simulate(const built& b, benchmark::State& state) {
    m1::simulation_options options;
    options.duration = bench_duration_ms;
    options.dt = b.model.sim.dt;
    m1::execution threads(static_cast<std::size_t>(state.range(0)));
    m1::simulation sim(*b.recipe, b.net, options, threads);
    m1::simulation_result result = sim.run();
    state.SetIterationTime(result.simulate_seconds);
    return result;
}

void BM_CellUpdate(benchmark::State& state) {
    const built& b = unconnected_full();
    const std::size_t cells = b.net.gid_of_slot.size();
    std::uint64_t cell_steps = 0, spikes = 0;
    for (auto _ : state) {
        const m1::simulation_result result = simulate(b, state);
        cell_steps += cells * result.steps;
        spikes += result.spikes.size();
        benchmark::DoNotOptimize(result.spikes.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(cell_steps));
    state.counters["cells"] = static_cast<double>(cells);
    state.counters["cell_steps/s"] =
        benchmark::Counter(static_cast<double>(cell_steps), benchmark::Counter::kIsRate);
    state.counters["spikes/iter"] = benchmark::Counter(
        static_cast<double>(spikes), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_CellUpdate)->Arg(1)->Arg(2)->Iterations(2)->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_SpikeDelivery(benchmark::State& state) {
    const built& b = connected_tenth();
    const auto& offsets = b.net.synapses.wiring->offsets;
    const std::size_t cells = b.net.gid_of_slot.size();
    std::uint64_t spikes = 0, events = 0, cell_steps = 0;
    for (auto _ : state) {
        const m1::simulation_result result = simulate(b, state);
        spikes += result.spikes.size();
        for (const m1::spike& s : result.spikes) events += offsets[s.gid + 1] - offsets[s.gid];
        cell_steps += cells * result.steps;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
    state.counters["cells"] = static_cast<double>(cells);
    state.counters["synapses"] = static_cast<double>(b.net.synapses.size());
    state.counters["spikes/iter"] =
        benchmark::Counter(static_cast<double>(spikes), benchmark::Counter::kAvgIterations);
    state.counters["events/iter"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kAvgIterations);
    state.counters["spikes/s"] =
        benchmark::Counter(static_cast<double>(spikes), benchmark::Counter::kIsRate);
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
    state.counters["cell_steps/s"] =
        benchmark::Counter(static_cast<double>(cell_steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SpikeDelivery)->Arg(1)->Arg(2)->Iterations(2)->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_Uniform01Block(benchmark::State& state) {
    double out[4];
    std::uint64_t block = 0;
    double sum = 0;
    for (auto _ : state) {
        m1::uniform01_block(12345, 678, 9, block++, out);
        sum += out[0] + out[3];
        benchmark::DoNotOptimize(out);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 4);
    state.counters["draws/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 4,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Uniform01Block)->MinTime(0.2);

void BM_Normal(benchmark::State& state) {
    m1::random_stream stream(12345, 678, 9);
    double sum = 0;
    for (auto _ : state) {
        sum += stream.normal(0.0, 1.0);
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["draws/normal"] = static_cast<double>(stream.position()) /
                                     static_cast<double>(state.iterations());
}
BENCHMARK(BM_Normal)->MinTime(0.2);

void BM_BuildNetwork(benchmark::State& state) {
    const m1::model_spec model = scaled_model(0.1);
    std::uint64_t synapses = 0, cells = 0;
    for (auto _ : state) {
        m1::recipe r(model);
        m1::network net = m1::build_network(r);
        synapses = net.synapses.size();
        cells = r.num_cells();
        benchmark::DoNotOptimize(net.synapses.wiring->post_slot.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(synapses * state.iterations()));
    state.counters["cells"] = static_cast<double>(cells);
    state.counters["synapses"] = static_cast<double>(synapses);
    state.counters["synapses/s"] = benchmark::Counter(
        static_cast<double>(synapses * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BuildNetwork)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
