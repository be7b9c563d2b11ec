// DatapathBuilder: stage shapes, elision of default-only stages, `next` resolution, errors.
#include <gtest/gtest.h>

#include "engine/builder.h"

namespace scs::engine {
namespace {

TEST(Builder, DefaultOnlyStagesAreElidedAndNextSkipsThem) {
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0", "t1", "t2", "t3"});
    b.stages(Pipe::Egress, {"e0"});
    b.flow(Pipe::Ingress, 0, 10, Match{}.set_u64(Field::Inport, 1), b.actions(Pipe::Ingress, 0).next().done());
    b.default_next(Pipe::Ingress, 1);
    b.default_next(Pipe::Ingress, 2);
    b.flow(Pipe::Ingress, 3, 0, Match{}, b.actions(Pipe::Ingress, 3).output().done());
    b.flow(Pipe::Egress, 0, 0, Match{}, b.actions(Pipe::Egress, 0).output().done());
    auto dp = b.build();
    ASSERT_TRUE(dp.ok()) << dp.error();
    const Pipeline& in = (*dp)->pipe[0];
    ASSERT_EQ(in.stages.size(), 2u);
    EXPECT_EQ(in.stages[0].name, "t0");
    EXPECT_EQ(in.stages[1].name, "t3");
    EXPECT_EQ(in.stages[1].kind, StageKind::MissOnly);
    EXPECT_EQ(in.compact_of[1], 1u);
    EXPECT_EQ(in.compact_of[2], 1u);
    EXPECT_EQ(in.compact_of[4], 2u) << "past the end";
    // t0's `next` now names the kept stage t3 and is a tail call.
    const Insn& next = (*dp)->program.code[0];
    EXPECT_EQ(next.op, Op::Next);
    EXPECT_EQ(next.a, 1u);
    EXPECT_TRUE(next.flags & kInsnTail);
}

TEST(Builder, ShapesFollowTheFlows) {
    DatapathBuilder b("r", 2, true);
    b.stages(Pipe::Ingress, {"exact", "lpm", "generic"});
    b.stages(Pipe::Egress, {});
    const uint32_t nx = b.actions(Pipe::Ingress, 0).next().done();
    for (uint64_t m = 1; m <= 10; ++m) b.flow(Pipe::Ingress, 0, 50, Match{}.set_u64(Field::EthDst, m), nx);
    b.flow(Pipe::Ingress, 0, 0, Match{}, b.actions(Pipe::Ingress, 0).drop().done());
    auto ip4 = [] { return Match{}.set_u64(Field::EthType, 0x0800); };
    for (unsigned plen : {8u, 16u, 24u, 32u})
        b.flow(Pipe::Ingress, 1, static_cast<int32_t>(2 * plen + 1), ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a010203, plen), nx);
    b.flow(Pipe::Ingress, 1, 500, ip4().set_u64(Field::Ip4Dst, 0xe0000000, 0xf0000000), nx);  // mcast: residual
    b.flow(Pipe::Ingress, 2, 10, Match{}.set_u64(Field::Inport, 1), nx);
    b.flow(Pipe::Ingress, 2, 20, Match{}.set_u64(Field::Reg0, 1), nx);
    auto dp = b.build();
    ASSERT_TRUE(dp.ok()) << dp.error();
    const auto& st = (*dp)->pipe[0].stages;
    ASSERT_EQ(st.size(), 3u);
    EXPECT_EQ(st[0].kind, StageKind::Exact);
    EXPECT_EQ(st[1].kind, StageKind::Lpm);
    EXPECT_EQ(st[1].lpm->size(), 4u);
    EXPECT_EQ(st[1].residual.size(), 1u);
    EXPECT_EQ(st[2].kind, StageKind::Classifier);
    EXPECT_EQ(st[2].residual.n_subtables(), 2u);
}

TEST(Builder, CatchAllAboveOtherFlowsShadowsThem) {
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0"});
    b.stages(Pipe::Egress, {});
    const uint32_t drop = b.actions(Pipe::Ingress, 0).drop().done();
    const uint32_t out = b.actions(Pipe::Ingress, 0).output().done();
    b.flow(Pipe::Ingress, 0, 100, Match{}, drop);
    b.flow(Pipe::Ingress, 0, 50, Match{}.set_u64(Field::Inport, 1), out);  // can never match
    b.flow(Pipe::Ingress, 0, 150, Match{}.set_u64(Field::Inport, 2), out);
    auto dp = b.build();
    ASSERT_TRUE(dp.ok());
    const Stage& s = (*dp)->pipe[0].stages[0];
    EXPECT_EQ(s.miss_action, drop);
    EXPECT_EQ(s.kind, StageKind::Exact);
    EXPECT_EQ(s.exact->size(), 1u);
}

TEST(Builder, ForcedShapeThatDoesNotFitIsAnError) {
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0"});
    b.stages(Pipe::Egress, {});
    const uint32_t nx = b.actions(Pipe::Ingress, 0).next().done();
    b.flow(Pipe::Ingress, 0, 1, Match{}.set_u64(Field::Inport, 1), nx);
    b.flow(Pipe::Ingress, 0, 1, Match{}.set_u64(Field::Reg0, 1), nx);
    b.force_kind(Pipe::Ingress, 0, StageKind::Exact);
    auto dp = b.build();
    ASSERT_FALSE(dp.ok());
    EXPECT_NE(dp.error().find("t0"), std::string::npos) << dp.error();
}

TEST(Builder, NextBeyondThePipelineIsAnError) {
    DatapathBuilder b("s", 1, false);
    b.stages(Pipe::Ingress, {"t0"});
    b.stages(Pipe::Egress, {});
    b.flow(Pipe::Ingress, 0, 0, Match{}, b.actions(Pipe::Ingress, 0).next(Pipe::Egress, 5).done());
    auto dp = b.build();
    ASSERT_FALSE(dp.ok());
    EXPECT_NE(dp.error().find("beyond"), std::string::npos) << dp.error();
}

TEST(Builder, BadInputIsAnErrorNotACrash) {
    auto check = [](auto&& body, const char* needle) {
        DatapathBuilder b("bad", 1, false);
        b.stages(Pipe::Ingress, {"t0"});
        b.stages(Pipe::Egress, {});
        body(b);
        auto dp = b.build();
        ASSERT_FALSE(dp.ok()) << needle;
        EXPECT_NE(dp.error().find(needle), std::string::npos) << dp.error();
        EXPECT_NE(dp.error().find("datapath bad"), std::string::npos) << dp.error();
    };
    check([](DatapathBuilder& b) { b.flow(Pipe::Ingress, 7, 1, Match{}, 0); }, "table 7");
    check([](DatapathBuilder& b) { b.port(40000, "p", PortEntry{}); }, "outside 1..32767");
    check([](DatapathBuilder& b) { b.group(5, "g", {}); }, "outside 32768..65535");
    check([](DatapathBuilder& b) { b.actions(Pipe::Ingress, 0).load_bits(Field::Reg0, 30, 4, 1).done(); }, "reg0[30..33]");
    check([](DatapathBuilder& b) { b.actions(Pipe::Ingress, 0).move(Field::EthSrc, Field::Reg0).done(); }, "widths differ");
    check([](DatapathBuilder& b) { b.actions(Pipe::Ingress, 0).load(Field::Ip6Dst, 1).done(); }, "16-byte field");
}

TEST(Fields, NamesResolve) {
    EXPECT_EQ(field_by_name("ip4.dst"), Field::Ip4Dst);
    EXPECT_EQ(field_by_name("xxreg1"), Field::Xxreg1);
    EXPECT_FALSE(field_by_name("ip5.dst").has_value());
    EXPECT_EQ(field_info(Field::Xreg0).offset, field_info(Field::Reg0).offset) << "xreg0 = reg0 << 32 | reg1";
    EXPECT_EQ(field_info(Field::Xreg0).width, 8);
}

}  // namespace
}  // namespace scs::engine
