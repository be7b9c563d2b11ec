#!/usr/bin/env python3
"""System test: scs-dpctl against a running scs-dataplane (demo topology, pcap traffic).

Every command's table and JSON output is checked against what the daemon was given and
what the traffic did (the pcap's packet count, the demo's datapaths); bad input gets one
line on stderr naming the socket or the mistake and exit status 2 (usage) or 1 (runtime).
The JSON-RPC server itself is also spoken to directly: bad lines get JSON-RPC errors and
the server keeps serving.

usage: test_dpctl.py path/to/scs-dataplane path/to/scs-dpctl
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from dpctlutil import DROPS, RX, TX, UNIMPLEMENTED, Daemon, DpctlAssertions

DAEMON = None
DPCTL = None
D = None  # the daemon shared by the tests of the class


def dpctl(*args, sock=None, user=None):
    cmd = [DPCTL, "--socket", sock or D.sock] + list(args)
    if user:
        cmd = ["setpriv", "--reuid=%s" % user, "--regid=nogroup", "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def dpjson(*args):
    r = dpctl("--format", "json", *args)
    if r.returncode != 0:
        raise AssertionError("scs-dpctl %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return json.loads(r.stdout)


def rpc(lines):
    """Raw JSON-RPC: sends the lines on one connection, returns the reply lines."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(D.sock)
        s.sendall("".join(l + "\n" for l in lines).encode())
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return [json.loads(l) for l in data.decode().splitlines()]


def wait_for_traffic():
    deadline = time.time() + 15
    while True:
        st = dpjson("stats")
        if st["total"]["rx_packets"] >= RX and st["total"]["tx_packets"] + st["total"]["drops_total"] >= RX:
            return st
        if time.time() > deadline:
            raise AssertionError("traffic did not pass: %s" % json.dumps(st["total"]))
        time.sleep(0.1)


class Dpctl(DpctlAssertions, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global D
        D = Daemon(DAEMON, "dpctl", lcores="0-1")

    @classmethod
    def tearDownClass(cls):
        rc = D.stop()
        try:
            assert rc == 0, "daemon exit %s\n%s\n%s" % (rc, D.stdout()[-3000:], D.stderr())
            assert D.stderr() == "", D.stderr()
            assert not os.path.exists(D.sock), "the daemon leaves its socket behind"
        finally:
            D.cleanup()

    # --- show -------------------------------------------------------------------------

    def test_show(self):
        j = dpjson("show")
        self.assertEqual(j["chassis"], "hv1")
        self.assertEqual(j["southbound"]["state"], "none")
        self.assertRegex(j["version"]["scs_dataplane"], r"^\d+\.\d+\.\d+")
        self.assertEqual(j["pid"], D.proc.pid)
        self.assertEqual(j["generation"]["number"], 1)
        self.assertGreater(j["generation"]["age_s"], 0)
        self.assertEqual(j["generation"]["published"], 1)
        ports = {p["name"]: p for p in j["ports"]}
        self.assertEqual(sorted(ports), ["net_pcap0", "net_pcap1", "net_pcap2", "net_pcap3"])
        self.assertEqual((ports["net_pcap0"]["role"], ports["net_pcap0"]["target"]), ("vif", "vm1"))
        self.assertEqual((ports["net_pcap3"]["role"], ports["net_pcap3"]["target"]), ("underlay", "192.168.100.1"))
        for p in ports.values():
            self.assertEqual(p["driver"], "net_pcap")
            self.assertIs(p["link"]["up"], True)
            self.assertEqual(p["tx_queues"], 1)
        # -l 0-1: one worker, on lcore 1, polling vm1's only rx queue.
        self.assertEqual([(w["worker"], w["lcore"]) for w in j["workers"]], [(0, 1)])
        self.assertEqual(ports["net_pcap0"]["rx_lcores"], [1])

        r = dpctl("show")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("chassis hv1", r.stdout)
        self.assertIn("southbound: none", r.stdout)
        self.assertIn("generation #1", r.stdout)
        rows = [l.split() for l in r.stdout.splitlines()]
        self.assertIn(["0", "net_pcap0", "net_pcap", "vif", "vm1", "up"], [x[:6] for x in rows])
        self.assertIn(["3", "net_pcap3", "net_pcap", "underlay", "192.168.100.1", "up"], [x[:6] for x in rows])
        # Aligned: every row of the port table is as wide as its header, column by column.
        hdr = next(l for l in r.stdout.splitlines() if l.startswith("PORT"))
        self.assertEqual(hdr.index("DRIVER"), next(l for l in r.stdout.splitlines()
                                                   if " net_pcap0 " in l).index("net_pcap "))

    # --- stats ------------------------------------------------------------------------

    def test_stats_then_reset(self):
        st = wait_for_traffic()
        time.sleep(2.2)  # two rate samples (taken about once a second) after the traffic
        st = dpjson("stats")
        t = st["total"]
        self.assertEqual(t["rx_packets"], RX)
        self.assertEqual(t["tx_packets"], TX)
        self.assertEqual(t["drops_total"], 1)
        self.assertEqual(t["drops"], DROPS)
        self.assertEqual(t["unimplemented"], UNIMPLEMENTED)
        self.assertEqual(t["geneve_encap"], 1)
        self.assertEqual(t["cache_hits"] + t["cache_misses"], RX)
        self.assertGreater(t["busy_cycles"], 0)
        self.assertGreater(t["idle_cycles"], t["busy_cycles"])
        self.assertGreater(t["cycles_per_packet"], 0)
        self.assertGreater(st["interval_s"], 0.5)
        self.assertEqual(t["interval"]["rx_mpps"], 0.0)  # nothing moved in the last second
        self.assertEqual(len(st["lcores"]), 1)
        self.assertEqual(st["lcores"][0]["lcore"], 1)
        self.assertEqual(st["lcores"][0]["rx_packets"], RX)
        ports = {p["name"]: p for p in st["ports"]}
        self.assertEqual(ports["net_pcap0"]["ipackets"], RX)
        self.assertEqual(ports["net_pcap1"]["opackets"], 2)
        self.assertEqual(ports["net_pcap2"]["opackets"], 1)
        self.assertEqual(ports["net_pcap3"]["opackets"], 1)

        # Per-burst pipeline latency: percentiles in order, within the bursts' lifetime.
        for x in st["lcores"] + [t]:
            lat = x["latency"]
            self.assertEqual(lat["bursts"], x["bursts"])
            self.assertGreater(lat["p50_us"], 0)
            self.assertLessEqual(lat["p50_us"], lat["p99_us"])
            self.assertLessEqual(lat["p99_us"], lat["p999_us"])
            self.assertLessEqual(lat["p999_us"], lat["max_us"])
            self.assertLess(lat["max_us"], 1e6 * st["since_reset_s"])
            self.assertGreater(lat["mean_us"], 0)

        r = dpctl("stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {}
        for l in r.stdout.splitlines():  # the first table's rows (the latency table's come later)
            rows.setdefault(l.split()[0], l.split()) if l.split() else None
        self.assertEqual(rows["total"][1:4], [str(RX), str(TX), "1"])
        self.assertIn("burst latency (pipeline time per received burst", r.stdout)
        lat_rows = [l.split() for l in r.stdout.split("burst latency")[1].splitlines()[2:] if l.split()]
        self.assertEqual(lat_rows[0][:2], ["1", str(st["lcores"][0]["bursts"])])
        self.assertIn(["1", "drop", "1", "unimplemented"], [l.split() for l in r.stdout.splitlines()])
        self.assertIn(["1", "unimplemented", "1", "icmp4/icmp6"], [l.split() for l in r.stdout.splitlines()])

        core = dpjson("stats", "--core", "1")
        self.assertEqual([l["lcore"] for l in core["lcores"]], [1])
        self.assertNotIn("total", core)
        self.one_line_error(dpctl("stats", "--core", "7"), 1, r"no worker on lcore 7 \(workers run on lcore 1\)")

        # --reset: what stats shows starts again from zero; the daemon's own counters do not.
        z = dpjson("stats", "--reset")
        self.assertTrue(z["reset"])
        self.assertEqual(z["total"]["rx_packets"], 0)
        self.assertEqual(z["total"]["drops"], {})
        self.assertEqual(z["ports"][0]["ipackets"], 0)
        z = dpjson("stats")
        self.assertEqual(z["total"]["rx_packets"], 0)
        self.assertEqual(z["total"]["tx_packets"], 0)
        self.assertEqual(z["total"]["latency"]["bursts"], 0)
        self.assertEqual(z["total"]["latency"]["p99_us"], 0)
        self.assertEqual(sum(p["ipackets"] + p["opackets"] for p in z["ports"]), 0)
        r = dpctl("stats")
        self.assertIn("no drops", r.stdout)

    # --- dump-tables ----------------------------------------------------------------------

    def test_dump_tables(self):
        j = dpjson("dump-tables")
        self.assertEqual(j["generation"], 1)
        dps = {d["name"]: d for d in j["datapaths"]}
        for name in ("sw0", "sw1", "lr0"):
            self.assertIn(name, dps)
        self.assertEqual(dps["lr0"]["type"], "router")
        self.assertEqual(dps["sw0"]["type"], "switch")
        kinds = set()
        for d in dps.values():
            for pipe in ("ingress", "egress"):
                for s in d[pipe]["stages"]:
                    self.assertIn(s["kind"], ("exact", "lpm", "classifier", "miss-only"))
                    self.assertGreaterEqual(s["rules"], 0)
                    self.assertTrue(s["name"].startswith(("ls_in_", "ls_out_", "lr_in_", "lr_out_")), s)
                    kinds.add(s["kind"])
        self.assertTrue({"exact", "classifier"} <= kinds, kinds)
        routing = [s for s in dps["lr0"]["ingress"]["stages"] if s["name"] == "lr_in_ip_routing"]
        self.assertEqual(len(routing), 1)
        self.assertEqual(routing[0]["kind"], "lpm")
        sw0_ports = {p["name"]: p for p in dps["sw0"]["ports"]}
        self.assertEqual(sw0_ports["vm1"]["kind"], "vif")
        self.assertEqual(sw0_ports["vm3"]["kind"], "remote")
        self.assertEqual(sw0_ports["vm3"]["chassis"], "hv2")

        one = dpjson("dump-tables", "--datapath", "sw0")
        self.assertEqual([d["name"] for d in one["datapaths"]], ["sw0"])
        by_key = dpjson("dump-tables", "--datapath", str(dps["sw0"]["key"]))
        self.assertEqual([d["name"] for d in by_key["datapaths"]], ["sw0"])
        st = dpjson("dump-tables", "--stage", "l2_lkup")
        names = [s["name"] for d in st["datapaths"] for p in ("ingress", "egress") for s in d[p]["stages"]]
        self.assertTrue(names and all("l2_lkup" in n for n in names), names)

        r = dpctl("dump-tables", "--datapath", "lr0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("datapath lr0 (key %d, router)" % dps["lr0"]["key"], r.stdout)
        self.assertIn(["ingress", str(routing[0]["table"]), "lr_in_ip_routing", "lpm", str(routing[0]["rules"])],
                      [l.split()[:5] for l in r.stdout.splitlines()])
        self.one_line_error(dpctl("dump-tables", "--datapath", "nosuch"), 1,
                            r"dump-tables: no datapath 'nosuch' in generation #1 \(datapaths: .*sw0")

    def test_dump_tables_hits(self):
        """Hit counters against the pcap: every frame enters sw0's first stage; ls_in_l2_lkup
        matches two on vm2's MAC and three on the router port's (the second frame to vm2 is a
        flow cache hit, folded into the rule); lr0 sees only the three routed frames. Without
        a Southbound there are no logical flows to name: rules by index."""
        wait_for_traffic()
        deadline = time.time() + 10
        while True:
            j = dpjson("dump-tables", "--rules")
            dps = {d["name"]: d for d in j["datapaths"]}
            l2 = next(s for s in dps["sw0"]["ingress"]["stages"] if s["name"] == "ls_in_l2_lkup")
            if l2["hits"] >= RX or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(dps["sw0"]["ingress"]["stages"][0]["lookups"], RX)
        self.assertEqual((l2["lookups"], l2["hits"], l2["misses"]), (RX, RX, 0))
        self.assertNotIn("flows", l2)
        self.assertEqual(sorted(r["n_packets"] for r in l2["rule_hits"]), [2, 3])
        for r in l2["rule_hits"]:
            self.assertGreaterEqual(r["priority"], 0)
            self.assertLess(r["rule"], l2["rules"])
            self.assertLess(r["action"], dps["sw0"]["program_insns"])
        lr0 = dps["lr0"]["ingress"]["stages"]
        self.assertEqual(lr0[0]["lookups"], 3)
        routing = next(s for s in lr0 if s["name"] == "lr_in_ip_routing")
        self.assertEqual(sum(r["n_packets"] for r in routing["rule_hits"]) + routing["misses"], routing["lookups"])
        # A stage no frame reached.
        for d in dps.values():
            for pipe in ("ingress", "egress"):
                for s in d[pipe]["stages"]:
                    self.assertEqual(s["lookups"], s["hits"] + s["misses"], s)
                    if s["lookups"] == 0:
                        self.assertEqual(s["rule_hits"], [], s)
        # The table: the stage row carries lookups, hits, misses; --rules a row per rule hit.
        r = dpctl("dump-tables", "--datapath", "sw0", "--rules")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l.split() for l in r.stdout.splitlines()]
        self.assertIn(["ingress", str(l2["table"]), "ls_in_l2_lkup", "classifier", str(l2["rules"]), str(RX),
                       str(RX), "0"], [x[:8] for x in rows])
        for h in l2["rule_hits"]:
            self.assertIn(["ingress", str(l2["table"]), "ls_in_l2_lkup", str(h["priority"]), str(h["n_packets"]),
                           "rule", str(h["rule"]), "(action", "%d)" % h["action"]], [x[:9] for x in rows])
        plain = dpctl("dump-tables", "--datapath", "sw0")
        self.assertNotIn("N-PACKETS", plain.stdout)
        self.one_line_error(dpctl("dump-tables", "--rules=1"), 2, r"--rules takes no value")

    # --- commands that wait for the Southbound compiler ----------------------------------

    def test_not_available_yet(self):
        self.one_line_error(dpctl("dump-lflows"), 1, r"dump-lflows: not available yet")
        self.one_line_error(dpctl("trace", "--inport", "vm1", "eth.src == 00:00:00:00:01:01"), 1,
                            r"trace: not available yet")

    def test_help(self):
        r = subprocess.run([DPCTL, "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        for word in ("show", "stats [--core N] [--reset]", "dump-tables [--datapath D] [--stage S]",
                     "dump-lflows", "trace", "--socket PATH", "--format table|json"):
            self.assertIn(word, r.stdout)
        for cmd, word in (("stats", "--reset"), ("dump-tables", "miss-only"), ("show", "lcores")):
            r = subprocess.run([DPCTL, cmd, "--help"], capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stderr), (0, ""), cmd)
            self.assertIn(word, r.stdout, cmd)

    # --- bad input ---------------------------------------------------------------------------

    def test_usage_errors(self):
        self.one_line_error(dpctl("frobnicate"), 2, r"unknown command 'frobnicate' \(commands: show, stats")
        self.one_line_error(dpctl("stats", "--bogus"), 2, r"stats: unknown option '--bogus'")
        self.one_line_error(dpctl("show", "--reset"), 2, r"show: unknown option '--reset'")
        self.one_line_error(dpctl("stats", "--core", "x"), 2, r"--core x: not an lcore number")
        self.one_line_error(dpctl("stats", "--core"), 2, r"--core needs a value")
        self.one_line_error(dpctl("--format", "xml", "show"), 2, r"--format xml: want table or json")
        self.one_line_error(dpctl(), 2, r"no command given")
        self.one_line_error(dpctl("show", "extra"), 2, r"show: unexpected argument 'extra'")
        self.one_line_error(dpctl("trace", "--inport", "vm1"), 2, r"trace: give the packet as one MICROFLOW")

    def test_daemon_not_running(self):
        with tempfile.TemporaryDirectory(prefix="scs-sys-nod-") as d:
            missing = os.path.join(d, "mgmt.sock")
            self.one_line_error(dpctl("show", sock=missing), 1,
                                "cannot connect to %s: no such socket \\(is scs-dataplane running" % missing)
            # A socket file nobody listens on: what a killed daemon leaves behind.
            stale = os.path.join(d, "stale.sock")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(stale)
            s.close()
            self.one_line_error(dpctl("stats", sock=stale), 1,
                                "cannot connect to %s: connection refused \\(scs-dataplane is not running" % stale)

    def test_socket_not_permitted(self):
        # The socket is 0660 root:root; its directory is opened up so that only the socket's
        # own mode stands in the way of user nobody.
        st = os.stat(D.sock)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        if shutil.which("setpriv") is None or os.geteuid() != 0:
            self.skipTest("needs root and setpriv to run as another user")
        run_dir = os.path.dirname(D.sock)
        os.chmod(run_dir, 0o755)
        try:
            r = dpctl("show", user="nobody")
        finally:
            os.chmod(run_dir, 0o750)
        self.one_line_error(r, 1, "cannot connect to %s: permission denied" % D.sock)

    def test_second_daemon_on_the_same_socket(self):
        from sysutil import run_daemon, unique_prefix
        r = run_daemon(DAEMON, unique_prefix("dpctl2"), "0",
                       ["--port", "vif=vm1,dev=net_null0", "--mgmt-socket", D.sock, "--duration", "1"])
        self.assertEqual(r.rc, 1, str(r))
        self.assertEqual(r.stderr.splitlines(),
                         ["scs-dataplane: error: management socket %s: another scs-dataplane is serving it "
                          "(set --mgmt-socket PATH, or --mgmt-socket none)" % D.sock])
        self.assertEqual(dpjson("show")["pid"], D.proc.pid, "the first daemon keeps its socket")

    # --- the JSON-RPC server, spoken to directly -------------------------------------------

    def test_raw_protocol(self):
        replies = rpc([
            '{"jsonrpc":"2.0","id":1,"method":"show"}',
            'this is not json',
            '{"jsonrpc":"2.0","id":"x","method":"nosuch"}',
            '{"jsonrpc":"2.0","method":"show"}',                        # a notification: no reply
            '{"jsonrpc":"1.0","id":3,"method":"show"}',
            '{"jsonrpc":"2.0","id":4,"method":"stats","params":[1]}',
            '{"jsonrpc":"2.0","id":5,"method":"stats","params":{"core":"one"}}',
            '{"jsonrpc":"2.0","id":6,"method":"dump-tables","params":{"table":"x"}}',
            '[1,2',
            '{"jsonrpc":"2.0","id":7,"method":"list-methods"}',
        ])
        self.assertEqual(len(replies), 9, replies)
        self.assertEqual(replies[0]["id"], 1)
        self.assertEqual(replies[0]["result"]["chassis"], "hv1")
        codes = [(r.get("id"), r.get("error", {}).get("code")) for r in replies[1:]]
        self.assertEqual(codes, [(None, -32700), ("x", -32601), (3, -32600), (4, -32602), (5, -32602),
                                 (6, -32602), (None, -32700), (7, None)])
        self.assertIn("unknown method 'nosuch'", replies[2]["error"]["message"])
        self.assertEqual(replies[8]["result"], ["dump-lflows", "dump-tables", "list-methods", "show", "stats",
                                                "trace"])
        # A client that connects and says nothing does not hold the server up.
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(D.sock)
        try:
            self.assertEqual(dpjson("show")["chassis"], "hv1")
        finally:
            idle.close()


if __name__ == "__main__":
    DAEMON = os.path.abspath(sys.argv.pop(1))
    DPCTL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
