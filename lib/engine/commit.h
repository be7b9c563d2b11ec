// Commit: write the key fields that actions changed back into the frame, with incremental
// checksum updates (RFC 1624) for every rewrite.
//
// Called once per packet copy when it leaves the pipeline (delivery or tunnel), so a field
// set several times on the way through routers is written once. Old values are read from
// the frame itself just before it is overwritten, so no copy of the original key is kept.
#pragma once

#include <cstdint>
#include <cstring>

#include "common/compiler.h"
#include "packet/checksum.h"

#include "engine/key.h"
#include "packet/layout.h"

namespace scs::engine {

// Everything beyond the Ethernet addresses (out of line).
void commit_l3(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key, DirtyMask dirty);

// IPv4 TOS and TTL from the key. TOS shares a 16-bit word with version/IHL, TTL with the
// protocol: the header checksum is updated by whole 16-bit words (RFC 1624 eqn. 3), only for
// what changed.
SCS_ALWAYS_INLINE void commit_ip4_scalars(uint8_t* ip, const FlowKey& key) {
    uint16_t c, before, after;
    std::memcpy(&c, ip + 10, 2);
    if (ip[8] != key.ip_ttl) {
        std::memcpy(&before, ip + 8, 2);
        ip[8] = key.ip_ttl;
        std::memcpy(&after, ip + 8, 2);
        c = pkt::csum::update16(c, before, after);
    }
    if (SCS_UNLIKELY(ip[1] != key.ip_tos)) {
        std::memcpy(&before, ip, 2);
        ip[1] = key.ip_tos;
        std::memcpy(&after, ip, 2);
        c = pkt::csum::update16(c, before, after);
    }
    std::memcpy(ip + 10, &c, 2);
}

// The routed-packet case - MAC rewrite, IPv4 TTL/TOS - inline; the rest in commit_l3().
SCS_ALWAYS_INLINE void commit_key(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key, DirtyMask dirty) {
    if (SCS_LIKELY(dirty & kDirtyEth)) std::memcpy(frame, key.eth_dst, 12);
    const DirtyMask rest = dirty & kDirtyPacket & ~kDirtyEth;
    if (!rest) return;
    if (SCS_LIKELY(rest == kDirtyIpScalars && lay.l3_type == pkt::L3Type::Ipv4)) {
        commit_ip4_scalars(frame + lay.l3, key);
        return;
    }
    commit_l3(frame, lay, key, dirty);
}

}  // namespace scs::engine
