# Shared settings of the test cluster (sourced by the other scripts in cluster/testnet/).
#
# Three test hosts are network namespaces mbr-a, mbr-b, mbr-c with addresses 198.18.0.11-13/24
# (198.18.0.0/15 is reserved for benchmarking, RFC 2544), each joined by a veth pair to the
# bridge mbr-br0 in the root namespace (198.18.0.1, where mpirun runs). The namespaces share the
# file system, so every host sees the same build, models and library.
TESTNET_PREFIX=${TESTNET_PREFIX:-mbr}
TESTNET_BRIDGE=${TESTNET_PREFIX}-br0
TESTNET_SUBNET=198.18.0.0/24
TESTNET_ROOT_ADDRESS=198.18.0.1
TESTNET_HOSTS=(a b c)
TESTNET_ADDRESSES=(198.18.0.11 198.18.0.12 198.18.0.13)

# testnet_namespace HOST: the namespace of a host given by letter, namespace, address or name.
testnet_namespace() {
    local host=$1 i
    for i in "${!TESTNET_HOSTS[@]}"; do
        case "$host" in
            "${TESTNET_HOSTS[$i]}" | "${TESTNET_PREFIX}-${TESTNET_HOSTS[$i]}" | "${TESTNET_ADDRESSES[$i]}")
                echo "${TESTNET_PREFIX}-${TESTNET_HOSTS[$i]}"; return 0 ;;
        esac
    done
    return 1
}

# testnet_address HOST: the address of a host given by letter or namespace.
testnet_address() {
    local host=$1 i
    for i in "${!TESTNET_HOSTS[@]}"; do
        case "$host" in
            "${TESTNET_HOSTS[$i]}" | "${TESTNET_PREFIX}-${TESTNET_HOSTS[$i]}" | "${TESTNET_ADDRESSES[$i]}")
                echo "${TESTNET_ADDRESSES[$i]}"; return 0 ;;
        esac
    done
    return 1
}

# testnet_link HOST: the root-namespace end of a host's veth pair (its "cable").
testnet_link() { echo "${TESTNET_PREFIX}-v$1"; }

# relay_namespace HOST: the namespace of HOST's userspace link relay (testnet.sh impair).
relay_namespace() { echo "${TESTNET_PREFIX}-relay-$1"; }

# relay_link HOST: the root-namespace end of the veth pair from HOST's relay to the bridge.
relay_link() { echo "${TESTNET_PREFIX}-r$1"; }

# Where testnet.sh impair keeps the relay's ready file and log.
TESTNET_STATE=${TESTNET_STATE:-/tmp/${TESTNET_PREFIX}-testnet}
