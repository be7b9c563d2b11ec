// Lowering parsed logical-flow actions into the engine's instruction set.
//
// Assignments, moves, exchanges, next/output/drop, ip.ttl--, clone and ct_clear are executed
// by the engine. check_in_port_sec()/check_out_port_sec() become a call into a port-security
// stage the compiler adds after OVN's tables (port_security.h). Every other action -
// conntrack, NAT, load balancing, controller actions - compiles to an Unimplemented
// instruction naming it: the packet is counted under that name and dropped there, and the
// flow's report lists it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/builder.h"
#include "lflow/actions.h"

namespace scs::compiler {

// A bit range of an engine field, resolved from a symbol and an optional subscript.
struct BitRef {
    engine::Field field = engine::Field::Count;
    unsigned bit = 0;
    unsigned n_bits = 0;
};
Result<BitRef> resolve(const lflow::LValue& lv);

// Where a check_*_port_sec() call jumps: the added stage of that pipeline and result bit.
struct PortSecCall {
    engine::Pipe pipe;
    BitRef result;
    uint8_t table;  // stage id of the added port-security stage
};

struct LowerContext {
    engine::DatapathBuilder& b;
    engine::Pipe pipe;
    uint8_t table;
    const lflow::Resolver& resolver;
    // Asked for the port-security stage of (pipe, result); returns its table id.
    std::function<Result<uint8_t>(engine::Pipe pipe, bool ingress_check, const BitRef& result)> port_sec_stage;
    std::vector<std::string> unimplemented;  // out: names of actions compiled to drops
};

// Emits the list (nested clone bodies first) and returns the entry offset for flow().
Result<uint32_t> lower_actions(const lflow::ActionList& actions, LowerContext& ctx);

}  // namespace scs::compiler
