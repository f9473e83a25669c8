"""Makes granger_reference.json and nte_reference.json (tests/test_granger.cpp,
tests/test_transfer_entropy.cpp) with NetPyNE's own code. Not run by the build: run it by hand
when the reference must be rebuilt, with a Python that has numpy, scipy and NEURON (nrnivmodl):

    git -C <netpyne clone> archive 3a0a522 netpyne/analysis netpyne/support | tar -x -C /tmp/np
    /usr/bin/python3 tests/data/analysis/granger_nte_reference.py /tmp/np tests/data/analysis

It copies NetPyNE's netpyne/analysis/info.py, netpyne/support/bsmart.py, nte.hoc and nte.mod
unchanged into a scratch package under /tmp, adds only import scaffolding (netpyne/__init__, a
`sim` stub holding cfg.duration, the @exception decorator of netpyne/analysis/utils.py),
compiles nte.mod with nrnivmodl, and calls info.granger() and info.nTE() on synthetic spikes
(numpy's generator, fixed seeds), all nTE calls in one NEURON process, in file order."""
import json, os, re, shutil, subprocess, sys, tempfile

PROVENANCE = ("Reference numbers for tests/test_granger.cpp and tests/test_transfer_entropy.cpp, "
              "computed by NetPyNE's own functions by tests/data/analysis/granger_nte_reference.py: "
              "netpyne/analysis/info.py (granger = plotGranger, nTE) verbatim from "
              "suny-downstate-medical-center/netpyne @ 3a0a522 (v1.1.0), with netpyne/support/bsmart.py "
              "and netpyne/support/nte.hoc verbatim, nte.mod compiled by nrnivmodl (NEURON 8.2), run by "
              "/usr/bin/python3 (numpy 1.24.2). Only the import scaffolding (netpyne/__init__, a sim stub "
              "with cfg.duration, the exception decorator from analysis/utils.py) is not NetPyNE's.")


def build(netpyne_src, work):
    pkg = os.path.join(work, 'pkg', 'netpyne')
    for d in ('analysis', 'support'):
        os.makedirs(os.path.join(pkg, d))
        open(os.path.join(pkg, d, '__init__.py'), 'w').close()
    for f in ('analysis/info.py', 'support/bsmart.py', 'support/nte.hoc'):
        shutil.copy(os.path.join(netpyne_src, 'netpyne', f), os.path.join(pkg, f))
    with open(os.path.join(pkg, '__init__.py'), 'w') as f:
        f.write('__gui__ = False\n')
    with open(os.path.join(pkg, 'sim.py'), 'w') as f:
        f.write('class _Cfg:\n    duration = None\ncfg = _Cfg()\n')
    utils = open(os.path.join(netpyne_src, 'netpyne', 'analysis', 'utils.py')).read()
    decorator = re.search(r'^def exception\(function\):.*?^    return wrapper\n', utils, re.S | re.M).group(0)
    with open(os.path.join(pkg, 'analysis', 'utils.py'), 'w') as f:
        f.write('import functools\n' + decorator)
        for name in ('_saveFigData', '_showFigure', 'getCellsInclude'):
            f.write('def %s(*a, **k):\n    raise RuntimeError("not used: spike lists are passed")\n' % name)
    mech = os.path.join(work, 'mech')
    os.makedirs(os.path.join(mech, 'mod'))
    shutil.copy(os.path.join(netpyne_src, 'netpyne', 'support', 'nte.mod'), os.path.join(mech, 'mod'))
    env = dict(os.environ)
    if os.path.exists('/usr/lib/nrn/nrnmech_makefile'):  # Debian's NEURON looks for it in bin/
        os.makedirs(os.path.join(mech, 'shim', 'bin'))
        os.symlink('/usr/lib/nrn/nrnmech_makefile', os.path.join(mech, 'shim', 'bin', 'nrnmech_makefile'))
        env['NRNHOME_EXEC'] = os.path.join(mech, 'shim')
    # the shared library is all that is needed; linking `special` may fail
    subprocess.run(['nrnivmodl', '-loadflags', '-L/usr/lib/nrn', 'mod'], cwd=mech, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.path.exists(os.path.join(mech, 'x86_64', 'libnrnmech.so')):
        sys.exit('nrnivmodl did not build x86_64/libnrnmech.so in ' + mech)
    return os.path.join(work, 'pkg'), mech


if __name__ == '__main__' and sys.argv[1:2] != ['--compute']:
    netpyne_src, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp(prefix='granger_nte_reference_')
    pkg, mech = build(netpyne_src, work)
    subprocess.run([sys.executable, os.path.abspath(__file__), '--compute', mech, out], cwd=pkg,
                   env=dict(os.environ, PYTHONPATH=pkg), check=True)
    shutil.rmtree(work)
    sys.exit(0)

MECH, OUT = sys.argv[2], sys.argv[3]
import numpy as np
import neuron
from neuron import h
neuron.load_mechanisms(MECH)
import netpyne.sim as sim
import netpyne.analysis.info as info
from netpyne.support.bsmart import pwcausalr

DT = 0.025
def poisson(rng, cells, rate, start, stop):
    n = rng.poisson(cells * rate * (stop - start) / 1000.0)
    k = np.floor(rng.uniform(start, stop, n) / DT)
    return sorted(round(float(v) * DT, 3) for v in k)

def drive(rng, x, keep, lag, stop):
    return sorted(round(t + lag, 3) for t in x if rng.uniform() < keep and t + lag < stop)

def merge(*lists):
    return sorted(t for l in lists for t in l)

def project_counts(spks, start, stop, bin_ms):
    # spike_counts() in analysis/spike_trains.cpp: every full bin of [start, stop), half-open
    bins = int(np.floor((stop - start) / bin_ms + 1e-9))
    c = np.zeros(bins)
    for t in spks:
        if start <= t < stop:
            b = int((t - start) / bin_ms)
            if b < bins: c[b] += 1
    return c

granger_cases, nte_cases = [], []

def granger_case(name, x, y, tr, note, exact=True):
    fig, g = info.granger(spks1=list(x), spks2=list(y), timeRange=list(tr), plotFig=False)
    assert fig == -1 and isinstance(g, dict), g
    granger_cases.append(dict(name=name, mode='netpyne', note=note, exact=exact, window=list(tr), bin_ms=5, order=10,
                              x=list(x), y=list(y), freq_hz=[float(f) for f in g['F']],
                              f_xy=[float(v) for v in g['Fx2y']], f_yx=[float(v) for v in g['Fy2x']]))

def granger_standard_case(name, x, y, tr):
    # not NetPyNE output: BSMART's pwcausalr as NetPyNE ships it, on the project's bins, demeaned
    c1 = project_counts(x, tr[0], tr[1], 5); c2 = project_counts(y, tr[0], tr[1], 5)
    c1 -= c1.mean(); c2 -= c2.mean()
    F, pp, cohe, fxy, fyx, Fxy = pwcausalr(np.array([c1, c2]), 1, len(c1), 10, 200, 100)
    granger_cases.append(dict(name=name, mode='standard', exact=True,
                              note='bsmart.pwcausalr(np.array([c1 - mean, c2 - mean]), 1, len(c1), 10, 200, 100), '
                                   'c = spike_counts() bins (every full 5 ms bin of the window, half-open)',
                              window=list(tr), bin_ms=5, order=10, x=list(x), y=list(y),
                              freq_hz=[float(f) for f in F], f_xy=[float(v) for v in fxy[0]], f_yx=[float(v) for v in fyx[0]]))

ran4 = [0]
def nte_case(name, src, tgt, duration, shuffles=30):
    sim.cfg.duration = duration
    bins = len(np.arange(0, duration, 20)) - 1
    v = info.nTE(spks1=list(src), spks2=list(tgt), numShuffle=shuffles)
    assert v != -1
    nte_cases.append(dict(name=name, window=[0.0, float(duration)], bin_ms=20, shuffles=shuffles,
                          ran4_index=ran4[0], source=list(src), target=list(tgt), nte=float(v)))
    c1 = np.histogram(src, bins=np.arange(0, duration, 20))[0]; c2 = np.histogram(tgt, bins=np.arange(0, duration, 20))[0]
    if c1.min() != c1.max() and c2.min() != c2.max():
        ran4[0] += shuffles * (bins - 1)   # nte.mod's static index advances only when it shuffles
    return v

rng = np.random.default_rng(20240611)
# Granger: 2 s of two 50-cell populations
x = poisson(rng, 50, 10, 0, 2000)
yi = poisson(rng, 50, 10, 0, 2000)
y = merge(drive(rng, x, 0.5, 5.0, 2000), poisson(rng, 50, 5, 0, 2000))
edge = [0.0, 5.0, 990.0, 995.0, 1995.0, 1997.5, 1999.975]  # bin edges, NetPyNE's last edge, the dropped tail
x = merge(x, edge)
granger_case('independent', x, yi, (0, 2000), 'NetPyNE granger(spks1=x, spks2=y, timeRange=window, plotFig=False)')
granger_case('driven', x, y, (0, 2000), 'NetPyNE granger(spks1=x, spks2=y, timeRange=window, plotFig=False)')
granger_case('driven_offset_window', x, y, (237.5, 1761.2), 'NetPyNE granger(spks1=x, spks2=y, timeRange=window, plotFig=False)')
granger_case('reversed', y, x, (0, 2000), 'NetPyNE granger(spks1=x, spks2=y, timeRange=window, plotFig=False)')
# y an exact copy of x one bin later: NetPyNE's ckchol fails and substitutes the identity
rng2 = np.random.default_rng(0)
cx = sorted(float(np.floor(t / 5) * 5 + 1) for t in poisson(rng2, 1, 20, 0, 2000))
cy = [t + 5 for t in cx]
granger_case('identity_substitution', cx, cy, (0, 2000), 'NetPyNE granger(spks1=x, spks2=y, timeRange=window, plotFig=False); '
             'bsmart.ckchol printed "WARNING: Cholesky failed, so returning (invalid) identity matrix!" 11 times. '
             'Not reproducible: which factorisations fail is decided by the sign of pivots of 1e-16..1e-20 (rounding '
             'noise of the BLAS/LAPACK build), so only finiteness and the substitution are checked', exact=False)
granger_standard_case('independent_standard', x, yi, (0, 2000))
granger_standard_case('driven_standard', x, y, (0, 2000))

# nTE, in one NEURON process, in this order (the ran4 index carries over between calls)
rng = np.random.default_rng(7)
sx = poisson(rng, 2, 10, 0, 10000)
sy = merge(drive(rng, sx, 1.0, 5.0, 10000), poisson(rng, 1, 5, 0, 10000))
nte_case('driven_small', sx, sy, 10000)
nte_case('driven_small_reversed', sy, sx, 10000)
lx = poisson(rng, 50, 10, 0, 4000)
ly = poisson(rng, 50, 10, 0, 4000)
nte_case('independent_large', lx, ly, 4000)
nte_case('independent_large_reversed', ly, lx, 4000)
px = poisson(rng, 3, 2, 0, 60000)
py = merge(drive(rng, px, 0.7, 5.0, 60000), poisson(rng, 3, 2, 0, 60000))
nte_case('sparse_long', px, py, 60000, shuffles=10)
nte_case('sparse_long_reversed', py, px, 60000, shuffles=10)

prov = PROVENANCE
def dedupe(cases, keys):
    # each spike train once, under a name; cases name their trains
    trains, names = {}, {}
    for c in cases:
        for k in keys:
            t = tuple(c[k])
            if t not in names:
                names[t] = 'train%d' % len(trains)
                trains[names[t]] = list(t)
            c[k] = names[t]
    return trains
def dump(path, cases, keys):
    trains = dedupe(cases, keys)
    with open(path, 'w') as f:
        f.write('{"provenance": ' + json.dumps(prov) + ',\n"cases": [\n')
        f.write(',\n'.join(json.dumps(c) for c in cases))
        f.write('],\n"trains": {\n')
        f.write(',\n'.join(json.dumps(k) + ': ' + json.dumps(v) for k, v in trains.items()))
        f.write('}}\n')
dump(os.path.join(OUT, 'granger_reference.json'), granger_cases, ('x', 'y'))
dump(os.path.join(OUT, 'nte_reference.json'), nte_cases, ('source', 'target'))
for c in nte_cases: print(c['name'], c['ran4_index'], c['nte'])
for c in granger_cases: print(c['name'], c['mode'], max(c['f_xy']), max(c['f_yx']), min(c['f_xy']), min(c['f_yx']))
