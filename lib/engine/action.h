// The engine's action instruction set: what OVN logical-flow actions compile to.
//
// An action list is a run of Insns in a datapath's Program, ending with End. Execution is
// OVN's: `next` and `output` are subroutine calls (ovn-sb(5): "executes ... as a
// subroutine"), so actions after them run when the subroutine returns; the builder marks
// the common case - a call right before End - as a tail call, which the executor turns
// into a jump without growing its stack. A list that ends without output drops the packet.
//
// Anything the engine does not execute yet (conntrack, NAT, load balancing, controller
// actions such as arp{}/put_arp) compiles to Unimplemented with the feature named: the
// packet is counted under that name and dropped, never forwarded half-processed.
#pragma once

#include <cstdint>
#include <string_view>

namespace scs::engine {

// OVN actions not executed yet; each is counted per lcore under its OVN name.
#define SCS_FOREACH_UNIMPL(X)                        \
    X(CtNext, "ct_next")                             \
    X(CtCommit, "ct_commit")                         \
    X(CtDnat, "ct_dnat")                             \
    X(CtSnat, "ct_snat")                             \
    X(CtLb, "ct_lb")                                 \
    X(CtClear, "ct_clear")                           \
    X(CtMisc, "ct_*")                                \
    X(Controller, "controller action")               \
    X(Arp, "arp")                                    \
    X(NdNs, "nd_ns")                                 \
    X(NdNa, "nd_na")                                 \
    X(Icmp, "icmp4/icmp6")                           \
    X(TcpReset, "tcp_reset")                         \
    X(PutArp, "put_arp/put_nd")                      \
    X(GetArp, "get_arp/get_nd")                      \
    X(LookupArp, "lookup_arp/lookup_nd")             \
    X(GetFdb, "get_fdb/put_fdb/lookup_fdb")          \
    X(PortSec, "check_in_port_sec/check_out_port_sec") \
    X(Dhcp, "put_dhcp_opts")                         \
    X(Dns, "dns_lookup")                             \
    X(Other, "other")

enum class Unimpl : uint8_t {
#define SCS_X(e, n) e,
    SCS_FOREACH_UNIMPL(SCS_X)
#undef SCS_X
        Count
};
inline constexpr unsigned kUnimplCount = static_cast<unsigned>(Unimpl::Count);

constexpr std::string_view unimpl_name(Unimpl u) {
    switch (u) {
#define SCS_X(e, n) \
    case Unimpl::e: return n;
        SCS_FOREACH_UNIMPL(SCS_X)
#undef SCS_X
        case Unimpl::Count: break;
    }
    return "invalid";
}

enum class Op : uint8_t {
    End,            // end of an action list: return to the caller (top level: done)
    Next,           // a = target stage (compact index), b = pipeline (0 ingress, 1 egress)
    Output,         // ingress: egress pipeline for outport; egress: deliver to outport
    Drop,           // a = DropReason; ends this packet path
    Load,           // key[off, off+len) = (key & ~mask) | value; a = const pool offset
                    //   (value bytes then mask bytes)
    Move,           // dst bits <- src bits; fields up to 16 bytes (see MoveArgs)
    Exchange,       // dst bits <-> src bits
    DecTtl,         // ip.ttl--; TTL 0/1 halts processing (TtlExceeded)
    Clone,          // clone { ... }: run the list at a on a copy of the state, then
                    //   carry on with the state as it was (ovn-sb(5))
    Unimplemented,  // a = Unimpl; counted and dropped
    Select,         // R = select(...): bits [b >> 16, + (b & 0xffff)) of the field at off (len
                    //   bytes) = the member that select_hash() of the packet falls on; a = const
                    //   pool offset of c SelectMember entries (ascending cumulative weights)
};

inline constexpr unsigned kMaxSelectMembers = 64;

// One member of a select(): its id and the sum of the weights up to and including it.
struct SelectMember {
    uint32_t id;
    uint32_t upto;
};

inline constexpr uint8_t kInsnTail = 1 << 0;  // call right before End: jump, do not recurse

struct Insn {
    Op op = Op::End;
    uint8_t flags = 0;
    uint16_t off = 0;  // Load: key byte offset
    uint16_t len = 0;  // Load: byte count
    uint16_t c = 0;    // Move/Exchange: bit count
    uint32_t a = 0;
    uint32_t b = 0;
};
static_assert(sizeof(Insn) == 16);

// Move/Exchange operands: a field is (byte offset, byte width); bits count from the least
// significant bit of the field (OVN's `reg0[16..31]`). Packed as a = dst, b = src:
// offset << 16 | width << 8 | bit offset.
constexpr uint32_t pack_bits_ref(uint16_t off, uint8_t width, uint8_t bit) {
    return static_cast<uint32_t>(off) << 16 | static_cast<uint32_t>(width) << 8 | bit;
}

}  // namespace scs::engine
