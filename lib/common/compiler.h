// Small compiler helpers shared by the hot paths.
#pragma once

#define SCS_LIKELY(x) __builtin_expect(!!(x), 1)
#define SCS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SCS_ALWAYS_INLINE inline __attribute__((always_inline))
#define SCS_PREFETCH(p) __builtin_prefetch((p), 0, 3)

namespace scs {
inline constexpr unsigned kCacheLine = 64;
}  // namespace scs
