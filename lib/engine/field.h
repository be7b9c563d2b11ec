// Named engine fields: byte ranges of the FlowKey that actions address and operators see.
//
// The logical-flow compiler maps each OVN symbol of ovn-sb(5) onto one of these plus a bit
// range (`reg0[0..15]`, `ip4.dst`, `eth.src`, `xxreg0` = reg0..reg3), so this list is the
// whole vocabulary the engine understands. `writable` mirrors OVN's read-only fields
// (eth.type, ip.proto, vlan are not assignable by logical actions). Wide registers overlay
// the 32-bit ones with the lower-numbered register most significant, as OVS defines them
// (xreg0 = reg0 << 32 | reg1).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/key.h"

namespace scs::engine {

// X(Enum, "name", key offset, width in bytes, writable)
#define SCS_FOREACH_FIELD(X)                                          \
    X(Inport, "inport", SCS_KEY_OFF(inport), 4, true)                 \
    X(Outport, "outport", SCS_KEY_OFF(outport), 4, true)              \
    X(Flags, "flags", SCS_KEY_OFF(flags), 4, true)                    \
    X(CtState, "ct_state", SCS_KEY_OFF(ct_state), 4, false)           \
    X(Reg0, "reg0", SCS_KEY_OFF(reg) + 0, 4, true)                    \
    X(Reg1, "reg1", SCS_KEY_OFF(reg) + 4, 4, true)                    \
    X(Reg2, "reg2", SCS_KEY_OFF(reg) + 8, 4, true)                    \
    X(Reg3, "reg3", SCS_KEY_OFF(reg) + 12, 4, true)                   \
    X(Reg4, "reg4", SCS_KEY_OFF(reg) + 16, 4, true)                   \
    X(Reg5, "reg5", SCS_KEY_OFF(reg) + 20, 4, true)                   \
    X(Reg6, "reg6", SCS_KEY_OFF(reg) + 24, 4, true)                   \
    X(Reg7, "reg7", SCS_KEY_OFF(reg) + 28, 4, true)                   \
    X(Reg8, "reg8", SCS_KEY_OFF(reg) + 32, 4, true)                   \
    X(Reg9, "reg9", SCS_KEY_OFF(reg) + 36, 4, true)                   \
    X(Xreg0, "xreg0", SCS_KEY_OFF(reg) + 0, 8, true)                  \
    X(Xreg1, "xreg1", SCS_KEY_OFF(reg) + 8, 8, true)                  \
    X(Xreg2, "xreg2", SCS_KEY_OFF(reg) + 16, 8, true)                 \
    X(Xreg3, "xreg3", SCS_KEY_OFF(reg) + 24, 8, true)                 \
    X(Xreg4, "xreg4", SCS_KEY_OFF(reg) + 32, 8, true)                 \
    X(Xxreg0, "xxreg0", SCS_KEY_OFF(reg) + 0, 16, true)               \
    X(Xxreg1, "xxreg1", SCS_KEY_OFF(reg) + 16, 16, true)              \
    X(CtMark, "ct_mark", SCS_KEY_OFF(ct_mark), 4, true)               \
    X(CtLabel, "ct_label", SCS_KEY_OFF(ct_label), 16, true)           \
    X(EthDst, "eth.dst", SCS_KEY_OFF(eth_dst), 6, true)               \
    X(EthSrc, "eth.src", SCS_KEY_OFF(eth_src), 6, true)               \
    X(EthType, "eth.type", SCS_KEY_OFF(eth_type), 2, false)           \
    X(VlanTci, "vlan.tci", SCS_KEY_OFF(vlan_tci), 2, false)           \
    X(IpProto, "ip.proto", SCS_KEY_OFF(ip_proto), 1, false)           \
    X(IpTos, "ip.tos", SCS_KEY_OFF(ip_tos), 1, true)                  \
    X(IpTtl, "ip.ttl", SCS_KEY_OFF(ip_ttl), 1, true)                  \
    X(IpFrag, "ip.frag", SCS_KEY_OFF(ip_frag), 1, false)              \
    X(Ip6Label, "ip6.label", SCS_KEY_OFF(ip6_label), 4, false)        \
    X(Ip4Src, "ip4.src", SCS_KEY_OFF(ip4_src), 4, true)               \
    X(Ip4Dst, "ip4.dst", SCS_KEY_OFF(ip4_dst), 4, true)               \
    X(Ip6Src, "ip6.src", SCS_KEY_OFF(ip6_src), 16, true)              \
    X(Ip6Dst, "ip6.dst", SCS_KEY_OFF(ip6_dst), 16, true)              \
    X(TpSrc, "tp.src", SCS_KEY_OFF(tp_src), 2, true)                  \
    X(TpDst, "tp.dst", SCS_KEY_OFF(tp_dst), 2, true)                  \
    X(TcpFlags, "tcp.flags", SCS_KEY_OFF(tcp_flags), 2, false)        \
    X(ArpOp, "arp.op", SCS_KEY_OFF(arp_op), 2, true)                  \
    X(ArpSha, "arp.sha", SCS_KEY_OFF(arp_sha), 6, true)               \
    X(ArpTha, "arp.tha", SCS_KEY_OFF(arp_tha), 6, true)               \
    X(NdTarget, "nd.target", SCS_KEY_OFF(nd_target), 16, true)

enum class Field : uint8_t {
#define SCS_X(e, n, o, w, wr) e,
    SCS_FOREACH_FIELD(SCS_X)
#undef SCS_X
        Count
};

struct FieldInfo {
    std::string_view name;
    uint16_t offset;  // byte offset in FlowKey
    uint8_t width;    // bytes
    bool writable;
};

inline constexpr FieldInfo kFieldInfo[] = {
#define SCS_X(e, n, o, w, wr) {n, o, w, wr},
    SCS_FOREACH_FIELD(SCS_X)
#undef SCS_X
};

constexpr const FieldInfo& field_info(Field f) { return kFieldInfo[static_cast<unsigned>(f)]; }

std::optional<Field> field_by_name(std::string_view name);

}  // namespace scs::engine
