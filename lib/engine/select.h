// select(): OVN's ECMP and load-balancing choice among weighted members (ovn-sb(5): "the
// choice is made by the datapath, by a hash of the packet"). One flow - same addresses,
// protocol and ports - always gets the same member, so a connection stays on one path.
// The engine (exec.cc) and the reference interpreter use these same two functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "engine/action.h"
#include "engine/hash.h"
#include "engine/key.h"
#include "packet/proto.h"

namespace scs::engine {

// Key bytes select_hash() reads, as (offset, length): what a cached outcome must match on.
struct SelectInputs {
    static constexpr unsigned kEthType = offsetof(FlowKey, eth_type);
    static constexpr unsigned kProto = offsetof(FlowKey, ip_proto);
    static constexpr unsigned kPorts = offsetof(FlowKey, tp_src);  // tp_src, tp_dst: 4 bytes
    static constexpr unsigned kIp4 = offsetof(FlowKey, ip4_src);   // src, dst: 8 bytes
    static constexpr unsigned kIp6 = offsetof(FlowKey, ip6_src);   // src, dst: 32 bytes
};

inline bool select_is_ip6(const FlowKey& k) { return k.eth_type == __builtin_bswap16(pkt::kEthTypeIpv6); }

inline uint32_t select_hash(const FlowKey& k) {
    uint32_t ports = 0;
    std::memcpy(&ports, &k.tp_src, 4);
    uint32_t h = hash_word(0x5e1ec7u, static_cast<uint64_t>(k.eth_type) << 8 | k.ip_proto);
    h = hash_word(h, ports);
    if (select_is_ip6(k)) {
        uint64_t w[4];
        std::memcpy(w, k.ip6_src, 16);
        std::memcpy(w + 2, k.ip6_dst, 16);
        for (uint64_t x : w) h = hash_word(h, x);
    } else {
        uint64_t a = 0;
        std::memcpy(&a, &k.ip4_src, 8);
        h = hash_word(h, a);
    }
    return hash_finish(h);
}

// The member table of select(ID=W, ...), as Op::Select keeps it: cumulative weights.
// Weights must not be 0 nor sum beyond 2^32 - 1 (ActionBuilder::select() checks).
inline std::vector<SelectMember> select_table(std::span<const std::pair<uint32_t, uint32_t>> id_weight) {
    std::vector<SelectMember> t;
    t.reserve(id_weight.size());
    uint32_t upto = 0;
    for (const auto& [id, weight] : id_weight) t.push_back({id, upto += weight});
    return t;
}

// The member a hash falls on, weights respected: `table` holds n SelectMember entries
// (select_table()), read in place - a program's constant pool gives no alignment.
inline uint32_t select_pick(const uint8_t* table, unsigned n, uint32_t hash) {
    auto at = [table](unsigned i) {
        SelectMember m;
        std::memcpy(&m, table + i * sizeof m, sizeof m);
        return m;
    };
    const auto point = static_cast<uint32_t>((static_cast<uint64_t>(hash) * at(n - 1).upto) >> 32);
    unsigned i = 0;
    while (i + 1 < n && point >= at(i).upto) ++i;
    return at(i).id;
}

}  // namespace scs::engine
