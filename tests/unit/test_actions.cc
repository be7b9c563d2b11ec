// DatapathBuilder: stage shapes, elision of default-only stages, `next` resolution, stages
// adopted from an earlier build, errors.
#include <gtest/gtest.h>

#include "engine/builder.h"

#include <fmt/format.h>

#include <memory>
#include <vector>

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

// What the action list at `at` does, wherever it and its constants are: instructions with
// Load constants and Clone bodies followed, Next by its logical table.
std::vector<uint64_t> action_content(const Program& p, uint32_t at) {
    std::vector<uint64_t> out;
    if (at == kNoAction) return out;
    for (uint32_t i = at; i < p.code.size(); ++i) {
        const Insn& x = p.code[i];
        out.push_back(static_cast<uint64_t>(x.op) << 32 | static_cast<uint64_t>(x.off) << 16 | x.len);
        if (x.op == Op::Load) {
            for (uint32_t k = 0; k < 2u * x.len; ++k) out.push_back(p.consts.at(x.a + k));
        } else if (x.op == Op::Clone) {
            const auto body = action_content(p, x.a);
            out.insert(out.end(), body.begin(), body.end());
        } else if (x.op != Op::Next) {
            out.push_back(x.a);
        }
        if (x.op == Op::End) break;
    }
    return out;
}

// Ingress table 0: `n` exact rules loading reg0 (so its code and constants vary in size).
void first_stage(DatapathBuilder& b, unsigned n) {
    b.begin_block(Pipe::Ingress, 0);
    for (unsigned i = 0; i < n; ++i)
        b.flow(Pipe::Ingress, 0, 10, Match{}.set_u64(Field::EthDst, i + 1),
               b.actions(Pipe::Ingress, 0).load(Field::Reg0, 1000 + i).next().done());
    b.flow(Pipe::Ingress, 0, 0, Match{}, b.actions(Pipe::Ingress, 0).next().done());
    b.end_block(Pipe::Ingress, 0);
}

TEST(Builder, AdoptedStagesLookUpAndActAsBuilt) {
    auto ip4 = [] { return Match{}.set_u64(Field::EthType, 0x0800); };
    // dp1: table 1 routes (LPM, constants, a clone), table 2 a classifier, table 3 default only.
    DatapathBuilder b1("r", 2, true);
    b1.stages(Pipe::Ingress, {"t0", "routes", "acl", "skip", "out"});
    b1.stages(Pipe::Egress, {});
    first_stage(b1, 3);
    b1.begin_block(Pipe::Ingress, 1);
    for (unsigned plen : {8u, 16u, 24u, 32u}) {
        const uint32_t body = b1.actions(Pipe::Ingress, 1).load(Field::Reg1, plen).output().done();
        b1.flow(Pipe::Ingress, 1, static_cast<int32_t>(2 * plen + 1), ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a010203, plen),
                b1.actions(Pipe::Ingress, 1).clone(body).load(Field::Reg0, 0x0a000000 + plen).dec_ttl().next().done());
    }
    b1.end_block(Pipe::Ingress, 1);
    b1.begin_block(Pipe::Ingress, 2);
    b1.flow(Pipe::Ingress, 2, 10, Match{}.set_u64(Field::Inport, 1), b1.actions(Pipe::Ingress, 2).next().done());
    b1.flow(Pipe::Ingress, 2, 20, Match{}.set_u64(Field::Reg0, 0x0a000010), b1.actions(Pipe::Ingress, 2).drop().done());
    b1.flow(Pipe::Ingress, 2, 0, Match{}, b1.actions(Pipe::Ingress, 2).unimplemented(Unimpl::CtNext).done());
    b1.end_block(Pipe::Ingress, 2);
    b1.begin_block(Pipe::Ingress, 3);
    b1.default_next(Pipe::Ingress, 3);
    b1.end_block(Pipe::Ingress, 3);
    b1.flow(Pipe::Ingress, 4, 0, Match{}, b1.actions(Pipe::Ingress, 4).output().done());
    auto dp1 = b1.build();
    ASSERT_TRUE(dp1.ok()) << dp1.error();

    // dp2: a bigger first stage (everything after it moves), the others adopted; dp3 adopts
    // them again from dp2, after a smaller one.
    auto again = [&](DatapathBuilder& from, unsigned n) -> Result<DatapathPtr> {
        DatapathBuilder b("r", 2, true);
        b.stages(Pipe::Ingress, {"t0", "routes", "acl", "skip", "out"});
        b.stages(Pipe::Egress, {});
        first_stage(b, n);
        for (uint8_t t : {1, 2, 3}) {
            auto block = from.block(Pipe::Ingress, t);
            if (!block) return make_error(fmt::format("no block for table {}", t));
            b.adopt(Pipe::Ingress, t, block);
        }
        b.flow(Pipe::Ingress, 4, 0, Match{}, b.actions(Pipe::Ingress, 4).output().done());
        auto dp = b.build();
        if (dp) from = std::move(b);
        return dp;
    };
    DatapathBuilder chain = std::move(b1);
    auto dp2 = again(chain, 40);
    ASSERT_TRUE(dp2.ok()) << dp2.error();
    auto dp3 = again(chain, 1);
    ASSERT_TRUE(dp3.ok()) << dp3.error();

    const FlowKey probes[] = {
        ip4().set_u64(Field::Ip4Dst, 0x0a010203).value, ip4().set_u64(Field::Ip4Dst, 0x0a01ff01).value,
        ip4().set_u64(Field::Ip4Dst, 0x0aff0000).value, ip4().set_u64(Field::Ip4Dst, 0x0b000000).value,
        Match{}.set_u64(Field::Inport, 1).value,        Match{}.set_u64(Field::Reg0, 0x0a000010).value,
        Match{}.value,
    };
    for (const DatapathPtr& dp : {*dp2, *dp3}) {
        const Pipeline& want = (*dp1)->pipe[0];
        const Pipeline& got = dp->pipe[0];
        ASSERT_EQ(got.stages.size(), want.stages.size()) << "the default-only stage stays elided";
        EXPECT_EQ(dp->unimplemented_insns, (*dp1)->unimplemented_insns);
        for (std::size_t s = 1; s < want.stages.size(); ++s) {
            EXPECT_EQ(got.stages[s].name, want.stages[s].name);
            EXPECT_EQ(got.stages[s].kind, want.stages[s].kind);
            EXPECT_EQ(got.stages[s].digest(), want.stages[s].digest());
            for (const FlowKey& k : probes) {
                const Hit a = want.stages[s].lookup(k), b = got.stages[s].lookup(k);
                EXPECT_EQ(a.priority, b.priority) << want.stages[s].name;
                EXPECT_EQ(a.rule, b.rule) << want.stages[s].name;
                EXPECT_EQ(action_content((*dp1)->program, a.action), action_content(dp->program, b.action))
                    << want.stages[s].name;
            }
        }
        // `next` from the adopted stages still lands on the right kept stage.
        for (const Insn& i : dp->program.code) {
            if (i.op == Op::Next) {
                EXPECT_EQ(i.a, got.compact_of[i.off]);
            }
        }
    }
    // The adopted code did move: otherwise this test would prove nothing.
    EXPECT_NE(chain.block(Pipe::Ingress, 1)->code_begin, 0u);
}

TEST(Builder, AdoptingWithFlowsOrAStaleBlockIsAnError) {
    DatapathBuilder b1("s", 1, false);
    b1.stages(Pipe::Ingress, {"t0"});
    b1.stages(Pipe::Egress, {});
    first_stage(b1, 2);
    ASSERT_TRUE(b1.build().ok());
    DatapathBuilder b2("s", 1, false);
    b2.stages(Pipe::Ingress, {"t0"});
    b2.stages(Pipe::Egress, {});
    b2.adopt(Pipe::Ingress, 0, b1.block(Pipe::Ingress, 0));
    b2.flow(Pipe::Ingress, 0, 5, Match{}.set_u64(Field::Inport, 1), b2.actions(Pipe::Ingress, 0).next().done());
    EXPECT_FALSE(b2.build().ok());
    DatapathBuilder b3("s", 1, false);
    b3.stages(Pipe::Ingress, {"t0"});
    b3.stages(Pipe::Egress, {});
    auto stale = std::make_shared<StageBlock>(*b1.block(Pipe::Ingress, 0));
    stale->code_end += 1000;
    b3.adopt(Pipe::Ingress, 0, stale);
    EXPECT_FALSE(b3.build().ok());
    DatapathBuilder b4("s", 1, false);
    b4.stages(Pipe::Ingress, {"t0"});
    b4.stages(Pipe::Egress, {});
    b4.begin_block(Pipe::Ingress, 0);
    EXPECT_FALSE(b4.build().ok()) << "a block never ended";
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
