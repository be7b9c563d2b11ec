// eval(): the reference semantics of a match, evaluated directly on a flow key.
//
// It follows OVN's meaning of negation: `!` applies to the comparisons it encloses, never to
// their prerequisites (`!(tcp.dst == 80)` is `tcp && tcp.dst != 80`, `!tcp` is
// `ip && ip.proto != 6`), because OVN pushes `!` into the comparisons when it parses and adds
// prerequisites afterwards. Apart from that the tree is evaluated as written: no DNF, no
// expansion of sets or ranges into bits.
#include "lflow/expr_resolve.h"

namespace scs::lflow {

namespace {

using detail::Rhs;

int compare(const Value& a, const Value& b) {
    for (unsigned i = 0; i < 16; ++i) {
        if (a.be[i] != b.be[i]) return a.be[i] < b.be[i] ? -1 : 1;
    }
    return 0;
}

bool eq_masked(const Value& x, const Constant& c) {
    for (unsigned i = 0; i < 16; ++i) {
        if ((x.be[i] & c.mask.be[i]) != (c.value.be[i] & c.mask.be[i])) return false;
    }
    return true;
}

class Evaluator {
public:
    Evaluator(const engine::FlowKey& k, const Resolver& r) : k_(k), r_(r) {}

    Result<bool> eval(const Expr& e, bool neg) {
        switch (e.kind) {
        case Expr::Kind::Bool: return e.value != neg;
        case Expr::Kind::ChassisResident: return r_.chassis_resident(e.port) != neg;
        case Expr::Kind::Not: return eval(*e.sub[0], !neg);
        case Expr::Kind::And:
        case Expr::Kind::Or: {
            // And under negation is an Or of negations, and vice versa.
            const bool is_and = (e.kind == Expr::Kind::And) != neg;
            for (const ExprPtr& s : e.sub) {
                Result<bool> v = eval(*s, neg);
                if (!v) return v;
                if (*v != is_and) return !is_and;
            }
            return is_and;
        }
        case Expr::Kind::Cmp: return cmp(e, neg);
        }
        return false;
    }

private:
    // The values of a predicate (0, 1) that satisfy `pred op rhs`, after `neg`.
    static std::pair<bool, bool> predicate_accepts(const Expr& e, bool neg) {
        bool acc[2];
        for (unsigned v = 0; v < 2; ++v) {
            bool any = false;
            for (const Constant& c : e.rhs) {
                const bool eq = !c.mask.bit(0) || c.value.bit(0) == (v == 1);
                any |= eq;
            }
            acc[v] = (e.op == Relop::Eq ? any : !any) != neg;
        }
        return {acc[0], acc[1]};
    }

    Result<bool> cmp(const Expr& e, bool neg) {
        const Symbol& s = *e.sym;
        if (s.kind == Symbol::Kind::Predicate) {
            const auto [acc0, acc1] = predicate_accepts(e, neg);
            if (acc0 == acc1) return acc0;
            const Expr* x = detail::predicate_expr(s);
            return eval(*x, acc0);
        }
        bool ok = true;
        if (const Expr* pre = detail::prereq_expr(s)) {
            Result<bool> p = eval(*pre, false);
            if (!p) return p;
            ok = *p;
        }
        Result<detail::Operand> o = detail::operand(e);
        if (!o) return make_error(o.error());
        Result<Rhs> rhs = detail::resolve_rhs(e, r_);
        if (!rhs) return make_error(rhs.error());
        if (!ok) return false;
        const Value x = detail::read_bits(k_, o->field, o->bit, o->n_bits);
        bool res = false;
        if (s.type == SymbolType::String) {
            const uint32_t port = static_cast<uint32_t>(x.low64());
            bool any = false;
            for (const auto& p : rhs->ports) any |= p && *p == port;
            res = e.op == Relop::Eq ? any : !any;
        } else if (e.op == Relop::Eq || e.op == Relop::Ne) {
            bool any = false;
            for (const Constant& c : rhs->ints) any |= eq_masked(x, c);
            res = e.op == Relop::Eq ? any : !any;
        } else {
            const int c = compare(x, rhs->ints.at(0).value);
            switch (e.op) {
            case Relop::Lt: res = c < 0; break;
            case Relop::Le: res = c <= 0; break;
            case Relop::Gt: res = c > 0; break;
            case Relop::Ge: res = c >= 0; break;
            default: break;
            }
        }
        return res != neg;
    }

    const engine::FlowKey& k_;
    const Resolver& r_;
};

}  // namespace

Result<bool> eval(const Expr& e, const engine::FlowKey& key, const Resolver& r) {
    return Evaluator(key, r).eval(e, false);
}

}  // namespace scs::lflow
