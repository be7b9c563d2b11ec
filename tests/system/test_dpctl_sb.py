#!/usr/bin/env python3
"""System test: scs-dpctl against a daemon that is a chassis of a real OVN (ovsdb-server and
ovn-northd started here, the stateless demo topology, net_af_packet ports in a private
namespace: tests/system/sbtestutil.py).

`show` reports the Southbound connection and the claims; `dump-lflows` returns the flows
the compiler took in, filtered by datapath (name or tunnel key) and stage, with counts that
agree with `show` and rows that agree with the Southbound (ovn-sbctl); `trace` of a
microflow (vm1 -> vm2 same switch, vm1 -> vm4 routed, vm1 -> vm3 over Geneve) is checked
against what the daemon actually forwards: the trace's input frame is sent on vm1's wire and
the bytes that come out must be the trace's output frame, on the port the trace names. Bad
input (unparsable microflow, unknown inport, unknown datapath) gets one line on stderr and a
non-zero exit status.

usage: test_dpctl_sb.py path/to/scs-dataplane path/to/scs-dpctl
"""

import json
import os
import re
import subprocess
import sys
import unittest

from sbtestutil import CHASSIS, HV2_MAC, UNDERLAY_IP, Chassis
from sysutil import geneve, geneve_sport, hexdump, ip, mac, udp_frame, write_pcap
from dpctlutil import DpctlAssertions  # noqa: E402

DAEMON = None
DPCTL = None
C = None

STATUSES = {"compiled", "partial", "never-matches", "unsupported", "invalid"}
VM1 = ("00:00:00:00:01:01", "10.0.0.11")
VM2 = ("00:00:00:00:01:02", "10.0.0.12")
VM3 = ("00:00:00:00:01:03", "10.0.0.13")
VM4 = ("00:00:00:00:02:04", "10.0.1.14")
LR0_SW0 = "00:00:00:00:ff:01"
LR0_SW1 = "00:00:00:00:ff:02"


def dpctl(*args):
    return subprocess.run([DPCTL, "--socket", C.sock] + list(args), capture_output=True, text=True, timeout=30)


def dpjson(*args):
    r = dpctl("--format", "json", *args)
    if r.returncode != 0:
        raise AssertionError("scs-dpctl %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return json.loads(r.stdout)


def unhex(text):
    """The daemon's hex dump ("0000: 45 00 ...", 16 bytes a line) as bytes."""
    return bytes.fromhex("".join(line.split(":", 1)[1] for line in text.splitlines()))


def microflow(dst_mac, dst_ip, sport=1234):
    return ('inport == "vm1" && eth.src == %s && eth.dst == %s && ip4.src == %s && ip4.dst == %s && '
            "ip.ttl == 64 && udp.src == %d && udp.dst == 5678" % (VM1[0], dst_mac, VM1[1], dst_ip, sport))


class DpctlSouthbound(DpctlAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global C
        C = Chassis(DAEMON, "dpctl")

    @classmethod
    def tearDownClass(cls):
        rc = C.stop_daemon()
        err = C.stderr()
        C.stop()
        assert rc == 0, "daemon exit %s\n%s" % (rc, err)
        assert err == "", err

    # --- show ----------------------------------------------------------------------------

    def test_show_southbound(self):
        sb = dpjson("show")["southbound"]
        self.assertEqual(sb["state"], "connected")
        self.assertEqual(sb["remote"], C.central.sb_remote)
        self.assertEqual(sb["chassis"], CHASSIS)
        self.assertTrue(sb["chassis_registered"])
        claimed = set(sb["claimed_ports"])
        self.assertTrue({"vm1", "vm2", "vm4", "cr-lr0-public"} <= claimed, claimed)
        self.assertNotIn("vm3", claimed)  # hv2's
        for p in ("vm1", "vm2", "vm4"):
            self.assertEqual(C.port_chassis(p), CHASSIS, p)
        lc = sb["last_compile"]
        self.assertGreater(lc["logical_flows"], 200)
        self.assertEqual(lc["local_datapaths"], 4)  # sw0, sw1, lr0, public
        self.assertEqual(lc["unsupported"] + lc["invalid"], 0)

        r = dpctl("show")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn("southbound: connected to %s, chassis %s registered\n" % (C.central.sb_remote, CHASSIS),
                      r.stdout)
        m = re.search(r"\n  claimed ports \((\d+)\): (.*)\n", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(int(m.group(1)), len(claimed))
        self.assertEqual(set(m.group(2).split()), claimed)
        self.assertRegex(r.stdout, r"\n  last compile: 4 local datapaths \(\d+ recompiled\), %d logical flows: "
                         r"compiled %d, partial %d, never-matches %d, unsupported 0, invalid 0; " %
                         (lc["logical_flows"], lc["compiled"], lc["partial"], lc["never_matches"]))
        self.assertIn("\n  warnings: none\n", r.stdout)

    def test_lflow_check_of_the_live_southbound_agrees_with_the_daemon(self):
        """The offline check, given this chassis's view of a dump of the same Southbound,
        counts what the daemon compiled."""
        lc = dpjson("show")["southbound"]["last_compile"]
        dump = os.path.join(C.dir, "sb-dump.json")
        with open(dump, "w") as f:
            subprocess.run(["ovsdb-client", "dump", "--format=json", C.central.sb_remote, "OVN_Southbound"],
                           stdout=f, check=True, timeout=30)
        r = subprocess.run([DPCTL, "lflow-check", "--format", "json", "--chassis", CHASSIS, "--vif", "vm1", "--vif",
                            "vm2", "--vif", "vm4", dump], capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        j = json.loads(r.stdout)
        self.assertEqual(j["datapaths_checked"], lc["local_datapaths"])
        self.assertEqual(j["flows_checked"], lc["logical_flows"])
        self.assertEqual(j["engine_rules"], lc["engine_rules"])
        self.assertEqual([j["by_status"][k] for k in ("compiled", "partial", "never-matches", "unsupported", "invalid")],
                         [lc[k] for k in ("compiled", "partial", "never_matches", "unsupported", "invalid")])

    # --- dump-lflows ---------------------------------------------------------------------

    def test_dump_lflows(self):
        flows = dpjson("dump-lflows")["flows"]
        lc = dpjson("show")["southbound"]["last_compile"]
        self.assertEqual(len(flows), lc["logical_flows"])
        self.assertEqual({f["datapath"] for f in flows}, {"sw0", "sw1", "lr0", "public"})
        statuses = {f["status"] for f in flows}
        self.assertTrue(statuses <= STATUSES, statuses)
        self.assertIn("compiled", statuses)
        for st, key in (("compiled", "compiled"), ("partial", "partial"), ("never-matches", "never_matches")):
            self.assertEqual(sum(f["status"] == st for f in flows), lc[key], st)
        for f in flows:
            if f["status"] in ("compiled", "partial"):
                self.assertGreater(f["rules"], 0, f)
                self.assertNotEqual(f["lowered_to"], "-", f)
            else:
                self.assertEqual(f["rules"], 0, f)
            if f["status"] == "partial":
                self.assertRegex(f["detail"], r"^(unimplemented|not performed): ", f)

        # Rows as the Southbound has them.
        for f in flows[:: max(1, len(flows) // 10)]:
            got = C.sbctl("--bare", "--columns", "priority,table_id,match,pipeline", "list", "Logical_Flow", f["uuid"])
            prio, table, match, pipe = got.split("\n")  # --bare: one column a line
            self.assertEqual((int(prio), int(table), match, pipe),
                             (f["priority"], f["table"], f["match"], f["pipeline"]), f)

        by_name = dpjson("dump-lflows", "--datapath", "sw0")["flows"]
        self.assertEqual(by_name, [f for f in flows if f["datapath"] == "sw0"])
        key = C.sbctl("--bare", "--columns", "tunnel_key", "find", "Datapath_Binding", "external_ids:name=sw0")
        self.assertEqual(dpjson("dump-lflows", "--datapath", key)["flows"], by_name)
        staged = dpjson("dump-lflows", "--stage", "ls_in_l2_lkup")["flows"]
        self.assertEqual(staged, [f for f in flows if f["stage"] == "ls_in_l2_lkup"])
        self.assertTrue(staged)
        both = dpjson("dump-lflows", "--datapath", "sw1", "--stage", "ls_in_l2_lkup")["flows"]
        self.assertEqual(both, [f for f in staged if f["datapath"] == "sw1"])
        self.assertTrue(both)

        # The table: a summary line, a header, one row per flow.
        r = dpctl("dump-lflows", "--datapath", "sw0")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("%d logical flows (" % len(by_name)), lines[0])
        self.assertEqual(lines[1], "")
        self.assertEqual(lines[2].split(), ["DATAPATH", "PIPELINE", "TABLE", "STAGE", "PRIORITY", "STATUS", "RULES",
                                            "LOWERED-TO", "MATCH", "ACTIONS", "DETAIL"])
        self.assertEqual(len(lines), 3 + len(by_name))
        for line, f in zip(lines[3:], by_name):
            self.assertEqual(line.split()[:7], ["sw0", f["pipeline"], str(f["table"]), f["stage"], str(f["priority"]),
                                                f["status"], str(f["rules"])])
            self.assertIn(f["actions"], line)
        r = dpctl("dump-lflows", "--datapath", "sw0", "--uuid")
        lines = r.stdout.splitlines()
        self.assertIn("UUID", lines[2].split())
        for line, f in zip(lines[3:], by_name):
            self.assertIn("  %s  " % f["uuid"], line)

    def test_dump_lflows_bad_input(self):
        self.one_line_error(dpctl("dump-lflows", "--datapath", "nosuch"), 1,
                            r"dump-lflows: no local datapath 'nosuch'")
        self.one_line_error(dpctl("dump-lflows", "--uuid=yes"), 2, r"--uuid takes no value")
        self.one_line_error(dpctl("dump-lflows", "--hex", "00"), 2, r"dump-lflows: unknown option '--hex'")

    # --- trace, checked against forwarding ---------------------------------------------------

    def trace_then_forward(self, args, out_port, wire, src_wire="vm1", inport="vm1"):
        """Traces, sends the traced input on `src_wire`, returns (trace, frames received on
        `wire`); checks the trace names one output on `out_port`."""
        t = dpjson("trace", *args)
        self.assertEqual(t["inport"], inport)
        self.assertTrue(t["steps"])
        self.assertEqual(len(t["output"]), 1, json.dumps(t, indent=1))
        self.assertEqual(t["output"][0]["port"], out_port, t["output"])
        got = C.exchange(src_wire, unhex(t["input"]), wire)
        self.assertEqual([hexdump(g) for g in got], [hexdump(unhex(t["output"][0]["frame"]))],
                         "trace steps:\n" + "\n".join(t["steps"]))
        return t

    def test_trace_same_switch(self):
        t = self.trace_then_forward([microflow(*VM2)], "vif=vm2", "vm2")
        self.assertEqual(t["output"][0]["frame"], t["input"])  # L2: unchanged
        self.assertTrue(any("ls_in_l2_lkup" in s for s in t["steps"]), t["steps"])

        r = dpctl("trace", microflow(*VM2))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertTrue(r.stdout.startswith("trace: enters at vm1 (DPDK port 0), generation #"), r.stdout)
        n = len(unhex(t["input"]))
        dump = "".join("    %s\n" % line for line in t["input"].splitlines())
        self.assertIn("input (%d bytes):\n%s\n" % (n, dump), r.stdout)
        for i, s in enumerate(t["steps"], 1):
            self.assertIn("%3d. %s\n" % (i, s), r.stdout)
        self.assertTrue(r.stdout.endswith("\n1 frame leaves:\n  vif=vm2 (DPDK port 1), %d bytes:\n%s" % (n, dump)),
                        r.stdout)

    def test_trace_routed(self):
        t = self.trace_then_forward([microflow(LR0_SW0, VM4[1])], "vif=vm4", "vm4")
        # What OVN defines: vm4's MAC from the router port's, TTL 63.
        inp = unhex(t["input"])
        payload = int.from_bytes(inp[16:18], "big") - 28  # IPv4 total length - headers
        want = udp_frame(mac(VM4[0]), mac(LR0_SW1), ip(VM1[1]), ip(VM4[1]), ttl=63, n=payload)
        want += bytes(len(inp) - len(want))  # the Ethernet padding the input carries
        self.assertEqual(hexdump(unhex(t["output"][0]["frame"])), hexdump(want))
        self.assertTrue(any("lr_in_ip_routing" in s for s in t["steps"]), t["steps"])

    def test_trace_geneve(self):
        t = self.trace_then_forward([microflow(*VM3)], "underlay=%s" % UNDERLAY_IP, "ul")
        self.assertTrue(any("Geneve to chassis hv2" in s for s in t["steps"]), t["steps"])
        # What OVN defines (as test_southbound checks it): VNI = sw0's key 1, option vm1 (1) << 16 | vm3 (3).
        g, inner = unhex(t["output"][0]["frame"]), unhex(t["input"])
        want = geneve(mac(HV2_MAC), g[6:12], ip(UNDERLAY_IP), ip("192.168.100.2"), geneve_sport(g), 1, 1, 3, inner)
        self.assertEqual(hexdump(g), hexdump(want))

    def test_trace_hex(self):
        f = udp_frame(mac(LR0_SW0), mac(VM1[0]), ip(VM1[1]), ip(VM4[1]), sport=777)
        t = self.trace_then_forward(["--inport", "vm1", "--hex", f.hex()], "vif=vm4", "vm4")
        self.assertEqual(unhex(t["input"]), f)

    def test_trace_from_the_provider_network(self):
        # The localnet port names where the packet enters (its network's provider port): the
        # upstream gateway routes to vm1 through lr0's gateway port, resident here.
        m = ('eth.src == 00:00:00:00:fe:fe && eth.dst == 00:00:00:00:ff:03 && ip4.src == 172.24.4.254 && '
             'ip4.dst == %s && ip.ttl == 64 && udp.dst == 53' % VM1[1])
        t = self.trace_then_forward(["--inport", "ln-public", m], "vif=vm1", "vm1", src_wire="pn", inport="ln-public")
        self.assertTrue(any("lr_in_ip_routing" in s for s in t["steps"]), t["steps"])

    def test_trace_pcap(self):
        f = udp_frame(mac(LR0_SW0), mac(VM1[0]), ip(VM1[1]), ip(VM4[1]), sport=778)
        path = os.path.join(C.dir, "trace.pcap")
        write_pcap(path, [f])
        t = self.trace_then_forward(["--inport", "vm1", "--pcap", path], "vif=vm4", "vm4")
        self.assertEqual(unhex(t["input"]), f)
        self.one_line_error(dpctl("trace", "--inport", "vm1", "--pcap", "/nonexistent.pcap"), 2, r"--pcap /nonexistent.pcap")

    def test_trace_dropped(self):
        # A spoofed source: port security drops it; nothing leaves, nothing is forwarded.
        spoof = microflow(*VM2).replace("eth.src == %s" % VM1[0], "eth.src == 00:00:00:00:01:99")
        t = dpjson("trace", spoof)
        self.assertEqual(t["output"], [])
        self.assertTrue(t["steps"][-1].startswith("-> dropped"), t["steps"])
        self.assertEqual(C.exchange("vm1", unhex(t["input"]), "vm2"), [])
        r = dpctl("trace", spoof)
        self.assertIn("\nno frame leaves\n", r.stdout)

    def test_trace_bad_input(self):
        self.one_line_error(dpctl("trace", 'inport == "vm1" && eth.src =='), 1, r"^scs-dpctl: error: trace: microflow: ")
        self.one_line_error(dpctl("trace", "eth.src == 00:00:00:00:01:01 || ip4"), 1, r"trace: microflow: ")
        self.one_line_error(dpctl("trace", "--inport", "nosuch", "eth.src == 00:00:00:00:01:01"), 1,
                            r"trace: inport 'nosuch' is not bound to a local port")
        self.one_line_error(dpctl("trace", 'inport == "vm3" && eth.src == 00:00:00:00:01:03'), 1,
                            r"trace: inport 'vm3' is not bound to a local port")
        self.one_line_error(dpctl("trace", "eth.src == 00:00:00:00:01:01"), 1, r"trace: no inport")
        self.one_line_error(dpctl("trace", "--inport", "vm1", "--hex", "zz"), 1, r"trace: hex: not a frame")
        self.one_line_error(dpctl("trace", "--inport", "vm1", "--hex", "00", "eth.src == 00:00:00:00:01:01"), 2,
                            r"trace: give either --hex/--pcap or a MICROFLOW")
        self.one_line_error(dpctl("trace"), 2, r"trace: give the packet as one MICROFLOW")
        self.one_line_error(dpctl("trace", "--datapath", "sw0", microflow(*VM2)), 2,
                            r"trace: unknown option '--datapath'")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    DPCTL = os.path.abspath(sys.argv.pop(2))
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
