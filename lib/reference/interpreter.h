// The reference execution of logical flows: a deliberately simple interpreter that runs the
// parsed Logical_Flow rows of a Southbound as ovn-sb(5) writes them - every stage, flows in
// priority order, first match - with no compilation, no tables and no caches.
//
// It exists to check the compiler and the engine (tests/reference): the same frame goes
// through both and the outcomes must be identical. It shares with them only what is input
// rather than semantics: the frame parser and flow key extraction (lib/packet,
// engine::extract_key), port placement and name resolution (compiler::ChassisView,
// DatapathResolver, port_security_rules), and the match evaluator lflow::eval(). Everything
// else is written here from the specification, directly on the action AST:
//  - a flow matches when its match and the prerequisites of its actions hold (ovn-sb(5)
//    "Prerequisite:"; OVN's lib/actions.c adds them to the match), fields included;
//  - `next` / `output` that are the last action of their list continue the packet; anywhere
//    else they are subroutines (`next` returns, `output` sends a copy), as OVS resubmit;
//  - `ip.ttl--` on TTL <= 1 ends the packet (ttl-exceeded); check_*_port_sec() is evaluated
//    from the port's port_security rules; everything the engine cannot execute yet (ct_*,
//    arp { }, ...) ends the packet with the `unimplemented` reason and the action's name;
//  - ovn-architecture(7) for the rest: ingress output to a port on another chassis tunnels
//    the packet, output in the egress pipeline delivers it (patch ports: the peer datapath's
//    ingress with all metadata cleared), multicast groups run egress once per local member
//    and tunnel once per remote chassis, Geneve from the underlay enters the egress pipeline.
//
// Packet accounting follows the engine's documented rule, which is a definition, not an
// implementation detail: a packet ends exactly once - sent, tunnelled or dropped with a
// reason; an `output` that is not the packet's last action sends a copy; a packet whose own
// path ends after one of its copies was delivered counts as delivered.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/drop_reason.h"
#include "compiler/chassis_view.h"
#include "ovsdb/sb_types.h"

namespace scs::reference {

struct Outcome {
    enum class Kind : uint8_t { Tx, Tunnel, Drop };
    Kind kind = Kind::Drop;
    uint16_t port = 0;            // Tx: DPDK port
    std::vector<uint8_t> bytes;   // Tx: the frame as sent (VLAN pushed); Tunnel: inner frame
    std::string chassis;          // Tunnel: remote chassis
    uint32_t remote_ip = 0;       // Tunnel: its Geneve IP (host order)
    uint32_t vni = 0, in_key = 0, out_key = 0;  // Tunnel
    DropReason reason = DropReason::None;       // Drop
    std::string action;           // Drop with Unimplemented: the OVN action's name
};

// One-line canonical text of an outcome (tests compare multisets of these).
std::string to_string(const Outcome& o);

struct RunResult {
    std::vector<Outcome> outcomes;
    // Every unimplemented action executed, by OVN name - including inside clone { }, whose
    // end is not a drop of the packet.
    std::vector<std::string> unimplemented;
    std::vector<std::string> path;    // stage by stage, for failure messages
    std::vector<std::string> errors;  // flows the reference could not evaluate (names it
                                      // cannot resolve, fields it cannot rewrite)
    // Two flows of one stage and priority matched with different actions: OVN leaves the
    // choice undefined, so no comparison can be strict for this packet.
    bool ambiguous = false;
};

class Interpreter {
public:
    // `sb` must outlive the interpreter. Flows are parsed once here; nothing else is kept.
    Interpreter(const ovsdb::Snapshot& sb, compiler::LocalConfig cfg);
    ~Interpreter();
    Interpreter(const Interpreter&) = delete;
    Interpreter& operator=(const Interpreter&) = delete;

    // One frame received on DPDK port `rx_port`.
    RunResult run(uint16_t rx_port, std::span<const uint8_t> frame) const;

    const compiler::ChassisView& view() const;
    // Flows of local datapaths that do not parse (they never match, as in the compiler).
    const std::vector<std::string>& load_errors() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace scs::reference
