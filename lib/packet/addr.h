// Ethernet and IP address value types, with strict text forms.
//
// Control path only: parse() and str() allocate and call inet_pton/inet_ntop. The types
// themselves are plain trivially-copyable values, so hot code may hold and compare them.
//
// Parsing is strict on purpose: an address in a Southbound row or on the CLI that is not exactly
// well formed ("1.2.3", "00:11:22:33:44", trailing junk, surrounding blanks) is rejected rather
// than half-read, so a typo surfaces as an error and not as a silently wrong table entry.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scs::pkt {

// 48-bit MAC address, bytes in wire order.
struct Mac {
    std::array<uint8_t, 6> b{};

    // Exactly six colon-separated pairs of hex digits ("0a:00:00:00:00:01", either case).
    static std::optional<Mac> parse(std::string_view s);
    // Lower-case "xx:xx:xx:xx:xx:xx", the form OVN writes in the Southbound database.
    std::string str() const;

    // Group bit (I/G) of the first octet: multicast and broadcast destinations.
    constexpr bool is_multicast() const { return (b[0] & 0x01) != 0; }
    // The address as a 48-bit integer, first byte most significant (what matches take).
    constexpr uint64_t u64() const {
        uint64_t v = 0;
        for (uint8_t x : b) v = v << 8 | x;
        return v;
    }
    constexpr bool is_broadcast() const {
        return b == std::array<uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    }

    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
    friend auto operator<=>(const Mac&, const Mac&) = default;
};

// IPv4 address. Kept in host order so that prefixes, ranges and ordering are plain integer
// operations; convert with bytes()/from_bytes() at the wire.
struct Ip4 {
    uint32_t v = 0;  // host order: 10.0.0.1 is 0x0a000001

    // Dotted quad with exactly four decimal parts (inet_pton(AF_INET) rules).
    static std::optional<Ip4> parse(std::string_view s);
    std::string str() const;

    // Wire (network) order bytes.
    constexpr std::array<uint8_t, 4> bytes() const {
        return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    }
    static constexpr Ip4 from_bytes(const uint8_t* p) {
        return Ip4{(uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) |
                   uint32_t{p[3]}};
    }

    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
    friend auto operator<=>(const Ip4&, const Ip4&) = default;
};

// IPv6 address, bytes in wire order.
struct Ip6 {
    std::array<uint8_t, 16> b{};

    // Any RFC 4291 text form inet_pton(AF_INET6) accepts; no zone ("%eth0"), no brackets.
    static std::optional<Ip6> parse(std::string_view s);
    // RFC 5952 canonical form (inet_ntop): lower case, longest zero run compressed.
    std::string str() const;

    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
    friend auto operator<=>(const Ip6&, const Ip6&) = default;
};

}  // namespace scs::pkt
