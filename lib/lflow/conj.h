// Conj: one conjunction of required flow-key bits, the unit in which match expressions are
// lowered (expr_lower.cc) and port-security rules built (compiler/port_security.cc).
//
// The key is 24 64-bit words, a lowered OVN match constrains 2-6 of them. A Conj keeps the
// set of words it constrains (`words`), so that merging, comparing and hashing look at those
// only. Every other word is zero in both `value` and `mask`; a value bit is only ever set
// under its mask bit, so `words` is exactly the set of words whose mask is not zero.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "engine/field.h"
#include "engine/key.h"
#include "lflow/lexer.h"

namespace scs::lflow {

struct Conj {
    std::array<uint64_t, engine::kKeyWords> value{};
    std::array<uint64_t, engine::kKeyWords> mask{};
    uint32_t words = 0;  // bit w: word w is constrained
    static_assert(engine::kKeyWords <= 32);

    bool matches_all() const { return words == 0; }

    // Key bit `b` of field `f` (bit 0 = least significant) required to be `on`.
    void set_bit(engine::Field f, unsigned b, bool on) {
        const engine::FieldInfo& fi = engine::field_info(f);
        const unsigned byte = fi.offset + fi.width - 1 - b / 8;
        const auto m = static_cast<uint8_t>(1u << (b % 8));
        set_byte(byte, on ? m : 0, m);
    }
    // Key byte `byte` required to equal `v` under `m` (other bits of the byte unchanged).
    void set_byte(unsigned byte, uint8_t v, uint8_t m) {
        if (!m) return;
        auto* vb = reinterpret_cast<uint8_t*>(value.data());
        auto* mb = reinterpret_cast<uint8_t*>(mask.data());
        mb[byte] |= m;
        vb[byte] = static_cast<uint8_t>((vb[byte] & ~m) | (v & m));
        words |= uint32_t{1} << (byte / 8);
    }

    friend bool operator==(const Conj& a, const Conj& b) {
        if (a.words != b.words) return false;
        uint64_t diff = 0;
        for (uint32_t bits = a.words; bits; bits &= bits - 1) {
            const int w = std::countr_zero(bits);
            diff |= (a.value[w] ^ b.value[w]) | (a.mask[w] ^ b.mask[w]);
        }
        return diff == 0;
    }
};

// Bits [bit, bit + n_bits) of field `f` required to equal `v` under `mask` (both
// right-aligned: bit 0 of `v` is the range's least significant bit).
inline void require(Conj& c, engine::Field f, unsigned bit, unsigned n_bits, const Value& v, const Value& mask) {
    if (bit % 8 == 0 && n_bits % 8 == 0) {  // whole bytes: no bit loop
        const engine::FieldInfo& fi = engine::field_info(f);
        for (unsigned k = 0; k < n_bits / 8u; ++k) {
            c.set_byte(fi.offset + fi.width - 1u - bit / 8u - k, v.be[15 - k], mask.be[15 - k]);
        }
        return;
    }
    for (unsigned i = 0; i < n_bits; ++i) {
        if (mask.bit(i)) c.set_bit(f, bit + i, v.bit(i));
    }
}

// a := a && b; false, `a` unchanged, when they require some bit both 0 and 1.
inline bool merge_into(Conj& a, const Conj& b) {
    uint64_t clash = 0;
    for (uint32_t bits = a.words & b.words; bits; bits &= bits - 1) {
        const int w = std::countr_zero(bits);
        clash |= (a.value[w] ^ b.value[w]) & a.mask[w] & b.mask[w];
    }
    if (clash) return false;
    for (uint32_t bits = b.words; bits; bits &= bits - 1) {
        const int w = std::countr_zero(bits);
        a.value[w] |= b.value[w];
        a.mask[w] |= b.mask[w];
    }
    a.words |= b.words;
    return true;
}

struct ConjHash {
    std::size_t operator()(const Conj& c) const {
        uint64_t h = 1469598103934665603ull ^ c.words;
        for (uint32_t bits = c.words; bits; bits &= bits - 1) {
            const int w = std::countr_zero(bits);
            h = (h ^ c.value[w]) * 1099511628211ull;
            h = (h ^ c.mask[w]) * 1099511628211ull;
            h ^= h >> 29;
        }
        return static_cast<std::size_t>(h);
    }
};

}  // namespace scs::lflow
