// The per-action table of parse_actions(): every OVN 23.03 action other than assignments,
// next, output, drop, ip.ttl--, clone, push and pop, with its own argument syntax.
//
// Shapes follow OVN 23.03 lib/actions.c (one parse_<ACTION>() there per entry here) and
// ovn-sb(5). Actions newer than 23.03 (ct_commit_to_zone, mac_cache_use, flood_remote,
// ct_state_save, dhcp_relay_*_chk, ct_nw_dst()...) are unknown on purpose: a Southbound
// written by a newer northd must fail loudly here, not lose an instruction. How each action
// stores its arguments in Action::args is listed in actions.h.
// GCC 12 reports a false -Wrestrict inside libstdc++ for `"literal" + std::string&&` at -O3
// (GCC PR 105329 / 105651); messages here are built that way, so it is silenced for this file.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

#include "lflow/action_parser.h"

namespace scs::lflow::detail {
namespace {

using P = ActionParser;

ArgValue name_value(std::string s) {
    ArgValue v;
    v.kind = ArgValue::Kind::Name;
    v.constant.string = std::move(s);
    return v;
}

ArgValue int_value(uint64_t n) {
    ArgValue v;
    for (int i = 0; i < 8; ++i) v.constant.value.be[15 - i] = static_cast<uint8_t>(n >> (8 * i));
    return v;
}

void add_arg(Action& a, std::string key, std::vector<ArgValue> values) {
    a.args.push_back(Arg{std::move(key), std::move(values)});
}

// The result destination `R` of `R = name(...)`, which must be writable and `width` bits
// (0: a string field).
bool result(P& p, const Action& a, int width) {
    return p.check_field(a.dst, a.pos, width, true);
}

// `()`: the action takes no parameters.
bool no_params(P& p, const Action& a) {
    if (!p.force(Tok::LParen)) return false;
    if (!p.match(Tok::RParen)) return p.fail_here(a.name + " does not take any parameters");
    return true;
}

bool field_arg(P& p, Action& a, int width, bool rw = false) {
    ArgValue v;
    v.kind = ArgValue::Kind::Field;
    if (!p.parse_field(v.field, width, rw)) return false;
    add_arg(a, "", {std::move(v)});
    return true;
}

// A one-of-several bare word (`verdict=allow`), also accepted quoted where OVN does.
bool word_arg(P& p, Action& a, std::string key, std::initializer_list<std::string_view> words,
              bool quoted_ok, std::string_view what) {
    const Token& t = p.tok();
    if (t.kind == Tok::Id || (quoted_ok && t.kind == Tok::String)) {
        for (std::string_view w : words) {
            if (t.text == w) {
                p.next();
                add_arg(a, std::move(key), {name_value(std::string(w))});
                return true;
            }
        }
    }
    return p.syntax(what);
}

// ---- no arguments ----
bool parse_nothing(P&, Action&) { return true; }

// ---- nested actions: name { ... } ----
bool parse_nested(P& p, Action& a) { return p.parse_body(a, p.scope()); }

// ct_commit; | ct_commit { ct_mark = V; ct_label = V; } | legacy ct_commit(ct_mark=V[/M], ...)
bool parse_ct_commit(P& p, Action& a) {
    if (p.is(Tok::LCurly)) return p.parse_body(a, Scope::CtCommit);
    if (p.match(Tok::LParen)) {
        while (!p.match(Tok::RParen)) {
            std::string key;
            if (p.is_id("ct_mark") || p.is_id("ct_label")) {
                key = p.tok().text;
                p.next();
            } else {
                return p.syntax("ct_mark or ct_label");
            }
            if (!p.force(Tok::Equals)) return false;
            if (!p.is(Tok::Integer) && !p.is(Tok::Masked)) return p.syntax("integer");
            unsigned width = key == "ct_mark" ? 32 : 128;
            ArgValue v;
            uint32_t pos = p.tok().pos;
            if (!p.parse_constant(v.constant)) return false;
            if (v.constant.value.significant_bits() > width ||
                v.constant.mask.significant_bits() > width) {
                return p.fail(pos, "constant does not fit in " + std::to_string(width) +
                                       "-bit " + key);
            }
            add_arg(a, std::move(key), {std::move(v)});
            p.match(Tok::Comma);
        }
        return true;
    }
    a.has_body = true;  // `ct_commit;` is `ct_commit { };` (OVN: CT_COMMIT_V2, empty)
    return true;
}

// ct_dnat[(IP[, LO[-HI]])], and ct_snat, ct_dnat_in_czone, ct_snat_in_czone alike.
bool parse_ct_nat(P& p, Action& a) {
    if (!p.match(Tok::LParen)) return true;
    const Token& t = p.tok();
    if (t.kind != Tok::Integer || (t.format != Format::Ipv4 && t.format != Format::Ipv6)) {
        return p.syntax("IPv4 or IPv6 address");
    }
    ArgValue ip;
    if (!p.parse_constant(ip.constant)) return false;
    add_arg(a, "", {std::move(ip)});
    if (p.match(Tok::Comma)) {
        uint64_t lo = 0;
        uint64_t hi = 0;
        uint32_t pos = p.tok().pos;
        if (!p.is(Tok::Integer) || p.tok().format != Format::Decimal) {
            return p.syntax("integer for port range");
        }
        if (!p.parse_uint(65535, lo, "port")) return false;
        if (lo == 0) return p.fail(pos, "port range can't start at 0");
        std::vector<ArgValue> range{int_value(lo)};
        if (p.match(Tok::Minus)) {
            pos = p.tok().pos;
            if (!p.parse_uint(65535, hi, "port")) return false;
            if (hi <= lo) return p.fail(pos, "range high should be greater than range low");
            range.push_back(int_value(hi));
        }
        add_arg(a, "", std::move(range));
    }
    return p.force(Tok::RParen);
}

// One load-balancer backend: `IP`, `IP:PORT`, `[IP6]`, `[IP6]:PORT`.
bool parse_backend(P& p, ArgValue& v) {
    v = ArgValue{};
    v.kind = ArgValue::Kind::Backend;
    auto port = [&]() {
        uint64_t n = 0;
        if (!p.parse_uint(65535, n, "port number")) return false;
        v.port = static_cast<uint16_t>(n);
        return true;
    };
    if (p.match(Tok::LSquare)) {
        if (!p.is(Tok::Integer) || p.tok().format != Format::Ipv6) {
            return p.syntax("IPv6 address");
        }
        if (!p.parse_constant(v.constant)) return false;
        if (!p.match(Tok::RSquare)) return p.syntax("']' (no closing square bracket)");
        return !p.match(Tok::Colon) || port();
    }
    if (!p.is(Tok::Integer) ||
        (p.tok().format != Format::Ipv4 && p.tok().format != Format::Ipv6)) {
        return p.syntax("IP address");
    }
    bool v6 = p.tok().format == Format::Ipv6;
    if (!p.parse_constant(v.constant)) return false;
    if (p.is(Tok::Colon)) {
        if (v6) return p.fail_here("IPv6 address needs square brackets if port is included");
        p.next();
        return port();
    }
    return true;
}

// ct_lb[(backends=B,B...[; hash_fields="f,g"][; skip_snat|force_snat])], ct_lb_mark alike.
bool parse_ct_lb(P& p, Action& a) {
    if (!p.match(Tok::LParen) || p.match(Tok::RParen)) return true;
    if (!p.match_id("backends")) return p.syntax("backends");
    if (!p.force(Tok::Equals)) return false;
    std::vector<ArgValue> backends;
    if (!p.is(Tok::Semicolon) && !p.is(Tok::RParen)) {
        do {
            ArgValue v;
            if (!parse_backend(p, v)) return false;
            backends.push_back(std::move(v));
        } while (p.match(Tok::Comma));
    }
    add_arg(a, "backends", std::move(backends));
    if (p.match(Tok::Semicolon)) {
        if (p.match_id("hash_fields")) {
            if (!p.force(Tok::Equals)) return false;
            if (!p.is(Tok::String)) return p.syntax("quoted hash_fields");
            ArgValue v;
            if (!p.parse_constant(v.constant)) return false;
            add_arg(a, "hash_fields", {std::move(v)});
            if (!p.match(Tok::Semicolon)) return p.force(Tok::RParen);
        }
        if (!word_arg(p, a, "", {"skip_snat", "force_snat"}, false,
                      "hash_fields, skip_snat or force_snat")) {
            return false;
        }
    }
    return p.force(Tok::RParen);
}

// get_arp(P, A) / get_nd(P, A)
template <int IpWidth>
bool parse_get_mac(P& p, Action& a) {
    return p.force(Tok::LParen) && field_arg(p, a, 0) && p.force(Tok::Comma) &&
           field_arg(p, a, IpWidth) && p.force(Tok::RParen);
}

// put_arp(P, A, E) / put_nd(P, A, E)
template <int IpWidth>
bool parse_put_mac(P& p, Action& a) {
    return p.force(Tok::LParen) && field_arg(p, a, 0) && p.force(Tok::Comma) &&
           field_arg(p, a, IpWidth) && p.force(Tok::Comma) && field_arg(p, a, 48) &&
           p.force(Tok::RParen);
}

// R = lookup_arp(P, A, M) / R = lookup_nd(P, A, M)
template <int IpWidth>
bool parse_lookup_mac(P& p, Action& a) {
    return result(p, a, 1) && parse_put_mac<IpWidth>(p, a);
}

// R = lookup_arp_ip(P, A) / R = lookup_nd_ip(P, A)
template <int IpWidth>
bool parse_lookup_mac_ip(P& p, Action& a) {
    return result(p, a, 1) && parse_get_mac<IpWidth>(p, a);
}

// R = name(): the 1-bit result actions without parameters.
bool parse_result_bit(P& p, Action& a) { return result(p, a, 1) && no_params(p, a); }

bool parse_handle_bfd_msg(P& p, Action& a) { return no_params(p, a); }

// R = check_pkt_larger(L)
bool parse_check_pkt_larger(P& p, Action& a) {
    uint64_t n = 0;
    if (!result(p, a, 1) || !p.force(Tok::LParen) ||
        !p.parse_uint(INT32_MAX, n, "packet length")) {
        return false;
    }
    add_arg(a, "", {int_value(n)});
    return p.force(Tok::RParen);
}

// set_queue(N), N in 0..61440 (OVN's QDISC_MAX_QUEUE_ID).
bool parse_set_queue(P& p, Action& a) {
    uint64_t n = 0;
    if (!p.force(Tok::LParen)) return false;
    uint32_t pos = p.tok().pos;
    if (!p.parse_uint(INT32_MAX, n, "queue number")) return false;
    if (n > 61440) {
        return p.fail(pos, "queue ID " + std::to_string(n) +
                               " for set_queue is not in the valid range 0 to 61440");
    }
    add_arg(a, "", {int_value(n)});
    return p.force(Tok::RParen);
}

// set_meter(RATE[, BURST]), kbps, RATE > 0.
bool parse_set_meter(P& p, Action& a) {
    uint64_t rate = 0;
    uint64_t burst = 0;
    if (!p.force(Tok::LParen)) return false;
    uint32_t pos = p.tok().pos;
    if (!p.parse_uint(UINT64_MAX, rate, "rate")) return false;
    if (rate == 0) return p.fail(pos, "rate 0 for set_meter is not valid");
    add_arg(a, "", {int_value(rate)});
    if (p.match(Tok::Comma)) {
        if (!p.parse_uint(UINT64_MAX, burst, "burst")) return false;
        add_arg(a, "", {int_value(burst)});
    }
    return p.force(Tok::RParen);
}

// R = select(ID[=W], ID[=W], ...): R writable and at least 16 bits, two or more members.
bool parse_select(P& p, Action& a) {
    if (!p.check_field(a.dst, a.pos, -1, true)) return false;
    if (a.dst.n_bits < 16) {
        return p.fail(a.pos, "cannot use " + std::to_string(a.dst.n_bits) + "-bit field " +
                                 format_field(a.dst) +
                                 " for select, which requires at least 16 bits");
    }
    if (!p.force(Tok::LParen)) return false;
    while (!p.match(Tok::RParen)) {
        uint64_t id = 0;
        uint64_t weight = 100;  // OVN's default weight
        if (!p.parse_uint(65535, id, "member id")) return false;
        if (p.match(Tok::Equals)) {
            uint32_t pos = p.tok().pos;
            if (!p.parse_uint(65535, weight, "weight")) return false;
            if (weight == 0) return p.fail(pos, "weight can't be 0");
        }
        add_arg(a, "", {int_value(id), int_value(weight)});
        p.match(Tok::Comma);
    }
    if (a.args.size() < 2) return p.fail(a.pos, "select needs at least 2 group members");
    return true;
}

// `name = value | {values}` options of put_dhcp_opts, put_dhcpv6_opts, put_nd_ra_opts.
bool parse_options(P& p, Action& a) {
    if (!result(p, a, 1) || !p.force(Tok::LParen)) return false;
    while (!p.match(Tok::RParen)) {
        if (!p.is(Tok::Id)) return p.syntax("option name");
        std::string key = p.tok().text;
        p.next();
        if (!p.force(Tok::Equals)) return false;
        std::vector<ArgValue> values;
        if (!p.parse_constant_set(values)) return false;
        add_arg(a, std::move(key), std::move(values));
        p.match(Tok::Comma);
    }
    return true;
}

const Arg* find_arg(const Action& a, std::string_view key) {
    for (const Arg& arg : a.args) {
        if (arg.key == key) return &arg;
    }
    return nullptr;
}

bool parse_dhcp_opts(P& p, Action& a) {
    if (!parse_options(p, a)) return false;
    if (!find_arg(a, "offerip")) {
        return p.fail(a.pos, "put_dhcp_opts requires offerip to be specified");
    }
    return true;
}

bool parse_dhcpv6_opts(P& p, Action& a) { return parse_options(p, a); }

// put_nd_ra_opts: OVN validates these against its fixed IPv6 ND RA option list.
bool parse_nd_ra_opts(P& p, Action& a) {
    uint32_t start = p.tok().pos;
    if (!parse_options(p, a)) return false;
    bool stateful = false;
    bool prefix = false;
    bool slla = false;
    for (const Arg& o : a.args) {
        auto bad = [&]() { return p.fail(start, "invalid value for \"" + o.key + "\" option"); };
        if (o.values.size() != 1) return bad();
        const Constant& c = o.values[0].constant;
        auto str_in = [&](std::initializer_list<std::string_view> ok) {
            return c.is_string && std::find(ok.begin(), ok.end(), c.string) != ok.end();
        };
        bool good = true;
        if (o.key == "addr_mode") {
            good = str_in({"slaac", "dhcpv6_stateful", "dhcpv6_stateless"});
            stateful = good && c.string == "dhcpv6_stateful";
        } else if (o.key == "router_preference") {
            good = str_in({"MEDIUM", "HIGH", "LOW"});
        } else if (o.key == "slla") {
            good = !c.is_string && c.format == Format::Ethernet && !c.masked;
            slla = true;
        } else if (o.key == "prefix") {
            good = !c.is_string && c.format == Format::Ipv6 && c.masked;
            prefix = true;
        } else if (o.key == "mtu") {
            good = !c.is_string && c.format == Format::Decimal && !c.masked;
        } else if (o.key == "rdnss") {
            good = !c.is_string && c.format == Format::Ipv6;
        } else if (o.key == "dnssl" || o.key == "route_info") {
            good = c.is_string;
        } else {
            return p.fail(start, "unknown IPv6 ND RA option " + o.key);
        }
        if (!good) return bad();
    }
    if (!slla) return p.fail(start, "slla option not present");
    if (!stateful && !prefix) {
        return p.fail(start,
                      "prefix option needs to be set when address mode is "
                      "slaac/dhcpv6_stateless");
    }
    return true;
}

bool parse_dns_lookup(P& p, Action& a) { return parse_result_bit(p, a); }

// R = get_fdb(M): R is a string field (inport/outport) or a 32-bit field.
bool parse_get_fdb(P& p, Action& a) {
    int width = a.dst.sym->type == SymbolType::String ? 0 : 32;
    return result(p, a, width) && p.force(Tok::LParen) && field_arg(p, a, 48) &&
           p.force(Tok::RParen);
}

// R = lookup_fdb(P, M)
bool parse_lookup_fdb(P& p, Action& a) {
    return result(p, a, 1) && p.force(Tok::LParen) && field_arg(p, a, 0) &&
           p.force(Tok::Comma) && field_arg(p, a, 48) && p.force(Tok::RParen);
}

// put_fdb(P, M)
bool parse_put_fdb(P& p, Action& a) {
    return p.force(Tok::LParen) && field_arg(p, a, 0) && p.force(Tok::Comma) &&
           field_arg(p, a, 48) && p.force(Tok::RParen);
}

// handle_svc_check(P)
bool parse_handle_svc_check(P& p, Action& a) {
    return p.force(Tok::LParen) && field_arg(p, a, 0) && p.force(Tok::RParen);
}

// bind_vport("vport", P)
bool parse_bind_vport(P& p, Action& a) {
    if (!p.force(Tok::LParen)) return false;
    if (!p.is(Tok::String)) return p.syntax("port name string");
    ArgValue v;
    if (!p.parse_constant(v.constant)) return false;
    add_arg(a, "", {std::move(v)});
    return p.force(Tok::Comma) && field_arg(p, a, 0) && p.force(Tok::RParen);
}

// log[(name="n", verdict=allow|drop|reject|pass, severity=S, meter="m")]; verdict required.
bool parse_log(P& p, Action& a) {
    bool verdict = false;
    if (p.match(Tok::LParen)) {
        while (!p.match(Tok::RParen)) {
            if (p.match_id("verdict")) {
                if (!p.force(Tok::Equals) ||
                    !word_arg(p, a, "verdict", {"drop", "reject", "allow", "pass"}, false,
                              "verdict (allow, drop, reject or pass)")) {
                    return false;
                }
                verdict = true;
            } else if (p.match_id("severity")) {
                if (!p.force(Tok::Equals) ||
                    !word_arg(p, a, "severity", {"alert", "warning", "notice", "info", "debug"},
                              false, "severity (alert, warning, notice, info or debug)")) {
                    return false;
                }
            } else if (p.is_id("name") || p.is_id("meter")) {
                std::string key = p.tok().text;
                p.next();
                if (!p.force(Tok::Equals)) return false;
                if (!p.is(Tok::String)) return p.syntax("string");
                if (key == "name" && p.tok().text.size() >= 64) {
                    return p.fail_here("name must be shorter than 64 characters");
                }
                ArgValue v;
                if (!p.parse_constant(v.constant)) return false;
                add_arg(a, std::move(key), {std::move(v)});
            } else {
                return p.syntax("name, verdict, severity or meter");
            }
            p.match(Tok::Comma);
        }
    }
    if (!verdict) return p.syntax("verdict");
    return true;
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) {
            return false;
        }
    }
    return true;
}

// Parses "ip", "ip:port", "[ip6]", "[ip6]:port" held in a quoted string (load-balancer keys).
bool backend_from_string(std::string_view s, ArgValue& out) {
    LexResult lx = tokenize(s);
    if (lx.error) return false;
    ActionParser sub(std::move(lx.tokens), s);
    if (!parse_backend(sub, out)) return false;
    return sub.is(Tok::End);
}

// trigger_event(event = "empty_lb_backends", vip = "...", protocol = "...",
//               load_balancer = "uuid")
bool parse_trigger_event(P& p, Action& a) {
    if (!p.force(Tok::LParen)) return false;
    if (!p.match_id("event")) return p.syntax("'event' option");
    if (!p.force(Tok::Equals)) return false;
    if (!p.is(Tok::String)) return p.syntax("string");
    if (p.tok().text != "empty_lb_backends") {
        return p.fail_here("unknown event " + quote(p.tok().text));
    }
    ArgValue ev;
    if (!p.parse_constant(ev.constant)) return false;
    add_arg(a, "event", {std::move(ev)});
    p.match(Tok::Comma);
    while (!p.match(Tok::RParen)) {
        if (!p.is_id("vip") && !p.is_id("protocol") && !p.is_id("load_balancer")) {
            return p.syntax("empty_lb_backends option name (vip, protocol or load_balancer)");
        }
        std::string key = p.tok().text;
        p.next();
        if (!p.force(Tok::Equals)) return false;
        uint32_t pos = p.tok().pos;
        std::vector<ArgValue> values;
        if (!p.parse_constant_set(values)) return false;
        if (values.size() != 1 || !values[0].constant.is_string) {
            return p.fail(pos, "invalid value for \"" + key + "\" option");
        }
        const std::string& s = values[0].constant.string;
        ArgValue ignored;
        if (key == "vip" && !backend_from_string(s, ignored)) {
            return p.fail(pos, "invalid load balancer VIP '" + s + "'");
        }
        if (key == "protocol" && s != "tcp" && s != "udp" && s != "sctp") {
            return p.fail(pos, "load balancer protocol '" + s + "' is not 'tcp', 'udp', or 'sctp'");
        }
        if (key == "load_balancer" && !is_uuid(s)) {
            return p.fail(pos, "load balancer '" + s + "' is not a UUID");
        }
        add_arg(a, std::move(key), std::move(values));
        p.match(Tok::Comma);
    }
    return true;
}

// fwd_group[(liveness=true|false, childports="p1", "p2", ...)]
bool parse_fwd_group(P& p, Action& a) {
    if (!p.match(Tok::LParen)) return true;
    if (p.match_id("liveness")) {
        if (!p.force(Tok::Equals) ||
            !word_arg(p, a, "liveness", {"true", "false"}, true, "true or false") ||
            !p.force(Tok::Comma)) {
            return false;
        }
    }
    if (!p.match_id("childports")) return p.syntax("childports");
    if (!p.force(Tok::Equals)) return false;
    std::vector<ArgValue> ports;
    while (!p.match(Tok::RParen)) {
        if (!p.is(Tok::String)) return p.syntax("logical switch port name");
        ArgValue v;
        if (!p.parse_constant(v.constant)) return false;
        ports.push_back(std::move(v));
        p.match(Tok::Comma);
    }
    add_arg(a, "childports", std::move(ports));
    return true;
}

// commit_ecmp_nh(ipv6 = true|false, proto = tcp|udp|sctp)
bool parse_commit_ecmp_nh(P& p, Action& a) {
    return p.force(Tok::LParen) &&
           (p.match_id("ipv6") || p.syntax("ipv6")) && p.force(Tok::Equals) &&
           word_arg(p, a, "ipv6", {"true", "false"}, true, "true or false") &&
           p.force(Tok::Comma) && (p.match_id("proto") || p.syntax("proto")) &&
           p.force(Tok::Equals) &&
           word_arg(p, a, "proto", {"tcp", "udp", "sctp"}, false, "tcp, udp or sctp") &&
           p.force(Tok::RParen);
}

// commit_lb_aff(vip = "ip[:port]", backend = "ip[:port]"[, proto = P], timeout = N): proto
// is required exactly when the VIP has a port.
bool parse_commit_lb_aff(P& p, Action& a) {
    if (!p.force(Tok::LParen)) return false;
    ArgValue vip;
    ArgValue backend;
    for (auto [key, out] : {std::pair{"vip", &vip}, std::pair{"backend", &backend}}) {
        if (!p.match_id(key)) return p.syntax(key);
        if (!p.force(Tok::Equals)) return false;
        if (!p.is(Tok::String) || !backend_from_string(p.tok().text, *out)) {
            return p.syntax("quoted IP address and optional port");
        }
        if (out == &backend && backend.constant.format != vip.constant.format) {
            return p.fail_here("VIP and backend are of different address families");
        }
        p.next();
        add_arg(a, key, {*out});
        if (!p.force(Tok::Comma)) return false;
    }
    if (vip.port && *vip.port != 0) {
        if (!p.match_id("proto")) return p.syntax("proto");
        if (!p.force(Tok::Equals) ||
            !word_arg(p, a, "proto", {"tcp", "udp", "sctp"}, false, "tcp, udp or sctp") ||
            !p.force(Tok::Comma)) {
            return false;
        }
    }
    uint64_t timeout = 0;
    if (!p.match_id("timeout")) return p.syntax("timeout");
    if (!p.force(Tok::Equals) || !p.parse_uint(65535, timeout, "affinity timeout")) {
        return false;
    }
    add_arg(a, "timeout", {int_value(timeout)});
    return p.force(Tok::RParen);
}

// sample(probability=N, collector_set=N, obs_domain=N, obs_point=N|$cookie|FIELD)
bool parse_sample(P& p, Action& a) {
    bool probability = false;
    if (p.match(Tok::LParen)) {
        while (!p.match(Tok::RParen)) {
            uint64_t n = 0;
            if (p.match_id("probability")) {
                uint32_t pos = p.tok().pos;
                if (!p.force(Tok::Equals) || !p.parse_uint(65535, n, "probability")) {
                    return false;
                }
                if (n == 0) return p.fail(pos, "probability must be greater than zero");
                probability = true;
                add_arg(a, "probability", {int_value(n)});
            } else if (p.match_id("collector_set")) {
                if (!p.force(Tok::Equals) || !p.parse_uint(UINT32_MAX, n, "collector set id")) {
                    return false;
                }
                add_arg(a, "collector_set", {int_value(n)});
            } else if (p.match_id("obs_domain")) {
                if (!p.force(Tok::Equals) || !p.parse_uint(255, n, "8-bit obs_domain")) {
                    return false;
                }
                add_arg(a, "obs_domain", {int_value(n)});
            } else if (p.match_id("obs_point")) {
                if (!p.force(Tok::Equals)) return false;
                if (p.is(Tok::MacroRef) && p.tok().text == "cookie") {
                    p.next();
                    add_arg(a, "obs_point", {name_value("$cookie")});
                } else if (p.is(Tok::Integer)) {
                    if (!p.parse_uint(UINT32_MAX, n, "obs_point")) return false;
                    add_arg(a, "obs_point", {int_value(n)});
                } else {
                    ArgValue v;
                    v.kind = ArgValue::Kind::Field;
                    if (!p.parse_field(v.field, 32)) return false;
                    add_arg(a, "obs_point", {std::move(v)});
                }
            } else {
                return p.syntax("probability, collector_set, obs_domain or obs_point");
            }
            p.match(Tok::Comma);
        }
    }
    if (!probability) return p.fail_here("sample: probability must be greater than zero");
    return true;
}

constexpr CallResult kNone = CallResult::None;
constexpr CallResult kResult = CallResult::Required;

// Sorted by name for find_call().
constexpr std::array kCalls = {
    CallShape{"arp", kNone, parse_nested},
    CallShape{"bind_vport", kNone, parse_bind_vport},
    CallShape{"check_in_port_sec", kResult, parse_result_bit},
    CallShape{"check_out_port_sec", kResult, parse_result_bit},
    CallShape{"check_pkt_larger", kResult, parse_check_pkt_larger},
    CallShape{"chk_ecmp_nh", kResult, parse_result_bit},
    CallShape{"chk_ecmp_nh_mac", kResult, parse_result_bit},
    CallShape{"chk_lb_aff", kResult, parse_result_bit},
    CallShape{"chk_lb_hairpin", kResult, parse_result_bit},
    CallShape{"chk_lb_hairpin_reply", kResult, parse_result_bit},
    CallShape{"commit_ecmp_nh", kNone, parse_commit_ecmp_nh},
    CallShape{"commit_lb_aff", kNone, parse_commit_lb_aff},
    CallShape{"ct_clear", kNone, parse_nothing},
    CallShape{"ct_commit", kNone, parse_ct_commit},
    CallShape{"ct_commit_nat", kNone, parse_nothing},
    CallShape{"ct_dnat", kNone, parse_ct_nat},
    CallShape{"ct_dnat_in_czone", kNone, parse_ct_nat},
    CallShape{"ct_lb", kNone, parse_ct_lb},
    CallShape{"ct_lb_mark", kNone, parse_ct_lb},
    CallShape{"ct_next", kNone, parse_nothing},
    CallShape{"ct_snat", kNone, parse_ct_nat},
    CallShape{"ct_snat_in_czone", kNone, parse_ct_nat},
    CallShape{"ct_snat_to_vip", kNone, parse_nothing},
    CallShape{"dns_lookup", kResult, parse_dns_lookup},
    CallShape{"fwd_group", kNone, parse_fwd_group},
    CallShape{"get_arp", kNone, parse_get_mac<32>},
    CallShape{"get_fdb", kResult, parse_get_fdb},
    CallShape{"get_nd", kNone, parse_get_mac<128>},
    CallShape{"handle_bfd_msg", kNone, parse_handle_bfd_msg},
    CallShape{"handle_dhcpv6_reply", kNone, parse_nothing},
    CallShape{"handle_svc_check", kNone, parse_handle_svc_check},
    CallShape{"icmp4", kNone, parse_nested},
    CallShape{"icmp4_error", kNone, parse_nested},
    CallShape{"icmp6", kNone, parse_nested},
    CallShape{"icmp6_error", kNone, parse_nested},
    CallShape{"igmp", kNone, parse_nothing},
    CallShape{"log", kNone, parse_log},
    CallShape{"lookup_arp", kResult, parse_lookup_mac<32>},
    CallShape{"lookup_arp_ip", kResult, parse_lookup_mac_ip<32>},
    CallShape{"lookup_fdb", kResult, parse_lookup_fdb},
    CallShape{"lookup_nd", kResult, parse_lookup_mac<128>},
    CallShape{"lookup_nd_ip", kResult, parse_lookup_mac_ip<128>},
    CallShape{"nd_na", kNone, parse_nested},
    CallShape{"nd_na_router", kNone, parse_nested},
    CallShape{"nd_ns", kNone, parse_nested},
    CallShape{"put_arp", kNone, parse_put_mac<32>},
    CallShape{"put_dhcp_opts", kResult, parse_dhcp_opts},
    CallShape{"put_dhcpv6_opts", kResult, parse_dhcpv6_opts},
    CallShape{"put_fdb", kNone, parse_put_fdb},
    CallShape{"put_nd", kNone, parse_put_mac<128>},
    CallShape{"put_nd_ra_opts", kResult, parse_nd_ra_opts},
    CallShape{"reject", kNone, parse_nested},
    CallShape{"sample", kNone, parse_sample},
    CallShape{"sctp_abort", kNone, parse_nested},
    CallShape{"select", kResult, parse_select},
    CallShape{"set_meter", kNone, parse_set_meter},
    CallShape{"set_queue", kNone, parse_set_queue},
    CallShape{"tcp_reset", kNone, parse_nested},
    CallShape{"trigger_event", kNone, parse_trigger_event},
};

constexpr bool sorted() {
    for (std::size_t i = 1; i < kCalls.size(); ++i) {
        if (!(kCalls[i - 1].name < kCalls[i].name)) return false;
    }
    return true;
}
static_assert(sorted(), "kCalls must stay sorted by name");

}  // namespace

const CallShape* find_call(std::string_view name) {
    auto it = std::lower_bound(kCalls.begin(), kCalls.end(), name,
                               [](const CallShape& c, std::string_view n) { return c.name < n; });
    return it != kCalls.end() && it->name == name ? &*it : nullptr;
}

}  // namespace scs::lflow::detail

namespace scs::lflow {

std::string_view action_prerequisite(const Action& a) {
    switch (a.kind) {
    case Action::Kind::DecTtl: return "ip";
    case Action::Kind::Call: break;
    default: return {};
    }
    // OVN lib/actions.c add_prerequisite() / parse_nested_action() prereq arguments.
    static constexpr std::pair<std::string_view, std::string_view> kPrereq[] = {
        {"arp", "ip"},          {"ct_commit", "ip"},     {"ct_commit_nat", "ip"},
        {"ct_dnat", "ip"},      {"ct_dnat_in_czone", "ip"}, {"ct_lb", "ip"},
        {"ct_lb_mark", "ip"},   {"ct_next", "ip"},       {"ct_snat", "ip"},
        {"ct_snat_in_czone", "ip"}, {"dns_lookup", "udp"}, {"icmp4", "ip4"},
        {"icmp4_error", "ip4"}, {"icmp6", "ip6"},        {"icmp6_error", "ip6"},
        {"nd_na", "nd_ns"},     {"nd_na_router", "nd_ns"}, {"nd_ns", "ip"},
        {"put_nd_ra_opts", "ip6"}, {"sctp_abort", "sctp"}, {"tcp_reset", "tcp"},
    };
    for (const auto& [name, pre] : kPrereq) {
        if (a.name == name) return pre;
    }
    return {};
}

std::vector<std::string> action_list_prerequisites(const ActionList& actions) {
    std::vector<std::string> out;
    auto field = [&](const LValue& lv) {
        if (lv.sym && !lv.sym->prereqs.empty()) out.push_back(lv.sym->prereqs);
    };
    for (const Action& a : actions) {
        if (const std::string_view pre = action_prerequisite(a); !pre.empty()) out.emplace_back(pre);
        switch (a.kind) {
        case Action::Kind::Load: field(a.dst); break;
        case Action::Kind::Move:
        case Action::Kind::Exchange:
            field(a.dst);
            field(a.src);
            break;
        case Action::Kind::Call:
            if (a.has_result) field(a.dst);
            for (const Arg& arg : a.args)
                for (const ArgValue& v : arg.values)
                    if (v.kind == ArgValue::Kind::Field) field(v.field);
            break;
        default: break;
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace scs::lflow
