// Every reason a packet can be dropped, in one list.
//
// The data plane never logs per packet: it drops with one of these codes and bumps a per-lcore
// counter. The X-macro yields the enum and the names `scs-dpctl stats` prints, so the two can
// never drift apart (the VPP `foreach_*_error` habit).
#pragma once

#include <cstdint>
#include <string_view>

namespace scs {

// X(ENUM, "name", "description")
#define SCS_FOREACH_DROP_REASON(X)                                                              \
    /* packet parser (lib/packet) */                                                            \
    X(EthTruncated, "eth-truncated", "frame shorter than an Ethernet header")                   \
    X(VlanTruncated, "vlan-truncated", "802.1Q tag cut off")                                    \
    X(VlanTooMany, "vlan-too-many", "more than two stacked VLAN tags")                          \
    X(ArpTruncated, "arp-truncated", "ARP header cut off")                                      \
    X(ArpMalformed, "arp-malformed", "ARP that is not Ethernet/IPv4")                           \
    X(Ip4Truncated, "ip4-truncated", "IPv4 header cut off")                                     \
    X(Ip4BadVersion, "ip4-bad-version", "IPv4 version field is not 4")                          \
    X(Ip4BadIhl, "ip4-bad-ihl", "IPv4 header length below 20 bytes or beyond the frame")        \
    X(Ip4BadLength, "ip4-bad-length", "IPv4 total length shorter than header or beyond frame")  \
    X(Ip6Truncated, "ip6-truncated", "IPv6 header cut off")                                     \
    X(Ip6BadVersion, "ip6-bad-version", "IPv6 version field is not 6")                          \
    X(Ip6BadLength, "ip6-bad-length", "IPv6 payload length beyond the frame")                   \
    X(Ip6ExtTruncated, "ip6-ext-truncated", "IPv6 extension header cut off")                    \
    X(Ip6ExtTooMany, "ip6-ext-too-many", "IPv6 extension header chain too long")                \
    X(TcpTruncated, "tcp-truncated", "TCP header cut off")                                      \
    X(TcpBadOffset, "tcp-bad-offset", "TCP data offset below 5 or beyond the packet")           \
    X(UdpTruncated, "udp-truncated", "UDP header cut off")                                      \
    X(UdpBadLength, "udp-bad-length", "UDP length field inconsistent with the IP packet")       \
    X(SctpTruncated, "sctp-truncated", "SCTP common header cut off")                            \
    X(IcmpTruncated, "icmp-truncated", "ICMP header cut off")                                   \
    X(Icmp6Truncated, "icmp6-truncated", "ICMPv6 header cut off")                               \
    X(GeneveTruncated, "geneve-truncated", "Geneve header or options cut off")                  \
    X(GeneveBadVersion, "geneve-bad-version", "Geneve version is not 0")                        \
    X(GeneveBadOption, "geneve-bad-option", "Geneve option length runs past the option area")   \
    X(GeneveNotEthernet, "geneve-not-ethernet", "Geneve protocol type is not 0x6558")           \
    X(GeneveNoOvnTlv, "geneve-no-ovn-tlv", "Geneve packet without OVN's port-key option")       \
    X(GeneveUnknownCritical, "geneve-unknown-critical", "Geneve critical option we do not know") \
    /* port / role dispatch (dataplane) */                                                      \
    X(UnboundPort, "unbound-port", "received on a port with no logical role")                   \
    X(TunnelNotGeneve, "tunnel-not-geneve", "underlay packet that is not Geneve to us")         \
    X(TunnelUnknownSource, "tunnel-unknown-source", "Geneve from an IP that is no known chassis") \
    X(TunnelUnknownVni, "tunnel-unknown-vni", "Geneve VNI names no local datapath")             \
    X(TunnelUnknownPort, "tunnel-unknown-port", "Geneve egress port not known on this datapath")\
    X(LocalnetNoMatch, "localnet-no-match", "provider packet matches no localnet port/VLAN")    \
    /* logical pipeline (lib/engine) */                                                         \
    X(LogicalDrop, "logical-drop", "a logical flow executed `drop;`")                           \
    X(NoMatch, "no-match", "no logical flow matched in a stage (OVN's implicit drop)")          \
    X(TtlExceeded, "ttl-exceeded", "ip.ttl-- on a packet with TTL 0 or 1")                      \
    X(UnknownOutport, "unknown-outport", "output to a port key this datapath does not have")    \
    X(OutportNone, "outport-none", "output with outport unset")                                 \
    X(LoopLimit, "loop-limit", "too many datapath hops or resubmits (logical loop)")            \
    X(CloneLimit, "clone-limit", "too many copies of one packet (flood fan-out bound)")         \
    X(NotIp, "not-ip", "an IP action on a non-IP packet")                                       \
    X(Unimplemented, "unimplemented", "a logical action the engine does not execute yet")       \
    X(SameInOut, "same-in-out", "output to the input port without flags.loopback")             \
    X(LocalportNoTunnel, "localport-no-tunnel", "traffic from a localport is never tunnelled") \
    /* I/O */                                                                                   \
    X(NoUnderlay, "no-underlay", "output to a remote chassis with no underlay port configured") \
    X(TxFull, "tx-full", "transmit queue full")                                                 \
    X(NoMbuf, "no-mbuf", "mbuf pool exhausted (copy or encapsulation headroom)")                \
    X(NoHeadroom, "no-headroom", "no room in front of the frame for tunnel headers")

enum class DropReason : uint16_t {
    None = 0,
#define SCS_X(e, n, d) e,
    SCS_FOREACH_DROP_REASON(SCS_X)
#undef SCS_X
        Count,
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::Count);

constexpr std::string_view drop_reason_name(DropReason r) {
    switch (r) {
        case DropReason::None: return "none";
#define SCS_X(e, n, d) \
    case DropReason::e: return n;
            SCS_FOREACH_DROP_REASON(SCS_X)
#undef SCS_X
        case DropReason::Count: break;
    }
    return "invalid";
}

constexpr std::string_view drop_reason_description(DropReason r) {
    switch (r) {
        case DropReason::None: return "not dropped";
#define SCS_X(e, n, d) \
    case DropReason::e: return d;
            SCS_FOREACH_DROP_REASON(SCS_X)
#undef SCS_X
        case DropReason::Count: break;
    }
    return "invalid";
}

}  // namespace scs
