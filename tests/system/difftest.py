"""The machinery of the differential tests (test_differential.py, test_differential_routed.py):
one OVN topology and one list of raw input frames, run once with a real Open vSwitch
(userspace datapath) + ovn-controller as chassis scs-dp-0 and once with scs-dataplane as that
chassis; what each emits is compared. test_differential.py's docstring describes the method
(wires, what is compared of a Geneve frame, expected differences, gratuitous ARPs, frames
compared through `scs-dpctl trace`). Standard library only.

A test describes its topology with a Spec and its frames with a list of cases
    (name, wire it enters on or None, frame or None, trace inport or None)
and calls run(). Each side has its own real OVN central (tools/ovn/sandbox.py) that
spec.build(central) fills; hv2 (192.168.100.2, underlay MAC HV2_MAC) is a registered remote
chassis without a daemon. The chassis under test gets one veth per VIF of spec.vifs, the
underlay "ul" and the provider network "pn" (physnet1); the test drives the far ends with
AF_PACKET sockets in a namespace of its own (IPv6 off, no addresses)."""

import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "ovn"))
import sandbox  # noqa: E402
from ovs_chassis import Netns, OvsChassis  # noqa: E402
from sbtestutil import setns  # noqa: E402
from sysutil import (EAL_BASE, eth, geneve, hexdump, inet_csum, ip, ipv4, mac, pattern,  # noqa: E402
                     remove_runtime_dir, stop_process, udp_frame, unique_prefix)

CHASSIS = "scs-dp-0"
ENCAP_IP = "192.168.100.1"
HV2_IP = "192.168.100.2"
OUR_UL_MAC = "02:00:00:00:aa:01"
HV2_MAC = "00:00:00:00:aa:02"
WINDOW = 0.5          # seconds to collect the output of one frame
BCAST = b"\xff" * 6


class Spec:
    """What differs between two differential tests' chassis.
    build(central): writes the topology (stateless) and registers hv2 with its ports;
    vifs: the local VIF logical ports (one wire each, named like the port);
    claimed: logical ports that must be bound to CHASSIS before traffic (gateway ports);
    localnet: the localnet port on physnet1 (OVS patches br-int to br-ex for it);
    announcers: MACs whose gratuitous ARPs are set apart (see run()): router ports', and VIFs'
    on a switch with a localnet port (ovn-controller announces both)."""

    def __init__(self, build, vifs, claimed, localnet, announcers):
        self.build = build
        self.vifs = list(vifs)
        self.claimed = list(claimed)
        self.localnet = localnet
        self.announcers = set(announcers)
        self.wires = self.vifs + ["ul", "pn"]

# --- frames, byte by byte ------------------------------------------------------------------


def icmp_echo(src, dst, dst_mac, ttl=64, ident=0x1234, seq=1):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + pattern(32)
    body = body[:2] + struct.pack("!H", inet_csum(body)) + body[4:]
    return eth(dst_mac, src[0], 0x0800, ipv4(src[1], dst, 1, body, ttl=ttl, ident=0x4242, df=True))


def arp_request(src, target_ip, dst_mac=BCAST, sha=None):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sha or src[0], src[1], b"\0" * 6, target_ip)
    return eth(dst_mac, src[0], 0x0806, body)


def udp_to(src, dst_mac, dst_ip, ttl=64, sport=1234, dport=5678):
    return udp_frame(dst_mac, src[0], src[1], dst_ip, ttl=ttl, sport=sport, dport=dport)


def from_hv2(vni, in_key, out_key, inner, sport=49152):
    """A Geneve frame as hv2's OVS sends it to us (UDP checksum 0 accepted by both)."""
    return geneve(mac(OUR_UL_MAC), mac(HV2_MAC), ip(HV2_IP), ip(ENCAP_IP), sport, vni, in_key, out_key, inner)


def geneve_variant(inner, vni=1, in_key=3, out_key=1, src_ip=HV2_IP, dst_ip=ENCAP_IP, extra_opt=b"",
                   udp_csum=False):
    """A Geneve frame towards us like from_hv2(), with an extra option placed before OVN's,
    other outer addresses, or a real UDP checksum."""
    opts = extra_opt + struct.pack("!HBBI", 0x0102, 0x80, 1, ((in_key & 0x7FFF) << 16) | (out_key & 0xFFFF))
    gnv = struct.pack("!BBHI", len(opts) // 4, 0x40, 0x6558, vni << 8) + opts + inner
    u = struct.pack("!HHHH", 49152, 6081, 8 + len(gnv), 0) + gnv
    if udp_csum:
        pseudo = ip(src_ip) + ip(dst_ip) + struct.pack("!BBH", 0, 17, len(u))
        u = u[:6] + struct.pack("!H", inet_csum(pseudo + u) or 0xFFFF) + u[8:]
    return eth(mac(OUR_UL_MAC), mac(HV2_MAC), 0x0800, ipv4(ip(src_ip), ip(dst_ip), 17, u, df=True))


def bad_ip_csum(frame):
    """`frame` with its IPv4 header checksum off by one."""
    c = struct.unpack_from("!H", frame, 24)[0] ^ 1
    return frame[:24] + struct.pack("!H", c) + frame[26:]

# --- wires ---------------------------------------------------------------------------------


def sh(*argv):
    subprocess.run([str(a) for a in argv], check=True, capture_output=True, timeout=30)


def no_ipv6(ns):
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
       "net.ipv6.conf.default.disable_ipv6=1")


def veth(ns_a, name_a, ns_b, name_b):
    sh("ip", "-n", ns_a, "link", "add", name_a, "type", "veth", "peer", "name", name_b, "netns", ns_b)
    sh("ip", "-n", ns_a, "link", "set", name_a, "up")
    sh("ip", "-n", ns_b, "link", "set", name_b, "up")


SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40


def open_sockets(ns, names):
    """AF_PACKET sockets on interfaces `names` of namespace `ns` (the socket stays bound to
    that namespace's interface after we return to our own). PACKET_AUXDATA on: the kernel
    takes an 802.1Q tag out of a received frame (skb_vlan_untag) and reports it there."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        setns(target)
        socks = {}
        for w, ifname in names.items():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            s.bind((ifname, 0))
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            s.setblocking(False)
            socks[w] = s
        return socks
    finally:
        setns(own)
        os.close(own)
        os.close(target)


def receive(s):
    """One frame from socket `s` as it was on the wire (a VLAN tag the kernel took out is put
    back), and its sockaddr; raises BlockingIOError when there is none."""
    data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(20))
    for level, typ, cd in anc:
        if level == SOL_PACKET and typ == PACKET_AUXDATA and len(cd) >= 20:
            status, _, _, _, _, tci, tpid = struct.unpack_from("=IIIHHHH", cd)
            if status & TP_STATUS_VLAN_VALID:
                tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data, addr


def drain(socks):
    for s in socks.values():
        while True:
            try:
                s.recvfrom(65536)
            except BlockingIOError:
                break


def exchange(socks, wire, frame, window=WINDOW):
    """Sends `frame` on `wire`; returns {wire: [frames received]} within `window` seconds."""
    drain(socks)
    if frame is not None:
        socks[wire].send(frame)
    out = {w: [] for w in socks}
    by_fd = {s.fileno(): w for w, s in socks.items()}
    deadline = time.monotonic() + window
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        ready, _, _ = select.select(list(by_fd), [], [], left)
        for fd in ready:
            w = by_fd[fd]
            while True:
                try:
                    data, addr = receive(socks[w])
                except BlockingIOError:
                    break
                if addr[2] != socket.PACKET_OUTGOING:
                    out[w].append(data)

# --- the two chassis -----------------------------------------------------------------------


def central(workdir, spec):
    c = sandbox.Central(workdir=workdir)
    c.start()
    spec.build(c)
    return c


def sbget(c, column, table, cond):
    return c.sbctl("--bare", "--columns", column, "find", table, cond).strip()


def bound_to_us(c, lport):
    uuid = sbget(c, "chassis", "Port_Binding", "logical_port=%s" % lport)
    return bool(uuid) and c.sbctl("--bare", "--columns", "name", "list", "Chassis", uuid).strip() == CHASSIS


def wait_for(pred, timeout, what, alive=None):
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None:
            alive()
        if pred():
            return
        if time.monotonic() > deadline:
            raise RuntimeError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.1)


class OvsSide:
    """OVS (userspace datapath) + ovn-controller as scs-dp-0."""

    name = "ovs"

    def __init__(self, d, spec):
        self.central = self.ovs = self.tns = None
        self.socks = {}
        try:
            self._start(d, spec)
        except BaseException:
            self.stop()
            raise

    def _start(self, d, spec):
        self.central = central(os.path.join(d, "ovn-ovs"), spec)
        self.ovs = OvsChassis(self.central.sb_remote, CHASSIS, ENCAP_IP, workdir=os.path.join(d, "ovs"),
                              phy_mac=OUR_UL_MAC, bridge_mappings="physnet1:br-ex",
                              netns="scs-diff-ovs-%d" % os.getpid())
        self.ovs.start()
        ns = self.ovs.netns
        no_ipv6(ns)
        self.tns = Netns("scs-diff-to-%d" % os.getpid())
        no_ipv6(self.tns.name)
        self.ovs.vsctl("add-br", "br-ex", "--", "set", "Bridge", "br-ex", "datapath_type=netdev")
        for v in spec.vifs:
            veth(ns, v, self.tns.name, v + "-t")
            self.ovs.vsctl("add-port", "br-int", v, "--", "set", "Interface", v, "external_ids:iface-id=%s" % v)
        veth(ns, "ul", self.tns.name, "ul-t")
        self.ovs.vsctl("add-port", "br-phy", "ul")
        veth(ns, "pn", self.tns.name, "pn-t")
        self.ovs.vsctl("add-port", "br-ex", "pn")
        self.ovs.set_tunnel_neighbor(HV2_IP, HV2_MAC)
        for v in spec.vifs:
            wait_for(lambda: self.ovs.vsctl("--if-exists", "get", "Interface", v,
                                            "external_ids:ovn-installed").strip() == '"true"', 30,
                     "ovn-installed on %s" % v)
        for p in spec.claimed:
            wait_for(lambda: bound_to_us(self.central, p), 30, "%s claimed by OVS" % p)
        patch = "patch-br-int-to-" + spec.localnet
        wait_for(lambda: patch in self.ovs.vsctl("list-ports", "br-int"), 30,
                 "ovn-controller's patch port to br-ex")
        time.sleep(1.5)  # the last flow updates
        self.socks = open_sockets(self.tns.name, {w: w + "-t" for w in spec.wires})

    def trace(self, frame, inport):
        return ""

    def check_alive(self):
        for n, pid in self.ovs.pids().items():
            if not sandbox.pid_alive(pid):
                raise RuntimeError("OVS side: %s (pid %d) died" % (n, pid))

    def stop(self):
        for s in self.socks.values():
            s.close()
        self.socks = {}
        for part in (self.ovs, self.tns, self.central):
            if part:
                part.stop()


class OursSide:
    """scs-dataplane as scs-dp-0, on net_af_packet ports in its own namespace."""

    name = "scs-dataplane"

    def __init__(self, d, daemon, dpctl, spec):
        self.central = self.ns = self.proc = None
        self.socks = {}
        self.dpctl = dpctl
        self.wires = spec.wires
        self.prefix = unique_prefix("diff")
        self.out_path = self.err_path = None
        try:
            self._start(d, daemon, spec)
        except BaseException:
            self.stop()
            raise

    def _start(self, d, daemon, spec):
        self.central = central(os.path.join(d, "ovn-ours"), spec)
        self.ns = Netns("scs-diff-ours-%d" % os.getpid())
        no_ipv6(self.ns.name)
        for w in spec.wires:
            veth(self.ns.name, w, self.ns.name, w + "-t")
        ports = []
        for k, v in enumerate(spec.vifs):
            ports += ["--port", "vif=%s,dev=net_af_packet%d,iface=%s" % (v, k, v)]
        n = len(spec.vifs)
        ports += ["--port", "underlay=%s,dev=net_af_packet%d,iface=ul,mac=%s,gateway-mac=%s"
                  % (ENCAP_IP, n, OUR_UL_MAC, HV2_MAC)]
        ports += ["--port", "provider=physnet1,dev=net_af_packet%d,iface=pn" % (n + 1)]
        self.sock = os.path.join(d, "mgmt.sock")
        self.out_path, self.err_path = os.path.join(d, "stdout"), os.path.join(d, "stderr")
        cmd = ["ip", "netns", "exec", self.ns.name, daemon, "-l", "0-1", "--file-prefix", self.prefix] + EAL_BASE + [
            "--", "--sb", self.central.sb_remote, "--chassis", CHASSIS, "--mgmt-socket", self.sock] + ports
        with open(self.out_path, "w") as o, open(self.err_path, "w") as e:
            self.proc = subprocess.Popen(cmd, stdout=o, stderr=e)
        for v in spec.vifs + spec.claimed:
            wait_for(lambda: bound_to_us(self.central, v), 30, "%s claimed by scs-dataplane" % v, self.check_alive)
        for v in spec.vifs:
            wait_for(lambda: sbget(self.central, "up", "Port_Binding", "logical_port=%s" % v) == "true", 30,
                     "%s up" % v, self.check_alive)
        self._gen = (None, 0.0)
        wait_for(self.quiet, 30, "the topology compiled and settled", self.check_alive)
        self.socks = open_sockets(self.ns.name, {w: w + "-t" for w in spec.wires})

    def output(self):
        if self.out_path is None:
            return "", ""
        with open(self.out_path) as o, open(self.err_path) as e:
            return o.read(), e.read()

    def quiet(self):
        out = self.output()[0]
        n = out.count(": generation #")
        if n == 0 or n != self._gen[0]:
            self._gen = (n, time.monotonic())
            return False
        return time.monotonic() - self._gen[1] >= 1.5

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            out, err = self.output()
            raise RuntimeError("scs-dataplane exited (%s)\n%s\n%s" % (self.proc.returncode, out[-3000:], err))

    def trace(self, frame, inport):
        if inport is None:
            return "(no trace: scs-dpctl trace starts at a VIF or localnet port, this frame enters by Geneve)"
        p = subprocess.run([self.dpctl, "--socket", self.sock, "trace", "--hex", frame.hex(), "--inport", inport],
                           capture_output=True, text=True, timeout=30)
        return p.stdout + p.stderr

    def trace_output(self, frame, inport):
        """{wire: [frames]} that `scs-dpctl trace` says leave for `frame` entering at `inport`."""
        p = subprocess.run([self.dpctl, "--socket", self.sock, "--format", "json", "trace", "--hex", frame.hex(),
                            "--inport", inport], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("scs-dpctl trace: exit %d: %s" % (p.returncode, p.stderr))
        out = {w: [] for w in self.wires}
        for o in json.loads(p.stdout)["output"]:
            role, _, target = o["port"].partition("=")
            w = {"vif": target, "underlay": "ul", "provider": "pn"}[role]
            out[w].append(bytes.fromhex("".join(ln.split(":", 1)[1] for ln in o["frame"].splitlines())))
        return out

    def stats(self):
        p = subprocess.run([self.dpctl, "--socket", self.sock, "stats"], capture_output=True, text=True, timeout=30)
        return p.stdout + p.stderr

    def stop(self):
        """Stops everything; returns the daemon's exit status (None if it never started)."""
        for s in self.socks.values():
            s.close()
        self.socks = {}
        rc = stop_process(self.proc)
        remove_runtime_dir(self.prefix)
        if self.ns:
            self.ns.stop()
        if self.central:
            self.central.stop()
        return rc

# --- comparison ----------------------------------------------------------------------------


def canonical(frame):
    """What is compared of one frame: the frame itself, or for Geneve (IPv4/UDP 6081) the fields
    test_differential.py's docstring lists, with the allowed differences left out."""
    if len(frame) < 14 + 20 + 8 + 8 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
        return ("frame", frame.hex())
    ihl = (frame[14] & 15) * 4
    ipb = frame[14:14 + ihl]
    if ipb[9] != 17:
        return ("frame", frame.hex())
    u = 14 + ihl
    sport, dport, ulen, ucsum = struct.unpack_from("!HHHH", frame, u)
    if dport != 6081:
        return ("frame", frame.hex())
    g = u + 8
    optlen = (frame[g] & 0x3F) * 4
    opts, o = [], g + 8
    while o < g + 8 + optlen:
        cls, typ, ln = struct.unpack_from("!HBB", frame, o)
        n = (ln & 0x1F) * 4
        opts.append((cls, typ, ln & 0x1F, frame[o + 4:o + 4 + n].hex()))
        o += 4 + n
    return ("geneve",
            ("outer eth", frame[:14].hex()),
            ("outer ip ver/ihl", ipb[0]), ("tos", ipb[1]), ("total length", ipb[2:4].hex()),
            ("flags/frag (DF)", ipb[6:8].hex()), ("ttl", ipb[8]), ("ip header checksum ok", inet_csum(ipb) == 0),
            ("src", ipb[12:16].hex()), ("dst", ipb[16:20].hex()),
            ("udp dport", dport), ("udp length", ulen),
            ("geneve ver/optlen", frame[g]), ("geneve flags", frame[g + 1]),
            ("geneve protocol", frame[g + 2:g + 4].hex()), ("vni+rsvd", frame[g + 4:g + 8].hex()),
            ("options", tuple(opts)), ("inner", frame[g + 8 + optlen:].hex()))


def arp_text(f):
    if f[12:14] == b"\x81\x00":
        f = f[:12] + f[16:]
    return "ARP %s who-has %s from %s" % ("request" if f[21] == 1 else "op %d" % f[21],
                                         ".".join(map(str, f[38:42])), f[6:12].hex(":"))


def canon_output(out):
    return {w: sorted(canonical(f) for f in frames) for w, frames in out.items()}


# The mode of an EXPECTED_DIFFERENCES entry (third element) where scs-dataplane emits every
# frame OVS emits and more: OVS learned where a MAC is (put_fdb, run by ovn-controller's
# pinctrl, into the Southbound FDB table) and sends to that port only; scs-dataplane does not
# learn and still floods to the ports with "unknown" addresses.
FLOODS_UNLEARNED = "floods-unlearned"


def contains(big, small):
    """Every frame of `small` is in `big`, wire by wire (canon_output() of both)."""
    for w, frames in small.items():
        pool = list(big.get(w, []))
        for f in frames:
            if f not in pool:
                return False
            pool.remove(f)
    return True


def describe(out, wires):
    lines = []
    for w in wires:
        for f in out[w]:
            dump = "\n".join("    " + ln for ln in hexdump(f).splitlines())
            lines.append("  on %s, %d bytes:\n%s" % (w, len(f), dump))
    return "\n".join(lines) or "  (nothing on any wire)"


def is_announcement(frame, announcers):
    """A gratuitous ARP: Ethernet ARP request (802.1Q-tagged or not) from one of the MACs
    `announcers`, sender IP == target IP."""
    if frame[12:14] == b"\x81\x00":
        frame = frame[:12] + frame[16:]
    return (len(frame) >= 42 and frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x01"
            and frame[22:28] in announcers and frame[28:32] == frame[38:42])


def run_cases(side, cases, announcers):
    """{case: {wire: [frames]}} without announcements, and the announcements seen, as a set
    of (wire, frame)."""
    res, garps = {}, set()
    for name, wire, frame, _ in cases:
        side.check_alive()
        out = exchange(side.socks, wire, frame, 1.5 if frame is None else WINDOW)
        for w, frames in out.items():
            garps.update((w, f) for f in frames if is_announcement(f, announcers))
            out[w] = [f for f in frames if not is_announcement(f, announcers)]
        res[name] = out
    side.check_alive()
    return res, garps


def compare_case(case, label, r, g, ours, expected, case_notes, failures, notes, wires, alternatives=None):
    """Appends to `failures` (or `notes`) what comparing OVS's output `r` of one case with ours
    `g` shows; `label` marks the second pass. alternatives: {case: (why, [output, ...])} -
    cases where OVN lets the datapath choose (select()): OVS's output must be one of them, and
    ours may be any one of them."""
    name, wire, frame, inport = case
    same = canon_output(r) == canon_output(g)
    if name in (alternatives or {}) and not same:
        why, outs = alternatives[name]
        canon = [canon_output({w: f for w, f in o.items() if f}) for o in outs]
        have = canon_output({w: f for w, f in g.items() if f})
        ref = canon_output({w: f for w, f in r.items() if f})
        if ref in canon and have in canon:
            if not label:
                notes.append("alternative: %-43s %s (OVS took another)" % (name, why))
            return
    n_ref = sum(len(v) for v in r.values())
    n_got = sum(len(v) for v in g.values())
    first = not label
    if frame is None:
        report = ("case %r%s (nothing sent):\n OVS + ovn-controller emitted:\n%s\n"
                  " scs-dataplane emitted:\n%s" % (name, label, describe(r, wires), describe(g, wires)))
        if not same:
            failures.append(report + "\n => unsolicited frames differ")
        return
    report = ("case %r%s: frame in on %s (%d bytes):\n%s\n OVS + ovn-controller emitted:\n%s\n"
              " scs-dataplane emitted:\n%s" % (name, label, wire, len(frame), hexdump(frame),
                                               describe(r, wires), describe(g, wires)))
    if name in expected:
        why, in_trace, *mode = expected[name]
        trace = ours.trace(frame, inport)
        if same:
            failures.append("%s\n => listed in EXPECTED_DIFFERENCES (%s) but now identical: "
                            "remove the entry" % (report, why))
        elif mode == [FLOODS_UNLEARNED]:
            if n_got <= n_ref or not contains(canon_output(g), canon_output(r)) or in_trace not in trace:
                failures.append("%s\n => differs other than expected (%s: we emit what OVS emits and a "
                                "flood, by %r)\n%s" % (report, why, in_trace, trace))
            elif first:
                notes.append("expected difference %r: %s (OVS emitted %d frame(s), we %d)"
                             % (name, why, n_ref, n_got))
        elif n_got != 0 or n_ref == 0:
            failures.append("%s\n => differs other than expected (%s: OVS emits, we emit nothing)\n%s"
                            % (report, why, trace))
        elif in_trace not in trace or "-> dropped: unimplemented" not in trace:
            failures.append("%s\n => expected a drop by the unimplemented %r (%s); the trace says:\n%s"
                            % (report, in_trace, why, trace))
        elif first:
            notes.append("expected difference %r: %s (OVS emitted %d frame(s), we none)"
                         % (name, why, n_ref))
        return
    if not same:
        kind = ("dropped by scs-dataplane, forwarded by OVS" if n_got == 0 else
                "dropped by OVS, forwarded by scs-dataplane" if n_ref == 0 else "different output")
        note = ("\n why: " + case_notes[name]) if name in case_notes else ""
        failures.append("%s\n => %s%s\n scs-dpctl trace:\n%s"
                        % (report, kind, note, ours.trace(frame, inport)))
    elif first:
        notes.append("same: %-50s %d frame(s) %s" % (name, n_ref, ",".join(
            "%s:%d" % (w, len(v)) for w, v in r.items() if v)))


def run(spec, cases, daemon, dpctl, expected=None, case_notes=None, trace_compared=None,
        garp_difference=None, alternatives=None):
    """The whole differential test: OVS side, then ours twice (cold and warm flow cache),
    compared case by case. expected: {case: (why, what our trace must show[, mode])} - cases where
    OVS emits frames built by ovn-controller and we, not implementing that, emit nothing (with
    mode FLOODS_UNLEARNED: we emit what OVS emits and a flood OVS no longer sends, having
    learned the MAC in pinctrl); case_notes: {case: text printed with a failure}; trace_compared: {case: why} - frames
    that cannot reach the daemon, compared with `scs-dpctl trace` output; garp_difference:
    why OVS's gratuitous ARPs from spec.announcers are missing on our side. Prints the
    report; returns the exit status."""
    expected, case_notes, trace_compared = expected or {}, case_notes or {}, trace_compared or {}
    d = tempfile.mkdtemp(prefix="scs-diff-")
    ovs = ours = None
    failures, notes = [], []
    rc = None
    try:
        t0 = time.monotonic()
        ovs = OvsSide(d, spec)
        print("OVS side ready in %.1fs" % (time.monotonic() - t0), flush=True)
        ref, ref_garps = run_cases(ovs, cases, spec.announcers)
        ovs.stop()
        ovs = None
        t0 = time.monotonic()
        ours = OursSide(d, daemon, dpctl, spec)
        print("scs-dataplane side ready in %.1fs" % (time.monotonic() - t0), flush=True)
        got, got_garps = run_cases(ours, cases, spec.announcers)
        if got_garps and got_garps != ref_garps:
            failures.append("gratuitous ARPs differ:\n OVS: %s\n scs-dataplane: %s" % (
                sorted((w, f.hex()) for w, f in ref_garps), sorted((w, f.hex()) for w, f in got_garps)))
        elif ref_garps and not got_garps and garp_difference:
            notes.append("expected difference (gratuitous ARP): %s; OVS sent %s" % (
                garp_difference, ", ".join(sorted(set("%s on %s" % (arp_text(f), w) for w, f in ref_garps)))))
        elif ref_garps and not got_garps:
            failures.append("OVS sent gratuitous ARPs, scs-dataplane none: %s" % sorted(
                set("%s on %s" % (arp_text(f), w) for w, f in ref_garps)))
        elif got_garps and garp_difference:
            notes.append("gratuitous ARPs identical: remove GARP_DIFFERENCE from the docstring")
        # A second pass of the same frames: the per-lcore flow cache is warm by now.
        got2, _ = run_cases(ours, cases, spec.announcers)
        for label, got in (("", got), (" [second pass, warm flow cache]", got2)):
            for case in cases:
                name, _, frame, inport = case
                g = got[name]
                if name in trace_compared:
                    g = ours.trace_output(frame, inport)
                    if not label:
                        notes.append("compared with scs-dpctl trace (%s): %r" % (trace_compared[name], name))
                compare_case(case, label, ref[name], g, ours, expected, case_notes, failures, notes, spec.wires,
                             alternatives)
        if failures:
            failures.append("scs-dpctl stats:\n" + ours.stats())
    except Exception:
        failures.append("setup or run failed:\n" + traceback.format_exc())
    finally:
        if ovs:
            ovs.stop()
        if ours:
            out, err = ours.output()
            rc = ours.stop()
            if rc != 0 or err:
                failures.append("scs-dataplane exit %s, stderr %r\n%s" % (rc, err, out[-3000:]))
        subprocess.run(["rm", "-rf", d], check=False)
    for n in notes:
        print(n)
    if failures:
        print("\n\n".join(["FAIL: %d problem(s)" % len(failures)] + failures))
        return 1
    print("OK: %d cases, %d expected differences" % (len(cases), len(expected)))
    return 0
