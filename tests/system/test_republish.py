#!/usr/bin/env python3
"""System test: lockless table updates under traffic.

The daemon forwards an endless stream (net_pcap infinite_rx on vm1, net_null sinks) while its
control thread rebuilds and republishes the table generation every millisecond
(--republish-ms 1). Workers read the live generation once per poll loop and report a
quiescent state; retired generations are freed only after that. Checked at exit: many
generations were published, every one was reclaimed, nothing was dropped but the frames
meant to be dropped, and every received packet was either sent or dropped.

usage: test_republish.py path/to/scs-dataplane
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from sysutil import *  # noqa: F401,F403

DAEMON = None
DURATION = 3.0


class Republish(unittest.TestCase):
    def run_case(self, lcores):
        with tempfile.TemporaryDirectory(prefix="scs-sys-rep-") as d:
            src = os.path.join(d, "vm1.pcap")
            frames = [
                udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP),               # vm2 (L2)
                udp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM4_IP),           # vm4 (routed)
                udp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM5_IP),           # hv2 (routed, Geneve)
                tcp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM4_IP),           # vm4 (routed TCP)
                udp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM4_IP, ttl=1),    # expected drop
            ]
            write_pcap(src, frames)
            args = [
                "--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s,infinite_rx=1" % src,
                "--port", "vif=vm2,dev=net_null0,no-rx=1",
                "--port", "vif=vm4,dev=net_null1,no-rx=1",
                "--port", "underlay=192.168.100.1,dev=net_null2,no-rx=1",
                "--republish-ms", "1",
                "--stats-interval", "1",
                "--duration", str(DURATION),
            ]
            r = run_daemon(DAEMON, unique_prefix("rep-" + lcores.replace("-", "_")), lcores, args)
            self.assertEqual(r.rc, 0, str(r))
            self.assertEqual(r.stderr, "", str(r))
            rep = Report(r.stdout)
            g = rep.generations
            # At 1 ms a round, a few hundred per second even on a loaded machine.
            self.assertGreater(g["published"], 100 * DURATION, r.stdout)
            self.assertEqual(g["reclaimed"], g["published"], r.stdout)
            self.assertEqual(g["pending"], 0, r.stdout)
            self.assertEqual(g["failures"], 0, r.stdout)
            self.assertEqual(g["live"], g["published"], "generation numbers count the publishes")
            self.assertGreaterEqual(rep.periodic, 2, "periodic counters every second")
            # The flow cache is per generation: each new one the worker sees empties it.
            self.assertGreater(rep.cache["flushes"], 100, r.stdout)
            self.assertGreater(rep.cache["hits"], rep.cache["misses"], r.stdout)

            t = rep.total
            self.assertGreater(t["rx"], 100000, r.stdout)
            # Only the TTL=1 frame is dropped (OVN's ICMP time exceeded is a controller action).
            self.assertEqual(set(rep.drops), {"unimplemented"}, r.stdout)
            self.assertEqual(rep.unimplemented, {"icmp4/icmp6": rep.drops["unimplemented"]}, r.stdout)
            self.assertEqual(t["rx"], t["tx"] + t["drops"], r.stdout)
            # One frame in five is dropped, give or take the partial round at the end.
            self.assertLessEqual(abs(t["drops"] * 5 - t["rx"]), 5, r.stdout)
            self.assertLessEqual(abs(t["enc"] * 5 - t["rx"]), 5, r.stdout)
            p = rep.ports
            self.assertEqual(p["vif=vm1"]["ipackets"], t["rx"])
            sent = sum(p[k]["opackets"] for k in ("vif=vm2", "vif=vm4", "underlay=192.168.100.1"))
            self.assertEqual(sent, t["tx"], r.stdout)
            self.assertEqual(p["underlay=192.168.100.1"]["opackets"], t["enc"])
            for name, st in p.items():
                self.assertEqual(st["imissed"] + st["ierrors"] + st["oerrors"] + st["rx_nombuf"], 0, name)

    def test_worker_on_main_lcore(self):
        self.run_case("0")

    def test_stops_cleanly_on_signals(self):
        """No --duration: SIGINT and SIGTERM end the run with the final report and exit 0,
        even while generations are being republished under traffic."""
        for sig, lcores in ((signal.SIGINT, "0"), (signal.SIGTERM, "0-1")):
            with tempfile.TemporaryDirectory(prefix="scs-sys-sig-") as d:
                src = os.path.join(d, "vm1.pcap")
                write_pcap(src, [udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP)])
                prefix = unique_prefix("sig%d" % sig)
                cmd = [DAEMON, "-l", lcores, "--file-prefix", prefix] + EAL_BASE + [
                    "--", "--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s,infinite_rx=1" % src,
                    "--port", "vif=vm2,dev=net_null0,no-rx=1", "--republish-ms", "1"] + private_mgmt_args(prefix, [])
                p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    time.sleep(1.5)
                    p.send_signal(sig)
                    out, err = p.communicate(timeout=20)
                finally:
                    if p.poll() is None:
                        p.kill()
                        p.communicate()
                    remove_runtime_dir(prefix)
                self.assertEqual(p.returncode, 0, "%s\n%s\n%s" % (sig.name, out[-3000:], err))
                self.assertEqual(err, "", sig.name)
                self.assertIn("stopping on signal %d (%s)" % (sig, sig.name), out)
                rep = Report(out)
                self.assertGreater(rep.total["rx"], 0)
                self.assertEqual(rep.total["drops"], 0, out)
                self.assertEqual(rep.generations["reclaimed"], rep.generations["published"], out)

    def test_worker_on_its_own_lcore(self):
        self.run_case("0-1")


if __name__ == "__main__":
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
