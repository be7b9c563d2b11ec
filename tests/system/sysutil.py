"""Helpers for the scs-dataplane system tests: frames, pcap files, running the daemon and
reading its final counter report. Standard library only (no scapy).

Frames are written out field by field here, independently of lib/packet, so the daemon's
output is checked against bytes the engine had no hand in.
"""

import os
import re
import shutil
import struct
import subprocess
import tempfile

# --- the demo topology's addresses (lib/demo/topology.h, restated) --------------------------

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip(s):
    return bytes(int(x) for x in s.split("."))


VM1_MAC, VM2_MAC, VM3_MAC = mac("00:00:00:00:01:01"), mac("00:00:00:00:01:02"), mac("00:00:00:00:01:03")
VM4_MAC, VM5_MAC = mac("00:00:00:00:02:04"), mac("00:00:00:00:02:05")
LRP_SW0_MAC, LRP_SW1_MAC, LRP_PUB_MAC = mac("00:00:00:00:ff:01"), mac("00:00:00:00:ff:02"), mac("00:00:00:00:ff:03")
GATEWAY_MAC = mac("00:00:00:00:fe:fe")
HV2_UNDERLAY_MAC = mac("00:00:00:00:aa:02")
VM1_IP, VM2_IP, VM3_IP = ip("10.0.0.11"), ip("10.0.0.12"), ip("10.0.0.13")
VM4_IP, VM5_IP = ip("10.0.1.14"), ip("10.0.1.15")
HV2_ENCAP_IP = ip("192.168.100.2")
SW0_KEY, SW1_KEY = 1, 2
VM1_KEY, VM3_KEY = 1, 3            # port keys in sw0
VM5_KEY, SW1_LR_KEY = 2, 3         # port keys in sw1

# --- frames -------------------------------------------------------------------------------

def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=0, df=False, tos=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident,
                      0x4000 if df else 0, ttl, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", inet_csum(hdr)) + hdr[12:] + payload


def udp(src_ip, dst_ip, sport, dport, payload, csum=True):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    if csum:
        pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 17, length)
        c = inet_csum(pseudo + hdr + payload) or 0xFFFF
        hdr = hdr[:6] + struct.pack("!H", c)
    return hdr + payload


def tcp(src_ip, dst_ip, sport, dport, payload, seq=1, flags=0x18):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = inet_csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def eth(dst, src, ethertype, payload, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst + src + tag + struct.pack("!H", ethertype) + payload


def pattern(n, start=0):
    return bytes((start + i) & 0xFF for i in range(n))


def udp_frame(dst_mac, src_mac, src_ip, dst_ip, ttl=64, sport=1234, dport=5678, n=18, vlan=None):
    l4 = udp(src_ip, dst_ip, sport, dport, pattern(n))
    return eth(dst_mac, src_mac, 0x0800, ipv4(src_ip, dst_ip, 17, l4, ttl=ttl), vlan=vlan)


def tcp_frame(dst_mac, src_mac, src_ip, dst_ip, ttl=64, sport=40000, dport=80, n=100):
    l4 = tcp(src_ip, dst_ip, sport, dport, pattern(n, 7))
    return eth(dst_mac, src_mac, 0x0800, ipv4(src_ip, dst_ip, 6, l4, ttl=ttl, ident=777, df=True, tos=0x28))


def geneve(outer_dst, outer_src, src_ip, dst_ip, sport, vni, in_key, out_key, inner, ttl=64):
    """A frame as an OVN chassis tunnels it (ovn-architecture(7), RFC 8926): UDP checksum 0,
    DF set, Geneve C bit (OVN's option 0x0102/0x80 is critical), one 4-byte TLV with
    (ingress port key << 16 | egress port key)."""
    opt = struct.pack("!HBBI", 0x0102, 0x80, 1, ((in_key & 0x7FFF) << 16) | (out_key & 0xFFFF))
    gnv = struct.pack("!BBHI", len(opt) // 4, 0x40, 0x6558, vni << 8) + opt + inner
    u = struct.pack("!HHHH", sport, 6081, 8 + len(gnv), 0) + gnv
    return eth(outer_dst, outer_src, 0x0800, ipv4(src_ip, dst_ip, 17, u, ttl=ttl, df=True))


GENEVE_SPORT_OFFSET = 14 + 20  # outer Ethernet + IPv4


def geneve_sport(frame):
    return struct.unpack_from("!H", frame, GENEVE_SPORT_OFFSET)[0]


def with_geneve_sport(frame, sport):
    return frame[:GENEVE_SPORT_OFFSET] + struct.pack("!H", sport) + frame[GENEVE_SPORT_OFFSET + 2:]

# --- pcap files ---------------------------------------------------------------------------

def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    """Frames of a classic pcap file (micro- or nanosecond, either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: %d bytes, not a pcap file" % (path, len(data)))
    magic = struct.unpack_from("<I", data)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError("%s: bad pcap magic 0x%08x" % (path, magic))
    linktype = struct.unpack_from(end + "I", data, 20)[0]
    if linktype != 1:
        raise ValueError("%s: link type %d, not Ethernet" % (path, linktype))
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from(end + "IIII", data, off)
        off += 16
        if incl != orig:
            raise ValueError("%s: truncated capture (%d of %d bytes)" % (path, incl, orig))
        frames.append(data[off:off + incl])
        off += incl
    if off != len(data):
        raise ValueError("%s: %d trailing bytes" % (path, len(data) - off))
    return frames


def hexdump(b):
    return "\n".join("%04x: %s" % (i, b[i:i + 16].hex(" ")) for i in range(0, len(b), 16))

# --- running the daemon -------------------------------------------------------------------

EAL_BASE = ["--no-huge", "-m", "512", "--no-pci", "--no-telemetry", "--log-level=*:notice"]


def runtime_dirs(prefix):
    dirs = [os.path.join("/var/run/dpdk", prefix)]
    if os.environ.get("XDG_RUNTIME_DIR"):
        dirs.append(os.path.join(os.environ["XDG_RUNTIME_DIR"], "dpdk", prefix))
    dirs.append(os.path.join(tempfile.gettempdir(), "dpdk", prefix))
    return dirs


def stop_process(proc, timeout=20):
    """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit status (None: none)."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def remove_runtime_dir(prefix):
    for d in runtime_dirs(prefix):
        shutil.rmtree(d, ignore_errors=True)


class Run:
    def __init__(self, proc, stdout, stderr):
        self.rc = proc.returncode
        self.stdout = stdout
        self.stderr = stderr

    def __str__(self):
        return "exit %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (self.rc, self.stdout[-6000:], self.stderr)


def private_mgmt_args(prefix, args):
    """A management socket of the run's own (first, so that the test's options override it):
    the default /run/scs-dataplane/mgmt.sock would make concurrent runs refuse to start."""
    if any(str(a).startswith("--mgmt-socket") for a in args):
        return []
    return ["--mgmt-socket", os.path.join(tempfile.gettempdir(), prefix + ".mgmt.sock")]


def run_daemon(daemon, prefix, lcores, args, timeout=55, eal_extra=()):
    cores = ["-l", lcores] if lcores else []  # None: the caller maps lcores itself (--lcores)
    cmd = ([daemon] + cores + ["--file-prefix", prefix] + EAL_BASE + list(eal_extra) + ["--"] +
           private_mgmt_args(prefix, args) + list(args))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        remove_runtime_dir(prefix)
    return Run(p, p.stdout, p.stderr)


def unique_prefix(name):
    return "scs-sys-%s-%d" % (name, os.getpid())

# --- the final report (dataplane/stats_print.h documents these lines) ----------------------

class Report:
    def __init__(self, text):
        self.total = None
        self.lcores = {}
        self.drops = {}
        self.unimplemented = {}
        self.ports = {}
        self.generations = None
        self.cache = None
        self.periodic = text.count("\n--- ")
        m = re.search(r"^=== scs-dataplane final counters", text, re.M)
        if not m:
            raise ValueError("no final report in the output")
        for line in text[m.start():].splitlines():
            f = line.split()
            if not f:
                continue
            if f[0] == "total":
                self.total = dict(rx=int(f[1]), tx=int(f[2]), drops=int(f[3]), enc=int(f[7]),
                                  dec=int(f[8]), copies=int(f[9]))
            elif f[0] == "lcore" and len(f) >= 11:
                self.lcores[int(f[1])] = dict(rx=int(f[2]), tx=int(f[3]), drops=int(f[4]))
            elif f[0] == "drop" and len(f) >= 3:
                self.drops[" ".join(f[2:])] = int(f[1])
            elif f[0] == "unimplemented" and len(f) >= 3 and f[1].isdigit():
                self.unimplemented[" ".join(f[2:])] = int(f[1])
            elif f[0] == "port" and len(f) == 10:
                self.ports[f[3]] = dict(id=int(f[1]), name=f[2], ipackets=int(f[4]), opackets=int(f[5]),
                                        imissed=int(f[6]), ierrors=int(f[7]), oerrors=int(f[8]),
                                        rx_nombuf=int(f[9]))
            elif line.strip().startswith("flow cache:"):
                c = re.search(r"hits (\d+) \([0-9.]+%\), misses (\d+), inserts (\d+), flushes (\d+)", line)
                self.cache = dict(hits=int(c[1]), misses=int(c[2]), inserts=int(c[3]), flushes=int(c[4]))
            elif line.strip().startswith("generations:"):
                g = re.search(r"published (\d+), reclaimed (\d+), pending (\d+), live #(\d+), "
                              r"build failures (\d+)", line)
                self.generations = dict(published=int(g[1]), reclaimed=int(g[2]), pending=int(g[3]),
                                        live=int(g[4]), failures=int(g[5]))
        if self.total is None or self.generations is None or self.cache is None:
            raise ValueError("incomplete final report")
