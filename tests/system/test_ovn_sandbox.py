#!/usr/bin/env python3
"""System test of tools/ovn: a real OVN central (ovsdb-server NB/SB, ovn-northd) in a private
directory, the scripted topologies, the Southbound dump, an SB restart, the CLI, and a real
OVN chassis (ovs-vswitchd userspace datapath + ovn-controller) whose VMs ping each other.

Every test checks afterwards that no process started from its directory is left (pgrep -f on
the directory, which matches live processes only) and that its namespaces are gone.

usage: test_ovn_sandbox.py
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "ovn")
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ovs_chassis  # noqa: E402
import sandbox  # noqa: E402
import sysutil  # noqa: E402
import topologies  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "sb",
                       "dev-basic.json")


def load_dump(path):
    """{table: [row dicts]} from an `ovsdb-client dump --format=json` file."""
    tables = {}
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            name = doc["caption"].rsplit(" table", 1)[0]
            tables[name] = [dict(zip(doc["headings"], row)) for row in doc["data"]]
    return tables


def uuids(v):
    """UUIDs in an RFC 7047 value (a uuid or a set of them)."""
    if v[0] == "uuid":
        return {v[1]}
    if v[0] == "set":
        return {u[1] for u in v[1]}
    return set()


def icmp_echo(typ, ident, seq, payload):
    msg = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + payload
    return msg[:2] + struct.pack("!H", sysutil.inet_csum(msg)) + msg[4:]


# Runs in a namespace: sends one frame (hex) on an interface, then prints every frame it
# receives there during N seconds, one hex string per line.
SEND_AND_SNIFF = r"""
import socket, sys, time
ifname, frame, secs = sys.argv[1], bytes.fromhex(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((ifname, 0))
s.send(frame)
end = time.monotonic() + secs
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        data, addr = s.recvfrom(65535)
    except socket.timeout:
        break
    if addr[2] != socket.PACKET_OUTGOING:
        print(data.hex(), flush=True)
"""


def live_pids(pattern):
    p = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(x) for x in p.stdout.split()]


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="scs-sys-ovn-")
        self.netns_prefix = "scs-t%d-" % os.getpid()

    def tearDown(self):
        left = live_pids(self.dir)
        netns = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                           text=True).stdout.split() if n.startswith(self.netns_prefix)]
        for p in left:
            sandbox.kill_pid(p)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertEqual(left, [], "processes left running from %s" % self.dir)
        self.assertEqual(netns, [], "namespaces left behind")

    def central(self, **kw):
        return sandbox.Central(workdir=os.path.join(self.dir, "central"), **kw)


class CentralTests(Base):
    def test_demo_topology_has_flows_for_every_datapath(self):
        t0 = time.monotonic()
        with self.central() as c:
            started = time.monotonic() - t0
            self.assertEqual(set(c.pids()), {"nb", "sb", "northd"})
            topologies.demo(c, chassis="scs-dp-0")
            print("\ncentral %.2fs, demo topology %.2fs" % (started, time.monotonic() - t0 - started))
            dump = os.path.join(self.dir, "sb.json")
            c.dump_sb(dump)
            sb = load_dump(dump)
            dps = {r["_uuid"][1]: dict(r["external_ids"][1])["name"] for r in sb["Datapath_Binding"]}
            self.assertEqual(sorted(dps.values()), ["lr0", "public", "sw0", "sw1"])
            keys = {dict(r["external_ids"][1])["name"]: r["tunnel_key"] for r in sb["Datapath_Binding"]}
            self.assertEqual(keys, {"sw0": 1, "sw1": 2, "lr0": 3, "public": 4})
            groups = {r["_uuid"][1]: uuids(r["datapaths"]) for r in sb["Logical_DP_Group"]}
            per_dp = {u: 0 for u in dps}
            for f in sb["Logical_Flow"]:
                for u in uuids(f["logical_datapath"]) | set().union(
                        *[groups[g] for g in uuids(f["logical_dp_group"])]):
                    per_dp[u] += 1
            for u, n in per_dp.items():
                self.assertGreater(n, 50, "datapath %s has %d logical flows" % (dps[u], n))
            # Port tunnel keys as lib/demo/topology.h has them; vm3, vm5 bound on hv2.
            pb = {r["logical_port"]: r for r in sb["Port_Binding"]}
            self.assertEqual({p: pb[p]["tunnel_key"] for p in ("vm1", "vm2", "vm3", "sw0-lr0",
                                                                "vm4", "vm5", "sw1-lr0",
                                                                "ln-public", "public-lr0")},
                             {"vm1": 1, "vm2": 2, "vm3": 3, "sw0-lr0": 4, "vm4": 1, "vm5": 2,
                              "sw1-lr0": 3, "ln-public": 1, "public-lr0": 2})
            self.assertEqual(pb["ln-public"]["type"], "localnet")
            self.assertEqual(pb["cr-lr0-public"]["type"], "chassisredirect")
            hv2 = [r["_uuid"][1] for r in sb["Chassis"] if r["name"] == "hv2"]
            self.assertEqual(len(hv2), 1)
            for p in ("vm3", "vm5"):
                self.assertEqual(uuids(pb[p]["chassis"]), set(hv2), p)
            for p in ("vm1", "vm2", "vm4"):
                self.assertEqual(uuids(pb[p]["chassis"]), set(), p)
            self.assertEqual(dict(pb["vm1"]["options"][1]).get("requested-tnl-key"), "1")
            # The gateway port is scheduled on our chassis (name given as a parameter).
            # northd 23.03 writes it as an HA_Chassis_Group (not Gateway_Chassis); the chassis
            # reference stays empty until a chassis of that name registers.
            grp = [g for g in sb["HA_Chassis_Group"]
                   if g["_uuid"][1] in uuids(pb["cr-lr0-public"]["ha_chassis_group"])]
            self.assertEqual(len(grp), 1)
            ha = [h for h in sb["HA_Chassis"] if h["_uuid"][1] in uuids(grp[0]["ha_chassis"])]
            self.assertEqual([(dict(h["external_ids"][1])["chassis-name"], h["priority"])
                              for h in ha], [("scs-dp-0", 20)])
            self.assertEqual(sb["Gateway_Chassis"], [])
            matches = " ".join(f["match"] for f in sb["Logical_Flow"])
            self.assertIn("172.24.4.200", matches)   # LB VIP
            self.assertIn("172.24.4.100", matches)   # floating IP
            self.assertIn("tcp.dst == 22", matches)  # security group ACL

    def test_dump_has_the_fixture_format(self):
        with self.central() as c:
            topologies.demo(c, register_local=True)
            dump = os.path.join(self.dir, "sb.json")
            c.dump_sb(dump)
            with open(dump) as f:
                docs = [json.loads(line) for line in f if line.strip()]
            with open(FIXTURE) as f:
                fixture = [json.loads(line) for line in f if line.strip()]
            self.assertEqual([d["caption"] for d in docs], [d["caption"] for d in fixture])
            for d, fx in zip(docs, fixture):
                self.assertEqual(d["headings"], fx["headings"], d["caption"])
            lf = [d for d in docs if d["caption"] == "Logical_Flow table"][0]
            self.assertEqual(len(lf["data"]), c.lflow_count())
            self.assertGreater(len(lf["data"]), 300)

    def test_restart_sb_keeps_the_data(self):
        with self.central(tcp=True) as c:
            topologies.demo(c)
            before = c.lflow_count()
            old = c.pids()["sb"]
            c.restart_sb()
            self.assertNotEqual(c.pids()["sb"], old)
            self.assertEqual(c.lflow_count(), before)
            self.assertEqual(c.count("Port_Binding"), 13)
            # northd reconnects and keeps translating.
            topologies.add_port(c, "sw0", "vm9", "00:00:00:00:01:09", "10.0.0.19")
            self.assertEqual(c.count("Port_Binding"), 14)
            self.assertGreater(c.lflow_count(), before)
            out = subprocess.run(["ovsdb-client", "list-dbs", c.sb_tcp_remote],
                                 capture_output=True, text=True, timeout=10)
            self.assertEqual(out.stdout.split(), ["OVN_Southbound", "_Server"], out.stderr)

    def test_scale_small_and_incremental_changes(self):
        with self.central() as c:
            r = topologies.scale(c, n_switches=6, ports_per_switch=5, n_routers=2,
                                 acls_per_switch=2, routes_per_router=3)
            # 30 VM ports, 6 switch-side router ports, 6 router ports.
            self.assertEqual(r["port_bindings"], 42)
            self.assertEqual(c.count("Port_Binding"), 42)
            self.assertGreater(r["lflows"], 6 * 5 * 3)
            self.assertEqual(c.nbctl("lr-route-list", "lr1").count("172.16.0."), 3)
            t = topologies.add_port(c, "ls3", "extra", "0a:00:00:00:99:01", "10.100.3.99")
            self.assertGreater(t, 0)
            self.assertEqual(c.count("Port_Binding"), 43)
            before = c.lflow_count()
            topologies.add_route(c, "lr0", "198.51.100.0/24", "10.100.0.250")
            self.assertEqual(c.lflow_count(), before + 1)
            self.assertIn("198.51.100.0/24", c.sbctl("lflow-list", "lr0"))
            with self.assertRaises(sandbox.SandboxError) as e:
                topologies.add_port(c, "no-such-ls", "p", "0a:00:00:00:99:02", "10.9.9.9")
            self.assertIn("no-such-ls", str(e.exception))
            with self.assertRaises(sandbox.SandboxError):
                topologies.add_route(c, "no-such-lr", "198.51.101.0/24", "10.100.0.250")
            self.assertEqual(c.count("Port_Binding"), 43)
            self.assertEqual(c.count("Logical_Router_Static_Route", db="nb"), 2 * 3 + 1)

    def test_scale_methods_write_the_same_topology(self):
        flows = {}
        for method in ("transact", "nbctl"):
            with sandbox.Central(workdir=os.path.join(self.dir, method)) as c:
                r = topologies.scale(c, 4, 3, n_routers=2, acls_per_switch=1,
                                     routes_per_router=2, method=method)
                self.assertEqual(r["port_bindings"], 4 * 3 + 4 * 2, method)
                out = c.sbctl("--bare", "--columns=pipeline,table_id,priority,match,actions",
                              "list", "Logical_Flow")
                flows[method] = sorted(f.strip() for f in out.split("\n\n") if f.strip())
                self.assertEqual(len(flows[method]), r["lflows"])
        self.assertEqual(flows["transact"], flows["nbctl"])

    def test_transaction_error_names_the_operation(self):
        with self.central() as c:
            with self.assertRaises(sandbox.SandboxError) as e:
                c.transact("nb", [{"op": "insert", "table": "Logical_Switch",
                                   "row": {"no_such_column": 1}}])
            self.assertIn("no_such_column", str(e.exception))

    def test_bad_nbctl_command_is_an_error_with_the_message(self):
        with self.central() as c:
            with self.assertRaises(sandbox.SandboxError) as e:
                c.nbctl("lsp-add", "no-such-switch", "p1")
            self.assertIn("no-such-switch", str(e.exception))

    def test_cli_start_dump_stop(self):
        d = os.path.join(self.dir, "cli")
        cli = [sys.executable, os.path.join(TOOLS, "sandbox.py")]
        out = subprocess.run(cli + ["start", d, "--topology", "demo"], capture_output=True,
                             text=True, timeout=60)
        try:
            self.assertEqual(out.returncode, 0, out.stderr)
            lines = dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l)
            self.assertEqual(lines["sb_remote"], "unix:" + os.path.join(d, "sb.sock"))
            pids = [int(lines["pid_" + n]) for n in ("nb", "sb", "northd")]
            self.assertTrue(all(sandbox.pid_alive(p) for p in pids))
            with open(os.path.join(d, "env.sh")) as f:
                self.assertIn("OVN_SB_DB=unix:", f.read())
            again = subprocess.run(cli + ["start", d], capture_output=True, text=True, timeout=30)
            self.assertEqual(again.returncode, 1)
            self.assertIn("already running", again.stderr)
            dump = os.path.join(self.dir, "cli.json")
            out = subprocess.run(cli + ["dump", d, dump], capture_output=True, text=True,
                                 timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertGreater(len(load_dump(dump)["Logical_Flow"]), 300)
        finally:
            out = subprocess.run(cli + ["stop", d], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertFalse(any(sandbox.pid_alive(p) for p in pids))


@unittest.skipUnless(shutil.which("ovs-vswitchd") and shutil.which("ovn-controller"),
                     "ovs-vswitchd or ovn-controller not installed (tools/bootstrap.sh installs "
                     "openvswitch-switch and ovn-host)")
class ChassisTests(Base):
    def chassis(self, c, name, encap_ip):
        return ovs_chassis.OvsChassis(c.sb_remote, name, encap_ip,
                                      workdir=os.path.join(self.dir, name),
                                      netns=self.netns_prefix + name)

    def test_two_vms_on_one_ovs_chassis_ping(self):
        t0 = time.monotonic()
        with self.central() as c:
            topologies.demo(c, chassis="scs-dp-0")
            with self.chassis(c, "hv-test", "192.168.100.3") as ch:
                self.assertEqual(set(ch.pids()), {"db", "vswitchd", "ovn-controller"})
                ch.add_vm("vm1", "vm1", "00:00:00:00:01:01", "10.0.0.11", gateway="10.0.0.1")
                ch.add_vm("vm2", "vm2", "00:00:00:00:01:02", "10.0.0.12", gateway="10.0.0.1")
                pb = c.sbctl("--bare", "--columns=chassis", "find", "Port_Binding",
                             "logical_port=vm1").strip()
                name = c.sbctl("--bare", "--columns=name", "list", "Chassis", pb).strip()
                self.assertEqual(name, "hv-test")
                self.assertEqual(ch.ping("vm1", "10.0.0.12", count=3), 3)
                self.assertEqual(ch.ping("vm2", "10.0.0.11", count=2), 2)
                # lr0's router port answers (routed by OVN's own pipeline).
                self.assertEqual(ch.ping("vm1", "10.0.0.1", count=1), 1)
                # Port security: a VM that sends from another MAC than its port's gets nothing.
                c.nbctl_batch([["lsp-add", "sw0", "spoof"],
                               ["lsp-set-addresses", "spoof", "00:00:00:00:01:20 10.0.0.20"],
                               ["lsp-set-port-security", "spoof", "00:00:00:00:01:20 10.0.0.20"]],
                              wait_sb=True)
                ch.add_vm("bad", "spoof", "00:00:00:00:01:99", "10.0.0.20")
                self.assertEqual(ch.ping("bad", "10.0.0.11", count=2, timeout=0.5), 0)
                netns = ch.netns
            self.assertFalse(os.path.exists("/run/netns/" + netns))
            # `exit` unregistered the chassis.
            self.assertEqual(c.sbctl("--bare", "--columns=name", "find", "Chassis",
                                     "name=hv-test").strip(), "")
        print("\nOVS chassis test %.1fs" % (time.monotonic() - t0))

    def test_two_ovs_chassis_over_geneve(self):
        with self.central() as c:
            topologies.demo(c, chassis="scs-dp-0", register_remote=False)
            with self.chassis(c, "scs-dp-0", "192.168.100.1") as a, \
                    self.chassis(c, "hv2", "192.168.100.2") as b:
                a.connect_underlay(b.netns, "ul-a")
                b.attach_underlay_port("ul-a")
                a.add_vm("vm1", "vm1", "00:00:00:00:01:01", "10.0.0.11", gateway="10.0.0.1")
                b.add_vm("vm3", "vm3", "00:00:00:00:01:03", "10.0.0.13", gateway="10.0.0.1")
                b.add_vm("vm5", "vm5", "00:00:00:00:02:05", "10.0.1.15", gateway="10.0.1.1")
                # The first echo may go while br-phy still resolves the remote encap IP.
                self.assertGreaterEqual(a.ping("vm1", "10.0.0.13", count=4), 3)
                self.assertEqual(a.ping("vm1", "10.0.1.15", count=3), 3)
                self.assertIn("192.168.100.2", a.appctl("vswitchd", "tnl/neigh/show"))
                b.set_tunnel_neighbor("192.168.100.9", "00:00:00:00:aa:09")
                self.assertIn("00:00:00:00:aa:09", b.appctl("vswitchd", "tnl/neigh/show"))

    def test_geneve_interop_with_a_namespace_playing_our_chassis(self):
        """The setup the lead uses with scs-dataplane: a real OVN chassis hv2 and, in namespace
        `ours`, whoever plays scs-dp-0 on veth ul0 (here a raw AF_PACKET socket): a Geneve
        frame as an OVN chassis sends it reaches vm3, and vm3's reply comes back in Geneve
        with the datapath key as VNI and (vm3 << 16 | vm1) as OVN option."""
        with self.central() as c:
            topologies.demo(c, chassis="scs-dp-0", register_remote=False, register_local=True)
            with self.chassis(c, "hv2", "192.168.100.2") as hv2, \
                    ovs_chassis.Netns(self.netns_prefix + "ours") as ours:
                hv2.connect_underlay(ours.name, "ul0")
                hv2.add_vm("vm3", "vm3", "00:00:00:00:01:03", "10.0.0.13", gateway="10.0.0.1")
                hv2.set_tunnel_neighbor("192.168.100.1", "00:00:00:00:aa:01")
                phy_mac = hv2.vsctl("get", "Interface", "br-phy", "mac_in_use").strip().strip('"')
                echo = icmp_echo(8, 0x4242, 1, b"scs-interop" * 4)
                inner = sysutil.eth(sysutil.VM3_MAC, sysutil.VM1_MAC, 0x0800,
                                    sysutil.ipv4(sysutil.VM1_IP, sysutil.VM3_IP, 1, echo))
                frame = sysutil.geneve(sysutil.mac(phy_mac), sysutil.mac("00:00:00:00:aa:01"),
                                       sysutil.ip("192.168.100.1"), sysutil.HV2_ENCAP_IP, 40000,
                                       vni=1, in_key=1, out_key=3, inner=inner)
                got = ours.exec([sys.executable, "-c", SEND_AND_SNIFF, "ul0", frame.hex(), "3"],
                                timeout=20)
                replies = []
                for h in got.split():
                    f = bytes.fromhex(h)
                    if len(f) < 14 + 20 + 8 + 16 + 14 or f[12:14] != b"\x08\x00" or f[23] != 17:
                        continue
                    if struct.unpack_from("!H", f, 36)[0] != 6081:
                        continue
                    g = f[42:]
                    vni = struct.unpack_from("!I", g, 4)[0] >> 8
                    cls, typ, ln, val = struct.unpack_from("!HBBI", g, 8)
                    inn = g[8 + (g[0] & 0x3f) * 4:]
                    ip_off = 14
                    if inn[12:14] == b"\x08\x00" and inn[ip_off + 9] == 1 and inn[ip_off + 20] == 0:
                        replies.append((f[26:30], f[30:34], vni, cls, typ, val, inn[0:6], inn[6:12],
                                        inn[ip_off + 12:ip_off + 16], inn[ip_off + 16:ip_off + 20]))
                self.assertTrue(replies, "no Geneve echo reply on ul0; frames seen: %s" % got[:2000])
                src, dst, vni, cls, typ, val, dmac, smac, sip, dip = replies[0]
                self.assertEqual((src, dst), (sysutil.HV2_ENCAP_IP, sysutil.ip("192.168.100.1")))
                self.assertEqual((vni, cls, typ, val), (1, 0x0102, 0x80, (3 << 16) | 1))
                self.assertEqual((dmac, smac, sip, dip),
                                 (sysutil.VM1_MAC, sysutil.VM3_MAC, sysutil.VM3_IP, sysutil.VM1_IP))

    def test_chassis_cli_with_underlay_into_a_caller_namespace(self):
        cli = [sys.executable, os.path.join(TOOLS, "ovs_chassis.py")]
        d = os.path.join(self.dir, "hv2")
        with self.central() as c:
            topologies.demo(c, register_remote=False)
            with ovs_chassis.Netns(self.netns_prefix + "ours") as ours:
                out = subprocess.run(cli + ["start", d, "--sb", c.sb_remote, "--name", "hv2",
                                            "--encap-ip", "192.168.100.2",
                                            "--netns", self.netns_prefix + "hv2",
                                            "--underlay", ours.name + ":ul0",
                                            "--vm", "vm3,vm3,00:00:00:00:01:03,10.0.0.13,10.0.0.1",
                                            "--vm", "vm9,nonexistent-port,00:00:00:00:01:09,10.0.0.19",
                                            "--vm-timeout", "3"],
                                     capture_output=True, text=True, timeout=90)
                # The second VM's port never gets installed: start fails and cleans up.
                self.assertEqual(out.returncode, 1, out.stdout)
                self.assertIn("ovn-installed", out.stderr)
                self.assertEqual(live_pids(d), [])
                self.assertFalse(os.path.exists("/run/netns/" + self.netns_prefix + "hv2"))
                out = subprocess.run(cli + ["start", d, "--sb", c.sb_remote, "--name", "hv2",
                                            "--encap-ip", "192.168.100.2",
                                            "--netns", self.netns_prefix + "hv2",
                                            "--underlay", ours.name + ":ul0",
                                            "--vm", "vm3,vm3,00:00:00:00:01:03,10.0.0.13,10.0.0.1"],
                                     capture_output=True, text=True, timeout=90)
                try:
                    self.assertEqual(out.returncode, 0, out.stderr)
                    lines = dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l)
                    self.assertEqual(len(live_pids(d)), 3)
                    # vm3 reaches lr0 through OVS; ul0 is up in our namespace.
                    p = subprocess.run(cli + ["ping", lines["vm_vm3"], "10.0.0.1"],
                                       capture_output=True, text=True, timeout=30)
                    self.assertEqual(p.stdout.strip(), "3/3 answered", p.stderr)
                    self.assertIn("state UP", ours.exec(["ip", "link", "show", "ul0"]))
                    self.assertIn("hv2", c.sbctl("--bare", "--columns=name", "list", "Chassis"))
                finally:
                    out = subprocess.run(cli + ["stop", d], capture_output=True, text=True,
                                         timeout=60)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertEqual(live_pids(d), [])


if __name__ == "__main__":
    # A timeout's SIGTERM unwinds through the context managers, which stop every daemon.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    unittest.main(verbosity=2)
