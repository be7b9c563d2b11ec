"""The daemon as a chassis of a real OVN (tools/ovn/sandbox.py): a private network namespace
with veth pairs whose one end the daemon drives with net_af_packet and whose other end the
test sends and receives raw frames on, a real Northbound/Southbound/ovn-northd, and the demo
topology written through ovn-nbctl. Standard library only."""

import ctypes
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "ovn"))
import sandbox  # noqa: E402
import topologies  # noqa: E402
from ovs_chassis import Netns  # noqa: E402
from sysutil import EAL_BASE, remove_runtime_dir, unique_prefix  # noqa: E402

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)

# Tenant-facing ports of our chassis and the wires of the underlay and provider network.
VIFS = ["vm1", "vm2", "vm4"]
CHASSIS = "scs-dp-0"
UNDERLAY_IP = "192.168.100.1"
HV2_MAC = "00:00:00:00:aa:02"


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


class Wire:
    """The test's end of one veth: raw frames in and out."""

    def __init__(self, ifname):
        self.ifname = ifname
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.s.bind((ifname, 0))
        self.s.settimeout(0.05)

    def send(self, frame):
        self.s.send(frame)

    def drain(self):
        while self.recv(0.0):
            pass

    def recv(self, wait=0.5):
        """Frames received within `wait` seconds (outgoing copies excluded)."""
        out, deadline = [], time.time() + wait
        while True:
            try:
                data, addr = self.s.recvfrom(65536)
                if addr[2] != socket.PACKET_OUTGOING:
                    out.append(data)
                    continue
            except socket.timeout:
                pass
            if time.time() >= deadline:
                return out

    def close(self):
        self.s.close()


def stateless_demo_commands(chassis):
    """The demo topology without the stateful parts (NAT, load balancer, ACLs): what the
    engine forwards today. The stateful-services work brings them back."""
    return topologies.demo_commands(chassis, stateful=False)


class Chassis:
    """Central + namespace + daemon; stop() undoes everything (also after a failure)."""

    def __init__(self, daemon, name, extra_vifs=(), extra_args=()):
        self.daemon = daemon
        self.dir = tempfile.mkdtemp(prefix="scs-sb-%s-" % name)
        self.central = None
        self.ns = None
        self.proc = None
        self.wires = {}
        self.orig_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.prefix = unique_prefix("sb-" + name)
        try:
            self._start(name, list(extra_vifs), list(extra_args))
        except BaseException:
            self.stop()
            raise

    def _start(self, name, extra_vifs, extra_args):
        self.central = sandbox.Central(workdir=os.path.join(self.dir, "ovn"))
        self.central.start()
        self.central.nbctl_batch(stateless_demo_commands(CHASSIS))
        self.central.sync()
        self.central.add_remote_chassis(*topologies.DEMO_HV2)
        for vm in ("vm3", "vm5"):
            self.central.bind_port_to(topologies.DEMO_HV2[0], vm)
        self.central.sync()

        self.ns = Netns("scs-sb-%s-%d" % (name, os.getpid()))
        ifs = VIFS + extra_vifs + ["ul", "pn"]
        for i in ifs:
            subprocess.run(["ip", "-n", self.ns.name, "link", "add", i, "type", "veth", "peer", "name", i + "-t"],
                           check=True)
        subprocess.run(["ip", "netns", "exec", self.ns.name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1"], check=True)
        for i in ifs:
            for n in (i, i + "-t"):
                subprocess.run(["ip", "-n", self.ns.name, "link", "set", n, "up"], check=True)
        fd = os.open("/run/netns/" + self.ns.name, os.O_RDONLY)
        try:
            setns(fd)
        finally:
            os.close(fd)
        for i in ifs:
            self.wires[i] = Wire(i + "-t")

        ports = []
        for k, i in enumerate(VIFS + extra_vifs):
            ports += ["--port", "vif=%s,dev=net_af_packet%d,iface=%s" % (i, k, i)]
        n = len(VIFS + extra_vifs)
        ports += ["--port", "underlay=%s,dev=net_af_packet%d,iface=ul,gateway-mac=%s" % (UNDERLAY_IP, n, HV2_MAC)]
        ports += ["--port", "provider=physnet1,dev=net_af_packet%d,iface=pn" % (n + 1)]
        self.sock = os.path.join(self.dir, "mgmt.sock")
        cmd = [self.daemon, "-l", "0-1", "--file-prefix", self.prefix] + EAL_BASE + [
            "--", "--sb", self.central.sb_remote, "--chassis", CHASSIS, "--mgmt-socket", self.sock] + ports + extra_args
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        self.wait_for(lambda: self.port_chassis("vm1") == CHASSIS and self.port_up("vm1"), 30,
                      "vm1 claimed by %s and up" % CHASSIS)
        self.wait_for(self.quiet, 30, "the demo topology compiled")

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def compiled_flows(self):
        """Logical flows of the latest generation."""
        n = 0
        for line in self.stdout().splitlines():
            if " logical flows: " in line:
                n = int(line.split(" logical flows: ")[0].split()[-1])
        return n

    def quiet(self, settle=1.0):
        """True once flows are compiled and no generation came for `settle` seconds (the
        monitor's conditional updates of one change arrive in a few steps)."""
        n = self.generations()
        if self.compiled_flows() < 200:
            return False
        if n != getattr(self, "_last_n", None):
            self._last_n, self._last_t = n, time.time()
            return False
        return time.time() - self._last_t >= settle

    def generations(self):
        return self.stdout().count(": generation #")

    def wait_for(self, pred, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("daemon exited (%s) while waiting for %s\n%s\n%s" %
                                   (self.proc.returncode, what, self.stdout()[-3000:], self.stderr()))
            if pred():
                return
            time.sleep(0.1)
        raise RuntimeError("timed out waiting for %s\n%s" % (what, self.stdout()[-3000:]))

    def sbctl(self, *args):
        return self.central.sbctl(*args).strip()

    def port_chassis(self, lport):
        uuid = self.sbctl("--bare", "--columns", "chassis", "find", "Port_Binding", "logical_port=%s" % lport)
        if not uuid:
            return ""
        return self.sbctl("--bare", "--columns", "name", "list", "Chassis", uuid)

    def port_up(self, lport):
        return self.sbctl("--bare", "--columns", "up", "find", "Port_Binding", "logical_port=%s" % lport) == "true"

    def settle(self, before, timeout=20):
        """Waits for ovn-northd's result to reach the daemon: a generation after `before`."""
        self.central.sync()
        self.wait_for(lambda: self.generations() > before, timeout, "a new generation")
        self.wait_for(lambda: self.quiet(0.5), timeout, "the change applied")

    def exchange(self, src, frame, dst, wait=0.5):
        for w in self.wires.values():
            w.drain()
        self.wires[src].send(frame)
        return self.wires[dst].recv(wait)

    def stop_daemon(self):
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.proc is not None:
            rc = self.proc.returncode
        remove_runtime_dir(self.prefix)
        return rc

    def stop(self):
        self.stop_daemon()
        for w in self.wires.values():
            w.close()
        self.wires = {}
        setns(self.orig_ns)
        if self.ns:
            self.ns.stop()
        if self.central:
            self.central.stop()
        subprocess.run(["rm", "-rf", self.dir], check=False)
