// Lowering parsed logical-flow actions into the engine's instruction set.
//
// Assignments, moves, exchanges, next/output/drop, ip.ttl--, clone and ct_clear are executed
// by the engine. check_in_port_sec()/check_out_port_sec(), get_arp/get_nd and
// lookup_arp/lookup_nd become calls into stages the compiler adds after OVN's tables
// (aux_stages.h). Every other action -
// conntrack, NAT, load balancing, controller actions - compiles to an Unimplemented
// instruction naming it: the packet is counted under that name and dropped there, and the
// flow's report lists it. The learning actions put_arp/put_nd/put_fdb send OVN a copy of the
// packet while the packet itself goes on; no learning happens here yet, so they compile to
// nothing and the flow's report says so; get_fdb/lookup_fdb answer "not learned".
// R = select(...) picks a member by the packet's hash (engine/select.h), then goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "engine/builder.h"
#include "compiler/aux_stages.h"
#include "compiler/bit_ref.h"
#include "lflow/actions.h"

namespace scs::compiler {


// The aux stage (aux_stages.h) a call needs in this pipeline: records the call's result and
// argument fields, returns the stage's table id.
using AuxFn = std::function<Result<uint8_t>(AuxKind kind, const BitRef* result, std::vector<BitRef> args)>;

struct LowerContext {
    engine::DatapathBuilder& b;
    engine::Pipe pipe;
    uint8_t table;
    const lflow::Resolver& resolver;
    AuxFn aux_stage;
    std::vector<std::string> unimplemented;  // out: names of actions compiled to drops
    std::vector<std::string> not_performed;  // out: learning actions skipped (packet goes on)
};

// Emits the list (nested clone bodies first) and returns the entry offset for flow().
Result<uint32_t> lower_actions(const lflow::ActionList& actions, LowerContext& ctx);

// The (id, weight) members of a parsed `R = select(...)` (lflow/actions.h: {"", [ID, W]} each).
std::vector<std::pair<uint32_t, uint32_t>> select_members(const lflow::Action& a);

}  // namespace scs::compiler
