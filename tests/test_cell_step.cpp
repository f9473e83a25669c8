// One step of a group of cells: every vector width gives the same bits, and the step consumes
// the input it reads.
#include "core/engine/cell_step.hpp"
#include "engine_test_models.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace {

// 64 cells driven by a VecStim cell.
struct group : m1::test::cells_and_lanes {
    group()
        : m1::test::cells_and_lanes(m1::test::model_with(
              R"("src": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [1]},
                 "E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 64})",
              R"(, "connParams": {"in": {"preConds": {"pop": "src"}, "postConds": {"pop": "E"},
                  "synMech": "AMPA", "weight": 0.002, "delay": 1}})")) {}
};

// The same through MyExp2SynNMDABB, whose current is computed cell by cell.
struct nmda_group : m1::test::cells_and_lanes {
    nmda_group()
        : m1::test::cells_and_lanes(m1::test::model_with(
              R"("src": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [1]},
                 "E": {"cellModel": "Izhi", "cellType": "RS", "numCells": 64})",
              R"(, "synMechParams": {"NMDA": {"mod": "MyExp2SynNMDABB"}},
                 "connParams": {"in": {"preConds": {"pop": "src"}, "postConds": {"pop": "E"},
                  "synMech": "NMDA", "weight": 0.002, "delay": 1}})")) {}
};

// The soma voltages after 200 steps with SIMD choice `simd`, each cell given its own input.
template <class Group = group>
std::vector<double> after_steps(const char* simd) {
    setenv("M1BATCH_SIMD", simd, 1);
    const m1::cell_step_fn step = m1::widest_cell_step();
    unsetenv("M1BATCH_SIMD");
    Group g;
    double rhs[m1::group_size] = {}, diag[m1::group_size] = {};
    for (std::size_t n = 0; n < 200; ++n) {
        double input[m1::group_size];
        for (std::size_t i = 0; i < m1::group_size; ++i) input[i] = n == 10 ? 0.01 * double(i) : 0;
        step(g.cells, g.lanes, 0, 0.05, input, rhs, diag);
        for (double x : input) EXPECT_EQ(x, 0.0) << "the step clears its input";
    }
    return g.cells.v_soma;
}

}  // namespace

TEST(CellStep, EveryVectorWidthGivesTheSameBits) {
    const std::vector<double> sse2 = after_steps("sse2");
    EXPECT_NE(sse2[0], sse2[63]) << "different inputs, different cells";
    for (const char* simd : {"avx2", "avx512"}) {
        const std::vector<double> v = after_steps(simd);
        EXPECT_EQ(std::memcmp(v.data(), sse2.data(), v.size() * sizeof(double)), 0) << simd;
    }
}

TEST(CellStep, NmdaGivesTheSameBitsAtEveryWidthAndDepolarises) {
    const std::vector<double> sse2 = after_steps<nmda_group>("sse2");
    const std::vector<double> quiet = after_steps<group>("sse2");
    EXPECT_NE(sse2[0], sse2[63]) << "different inputs, different cells";
    EXPECT_GT(sse2[63], quiet[63]) << "an NMDA event depolarises more than an AMPA one of its weight";
    for (const char* simd : {"avx2", "avx512"}) {
        const std::vector<double> v = after_steps<nmda_group>(simd);
        EXPECT_EQ(std::memcmp(v.data(), sse2.data(), v.size() * sizeof(double)), 0) << simd;
    }
}
