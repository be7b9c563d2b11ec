// parse_expr(): match text to an Expr tree, with OVN's grammar and checks (ovn-sb(5)
// "Logical_Flow TABLE"): `!` binds tightest and needs parentheses around a comparison;
// `&&` and `||` may not be mixed without parentheses; a one-bit field or predicate alone
// means `== 1`; comparisons may name the constant first, and `c1 < field < c2` is a range.
#include <fmt/format.h>

#include "lflow/expr.h"

namespace scs::lflow {

namespace {

bool is_relop(Tok t) {
    return t == Tok::Eq || t == Tok::Ne || t == Tok::Lt || t == Tok::Le || t == Tok::Gt ||
           t == Tok::Ge;
}

Relop to_relop(Tok t) {
    switch (t) {
    case Tok::Ne: return Relop::Ne;
    case Tok::Lt: return Relop::Lt;
    case Tok::Le: return Relop::Le;
    case Tok::Gt: return Relop::Gt;
    case Tok::Ge: return Relop::Ge;
    default: return Relop::Eq;
    }
}

// `c op f` is `f flip(op) c`.
Relop flip(Relop r) {
    switch (r) {
    case Relop::Lt: return Relop::Gt;
    case Relop::Le: return Relop::Ge;
    case Relop::Gt: return Relop::Lt;
    case Relop::Ge: return Relop::Le;
    default: return r;
    }
}

// A field reference as written: symbol and bit range.
struct FieldUse {
    const Symbol* sym = nullptr;
    uint16_t bit = 0;
    uint16_t n_bits = 0;
    bool subscripted = false;
    uint32_t pos = 0;
};

// The right-hand side as written.
struct ConstSet {
    std::vector<Constant> values;
    std::string ref;                // a lone $name / @name
    std::vector<std::string> refs;  // $name / @name inside { }
    bool braces = false;
    uint32_t pos = 0;
};

class Parser {
public:
    explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

    Result<ExprPtr> run() {
        ExprPtr e = parse_and_or();
        if (e && cur().kind != Tok::End) {
            error(cur().pos, fmt::format("expecting end of input, found {}",
                                         describe(cur())));
        }
        if (err_) return make_error(err_->to_string());
        return e;
    }

private:
    const Token& cur() const { return t_[i_]; }
    const Token& peek(size_t n = 1) const { return t_[std::min(i_ + n, t_.size() - 1)]; }
    void advance() {
        if (i_ + 1 < t_.size()) ++i_;
    }
    bool match(Tok k) {
        if (cur().kind != k) return false;
        advance();
        return true;
    }

    static std::string describe(const Token& t) {
        switch (t.kind) {
        case Tok::Id: return fmt::format("'{}'", t.text);
        case Tok::MacroRef: return fmt::format("'${}'", t.text);
        case Tok::PortGroup: return fmt::format("'@{}'", t.text);
        case Tok::String: return fmt::format("\"{}\"", t.text);
        default: return std::string(tok_name(t.kind));
        }
    }

    std::nullptr_t error(uint32_t pos, std::string msg) {
        if (!err_) err_ = SyntaxError{pos, std::move(msg)};
        return nullptr;
    }

    bool expect(Tok k) {
        if (match(k)) return true;
        error(cur().pos, fmt::format("expecting {}, found {}", tok_name(k),
                                     describe(cur())));
        return false;
    }

    static ExprPtr make(Expr::Kind k, uint32_t pos) {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->pos = pos;
        return e;
    }

    ExprPtr parse_and_or() {
        if (++depth_ > 200) return error(cur().pos, "expression nested too deeply");
        bool atomic = false;
        const uint32_t pos = cur().pos;
        ExprPtr first = parse_not(atomic);
        if (!first) return nullptr;
        const Tok op = cur().kind;
        if (op != Tok::LogAnd && op != Tok::LogOr) {
            --depth_;
            return first;
        }
        ExprPtr list = make(op == Tok::LogAnd ? Expr::Kind::And : Expr::Kind::Or, pos);
        list->sub.push_back(std::move(first));
        while (match(op)) {
            ExprPtr next = parse_not(atomic);
            if (!next) return nullptr;
            list->sub.push_back(std::move(next));
        }
        const Tok other = op == Tok::LogAnd ? Tok::LogOr : Tok::LogAnd;
        if (cur().kind == other) {
            return error(cur().pos, "'&&' and '||' must be parenthesized when used together");
        }
        --depth_;
        return list;
    }

    ExprPtr parse_not(bool& atomic) {
        if (cur().kind != Tok::Not) return parse_primary(atomic);
        const uint32_t pos = cur().pos;
        advance();
        if (++depth_ > 200) return error(cur().pos, "expression nested too deeply");
        negated_ = !negated_;
        const uint32_t sub_pos = cur().pos;
        bool sub_atomic = false;
        ExprPtr sub = parse_not(sub_atomic);
        negated_ = !negated_;
        --depth_;
        if (!sub) return nullptr;
        if (!sub_atomic) return error(sub_pos, "missing parentheses around operand of '!'");
        ExprPtr e = make(Expr::Kind::Not, pos);
        e->sub.push_back(std::move(sub));
        atomic = true;
        return e;
    }

    ExprPtr parse_primary(bool& atomic) {
        const Token& t = cur();
        const uint32_t pos = t.pos;
        atomic = true;
        if (match(Tok::LParen)) {
            ExprPtr e = parse_and_or();
            if (!e || !expect(Tok::RParen)) return nullptr;
            return e;
        }
        if (t.kind == Tok::Id) {
            if (t.text == "is_chassis_resident" && peek().kind == Tok::LParen) {
                advance();
                advance();
                if (cur().kind != Tok::String) {
                    return error(cur().pos, fmt::format("is_chassis_resident() expects a "
                                                        "quoted port name, found {}",
                                                        describe(cur())));
                }
                ExprPtr e = make(Expr::Kind::ChassisResident, pos);
                e->port = cur().text;
                advance();
                if (!expect(Tok::RParen)) return nullptr;
                return e;
            }
            const Symbol* sym = SymbolTable::ovn().find(t.text);
            if (!sym && (t.text == "true" || t.text == "false")) {
                ExprPtr e = make(Expr::Kind::Bool, pos);
                e->value = t.text == "true";
                advance();
                return e;
            }
            FieldUse f;
            if (!parse_field(f)) return nullptr;
            if (is_relop(cur().kind)) {
                atomic = false;
                const Relop r = to_relop(cur().kind);
                advance();
                ConstSet c;
                if (!parse_const_set(c)) return nullptr;
                return make_cmp(f, r, std::move(c));
            }
            // A one-bit field or a predicate alone: `== 1`.
            if (f.sym->type == SymbolType::String) {
                return error(f.pos, fmt::format("string field '{}' must be compared with "
                                                "'==' or '!='", f.sym->name));
            }
            if (f.n_bits != 1) {
                return error(f.pos, fmt::format("explicit '!= 0' is required for inequality "
                                                "test of multibit field '{}' against 0",
                                                f.sym->name));
            }
            ConstSet c;
            Constant zero;
            c.values.push_back(zero);
            c.pos = f.pos;
            return make_cmp(f, Relop::Ne, std::move(c));
        }
        if (t.kind == Tok::Integer || t.kind == Tok::Masked || t.kind == Tok::LCurly ||
            t.kind == Tok::MacroRef || t.kind == Tok::PortGroup || t.kind == Tok::String) {
            ConstSet c;
            if (!parse_const_set(c)) return nullptr;
            if (!is_relop(cur().kind)) {
                if (c.values.size() == 1 && c.ref.empty() && !c.braces && !c.values[0].masked &&
                    !c.values[0].is_string && c.values[0].value.significant_bits() <= 1) {
                    ExprPtr e = make(Expr::Kind::Bool, pos);
                    e->value = c.values[0].value.bit(0);
                    return e;
                }
                return error(cur().pos, fmt::format("expecting relational "
                                                    "operator, found {}", describe(cur())));
            }
            atomic = false;
            const Relop r1 = to_relop(cur().kind);
            advance();
            FieldUse f;
            if (!parse_field(f)) return nullptr;
            if (!is_relop(cur().kind)) return make_cmp(f, flip(r1), std::move(c));
            // c1 r1 field r2 c2: a range.
            const uint32_t r2_pos = cur().pos;
            const Relop r2 = to_relop(cur().kind);
            advance();
            const bool lower1 = r1 == Relop::Lt || r1 == Relop::Le;
            const bool lower2 = r2 == Relop::Lt || r2 == Relop::Le;
            const bool upper1 = r1 == Relop::Gt || r1 == Relop::Ge;
            const bool upper2 = r2 == Relop::Gt || r2 == Relop::Ge;
            if (!((lower1 && lower2) || (upper1 && upper2))) {
                return error(r2_pos, "range expressions must have the form "
                                     "'c1 < field < c2' or 'c1 > field > c2'");
            }
            ConstSet c2;
            if (!parse_const_set(c2)) return nullptr;
            ExprPtr a = make_cmp(f, flip(r1), std::move(c));
            if (!a) return nullptr;
            ExprPtr b = make_cmp(f, r2, std::move(c2));
            if (!b) return nullptr;
            ExprPtr e = make(Expr::Kind::And, pos);
            e->sub.push_back(std::move(a));
            e->sub.push_back(std::move(b));
            return e;
        }
        return error(t.pos, fmt::format("expecting field name, constant or '(', "
                                        "found {}", describe(t)));
    }

    bool parse_field(FieldUse& f) {
        const Token& t = cur();
        f.pos = t.pos;
        if (t.kind != Tok::Id) {
            error(t.pos, fmt::format("expecting field name, found {}",
                                     describe(t)));
            return false;
        }
        f.sym = SymbolTable::ovn().find(t.text);
        if (!f.sym) {
            error(t.pos, fmt::format("unknown field '{}'", t.text));
            return false;
        }
        advance();
        // Predicates are one-bit; string fields hold a 32-bit port key.
        const uint16_t width = f.sym->kind == Symbol::Kind::Predicate ? 1
                               : f.sym->type == SymbolType::String  ? 32
                                                                      : f.sym->width;
        f.bit = 0;
        f.n_bits = width;
        if (cur().kind != Tok::LSquare) return true;
        const uint32_t lpos = cur().pos;
        if (f.sym->type == SymbolType::String || f.sym->kind == Symbol::Kind::Predicate ||
            f.sym->nominal) {
            error(lpos, fmt::format("cannot select bits of {} '{}'",
                                    f.sym->type == SymbolType::String ? "string field"
                                    : f.sym->kind == Symbol::Kind::Predicate ? "predicate"
                                                                              : "nominal field",
                                    f.sym->name));
            return false;
        }
        advance();
        uint64_t lo = 0, hi = 0;
        if (!small_int(lo)) return false;
        hi = lo;
        if (match(Tok::Ellipsis)) {
            if (!small_int(hi)) return false;
        }
        if (!expect(Tok::RSquare)) return false;
        if (hi < lo) {
            error(lpos, fmt::format("invalid bit range {}..{} of '{}'", lo, hi, f.sym->name));
            return false;
        }
        if (hi >= width) {
            error(lpos, fmt::format("cannot select bits {}..{} of {}-bit field '{}'", lo, hi,
                                    width, f.sym->name));
            return false;
        }
        f.bit = static_cast<uint16_t>(lo);
        f.n_bits = static_cast<uint16_t>(hi - lo + 1);
        f.subscripted = true;
        return true;
    }

    bool small_int(uint64_t& v) {
        const Token& t = cur();
        if (t.kind != Tok::Integer || t.format != Format::Decimal ||
            t.value.significant_bits() > 16) {
            error(t.pos, fmt::format("expecting small integer, found {}",
                                     describe(t)));
            return false;
        }
        v = t.value.low64();
        advance();
        return true;
    }

    bool parse_constant(ConstSet& c) {
        const Token& t = cur();
        switch (t.kind) {
        case Tok::Integer:
        case Tok::Masked: {
            Constant k;
            k.value = t.value;
            k.masked = t.kind == Tok::Masked;
            k.mask = t.mask;
            k.format = t.format;
            c.values.push_back(k);
            advance();
            return true;
        }
        case Tok::String: {
            Constant k;
            k.is_string = true;
            k.string = t.text;
            c.values.push_back(k);
            advance();
            return true;
        }
        case Tok::MacroRef:
        case Tok::PortGroup: {
            std::string ref = (t.kind == Tok::MacroRef ? "$" : "@") + t.text;
            if (c.braces) {
                c.refs.push_back(std::move(ref));
            } else {
                c.ref = std::move(ref);
            }
            advance();
            return true;
        }
        default:
            error(t.pos, fmt::format("expecting constant, found {}", describe(t)));
            return false;
        }
    }

    bool parse_const_set(ConstSet& c) {
        c.pos = cur().pos;
        if (!match(Tok::LCurly)) return parse_constant(c);
        c.braces = true;
        while (!match(Tok::RCurly)) {
            if (!parse_constant(c)) return false;
            match(Tok::Comma);
        }
        return true;
    }

    ExprPtr make_cmp(const FieldUse& f, Relop r, ConstSet c) {
        const Symbol& s = *f.sym;
        const bool is_string = s.type == SymbolType::String;
        const bool single = !c.braces && c.ref.empty() && c.values.size() == 1;
        if (r != Relop::Eq && r != Relop::Ne) {
            if (!single) {
                return error(c.pos, fmt::format("only '==' and '!=' may be used with a set "
                                                "or reference, not '{}'", relop_text(r)));
            }
            if (is_string || s.nominal || s.kind == Symbol::Kind::Predicate) {
                return error(f.pos, fmt::format("only '==' and '!=' may be used with "
                                                "nominal field '{}'", s.name));
            }
            if (c.values[0].masked) {
                return error(c.pos, fmt::format("only '==' and '!=' may be used with a "
                                                "masked constant, not '{}'", relop_text(r)));
            }
        }
        if (is_string) {
            // Only a positive test, counting enclosing `!`s: port names become keys.
            if ((r == Relop::Eq) == negated_) {
                return error(f.pos, fmt::format("nominal field '{}' may only be tested for "
                                                "equality (taking enclosing '!' operators "
                                                "into account)", s.name));
            }
        }
        for (Constant& k : c.values) {
            if (is_string != k.is_string) {
                return error(c.pos, is_string
                                        ? fmt::format("string field '{}' is not compatible "
                                                      "with an integer constant", s.name)
                                        : fmt::format("integer field '{}' is not compatible "
                                                      "with a string constant", s.name));
            }
            if (is_string) continue;
            Value both = k.value;
            if (k.masked) {
                for (unsigned i = 0; i < 16; ++i) both.be[i] |= k.mask.be[i];
            }
            if (both.significant_bits() > f.n_bits) {
                return error(c.pos, fmt::format("{}-bit constant is not compatible with {}-bit "
                                                "field '{}'", both.significant_bits(),
                                                f.n_bits, s.name));
            }
            if (!k.masked) {
                k.mask = Value::low_ones(f.n_bits);
            }
        }
        std::vector<std::string> all_refs = c.refs;
        if (!c.ref.empty()) all_refs.push_back(c.ref);
        for (const std::string& ref : all_refs) {
            if (is_string && ref[0] != '@') {
                return error(c.pos, fmt::format("string field '{}' is not compatible with "
                                                "address set '{}'", s.name, ref));
            }
            if (!is_string && ref[0] != '$') {
                return error(c.pos, fmt::format("integer field '{}' is not compatible with "
                                                "port group '{}'", s.name, ref));
            }
        }
        ExprPtr e = make(Expr::Kind::Cmp, f.pos);
        e->sym = f.sym;
        e->bit = f.bit;
        e->n_bits = f.n_bits;
        e->op = r;
        e->rhs = std::move(c.values);
        e->rhs_ref = std::move(c.ref);
        e->rhs_refs = std::move(c.refs);
        return e;
    }

    std::vector<Token> t_;
    size_t i_ = 0;
    bool negated_ = false;
    int depth_ = 0;
    std::optional<SyntaxError> err_;
};

}  // namespace

Result<ExprPtr> parse_expr(std::string_view text) {
    LexResult lex = tokenize(text);
    if (lex.error) return make_error(lex.error->to_string());
    return Parser(std::move(lex.tokens)).run();
}

}  // namespace scs::lflow
