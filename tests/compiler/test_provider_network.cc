// A switch with a localnet port on one of our provider networks (tests/fixtures/sb/routed.json:
// ls-ext, localnet ln-ext on physnet1 with VLAN 100, e1 here, e2 on hv2). Its ports on other
// chassis are reached through the provider network, as ovn-controller does ("remote port
// connected by localnet port", physical.c): never through a tunnel - not for unicast, not for
// a flood, and not for what came in from the provider network. Byte for byte: a frame to e2
// leaves on the provider port tagged 100, exactly as OVS + ovn-controller sent it in
// tests/system/test_differential_routed.py.
#include "fixture_chassis.h"

namespace scs::test {
namespace {

using pkt::Ip4;
using pkt::Mac;

constexpr uint16_t kE1 = 0, kA1 = 1, kUnderlay = 3, kProvider = 4;
const Mac kE1Mac = *Mac::parse("02:aa:00:00:0e:11"), kE2Mac = *Mac::parse("02:aa:00:00:0e:12");
const Mac kA3Mac = *Mac::parse("02:aa:00:00:0a:13"), kA1Mac = *Mac::parse("02:aa:00:00:0a:11");
const Ip4 kE1Ip = *Ip4::parse("203.0.113.11"), kE2Ip = *Ip4::parse("203.0.113.12");
const Ip4 kA1Ip = *Ip4::parse("192.168.10.11"), kA3Ip = *Ip4::parse("192.168.10.13");
const Mac kBcast = *Mac::parse("ff:ff:ff:ff:ff:ff");

class ProviderNetwork : public FixtureChassis {
protected:
    void SetUp() override { load("routed.json", scs_dp_0({{"e1", kE1}, {"a1", kA1}}, kUnderlay, kProvider)); }
};

Bytes tagged_udp(Mac dst, Mac src, Ip4 sip, Ip4 dip) { return udp(dst, src, sip, dip, 100); }

TEST_F(ProviderNetwork, UnicastToARemotePortLeavesTaggedOnTheProviderNetwork) {
    const Bytes in = udp(kE2Mac, kE1Mac, kE1Ip, kE2Ip);
    auto out = h->send(kE1, in);
    EXPECT_EQ(out.count(kUnderlay), 0u) << "tunnelled" << trace(kE1, in);
    ASSERT_EQ(out[kProvider].size(), 1u) << h->drop_summary() << trace(kE1, in);
    EXPECT_EQ(pkt::hex(out[kProvider][0]), pkt::hex(tagged_udp(kE2Mac, kE1Mac, kE1Ip, kE2Ip)));
}

TEST_F(ProviderNetwork, FloodGoesToTheProviderNetworkOnly) {
    const Bytes in = udp(kBcast, kE1Mac, kE1Ip, *Ip4::parse("203.0.113.255"));
    auto out = h->send(kE1, in);
    EXPECT_EQ(out.count(kUnderlay), 0u) << "a tunnel copy" << trace(kE1, in);
    ASSERT_EQ(out[kProvider].size(), 1u) << h->drop_summary() << trace(kE1, in);
    EXPECT_EQ(pkt::hex(out[kProvider][0]), pkt::hex(tagged_udp(kBcast, kE1Mac, kE1Ip, *Ip4::parse("203.0.113.255"))));
}

TEST_F(ProviderNetwork, WhatComesInFromTheProviderNetworkIsNeverTunnelled) {
    // Broadcast: to e1 only, untagged.
    const Bytes bc = tagged_udp(kBcast, kE2Mac, kE2Ip, *Ip4::parse("203.0.113.255"));
    auto out = h->send(kProvider, bc);
    EXPECT_EQ(out.count(kUnderlay), 0u) << trace(kProvider, bc);
    ASSERT_EQ(out[kE1].size(), 1u) << h->drop_summary() << trace(kProvider, bc);
    EXPECT_EQ(pkt::hex(out[kE1][0]), pkt::hex(udp(kBcast, kE2Mac, kE2Ip, *Ip4::parse("203.0.113.255"))));
    // To e2 (on hv2, which has the provider network itself): not ours to forward.
    const Bytes uc = tagged_udp(kE2Mac, kE1Mac, kE1Ip, kE2Ip);
    out = h->send(kProvider, uc);
    EXPECT_TRUE(out.empty()) << trace(kProvider, uc);
}

TEST_F(ProviderNetwork, RemotePortsOfOtherSwitchesStillTunnel) {
    // ls-a has no localnet port: a3 on hv2 is reached by Geneve.
    const Bytes in = udp(kA3Mac, kA1Mac, kA1Ip, kA3Ip);
    auto out = h->send(kA1, in);
    EXPECT_EQ(out[kUnderlay].size(), 1u) << h->drop_summary() << trace(kA1, in);
    EXPECT_EQ(out.count(kProvider), 0u);
}

}  // namespace
}  // namespace scs::test
