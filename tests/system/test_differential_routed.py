#!/usr/bin/python3
"""Differential test on a second topology (the method: test_differential.py's docstring; the
machinery: difftest.py): OVS + ovn-controller and scs-dataplane in turn as chassis scs-dp-0 of
tools/ovn/topologies.py routed(), every frame below sent to both, the outputs compared.

The topology (stateless only, other keys/MACs/addresses than the demo): three routers on a
join switch - lr-a and lr-b distributed, lr-c a gateway router on scs-dp-0 - with static
routes (a /32 host route the long way round through lr-c, a default route chain lr-a -> lr-b
-> lr-c -> VM c1, ECMP 10.99.0.0/16 over a2 and a3), router policies (drop, allow, reroute,
an IPv6 drop), IPv6 on ls-a/ls-b/ls-join and through lr-a/lr-b, stateless ACLs (allow-stateless
and drop, from-lport and to-lport, a port group, an address set, an L4 port range), ports
without port security, with "unknown" addresses, with MAC-only and with dual-stack port
security, and a provider network (localnet, VLAN 100) with VMs on it. Local VIFs: a1, a2, a4
(ls-a), b1 (ls-b), c1 (ls-c), e1 (ls-ext); a3, b2, e2 are on hv2.

Cases cover every kind of path: same switch, routed through one, two and three routers, to
and from hv2 by Geneve (also into the gateway router's join port), the provider network with
and without the right tag, ARP, ND, ICMP echo to every router, TTL/hop limit expiry, ACL and
policy drops and their exceptions, port security violations, broadcast/multicast/unknown
unicast flooding.

Expected differences (EXPECTED_DIFFERENCES) are frames ovn-controller builds itself (arp{},
icmp4{}, icmp6{}, nd_na{}, nd_na_router{}) that scs-dataplane drops as unimplemented.

Differences this test found, fixed since:
- Everything through the gateway router lr-c was dropped in lr_in_chk_pkt_len: lr-c's flows came
  in two batches, its pipeline grew, and reused stages called the aux stages at their old table
  ids (now the test incremental_property covers such chains).
- On the localnet switch ls-ext, a port on another chassis (e2) was reached by Geneve instead of
  through the localnet port (VLAN 100), and floods sent a Geneve copy to hv2, even of frames that
  came in from the provider network (PortKind::ViaLocalnet; test provider_network).
ECMP (select()) was not implemented: now each flow takes one next hop by a hash of its
addresses, protocol and ports; OVS hashes its own way, so either next hop is accepted
(ECMP_ALTERNATIVES), as long as OVS's choice is one of them too.

usage: test_differential_routed.py SCS_DATAPLANE SCS_DPCTL"""

import os
import signal
import socket
import struct
import sys

from difftest import (BCAST, ENCAP_IP, HV2_IP, HV2_MAC, OUR_UL_MAC, Spec, arp_request, from_hv2, icmp_echo, run,
                      udp_to)
import topologies  # noqa: E402  (difftest puts tools/ovn on the path)
from sysutil import eth, geneve, inet_csum, ip, mac, pattern, tcp_frame, udp_frame  # noqa: E402


def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def vm(name):
    """(MAC, IPv4) of a VM of the routed topology."""
    f = topologies.ROUTED_VMS[name][1].split()
    return mac(f[0]), ip(f[1])


def lrp(name):
    """(MAC, first IPv4) of a router port."""
    _, _, m, nets, _, _ = topologies.ROUTED_LRPS[name]
    return mac(m), ip(nets[0].split("/")[0])


A1, A2, A3, A4 = vm("a1"), vm("a2"), vm("a3"), vm("a4")
B1, B2, C1, E1, E2 = vm("b1"), vm("b2"), vm("c1"), vm("e1"), vm("e2")
LRA_A, LRA_JOIN, LRB_B, LRB_JOIN = lrp("lra-a"), lrp("lra-join"), lrp("lrb-b"), lrp("lrb-join")
LRC_JOIN, LRC_C = lrp("lrc-join"), lrp("lrc-c")
A1_6, A3_6, B1_6, B2_6 = ip6("fd10::11"), ip6("fd10::13"), ip6("fd20::11"), ip6("fd20::12")
LRA_A_6 = ip6("fd10::1")
VLAN = topologies.ROUTED_VLAN
# Datapath tunnel keys (VNIs) and port keys, as routed() requests them.
VNI_A, VNI_B, VNI_JOIN, VNI_EXT = (topologies.ROUTED_SWITCHES[s] for s in ("ls-a", "ls-b", "ls-join", "ls-ext"))
KEY = {p: v[3] for p, v in topologies.ROUTED_VMS.items()}
KEY.update({v[4]: v[5] for v in topologies.ROUTED_LRPS.values()})
MC_FLOOD = 32768
ALLOWED = 5005   # a UDP port in the ACL's allowed range 5000-5010 towards b1 and c1


def eui64_lla(m):
    """The IPv6 link-local address OVN's port security derives from MAC `m` (EUI-64)."""
    return b"\xfe\x80" + bytes(6) + bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:6]


def ipv6(src_mac, dst_mac, src, dst, nh, l4, hlim=64):
    return eth(dst_mac, src_mac, 0x86DD, struct.pack("!IHBB", 6 << 28, len(l4), nh, hlim) + src + dst + l4)


def l4_csum6(src, dst, nh, l4, at):
    pseudo = src + dst + struct.pack("!IxxxB", len(l4), nh)
    return l4[:at] + struct.pack("!H", inet_csum(pseudo + l4)) + l4[at + 2:]


def udp6(src_mac, dst_mac, src, dst, hlim=64, sport=1234, dport=ALLOWED):
    payload = pattern(24)
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ipv6(src_mac, dst_mac, src, dst, 17, l4_csum6(src, dst, 17, u, 6), hlim)


def icmp6_echo(src_mac, dst_mac, src, dst, hlim=64):
    m = struct.pack("!BBHHH", 128, 0, 0, 0x77, 1) + pattern(24)
    return ipv6(src_mac, dst_mac, src, dst, 58, l4_csum6(src, dst, 58, m, 2), hlim)


def nd_ns(src_mac, src, target):
    """A neighbor solicitation for `target` to its solicited-node multicast address."""
    dst = bytes.fromhex("ff0200000000000000000001ff") + target[13:]
    m = struct.pack("!BBHI", 135, 0, 0, 0) + target + struct.pack("!BB", 1, 1) + src_mac
    return ipv6(src_mac, b"\x33\x33" + dst[12:], src, dst, 58, l4_csum6(src, dst, 58, m, 2), 255)


def tagged(frame, vid=VLAN):
    return frame[:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]


def routed_in(inner_dst_mac, inner_src_mac, src, dst, ttl, dport=ALLOWED):
    return udp_frame(inner_dst_mac, inner_src_mac, src, dst, ttl=ttl, dport=dport)


EXPECTED_DIFFERENCES = {
    "routed udp a1->192.168.10.77 via lr-a (unresolved next hop)": (
        "lr-a has no MAC binding for 192.168.10.77: lr_in_arp_request's arp{} (ovn-controller's pinctrl "
        "builds the ARP request) is not implemented, dropped (unimplemented arp)", "arp {"),
    "routed udp a1->192.168.20.77 (lr-b, unknown host)": (
        "the same in lr-b for 192.168.20.77 (unimplemented arp)", "arp {"),
    "routed udp a1->b1 ttl 1": (
        "TTL expires in lr-a: icmp4{} time exceeded (pinctrl), not implemented (unimplemented icmp4)",
        "icmp4 {"),
    "routed udp a1->b1 ttl 2 (expires in lr-b)": (
        "TTL expires in lr-b after lr-a: icmp4{} (pinctrl), not implemented (unimplemented icmp4)", "icmp4 {"),
    "routed ipv6 udp a1->b1 hop limit 1": (
        "hop limit expires in lr-a: icmp6{} time exceeded (pinctrl), not implemented (unimplemented icmp6)",
        "icmp6 {"),
    "nd ns a1 for fd10::1 (router)": (
        "lr-a answers with nd_na_router{} (pinctrl), not implemented (unimplemented nd_na_router)",
        "nd_na_router {"),
    "nd ns a1 for fd10::13 (a3)": (
        "ls-a's ND responder answers with nd_na{} (pinctrl), not implemented (unimplemented nd_na)", "nd_na {"),
}

def ecmp_alternatives(dst_ip, sport):
    """The two outputs OVN allows for a1 -> dst_ip via lr-a's ECMP route: routed to a2 here, or
    tunnelled to a3 on hv2 (ls-a key 11, in from the router port, key 5, out to a3, key 3)."""
    to_a2 = udp_to((LRA_A[0], A1[1]), A2[0], dst_ip, ttl=63, sport=sport)
    to_a3 = udp_to((LRA_A[0], A1[1]), A3[0], dst_ip, ttl=63, sport=sport)
    tunnelled = geneve(mac(HV2_MAC), mac(OUR_UL_MAC), ip(ENCAP_IP), ip(HV2_IP), 0,
                       topologies.ROUTED_SWITCHES["ls-a"], 5, topologies.ROUTED_VMS["a3"][3], to_a3)
    return ("select() over a2 and a3: the datapath's hash picks the member", [{"a2": [to_a2]}, {"ul": [tunnelled]}])


ECMP_ALTERNATIVES = {
    "ecmp a1->10.99.1.1 sport 1000": ecmp_alternatives(ip("10.99.1.1"), 1000),
    "ecmp a1->10.99.1.1 sport 1001": ecmp_alternatives(ip("10.99.1.1"), 1001),
    "ecmp a1->10.99.1.2 sport 1002": ecmp_alternatives(ip("10.99.1.2"), 1002),
    "ecmp a1->10.99.7.9 sport 4242": ecmp_alternatives(ip("10.99.7.9"), 4242),
}

# (name, wire it enters on, frame, trace inport or None).
CASES = [
    ("idle (nothing sent)", None, None, None),
    # ls-a: same switch, port security, unknown addresses, ACLs
    ("ls-a udp a1->a2", "a1", udp_to(A1, A2[0], A2[1]), "a1"),
    ("ls-a udp a2->a1 spoofed source ip (a2 has no port security)", "a2",
     udp_to((A2[0], ip("192.168.10.99")), A1[0], A1[1]), "a2"),
    ("ls-a udp a2->a1 spoofed source mac (a2 has no port security)", "a2",
     udp_to((mac("02:aa:00:00:0a:99"), A2[1]), A1[0], A1[1]), "a2"),
    ("ls-a udp a1->a4", "a1", udp_to(A1, A4[0], A4[1]), "a1"),
    ("ls-a unknown unicast a1->02:aa:00:00:0a:99 (to a4, unknown)", "a1",
     udp_to(A1, mac("02:aa:00:00:0a:99"), ip("192.168.10.99")), "a1"),
    ("ls-a udp a1 spoofed source ip (port security)", "a1", udp_to((A1[0], ip("192.168.10.99")), A2[0], A2[1]), "a1"),
    ("ls-a udp a1 spoofed source mac (port security)", "a1",
     udp_to((mac("02:aa:00:00:0a:98"), A1[1]), A2[0], A2[1]), "a1"),
    ("ls-a udp a4->a1 (from-lport ACL drop)", "a4", udp_to(A4, A1[0], A1[1]), "a4"),
    ("ls-a icmp a4->a1 (from-lport ACL drop)", "a4", icmp_echo(A4, A1[1], A1[0]), "a4"),
    ("ls-a udp a4->a2 (allowed)", "a4", udp_to(A4, A2[0], A2[1]), "a4"),
    ("ls-a tcp a1->a2 port 23 (to-lport ACL drop)", "a1", tcp_frame(A2[0], A1[0], A1[1], A2[1], dport=23), "a1"),
    ("ls-a tcp a1->a2 port 22 (allowed)", "a1", tcp_frame(A2[0], A1[0], A1[1], A2[1], dport=22), "a1"),
    ("ls-a udp a1->a3 (hv2)", "a1", udp_to(A1, A3[0], A3[1]), "a1"),
    ("ls-a broadcast udp from a1", "a1", udp_to(A1, BCAST, ip("192.168.10.255")), "a1"),
    ("ls-a multicast udp a1 239.1.1.1", "a1", udp_to(A1, mac("01:00:5e:01:01:01"), ip("239.1.1.1")), "a1"),
    ("arp request a1 for 192.168.10.12 (a2)", "a1", arp_request(A1, A2[1]), "a1"),
    ("arp request a1 for 192.168.10.13 (a3 on hv2)", "a1", arp_request(A1, A3[1]), "a1"),
    ("arp request a1 for 192.168.10.1 (lr-a)", "a1", arp_request(A1, LRA_A[1]), "a1"),
    ("arp request a1 for 100.64.0.1 (lr-a's join port)", "a1", arp_request(A1, LRA_JOIN[1]), "a1"),
    ("arp request a1 for 192.168.10.99 (unknown)", "a1", arp_request(A1, ip("192.168.10.99")), "a1"),
    ("arp request a4 for 192.168.10.11 (a1)", "a4", arp_request(A4, A1[1]), "a4"),
    ("arp request a1 with spoofed sender ip", "a1", arp_request((A1[0], ip("192.168.10.99")), A2[1]), "a1"),
    # IPv6 on ls-a
    ("ipv6 udp a1->a2 fd10::11->fd10::12", "a1", udp6(A1[0], A2[0], A1_6, ip6("fd10::12")), "a1"),
    ("ipv6 udp a1->a3 (hv2)", "a1", udp6(A1[0], A3[0], A1_6, A3_6), "a1"),
    ("ipv6 udp a1 spoofed source fd10::99 (port security)", "a1", udp6(A1[0], A3[0], ip6("fd10::99"), A3_6), "a1"),
    ("ipv6 udp a1 link-local (EUI-64) -> a3", "a1", udp6(A1[0], A3[0], eui64_lla(A1[0]), ip6("fe80::13")), "a1"),
    ("ipv6 udp a1 to ff02::1", "a1", udp6(A1[0], mac("33:33:00:00:00:01"), A1_6, ip6("ff02::1")), "a1"),
    ("nd ns a1 for fd10::1 (router)", "a1", nd_ns(A1[0], A1_6, LRA_A_6), "a1"),
    ("nd ns a1 for fd10::13 (a3)", "a1", nd_ns(A1[0], A1_6, A3_6), "a1"),
    ("icmp6 echo a1->fd10::1 (lr-a)", "a1", icmp6_echo(A1[0], LRA_A[0], A1_6, LRA_A_6), "a1"),
    ("icmp6 echo a1->fd64::2 (lr-b, via lr-a)", "a1", icmp6_echo(A1[0], LRA_A[0], A1_6, ip6("fd64::2")), "a1"),
    # routers: echo to every router address
    ("icmp echo a1->192.168.10.1 (lr-a)", "a1", icmp_echo(A1, LRA_A[1], LRA_A[0]), "a1"),
    ("icmp echo a1->100.64.0.1 (lr-a join port)", "a1", icmp_echo(A1, LRA_JOIN[1], LRA_A[0]), "a1"),
    ("icmp echo a1->100.64.0.2 (lr-b)", "a1", icmp_echo(A1, LRB_JOIN[1], LRA_A[0]), "a1"),
    ("icmp echo a1->192.168.20.1 (lr-b far port)", "a1", icmp_echo(A1, LRB_B[1], LRA_A[0]), "a1"),
    ("icmp echo a1->100.64.0.3 (lr-c gateway router)", "a1", icmp_echo(A1, LRC_JOIN[1], LRA_A[0]), "a1"),
    ("icmp echo a1->10.250.0.1 (lr-c far port)", "a1", icmp_echo(A1, LRC_C[1], LRA_A[0]), "a1"),
    ("icmp echo c1->10.250.0.1 (lr-c)", "c1", icmp_echo(C1, LRC_C[1], LRC_C[0]), "c1"),
    # routed IPv4, static routes, ACLs on the far side
    ("routed udp a1->b1 (ACL allow 5005)", "a1", udp_to(A1, LRA_A[0], B1[1], dport=ALLOWED), "a1"),
    ("routed udp a1->b1 port 5010 (range end)", "a1", udp_to(A1, LRA_A[0], B1[1], dport=5010), "a1"),
    ("routed udp a1->b1 port 5011 (ACL drop)", "a1", udp_to(A1, LRA_A[0], B1[1], dport=5011), "a1"),
    ("routed udp a1->b1 port 4999 (ACL drop)", "a1", udp_to(A1, LRA_A[0], B1[1], dport=4999), "a1"),
    ("routed tcp a1->b1 (ACL drop)", "a1", tcp_frame(LRA_A[0], A1[0], A1[1], B1[1], dport=ALLOWED), "a1"),
    ("routed icmp a1->b1 (ACL allow icmp4)", "a1", icmp_echo(A1, B1[1], LRA_A[0]), "a1"),
    ("routed udp a1->b1 ttl 1", "a1", udp_to(A1, LRA_A[0], B1[1], ttl=1), "a1"),
    ("routed udp a1->b1 ttl 2 (expires in lr-b)", "a1", udp_to(A1, LRA_A[0], B1[1], ttl=2), "a1"),
    ("routed udp a1->b1 ttl 3", "a1", udp_to(A1, LRA_A[0], B1[1], ttl=3), "a1"),
    ("routed udp a2->b1 (policy drop)", "a2", udp_to(A2, LRA_A[0], B1[1]), "a2"),
    ("routed udp a2->b2 port 53 (policy allow, hv2)", "a2", udp_to(A2, LRA_A[0], B2[1], dport=53), "a2"),
    ("routed udp a2->b2 port 54 (policy drop)", "a2", udp_to(A2, LRA_A[0], B2[1], dport=54), "a2"),
    ("routed udp a1->b2 /32 host route via lr-c (hv2)", "a1", udp_to(A1, LRA_A[0], B2[1]), "a1"),
    ("routed udp a1->192.168.20.77 (lr-b, unknown host)", "a1", udp_to(A1, LRA_A[0], ip("192.168.20.77")), "a1"),
    ("routed udp a1->c1 via lr-c", "a1", udp_to(A1, LRA_A[0], C1[1]), "a1"),
    ("routed udp a1->8.8.8.8 default route chain to c1", "a1", udp_to(A1, LRA_A[0], ip("8.8.8.8")), "a1"),
    ("routed udp a1->198.51.100.7 policy reroute to lr-c", "a1", udp_to(A1, LRA_A[0], ip("198.51.100.7")), "a1"),
    ("routed udp a4->b1 (a4 in the address set)", "a4", udp_to(A4, LRA_A[0], B1[1]), "a4"),
    ("routed icmp a4->b1", "a4", icmp_echo(A4, B1[1], LRA_A[0]), "a4"),
    ("routed udp b1->a1", "b1", udp_to(B1, LRB_B[0], A1[1]), "b1"),
    ("routed udp b1->a1 port 9999 (from-lport ACL drop)", "b1", udp_to(B1, LRB_B[0], A1[1], dport=9999), "b1"),
    ("routed udp b1->a3 (hv2)", "b1", udp_to(B1, LRB_B[0], A3[1]), "b1"),
    ("routed udp c1->a1 via lr-c, lr-a", "c1", udp_to(C1, LRC_C[0], A1[1]), "c1"),
    ("routed udp c1->b2 (hv2)", "c1", udp_to(C1, LRC_C[0], B2[1]), "c1"),
    ("routed udp c1->8.8.8.8 (default route back to c1)", "c1", udp_to(C1, LRC_C[0], ip("8.8.8.8")), "c1"),
    ("c1 spoofed source ip (MAC-only port security)", "c1", udp_to((C1[0], ip("10.250.0.99")), LRC_C[0], A1[1]), "c1"),
    ("c1 spoofed source mac", "c1", udp_to((mac("02:aa:00:00:0c:99"), C1[1]), LRC_C[0], A1[1]), "c1"),
    ("routed udp a1->192.168.10.77 via lr-a (unresolved next hop)", "a1", udp_to(A1, LRA_A[0], ip("192.168.10.77")),
     "a1"),
    # ECMP 10.99.0.0/16 over a2 (local) and a3 (hv2): OVN's select() hashes the 5-tuple
    ("ecmp a1->10.99.1.1 sport 1000", "a1", udp_to(A1, LRA_A[0], ip("10.99.1.1"), sport=1000), "a1"),
    ("ecmp a1->10.99.1.1 sport 1001", "a1", udp_to(A1, LRA_A[0], ip("10.99.1.1"), sport=1001), "a1"),
    ("ecmp a1->10.99.1.2 sport 1002", "a1", udp_to(A1, LRA_A[0], ip("10.99.1.2"), sport=1002), "a1"),
    ("ecmp a1->10.99.7.9 sport 4242", "a1", udp_to(A1, LRA_A[0], ip("10.99.7.9"), sport=4242), "a1"),
    # routed IPv6
    ("routed ipv6 udp a1->b1", "a1", udp6(A1[0], LRA_A[0], A1_6, B1_6), "a1"),
    ("routed ipv6 udp a1->b1 hop limit 1", "a1", udp6(A1[0], LRA_A[0], A1_6, B1_6, hlim=1), "a1"),
    ("routed ipv6 udp a1->b2 (policy drop)", "a1", udp6(A1[0], LRA_A[0], A1_6, B2_6), "a1"),
    ("routed ipv6 udp a1->fd99::1 (no route)", "a1", udp6(A1[0], LRA_A[0], A1_6, ip6("fd99::1")), "a1"),
    ("routed icmp6 echo a1->b1", "a1", icmp6_echo(A1[0], LRA_A[0], A1_6, B1_6), "a1"),
    ("routed ipv6 udp b1->a1", "b1", udp6(B1[0], LRB_B[0], B1_6, A1_6), "b1"),
    # the provider network, VLAN 100
    ("ls-ext udp e1->e2 (hv2) via localnet", "e1", udp_to(E1, E2[0], E2[1]), "e1"),
    ("ls-ext broadcast from e1", "e1", udp_to(E1, BCAST, ip("203.0.113.255")), "e1"),
    ("ls-ext unknown unicast from e1", "e1", udp_to(E1, mac("02:aa:00:00:0e:99"), ip("203.0.113.99")), "e1"),
    ("arp request e1 for 203.0.113.12 (e2)", "e1", arp_request(E1, E2[1]), "e1"),
    ("arp request e1 for 203.0.113.99 (unknown)", "e1", arp_request(E1, ip("203.0.113.99")), "e1"),
    ("provider in tagged e2->e1", "pn", tagged(udp_to(E2, E1[0], E1[1])), "physnet1"),
    ("provider in untagged e2->e1", "pn", udp_to(E2, E1[0], E1[1]), "physnet1"),
    ("provider in vlan 200 e2->e1", "pn", tagged(udp_to(E2, E1[0], E1[1]), 200), "physnet1"),
    ("provider in tagged broadcast from e2", "pn", tagged(udp_to(E2, BCAST, ip("203.0.113.255"))), "physnet1"),
    ("provider in tagged arp e2 for e1", "pn", tagged(arp_request(E2, E1[1])), "physnet1"),
    ("provider in tagged unknown unicast", "pn",
     tagged(udp_to(E2, mac("02:aa:00:00:0e:98"), E1[1])), "physnet1"),
    # Geneve from hv2
    ("geneve in hv2 a3->a1", "ul", from_hv2(VNI_A, KEY["a3"], KEY["a1"], udp_to(A3, A1[0], A1[1])), None),
    ("geneve in hv2 broadcast from a3", "ul",
     from_hv2(VNI_A, KEY["a3"], MC_FLOOD, udp_to(A3, BCAST, ip("192.168.10.255"))), None),
    ("geneve in hv2 ipv6 a3->a1", "ul", from_hv2(VNI_A, KEY["a3"], KEY["a1"], udp6(A3[0], A1[0], A3_6, A1_6)), None),
    ("geneve in hv2 a3->b1 routed on hv2", "ul",
     from_hv2(VNI_B, KEY["lsb-lrb"], KEY["b1"], routed_in(B1[0], LRB_B[0], A3[1], B1[1], 62)), None),
    ("geneve in hv2 b2->b1 udp (ACL drop, b2 not in the address set)", "ul",
     from_hv2(VNI_B, KEY["b2"], KEY["b1"], udp_to(B2, B1[0], B1[1], dport=ALLOWED)), None),
    ("geneve in hv2 b2->b1 icmp (ACL allow)", "ul", from_hv2(VNI_B, KEY["b2"], KEY["b1"], icmp_echo(B2, B1[1], B1[0])),
     None),
    ("geneve in hv2 a3->c1 on ls-join to the gateway router", "ul",
     from_hv2(VNI_JOIN, KEY["join-lra"], KEY["join-lrc"],
              icmp_echo((LRA_JOIN[0], A3[1]), C1[1], LRC_JOIN[0], ttl=63)), None),
    ("geneve in hv2 e2->e1 on the localnet switch", "ul",
     from_hv2(VNI_EXT, KEY["e2"], KEY["e1"], udp_to(E2, E1[0], E1[1])), None),
]

SPEC = Spec(lambda c: topologies.routed(c, chassis="scs-dp-0", register_remote=True),
            [p for p, v in topologies.ROUTED_VMS.items() if not v[4]], ["join-lrc"], "ln-ext",
            {mac(v[2]) for v in topologies.ROUTED_LRPS.values()} | {E1[0]})
# ovn-controller's pinctrl (send_garp_rarp) announces the addresses of local VIFs on switches
# with a localnet port: e1's 203.0.113.11, on the provider network with tag 100.
GARP_DIFFERENCE = ("ovn-controller announces e1's address by gratuitous ARP on the provider network, "
                   "tagged 100 (pinctrl send_garp_rarp for VIFs of localnet-attached switches); "
                   "scs-dataplane does not send GARPs")


def main(daemon, dpctl):
    return run(SPEC, CASES, daemon, dpctl, EXPECTED_DIFFERENCES, garp_difference=GARP_DIFFERENCE,
               alternatives=ECMP_ALTERNATIVES)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    # meson's timeout sends SIGTERM: unwind through the cleanup (daemons, namespaces) first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    sys.exit(main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])))
