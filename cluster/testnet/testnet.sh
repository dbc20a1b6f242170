#!/bin/bash
# testnet.sh up|down|status|hostfile FILE|impair HOST DELAY_MS LOSS_PERCENT|restore HOST: the
# three-host test network (see env.sh).
#
# up: removes leftovers of an earlier run, then creates the bridge, the namespaces and the veth
#     pairs, and checks that every host reaches every other one. down: removes everything up
#     and impair created (namespaces with their processes, veths, bridge, qdiscs, relays); safe
#     to run repeatedly.
# impair: DELAY_MS one-way delay and LOSS_PERCENT loss each way on HOST's link, then prints the
#     emulation used: "kernel netem" (a netem qdisc on both ends of the link) where the kernel
#     has netem, otherwise "userspace relay": the link's root end moves into a namespace of its
#     own, mbr-relay-HOST, where link_relay.py copies frames between it and a second veth pair to
#     the bridge. TESTNET_IMPAIR=netem or relay forces one (netem then fails without netem).
#     restore: undoes impair.
# Needs root (network namespaces) and iproute2 (`make deps` installs it); the relay needs python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"

die() { echo "testnet: $*" >&2; exit 1; }

require() {
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
    command -v ip >/dev/null || die "ip not found: install iproute2 (make deps)"
    command -v tc >/dev/null || die "tc not found: install iproute2 (make deps)"
}

# remove_namespace NS: kills every process in NS, then deletes it (and the veths inside).
remove_namespace() {
    local pids
    ip netns list | grep -qw "$1" || return 0
    pids=$(ip netns pids "$1" 2>/dev/null || true)
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    ip netns delete "$1" 2>/dev/null || true
}

down() {
    local host
    for host in "${TESTNET_HOSTS[@]}"; do
        remove_namespace "$(relay_namespace "$host")"
        remove_namespace "$TESTNET_PREFIX-$host"
        ip link delete "$(testnet_link "$host")" 2>/dev/null || true
        ip link delete "$(relay_link "$host")" 2>/dev/null || true
    done
    ip link delete "$TESTNET_BRIDGE" 2>/dev/null || true
}

up() {
    down
    # Exit 77 (the usual "skipped" code) where namespaces cannot be made, e.g. in a container
    # without CAP_SYS_ADMIN.
    if ! ip netns add "$TESTNET_PREFIX-probe" 2>/dev/null; then
        echo "testnet: cannot create network namespaces here (ip netns add failed)" >&2
        exit 77
    fi
    ip netns delete "$TESTNET_PREFIX-probe"
    ip link add "$TESTNET_BRIDGE" type bridge
    ip addr add "$TESTNET_ROOT_ADDRESS/24" dev "$TESTNET_BRIDGE"
    ip link set "$TESTNET_BRIDGE" up
    local i host ns link
    for i in "${!TESTNET_HOSTS[@]}"; do
        host=${TESTNET_HOSTS[$i]}
        ns=$TESTNET_PREFIX-$host
        link=$(testnet_link "$host")
        ip netns add "$ns"
        ip link add "$link" type veth peer name eth0 netns "$ns"
        ip link set "$link" master "$TESTNET_BRIDGE" up
        ip -n "$ns" addr add "${TESTNET_ADDRESSES[$i]}/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
    done
    # The bridge must not filter the hosts' traffic (br_netfilter with a DROP FORWARD policy).
    if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
        echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables || true
    fi
    local from to
    for from in "${TESTNET_HOSTS[@]}"; do
        for to in "${TESTNET_ADDRESSES[@]}"; do
            reachable "$TESTNET_PREFIX-$from" "$to" || die "host $from cannot reach $to"
        done
    done
}

# reachable NS ADDRESS: a TCP connection from NS to a closed port of ADDRESS is refused at once
# when the address answers (no ping needed); a lost address times out.
reachable() {
    local answer
    answer=$(ip netns exec "$1" timeout 3 bash -c "echo > /dev/tcp/$2/9" 2>&1) && return 0
    case "$answer" in *"refused"*) return 0 ;; *) return 1 ;; esac
}

status() {
    ip -br addr show "$TESTNET_BRIDGE" 2>/dev/null || echo "no bridge $TESTNET_BRIDGE"
    local host
    for host in "${TESTNET_HOSTS[@]}"; do
        if ip netns list | grep -qw "$TESTNET_PREFIX-$host"; then
            echo "host $host: $(ip -n "$TESTNET_PREFIX-$host" -br addr show eth0 2>/dev/null)"
            tc qdisc show dev "$(testnet_link "$host")" 2>/dev/null | grep netem || true
            if ip netns list | grep -qw "$(relay_namespace "$host")"; then
                echo "host $host: link through a userspace relay"
            fi
        else
            echo "host $host: absent"
        fi
    done
}

# hostfile FILE: one line per host with one slot, in host order (rank 0 lands on host a).
hostfile() {
    local address
    : > "$1"
    for address in "${TESTNET_ADDRESSES[@]}"; do echo "$address slots=1" >> "$1"; done
}

source "$here/impair.sh"

case "${1:-}" in
    up) require; up ;;
    down) require; down ;;
    status) status ;;
    hostfile) [ -n "${2:-}" ] || die "usage: testnet.sh hostfile FILE"; hostfile "$2" ;;
    impair) [ $# -eq 4 ] || die "usage: testnet.sh impair HOST DELAY_MS LOSS_PERCENT"; require; impair "$2" "$3" "$4" ;;
    restore) [ $# -eq 2 ] || die "usage: testnet.sh restore HOST"; require; restore "$2" ;;
    *) die "usage: testnet.sh up|down|status|hostfile FILE|impair HOST DELAY_MS LOSS_PERCENT|restore HOST" ;;
esac
