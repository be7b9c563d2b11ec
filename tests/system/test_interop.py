#!/usr/bin/python3
"""Interop with a real OVN chassis (issue 3 item 8): chassis hv2 is Open vSwitch (userspace
datapath) + ovn-controller, chassis scs-dp-0 is scs-dataplane on net_af_packet ports; a "VM"
network namespace behind each. Ping and a TCP transfer between the VMs over Geneve, on one
logical switch and routed across the distributed router. Nothing here is mocked: both
chassis read the same Southbound, and the only path between the VMs is the Geneve underlay.

usage: test_interop.py SCS_DATAPLANE"""

import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "ovn"))
import sandbox  # noqa: E402
import topologies  # noqa: E402
from ovs_chassis import Netns, OvsChassis, make_vm, ping  # noqa: E402
from sbtestutil import stateless_demo_commands  # noqa: E402
from sysutil import EAL_BASE, remove_runtime_dir, stop_process, unique_prefix  # noqa: E402

DAEMON = None
OURS = "scs-dp-0"
OUR_UL_MAC = "02:00:00:00:aa:01"
HV2_PHY_MAC = "02:00:00:00:aa:02"

# A TCP transfer: the server in one VM sends back the SHA-256 of what it received.
TCP_SERVER = r"""
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
c.sendall(("%d %s" % (n, h.hexdigest())).encode()); c.close()
"""
TCP_CLIENT = r"""
import hashlib, os, socket, sys
data = os.urandom(int(sys.argv[3]))
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
s.sendall(data); s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(4096)
    if not b: break
    got += b
want = "%d %s" % (len(data), hashlib.sha256(data).hexdigest())
print("OK" if got.decode() == want else "MISMATCH %s vs %s" % (got.decode(), want))
"""


class Interop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scs-interop-")
        cls.central = cls.hv2 = cls.ours = cls.proc = None
        cls.vms = []
        cls.prefix = unique_prefix("interop")
        try:
            cls._setup()
        except BaseException:
            cls._teardown()
            raise

    @classmethod
    def _setup(cls):
        c = cls.central = sandbox.Central(workdir=os.path.join(cls.dir, "ovn"))
        c.start()
        c.nbctl_batch(stateless_demo_commands(OURS))
        c.sync()
        cls.hv2 = OvsChassis(c.sb_remote, "hv2", "192.168.100.2", workdir=os.path.join(cls.dir, "hv2"),
                             phy_mac=HV2_PHY_MAC)
        cls.hv2.start()
        cls.ours = Netns("scs-ours-%d" % os.getpid())
        cls.hv2.connect_underlay(cls.ours.name, "ul0")
        subprocess.run(["ip", "-n", cls.ours.name, "link", "set", "ul0", "address", OUR_UL_MAC], check=True)
        cls.hv2.set_tunnel_neighbor("192.168.100.1", OUR_UL_MAC)
        cls.vm1 = "scs-i-vm1-%d" % os.getpid()
        cls.vm4 = "scs-i-vm4-%d" % os.getpid()
        cls.vms.append(make_vm(cls.ours.name, "vm1p", cls.vm1, "00:00:00:00:01:01", "10.0.0.11", gateway="10.0.0.1"))
        cls.vms.append(make_vm(cls.ours.name, "vm4p", cls.vm4, "00:00:00:00:02:04", "10.0.1.14", gateway="10.0.1.1"))

        out, err = os.path.join(cls.dir, "stdout"), os.path.join(cls.dir, "stderr")
        cmd = ["ip", "netns", "exec", cls.ours.name, DAEMON, "-l", "0-1", "--file-prefix", cls.prefix] + EAL_BASE + [
            "--", "--sb", c.sb_remote, "--chassis", OURS, "--mgmt-socket", os.path.join(cls.dir, "mgmt.sock"),
            "--port", "vif=vm1,dev=net_af_packet0,iface=vm1p",
            "--port", "vif=vm4,dev=net_af_packet1,iface=vm4p",
            "--port", "underlay=192.168.100.1,dev=net_af_packet2,iface=ul0,mac=%s,gateway-mac=%s" % (OUR_UL_MAC,
                                                                                                   HV2_PHY_MAC)]
        cls.out_path, cls.err_path = out, err
        with open(out, "w") as o, open(err, "w") as e:
            cls.proc = subprocess.Popen(cmd, stdout=o, stderr=e)
        # hv2's VMs once our chassis is in the Southbound (their traffic to us needs the tunnel).
        cls.wait(lambda: OURS in c.sbctl("--bare", "--columns", "name", "list", "Chassis").split(), "our chassis")
        cls.vm3 = cls.hv2.add_vm("vm3", "vm3", "00:00:00:00:01:03", "10.0.0.13", gateway="10.0.0.1")
        cls.vm5 = cls.hv2.add_vm("vm5", "vm5", "00:00:00:00:02:05", "10.0.1.15", gateway="10.0.1.1")
        cls.wait(lambda: c.sbctl("--bare", "--columns", "up", "find", "Port_Binding", "logical_port=vm1").strip() ==
                 "true", "vm1 up")
        # Room for Geneve's 58 bytes on a 1500-byte underlay, as OpenStack gives its VMs
        # (MTU 1442 by DHCP) - OVN does not fragment.
        for ns in (cls.vm1, cls.vm4, cls.vm3, cls.vm5):
            subprocess.run(["ip", "-n", ns, "link", "set", "eth0", "mtu", "1400"], check=True)
        time.sleep(1.0)  # the last monitor updates of the topology

    @classmethod
    def wait(cls, pred, what, timeout=40):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cls.proc is not None and cls.proc.poll() is not None:
                raise RuntimeError("daemon exited: %s" % cls.daemon_output())
            if pred():
                return
            time.sleep(0.2)
        raise RuntimeError("timed out waiting for %s\n%s" % (what, cls.daemon_output()))

    @classmethod
    def daemon_output(cls):
        with open(cls.out_path) as o, open(cls.err_path) as e:
            return o.read()[-4000:] + e.read()

    @classmethod
    def _teardown(cls):
        stop_process(cls.proc)
        remove_runtime_dir(cls.prefix)
        for vm in cls.vms:
            vm.stop()
        if cls.hv2:
            cls.hv2.stop()
        if cls.ours:
            cls.ours.stop()
        if cls.central:
            cls.central.stop()
        subprocess.run(["rm", "-rf", cls.dir], check=False)

    @classmethod
    def tearDownClass(cls):
        rc_ok = cls.proc is not None and cls.proc.poll() is None
        cls._teardown()
        assert rc_ok, "the daemon died during the tests"
        assert cls.proc.returncode == 0, "daemon exit %s" % cls.proc.returncode

    def ping(self, vm, dst):
        ok = ping(vm, dst, count=3, timeout=2.0)
        self.assertTrue(ok, "ping %s -> %s failed\n%s\n%s" % (vm, dst, self.daemon_output(), self.stats()))

    def stats(self):
        p = subprocess.run([os.path.join(os.path.dirname(DAEMON), "..", "ctl", "scs-dpctl"), "--socket",
                            os.path.join(self.dir, "mgmt.sock"), "stats"], capture_output=True, text=True)
        return p.stdout + p.stderr

    def tcp(self, server_vm, server_ip, client_vm, port, size=1 << 20):
        srv = subprocess.Popen(["ip", "netns", "exec", server_vm, "/usr/bin/python3", "-c", TCP_SERVER, str(port)])
        try:
            time.sleep(0.5)
            p = subprocess.run(["ip", "netns", "exec", client_vm, "/usr/bin/python3", "-c", TCP_CLIENT, server_ip,
                                str(port), str(size)], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.stdout.strip(), "OK", p.stdout + p.stderr + self.stats())
        finally:
            srv.kill()
            srv.wait()

    def test_1_ping_same_switch_over_geneve(self):
        self.ping(self.vm1, "10.0.0.13")   # ours -> OVS
        self.ping(self.vm3, "10.0.0.11")   # OVS -> ours

    def test_2_ping_routed_over_geneve(self):
        self.ping(self.vm1, "10.0.1.15")   # routed here, tunnelled on sw1
        self.ping(self.vm5, "10.0.0.11")   # routed by OVS, tunnelled on sw0

    def test_3_ping_router_ip(self):
        self.ping(self.vm1, "10.0.0.1")

    def test_4_tcp_same_switch(self):
        self.tcp(self.vm3, "10.0.0.13", self.vm1, 5001)

    def test_5_tcp_routed(self):
        self.tcp(self.vm1, "10.0.0.11", self.vm5, 5002)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
