// Lookup structures against a naive reference: highest-priority matching rule, by linear scan.
#include <gtest/gtest.h>

#include <random>

#include "common/byteorder.h"
#include "engine/table.h"

namespace scs::engine {
namespace {

struct Rule {
    Match m;
    int32_t prio;
    uint32_t action;
};

Hit naive(const std::vector<Rule>& rules, const FlowKey& k) {
    Hit best;
    for (const Rule& r : rules)
        if (r.m.matches(k) && r.prio > best.priority) best = {r.prio, r.action, 0};
    return best;
}

FlowKey random_key(std::mt19937& rng) {
    FlowKey k{};
    // Few distinct values per field so that random keys hit random rules often.
    k.inport = scs::hton32(rng() % 4);
    k.outport = scs::hton32(rng() % 4);
    k.reg[0] = scs::hton32(rng() % 8);
    k.eth_type = rng() % 2 ? 0x0008 : 0xdd86;
    k.ip4_dst = scs::hton32(0x0a000000u | (rng() % 4) << 8 | (rng() % 4));
    k.ip_proto = rng() % 2 ? 6 : 17;
    k.tp_dst = scs::hton16(static_cast<uint16_t>(rng() % 3));
    return k;
}

TEST(Subtable, ExactHitsAndMisses) {
    Match proto;
    proto.set_u64(Field::EthDst, 0);
    Subtable st(proto.mask);
    for (uint64_t i = 0; i < 1000; ++i) {
        Match m;
        m.set_u64(Field::EthDst, 0x020000000000ull + i);
        EXPECT_TRUE(st.insert(m.value, 50, static_cast<uint32_t>(i), static_cast<uint32_t>(i)));
    }
    Match dup;
    dup.set_u64(Field::EthDst, 0x020000000000ull + 7);
    EXPECT_FALSE(st.insert(dup.value, 10, 9999, 0)) << "lower-priority duplicate is shadowed";
    st.finalize();
    for (uint64_t i = 0; i < 1000; ++i) {
        Match m;
        m.set_u64(Field::EthDst, 0x020000000000ull + i);
        m.value.reg[3] = 12345;  // not in the mask: ignored
        Hit h;
        ASSERT_TRUE(st.lookup(m.value, h));
        EXPECT_EQ(h.action, i);
    }
    Match miss;
    miss.set_u64(Field::EthDst, 0x030000000000ull);
    Hit h;
    EXPECT_FALSE(st.lookup(miss.value, h));
}

TEST(Classifier, MatchesNaiveHighestPriority) {
    std::mt19937 rng(42);
    for (int round = 0; round < 20; ++round) {
        std::vector<Rule> rules;
        Classifier cls;
        for (uint32_t i = 0; i < 60; ++i) {
            Match m;
            if (rng() % 2) m.set_u64(Field::Inport, rng() % 4);
            if (rng() % 2) m.set_u64(Field::Reg0, rng() % 8, rng() % 2 ? 0xffffffff : 0x3);
            if (rng() % 3 == 0) m.set_u64(Field::EthType, rng() % 2 ? 0x0800 : 0x86dd);
            if (rng() % 2) m.set_ip4_prefix(Field::Ip4Dst, 0x0a000000u | (rng() % 4) << 8, rng() % 2 ? 24 : 32);
            if (rng() % 4 == 0) m.set_u64(Field::TpDst, rng() % 3);
            const int32_t prio = static_cast<int32_t>(rng() % 20);
            // Equal-priority overlaps are undefined in OVN; keep the reference unambiguous.
            bool clash = false;
            for (const Rule& r : rules) clash |= r.prio == prio;
            if (clash) continue;
            rules.push_back({m, prio, i});
            cls.insert(m, prio, i, i);
        }
        cls.finalize();
        for (int n = 0; n < 2000; ++n) {
            const FlowKey k = random_key(rng);
            Hit got;
            cls.lookup(k, got);
            const Hit want = naive(rules, k);
            ASSERT_EQ(got.priority, want.priority);
            ASSERT_EQ(got.action, want.action);
        }
    }
}

TEST(Lpm, LongestPrefixWinsAndGuardApplies) {
    Match guard;
    guard.set_u64(Field::EthType, 0x0800);
    LpmTable lpm(SCS_KEY_OFF(ip4_dst), 4, guard);
    auto add = [&](uint32_t a, unsigned plen, uint32_t action) {
        uint8_t b[4] = {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
        lpm.insert(b, plen, static_cast<int32_t>(2 * plen + 1), action, action);
    };
    add(0, 0, 1);            // default
    add(0x0a000000, 8, 2);   // 10/8
    add(0x0a010000, 16, 3);  // 10.1/16
    add(0x0a010200, 24, 4);  // 10.1.2/24
    add(0x0a010203, 32, 5);  // 10.1.2.3/32
    lpm.finalize();
    auto look = [&](uint32_t ip, uint16_t etype = 0x0800) {
        Match k;
        k.set_u64(Field::EthType, etype).set_u64(Field::Ip4Dst, ip);
        Hit h;
        return lpm.lookup(k.value, h) ? h.action : 0u;
    };
    EXPECT_EQ(look(0x0a010203), 5u);
    EXPECT_EQ(look(0x0a010204), 4u);
    EXPECT_EQ(look(0x0a01ff01), 3u);
    EXPECT_EQ(look(0x0aff0000), 2u);
    EXPECT_EQ(look(0x08080808), 1u);
    EXPECT_EQ(look(0x0a010203, 0x86dd), 0u) << "guard (ip4) not met: no hit";
}

TEST(Lpm, AgreesWithNaiveOnRandomRoutes) {
    std::mt19937 rng(7);
    Match guard;
    guard.set_u64(Field::EthType, 0x0800);
    LpmTable lpm(SCS_KEY_OFF(ip4_dst), 4, guard);
    std::vector<Rule> rules;
    for (uint32_t i = 0; i < 3000; ++i) {
        const unsigned plen = rng() % 33;
        const uint32_t mask = plen ? ~0u << (32 - plen) : 0;
        const uint32_t a = (0x0a000000u | (rng() & 0x00ffffff)) & mask;
        Match m = guard;
        m.set_ip4_prefix(Field::Ip4Dst, a, plen);
        uint8_t b[4] = {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
        bool dup = false;
        for (const Rule& r : rules) dup |= r.prio == static_cast<int32_t>(2 * plen + 1) && r.m.value.ip4_dst == m.value.ip4_dst;
        if (dup) continue;
        lpm.insert(b, plen, static_cast<int32_t>(2 * plen + 1), i, i);
        rules.push_back({m, static_cast<int32_t>(2 * plen + 1), i});
    }
    lpm.finalize();
    for (int n = 0; n < 20000; ++n) {
        Match k;
        k.set_u64(Field::EthType, 0x0800).set_u64(Field::Ip4Dst, 0x0a000000u | (rng() & 0x00ffffff));
        Hit h;
        lpm.lookup(k.value, h);
        const Hit want = naive(rules, k.value);
        ASSERT_EQ(h.action, want.action);
    }
}

TEST(Guard, OnlyMaskedWordsMatter) {
    Match g;
    g.set_u64(Field::Reg7, 0).set_u64(Field::EthType, 0x0800);
    Guard guard(g);
    FlowKey k{};
    k.eth_type = 0x0008;
    k.reg[3] = 99;
    EXPECT_TRUE(guard.matches(k));
    k.reg[7] = 0x01000000;
    EXPECT_FALSE(guard.matches(k));
    EXPECT_TRUE(Guard(Match{}).always());
}

}  // namespace
}  // namespace scs::engine
