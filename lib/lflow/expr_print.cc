// to_string(): an Expr printed back as OVN match text.
#include <arpa/inet.h>

#include <fmt/format.h>

#include "lflow/expr.h"

namespace scs::lflow {

namespace {

std::string hex(const Value& v) {
    std::string s;
    unsigned i = 0;
    while (i < 15 && v.be[i] == 0) ++i;
    s = fmt::format("0x{:x}", v.be[i]);
    for (++i; i < 16; ++i) s += fmt::format("{:02x}", v.be[i]);
    return s;
}

std::string value_text(const Value& v, Format f) {
    switch (f) {
    case Format::Decimal:
        if (v.significant_bits() <= 64) return fmt::format("{}", v.low64());
        return hex(v);
    case Format::Hex: return hex(v);
    case Format::Ethernet:
        return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", v.be[10], v.be[11],
                           v.be[12], v.be[13], v.be[14], v.be[15]);
    case Format::Ipv4: return fmt::format("{}.{}.{}.{}", v.be[12], v.be[13], v.be[14], v.be[15]);
    case Format::Ipv6: {
        char buf[64];
        if (inet_ntop(AF_INET6, v.be.data(), buf, sizeof buf)) return buf;
        return hex(v);
    }
    }
    return hex(v);
}

// A CIDR prefix length if `m` is one over `width` bits.
int prefix_len(const Value& m, unsigned width) {
    unsigned n = 0;
    while (n < width && m.bit(width - 1 - n)) ++n;
    for (unsigned i = 0; i < width - n; ++i) {
        if (m.bit(i)) return -1;
    }
    return static_cast<int>(n);
}

std::string constant_text(const Constant& c) {
    if (c.is_string) {
        std::string s = "\"";
        for (char ch : c.string) {
            if (ch == '"' || ch == '\\') s += '\\';
            if (static_cast<unsigned char>(ch) < 0x20) {
                s += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
                continue;
            }
            s += ch;
        }
        return s + "\"";
    }
    std::string s = value_text(c.value, c.format);
    if (!c.masked) return s;
    if (c.format == Format::Ipv4 || c.format == Format::Ipv6) {
        const int n = prefix_len(c.mask, c.format == Format::Ipv4 ? 32 : 128);
        if (n >= 0) return fmt::format("{}/{}", s, n);
    }
    return s + "/" + value_text(c.mask, c.format == Format::Decimal ? Format::Hex : c.format);
}

// A leaf: constant, function or comparison.
void print_leaf(const Expr& e, std::string& out) {
    if (e.kind == Expr::Kind::Bool) {
        out += e.value ? "1" : "0";
        return;
    }
    if (e.kind == Expr::Kind::ChassisResident) {
        Constant port;
        port.is_string = true;
        port.string = e.port;
        out += "is_chassis_resident(" + constant_text(port) + ")";
        return;
    }
    const Symbol& s = *e.sym;
    const uint16_t width = s.kind == Symbol::Kind::Predicate ? 1 : s.width;
    std::string field = s.name;
    if (s.type == SymbolType::Integer && (e.bit != 0 || e.n_bits != width)) {
        field += e.n_bits == 1 ? fmt::format("[{}]", e.bit)
                               : fmt::format("[{}..{}]", e.bit, e.bit + e.n_bits - 1);
    }
    // A one-bit test written bare.
    if (e.n_bits == 1 && e.op == Relop::Ne && e.rhs.size() == 1 && e.rhs_ref.empty() &&
        e.rhs_refs.empty() && !e.rhs[0].masked && e.rhs[0].value == Value{}) {
        out += field;
        return;
    }
    std::string rhs;
    const std::size_t n = e.rhs.size() + e.rhs_refs.size() + (e.rhs_ref.empty() ? 0 : 1);
    if (n == 1 && e.rhs_refs.empty()) {
        rhs = e.rhs_ref.empty() ? constant_text(e.rhs[0]) : e.rhs_ref;
    } else {
        rhs = "{";
        bool first = true;
        for (const Constant& c : e.rhs) {
            rhs += first ? "" : ", ";
            rhs += constant_text(c);
            first = false;
        }
        for (const std::string& r : e.rhs_refs) {
            rhs += first ? "" : ", ";
            rhs += r;
            first = false;
        }
        if (!e.rhs_ref.empty()) {
            rhs += first ? "" : ", ";
            rhs += e.rhs_ref;
        }
        rhs += "}";
    }
    out += fmt::format("{} {} {}", field, relop_text(e.op), rhs);
}

void print_top(const Expr& e, std::string& out) {
    if (e.kind == Expr::Kind::Not && e.sub[0]->kind == Expr::Kind::Cmp) {
        const Expr& c = *e.sub[0];
        std::string inner;
        print_leaf(c, inner);
        const bool bare = inner.find(' ') == std::string::npos;
        out += bare ? "!" + inner : "!(" + inner + ")";
        return;
    }
    if (e.kind == Expr::Kind::And || e.kind == Expr::Kind::Or) {
        const char* sep = e.kind == Expr::Kind::And ? " && " : " || ";
        for (std::size_t i = 0; i < e.sub.size(); ++i) {
            if (i) out += sep;
            const Expr& s = *e.sub[i];
            if (s.kind == Expr::Kind::And || s.kind == Expr::Kind::Or) {
                out += "(";
                print_top(s, out);
                out += ")";
            } else {
                print_top(s, out);
            }
        }
        return;
    }
    if (e.kind == Expr::Kind::Not) {
        out += "!";
        const Expr& s = *e.sub[0];
        if (s.kind == Expr::Kind::And || s.kind == Expr::Kind::Or) {
            out += "(";
            print_top(s, out);
            out += ")";
        } else {
            print_top(s, out);
        }
        return;
    }
    print_leaf(e, out);
}

}  // namespace

const char* relop_text(Relop r) {
    switch (r) {
    case Relop::Eq: return "==";
    case Relop::Ne: return "!=";
    case Relop::Lt: return "<";
    case Relop::Le: return "<=";
    case Relop::Gt: return ">";
    case Relop::Ge: return ">=";
    }
    return "?";
}

std::string to_string(const Expr& e) {
    std::string out;
    print_top(e, out);
    return out;
}

}  // namespace scs::lflow
