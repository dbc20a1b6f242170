#!/bin/bash
# cluster-test.sh [--quick] [--membrane PATH]: a catalog run on a three-host test cluster on this machine, with
# faults, each followed by re-running the same command (see the README, "Cluster test").
#
# Hosts a, b, c are network namespaces (testnet.sh); mpirun runs in the root namespace and
# starts one rank per host through rsh-agent, over TCP only: rank 0 (coordinator) on a, ranks 1
# and 2 on b and c, one group of two, so every job all-reduces between hosts b and c.
#   clean  uninterrupted run (the reference membranes, the clean wall time)
#   (a)    kill -9 of every process of host b mid-run; re-run
#   (b)    host c's link down mid-iteration; link up again; re-run
#   (d)    the rank on host c hangs (SIGSTOP; daemon and link stay up) mid-run; re-run
#   (c)    50 ms delay and 1% loss each way on host c's link for a whole run: kernel netem where
#          the kernel has it, otherwise a userspace relay (testnet.sh impair); the delay is
#          checked by ping (median RTT must be 2 x 50 ms + at most 50 ms) before the run
# Every re-run and (c) must end 0 with membranes byte-identical (cmp) to the clean run's; a
# faulted run must end non-zero within DETECT_LIMIT seconds. --quick: clean run and (a) only
# (FAULTS="a b d c" picks faults). mpirun gets short OOB TCP keepalives, so a daemon cut off
# from mpirun is noticed in about 5 s (Open MPI's default is over 8 minutes).
#
# Environment: MEMBRANE (binary, default .build/release/membrane; or --membrane), HEARTBEAT_TIMEOUT (s, default
# 10), RUN_TIMEOUT (s per run, default 300), KEEP=1 keeps the work folder, REQUIRE_NETEM=1
# fails (c) on a kernel without netem instead of using the relay, TESTNET_IMPAIR=relay uses the
# relay even where netem works. Needs root. Exit codes: 0 passed, 1 failed, 77 network
# namespaces unavailable (testnet.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/env.sh"

FAULTS=${FAULTS:-a b d c}
MEMBRANE=${MEMBRANE:-$root/.build/release/membrane}
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) FAULTS=a ;;
        --membrane) MEMBRANE=$2; shift ;;
        *) echo "usage: cluster-test.sh [--quick] [--membrane PATH]" >&2; exit 2 ;;
    esac
    shift
done
HEARTBEAT_TIMEOUT=${HEARTBEAT_TIMEOUT:-10}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
# A lost host must end the run within the heartbeat timeout plus this margin.
DETECT_LIMIT=$((HEARTBEAT_TIMEOUT + 30))
IMPAIR_DELAY_MS=50
IMPAIR_LOSS_PERCENT=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

say() { echo "cluster-test: $*"; }
fail() { echo "cluster-test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces)"
[ -x "$MEMBRANE" ] || fail "membrane binary $MEMBRANE not found (make build, or MEMBRANE=path)"
command -v mpirun >/dev/null || fail "mpirun not found (make deps)"

work=$(mktemp -d /tmp/membrane-cluster.XXXXXX)
mpirun_pid=""
ping_pid=""
# stop_run: ends a run still going (mpirun under timeout): TERM, then KILL after 10 s.
stop_run() {
    [ -n "$mpirun_pid" ] || return 0
    local child i
    child=$(pgrep -P "$mpirun_pid" || true)
    kill -TERM "$mpirun_pid" 2>/dev/null
    for i in $(seq 50); do kill -0 "$mpirun_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$mpirun_pid" $child 2>/dev/null
    mpirun_pid=""
}

cleanup() {
    local status=$?
    set +e
    stop_run
    [ -z "$ping_pid" ] || kill "$ping_pid" 2>/dev/null
    "$here/testnet.sh" down
    if [ "$status" -ne 0 ] || [ "${KEEP:-0}" = 1 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/testnet.sh" up
"$here/testnet.sh" hostfile "$work/hostfile"
cp "$here/catalog.yaml" "$work/catalog.yaml"
sed -i "s|^model: .*|model: $root/models/shapesworld-a|" "$work/catalog.yaml"

# start LIBRARY LOG: starts the catalog run in the background (pid in mpirun_pid).
start() {
    timeout -k 5 "$RUN_TIMEOUT" mpirun --hostfile "$work/hostfile" -np 3 --display-map \
        --mca plm_rsh_agent "$here/rsh-agent" \
        --mca btl tcp,self --mca btl_tcp_if_include "$TESTNET_SUBNET" --mca oob_tcp_if_include "$TESTNET_SUBNET" \
        --mca oob_tcp_keepalive_time 2 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 3 \
        "$MEMBRANE" catalog run "$work/catalog.yaml" --library "$1" \
        --group-size 2 --threads 1 --heartbeat-timeout "$HEARTBEAT_TIMEOUT" >"$2" 2>&1 &
    mpirun_pid=$!
}

# finish: waits for the run; its exit status in run_status.
finish() {
    run_status=0
    wait "$mpirun_pid" || run_status=$?
    mpirun_pid=""
}

# reboot: kills what a fault left behind on the hosts (ranks cut off from mpirun).
reboot() {
    local host pids
    for host in "${TESTNET_HOSTS[@]}"; do
        pids=$(ip netns pids "$TESTNET_PREFIX-$host" 2>/dev/null || true)
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    done
}

# median_of_pings FILE: the median round-trip time (ms) of the replies ping wrote to FILE.
median_of_pings() {
    sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$1" | sort -n \
        | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median_rtt FILE COUNT: pings host c from host a COUNT times (0.2 s apart) into FILE; prints
# the median round-trip time in ms.
median_rtt() {
    ip netns exec "$TESTNET_PREFIX-a" ping -n -c "$2" -i 0.2 -W 2 "$(testnet_address c)" >"$1" 2>&1 || true
    median_of_pings "$1"
}

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# run_clean LIBRARY NAME: an uninterrupted run that must end 0; wall time in wall.
run_clean() {
    local t0
    t0=$(now)
    start "$1" "$work/$2.log"
    finish
    wall=$(seconds "$t0" "$(now)")
    [ "$run_status" -eq 0 ] || fail "$2: exit $run_status (log $work/$2.log)"
}

# wait_midrun LIBRARY LOG: waits until the first job has a checkpoint (the run is mid-job).
wait_midrun() {
    local deadline=$((SECONDS + RUN_TIMEOUT))
    until [ -e "$1/red/checkpoint.safetensors" ]; do
        [ $SECONDS -lt $deadline ] || fail "no checkpoint appeared in $1"
        kill -0 "$mpirun_pid" 2>/dev/null || fail "the run ended before its first checkpoint (log $2)"
        sleep 0.2
    done
}

# same LIBRARY NAME: every membrane of the clean run is byte-identical in LIBRARY.
same() {
    local concept
    for concept in red triangle; do
        cmp "$work/clean/$concept/$concept.safetensors" "$1/$concept/$concept.safetensors" \
            || fail "$2: $concept.safetensors differs from the clean run"
    done
    say "$2: membranes byte-identical to the clean run"
}

# fault NAME ACTION: starts a run, does ACTION mid-job, requires a non-zero exit within
# DETECT_LIMIT seconds, repairs, re-runs the same command and compares the membranes.
fault() {
    local name=$1 action=$2 lib="$work/$1" t0 detect
    start "$lib" "$work/$name.log"
    wait_midrun "$lib" "$work/$name.log"
    sleep 0.5
    t0=$(now)
    "$action" on
    local deadline=$((SECONDS + DETECT_LIMIT))
    while kill -0 "$mpirun_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$mpirun_pid" 2>/dev/null; then
        "$action" off
        fail "$name: the run still runs ${DETECT_LIMIT} s after the fault (log $work/$name.log)"
    fi
    detect=$(seconds "$t0" "$(now)")
    finish
    "$action" off
    reboot
    [ "$run_status" -ne 0 ] || fail "$name: the faulted run exited 0"
    grep -q "checkpoint belongs to another config or is damaged" "$work/$name.log" && fail "$name: damaged checkpoint"
    say "$name: run ended with exit $run_status ${detect} s after the fault"
    eval "detect_$name=$detect status_$name=$run_status"
    run_clean "$lib" "$name-rerun"
    grep -q "resuming from its checkpoint" "$work/$name-rerun.log" || fail "$name: the re-run did not resume from a checkpoint"
    grep -q "damaged" "$work/$name-rerun.log" && fail "$name: the re-run found a damaged checkpoint"
    same "$lib" "$name"
}

kill_host_b() {
    [ "$1" = on ] || return 0
    kill -9 $(ip netns pids "$TESTNET_PREFIX-b")
}

# A hung host: its membrane rank stops (SIGSTOP) while its daemon and network stay up, so only
# the coordinator's heartbeat timeout can notice.
hang_host_c() {
    local pid signal=STOP
    [ "$1" = on ] || signal=CONT
    for pid in $(ip netns pids "$TESTNET_PREFIX-c"); do
        [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = membrane ] && kill -"$signal" "$pid"
    done
    return 0
}

link_c_down() {
    local state=down
    [ "$1" = on ] || state=up
    ip link set "$(testnet_link c)" "$state"
}

say "clean run (rank 0 on host a, group of ranks 1,2 on hosts b and c)"
run_clean "$work/clean" clean
clean_wall=$wall
grep -q "ranks on hosts: 0 $TESTNET_PREFIX-a, 1 $TESTNET_PREFIX-b, 2 $TESTNET_PREFIX-c" "$work/clean.log" \
    || fail "ranks not placed one per host (log $work/clean.log)"
grep -q "red: started on ranks 1,2" "$work/clean.log" || fail "red did not run on the cross-host group 1,2"
say "clean: ${clean_wall} s; ranks 0,1,2 on hosts a,b,c; each job on ranks 1,2 (hosts b, c)"

has() { case " $FAULTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if has a; then
    say "(a) kill -9 of every process of host b mid-run"
    fault a kill_host_b
fi
if has b; then
    say "(b) host c's link down mid-iteration"
    fault b link_c_down
fi
if has d; then
    say "(d) the rank on host c hangs (SIGSTOP) mid-run"
    fault d hang_host_c
    [ "$status_d" -eq 4 ] && grep -q "lost: silent" "$work/d.log" \
        || fail "(d): the coordinator did not give up the silent rank with exit 4 (log $work/d.log)"
fi
if has c; then
    say "(c) ${IMPAIR_DELAY_MS} ms delay and ${IMPAIR_LOSS_PERCENT}% loss each way on host c's link for a whole run"
    rtt_before=$(median_rtt "$work/ping-before.txt" 20)
    [ "${REQUIRE_NETEM:-0}" = 1 ] && export TESTNET_IMPAIR=netem
    emulation=$("$here/testnet.sh" impair c "$IMPAIR_DELAY_MS" "$IMPAIR_LOSS_PERCENT") \
        || fail "(c): cannot impair host c's link (REQUIRE_NETEM=1 needs a kernel with netem)"
    rtt_impaired=$(median_rtt "$work/ping-impaired.txt" 20)
    say "(c) emulation: $emulation; ping a -> c median RTT ${rtt_impaired} ms (${rtt_before} ms before)"
    # The delay must be in effect: two crossings of the link, at most 50 ms of scheduling late.
    awk -v r="$rtt_impaired" -v d="$IMPAIR_DELAY_MS" 'BEGIN { exit !(r >= 2 * d && r < 2 * d + 50) }' \
        || fail "(c): median RTT ${rtt_impaired} ms through the $emulation, expected 2 x ${IMPAIR_DELAY_MS} ms"
    ip netns exec "$TESTNET_PREFIX-a" ping -n -i 1 "$(testnet_address c)" >"$work/ping-run.txt" 2>&1 &
    ping_pid=$!
    run_clean "$work/netem" netem
    netem_wall=$wall
    kill "$ping_pid" 2>/dev/null; wait "$ping_pid" 2>/dev/null || true
    ping_pid=""
    rtt_run=$(median_of_pings "$work/ping-run.txt")
    netem_counts=$(tc -s qdisc show dev "$(testnet_link c)" 2>/dev/null | grep -o 'dropped [0-9]*' | head -1 || true)
    netem_counts=${netem_counts:+root end: $netem_counts}
    relay_counts=$("$here/testnet.sh" restore c)
    same "$work/netem" netem
fi

echo
say "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; heartbeat timeout ${HEARTBEAT_TIMEOUT} s"
say "clean run: ${clean_wall} s"
has a && say "(a) host b killed: run ended (exit ${status_a}) ${detect_a} s after the fault; re-run byte-identical"
has b && say "(b) host c cut off: run ended (exit ${status_b}) ${detect_b} s after the fault; re-run byte-identical"
has d && say "(d) rank on host c hung: coordinator gave up after its heartbeat timeout, exit ${status_d} ${detect_d} s after the fault; re-run byte-identical"
if has c; then
    say "(c) $emulation, ${IMPAIR_DELAY_MS} ms + ${IMPAIR_LOSS_PERCENT}% loss each way on host c's link: ${netem_wall} s vs ${clean_wall} s clean (x$(awk -v a="$netem_wall" -v b="$clean_wall" 'BEGIN { printf "%.2f", a / b }')); byte-identical"
    say "(c) ping a -> c median RTT: ${rtt_before} ms unimpaired, ${rtt_impaired} ms impaired and idle, ${rtt_run} ms during the run"
    [ -z "$relay_counts$netem_counts" ] || say "(c) ${relay_counts}${netem_counts}"
fi
say "passed"
