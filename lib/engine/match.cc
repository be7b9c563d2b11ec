#include "engine/match.h"

#include <algorithm>
#include <cassert>

namespace scs::engine {

void store_be(uint8_t* dst, unsigned width, uint64_t v) {
    for (unsigned i = 0; i < width; ++i) dst[width - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t load_be(const uint8_t* src, unsigned width) {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) v = v << 8 | src[i];
    return v;
}

Match& Match::set_bytes(uint16_t off, std::span<const uint8_t> v, std::span<const uint8_t> m) {
    assert(v.size() == m.size() && off + v.size() <= kKeyBytes);
    uint8_t* vb = key_bytes(value);
    uint8_t* mb = key_bytes(mask);
    for (std::size_t i = 0; i < v.size(); ++i) {
        mb[off + i] |= m[i];
        vb[off + i] = static_cast<uint8_t>((vb[off + i] & ~m[i]) | (v[i] & m[i]));
    }
    return *this;
}

Match& Match::set(Field f, std::span<const uint8_t> v) {
    const FieldInfo& fi = field_info(f);
    assert(v.size() == fi.width);
    uint8_t ones[16];
    std::fill_n(ones, sizeof ones, 0xff);
    return set_bytes(fi.offset, v, std::span<const uint8_t>(ones, fi.width));
}

Match& Match::set_u64(Field f, uint64_t v, uint64_t m) {
    const FieldInfo& fi = field_info(f);
    assert(fi.width <= 8);
    uint8_t vb[8], mb[8];
    store_be(vb, fi.width, v);
    store_be(mb, fi.width, m);
    return set_bytes(fi.offset, {vb, fi.width}, {mb, fi.width});
}

Match& Match::set_ip4_prefix(Field f, uint32_t addr, unsigned plen) {
    assert(plen <= 32);
    const uint32_t m = plen == 0 ? 0 : ~uint32_t{0} << (32 - plen);
    if (m == 0) return *this;  // /0 matches everything: no bits to constrain
    return set_u64(f, addr & m, m);
}

bool Match::empty_mask() const {
    const uint64_t* mw = key_words(mask);
    return std::all_of(mw, mw + kKeyWords, [](uint64_t w) { return w == 0; });
}

}  // namespace scs::engine
