// get_fdb() and lookup_fdb() answered from the Southbound FDB table (tests/fixtures/sb/
// varied.json: ls-l2, key 34, p1 and p2 ("unknown") here, p3 and p4 ("MAC" + "unknown") on
// hv2). ovn-northd sends a frame for a MAC no port lists to ls_in_l2_lkup's
// `outport = get_fdb(eth.dst)`: with no FDB row it is flooded to _MC_unknown; with a row,
// it goes to the port the MAC was learned on - here or through Geneve - as ovn-controller's
// OFTABLE_GET_FDB does. lookup_fdb() tells ls_in_put_fdb whether a MAC is already known on
// its port. Rows are what another chassis learned (put_fdb itself is not performed here).
#include "fixture_chassis.h"

namespace scs::test {
namespace {

using pkt::Ip4;
using pkt::Mac;

constexpr uint16_t kP1 = 0, kP2 = 1, kUnderlay = 2, kProvider = 3;
constexpr int64_t kLsL2 = 34, kP2Key = 2, kP4Key = 4;
const Mac kP1Mac = *Mac::parse("02:bb:00:00:04:11"), kLearned = *Mac::parse("02:bb:00:00:04:77");
const Ip4 kP1Ip = *Ip4::parse("192.0.2.1"), kOtherIp = *Ip4::parse("192.0.2.77");

class Fdb : public FixtureChassis {
protected:
    void SetUp() override { load("varied.json", scs_dp_0({{"p1", kP1}, {"p2", kP2}}, kUnderlay, kProvider)); }
    // Compiles the fixture again, incrementally, with `rows` as its FDB table.
    void with_fdb(std::vector<ovsdb::FdbEntry> rows) {
        sb.fdb = std::move(rows);
        auto g = compiler->compile(sb, ++generation_);
        ASSERT_TRUE(g) << g.error();
        h = std::make_unique<Harness>(std::move(*g));
    }
    // The Geneve frame to hv2 for `inner` from p1 (key 1) to egress port `out`.
    Bytes to_hv2(const Bytes& got, const Bytes& inner, uint16_t out) const {
        const uint16_t sport = static_cast<uint16_t>(got[34] << 8 | got[35]);  // a flow hash
        return pkt::geneve_encap(kHv2Mac, kOurUnderlayMac, kOurIp, kHv2Ip, sport, kLsL2, 1, out, inner);
    }

    uint64_t generation_ = 1;
};

TEST_F(Fdb, WithoutARowTheMacIsFloodedToTheUnknownPorts) {
    const Bytes in = udp(kLearned, kP1Mac, kP1Ip, kOtherIp);
    auto out = h->send(kP1, in);
    EXPECT_EQ(out[kP2].size(), 1u) << h->drop_summary() << trace(kP1, in);
    EXPECT_EQ(out[kUnderlay].size(), 1u) << "the _MC_unknown copy to hv2 (p4)" << trace(kP1, in);
}

TEST_F(Fdb, ALearnedMacGoesToItsPortOnly) {
    with_fdb({{"02:bb:00:00:04:77", kLsL2, kP2Key}});
    const Bytes in = udp(kLearned, kP1Mac, kP1Ip, kOtherIp);
    auto out = h->send(kP1, in);
    ASSERT_EQ(out[kP2].size(), 1u) << h->drop_summary() << trace(kP1, in);
    EXPECT_EQ(pkt::hex(out[kP2][0]), pkt::hex(in));
    EXPECT_EQ(out.count(kUnderlay), 0u) << "still flooded" << trace(kP1, in);
}

TEST_F(Fdb, AMacLearnedOnARemotePortIsTunnelledThere) {
    with_fdb({{"02:bb:00:00:04:77", kLsL2, kP4Key}});
    const Bytes in = udp(kLearned, kP1Mac, kP1Ip, kOtherIp);
    auto out = h->send(kP1, in);
    EXPECT_EQ(out.count(kP2), 0u) << trace(kP1, in);
    ASSERT_EQ(out[kUnderlay].size(), 1u) << h->drop_summary() << trace(kP1, in);
    EXPECT_EQ(pkt::hex(out[kUnderlay][0]), pkt::hex(to_hv2(out[kUnderlay][0], in, kP4Key)));
}

TEST_F(Fdb, RowsOfOtherDatapathsAndBadRowsAreIgnored) {
    with_fdb({{"02:bb:00:00:04:77", 31, kP2Key}, {"not-a-mac", kLsL2, kP2Key}});
    const Bytes in = udp(kLearned, kP1Mac, kP1Ip, kOtherIp);
    auto out = h->send(kP1, in);
    EXPECT_EQ(out[kP2].size(), 1u) << h->drop_summary();
    EXPECT_EQ(out[kUnderlay].size(), 1u) << "flooded as without a row";
    bool reported = false;
    for (const std::string& w : compiler->report().warnings) reported = reported || w.find("not-a-mac") != std::string::npos;
    EXPECT_TRUE(reported) << "the bad row is reported";
}

TEST_F(Fdb, LookupFdbKnowsAMacOnItsPort) {
    // p2 sends from the MAC: not yet known on p2 -> ls_in_put_fdb's put_fdb() flow matches;
    // once the row says p2, its priority-0 `next;` does instead.
    const Bytes from_p2 = udp(kP1Mac, kLearned, kOtherIp, kP1Ip);
    EXPECT_NE(trace(kP2, from_p2).find("put_fdb(inport, eth.src)"), std::string::npos) << trace(kP2, from_p2);
    with_fdb({{"02:bb:00:00:04:77", kLsL2, kP2Key}});
    EXPECT_EQ(trace(kP2, from_p2).find("put_fdb(inport, eth.src)"), std::string::npos) << trace(kP2, from_p2);
    // Learned on another port: p2 would learn it again.
    with_fdb({{"02:bb:00:00:04:77", kLsL2, kP4Key}});
    EXPECT_NE(trace(kP2, from_p2).find("put_fdb(inport, eth.src)"), std::string::npos) << trace(kP2, from_p2);
}

}  // namespace
}  // namespace scs::test
