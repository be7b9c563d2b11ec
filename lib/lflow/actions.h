// Actions of logical flows: the parsed list, as ovn-sb(5) defines it.
//
// The parser knows every action of OVN 23.03 and checks each one's shape (its arguments, its
// result field, whether it takes a nested `{ ... }` list), so a typo or an action from a
// newer OVN is a syntax error with a position, never a silently skipped instruction.
// Assignments, moves, exchanges, next/output/drop, dec_ttl and clone have dedicated kinds;
// every other action (ct_*, arp { }, icmp4 { }, put_dhcp_opts, lookup_arp, check_in_port_sec,
// ...) is a Call carrying its name, arguments, optional result destination and optional
// nested list. The compiler decides which of them the engine can execute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "lflow/expr.h"
#include "lflow/symtab.h"

namespace scs::lflow {

// A field or subfield as an action operand: `eth.dst`, `reg0[0..15]`, `outport`.
struct LValue {
    const Symbol* sym = nullptr;
    uint16_t bit = 0;     // within sym
    uint16_t n_bits = 0;  // whole symbol when not subscripted
};

struct Action;
using ActionList = std::vector<Action>;

// One argument of a Call, as written: `key = value` or positional. A value is a list
// because some arguments are sets (`dns_server = {8.8.8.8, 1.1.1.1}`) or lists
// (`backends = 10.0.0.1:80,10.0.0.2:80`).
struct ArgValue {
    enum class Kind : uint8_t { Constant, Field, Backend };
    Kind kind = Kind::Constant;
    Constant constant;             // Constant; Backend: the address
    LValue field;                  // Field
    std::optional<uint16_t> port;  // Backend: `ip:port` / `[ip6]:port`
};
struct Arg {
    std::string key;               // "" when positional
    std::vector<ArgValue> values;
};

struct Action {
    enum class Kind : uint8_t {
        Next,      // next; next(T); next(pipeline=P, table=T);
        Output,    // output;
        Drop,      // drop;
        Load,      // dst = constant;
        Move,      // dst = src;
        Exchange,  // dst <-> src;
        DecTtl,    // ip.ttl--;
        Clone,     // clone { body };
        Call,      // any other action
    };
    Kind kind = Kind::Next;
    uint32_t pos = 0;                      // byte offset in the source text

    std::optional<bool> next_egress;       // Next: pipeline=egress/ingress; nullopt: same
    std::optional<uint8_t> next_table;     // Next: nullopt: the following table

    LValue dst;                            // Load, Move, Exchange; Call with a result
    LValue src;                            // Move, Exchange
    Constant value;                        // Load (a String for inport/outport)

    std::string name;                      // Call: as written, e.g. "ct_lb_mark"
    bool has_result = false;               // Call: `dst = name(...)`
    std::vector<Arg> args;                 // Call
    ActionList body;                       // Clone and nested Calls (arp { ... })
    bool has_body = false;
};

Result<ActionList> parse_actions(std::string_view text);  // error: SyntaxError::to_string()

std::string to_string(const ActionList& actions);  // printed back, normalised spacing

}  // namespace scs::lflow
