// extract_fast() must be parse_frame() + extract_key() for the frames it accepts, and must
// accept the common shapes. Random valid frames, then every single-byte mutation of them and
// every truncation, compared field by field.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "engine/extract.h"
#include "engine/extract_fast.h"
#include "packet/builder.h"
#include "packet/parse.h"

namespace scs::engine {
namespace {

using pkt::FrameBuilder;

std::vector<uint8_t> random_frame(std::mt19937& rng) {
    FrameBuilder b;
    b.eth(pkt::Mac{{0x02, 0, 0, 0, 0, uint8_t(rng())}}, pkt::Mac{{0x02, 0, 0, 0, 1, uint8_t(rng())}});
    b.ipv4(pkt::Ip4{static_cast<uint32_t>(rng())}, pkt::Ip4{static_cast<uint32_t>(rng())},
           static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), static_cast<uint16_t>(rng()), rng() % 2);
    switch (rng() % 3) {
        case 0: b.tcp(static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()), static_cast<uint8_t>(rng())); break;
        case 1: b.udp(static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())); break;
        default: b.icmp4(static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), static_cast<uint32_t>(rng())); break;
    }
    b.payload_pattern(rng() % 40);
    if (rng() % 3 == 0) b.pad_to(60);
    return b.build();
}

// Checks the contract on one frame; returns whether the fast path took it.
bool check(const std::vector<uint8_t>& f) {
    pkt::Layout fast_lay, lay;
    FlowKey fast_key, key;
    const bool took = extract_fast(f.data(), static_cast<uint32_t>(f.size()), fast_lay, fast_key);
    const DropReason r = pkt::parse_frame(f.data(), static_cast<uint32_t>(f.size()), lay);
    if (!took) return false;
    EXPECT_EQ(r, DropReason::None) << pkt::hex(f);
    if (r != DropReason::None) return true;
    extract_key(f.data(), lay, key);
    EXPECT_EQ(std::memcmp(&fast_lay, &lay, sizeof lay), 0) << pkt::hex(f);
    EXPECT_EQ(std::memcmp(&fast_key, &key, sizeof key), 0) << pkt::hex(f);
    return true;
}

TEST(ExtractFast, AgreesWithTheGeneralPath) {
    std::mt19937 rng(99);
    unsigned taken = 0, mutants = 0, mutants_taken = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto f = random_frame(rng);
        taken += check(f);
        for (std::size_t at = 0; at < f.size(); ++at) {  // every byte, one random value
            auto m = f;
            m[at] = static_cast<uint8_t>(rng());
            ++mutants;
            mutants_taken += check(m);
        }
        for (std::size_t n = 0; n < f.size(); n += 3) {
            auto t = f;
            t.resize(n);
            check(t);
        }
        if (::testing::Test::HasFailure()) break;
    }
    EXPECT_EQ(taken, 3000u) << "every well-formed IPv4 TCP/UDP/ICMP frame takes the fast path";
    EXPECT_GT(mutants_taken, mutants / 2);
}

TEST(ExtractKey, UnknownUpperProtocolReadsNothingPastTheFrame) {
    // IPv6 carrying protocol 1 (ICMP is IPv4's) with no payload: l4 sits at the frame's end.
    // Parsed and extracted from an exact-size heap buffer, so ASan sees any over-read.
    const auto f = FrameBuilder().eth(pkt::Mac{{2, 0, 0, 0, 0, 1}}, pkt::Mac{{2, 0, 0, 0, 0, 2}})
                       .ipv6(pkt::Ip6{}, pkt::Ip6{}).ip_proto(1).build();
    auto buf = std::make_unique<uint8_t[]>(f.size());
    std::memcpy(buf.get(), f.data(), f.size());
    pkt::Layout lay;
    ASSERT_EQ(pkt::parse_frame(buf.get(), static_cast<uint32_t>(f.size()), lay), DropReason::None);
    FlowKey key;
    extract_key(buf.get(), lay, key);
    EXPECT_EQ(key.ip_proto, 1);
    EXPECT_EQ(key.tp_src, 0);
    EXPECT_EQ(key.tp_dst, 0);
}

TEST(ExtractFast, LeavesEverythingElseToTheGeneralPath) {
    const pkt::Mac a{{2, 0, 0, 0, 0, 1}}, b{{2, 0, 0, 0, 0, 2}};
    const pkt::Ip4 x{0x0a000001}, y{0x0a000002};
    const std::vector<std::vector<uint8_t>> others = {
        FrameBuilder().eth(a, b).vlan(5).ipv4(x, y).udp(1, 2).build(),
        FrameBuilder().eth(a, b).ipv4(x, y).ipv4_options(std::vector<uint8_t>{1, 1, 1, 1}).udp(1, 2).build(),
        FrameBuilder().eth(a, b).ipv4(x, y).ipv4_frag(0, true).udp(1, 2).payload_pattern(8).build(),
        FrameBuilder().eth(a, b).ipv4(x, y).sctp(1, 2).build(),
        FrameBuilder().eth(a, b).arp(1, a, x, pkt::Mac{}, y).build(),
        FrameBuilder().eth(a, b).ipv6(pkt::Ip6{}, pkt::Ip6{}).udp(1, 2).build(),
    };
    for (const auto& f : others) {
        pkt::Layout lay;
        FlowKey key;
        EXPECT_FALSE(extract_fast(f.data(), static_cast<uint32_t>(f.size()), lay, key)) << pkt::hex(f);
    }
}

}  // namespace
}  // namespace scs::engine
