// Internal to lib/lflow: what to_matches() and eval() share - the parsed prerequisites and
// predicate expansions of the symbol table, and a comparison's right-hand side with every
// Southbound name resolved - so that the two can only differ in how they evaluate.
#pragma once

#include <optional>
#include <vector>

#include "lflow/expr.h"

namespace scs::lflow::detail {

// Parsed `sym.prereqs` (nullptr if none) and, for a predicate, its parsed expansion.
const Expr* prereq_expr(const Symbol& sym);
const Expr* predicate_expr(const Symbol& sym);

// One comparison's operand: the engine field bits it reads.
struct Operand {
    engine::Field field = engine::Field::Count;
    uint16_t bit = 0;     // least significant bit within the engine field
    uint16_t n_bits = 0;
};
Result<Operand> operand(const Expr& cmp);  // fails for fields the engine does not carry

// The constants a comparison tests against, after resolution: integers (value under mask,
// right-aligned to the compared bits) or, for string fields, port keys (nullopt: a name that
// is not in this datapath, equal to no packet's port).
struct Rhs {
    std::vector<Constant> ints;
    std::vector<std::optional<uint32_t>> ports;
};
Result<Rhs> resolve_rhs(const Expr& cmp, const Resolver& r);

// Bits [bit, bit+n) of field `f` of the key, right-aligned.
Value read_bits(const engine::FlowKey& k, engine::Field f, unsigned bit, unsigned n);

}  // namespace scs::lflow::detail
