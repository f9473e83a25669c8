COMMENT
Izhi2007b -- the Izhikevich (2007) "simple model" as a NEURON point process, for the m1batch
validation suite (tests/validation). It is the reference m1batch's single-cell results are
compared against.

Provenance: written for m1batch from the published equations (E. M. Izhikevich, "Dynamical
Systems in Neuroscience", MIT Press 2007, ch. 8) and from the behaviour specified in
docs/SEMANTICS.md section 2. It is NOT a copy of any third-party .mod file. The
izhi2007b.mod of OpenSourceBrain/M1NetworkModel (the mechanism the M1 model uses) was read only to
confirm behaviour: the public interface (names below), which variables the current block and the
event block change and in which order, and the laws of celltypes 3, 6 and 7.

Model (units as NEURON sees them: v mV, t ms, i nA):
    C dv/dt = k (v - vr)(v - vt) - u + Iin          (C in "pF-like" units, see below)
    du/dt   = a (U(v) - u)
    spike when v > vpeak  ->  reset (celltype specific)
The mechanism contributes the outward current
    i = -(k (v - vr)(v - vt) - u + Iin) / C / 1000   (nA)
to its section, so the section's capacitance (cm * area) and C together set the time scale:
with the M1 2017 soma (diam = L = 10 um, cm = 31.831 uF/cm2, C_m = 0.1 nF) C = 1 is 100 pF.

celltype   cell (book figure)                       U(v)                       spike / reset
   1       RS, L5 regular spiking (8.12)            b (v - vr)                 v > vpeak / v = c, u += d
   2       IB, L5 intrinsically bursting (8.19)     b (v - vr)                 as 1
   3       CH, chattering (8.23)                    b (v - vr)                 as 1
   4       LTS, low-threshold spiking (8.25)        b (v - vr)                 v > vpeak - 0.1 u /
                                                                               v = c + 0.04 u, u = min(u + d, 670)
   5       FS, fast spiking (8.27), d = v_b         0 if v < d,                v > vpeak / v = c (u unchanged)
                                                    0.025 (v - d)^3 otherwise
   6       TC, thalamocortical (8.31)               b (v - vr), b = 0 if       v > vpeak + 0.1 u /
                                                    v > -65 else 15            v = c - 0.1 u, u += d
   7       RTN, reticular thalamic (8.32)           b (v - vr), b = 2 if       as 1
                                                    v > -65 else 10
   other   -                                        u is left constant         as 1
Celltypes 1, 2, 4 and 5 are the ones the M1 model uses and the ones the validation cases cover.
Celltypes 3, 6 and 7 follow the M1 model's original mechanism (confirmed by reading it); they are
not exercised by any case. For 6 and 7 the b switch is evaluated where u is updated (the current
block), overwriting the parameter b, as in the original; the original's extra WATCH(v > -65) and
WATCH(v < -65) events only re-set b, which the current block sets again before using it, so they
are omitted here.

Numerics (what SEMANTICS.md section 6 relies on): u is not a STATE. It is advanced by explicit
Euler in the current block with the time elapsed since the previous evaluation, delta = t - t0.
With NEURON's fixed step the current is evaluated twice per step (at v + 0.001 and at v, both at
t + dt/2), so u moves once per step (by dt; by dt/2 in the first step), using v + 0.001.

Initialisation: INITIAL sets u = 0.2 vr and sends a self event (flag 1) at t = 0. Its delivery,
still inside finitialize, installs the WATCH conditions and sets v = vr. Unlike the original
mechanism, INITIAL also sets t0 = t (= 0): in the original, t0 keeps its value from a previous
run in the same process, so a second finitialize applies one update with delta = -(previous
stop time). For a first run (t0 starts at 0) the two are identical.

The FS WATCHes (v > d -> flag 3, v < d -> flag 4) only toggle derivtype, which nothing uses;
they are kept because the original has them (the validation checks that they are harmless).
ENDCOMMENT

NEURON {
    POINT_PROCESS Izhi2007b
    RANGE C, k, vr, vt, vpeak, u, a, b, c, d, Iin, celltype, alive, cellid
    RANGE derivtype, delta, t0
    NONSPECIFIC_CURRENT i
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
}

PARAMETER {
    : defaults: the book's RS cell with C in pF (the 2016 geometry); the M1 model sets them all
    C = 100
    k = 0.7
    vr = -60 (mV)
    vt = -40 (mV)
    vpeak = 35 (mV)
    a = 0.03
    b = -2
    c = -50 (mV)
    d = 100
    Iin = 0
    celltype = 1
    alive = 1      : 0: the cell integrates and resets but emits no net_event
    cellid = -1    : free label for diagnostics
}

ASSIGNED {
    v (mV)
    i (nA)
    u (mV)         : recovery variable
    delta (ms)     : time since the previous current evaluation
    t0 (ms)        : time of the previous current evaluation
    derivtype      : FS only: 1 above v_b, 2 below (diagnostic, no effect)
}

INITIAL {
    u = 0.2*vr
    t0 = t
    derivtype = 2
    net_send(0, 1)
}

BREAKPOINT {
    delta = t - t0
    if (celltype < 5) {
        u = u + delta*a*(b*(v - vr) - u)
    } else if (celltype == 5) {
        if (v < d) {
            u = u + delta*a*(0 - u)
        } else {
            u = u + delta*a*((0.025*(v - d)*(v - d)*(v - d)) - u)
        }
    } else if (celltype == 6 || celltype == 7) {
        if (celltype == 6) {
            if (v > -65) { b = 0 } else { b = 15 }
        } else {
            if (v > -65) { b = 2 } else { b = 10 }
        }
        u = u + delta*a*(b*(v - vr) - u)
    }
    t0 = t
    i = -(k*(v - vr)*(v - vt) - u + Iin)/C/1000
}

NET_RECEIVE (w) {
    if (flag == 1) {
        : t = 0 self event from INITIAL: arm the spike condition, start at rest
        if (celltype == 4) {
            WATCH (v > (vpeak - 0.1*u)) 2
        } else if (celltype == 6) {
            WATCH (v > (vpeak + 0.1*u)) 2
        } else {
            WATCH (v > vpeak) 2
        }
        if (celltype == 5) {
            WATCH (v > d) 3
            WATCH (v < d) 4
        }
        v = vr
    } else if (flag == 2) {
        : the spike peak is reached: emit and reset
        if (alive) {
            net_event(t)
        }
        if (celltype == 4) {
            v = c + 0.04*u
            if ((u + d) < 670) {
                u = u + d
            } else {
                u = 670
            }
        } else if (celltype == 5) {
            v = c
        } else if (celltype == 6) {
            v = c - 0.1*u
            u = u + d
        } else {
            v = c
            u = u + d
        }
    } else if (flag == 3) {
        derivtype = 1
    } else if (flag == 4) {
        derivtype = 2
    }
    : flag 0 (an event from a NetCon) has no effect
}
