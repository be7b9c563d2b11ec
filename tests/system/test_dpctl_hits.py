#!/usr/bin/env python3
"""System test: dump-tables' hit counters against known traffic.

A chassis of a real OVN (ovsdb-server and ovn-northd started here, the stateless demo
topology, net_af_packet ports in a private namespace: sbtestutil.py) gets N frames
vm1 -> vm2 (same switch) and N frames vm1 -> vm4 (routed through lr0) on its wires.
`dump-tables --rules` must then show exactly N more packets on the logical flows those frames
match - ls_in_l2_lkup's `eth.dst == <vm2>`, lr_in_ip_routing's `ip4.dst == 10.0.1.0/24`,
sw1's `eth.dst == <vm4>` - and none on the flows next to them that they must not match (vm3's
MAC, the routes to 10.0.0.0/24 and 172.24.4.0/24); the stage's lookups, hits and misses
agree. Twice: with the flow cache (the first frame counted on the slow path, the other N-1
are cache hits folded into the rules) and with --no-flow-cache (every frame on the slow
path). The table output names the same counts.

usage: test_dpctl_hits.py path/to/scs-dataplane path/to/scs-dpctl
"""

import json
import os
import subprocess
import sys
import time
import unittest

from sbtestutil import Chassis
from sysutil import ip, mac, udp_frame

DAEMON = None
DPCTL = None
N = 23

VM1 = ("00:00:00:00:01:01", "10.0.0.11")
VM2 = ("00:00:00:00:01:02", "10.0.0.12")
VM3_MAC = "00:00:00:00:01:03"
VM4 = ("00:00:00:00:02:04", "10.0.1.14")
LR0_SW0 = "00:00:00:00:ff:01"

# (datapath, stage) -> what N frames of the kind must add to each flow, by match text; the
# flows not named must not move.
L2_FRAME = udp_frame(mac(VM2[0]), mac(VM1[0]), ip(VM1[1]), ip(VM2[1]), sport=4242)
L2_WANT = {("sw0", "ls_in_l2_lkup"): {"eth.dst == %s" % VM2[0]: N, "eth.dst == %s" % VM3_MAC: 0}}
ROUTED_FRAME = udp_frame(mac(LR0_SW0), mac(VM1[0]), ip(VM1[1]), ip(VM4[1]), sport=4243)
ROUTED_WANT = {
    ("sw0", "ls_in_l2_lkup"): {"eth.dst == %s" % LR0_SW0: N, "eth.dst == %s" % VM2[0]: 0},
    ("lr0", "lr_in_ip_routing"): {"ip4.dst == 10.0.1.0/24": N, "ip4.dst == 10.0.0.0/24": 0,
                                  "ip4.dst == 172.24.4.0/24": 0},
    ("sw1", "ls_in_l2_lkup"): {"eth.dst == %s" % VM4[0]: N},
}


class HitCounters:
    """The checks, for a chassis started with or without the flow cache (subclasses)."""

    EXTRA_ARGS = ()
    CACHE = True

    @classmethod
    def setUpClass(cls):
        cls.C = Chassis(DAEMON, "hits" + ("" if cls.CACHE else "-nc"), extra_args=list(cls.EXTRA_ARGS))

    @classmethod
    def tearDownClass(cls):
        rc = cls.C.stop_daemon()
        err = cls.C.stderr()
        cls.C.stop()
        assert rc == 0, "daemon exit %s\n%s" % (rc, err)
        assert err == "", err

    def dpctl(self, *args):
        return subprocess.run([DPCTL, "--socket", self.C.sock] + list(args), capture_output=True, text=True,
                              timeout=30)

    def dpjson(self, *args):
        r = self.dpctl("--format", "json", *args)
        if r.returncode != 0:
            raise AssertionError("scs-dpctl %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
        return json.loads(r.stdout)

    def stage(self, dp, name):
        j = self.dpjson("dump-tables", "--rules", "--datapath", dp, "--stage", name)
        (d,) = j["datapaths"]
        found = [s for p in ("ingress", "egress") for s in d[p]["stages"] if s["name"] == name]
        self.assertEqual(len(found), 1, found)
        return found[0]

    def counts(self, stages):
        """{(dp, stage): (stage counters, {match: n_packets}, generation)}"""
        out = {}
        for dp, name in stages:
            s = self.stage(dp, name)
            by_match = {}
            for f in s["flows"]:
                by_match[f["match"]] = by_match.get(f["match"], 0) + f["n_packets"]
            out[(dp, name)] = ({k: s[k] for k in ("lookups", "hits", "misses")}, by_match)
        return out

    def send(self, frame, dst_wire, want):
        gen = self.dpjson("show")["generation"]["number"]
        before = self.counts(want)
        stats0 = self.dpjson("stats")["total"]
        for w in self.C.wires.values():
            w.drain()
        for _ in range(N):
            self.C.wires["vm1"].send(frame)
        got = self.C.wires[dst_wire].recv(1.0)
        self.assertEqual(len(got), N, "frames forwarded to %s" % dst_wire)
        # Cache hits reach the rules when the worker folds them (within ~10 ms of idling).
        deadline = time.time() + 10
        while True:
            after = self.counts(want)
            key = next(iter(want))
            if after[key][0]["lookups"] - before[key][0]["lookups"] >= N or time.time() > deadline:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # and nothing more comes
        after = self.counts(want)
        self.assertEqual(self.dpjson("show")["generation"]["number"], gen, "a recompile would restart the counts")
        stats1 = self.dpjson("stats")["total"]
        for where, flows in want.items():
            (c0, m0), (c1, m1) = before[where], after[where]
            for match, n in flows.items():
                self.assertIn(match, m1, "%s: flows %s" % (where, sorted(m1)))
                self.assertEqual(m1[match] - m0[match], n, "%s: %s" % (where, match))
            # Every frame was looked up once in each stage named, and matched a flow there.
            self.assertEqual(c1["lookups"] - c0["lookups"], N, where)
            self.assertEqual(c1["hits"] - c0["hits"], N, where)
            self.assertEqual(c1["misses"] - c0["misses"], 0, where)
            self.assertEqual(sum(m1.values()) - sum(m0.values()), N, "%s: every hit is some flow's" % str(where))
        hits = stats1["cache_hits"] - stats0["cache_hits"]
        misses = stats1["cache_misses"] - stats0["cache_misses"]
        if self.CACHE:
            self.assertEqual((misses, hits), (1, N - 1), "one slow pass, then cache hits")
        else:
            self.assertEqual((misses, hits), (0, 0), "--no-flow-cache")
        return after

    def test_same_switch(self):
        after = self.send(L2_FRAME, "vm2", L2_WANT)
        # The table output shows the flow's packets in its row.
        r = self.dpctl("dump-tables", "--rules", "--datapath", "sw0", "--stage", "ls_in_l2_lkup")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        n = after[("sw0", "ls_in_l2_lkup")][1]["eth.dst == %s" % VM2[0]]
        rows = [l.split() for l in r.stdout.splitlines() if l.rstrip().endswith('outport = "vm2"; output;')]
        self.assertEqual(len(rows), 1, r.stdout)
        self.assertEqual(rows[0][:5], ["ingress", "25", "ls_in_l2_lkup", "50", str(n)])
        # Without --rules: the stage row with its counters, no flow rows.
        r = self.dpctl("dump-tables", "--datapath", "sw0", "--stage", "ls_in_l2_lkup")
        c = after[("sw0", "ls_in_l2_lkup")][0]
        self.assertIn(["ingress", "25", "ls_in_l2_lkup", "classifier"],
                      [l.split()[:4] for l in r.stdout.splitlines()])
        row = next(l.split() for l in r.stdout.splitlines() if "ls_in_l2_lkup" in l)
        self.assertEqual(row[5:8], [str(c["lookups"]), str(c["hits"]), str(c["misses"])])
        self.assertNotIn("eth.dst", r.stdout)

    def test_routed(self):
        self.send(ROUTED_FRAME, "vm4", ROUTED_WANT)

    def test_bad_input(self):
        r = self.dpctl("dump-tables", "--rules=yes")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "scs-dpctl: error: --rules takes no value\n")
        r = self.dpctl("show", "--rules")
        self.assertEqual(r.returncode, 2)
        self.assertIn("show: unknown option '--rules'", r.stderr)


class WithFlowCache(HitCounters, unittest.TestCase):
    pass


class WithoutFlowCache(HitCounters, unittest.TestCase):
    EXTRA_ARGS = ("--no-flow-cache",)
    CACHE = False


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    DPCTL = os.path.abspath(sys.argv.pop(2))
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
