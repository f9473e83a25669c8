#pragma once
// One step of one group of cells: the currents at t_n + dt/2 and the implicit step to t_{n+1},
// with NEURON's arithmetic to the bit, in the widest vector unit the processor has.
#include "core/engine/izhikevich_cells.hpp"
#include "core/engine/synapse_lanes.hpp"

namespace m1 {

// Advances the group starting at slot lo by one step: `delta` is Izhi2007b's t - t0, `input` the
// step's network and stimulation input (lane m at input[m * group_size]; cleared here, the block
// being clean for the next epoch), clamp_rhs and clamp_diag the current clamps' share.
using cell_step_fn = void (*)(izhikevich_cells& cells, synapse_lanes& lanes, std::size_t lo,
                              double delta, double* input, const double* clamp_rhs,
                              const double* clamp_diag);

// The widest of SSE2, AVX2 and AVX-512 the processor has; M1BATCH_SIMD=sse2|avx2|avx512 narrows
// it (the spikes are the same either way, which the tests check).
cell_step_fn widest_cell_step();

}  // namespace m1
