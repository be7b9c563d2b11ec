// The common case, parsed and extracted in one pass: untagged Ethernet, IPv4 without options
// or fragmentation, carrying TCP, UDP or ICMP - the shape of nearly all tenant traffic.
//
// It accepts exactly the frames for which pkt::parse_frame() would succeed with that shape,
// and produces the same Layout and the same FlowKey as parse_frame() + extract_key(); for
// anything else it returns false and touches nothing the caller relies on, and the caller
// takes the general path. tests/unit/test_extract_fast.cc holds it to that on random and
// mutated frames.
#pragma once

#include <cstdint>
#include <cstring>
#include <emmintrin.h>

#include "common/byteorder.h"
#include "common/compiler.h"
#include "engine/extract.h"
#include "engine/key.h"
#include "packet/layout.h"
#include "packet/proto.h"

namespace scs::engine {

// The header checks of the common shape: untagged Ethernet, IPv4 with IHL 5, no MF and no
// fragment offset, lengths consistent, and a whole TCP, UDP or ICMP header - exactly the
// frames parse_frame() accepts with that shape. Also used for the Geneve underlay's outer
// headers (proto UDP).
SCS_ALWAYS_INLINE bool plain_ipv4_l4(const uint8_t* f, uint32_t len, uint8_t& proto, uint32_t& tot,
                                     uint32_t& l4_len) {
    constexpr uint32_t kL3 = pkt::kEthHdrLen, kL4 = kL3 + pkt::kIp4HdrLen;
    if (SCS_UNLIKELY(len < kL4 || len > 0xfffe)) return false;
    uint16_t etype, tot_be, frag_be;
    std::memcpy(&etype, f + 12, 2);
    if (etype != hton16(pkt::kEthTypeIpv4) || f[kL3] != 0x45) return false;
    std::memcpy(&tot_be, f + kL3 + 2, 2);
    std::memcpy(&frag_be, f + kL3 + 6, 2);
    tot = ntoh16(tot_be);
    if (tot < pkt::kIp4HdrLen || kL3 + tot > len || (ntoh16(frag_be) & 0x3fff) != 0) return false;
    proto = f[kL3 + 9];
    const uint32_t l4_avail = tot - pkt::kIp4HdrLen;
    switch (proto) {
        case pkt::kIpProtoTcp:
            if (l4_avail < pkt::kTcpHdrLen) return false;
            l4_len = (f[kL4 + 12] >> 4) * 4u;
            return l4_len >= pkt::kTcpHdrLen && l4_len <= l4_avail;
        case pkt::kIpProtoUdp: {
            if (l4_avail < pkt::kUdpHdrLen) return false;
            uint16_t ulen_be;
            std::memcpy(&ulen_be, f + kL4 + 4, 2);
            const uint32_t ulen = ntoh16(ulen_be);
            l4_len = pkt::kUdpHdrLen;
            return ulen >= pkt::kUdpHdrLen && ulen <= l4_avail;
        }
        case pkt::kIpProtoIcmp:
            l4_len = pkt::kIcmpHdrLen;
            return l4_avail >= pkt::kIcmpHdrLen;
        default:
            return false;
    }
}

SCS_ALWAYS_INLINE bool extract_fast(const uint8_t* f, uint32_t len, pkt::Layout& lay, FlowKey& key) {
    constexpr uint32_t kL3 = pkt::kEthHdrLen, kL4 = kL3 + pkt::kIp4HdrLen;
    uint8_t proto;
    uint32_t tot, l4_len;
    if (!plain_ipv4_l4(f, len, proto, tot, l4_len)) return false;
    lay = pkt::Layout{};
    lay.l3 = kL3;
    lay.l4 = kL4;
    lay.payload = static_cast<uint16_t>(kL4 + l4_len);
    lay.l3_end = static_cast<uint16_t>(kL3 + tot);
    lay.eth_type = pkt::kEthTypeIpv4;
    lay.l3_type = pkt::L3Type::Ipv4;
    lay.ip_proto = proto;

    // 12 aligned 16-byte stores (FlowKey is 64-byte aligned); what memset(192) should be.
    auto* kv = reinterpret_cast<__m128i*>(&key);
    for (unsigned i = 0; i < sizeof key / 16; ++i) _mm_store_si128(kv + i, _mm_setzero_si128());
    std::memcpy(key.eth_dst, f, 14);  // MACs and EtherType
    key.ip_tos = f[kL3 + 1];
    key.ip_ttl = f[kL3 + 8];
    key.ip_proto = proto;
    std::memcpy(&key.ip4_src, f + kL3 + 12, 8);
    extract_l4(f + kL4, proto, key);
    return true;
}

}  // namespace scs::engine
