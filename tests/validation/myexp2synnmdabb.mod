COMMENT
MyExp2SynNMDABB -- a slow, voltage-dependent (Mg-blocked) NMDA synapse as a NEURON point process,
for the m1batch validation suite (tests/validation). It is the reference m1batch's NMDA synapse
is compared against.

Provenance: written for m1batch from the equations below (dual-exponential conductance as
NEURON's Exp2Syn; Mg block of Jahr & Stevens 1990, 1/(1 + 0.28 exp(-0.062 v)); a calcium share
through the Goldman-Hodgkin-Katz driving force) and from the behaviour m1batch has to reproduce.
It is NOT a copy of any third-party .mod file. The MyExp2SynNMDABB.mod and ghk.inc of
OpenSourceBrain/M1NetworkModel at commit 2ef9817 (the mechanism the 2016 M1 model used for its
background input) were read only to confirm behaviour: the public names, the parameter defaults,
which expressions the current block evaluates in which order, and the event increment.
Checked once against that original (compiled outside the repository with the same nocmodl):
the soma voltage at every step and the spike times are bit-identical on every NMDA validation
case (docs/validation.md).

Model (v mV, t ms, conductance uS, current nA):
    A2' = -A2/tau1NMDA,  B2' = -B2/tau2NMDA          (cnexp: exact exponential decay)
    an event of weight w:  A2 += factor2*w*r,  B2 += factor2*w*r   (only if r >= 0)
    factor2 = 1/(exp(-tp/tau2NMDA) - exp(-tp/tau1NMDA)), tp = the time of the peak of B2 - A2,
              so one event of weight w gives a peak conductance of w*r
    s       = min(B2 - A2, sNMDAmax)
    mgblock = 1/(1 + 0.28 exp(-0.062 v))
    iNMDA   = s (v - e) mgblock (1 - fracca)          (NONSPECIFIC_CURRENT)
    ica     = s ghkg(v, cai, cao, 2) mgblock fracca   (only if fracca > 0; calcium current)
The membrane sees iNMDA + ica. ghkg is the GHK flux written as an effective driving force (slope
1 at low voltages): with f = R (celsius + 273.15)/(z 1e-3 FARADAY) and xi = v/f,
    ghkg = f ((ci/co) exp(xi) - 1) xi/(exp(xi) - 1)    (xi/(exp(xi) - 1) -> 1 - xi/2 if |xi| < 1e-4)
FARADAY and R are nrnunits.lib's (with NEURON 8.2's default units 96485.33212331001 C/mol and
8.31446261815324 J/(mol K)). Nothing in the validation cases sets cai, cao or celsius, so they
keep NEURON's defaults (cai0_ca_ion, cao0_ca_ion, celsius; docs/validation.md), and nothing
changes cai: the ica written here only feeds ca_ion's current bookkeeping.

Public names as in the original: RANGE tau1NMDA (15 ms), tau2NMDA (150 ms), e (0 mV), r (1), smax
and sNMDAmax (1e9), Vwt (reset to 0 by INITIAL, otherwise unused), iNMDA, sNMDA, ica; GLOBAL fracca
(0.13) and mg (1, unused). smax and mg are not used by the original either; the original's RANGE
list also names i and s, which it never declares (nocmodl drops them), so they are left out.
The functions ghkg and ghk (the GHK flux itself, unused here) are kept as in the original.

Expression forms follow the original so that nocmodl produces the same floating-point operations
in the same order (left to right: s*(v - e)*mgblock*(1 - fracca)). THREADSAFE is not declared,
as in the original; nocmodl finds the mechanism thread safe anyway.
ENDCOMMENT

NEURON {
    POINT_PROCESS MyExp2SynNMDABB
    RANGE e, iNMDA, sNMDA, r, tau1NMDA, tau2NMDA, Vwt, smax, sNMDAmax
    NONSPECIFIC_CURRENT iNMDA
    USEION ca READ cai, cao WRITE ica
    GLOBAL fracca
    RANGE ica
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    tau1NMDA = 15 (ms)
    tau2NMDA = 150 (ms)
    e = 0 (mV)
    mg = 1          : unused (a GLOBAL, as in the original)
    r = 1           : scales every event; events are ignored when r < 0
    smax = 1e9 (1)  : unused
    sNMDAmax = 1e9 (1)
    Vwt = 0         : unused; INITIAL resets it
    fracca = 0.13   : calcium share of the current (GLOBAL)
}

ASSIGNED {
    v (mV)
    iNMDA (nA)
    sNMDA (1)
    mgblock (1)
    factor2 (1)
    ica (nA)
    cai (mM)
    cao (mM)
    celsius (degC)
}

STATE {
    A2 (1)
    B2 (1)
}

INITIAL {
    LOCAL tp
    Vwt = 0
    if (tau1NMDA/tau2NMDA > .9999) {
        tau1NMDA = .9999*tau2NMDA
    }
    A2 = 0
    B2 = 0
    tp = (tau1NMDA*tau2NMDA)/(tau2NMDA - tau1NMDA) * log(tau2NMDA/tau1NMDA)
    factor2 = -exp(-tp/tau1NMDA) + exp(-tp/tau2NMDA)
    factor2 = 1/factor2
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
    mgblock = 1.0/(1.0 + 0.28*exp(-0.062*v))
    sNMDA = B2 - A2
    if (sNMDA > sNMDAmax) {
        sNMDA = sNMDAmax
    }
    iNMDA = sNMDA*(v - e)*mgblock*(1 - fracca)
    if (fracca > 0.0) {
        ica = sNMDA*ghkg(v, cai, cao, 2)*mgblock*fracca
    }
}

DERIVATIVE decay {
    A2' = -A2/tau1NMDA
    B2' = -B2/tau2NMDA
}

FUNCTION ghkg(v (mV), ci (mM), co (mM), z) (mV) {
    LOCAL xi, f, exi, fxi
    f = R*(celsius + 273.15)/(z*(1e-3)*FARADAY)
    xi = v/f
    exi = exp(xi)
    if (fabs(xi) < 1e-4) {
        fxi = 1 - xi/2
    } else {
        fxi = xi/(exi - 1)
    }
    ghkg = f*((ci/co)*exi - 1)*fxi
}

FUNCTION ghk(v (mV), ci (mM), co (mM), z) (.001 coul/cm3) {
    LOCAL xi, f, exi, fxi
    f = R*(celsius + 273.15)/(z*(1e-3)*FARADAY)
    xi = v/f
    exi = exp(xi)
    if (fabs(xi) < 1e-4) {
        fxi = 1 - xi/2
    } else {
        fxi = xi/(exi - 1)
    }
    ghk = (.001)*z*FARADAY*(ci*exi - co)*fxi
}

NET_RECEIVE (w (uS)) {
    LOCAL ww
    ww = w
    if (r >= 0) {
        A2 = A2 + factor2*ww*r
        B2 = B2 + factor2*ww*r
    }
}
