// The flow key: every field a logical flow can match or set, in one fixed layout.
//
// One FlowKey is extracted per packet when it enters a logical pipeline (extract.h) and is
// the only thing the pipeline reads: stages match against it and actions write into it.
// The packet bytes are rewritten once, when the packet leaves (commit.h), from the key
// words the actions marked dirty. This is how Open vSwitch separates flow translation from
// datapath actions, and it is what makes a pipeline pass a pure function of (key, tables).
//
// Byte order: every field - registers included - is stored big-endian, as on the wire. A
// register bit range (OVN's `reg0[0..15]`) is then the same operation as a header bit range,
// and xxreg0 (reg0..reg3, reg0 most significant, as in OVS) is just 16 contiguous bytes.
//
// Layout is in 64-bit words; masks and hashes work word by word and a table only touches the
// words its mask covers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace scs::engine {

inline constexpr unsigned kNumRegs = 10;  // reg0..reg9 (OVN's MFF_N_LOG_REGS)

// Bits of the `flags` field (OVN's MLF_* in register 10) that the engine itself interprets.
inline constexpr uint32_t kFlagLoopback = 1u << 0;  // flags.loopback (OVN MLF_ALLOW_LOOPBACK_BIT 0)

struct alignas(64) FlowKey {
    // words 0..9: logical metadata
    uint32_t inport;        // logical ingress port key (OVS reg14)
    uint32_t outport;       // logical egress port key (OVS reg15)
    uint32_t flags;         // logical flags (OVS reg10)
    uint32_t ct_state;      // connection tracking state bits (ct.new, ct.est, ...)
    uint32_t reg[kNumRegs]; // reg0..reg9
    uint32_t ct_mark;
    uint32_t ct_zone;       // not matchable from OVN; kept for the stateful issue
    uint8_t ct_label[16];
    // word 10..11: Ethernet
    uint8_t eth_dst[6];
    uint8_t eth_src[6];
    uint16_t eth_type;      // innermost EtherType
    uint16_t vlan_tci;      // outer tag; 0x1000 (CFI) set when a tag is present, as OVS does
    // word 12: IP scalars
    uint8_t ip_proto;       // IPv4 protocol / IPv6 upper-layer next header
    uint8_t ip_tos;         // DSCP (upper 6 bits) | ECN (lower 2)
    uint8_t ip_ttl;         // TTL / hop limit
    uint8_t ip_frag;        // pkt::FragFlags
    uint32_t ip6_label;     // 20-bit flow label
    // word 13: IPv4 addresses; also ARP spa/tpa, as OVS's nw_src/nw_dst
    uint32_t ip4_src;
    uint32_t ip4_dst;
    // words 14..17: IPv6 addresses
    uint8_t ip6_src[16];
    uint8_t ip6_dst[16];
    // word 18: transport; ICMP/ICMPv6 type and code live in tp_src/tp_dst (as OVS)
    uint16_t tp_src;
    uint16_t tp_dst;
    uint16_t tcp_flags;
    uint16_t arp_op;
    // words 19..22: ARP hardware addresses (= nd.sll / nd.tll for ND), ND target
    uint8_t arp_sha[6];
    uint8_t arp_tha[6];
    uint8_t pad0_[4];
    uint8_t nd_target[16];
    // word 23: where the packet entered - never matched by logical flows, but part of the
    // flow cache key (the pipeline's starting point is a function of it)
    uint16_t rx_port;
    uint16_t pad1_;
    uint32_t entry_dp;      // tunnel key of the datapath the packet entered

};

inline constexpr std::size_t kKeyBytes = sizeof(FlowKey);
inline constexpr std::size_t kKeyWords = kKeyBytes / 8;
static_assert(kKeyBytes == 192 && kKeyWords == 24, "FlowKey layout is ABI for tables and masks");

inline uint64_t* key_words(FlowKey& k) { return reinterpret_cast<uint64_t*>(&k); }
inline const uint64_t* key_words(const FlowKey& k) { return reinterpret_cast<const uint64_t*>(&k); }
inline uint8_t* key_bytes(FlowKey& k) { return reinterpret_cast<uint8_t*>(&k); }
inline const uint8_t* key_bytes(const FlowKey& k) { return reinterpret_cast<const uint8_t*>(&k); }

#define SCS_KEY_OFF(f) static_cast<uint16_t>(offsetof(::scs::engine::FlowKey, f))

// Which key words are backed by packet bytes: a dirty bit in one of these words means the
// frame must be rewritten at commit. Metadata words never touch the frame.
inline constexpr unsigned kFirstPacketWord = SCS_KEY_OFF(eth_dst) / 8;
static_assert(SCS_KEY_OFF(eth_dst) % 8 == 0 && SCS_KEY_OFF(ip4_src) % 8 == 0 &&
              SCS_KEY_OFF(ip6_src) % 8 == 0 && SCS_KEY_OFF(tp_src) % 8 == 0 &&
              SCS_KEY_OFF(arp_sha) % 8 == 0 && SCS_KEY_OFF(nd_target) % 8 == 0);

// Dirty mask: bit w set = key word w was written by an action since extraction.
using DirtyMask = uint32_t;
static_assert(kKeyWords <= 32);

inline constexpr DirtyMask dirty_bits(unsigned off, unsigned len) {
    DirtyMask m = 0;
    for (unsigned w = off / 8; w <= (off + len - 1) / 8; ++w) m |= DirtyMask{1} << w;
    return m;
}

inline constexpr DirtyMask kDirtyEth = dirty_bits(SCS_KEY_OFF(eth_dst), 12);
inline constexpr DirtyMask kDirtyIpScalars = dirty_bits(SCS_KEY_OFF(ip_proto), 8);
inline constexpr DirtyMask kDirtyIp4 = dirty_bits(SCS_KEY_OFF(ip4_src), 8);
inline constexpr DirtyMask kDirtyIp6 = dirty_bits(SCS_KEY_OFF(ip6_src), 32);
inline constexpr DirtyMask kDirtyL4 = dirty_bits(SCS_KEY_OFF(tp_src), 8);
inline constexpr DirtyMask kDirtyArpNd = dirty_bits(SCS_KEY_OFF(arp_sha), 32);
inline constexpr DirtyMask kDirtyPacket = ~((DirtyMask{1} << kFirstPacketWord) - 1);

}  // namespace scs::engine
