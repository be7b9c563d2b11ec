// to_matches(): a match expression lowered to engine matches, as ovn-controller's
// expr_normalize() + expr_to_matches() do for OpenFlow.
//
// Negation is pushed into the comparisons (De Morgan; prerequisites stay positive, see
// expr_eval.cc), predicates are expanded, names resolved, and every comparison becomes a
// disjunction of bit patterns over the flow key: `==` one pattern per constant; `!=` on a
// constant one pattern per masked bit that differs; `<`, `<=`, `>`, `>=` one prefix per bit
// of the bound. `&&` is the cross product of its operands' disjunctions, dropping patterns
// that need a bit both 0 and 1 and removing duplicates.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "lflow/conj.h"
#include "lflow/expr_resolve.h"

namespace scs::lflow {

namespace {

using Dnf = std::vector<Conj>;

// out := a && b (out may be a); false, out unchanged, when they contradict.
bool merge(const Conj& a, const Conj& b, Conj& out) {
    if (&out == &a) return merge_into(out, b);
    Conj m = a;
    if (!merge_into(m, b)) return false;
    out = m;
    return true;
}

// The lowered form of the symbol table's own expressions (prerequisites, predicates): they
// name fields only, never ports or sets, so they lower the same for every flow and datapath.
// Per thread, as compilers may run on several.
struct StaticKey {
    const Expr* e;
    bool neg;
    friend bool operator==(const StaticKey&, const StaticKey&) = default;
};
struct StaticKeyHash {
    std::size_t operator()(const StaticKey& k) const {
        return std::hash<const void*>()(k.e) * 2 + (k.neg ? 1 : 0);
    }
};

class Lowerer {
public:
    Lowerer(const Resolver& r, const MatchLimits& l) : r_(r), limits_(l) {}

    Result<Dnf> lower(const Expr& e, bool neg) {
        switch (e.kind) {
        case Expr::Kind::Bool: return truth(e.value != neg);
        case Expr::Kind::ChassisResident: return truth(r_.chassis_resident(e.port) != neg);
        case Expr::Kind::Not: return lower(*e.sub[0], !neg);
        case Expr::Kind::And:
        case Expr::Kind::Or: {
            const bool is_and = (e.kind == Expr::Kind::And) != neg;
            std::vector<Dnf> parts;
            for (const ExprPtr& s : e.sub) {
                Result<Dnf> d = lower(*s, neg);
                if (!d) return d;
                parts.push_back(std::move(*d));
            }
            return is_and ? conjoin(std::move(parts)) : disjoin(std::move(parts));
        }
        case Expr::Kind::Cmp: return cmp(e, neg);
        }
        return Dnf{};
    }

private:
    static Dnf truth(bool t) { return t ? Dnf{Conj{}} : Dnf{}; }

    // lower() of a symbol table expression, remembered (failures are not: they carry the
    // message and are rare).
    Result<Dnf> lower_static(const Expr& e, bool neg) {
        thread_local std::unordered_map<StaticKey, Dnf, StaticKeyHash> cache;
        auto it = cache.find(StaticKey{&e, neg});
        if (it != cache.end()) return it->second;
        Result<Dnf> d = lower(e, neg);
        if (d) cache.emplace(StaticKey{&e, neg}, *d);
        return d;
    }

    Result<Dnf> check(Dnf d) {
        if (d.size() > limits_.max_conjunctions) {
            return make_error(fmt::format("match expands to more than {} conjunctions",
                                          limits_.max_conjunctions));
        }
        return d;
    }

    static Dnf dedup(Dnf d) {
        if (d.size() <= 1) return d;
        if (d.size() <= 16) {
            std::size_t n = 0;
            for (std::size_t i = 0; i < d.size(); ++i) {
                bool dup = false;
                for (std::size_t j = 0; j < n && !dup; ++j) dup = d[j] == d[i];
                if (!dup) {
                    if (n != i) d[n] = d[i];
                    ++n;
                }
            }
            d.resize(n);
            return d;
        }
        std::unordered_set<Conj, ConjHash> seen;
        Dnf out;
        out.reserve(d.size());
        for (Conj& c : d) {
            if (seen.insert(c).second) out.push_back(std::move(c));
        }
        return out;
    }

    Result<Dnf> disjoin(std::vector<Dnf> parts) {
        Dnf out;
        for (Dnf& p : parts) {
            for (const Conj& c : p) {
                // A disjunct that matches everything absorbs the others.
                if (c.matches_all()) return truth(true);
            }
            for (Conj& c : p) out.push_back(std::move(c));
            if (out.size() > 4 * limits_.max_conjunctions) out = dedup(std::move(out));
            if (out.size() > limits_.max_conjunctions) return check(std::move(out));
        }
        return check(dedup(std::move(out)));
    }

    Result<Dnf> conjoin(std::vector<Dnf> parts) {
        // Smallest first keeps the intermediate products small.
        std::sort(parts.begin(), parts.end(),
                  [](const Dnf& a, const Dnf& b) { return a.size() < b.size(); });
        Dnf acc{Conj{}};
        for (const Dnf& p : parts) {
            if (p.size() == 1) {  // in place: no product to build
                std::size_t n = 0;
                for (std::size_t i = 0; i < acc.size(); ++i)
                    if (merge(acc[i], p[0], acc[n])) ++n;
                acc.resize(n);
                if (n > 1) acc = dedup(std::move(acc));
                if (acc.empty()) return acc;
                continue;
            }
            Dnf next;
            for (const Conj& a : acc) {
                for (const Conj& b : p) {
                    Conj m;
                    if (merge(a, b, m)) next.push_back(m);
                }
                if (next.size() > 4 * limits_.max_conjunctions) next = dedup(std::move(next));
                if (next.size() > limits_.max_conjunctions) return check(std::move(next));
            }
            acc = dedup(std::move(next));
            if (acc.empty()) return acc;
        }
        return check(std::move(acc));
    }

    // field bits == c (under c's mask).
    static Conj eq(const detail::Operand& o, const Constant& c) {
        Conj r;
        require(r, o.field, o.bit, o.n_bits, c.value, c.mask);
        return r;
    }
    // field bits != c: one conjunction per masked bit, that bit differing.
    static Dnf ne(const detail::Operand& o, const Constant& c) {
        Dnf d;
        for (unsigned i = 0; i < o.n_bits; ++i) {
            if (!c.mask.bit(i)) continue;
            Conj r;
            r.set_bit(o.field, o.bit + i, !c.value.bit(i));
            d.push_back(r);
        }
        return d;
    }
    // field < v: for each 1-bit of v, the higher bits equal to v's and that bit 0.
    // field > v: for each 0-bit of v, the higher bits equal to v's and that bit 1.
    static Dnf order(const detail::Operand& o, const Value& v, bool less) {
        Dnf d;
        for (int i = o.n_bits - 1; i >= 0; --i) {
            if (v.bit(static_cast<unsigned>(i)) != less) continue;
            Conj r;
            for (int j = o.n_bits - 1; j > i; --j) {
                r.set_bit(o.field, o.bit + static_cast<unsigned>(j), v.bit(static_cast<unsigned>(j)));
            }
            r.set_bit(o.field, o.bit + static_cast<unsigned>(i), !less);
            d.push_back(r);
        }
        return d;
    }
    // v + 1 within n bits; false if v is all ones (no larger value).
    static bool increment(Value& v, unsigned n) {
        for (unsigned i = 0; i < n; ++i) {
            const bool b = v.bit(i);
            v.set_bit(i, !b);
            if (!b) return true;
        }
        return false;
    }
    // v - 1; false if v is 0.
    static bool decrement(Value& v) {
        if (v == Value{}) return false;
        for (unsigned i = 0; i < 128; ++i) {
            const bool b = v.bit(i);
            v.set_bit(i, !b);
            if (b) return true;
        }
        return true;
    }

    Result<Dnf> cmp(const Expr& e, bool neg) {
        const Symbol& s = *e.sym;
        if (s.kind == Symbol::Kind::Predicate) {
            bool acc[2];
            for (unsigned v = 0; v < 2; ++v) {
                bool any = false;
                for (const Constant& c : e.rhs) any |= !c.mask.bit(0) || c.value.bit(0) == (v == 1);
                acc[v] = (e.op == Relop::Eq ? any : !any) != neg;
            }
            if (acc[0] == acc[1]) return truth(acc[0]);
            return lower_static(*detail::predicate_expr(s), acc[0]);
        }
        Result<detail::Operand> o = detail::operand(e);
        if (!o) return make_error(o.error());
        Result<detail::Rhs> rhs = detail::resolve_rhs(e, r_);
        if (!rhs) return make_error(rhs.error());

        // The comparison's own disjunction.
        std::vector<Dnf> terms;  // OR of these (positive) or AND of them (negative set test)
        Relop op = e.op;
        if (neg) {
            switch (op) {
            case Relop::Eq: op = Relop::Ne; break;
            case Relop::Ne: op = Relop::Eq; break;
            case Relop::Lt: op = Relop::Ge; break;
            case Relop::Le: op = Relop::Gt; break;
            case Relop::Gt: op = Relop::Le; break;
            case Relop::Ge: op = Relop::Lt; break;
            }
        }
        std::vector<Constant> consts = rhs->ints;
        if (s.type == SymbolType::String) {
            for (const auto& p : rhs->ports) {
                Constant c;
                for (unsigned i = 0; i < 4; ++i) c.mask.be[12 + i] = 0xff;
                if (p) {
                    for (unsigned i = 0; i < 4; ++i) c.value.be[12 + i] = static_cast<uint8_t>(*p >> (24 - 8 * i));
                    consts.push_back(c);
                }
                // A port not in this datapath equals no packet's port: == drops it, != of
                // it is always true (nothing to add to the conjunction).
            }
        }
        Result<Dnf> own = Dnf{};
        switch (op) {
        case Relop::Eq: {
            Dnf d;
            for (const Constant& c : consts) d.push_back(eq(*o, c));
            own = check(dedup(std::move(d)));
            break;
        }
        case Relop::Ne: {
            std::vector<Dnf> parts;
            for (const Constant& c : consts) parts.push_back(ne(*o, c));
            own = conjoin(std::move(parts));
            break;
        }
        case Relop::Lt: own = order(*o, consts.at(0).value, true); break;
        case Relop::Gt: own = order(*o, consts.at(0).value, false); break;
        case Relop::Le: {
            // x <= v is x < v + 1, or always true when v is the largest value.
            Value v = consts.at(0).value;
            own = increment(v, o->n_bits) ? order(*o, v, true) : truth(true);
            break;
        }
        case Relop::Ge: {
            Value v = consts.at(0).value;
            own = decrement(v) ? order(*o, v, false) : truth(true);
            break;
        }
        }
        if (!own) return own;
        const Expr* pre = detail::prereq_expr(s);
        if (!pre) return own;
        Result<Dnf> p = lower_static(*pre, false);
        if (!p) return p;
        std::vector<Dnf> both;
        both.push_back(std::move(*own));
        both.push_back(std::move(*p));
        return conjoin(std::move(both));
    }

    const Resolver& r_;
    const MatchLimits& limits_;
};

}  // namespace

Result<std::vector<Conj>> to_conjs(const Expr& e, const Resolver& r, const MatchLimits& limits) {
    return Lowerer(r, limits).lower(e, false);
}

Result<std::vector<engine::Match>> to_matches(const Expr& e, const Resolver& r,
                                              const MatchLimits& limits) {
    Result<Dnf> d = to_conjs(e, r, limits);
    if (!d) return make_error(d.error());
    std::vector<engine::Match> out;
    out.reserve(d->size());
    for (const Conj& c : *d) {
        engine::Match m;
        uint64_t* mv = engine::key_words(m.value);
        uint64_t* mm = engine::key_words(m.mask);
        for (uint32_t bits = c.words; bits; bits &= bits - 1) {
            const int w = std::countr_zero(bits);
            mv[w] = c.value[w];
            mm[w] = c.mask[w];
        }
        out.push_back(m);
    }
    return out;
}

}  // namespace scs::lflow
