// Match expressions of logical flows: the parsed tree, its lowering to engine matches, and
// a direct evaluator.
//
// parse_expr() turns match text into a tree that still names what the Southbound must
// resolve (`$as`, `@pg`, port names, is_chassis_resident()). to_matches() is the compiler's
// half: it resolves names, adds prerequisites, expands predicates, turns < <= > >= != and
// negation into masked equalities, and flattens the result into a disjunction of
// conjunctions (as ovn-controller's expr_normalize()/expr_to_matches() do), one engine::Match
// per conjunction. eval() is the reference half: it evaluates the same tree, as written,
// against a flow key, with no normalisation at all, so the two can check each other.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/key.h"
#include "engine/match.h"
#include "lflow/conj.h"
#include "lflow/lexer.h"
#include "lflow/symtab.h"

namespace scs::lflow {

// A constant as written: an integer or address, optionally masked, or a string.
struct Constant {
    Value value;
    Value mask;            // all ones over the symbol's width unless `masked`
    bool masked = false;
    Format format = Format::Decimal;
    std::string string;    // String constants (port names)
    bool is_string = false;
};

enum class Relop : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
const char* relop_text(Relop r);  // "==", "!=", ...

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind : uint8_t {
        Cmp,              // sym[bit .. bit+n_bits-1] op rhs
        And, Or, Not,     // sub
        Bool,             // literal 1/0, true/false
        ChassisResident,  // is_chassis_resident("port")
    };
    Kind kind = Kind::Bool;
    uint32_t pos = 0;             // byte offset in the source text

    // Cmp. A bare field name in boolean context (`reg0[0]`, `vlan.present`) is parsed as
    // `!= 0`, as OVN does. Predicates are kept by name here and expanded by to_matches().
    const Symbol* sym = nullptr;
    uint16_t bit = 0;             // subfield range within sym (whole symbol by default)
    uint16_t n_bits = 0;
    Relop op = Relop::Eq;
    std::vector<Constant> rhs;    // a set `{...}` has several; OVN: == any, != none
    std::string rhs_ref;          // "$name" / "@name" when rhs comes from the Southbound
    std::vector<std::string> rhs_refs;  // "$name" / "@name" members of a set `{...}`

    std::vector<ExprPtr> sub;     // And, Or, Not (one child)
    bool value = true;            // Bool
    std::string port;             // ChassisResident
};

Result<ExprPtr> parse_expr(std::string_view text);  // error text: SyntaxError::to_string()

// What the Southbound tells the compiler about one datapath's names.
class Resolver {
public:
    virtual ~Resolver() = default;
    // Logical port or multicast group of this datapath -> its tunnel key. nullopt: not in
    // this datapath; OVN then treats the comparison as never true (not an error).
    virtual std::optional<uint32_t> port_key(std::string_view name) const = 0;
    // $name: the members, as text constants ("10.0.0.1", "10.0.0.0/24", MACs), or nullptr if
    // no such set. Includes ovn-controller's built-in macros ($svc_monitor_mac, ...).
    virtual const std::vector<std::string>* address_set(std::string_view name) const = 0;
    // @name: member port names, or nullptr if no such group.
    virtual const std::vector<std::string>* port_group(std::string_view name) const = 0;
    virtual bool chassis_resident(std::string_view port) const = 0;
};

struct MatchLimits {
    std::size_t max_conjunctions = 16384;  // beyond this a flow is reported, not compiled
};

// The flow's condition as engine matches: any one matching means the flow matches. An
// empty vector means the flow can never match (e.g. `inport == "port-of-other-dp"`).
// Fails, naming the symbol or reference, on unknown $sets/@groups, fields the engine does
// not carry, and expansions above the limit.
Result<std::vector<engine::Match>> to_matches(const Expr& e, const Resolver& r,
                                              const MatchLimits& limits = {});
// The same disjunction as conjunctions that know the key words they constrain (conj.h).
Result<std::vector<Conj>> to_conjs(const Expr& e, const Resolver& r, const MatchLimits& limits = {});

// Reference semantics: evaluates the tree as written (prerequisites included) on a key.
// Fails only where to_matches() fails (unknown reference, field not carried).
Result<bool> eval(const Expr& e, const engine::FlowKey& key, const Resolver& r);

// The tree printed back as match text, normalised spacing (for dump-lflows and messages).
std::string to_string(const Expr& e);

}  // namespace scs::lflow
