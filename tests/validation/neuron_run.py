#!/usr/bin/python3
"""Run one m1batch validation case in plain NEURON and write its spike times.

    /usr/bin/python3 neuron_run.py CASE.json --out OUT.json [--mech-dir DIR]
    /usr/bin/python3 neuron_run.py --build-mech --mech-dir DIR

A case is a small NetPyNE-layout JSON file ({"netParams": ..., "simConfig": ...}) with one Izhi
cell (population "cell", numCells 1) driven by IClamp current steps and/or fixed presynaptic spike
trains (VecStim populations with spkTimes). NetPyNE is not needed: the case is built directly in
NEURON the way NetPyNE 1.1.0 would build it (docs/SEMANTICS.md):

* Section soma, nseg 1, geom (diam, L, cm) from the cell's cellParams rule, nothing inserted;
  Izhi2007b (tests/validation/izhi2007b.mod) at soma(0.5) with the rule's parameters.
* Per connection (oneSynPerNetcon): its own synapse at soma(loc) -- an Exp2Syn with the synMech's
  tau1, tau2, e, or a MyExp2SynNMDABB (tests/validation/myexp2synnmdabb.mod) with whichever of
  tau1NMDA, tau2NMDA, e, r, sNMDAmax the synMech gives (the mod's defaults otherwise); and
  a NetCon(None, syn) with weight = weight * scaleConnWeight (uS); the presynaptic spike times
  are put on the queue from an FInitializeHandler with nc.event(spkTime + delay), which is when a
  VecStim -> NetCon(delay) would deliver them. --syn-layout reversed creates the same synapses in
  the opposite order, --syn-layout shared one per synMech for all its connections,
  --syn-layout permuted --creation-order 2,0,1 one per connection created in that order (to
  measure how much the order of summing synaptic currents matters, docs/validation.md), and
  --syn-layout merged one per synMech (as shared) where the events NEURON would deliver to that
  instance in the same time step are delivered as ONE event of their summed weight at the first
  of their times: NEURON computing A + (x + x) instead of (A + x) + x, which is m1batch's order.
  It is exact only when every such step has two events of equal weight (then x + x = 2x and
  factor*(2w) = 2*(factor*w) exactly); on any other case the layout refuses (MergeNotExact, exit
  status 3): see merged_events().
* Per stimTargetParams entry: an IClamp at soma(loc) with del, dur, amp.
* Spikes: a threshold detector NetCon(soma(0.5)._ref_v, None) at 10 mV registered with
  ParallelContext (pc.cell, pc.spike_record), as NetPyNE does.
* Fixed step, secondorder 0, cvode off, h.dt = steps_per_ms^-1 = simConfig.dt,
  h.finitialize(-65), then pc.set_maxstep(10); pc.psolve(duration) (--integrator fadvance: a
  plain loop of round(duration/dt) h.fadvance() calls instead).

The output JSON: {"spikes": [ms...], "neuron_version": str, "steps": int, "t_end": ms,
"v_at_0": mV (soma v right after finitialize), "u_at_0", "cm_total_nF", "case": path,
"syn_layout", "n_syn_instances", "merged_steps" (layout 'merged': how many merged events),
...}. With --layouts FILE (a JSON list of {"syn_layout", and "creation_order" for 'permuted',
optional "trace": true}) the case runs once per entry in this one process (independent runs) and
the output is {"case", "runs": [result, ...]}.

The mechanism library is compiled on first use into --mech-dir (default: a "mech" folder next to
--out) with nrnivmodl and the two Debian 12 workarounds (see build_mechanisms()).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Compiled and registered in this order, which makes it the order of the mechanism types and so the
# order in which NEURON adds their currents at a node (docs/validation.md): MyExp2SynNMDABB (and
# its ca_ion) before Izhi2007b, as `nrnivmodl mod` registers the M1 model's own sim/mod files in
# the C locale (MyExp2SynNMDABB.mod sorts before izhi2007b.mod byte-wise).
MOD_FILES = [os.path.join(HERE, "myexp2synnmdabb.mod"), os.path.join(HERE, "izhi2007b.mod")]
V_INIT = -65.0          # NetPyNE's default v_init
NMDA_MOD = "MyExp2SynNMDABB"
# the synMechParams keys of an NMDA synapse (each optional; the mod's defaults otherwise)
NMDA_KEYS = ("tau1NMDA", "tau2NMDA", "e", "r", "sNMDAmax")
# how synapse instances are laid out (run_case's syn_layout):
#   per-connection  one instance per connection, in connection order (NetPyNE 1.1.0's
#                   oneSynPerNetcon, the default)
#   reversed        the same instances, created in the opposite order
#   shared          one instance per synMech label, every connection's NetCon targets it (the
#                   single conductance state per mechanism that m1batch keeps)
#   permuted        one instance per connection, created in a given order (creation_order: the
#                   connection indices, first created first; see permutation())
#   merged          one instance per synMech, as 'shared', and the events that NEURON would
#                   deliver to that instance in the same time step delivered instead as ONE event
#                   of their summed weight at the first of their times (see merged_events(); the
#                   layout refuses a case where that is not exact)
SYN_LAYOUTS = ("per-connection", "reversed", "shared", "permuted", "merged")
SPIKE_THRESHOLD = 10.0  # NetPyNE's defaultThreshold


# ----------------------------------------------------------------------------------------------
# Building the mechanism library
# ----------------------------------------------------------------------------------------------

def _find_nrnmech_makefile():
    """nrnivmodl runs `make -f ${bindir}/nrnmech_makefile`; Debian ships it elsewhere."""
    nrnivmodl = shutil.which("nrnivmodl") or "/usr/bin/nrnivmodl"
    candidates = [os.path.join(os.path.dirname(os.path.realpath(nrnivmodl)), "nrnmech_makefile"),
                  "/usr/bin/nrnmech_makefile", "/usr/lib/nrn/nrnmech_makefile",
                  "/usr/share/nrn/nrnmech_makefile"]
    for c in candidates:
        if os.path.isfile(c):
            return nrnivmodl, c
    raise SystemExit("neuron_run.py: nrnmech_makefile not found (is neuron-dev installed?)")


def _find_libnrniv_dir():
    for d in ("/usr/lib/nrn", "/usr/lib", "/usr/lib/x86_64-linux-gnu"):
        if os.path.isfile(os.path.join(d, "libnrniv.so")):
            return d
    return None


def mech_lib_path(mech_dir):
    return os.path.join(mech_dir, "x86_64", "libnrnmech.so")


def build_mechanisms(mech_dir, quiet=False):
    """Compiles MOD_FILES into mech_dir/x86_64/libnrnmech.so (if missing or out of date).

    Debian 12's nrnivmodl (NEURON 8.2.2) needs two workarounds:
    1. it looks for nrnmech_makefile next to itself (/usr/bin) but the package installs it in
       /usr/lib/nrn. Instead of adding a link in /usr/bin we point nrnivmodl's NRNHOME_EXEC at
       a private folder mech_dir/shim whose bin/nrnmech_makefile links to the real one
       (nrnivmodl takes the makefile from ${NRNHOME_EXEC}/bin; everything else still comes from
       /usr because the makefile is passed ROOT=/usr).
    2. linking needs -L/usr/lib/nrn (libnrniv.so): -loadflags "-L/usr/lib/nrn".
    The final step, linking the `special` executable, then fails (missing ivstream.h); the
    shared library x86_64/libnrnmech.so is complete by then and is all Python needs, so a
    failing exit status is accepted when the library was (re)built.
    """
    mech_dir = os.path.abspath(mech_dir)
    lib = mech_lib_path(mech_dir)
    mod_dir = os.path.join(mech_dir, "mod")
    os.makedirs(mod_dir, exist_ok=True)
    up_to_date = os.path.isfile(lib)
    names = [os.path.basename(src) for src in MOD_FILES]
    order_file = os.path.join(mech_dir, "mod_order.txt")
    order = "\n".join(names) + "\n"
    if not os.path.isfile(order_file) or open(order_file).read() != order:
        up_to_date = False
    for src in MOD_FILES:
        dst = os.path.join(mod_dir, os.path.basename(src))
        with open(src, "rb") as f:
            text = f.read()
        old = None
        if os.path.isfile(dst):
            with open(dst, "rb") as f:
                old = f.read()
        if old != text:
            with open(dst, "wb") as f:
                f.write(text)
            up_to_date = False
    if up_to_date:
        return lib

    nrnivmodl, makefile = _find_nrnmech_makefile()
    env = dict(os.environ)
    how = []
    if os.path.dirname(makefile) != os.path.dirname(os.path.realpath(nrnivmodl)):
        shim_bin = os.path.join(mech_dir, "shim", "bin")
        os.makedirs(shim_bin, exist_ok=True)
        link = os.path.join(shim_bin, "nrnmech_makefile")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(makefile, link)
        env["NRNHOME_EXEC"] = os.path.join(mech_dir, "shim")
        how.append("NRNHOME_EXEC=%s (bin/nrnmech_makefile -> %s)" % (env["NRNHOME_EXEC"], makefile))
    cmd = [nrnivmodl]
    libdir = _find_libnrniv_dir()
    if libdir and libdir != "/usr/lib":
        cmd += ["-loadflags", "-L" + libdir]
    # the files one by one, in MOD_FILES order (a folder would be taken in glob order)
    cmd += [os.path.join("mod", n) for n in names]
    if os.path.exists(lib):
        os.remove(lib)
    t0 = time.time()
    proc = subprocess.run(cmd, cwd=mech_dir, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(mech_dir, "nrnivmodl.log"), "w") as f:
        f.write("$ %s %s\n%s" % (" ".join(how), " ".join(cmd), proc.stdout))
    with open(order_file, "w") as f:
        f.write(order)
    if not os.path.isfile(lib):
        sys.stderr.write(proc.stdout)
        raise SystemExit("neuron_run.py: nrnivmodl did not produce %s (log: %s)"
                         % (lib, os.path.join(mech_dir, "nrnivmodl.log")))
    if not quiet:
        print("built %s in %.1f s with: %s %s (exit %d%s)" % (
            lib, time.time() - t0, " ".join(how), " ".join(cmd), proc.returncode,
            "; only `special` failed, as expected on Debian" if proc.returncode else ""))
    return lib


def load_neuron(mech_dir):
    """Imports NEURON quietly and loads the compiled mechanisms (once per process)."""
    lib = build_mechanisms(mech_dir, quiet=True)
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    from neuron import h
    if not hasattr(h, "Izhi2007b"):
        if not h.nrn_load_dll(lib):
            raise SystemExit("neuron_run.py: could not load " + lib)
    h.load_file("stdrun.hoc")
    return h


# ----------------------------------------------------------------------------------------------
# Reading a case
# ----------------------------------------------------------------------------------------------

def _matches(conds, tags):
    for key, want in conds.items():
        have = tags.get(key)
        if isinstance(want, list):
            if len(want) == 2 and all(isinstance(x, (int, float)) for x in want) \
                    and isinstance(have, (int, float)):
                if not (want[0] <= have <= want[1]):
                    return False
            elif have not in want:
                return False
        elif have != want:
            return False
    return True


def describe_case(case):
    """The case as plain data: the one Izhi cell, its stims and its input trains."""
    net = case["netParams"]
    sim = case["simConfig"]
    pops = net["popParams"]
    izhi = [(name, p) for name, p in pops.items() if p.get("cellModel") == "Izhi"]
    if len(izhi) != 1 or izhi[0][1].get("numCells", 1) != 1:
        raise SystemExit("case must have exactly one Izhi population with numCells 1")
    pop_name, pop = izhi[0]
    tags = {"pop": pop_name, "cellModel": "Izhi", "cellType": pop.get("cellType")}
    geom, izh = {}, None
    for rule in net["cellParams"].values():
        if _matches(rule.get("conds", {}), tags):
            for sec_name, sec in rule["secs"].items():
                if sec_name != "soma":
                    raise SystemExit("only a soma section is supported")
                geom.update(sec.get("geom", {}))
                for pp in sec.get("pointps", {}).values():
                    izh = dict(pp)
    if izh is None or izh.get("mod") != "Izhi2007b":
        raise SystemExit("no Izhi2007b point process for population " + pop_name)

    stims = []
    for label, tgt in net.get("stimTargetParams", {}).items():
        if not _matches(tgt.get("conds", {}), tags):
            continue
        src = net["stimSourceParams"][tgt["source"]]
        if src.get("type") != "IClamp":
            raise SystemExit("only IClamp stim sources are supported")
        stims.append({"label": label, "sec": tgt.get("sec", "soma"), "loc": tgt.get("loc", 0.5),
                      "del": float(src["del"]), "dur": float(src["dur"]), "amp": float(src["amp"])})

    scale_w = float(net.get("scaleConnWeight", 1))
    conns = []
    for label, c in net.get("connParams", {}).items():
        if not _matches(c.get("postConds", {}), tags):
            continue
        pre = [(n, p) for n, p in pops.items() if _matches(c.get("preConds", {}), {
            "pop": n, "cellModel": p.get("cellModel"), "cellType": p.get("cellType")})]
        if c.get("probability", 1.0) != 1.0:
            raise SystemExit("connection %s: only probability 1.0 is supported" % label)
        for pre_name, p in pre:
            if p.get("cellModel") != "VecStim" or p.get("numCells", 1) != 1:
                raise SystemExit("connection %s: presynaptic pop must be one VecStim" % label)
            mech = net["synMechParams"][c["synMech"]]
            # pre_index: the VecStim population's place in popParams, which is the order of
            # the gids (NetPyNE and m1batch number cells population by population);
            # mech_index: the synMech's place in synMechParams (semantics_ref's m1batch layout)
            conn = {"label": label, "pre": pre_name, "pre_index": list(pops).index(pre_name),
                    "mech_index": list(net["synMechParams"]).index(c["synMech"]),
                    "spkTimes": [float(x) for x in p["spkTimes"]],
                    "synMech": c["synMech"], "mod": mech.get("mod"),
                    "weight": float(c["weight"]) * scale_w,
                    "delay": float(c.get("delay", net.get("defaultDelay", 1))),
                    "sec": c.get("sec", "soma"), "loc": c.get("loc", 0.5)}
            if mech.get("mod") == "Exp2Syn":
                conn.update({"tau1": float(mech["tau1"]), "tau2": float(mech["tau2"]),
                             "e": float(mech["e"])})
            elif mech.get("mod") == NMDA_MOD:
                unknown = sorted(set(mech) - {"mod"} - set(NMDA_KEYS))
                if unknown:
                    # fracca is a GLOBAL: setattr(syn, "fracca", x), which is what NetPyNE would
                    # do with the key, raises LookupError in NEURON 8.2 (docs/validation.md)
                    raise SystemExit("synMech %s: %s takes only the keys %s, not %s" % (
                        c["synMech"], NMDA_MOD, ", ".join(NMDA_KEYS), ", ".join(unknown)))
                conn["params"] = {k: float(mech[k]) for k in NMDA_KEYS if k in mech}
            else:
                raise SystemExit("synMech %s: only Exp2Syn and %s synapses are supported"
                                 % (c["synMech"], NMDA_MOD))
            conns.append(conn)
    return {"pop": pop_name, "cellType": pop.get("cellType"), "geom": geom, "izhi": izh,
            "stims": stims, "conns": conns, "duration": float(sim["duration"]),
            "dt": float(sim["dt"])}


def spike_distance(ref, other):
    """How far apart two spike trains are, also when their counts differ.

    -> {"spike_count": len(other), "count_diff": |len(ref) - len(other)|,
        "max_spike_dt_ms": the largest distance from a spike of either train to the nearest spike
                           of the other (0 if both are empty; None if exactly one is),
        "first_difference_ms": the earliest spike time at which the two trains differ (the
                               smaller of the first unequal pair, or the first unmatched spike),
                               None if they are identical}
    With equal counts and small shifts, max_spike_dt_ms is the largest |t_ref[i] - t_other[i]|."""
    def nearest(t, train):
        return min(abs(t - x) for x in train)
    if ref and other:
        worst = max(max(nearest(t, other) for t in ref), max(nearest(t, ref) for t in other))
    else:
        worst = 0.0 if not ref and not other else None
    first = None
    for i in range(max(len(ref), len(other))):
        a = ref[i] if i < len(ref) else None
        b = other[i] if i < len(other) else None
        if a != b:
            first = min(x for x in (a, b) if x is not None)
            break
    return {"spike_count": len(other), "count_diff": abs(len(ref) - len(other)),
            "max_spike_dt_ms": worst, "first_difference_ms": first}


def permutation(n, seed):
    """The creation order of n synapse instances for the 'permuted' layout with this seed:
    range(n) shuffled by Python's random.Random(seed) (the same on every Python 3)."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order


class MergeNotExact(ValueError):
    """The 'merged' layout refuses the case: merging its same-step events would not be exact."""


def delivery_steps(d):
    """-> (t_mid, n_steps): t_mid[n] = t_n + dt/2 for every step n (and two more), with t_n
    accumulated the way NEURON's fixed step does it (t = t + dt/2 twice a step, from t = 0), and
    n_steps = round(duration/dt), the steps pc.psolve(duration) takes.

    NEURON delivers an event of time T in deliver_net_events at the start of step n when
    t_n < T <= t_n + dt/2 (tm = t + 0.5*dt, the queue's `q->t_ <= tm`), or at the end of step
    n - 1 (nrn_deliver_events, after the states are updated) when t_(n-1) + dt/2 < T <= t_n: in
    both cases after step n-1's states and before step n's currents. So the step an event joins
    is the first n with T <= t_mid[n], bisect.bisect_left(t_mid, T); a T exactly on t_mid[n]
    joins step n. (semantics_ref.simulate uses the same rule and is bit-identical to NEURON.)"""
    dt = d["dt"]
    n_steps = int(round(d["duration"] / dt))
    t_mid, t = [], 0.0
    for _ in range(n_steps + 2):
        t = t + 0.5 * dt
        t_mid.append(t)
        t = t + 0.5 * dt
    return t_mid, n_steps


def merged_events(d):
    """The events of the 'merged' layout.

    -> {"single": [(conn index, arrival time), ...]  events delivered as they are (alone in
                  their step for their synMech),
        "merged": [(synMech, arrival time, summed weight, [conn index, ...]), ...]  one event
                  per (step, synMech) that NEURON would deliver two events to,
        "steps": number of merged events}

    Why: m1batch sums a step's events of one synMech before it adds them to the state,
    A + (x1 + x2), where NEURON's NET_RECEIVE adds them one by one, (A + x1) + x2
    (docs/validation.md). With two events of equal weight w on one synMech, x1 = x2 = x and
    x + x = 2x exactly; one NEURON event of weight w + w = 2w (exact) adds factor*(2w)*r
    = 2*((factor*w)*r) = 2x (multiplying by 2 is exact), so NEURON computes A + 2x: m1batch's
    bits, with NEURON's own code. That holds for Exp2Syn (weight*factor) and MyExp2SynNMDABB
    (factor2*weight*r, r >= 0; with r < 0 neither adds anything).

    It is exact only then, so the layout refuses (raises MergeNotExact) a case with a step, within
    the run, in which one synMech gets (a) events of unequal weights, w1 + w2 and x1 + x2 round
    differently, or (b) three or more events, ((x + x) + x) need not equal factor*(3w)*r even for
    equal weights. Events that arrive after the run's last step are left as they are."""
    import bisect
    t_mid, n_steps = delivery_steps(d)
    groups = {}
    for i, c in enumerate(d["conns"]):
        for ts in c["spkTimes"]:
            arrive = ts + c["delay"]   # as run_case computes it for nc.event
            step = bisect.bisect_left(t_mid, arrive)
            groups.setdefault((step, c["synMech"]), []).append((arrive, i))
    single, merged = [], []
    for (step, mech), evs in sorted(groups.items()):
        if len(evs) == 1 or step >= n_steps:
            single += [(i, arrive) for arrive, i in evs]
            continue
        weights = [d["conns"][i]["weight"] for _, i in evs]
        if len(evs) > 2:
            raise MergeNotExact("step %d (t_mid %.6g ms): synMech %s gets %d events; summing more "
                                "than two before the state is not exact in one NEURON event"
                                % (step, t_mid[step], mech, len(evs)))
        if weights[0] != weights[1]:
            raise MergeNotExact("step %d (t_mid %.6g ms): synMech %s gets events of weights %r "
                                "and %r; only equal weights merge exactly"
                                % (step, t_mid[step], mech, weights[0], weights[1]))
        merged.append((mech, min(a for a, _ in evs), weights[0] + weights[1],
                       [i for _, i in evs]))
    return {"single": single, "merged": merged, "steps": len(merged)}


def has_nmda(d):
    return any(c["mod"] == NMDA_MOD for c in d["conns"])


# ----------------------------------------------------------------------------------------------
# Running it
# ----------------------------------------------------------------------------------------------

def run_case(h, d, integrator="psolve", record_trace=False, fs_watch_probe=False,
             syn_layout="per-connection", creation_order=None):
    """Builds and runs the described case; returns the result dictionary.

    creation_order (layout 'permuted'): the connection indices in the order their synapse
    instances are created. Runs in one process are independent (the ParallelContext's gids are
    cleared first, everything else is created anew). Layout 'merged' raises MergeNotExact
    before anything is built when it does not apply to the case."""
    merge = merged_events(d) if syn_layout == "merged" else None
    soma = h.Section(name="soma")
    soma.nseg = 1
    soma.diam = d["geom"].get("diam", 500.0 / 3.141592653589793)  # NEURON's defaults otherwise
    soma.L = d["geom"].get("L", 100.0)
    soma.cm = d["geom"].get("cm", 1.0)
    if "Ra" in d["geom"]:
        soma.Ra = d["geom"]["Ra"]
    izh = h.Izhi2007b(soma(0.5))
    for key, value in d["izhi"].items():
        if key not in ("mod", "loc", "vref", "synList"):
            setattr(izh, key, value)

    keep = []  # NEURON objects must outlive the run
    # NetPyNE's order: cells, then connections, then stims.
    if syn_layout not in SYN_LAYOUTS:
        raise ValueError("syn_layout must be one of " + ", ".join(SYN_LAYOUTS))

    def make_syn(c):
        if c["mod"] == NMDA_MOD:
            syn = h.MyExp2SynNMDABB(soma(c["loc"]))
            for key, value in c["params"].items():
                setattr(syn, key, value)
        else:
            syn = h.Exp2Syn(soma(c["loc"]))
            syn.tau1, syn.tau2, syn.e = c["tau1"], c["tau2"], c["e"]
        return syn

    syns = [None] * len(d["conns"])
    if (syn_layout == "permuted") != (creation_order is not None):
        raise ValueError("creation_order goes with syn_layout 'permuted', and only with it")
    if creation_order is not None and sorted(creation_order) != list(range(len(d["conns"]))):
        raise ValueError("creation_order must be a permutation of the %d connection indices"
                         % len(d["conns"]))
    if syn_layout in ("shared", "merged"):
        by_mech = {}
        for i, c in enumerate(d["conns"]):
            if c["synMech"] not in by_mech:
                by_mech[c["synMech"]] = make_syn(c)
            syns[i] = by_mech[c["synMech"]]
    else:
        order = list(range(len(d["conns"])))
        if syn_layout == "reversed":
            order.reverse()
        elif syn_layout == "permuted":
            order = list(creation_order)
        for i in order:
            syns[i] = make_syn(d["conns"][i])
    syn_events = []
    for i, (c, syn) in enumerate(zip(d["conns"], syns)):
        nc = h.NetCon(None, syn)
        nc.weight[0] = c["weight"]
        nc.delay = c["delay"]
        if merge is None:
            arrivals = [ts + c["delay"] for ts in c["spkTimes"]]  # VecStim spike time + delay
        else:
            arrivals = [a for j, a in merge["single"] if j == i]
        syn_events.append((nc, arrivals))
        keep += [syn, nc]
    if merge is not None:
        # one NetCon per merged event, weight = the summed weight, on the synMech's instance
        for mech, arrive, weight, members in merge["merged"]:
            nc = h.NetCon(None, syns[members[0]])
            nc.weight[0] = weight
            syn_events.append((nc, [arrive]))
            keep.append(nc)
    for s in d["stims"]:
        ic = h.IClamp(soma(s["loc"]))
        ic.delay, ic.dur, ic.amp = s["del"], s["dur"], s["amp"]
        keep.append(ic)

    def queue_events():
        for nc, arrivals in syn_events:
            for ta in arrivals:
                nc.event(ta)
    fih = h.FInitializeHandler(queue_events)

    pc = h.ParallelContext()
    pc.gid_clear()  # an earlier run_case in this process
    pc.set_gid2node(0, pc.id())
    det = h.NetCon(soma(0.5)._ref_v, None, sec=soma)
    det.threshold = SPIKE_THRESHOLD
    pc.cell(0, det)
    spk_t, spk_id = h.Vector(), h.Vector()
    pc.spike_record(-1, spk_t, spk_id)

    trace = {}
    if record_trace:
        for name, ref in (("t", h._ref_t), ("v", soma(0.5)._ref_v), ("u", izh._ref_u)):
            trace[name] = h.Vector().record(ref)
    derivtype_vec = None
    if fs_watch_probe:
        derivtype_vec = h.Vector().record(izh._ref_derivtype)

    h.cvode_active(0)
    h.secondorder = 0
    h.dt = d["dt"]
    h.steps_per_ms = 1.0 / d["dt"]
    h.tstop = d["duration"]
    h.finitialize(V_INIT)
    v0, u0 = soma(0.5).v, izh.u
    steps = 0
    if integrator == "psolve":
        pc.set_maxstep(10)
        pc.psolve(d["duration"])
        steps = None
    else:
        n = int(round(d["duration"] / d["dt"]))
        for _ in range(n):
            h.fadvance()
        steps = n
    area = h.area(0.5, sec=soma)
    out = {
        "spikes": list(spk_t),
        "neuron_version": h.nrnversion(),
        "integrator": integrator,
        "steps": steps,
        "t_end": h.t,
        "dt": d["dt"],
        "duration": d["duration"],
        "v_at_0": v0,
        "u_at_0": u0,
        "area_um2": area,
        "cm_total_nF": 1e-5 * soma.cm * area,
        "cell_type": d["cellType"],
        "celltype": d["izhi"].get("celltype"),
        "syn_layout": syn_layout,
        "n_syn_instances": len({id(x) for x in syns}),
    }
    if creation_order is not None:
        out["creation_order"] = list(creation_order)
    if merge is not None:
        out["merged_steps"] = merge["steps"]
    if record_trace:
        out["trace"] = {k: list(v) for k, v in trace.items()}
    if derivtype_vec is not None:
        out["derivtype_values"] = sorted(set(derivtype_vec))
        out["derivtype_changes"] = int(sum(1 for i in range(1, len(derivtype_vec))
                                           if derivtype_vec[i] != derivtype_vec[i - 1]))
    del fih, keep
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", nargs="?", help="case JSON (NetPyNE layout)")
    ap.add_argument("--out", help="output JSON (default: stdout)")
    ap.add_argument("--mech-dir", help="where the NMODL is compiled (default: mech/ next to --out)")
    ap.add_argument("--build-mech", action="store_true", help="only compile the NMODL")
    ap.add_argument("--integrator", choices=["psolve", "fadvance"], default="psolve")
    ap.add_argument("--trace", action="store_true", help="also write t, v, u per step")
    ap.add_argument("--syn-layout", choices=SYN_LAYOUTS, default="per-connection",
                    help="synapse instances: one per connection (NetPyNE, default), the same "
                         "created in reverse order, one shared per synMech, or one per "
                         "connection created in the order --creation-order gives, or 'merged': "
                         "one per synMech with each step's events of a synMech delivered as one "
                         "event of their summed weight (refused where that is not exact)")
    ap.add_argument("--creation-order", help="for --syn-layout permuted: the connection indices "
                    "in creation order, comma-separated (e.g. 2,0,1)")
    ap.add_argument("--layouts", help="run the case once per layout listed in this JSON file "
                    "([{\"syn_layout\": ..., \"creation_order\": [...]}, ...]) in this one "
                    "process, and write {\"runs\": [result, ...]} (an entry with "
                    "\"trace\": true also gets its t, v, u)")
    args = ap.parse_args(argv)

    mech_dir = args.mech_dir
    if mech_dir is None:
        base = os.path.dirname(os.path.abspath(args.out)) if args.out else os.getcwd()
        mech_dir = os.path.join(base, "mech")
    if args.build_mech:
        build_mechanisms(mech_dir)
        h = load_neuron(mech_dir)
        print("loaded Izhi2007b from %s into %s" % (mech_lib_path(os.path.abspath(mech_dir)),
                                                   h.nrnversion().strip()))
        return 0
    if not args.case:
        ap.error("a case file is needed")
    with open(args.case) as f:
        case = json.load(f)
    d = describe_case(case)
    h = load_neuron(mech_dir)
    try:
        return _run(args, h, d)
    except MergeNotExact as e:
        sys.stderr.write("neuron_run.py: layout 'merged' does not apply to %s: %s\n"
                         % (args.case, e))
        return 3


def _run(args, h, d):
    if args.layouts:
        with open(args.layouts) as f:
            layouts = json.load(f)
        out = {"case": os.path.abspath(args.case), "runs": []}
        for lay in layouts:
            r = run_case(h, d, integrator=args.integrator, syn_layout=lay["syn_layout"],
                         creation_order=lay.get("creation_order"),
                         record_trace=bool(lay.get("trace")))
            out["runs"].append(r)
    else:
        order = None
        if args.creation_order is not None:
            order = [int(x) for x in args.creation_order.split(",")]
        out = run_case(h, d, integrator=args.integrator, record_trace=args.trace,
                       fs_watch_probe=(d["izhi"].get("celltype") == 5),
                       syn_layout=args.syn_layout, creation_order=order)
        out["case"] = os.path.abspath(args.case)
    text = json.dumps(out, indent=1)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
