// Where the headers of one frame are, as found by the parser.
//
// The parser (parse.h) never reads past `len` and never writes the frame; it fills a Layout
// with offsets from the start of the frame. Everything the pipeline later needs (flow key
// extraction, rewrites, Geneve decapsulation) works from these offsets, so a frame is parsed
// exactly once per pass through the dataplane.
#pragma once

#include <cstdint>

namespace scs::pkt {

enum class L3Type : uint8_t { None = 0, Ipv4, Ipv6, Arp };

// IP fragment state, as OVN's `ip.is_frag` / `ip.later_frag` see it.
enum FragFlags : uint8_t {
    kFragNone = 0,
    kFragAny = 1 << 0,    // ip.is_frag: MF set or offset != 0 (IPv4), Fragment header (IPv6)
    kFragLater = 1 << 1,  // ip.later_frag: offset != 0 - no L4 header in this fragment
};

// IPv4 header anomalies that are not drops but that the pipeline may care about.
enum Ip4Flags : uint8_t {
    kIp4HasOptions = 1 << 0,  // IHL > 5
};

inline constexpr uint16_t kNoOffset = 0xffff;

struct Layout {
    uint16_t l3 = kNoOffset;       // network header, after all VLAN tags
    uint16_t l4 = kNoOffset;       // transport header (after IPv4 options / IPv6 ext headers)
    uint16_t payload = kNoOffset;  // first byte after the transport header
    uint16_t l3_end = 0;           // end of the IP packet per its length field (<= frame length);
                                   // bytes beyond are Ethernet padding
    uint16_t eth_type = 0;         // host order: innermost EtherType, after VLAN tags
    uint16_t vlan_tci = 0;         // host order: TCI of the outermost 802.1Q/802.1ad tag
    uint8_t n_vlans = 0;           // 0, 1 or 2 tags (more is a drop)
    L3Type l3_type = L3Type::None;
    uint8_t ip_proto = 0;          // IPv4 protocol / last IPv6 next-header (upper layer)
    uint8_t frag = kFragNone;      // FragFlags
    uint8_t ip4_flags = 0;         // Ip4Flags
    uint8_t reserved_ = 0;

    bool has_l4() const { return l4 != kNoOffset; }
};

// What the parser found in a Geneve header that follows a UDP header.
struct GeneveInfo {
    uint32_t vni = 0;             // 24-bit VNI = OVN logical datapath tunnel key
    uint16_t inner = 0;           // offset of the inner Ethernet frame
    uint16_t ingress_port = 0;    // from OVN's TLV (class 0x0102 type 0x80), 15 bits
    uint16_t egress_port = 0;     // from OVN's TLV, 16 bits (>= 32768: multicast group)
    bool has_ovn_tlv = false;
    bool critical = false;        // the C bit of the Geneve header
    bool oam = false;             // the O bit
    bool unknown_critical = false;  // a critical option (type bit 7) other than OVN's
};

}  // namespace scs::pkt
