// Match expressions: parse errors with positions, to_matches() golden cases, printing.
#include <gtest/gtest.h>

#include <cstring>

#include "lflow/expr.h"
#include "lflow_test_util.h"

using namespace scs;
using namespace scs::lflow;
using scs::lflow::test::FakeResolver;
using scs::lflow::test::show;

namespace {

FakeResolver resolver() {
    FakeResolver r;
    r.ports = {{"p1", 1}, {"p2", 2}, {"lr0-public", 7}};
    r.groups = {{"pg", {"p1", "p2", "not-here"}}, {"empty", {}}};
    r.sets = {{"as", {"10.0.0.1", "10.0.1.0/24"}},
              {"macs", {"00:00:00:00:00:01"}},
              {"empty", {}},
              {"bad", {"not-an-address"}},
              {"v6", {"fe80::1"}}};
    r.resident = {"cr-lr0-public"};
    return r;
}

std::vector<std::string> lower(std::string_view text) {
    Result<ExprPtr> e = parse_expr(text);
    EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error());
    if (!e.ok()) return {"<parse error>"};
    FakeResolver r = resolver();
    auto m = to_matches(**e, r);
    EXPECT_TRUE(m.ok()) << text << ": " << (m.ok() ? "" : m.error());
    if (!m.ok()) return {"<lower error>"};
    return show(*m);
}

std::string lower_error(std::string_view text) {
    Result<ExprPtr> e = parse_expr(text);
    EXPECT_TRUE(e.ok()) << text;
    if (!e.ok()) return e.error();
    FakeResolver r = resolver();
    auto m = to_matches(**e, r);
    EXPECT_FALSE(m.ok()) << text;
    return m.ok() ? "" : m.error();
}

using V = std::vector<std::string>;

}  // namespace

TEST(ExprParse, Errors) {
    struct Case {
        const char* text;
        const char* message;  // SyntaxError::to_string()
    };
    const Case cases[] = {
        {"ip4 && ip6 || tcp", "syntax error at column 12: '&&' and '||' must be parenthesized when used together"},
        {"ip4 || ip6 && tcp", "syntax error at column 12: '&&' and '||' must be parenthesized when used together"},
        {"!tcp.dst == 80", "syntax error at column 2: missing parentheses around operand of '!'"},
        {"reg0", "syntax error at column 1: explicit '!= 0' is required for inequality test of multibit field 'reg0' against 0"},
        {"reg0[32]", "syntax error at column 5: cannot select bits 32..32 of 32-bit field 'reg0'"},
        {"reg0[5..3]", "syntax error at column 5: invalid bit range 5..3 of 'reg0'"},
        {"tcp.dst == 65536", "syntax error at column 12: 17-bit constant is not compatible with 16-bit field 'tcp.dst'"},
        {"reg0[0..3] == 0x10", "syntax error at column 15: 5-bit constant is not compatible with 4-bit field 'reg0'"},
        {"ip4.src == fe80::1", "syntax error at column 12: 128-bit constant is not compatible with 32-bit field 'ip4.src'"},
        {"foo == 1", "syntax error at column 1: unknown field 'foo'"},
        {"inport != \"p1\"", "syntax error at column 1: nominal field 'inport' may only be tested for equality (taking enclosing '!' operators into account)"},
        {"!(inport == \"p1\")", "syntax error at column 3: nominal field 'inport' may only be tested for equality (taking enclosing '!' operators into account)"},
        {"eth.type[0]", "syntax error at column 9: cannot select bits of nominal field 'eth.type'"},
        {"tcp[0]", "syntax error at column 4: cannot select bits of predicate 'tcp'"},
        {"tcp.dst < 10.0.0.0/8", "syntax error at column 11: only '==' and '!=' may be used with a masked constant, not '<'"},
        {"tcp.dst < {1, 2}", "syntax error at column 11: only '==' and '!=' may be used with a set or reference, not '<'"},
        {"ip.proto < 6", "syntax error at column 1: only '==' and '!=' may be used with nominal field 'ip.proto'"},
        {"ip4.src == 1.2.3.4 &&", "syntax error at column 22: expecting field name, constant or '(', found end of input"},
        {"(ip4", "syntax error at column 5: expecting ')', found end of input"},
        {"inport == 1", "syntax error at column 11: string field 'inport' is not compatible with an integer constant"},
        {"reg0 == \"x\"", "syntax error at column 9: integer field 'reg0' is not compatible with a string constant"},
        {"tcp.dst == @pg", "syntax error at column 12: integer field 'tcp.dst' is not compatible with port group '@pg'"},
        {"inport == $as", "syntax error at column 11: string field 'inport' is not compatible with address set '$as'"},
        {"1 < tcp.dst > 5", "syntax error at column 13: range expressions must have the form 'c1 < field < c2' or 'c1 > field > c2'"},
        {"2", "syntax error at column 2: expecting relational operator, found end of input"},
        {"ip4 ip6", "syntax error at column 5: expecting end of input, found 'ip6'"},
        {"inport", "syntax error at column 1: string field 'inport' must be compared with '==' or '!='"},
        {"is_chassis_resident(p1)", "syntax error at column 21: is_chassis_resident() expects a quoted port name, found 'p1'"},
        {"a & b", "syntax error at column 3: '&' is only valid as part of '&&'"},
        {"reg0[0..70000] == 1", "syntax error at column 9: expecting small integer, found integer"},
        {"", "syntax error at column 1: expecting field name, constant or '(', found end of input"},
    };
    for (const Case& c : cases) {
        Result<ExprPtr> e = parse_expr(c.text);
        ASSERT_FALSE(e.ok()) << c.text;
        EXPECT_EQ(e.error(), c.message) << c.text;
    }
}

TEST(ExprParse, Accepts) {
    for (const char* t : {
             "1", "0", "true", "false", "ip4", "!ip4", "!!ip4", "(ip4)", "!(tcp.dst == 80)",
             "!(inport != \"p1\")", "80 == tcp.dst", "1024 <= tcp.src <= 49151",
             "5 > reg0[0..3] >= 1", "tcp.dst == {80, 443,}", "tcp.dst == {80 443}",
             "ip4.src == {$as, 1.2.3.4}", "ip4.src == {}", "eth.src[40]", "reg0[0]",
             "vlan.present", "ct.new && !ct.rel", "is_chassis_resident(\"x\")",
             "ip6.dst == ff02::1:ff00:0000/104", "reg0[1] == 1 /* comment */ && reg0[2] == 0",
             "xxreg0[120..127] == 0xff", "tcp == 1", "tcp == 0", "ct_label.blocked == 1",
             "eth.dst == 01:00:00:00:00:00/01:00:00:00:00:00", "pkt.mark == 1",
             "inport == @pg", "outport == {\"p1\", \"p2\"}", "((ip4 && tcp) || (ip6 && udp))",
         }) {
        Result<ExprPtr> e = parse_expr(t);
        EXPECT_TRUE(e.ok()) << t << ": " << (e.ok() ? "" : e.error());
    }
}

TEST(ExprLower, TransportPortHasBothIpPrerequisites) {
    EXPECT_EQ(lower("tcp.dst == 80"),
              (V{"eth.type=0x0800 ip.proto=0x06 tp.dst=0x0050",
                 "eth.type=0x86dd ip.proto=0x06 tp.dst=0x0050"}));
    EXPECT_EQ(lower("80 == tcp.dst"), lower("tcp.dst == 80"));
    EXPECT_EQ(lower("udp.src == 68 && ip4"), (V{"eth.type=0x0800 ip.proto=0x11 tp.src=0x0044"}));
}

TEST(ExprLower, Prefixes) {
    EXPECT_EQ(lower("ip4.src == 10.0.0.0/8"), (V{"eth.type=0x0800 ip4.src=0x0a000000/0xff000000"}));
    EXPECT_EQ(lower("ip4.dst == 10.0.0.0/255.255.0.0"),
              (V{"eth.type=0x0800 ip4.dst=0x0a000000/0xffff0000"}));
    EXPECT_EQ(lower("ip6.dst == ff02::1:ff00:0/104"),
              (V{"eth.type=0x86dd ip6.dst=0xff0200000000000000000001ff000000/"
                 "0xffffffffffffffffffffffffff000000"}));
    EXPECT_EQ(lower("ip4.src == 0.0.0.0/0"), (V{"eth.type=0x0800"}));
}

TEST(ExprLower, Subfields) {
    EXPECT_EQ(lower("reg0[0..15] == 5"), (V{"reg0=0x00000005/0x0000ffff"}));
    EXPECT_EQ(lower("reg0[4..7] == 0xa"), (V{"reg0=0x000000a0/0x000000f0"}));
    EXPECT_EQ(lower("eth.src[40]"), (V{"eth.src=0x010000000000/0x010000000000"}));
    EXPECT_EQ(lower("eth.mcast"), (V{"eth.dst=0x010000000000/0x010000000000"}));
    EXPECT_EQ(lower("vlan.vid == 5"), (V{"vlan.tci=0x1005/0x1fff"}));
    EXPECT_EQ(lower("ct.est"), (V{"ct_state=0x00000022/0x00000022"}));
    EXPECT_EQ(lower("ct.trk"), (V{"ct_state=0x00000020/0x00000020"}));
    EXPECT_EQ(lower("flags.loopback == 1"), (V{"flags=0x00000001/0x00000001"}));
    EXPECT_EQ(lower("flags.use_snat_zone"), (V{"flags=0x00000800/0x00000800"}));
    EXPECT_EQ(lower("ct_label.blocked == 1"),
              (V{"ct_label=0x00000000000000000000000000000001/0x00000000000000000000000000000001"}));
    EXPECT_EQ(lower("ct_mark.natted == 1"), (V{"ct_mark=0x00000002/0x00000002"}));
    // xxreg0 = reg0..reg3 with reg0 most significant; xreg4 = reg8:reg9.
    EXPECT_EQ(lower("xxreg0[0..7] == 1"), (V{"reg3=0x00000001/0x000000ff"}));
    EXPECT_EQ(lower("xxreg0[120..127] == 0xff"), (V{"reg0=0xff000000/0xff000000"}));
    EXPECT_EQ(lower("xreg4 == 0x100000002"), (V{"reg8=0x00000001 reg9=0x00000002"}));
    EXPECT_EQ(lower("xreg1[30..33] == 0xf"), (V{"reg2=0x00000003/0x00000003 reg3=0xc0000000/0xc0000000"}));
    EXPECT_EQ(lower("reg9[4]"), (V{"reg9=0x00000010/0x00000010"}));
}

TEST(ExprLower, IcmpAndArpShareFields) {
    EXPECT_EQ(lower("icmp4.type == 3"), (V{"eth.type=0x0800 ip.proto=0x01 tp.src=0x0003/0x00ff"}));
    EXPECT_EQ(lower("arp.tpa == 1.2.3.4 && arp.op == 1"),
              (V{"eth.type=0x0806 ip4.dst=0x01020304 arp.op=0x0001"}));
    EXPECT_EQ(lower("nd.sll == 00:00:00:00:00:01"),
              (V{"eth.type=0x86dd ip.proto=0x3a ip.ttl=0xff tp.src=0x0087/0x00ff "
                 "tp.dst=0x0000/0x00ff arp.sha=0x000000000001"}));
}

TEST(ExprLower, PortGroupsAndPorts) {
    EXPECT_EQ(lower("inport == @pg"), (V{"inport=0x00000001", "inport=0x00000002"}));
    EXPECT_EQ(lower("inport == \"p1\""), (V{"inport=0x00000001"}));
    EXPECT_EQ(lower("inport == \"elsewhere\""), (V{}));
    EXPECT_EQ(lower("inport == @empty"), (V{}));
    EXPECT_EQ(lower("outport == {\"p2\", \"elsewhere\"}"), (V{"outport=0x00000002"}));
    // !(inport != x) is a positive test.
    EXPECT_EQ(lower("!(inport != \"p2\")"), (V{"inport=0x00000002"}));
    EXPECT_EQ(lower_error("inport == @nope"), "unknown port group '@nope'");
}

TEST(ExprLower, AddressSets) {
    EXPECT_EQ(lower("ip4.src == $as"),
              (V{"eth.type=0x0800 ip4.src=0x0a000001", "eth.type=0x0800 ip4.src=0x0a000100/0xffffff00"}));
    EXPECT_EQ(lower("ip4.src == {$as, 10.0.0.1, 1.2.3.4}"),
              (V{"eth.type=0x0800 ip4.src=0x01020304", "eth.type=0x0800 ip4.src=0x0a000001",
                 "eth.type=0x0800 ip4.src=0x0a000100/0xffffff00"}));
    EXPECT_EQ(lower("eth.src == $macs"), (V{"eth.src=0x000000000001"}));
    EXPECT_EQ(lower("ip4.src == $empty"), (V{}));
    EXPECT_EQ(lower("ip4.src != $empty"), (V{"eth.type=0x0800"}));
    EXPECT_EQ(lower_error("ip4.src == $nope"), "unknown address set '$nope'");
    EXPECT_EQ(lower_error("ip4.src == $bad"), "address set '$bad': member 'not-an-address' is not an address");
    EXPECT_EQ(lower_error("ip4.src == $v6"), "address set '$v6': member 'fe80::1' does not fit the 32-bit field 'ip4.src'");
}

TEST(ExprLower, NotEqualIsOneMatchPerDifferingBit) {
    auto m = lower("ip4.src != 10.0.0.1");
    ASSERT_EQ(m.size(), 32u);
    EXPECT_NE(std::find(m.begin(), m.end(), "eth.type=0x0800 ip4.src=0x00000000/0x00000001"), m.end());
    EXPECT_NE(std::find(m.begin(), m.end(), "eth.type=0x0800 ip4.src=0x00000002/0x00000002"), m.end());
    EXPECT_NE(std::find(m.begin(), m.end(), "eth.type=0x0800 ip4.src=0x00000000/0x08000000"), m.end());
    EXPECT_NE(std::find(m.begin(), m.end(), "eth.type=0x0800 ip4.src=0x80000000/0x80000000"), m.end());
    EXPECT_EQ(lower("ip4.src != 10.0.0.0/31").size(), 31u);
    EXPECT_EQ(lower("reg0[0..1] != {0, 3}"),
              (V{"reg0=0x00000001/0x00000003", "reg0=0x00000002/0x00000003"}));
}

TEST(ExprLower, Ranges) {
    EXPECT_EQ(lower("reg0[0..3] > 5"), (V{"reg0=0x00000006/0x0000000e", "reg0=0x00000008/0x00000008"}));
    EXPECT_EQ(lower("reg0[0..3] >= 14"), (V{"reg0=0x0000000e/0x0000000e"}));
    EXPECT_EQ(lower("reg0[0..3] >= 0"), (V{"*"}));
    EXPECT_EQ(lower("reg0[0..3] <= 15"), (V{"*"}));
    EXPECT_EQ(lower("reg0[0..3] < 2"), (V{"reg0=0x00000000/0x0000000e"}));
    EXPECT_EQ(lower("reg0[0..3] <= 0"), (V{"reg0=0x00000000/0x0000000f"}));
    EXPECT_EQ(lower("reg0[0..3] < 0"), (V{}));
    EXPECT_EQ(lower("reg0[0..3] > 15"), (V{}));
    EXPECT_EQ(lower("tcp.dst < 1024"),
              (V{"eth.type=0x0800 ip.proto=0x06 tp.dst=0x0000/0xfc00",
                 "eth.type=0x86dd ip.proto=0x06 tp.dst=0x0000/0xfc00"}));
    EXPECT_EQ(lower("2 <= reg0[0..3] <= 3"), (V{"reg0=0x00000002/0x0000000e"}));
    EXPECT_EQ(lower("!(reg0[0..3] < 8)"), (V{"reg0=0x00000008/0x00000008"}));
}

TEST(ExprLower, NegationAndDeMorgan) {
    EXPECT_EQ(lower("!(reg0[0] == 1 && reg1[0] == 1)"),
              (V{"reg0=0x00000000/0x00000001", "reg1=0x00000000/0x00000001"}));
    EXPECT_EQ(lower("!(reg0[0] == 1 || reg1[0] == 1)"),
              (V{"reg0=0x00000000/0x00000001 reg1=0x00000000/0x00000001"}));
    EXPECT_EQ(lower("!ip4"), lower("eth.type != 0x800"));
    EXPECT_EQ(lower("!ip4").size(), 16u);  // one per bit of eth.type that differs
    // Prerequisites stay positive under `!` (as OVN): !(tcp.dst == 80) is tcp && tcp.dst != 80.
    auto m = lower("!(tcp.dst == 80)");
    EXPECT_EQ(m.size(), 2u * 16u);
    for (const auto& s : m) EXPECT_NE(s.find("ip.proto=0x06"), std::string::npos) << s;
    // !tcp is ip && ip.proto != 6.
    EXPECT_EQ(lower("!tcp").size(), 16u);
    EXPECT_EQ(lower("!ct.est"), (V{"ct_state=0x00000020/0x00000022"}));
    EXPECT_EQ(lower("tcp == 0"), lower("!tcp"));
}

TEST(ExprLower, ImpossibleConjunctionsAreDropped) {
    EXPECT_EQ(lower("reg0[0] == 1 && reg0[0] == 0"), (V{}));
    EXPECT_EQ(lower("tcp && udp"), (V{}));
    EXPECT_EQ(lower("ip4 && ip6"), (V{}));
    EXPECT_EQ(lower("ip4.src == 1.2.3.4 && arp"), (V{}));
    EXPECT_EQ(lower("(ip4 || arp) && ip4.src == 1.2.3.4"), (V{"eth.type=0x0800 ip4.src=0x01020304"}));
    EXPECT_EQ(lower("reg0[0..7] == 1 && reg0[4..11] == 0x01"), (V{}));
    EXPECT_EQ(lower("reg0[0..7] == 1 && reg0[4..11] == 0x10"), (V{"reg0=0x00000101/0x00000fff"}));
    EXPECT_EQ(lower("reg0[0..7] == 1 && reg0[4..11] == 0x00"), (V{"reg0=0x00000001/0x00000fff"}));
}

TEST(ExprLower, ConstantsAndFunctions) {
    EXPECT_EQ(lower("1"), (V{"*"}));
    EXPECT_EQ(lower("0"), (V{}));
    EXPECT_EQ(lower("!0"), (V{"*"}));
    EXPECT_EQ(lower("is_chassis_resident(\"cr-lr0-public\")"), (V{"*"}));
    EXPECT_EQ(lower("is_chassis_resident(\"other\")"), (V{}));
    EXPECT_EQ(lower("!is_chassis_resident(\"other\") && reg0[0]"), (V{"reg0=0x00000001/0x00000001"}));
    EXPECT_EQ(lower("reg0[0] || 1"), (V{"*"}));
}

TEST(ExprLower, Predicates) {
    EXPECT_EQ(lower("eth.bcast"), (V{"eth.dst=0xffffffffffff"}));
    EXPECT_EQ(lower("vlan.present"), (V{"vlan.tci=0x1000/0x1000"}));
    EXPECT_EQ(lower("ip.later_frag"), (V{"eth.type=0x0800 ip.frag=0x02/0x02", "eth.type=0x86dd ip.frag=0x02/0x02"}));
    EXPECT_EQ(lower("ip.first_frag"), (V{"eth.type=0x0800 ip.frag=0x01/0x03", "eth.type=0x86dd ip.frag=0x01/0x03"}));
    EXPECT_EQ(lower("ip4.mcast"), (V{"eth.dst=0x010000000000/0x010000000000 eth.type=0x0800 ip4.dst=0xe0000000/0xf0000000"}));
    EXPECT_EQ(lower("nd").size(), 2u);
    EXPECT_EQ(lower("mldv1").size(), 3u);
    EXPECT_EQ(lower("ip6.mcast_flood").size(), 7u);
    EXPECT_EQ(lower("icmp").size(), 2u);
    EXPECT_EQ(lower("ip.dscp == 46"), (V{"eth.type=0x0800 ip.tos=0xb8/0xfc", "eth.type=0x86dd ip.tos=0xb8/0xfc"}));
}

TEST(ExprLower, FieldsTheEngineDoesNotCarry) {
    EXPECT_EQ(lower_error("pkt.mark == 1"), "field 'pkt.mark' is not supported by this dataplane");
    EXPECT_EQ(lower_error("ip4 && (reg0[0] || pkt.mark == 1)"),
              "field 'pkt.mark' is not supported by this dataplane");
}

TEST(ExprLower, ConjunctionLimit) {
    Result<ExprPtr> e = parse_expr("ip4.src != 10.0.0.1 && ip4.dst != 10.0.0.2");
    ASSERT_TRUE(e.ok());
    FakeResolver r = resolver();
    MatchLimits small;
    small.max_conjunctions = 100;
    auto m = to_matches(**e, r, small);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error(), "match expands to more than 100 conjunctions");
    auto big = to_matches(**e, r);
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(big->size(), 32u * 32u);
}

TEST(ExprPrint, RoundTrip) {
    for (const char* t : {
             "tcp.dst == 80", "ip4.src == 10.0.0.0/8", "reg0[0..15] == 5", "eth.src[40]",
             "inport == @pg", "!(tcp.dst == 80)", "ip4 && (tcp || udp)", "!ct.est",
             "ip4.src == {$as, 1.2.3.4}", "outport == \"a\\\"b\"", "1", "0",
             "is_chassis_resident(\"cr-lr0-public\")", "eth.dst == 01:00:00:00:00:00/01:00:00:00:00:00",
             "ip6.dst == ff02::1:ff00:0/104", "reg0[0..3] < 5", "!(ip4 && ip6)",
             "ct_label.blocked == 1 || ct_mark[0..3] == 0x5/0xf",
         }) {
        Result<ExprPtr> e = parse_expr(t);
        ASSERT_TRUE(e.ok()) << t;
        const std::string s = to_string(**e);
        Result<ExprPtr> again = parse_expr(s);
        ASSERT_TRUE(again.ok()) << t << " -> " << s << ": " << again.error();
        EXPECT_EQ(to_string(**again), s) << t;
    }
    EXPECT_EQ(to_string(**parse_expr("tcp.dst==80&&(ip4||ip6)")), "tcp.dst == 80 && (ip4 || ip6)");
    EXPECT_EQ(to_string(**parse_expr("ip4.src==10.0.0.0/8")), "ip4.src == 10.0.0.0/8");
    EXPECT_EQ(to_string(**parse_expr("reg0[0..15]==0x5")), "reg0[0..15] == 0x5");
    EXPECT_EQ(to_string(**parse_expr("!(inport!=\"x\")")), "!(inport != \"x\")");
}

TEST(ExprParse, GarbageNeverCrashes) {
    const char* vocab[] = {"ip4", "tcp.dst", "reg0", "[", "]", "0", "1", "..", "15", "==", "!=",
                           "<", ">=", "&&", "||", "!", "(", ")", "{", "}", ",", "$as", "@pg",
                           "\"p1\"", "inport", "10.0.0.0/8", "fe80::1", "0xff", "eth.src",
                           "is_chassis_resident", "ct.est", "/*", "*/", "x", "80", ";"};
    uint64_t s = 88172645463325252ull;
    auto next = [&] {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    };
    FakeResolver r = resolver();
    int parsed = 0;
    for (int n = 0; n < 30000; ++n) {
        std::string text;
        const int len = static_cast<int>(next() % 12);
        for (int i = 0; i < len; ++i) {
            text += vocab[next() % (sizeof vocab / sizeof vocab[0])];
            if (next() % 2) text += ' ';
        }
        Result<ExprPtr> e = parse_expr(text);
        if (!e.ok()) {
            EXPECT_EQ(e.error().rfind("syntax error at column ", 0), 0u) << text;
            continue;
        }
        ++parsed;
        (void)to_string(**e);
        MatchLimits l;
        l.max_conjunctions = 2000;
        (void)to_matches(**e, r, l);
    }
    EXPECT_GT(parsed, 100);
    // Raw bytes.
    for (int n = 0; n < 20000; ++n) {
        std::string text;
        const int len = static_cast<int>(next() % 30);
        for (int i = 0; i < len; ++i) text.push_back(static_cast<char>(next() & 0xff));
        (void)parse_expr(text);
    }
    // Deep nesting is an error, not a stack overflow.
    EXPECT_FALSE(parse_expr(std::string(100000, '(') + "1" + std::string(100000, ')')).ok());
    EXPECT_FALSE(parse_expr(std::string(100000, '!') + "1").ok());
}

TEST(SymbolTable, EveryExpansionParsesAndEverySymbolLowers) {
    const SymbolTable& t = SymbolTable::ovn();
    EXPECT_EQ(t.find("nope"), nullptr);
    ASSERT_NE(t.find("eth.src"), nullptr);
    EXPECT_EQ(t.find("reg9")->ref->field, engine::Field::Reg9);
    EXPECT_EQ(t.find("flags.loopback")->ref->bit, 0u);
    EXPECT_EQ(engine::kFlagLoopback, 1u << t.find("flags.loopback")->ref->bit);
    EXPECT_EQ(t.find("ct.trk")->prereqs, "");
    EXPECT_EQ(t.find("ct.est")->prereqs, "ct.trk");
    EXPECT_EQ(t.find("vlan.vid")->expansion, "vlan.tci[0..11]");
    EXPECT_EQ(t.find("reg0")->expansion, "xxreg0[96..127]");
    EXPECT_EQ(t.find("xreg3")->expansion, "xxreg1[0..63]");
    EXPECT_EQ(t.find("reg9")->expansion, "xreg4[0..31]");
    EXPECT_TRUE(t.find("ct_label.blocked")->ct_commit_only);
    EXPECT_FALSE(t.find("eth.type")->writable);
    EXPECT_TRUE(t.find("eth.type")->nominal);
    EXPECT_FALSE(t.find("pkt.mark")->ref.has_value());
    FakeResolver r = resolver();
    int n = 0;
    for (const Symbol& s : t.all()) {
        ++n;
        EXPECT_EQ(t.find(s.name), &s);
        // Prerequisites and predicates are expressions; a subfield's expansion is a field.
        for (const std::string& text :
             {s.prereqs, s.kind == Symbol::Kind::Subfield ? s.expansion + " == 0" : s.expansion}) {
            if (text.empty()) continue;
            EXPECT_TRUE(parse_expr(text).ok()) << s.name << ": " << text;
        }
        std::string probe = s.name;
        if (s.type == SymbolType::String) {
            probe += " == \"p1\"";
        } else if (s.kind != Symbol::Kind::Predicate && s.width > 1) {
            probe += " == 0";
        }
        Result<ExprPtr> e = parse_expr(probe);
        ASSERT_TRUE(e.ok()) << probe << ": " << e.error();
        auto m = to_matches(**e, r);
        if (s.kind != Symbol::Kind::Predicate && !s.ref) {
            EXPECT_FALSE(m.ok()) << probe;
            continue;
        }
        ASSERT_TRUE(m.ok()) << probe << ": " << m.error();
        EXPECT_FALSE(m->empty()) << probe;
    }
    EXPECT_GE(n, 135);  // OVN 23.03 names plus later ct_mark/ct_label/flags bits
}

TEST(SymbolTable, FindsEveryNameAndNothingElse) {
    const SymbolTable& t = SymbolTable::ovn();
    ASSERT_GT(t.all().size(), 100u);
    for (const Symbol& s : t.all()) {
        EXPECT_EQ(t.find(s.name), &s) << s.name;
        const std::string longer = s.name + "x", shorter = s.name.substr(0, s.name.size() - 1);
        const Symbol* l = t.find(longer);
        const Symbol* sh = t.find(shorter);
        EXPECT_TRUE(!l || l->name == longer) << longer;
        EXPECT_TRUE(!sh || sh->name == shorter) << shorter;
    }
    EXPECT_EQ(t.find(""), nullptr);
    EXPECT_EQ(t.find("ip4.srcc"), nullptr);
    EXPECT_EQ(t.find("IP4.SRC"), nullptr);
    EXPECT_NE(t.find("ip4.src"), nullptr);
}
