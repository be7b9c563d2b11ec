// The megaflow cache must be invisible: for any packet, the cached fast path gives exactly
// what the full pipeline walk gives - same ports, same bytes, same drop reasons. Random
// packets drawn around the demo topology's addresses (so that they hit real paths, near
// misses, TTL edges, ICMP echo rules, ARP, VLAN tags, Geneve) go through an executor with
// the cache and one without, several times each.
#include <gtest/gtest.h>

#include <random>

#include "demo/topology.h"
#include "packet/builder.h"
#include "packet/harness.h"

namespace scs::test {
namespace {

using namespace scs::demo::addr;
using pkt::FrameBuilder;
using pkt::Ip4;
using pkt::Mac;

std::unique_ptr<engine::Generation> demo_gen() { return demo_generation(); }

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
    return v[rng() % v.size()];
}

Bytes random_frame(std::mt19937& rng, uint16_t& port) {
    static const std::vector<Mac> macs = {kVm1Mac, kVm2Mac, kVm3Mac, kVm4Mac, kVm5Mac, kLrpSw0Mac, kLrpSw1Mac,
                                          kLrpPubMac, kGatewayMac, Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                                          Mac{{0x02, 0, 0, 0, 0, 0x42}}, Mac{{0x01, 0, 0x5e, 0, 0, 1}}};
    static const std::vector<Ip4> ips = {kVm1Ip, kVm2Ip, kVm3Ip, kVm4Ip, kVm5Ip, kLrpSw0Ip, kLrpSw1Ip, kLrpPubIp,
                                         Ip4{0x08080808}, Ip4{0x0a000063}, Ip4{0xe0000001}, Ip4{0x0a0001ff}};
    port = static_cast<uint16_t>(rng() % 5);
    FrameBuilder b;
    b.eth(pick(rng, macs), pick(rng, macs));
    if (rng() % 8 == 0) b.vlan(static_cast<uint16_t>(rng() % 2 ? 100 : 7));
    const uint8_t ttls[] = {0, 1, 2, 64, 255};
    switch (rng() % 6) {
        case 0:
            b.arp(static_cast<uint16_t>(1 + rng() % 2), pick(rng, macs), pick(rng, ips), Mac{}, pick(rng, ips));
            break;
        case 1:
            b.ipv4(pick(rng, ips), pick(rng, ips), ttls[rng() % 5]).icmp4(rng() % 2 ? 8 : 0, 0, 1).payload_pattern(8);
            break;
        case 2:
            b.ipv4(pick(rng, ips), pick(rng, ips), ttls[rng() % 5]).tcp(static_cast<uint16_t>(rng()), 80).payload_pattern(6);
            break;
        default:
            b.ipv4(pick(rng, ips), pick(rng, ips), ttls[rng() % 5]).udp(static_cast<uint16_t>(rng()), 53, rng() % 4 != 0)
                .payload_pattern(18);
            break;
    }
    Bytes f = b.build();
    if (port == 3) {  // the underlay: wrap it as hv2 would, for some datapath and ports
        const uint32_t vni = 1 + rng() % 4;
        const uint16_t in = static_cast<uint16_t>(1 + rng() % 4);
        const uint16_t out = static_cast<uint16_t>(rng() % 6 == 0 ? 32768 : 1 + rng() % 4);
        f = pkt::geneve_encap(kLocalUnderlayMac, kHv2UnderlayMac, kHv2EncapIp, kLocalEncapIp,
                              static_cast<uint16_t>(40000 + rng() % 1000), vni, in, out, f);
    }
    return f;
}

TEST(FlowCache, CachedPathsGiveWhatThePipelineGives) {
    Harness cached(demo_gen(), true);
    Harness walked(demo_gen(), false);
    std::mt19937 rng(2024);
    for (int i = 0; i < 20000; ++i) {
        uint16_t port;
        const Bytes f = random_frame(rng, port);
        const auto want = walked.send(port, f);
        for (int rep = 0; rep < 2; ++rep) {  // the second send is the cached replay
            const auto got = cached.send(port, f);
            ASSERT_EQ(got, want) << "frame " << i << " rep " << rep << " on port " << port << ": " << pkt::hex(f);
        }
    }
    for (std::size_t r = 0; r < kDropReasonCount; ++r)
        EXPECT_EQ(cached.stats().drops[r].get(), 2 * walked.stats().drops[r].get())
            << drop_reason_name(static_cast<DropReason>(r));
    EXPECT_GT(cached.stats().cache_hits.get(), 15000u) << "the replays should hit";
    EXPECT_LT(cached.executor().cache().size(), 6000u) << "entries stay wide";
    std::printf("cache: %llu hits, %llu misses, %u entries, %u masks\n",
                static_cast<unsigned long long>(cached.stats().cache_hits.get()),
                static_cast<unsigned long long>(cached.stats().cache_misses.get()), cached.executor().cache().size(),
                cached.executor().cache().n_subtables());
}

TEST(FlowCache, OneEntryServesManyConnections) {
    Harness h(demo_gen(), true);
    for (uint16_t sp = 1; sp <= 5000; ++sp) {
        auto out = h.send(0, FrameBuilder().eth(kLrpSw0Mac, kVm1Mac).ipv4(kVm1Ip, kVm4Ip).udp(sp, 53).payload_pattern(18).build());
        ASSERT_EQ(out[2].size(), 1u);
    }
    EXPECT_EQ(h.stats().cache_misses.get(), 1u) << "5000 UDP connections, one megaflow";
    EXPECT_EQ(h.executor().cache().size(), 1u);
    for (auto [w, m] : h.executor().cache().subtable_mask(0)) std::printf("word %2u mask %016llx\n", w, static_cast<unsigned long long>(m));
}

TEST(FlowCache, NewGenerationInvalidatesEntries) {
    Harness h(demo_gen(), true);
    const Bytes f = FrameBuilder().eth(kVm2Mac, kVm1Mac).ipv4(kVm1Ip, kVm2Ip).udp(1, 2).payload_pattern(18).build();
    h.send(0, f);
    h.send(0, f);
    EXPECT_EQ(h.stats().cache_hits.get(), 1u);
    // A generation in which vm2 is gone: the cached "to vm2" must not survive.
    demo::DemoOptions o;
    o.ports = {0, demo::kNoPort, 2, 3, 4};
    auto g = demo::build_demo(o);
    ASSERT_TRUE(g.ok());
    h.set_generation(std::move(g.value()));
    auto out = h.send(0, f);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(h.stats().cache_hits.get(), 1u);
    EXPECT_EQ(h.drops(DropReason::UnknownOutport), 1u) << h.drop_summary();
}

}  // namespace
}  // namespace scs::test
