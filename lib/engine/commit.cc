#include "engine/commit.h"

#include <cstring>
#include <initializer_list>

#include "common/byteorder.h"
#include "common/compiler.h"
#include "packet/checksum.h"
#include "packet/proto.h"

namespace scs::engine {

namespace {

using pkt::csum::update_bytes;

// Where the transport checksum lives, if the pseudo-header covers it.
uint8_t* l4_csum_field(uint8_t* frame, const pkt::Layout& lay) {
    if (lay.payload == pkt::kNoOffset) return nullptr;  // no validated transport header
    uint8_t* l4 = frame + lay.l4;
    switch (lay.ip_proto) {
        case pkt::kIpProtoTcp: return l4 + 16;
        case pkt::kIpProtoUdp: {
            uint16_t c;
            std::memcpy(&c, l4 + 6, 2);
            // A UDP checksum of 0 means "none" and stays none: always for IPv4, and for IPv6
            // tunnels that use the RFC 6935 exception - rewriting it would invent a bogus one.
            return c == 0 ? nullptr : l4 + 6;
        }
        case pkt::kIpProtoIcmp6: return l4 + 2;  // ICMPv6 includes the pseudo-header
        default: return nullptr;
    }
}

// Rewrites `n` bytes at `dst` from `src`, folding the change into the checksums given.
inline void rewrite(uint8_t* dst, const void* src, std::size_t n, uint8_t* csum_a, uint8_t* csum_b) {
    if (std::memcmp(dst, src, n) == 0) return;
    for (uint8_t* c : {csum_a, csum_b}) {
        if (!c) continue;
        uint16_t v;
        std::memcpy(&v, c, 2);
        v = update_bytes(v, dst, src, n);
        std::memcpy(c, &v, 2);
    }
    std::memcpy(dst, src, n);
}

void fix_udp_zero(const pkt::Layout& lay, uint8_t* csum) {
    // A UDP checksum that computes to 0 is sent as 0xffff (RFC 768).
    if (csum && lay.ip_proto == pkt::kIpProtoUdp && csum[0] == 0 && csum[1] == 0) csum[0] = csum[1] = 0xff;
}

void commit_ip4(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key, DirtyMask dirty) {
    uint8_t* ip = frame + lay.l3;
    uint8_t* ipc = ip + 10;
    if (dirty & kDirtyIpScalars) commit_ip4_scalars(ip, key);
    if (dirty & kDirtyIp4) {
        uint8_t* l4c = l4_csum_field(frame, lay);
        rewrite(ip + 12, &key.ip4_src, 4, ipc, l4c);
        rewrite(ip + 16, &key.ip4_dst, 4, ipc, l4c);
        fix_udp_zero(lay, l4c);
    }
}

void commit_ip6(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key, DirtyMask dirty) {
    uint8_t* ip = frame + lay.l3;
    if (dirty & kDirtyIpScalars) {
        ip[0] = static_cast<uint8_t>((ip[0] & 0xf0) | (key.ip_tos >> 4));
        ip[1] = static_cast<uint8_t>((ip[1] & 0x0f) | (key.ip_tos << 4));
        ip[7] = key.ip_ttl;
    }
    if (dirty & kDirtyIp6) {
        uint8_t* l4c = l4_csum_field(frame, lay);
        rewrite(ip + 8, key.ip6_src, 16, l4c, nullptr);
        rewrite(ip + 24, key.ip6_dst, 16, l4c, nullptr);
        fix_udp_zero(lay, l4c);
    }
}

void commit_l4(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key) {
    if (lay.payload == pkt::kNoOffset) return;  // no validated transport header
    uint8_t* l4 = frame + lay.l4;
    switch (lay.ip_proto) {
        case pkt::kIpProtoTcp:
        case pkt::kIpProtoUdp: {
            uint8_t* c = l4_csum_field(frame, lay);
            rewrite(l4, &key.tp_src, 4, c, nullptr);
            fix_udp_zero(lay, c);
            break;
        }
        case pkt::kIpProtoSctp:
            // SCTP's CRC32-C cannot be updated incrementally; OVN has no logical action that
            // rewrites SCTP ports without conntrack NAT, which recomputes it.
            std::memcpy(l4, &key.tp_src, 4);
            break;
        case pkt::kIpProtoIcmp:
        case pkt::kIpProtoIcmp6: {
            const uint8_t tc[2] = {static_cast<uint8_t>(ntoh16(key.tp_src)), static_cast<uint8_t>(ntoh16(key.tp_dst))};
            rewrite(l4, tc, 2, l4 + 2, nullptr);
            break;
        }
        default:
            break;
    }
}

void commit_nd(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key) {
    if (lay.l3_type != pkt::L3Type::Ipv6 || lay.ip_proto != pkt::kIpProtoIcmp6 || !lay.has_l4()) return;
    uint8_t* icmp = frame + lay.l4;
    const uint32_t avail = lay.l3_end - lay.l4;
    if ((icmp[0] != 135 && icmp[0] != 136) || avail < 24) return;
    rewrite(icmp + 8, key.nd_target, 16, icmp + 2, nullptr);
    // The option extract_key() read: the first of the right kind and length.
    const uint8_t want = icmp[0] == 135 ? 1 : 2;
    for (uint32_t o = 24; o + 8 <= avail;) {
        const uint32_t olen = icmp[o + 1] * 8u;
        if (olen == 0 || o + olen > avail) break;
        if (icmp[o] == want && olen == 8) {
            rewrite(icmp + o + 2, want == 1 ? key.arp_sha : key.arp_tha, 6, icmp + 2, nullptr);
            break;
        }
        o += olen;
    }
}

}  // namespace

void commit_l3(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key, DirtyMask dirty) {
    switch (lay.l3_type) {
        case pkt::L3Type::Ipv4:
            commit_ip4(frame, lay, key, dirty);
            if (dirty & kDirtyL4) commit_l4(frame, lay, key);
            break;
        case pkt::L3Type::Ipv6:
            commit_ip6(frame, lay, key, dirty);
            if (dirty & kDirtyL4) commit_l4(frame, lay, key);
            if (dirty & kDirtyArpNd) commit_nd(frame, lay, key);
            break;
        case pkt::L3Type::Arp: {
            uint8_t* a = frame + lay.l3;
            std::memcpy(a + 6, &key.arp_op, 2);
            std::memcpy(a + 8, key.arp_sha, 6);
            std::memcpy(a + 14, &key.ip4_src, 4);
            std::memcpy(a + 18, key.arp_tha, 6);
            std::memcpy(a + 24, &key.ip4_dst, 4);
            break;
        }
        case pkt::L3Type::None:
            break;
    }
}

}  // namespace scs::engine
