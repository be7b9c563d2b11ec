// splitmix64's finaliser: a 64-bit value spread over all 64 bits. Used where hashes are
// combined order-independently (summed): fingerprints, digests.
#pragma once

#include <cstdint>

namespace scs {

constexpr uint64_t mix64(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace scs
