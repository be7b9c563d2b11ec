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
//
// How each Call stores its arguments (positional args have key ""):
//   ct_dnat/ct_snat/ct_dnat_in_czone/ct_snat_in_czone(IP[, LO[-HI]]): {"", [IP]} then
//       {"", [LO]} or {"", [LO, HI]}
//   ct_lb/ct_lb_mark(backends=B,...[; hash_fields="f,g"][; skip_snat|force_snat]):
//       {"backends", [Backend...]}, {"hash_fields", [string]}, {"", [Name]}
//   R = select(ID[=W], ...): one {"", [ID, W]} per member, W = 100 when not written
//   get_arp/put_arp/get_nd/put_nd/lookup_arp/lookup_nd/lookup_arp_ip/lookup_nd_ip/put_fdb/
//       lookup_fdb/get_fdb/handle_svc_check/push/pop: positional {"", [Field]} each
//   bind_vport("vport", P): {"", [string]}, {"", [Field]}
//   set_queue(N), check_pkt_larger(N), set_meter(RATE[, BURST]): {"", [integer]} each
//   put_dhcp_opts/put_dhcpv6_opts/put_nd_ra_opts(k = v | k = {v, ...}),
//       trigger_event(event = "...", k = "..."), log(name=, verdict=, severity=, meter=),
//       sample(probability=, collector_set=, obs_domain=, obs_point=),
//       commit_ecmp_nh(ipv6 = B, proto = P), fwd_group(liveness=B, childports="p", ...):
//       {key, [values]}; bare words (verdict=allow, proto=tcp, ipv6=true, obs_point=$cookie)
//       are Name values
//   commit_lb_aff(vip = "ip:port", backend = "ip:port"[, proto = P], timeout = N):
//       vip/backend as Backend values (the quoted text parsed)
struct ArgValue {
    enum class Kind : uint8_t { Constant, Field, Backend, Name };
    Kind kind = Kind::Constant;
    Constant constant;             // Constant; Backend: the address; Name: .string
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
    // "drop;" alone is [Drop]; an empty text (or only comments) is an empty list; both
    // drop the packet. push(F)/pop(F) are Calls with one Field argument.
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

// Printed back, normalised spacing; parse_actions(to_string(l)) gives l again. An empty
// list prints as "/* drop */".
std::string to_string(const ActionList& actions);

// The match an action implicitly requires, as OVN adds it to the flow's match (ovn-sb(5)
// "Prerequisite:"; lib/actions.c add_prerequisite()): "ip" for ip.ttl-- and the ct_*
// actions, "ip4" for icmp4 { }, "nd_ns" for nd_na { }, ... Empty when none. Fields named
// by the action carry their own prerequisites in the symbol table.
std::string_view action_prerequisite(const Action& a);

// Every prerequisite OVN adds to a flow's match for its action list (lib/actions.c): each
// top-level action's own and those of every field it reads or writes; nested lists (clone { },
// arp { }) add none (OVN discards them). Distinct match texts, sorted.
std::vector<std::string> action_list_prerequisites(const ActionList& actions);

}  // namespace scs::lflow
