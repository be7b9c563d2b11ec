// Flow key extraction: parsed frame -> FlowKey (metadata zeroed, header fields filled).
#pragma once

#include <cstdint>
#include <cstring>

#include "common/byteorder.h"
#include "common/compiler.h"
#include "packet/proto.h"

#include "engine/key.h"
#include "packet/layout.h"

namespace scs::engine {

// Transport fields of a header the parser validated: ports (TCP, UDP, SCTP), ICMP/ICMPv6 type
// and code in tp_src/tp_dst (as OVS), TCP flags. Other protocols leave them zero.
SCS_ALWAYS_INLINE void extract_l4(const uint8_t* l4, uint8_t proto, FlowKey& key) {
    switch (proto) {
        case pkt::kIpProtoTcp:
            std::memcpy(&key.tp_src, l4, 4);
            key.tcp_flags = hton16(static_cast<uint16_t>((l4[12] & 0x0f) << 8 | l4[13]));
            break;
        case pkt::kIpProtoUdp:
        case pkt::kIpProtoSctp:
            std::memcpy(&key.tp_src, l4, 4);
            break;
        case pkt::kIpProtoIcmp:
        case pkt::kIpProtoIcmp6:
            key.tp_src = hton16(l4[0]);
            key.tp_dst = hton16(l4[1]);
            break;
        default:
            break;
    }
}

// `frame` must be the bytes the Layout was parsed from. Metadata (ports, registers, flags,
// conntrack) is zero; the caller sets inport/outport.
void extract_key(const uint8_t* frame, const pkt::Layout& lay, FlowKey& key);

}  // namespace scs::engine
