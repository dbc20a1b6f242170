# Delay and loss on one host's link for testnet.sh (sourced; see impair and restore there).

# impair HOST DELAY_MS LOSS_PERCENT: kernel netem when it works (unless TESTNET_IMPAIR=relay),
# otherwise the userspace relay; prints which one runs.
impair() {
    local host=$1 delay=$2 loss=$3 mode=${TESTNET_IMPAIR:-auto} link error
    link=$(testnet_link "$host")
    case "$mode" in auto | netem | relay) ;; *) die "TESTNET_IMPAIR=$mode: use auto, netem or relay" ;; esac
    ip link show "$link" >/dev/null 2>&1 || die "host $host has no link $link (testnet.sh up first)"
    if [ "$mode" != relay ]; then
        if error=$(tc qdisc add dev "$link" root netem delay "${delay}ms" loss "${loss}%" 2>&1); then
            ip netns exec "$TESTNET_PREFIX-$host" tc qdisc add dev eth0 root netem delay "${delay}ms" loss "${loss}%"
            echo "kernel netem"
            return 0
        fi
        # Kernels built without CONFIG_NET_SCH_NETEM (some VMs) have no netem qdisc.
        [ "$mode" = auto ] || die "no netem qdisc on this kernel (tc: $error)"
    fi
    relay_up "$host" "$delay" "$loss"
    echo "userspace relay"
}

# relay_up HOST DELAY_MS LOSS_PERCENT: moves HOST's link into the relay namespace, joins that
# namespace to the bridge by a second veth pair and starts link_relay.py between the two.
relay_up() {
    local host=$1 link relay wire ready i
    link=$(testnet_link "$host")
    relay=$(relay_namespace "$host")
    wire=$(relay_link "$host")
    command -v python3 >/dev/null || die "python3 not found: the userspace relay needs it (make deps)"
    mkdir -p "$TESTNET_STATE"
    ready=$TESTNET_STATE/relay-$host.ready
    rm -f "$ready"
    ip netns add "$relay"
    # No addresses and no IPv6 in the relay namespace: its kernel neither answers nor sends.
    ip netns exec "$relay" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null || true
    ip link set "$link" nomaster
    ip link set "$link" netns "$relay"
    ip link add "$wire" type veth peer name bridge netns "$relay"
    ip link set "$wire" master "$TESTNET_BRIDGE" up
    ip -n "$relay" link set "$link" promisc on up
    ip -n "$relay" link set bridge promisc on up
    # Ahead of the ranks it carries traffic for, so its timers stay close to the delay.
    ip netns exec "$relay" nice -n -10 python3 "$here/link_relay.py" --delay-ms "$2" --loss-percent "$3" \
        --seed 1 --ready "$ready" "$link" bridge >"$TESTNET_STATE/relay-$host.log" 2>&1 &
    for i in $(seq 100); do
        [ -s "$ready" ] && return 0
        kill -0 $! 2>/dev/null || break
        sleep 0.1
    done
    die "the relay on host $host did not start: $(cat "$TESTNET_STATE/relay-$host.log")"
}

# restore HOST: removes HOST's netem qdiscs, or stops its relay (printing its counts) and puts
# the link back on the bridge.
restore() {
    local host=$1 link relay pids i
    link=$(testnet_link "$host")
    relay=$(relay_namespace "$host")
    tc qdisc del dev "$link" root 2>/dev/null || true
    ip netns exec "$TESTNET_PREFIX-$host" tc qdisc del dev eth0 root 2>/dev/null || true
    ip netns list | grep -qw "$relay" || return 0
    pids=$(ip netns pids "$relay" 2>/dev/null || true)
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null || true
        for i in $(seq 50); do
            [ -z "$(ip netns pids "$relay" 2>/dev/null)" ] && break
            sleep 0.1
        done
    fi
    grep '^link-relay:' "$TESTNET_STATE/relay-$host.log" 2>/dev/null || true
    ip -n "$relay" link set "$link" netns $$
    ip link delete "$(relay_link "$host")" 2>/dev/null || true
    remove_namespace "$relay"
    ip link set "$link" master "$TESTNET_BRIDGE" up
}
