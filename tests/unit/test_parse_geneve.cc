// Parser tests, part two: Geneve options, every parser DropReason in one table, random input.
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
