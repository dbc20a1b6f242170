#!/usr/bin/env python3
"""link_relay.py: a user-space stand-in for `tc qdisc ... netem delay D loss L` on one link.

Usage: link_relay.py [--delay-ms D] [--loss-percent L] [--seed S] [--ready FILE] IFACE_A IFACE_B

Copies every Ethernet frame that arrives on IFACE_A to IFACE_B and the other way round, each one
D milliseconds after it arrived, and drops L percent of the frames (per direction, decided by a
PRNG per direction seeded from S, so the same seed drops the same frame numbers). Frames keep their order in
each direction. Both interfaces sit in a network namespace of their own with no addresses
(testnet.sh builds it), so the relay is the only path between them.

Frames are read and written with AF_PACKET sockets that carry a virtio-net header
(PACKET_VNET_HDR): segmentation-offload bursts and checksums left to the hardware cross the relay
as the kernel handed them over, as they would cross a qdisc. Such a burst counts as one frame,
as netem counts it.

Writes FILE once both sockets are bound. On SIGTERM or SIGINT it prints one line of counts
(frames relayed and dropped per direction, frames the kernel dropped because the relay fell
behind) and exits 0.
"""

import argparse
import collections
import errno
import os
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_VNET_HDR = 15
PACKET_IGNORE_OUTGOING = 23
# A segmentation-offload burst is at most 64 KiB plus headers; BIG TCP is not enabled on veths.
FRAME_BUFFER = 1 << 18
RECEIVE_BUFFER = 16 << 20
# Frames read from one socket before the relay looks at the timers again.
BATCH = 256


class Stop(Exception):
    """Raised by the SIGTERM and SIGINT handlers to leave the relay loop (poll would resume)."""


def stop(*_):
    raise Stop()


class Direction:
    """Frames arriving on `source` waiting to leave through `target`."""

    def __init__(self, name, source, target, rng):
        self.name = name
        self.rng = rng
        self.source = source
        self.target = target
        self.queue = collections.deque()
        self.relayed = 0
        self.dropped = 0
        self.send_errors = 0


def open_socket(interface):
    """An AF_PACKET socket bound to INTERFACE for every protocol, with virtio-net headers."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    try:
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass  # kernels before 4.20; outgoing frames are skipped by packet type below
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, RECEIVE_BUFFER)  # SO_RCVBUFFORCE (root)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.bind((interface, ETH_P_ALL))
    sock.setblocking(False)
    return sock


def kernel_drops(sock):
    """Frames the kernel dropped on SOCK's receive queue since the last call."""
    try:
        _, drops = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        return drops
    except OSError:
        return 0


def receive(direction, now, delay, loss):
    """Reads up to BATCH frames from the direction's source and queues or drops each one."""
    for _ in range(BATCH):
        try:
            frame, address = direction.source.recvfrom(FRAME_BUFFER)
        except BlockingIOError:
            return
        except OSError as error:
            if error.errno in (errno.ENETDOWN, errno.EINTR):
                return
            raise
        if address[2] == socket.PACKET_OUTGOING:
            continue
        if direction.rng.random() * 100.0 < loss:
            direction.dropped += 1
            continue
        direction.queue.append((now + delay, frame))


def transmit(direction, now):
    """Sends every queued frame of DIRECTION whose time has come, oldest first."""
    queue = direction.queue
    while queue and queue[0][0] <= now:
        _, frame = queue.popleft()
        try:
            direction.target.send(frame)
            direction.relayed += 1
        except OSError:
            # A full transmit queue or a link going down loses the frame, as a wire would.
            direction.send_errors += 1


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Delay and drop frames between two interfaces.")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--loss-percent", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ready", help="file written once both interfaces are open")
    parser.add_argument("interfaces", nargs=2, metavar="IFACE")
    arguments = parser.parse_args(argv)
    if not 0.0 <= arguments.delay_ms <= 60_000.0:
        parser.error(f"--delay-ms {arguments.delay_ms}: must be within 0...60000")
    if not 0.0 <= arguments.loss_percent <= 100.0:
        parser.error(f"--loss-percent {arguments.loss_percent}: must be within 0...100")
    return arguments


def main(argv):
    arguments = parse_arguments(argv)
    first, second = arguments.interfaces
    try:
        sock_a, sock_b = open_socket(first), open_socket(second)
    except OSError as error:
        print(f"link-relay: cannot open {first} and {second}: {error}", file=sys.stderr)
        return 1
    seed = arguments.seed
    directions = [Direction(f"{first}->{second}", sock_a, sock_b, random.Random(f"{seed}/0")),
                  Direction(f"{second}->{first}", sock_b, sock_a, random.Random(f"{seed}/1"))]
    by_socket = {d.source.fileno(): d for d in directions}
    delay = arguments.delay_ms / 1000.0
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for sock in (sock_a, sock_b):
        kernel_drops(sock)  # resets the counter
    if arguments.ready:
        with open(arguments.ready, "w") as ready:
            ready.write(f"{os.getpid()}\n")

    poller = select.poll()
    for d in directions:
        poller.register(d.source, select.POLLIN)
    overflow = 0
    try:
        while True:
            now = time.monotonic()
            for d in directions:
                transmit(d, now)
            due = [d.queue[0][0] for d in directions if d.queue]
            # poll takes milliseconds; rounding up never sends a frame early.
            timeout = None if not due else max(0, int((min(due) - now) * 1000.0 + 0.999))
            events = poller.poll(timeout)
            now = time.monotonic()
            for fd, _ in events:
                receive(by_socket[fd], now, delay, arguments.loss_percent)
            overflow += sum(kernel_drops(d.source) for d in directions)
    except Stop:
        pass

    counts = ", ".join(f"{d.name}: {d.relayed} relayed, {d.dropped} dropped, {len(d.queue)} in flight, "
                       f"{d.send_errors} send errors" for d in directions)
    print(f"link-relay: {counts}; {overflow} lost in the kernel (relay too slow)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
