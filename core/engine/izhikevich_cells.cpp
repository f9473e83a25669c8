#include "core/engine/izhikevich_cells.hpp"

#include <algorithm>

namespace m1 {

namespace {
constexpr double pi = 3.14159265358979323846;  // NEURON's PI
}  // namespace

izhikevich_cells::izhikevich_cells(const recipe& r, const network& net, double dt)
    : cells(net.gid_of_slot.size()), groups((cells + group_size - 1) / group_size),
      padded(padded_cells(cells)) {
    size_arrays();
    for (std::size_t s = 0; s < padded; ++s) {
        const gid_type gid = net.gid_of_slot[std::min(s, cells - 1)];
        const izhikevich_params& z = r.izhikevich_of(gid);
        set_parameters(s, z, r.threshold());
        set_tree(s, r.geometry_of(gid), dt);
        // finitialize: every node at v_init; the Izhi2007b INITIAL sets u = 0.2*vr and its t = 0
        // self-event sets the soma node to vr.
        v_root[s] = v_end[s] = r.v_init_of(gid);
        v_soma[s] = z.vr;
        u[s] = 0.2 * z.vr;
    }
}

void izhikevich_cells::size_arrays() {
    auto sized = [&](auto& v, auto value) { v.assign(padded, value); };
    for (auto* v : {&C, &k, &vr, &vt, &vpeak, &a, &b, &c, &d, &Iin, &threshold, &point_factor,
                    &cap_d, &A_s, &B_s, &A_e, &B_e, &solve_pe, &v_root, &v_soma, &v_end, &u})
        sized(*v, 0.0);
    sized(celltype, std::uint8_t{1});
    sized(fs_mask, 0.0);
    sized(peak_u, 0.0);
    sized(b_above, 0.0);
    sized(b_below, 0.0);
    sized(spike_flag, std::uint8_t{0});
    sized(watch_flag, std::uint8_t{0});
}

void izhikevich_cells::set_parameters(std::size_t s, const izhikevich_params& z,
                                      double threshold_mv) {
    C[s] = z.C; k[s] = z.k; vr[s] = z.vr; vt[s] = z.vt; vpeak[s] = z.vpeak;
    a[s] = z.a; b[s] = z.b; c[s] = z.c; d[s] = z.d; Iin[s] = z.Iin;
    celltype[s] = static_cast<std::uint8_t>(z.celltype);
    fs_mask[s] = z.celltype == 5 ? 1.0 : 0.0;
    peak_u[s] = z.celltype == 4 ? -0.1 : z.celltype == 6 ? 0.1 : 0.0;
    b_above[s] = z.celltype == 6 ? 0 : z.celltype == 7 ? 2 : z.b;
    b_below[s] = z.celltype == 6 ? 15 : z.celltype == 7 ? 10 : z.b;
    threshold[s] = threshold_mv;
}

// treeset.cpp nrn_area_ri and connection_coef for one section of one segment: the soma node s
// between the zero-area (area 100) root node r and end node e.
void izhikevich_cells::set_tree(std::size_t s, const soma_geometry& g, double dt) {
    const double dx = g.L;
    const double area = pi * g.diam * dx;
    const double rleft = 1e-2 * g.Ra * (dx / 2) / (pi * g.diam * g.diam / 4.);
    const double rinv = 1. / rleft;
    B_s[s] = -1.e2 * rinv / area;
    A_s[s] = -1.e2 * rinv / 1.e2;
    B_e[s] = -1.e2 * rinv / 1.e2;
    A_e[s] = -1.e2 * rinv / area;
    point_factor[s] = 1.e2 / area;
    solve_pe[s] = A_e[s] / (0.0 - B_e[s]);  // triang's first pivot ratio, the same every step
    cap_d[s] = (.001 / dt) * g.cm;
}

}  // namespace m1
