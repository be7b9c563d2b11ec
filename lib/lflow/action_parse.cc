// parse_actions(): the generic half of the action parser (lists, fields, constants,
// assignments, next, nested bodies). The per-action argument syntax is in action_calls.cc.
// Grammar and messages follow OVN 23.03 lib/actions.c (parse_actions, parse_action,
// parse_set_action) and ovn-sb(5) "Logical_Flow TABLE", actions column.
// GCC 12 reports a false -Wrestrict inside libstdc++ for `"literal" + std::string&&` at -O3
// (GCC PR 105329 / 105651); messages here are built that way, so it is silenced for this file.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <algorithm>
#include <string>
#include <utility>

#include "lflow/action_parser.h"
#include "lflow/actions.h"

namespace scs::lflow {
namespace detail {

namespace {

// The field a subfield is carved from: "ct_label.blocked" -> "ct_label" (its expansion is
// "ct_label[0]"); a field is its own root.
std::string_view root_name(const Symbol& s) {
    if (s.kind != Symbol::Kind::Subfield) return s.name;
    std::string_view e = s.expansion;
    return e.substr(0, e.find('['));
}

bool writable_in(const Symbol& s, Scope scope) {
    std::string_view root = root_name(s);
    bool ct_field = s.ct_commit_only || root == "ct_mark" || root == "ct_label";
    if (scope == Scope::CtCommit) return ct_field;
    return !ct_field && s.writable;
}

std::string field_text(const LValue& f) { return format_field(f); }

}  // namespace

bool ActionParser::fail(uint32_t pos, std::string message) {
    if (!err_) err_ = SyntaxError{pos, std::move(message)};
    return false;
}

std::string ActionParser::describe(const Token& t) const {
    switch (t.kind) {
    case Tok::Id: return "'" + t.text + "'";
    case Tok::String: return "string " + quote(t.text);
    case Tok::Integer:
    case Tok::Masked: {
        // The token as written, for messages: up to the next blank or separator.
        std::string_view rest = text_.substr(std::min<std::size_t>(t.pos, text_.size()));
        std::size_t n = rest.find_first_of(" \t\n;,(){}[]");
        return "'" + std::string(rest.substr(0, std::min<std::size_t>(n, 40))) + "'";
    }
    case Tok::MacroRef: return "'$" + t.text + "'";
    case Tok::PortGroup: return "'@" + t.text + "'";
    default: return std::string(tok_name(t.kind));
    }
}

bool ActionParser::syntax(std::string_view expecting) {
    return fail_here("expecting " + std::string(expecting) + ", found " + describe(tok()));
}

bool ActionParser::match(Tok t) {
    if (!is(t)) return false;
    next();
    return true;
}

bool ActionParser::match_id(std::string_view s) {
    if (!is_id(s)) return false;
    next();
    return true;
}

bool ActionParser::force(Tok t) {
    if (failed()) return false;
    if (match(t)) return true;
    return syntax(tok_name(t));
}

bool ActionParser::check_field(const LValue& f, uint32_t pos, int width, bool rw) {
    const Symbol& s = *f.sym;
    bool is_string = s.type == SymbolType::String;
    if (width == 0 && !is_string) {
        return fail(pos, "cannot use numeric field " + field_text(f) +
                             " where a string field is required");
    }
    if (width > 0 && is_string) {
        return fail(pos, "cannot use string field " + s.name +
                             " where a numeric field is required");
    }
    if (width > 0 && f.n_bits != width) {
        return fail(pos, "cannot use " + std::to_string(f.n_bits) + "-bit field " +
                             field_text(f) + " where a " + std::to_string(width) +
                             "-bit field is required");
    }
    if (rw && !writable_in(s, scope_)) {
        std::string why = scope_ == Scope::CtCommit
                              ? " (only ct_mark and ct_label are writable inside ct_commit)"
                          : root_name(s) == "ct_mark" || root_name(s) == "ct_label"
                              ? " (ct_mark and ct_label are written inside ct_commit { })"
                              : "";
        return fail(pos, "field " + s.name + " is not modifiable" + why);
    }
    return true;
}

bool ActionParser::parse_field(LValue& f, int width, bool rw) {
    if (failed()) return false;
    if (!is(Tok::Id)) return syntax("field name");
    uint32_t pos = tok().pos;
    const Symbol* s = SymbolTable::ovn().find(tok().text);
    if (!s) return fail(pos, "unknown field " + tok().text);
    if (s->kind == Symbol::Kind::Predicate) {
        return fail(pos, "predicate " + s->name + " used where a field is required");
    }
    next();
    f = LValue{s, 0, s->type == SymbolType::String ? uint16_t{0} : s->width};
    if (match(Tok::LSquare)) {
        if (s->type == SymbolType::String) {
            return fail(pos, "cannot select a subfield of string field " + s->name);
        }
        uint64_t lo = 0;
        uint64_t hi = 0;
        if (!parse_uint(65535, lo, "bit index")) return false;
        hi = lo;
        if (match(Tok::Ellipsis) && !parse_uint(65535, hi, "bit index")) return false;
        if (!force(Tok::RSquare)) return false;
        if (lo > hi || hi >= s->width) {
            return fail(pos, "cannot select bits " + std::to_string(lo) + " to " +
                                 std::to_string(hi) + " of " + std::to_string(s->width) +
                                 "-bit field " + s->name);
        }
        f.bit = static_cast<uint16_t>(lo);
        f.n_bits = static_cast<uint16_t>(hi - lo + 1);
    }
    return check_field(f, pos, width, rw);
}

bool ActionParser::parse_uint(uint64_t max, uint64_t& v, std::string_view what) {
    if (failed()) return false;
    const Token& t = tok();
    if (t.kind != Tok::Integer || (t.format != Format::Decimal && t.format != Format::Hex) ||
        t.value.significant_bits() > 64 || t.value.low64() > max) {
        return syntax(std::string(what) + " (an integer up to " + std::to_string(max) + ")");
    }
    v = t.value.low64();
    next();
    return true;
}

bool ActionParser::parse_constant(Constant& c) {
    if (failed()) return false;
    const Token& t = tok();
    c = Constant{};
    if (t.kind == Tok::String) {
        c.is_string = true;
        c.string = t.text;
    } else if (t.kind == Tok::Integer || t.kind == Tok::Masked) {
        c.value = t.value;
        c.format = t.format;
        c.masked = t.kind == Tok::Masked;
        if (c.masked) c.mask = t.mask;
    } else {
        return syntax("constant");
    }
    next();
    return true;
}

bool ActionParser::parse_constant_set(std::vector<ArgValue>& out) {
    if (failed()) return false;
    auto one = [&]() {
        ArgValue v;
        if (!parse_constant(v.constant)) return false;
        out.push_back(std::move(v));
        return true;
    };
    if (!match(Tok::LCurly)) return one();
    // `{a, b}`: commas optional between members, as in OVN's expr_constant_set_parse.
    if (is(Tok::RCurly)) return syntax("constant");
    while (!match(Tok::RCurly)) {
        if (!one()) return false;
        match(Tok::Comma);
    }
    return true;
}

bool ActionParser::parse_body(Action& a, Scope scope) {
    if (!force(Tok::LCurly)) return false;
    if (depth_ + 1 >= kMaxNesting) return fail_here("maximum depth of nested actions reached");
    Scope saved = scope_;
    ++depth_;
    scope_ = scope;
    bool ok = parse_list(a.body, Tok::RCurly);
    scope_ = saved;
    --depth_;
    a.has_body = true;
    return ok;
}

bool ActionParser::parse_list(ActionList& out, Tok sentinel) {
    // "drop;" by itself is a valid list but cannot be combined with other actions
    // (OVN parse_actions()).
    if (is_id("drop") && ahead().kind == Tok::Semicolon) {
        Action a;
        a.kind = Action::Kind::Drop;
        a.pos = tok().pos;
        next();
        next();
        out.push_back(std::move(a));
        if (match(sentinel)) return true;
        return syntax(std::string(tok_name(sentinel)) + " (drop; cannot be combined with "
                                                          "other actions)");
    }
    while (!match(sentinel)) {
        if (is(Tok::End)) return syntax(tok_name(sentinel));
        if (!parse_action(out)) return false;
    }
    return true;
}

bool ActionParser::parse_next(Action& a) {
    a.kind = Action::Kind::Next;
    if (!match(Tok::LParen)) return true;
    uint64_t table = 0;
    if (is(Tok::Integer)) {
        if (!parse_uint(255, table, "table number")) return false;
        a.next_table = static_cast<uint8_t>(table);
    } else {
        do {
            if (match_id("pipeline")) {
                if (!force(Tok::Equals)) return false;
                if (match_id("ingress")) {
                    a.next_egress = false;
                } else if (match_id("egress")) {
                    a.next_egress = true;
                } else {
                    return syntax("\"ingress\" or \"egress\"");
                }
            } else if (match_id("table")) {
                if (!force(Tok::Equals) || !parse_uint(255, table, "table number")) return false;
                a.next_table = static_cast<uint8_t>(table);
            } else {
                return syntax("\"pipeline\" or \"table\"");
            }
        } while (match(Tok::Comma));
    }
    return force(Tok::RParen);
}

bool ActionParser::parse_push_pop(Action& a, bool push) {
    a.kind = Action::Kind::Call;
    a.name = push ? "push" : "pop";
    if (!force(Tok::LParen)) return false;
    Arg arg;
    ArgValue v;
    v.kind = ArgValue::Kind::Field;
    if (!parse_field(v.field, -1, !push)) return false;
    arg.values.push_back(std::move(v));
    a.args.push_back(std::move(arg));
    return force(Tok::RParen);
}

// `dst = constant`, `dst = src`, `dst <-> src`, `dst = action(...)`.
bool ActionParser::parse_set_action(ActionList& out) {
    Action a;
    a.pos = tok().pos;
    uint32_t dst_pos = tok().pos;
    if (!parse_field(a.dst)) return false;

    if (match(Tok::Exchange) || (is(Tok::Equals) && ahead().kind == Tok::Id &&
                                 ahead(2).kind != Tok::LParen)) {
        bool exchange = toks_[i_ - 1].kind == Tok::Exchange;
        if (!exchange) next();  // '='
        a.kind = exchange ? Action::Kind::Exchange : Action::Kind::Move;
        uint32_t src_pos = tok().pos;
        if (!parse_field(a.src)) return false;
        bool ls = a.dst.sym->type == SymbolType::String;
        bool rs = a.src.sym->type == SymbolType::String;
        if (ls != rs) {
            return fail(src_pos, std::string("cannot ") + (exchange ? "exchange " : "assign ") +
                                     (rs ? "string" : "integer") + " field " + a.src.sym->name +
                                     (exchange ? " with " : " to ") +
                                     (ls ? "string" : "integer") + " field " + a.dst.sym->name);
        }
        if (a.dst.n_bits != a.src.n_bits) {
            return fail(src_pos,
                        exchange ? "cannot exchange " + std::to_string(a.dst.n_bits) +
                                       "-bit field with " + std::to_string(a.src.n_bits) +
                                       "-bit field"
                                 : "cannot assign " + std::to_string(a.src.n_bits) +
                                       "-bit value to " + std::to_string(a.dst.n_bits) +
                                       "-bit destination");
        }
        if (!check_field(a.dst, dst_pos, -1, true) ||
            !check_field(a.src, src_pos, -1, exchange)) {
            return false;
        }
        out.push_back(std::move(a));
        return true;
    }
    if (!is(Tok::Equals)) return syntax("'=' or '<->'");
    next();

    if (is(Tok::Id) && ahead().kind == Tok::LParen) {
        // `dst = name(...)`: an action with a result.
        const CallShape* shape = find_call(tok().text);
        if (!shape) return fail_here("unknown action " + tok().text);
        if (shape->result != CallResult::Required) {
            return fail_here("action " + tok().text + " does not return a value");
        }
        a.kind = Action::Kind::Call;
        a.name = tok().text;
        a.has_result = true;
        next();
        if (!shape->parse(*this, a)) return false;
        out.push_back(std::move(a));
        return true;
    }

    // `dst = constant`
    a.kind = Action::Kind::Load;
    if (!check_field(a.dst, dst_pos, -1, true)) return false;
    uint32_t cpos = tok().pos;
    if (!parse_constant(a.value)) return false;
    bool str_field = a.dst.sym->type == SymbolType::String;
    if (str_field != a.value.is_string) {
        return fail(cpos, str_field ? "string constant expected for string field " +
                                          a.dst.sym->name
                                    : "integer constant expected for field " +
                                          field_text(a.dst));
    }
    if (!str_field) {
        unsigned n = a.dst.n_bits;
        if (a.value.value.significant_bits() > n ||
            (a.value.masked && a.value.mask.significant_bits() > n)) {
            return fail(cpos, std::to_string(std::max(a.value.value.significant_bits(),
                                                      a.value.masked
                                                          ? a.value.mask.significant_bits()
                                                          : 0u)) +
                                  "-bit constant does not fit in " + std::to_string(n) +
                                  "-bit field " + field_text(a.dst));
        }
        if (!a.value.masked) {
            a.value.mask = Value::low_ones(n);
        }
    }
    out.push_back(std::move(a));
    return true;
}

bool ActionParser::parse_action(ActionList& out) {
    if (!is(Tok::Id)) return syntax("action");
    Tok la = ahead().kind;
    if (la == Tok::Equals || la == Tok::Exchange || la == Tok::LSquare) {
        if (!parse_set_action(out)) return false;
        return force(Tok::Semicolon);
    }

    Action a;
    a.pos = tok().pos;
    const std::string name = tok().text;
    if (name == "next") {
        next();
        if (!parse_next(a)) return false;
    } else if (name == "output") {
        next();
        a.kind = Action::Kind::Output;
    } else if (name == "ip.ttl" && la == Tok::Decrement) {
        next();
        next();
        a.kind = Action::Kind::DecTtl;
    } else if (name == "clone") {
        next();
        a.kind = Action::Kind::Clone;
        // clone's body is back in the default scope whatever encloses it (OVN parse_CLONE).
        if (!parse_body(a, Scope::Default)) return false;
    } else if (name == "push" || name == "pop") {
        next();
        if (!parse_push_pop(a, name == "push")) return false;
    } else if (name == "drop") {
        return fail_here("drop; cannot be combined with other actions");
    } else if (const CallShape* shape = find_call(name)) {
        if (shape->result == CallResult::Required) {
            return fail_here("action " + name + " needs a result field: write R = " + name +
                             "(...);");
        }
        next();
        a.kind = Action::Kind::Call;
        a.name = name;
        if (!shape->parse(*this, a)) return false;
    } else if (SymbolTable::ovn().find(name)) {
        next();
        return syntax("'=' or '<->' after field " + name);
    } else {
        return fail_here("unknown action " + name);
    }
    out.push_back(std::move(a));
    return force(Tok::Semicolon);
}

bool ActionParser::parse_all(ActionList& out) {
    return parse_list(out, Tok::End);
}

}  // namespace detail

Result<ActionList> parse_actions(std::string_view text) {
    LexResult lexed = tokenize(text);
    if (lexed.error) return make_error(lexed.error->to_string());
    if (lexed.tokens.empty()) lexed.tokens.push_back(Token{});  // defensive: always an End
    ActionList out;
    // An empty text, or only comments, is an empty list (OVN: drop).
    if (lexed.tokens.size() == 1 && lexed.tokens[0].kind == Tok::End) return out;
    detail::ActionParser p(std::move(lexed.tokens), text);
    if (!p.parse_all(out)) return make_error(p.error()->to_string());
    return out;
}

}  // namespace scs::lflow
