// to_string(ActionList): actions printed back in a normalised form that parses to the same
// tree (dump-lflows, messages). Constants keep the format they were written in.
// GCC 12 reports a false -Wrestrict inside libstdc++ for `"literal" + std::string&&` at -O3
// (GCC PR 105329 / 105651); messages here are built that way, so it is silenced for this file.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <arpa/inet.h>

#include <cstdio>
#include <string>

#include "lflow/action_parser.h"
#include "lflow/actions.h"

namespace scs::lflow {
namespace detail {
namespace {

std::string decimal(Value v) {
    // Long division of the 128-bit big-endian value by 10.
    std::string digits;
    do {
        unsigned rem = 0;
        for (uint8_t& b : v.be) {
            unsigned cur = rem << 8 | b;
            b = static_cast<uint8_t>(cur / 10);
            rem = cur % 10;
        }
        digits.insert(digits.begin(), static_cast<char>('0' + rem));
    } while (v != Value{});
    return digits;
}

std::string hex(const Value& v) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (uint8_t b : v.be) {
        s.push_back(kHex[b >> 4]);
        s.push_back(kHex[b & 15]);
    }
    std::size_t nz = s.find_first_not_of('0');
    return "0x" + (nz == std::string::npos ? std::string("0") : s.substr(nz));
}

// The prefix length if `m` is a CIDR mask of `width` bits, else -1.
int prefix_len(const Value& m, unsigned width) {
    unsigned n = 0;
    while (n < width && m.bit(width - 1 - n)) ++n;
    for (unsigned i = 0; i < width - n; ++i) {
        if (m.bit(i)) return -1;
    }
    for (unsigned i = width; i < 128; ++i) {
        if (m.bit(i)) return -1;
    }
    return static_cast<int>(n);
}

}  // namespace

std::string format_value(const Value& v, Format f) {
    char buf[64];
    switch (f) {
    // The lexer reads decimal constants only up to 64 bits (as OVN's does).
    case Format::Decimal: return v.significant_bits() <= 64 ? decimal(v) : hex(v);
    case Format::Hex: return hex(v);
    case Format::Ethernet:
        std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", v.be[10], v.be[11],
                      v.be[12], v.be[13], v.be[14], v.be[15]);
        return buf;
    case Format::Ipv4:
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", v.be[12], v.be[13], v.be[14], v.be[15]);
        return buf;
    case Format::Ipv6:
        if (!inet_ntop(AF_INET6, v.be.data(), buf, sizeof buf)) return hex(v);
        return buf;
    }
    return hex(v);
}

std::string format_constant(const Constant& c) {
    if (c.is_string) return quote(c.string);
    std::string s = format_value(c.value, c.format);
    if (c.masked) {
        int plen = c.format == Format::Ipv4   ? prefix_len(c.mask, 32)
                   : c.format == Format::Ipv6 ? prefix_len(c.mask, 128)
                                              : -1;
        s += "/" + (plen >= 0 ? std::to_string(plen) : format_value(c.mask, c.format));
    }
    return s;
}

std::string format_field(const LValue& f) {
    if (!f.sym) return "?";
    std::string s = f.sym->name;
    bool whole = f.sym->type == SymbolType::String || (f.bit == 0 && f.n_bits == f.sym->width);
    if (!whole) {
        s += "[" + std::to_string(f.bit);
        if (f.n_bits > 1) s += ".." + std::to_string(f.bit + f.n_bits - 1);
        s += "]";
    }
    return s;
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default: out.push_back(c);
        }
    }
    return out + "\"";
}

namespace {

std::string format_arg_value(const ArgValue& v) {
    switch (v.kind) {
    case ArgValue::Kind::Constant: return format_constant(v.constant);
    case ArgValue::Kind::Field: return format_field(v.field);
    case ArgValue::Kind::Name: return v.constant.string;
    case ArgValue::Kind::Backend: {
        std::string ip = format_value(v.constant.value, v.constant.format);
        if (!v.port) return ip;
        if (v.constant.format == Format::Ipv6) ip = "[" + ip + "]";
        return ip + ":" + std::to_string(*v.port);
    }
    }
    return "?";
}

std::string join_values(const std::vector<ArgValue>& vs, std::string_view sep) {
    std::string s;
    for (std::size_t i = 0; i < vs.size(); ++i) {
        if (i) s += sep;
        s += format_arg_value(vs[i]);
    }
    return s;
}

// The argument list of a Call, parentheses included, or "" when written without them.
std::string format_args(const Action& a) {
    const std::string& n = a.name;
    if (a.args.empty()) {
        return a.has_result || n == "handle_bfd_msg" ? "()" : "";
    }
    std::string s = "(";
    auto sep = [&](std::size_t i, std::string_view x) {
        if (i) s += x;
    };
    if (n == "ct_lb" || n == "ct_lb_mark") {
        for (std::size_t i = 0; i < a.args.size(); ++i) {
            sep(i, "; ");
            const Arg& arg = a.args[i];
            if (!arg.key.empty()) s += arg.key + "=";
            s += join_values(arg.values, ",");
        }
    } else if (n == "select") {
        for (std::size_t i = 0; i < a.args.size(); ++i) {
            sep(i, ", ");
            s += join_values(a.args[i].values, "=");
        }
    } else if (n == "ct_dnat" || n == "ct_snat" || n == "ct_dnat_in_czone" ||
               n == "ct_snat_in_czone") {
        for (std::size_t i = 0; i < a.args.size(); ++i) {
            sep(i, ", ");
            s += join_values(a.args[i].values, "-");
        }
    } else if (n == "commit_lb_aff") {
        for (std::size_t i = 0; i < a.args.size(); ++i) {
            sep(i, ", ");
            const Arg& arg = a.args[i];
            std::string v = join_values(arg.values, ",");
            s += arg.key + " = " + (arg.key == "vip" || arg.key == "backend" ? quote(v) : v);
        }
    } else {
        bool tight = n == "log" || n == "sample" || n == "fwd_group" || n == "ct_commit";
        for (std::size_t i = 0; i < a.args.size(); ++i) {
            sep(i, ", ");
            const Arg& arg = a.args[i];
            if (!arg.key.empty()) s += arg.key + (tight ? "=" : " = ");
            if (n == "fwd_group" || arg.values.size() == 1) {
                s += join_values(arg.values, ", ");
            } else {
                s += "{" + join_values(arg.values, ", ") + "}";
            }
        }
    }
    return s + ")";
}

void format_list(const ActionList& l, std::string& s);

void format_action(const Action& a, std::string& s) {
    switch (a.kind) {
    case Action::Kind::Next:
        s += "next";
        if (a.next_egress) {
            s += std::string("(pipeline=") + (*a.next_egress ? "egress" : "ingress");
            if (a.next_table) s += ", table=" + std::to_string(*a.next_table);
            s += ")";
        } else if (a.next_table) {
            s += "(" + std::to_string(*a.next_table) + ")";
        }
        s += ";";
        return;
    case Action::Kind::Output: s += "output;"; return;
    case Action::Kind::Drop: s += "drop;"; return;
    case Action::Kind::DecTtl: s += "ip.ttl--;"; return;
    case Action::Kind::Load:
        s += format_field(a.dst) + " = " + format_constant(a.value) + ";";
        return;
    case Action::Kind::Move: s += format_field(a.dst) + " = " + format_field(a.src) + ";"; return;
    case Action::Kind::Exchange:
        s += format_field(a.dst) + " <-> " + format_field(a.src) + ";";
        return;
    case Action::Kind::Clone:
    case Action::Kind::Call: break;
    }
    if (a.kind == Action::Kind::Clone) {
        s += "clone";
    } else {
        if (a.has_result) s += format_field(a.dst) + " = ";
        s += a.name + format_args(a);
    }
    // `ct_commit;` and `ct_commit { };` are the same action.
    if (a.has_body && !(a.name == "ct_commit" && a.body.empty())) {
        s += " {";
        if (!a.body.empty()) {
            s += " ";
            format_list(a.body, s);
        }
        s += " }";
    }
    s += ";";
}

void format_list(const ActionList& l, std::string& s) {
    for (std::size_t i = 0; i < l.size(); ++i) {
        if (i) s += " ";
        format_action(l[i], s);
    }
}

}  // namespace
}  // namespace detail

std::string to_string(const ActionList& actions) {
    if (actions.empty()) return "/* drop */";
    std::string s;
    detail::format_list(actions, s);
    return s;
}

}  // namespace scs::lflow
