// Hashing of masked flow-key words (CRC32-C, one instruction per word on SSE4.2).
#pragma once

#include <cstdint>
#include <nmmintrin.h>

#include "common/compiler.h"

namespace scs::engine {

SCS_ALWAYS_INLINE uint32_t hash_word(uint32_t h, uint64_t w) {
    return static_cast<uint32_t>(_mm_crc32_u64(h, w));
}

// Final avalanche so that low bits (the bucket index) depend on every input bit.
SCS_ALWAYS_INLINE uint32_t hash_finish(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

}  // namespace scs::engine
