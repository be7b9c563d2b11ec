#include "engine/extract.h"

#include <cstring>

#include "common/byteorder.h"
#include "packet/proto.h"

namespace scs::engine {

namespace {

inline uint16_t be16_at(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

// ICMPv6 Neighbor Discovery: the target and the first source/target link-layer option.
void extract_nd(const uint8_t* icmp, uint32_t avail, FlowKey& key) {
    const uint8_t type = icmp[0];
    if ((type != 135 && type != 136) || avail < 24) return;
    std::memcpy(key.nd_target, icmp + 8, 16);
    // The first link-layer address option of the right kind and length (8 bytes), as OVS.
    const uint8_t want = type == 135 ? 1 : 2;
    for (uint32_t o = 24; o + 8 <= avail;) {
        const uint32_t olen = icmp[o + 1] * 8u;
        if (olen == 0 || o + olen > avail) break;
        if (icmp[o] == want && olen == 8) {
            std::memcpy(want == 1 ? key.arp_sha : key.arp_tha, icmp + o + 2, 6);
            break;
        }
        o += olen;
    }
}

}  // namespace

void extract_key(const uint8_t* frame, const pkt::Layout& lay, FlowKey& key) {
    std::memset(&key, 0, sizeof key);
    std::memcpy(key.eth_dst, frame, 12);  // dst then src, adjacent in both
    key.eth_type = hton16(lay.eth_type);
    if (lay.n_vlans) key.vlan_tci = hton16(static_cast<uint16_t>(lay.vlan_tci | 0x1000));

    const uint8_t* l3 = frame + lay.l3;
    switch (lay.l3_type) {
        case pkt::L3Type::Ipv4:
            key.ip_tos = l3[1];
            key.ip_ttl = l3[8];
            key.ip_proto = l3[9];
            key.ip_frag = lay.frag;
            std::memcpy(&key.ip4_src, l3 + 12, 8);
            break;
        case pkt::L3Type::Ipv6: {
            const uint32_t vtf = static_cast<uint32_t>(l3[0]) << 24 | l3[1] << 16 | l3[2] << 8 | l3[3];
            key.ip_tos = static_cast<uint8_t>(vtf >> 20);
            key.ip6_label = hton32(vtf & 0xfffff);
            key.ip_ttl = l3[7];
            key.ip_proto = lay.ip_proto;
            key.ip_frag = lay.frag;
            std::memcpy(key.ip6_src, l3 + 8, 32);
            break;
        }
        case pkt::L3Type::Arp:
            key.arp_op = be16_at(l3 + 6);
            std::memcpy(key.arp_sha, l3 + 8, 6);
            std::memcpy(&key.ip4_src, l3 + 14, 4);
            std::memcpy(key.arp_tha, l3 + 18, 6);
            std::memcpy(&key.ip4_dst, l3 + 24, 4);
            return;
        case pkt::L3Type::None:
            return;
    }
    // payload is set only when the parser validated a known transport header; l4 alone may
    // point at an unknown protocol's first byte, even at the end of the frame.
    if (lay.payload == pkt::kNoOffset) return;
    const uint8_t* l4 = frame + lay.l4;
    extract_l4(l4, lay.ip_proto, key);
    if (lay.ip_proto == pkt::kIpProtoIcmp6 && lay.l3_type == pkt::L3Type::Ipv6)
        extract_nd(l4, lay.l3_end - lay.l4, key);
}

}  // namespace scs::engine
