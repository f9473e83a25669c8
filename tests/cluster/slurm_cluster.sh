#!/usr/bin/env bash
# slurm_cluster.sh — start/stop a throw-away single-node SLURM cluster that
# lives entirely inside one directory, for tests of the sweep/batch layer
# against a real sbatch/squeue/scancel.
#
#   slurm_cluster.sh start  DIR   create DIR, write DIR/slurm.conf, start
#                                 munged, slurmctld and slurmd, wait until the
#                                 node is idle, then print exactly one line
#                                 "SLURM_CONF=<abs DIR>/slurm.conf" on stdout.
#   slurm_cluster.sh stop   DIR   scancel every job of the cluster, then stop
#                                 slurmd, slurmctld and munged by the pids in
#                                 DIR's pid files (SIGTERM, 10 s, SIGKILL).
#                                 Exits 0 even if nothing is running.
#   slurm_cluster.sh status DIR   print sinfo/squeue output (debugging).
#
# Everything except that one stdout line goes to stderr.  Use the cluster by
# exporting the printed SLURM_CONF; the client commands (sbatch, squeue,
# scancel, sinfo, scontrol) then talk to this cluster only.
#
# Requirements: Debian 12 packages munge, slurmctld, slurmd, slurm-client
# (SLURM 22.05); run as root.  Works in containers without systemd/cgroups.
#
# Environment overrides:
#   SLURMCTLD_PORT, SLURMD_PORT  TCP ports (default: two free ports picked at
#                                start, so a developer's own SLURM on
#                                6817/6818 is not disturbed).
#   SLURM_CLUSTER_TIMEOUT        seconds to wait for the node to go idle (60).
#
# Notes on the non-obvious settings in the generated slurm.conf / daemons:
#   * munged runs with --force (needed as root) and its own 1024-byte key,
#     socket, pid, log and seed files under DIR/munge, so the system munged
#     and /etc/munge/munge.key are never touched.  AuthInfo=socket=... makes
#     auth/munge (daemons and clients) AND cred/munge (job credentials
#     signed by slurmctld, checked by slurmd) use that socket.
#   * SlurmctldHost=localhost(127.0.0.1): the controller's address is given,
#     so nothing depends on /etc/hosts or DNS (a bare debootstrap has neither).
#   * slurmd 22.05 initialises its cgroup plugin whatever the config says and
#     fails without /sys/fs/cgroup mounted (any booted machine has it; a bare
#     chroot does not): start checks that first.
#   * NodeName=localhost NodeAddr=127.0.0.1, and slurmd gets "-N localhost":
#     the machine's hostname (e.g. "vm") need not be "localhost" and slurmd
#     otherwise looks for a NodeName equal to its hostname.
#   * Node topology (Sockets/Cores/Threads) is copied from `slurmd -C`, so
#     slurmd's registration matches the config and the node is not drained;
#     RealMemory is 90% of MemTotal (a node reporting less memory than
#     configured would be drained).
#   * SelectType=select/cons_tres + CR_Core_Memory: --cpus-per-task and --mem
#     are real consumable resources.  DefMemPerCPU gives a job without --mem
#     its per-CPU share instead of the whole node's memory.
#   * ProctrackType=proctrack/linuxproc, TaskPlugin=task/none: no cgroups.
#   * No accounting (accounting_storage/none, jobacct_gather/none), so sacct
#     does not work; MinJobAge=300 keeps finished jobs in slurmctld's memory
#     (squeue -t all / scontrol show job) for 5 minutes so tests can read the
#     final state of every array task.
#   * KillWait=5: scancel sends SIGTERM, then SIGKILL 5 s later.
#   * ReturnToService=2: the node returns from DOWN as soon as slurmd
#     registers.  slurmctld -c: start from an empty state (no old jobs).
#   * SchedulerParameters: the main scheduler also runs on every submit and
#     job end; sched_interval/bf_interval are shortened so array tasks held
#     back by a %N throttle start within a second or two.
#   * Every daemon is started with SLURM_CLUSTER_SH_DIR=<DIR> in its
#     environment (inherited by slurmstepd); `stop` uses that marker, never a
#     process name, to catch strays after the pid-file shutdown.
set -euo pipefail

prog=${0##*/}
# All chatter goes to stderr; fd 3 is the real stdout for the SLURM_CONF line.
# Daemons are started with fd 3 closed and stdout/stderr in files, otherwise
# a caller reading our stdout (e.g. $(...)) would wait for them forever.
exec 3>&1 1>&2

die() { echo "$prog: error: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

usage() {
    echo "usage: $prog {start|stop|status} DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
cmd=$1
dir_arg=$2
[[ -n $dir_arg ]] || usage

PARTITION="test"
NODE=localhost
MARKER=SLURM_CLUSTER_SH_DIR

# ---------------------------------------------------------------- helpers

# Absolute, symlink-free path of DIR (must exist).
abs_dir() { (cd "$1" && pwd -P); }

# Pid from a pid file, or empty.
read_pid() {
    local f=$1 p
    [[ -f $f ]] || return 0
    p=$(tr -cd '0-9' <"$f" 2>/dev/null || true)
    [[ -n $p ]] && echo "$p"
    return 0
}

# True if PID is alive and is the executable named NAME (guards against a
# recycled pid in a stale pid file).  Debian installs slurmctld/slurmd as
# alternatives pointing at /usr/sbin/slurmctld-wlm and /usr/sbin/slurmd-wlm.
pid_is() {
    local pid=$1 name=$2 exe
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    exe=${exe% (deleted)}
    exe=${exe##*/}
    [[ $exe == "$name" || $exe == "$name"-wlm ]]
}

# Field N (3 = state, 4 = ppid) of /proc/PID/stat; the command name in
# field 2 may contain spaces and parentheses, so split after the last ")".
proc_field() {
    local st f
    st=$(cat 2>/dev/null "/proc/$1/stat") || return 1
    read -r -a f <<<"${st##*) }"
    echo "${f[$(($2 - 3))]}"
}

# Send SIGTERM to PID, wait up to 10 s, then SIGKILL.
terminate_pid() {
    local pid=$1 what=$2 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        # A zombie stays until reaped (PID 1 of some containers never reaps).
        [[ $(proc_field "$pid" 3 || true) == Z ]] && return 0
        sleep 0.2
    done
    log "$what (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 25; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
}

# Stop the daemon recorded in PIDFILE if it is still the expected program.
stop_daemon() {
    local pidfile=$1 name=$2 pid
    pid=$(read_pid "$pidfile")
    if pid_is "$pid" "$name"; then
        log "stopping $name (pid $pid)"
        terminate_pid "$pid" "$name"
    fi
    rm -f "$pidfile"
}

# Pids of processes carrying our marker (daemons started by this script for
# DIR, and slurmstepd processes they forked), plus all their descendants.
marked_pids() {
    local d=$1 p env
    declare -A marked=()
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [[ $p == "$$" || $p == "$BASHPID" ]] && continue
        env=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/environ") || continue
        if grep -qxF "$MARKER=$d" <<<"$env"; then
            marked[$p]=1
        fi
    done
    [[ ${#marked[@]} -gt 0 ]] || return 0
    # Add descendants (the job processes under slurmstepd) until stable.
    local changed=1 ppid
    while ((changed)); do
        changed=0
        for p in /proc/[0-9]*; do
            p=${p#/proc/}
            [[ -n ${marked[$p]:-} ]] && continue
            ppid=$(proc_field "$p" 4) || continue
            if [[ -n $ppid && -n ${marked[$ppid]:-} ]]; then
                marked[$p]=1
                changed=1
            fi
        done
    done
    echo "${!marked[@]}"
}

# Two distinct free TCP ports.
free_ports() {
    if [[ -x /usr/bin/python3 ]]; then
        /usr/bin/python3 -c '
import socket
ss = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
'
        return
    fi
    local used p ports=()
    used=$(ss -Hltn 2>/dev/null | awk '{n=split($4,a,":"); print a[n]}')
    while ((${#ports[@]} < 2)); do
        p=$((20000 + RANDOM % 40000))
        grep -qx "$p" <<<"$used" && continue
        [[ ${#ports[@]} -eq 1 && ${ports[0]} == "$p" ]] && continue
        ports+=("$p")
    done
    echo "${ports[*]}"
}

print_logs() {
    local d=$1 f
    for f in "$d/munge/munged.log" "$d/munge/munged.out" \
             "$d/slurmctld.log" "$d/slurmctld.out" \
             "$d/slurmd.log" "$d/slurmd.out"; do
        [[ -s $f ]] || continue
        echo "----- tail of $f -----" >&2
        tail -n 30 "$f" >&2 || true
    done
}

check_programs() {
    local missing=() pair exe pkg
    for pair in munged:munge munge:munge unmunge:munge \
                slurmctld:slurmctld slurmd:slurmd \
                sbatch:slurm-client squeue:slurm-client scancel:slurm-client \
                sinfo:slurm-client scontrol:slurm-client; do
        exe=${pair%%:*}
        pkg=${pair#*:}
        if ! PATH=$PATH:/usr/sbin:/sbin command -v "$exe" >/dev/null 2>&1; then
            missing+=("$exe (Debian package $pkg)")
        fi
    done
    if ((${#missing[@]})); then
        die "missing programs: ${missing[*]}; install with: apt-get install munge slurmctld slurmd slurm-client"
    fi
}

# ---------------------------------------------------------------- stop

do_stop() {
    local d=$1 i pids left
    export SLURM_CONF=$d/slurm.conf
    local ctld_pid
    ctld_pid=$(read_pid "$d/slurmctld.pid")
    if [[ -f $SLURM_CONF ]] && pid_is "$ctld_pid" slurmctld; then
        # Cancel all jobs (batch shell and all its steps) so no job outlives
        # the cluster, and wait for them to leave RUNNING/COMPLETING (SIGTERM,
        # SIGKILL after KillWait=5 s).
        log "cancelling all jobs"
        timeout 15 scancel --full --partition="$PARTITION" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            left=$(timeout 10 squeue -h -t PD,R,CG,S,CF,RQ,RS,SE,SO,ST,SI,RD,RF,RH \
                   -o %i 2>/dev/null) || break
            [[ -z $left ]] && break
            sleep 0.2
        done
        [[ -z ${left:-} ]] || log "jobs still active after 20 s: ${left//$'\n'/ }"
    fi
    stop_daemon "$d/slurmd.pid" slurmd
    stop_daemon "$d/slurmctld.pid" slurmctld
    stop_daemon "$d/munge/munged.pid" munged

    # Safety net: anything still carrying our marker (slurmstepd and the
    # processes of a job it could not kill).
    pids=$(marked_pids "$d")
    if [[ -n $pids ]]; then
        log "killing leftover processes of this cluster: $pids"
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null || true
        sleep 1
        pids=$(marked_pids "$d")
        # shellcheck disable=SC2086
        [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
    fi
    return 0
}

# ---------------------------------------------------------------- start

do_start() {
    local d=$1

    local p
    for p in "$d/munge/munged.pid:munged" "$d/slurmctld.pid:slurmctld" "$d/slurmd.pid:slurmd"; do
        if pid_is "$(read_pid "${p%%:*}")" "${p#*:}"; then
            die "${p#*:} already running for $d; run '$prog stop $d' first"
        fi
    done

    local sock=$d/munge/munge.socket
    # sockaddr_un.sun_path is 108 bytes; munged also creates "$sock.lock".
    ((${#sock} < 100)) || die "directory path too long for a unix socket: $sock (use a shorter DIR)"
    [[ -n $(ls -A /sys/fs/cgroup 2>/dev/null) ]] ||
        die "/sys/fs/cgroup is not mounted: slurmd 22.05 cannot start without it"

    local t0=$SECONDS
    mkdir -p "$d/munge" "$d/state" "$d/spool"
    # munged refuses group/other-writable socket dirs; o+x lets non-root
    # clients reach the socket.
    chmod 0711 "$d/munge"

    # ------------------------------------------------------------ munge
    local key=$d/munge/munge.key
    if [[ ! -s $key ]]; then
        rm -f "$key"
        (umask 077 && head -c 1024 /dev/urandom >"$key")
    fi
    chown root:root "$key"
    chmod 0400 "$key"
    rm -f "$sock" "$sock.lock" "$d/munge/munged.pid"
    log "starting munged"
    if ! env "$MARKER=$d" munged --force \
            --socket="$sock" \
            --key-file="$key" \
            --pid-file="$d/munge/munged.pid" \
            --log-file="$d/munge/munged.log" \
            --seed-file="$d/munge/munged.seed" \
            </dev/null 3>&- >>"$d/munge/munged.out" 2>&1; then
        print_logs "$d"
        do_stop "$d"
        die "munged failed to start"
    fi
    local i ok=0 p1 p2
    for ((i = 0; i < 100; i++)); do
        if munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if ((!ok)); then
        print_logs "$d"
        do_stop "$d"
        die "munged does not answer on $sock"
    fi

    # ------------------------------------------------------------ slurm.conf
    local ctld_port=${SLURMCTLD_PORT:-} slurmd_port=${SLURMD_PORT:-} ports
    if [[ -z $ctld_port || -z $slurmd_port ]]; then
        ports=$(free_ports) || die "could not pick free TCP ports"
        read -r p1 p2 <<<"$ports"
        ctld_port=${ctld_port:-$p1}
        slurmd_port=${slurmd_port:-$p2}
        [[ $ctld_port != "$slurmd_port" ]] || slurmd_port=$p1
    fi

    # Topology as slurmd will report it (avoids "Low socket*core count"
    # drains); fall back to CPUs=nproc.
    local hw topo cpus
    hw=$(slurmd -C 2>/dev/null | head -n 1 || true)
    cpus=$(sed -n 's/.*\bCPUs=\([0-9]*\).*/\1/p' <<<"$hw")
    topo=$(grep -o -E '\b(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=[0-9]+' <<<"$hw" | tr '\n' ' ' | sed 's/ $//' || true)
    if [[ -z $cpus || -z $topo ]]; then
        cpus=$(nproc)
        topo="CPUs=$cpus"
    fi
    local mem_kb mem_mb defmem
    mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    mem_mb=$((mem_kb * 9 / 10 / 1024))
    defmem=$((mem_mb / cpus))

    cat >"$d/slurm.conf" <<EOF
# Generated by $prog for a throw-away test cluster; see the script header.
ClusterName=m1test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$d/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$defmem
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$NODE NodeAddr=127.0.0.1 $topo RealMemory=$mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$d/plugstack.conf"
    export SLURM_CONF=$d/slurm.conf

    # ------------------------------------------------------------ daemons
    rm -f "$d/slurmctld.pid" "$d/slurmd.pid"
    log "starting slurmctld (port $ctld_port)"
    if ! env "$MARKER=$d" slurmctld -c -f "$SLURM_CONF" \
            </dev/null 3>&- >>"$d/slurmctld.out" 2>&1; then
        print_logs "$d"
        do_stop "$d"
        die "slurmctld failed to start"
    fi
    log "starting slurmd (port $slurmd_port)"
    if ! env "$MARKER=$d" slurmd -c -N "$NODE" -f "$SLURM_CONF" \
            </dev/null 3>&- >>"$d/slurmd.out" 2>&1; then
        print_logs "$d"
        do_stop "$d"
        die "slurmd failed to start"
    fi

    local timeout=${SLURM_CLUSTER_TIMEOUT:-60} state=""
    local deadline=$((SECONDS + timeout))
    while :; do
        state=$(timeout 5 sinfo -h -o %t -n "$NODE" 2>/dev/null | head -n 1 || true)
        [[ $state == idle ]] && break
        if ((SECONDS >= deadline)); then
            log "node did not become idle within ${timeout}s (last state: '${state}')"
            print_logs "$d"
            do_stop "$d"
            die "SLURM cluster in $d did not come up"
        fi
        for p in "$d/munge/munged.pid:munged" "$d/slurmctld.pid:slurmctld" "$d/slurmd.pid:slurmd"; do
            # Dead if its pid file names a dead process, or if it has not
            # written one within 10 s.
            if ! pid_is "$(read_pid "${p%%:*}")" "${p#*:}" &&
                    { [[ -s ${p%%:*} ]] || ((SECONDS - t0 > 10)); }; then
                log "${p#*:} is not running"
                print_logs "$d"
                do_stop "$d"
                die "SLURM cluster in $d did not come up"
            fi
        done
        sleep 0.2
    done
    log "cluster up in $((SECONDS - t0)) s (node $NODE idle, $topo RealMemory=${mem_mb}M)"
    echo "SLURM_CONF=$SLURM_CONF" >&3
}

# ---------------------------------------------------------------- status

do_status() {
    local d=$1
    export SLURM_CONF=$d/slurm.conf
    [[ -f $SLURM_CONF ]] || die "no $SLURM_CONF"
    local p pid
    for p in "$d/munge/munged.pid:munged" "$d/slurmctld.pid:slurmctld" "$d/slurmd.pid:slurmd"; do
        pid=$(read_pid "${p%%:*}")
        if pid_is "$pid" "${p#*:}"; then
            echo "${p#*:}: running (pid $pid)" >&3
        else
            echo "${p#*:}: not running" >&3
        fi
    done
    echo "SLURM_CONF=$SLURM_CONF" >&3
    timeout 10 sinfo >&3 2>&1 || true
    timeout 10 squeue -t all -r -o '%.12i %.9P %.20j %.10T %.10M %.6C %.8m %R' >&3 2>&1 || true
}

# ---------------------------------------------------------------- main

case $cmd in
start)
    check_programs
    PATH=$PATH:/usr/sbin:/sbin
    [[ $EUID -eq 0 ]] || die "must run as root (SlurmUser=root, munged --force)"
    mkdir -p "$dir_arg" || die "cannot create $dir_arg"
    do_start "$(abs_dir "$dir_arg")"
    ;;
stop)
    if [[ -d $dir_arg ]]; then
        do_stop "$(abs_dir "$dir_arg")"
    fi
    ;;
status)
    [[ -d $dir_arg ]] || die "no such directory: $dir_arg"
    do_status "$(abs_dir "$dir_arg")"
    ;;
*)
    usage
    ;;
esac
exit 0
