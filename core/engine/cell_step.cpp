#include "core/engine/cell_step.hpp"

// Vectors wider than the baseline are only used inside functions compiled for them.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cstdlib>
#include <cstring>
#include <string_view>

// Every expression keeps NEURON's own form and order (nocmodl's finite-difference conductances,
// treeset.cpp's assembly, solve.cpp's elimination), so the result is NEURON's to the bit. The
// cells go through vector registers side by side (GCC vector extensions: IEEE arithmetic per lane,
// so every width gives the same bits as scalar code): the solve is a chain of four dependent
// divisions per cell, which only many cells at once keep from stalling. The width is chosen at
// run time (SSE2, AVX2 or AVX-512), never at build time.

namespace m1 {

namespace {

template <class v2>
[[gnu::always_inline]] inline v2 load2(const double* p) {
    v2 x;
    std::memcpy(&x, p, sizeof x);
    return x;
}

template <class v2>
[[gnu::always_inline]] inline void store2(double* p, v2 x) {
    std::memcpy(p, &x, sizeof x);
}

// MyExp2SynNMDABB's lane m: this step's events as Exp2Syn's, then its current at v + 0.001 and v
// (nocmodl's finite difference, as for every point process). The Mg block and the GHK force
// need exp() of each cell's own voltage: libm's, cell by cell, which is what NEURON calls. A
// cell without NMDA conductance adds nothing (NEURON adds a signed zero) and costs nothing.
inline void nmda_currents(const izhikevich_cells& cells, synapse_lanes& lanes, std::size_t m,
                          std::size_t lo, double* input, double* rhs, double* diag) {
    const double* vs = cells.v_soma.data() + lo;
    const double* mfact = cells.point_factor.data() + lo;
    double* A = lanes.A.data() + m * lanes.padded + lo;
    double* B = lanes.B.data() + m * lanes.padded + lo;
    double* in = input + m * group_size;
    const nmda_current& current = lanes.nmda_law[m];
    const double smax = lanes.gmax[m];
    for (std::size_t i = 0; i < group_size; ++i) {
        const double x = in[i];
        in[i] = 0;
        A[i] += x;
        B[i] += x;
        double s = B[i] - A[i];
        if (s == 0) continue;
        s = s > smax ? smax : s;
        const double i1 = current(s, vs[i] + .001), i0 = current(s, vs[i]);
        rhs[i] -= i0 * mfact[i];
        diag[i] += ((i1 - i0) / .001) * mfact[i];
    }
}

// Exp2Syn, one lane per mechanism: this step's events (A += w*factor, B += w*factor; adding 0
// changes nothing, A and B never being -0), then i = g*(v - e), conductance by finite difference.
template <class v2>
[[gnu::always_inline]] inline void synaptic_currents(const izhikevich_cells& cells,
                                                     synapse_lanes& lanes, std::size_t lo,
                                                     double* input, double* rhs, double* diag) {
    constexpr std::size_t width = sizeof(v2) / sizeof(double);
    const double* vs = cells.v_soma.data() + lo;
    const double* mfact = cells.point_factor.data() + lo;
    const v2 zero = v2{} + 0.0, milli = zero + .001;
    for (std::size_t m = 0; m < lanes.mechs; ++m) {
        if (lanes.nmda[m]) {
            nmda_currents(cells, lanes, m, lo, input, rhs, diag);
            continue;
        }
        double* A = lanes.A.data() + m * lanes.padded + lo;
        double* B = lanes.B.data() + m * lanes.padded + lo;
        double* in = input + m * group_size;
        const v2 gmax = zero + lanes.gmax[m], e = zero + lanes.e[m];
        for (std::size_t i = 0; i < group_size; i += width) {
            const v2 v = load2<v2>(vs + i), mf = load2<v2>(mfact + i), x = load2<v2>(in + i);
            store2(in + i, zero);  // the block is clean for the next epoch
            const v2 a1 = load2<v2>(A + i) + x, b1 = load2<v2>(B + i) + x;
            store2(A + i, a1);
            store2(B + i, b1);
            v2 g = b1 - a1;
            g = g > gmax ? gmax : g;
            const v2 i1 = g * ((v + milli) - e);
            const v2 i0 = g * (v - e);
            store2(rhs + i, load2<v2>(rhs + i) - i0 * mf);
            store2(diag + i, load2<v2>(diag + i) + ((i1 - i0) / milli) * mf);
        }
    }
}

// Izhi2007b's BREAKPOINT, first at v + 0.001 (u moves, t0 = t), then at v (t - t0 = 0, u stays).
// The recovery law of every celltype is one form, u + delta*a*(target - u).
template <class v2>
[[gnu::always_inline]] inline void izhikevich_currents(izhikevich_cells& z, std::size_t lo,
                                                       double delta, double* rhs, double* diag) {
    constexpr std::size_t width = sizeof(v2) / sizeof(double);
    const double* vs = z.v_soma.data() + lo;
    double* uu = z.u.data() + lo;
    const double* mfact = z.point_factor.data() + lo;
    const v2 zero = v2{} + 0.0, milli = zero + .001;
    const v2 dt_now = zero + delta, cubic_k = zero + 0.025, knee = zero - 65.0,
             thousand = zero + 1000.0;
    for (std::size_t i = 0; i < group_size; i += width) {
        const v2 v = load2<v2>(vs + i), vv = v + milli;
        const v2 u0 = load2<v2>(uu + i), vrr = load2<v2>(z.vr.data() + lo + i),
                 dd = load2<v2>(z.d.data() + lo + i);
        const v2 cubic = cubic_k * (vv - dd) * (vv - dd) * (vv - dd);
        const v2 fs_target = vv < dd ? zero : cubic;
        const v2 b_now = vv > knee ? load2<v2>(z.b_above.data() + lo + i)
                                   : load2<v2>(z.b_below.data() + lo + i);
        const v2 is_fs = load2<v2>(z.fs_mask.data() + lo + i);
        const v2 target = is_fs != zero ? fs_target : b_now * (vv - vrr);
        const v2 u1 = u0 + dt_now * load2<v2>(z.a.data() + lo + i) * (target - u0);
        store2(uu + i, u1);
        const v2 kk = load2<v2>(z.k.data() + lo + i), vtt = load2<v2>(z.vt.data() + lo + i);
        const v2 cc = load2<v2>(z.C.data() + lo + i), in = load2<v2>(z.Iin.data() + lo + i);
        const v2 i1 = -(kk * (vv - vrr) * (vv - vtt) - u1 + in) / cc / thousand;
        const v2 i0 = -(kk * (v - vrr) * (v - vtt) - u1 + in) / cc / thousand;
        const v2 mf = load2<v2>(mfact + i);
        store2(rhs + i, load2<v2>(rhs + i) - i0 * mf);
        v2 dg = load2<v2>(diag + i) + ((i1 - i0) / milli) * mf;
        store2(diag + i, dg + load2<v2>(z.cap_d.data() + lo + i));
    }
}

// The 3-node tree: assemble, triangularise, back-substitute (treeset.cpp, solve.cpp).
template <class v2>
[[gnu::always_inline]] inline void solve_tree(izhikevich_cells& z, std::size_t lo,
                                              const double* rhs, const double* diag) {
    constexpr std::size_t width = sizeof(v2) / sizeof(double);
    double* vs = z.v_soma.data() + lo;
    double* vroot = z.v_root.data() + lo;
    double* vend = z.v_end.data() + lo;
    const v2 zero = v2{} + 0.0;
    for (std::size_t i = 0; i < group_size; i += width) {
        const v2 as = load2<v2>(z.A_s.data() + lo + i), bs = load2<v2>(z.B_s.data() + lo + i);
        const v2 ae = load2<v2>(z.A_e.data() + lo + i), be = load2<v2>(z.B_e.data() + lo + i);
        const v2 v = load2<v2>(vs + i);
        v2 rhs_r = zero, rhs_s = load2<v2>(rhs + i), rhs_e = zero;
        v2 d_r = zero, d_s = load2<v2>(diag + i), d_e = zero;
        v2 dv = load2<v2>(vroot + i) - v;
        rhs_s -= bs * dv;
        rhs_r += as * dv;
        dv = v - load2<v2>(vend + i);
        rhs_e -= be * dv;
        rhs_s += ae * dv;
        d_s = d_s - bs;
        d_r -= as;
        d_e = d_e - be;
        d_s -= ae;
        v2 p = load2<v2>(z.solve_pe.data() + lo + i);  // ae / d_e, with d_e = 0 - be: fixed per cell
        d_s -= p * be;
        rhs_s -= p * rhs_e;
        p = as / d_s;
        d_r -= p * bs;
        rhs_r -= p * rhs_s;
        rhs_r /= d_r;
        rhs_s -= bs * rhs_r;
        rhs_s /= d_s;
        rhs_e -= be * rhs_s;
        rhs_e /= d_e;
        store2(vroot + i, load2<v2>(vroot + i) + rhs_r);
        store2(vs + i, v + rhs_s);
        store2(vend + i, load2<v2>(vend + i) + rhs_e);
    }
}

// States at t_{n+1}: the cnexp decay of Exp2Syn's (and MyExp2SynNMDABB's) A and B.
template <class v2>
[[gnu::always_inline]] inline void decay_synapses(synapse_lanes& lanes, std::size_t lo) {
    constexpr std::size_t width = sizeof(v2) / sizeof(double);
    const v2 zero = v2{} + 0.0;
    for (std::size_t m = 0; m < lanes.mechs; ++m) {
        double* A = lanes.A.data() + m * lanes.padded + lo;
        double* B = lanes.B.data() + m * lanes.padded + lo;
        const v2 f1 = zero + lanes.decay1[m], f2 = zero + lanes.decay2[m];
        for (std::size_t i = 0; i < group_size; i += width) {
            const v2 a1 = load2<v2>(A + i), b1 = load2<v2>(B + i);
            store2(A + i, a1 + f1 * (-a1));
            store2(B + i, b1 + f2 * (-b1));
        }
    }
}

template <class v2>
[[gnu::always_inline]] inline void step_lanes(izhikevich_cells& cells, synapse_lanes& lanes,
                                              std::size_t lo, double delta, double* input,
                                              const double* clamp_rhs, const double* clamp_diag) {
    alignas(64) double rhs[group_size], diag[group_size];
    std::memcpy(rhs, clamp_rhs, sizeof rhs);
    std::memcpy(diag, clamp_diag, sizeof diag);
    synaptic_currents<v2>(cells, lanes, lo, input, rhs, diag);
    izhikevich_currents<v2>(cells, lo, delta, rhs, diag);
    solve_tree<v2>(cells, lo, rhs, diag);
    decay_synapses<v2>(lanes, lo);
}

// One instance of the arithmetic per instruction set.
using lanes2 = double __attribute__((vector_size(16)));
using lanes4 = double __attribute__((vector_size(32)));
using lanes8 = double __attribute__((vector_size(64)));

void step_sse2(izhikevich_cells& cells, synapse_lanes& lanes, std::size_t lo, double delta,
               double* input, const double* clamp_rhs, const double* clamp_diag) {
    step_lanes<lanes2>(cells, lanes, lo, delta, input, clamp_rhs, clamp_diag);
}

__attribute__((target("avx2"))) void step_avx2(izhikevich_cells& cells, synapse_lanes& lanes,
                                               std::size_t lo, double delta, double* input,
                                               const double* clamp_rhs, const double* clamp_diag) {
    step_lanes<lanes4>(cells, lanes, lo, delta, input, clamp_rhs, clamp_diag);
}

__attribute__((target("avx512f"))) void step_avx512(izhikevich_cells& cells, synapse_lanes& lanes,
                                                    std::size_t lo, double delta, double* input,
                                                    const double* clamp_rhs,
                                                    const double* clamp_diag) {
    step_lanes<lanes8>(cells, lanes, lo, delta, input, clamp_rhs, clamp_diag);
}

}  // namespace

cell_step_fn widest_cell_step() {
    const char* want = std::getenv("M1BATCH_SIMD");
    const std::string_view choice = want ? want : "";
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && (choice.empty() || choice == "avx512"))
        return &step_avx512;
    if (__builtin_cpu_supports("avx2") &&
        (choice.empty() || choice == "avx512" || choice == "avx2"))
        return &step_avx2;
    return &step_sse2;
}

}  // namespace m1
