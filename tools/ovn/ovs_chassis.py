#!/usr/bin/python3
"""A real OVN chassis (Open vSwitch userspace datapath + ovn-controller) as the interop peer of
scs-dataplane, in a private directory and its own network namespace. Standard library only.

What runs where
- ovsdb-server (conf.db from vswitch.ovsschema) and ovn-controller: host namespace, talking
  over unix sockets in the chassis directory (ovn-controller reaches the Central's SB by its
  unix socket or tcp remote).
- ovs-vswitchd: inside the chassis namespace NS (its tap devices for br-int and br-phy stay off
  the host), datapath_type=netdev on both bridges.
- br-int: OVN's integration bridge (fail_mode=secure); VM ports are veths whose other end is
  eth0 in a per-VM namespace; external_ids:iface-id=LPORT; add_vm() waits until ovn-controller
  sets ovn-installed=true.
- br-phy: holds the encap IP on its internal port (the userspace datapath sends Geneve only
  through a bridge that owns the encap IP); its other port is the underlay veth.

How a second chassis (scs-dataplane, "ours") plugs in
    c = Central(...)
    topologies.demo(c, chassis="scs-dp-0", register_remote=False, register_local=True)
        # registers scs-dp-0 (geneve 192.168.100.1) and binds vm1, vm2, vm4 to it, so hv2
        # builds its tunnel and sends their traffic there
    hv2 = OvsChassis(c.sb_remote, "hv2", "192.168.100.2")   # a real ovn-controller plays hv2
    hv2.start()
    ours = Netns("scs-ours")                                 # a namespace for our daemon
    hv2.connect_underlay(ours.name, "ul0")                   # veth: hv2 br-phy <-> ours:ul0
    make_vm(ours.name, "vm1p", "vm1", "00:00:00:00:01:01", "10.0.0.11", gateway="10.0.0.1")
    hv2.add_vm("vm3", "vm3", "00:00:00:00:01:03", "10.0.0.13", gateway="10.0.0.1")
  Then run the daemon inside that namespace, one net_af_packet port per veth:
    ip netns exec scs-ours scs-dataplane ... --vdev=net_af_packet0,iface=ul0
        --vdev=net_af_packet1,iface=vm1p ...
  Our underlay side owns 192.168.100.1 in the dataplane itself (the veth `ul0` carries no IP;
  give one with connect_underlay(..., peer_ip=) only for kernel-side debugging); hv2 resolves
  it by ARP on br-phy, so our daemon must answer ARP for its encap IP (or pre-seed OVS with
  `ovs-appctl tnl/neigh/set br-phy 192.168.100.1 MAC` via hv2.appctl()). Register our chassis
  in the SB (register_local above) unless the daemon does it itself.
  tests/system/test_ovn_sandbox.py (test_geneve_interop_...) plays "ours" with a raw AF_PACKET
  socket on ul0: a Geneve frame vm1 -> vm3 reaches vm3 and the reply comes back encapsulated.
  make_vm() returns the VM's Netns (vm.exec([...]) runs a command in it); the module-level
  ping(vm_ns, dst) pings from any VM namespace.

What OVS 3.1 sends on the underlay (seen with tcpdump between two of these chassis): outer
IPv4 DF, TTL 64, ident 0; UDP to 6081 with a real checksum (OVN sets Encap options csum=true)
and a flow-hashed source port; Geneve with the C flag, VNI = datapath tunnel key, one OVN
option (class 0x0102, type 0x80, 4 bytes: ingress port key << 16 | egress port key). br-phy's
MAC is fixed with OvsChassis(phy_mac=...) (other_config:hwaddr). OVS accepts incoming Geneve
with UDP checksum 0 (the interop test sends that).

CLI (daemons and namespaces stay up between calls):
    python3 tools/ovn/ovs_chassis.py start DIR --sb unix:CENTRAL/sb.sock --name hv2 \
        --encap-ip 192.168.100.2 [--netns NS] [--underlay PEER_NS:IFNAME] \
        [--vm vm3,vm3,00:00:00:00:01:03,10.0.0.13,10.0.0.1]...
    python3 tools/ovn/ovs_chassis.py ping VM_NS 10.0.0.11
    python3 tools/ovn/ovs_chassis.py stop DIR

Two OVS chassis can be linked the same way (a.connect_underlay(b.netns, "ul-a");
b.attach_underlay_port("ul-a")) to see OVN's own Geneve between them.
"""

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox import (SandboxError, kill_daemon, kill_pid, ovs_env, pid_alive,  # noqa: E402
                     read_pid, run, wait_for)

VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"

# --- namespaces and "VMs" ------------------------------------------------------------------


def ns_run(ns, argv, **kw):
    return run(["ip", "netns", "exec", ns] + list(argv), **kw)


class Netns:
    """A network namespace we create (loopback up) and delete again (stop(), atexit); deleting
    it kills the processes still running inside (a daemon the caller started there too)."""

    def __init__(self, name, create=True):
        """create=False adopts an existing namespace (made by an earlier `start`)."""
        self.name = name
        self._up = False
        if create:
            run(["ip", "netns", "add", name])   # fails if the name is taken: never adopt it
        self._up = True
        atexit.register(self.stop)
        if create:
            try:
                run(["ip", "-n", name, "link", "set", "lo", "up"])
            except SandboxError:
                self.stop()
                raise

    def release(self):
        """Leaves the namespace in place when this process exits (the CLI's `start`)."""
        atexit.unregister(self.stop)

    def exec(self, argv, **kw):
        return ns_run(self.name, argv, **kw)

    def stop(self):
        if self._up:
            self._up = False
            delete_netns(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def delete_netns(name):
    """Deletes namespace `name`; processes still inside it (ours) are killed first."""
    if not os.path.exists("/run/netns/" + name):
        return
    try:
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                              timeout=10).stdout.split()
    except subprocess.TimeoutExpired:
        pids = []
    for p in pids:
        kill_pid(int(p))
    run(["ip", "netns", "del", name], check=False)


def make_vm(host_ns, host_ifname, vm_ns, mac, ip, prefix=24, gateway=None):
    """A "VM": namespace `vm_ns` (created) whose eth0 (MAC, IP/prefix, default route via
    gateway) is a veth to `host_ifname` in namespace `host_ns` (up, no IP).
    TX checksum offload is off on eth0 so AF_PACKET readers (OVS netdev, DPDK net_af_packet)
    see complete checksums. Returns the Netns of the VM."""
    vm = Netns(vm_ns)
    try:
        run(["ip", "-n", host_ns, "link", "add", host_ifname, "type", "veth", "peer", "name",
             "eth0", "netns", vm_ns])
        run(["ip", "-n", host_ns, "link", "set", host_ifname, "up"])
        run(["ip", "-n", vm_ns, "link", "set", "eth0", "address", mac])
        run(["ip", "-n", vm_ns, "addr", "add", "%s/%d" % (ip, prefix), "dev", "eth0"])
        run(["ip", "-n", vm_ns, "link", "set", "eth0", "up"])
        ns_run(vm_ns, ["ethtool", "-K", "eth0", "tx", "off"], check=False)
        if gateway:
            run(["ip", "-n", vm_ns, "route", "add", "default", "via", gateway])
    except Exception:
        vm.stop()
        raise
    return vm


_PING = r"""
import os, socket, struct, sys, time
dst, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, got = os.getpid() & 0xffff, 0
for seq in range(count):
    body = struct.pack("!HH", ident, seq) + b"scs-ping" * 7
    msg = struct.pack("!BBH", 8, 0, 0) + body
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    s.sendto(msg, (dst, 0))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (data[0] & 15) * 4
        t, _, _, i, q = struct.unpack_from("!BBHHH", data, ihl)
        if addr[0] == dst and t == 0 and i == ident and q == seq:
            got += 1
            break
print(got)
"""


def ping(vm_ns, dst, count=3, timeout=1.0):
    """ICMP echo from namespace `vm_ns` to `dst` (there is no ping binary on the machine);
    returns how many of `count` echoes were answered, each within `timeout` seconds."""
    out = ns_run(vm_ns, [sys.executable, "-c", _PING, dst, str(count), str(timeout)],
                 timeout=count * timeout + 10)
    return int(out.strip() or 0)


# --- the chassis ---------------------------------------------------------------------------

class OvsChassis:
    """Open vSwitch (userspace datapath) + ovn-controller named `name` (system-id) with Geneve
    encap IP `encap_ip` (held by br-phy in namespace self.netns). `sb_remote` is the Central's
    SB (Central.sb_remote or sb_tcp_remote)."""

    def __init__(self, sb_remote, name, encap_ip, workdir=None, keep=False, prefix=24,
                 phy_mac=None, bridge_mappings=None, netns=None):
        self.sb_remote = sb_remote
        self.name = name
        self.encap_ip = encap_ip
        self.prefix = prefix
        self.phy_mac = phy_mac
        self.bridge_mappings = bridge_mappings
        self._own_dir = workdir is None
        self.dir = os.path.abspath(workdir or tempfile.mkdtemp(prefix="scs-ovs-%s-" % name))
        os.makedirs(self.dir, exist_ok=True)
        self.keep = keep
        self.env = ovs_env(self.dir)
        self.db_sock = os.path.join(self.dir, "db.sock")
        self.netns = netns or "scs-%s-%d" % (name, os.getpid())
        self.vms = {}          # vm name -> Netns
        self._ns = None
        self._started = False

    def _path(self, n):
        return os.path.join(self.dir, n)

    def vsctl(self, *args, timeout=30):
        return run(["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=%d" % timeout]
                   + [str(a) for a in args], env=self.env, timeout=timeout + 5)

    def ofctl(self, *args):
        return run(["ovs-ofctl", "-O", "OpenFlow15"] + [str(a) for a in args], env=self.env)

    def appctl(self, target, *args):
        """ovs-appctl to 'vswitchd', 'db' or 'controller'."""
        if target == "controller":
            pid = read_pid(self._path("ovn-controller.pid"))
            ctl = self._path("ovn-controller.%d.ctl" % pid)
        else:
            ctl = self._path(target + ".ctl")
        return run(["ovs-appctl", "-t", ctl] + [str(a) for a in args], env=self.env)

    def start(self, timeout=30):
        if self._started:
            return self
        self._started = True
        atexit.register(self.stop)
        try:
            self._start(timeout)
        except BaseException:
            self.stop(unregister=False)
            raise
        return self

    def _start(self, timeout):
        self._ns = Netns(self.netns)
        db = self._path("conf.db")
        if os.path.exists(db):
            os.unlink(db)   # every start begins with a fresh Open vSwitch configuration
        run(["ovsdb-tool", "create", db, VSWITCH_SCHEMA], env=self.env)
        run(["ovsdb-server", db, "--remote=punix:" + self.db_sock,
             "--unixctl=" + self._path("db.ctl"), "--pidfile=" + self._path("db.pid"),
             "--log-file=" + self._path("db.log"), "--detach", "--no-chdir"], env=self.env)
        self.vsctl("--no-wait", "init")
        ns_run(self.netns, ["ovs-vswitchd", "unix:" + self.db_sock,
                            "--unixctl=" + self._path("vswitchd.ctl"),
                            "--pidfile=" + self._path("vswitchd.pid"),
                            "--log-file=" + self._path("vswitchd.log"),
                            "--detach", "--no-chdir"], env=self.env, timeout=60)
        phy = ["add-br", "br-phy", "--", "set", "Bridge", "br-phy", "datapath_type=netdev"]
        if self.phy_mac:
            phy.append("other_config:hwaddr=\"%s\"" % self.phy_mac)
        self.vsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev",
                   "fail_mode=secure", "other_config:disable-in-band=true", "--", *phy)
        run(["ip", "-n", self.netns, "addr", "add", "%s/%d" % (self.encap_ip, self.prefix),
             "dev", "br-phy"])
        run(["ip", "-n", self.netns, "link", "set", "br-phy", "up"])
        ext = ["external_ids:system-id=%s" % self.name,
               "external_ids:hostname=%s" % self.name,
               "external_ids:ovn-remote=%s" % self.sb_remote,
               "external_ids:ovn-encap-type=geneve",
               "external_ids:ovn-encap-ip=%s" % self.encap_ip,
               "external_ids:ovn-bridge=br-int",
               "external_ids:ovn-bridge-datapath-type=netdev"]
        if self.bridge_mappings:
            ext.append("external_ids:ovn-bridge-mappings=%s" % self.bridge_mappings)
        self.vsctl("set", "Open_vSwitch", ".", *ext)
        # ovn-controller 23.03 takes no --unixctl; its socket is OVN_RUNDIR/ovn-controller.PID.ctl.
        run(["ovn-controller", "unix:" + self.db_sock,
             "--pidfile=" + self._path("ovn-controller.pid"),
             "--log-file=" + self._path("ovn-controller.log"), "--detach", "--no-chdir"],
            env=self.env)
        wait_for(self._registered, timeout, "chassis %s in the Southbound" % self.name, 0.1)
        self._save_state()

    def _save_state(self):
        with open(self._path("chassis.json"), "w") as f:
            json.dump({"name": self.name, "sb_remote": self.sb_remote,
                       "encap_ip": self.encap_ip, "netns": self.netns,
                       "vms": {n: vm.name for n, vm in self.vms.items()},
                       "pids": self.pids()}, f, indent=1)

    def _registered(self):
        out = run(["ovn-sbctl", "--db=" + self.sb_remote, "--timeout=5", "--bare",
                   "--columns=name", "find", "Chassis", "name=%s" % self.name], check=False,
                  env=self.env)
        return out.strip() == self.name

    def connect_underlay(self, peer_ns, peer_ifname, own_ifname=None, peer_ip=None):
        """A veth pair: `own_ifname` (default "ul-" + peer_ifname) on br-phy in our namespace,
        `peer_ifname` in namespace `peer_ns` (up; with peer_ip "A.B.C.D/NN" also addressed)."""
        own = own_ifname or ("ul-" + peer_ifname)[:15]
        run(["ip", "-n", self.netns, "link", "add", own, "type", "veth", "peer", "name",
             peer_ifname, "netns", peer_ns])
        run(["ip", "-n", peer_ns, "link", "set", peer_ifname, "up"])
        if peer_ip:
            run(["ip", "-n", peer_ns, "addr", "add", peer_ip, "dev", peer_ifname])
        self.attach_underlay_port(own)
        return own

    def attach_underlay_port(self, ifname):
        """Puts interface `ifname` of our namespace on br-phy (up)."""
        run(["ip", "-n", self.netns, "link", "set", ifname, "up"])
        self.vsctl("add-port", "br-phy", ifname)

    def add_vm(self, name, lport, mac, ip, prefix=24, gateway=None, timeout=30):
        """A VM namespace (see make_vm) on br-int as logical port `lport`; returns the VM's
        namespace name once ovn-controller has installed the port (ovn-installed=true)."""
        vm_ns = "%s-%s" % (self.netns, name)
        port = name[:15]
        vm = make_vm(self.netns, port, vm_ns, mac, ip, prefix, gateway)
        self.vms[name] = vm
        self.vsctl("add-port", "br-int", port, "--", "set", "Interface", port,
                   "external_ids:iface-id=%s" % lport)
        wait_for(lambda: self.vsctl("--if-exists", "get", "Interface", port,
                                    "external_ids:ovn-installed").strip() == '"true"',
                 timeout, "ovn-installed on %s (lport %s)" % (port, lport), 0.1)
        self._save_state()
        return vm_ns

    def set_tunnel_neighbor(self, ip, mac):
        """Seeds the userspace datapath's tunnel neighbor table (no ARP needed for `ip`)."""
        self.appctl("vswitchd", "tnl/neigh/set", "br-phy", ip, mac)

    def vm_exec(self, name, argv, **kw):
        return self.vms[name].exec(argv, **kw)

    def ping(self, vm, dst, count=3, timeout=1.0):
        return ping(self.vms[vm].name, dst, count, timeout)

    def pids(self):
        out = {}
        for n in ("db", "vswitchd", "ovn-controller"):
            pid = read_pid(self._path(n + ".pid"))
            if pid:
                out[n] = pid
        return out

    def stop(self, unregister=True):
        """Stops ovn-controller (with unregister: `exit`, which removes its Chassis row),
        ovs-vswitchd and ovsdb-server by pid; deletes the VM and chassis namespaces."""
        if not self._started:
            return
        self._started = False
        pid = read_pid(self._path("ovn-controller.pid"))
        if pid and unregister:
            ctl = self._path("ovn-controller.%d.ctl" % pid)
            run(["ovs-appctl", "--timeout=5", "-t", ctl, "exit"], env=self.env, check=False,
                timeout=10)
            try:
                wait_for(lambda: not pid_alive(pid), 5, "ovn-controller exit")
            except SandboxError:
                pass
        for n in ("ovn-controller", "vswitchd", "db"):
            kill_daemon(self._path(n + ".pid"), self.dir)
        for vm in self.vms.values():
            vm.stop()
        self.vms.clear()
        if self._ns:
            self._ns.stop()
        if self._own_dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def release(self):
        """Leaves daemons and namespaces running when this process exits (the CLI's `start`);
        `ovs_chassis.py stop DIR` stops them later."""
        atexit.unregister(self.stop)
        for ns in [self._ns] + list(self.vms.values()):
            if ns:
                ns.release()

    @classmethod
    def attach(cls, workdir):
        """The chassis started earlier in `workdir` (its chassis.json), to stop or inspect it."""
        try:
            with open(os.path.join(workdir, "chassis.json")) as f:
                st = json.load(f)
        except (OSError, ValueError) as e:
            raise SandboxError("%s: no usable chassis.json (%s)" % (workdir, e))
        ch = cls(st["sb_remote"], st["name"], st["encap_ip"], workdir=workdir,
                 netns=st["netns"])
        ch._started = True
        atexit.register(ch.stop)
        ch._ns = Netns(st["netns"], create=False)
        ch.vms = {n: Netns(ns, create=False) for n, ns in st["vms"].items()}
        return ch

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --- CLI -----------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="Run a real OVN chassis (OVS userspace datapath "
                                 "+ ovn-controller) in a private directory and namespace.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start the chassis; daemons and namespaces stay up")
    s.add_argument("dir")
    s.add_argument("--sb", required=True, help="Southbound remote (e.g. unix:DIR/sb.sock)")
    s.add_argument("--name", required=True, help="chassis name (system-id)")
    s.add_argument("--encap-ip", required=True)
    s.add_argument("--netns", help="chassis namespace name (default scs-NAME-PID)")
    s.add_argument("--phy-mac", help="MAC of br-phy (the encap IP's MAC)")
    s.add_argument("--bridge-mappings", help="ovn-bridge-mappings, e.g. physnet1:br-ex")
    s.add_argument("--underlay", metavar="NS:IFNAME",
                   help="veth from br-phy to interface IFNAME in existing namespace NS")
    s.add_argument("--vm", action="append", default=[], metavar="NAME,LPORT,MAC,IP[,GW]",
                   help="a VM namespace on br-int (repeatable)")
    s.add_argument("--vm-timeout", type=float, default=30,
                   help="seconds to wait for ovn-installed on each VM port")
    s = sub.add_parser("stop", help="stop the chassis of DIR and delete its namespaces")
    s.add_argument("dir")
    s = sub.add_parser("ping", help="ICMP echo from a namespace")
    s.add_argument("netns")
    s.add_argument("dst")
    s.add_argument("--count", type=int, default=3)
    a = ap.parse_args(argv)
    try:
        if a.cmd == "start":
            ch = OvsChassis(a.sb, a.name, a.encap_ip, workdir=a.dir, netns=a.netns,
                            phy_mac=a.phy_mac, bridge_mappings=a.bridge_mappings)
            ch.start()
            try:
                if a.underlay:
                    ns, _, ifname = a.underlay.partition(":")
                    ch.connect_underlay(ns, ifname)
                for v in a.vm:
                    f = v.split(",")
                    if len(f) not in (4, 5):
                        raise SandboxError("--vm %r: want NAME,LPORT,MAC,IP[,GW]" % v)
                    ns = ch.add_vm(f[0], f[1], f[2], f[3], gateway=f[4] if len(f) == 5 else None,
                                   timeout=a.vm_timeout)
                    print("vm_%s=%s" % (f[0], ns))
            except BaseException:
                ch.stop()
                raise
            ch.release()
            print("netns=%s" % ch.netns)
            for k, v in ch.pids().items():
                print("pid_%s=%d" % (k, v))
        elif a.cmd == "stop":
            OvsChassis.attach(a.dir).stop()
            print("stopped")
        elif a.cmd == "ping":
            got = ping(a.netns, a.dst, a.count)
            print("%d/%d answered" % (got, a.count))
            return 0 if got else 1
    except SandboxError as e:
        print("ovs_chassis: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
