#include "compiler/port_security.h"

#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <span>
#include <unordered_map>

#include <fmt/format.h>

#include "packet/addr.h"

namespace scs::compiler {

namespace {

struct Entry {
    std::string mac;
    std::vector<std::string> ip4, ip6;  // as written, possibly with /plen
};

// White-space separated words, as `std::istream >> std::string` splits them.
class Words {
public:
    explicit Words(std::string_view s) : s_(s) {}
    std::string_view next() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
        const std::size_t start = i_;
        while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
        return s_.substr(start, i_ - start);
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

bool parse_entry(std::string_view text, Entry& e) {
    Words words(text);
    const std::string_view mac = words.next();
    if (mac.empty() || !pkt::Mac::parse(mac)) return false;
    e.mac = mac;
    for (std::string_view tok = words.next(); !tok.empty(); tok = words.next()) {
        const std::string_view addr = tok.substr(0, tok.find('/'));
        if (pkt::Ip4::parse(addr)) e.ip4.emplace_back(tok);
        else if (addr.find(':') != std::string_view::npos) e.ip6.emplace_back(tok);
        else return false;
    }
    return true;
}

// The IPv6 link-local address a host derives from its MAC (EUI-64, RFC 4291 appendix A):
// the only link-local source OVN's port security lets through.
std::string link_local(const std::string& mac_text) {
    const pkt::Mac m = *pkt::Mac::parse(mac_text);
    return fmt::format("fe80::{:02x}{:02x}:{:02x}ff:fe{:02x}:{:02x}{:02x}", m.b[0] ^ 2, m.b[1], m.b[2], m.b[3], m.b[4],
                       m.b[5]);
}

// The symbols the rules compare (besides the fixed parts).
enum class Sym : uint8_t { Inport, Outport, EthSrc, EthDst, Ip4Src, Ip4Dst, ArpSha, ArpSpa, Ip6Src, Ip6Dst, NdSll, NdTll, Count };
constexpr const char* kSymName[] = {"inport",  "outport", "eth.src", "eth.dst", "ip4.src", "ip4.dst",
                                    "arp.sha", "arp.spa", "ip6.src", "ip6.dst", "nd.sll",  "nd.tll"};

// One conjunct of a rule.
struct Term {
    enum class Kind : uint8_t {
        Fixed,     // `text`: the same for every port, lowered once
        Port,      // `sym` == the port
        One,       // `sym` == consts[0]
        Braces,    // `sym` == {consts...}
        EitherOf,  // (`sym` == consts[0] || `sym` == consts[1])
    };
    Kind kind = Kind::Fixed;
    const char* text = nullptr;
    Sym sym = Sym::Count;
    std::span<const std::string> consts;
};

Term fixed(const char* text) { return {Term::Kind::Fixed, text, Sym::Count, {}}; }
Term cmp(Term::Kind k, Sym s, std::span<const std::string> consts) { return {k, nullptr, s, consts}; }

// One rule: its conjuncts (all must hold).
struct Spec {
    int priority;
    bool allow;
    std::array<Term, 5> terms;
    std::size_t n = 0;
    Spec(int p, bool a, std::initializer_list<Term> t) : priority(p), allow(a) {
        for (const Term& x : t) terms[n++] = x;
    }
    Spec& add(const Term& t) {
        terms[n++] = t;
        return *this;
    }
};

// Calls `f(const Spec&)` for every rule of the port, in order (the Spec's strings live only
// during the call).
template <class F>
void for_each_spec(const ovsdb::PortBinding& pb, bool ingress, std::vector<std::string>& errors, F&& f) {
    const Term port = cmp(Term::Kind::Port, ingress ? Sym::Inport : Sym::Outport, {});
    if (pb.port_security.empty()) {
        f(Spec(50, true, {port}));
        return;
    }
    for (const std::string& text : pb.port_security) {
        Entry e;
        if (!parse_entry(text, e)) {
            errors.push_back(fmt::format("port {}: port_security entry '{}' is not 'MAC [IP...]'", pb.logical_port, text));
            continue;
        }
        const std::vector<std::string> macv{e.mac};
        const Spec mac(0, true, {port, cmp(Term::Kind::One, ingress ? Sym::EthSrc : Sym::EthDst, macv)});
        auto with = [&mac](int priority, bool allow, std::initializer_list<Term> more) {
            Spec s = mac;
            s.priority = priority;
            s.allow = allow;
            for (const Term& t : more) s.add(t);
            return s;
        };
        const bool any_ip = !e.ip4.empty() || !e.ip6.empty();
        if (!any_ip) {
            f(with(90, true, {}));
            continue;
        }
        const bool v4 = !e.ip4.empty(), v6 = !e.ip6.empty();
        if (ingress) {
            if (v4) {
                f(with(90, true, {cmp(Term::Kind::Braces, Sym::Ip4Src, e.ip4)}));
                f(with(90, true, {fixed("ip4.src == 0.0.0.0 && ip4.dst == 255.255.255.255 && udp.src == 68 && udp.dst == 67")}));
                f(with(90, true, {cmp(Term::Kind::One, Sym::ArpSha, macv), cmp(Term::Kind::Braces, Sym::ArpSpa, e.ip4)}));
            }
            if (v6) {
                std::vector<std::string> src = e.ip6;
                src.push_back(link_local(e.mac));
                f(with(90, true, {cmp(Term::Kind::Braces, Sym::Ip6Src, src), fixed("!nd")}));
                // Neighbour Discovery from our addresses (or :: for DAD), with our MAC inside.
                std::vector<std::string> nd_src = src;
                nd_src.push_back("::");
                const std::vector<std::string> zero_or_mac{"0", e.mac};
                f(with(90, true, {cmp(Term::Kind::Braces, Sym::Ip6Src, nd_src), fixed("nd_ns"),
                                  cmp(Term::Kind::EitherOf, Sym::NdSll, zero_or_mac)}));
                f(with(90, true, {cmp(Term::Kind::Braces, Sym::Ip6Src, src), fixed("nd_na"),
                                  cmp(Term::Kind::EitherOf, Sym::NdTll, zero_or_mac)}));
            }
            // ovn-nb(5): IPv4 addresses without IPv6 ones forbid IPv6, and the reverse forbids
            // IPv4 and ARP; addresses given restrict their family. RARP is not restricted.
            f(with(80, false, {fixed("(ip4 || arp || ip6)")}));
            f(with(70, true, {}));
        } else {
            if (v4) {
                std::vector<std::string> dst = e.ip4;
                dst.push_back("255.255.255.255");
                dst.push_back("224.0.0.0/4");
                for (const std::string& a4 : e.ip4) {  // a masked address: its subnet broadcast too
                    const auto slash = a4.find('/');
                    auto ip = pkt::Ip4::parse(a4.substr(0, slash));
                    if (slash == std::string::npos || !ip) continue;
                    unsigned plen = 0;
                    const char* end = a4.data() + a4.size();
                    auto [ptr, ec] = std::from_chars(a4.data() + slash + 1, end, plen);
                    if (ec != std::errc{} || ptr != end || plen >= 32) continue;  // not a prefix length
                    dst.push_back(pkt::Ip4{ip->v | (~uint32_t{0} >> plen)}.str());
                }
                f(with(90, true, {cmp(Term::Kind::Braces, Sym::Ip4Dst, dst)}));
            }
            if (v6) {
                std::vector<std::string> dst = e.ip6;
                dst.push_back(link_local(e.mac));
                dst.push_back("ff00::/8");
                f(with(90, true, {cmp(Term::Kind::Braces, Sym::Ip6Dst, dst)}));
            }
            f(with(80, false, {fixed("(ip4 || ip6)")}));
            f(with(70, true, {}));
        }
    }
    if (!ingress) f(Spec(60, true, {port, fixed("eth.mcast")}));  // broadcast/multicast delivery
}

std::string text_of(const Spec& s, const ovsdb::PortBinding& pb) {
    std::string t;
    for (std::size_t i = 0; i < s.n; ++i) {
        const Term& x = s.terms[i];
        if (i) t += " && ";
        const char* name = x.sym == Sym::Count ? "" : kSymName[static_cast<std::size_t>(x.sym)];
        switch (x.kind) {
            case Term::Kind::Fixed: t += x.text; break;
            case Term::Kind::Port: t += fmt::format("{} == \"{}\"", name, pb.logical_port); break;
            case Term::Kind::One: t += fmt::format("{} == {}", name, x.consts[0]); break;
            case Term::Kind::Braces: {
                t += fmt::format("{} == {{", name);
                for (std::size_t j = 0; j < x.consts.size(); ++j) t += (j ? ", " : "") + x.consts[j];
                t += "}";
                break;
            }
            case Term::Kind::EitherOf: t += fmt::format("({0} == {1} || {0} == {2})", name, x.consts[0], x.consts[1]); break;
        }
    }
    return t;
}

// ---- Direct lowering: the same algebra as lflow::to_matches() (a conjunction is the cross
// product of its operands' disjunctions, dropping contradictions and duplicates), on the
// same lflow::Conj values.

using lflow::Conj;
using Dnf = std::vector<Conj>;

void push_unique(Dnf& d, const Conj& m) {
    for (const Conj& x : d)
        if (x == m) return;
    d.push_back(m);
}

// acc := acc && d.
void and_in(Dnf& acc, const Dnf& d) {
    if (d.size() == 1) {  // the usual case: merged in place
        std::size_t n = 0;
        for (std::size_t i = 0; i < acc.size(); ++i) {
            if (!lflow::merge_into(acc[i], d[0])) continue;
            bool dup = false;
            for (std::size_t j = 0; j < n && !dup; ++j) dup = acc[j] == acc[i];
            if (dup) continue;
            if (n != i) acc[n] = acc[i];
            ++n;
        }
        acc.resize(n);
        return;
    }
    thread_local Dnf out;
    out.clear();
    for (const Conj& x : acc)
        for (const Conj& y : d) {
            Conj m = x;
            if (lflow::merge_into(m, y)) push_unique(out, m);
        }
    acc.swap(out);
}

class NoNames final : public lflow::Resolver {
public:
    std::optional<uint32_t> port_key(std::string_view) const override { return std::nullopt; }
    const std::vector<std::string>* address_set(std::string_view) const override { return nullptr; }
    const std::vector<std::string>* port_group(std::string_view) const override { return nullptr; }
    bool chassis_resident(std::string_view) const override { return false; }
};

Result<Dnf> lower_text(std::string_view text, const lflow::Resolver& r) {
    auto e = lflow::parse_expr(text);
    if (!e) return make_error(e.error());
    return lflow::to_conjs(**e, r);
}

// Text that names no port or set, lowered once per thread (the texts are the few literals
// above and the symbol table's prerequisites).
Result<const Dnf*> lower_fixed(const char* text) {
    thread_local std::unordered_map<const char*, Dnf> cache;
    auto it = cache.find(text);
    if (it == cache.end()) {
        Result<Dnf> d = lower_text(text, NoNames{});
        if (!d) return make_error(d.error());
        it = cache.emplace(text, std::move(*d)).first;
    }
    return &it->second;
}

// The symbol, if the direct path takes it: a carried field (not a subfield or predicate).
const lflow::Symbol* symbol(Sym s) {
    static const std::array<const lflow::Symbol*, static_cast<std::size_t>(Sym::Count)> table = [] {
        std::array<const lflow::Symbol*, static_cast<std::size_t>(Sym::Count)> t{};
        for (std::size_t i = 0; i < t.size(); ++i) {
            const lflow::Symbol* x = lflow::SymbolTable::ovn().find(kSymName[i]);
            t[i] = x && x->kind == lflow::Symbol::Kind::Field && x->ref ? x : nullptr;
        }
        return t;
    }();
    return table[static_cast<std::size_t>(s)];
}

// What one port's rules share: its key (asked once) and its addresses lexed once each (a
// port's MAC is in most of its rules).
struct PortCtx {
    const ovsdb::PortBinding& pb;
    const lflow::Resolver& r;
    bool key_asked = false;
    std::optional<uint32_t> key;
    std::vector<std::pair<std::string, std::optional<lflow::Token>>> lexed;  // nullopt: not one constant

    const std::optional<uint32_t>& port_key() {
        if (!key_asked) {
            key = r.port_key(pb.logical_port);
            key_asked = true;
        }
        return key;
    }
    const std::optional<lflow::Token>& constant(const std::string& c) {
        for (const auto& [text, tok] : lexed)
            if (text == c) return tok;
        return lexed.emplace_back(c, lflow::lex_one(c)).second;
    }
};

// acc := acc && the term. false: the term is not for the direct path (an address not of the
// field's format, an unusual mask); the caller lowers the rule's text instead.
Result<bool> and_term(Dnf& acc, const Term& t, PortCtx& ctx) {
    if (t.kind == Term::Kind::Fixed) {
        Result<const Dnf*> d = lower_fixed(t.text);
        if (!d) return make_error(d.error());
        and_in(acc, **d);
        return true;
    }
    const lflow::Symbol* s = symbol(t.sym);
    if (!s) return false;
    thread_local Dnf own;
    own.clear();
    if (t.kind == Term::Kind::Port) {
        if (s->type != lflow::SymbolType::String) return false;
        const std::optional<uint32_t>& key = ctx.port_key();
        if (!key) {  // not in this datapath: never true
            acc.clear();
            return true;
        }
        lflow::Value v, mask;
        for (unsigned i = 0; i < 4; ++i) {
            v.be[12 + i] = static_cast<uint8_t>(*key >> (24 - 8 * i));
            mask.be[12 + i] = 0xff;
        }
        lflow::require(own.emplace_back(), s->ref->field, s->ref->bit, s->ref->n_bits, v, mask);
    } else {
        if (s->type != lflow::SymbolType::Integer) return false;
        for (const std::string& c : t.consts) {
            const std::optional<lflow::Token>& lexed = ctx.constant(c);
            if (!lexed) return false;
            const lflow::Token& k = *lexed;
            const bool zero = c == "0" && k.kind == lflow::Tok::Integer;
            if ((k.kind != lflow::Tok::Integer && k.kind != lflow::Tok::Masked) || (!zero && k.format != s->format))
                return false;
            lflow::Value mask;
            if (k.kind == lflow::Tok::Masked) {
                mask = k.mask;
            } else {
                const unsigned n = s->ref->n_bits;
                for (unsigned i = 0; i < n / 8; ++i) mask.be[15 - i] = 0xff;
                for (unsigned i = n / 8 * 8; i < n; ++i) mask.set_bit(i, true);
            }
            lflow::Value both = k.value;
            for (unsigned i = 0; i < 16; ++i) both.be[i] |= mask.be[i];
            if (both.significant_bits() > s->ref->n_bits) return false;
            Conj m;
            lflow::require(m, s->ref->field, s->ref->bit, s->ref->n_bits, k.value, mask);
            push_unique(own, m);
        }
    }
    and_in(acc, own);
    if (!s->prereqs.empty()) {
        Result<const Dnf*> pre = lower_fixed(s->prereqs.c_str());
        if (!pre) return make_error(pre.error());
        and_in(acc, **pre);
    }
    return true;
}

}  // namespace

std::vector<PortSecRule> port_security_rules(const ovsdb::PortBinding& pb, bool ingress, std::vector<std::string>& errors) {
    std::vector<PortSecRule> r;
    for_each_spec(pb, ingress, errors, [&](const Spec& s) { r.push_back({s.priority, text_of(s, pb), s.allow}); });
    return r;
}

Result<std::vector<PortSecFlow>> port_security_flows(const ovsdb::PortBinding& pb, bool ingress,
                                                     const lflow::Resolver& resolver, std::vector<std::string>& errors) {
    std::vector<PortSecFlow> out;
    std::optional<std::string> error;
    PortCtx ctx{pb, resolver};
    thread_local Dnf acc;
    for_each_spec(pb, ingress, errors, [&](const Spec& s) {
        if (error) return;
        acc.clear();
        acc.emplace_back();
        bool direct = true;
        for (std::size_t i = 0; i < s.n && direct; ++i) {
            Result<bool> d = and_term(acc, s.terms[i], ctx);
            if (!d) {
                error = d.error();
                return;
            }
            direct = *d;
        }
        if (!direct) {
            Result<Dnf> d = lower_text(text_of(s, pb), resolver);
            if (!d) {
                error = d.error();
                return;
            }
            acc = std::move(*d);
        }
        out.push_back(PortSecFlow{s.priority, s.allow, PackedMatches(acc)});
    });
    if (error) return make_error(*error);
    return out;
}

}  // namespace scs::compiler
