// The action instruction set's semantics as ovn-sb(5) defines them, packet in / packet out,
// on small hand-built datapaths: subfields and register overlays, exchange, `next` and
// `output` as subroutines, clone, TTL, loopback, loops, unimplemented actions, and the
// checksum-correct commit of every rewritable header field.
#include <gtest/gtest.h>

#include <functional>

#include <fmt/format.h>

#include "common/byteorder.h"
#include "engine/builder.h"
#include "packet/builder.h"
#include "packet/harness.h"

namespace scs::test {
namespace {

using engine::ActionBuilder;
using engine::DatapathBuilder;
using engine::Field;
using engine::Match;
using engine::Pipe;
using engine::PortEntry;
using engine::PortKind;
using pkt::FrameBuilder;
using pkt::Ip4;
using pkt::Mac;

const Mac kA{{0x02, 0, 0, 0, 0, 0x0a}}, kB{{0x02, 0, 0, 0, 0, 0x0b}};
const Ip4 kIpA{0x0a000001}, kIpB{0x0a000002};

PortEntry vif(uint16_t tx) {
    PortEntry e;
    e.kind = PortKind::Vif;
    e.tx_port = tx;
    return e;
}

// One switch (key 1) with VIF ports 1..3 on DPDK ports 0..2; packets enter on port 0 as
// logical port 1. `ingress` writes the one ingress stage; the egress stage just outputs.
std::unique_ptr<engine::Generation> one_stage(const std::function<uint32_t(DatapathBuilder&)>& ingress,
                                              std::vector<engine::DatapathPtr> extra = {}) {
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0", "t1"});
    b.stages(Pipe::Egress, {"out"});
    b.flow(Pipe::Ingress, 0, 0, Match{}, ingress(b));
    b.flow(Pipe::Ingress, 1, 0, Match{}, b.actions(Pipe::Ingress, 1).load(Field::Outport, 2).output().done());
    b.flow(Pipe::Egress, 0, 0, Match{}, b.actions(Pipe::Egress, 0).output().done());
    for (uint16_t k = 1; k <= 3; ++k) b.port(k, fmt::format("p{}", k), vif(static_cast<uint16_t>(k - 1)));
    auto dp = b.build();
    EXPECT_TRUE(dp.ok()) << dp.error();
    auto g = single_datapath(*dp);
    for (auto& e : extra) g->datapaths.push_back(e);
    g->index();
    return g;
}

Bytes udp(Mac dst = kB, Mac src = kA, uint8_t ttl = 64) {
    return FrameBuilder().eth(dst, src).ipv4(kIpA, kIpB, ttl).udp(1000, 2000).payload_pattern(10).build();
}


TEST(Semantics, WideRegistersOverlayNarrowOnesMostSignificantFirst) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load(Field::Reg0, 0x11223344).load(Field::Reg1, 0x55667788)
            .move_bits(Field::EthSrc, 0, Field::Xreg0, 0, 48)  // eth.src = xreg0[0..47]
            .load(Field::Outport, 2).output().done();
    }));
    auto out = h.send(0, udp());
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    const Mac want{{0x33, 0x44, 0x55, 0x66, 0x77, 0x88}};
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(udp(kB, want)));
}

TEST(Semantics, SubfieldLoadAndMoveTouchOnlyTheirBits) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0)
            .load(Field::Reg2, 0xaaaaaaaa)
            .load_bits(Field::Reg2, 4, 8, 0x00)          // reg2[4..11] = 0
            .move_bits(Field::Reg3, 16, Field::Reg2, 0, 16)  // reg3[16..31] = reg2[0..15]
            .move_bits(Field::EthDst, 0, Field::Reg3, 16, 16)  // eth.dst[0..15] = reg3[16..31]
            .load(Field::Outport, 2).output().done();
    }));
    auto out = h.send(0, udp());
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    // reg2 = 0xaaaaa00a -> low 16 bits 0xa00a end up in eth.dst's last two bytes.
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(udp(Mac{{0x02, 0, 0, 0, 0xa0, 0x0a}}, kA)));
}

TEST(Semantics, ExchangeSwapsFields) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).exchange(Field::EthDst, Field::EthSrc).load(Field::Outport, 2).output().done();
    }));
    auto out = h.send(0, udp(kB, kA));
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(udp(kA, kB)));
}

TEST(Semantics, NextIsASubroutineAndStateChangesPersist) {
    // t0: next; eth.src = B; outport = 3; output;   t1: outport = 2; output;
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).next().load(Field::EthSrc, kB.u64()).load(Field::Outport, 3).output().done();
    }));
    auto out = h.send(0, udp(kB, kA));
    ASSERT_EQ(out[1].size(), 1u) << "t1's output ran inside the subroutine";
    ASSERT_EQ(out[2].size(), 1u) << "then t0 carried on";
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(udp(kB, kA)));
    EXPECT_EQ(pkt::hex(out[2][0]), pkt::hex(udp(kB, kB)));
    EXPECT_EQ(h.stats().total_drops(), 0u);
}

TEST(Semantics, CloneRestoresTheStateAfterwards) {
    Harness h(one_stage([](DatapathBuilder& b) {
        const uint32_t body = b.actions(Pipe::Ingress, 0).load(Field::EthSrc, kB.u64()).load(Field::Outport, 2).output().done();
        return b.actions(Pipe::Ingress, 0).clone(body).load(Field::Outport, 3).output().done();
    }));
    auto out = h.send(0, udp(kB, kA));
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    ASSERT_EQ(out[2].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(udp(kB, kB)));
    EXPECT_EQ(pkt::hex(out[2][0]), pkt::hex(udp(kB, kA))) << "eth.src restored after clone";
}

TEST(Semantics, SeveralOutputsInOneList) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load(Field::Outport, 2).output().load(Field::Outport, 3).output().done();
    }));
    auto out = h.send(0, udp());
    EXPECT_EQ(out[1].size(), 1u);
    EXPECT_EQ(out[2].size(), 1u);
    EXPECT_EQ(h.stats().copies.get(), 1u);
    EXPECT_EQ(h.stats().total_drops(), 0u) << h.drop_summary();
}

TEST(Semantics, OutputThenEndIsDeliveredNotDropped) {
    // `outport = 2; output; outport = 9; next;` with no table matching afterwards: the copy
    // went out, so the packet is not counted as a drop.
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load(Field::Outport, 2).output().load(Field::Reg5, 1).done();
    }));
    auto out = h.send(0, udp());
    EXPECT_EQ(out[1].size(), 1u);
    EXPECT_EQ(h.stats().total_drops(), 0u) << h.drop_summary();
}

TEST(Semantics, NextLoopsEndAsLoopLimit) {
    // t1 jumps back to t0, which falls through to t1 ... (backward `next` is legal OVN).
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0", "t1"});
    b.stages(Pipe::Egress, {"out"});
    b.flow(Pipe::Ingress, 0, 0, Match{}, b.actions(Pipe::Ingress, 0).load(Field::Reg1, 1).next().done());
    b.flow(Pipe::Ingress, 1, 0, Match{}, b.actions(Pipe::Ingress, 1).next(Pipe::Ingress, 0).done());
    b.flow(Pipe::Egress, 0, 0, Match{}, b.actions(Pipe::Egress, 0).output().done());
    b.port(1, "p1", vif(0));
    auto dp = b.build();
    ASSERT_TRUE(dp.ok()) << dp.error();
    Harness h(single_datapath(*dp));
    EXPECT_TRUE(h.send(0, udp()).empty());
    EXPECT_EQ(h.drops(DropReason::LoopLimit), 1u) << h.drop_summary();
}

TEST(Semantics, PartialMoveIntoAHeaderKeepsTheOtherBitsPerPacket) {
    // ip.tos[2..7] = reg0[0..5]: DSCP from a register, ECN (bits 0..1) untouched. The flow
    // cache must not replay the first packet's ECN onto the next one.
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load(Field::Reg0, 0x2e).move_bits(Field::IpTos, 2, Field::Reg0, 0, 6)
            .load(Field::Outport, 2).output().done();
    }));
    for (uint8_t ecn : {2, 3, 0, 1}) {
        auto in = FrameBuilder().eth(kB, kA).ipv4(kIpA, kIpB, 64, ecn).udp(1, 2).payload_pattern(8).build();
        auto want = FrameBuilder().eth(kB, kA).ipv4(kIpA, kIpB, 64, static_cast<uint8_t>(0x2e << 2 | ecn)).udp(1, 2)
                        .payload_pattern(8).build();
        auto out = h.send(0, in);
        ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
        EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(want)) << "ecn " << int(ecn);
    }
    EXPECT_GE(h.stats().cache_hits.get(), 3u) << "the later packets were cache hits";
}

TEST(Semantics, TtlDecrementHaltsAtOne) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).dec_ttl().load(Field::Outport, 2).output().done();
    }));
    auto out = h.send(0, udp(kB, kA, 2));
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(udp(kB, kA, 1)));
    out = h.send(0, udp(kB, kA, 1));
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(h.drops(DropReason::TtlExceeded), 1u) << h.drop_summary();
    out = h.send(0, FrameBuilder().eth(kB, kA).arp(1, kA, kIpA, Mac{}, kIpB).build());
    EXPECT_EQ(h.drops(DropReason::NotIp), 1u) << h.drop_summary();
}

TEST(Semantics, OutputToInportNeedsLoopback) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).move(Field::Outport, Field::Inport).output().done();
    }));
    EXPECT_TRUE(h.send(0, udp()).empty());
    EXPECT_EQ(h.drops(DropReason::SameInOut), 1u) << h.drop_summary();

    Harness h2(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).move(Field::Outport, Field::Inport).load_bits(Field::Flags, 0, 1, 1).output().done();
    }));
    auto out = h2.send(0, udp());
    EXPECT_EQ(out[0].size(), 1u) << "flags.loopback = 1 hairpins";
}

TEST(Semantics, PatchLoopsAreBounded) {
    // Switch 1 port 3 is patched to switch 2 port 1, whose ingress outputs to port 2,
    // patched back to switch 1 port 2, whose ingress outputs to port 3 ... forever.
    DatapathBuilder b2("loop", 2, false);
    b2.stages(Pipe::Ingress, {"t0"});
    b2.stages(Pipe::Egress, {"out"});
    b2.flow(Pipe::Ingress, 0, 0, Match{}, b2.actions(Pipe::Ingress, 0).load(Field::Outport, 2).output().done());
    b2.flow(Pipe::Egress, 0, 0, Match{}, b2.actions(Pipe::Egress, 0).output().done());
    PortEntry p1, p2;
    p1.kind = p2.kind = PortKind::Patch;
    p1.peer_dp = 1;
    p1.peer_port = 3;
    p2.peer_dp = 1;
    p2.peer_port = 2;
    b2.port(1, "l1", p1);
    b2.port(2, "l2", p2);
    auto dp2 = b2.build();
    ASSERT_TRUE(dp2.ok());
    auto g = one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load(Field::Outport, 3).output().done();
    });
    // Re-point switch 1's port 3 at the loop switch.
    DatapathBuilder b1("s", 1, false);
    b1.stages(Pipe::Ingress, {"t0"});
    b1.stages(Pipe::Egress, {"out"});
    b1.flow(Pipe::Ingress, 0, 0, Match{}, b1.actions(Pipe::Ingress, 0).load(Field::Outport, 3).output().done());
    b1.flow(Pipe::Egress, 0, 0, Match{}, b1.actions(Pipe::Egress, 0).output().done());
    PortEntry to2;
    to2.kind = PortKind::Patch;
    to2.peer_dp = 2;
    to2.peer_port = 1;
    PortEntry from2;
    from2.kind = PortKind::Patch;
    from2.peer_dp = 2;
    from2.peer_port = 2;
    b1.port(1, "p1", vif(0));
    b1.port(2, "p2", from2);
    b1.port(3, "p3", to2);
    auto dp1 = b1.build();
    ASSERT_TRUE(dp1.ok());
    g->datapaths = {*dp1, *dp2};
    g->index();
    Harness h(std::move(g));
    EXPECT_TRUE(h.send(0, udp()).empty());
    EXPECT_EQ(h.drops(DropReason::LoopLimit), 1u) << h.drop_summary();
}

TEST(Semantics, OnlyTheFirstDatapathAfterATunnelIsLocalOnly) {
    // A (key 1): port 1 VIF, port 2 patch to B. B (key 2): port 1 patch to A, port 2 on the
    // remote chassis, port 3 VIF; B's ingress floods. A packet from the tunnel for A's patch
    // port crosses into B, whose flood must reach the remote port again (ovn-architecture(7):
    // only the egress pipeline entered from the tunnel is local-only).
    auto patch = [](uint32_t dp, uint32_t port) {
        PortEntry e;
        e.kind = PortKind::Patch;
        e.peer_dp = dp;
        e.peer_port = port;
        return e;
    };
    DatapathBuilder a("a", 1, false);
    a.stages(Pipe::Ingress, {"t0"});
    a.stages(Pipe::Egress, {"out"});
    a.flow(Pipe::Ingress, 0, 0, Match{}, a.actions(Pipe::Ingress, 0).drop().done());
    a.flow(Pipe::Egress, 0, 0, Match{}, a.actions(Pipe::Egress, 0).output().done());
    a.port(1, "a1", vif(0));
    a.port(2, "a2", patch(2, 1));
    DatapathBuilder b("b", 2, false);
    b.stages(Pipe::Ingress, {"t0"});
    b.stages(Pipe::Egress, {"out"});
    b.flow(Pipe::Ingress, 0, 0, Match{}, b.actions(Pipe::Ingress, 0).load(Field::Outport, 32768).output().done());
    b.flow(Pipe::Egress, 0, 0, Match{}, b.actions(Pipe::Egress, 0).output().done());
    PortEntry remote;
    remote.kind = PortKind::Remote;
    remote.tunnel = 0;
    b.port(1, "b1", patch(1, 2));
    b.port(2, "b2", remote);
    b.port(3, "b3", vif(1));
    b.group(32768, "_MC_flood", {1, 2, 3});
    auto da = a.build(), db = b.build();
    ASSERT_TRUE(da.ok() && db.ok());
    auto g = std::make_unique<engine::Generation>();
    g->datapaths = {*da, *db};
    g->underlay.encap_ip = 0xc0a80001;
    engine::Tunnel t;
    t.remote_ip = 0xc0a80002;
    t.tx_port = 5;
    g->tunnels.push_back(t);
    g->rx.resize(5);
    g->rx[4] = {engine::RxRole::Underlay, 0, 0, {}};
    g->index();
    Harness h(std::move(g));
    const Bytes inner = udp(Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kA);
    auto out = h.send(4, pkt::geneve_encap(Mac{}, Mac{}, Ip4{0xc0a80002}, Ip4{0xc0a80001}, 40000, 1, 1, 2, inner));
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    ASSERT_EQ(out[5].size(), 1u) << "B's flood reaches the remote chassis " << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(inner));
    const Bytes& gnv = out[5][0];
    ASSERT_GT(gnv.size(), 58u);
    EXPECT_EQ(gnv[46] << 16 | gnv[47] << 8 | gnv[48], 2) << "VNI of B";
    EXPECT_EQ(gnv[56] << 8 | gnv[57], 32768) << "egress key: the group";
}

TEST(Semantics, UnimplementedActionsAreCountedByName) {
    Harness h(one_stage([](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).unimplemented(engine::Unimpl::CtLb).done();
    }));
    EXPECT_TRUE(h.send(0, udp()).empty());
    EXPECT_EQ(h.drops(DropReason::Unimplemented), 1u) << h.drop_summary();
    EXPECT_EQ(h.unimplemented(engine::Unimpl::CtLb), 1u);
}

TEST(Semantics, NoMatchingFlowIsOvnsImplicitDrop) {
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0"});
    b.stages(Pipe::Egress, {"out"});
    b.flow(Pipe::Ingress, 0, 10, Match{}.set_u64(Field::Inport, 9), b.actions(Pipe::Ingress, 0).output().done());
    b.port(1, "p1", vif(0));
    auto dp = b.build();
    ASSERT_TRUE(dp.ok());
    Harness h(single_datapath(*dp));
    EXPECT_TRUE(h.send(0, udp()).empty());
    EXPECT_EQ(h.drops(DropReason::NoMatch), 1u) << h.drop_summary();
}

TEST(Semantics, AddressAndPortRewritesKeepChecksumsValid) {
    const Ip4 nat{0xc0a80164};
    Harness h(one_stage([&](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load(Field::Ip4Src, nat.v).load(Field::TpSrc, 4321)
            .load(Field::Outport, 2).output().done();
    }));
    for (bool tcp : {false, true}) {
        FrameBuilder in, want;
        in.eth(kB, kA).ipv4(kIpA, kIpB, 64);
        want.eth(kB, kA).ipv4(nat, kIpB, 64);
        if (tcp) {
            in.tcp(1000, 80, 0x10, 99);
            want.tcp(4321, 80, 0x10, 99);
        } else {
            in.udp(1000, 80);
            want.udp(4321, 80);
        }
        in.payload_pattern(33);
        want.payload_pattern(33);
        auto out = h.send(0, in.build());
        ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
        EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(want.build())) << (tcp ? "tcp" : "udp");
    }
    // UDP without checksum stays without.
    auto out = h.send(0, FrameBuilder().eth(kB, kA).ipv4(kIpA, kIpB).udp(1000, 80, false).payload_pattern(8).build());
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[1][0]),
              pkt::hex(FrameBuilder().eth(kB, kA).ipv4(nat, kIpB).udp(4321, 80, false).payload_pattern(8).build()));
}

TEST(Semantics, Ipv6AddressRewriteKeepsL4Checksum) {
    const pkt::Ip6 a = *pkt::Ip6::parse("fd00::1"), b6 = *pkt::Ip6::parse("fd00::2"), n = *pkt::Ip6::parse("2001:db8::99");
    Harness h(one_stage([&](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).load_bytes(Field::Ip6Dst, n.b).dec_ttl().load(Field::Outport, 2).output().done();
    }));
    auto out = h.send(0, FrameBuilder().eth(kB, kA).ipv6(a, b6, 64).tcp(5, 6).payload_pattern(20).build());
    ASSERT_EQ(out[1].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[1][0]), pkt::hex(FrameBuilder().eth(kB, kA).ipv6(a, n, 63).tcp(5, 6).payload_pattern(20).build()));
    auto out2 = h.send(0, FrameBuilder().eth(kB, kA).ipv6(a, b6, 64).icmp6(128, 0, 7).payload_pattern(20).build());
    ASSERT_EQ(out2[1].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out2[1][0]), pkt::hex(FrameBuilder().eth(kB, kA).ipv6(a, n, 63).icmp6(128, 0, 7).payload_pattern(20).build()));
}

TEST(Semantics, ArpResponderRewrite) {
    // OVN's ls_in_arp_rsp: eth.dst = eth.src; eth.src = M; arp.op = 2; arp.tha = arp.sha;
    // arp.sha = M; arp.tpa = arp.spa; arp.spa = IP; outport = inport; flags.loopback = 1; output;
    Harness h(one_stage([&](DatapathBuilder& b) {
        return b.actions(Pipe::Ingress, 0).move(Field::EthDst, Field::EthSrc).load(Field::EthSrc, kB.u64())
            .load(Field::ArpOp, 2).move(Field::ArpTha, Field::ArpSha).load(Field::ArpSha, kB.u64())
            .move(Field::Ip4Dst, Field::Ip4Src).load(Field::Ip4Src, kIpB.v).move(Field::Outport, Field::Inport)
            .load_bits(Field::Flags, 0, 1, 1).output().done();
    }));
    const Mac bcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    auto out = h.send(0, FrameBuilder().eth(bcast, kA).arp(1, kA, kIpA, Mac{}, kIpB).build());
    ASSERT_EQ(out[0].size(), 1u) << h.drop_summary();
    EXPECT_EQ(pkt::hex(out[0][0]), pkt::hex(FrameBuilder().eth(kA, kB).arp(2, kB, kIpB, kA, kIpA).build()));
}

}  // namespace
}  // namespace scs::test
