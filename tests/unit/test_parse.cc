// Parser tests: every header type, every DropReason the parser returns, truncation at every
// byte, lying length fields, fragments, IPv6 extension chains, Geneve options, and random input.
#include "packet/parse.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <vector>

#include "packet/builder.h"
#include "packet/proto.h"

namespace scs {
// gtest prints enum values as numbers otherwise.
void PrintTo(DropReason r, std::ostream* os) {
    *os << drop_reason_name(r);
}
}  // namespace scs

namespace scs::pkt {
namespace {

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
Result parse(const Bytes& f) {
    std::unique_ptr<uint8_t[]> buf(f.empty() ? nullptr : new uint8_t[f.size()]);
    if (!f.empty()) std::memcpy(buf.get(), f.data(), f.size());
    Result res{};
    res.r = parse_frame(buf.get(), static_cast<uint32_t>(f.size()), res.l);
    return res;
}

DropReason reason(const Bytes& f) {
    return parse(f).r;
}

void put16(Bytes& f, size_t at, uint16_t v) {
    f.at(at) = static_cast<uint8_t>(v >> 8);
    f.at(at + 1) = static_cast<uint8_t>(v);
}

Bytes cut(Bytes f, size_t n) {
    f.resize(n);
    return f;
}

// Truncates to `n` bytes and, when the IP header at `l3` survives whole, makes its length field
// claim exactly the bytes kept: then the truncated header after it is what the parser must
// report, not the IP length.
Bytes cut_ip(Bytes f, size_t n, size_t l3) {
    f.resize(n);
    const bool v6 = f.size() > l3 && (f[l3] >> 4) == 6;
    if (!v6 && n >= l3 + kIp4HdrLen) put16(f, l3 + 2, static_cast<uint16_t>(n - l3));
    if (v6 && n >= l3 + kIp6HdrLen) put16(f, l3 + 4, static_cast<uint16_t>(n - l3 - kIp6HdrLen));
    return f;
}

FrameBuilder eth4() {
    return std::move(FrameBuilder().eth(kMacB, kMacA).ipv4(kIpA, kIpB));
}
FrameBuilder eth6() {
    return std::move(FrameBuilder().eth(kMacB, kMacA).ipv6(kIp6A, kIp6B));
}

// Invariants every successful parse must satisfy.
void expect_sane(const Layout& l, size_t len) {
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

// ---------------------------------------------------------------------------------------------
// Ethernet and VLAN

TEST(ParseEth, NullFrameOfLengthZero) {
    Layout l;
    EXPECT_EQ(parse_frame(nullptr, 0, l), DropReason::EthTruncated);
}

TEST(ParseEth, TruncatedAtEveryLength) {
    const Bytes f = FrameBuilder().eth(kMacB, kMacA).eth_type(0x88b5).build();
    ASSERT_EQ(f.size(), 14u);
    for (size_t n = 0; n < 14; ++n) EXPECT_EQ(reason(cut(f, n)), DropReason::EthTruncated) << n;
    EXPECT_EQ(reason(f), DropReason::None);
}

TEST(ParseEth, UnknownEtherTypeStopsAtL2) {
    const Bytes f = FrameBuilder().eth(kMacB, kMacA).eth_type(0x88b5).payload_pattern(30).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.eth_type, 0x88b5);
    EXPECT_EQ(l.l3, 14);
    EXPECT_EQ(l.l3_end, f.size());
    EXPECT_EQ(l.l3_type, L3Type::None);
    EXPECT_FALSE(l.has_l4());
    EXPECT_EQ(l.payload, kNoOffset);
    EXPECT_EQ(l.n_vlans, 0);
}

TEST(ParseEth, LayoutIsResetOnEveryCall) {
    Layout l;
    l.l3 = 1;
    l.l4 = 2;
    l.payload = 3;
    l.l3_end = 4;
    l.n_vlans = 7;
    l.frag = 3;
    l.ip4_flags = 1;
    l.ip_proto = 9;
    l.vlan_tci = 5;
    l.eth_type = 6;
    l.l3_type = L3Type::Arp;
    const uint8_t junk[5] = {};
    EXPECT_EQ(parse_frame(junk, sizeof junk, l), DropReason::EthTruncated);
    const Layout fresh;
    EXPECT_EQ(std::memcmp(&l, &fresh, sizeof l), 0);
}

TEST(ParseVlan, SingleTag) {
    const Bytes f = FrameBuilder()
                        .eth(kMacB, kMacA)
                        .vlan(0x2064)
                        .ipv4(kIpA, kIpB)
                        .udp(1, 2)
                        .payload_pattern(4)
                        .build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.n_vlans, 1);
    EXPECT_EQ(l.vlan_tci, 0x2064);
    EXPECT_EQ(l.eth_type, kEthTypeIpv4);
    EXPECT_EQ(l.l3, 18);
    EXPECT_EQ(l.l4, 38);
    EXPECT_EQ(l.payload, 46);
    EXPECT_EQ(l.ip_proto, kIpProtoUdp);
}

TEST(ParseVlan, TwoTagsReportOuterTci) {
    for (uint16_t outer : {kEthTypeQinQ, kEthTypeVlan}) {
        for (uint16_t inner : {kEthTypeVlan, kEthTypeQinQ}) {
            const Bytes f = FrameBuilder()
                                .eth(kMacB, kMacA)
                                .vlan(0x0123, outer)
                                .vlan(0x0456, inner)
                                .ipv6(kIp6A, kIp6B)
                                .tcp(1, 2)
                                .build();
            const auto [r, l] = parse(f);
            ASSERT_EQ(r, DropReason::None);
            expect_sane(l, f.size());
            EXPECT_EQ(l.n_vlans, 2);
            EXPECT_EQ(l.vlan_tci, 0x0123);
            EXPECT_EQ(l.eth_type, kEthTypeIpv6);
            EXPECT_EQ(l.l3, 22);
            EXPECT_EQ(l.l4, 62);
            EXPECT_EQ(l.payload, 82);
        }
    }
}

TEST(ParseVlan, ThirdTagIsTooMany) {
    const Bytes f = FrameBuilder()
                        .eth(kMacB, kMacA)
                        .vlan(1, kEthTypeQinQ)
                        .vlan(2)
                        .vlan(3)
                        .ipv4(kIpA, kIpB)
                        .build();
    EXPECT_EQ(reason(f), DropReason::VlanTooMany);
    // Decided on the third TPID alone: its TCI need not be there.
    EXPECT_EQ(reason(cut(f, 22)), DropReason::VlanTooMany);
}

TEST(ParseVlan, TruncatedTagAtEveryLength) {
    const Bytes one = FrameBuilder().eth(kMacB, kMacA).vlan(7).eth_type(0x88b5).build();
    ASSERT_EQ(one.size(), 18u);
    for (size_t n = 14; n < 18; ++n) EXPECT_EQ(reason(cut(one, n)), DropReason::VlanTruncated);
    EXPECT_EQ(reason(one), DropReason::None);

    const Bytes two = FrameBuilder().eth(kMacB, kMacA).vlan(7).vlan(8).eth_type(0x88b5).build();
    ASSERT_EQ(two.size(), 22u);
    for (size_t n = 18; n < 22; ++n) EXPECT_EQ(reason(cut(two, n)), DropReason::VlanTruncated);
    EXPECT_EQ(reason(two), DropReason::None);
}

// ---------------------------------------------------------------------------------------------
// ARP

Bytes arp_request() {
    return FrameBuilder()
        .eth(Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kMacA)
        .arp(1, kMacA, kIpA, Mac{}, kIpB)
        .pad_to(60)
        .build();
}

TEST(ParseArp, Request) {
    const Bytes f = arp_request();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.l3_type, L3Type::Arp);
    EXPECT_EQ(l.eth_type, kEthTypeArp);
    EXPECT_EQ(l.l3, 14);
    EXPECT_EQ(l.l3_end, 42);  // padding excluded
    EXPECT_FALSE(l.has_l4());
}

TEST(ParseArp, OverVlan) {
    const Bytes f =
        FrameBuilder().eth(kMacB, kMacA).vlan(5).arp(2, kMacA, kIpA, kMacB, kIpB).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.l3_type, L3Type::Arp);
    EXPECT_EQ(l.l3, 18);
    EXPECT_EQ(l.l3_end, 46);
}

TEST(ParseArp, TruncatedAtEveryLength) {
    const Bytes f = arp_request();
    for (size_t n = 14; n < 42; ++n) EXPECT_EQ(reason(cut(f, n)), DropReason::ArpTruncated) << n;
    EXPECT_EQ(reason(cut(f, 42)), DropReason::None);
}

TEST(ParseArp, MalformedFields) {
    struct Case {
        size_t at;
        uint8_t v;
    };
    // htype 2 (not Ethernet), ptype 0x86dd, hlen 8, plen 16.
    for (const Case c : {Case{15, 2}, Case{16, 0x86}, Case{17, 0xdd}, Case{18, 8}, Case{19, 16}}) {
        Bytes f = arp_request();
        f[c.at] = c.v;
        EXPECT_EQ(reason(f), DropReason::ArpMalformed) << c.at;
    }
    // The opcode is the logical flows' business, not the parser's.
    Bytes f = arp_request();
    put16(f, 20, 0x1234);
    EXPECT_EQ(reason(f), DropReason::None);
}

// ---------------------------------------------------------------------------------------------
// IPv4

TEST(ParseIp4, UdpOffsetsAndPadding) {
    const Bytes f = eth4().udp(1000, 53).payload_pattern(4).pad_to(60).build();
    ASSERT_EQ(f.size(), 60u);
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.l3_type, L3Type::Ipv4);
    EXPECT_EQ(l.eth_type, kEthTypeIpv4);
    EXPECT_EQ(l.l3, 14);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, 42);
    EXPECT_EQ(l.l3_end, 46);  // 20 + 8 + 4: the 14 padding bytes are not IP
    EXPECT_EQ(l.ip_proto, kIpProtoUdp);
    EXPECT_EQ(l.frag, kFragNone);
    EXPECT_EQ(l.ip4_flags, 0);
}

TEST(ParseIp4, TruncatedHeaderAtEveryLength) {
    const Bytes f = eth4().udp(1, 2).payload_pattern(10).build();
    for (size_t n = 14; n < 34; ++n) EXPECT_EQ(reason(cut(f, n)), DropReason::Ip4Truncated) << n;
}

TEST(ParseIp4, TotalLengthBeyondFrame) {
    const Bytes f = eth4().udp(1, 2).payload_pattern(10).build();
    // Cutting without fixing the length field: the header now lies about the packet.
    for (size_t n = 34; n < f.size(); ++n) EXPECT_EQ(reason(cut(f, n)), DropReason::Ip4BadLength);
    EXPECT_EQ(reason(f), DropReason::None);
}

TEST(ParseIp4, BadVersion) {
    for (uint8_t v : {0x05, 0x06, 0x00, 0x0f}) {
        Bytes f = eth4().udp(1, 2).build();
        f[14] = static_cast<uint8_t>(v << 4 | 5);
        EXPECT_EQ(reason(f), DropReason::Ip4BadVersion) << int{v};
    }
}

TEST(ParseIp4, IhlBelowFive) {
    for (uint8_t ihl = 0; ihl < 5; ++ihl) {
        Bytes f = eth4().udp(1, 2).build();
        f[14] = static_cast<uint8_t>(0x40 | ihl);
        EXPECT_EQ(reason(f), DropReason::Ip4BadIhl) << int{ihl};
    }
}

TEST(ParseIp4, IhlBeyondFrame) {
    Bytes f = eth4().payload_pattern(20).build();  // 40 bytes of IP
    f[14] = 0x4f;                                  // claims 60 bytes of header
    EXPECT_EQ(reason(f), DropReason::Ip4BadIhl);
    f[14] = 0x4a;  // exactly 40: fits
    EXPECT_EQ(reason(f), DropReason::None);
}

TEST(ParseIp4, TotalLengthShorterThanHeader) {
    for (uint16_t total : {0, 1, 19}) {
        Bytes f = eth4().udp(1, 2).build();
        put16(f, 16, total);
        EXPECT_EQ(reason(f), DropReason::Ip4BadLength) << total;
    }
    Bytes f = eth4().ipv4_options(Bytes{1, 1, 1, 1}).udp(1, 2).build();
    put16(f, 16, 22);  // >= 20 but < IHL * 4 = 24
    EXPECT_EQ(reason(f), DropReason::Ip4BadLength);
}

TEST(ParseIp4, Options) {
    const Bytes ra{0x94, 0x04, 0x00, 0x00};  // Router Alert (RFC 2113)
    const Bytes f = eth4().ipv4_options(ra).tcp(1, 2).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.ip4_flags, kIp4HasOptions);
    EXPECT_EQ(l.l4, 38);
    EXPECT_EQ(l.payload, 58);

    Bytes forty(40, 1);  // 40 NOPs: the largest IHL
    const Bytes g = eth4().ipv4_options(forty).udp(1, 2).build();
    const auto [r2, l2] = parse(g);
    ASSERT_EQ(r2, DropReason::None);
    EXPECT_EQ(l2.l4, 74);
    EXPECT_EQ(l2.payload, 82);
    // Cut inside the options: the header is whole (20 bytes) but IHL reaches past the frame.
    for (size_t n = 34; n < 74; ++n) EXPECT_EQ(reason(cut(g, n)), DropReason::Ip4BadIhl) << n;
}

TEST(ParseIp4, UnknownProtocol) {
    const Bytes f = eth4().ip_proto(47).payload_pattern(24).build();  // GRE
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.ip_proto, 47);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, kNoOffset);

    // No upper-layer bytes at all: l4 sits at the end of the packet.
    const Bytes g = eth4().ip_proto(253).build();
    const auto [r2, l2] = parse(g);
    ASSERT_EQ(r2, DropReason::None);
    EXPECT_EQ(l2.l4, 34);
    EXPECT_EQ(l2.l3_end, 34);
}

TEST(ParseIp4, Icmpv6UnderIpv4IsUnknown) {
    const Bytes f = eth4().ip_proto(kIpProtoIcmp6).payload_pattern(2).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, kNoOffset);
}

// ---------------------------------------------------------------------------------------------
// IPv4 fragments

TEST(ParseIp4Frag, DontFragmentIsNotAFragment) {
    const Bytes f =
        FrameBuilder().eth(kMacB, kMacA).ipv4(kIpA, kIpB, 64, 0, 7, true).udp(1, 2).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.frag, kFragNone);
}

TEST(ParseIp4Frag, FirstFragmentHasL4) {
    // A first fragment whose UDP length counts the whole datagram (100 + 8), more than it holds.
    Bytes f = eth4().ipv4_frag(0, true).udp(1, 2).payload_pattern(100).build();
    f = cut_ip(f, 14 + 20 + 8 + 48, 14);
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.frag, kFragAny);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, 42);

    // The same bytes as a whole packet: the UDP length now lies.
    Bytes whole = f;
    whole[20] = 0;  // clear MF
    EXPECT_EQ(reason(whole), DropReason::UdpBadLength);
}

TEST(ParseIp4Frag, TinyFirstFragmentIsDropped) {
    // RFC 1858: a first fragment that splits the TCP header.
    Bytes f = eth4().ipv4_frag(0, true).tcp(1, 2).build();
    EXPECT_EQ(reason(cut_ip(f, 34 + 16, 14)), DropReason::TcpTruncated);
}

TEST(ParseIp4Frag, LaterFragmentsHaveNoL4) {
    for (bool more : {true, false}) {
        // The bytes after the IP header are mid-datagram data; a garbage "TCP header" there
        // (data offset 0) must not be looked at.
        Bytes f = eth4().ipv4_frag(185, more).ip_proto(kIpProtoTcp).payload(Bytes(24, 0)).build();
        const auto [r, l] = parse(f);
        ASSERT_EQ(r, DropReason::None);
        expect_sane(l, f.size());
        EXPECT_EQ(l.frag, kFragAny | kFragLater);
        EXPECT_EQ(l.ip_proto, kIpProtoTcp);
        EXPECT_FALSE(l.has_l4());
        EXPECT_EQ(l.payload, kNoOffset);
        EXPECT_EQ(l.l3_end, 58);
        // Even a later fragment with no data at all is fine.
        EXPECT_EQ(reason(cut_ip(f, 34, 14)), DropReason::None);
    }
}

TEST(ParseIp4Frag, LargestOffset) {
    const Bytes f =
        eth4().ipv4_frag(0x1fff, false).ip_proto(kIpProtoUdp).payload_pattern(8).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.frag, kFragAny | kFragLater);
}

// ---------------------------------------------------------------------------------------------
// TCP

TEST(ParseTcp, Offsets) {
    const Bytes f = eth4().tcp(40000, 80, 0x18, 1).payload_pattern(10).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.ip_proto, kIpProtoTcp);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, 54);
    EXPECT_EQ(l.l3_end, 64);
}

TEST(ParseTcp, WithOptions) {
    const Bytes mss_sack_ts{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
    const Bytes f = eth4().tcp(1, 2).tcp_options(mss_sack_ts).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.payload, 34 + 36);
    // Cut inside the options (IP length fixed): the data offset reaches past the packet.
    for (size_t n = 54; n < 70; ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::TcpBadOffset) << n;
    }
}

TEST(ParseTcp, TruncatedAtEveryLength) {
    const Bytes f = eth4().tcp(1, 2).build();
    for (size_t n = 34; n < 54; ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::TcpTruncated) << n;
    }
    const Bytes g = eth6().tcp(1, 2).build();
    for (size_t n = 54; n < 74; ++n) {
        EXPECT_EQ(reason(cut_ip(g, n, 14)), DropReason::TcpTruncated) << n;
    }
}

TEST(ParseTcp, PaddingIsNotTcp) {
    // 10 bytes of TCP in a padded 60-byte frame: the frame has 26 bytes after the IP header,
    // the IP packet only 10.
    Bytes f = eth4().ip_proto(kIpProtoTcp).payload_pattern(10).pad_to(60).build();
    EXPECT_EQ(reason(f), DropReason::TcpTruncated);
}

TEST(ParseTcp, DataOffsetBelowFive) {
    for (uint8_t doff = 0; doff < 5; ++doff) {
        Bytes f = eth4().tcp(1, 2).payload_pattern(40).build();
        f[34 + 12] = static_cast<uint8_t>(doff << 4);
        EXPECT_EQ(reason(f), DropReason::TcpBadOffset) << int{doff};
    }
}

TEST(ParseTcp, DataOffsetBeyondPacket) {
    Bytes f = eth4().tcp(1, 2).payload_pattern(39).pad_to(200).build();  // 59 bytes of TCP
    f[34 + 12] = 0xf0;                                                   // claims 60
    EXPECT_EQ(reason(f), DropReason::TcpBadOffset);
    f = eth4().tcp(1, 2).payload_pattern(40).build();
    f[34 + 12] = 0xf0;
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.payload, l.l3_end);
}

// ---------------------------------------------------------------------------------------------
// UDP

TEST(ParseUdp, TruncatedAtEveryLength) {
    const Bytes f = eth4().udp(1, 2).build();
    for (size_t n = 34; n < 42; ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::UdpTruncated) << n;
    }
    const Bytes g = eth6().udp(1, 2).build();
    for (size_t n = 54; n < 62; ++n) {
        EXPECT_EQ(reason(cut_ip(g, n, 14)), DropReason::UdpTruncated) << n;
    }
}

TEST(ParseUdp, LengthField) {
    const Bytes f = eth4().udp(1, 2).payload_pattern(20).build();  // UDP length 28
    auto with_len = [&](uint16_t ulen) {
        Bytes g = f;
        put16(g, 38, ulen);
        return reason(g);
    };
    for (uint16_t bad : {0, 1, 7, 29, 0xffff}) {
        EXPECT_EQ(with_len(bad), DropReason::UdpBadLength) << bad;
    }
    for (uint16_t good : {8, 9, 27, 28}) EXPECT_EQ(with_len(good), DropReason::None) << good;

    // The bound is the IP packet, not the frame: padding does not make room.
    Bytes p = eth4().udp(1, 2).payload_pattern(2).pad_to(60).build();
    put16(p, 38, 20);
    EXPECT_EQ(reason(p), DropReason::UdpBadLength);
    // Cutting the frame (IP length fixed) leaves the UDP length lying.
    for (size_t n = 42; n < f.size(); ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::UdpBadLength) << n;
    }
}

// ---------------------------------------------------------------------------------------------
// SCTP, ICMP, ICMPv6

TEST(ParseSctp, OffsetsAndTruncation) {
    const Bytes f = eth4().sctp(5000, 5001).payload_pattern(16).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.ip_proto, kIpProtoSctp);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, 46);
    for (size_t n = 34; n < 46; ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::SctpTruncated) << n;
    }
    EXPECT_EQ(reason(cut_ip(f, 46, 14)), DropReason::None);

    const Bytes g = eth6().sctp(5000, 5001).build();
    const auto [r6, l6] = parse(g);
    ASSERT_EQ(r6, DropReason::None);
    EXPECT_EQ(l6.payload, 66);
}

TEST(ParseIcmp, OffsetsAndTruncation) {
    const Bytes f = eth4().icmp4(8, 0, 0x00010001).payload_pattern(56).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.ip_proto, kIpProtoIcmp);
    EXPECT_EQ(l.l4, 34);
    EXPECT_EQ(l.payload, 42);
    for (size_t n = 34; n < 42; ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::IcmpTruncated) << n;
    }
    EXPECT_EQ(reason(cut_ip(f, 42, 14)), DropReason::None);
}

TEST(ParseIcmp6, OffsetsAndTruncation) {
    const Bytes f = eth6().icmp6(135, 0).payload(Bytes(16, 0xfe)).build();  // neighbor solicit
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.ip_proto, kIpProtoIcmp6);
    EXPECT_EQ(l.l4, 54);
    EXPECT_EQ(l.payload, 58);  // type, code, checksum; the next 4 bytes depend on the type
    for (size_t n = 54; n < 58; ++n) {
        EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::Icmp6Truncated) << n;
    }
    for (size_t n = 58; n < 62; ++n) EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::None) << n;
}

TEST(ParseIcmp6, IcmpUnderIpv6IsUnknown) {
    const Bytes f = eth6().ip_proto(kIpProtoIcmp).payload_pattern(2).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.ip_proto, kIpProtoIcmp);
    EXPECT_EQ(l.l4, 54);
    EXPECT_EQ(l.payload, kNoOffset);
}

// ---------------------------------------------------------------------------------------------
// IPv6

TEST(ParseIp6, TcpOffsetsAndPadding) {
    const Bytes f = eth6().tcp(1, 2).payload_pattern(3).pad_to(120).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.l3_type, L3Type::Ipv6);
    EXPECT_EQ(l.eth_type, kEthTypeIpv6);
    EXPECT_EQ(l.l3, 14);
    EXPECT_EQ(l.l4, 54);
    EXPECT_EQ(l.payload, 74);
    EXPECT_EQ(l.l3_end, 77);
    EXPECT_EQ(l.ip_proto, kIpProtoTcp);
    EXPECT_EQ(l.frag, kFragNone);
}

TEST(ParseIp6, TruncatedHeaderAtEveryLength) {
    const Bytes f = eth6().udp(1, 2).build();
    for (size_t n = 14; n < 54; ++n) EXPECT_EQ(reason(cut(f, n)), DropReason::Ip6Truncated) << n;
}

TEST(ParseIp6, PayloadLengthBeyondFrame) {
    const Bytes f = eth6().udp(1, 2).payload_pattern(8).build();
    for (size_t n = 54; n < f.size(); ++n) EXPECT_EQ(reason(cut(f, n)), DropReason::Ip6BadLength);
    Bytes g = f;
    put16(g, 18, 0xffff);
    EXPECT_EQ(reason(g), DropReason::Ip6BadLength);
}

TEST(ParseIp6, BadVersion) {
    for (uint8_t v : {0x04, 0x00, 0x07, 0x0f}) {
        Bytes f = eth6().udp(1, 2).build();
        f[14] = static_cast<uint8_t>(v << 4 | (f[14] & 0x0f));
        EXPECT_EQ(reason(f), DropReason::Ip6BadVersion) << int{v};
    }
}

TEST(ParseIp6, EachExtensionHeader) {
    for (uint8_t type : {kIpProtoHopOpts, kIpProtoRouting, kIpProtoDstOpts, kIpProtoMobility}) {
        for (size_t body : {6u, 14u, 22u}) {  // 8, 16, 24 bytes: length field 0, 1, 2
            const Bytes f = eth6().ipv6_ext(type, Bytes(body, 0)).udp(1, 2).build();
            const auto [r, l] = parse(f);
            ASSERT_EQ(r, DropReason::None) << int{type} << " " << body;
            expect_sane(l, f.size());
            EXPECT_EQ(l.l4, 54 + body + 2) << int{type};
            EXPECT_EQ(l.payload, 62 + body + 2);
            EXPECT_EQ(l.ip_proto, kIpProtoUdp);
            EXPECT_EQ(l.frag, kFragNone);
        }
    }
}

TEST(ParseIp6, AuthenticationHeaderCountsFourByteWords) {
    // Length field 1 = (1 + 2) * 4 = 12 bytes, 4 = 24 bytes: not what the 8-byte rule gives.
    for (size_t body : {10u, 22u}) {
        const Bytes f = eth6().ipv6_ext(kIpProtoAh, Bytes(body, 0xaa)).tcp(1, 2).build();
        ASSERT_EQ(f[55], body == 10 ? 1 : 4);
        const auto [r, l] = parse(f);
        ASSERT_EQ(r, DropReason::None);
        EXPECT_EQ(l.l4, 54 + body + 2);
        EXPECT_EQ(l.ip_proto, kIpProtoTcp);
    }
}

TEST(ParseIp6, ExtensionHeaderTruncatedAtEveryLength) {
    for (uint8_t type :
         {kIpProtoHopOpts, kIpProtoRouting, kIpProtoDstOpts, kIpProtoMobility, kIpProtoAh}) {
        const Bytes f = eth6().ipv6_ext(type, Bytes(14, 0)).udp(1, 2).build();  // 16 bytes
        for (size_t n = 54; n < 70; ++n) {
            EXPECT_EQ(reason(cut_ip(f, n, 14)), DropReason::Ip6ExtTruncated)
                << int{type} << " " << n;
        }
        EXPECT_EQ(reason(cut_ip(f, 70, 14)), DropReason::UdpTruncated);
    }
    const Bytes g = eth6().ipv6_frag(0, true, 1).udp(1, 2).build();
    for (size_t n = 54; n < 62; ++n) {
        EXPECT_EQ(reason(cut_ip(g, n, 14)), DropReason::Ip6ExtTruncated) << n;
    }
}

TEST(ParseIp6, ExtensionLengthLies) {
    Bytes f = eth6().ipv6_ext(kIpProtoDstOpts, Bytes(6, 0)).udp(1, 2).pad_to(400).build();
    f[55] = 255;  // claims 2048 bytes
    EXPECT_EQ(reason(f), DropReason::Ip6ExtTruncated);
    // Bounded by the payload length, not the frame: 8 bytes of padding are no extension header.
    Bytes g = eth6().ip_proto(kIpProtoHopOpts).pad_to(100).build();
    EXPECT_EQ(reason(g), DropReason::Ip6ExtTruncated);
}

TEST(ParseIp6, ChainOfEightIsTheLimit) {
    const uint8_t kinds[] = {kIpProtoHopOpts, kIpProtoDstOpts,  kIpProtoRouting,
                             kIpProtoAh,      kIpProtoMobility, kIpProtoDstOpts,
                             kIpProtoRouting, kIpProtoDstOpts,  kIpProtoDstOpts};
    for (size_t count = 1; count <= 9; ++count) {
        FrameBuilder b = eth6();
        size_t ext_bytes = 0;
        for (size_t i = 0; i < count; ++i) {
            b.ipv6_ext(kinds[i], Bytes(6, 0));
            ext_bytes += 8;
        }
        const Bytes f = b.tcp(1, 2).build();
        const auto [r, l] = parse(f);
        if (count <= 8) {
            ASSERT_EQ(r, DropReason::None) << count;
            expect_sane(l, f.size());
            EXPECT_EQ(l.l4, 54 + ext_bytes);
            EXPECT_EQ(l.ip_proto, kIpProtoTcp);
        } else {
            EXPECT_EQ(r, DropReason::Ip6ExtTooMany) << count;
        }
    }
    // A fragment header counts too.
    FrameBuilder b = eth6();
    for (int i = 0; i < 8; ++i) b.ipv6_ext(kIpProtoDstOpts, Bytes(6, 0));
    EXPECT_EQ(reason(b.ipv6_frag(0, false).udp(1, 2).build()), DropReason::Ip6ExtTooMany);
}

TEST(ParseIp6, EspAndNoNextStopTheWalk) {
    const Bytes esp = eth6()
                          .ipv6_ext(kIpProtoHopOpts, Bytes(6, 0))
                          .ip_proto(kIpProtoEsp)
                          .payload_pattern(32)
                          .build();
    const auto [r, l] = parse(esp);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.ip_proto, kIpProtoEsp);
    EXPECT_EQ(l.l4, 62);
    EXPECT_EQ(l.payload, kNoOffset);

    const Bytes none = eth6().ipv6_ext(kIpProtoDstOpts, Bytes(6, 0)).build();  // next = 59
    ASSERT_EQ(none[54], kIpProtoNoNext);
    const auto [r2, l2] = parse(none);
    ASSERT_EQ(r2, DropReason::None);
    EXPECT_EQ(l2.ip_proto, kIpProtoNoNext);
    EXPECT_EQ(l2.l4, 62);
    EXPECT_EQ(l2.l4, l2.l3_end);
    EXPECT_EQ(l2.payload, kNoOffset);
}

TEST(ParseIp6Frag, FirstFragment) {
    // The UDP length counts the whole datagram, more than this fragment holds.
    Bytes f = eth6().ipv6_frag(0, true, 0x1234).udp(1, 2).payload_pattern(100).build();
    f = cut_ip(f, 54 + 8 + 8 + 40, 14);
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    expect_sane(l, f.size());
    EXPECT_EQ(l.frag, kFragAny);
    EXPECT_EQ(l.ip_proto, kIpProtoUdp);
    EXPECT_EQ(l.l4, 62);
    EXPECT_EQ(l.payload, 70);
}

TEST(ParseIp6Frag, AtomicFragmentIsWhole) {
    // Offset 0, M clear (RFC 6946): still ip.is_frag, and the UDP length is checked.
    Bytes f = eth6().ipv6_frag(0, false).udp(1, 2).payload_pattern(16).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.frag, kFragAny);
    EXPECT_EQ(l.payload, 70);
    put16(f, 62 + 4, 100);
    EXPECT_EQ(reason(f), DropReason::UdpBadLength);
}

TEST(ParseIp6Frag, LaterFragment) {
    for (bool more : {true, false}) {
        // After the fragment header: mid-datagram bytes, here zeros, which as a TCP header
        // would have data offset 0 - they must not be looked at.
        const Bytes f = eth6()
                            .ipv6_ext(kIpProtoDstOpts, Bytes(6, 0))
                            .ipv6_frag(77, more)
                            .ip_proto(kIpProtoTcp)
                            .payload(Bytes(8, 0))
                            .build();
        const auto [r, l] = parse(f);
        ASSERT_EQ(r, DropReason::None);
        expect_sane(l, f.size());
        EXPECT_EQ(l.frag, kFragAny | kFragLater);
        EXPECT_EQ(l.ip_proto, kIpProtoTcp);
        EXPECT_FALSE(l.has_l4());
        EXPECT_EQ(l.payload, kNoOffset);
    }
}

TEST(ParseIp6Frag, ExtensionHeadersAfterFirstFragmentAreWalked) {
    const Bytes f =
        eth6().ipv6_frag(0, true).ipv6_ext(kIpProtoDstOpts, Bytes(6, 0)).icmp6(128, 0, 1).build();
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.frag, kFragAny);
    EXPECT_EQ(l.ip_proto, kIpProtoIcmp6);
    EXPECT_EQ(l.l4, 70);
    EXPECT_EQ(l.payload, 74);
}

// ---------------------------------------------------------------------------------------------
// Geneve

// One Geneve option TLV; `data` must be a multiple of 4 bytes.
Bytes opt(uint16_t cls, uint8_t type, const Bytes& data, uint8_t flags = 0) {
    // Byte by byte: GCC 12 at -O3 misreports both insert() after a 4-element initializer list
    // (-Warray-bounds) and indexing a freshly sized vector (-Wnull-dereference).
    Bytes o;
    o.reserve(4 + data.size());
    o.push_back(static_cast<uint8_t>(cls >> 8));
    o.push_back(static_cast<uint8_t>(cls));
    o.push_back(type);
    o.push_back(static_cast<uint8_t>(flags << 5 | data.size() / 4));
    for (uint8_t b : data) o.push_back(b);
    return o;
}

Bytes ovn_opt(uint16_t ingress, uint16_t egress) {
    return opt(kOvnGeneveClass, kOvnGeneveType,
               Bytes{static_cast<uint8_t>(ingress >> 8), static_cast<uint8_t>(ingress),
                     static_cast<uint8_t>(egress >> 8), static_cast<uint8_t>(egress)});
}

struct GeneveHdr {
    uint8_t ver = 0;
    int opt_words = -1;  // -1: from the options
    uint8_t flags = 0x40;
    uint16_t proto = kEthTypeTeb;
    uint32_t vni = 0x00abcdef;
    std::vector<Bytes> opts;
};

Bytes inner_frame() {
    return eth4().udp(1, 2).payload_pattern(6).build();
}

// Outer Eth/IPv4/UDP(6081) + the Geneve header described + `inner`.
Bytes geneve_frame(const GeneveHdr& g, const Bytes& inner) {
    Bytes o;
    for (const auto& x : g.opts) o.insert(o.end(), x.begin(), x.end());
    const int words = g.opt_words >= 0 ? g.opt_words : static_cast<int>(o.size() / 4);
    Bytes h{static_cast<uint8_t>(g.ver << 6 | words),
            g.flags,
            static_cast<uint8_t>(g.proto >> 8),
            static_cast<uint8_t>(g.proto),
            static_cast<uint8_t>(g.vni >> 16),
            static_cast<uint8_t>(g.vni >> 8),
            static_cast<uint8_t>(g.vni),
            0};
    h.insert(h.end(), o.begin(), o.end());
    h.insert(h.end(), inner.begin(), inner.end());
    return FrameBuilder()
        .eth(kMacB, kMacA)
        .ipv4(kIpA, kIpB)
        .udp(49152, kGenevePort, false)
        .payload(h)
        .build();
}

constexpr uint16_t kGeneveOff = 42;

struct GResult {
    DropReason r;
    GeneveInfo g;
};

GResult parse_g(const Bytes& f, uint16_t off = kGeneveOff) {
    std::unique_ptr<uint8_t[]> buf(f.empty() ? nullptr : new uint8_t[f.size()]);
    if (!f.empty()) std::memcpy(buf.get(), f.data(), f.size());
    GResult res{};
    res.r = parse_geneve(buf.get(), static_cast<uint32_t>(f.size()), off, res.g);
    return res;
}

TEST(ParseGeneve, OvnEncapRoundTrip) {
    const Bytes inner = inner_frame();
    const Bytes f = geneve_encap(kMacB, kMacA, kIpA, kIpB, 51000, 0x123456, 0x7fff, 0x8002, inner);
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    ASSERT_EQ(l.ip_proto, kIpProtoUdp);
    ASSERT_EQ(l.payload, kGeneveOff);
    const auto [gr, g] = parse_g(f, l.payload);
    ASSERT_EQ(gr, DropReason::None);
    EXPECT_EQ(g.vni, 0x123456u);
    EXPECT_TRUE(g.has_ovn_tlv);
    EXPECT_EQ(g.ingress_port, 0x7fff);
    EXPECT_EQ(g.egress_port, 0x8002);  // multicast group key
    EXPECT_TRUE(g.critical);
    EXPECT_FALSE(g.oam);
    EXPECT_EQ(g.inner, kGeneveOff + 16);
    ASSERT_EQ(f.size() - g.inner, inner.size());
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), f.begin() + g.inner));

    const Bytes in(f.begin() + g.inner, f.end());
    const auto [ir, il] = parse(in);
    EXPECT_EQ(ir, DropReason::None);
    EXPECT_EQ(il.payload, 42);
}

TEST(ParseGeneve, NoOptions) {
    GeneveHdr h;
    h.flags = 0;
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_FALSE(g.has_ovn_tlv);
    EXPECT_FALSE(g.critical);
    EXPECT_EQ(g.vni, 0xabcdefu);
    EXPECT_EQ(g.inner, kGeneveOff + 8);
}

TEST(ParseGeneve, OvnOptionNotFirst) {
    GeneveHdr h;
    h.opts = {opt(0x0101, 0x01, Bytes(8, 0x11)), opt(0xffff, 0x7f, {}), ovn_opt(5, 6),
              opt(0x0103, 0x02, Bytes(4, 0x22))};
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_TRUE(g.has_ovn_tlv);
    EXPECT_EQ(g.ingress_port, 5);
    EXPECT_EQ(g.egress_port, 6);
    EXPECT_EQ(g.inner, kGeneveOff + 8 + 12 + 4 + 8 + 8);
}

TEST(ParseGeneve, SeveralOptionsWithoutOvn) {
    GeneveHdr h;
    h.opts = {opt(0x0101, 0x01, Bytes(124, 0x11)), opt(0x0102, 0x81, Bytes(4, 1)),
              opt(0x0102, 0x00, Bytes(4, 1))};
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_FALSE(g.has_ovn_tlv);
    EXPECT_EQ(g.inner, kGeneveOff + 8 + 128 + 8 + 8);
}

TEST(ParseGeneve, LargestOptionArea) {
    GeneveHdr h;  // 63 words = 252 bytes: 124 + 4 + 4 + 120
    h.opts = {opt(0x0101, 1, Bytes(120, 0)), ovn_opt(1, 2), opt(0x0101, 2, Bytes(116, 0))};
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_TRUE(g.has_ovn_tlv);
    EXPECT_EQ(g.inner, kGeneveOff + 8 + 252);
}

TEST(ParseGeneve, FirstOvnOptionWins) {
    GeneveHdr h;
    h.opts = {ovn_opt(1, 2), ovn_opt(3, 4)};
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(g.ingress_port, 1);
    EXPECT_EQ(g.egress_port, 2);
}

TEST(ParseGeneve, OvnClassAndTypeWithOtherLengthIsNotOvns) {
    GeneveHdr h;
    h.opts = {opt(kOvnGeneveClass, kOvnGeneveType, Bytes(8, 0x01))};
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_FALSE(g.has_ovn_tlv);
}

TEST(ParseGeneve, ReservedBitsIgnored) {
    GeneveHdr h;
    h.flags = 0xff;                                 // O, C and all reserved bits
    h.opts = {opt(kOvnGeneveClass, kOvnGeneveType,  // option's R bits set too
                  Bytes{0xff, 0xff, 0x00, 0x01}, 0x7)};
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    ASSERT_EQ(r, DropReason::None);
    EXPECT_TRUE(g.oam);
    EXPECT_TRUE(g.critical);
    EXPECT_TRUE(g.has_ovn_tlv);
    EXPECT_EQ(g.ingress_port, 0x7fff);  // the top (reserved) bit is not part of the key
    EXPECT_EQ(g.egress_port, 1);
}

TEST(ParseGeneve, BadVersion) {
    for (uint8_t v : {1, 2, 3}) {
        GeneveHdr h;
        h.ver = v;
        h.opts = {ovn_opt(1, 2)};
        EXPECT_EQ(parse_g(geneve_frame(h, inner_frame())).r, DropReason::GeneveBadVersion);
    }
}

TEST(ParseGeneve, OptionRunsPastOptionArea) {
    GeneveHdr h;
    h.opts = {opt(0x0101, 1, Bytes(8, 0)), ovn_opt(1, 2)};  // 12 + 8 bytes
    for (int words : {1, 2, 4}) {  // inside the first option, inside the second
        h.opt_words = words;
        EXPECT_EQ(parse_g(geneve_frame(h, inner_frame())).r, DropReason::GeneveBadOption) << words;
    }
    h.opt_words = 3;  // exactly the first option: fine, the OVN one is then inner data
    const auto [r, g] = parse_g(geneve_frame(h, inner_frame()));
    EXPECT_EQ(r, DropReason::None);
    EXPECT_FALSE(g.has_ovn_tlv);
    h.opt_words = 5;
    EXPECT_EQ(parse_g(geneve_frame(h, inner_frame())).r, DropReason::None);

    GeneveHdr big;  // an option claiming 31 words in a 2-word area
    big.opts = {opt(0x0101, 1, Bytes(4, 0))};
    big.opts[0][3] = 31;
    EXPECT_EQ(parse_g(geneve_frame(big, inner_frame())).r, DropReason::GeneveBadOption);
}

TEST(ParseGeneve, TruncatedAtEveryLength) {
    GeneveHdr h;
    h.opts = {ovn_opt(1, 2), opt(0x0101, 3, Bytes(8, 0))};
    const Bytes f = geneve_frame(h, {});
    ASSERT_EQ(f.size(), kGeneveOff + 8u + 20u);
    for (size_t n = 0; n < f.size(); ++n) {
        EXPECT_EQ(parse_g(cut(f, n)).r, DropReason::GeneveTruncated) << n;
    }
    // An empty inner frame is the caller's problem (its Ethernet parse fails).
    const auto [r, g] = parse_g(f);
    EXPECT_EQ(r, DropReason::None);
    EXPECT_EQ(g.inner, f.size());
    // Option length beyond the frame.
    GeneveHdr lie;
    lie.opt_words = 63;
    EXPECT_EQ(parse_g(geneve_frame(lie, inner_frame())).r, DropReason::GeneveTruncated);
}

TEST(ParseGeneve, OffsetOutsideFrame) {
    const Bytes f = geneve_encap(kMacB, kMacA, kIpA, kIpB, 1, 2, 3, 4, inner_frame());
    GeneveInfo g;
    EXPECT_EQ(parse_geneve(f.data(), static_cast<uint32_t>(f.size()), 0xffff, g),
              DropReason::GeneveTruncated);
    EXPECT_EQ(parse_geneve(f.data(), static_cast<uint32_t>(f.size()),
                           static_cast<uint16_t>(f.size() - 7), g),
              DropReason::GeneveTruncated);
    EXPECT_EQ(parse_geneve(nullptr, 0, 0, g), DropReason::GeneveTruncated);
}

TEST(ParseGeneve, NotEthernet) {
    for (uint16_t proto : {kEthTypeIpv4, kEthTypeIpv6, uint16_t{0}}) {
        GeneveHdr h;
        h.proto = proto;
        h.opts = {ovn_opt(1, 2)};
        EXPECT_EQ(parse_g(geneve_frame(h, inner_frame())).r, DropReason::GeneveNotEthernet);
    }
}

// ---------------------------------------------------------------------------------------------
// Every parser DropReason, in one table

TEST(ParseReasons, EveryParserReasonIsReachable) {
    struct Case {
        DropReason want;
        Bytes frame;
        bool geneve = false;
    };
    auto mod = [](Bytes f, size_t at, uint8_t v) {
        f.at(at) = v;
        return f;
    };
    GeneveHdr ver;
    ver.ver = 1;
    GeneveHdr badopt;
    badopt.opts = {opt(1, 1, Bytes(4, 0))};
    badopt.opt_words = 1;
    GeneveHdr ether;
    ether.proto = 0x0800;
    FrameBuilder nine = eth6();
    for (int i = 0; i < 9; ++i) nine.ipv6_ext(kIpProtoDstOpts, Bytes(6, 0));

    const std::vector<Case> cases = {
        {DropReason::EthTruncated, Bytes(13, 0)},
        {DropReason::VlanTruncated, cut(FrameBuilder().eth(kMacB, kMacA).vlan(1).build(), 16)},
        {DropReason::VlanTooMany, FrameBuilder().eth(kMacB, kMacA).vlan(1).vlan(2).vlan(3).build()},
        {DropReason::ArpTruncated, cut(arp_request(), 41)},
        {DropReason::ArpMalformed, mod(arp_request(), 18, 8)},
        {DropReason::Ip4Truncated, cut(eth4().build(), 33)},
        {DropReason::Ip4BadVersion, mod(eth4().build(), 14, 0x65)},
        {DropReason::Ip4BadIhl, mod(eth4().build(), 14, 0x44)},
        {DropReason::Ip4BadLength, mod(eth4().build(), 17, 21)},
        {DropReason::Ip6Truncated, cut(eth6().build(), 53)},
        {DropReason::Ip6BadVersion, mod(eth6().build(), 14, 0x40)},
        {DropReason::Ip6BadLength, mod(eth6().build(), 19, 1)},
        {DropReason::Ip6ExtTruncated, eth6().ip_proto(kIpProtoRouting).build()},
        {DropReason::Ip6ExtTooMany, nine.build()},
        {DropReason::TcpTruncated, eth4().ip_proto(kIpProtoTcp).payload_pattern(19).build()},
        {DropReason::TcpBadOffset, mod(eth4().tcp(1, 2).build(), 46, 0x40)},
        {DropReason::UdpTruncated, eth4().ip_proto(kIpProtoUdp).payload_pattern(7).build()},
        {DropReason::UdpBadLength, mod(eth4().udp(1, 2).build(), 39, 9)},
        {DropReason::SctpTruncated, eth4().ip_proto(kIpProtoSctp).payload_pattern(11).build()},
        {DropReason::IcmpTruncated, eth4().ip_proto(kIpProtoIcmp).payload_pattern(7).build()},
        {DropReason::Icmp6Truncated, eth6().ip_proto(kIpProtoIcmp6).payload_pattern(3).build()},
        {DropReason::GeneveTruncated, cut(geneve_frame(GeneveHdr{}, {}), 49), true},
        {DropReason::GeneveBadVersion, geneve_frame(ver, inner_frame()), true},
        {DropReason::GeneveBadOption, geneve_frame(badopt, inner_frame()), true},
        {DropReason::GeneveNotEthernet, geneve_frame(ether, inner_frame()), true},
    };
    std::set<DropReason> seen;
    for (const auto& c : cases) {
        const DropReason got = c.geneve ? parse_g(c.frame).r : reason(c.frame);
        EXPECT_EQ(got, c.want);
        seen.insert(got);
    }
    // The parser's section of the X-macro runs from EthTruncated to GeneveNoOvnTlv; the last
    // one is the dispatcher's verdict (has_ovn_tlv == false), not a parser return.
    for (auto i = static_cast<unsigned>(DropReason::EthTruncated);
         i < static_cast<unsigned>(DropReason::GeneveNoOvnTlv); ++i) {
        EXPECT_TRUE(seen.count(static_cast<DropReason>(i)))
            << drop_reason_name(static_cast<DropReason>(i));
    }
}

// ---------------------------------------------------------------------------------------------
// Random input

std::vector<Bytes> templates() {
    return {
        arp_request(),
        eth4().udp(1, 2).payload_pattern(30).pad_to(80).build(),
        eth4().ipv4_options(Bytes(8, 1)).tcp(1, 2).tcp_options(Bytes{2, 4, 5, 0xb4}).build(),
        eth4().ipv4_frag(0, true).sctp(1, 2).payload_pattern(20).build(),
        eth4().ipv4_frag(3, false).ip_proto(kIpProtoUdp).payload_pattern(20).build(),
        eth4().icmp4(8, 0, 1).payload_pattern(20).build(),
        FrameBuilder()
            .eth(kMacB, kMacA)
            .vlan(1, kEthTypeQinQ)
            .vlan(2)
            .ipv4(kIpA, kIpB)
            .udp(1, 2)
            .build(),
        eth6()
            .ipv6_ext(0, Bytes(6, 0))
            .ipv6_ext(43, Bytes(14, 0))
            .ipv6_ext(51, Bytes(10, 0))
            .ipv6_frag(0, true)
            .ipv6_ext(60, Bytes(6, 0))
            .tcp(1, 2)
            .payload_pattern(9)
            .build(),
        eth6().ipv6_frag(9, true).ip_proto(kIpProtoUdp).payload_pattern(16).build(),
        eth6().icmp6(135, 0).payload_pattern(24).build(),
        geneve_encap(kMacB, kMacA, kIpA, kIpB, 1, 2, 3, 4, eth6().udp(1, 2).build()),
        [] {
            GeneveHdr h;
            h.opts = {opt(1, 2, Bytes(8, 0)), ovn_opt(7, 8), opt(3, 4, {})};
            return geneve_frame(h, inner_frame());
        }(),
    };
}

// Parses like the dataplane would: the frame, Geneve if UDP/6081, then the inner frame; and
// checks that nothing points outside the frame. The buffer is exactly `n` bytes long.
void parse_everything(const uint8_t* buf, uint32_t n) {
    Layout l;
    const DropReason r = parse_frame(buf, n, l);
    for (uint16_t o : {l.l3, l.l4, l.payload}) {
        if (o != kNoOffset) {
            ASSERT_LE(o, n);
        }
    }
    ASSERT_LE(l.l3_end, n);
    if (r != DropReason::None) return;
    expect_sane(l, n);
    if (l.ip_proto != kIpProtoUdp || l.payload == kNoOffset) return;
    const uint16_t dport = static_cast<uint16_t>(buf[l.l4 + 2] << 8 | buf[l.l4 + 3]);
    if (dport != kGenevePort) return;
    GeneveInfo g;
    if (parse_geneve(buf, n, l.payload, g) != DropReason::None) return;
    ASSERT_GE(g.inner, l.payload + kGeneveHdrLen);
    ASSERT_LE(g.inner, n);
    Layout il;
    if (parse_frame(buf + g.inner, n - g.inner, il) == DropReason::None) {
        expect_sane(il, n - g.inner);
    }
}

TEST(ParseRandom, NeverReadsOutOfBoundsOrCrashes) {
    std::mt19937_64 rng(20240611);
    const auto tpl = templates();
    constexpr int kFrames = 200000;
    const uint16_t types[] = {kEthTypeIpv4, kEthTypeIpv6, kEthTypeArp, kEthTypeVlan, kEthTypeQinQ};
    std::vector<unsigned> reasons(kDropReasonCount);
    for (int i = 0; i < kFrames; ++i) {
        Bytes f;
        if (i % 4 == 0) {
            // Pure noise with a plausible EtherType (most noise stops at L2 otherwise).
            f.resize(rng() % 160);
            for (auto& b : f) b = static_cast<uint8_t>(rng());
            if (f.size() >= 14 && rng() % 4 != 0) put16(f, 12, types[rng() % std::size(types)]);
        } else {
            // A valid frame with a few bytes changed and a random length: reaches deep paths.
            f = tpl[rng() % tpl.size()];
            const int edits = static_cast<int>(rng() % 6);
            for (int e = 0; e < edits && !f.empty(); ++e) {
                f[rng() % f.size()] = static_cast<uint8_t>(rng() % 3 == 0 ? rng() : rng() % 8);
            }
            if (rng() % 2) f.resize(rng() % (f.size() + 16), static_cast<uint8_t>(rng()));
        }
        std::unique_ptr<uint8_t[]> buf(f.empty() ? nullptr : new uint8_t[f.size()]);
        if (!f.empty()) std::memcpy(buf.get(), f.data(), f.size());
        Layout l;
        ++reasons[static_cast<size_t>(parse_frame(buf.get(), static_cast<uint32_t>(f.size()), l))];
        ASSERT_NO_FATAL_FAILURE(parse_everything(buf.get(), static_cast<uint32_t>(f.size())));
        // Any offset as a Geneve start must be safe too.
        GeneveInfo g;
        const auto off = static_cast<uint16_t>(rng() % (f.size() + 2));
        if (parse_geneve(buf.get(), static_cast<uint32_t>(f.size()), off, g) == DropReason::None) {
            ASSERT_LE(g.inner, f.size());
        }
    }
    // The mix must actually exercise the parser, not stop at the Ethernet header.
    EXPECT_GT(reasons[static_cast<size_t>(DropReason::None)], kFrames / 10u);
    unsigned distinct = 0;
    for (unsigned c : reasons) distinct += c != 0;
    EXPECT_GE(distinct, 15u);
}

TEST(ParseRandom, HugeLengthIsClamped) {
    // 70000 bytes: offsets cannot describe it, the parser treats it as 0xfffe long.
    Bytes f = eth4().udp(1, 2).payload_pattern(100).build();
    f.resize(70000, 0);
    const auto [r, l] = parse(f);
    ASSERT_EQ(r, DropReason::None);
    EXPECT_EQ(l.payload, 42);
    put16(f, 16, 0xffff);  // IP packet ending at 14 + 65535 > 0xfffe
    EXPECT_EQ(reason(f), DropReason::Ip4BadLength);
    Bytes g = eth6().udp(1, 2).build();
    g.resize(70000, 0);
    put16(g, 18, 0xffff);
    EXPECT_EQ(reason(g), DropReason::Ip6BadLength);
}

}  // namespace
}  // namespace scs::pkt
