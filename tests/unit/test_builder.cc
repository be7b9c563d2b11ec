// Builder and address tests. The expected frames are written out byte by byte from the RFCs
// (field by field, with the checksums worked out separately), never produced by the builder.
#include "packet/builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "packet/addr.h"
#include "packet/checksum.h"
#include "packet/parse.h"

namespace scs::pkt {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr Mac kBcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
constexpr Mac kMac1{{0x02, 0, 0, 0, 0, 0x01}};
constexpr Mac kMac2{{0x02, 0, 0, 0, 0, 0x02}};

// Byte-exact comparison with both sides dumped on failure.
#define EXPECT_BYTES(got, want) \
    EXPECT_TRUE(std::ranges::equal(got, want)) << "got:\n" << hex(got) << "\nwant:\n" << hex(want)

// ---------------------------------------------------------------------------------------------
// Hand-written frames

// clang-format off
// RFC 826 request "who has 10.0.0.2, tell 10.0.0.1", padded to the 60-byte Ethernet minimum.
constexpr uint8_t kArpRequest[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // dst: broadcast
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // src
    0x08, 0x06,                          // EtherType ARP
    0x00, 0x01,                          // htype Ethernet
    0x08, 0x00,                          // ptype IPv4
    0x06, 0x04,                          // hlen, plen
    0x00, 0x01,                          // op request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // sha
    0x0a, 0x00, 0x00, 0x01,              // spa 10.0.0.1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // tha unknown
    0x0a, 0x00, 0x00, 0x02,              // tpa 10.0.0.2
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // 18 bytes of padding
};

// clang-format on

TEST(BuilderFrames, ArpRequest) {
    const Bytes f = FrameBuilder()
                        .eth(kBcast, kMac1)
                        .arp(1, kMac1, Ip4{0x0a000001}, Mac{}, Ip4{0x0a000002})
                        .pad_to(60)
                        .build();
    EXPECT_BYTES(f, kArpRequest);
}

// clang-format off
// 10.0.0.1:12345 -> 10.0.0.2:53, id 0x1234, DF, payload "abcd", padded to 60.
// IPv4 checksum: ~(4500 + 0020 + 1234 + 4000 + 4011 + 0a00 + 0001 + 0a00 + 0002) = ~eb68 = 1497.
// UDP checksum over pseudo-header (0a00 0001 0a00 0002 0011 000c) + header + data = f69e.
constexpr uint8_t kIpv4Udp[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x20,  // version 4, IHL 5, TOS 0, total length 32
    0x12, 0x34, 0x40, 0x00,  // id, flags DF, offset 0
    0x40, 0x11, 0x14, 0x97,  // TTL 64, UDP, header checksum
    0x0a, 0x00, 0x00, 0x01,  // src
    0x0a, 0x00, 0x00, 0x02,  // dst
    0x30, 0x39, 0x00, 0x35,  // 12345 -> 53
    0x00, 0x0c, 0xf6, 0x9e,  // length 12, checksum
    'a', 'b', 'c', 'd',
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // padding to 60
};

// clang-format on

TEST(BuilderFrames, Ipv4Udp) {
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .ipv4(Ip4{0x0a000001}, Ip4{0x0a000002}, 64, 0, 0x1234, true)
                        .udp(12345, 53)
                        .payload(Bytes{'a', 'b', 'c', 'd'})
                        .pad_to(60)
                        .build();
    EXPECT_BYTES(f, kIpv4Udp);
}

// clang-format off
// 192.168.1.10:40000 -> 192.168.1.20:80 SYN, seq 0x01020304, id 1, no DF, window 65535.
// IPv4 checksum f760; TCP checksum over pseudo-header (... 0006 0014) + header = 8bdd.
constexpr uint8_t kIpv4Tcp[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28,  // total length 40
    0x00, 0x01, 0x00, 0x00,  // id 1, no flags
    0x40, 0x06, 0xf7, 0x60,  // TTL 64, TCP, header checksum
    0xc0, 0xa8, 0x01, 0x0a,  // 192.168.1.10
    0xc0, 0xa8, 0x01, 0x14,  // 192.168.1.20
    0x9c, 0x40, 0x00, 0x50,  // 40000 -> 80
    0x01, 0x02, 0x03, 0x04,  // seq
    0x00, 0x00, 0x00, 0x00,  // ack
    0x50, 0x02, 0xff, 0xff,  // data offset 5, SYN, window
    0x8b, 0xdd, 0x00, 0x00,  // checksum, urgent pointer
};

// clang-format on

TEST(BuilderFrames, Ipv4Tcp) {
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .ipv4(Ip4{0xc0a8010a}, Ip4{0xc0a80114}, 64, 0, 1)
                        .tcp(40000, 80, 0x02, 0x01020304)
                        .build();
    EXPECT_BYTES(f, kIpv4Tcp);
}

// clang-format off
// 2001:db8::1 -> 2001:db8::2, flow label 0x12345, hop limit 64, ICMPv6 echo request
// (RFC 4443: type 128) id 1 seq 2, data "ping". Checksum over the RFC 8200 pseudo-header
// (addresses, length 0000000c, 000000 3a) + message = 4570.
constexpr uint8_t kIpv6Icmp6[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd,
    0x60, 0x01, 0x23, 0x45,  // version 6, traffic class 0, flow label
    0x00, 0x0c, 0x3a, 0x40,  // payload length 12, next header ICMPv6, hop limit 64
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
    0x80, 0x00, 0x45, 0x70,  // echo request, code 0, checksum
    0x00, 0x01, 0x00, 0x02,  // id, seq
    'p', 'i', 'n', 'g',
};

// clang-format on

TEST(BuilderFrames, Ipv6Icmp6) {
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .ipv6(*Ip6::parse("2001:db8::1"), *Ip6::parse("2001:db8::2"), 64, 0x12345)
                        .icmp6(128, 0, 0x00010002)
                        .payload(Bytes{'p', 'i', 'n', 'g'})
                        .build();
    EXPECT_BYTES(f, kIpv6Icmp6);
}

// clang-format off
// What an OVN chassis sends for logical ingress port 1 -> egress port 2 on datapath 5
// (ovn-architecture(7), "Tunnel Encapsulations"; RFC 8926), carrying the ARP request above
// (without its padding). Outer IPv4 total 86 = 20 + 8 + 16 + 42, checksum b943; UDP length 66,
// checksum 0.
constexpr uint8_t kGeneveOuter[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x56,  // total length 86
    0x00, 0x00, 0x40, 0x00,  // id 0, DF
    0x40, 0x11, 0xb9, 0x43,  // TTL 64, UDP, checksum
    0xc0, 0xa8, 0x00, 0x01,  // 192.168.0.1
    0xc0, 0xa8, 0x00, 0x02,  // 192.168.0.2
    0xc0, 0x00, 0x17, 0xc1,  // 49152 -> 6081
    0x00, 0x42, 0x00, 0x00,  // length 66, no checksum
    0x02, 0x40, 0x65, 0x58,  // ver 0, opt len 2 words, O=0 C=1, Transparent Ethernet Bridging
    0x00, 0x00, 0x05, 0x00,  // VNI 5, reserved
    0x01, 0x02, 0x80, 0x01,  // option class 0x0102 (OVN), type 0x80, length 1 word
    0x00, 0x01, 0x00, 0x02,  // 0 | ingress 1 (15 bits) | egress 2 (16 bits)
};
// clang-format on

Bytes geneve_expected() {
    // push_back rather than insert(): GCC 12 at -O3 misreports the latter (-Warray-bounds).
    Bytes f;
    for (uint8_t b : kGeneveOuter) f.push_back(b);
    for (size_t i = 0; i < 42; ++i) f.push_back(kArpRequest[i]);
    return f;
}

TEST(BuilderFrames, GeneveEncap) {
    const Bytes inner(kArpRequest, kArpRequest + 42);
    const Bytes f = geneve_encap(Mac{{0x02, 0, 0, 0, 0, 0x0b}}, Mac{{0x02, 0, 0, 0, 0, 0x0a}},
                                 Ip4{0xc0a80001}, Ip4{0xc0a80002}, 49152, 5, 1, 2, inner);
    EXPECT_BYTES(f, geneve_expected());
}

// SCTP common header 1 -> 2, tag 0, no chunks, over 10.0.0.1 -> 10.0.0.2: CRC32c (RFC 9260
// appendix A) is 0x518098fd, least significant byte first on the wire.
TEST(BuilderFrames, SctpCrc32c) {
    const Bytes f =
        FrameBuilder().eth(kMac2, kMac1).ipv4(Ip4{0x0a000001}, Ip4{0x0a000002}).sctp(1, 2).build();
    const Bytes want = {0x00, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0xfd, 0x98, 0x80, 0x51};
    EXPECT_BYTES(Bytes(f.begin() + 34, f.end()), want);
}

TEST(BuilderFrames, Crc32cCheckValue) {
    // The standard CRC-32C check value of "123456789".
    EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);
    EXPECT_EQ(crc32c("", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Derived fields

TEST(Builder, VlanTags) {
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .vlan(0x0064, kEthTypeQinQ)
                        .vlan(0x2005)
                        .arp(1, kMac1, Ip4{1}, Mac{}, Ip4{2})
                        .build();
    const Bytes want_l2 = {0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x20, 0x05, 0x08, 0x06};
    EXPECT_BYTES(Bytes(f.begin() + 12, f.begin() + 22), want_l2);
    EXPECT_EQ(f.size(), 22u + 28u);
}

TEST(Builder, EthTypeOverride) {
    const Bytes f = FrameBuilder().eth(kMac2, kMac1).eth_type(0x88cc).payload_pattern(3).build();
    EXPECT_BYTES(f, (Bytes{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xcc, 0, 1, 2}));
    const Bytes g = FrameBuilder().eth(kMac2, kMac1).payload_pattern(1).build();
    EXPECT_EQ(g[12], 0);
    EXPECT_EQ(g[13], 0);
}

TEST(Builder, Ipv4OptionsAndFragments) {
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .ipv4(Ip4{1}, Ip4{2}, 9, 0, 0, true)
                        .ipv4_options(Bytes{0x94, 0x04, 0x00})  // padded to 4
                        .ipv4_frag(0x1abc, true)
                        .udp(1, 2)
                        .payload_pattern(4)
                        .build();
    EXPECT_EQ(f[14], 0x46);                     // IHL 6
    EXPECT_EQ(f[16] << 8 | f[17], 24 + 8 + 4);  // total length
    EXPECT_EQ(f[20] << 8 | f[21], 0x4000 | 0x2000 | 0x1abc);
    EXPECT_BYTES(Bytes(f.begin() + 34, f.begin() + 38), (Bytes{0x94, 0x04, 0x00, 0x00}));
    EXPECT_EQ(csum::fold(csum::partial(&f[14], 24)), 0);  // header checksum verifies
    EXPECT_EQ(f[23], kIpProtoUdp);
}

TEST(Builder, Ipv6ExtensionChain) {
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .ipv6(Ip6{}, Ip6{}, 1)
                        .ipv6_ext(kIpProtoHopOpts, Bytes{})   // 8 bytes, len 0
                        .ipv6_ext(kIpProtoRouting, Bytes(9))  // 11 -> 16 bytes, len 1
                        .ipv6_ext(kIpProtoAh, Bytes(10))      // 12 bytes, AH len 1
                        .ipv6_frag(0x100, true, 0xdeadbeef)
                        .tcp(1, 2)
                        .build();
    EXPECT_EQ(f[20], kIpProtoHopOpts);  // IPv6 next header
    EXPECT_EQ(f[18] << 8 | f[19], 8 + 16 + 12 + 8 + 20);
    const size_t hbh = 54, rt = 62, ah = 78, fr = 90;
    EXPECT_EQ(f[hbh], kIpProtoRouting);
    EXPECT_EQ(f[hbh + 1], 0);
    EXPECT_EQ(f[rt], kIpProtoAh);
    EXPECT_EQ(f[rt + 1], 1);
    EXPECT_EQ(f[ah], kIpProtoFragment);
    EXPECT_EQ(f[ah + 1], 1);
    EXPECT_BYTES(Bytes(f.begin() + fr, f.begin() + fr + 8),
                 (Bytes{kIpProtoTcp, 0, 0x08, 0x01, 0xde, 0xad, 0xbe, 0xef}));
    EXPECT_EQ(f.size(), fr + 8 + 20);
}

TEST(Builder, IpProtoOverrideAndDefaults) {
    const Bytes a = FrameBuilder().eth(kMac2, kMac1).ipv4(Ip4{1}, Ip4{2}).ip_proto(47).build();
    EXPECT_EQ(a[23], 47);
    const Bytes b =
        FrameBuilder().eth(kMac2, kMac1).ipv4(Ip4{1}, Ip4{2}).payload_pattern(2).build();
    EXPECT_EQ(b[23], 255);  // nothing known follows
    const Bytes c = FrameBuilder().eth(kMac2, kMac1).ipv6(Ip6{}, Ip6{}).build();
    EXPECT_EQ(c[20], kIpProtoNoNext);
}

TEST(Builder, UdpChecksumOffAndZeroRule) {
    const Bytes off = FrameBuilder()
                          .eth(kMac2, kMac1)
                          .ipv4(Ip4{1}, Ip4{2})
                          .udp(1, 2, false)
                          .payload_pattern(5)
                          .build();
    EXPECT_EQ(off[40], 0);
    EXPECT_EQ(off[41], 0);

    // Pick two payload bytes that make the computed checksum 0: the wire must then carry
    // 0xffff (RFC 768). With payload word w the covered sum is S + w, and the checksum with
    // w = 0 is ~S; so w = ~S makes the sum 0xffff and the computed checksum 0.
    const Bytes zero_payload = FrameBuilder()
                                   .eth(kMac2, kMac1)
                                   .ipv4(Ip4{7}, Ip4{9})
                                   .udp(1, 2)
                                   .payload(Bytes{0, 0})
                                   .build();
    const Bytes w = {zero_payload[40], zero_payload[41]};
    const Bytes f =
        FrameBuilder().eth(kMac2, kMac1).ipv4(Ip4{7}, Ip4{9}).udp(1, 2).payload(w).build();
    EXPECT_EQ(f[40], 0xff);
    EXPECT_EQ(f[41], 0xff);
}

// Every checksum the builder fills verifies the way a receiver checks it.
TEST(Builder, ChecksumsVerify) {
    const Ip6 a = *Ip6::parse("fe80::1"), b = *Ip6::parse("ff02::1:ff00:1");
    struct Case {
        Bytes f;
        size_t l3, l4;
        uint8_t proto;
        bool v6;
    };
    const std::vector<Case> cases = {
        {FrameBuilder()
             .eth(kMac2, kMac1)
             .ipv4(Ip4{1}, Ip4{2})
             .tcp(1, 2)
             .payload_pattern(33)
             .build(),
         14, 34, kIpProtoTcp, false},
        {FrameBuilder()
             .eth(kMac2, kMac1)
             .ipv4(Ip4{1}, Ip4{2})
             .udp(1, 2)
             .payload_pattern(33)
             .pad_to(100)
             .build(),
         14, 34, kIpProtoUdp, false},
        {FrameBuilder().eth(kMac2, kMac1).vlan(3).ipv6(a, b).udp(1, 2).payload_pattern(7).build(),
         18, 58, kIpProtoUdp, true},
        {FrameBuilder()
             .eth(kMac2, kMac1)
             .ipv6(a, b)
             .ipv6_ext(0, Bytes(6))
             .icmp6(135, 0)
             .payload_pattern(16)
             .build(),
         14, 62, kIpProtoIcmp6, true},
        {FrameBuilder()
             .eth(kMac2, kMac1)
             .ipv6(a, b)
             .tcp(1, 2)
             .tcp_options(Bytes{1, 1, 1})
             .payload_pattern(1)
             .build(),
         14, 54, kIpProtoTcp, true},
    };
    for (const auto& c : cases) {
        const size_t n = c.f.size();
        Layout l;
        ASSERT_EQ(parse_frame(c.f.data(), static_cast<uint32_t>(n), l), DropReason::None)
            << hex(c.f);
        const size_t l4_len = l.l3_end - c.l4;
        const uint16_t v = c.v6 ? csum::l4_ipv6(&c.f[c.l3], &c.f[c.l4], l4_len, c.proto)
                                : csum::l4_ipv4(&c.f[c.l3], &c.f[c.l4], l4_len, c.proto);
        EXPECT_EQ(v, 0) << hex(c.f);
        if (!c.v6) {
            EXPECT_EQ(csum::fold(csum::partial(&c.f[c.l3], 20)), 0);
        }
    }
    const Bytes icmp = FrameBuilder()
                           .eth(kMac2, kMac1)
                           .ipv4(Ip4{1}, Ip4{2})
                           .icmp4(8, 0, 0x10001)
                           .payload_pattern(57)
                           .build();
    EXPECT_EQ(csum::fold(csum::partial(&icmp[34], icmp.size() - 34)), 0);
}

TEST(Builder, NestedLayersForIcmpErrors) {
    // Destination unreachable quoting the offending IPv4/UDP header: inner lengths and
    // checksums are filled first, then the ICMP checksum covers them.
    const Bytes f = FrameBuilder()
                        .eth(kMac2, kMac1)
                        .ipv4(Ip4{1}, Ip4{2})
                        .icmp4(3, 3)
                        .ipv4(Ip4{2}, Ip4{3})
                        .udp(5, 6)
                        .payload_pattern(4)
                        .build();
    EXPECT_EQ(f[23], kIpProtoIcmp);
    EXPECT_EQ(f[16] << 8 | f[17], 20 + 8 + 20 + 8 + 4);
    EXPECT_EQ(f[42 + 9], kIpProtoUdp);
    EXPECT_EQ(f[44] << 8 | f[45], 20 + 8 + 4);
    EXPECT_EQ(csum::fold(csum::partial(&f[42], 20)), 0);
    EXPECT_EQ(csum::l4_ipv4(&f[42], &f[62], 12, kIpProtoUdp), 0);
    EXPECT_EQ(csum::fold(csum::partial(&f[34], f.size() - 34)), 0);
}

TEST(Builder, PadToNeverTruncates) {
    const Bytes f = FrameBuilder().eth(kMac2, kMac1).payload_pattern(100).pad_to(60).build();
    EXPECT_EQ(f.size(), 114u);
    EXPECT_EQ(f[14 + 99], 99);
    const Bytes p = FrameBuilder().eth(kMac2, kMac1).payload_pattern(300).build();
    EXPECT_EQ(p[14 + 256], 0);
    EXPECT_EQ(p[14 + 257], 1);
}

TEST(Builder, GeneveEncapMasksAndFlags) {
    const Bytes inner = {1, 2, 3};
    const Bytes f =
        geneve_encap(kMac2, kMac1, Ip4{1}, Ip4{2}, 7, 0xff123456, 0xffff, 0xfffe, inner, 3, false);
    EXPECT_EQ(f[20], 0);                                                             // no DF
    EXPECT_EQ(f[22], 3);                                                             // TTL
    EXPECT_BYTES(Bytes(f.begin() + 46, f.begin() + 49), (Bytes{0x12, 0x34, 0x56}));  // VNI
    EXPECT_BYTES(Bytes(f.begin() + 54, f.begin() + 58), (Bytes{0x7f, 0xff, 0xff, 0xfe}));
    EXPECT_BYTES(Bytes(f.end() - 3, f.end()), inner);
    GeneveInfo g;
    ASSERT_EQ(parse_geneve(f.data(), static_cast<uint32_t>(f.size()), 42, g), DropReason::None);
    EXPECT_EQ(g.ingress_port, 0x7fff);
    EXPECT_EQ(g.egress_port, 0xfffe);
    EXPECT_EQ(g.vni, 0x123456u);
}

TEST(Builder, MisuseThrows) {
    EXPECT_THROW(FrameBuilder().eth(kMac2, kMac1).ipv4_options(Bytes{1}), std::logic_error);
    EXPECT_THROW(FrameBuilder().eth(kMac2, kMac1).ipv4_frag(1, false), std::logic_error);
    EXPECT_THROW(FrameBuilder().eth_type(1), std::logic_error);
    EXPECT_THROW(FrameBuilder().ip_proto(1), std::logic_error);
    EXPECT_THROW(FrameBuilder().tcp_options(Bytes{1}), std::logic_error);
    EXPECT_THROW(FrameBuilder().ipv4(Ip4{}, Ip4{}).ipv4_options(Bytes(41)), std::logic_error);
    EXPECT_THROW(FrameBuilder().ipv4(Ip4{}, Ip4{}).ipv4_frag(0x2000, true), std::logic_error);
    EXPECT_THROW(FrameBuilder().ipv6_frag(0x2000, true), std::logic_error);
    EXPECT_THROW(FrameBuilder().ipv6_ext(0, Bytes(2047)), std::logic_error);
    EXPECT_THROW(FrameBuilder().eth(kMac2, kMac1).tcp(1, 2).build(), std::logic_error);
    EXPECT_THROW(FrameBuilder().ipv4(Ip4{}, Ip4{}).payload_pattern(70000).build(),
                 std::logic_error);
}

TEST(Builder, Hex) {
    Bytes b(18);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 17);
    EXPECT_EQ(hex(b),
              "0000: 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff\n"
              "0010: 10 21");
    EXPECT_EQ(hex({}), "");
}

// ---------------------------------------------------------------------------------------------
// Addresses

TEST(Addr, Mac) {
    const auto m = Mac::parse("0A:00:00:ff:Fe:01");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->b, (std::array<uint8_t, 6>{0x0a, 0, 0, 0xff, 0xfe, 0x01}));
    EXPECT_EQ(m->str(), "0a:00:00:ff:fe:01");
    EXPECT_FALSE(m->is_multicast());
    EXPECT_TRUE(kBcast.is_broadcast());
    EXPECT_TRUE(kBcast.is_multicast());
    EXPECT_TRUE(Mac::parse("01:00:5e:00:00:01")->is_multicast());
    for (const char* bad :
         {"", "00:11:22:33:44", "00:11:22:33:44:55:66", "00:11:22:33:44:5",
          "0:11:22:33:44:55:", "00-11-22-33-44-55", "00:11:22:33:44:5g", "00:11:22:33:44:55 ",
          " 00:11:22:33:44:55", "0011.2233.4455", "00:11:22:33:44::5", "000:11:22:33:44:5"}) {
        EXPECT_FALSE(Mac::parse(bad)) << bad;
    }
    EXPECT_LT(*Mac::parse("00:00:00:00:00:01"), *Mac::parse("00:00:00:00:01:00"));
}

TEST(Addr, Ip4) {
    const auto a = Ip4::parse("10.0.0.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->v, 0x0a000001u);
    EXPECT_EQ(a->str(), "10.0.0.1");
    EXPECT_EQ(Ip4::parse("255.255.255.255")->v, 0xffffffffu);
    EXPECT_EQ(Ip4{0xc0a80001}.str(), "192.168.0.1");
    EXPECT_EQ(Ip4{0xc0a80001}.bytes(), (std::array<uint8_t, 4>{192, 168, 0, 1}));
    const uint8_t raw[4] = {172, 16, 1, 2};
    EXPECT_EQ(Ip4::from_bytes(raw).v, 0xac100102u);
    for (const char* bad :
         {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/24", "0x1.2.3.4",
          "1.2.3.-4", "1..2.3", "a.b.c.d", "1.2.3.4.", "::1", "1.2.3.4444"}) {
        EXPECT_FALSE(Ip4::parse(bad)) << bad;
    }
    using namespace std::string_view_literals;
    EXPECT_FALSE(Ip4::parse("1.2.3.4\0junk"sv));
    EXPECT_LT(*Ip4::parse("9.255.255.255"), *Ip4::parse("10.0.0.0"));
}

TEST(Addr, Ip6) {
    const auto a = Ip6::parse("2001:DB8::0:1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->b[0], 0x20);
    EXPECT_EQ(a->b[1], 0x01);
    EXPECT_EQ(a->b[15], 0x01);
    EXPECT_EQ(a->str(), "2001:db8::1");
    EXPECT_EQ(Ip6::parse("::")->str(), "::");
    EXPECT_EQ(Ip6::parse("::ffff:10.0.0.1")->b[12], 10);
    EXPECT_EQ(Ip6::parse("fe80:0:0:0:0:0:0:1")->str(), "fe80::1");
    for (const char* bad : {"", "1.2.3.4", "2001:db8::1::2", "2001:db8::g", "fe80::1%eth0", "[::1]",
                            "::1 ", "1:2:3:4:5:6:7:8:9", "12345::1"}) {
        EXPECT_FALSE(Ip6::parse(bad)) << bad;
    }
    EXPECT_LT(*Ip6::parse("::1"), *Ip6::parse("::2"));
}

}  // namespace
}  // namespace scs::pkt
