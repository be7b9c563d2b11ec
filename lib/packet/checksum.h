// Internet checksum (RFC 1071) and its incremental update (RFC 1624), for the hot path.
//
// Byte order: every 16/32-bit value these functions take or return is the raw word as it sits
// in the packet, loaded or stored with memcpy - never passed through ntohs/htons. The one's
// complement sum is byte-order independent (RFC 1071 section 2(B)): summing native-order loads
// and storing the result with a native-order store gives the right bytes on any host. So a
// caller rewriting a field does
//
//     uint16_t old_v, csum;
//     memcpy(&old_v, field, 2);  memcpy(&csum, csum_field, 2);
//     memcpy(field, &new_v, 2);  csum = update16(csum, old_v, new_v);
//     memcpy(csum_field, &csum, 2);
//
// where new_v too is in network order (e.g. from htons, or copied from another packet).
//
// Everything is inline, allocation-free and branch-light; reads use memcpy so no alignment is
// assumed (frames start at any offset in an mbuf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace scs::pkt::csum {

// Unfolded one's-complement sum of `n` bytes, added to `sum`. The result is only meaningful
// after fold() (or as the `sum` of a further call). A trailing odd byte is summed as if followed
// by a zero byte, so chaining calls is exact only when every chunk but the last has even length.
//
// Sums 32-bit words into a 64-bit accumulator: the one's complement sum can be taken at any word
// width and folded down (RFC 1071 section 2(C)), and 2^32 additions cannot overflow it.
inline uint32_t partial(const void* data, size_t n, uint32_t sum = 0) {
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t acc = sum;
    while (n >= 4) {
        uint32_t w;
        std::memcpy(&w, p, 4);
        acc += w;
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t w;
        std::memcpy(&w, p, 2);
        acc += w;
        p += 2;
        n -= 2;
    }
    if (n != 0) {
        // The pad byte goes after the data byte in memory: that is "high byte of a network-order
        // word" on every host, so no byte-order test is needed.
        const uint8_t last[2] = {*p, 0};
        uint16_t w;
        std::memcpy(&w, last, 2);
        acc += w;
    }
    acc = (acc & 0xffffffffu) + (acc >> 32);  // end-around carry, twice: the first add
    acc = (acc & 0xffffffffu) + (acc >> 32);  // can itself carry out of 32 bits
    return static_cast<uint32_t>(acc);
}

namespace detail {
// Folds to 16 bits without complementing: the one's complement sum itself.
inline uint16_t fold_sum(uint32_t sum) {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}
}  // namespace detail

// Folds the carries of an unfolded sum and complements it: the value to store in a checksum
// field (network order, see the top of this file).
inline uint16_t fold(uint32_t sum) {
    return static_cast<uint16_t>(~detail::fold_sum(sum));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Eqn. 3 rather than eqn. 2 because it never turns
// a correct 0x0000 into 0xffff or back (RFC 1624 section 4), so an updated checksum is bit for
// bit what a full recomputation gives - except when every covered word becomes zero, where a
// full computation yields 0xffff and this 0x0000 (the same value in one's complement; no IPv4
// header or pseudo-header can be all zero).
inline uint16_t update16(uint16_t csum, uint16_t old_v, uint16_t new_v) {
    const uint32_t sum = uint32_t{static_cast<uint16_t>(~csum)} +
                         uint32_t{static_cast<uint16_t>(~old_v)} + uint32_t{new_v};
    return fold(sum);
}

// Same for a 32-bit field (an IPv4 address, a TCP sequence number). Adding the two halves of
// the raw word is the sum of its two 16-bit wire words whatever the host byte order, so the
// byte-order independence holds.
inline uint16_t update32(uint16_t csum, uint32_t old_v, uint32_t new_v) {
    const uint32_t old_sum = (old_v & 0xffff) + (old_v >> 16);
    const uint32_t new_sum = (new_v & 0xffff) + (new_v >> 16);
    const uint32_t sum = uint32_t{static_cast<uint16_t>(~csum)} +
                         uint32_t{static_cast<uint16_t>(~detail::fold_sum(old_sum))} + new_sum;
    return fold(sum);
}

// Same for a run of `n` bytes (an IPv6 address, a MAC in an ARP body) replaced in place.
// `n` must be even and the run must start at an even offset from the start of the checksummed
// area; `old_p` and `new_p` may not overlap a concurrently written buffer (copy the old bytes
// first when rewriting in place).
inline uint16_t update_bytes(uint16_t csum, const void* old_p, const void* new_p, size_t n) {
    // ~m summed over the old words is the complement of their one's complement sum.
    const uint32_t sum = uint32_t{static_cast<uint16_t>(~csum)} +
                         uint32_t{static_cast<uint16_t>(~detail::fold_sum(partial(old_p, n)))} +
                         uint32_t{detail::fold_sum(partial(new_p, n))};
    return fold(sum);
}

// IPv4 header checksum over `hdr_len` bytes (20..60, i.e. IHL * 4), computed as if the checksum
// field (bytes 10-11) were zero, so the caller need not clear it first.
inline uint16_t ipv4_header(const void* ip, size_t hdr_len) {
    const auto* p = static_cast<const uint8_t*>(ip);
    return fold(partial(p + 12, hdr_len - 12, partial(p, 10)));
}

// TCP/UDP/ICMPv6/... checksum with the IPv4 pseudo-header (RFC 793 / RFC 768): source and
// destination from `ip4hdr` (bytes 12-19), zero, `proto`, `l4_len`; then `l4_len` bytes at `l4`.
// The checksum field inside `l4` is summed as whatever is there: callers zero it first (or
// use update16 on an existing checksum instead). For UDP a computed 0x0000 must be sent as
// 0xffff, because 0 means "no checksum" (RFC 768) - that substitution is the caller's job, as
// it is not wanted for TCP or when verifying.
inline uint16_t l4_ipv4(const void* ip4hdr, const void* l4, size_t l4_len, uint8_t proto) {
    const auto* ip = static_cast<const uint8_t*>(ip4hdr);
    const uint8_t ph[4] = {0, proto, static_cast<uint8_t>(l4_len >> 8),
                           static_cast<uint8_t>(l4_len)};
    uint32_t sum = partial(ip + 12, 8);
    sum = partial(ph, sizeof ph, sum);
    return fold(partial(l4, l4_len, sum));
}

// Same with the IPv6 pseudo-header (RFC 8200 section 8.1): source and destination from
// `ip6hdr` (bytes 8-39), 32-bit upper-layer length, three zero bytes, next header `proto`.
// With a Routing header the pseudo-header must use the final destination: callers that send
// such packets pass a header copy carrying it. Zeroing and the UDP 0 -> 0xffff rule
// (mandatory checksum in IPv6, RFC 8200 section 8.1) are as for l4_ipv4.
inline uint16_t l4_ipv6(const void* ip6hdr, const void* l4, size_t l4_len, uint8_t proto) {
    const auto* ip = static_cast<const uint8_t*>(ip6hdr);
    // clang-format off
    const uint8_t ph[8] = {static_cast<uint8_t>(l4_len >> 24), static_cast<uint8_t>(l4_len >> 16),
                           static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len),
                           0, 0, 0, proto};
    // clang-format on
    uint32_t sum = partial(ip + 8, 32);
    sum = partial(ph, sizeof ph, sum);
    return fold(partial(l4, l4_len, sum));
}

}  // namespace scs::pkt::csum
