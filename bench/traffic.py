"""Benchmark traffic for scs-dp-bench: pcap files of one profile's frames, written with the
standard library. The frames are the ones tools/demo_traffic.cc writes for the demo topology
(byte for byte at 64 bytes; tests/system/test_dp_bench.py checks that), plus what
scs-demo-traffic cannot write: other frame sizes and the second and third ingress ports
that a multi-core device run feeds (one per worker: the pcap PMD has one rx queue).

Flow i (0 <= i < flows) is UDP source port 1024 + i % 50000, destination port 1 + i // 50000;
geneve-rx varies the outer UDP source port as OVS does (32768 + i % 28000).
Frame size counts the FCS (64 = 60 bytes in the file); Geneve frames carry a frame of that
size plus 58 bytes of outer headers.
"""

import struct

# The demo topology (lib/demo/topology.h, tools/ovn/topologies.py).
VM = {  # lport: (mac, ip, switch key, port key)
    "vm1": ("00:00:00:00:01:01", "10.0.0.11", 1, 1),
    "vm2": ("00:00:00:00:01:02", "10.0.0.12", 1, 2),
    "vm3": ("00:00:00:00:01:03", "10.0.0.13", 1, 3),
    "vm4": ("00:00:00:00:02:04", "10.0.1.14", 2, 1),
    "vm5": ("00:00:00:00:02:05", "10.0.1.15", 2, 2),
}
LRP_MAC = {1: "00:00:00:00:ff:01", 2: "00:00:00:00:ff:02"}  # router port on switch key
LOCAL_UNDERLAY_MAC, HV2_UNDERLAY_MAC = "00:00:00:00:aa:01", "00:00:00:00:aa:02"
LOCAL_ENCAP_IP, HV2_ENCAP_IP = "192.168.100.1", "192.168.100.2"
INTERNET = "8.8.8.8"

# Per profile, the ingress sources in the order workers get them: (ingress port, src vm,
# destination vm or IP). No source is another one's egress (a pcap source port has no tx
# queue worth measuring), so l2 has one (sw0 has two local VMs), l3 two (both to vm4);
# geneve-rx has one: its frames come from hv2 over the underlay.
SOURCES = {
    "l2": [("vm1", "vm1", "vm2")],
    "l3": [("vm1", "vm1", "vm4"), ("vm2", "vm2", "vm4")],
    "geneve-tx": [("vm1", "vm1", "vm5"), ("vm4", "vm4", "vm3"), ("vm2", "vm2", "vm5")],
    "geneve-rx": [("underlay", "vm3", "vm1")],
    "provider": [("vm1", "vm1", INTERNET), ("vm4", "vm4", INTERNET), ("vm2", "vm2", INTERNET)],
}
PROFILES = list(SOURCES)
GENEVE_OVERHEAD = 14 + 20 + 8 + 8 + 8


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_hdr(src, dst, proto, payload_len, ttl=64, df=False):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0x4000 if df else 0, ttl,
                    proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def udp_frame(dst_mac, src_mac, sip, dip, sport, dport, payload, with_csum=True, df=False):
    length = 8 + len(payload)
    c = 0
    if with_csum:
        pseudo = sip + dip + struct.pack("!BBH", 0, 17, length)
        c = csum(pseudo + struct.pack("!HHHH", sport, dport, length, 0) + payload) or 0xFFFF
    udp = struct.pack("!HHHH", sport, dport, length, c) + payload
    return dst_mac + src_mac + b"\x08\x00" + ipv4_hdr(sip, dip, 17, len(udp), df=df) + udp


def pattern(n):
    return bytes(i & 0xFF for i in range(n))


class _UdpTemplate:
    """A UDP frame whose ports vary: the checksum is patched incrementally (fast for 1M)."""

    def __init__(self, dst_mac, src_mac, sip, dip, payload):
        self.base = bytearray(udp_frame(dst_mac, src_mac, sip, dip, 0, 0, payload))
        self.base_sum = (~struct.unpack_from("!H", self.base, 40)[0]) & 0xFFFF

    def frame(self, sport, dport):
        s = self.base_sum + sport + dport
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        c = (~s) & 0xFFFF or 0xFFFF
        f = bytearray(self.base)
        struct.pack_into("!HH", f, 34, sport, dport)
        struct.pack_into("!H", f, 40, c)
        return bytes(f)


def flow_ports(i):
    return 1024 + i % 50000, 1 + i // 50000


def frames(profile, flows, frame_size=64, source=0):
    """The frames (bytes, without FCS) of `profile`'s ingress source number `source`."""
    port, src, dst = SOURCES[profile][source]
    smac, sip, skey, spkey = VM[src]
    payload = pattern(frame_size - 4 - 42)
    if profile == "geneve-rx":
        dmac, dip, _, dpkey = VM[dst]
        inner_t = _UdpTemplate(mac(dmac), mac(smac), ip4(sip), ip4(dip), payload)
        gen = struct.pack("!BBHI", 2, 0x40, 0x6558, (skey & 0xFFFFFF) << 8)
        gen += struct.pack("!HBBI", 0x0102, 0x80, 1, (spkey & 0x7FFF) << 16 | dpkey)
        outer = udp_frame(mac(LOCAL_UNDERLAY_MAC), mac(HV2_UNDERLAY_MAC), ip4(HV2_ENCAP_IP),
                          ip4(LOCAL_ENCAP_IP), 0, 6081, gen + bytes(len(payload) + 42),
                          with_csum=False, df=True)
        head, udp_len, tail = outer[:34], struct.unpack_from("!H", outer, 38)[0], outer[42:58]
        out = []
        for i in range(flows):
            udp = struct.pack("!HHHH", 32768 + i % 28000, 6081, udp_len, 0)
            out.append(head + udp + tail + inner_t.frame(*flow_ports(i)))
        return out
    if dst in VM:
        dmac, dip, dkey, _ = VM[dst]
        eth_dst = dmac if dkey == skey else LRP_MAC[skey]
    else:
        dip, eth_dst = dst, LRP_MAC[skey]
    t = _UdpTemplate(mac(eth_dst), mac(smac), ip4(sip), ip4(dip), payload)
    return [t.frame(*flow_ports(i)) for i in range(flows)]


def write_pcap(path, frame_list):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frame_list:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError("%s: not a little-endian pcap file" % path)
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out
