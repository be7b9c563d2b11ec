#include "compiler/microflow.h"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "lflow/expr.h"
#include "packet/addr.h"
#include "packet/builder.h"

namespace scs::compiler {

namespace {

struct Fields {
    std::map<std::string, lflow::Value, std::less<>> v;  // symbol name -> value
    std::map<std::string, bool, std::less<>> preds;      // predicates named (ip4, tcp, ...)
    std::string inport;

    bool has(std::string_view n) const { return v.count(n) != 0; }
    uint64_t num(std::string_view n, uint64_t dflt = 0) const {
        auto it = v.find(n);
        return it == v.end() ? dflt : it->second.low64();
    }
    pkt::Mac mac(std::string_view n) const {
        pkt::Mac m;
        const uint64_t x = num(n);
        for (int i = 0; i < 6; ++i) m.b[static_cast<std::size_t>(i)] = static_cast<uint8_t>(x >> (40 - 8 * i));
        return m;
    }
    pkt::Ip4 ip4(std::string_view n) const { return pkt::Ip4{static_cast<uint32_t>(num(n))}; }
    pkt::Ip6 ip6(std::string_view n) const {
        pkt::Ip6 a;
        auto it = v.find(n);
        if (it != v.end()) std::copy(it->second.be.begin(), it->second.be.end(), a.b.begin());
        return a;
    }
    bool any_prefix(std::string_view p) const {
        for (const auto& [k, x] : v)
            if (k.starts_with(p)) return true;
        return preds.count(std::string(p.substr(0, p.size() - 1))) != 0;
    }
};

Result<void> collect(const lflow::Expr& e, Fields& f) {
    using K = lflow::Expr::Kind;
    if (e.kind == K::And) {
        for (const auto& s : e.sub)
            if (auto r = collect(*s, f); !r) return r;
        return {};
    }
    if (e.kind == K::Bool && e.value) return {};
    if (e.kind != K::Cmp) return make_error(fmt::format("at column {}: a microflow is a conjunction of `field == value` terms", e.pos + 1));
    const lflow::Symbol& s = *e.sym;
    if (s.kind == lflow::Symbol::Kind::Predicate) {
        if (e.op == lflow::Relop::Ne && e.rhs.size() == 1 && e.rhs[0].value.low64() == 0) {
            f.preds[s.name] = true;  // a bare predicate
            return {};
        }
        return make_error(fmt::format("at column {}: predicate {} can only be named", e.pos + 1, s.name));
    }
    if (e.op != lflow::Relop::Eq || e.rhs.size() != 1 || !e.rhs_ref.empty() || e.rhs[0].masked)
        return make_error(fmt::format("at column {}: {} must be compared with == to one value", e.pos + 1, s.name));
    if (s.type == lflow::SymbolType::String) {
        if (s.name != "inport") return make_error(fmt::format("at column {}: only inport names a port", e.pos + 1));
        f.inport = e.rhs[0].string;
        return {};
    }
    if (e.n_bits != s.width && e.n_bits != 0)
        return make_error(fmt::format("at column {}: {}: give whole fields", e.pos + 1, s.name));
    f.v[s.name] = e.rhs[0].value;
    return {};
}

}  // namespace

Result<Microflow> parse_microflow(std::string_view text) {
    auto e = lflow::parse_expr(text);
    if (!e) return make_error(e.error());
    Fields f;
    if (auto r = collect(**e, f); !r) return make_error(r.error());
    Microflow out;
    out.inport = f.inport;
    pkt::FrameBuilder b;
    b.eth(f.mac("eth.dst"), f.mac("eth.src"));
    if (f.has("vlan.vid")) b.vlan(static_cast<uint16_t>(f.num("vlan.vid") | (f.num("vlan.pcp") << 13)));
    const auto ttl = static_cast<uint8_t>(f.num("ip.ttl", 64));
    const bool arp = f.any_prefix("arp.") || f.preds.count("arp");
    const bool v6 = f.any_prefix("ip6.") || f.any_prefix("icmp6.") || f.preds.count("ip6") || f.preds.count("icmp6");
    const bool v4 = !v6 && (f.any_prefix("ip4.") || f.any_prefix("icmp4.") || f.preds.count("ip4") || f.preds.count("ip") ||
                            f.any_prefix("tcp.") || f.any_prefix("udp.") || f.preds.count("icmp4") || f.preds.count("icmp") ||
                            f.preds.count("tcp") || f.preds.count("udp"));
    if (arp) {
        b.arp(static_cast<uint16_t>(f.num("arp.op", 1)), f.has("arp.sha") ? f.mac("arp.sha") : f.mac("eth.src"),
              f.ip4("arp.spa"), f.mac("arp.tha"), f.ip4("arp.tpa"));
    } else if (v4 || v6) {
        if (v6) b.ipv6(f.ip6("ip6.src"), f.ip6("ip6.dst"), ttl);
        else b.ipv4(f.ip4("ip4.src"), f.ip4("ip4.dst"), ttl, static_cast<uint8_t>(f.num("ip.dscp") << 2 | f.num("ip.ecn")));
        if (f.any_prefix("tcp.")) {
            b.tcp(static_cast<uint16_t>(f.num("tcp.src")), static_cast<uint16_t>(f.num("tcp.dst")),
                  static_cast<uint8_t>(f.num("tcp.flags", 0x02)));
        } else if (f.any_prefix("udp.")) {
            b.udp(static_cast<uint16_t>(f.num("udp.src")), static_cast<uint16_t>(f.num("udp.dst")));
        } else if (f.any_prefix("icmp4.") || f.any_prefix("icmp6.") || f.preds.count("icmp")) {
            const char* t = v6 ? "icmp6.type" : "icmp4.type";
            const char* c = v6 ? "icmp6.code" : "icmp4.code";
            const auto type = static_cast<uint8_t>(f.num(t, v6 ? 128 : 8));
            if (v6) b.icmp6(type, static_cast<uint8_t>(f.num(c)));
            else b.icmp4(type, static_cast<uint8_t>(f.num(c)));
        }
        b.payload_pattern(16);
    } else if (f.has("eth.type")) {
        b.eth_type(static_cast<uint16_t>(f.num("eth.type"))).payload_pattern(46);
    }
    out.frame = b.pad_to(60).build();
    return out;
}

}  // namespace scs::compiler
