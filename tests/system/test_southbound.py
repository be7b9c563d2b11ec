#!/usr/bin/python3
"""scs-dataplane as a chassis of a real OVN (issue 3 item 7): ovsdb-server (NB, SB) and
ovn-northd started here, the demo topology written with ovn-nbctl, the daemon on
net_af_packet ports in a private namespace. Checks, byte for byte, what it forwards as the
topology changes underneath it, and that it keeps forwarding across a Southbound restart.

usage: test_southbound.py SCS_DATAPLANE"""

import os
import sys
import threading
import time
import unittest

from sbtestutil import CHASSIS, Chassis
from sysutil import geneve, geneve_sport, hexdump, ip, mac, udp_frame

DAEMON = None

VM6_TEXT = ("00:00:00:00:01:06", "10.0.0.16")


def vm(m, i):
    return (mac(m), ip(i))


VM1 = vm("00:00:00:00:01:01", "10.0.0.11")
VM2 = vm("00:00:00:00:01:02", "10.0.0.12")
VM3 = vm("00:00:00:00:01:03", "10.0.0.13")
VM4 = vm("00:00:00:00:02:04", "10.0.1.14")
VM6 = vm(*VM6_TEXT)
LR0_SW0 = mac("00:00:00:00:ff:01")
LR0_SW1 = mac("00:00:00:00:ff:02")
LR0_SW1_TEXT = "00:00:00:00:ff:02"


def frame(dst, src, ttl=64, sport=1234):
    return udp_frame(dst[0], src[0], src[1], dst[1], ttl=ttl, sport=sport)


def routed(src, dst_ip, ttl=64):
    return udp_frame(LR0_SW0, src[0], src[1], dst_ip, ttl=ttl)


class Southbound(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Chassis(DAEMON, "it", extra_vifs=["vm6"])

    @classmethod
    def tearDownClass(cls):
        c = cls.c
        rc = c.stop_daemon()
        out = c.stdout()
        err = c.stderr()
        gone = c.port_chassis("vm1")
        c.stop()
        assert rc == 0, "daemon exit %s\n%s" % (rc, err)
        assert err == "", err
        assert "released its ports" in out, out[-2000:]
        assert gone == "", "vm1 still bound to %r after a clean stop" % gone

    def assertFrames(self, got, want):
        self.assertEqual(len(got), len(want), "got %d frame(s), want %d:\n%s" % (len(got), len(want),
                                                                                 "\n".join(hexdump(g) for g in got)))
        for g, w in zip(got, want):
            self.assertEqual(hexdump(g), hexdump(w))

    def test_1_chassis_registered_and_ports_claimed(self):
        c = self.c
        self.assertIn(CHASSIS, c.sbctl("--bare", "--columns", "name", "list", "Chassis").split())
        encap = c.sbctl("--bare", "--columns", "ip", "find", "Encap", "chassis_name=%s" % CHASSIS)
        self.assertEqual(encap, "192.168.100.1")
        for p in ("vm1", "vm2", "vm4"):
            self.assertEqual(c.port_chassis(p), CHASSIS, p)
            self.assertTrue(c.port_up(p), p)
        self.assertEqual(c.port_chassis("cr-lr0-public"), CHASSIS)  # gateway chassis: us
        self.assertEqual(c.port_chassis("vm3"), "hv2")
        self.assertEqual(c.port_chassis("vm6"), "")  # configured, not in the topology yet

    def test_2_same_switch(self):
        f = frame(VM2, VM1)
        self.assertFrames(self.c.exchange("vm1", f, "vm2"), [f])

    def test_3_routed(self):
        got = self.c.exchange("vm1", routed(VM1, VM4[1]), "vm4")
        self.assertFrames(got, [udp_frame(VM4[0], LR0_SW1, VM1[1], VM4[1], ttl=63)])

    def test_4_remote_chassis_over_geneve(self):
        f = frame(VM3, VM1)
        got = self.c.exchange("vm1", f, "ul")
        self.assertEqual(len(got), 1, [hexdump(g) for g in got])
        self.check_geneve(got[0], "192.168.100.2", f)

    def check_geneve(self, g, remote_ip, inner):
        sport = geneve_sport(g)
        # VNI = sw0's tunnel key 1; ingress vm1 (1), egress vm3 (3) - northd's keys as requested.
        want = geneve(mac("00:00:00:00:aa:02"), g[6:12], ip("192.168.100.1"), ip(remote_ip), sport, 1, 1, 3, inner)
        self.assertEqual(hexdump(g), hexdump(want))

    def test_5_port_added_then_removed(self):
        c = self.c
        f = frame(VM6, VM1)
        self.assertEqual(c.exchange("vm1", f, "vm6"), [])  # no such port yet: not delivered
        before = c.generations()
        c.central.nbctl("lsp-add", "sw0", "vm6", "--", "lsp-set-addresses", "vm6", "%s %s" % VM6_TEXT,
                        "--", "lsp-set-port-security", "vm6", "%s %s" % VM6_TEXT)
        c.settle(before)
        c.wait_for(lambda: c.port_chassis("vm6") == CHASSIS and c.port_up("vm6"), 20, "vm6 claimed")
        self.assertFrames(c.exchange("vm1", f, "vm6"), [f])
        before = c.generations()
        c.central.nbctl("lsp-del", "vm6")
        c.settle(before)
        self.assertEqual(c.exchange("vm1", f, "vm6"), [])

    def test_6_router_detached_and_attached(self):
        c = self.c
        pkt = routed(VM1, VM4[1])
        want = udp_frame(VM4[0], LR0_SW1, VM1[1], VM4[1], ttl=63)
        before = c.generations()
        c.central.nbctl("lrp-del", "lr0-sw1")
        c.settle(before)
        self.assertEqual(c.exchange("vm1", pkt, "vm4"), [])
        before = c.generations()
        c.central.nbctl("lrp-add", "lr0", "lr0-sw1", LR0_SW1_TEXT, "10.0.1.1/24")
        c.settle(before)
        self.assertFrames(c.exchange("vm1", pkt, "vm4"), [want])

    def test_7_remote_port_moves_chassis(self):
        c = self.c
        f = frame(VM3, VM1, sport=999)
        before = c.generations()
        c.central.add_remote_chassis("hv3", "192.168.100.3")
        c.central.sbctl("lsp-unbind", "vm3")
        c.central.bind_port_to("hv3", "vm3")
        c.settle(before)
        got = c.exchange("vm1", f, "ul")
        self.assertEqual(len(got), 1)
        self.check_geneve(got[0], "192.168.100.3", f)
        before = c.generations()
        c.central.sbctl("lsp-unbind", "vm3")
        c.central.bind_port_to("hv2", "vm3")
        c.settle(before)
        got = c.exchange("vm1", f, "ul")
        self.assertEqual(len(got), 1)
        self.check_geneve(got[0], "192.168.100.2", f)

    def test_8_southbound_restart_keeps_forwarding(self):
        c = self.c
        f = frame(VM2, VM1, sport=4242)
        # Stop the SB server, forward while it is gone, start it again on the same database.
        results = []

        def during():
            time.sleep(0.5)
            results.append(c.exchange("vm1", f, "vm2"))

        t = threading.Thread(target=during)
        t.start()
        c.central.restart_sb(down_seconds=2.0)
        t.join()
        self.assertEqual(results, [[f]], "forwarding while the Southbound is down")
        c.wait_for(lambda: c.port_chassis("vm1") == CHASSIS, 20, "vm1 still claimed after the restart")
        self.assertIn(CHASSIS, c.sbctl("--bare", "--columns", "name", "list", "Chassis").split())
        self.assertFrames(c.exchange("vm1", f, "vm2"), [f])


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
