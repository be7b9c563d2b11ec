// Two port types of tests/fixtures/sb/varied.json that are VIFs with a twist.
//
// A localport (vmeta on ls-v, the OpenStack metadata port shape) exists on every chassis, so
// ovn-controller keeps its traffic on the chassis (ovn-nb(5), physical.c): what comes in on
// it is never tunnelled - no unicast to a remote
// port, no tunnel copy of a flood, and a flood reaches neither routers nor other localports;
// a flood that came in from a tunnel does not reach it (the sending chassis delivered to its
// own); a flood from a VM here does. And no chassis claims it.
//
// A child port (w-child on ls-w: parent_port v1, tag 10; OpenStack's trunk subport) comes
// with its parent's VIF: frames tagged 10 on v1's device are w-child's, untagged on the way
// in and tagged on the way out; other frames stay v1's. It is claimed with its parent.
//
// Byte for byte, as OVS + ovn-controller behaved in tests/system/test_differential_varied.py.
#include <algorithm>

#include "fixture_chassis.h"

namespace scs::test {
namespace {

using pkt::Ip4;
using pkt::Mac;

constexpr uint16_t kV1 = 0, kV2 = 1, kV4 = 2, kMeta = 3, kUnderlay = 4, kProvider = 5, kW1 = 6;
const Mac kV1Mac = *Mac::parse("02:bb:00:00:01:11"), kV3Mac = *Mac::parse("02:bb:00:00:01:13");
const Mac kMetaMac = *Mac::parse("02:bb:00:00:01:fe"), kBcast = *Mac::parse("ff:ff:ff:ff:ff:ff");
const Ip4 kV1Ip = *Ip4::parse("10.31.0.11"), kV3Ip = *Ip4::parse("10.31.0.13"), kMetaIp = *Ip4::parse("10.31.0.254");
const Ip4 kSubnetBcast = *Ip4::parse("10.31.0.255");
const Mac kChildMac = *Mac::parse("02:bb:00:00:02:21"), kW1Mac = *Mac::parse("02:bb:00:00:02:11");
const Ip4 kChildIp = *Ip4::parse("10.33.0.21"), kW1Ip = *Ip4::parse("10.33.0.11");

class LocalportChild : public FixtureChassis {
protected:
    void SetUp() override {
        load("varied.json",
             scs_dp_0({{"v1", kV1}, {"v2", kV2}, {"v4", kV4}, {"vmeta", kMeta}, {"w1", kW1}}, kUnderlay, kProvider));
    }
    uint32_t key_of(const char* port) const {
        auto it = std::find_if(sb.ports.begin(), sb.ports.end(), [&](const auto& p) { return p.logical_port == port; });
        return it == sb.ports.end() ? 0 : static_cast<uint32_t>(it->tunnel_key);
    }
    const ovsdb::DatapathBinding& ls_v() const {
        return *std::find_if(sb.datapaths.begin(), sb.datapaths.end(), [](const auto& d) { return d.name == "ls-v"; });
    }
    uint32_t flood_key() const {
        for (const auto& g : sb.multicast_groups)
            if (g.datapath == ls_v().uuid && g.name == "_MC_flood") return static_cast<uint32_t>(g.tunnel_key);
        return 0;
    }
};

TEST_F(LocalportChild, LocalportUnicastToARemotePortIsNotTunnelled) {
    const Bytes in = udp(kV3Mac, kMetaMac, kMetaIp, kV3Ip);
    auto out = h->send(kMeta, in);
    EXPECT_TRUE(out.empty()) << trace(kMeta, in);
    EXPECT_EQ(h->drops(DropReason::LocalportNoTunnel), 1u) << h->drop_summary();
    // The same frame from a VM is tunnelled to hv2.
    const Bytes vm = udp(kV3Mac, kV1Mac, kV1Ip, kV3Ip);
    EXPECT_EQ(h->send(kV1, vm)[kUnderlay].size(), 1u) << h->drop_summary() << trace(kV1, vm);
}

TEST_F(LocalportChild, LocalportItsFloodStaysOnThisChassis) {
    const Bytes in = udp(kBcast, kMetaMac, kMetaIp, kSubnetBcast);
    auto out = h->send(kMeta, in);
    EXPECT_EQ(out.count(kUnderlay), 0u) << "a tunnel copy" << trace(kMeta, in);
    EXPECT_EQ(out.count(kMeta), 0u);
    for (const uint16_t vm : {kV1, kV2, kV4}) {
        ASSERT_EQ(out[vm].size(), 1u) << "port " << vm << " " << h->drop_summary() << trace(kMeta, in);
        EXPECT_EQ(pkt::hex(out[vm][0]), pkt::hex(in));
    }
}

TEST_F(LocalportChild, LocalportAFloodFromATunnelDoesNotReachIt) {
    const Bytes inner = udp(kBcast, kV3Mac, kV3Ip, kSubnetBcast);
    ASSERT_NE(flood_key(), 0u);
    const Bytes in = pkt::geneve_encap(kOurUnderlayMac, kHv2Mac, kHv2Ip, kOurIp, 50000,
                                       static_cast<uint32_t>(ls_v().tunnel_key), static_cast<uint16_t>(key_of("v3")),
                                       static_cast<uint16_t>(flood_key()), inner);
    auto out = h->send(kUnderlay, in);
    EXPECT_EQ(out.count(kMeta), 0u) << "delivered to the localport";
    EXPECT_EQ(out.count(kUnderlay), 0u) << "sent back into the overlay";
    for (const uint16_t vm : {kV1, kV2, kV4}) {
        ASSERT_EQ(out[vm].size(), 1u) << "port " << vm << " " << h->drop_summary();
        EXPECT_EQ(pkt::hex(out[vm][0]), pkt::hex(inner));
    }
}

TEST_F(LocalportChild, LocalportAFloodFromAVmHereReachesIt) {
    const Bytes in = udp(kBcast, kV1Mac, kV1Ip, kSubnetBcast);
    auto out = h->send(kV1, in);
    ASSERT_EQ(out[kMeta].size(), 1u) << h->drop_summary() << trace(kV1, in);
    EXPECT_EQ(pkt::hex(out[kMeta][0]), pkt::hex(in));
    EXPECT_EQ(out[kUnderlay].size(), 1u) << "one copy to hv2 (v3)" << trace(kV1, in);
}

TEST_F(LocalportChild, LocalportIsNotClaimed) {
    const auto& claims = compiler->report().claims;
    EXPECT_TRUE(claims.count("v1"));
    EXPECT_FALSE(claims.count("vmeta"));
}

TEST_F(LocalportChild, ChildFramesEnterUntaggedAsTheChild) {
    const Bytes in = udp(kW1Mac, kChildMac, kChildIp, kW1Ip, 10);
    auto out = h->send(kV1, in);
    ASSERT_EQ(out[kW1].size(), 1u) << h->drop_summary() << trace(kV1, in);
    EXPECT_EQ(pkt::hex(out[kW1][0]), pkt::hex(udp(kW1Mac, kChildMac, kChildIp, kW1Ip)));
}

TEST_F(LocalportChild, ChildFramesLeaveTaggedOnTheParent) {
    const Bytes in = udp(kChildMac, kW1Mac, kW1Ip, kChildIp);
    auto out = h->send(kW1, in);
    ASSERT_EQ(out[kV1].size(), 1u) << h->drop_summary() << trace(kW1, in);
    EXPECT_EQ(pkt::hex(out[kV1][0]), pkt::hex(udp(kChildMac, kW1Mac, kW1Ip, kChildIp, 10)));
}

TEST_F(LocalportChild, OtherFramesOnTheParentAreTheParents) {
    // Untagged: v1's own traffic to v2, as ever.
    const Bytes mine = udp(*Mac::parse("02:bb:00:00:01:12"), kV1Mac, kV1Ip, *Ip4::parse("10.31.0.12"));
    EXPECT_EQ(h->send(kV1, mine)[kV2].size(), 1u) << h->drop_summary() << trace(kV1, mine);
    // Tagged with no child's VLAN: v1's, and ls-v drops tagged frames from a VIF (vlan.present).
    const Bytes other = udp(kW1Mac, kChildMac, kChildIp, kW1Ip, 11);
    EXPECT_TRUE(h->send(kV1, other).empty()) << trace(kV1, other);
}

TEST_F(LocalportChild, ChildIsClaimedWithItsParent) {
    EXPECT_TRUE(compiler->report().claims.count("w-child"));
}

}  // namespace
}  // namespace scs::test
