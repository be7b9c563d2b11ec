// Host <-> network byte order, usable in constant expressions (x86 and other little-endian
// hosts byte-swap; big-endian hosts pass through).
#pragma once

#include <bit>
#include <cstdint>

namespace scs {

constexpr uint16_t hton16(uint16_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap16(v);
    return v;
}
constexpr uint32_t hton32(uint32_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap32(v);
    return v;
}
constexpr uint16_t ntoh16(uint16_t v) { return hton16(v); }
constexpr uint32_t ntoh32(uint32_t v) { return hton32(v); }

}  // namespace scs
