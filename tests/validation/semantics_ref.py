#!/usr/bin/python3
"""A plain-Python transcription of docs/SEMANTICS.md sections 2, 3 and 6 for one cell.

It integrates a validation case (as described by neuron_run.describe_case) the way the document
says NEURON does -- the 3-node tree solve, the two current evaluations per step, event delivery at
step boundaries -- in IEEE double arithmetic with NEURON's expression forms. The self-check
(selfcheck.py) compares its spike times and voltage trace with NEURON's, bit for bit: this is
what "NEURON reproduces SEMANTICS.md" means in the suite, and a reference m1batch's engine
developers can step through.

It also covers the slow NMDA synapse MyExp2SynNMDABB (tests/validation/myexp2synnmdabb.mod, not
in SEMANTICS.md; docs/validation.md): like every point-process current, i = iNMDA + ica is
evaluated at v + 0.001 and at v, g = (i(v + .001) - i(v))/.001, both scaled by 1e2/area; its
states decay by cnexp after the solve; an event adds (factor2*w)*r to A2 and B2. Per node the
currents are added in mechanism type order (IClamp 7, Exp2Syn 10, ca_ion 24 which adds nothing,
MyExp2SynNMDABB 25, Izhi2007b 26 in the validation library, whose mods are registered in that
order), the instances of one type newest first.

Layouts (simulate's arguments): NEURON's own -- one instance per connection in any creation
order, or one shared per synMech -- each bit-identical to NEURON run the same way; and m1batch's:
one state per synMech whose events of a step are summed first and then added once (A + (x1 + x2)
where NEURON's NET_RECEIVE gives (A + x1) + x2). NEURON computes that order only in neuron_run's
'merged' layout (a step's two equal-weight events of a synMech delivered as one event of weight
2w: A + 2x exactly), and the self-check finds it bit-identical to this layout on every case.
compare.py holds m1batch to this layout bit for bit (its "sharp check"); m1batch's spikes are
compared with NEURON itself for acceptance.
"""

import bisect
import math

PI = 3.14159265358979323846  # NEURON's PI
RA_DEFAULT = 35.4            # NEURON's default axial resistivity (ohm cm)
ZERO_AREA = 1.0e2            # NEURON's area for the zero-area nodes (um2)
V_INIT = -65.0
THRESHOLD = 10.0
TEPS = 1e-10                 # threshold crossings are stamped t_n + 1e-10


class Exp2Syn:
    """NEURON's exp2syn.mod (cnexp), one instance per connection."""

    def __init__(self, tau1, tau2, e):
        if tau1 / tau2 > .9999:
            tau1 = .9999 * tau2
        self.tau1, self.tau2, self.e = tau1, tau2, e
        tp = (tau1 * tau2) / (tau2 - tau1) * math.log(tau2 / tau1)
        factor = -math.exp(-tp / tau1) + math.exp(-tp / tau2)
        self.factor = 1 / factor
        self.A = 0.0
        self.B = 0.0

    def receive(self, weight):
        self.A = self.A + weight * self.factor
        self.B = self.B + weight * self.factor

    # m1batch (synapse_lanes::event_input, cell_step.cpp): an event's share of a step's input is
    # weight * factor * event_scale, event_scale 1 for Exp2Syn; the step's input is added once
    def event_input(self, weight):
        return weight * self.factor * 1.0

    def add_input(self, x):
        self.A = self.A + x
        self.B = self.B + x

    def current(self, v):
        g = self.B - self.A
        return g * (v - self.e)

    def decay(self, dt):
        # nocmodl's cnexp form: A = A + (1. - exp(dt*((-1.0)/tau1)))*(-(0.0)/((-1.0)/tau1) - A)
        self.A = self.A + (1. - math.exp(dt * ((-1.0) / self.tau1))) * (-(0.0) / ((-1.0) / self.tau1) - self.A)
        self.B = self.B + (1. - math.exp(dt * ((-1.0) / self.tau2))) * (-(0.0) / ((-1.0) / self.tau2) - self.B)


# nrnunits.lib's constants as nocmodl 8.2.2 writes them into the generated C (modern units, the
# default: h.nrnunit_use_legacy() == 0): FARADAY = 96485.33212331001 C/mol,
# R = 8.31446261815324 J/(mol K)
FARADAY = float.fromhex("0x1.78e555060882cp+16")
R_GAS = float.fromhex("0x1.0a1013e8990bep+3")
# what a case sees when nothing sets them: NEURON's defaults
CELSIUS = 6.3        # h.celsius (NetPyNE's hParams default too)
CAI0 = 5e-5          # h.cai0_ca_ion (mM)
CAO0 = 2.0           # h.cao0_ca_ion (mM)
FRACCA = 0.13        # GLOBAL fracca_MyExp2SynNMDABB


class NMDA:
    """MyExp2SynNMDABB (tests/validation/myexp2synnmdabb.mod), in nocmodl's expression forms."""

    def __init__(self, tau1NMDA=15.0, tau2NMDA=150.0, e=0.0, r=1.0, sNMDAmax=1e9,
                 fracca=FRACCA, cai=CAI0, cao=CAO0, celsius=CELSIUS):
        if tau1NMDA / tau2NMDA > .9999:
            tau1NMDA = .9999 * tau2NMDA
        self.tau1, self.tau2, self.e, self.r = tau1NMDA, tau2NMDA, e, r
        self.smax = sNMDAmax
        self.fracca, self.cai, self.cao, self.celsius = fracca, cai, cao, celsius
        tp = (tau1NMDA * tau2NMDA) / (tau2NMDA - tau1NMDA) * math.log(tau2NMDA / tau1NMDA)
        factor2 = -math.exp(-tp / tau1NMDA) + math.exp(-tp / tau2NMDA)
        self.factor2 = 1.0 / factor2
        self.A2 = 0.0
        self.B2 = 0.0
        self.ica = 0.0   # ASSIGNED: keeps its last value when fracca <= 0

    def receive(self, weight):
        if self.r >= 0.0:
            self.A2 = self.A2 + self.factor2 * weight * self.r
            self.B2 = self.B2 + self.factor2 * weight * self.r

    # m1batch: weight * factor * event_scale, event_scale = r (0 when r < 0)
    def event_input(self, weight):
        return weight * self.factor2 * (self.r if self.r >= 0.0 else 0.0)

    def add_input(self, x):
        self.A2 = self.A2 + x
        self.B2 = self.B2 + x

    def ghkg(self, v, ci, co, z):
        f = R_GAS * (self.celsius + 273.15) / (z * (1e-3) * FARADAY)
        xi = v / f
        exi = math.exp(xi)
        if abs(xi) < 1e-4:
            fxi = 1.0 - xi / 2.0
        else:
            fxi = xi / (exi - 1.0)
        return f * ((ci / co) * exi - 1.0) * fxi

    def current(self, v):
        """iNMDA + ica (nA), as the generated _nrn_current sums them."""
        mgblock = 1.0 / (1.0 + 0.28 * math.exp(-0.062 * v))
        s = self.B2 - self.A2
        if s > self.smax:
            s = self.smax
        i_nmda = s * (v - self.e) * mgblock * (1.0 - self.fracca)
        if self.fracca > 0.0:
            self.ica = s * self.ghkg(v, self.cai, self.cao, 2.0) * mgblock * self.fracca
        current = 0.0
        current += i_nmda
        current += self.ica
        return current

    def decay(self, dt):
        self.A2 = self.A2 + (1. - math.exp(dt * ((-1.0) / self.tau1))) * (-(0.0) / ((-1.0) / self.tau1) - self.A2)
        self.B2 = self.B2 + (1. - math.exp(dt * ((-1.0) / self.tau2))) * (-(0.0) / ((-1.0) / self.tau2) - self.B2)


class Izhi:
    """Izhi2007b (tests/validation/izhi2007b.mod), SEMANTICS.md section 2."""

    def __init__(self, p):
        self.C = float(p.get("C", 100))
        self.k = float(p.get("k", 0.7))
        self.vr = float(p.get("vr", -60))
        self.vt = float(p.get("vt", -40))
        self.vpeak = float(p.get("vpeak", 35))
        self.a = float(p.get("a", 0.03))
        self.b = float(p.get("b", -2))
        self.c = float(p.get("c", -50))
        self.d = float(p.get("d", 100))
        self.Iin = float(p.get("Iin", 0))
        self.celltype = float(p.get("celltype", 1))
        self.u = 0.2 * self.vr
        self.t0 = 0.0
        self.watch_flag = False   # WATCH(spike) edge state

    def current(self, v, t):
        delta = t - self.t0
        a, u = self.a, self.u
        ct = self.celltype
        if ct < 5:
            u = u + delta * a * (self.b * (v - self.vr) - u)
        elif ct == 5:
            d = self.d
            if v < d:
                u = u + delta * a * (0.0 - u)
            else:
                u = u + delta * a * ((0.025 * (v - d) * (v - d) * (v - d)) - u)
        elif ct == 6 or ct == 7:
            if ct == 6:
                self.b = 0.0 if v > -65.0 else 15.0
            else:
                self.b = 2.0 if v > -65.0 else 10.0
            u = u + delta * a * (self.b * (v - self.vr) - u)
        self.u = u
        self.t0 = t
        return -(self.k * (v - self.vr) * (v - self.vt) - u + self.Iin) / self.C / 1000.0

    def watch_value(self, v):
        if self.celltype == 4:
            return v - (self.vpeak - 0.1 * self.u)
        if self.celltype == 6:
            return v - (self.vpeak + 0.1 * self.u)
        return v - self.vpeak

    def reset(self, v):
        """Flag-2 event: returns the new v."""
        ct = self.celltype
        if ct == 4:
            v = self.c + 0.04 * self.u
            if (self.u + self.d) < 670:
                self.u = self.u + self.d
            else:
                self.u = 670.0
        elif ct == 5:
            v = self.c
        elif ct == 6:
            v = self.c - 0.1 * self.u
            self.u = self.u + self.d
        else:
            v = self.c
            self.u = self.u + self.d
        return v


def simulate(d, n_steps=None, record=False, shared=False, instance_order="newest-first",
             creation_order=None, m1batch=False):
    """Runs the case; returns {"spikes": [...], "v": [...] (per step, after the update)}.

    The synapse layout, as neuron_run.py's --syn-layout:
    * default: one instance per connection, created in connection order (creation_order: in
      that order instead, a list of connection indices, as neuron_run's 'permuted' layout);
      every event is added to its instance's A and B on its own, as NEURON's NET_RECEIVE does.
    * shared: one instance per synMech label instead of one per connection (NEURON's 'shared').
    * m1batch: m1batch's layout and arithmetic (core/engine: event_router.cpp, stimuli.cpp,
      cell_step.cpp), which NEURON has only in neuron_run's 'merged' layout (where that layout
      applies; bit-identical, selfcheck.py): one state per synMech label ("lane"), the
      Exp2Syn lanes before the MyExp2SynNMDABB lanes, each kind in synMechParams order; the
      events that join a step are first summed into the lane's input of that step,
      in = ((0.0 + x1) + x2) + ..., with x = (w * factor) * scale (scale = r for
      MyExp2SynNMDABB when r >= 0, 0 when r < 0, 1 for Exp2Syn), and the sum is then added
      once: A = A + in, B = B + in, just before the step's currents. The x's are summed in
      delivery order: by the epoch in which the VecStim's spike was emitted (epochs of
      floor(10/dt) steps when no connection joins two simulated cells), then by presynaptic
      cell (gid order, popParams order here), then by spike time.
    instance_order: the order in which the instances of one mechanism add their currents.
    NEURON's is "newest-first": the instances at a node are in the node's property list, and
    prop_alloc (nrnoc/treeset.cpp) links every new one in at the head, so the memb_list holds
    them last-created first. "oldest-first" (creation order) is there to show the difference.
    """
    dt = d["dt"]
    if n_steps is None:
        n_steps = int(round(d["duration"] / dt))
    geom = d["geom"]
    diam, L, cm = float(geom["diam"]), float(geom["L"]), float(geom["cm"])
    ra = float(geom.get("Ra", RA_DEFAULT))
    # treeset.cpp: nrn_area_ri, connection_coef (nseg = 1)
    dx = L / 1.0
    area = PI * diam * dx
    rleft = 1e-2 * ra * (dx / 2) / (PI * diam * diam / 4.)
    rinv_s = 1. / (rleft + 0.)
    rinv_e = 1. / rleft
    # node order: 0 = root r (x = 0), 1 = segment s (x = 0.5), 2 = end e (x = 1); parent(1) = 0,
    # parent(2) = 1
    area_n = [ZERO_AREA, area, ZERO_AREA]
    B = [0.0, -1.e2 * rinv_s / area_n[1], -1.e2 * rinv_e / area_n[2]]
    A = [0.0, -1.e2 * rinv_s / area_n[0], -1.e2 * rinv_e / area_n[1]]
    parent = [None, 0, 1]
    mfac = 1.e2 / area  # point process density factor (nocmodl: _g *= 1.e2/(_nd_area))

    izh = Izhi(d["izhi"])
    # synapse instances: one per connection, or (shared, m1batch) one per synMech label; each
    # conn's events go to its instance. Exp2Syn (mechanism type 10) and MyExp2SynNMDABB (25) are
    # kept apart because NEURON adds their currents at different places (see step 3).
    conns = d["conns"]
    if creation_order is None:
        creation_order = list(range(len(conns)))
    if sorted(creation_order) != list(range(len(conns))) or (
            (shared or m1batch) and creation_order != list(range(len(conns)))):
        raise ValueError("creation_order: a permutation of the connections, per-connection only")
    if m1batch:
        creation_order = sorted(creation_order, key=lambda i: conns[i]["mech_index"])
    syns, nmdas, by_mech, target_of = [], [], {}, [None] * len(conns)
    for i in creation_order:
        c = conns[i]
        key = c["synMech"] if (shared or m1batch) else i
        if key not in by_mech:
            if c["mod"] == "MyExp2SynNMDABB":
                by_mech[key] = NMDA(**c["params"])
                nmdas.append(by_mech[key])
            else:
                by_mech[key] = Exp2Syn(c["tau1"], c["tau2"], c["e"])
                syns.append(by_mech[key])
        target_of[i] = by_mech[key]
    events = []
    for i, c in enumerate(conns):
        for k, ts in enumerate(c["spkTimes"]):
            events.append((ts + c["delay"], len(events), target_of[i], c["weight"], ts,
                           c["pre_index"], k))
    # NEURON's queue delivers equal times in the order they were put on it (nc.event calls,
    # connection by connection)
    events.sort(key=lambda x: (x[0], x[1]))
    if m1batch:
        pass  # lanes add their currents in lane order
    elif instance_order == "newest-first":
        syns.reverse()
        nmdas.reverse()
    elif instance_order != "oldest-first":
        raise ValueError("instance_order: newest-first or oldest-first")
    step_input = {}
    if m1batch:
        # time_grid: t accumulated by dt/2 twice a step; an event at T joins the first step n
        # whose t_n + dt/2 it does not exceed (bisect_left); event_router: epochs of
        # floor(10/dt) steps (pc.set_maxstep(10); no cell-to-cell delay to shorten them)
        t_mid, tt = [], 0.0
        for _ in range(n_steps + 2):
            tt = tt + 0.5 * dt
            t_mid.append(tt)
            tt = tt + 0.5 * dt
        t_stop = t_mid[n_steps - 1] + 0.5 * dt  # t_start of step n_steps: the run's end
        epoch_steps = max(1, math.floor(10.0 / dt))
        order = []
        for (arrive, seq, target, w, ts, pre, k) in events:
            emitted = bisect.bisect_left(t_mid, ts)
            if emitted >= n_steps or ts > t_stop:
                continue  # artificial_cells::emit: a spike after the run is never sent
            step = max(emitted, bisect.bisect_left(t_mid, arrive))
            if step >= n_steps:
                continue  # event_router::deliver: lands after the run
            order.append(((step, emitted // epoch_steps, pre, k), target, w))
        order.sort(key=lambda x: x[0])
        merged = {}
        for (step, _, _, _), target, w in order:
            lane = step_input.setdefault(step, {})
            lane[target] = lane.get(target, 0.0) + target.event_input(w)
            merged[(step, id(target))] = merged.get((step, id(target)), 0) + 1
        events = []
    clamps = [(s["del"], s["dur"], s["amp"]) for s in d["stims"]]

    v = [V_INIT, izh.vr, V_INIT]   # the t = 0 self event writes only the segment node
    t = 0.0
    cj = 1.0 / dt
    cfac = .001 * cj
    det_flag = False
    spikes, vtrace, utrace = [], [], []
    ev = 0

    def deliver(until):
        nonlocal ev
        while ev < len(events) and events[ev][0] <= until:
            target, w = events[ev][2], events[ev][3]
            target.receive(w)
            ev += 1

    step = 0

    for _ in range(n_steps):
        # 1. threshold checks at t_n (detector, then WATCH), 2. deliver <= t_n + dt/2
        val = v[1] - THRESHOLD
        if val > 0:
            if not det_flag:
                det_flag = True
                spikes.append(t + TEPS)
        else:
            det_flag = False
        wv = izh.watch_value(v[1])
        reset_now = False
        if wv > 0:
            if not izh.watch_flag:
                izh.watch_flag = True
                reset_now = True
        else:
            izh.watch_flag = False
        tm = t + 0.5 * dt
        if reset_now:
            v[1] = izh.reset(v[1])  # event at t_n + 1e-10, first in the window
        deliver(tm)
        for target, x in step_input.get(step, {}).items():  # m1batch: each lane once
            target.add_input(x)
        step += 1
        # 3. currents at t_n + dt/2, in mechanism type order: IClamp (type 7), Exp2Syn (10),
        #    MyExp2SynNMDABB (25), Izhi2007b (26); the instances of one type newest first
        t = t + 0.5 * dt
        rhs = [0.0, 0.0, 0.0]
        dd = [0.0, 0.0, 0.0]
        vs = v[1]
        for (de, du, amp) in clamps:
            i1 = amp if (t < de + du and t >= de) else 0.0
            i0 = amp if (t < de + du and t >= de) else 0.0
            g = (i1 - i0) / .001
            g *= mfac
            i0 *= mfac
            rhs[1] += i0
            dd[1] -= g
        # Point processes in type order: Exp2Syn (10), then MyExp2SynNMDABB (25); ca_ion (24)
        # only zeroes its ica accumulator, nothing on rhs or d.
        for s in syns + nmdas:
            i1 = s.current(vs + .001)
            i0 = s.current(vs)
            g = (i1 - i0) / .001
            g *= mfac
            i0 *= mfac
            rhs[1] -= i0
            dd[1] += g
        i1 = izh.current(vs + .001, t)
        i0 = izh.current(vs, t)
        g = (i1 - i0) / .001
        g *= mfac
        i0 *= mfac
        rhs[1] -= i0
        dd[1] += g
        # axial terms (nrn_rhs), then nrn_lhs: mechanisms' g (above), capacitance, axial terms
        for i in (1, 2):
            p = parent[i]
            dv = v[p] - v[i]
            rhs[i] -= B[i] * dv
            rhs[p] += A[i] * dv
        dd[1] += cfac * cm
        for i in (1, 2):
            p = parent[i]
            dd[i] -= B[i]
            dd[p] -= A[i]
        # 4. triang, bksub, update
        for i in (2, 1):
            p = parent[i]
            pp = A[i] / dd[i]
            dd[p] -= pp * B[i]
            rhs[p] -= pp * rhs[i]
        rhs[0] /= dd[0]
        for i in (1, 2):
            p = parent[i]
            rhs[i] -= B[i] * rhs[p]
            rhs[i] /= dd[i]
        for i in range(3):
            v[i] += rhs[i]
        # 5. t_{n+1}, states, record, 6. deliver <= t_{n+1}
        t = t + 0.5 * dt
        for s in syns:
            s.decay(dt)
        for s in nmdas:
            s.decay(dt)
        if record:
            vtrace.append(v[1])
            utrace.append(izh.u)
        deliver(t)
    out = {"spikes": spikes, "t_end": t, "area_um2": area, "ri_s": rleft + 0., "ri_e": rleft}
    if m1batch:
        # how many (step, lane) inputs summed two or more events: where m1batch's A + (x1 + x2)
        # can differ from NEURON's (A + x1) + x2 (with none, the layout is NEURON's 'shared')
        out["merged_inputs"] = sum(1 for k in merged.values() if k > 1)
    if record:
        out["v"] = vtrace
        out["u"] = utrace
    return out
