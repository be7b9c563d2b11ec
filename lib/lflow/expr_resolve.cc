// Shared by to_matches() and eval(): symbol-table expansions and name resolution.
#include "lflow/expr_resolve.h"

#include <unordered_map>

#include <fmt/format.h>

namespace scs::lflow::detail {

namespace {

struct Expansions {
    std::unordered_map<const Symbol*, ExprPtr> prereq;
    std::unordered_map<const Symbol*, ExprPtr> predicate;

    Expansions() {
        for (const Symbol& s : SymbolTable::ovn().all()) {
            if (!s.prereqs.empty()) {
                Result<ExprPtr> e = parse_expr(s.prereqs);
                if (e) prereq[&s] = std::move(*e);
            }
            if (s.kind == Symbol::Kind::Predicate) {
                Result<ExprPtr> e = parse_expr(s.expansion);
                if (e) predicate[&s] = std::move(*e);
            }
        }
    }
};

const Expansions& expansions() {
    static const Expansions x;
    return x;
}

}  // namespace

const Expr* prereq_expr(const Symbol& sym) {
    const auto& m = expansions().prereq;
    auto it = m.find(&sym);
    return it == m.end() ? nullptr : it->second.get();
}

const Expr* predicate_expr(const Symbol& sym) {
    const auto& m = expansions().predicate;
    auto it = m.find(&sym);
    return it == m.end() ? nullptr : it->second.get();
}

Result<Operand> operand(const Expr& cmp) {
    const Symbol& s = *cmp.sym;
    if (!s.ref) {
        return make_error(fmt::format("field '{}' is not supported by this dataplane", s.name));
    }
    Operand o;
    o.field = s.ref->field;
    o.bit = static_cast<uint16_t>(s.ref->bit + cmp.bit);
    o.n_bits = cmp.n_bits ? cmp.n_bits : s.ref->n_bits;  // String symbols (inport/outport) have width 0
    return o;
}

Result<Rhs> resolve_rhs(const Expr& cmp, const Resolver& r) {
    Rhs out;
    const Symbol& s = *cmp.sym;
    std::vector<std::string> refs = cmp.rhs_refs;
    if (!cmp.rhs_ref.empty()) refs.push_back(cmp.rhs_ref);
    if (s.type == SymbolType::String) {
        for (const Constant& c : cmp.rhs) out.ports.push_back(r.port_key(c.string));
        for (const std::string& ref : refs) {
            const std::vector<std::string>* g = r.port_group(std::string_view(ref).substr(1));
            if (!g) return make_error(fmt::format("unknown port group '{}'", ref));
            for (const std::string& p : *g) out.ports.push_back(r.port_key(p));
        }
        return out;
    }
    out.ints = cmp.rhs;
    for (const std::string& ref : refs) {
        const std::vector<std::string>* set = r.address_set(std::string_view(ref).substr(1));
        if (!set) return make_error(fmt::format("unknown address set '{}'", ref));
        for (const std::string& m : *set) {
            LexResult lex = tokenize(m);
            if (lex.error || lex.tokens.size() != 2 ||
                (lex.tokens[0].kind != Tok::Integer && lex.tokens[0].kind != Tok::Masked)) {
                return make_error(fmt::format("address set '{}': member '{}' is not an address",
                                              ref, m));
            }
            const Token& t = lex.tokens[0];
            Constant c;
            c.value = t.value;
            c.format = t.format;
            c.masked = t.kind == Tok::Masked;
            Value both = t.value;
            if (c.masked) {
                c.mask = t.mask;
                for (unsigned i = 0; i < 16; ++i) both.be[i] |= t.mask.be[i];
            } else {
                c.mask = Value::low_ones(cmp.n_bits);
            }
            if (both.significant_bits() > cmp.n_bits) {
                return make_error(fmt::format("address set '{}': member '{}' does not fit the "
                                              "{}-bit field '{}'", ref, m, cmp.n_bits, s.name));
            }
            out.ints.push_back(c);
        }
    }
    return out;
}

Value read_bits(const engine::FlowKey& k, engine::Field f, unsigned bit, unsigned n) {
    const engine::FieldInfo& fi = engine::field_info(f);
    const uint8_t* p = engine::key_bytes(k) + fi.offset;
    Value v;
    for (unsigned i = 0; i < n; ++i) {
        const unsigned b = bit + i;
        v.set_bit(i, (p[fi.width - 1 - b / 8] >> (b % 8)) & 1);
    }
    return v;
}

}  // namespace scs::lflow::detail
