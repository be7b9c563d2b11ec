// The packet parser (see parse.h for the contract).
//
// Decisions parse.h leaves open, made here:
//
// - Failure: `out` is reset first, then filled header by header, so after a drop it holds what
//   was found before the failing header (l3_type already names the header that failed). That is
//   for tracing only; the pipeline must not use a Layout whose parse failed.
// - Length: offsets are 16-bit and kNoOffset (0xffff) means "absent", so a frame is parsed as
//   if it ended at kMaxParseLen (0xfffe) bytes. A single mbuf segment cannot be longer (data_len
//   is 16-bit) and jumbo frames stop near 9.6 KB; an IP length reaching past that point is then
//   reported as a length error.
// - L2: `l3` is set to the end of the L2 header (after the tags) for every EtherType, and
//   `l3_end` to the frame length unless the protocol says where it ends (ARP: l3 + 28; IP: its
//   length field). An unknown EtherType is not an error (OVN switches it at L2): l3_type stays
//   None.
// - 802.1Q (0x8100) and 802.1ad (0x88a8) are both tags in either position; a third tag is
//   VlanTooMany as soon as its TPID is seen, whether or not its TCI is present.
// - ARP: only Ethernet/IPv4 ARP is valid (what OVN's arp.* fields describe); the opcode is not
//   checked, the logical flows match on it. Truncation is checked before the format.
// - IPv4: checks in the order truncated (20 bytes), version, IHL, total length. The header
//   checksum is not verified, and neither are L4 checksums: OVS's flow extraction does not
//   either, and NICs offload it.
// - Fragments (OVN's ip.is_frag / ip.later_frag): a later fragment (offset != 0) has no L4
//   header, so l4 and payload stay kNoOffset while ip_proto still names the fragmented
//   protocol. A first fragment is parsed like a whole packet, so a first fragment too short to
//   hold its L4 header is a drop (the RFC 1858 tiny-fragment attack); only the UDP length upper
//   bound is skipped in a non-final fragment, since it counts the whole datagram.
// - IPv6: extension headers are walked inside the IP payload (l3_end), at most
//   kMaxIp6ExtHeaders of them; Hop-by-Hop is accepted anywhere in the chain, as OVS's flow
//   extraction does. A Fragment header sets kFragAny even for an atomic fragment (offset 0, M
//   clear, RFC 6946); with offset != 0 the walk stops there, because what follows is mid-datagram
//   data. ESP and No Next Header end the walk like any unknown upper protocol. A zero payload
//   length is taken literally (jumbograms cannot fit in a frame anyway).
// - L4 headers must fit in the IP packet (l3_end), not just in the frame: Ethernet padding is
//   not transport data. ICMP is recognised only under IPv4 and ICMPv6 only under IPv6.
//   ICMPv6 needs 4 bytes (type, code, checksum); its payload starts after them, because the
//   meaning of the next 4 bytes depends on the type (ND flags, echo id/seq, MTU, ...).
// - Unknown upper protocol (anything but TCP/UDP/SCTP/ICMP/ICMPv6 here, ESP/NoNext included):
//   not an error. l4 points where that protocol's header starts (possibly == l3_end) and
//   payload stays kNoOffset; ip_proto names it. So has_l4() alone does not mean "ports
//   present": match on ip_proto, as OVN's field prerequisites do.
// - Geneve: see parse_geneve below.
#include "packet/parse.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/compiler.h"
#include "packet/proto.h"

namespace scs::pkt {
namespace {

// Largest frame length the 16-bit offsets can describe without colliding with kNoOffset.
constexpr uint32_t kMaxParseLen = kNoOffset - 1;
// Bound on the IPv6 extension header walk: a real packet carries a handful at most (RFC 8200
// section 4.1 lists six kinds, each once, Destination Options twice), and the bound keeps the
// per-packet cost fixed against crafted chains.
constexpr unsigned kMaxIp6ExtHeaders = 8;

constexpr uint16_t kArpHtypeEthernet = 1;
constexpr uint8_t kArpHlenEthernet = 6;
constexpr uint8_t kArpPlenIpv4 = 4;
constexpr uint16_t kIp4FlagMf = 0x2000;
constexpr uint16_t kIp4FragOffMask = 0x1fff;
constexpr uint16_t kIp6FragOffMask = 0xfff8;  // 13-bit offset in 8-byte units, already * 8
constexpr uint16_t kIp6FragMore = 0x0001;
constexpr uint16_t kIp6FragHdrLen = 8;
constexpr uint16_t kIcmp6MinLen = 4;
constexpr uint16_t kGeneveOptHdrLen = 4;

SCS_ALWAYS_INLINE uint16_t be16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return ntohs(v);
}

SCS_ALWAYS_INLINE uint32_t be32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return ntohl(v);
}

// The transport header at `l4`, bounded by the end of the IP packet. `whole` is false for a
// non-final fragment (its transport length fields describe more than this packet).
SCS_ALWAYS_INLINE DropReason parse_l4(const uint8_t* frame, uint32_t l4, uint32_t end,
                                      uint8_t proto, bool ipv6, bool whole, Layout& out) {
    out.l4 = static_cast<uint16_t>(l4);
    const uint32_t room = end - l4;
    uint32_t hdr_len;
    switch (proto) {
        case kIpProtoTcp: {
            if (room < kTcpHdrLen) return DropReason::TcpTruncated;
            hdr_len = (uint32_t{frame[l4 + 12]} >> 4) * 4;
            if (hdr_len < kTcpHdrLen || hdr_len > room) return DropReason::TcpBadOffset;
            break;
        }
        case kIpProtoUdp: {
            if (room < kUdpHdrLen) return DropReason::UdpTruncated;
            const uint32_t udp_len = be16(frame + l4 + 4);
            if (udp_len < kUdpHdrLen || (whole && udp_len > room)) {
                return DropReason::UdpBadLength;
            }
            hdr_len = kUdpHdrLen;
            break;
        }
        case kIpProtoSctp:
            if (room < kSctpHdrLen) return DropReason::SctpTruncated;
            hdr_len = kSctpHdrLen;
            break;
        case kIpProtoIcmp:
            if (ipv6) return DropReason::None;
            if (room < kIcmpHdrLen) return DropReason::IcmpTruncated;
            hdr_len = kIcmpHdrLen;
            break;
        case kIpProtoIcmp6:
            if (!ipv6) return DropReason::None;
            if (room < kIcmp6MinLen) return DropReason::Icmp6Truncated;
            hdr_len = kIcmp6MinLen;
            break;
        default:
            return DropReason::None;
    }
    out.payload = static_cast<uint16_t>(l4 + hdr_len);
    return DropReason::None;
}

SCS_ALWAYS_INLINE DropReason parse_arp(const uint8_t* frame, uint32_t len, uint32_t off,
                                       Layout& out) {
    out.l3_type = L3Type::Arp;
    if (len - off < kArpLen) return DropReason::ArpTruncated;
    const uint8_t* arp = frame + off;
    if (be16(arp) != kArpHtypeEthernet || be16(arp + 2) != kEthTypeIpv4 ||
        arp[4] != kArpHlenEthernet || arp[5] != kArpPlenIpv4) {
        return DropReason::ArpMalformed;
    }
    out.l3_end = static_cast<uint16_t>(off + kArpLen);
    return DropReason::None;
}

SCS_ALWAYS_INLINE DropReason parse_ipv4(const uint8_t* frame, uint32_t len, uint32_t off,
                                        Layout& out) {
    out.l3_type = L3Type::Ipv4;
    const uint32_t room = len - off;
    if (room < kIp4HdrLen) return DropReason::Ip4Truncated;
    const uint8_t* ip = frame + off;
    if ((ip[0] >> 4) != 4) return DropReason::Ip4BadVersion;
    const uint32_t ihl = uint32_t{ip[0] & 0x0fu} * 4;
    if (ihl < kIp4HdrLen || ihl > room) return DropReason::Ip4BadIhl;
    const uint32_t total = be16(ip + 2);
    // Shorter than the frame is fine: the rest is Ethernet padding (60-byte minimum frames).
    if (total < ihl || total > room) return DropReason::Ip4BadLength;
    out.l3_end = static_cast<uint16_t>(off + total);
    if (ihl > kIp4HdrLen) out.ip4_flags |= kIp4HasOptions;
    out.ip_proto = ip[9];

    const uint16_t frag = be16(ip + 6);
    const bool more = (frag & kIp4FlagMf) != 0;
    if (more || (frag & kIp4FragOffMask) != 0) out.frag |= kFragAny;
    if ((frag & kIp4FragOffMask) != 0) {
        out.frag |= kFragLater;
        return DropReason::None;
    }
    return parse_l4(frame, off + ihl, off + total, ip[9], false, !more, out);
}

SCS_ALWAYS_INLINE DropReason parse_ipv6(const uint8_t* frame, uint32_t len, uint32_t off,
                                        Layout& out) {
    out.l3_type = L3Type::Ipv6;
    const uint32_t room = len - off;
    if (room < kIp6HdrLen) return DropReason::Ip6Truncated;
    const uint8_t* ip = frame + off;
    if ((ip[0] >> 4) != 6) return DropReason::Ip6BadVersion;
    const uint32_t payload_len = be16(ip + 4);
    if (payload_len > room - kIp6HdrLen) return DropReason::Ip6BadLength;
    const uint32_t end = off + kIp6HdrLen + payload_len;
    out.l3_end = static_cast<uint16_t>(end);

    uint8_t next = ip[6];
    uint32_t p = off + kIp6HdrLen;
    bool more = false;
    for (unsigned walked = 0;; ++walked) {
        const bool is_ext = next == kIpProtoHopOpts || next == kIpProtoRouting ||
                            next == kIpProtoDstOpts || next == kIpProtoMobility ||
                            next == kIpProtoAh || next == kIpProtoFragment;
        if (!is_ext) break;
        if (walked == kMaxIp6ExtHeaders) return DropReason::Ip6ExtTooMany;
        const uint32_t left = end - p;
        if (next == kIpProtoFragment) {
            if (left < kIp6FragHdrLen) return DropReason::Ip6ExtTruncated;
            const uint16_t w = be16(frame + p + 2);
            out.frag |= kFragAny;
            more = more || (w & kIp6FragMore) != 0;
            next = frame[p];
            if ((w & kIp6FragOffMask) != 0) {
                out.frag |= kFragLater;
                out.ip_proto = next;
                return DropReason::None;
            }
            p += kIp6FragHdrLen;
            continue;
        }
        // Generic header: next-header byte, then a length byte. AH counts 4-byte units minus 2
        // (RFC 4302 section 2.2); the others 8-byte units not counting the first (RFC 8200).
        if (left < 2) return DropReason::Ip6ExtTruncated;
        const uint32_t hdr_len = next == kIpProtoAh ? (uint32_t{frame[p + 1]} + 2) * 4
                                                    : (uint32_t{frame[p + 1]} + 1) * 8;
        if (hdr_len > left) return DropReason::Ip6ExtTruncated;
        next = frame[p];
        p += hdr_len;
    }
    out.ip_proto = next;
    return parse_l4(frame, p, end, next, true, !more, out);
}

}  // namespace

DropReason parse_frame(const uint8_t* frame, uint32_t len, Layout& out) {
    out = Layout{};
    if (SCS_UNLIKELY(len > kMaxParseLen)) len = kMaxParseLen;
    if (SCS_UNLIKELY(len < kEthHdrLen)) return DropReason::EthTruncated;

    uint16_t type = be16(frame + 12);
    uint32_t off = kEthHdrLen;
    while (type == kEthTypeVlan || type == kEthTypeQinQ) {
        if (out.n_vlans == 2) return DropReason::VlanTooMany;
        if (len - off < kVlanHdrLen) return DropReason::VlanTruncated;
        if (out.n_vlans == 0) out.vlan_tci = be16(frame + off);
        ++out.n_vlans;
        type = be16(frame + off + 2);
        off += kVlanHdrLen;
    }
    out.eth_type = type;
    out.l3 = static_cast<uint16_t>(off);
    out.l3_end = static_cast<uint16_t>(len);

    switch (type) {
        case kEthTypeIpv4:
            return parse_ipv4(frame, len, off, out);
        case kEthTypeIpv6:
            return parse_ipv6(frame, len, off, out);
        case kEthTypeArp:
            return parse_arp(frame, len, off, out);
        default:
            return DropReason::None;
    }
}

// Geneve (RFC 8926 section 3.4):
//
//   |Ver|Opt Len|O|C|  Rsvd.  |        Protocol Type          |
//   |        Virtual Network Identifier (VNI)       |   Rsvd    |
//   |                 Options (Opt Len * 4 bytes)               |
//
// each option: | Option Class (16) | Type (8) | R R R | Length (5, 4-byte units) | data |.
//
// Checks in this order: 8 header bytes (GeneveTruncated), version (GeneveBadVersion: nothing
// else in a header of an unknown version can be trusted), option area within the frame
// (GeneveTruncated), each option within the option area (GeneveBadOption), protocol
// (GeneveNotEthernet). The inner frame starts right after the options and may be empty here
// (inner == len); parsing it is the caller's next step.
//
// OVN's option (ovn-architecture(7), "Tunnel Encapsulations"): class 0x0102, type 0x80 (the
// type's high bit marks it critical, RFC 8926 section 3.5), 4 bytes holding
// 0 | ingress port (15 bits) | egress port (16 bits). An option with that class and type but
// another length is not taken as OVN's (has_ovn_tlv stays false, the caller drops with
// GeneveNoOvnTlv). If several are present the first wins. The reserved bit is ignored on
// receipt, as RFC 8926 asks of reserved fields. Unknown critical options are not rejected here:
// info.unknown_critical reports them (and the C bit info.critical); the policy - OVS drops
// such packets, as RFC 8926 section 3.5 requires - is the caller's.
DropReason parse_geneve(const uint8_t* frame, uint32_t len, uint16_t off, GeneveInfo& info) {
    info = GeneveInfo{};
    if (SCS_UNLIKELY(len > kMaxParseLen)) len = kMaxParseLen;
    if (off > len || len - off < kGeneveHdrLen) return DropReason::GeneveTruncated;
    const uint8_t* g = frame + off;
    if ((g[0] >> 6) != 0) return DropReason::GeneveBadVersion;
    const uint32_t opt_len = uint32_t{g[0] & 0x3fu} * 4;
    info.oam = (g[1] & 0x80) != 0;
    info.critical = (g[1] & 0x40) != 0;
    const uint16_t proto = be16(g + 2);
    info.vni = be32(g + 4) >> 8;

    uint32_t p = uint32_t{off} + kGeneveHdrLen;
    const uint32_t end = p + opt_len;
    if (end > len) return DropReason::GeneveTruncated;
    while (p < end) {
        // Both the option area and every option are whole 4-byte words, so an option header
        // always fits once p < end; the check keeps the bound explicit rather than resting on
        // that arithmetic.
        if (end - p < kGeneveOptHdrLen) return DropReason::GeneveBadOption;
        const uint16_t opt_class = be16(frame + p);
        const uint8_t opt_type = frame[p + 2];
        const uint32_t data_len = uint32_t{frame[p + 3] & 0x1fu} * 4;
        if (data_len > end - p - kGeneveOptHdrLen) return DropReason::GeneveBadOption;
        if (!info.has_ovn_tlv && opt_class == kOvnGeneveClass && opt_type == kOvnGeneveType &&
            data_len == kOvnGeneveOptLen) {
            const uint32_t v = be32(frame + p + kGeneveOptHdrLen);
            info.ingress_port = static_cast<uint16_t>((v >> 16) & 0x7fff);
            info.egress_port = static_cast<uint16_t>(v & 0xffff);
            info.has_ovn_tlv = true;
        } else if (opt_type & 0x80) {
            info.unknown_critical = true;  // RFC 8926 3.5: the receiver must drop the packet
        }
        p += kGeneveOptHdrLen + data_len;
    }
    if (proto != kEthTypeTeb) return DropReason::GeneveNotEthernet;
    info.inner = static_cast<uint16_t>(end);
    return DropReason::None;
}

}  // namespace scs::pkt
