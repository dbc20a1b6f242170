"""Unit tests of link_relay.py's frame handling (no sockets, no root): run by `make scripts-test`."""

import errno
import os
import random
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import link_relay  # noqa: E402


class FakeSocket:
    """Hands out queued (frame, packet type) pairs, then raises BlockingIOError; records sends."""

    def __init__(self, frames=(), error=None):
        self.frames = list(frames)
        self.error = error
        self.sent = []

    def recvfrom(self, size):
        if self.error is not None:
            raise OSError(self.error, os.strerror(self.error))
        if not self.frames:
            raise BlockingIOError()
        frame, packet_type = self.frames.pop(0)
        return frame, ("eth0", link_relay.ETH_P_ALL, packet_type, 1, b"\0" * 6)

    def send(self, frame):
        self.sent.append(frame)
        return len(frame)


def direction(frames, seed=1, error=None):
    source, target = FakeSocket(frames, error), FakeSocket()
    return link_relay.Direction("a->b", source, target, random.Random(seed))


def incoming(count):
    return [(b"frame %d" % i, socket.PACKET_HOST) for i in range(count)]


def relay_all(d, delay, loss):
    """Receives everything the fake source holds at t=0, then sends what is due at t=delay."""
    while d.source.frames:
        link_relay.receive(d, 0.0, delay, loss)
    link_relay.transmit(d, delay)


class LinkRelayTests(unittest.TestCase):
    def test_frames_leave_after_the_delay_not_before(self):
        d = direction(incoming(3))
        link_relay.receive(d, 10.0, 0.05, 0.0)
        link_relay.transmit(d, 10.049)
        self.assertEqual(d.target.sent, [])
        link_relay.transmit(d, 10.05)
        self.assertEqual(d.target.sent, [b"frame 0", b"frame 1", b"frame 2"])
        self.assertEqual(d.relayed, 3)

    def test_frames_keep_their_order_across_arrivals(self):
        d = direction(incoming(2))
        link_relay.receive(d, 0.0, 0.05, 0.0)
        d.source.frames = [(b"late", socket.PACKET_HOST)]
        link_relay.receive(d, 0.01, 0.05, 0.0)
        link_relay.transmit(d, 0.055)
        self.assertEqual(d.target.sent, [b"frame 0", b"frame 1"])
        link_relay.transmit(d, 0.061)
        self.assertEqual(d.target.sent[-1], b"late")

    def test_one_percent_loss_drops_about_one_frame_in_a_hundred(self):
        d = direction(incoming(20000))
        relay_all(d, 0.05, 1.0)
        self.assertEqual(d.relayed + d.dropped, 20000)
        self.assertTrue(140 <= d.dropped <= 260, d.dropped)

    def test_the_same_seed_drops_the_same_frames(self):
        kept = []
        for seed in (7, 7, 8):
            d = direction(incoming(2000), seed=seed)
            relay_all(d, 0.0, 5.0)
            kept.append(d.target.sent)
        self.assertEqual(kept[0], kept[1])
        self.assertNotEqual(kept[0], kept[2])

    def test_no_loss_and_full_loss(self):
        d = direction(incoming(500))
        relay_all(d, 0.0, 0.0)
        self.assertEqual((d.relayed, d.dropped), (500, 0))
        d = direction(incoming(500))
        relay_all(d, 0.0, 100.0)
        self.assertEqual((d.relayed, d.dropped), (0, 500))

    def test_frames_the_relay_itself_sent_are_not_relayed_again(self):
        d = direction([(b"own", socket.PACKET_OUTGOING), (b"theirs", socket.PACKET_BROADCAST)])
        relay_all(d, 0.0, 0.0)
        self.assertEqual(d.target.sent, [b"theirs"])

    def test_a_link_going_down_ends_the_batch_without_an_error(self):
        d = direction([], error=errno.ENETDOWN)
        link_relay.receive(d, 0.0, 0.05, 0.0)
        self.assertEqual(len(d.queue), 0)

    def test_a_failed_send_is_counted_as_lost(self):
        d = direction(incoming(1))

        def refuse(frame):
            raise OSError(errno.ENOBUFS, "no buffer space")

        d.target.send = refuse
        relay_all(d, 0.0, 0.0)
        self.assertEqual((d.relayed, d.send_errors), (0, 1))

    def test_out_of_range_arguments_are_refused(self):
        for argv in (["--loss-percent", "101", "x", "y"], ["--delay-ms", "-1", "x", "y"], ["x"]):
            with self.subTest(argv=argv):
                with self.assertRaises(SystemExit) as refused:
                    link_relay.parse_arguments(argv)
                self.assertEqual(refused.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
