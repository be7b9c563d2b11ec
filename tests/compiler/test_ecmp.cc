// ECMP: lr-a's route 10.99.0.0/16 over a2 (here) and a3 (on hv2) in tests/fixtures/sb/routed.json,
// lowered from `reg8[16..31] = select(1, 2)`. Every flow goes to exactly one of the two next
// hops, rewritten as OVN routes it (byte for byte: TTL - 1, the router's MAC as source, the
// next hop's as destination; Geneve to hv2 for a3); one flow keeps its member, with the flow
// cache on or off; both members are used; and the reference interpreter picks the same member.
#include <gtest/gtest.h>

#include <set>

#include "compiler/compiler.h"
#include "ovsdb/snapshot_file.h"
#include "packet/builder.h"
#include "packet/harness.h"
#include "reference/interpreter.h"

namespace scs::test {
namespace {

using pkt::FrameBuilder;
using pkt::Ip4;
using pkt::Mac;

constexpr uint16_t kA1 = 0, kA2 = 1, kUnderlay = 3;
const Mac kA1Mac = *Mac::parse("02:aa:00:00:0a:11"), kA2Mac = *Mac::parse("02:aa:00:00:0a:12");
const Mac kA3Mac = *Mac::parse("02:aa:00:00:0a:13"), kLraMac = *Mac::parse("02:ff:00:00:0a:01");
const Ip4 kA1Ip = *Ip4::parse("192.168.10.11");

compiler::LocalConfig config() {
    compiler::LocalConfig c;
    c.chassis = "scs-dp-0";
    c.vifs = {{"a1", kA1}, {"a2", kA2}};
    c.underlay_port = kUnderlay;
    c.encap_ip = *Ip4::parse("192.168.100.1");
    c.underlay_mac = *Mac::parse("02:00:00:00:aa:01");
    c.next_hop_mac = *Mac::parse("02:00:00:00:aa:02");
    return c;
}

Bytes udp(Mac dst, Mac src, Ip4 dip, uint16_t sport, uint8_t ttl) {
    return FrameBuilder().eth(dst, src).ipv4(kA1Ip, dip, ttl).udp(sport, 5678).payload_pattern(18).build();
}

TEST(Ecmp, EachFlowTakesOneNextHopAndBothAreUsed) {
    auto sb = ovsdb::load_snapshot(SCS_SOURCE_ROOT "/tests/fixtures/sb/routed.json");
    ASSERT_TRUE(sb) << sb.error();
    compiler::Compiler c(config());
    auto g = c.compile(*sb, 1);
    ASSERT_TRUE(g) << g.error();
    Harness cached(std::make_unique<engine::Generation>(**g));
    Harness uncached(std::make_unique<engine::Generation>(**g), false);
    const reference::Interpreter ref(*sb, config());
    std::set<int> used;
    for (unsigned f = 0; f < 64; ++f) {
        const Ip4 dst{(10u << 24) | (99u << 16) | (f % 7) << 8 | (f + 1)};
        const auto sport = static_cast<uint16_t>(1000 + 37 * f);
        const Bytes in = udp(kLraMac, kA1Mac, dst, sport, 64);
        int member = -1;
        for (int pass = 0; pass < 3; ++pass) {
            Harness& h = pass == 1 ? uncached : cached;
            auto out = h.send(kA1, in);
            ASSERT_EQ(out.size(), 1u) << "flow " << f << ": " << h.drop_summary();
            int m = -1;
            if (out.count(kA2)) {
                ASSERT_EQ(out[kA2].size(), 1u);
                EXPECT_EQ(pkt::hex(out[kA2][0]), pkt::hex(udp(kA2Mac, kLraMac, dst, sport, 63))) << "flow " << f;
                m = 0;
            } else {
                ASSERT_EQ(out[kUnderlay].size(), 1u) << "flow " << f;
                const Bytes& geneve = out[kUnderlay][0];
                const Bytes inner(geneve.end() - static_cast<std::ptrdiff_t>(in.size()), geneve.end());
                EXPECT_EQ(pkt::hex(inner), pkt::hex(udp(kA3Mac, kLraMac, dst, sport, 63))) << "flow " << f;
                m = 1;
            }
            if (member < 0) member = m;
            EXPECT_EQ(m, member) << "flow " << f << " changed next hop on pass " << pass;
        }
        used.insert(member);
        const reference::RunResult r = ref.run(kA1, in);
        ASSERT_EQ(r.outcomes.size(), 1u) << "reference, flow " << f;
        const reference::Outcome& o = r.outcomes[0];
        EXPECT_EQ(o.kind, member == 0 ? reference::Outcome::Kind::Tx : reference::Outcome::Kind::Tunnel)
            << "reference picked the other member, flow " << f;
    }
    EXPECT_EQ(used.size(), 2u) << "64 flows, one next hop";
}

}  // namespace
}  // namespace scs::test
