// Stages the compiler appends after OVN's tables of each pipeline, for actions whose answer
// comes from Southbound tables rather than from the packet - what ovn-controller installs
// as extra OpenFlow tables:
//   check_in_port_sec() / check_out_port_sec()   Port_Binding.port_security (port_security.h)
//   get_arp / get_nd                            MAC_Binding + Static_MAC_Binding: eth.dst
//   lookup_arp[_ip] / lookup_nd[_ip]            the same bindings: is this neighbour known?
//   get_fdb(mac) / lookup_fdb(port, mac)        FDB (MACs learned on ports): its port / is
//                                               it learned on that port?
// A call site sets the default answer (port security: fail; get_arp/get_nd: eth.dst = 0;
// get_fdb, lookup_*: 0), then calls the stage as a subroutine (`next` to it); the stage's rules overwrite the
// answer for what the Southbound knows and return. Rules are emitted after all flows are
// lowered, never while a flow's action list is open.
#pragma once

#include <array>
#include <map>
#include <set>
#include <optional>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "compiler/bit_ref.h"
#include "compiler/name_index.h"
#include "engine/builder.h"
#include "lflow/expr.h"
#include "ovsdb/sb_types.h"

namespace scs::compiler {

class ChassisView;
class DepCheck;
struct MatchCache;

enum class AuxKind : uint8_t {
    PortSecIn, PortSecOut, GetArp, GetNd, LookupArp, LookupArpIp, LookupNd, LookupNdIp, GetFdb, LookupFdb, Count
};
inline constexpr unsigned kAuxCount = static_cast<unsigned>(AuxKind::Count);
const char* aux_stage_name(AuxKind k);
// The aux stage an action of that name calls (check_in_port_sec, get_arp, ...), if any.
std::optional<AuxKind> aux_call_kind(std::string_view action);

// One aux stage: a kind of call with its result and argument fields (call sites with other
// fields - lookup_nd(inport, nd.target, nd.tll) and lookup_nd(inport, ip6.src, nd.sll) -
// get stages of their own).
struct AuxUse {
    AuxKind kind = AuxKind::Count;
    BitRef result;              // port security, lookup_*: the result bit
    std::vector<BitRef> args;   // get_* and lookup_*: the argument fields, in order
    uint8_t table = 0;
};

inline constexpr unsigned kAuxSlots = 12;  // aux stages per pipeline

// One pipeline's aux stages: table ids first_table .. first_table + kAuxSlots - 1.
struct AuxStages {
    uint8_t first_table = 0;
    std::vector<AuxUse> use;

    // The stage for a call site (a new one for a new kind/field combination).
    Result<uint8_t> note(AuxKind k, const BitRef* result, std::vector<BitRef> args);
};

// One port's rules in a port-security aux stage as built: the version of its cached rules
// (MatchCache::PortSecEntry::version), its own two action lists and how many rules it gave -
// what amending the stage when the port changes or goes needs.
struct PortSecRules {
    uint64_t version = 0;
    uint32_t actions[2] = {engine::kNoAction, engine::kNoAction};  // [deny, allow]
    uint32_t n_specs = 0;
};
using PortSecLog = std::unordered_map<std::string, PortSecRules, NameHash, std::equal_to<>>;

// Emits the rules of one used aux stage into `b` (its name, aux_stage_title(), is the
// caller's to set). Port-security rules are taken from `cache` (when given) for ports whose
// column and names did not change; `log` (port security only) gets each port's rules.
Result<void> emit_aux_stage(engine::DatapathBuilder& b, engine::Pipe pipe, const AuxUse& use,
                            const ovsdb::DatapathBinding& dp, const ovsdb::Snapshot& sb, const ChassisView& view,
                            const DepCheck& names, MatchCache* cache, std::vector<std::string>& errors,
                            PortSecLog* log = nullptr);
bool is_port_sec(AuxKind k);
// Port security: the cached rules of every port of `dp` made current (an entry built again
// gets a new version).
void refresh_port_sec(AuxKind k, const ovsdb::DatapathBinding& dp, const ChassisView& view, const DepCheck& names,
                      MatchCache& cache);
// Port security, for amending its stage right after refresh_port_sec(): the rules of the
// ports named in `only` (each logged), not the stage's catch-all; `errors` gets every port's
// problems, emitted or not.
Result<void> emit_port_sec_of(engine::DatapathBuilder& b, engine::Pipe pipe, const AuxUse& use,
                              const ovsdb::DatapathBinding& dp, const ChassisView& view, const DepCheck& names,
                              MatchCache& cache, const std::set<std::string_view>& only, PortSecLog& log,
                              std::vector<std::string>& errors);
std::string aux_stage_title(const AuxUse& use);
// What distinguishes one aux stage's use (kind, table, result and argument fields).
uint64_t aux_use_digest(const AuxUse& use);

}  // namespace scs::compiler
