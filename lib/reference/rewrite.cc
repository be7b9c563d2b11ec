#include "reference/rewrite.h"

#include <cstring>

#include "packet/checksum.h"
#include "packet/proto.h"

namespace scs::reference {

namespace {

bool differs(const void* a, const void* b, std::size_t n) { return std::memcmp(a, b, n) != 0; }

// Adjusts the 16-bit checksum at `c` for `old_words` becoming `new_words` (same length, even,
// at even offsets of the covered area): RFC 1624 over the whole run, unchanged words cancel.
void adjust(uint8_t* c, const std::vector<uint8_t>& old_words, const std::vector<uint8_t>& new_words) {
    uint16_t v;
    std::memcpy(&v, c, 2);
    v = pkt::csum::update_bytes(v, old_words.data(), new_words.data(), old_words.size());
    std::memcpy(c, &v, 2);
}

void put(std::vector<uint8_t>& w, const void* p, std::size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    w.insert(w.end(), b, b + n);
}

}  // namespace

std::string rewrite_frame(std::vector<uint8_t>& f, const pkt::Layout& lay, const engine::FlowKey& a,
                          const engine::FlowKey& b) {
    using engine::FlowKey;
    // Ethernet addresses: no checksum.
    std::memcpy(f.data(), b.eth_dst, 6);
    std::memcpy(f.data() + 6, b.eth_src, 6);
    if (a.vlan_tci != b.vlan_tci) return "vlan.tci";
    if (a.eth_type != b.eth_type) return "eth.type";

    const bool ip4 = lay.l3_type == pkt::L3Type::Ipv4, ip6 = lay.l3_type == pkt::L3Type::Ipv6;
    const bool arp = lay.l3_type == pkt::L3Type::Arp;
    const bool addr4 = differs(&a.ip4_src, &b.ip4_src, 8);
    const bool addr6 = differs(a.ip6_src, b.ip6_src, 32);
    const bool ports = differs(&a.tp_src, &b.tp_src, 4);
    const bool scalars = a.ip_tos != b.ip_tos || a.ip_ttl != b.ip_ttl;
    const bool arp_fields = a.arp_op != b.arp_op || differs(a.arp_sha, b.arp_sha, 12);
    if (differs(a.nd_target, b.nd_target, 16)) return "nd.target";
    if (a.ip_proto != b.ip_proto) return "ip.proto";
    if (a.ip6_label != b.ip6_label) return "ip6.label";
    if (a.tcp_flags != b.tcp_flags) return "tcp.flags";

    if (arp) {
        if (scalars || addr6 || ports) return "a non-ARP field of an ARP packet";
        uint8_t* h = f.data() + lay.l3;
        std::memcpy(h + 6, &b.arp_op, 2);
        std::memcpy(h + 8, b.arp_sha, 6);
        std::memcpy(h + 14, &b.ip4_src, 4);
        std::memcpy(h + 18, b.arp_tha, 6);
        std::memcpy(h + 24, &b.ip4_dst, 4);
        return {};
    }
    if (arp_fields) return "arp fields of a non-ARP packet";
    if (!ip4 && !ip6) {
        if (scalars || addr4 || addr6 || ports) return "IP fields of a non-IP packet";
        return {};
    }
    if ((ip4 && addr6) || (ip6 && addr4)) return "addresses of the other IP version";

    uint8_t* ip = f.data() + lay.l3;
    // The transport header, if the parser validated one (not a later fragment).
    const bool l4 = lay.payload != pkt::kNoOffset;
    uint8_t* t = l4 ? f.data() + lay.l4 : nullptr;
    uint8_t* l4c = nullptr;  // checksum covering the pseudo-header
    if (l4 && lay.ip_proto == pkt::kIpProtoTcp) l4c = t + 16;
    if (l4 && lay.ip_proto == pkt::kIpProtoUdp && (t[6] | t[7])) l4c = t + 6;  // 0: none
    if (l4 && lay.ip_proto == pkt::kIpProtoIcmp6) l4c = t + 2;
    if (ports && !l4) return "tp.src/tp.dst of a packet without a transport header";

    if (ip4) {
        std::vector<uint8_t> before(ip, ip + 20), after;
        ip[1] = b.ip_tos;
        ip[8] = b.ip_ttl;
        std::memcpy(ip + 12, &b.ip4_src, 8);
        after.assign(ip, ip + 20);
        before[10] = before[11] = after[10] = after[11] = 0;
        adjust(ip + 10, before, after);
        if (addr4 && l4c) {
            std::vector<uint8_t> o, n;
            put(o, &a.ip4_src, 8);
            put(n, &b.ip4_src, 8);
            adjust(l4c, o, n);
        }
    } else {
        ip[0] = static_cast<uint8_t>((ip[0] & 0xf0) | (b.ip_tos >> 4));
        ip[1] = static_cast<uint8_t>((ip[1] & 0x0f) | ((b.ip_tos & 0x0f) << 4));
        ip[7] = b.ip_ttl;
        std::memcpy(ip + 8, b.ip6_src, 32);
        if (addr6 && l4c) {
            std::vector<uint8_t> o, n;
            put(o, a.ip6_src, 32);
            put(n, b.ip6_src, 32);
            adjust(l4c, o, n);
        }
    }
    if (ports) {
        switch (lay.ip_proto) {
            case pkt::kIpProtoTcp:
            case pkt::kIpProtoUdp: {
                std::vector<uint8_t> o, n;
                put(o, &a.tp_src, 4);
                put(n, &b.tp_src, 4);
                if (l4c) adjust(l4c, o, n);
                std::memcpy(t, &b.tp_src, 4);
                break;
            }
            case pkt::kIpProtoIcmp:
            case pkt::kIpProtoIcmp6: {
                // type and code are the low bytes of tp.src / tp.dst (as OVS keeps them)
                const std::vector<uint8_t> o = {t[0], t[1]};
                const auto* src = reinterpret_cast<const uint8_t*>(&b.tp_src);
                const std::vector<uint8_t> n = {src[1], src[3]};  // big-endian 16-bit fields
                adjust(t + 2, o, n);
                t[0] = n[0];
                t[1] = n[1];
                break;
            }
            default:
                return "tp.src/tp.dst of a protocol the reference does not rewrite";
        }
    }
    // RFC 768: a UDP checksum that computes to zero is sent as all ones.
    if (l4c && lay.ip_proto == pkt::kIpProtoUdp && l4c[0] == 0 && l4c[1] == 0) l4c[0] = l4c[1] = 0xff;
    return {};
}

}  // namespace scs::reference
