// Shared helpers of the parser tests (test_parse.cc, test_parse_geneve.cc).
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <vector>

#include "packet/builder.h"
#include "packet/parse.h"
#include "packet/proto.h"

namespace scs {
// gtest prints enum values as numbers otherwise.
inline void PrintTo(DropReason r, std::ostream* os) {
    *os << drop_reason_name(r);
}
}  // namespace scs

namespace scs::pkt {

using Bytes = std::vector<uint8_t>;

constexpr Mac kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
constexpr Mac kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
constexpr Ip4 kIpA{0x0a000001};
constexpr Ip4 kIpB{0x0a000002};
constexpr Ip6 kIp6A{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}};
constexpr Ip6 kIp6B{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b}};

struct Result {
    DropReason r;
    Layout l;
};

// Parses from an exact-size heap copy, so that AddressSanitizer sees any read past `len`
// (a std::vector's spare capacity would hide it).
inline Result parse(const Bytes& f) {
    std::unique_ptr<uint8_t[]> buf(f.empty() ? nullptr : new uint8_t[f.size()]);
    if (!f.empty()) std::memcpy(buf.get(), f.data(), f.size());
    Result res{};
    res.r = parse_frame(buf.get(), static_cast<uint32_t>(f.size()), res.l);
    return res;
}

inline DropReason reason(const Bytes& f) {
    return parse(f).r;
}

inline void put16(Bytes& f, size_t at, uint16_t v) {
    f.at(at) = static_cast<uint8_t>(v >> 8);
    f.at(at + 1) = static_cast<uint8_t>(v);
}

inline Bytes cut(Bytes f, size_t n) {
    f.resize(n);
    return f;
}

// Truncates to `n` bytes and, when the IP header at `l3` survives whole, makes its length field
// claim exactly the bytes kept: then the truncated header after it is what the parser must
// report, not the IP length.
inline Bytes cut_ip(Bytes f, size_t n, size_t l3) {
    f.resize(n);
    const bool v6 = f.size() > l3 && (f[l3] >> 4) == 6;
    if (!v6 && n >= l3 + kIp4HdrLen) put16(f, l3 + 2, static_cast<uint16_t>(n - l3));
    if (v6 && n >= l3 + kIp6HdrLen) put16(f, l3 + 4, static_cast<uint16_t>(n - l3 - kIp6HdrLen));
    return f;
}

inline FrameBuilder eth4() {
    return std::move(FrameBuilder().eth(kMacB, kMacA).ipv4(kIpA, kIpB));
}
inline FrameBuilder eth6() {
    return std::move(FrameBuilder().eth(kMacB, kMacA).ipv6(kIp6A, kIp6B));
}

// Invariants every successful parse must satisfy.
inline void expect_sane(const Layout& l, size_t len) {
    ASSERT_NE(l.l3, kNoOffset);
    EXPECT_EQ(l.l3, kEthHdrLen + kVlanHdrLen * l.n_vlans);
    EXPECT_LE(l.n_vlans, 2);
    EXPECT_LE(l.l3, l.l3_end);
    EXPECT_LE(l.l3_end, len);
    if (l.has_l4()) {
        EXPECT_LE(l.l3, l.l4);
        EXPECT_LE(l.l4, l.l3_end);
    }
    if (l.payload != kNoOffset) {
        EXPECT_TRUE(l.has_l4());
        EXPECT_LT(l.l4, l.payload);
        EXPECT_LE(l.payload, l.l3_end);
    }
    if (l.frag & kFragLater) {
        EXPECT_TRUE(l.frag & kFragAny);
        EXPECT_FALSE(l.has_l4());
    }
}


inline Bytes arp_request() {
    return FrameBuilder()
        .eth(Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kMacA)
        .arp(1, kMacA, kIpA, Mac{}, kIpB)
        .pad_to(60)
        .build();
}

}  // namespace scs::pkt
