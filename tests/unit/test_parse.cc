// Parser tests, L2 to L4: every header type and DropReason, truncation at every byte, lying
// length fields, fragments, IPv6 extension chains. Geneve, the DropReason table and random
// input: test_parse_geneve.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "parse_helpers.h"

namespace scs::pkt {
namespace {

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

}  // namespace
}  // namespace scs::pkt
