// A masked match over the flow key: what one logical flow's condition lowers to.
//
// The logical-flow compiler expands OVN's boolean match expressions into a disjunction of
// these conjunctions (as ovn-controller's expr_to_matches() does for OpenFlow); the engine
// only ever sees value/mask pairs. `value` is always pre-masked.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "engine/field.h"
#include "engine/key.h"

namespace scs::engine {

struct Match {
    FlowKey value{};
    FlowKey mask{};

    // Sets `width` bytes at key offset `off` (network order) under `m`.
    Match& set_bytes(uint16_t off, std::span<const uint8_t> v, std::span<const uint8_t> m);
    // Whole field equal to `v` (network-order bytes of the field's width).
    Match& set(Field f, std::span<const uint8_t> v);
    // Field compared under a mask, both given as host-order integers (fields up to 8 bytes).
    Match& set_u64(Field f, uint64_t v, uint64_t m = ~uint64_t{0});
    // IPv4 prefix on ip4.src / ip4.dst (address in host order).
    Match& set_ip4_prefix(Field f, uint32_t addr, unsigned plen);

    bool matches(const FlowKey& k) const {
        const uint64_t* kw = key_words(k);
        const uint64_t* vw = key_words(value);
        const uint64_t* mw = key_words(mask);
        for (std::size_t i = 0; i < kKeyWords; ++i)
            if ((kw[i] & mw[i]) != vw[i]) return false;
        return true;
    }
    bool empty_mask() const;
};

// Host-order integer <-> big-endian bytes of a field, for fields up to 8 bytes.
void store_be(uint8_t* dst, unsigned width, uint64_t v);
uint64_t load_be(const uint8_t* src, unsigned width);

}  // namespace scs::engine
