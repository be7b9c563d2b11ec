// `scs-dpctl lflow-check SNAPSHOT`: an operator's pre-flight check, offline. Loads a
// Southbound snapshot (lib/ovsdb/snapshot_file.h), compiles it with the daemon's compiler
// (lib/compiler) and says what a node pointed at that Southbound could not do: every logical
// flow the compiler rejects (unsupported, invalid) with where it is and why, and the actions
// it compiles to counted drops (partial flows), by name.
//
// Which datapaths are local decides what is compiled. By default every VIF-type port (type
// "", virtual, external, localport) is bound to a dummy local port of a chassis that is not
// in the Southbound, and every localnet network to a dummy provider port: every datapath
// reachable from a VIF is compiled. Datapaths that only a particular chassis makes local
// (a gateway router whose l3gateway-chassis is elsewhere) are then compiled as each gateway
// chassis the Southbound names, in name order, while datapaths remain uncovered. With
// --chassis NAME only that chassis's view is taken; with --vif only the listed ports are
// bound locally, in one view - what a node with those --port vif= options would compile.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "mgmt_json.h"

namespace scs::dpctl {

struct LflowCheckArgs {
    std::string snapshot;           // file or directory
    std::string chassis;            // "" = a dummy chassis, then every chassis as needed
    std::vector<std::string> vifs;  // empty = every VIF-type port
};

// The report as JSON (rendered by render_lflow_check; "ok" is false when any flow is
// unsupported or invalid). An error only when the snapshot cannot be read or parsed.
Result<mgmt::Json> lflow_check(const LflowCheckArgs& args);

}  // namespace scs::dpctl
