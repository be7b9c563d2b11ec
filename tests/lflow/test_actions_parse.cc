// parse_actions() and to_string(ActionList): golden parses of every OVN 23.03 action,
// errors with their positions, the round trip parse -> print -> parse, and every action
// string of a real Southbound (tests/fixtures/lflow/sb-dump-flows.tsv).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "lflow/actions.h"

namespace {

using scs::lflow::Action;
using scs::lflow::ActionList;
using scs::lflow::Arg;
using scs::lflow::ArgValue;
using scs::lflow::Constant;
using scs::lflow::Format;
using scs::lflow::LValue;
using scs::lflow::parse_actions;
using scs::lflow::to_string;
using Kind = Action::Kind;

// ---- structural equality (the public structs have no operator==) ----
bool same(const Constant& a, const Constant& b) {
    return a.value == b.value && a.mask == b.mask && a.masked == b.masked &&
           a.format == b.format && a.string == b.string && a.is_string == b.is_string;
}
bool same(const LValue& a, const LValue& b) {
    return a.sym == b.sym && a.bit == b.bit && a.n_bits == b.n_bits;
}
bool same(const ArgValue& a, const ArgValue& b) {
    return a.kind == b.kind && same(a.constant, b.constant) && same(a.field, b.field) &&
           a.port == b.port;
}
bool same(const ActionList& a, const ActionList& b);
bool same(const Action& a, const Action& b) {
    if (a.kind != b.kind || a.next_egress != b.next_egress || a.next_table != b.next_table ||
        !same(a.dst, b.dst) || !same(a.src, b.src) || !same(a.value, b.value) ||
        a.name != b.name || a.has_result != b.has_result || a.has_body != b.has_body ||
        a.args.size() != b.args.size() || !same(a.body, b.body)) {
        return false;
    }
    for (std::size_t i = 0; i < a.args.size(); ++i) {
        const Arg& x = a.args[i];
        const Arg& y = b.args[i];
        if (x.key != y.key || x.values.size() != y.values.size()) return false;
        for (std::size_t j = 0; j < x.values.size(); ++j) {
            if (!same(x.values[j], y.values[j])) return false;
        }
    }
    return true;
}
bool same(const ActionList& a, const ActionList& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same(a[i], b[i])) return false;
    }
    return true;
}

ActionList ok(const std::string& text) {
    auto r = parse_actions(text);
    EXPECT_TRUE(r.ok()) << text << "\n  -> " << (r.ok() ? "" : r.error());
    return r.ok() ? std::move(r.value()) : ActionList{};
}

// Parses, prints, and parses the print again: both trees must be equal, and printing is
// idempotent. Returns the normalised text.
std::string round_trip(const std::string& text) {
    auto r1 = parse_actions(text);
    EXPECT_TRUE(r1.ok()) << text << "\n  -> " << (r1.ok() ? "" : r1.error());
    if (!r1.ok()) return "";
    std::string printed = to_string(*r1);
    auto r2 = parse_actions(printed);
    EXPECT_TRUE(r2.ok()) << "reprint of " << text << " = " << printed << "\n  -> "
                         << (r2.ok() ? "" : r2.error());
    if (!r2.ok()) return printed;
    EXPECT_TRUE(same(*r1, *r2)) << text << "\n  printed as " << printed;
    EXPECT_EQ(to_string(*r2), printed);
    return printed;
}

// The error text; "syntax error at column N: message".
std::string err(const std::string& text) {
    auto r = parse_actions(text);
    EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? to_string(*r) : "");
    return r.ok() ? "" : r.error();
}

// The column the error names, as printed by SyntaxError::to_string().
int err_column(const std::string& text) {
    std::string e = err(text);
    auto at = e.find("column ");
    if (at == std::string::npos) return -1;
    return std::stoi(e.substr(at + 7));
}

std::size_t col_of(const std::string& text, const std::string& needle) {
    return text.find(needle);
}

// ---- simple actions ----

TEST(ActionsParse, EmptyAndComments) {
    EXPECT_TRUE(ok("").empty());
    EXPECT_TRUE(ok("   ").empty());
    EXPECT_TRUE(ok("/* drop */").empty());
    EXPECT_EQ(to_string(ActionList{}), "/* drop */");
}

TEST(ActionsParse, Drop) {
    ActionList l = ok("drop;");
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].kind, Kind::Drop);
    EXPECT_NE(err("drop; next;").find("cannot be combined"), std::string::npos);
    EXPECT_NE(err("next; drop;").find("cannot be combined"), std::string::npos);
    ActionList c = ok("clone { drop; };");
    ASSERT_EQ(c.size(), 1u);
    ASSERT_EQ(c[0].body.size(), 1u);
    EXPECT_EQ(c[0].body[0].kind, Kind::Drop);
}

TEST(ActionsParse, NextOutputDecTtl) {
    ActionList l = ok("next; next(5); next(pipeline=egress, table=3); next(table=2, "
                      "pipeline=ingress); output; ip.ttl--;");
    ASSERT_EQ(l.size(), 6u);
    EXPECT_EQ(l[0].kind, Kind::Next);
    EXPECT_FALSE(l[0].next_table);
    EXPECT_FALSE(l[0].next_egress);
    EXPECT_EQ(l[1].next_table, 5);
    EXPECT_EQ(l[2].next_egress, true);
    EXPECT_EQ(l[2].next_table, 3);
    EXPECT_EQ(l[3].next_egress, false);
    EXPECT_EQ(l[3].next_table, 2);
    EXPECT_EQ(l[4].kind, Kind::Output);
    EXPECT_EQ(l[5].kind, Kind::DecTtl);
    EXPECT_EQ(to_string(l), "next; next(5); next(pipeline=egress, table=3); "
                            "next(pipeline=ingress, table=2); output; ip.ttl--;");
    EXPECT_NE(err("next(pipeline=sideways);").find("\"ingress\" or \"egress\""),
              std::string::npos);
    EXPECT_NE(err("next(256);").find("table number"), std::string::npos);
    EXPECT_NE(err("next(foo=1);").find("\"pipeline\" or \"table\""), std::string::npos);
}

TEST(ActionsParse, LoadConstants) {
    ActionList l = ok("eth.dst = fa:16:3e:00:01:01; reg0 = 10.0.0.1; reg8[0..15] = 0; "
                      "outport = \"lr0-ext\"; xxreg1 = fe80::1; vlan.pcp = 4/4; "
                      "reg0[3] = 1; reg1 = 0xff;");
    ASSERT_EQ(l.size(), 8u);
    EXPECT_EQ(l[0].kind, Kind::Load);
    EXPECT_EQ(l[0].dst.sym->name, "eth.dst");
    EXPECT_EQ(l[0].dst.n_bits, 48);
    EXPECT_EQ(l[0].value.format, Format::Ethernet);
    EXPECT_EQ(l[0].value.value.low64(), 0xfa163e000101u);
    EXPECT_EQ(l[1].value.format, Format::Ipv4);
    EXPECT_EQ(l[1].value.value.low64(), 0x0a000001u);
    EXPECT_EQ(l[2].dst.bit, 0);
    EXPECT_EQ(l[2].dst.n_bits, 16);
    // An unmasked load's mask covers the destination's width.
    EXPECT_EQ(l[2].value.mask.significant_bits(), 16u);
    EXPECT_FALSE(l[2].value.masked);
    EXPECT_TRUE(l[3].value.is_string);
    EXPECT_EQ(l[3].value.string, "lr0-ext");
    EXPECT_EQ(l[4].value.format, Format::Ipv6);
    EXPECT_TRUE(l[5].value.masked);
    EXPECT_EQ(l[5].value.mask.low64(), 4u);
    EXPECT_EQ(l[6].dst.bit, 3);
    EXPECT_EQ(l[6].dst.n_bits, 1);
    EXPECT_EQ(l[7].value.format, Format::Hex);
    EXPECT_EQ(to_string(l),
              "eth.dst = fa:16:3e:00:01:01; reg0 = 10.0.0.1; reg8[0..15] = 0; "
              "outport = \"lr0-ext\"; xxreg1 = fe80::1; vlan.pcp = 4/4; reg0[3] = 1; "
              "reg1 = 0xff;");
}

TEST(ActionsParse, LoadErrors) {
    // Constant too wide for the destination.
    std::string t = "reg0[0..3] = 16;";
    EXPECT_NE(err(t).find("does not fit in 4-bit field reg0[0..3]"), std::string::npos);
    EXPECT_EQ(err_column(t), static_cast<int>(col_of(t, "16")) + 1);
    EXPECT_NE(err("reg0[0..7] = 0/0xff00;").find("does not fit"), std::string::npos) << "mask";
    // String/integer mismatch.
    EXPECT_NE(err("outport = 5;").find("string constant expected"), std::string::npos);
    EXPECT_NE(err("reg0 = \"x\";").find("integer constant expected"), std::string::npos);
    // Read-only destination, at the destination.
    t = "next; eth.type = 0x800;";
    EXPECT_NE(err(t).find("eth.type is not modifiable"), std::string::npos);
    EXPECT_EQ(err_column(t), static_cast<int>(col_of(t, "eth.type")) + 1);
    // Unknown field, predicate, bad subscript.
    EXPECT_NE(err("foo.bar = 1;").find("unknown field foo.bar"), std::string::npos);
    EXPECT_NE(err("ip4 = 1;").find("predicate ip4"), std::string::npos);
    EXPECT_NE(err("reg0[40] = 1;").find("cannot select bits 40 to 40 of 32-bit field reg0"),
              std::string::npos);
    EXPECT_NE(err("reg0[3..1] = 1;").find("cannot select bits"), std::string::npos);
    EXPECT_NE(err("outport[0] = 1;").find("string field outport"), std::string::npos);
    // ct_mark/ct_label are written only inside ct_commit { }.
    EXPECT_NE(err("ct_mark = 1;").find("not modifiable"), std::string::npos);
    EXPECT_NE(err("ct_commit { eth.src = 00:00:00:00:00:01; };").find("not modifiable"),
              std::string::npos);
}

TEST(ActionsParse, MoveAndExchange) {
    ActionList l = ok("reg0 = ip4.dst; eth.dst <-> eth.src; outport = inport; "
                      "vlan.pcp = reg0[0..2]; flags.use_snat_zone = reg9[4];");
    ASSERT_EQ(l.size(), 5u);
    EXPECT_EQ(l[0].kind, Kind::Move);
    EXPECT_EQ(l[0].src.sym->name, "ip4.dst");
    EXPECT_EQ(l[1].kind, Kind::Exchange);
    EXPECT_EQ(l[2].kind, Kind::Move);
    EXPECT_EQ(l[3].src.n_bits, 3);
    EXPECT_EQ(l[4].src.bit, 4);

    std::string t = "reg0 = eth.src;";
    EXPECT_NE(err(t).find("cannot assign 48-bit value to 32-bit destination"),
              std::string::npos);
    EXPECT_EQ(err_column(t), static_cast<int>(col_of(t, "eth.src")) + 1);
    EXPECT_NE(err("eth.src <-> reg0;").find("cannot exchange 48-bit field with 32-bit field"),
              std::string::npos);
    EXPECT_NE(err("reg0 = inport;").find("cannot assign string field inport to integer"),
              std::string::npos);
    // Exchange needs both sides writable; a move only its destination.
    EXPECT_TRUE(parse_actions("reg0[0..15] = eth.type;").ok());
    EXPECT_NE(err("reg0[0..15] <-> eth.type;").find("eth.type is not modifiable"),
              std::string::npos);
}

TEST(ActionsParse, SyntaxErrorsWithPositions) {
    std::string t = "next; frobnicate; output;";
    EXPECT_NE(err(t).find("unknown action frobnicate"), std::string::npos);
    EXPECT_EQ(err_column(t), static_cast<int>(col_of(t, "frobnicate")) + 1);
    t = "next output;";
    EXPECT_NE(err(t).find("expecting ';'"), std::string::npos);
    EXPECT_EQ(err_column(t), static_cast<int>(col_of(t, "output")) + 1);
    EXPECT_NE(err("next").find("expecting ';'"), std::string::npos);
    EXPECT_NE(err("eth.src;").find("'=' or '<->'"), std::string::npos);
    EXPECT_NE(err("reg0 == 1;").find("'=' or '<->'"), std::string::npos);
    EXPECT_NE(err("; next;").find("expecting action"), std::string::npos);
    EXPECT_NE(err("\"unterminated").find("column 1"), std::string::npos);
    // Nested errors point inside the body.
    t = "clone { outport = \"p\"; nope; };";
    EXPECT_EQ(err_column(t), static_cast<int>(col_of(t, "nope")) + 1);
    t = "arp { eth.dst = ff:ff:ff:ff:ff:ff; output; ";
    EXPECT_NE(err(t).find("expecting '}'"), std::string::npos);
    EXPECT_NE(err("arp;").find("expecting '{'"), std::string::npos);
    // Depth is bounded.
    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "clone { ";
    deep += "output; ";
    for (int i = 0; i < 40; ++i) deep += "}; ";
    EXPECT_NE(err(deep).find("maximum depth"), std::string::npos);
}

// ---- calls ----

TEST(ActionsParse, ConntrackActions) {
    ActionList l = ok("ct_next; ct_clear; ct_commit; ct_commit { ct_label.blocked = 1; "
                      "ct_mark = 0x5/0xf; }; ct_commit_nat; ct_dnat; ct_snat(172.24.4.1); "
                      "ct_dnat_in_czone(fd00::1, 1000-2000); ct_snat_in_czone(10.0.0.1, 80);");
    ASSERT_EQ(l.size(), 9u);
    for (const Action& a : l) EXPECT_EQ(a.kind, Kind::Call);
    EXPECT_EQ(l[0].name, "ct_next");
    EXPECT_TRUE(l[2].has_body);
    EXPECT_TRUE(l[2].body.empty());
    ASSERT_EQ(l[3].body.size(), 2u);
    EXPECT_EQ(l[3].body[0].dst.sym->name, "ct_label.blocked");
    EXPECT_TRUE(l[5].args.empty());
    ASSERT_EQ(l[6].args.size(), 1u);
    EXPECT_EQ(l[6].args[0].values[0].constant.format, Format::Ipv4);
    ASSERT_EQ(l[7].args.size(), 2u);
    ASSERT_EQ(l[7].args[1].values.size(), 2u);
    EXPECT_EQ(l[7].args[1].values[0].constant.value.low64(), 1000u);
    EXPECT_EQ(l[7].args[1].values[1].constant.value.low64(), 2000u);
    EXPECT_EQ(l[8].args[1].values.size(), 1u);
    EXPECT_EQ(to_string(l),
              "ct_next; ct_clear; ct_commit; ct_commit { ct_label.blocked = 1; "
              "ct_mark = 0x5/0xf; }; ct_commit_nat; ct_dnat; ct_snat(172.24.4.1); "
              "ct_dnat_in_czone(fd00::1, 1000-2000); ct_snat_in_czone(10.0.0.1, 80);");
    // Legacy ct_commit(ct_mark=..., ct_label=...).
    ActionList legacy = ok("ct_commit(ct_mark=1/1, ct_label=0x10);");
    ASSERT_EQ(legacy[0].args.size(), 2u);
    EXPECT_EQ(legacy[0].args[0].key, "ct_mark");
    EXPECT_FALSE(legacy[0].has_body);
    round_trip("ct_commit(ct_mark=1/1, ct_label=0x10);");

    EXPECT_NE(err("ct_dnat(eth.src);").find("IPv4 or IPv6 address"), std::string::npos);
    EXPECT_NE(err("ct_snat(10.0.0.1, 0);").find("can't start at 0"), std::string::npos);
    EXPECT_NE(err("ct_snat(10.0.0.1, 90-80);").find("range high"), std::string::npos);
    EXPECT_NE(err("ct_next(dnat);").find("expecting ';'"), std::string::npos) << "not 23.03";
    EXPECT_NE(err("ct_commit_to_zone(dnat);").find("unknown action"), std::string::npos);
}

TEST(ActionsParse, LoadBalancing) {
    ActionList l = ok("ct_lb(backends=192.168.1.11:80,[fd00::2]:8080,10.0.0.3; "
                      "hash_fields=\"ip_src,ip_dst\"; skip_snat); ct_lb_mark; ct_lb();"
                      "ct_lb_mark(backends=10.0.0.1; force_snat);");
    ASSERT_EQ(l.size(), 4u);
    ASSERT_EQ(l[0].args.size(), 3u);
    EXPECT_EQ(l[0].args[0].key, "backends");
    ASSERT_EQ(l[0].args[0].values.size(), 3u);
    const ArgValue& b1 = l[0].args[0].values[1];
    EXPECT_EQ(b1.kind, ArgValue::Kind::Backend);
    EXPECT_EQ(b1.constant.format, Format::Ipv6);
    EXPECT_EQ(b1.port, 8080);
    EXPECT_FALSE(l[0].args[0].values[2].port);
    EXPECT_EQ(l[0].args[1].key, "hash_fields");
    EXPECT_EQ(l[0].args[1].values[0].constant.string, "ip_src,ip_dst");
    EXPECT_EQ(l[0].args[2].values[0].kind, ArgValue::Kind::Name);
    EXPECT_EQ(l[0].args[2].values[0].constant.string, "skip_snat");
    EXPECT_TRUE(l[1].args.empty());
    EXPECT_TRUE(l[2].args.empty());
    EXPECT_EQ(to_string(l),
              "ct_lb(backends=192.168.1.11:80,[fd00::2]:8080,10.0.0.3; "
              "hash_fields=\"ip_src,ip_dst\"; skip_snat); ct_lb_mark; ct_lb; "
              "ct_lb_mark(backends=10.0.0.1; force_snat);");
    // `fd00::1:80` is one IPv6 address; a port after an unbracketed IPv6 one is an error.
    EXPECT_NE(err("ct_lb(backends=fd00::1 :80);").find("square brackets"), std::string::npos);
    EXPECT_NE(err("ct_lb(backends=10.0.0.1:70000);").find("port number"), std::string::npos);
    EXPECT_NE(err("ct_lb(10.0.0.1);").find("expecting backends"), std::string::npos);
    EXPECT_NE(err("ct_lb(backends=10.0.0.1; bogus);").find("skip_snat"), std::string::npos);

    ActionList s = ok("reg8[16..31] = select(1=20, 2=30, 3);");
    ASSERT_EQ(s[0].args.size(), 3u);
    EXPECT_TRUE(s[0].has_result);
    EXPECT_EQ(s[0].args[2].values[1].constant.value.low64(), 100u) << "default weight";
    EXPECT_EQ(to_string(s), "reg8[16..31] = select(1=20, 2=30, 3=100);");
    EXPECT_NE(err("reg0[0..7] = select(1, 2);").find("at least 16 bits"), std::string::npos);
    EXPECT_NE(err("reg0 = select(1);").find("at least 2 group members"), std::string::npos);
    EXPECT_NE(err("reg0 = select(1=0, 2);").find("weight can't be 0"), std::string::npos);
    EXPECT_NE(err("select(1, 2);").find("needs a result field"), std::string::npos);

    round_trip("commit_lb_aff(vip = \"172.16.0.10:80\", backend = \"10.0.0.2:8080\", "
               "proto = tcp, timeout = 30);");
    round_trip("commit_lb_aff(vip = \"[fd00::10]:80\", backend = \"[fd00::2]:80\", "
               "proto = udp, timeout = 30); commit_lb_aff(vip = \"10.0.0.1\", "
               "backend = \"10.0.0.2\", timeout = 5);");
    EXPECT_NE(err("commit_lb_aff(vip = \"10.0.0.1:80\", backend = \"fd00::2\", timeout = 1);")
                  .find("different address families"),
              std::string::npos);
    EXPECT_NE(err("commit_lb_aff(vip = \"10.0.0.1:80\", backend = \"10.0.0.2\", timeout = 1);")
                  .find("expecting proto"),
              std::string::npos);
    ActionList aff = ok("reg9[6] = chk_lb_aff(); reg0[0] = chk_lb_hairpin(); "
                        "reg0[1] = chk_lb_hairpin_reply(); ct_snat_to_vip;");
    EXPECT_EQ(aff.size(), 4u);
}

TEST(ActionsParse, ResultActions) {
    ActionList l = ok("reg0[15] = check_in_port_sec(); reg0[15] = check_out_port_sec(); "
                      "reg9[2] = lookup_arp(inport, arp.spa, arp.sha); "
                      "reg9[2] = lookup_nd(inport, ip6.src, nd.sll); "
                      "reg0[0] = lookup_arp_ip(inport, arp.spa); "
                      "reg0[0] = lookup_nd_ip(inport, ip6.src); "
                      "outport = get_fdb(eth.dst); reg0 = get_fdb(eth.src); "
                      "reg0[1] = lookup_fdb(inport, eth.src); reg0[6] = check_pkt_larger(1514); "
                      "reg0[3] = dns_lookup(); reg9[5] = chk_ecmp_nh_mac(); "
                      "reg9[5] = chk_ecmp_nh();");
    ASSERT_EQ(l.size(), 13u);
    for (const Action& a : l) {
        EXPECT_TRUE(a.has_result) << a.name;
        EXPECT_EQ(a.kind, Kind::Call);
    }
    EXPECT_EQ(l[2].name, "lookup_arp");
    ASSERT_EQ(l[2].args.size(), 3u);
    EXPECT_EQ(l[2].args[1].values[0].field.sym->name, "arp.spa");
    EXPECT_EQ(l[6].dst.sym->name, "outport");
    EXPECT_EQ(l[9].args[0].values[0].constant.value.low64(), 1514u);
    round_trip(to_string(l));

    // Result width and writability.
    std::string t = "reg0[0..1] = check_in_port_sec();";
    EXPECT_NE(err(t).find("cannot use 2-bit field reg0[0..1] where a 1-bit field is required"),
              std::string::npos);
    EXPECT_EQ(err_column(t), 1);
    EXPECT_NE(err("ip.proto[0] = dns_lookup();").find("not modifiable"), std::string::npos);
    EXPECT_NE(err("reg0[0..15] = get_fdb(eth.dst);").find("32-bit field is required"),
              std::string::npos);
    // Argument types.
    EXPECT_NE(err("reg0[0] = lookup_arp(inport, ip6.src, arp.sha);")
                  .find("128-bit field ip6.src where a 32-bit field is required"),
              std::string::npos);
    EXPECT_NE(err("reg0[0] = lookup_arp(reg0, arp.spa, arp.sha);")
                  .find("string field is required"),
              std::string::npos);
    EXPECT_NE(err("reg0[0] = dns_lookup(1);").find("does not take any parameters"),
              std::string::npos);
    EXPECT_NE(err("check_in_port_sec();").find("needs a result field"), std::string::npos);
    EXPECT_NE(err("reg0 = ct_next();").find("does not return a value"), std::string::npos);
    EXPECT_NE(err("reg0 = frob();").find("unknown action frob"), std::string::npos);
}

TEST(ActionsParse, MacBindingAndFdb) {
    ActionList l = ok("get_arp(outport, reg0); get_nd(outport, xxreg0); "
                      "put_arp(inport, arp.spa, arp.sha); put_nd(inport, nd.target, nd.tll); "
                      "put_fdb(inport, eth.src); handle_svc_check(inport); "
                      "bind_vport(\"vip-port\", inport);");
    ASSERT_EQ(l.size(), 7u);
    EXPECT_EQ(l[0].args.size(), 2u);
    EXPECT_EQ(l[2].args.size(), 3u);
    EXPECT_EQ(l[6].args[0].values[0].constant.string, "vip-port");
    EXPECT_EQ(to_string(l),
              "get_arp(outport, reg0); get_nd(outport, xxreg0); "
              "put_arp(inport, arp.spa, arp.sha); put_nd(inport, nd.target, nd.tll); "
              "put_fdb(inport, eth.src); handle_svc_check(inport); "
              "bind_vport(\"vip-port\", inport);");
    EXPECT_NE(err("get_arp(outport, xxreg0);").find("128-bit field"), std::string::npos);
    EXPECT_NE(err("put_arp(inport, arp.spa);").find("expecting ','"), std::string::npos);
    EXPECT_NE(err("bind_vport(inport, inport);").find("port name string"), std::string::npos);
}

TEST(ActionsParse, NestedPacketActions) {
    for (const char* name : {"arp", "nd_ns", "nd_na", "nd_na_router", "icmp4", "icmp4_error",
                             "icmp6", "icmp6_error", "tcp_reset", "sctp_abort", "reject"}) {
        std::string t = std::string(name) + " { eth.dst <-> eth.src; output; };";
        ActionList l = ok(t);
        ASSERT_EQ(l.size(), 1u) << name;
        EXPECT_EQ(l[0].name, name);
        EXPECT_TRUE(l[0].has_body);
        EXPECT_EQ(l[0].body.size(), 2u);
        EXPECT_EQ(to_string(l), t);
    }
    EXPECT_EQ(scs::lflow::action_prerequisite(ok("icmp4 { output; };")[0]), "ip4");
    EXPECT_EQ(scs::lflow::action_prerequisite(ok("nd_na { output; };")[0]), "nd_ns");
    EXPECT_EQ(scs::lflow::action_prerequisite(ok("ip.ttl--;")[0]), "ip");
    EXPECT_EQ(scs::lflow::action_prerequisite(ok("output;")[0]), "");
    ActionList c = ok("clone { ct_clear; inport = outport; outport = \"\"; "
                      "next(pipeline=ingress, table=0); }; output;");
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].kind, Kind::Clone);
    EXPECT_EQ(c[0].body.size(), 4u);
    EXPECT_EQ(c[0].body[2].value.string, "");
    round_trip("clone { }; arp { };");
    EXPECT_NE(err("icmp4 { output; }").find("expecting ';'"), std::string::npos);
}

TEST(ActionsParse, OptionActions) {
    ActionList l = ok("reg0[3] = put_dhcp_opts(offerip = 10.0.1.11, dns_server = {8.8.8.8, "
                      "1.1.1.1}, lease_time = 43200, netmask = 255.255.255.0, "
                      "domain_name = \"ovn.org\", classless_static_route = "
                      "{30.0.0.0/24, 10.0.0.4, 0.0.0.0/0, 10.0.0.1});");
    ASSERT_EQ(l[0].args.size(), 6u);
    EXPECT_EQ(l[0].args[1].key, "dns_server");
    EXPECT_EQ(l[0].args[1].values.size(), 2u);
    EXPECT_EQ(l[0].args[5].values.size(), 4u);
    EXPECT_TRUE(l[0].args[5].values[0].constant.masked);
    round_trip(to_string(l));
    EXPECT_NE(err("reg0[3] = put_dhcp_opts(router = 10.0.0.1);").find("requires offerip"),
              std::string::npos);
    round_trip("reg0[3] = put_dhcpv6_opts(ia_addr = aef0::4, server_id = 00:00:00:00:10:02, "
               "dns_server = {ae70::1, ae70::2}); reg0[3] = put_dhcpv6_opts();");
    round_trip("reg0[5] = put_nd_ra_opts(addr_mode = \"slaac\", slla = 00:00:00:00:10:02, "
               "prefix = aef0::/64, mtu = 1450);");
    round_trip("reg0[5] = put_nd_ra_opts(addr_mode = \"dhcpv6_stateful\", "
               "slla = 00:00:00:00:10:02, router_preference = \"HIGH\");");
    EXPECT_NE(err("reg0[5] = put_nd_ra_opts(addr_mode = \"slaac\", prefix = aef0::/64);")
                  .find("slla option not present"),
              std::string::npos);
    EXPECT_NE(err("reg0[5] = put_nd_ra_opts(addr_mode = \"slaac\", slla = 00:00:00:00:10:02);")
                  .find("prefix option needs to be set"),
              std::string::npos);
    EXPECT_NE(err("reg0[5] = put_nd_ra_opts(addr_mode = \"bogus\", slla = 00:00:00:00:10:02);")
                  .find("invalid value for \"addr_mode\""),
              std::string::npos);
    EXPECT_NE(err("reg0[5] = put_dhcp_opts(offerip = );").find("expecting constant"),
              std::string::npos);
}

TEST(ActionsParse, ControllerActions) {
    ActionList l = ok("log(name=\"acl1\", verdict=allow, severity=info, meter=\"m\"); "
                      "trigger_event(event = \"empty_lb_backends\", vip = \"10.0.0.1:80\", "
                      "protocol = \"tcp\", load_balancer = "
                      "\"12345678-9abc-def0-1234-56789abcdef0\"); igmp; handle_dhcpv6_reply; "
                      "handle_bfd_msg(); set_queue(10); set_meter(100, 1000); set_meter(5); "
                      "fwd_group(liveness=true, childports=\"p1\", \"p2\"); fwd_group; "
                      "commit_ecmp_nh(ipv6 = true, proto = tcp); "
                      "sample(probability=10, collector_set=2, obs_domain=3, obs_point=$cookie); "
                      "push(reg0); pop(reg1);");
    ASSERT_EQ(l.size(), 14u);
    EXPECT_EQ(l[0].args.size(), 4u);
    EXPECT_EQ(l[0].args[1].values[0].kind, ArgValue::Kind::Name);
    EXPECT_EQ(l[0].args[1].values[0].constant.string, "allow");
    EXPECT_EQ(l[1].args.size(), 4u);
    EXPECT_EQ(l[8].args.size(), 2u);
    EXPECT_EQ(l[8].args[1].values.size(), 2u);
    EXPECT_EQ(l[11].args[3].values[0].constant.string, "$cookie");
    EXPECT_EQ(l[12].name, "push");
    round_trip(to_string(l));
    EXPECT_EQ(to_string(ok("handle_bfd_msg(); set_meter(5); fwd_group(childports=\"a\");")),
              "handle_bfd_msg(); set_meter(5); fwd_group(childports=\"a\");");

    EXPECT_NE(err("log(name=\"x\");").find("expecting verdict"), std::string::npos);
    EXPECT_NE(err("log(verdict=maybe);").find("verdict (allow"), std::string::npos);
    EXPECT_NE(err("log(verdict=allow, severity=loud);").find("severity"), std::string::npos);
    EXPECT_NE(err("trigger_event(event = \"other\");").find("unknown event"), std::string::npos);
    EXPECT_NE(err("trigger_event(event = \"empty_lb_backends\", vip = \"x\");").find("VIP"),
              std::string::npos);
    EXPECT_NE(err("trigger_event(event = \"empty_lb_backends\", load_balancer = \"1\");")
                  .find("not a UUID"),
              std::string::npos);
    EXPECT_NE(err("set_queue(61441);").find("valid range 0 to 61440"), std::string::npos);
    EXPECT_NE(err("set_meter(0);").find("rate 0"), std::string::npos);
    EXPECT_NE(err("sample(collector_set=1);").find("probability"), std::string::npos);
    EXPECT_NE(err("sample(probability=1, obs_domain=256);").find("8-bit obs_domain"),
              std::string::npos);
    EXPECT_NE(err("commit_ecmp_nh(ipv6 = maybe, proto = tcp);").find("true or false"),
              std::string::npos);
    EXPECT_NE(err("pop(eth.type);").find("not modifiable"), std::string::npos);
    EXPECT_TRUE(parse_actions("push(eth.type);").ok());
    // Actions of OVN releases after 23.03 are not known.
    for (const char* newer : {"mac_cache_use;", "flood_remote;", "reg0[0..7] = ct_state_save();",
                              "reg0 = ct_nw_dst();"}) {
        EXPECT_NE(err(newer).find("unknown action"), std::string::npos) << newer;
    }
}

TEST(ActionsParse, OvnField) {
    ActionList l = ok("icmp4 { icmp4.frag_mtu = 1442; output; };");
    ASSERT_EQ(l[0].body.size(), 2u);
    EXPECT_EQ(l[0].body[0].kind, Kind::Load);
    EXPECT_EQ(l[0].body[0].dst.sym->name, "icmp4.frag_mtu");
}

TEST(ActionsParse, PrintingFormats) {
    EXPECT_EQ(round_trip("reg0 = 192.168.0.0/16; reg1 = 10.0.0.0/255.0.255.0;"),
              "reg0 = 192.168.0.0/16; reg1 = 10.0.0.0/255.0.255.0;");
    EXPECT_EQ(round_trip("xxreg0 = fd00::/64; eth.src = 00:00:00:00:00:00/01:00:00:00:00:00;"),
              "xxreg0 = fd00::/64; eth.src = 00:00:00:00:00:00/01:00:00:00:00:00;");
    EXPECT_EQ(round_trip("xxreg0 = 0xffffffffffffffffffffffffffffffff; reg0 = 4294967295;"),
              "xxreg0 = 0xffffffffffffffffffffffffffffffff; reg0 = 4294967295;");
    EXPECT_EQ(round_trip("outport = \"a\\\"b\\\\c\";"), "outport = \"a\\\"b\\\\c\";");
    EXPECT_EQ(round_trip("reg0[0..15]=0;next(table=3);"), "reg0[0..15] = 0; next(3);");
}

// Every action string of a real Southbound parses, and round-trips.
TEST(ActionsParse, SouthboundFixture) {
    std::ifstream in(SCS_LFLOW_FIXTURES "/sb-dump-flows.tsv");
    ASSERT_TRUE(in) << "missing tests/fixtures/lflow/sb-dump-flows.tsv";
    std::string line;
    int n = 0;
    int failures = 0;
    while (std::getline(in, line)) {
        auto tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << "line " << n + 1 << " has no tab";
        std::string actions = line.substr(tab + 1);
        ++n;
        auto r = parse_actions(actions);
        if (!r.ok()) {
            ++failures;
            ADD_FAILURE() << "flow " << n << ": " << actions << "\n  -> " << r.error();
            continue;
        }
        round_trip(actions);
    }
    EXPECT_EQ(n, 371);
    EXPECT_EQ(failures, 0);
}

}  // namespace
