// One logical datapath's flows, ports and multicast groups compiled into an engine Datapath,
// with a report line for every logical flow: how it was lowered, or why it was not.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "compiler/aux_stages.h"
#include "compiler/bit_ref.h"
#include "compiler/chassis_view.h"
#include "compiler/flow_table.h"
#include "compiler/packed_matches.h"
#include "compiler/port_security.h"
#include "compiler/resolver.h"
#include "compiler/resolver_deps.h"
#include "engine/builder.h"
#include "engine/datapath.h"
#include "lflow/actions.h"
#include "lflow/expr.h"

namespace scs::compiler {

enum class FlowStatus : uint8_t {
    Compiled,      // installed; every action executes
    Partial,       // installed; some action compiled to a counted Unimplemented drop
    NeverMatches,  // its match is false here (e.g. names a port of another datapath)
    Unsupported,   // not installed: a field or construct the engine cannot represent
    Invalid,       // not installed: the match or actions do not parse
};
std::string_view flow_status_name(FlowStatus s);

struct FlowReport {
    ovsdb::Uuid uuid;
    engine::Pipe pipe = engine::Pipe::Ingress;
    uint8_t table = 0;
    uint16_t priority = 0;
    FlowStatus status = FlowStatus::Compiled;
    // Why (Unsupported/Invalid), or the unimplemented actions. Shared: a stage adopted by the
    // next build copies its flows' reports, thousands per router.
    std::shared_ptr<const std::string> detail_text;
    uint32_t n_matches = 0;       // engine rules it became
    uint32_t action = engine::kNoAction;  // its action list in the datapath's program
    FlowRef flow;                 // the flow itself, as written in the Southbound

    std::string_view detail() const { return detail_text ? std::string_view(*detail_text) : std::string_view(); }
    void set_detail(std::string d) { detail_text = std::make_shared<const std::string>(std::move(d)); }
    std::string_view stage() const { return flow ? std::string_view(flow->stage) : std::string_view(); }
    std::string_view match() const { return flow ? std::string_view(flow->match_text) : std::string_view(); }
    std::string_view actions() const { return flow ? std::string_view(flow->actions_text) : std::string_view(); }
};

// One stage (pipeline, table) of a datapath as compiled last time: reused - its block adopted
// by the next build - while its flows are the same (fp), their lowered matches still hold,
// what lowering the actions resolved still resolves the same way (deps), and the aux stages
// its actions call get the same tables again (aux, replayed in order). An aux stage is reused
// while its use and everything of the datapath but its flows are the same (fp).
struct StageUnit {
    uint64_t fp = 0;  // the stage's flows (content hashes), order-independent
    uint64_t checked = 0;  // MatchCache::epoch its deps were recorded or last held in
    engine::StageBlockPtr block;  // where it is in the last build; null: not reusable
    ResolverDeps deps;
    struct AuxCall {
        AuxKind kind = AuxKind::Count;
        std::optional<BitRef> result;
        std::vector<BitRef> args;
        uint8_t table = 0;
    };
    std::vector<AuxCall> aux;
    std::vector<FlowReport> reports;  // action offsets relative to the block's code
    std::vector<std::string> errors;  // an aux stage's (e.g. port-security entries skipped)
    PortSecLog port_rules;            // a port-security aux stage's, per port (relative offsets)
    bool replay(AuxStages& stages) const;
};

// Fingerprints of what a datapath's name resolver answers from; 0: not known.
struct NamesEnv {
    uint64_t all = 0;       // its port and group keys, address sets, port groups, residency
    uint64_t but_keys = 0;  // the same without its port and group keys
};

// One datapath's lowered flow matches and port-security rules, kept across generations. An
// entry is reused while its input is the same (the parse, the port_security column) and
// every name its lowering resolved still resolves the same way (resolver_deps.h): a change
// to one flow or one port of a large datapath then costs that flow or port, not all of them.
struct MatchCache {
    struct Entry {
        std::shared_ptr<const lflow::Expr> expr, prereqs;  // what it was lowered from
        ResolverDeps deps;
        uint64_t checked = 0;  // the epoch its deps were recorded or last held in
        Result<PackedMatches> matches = PackedMatches{};
    };
    struct PortSecEntry {
        bool built = false;
        uint64_t version = 0;  // moves on (process-wide unique) whenever it is built again
        std::vector<std::string> port_security;  // what it was built from
        ResolverDeps deps;
        uint64_t checked = 0;  // the epoch its deps were recorded or last held in
        Result<std::vector<PortSecFlow>> flows = std::vector<PortSecFlow>{};
        std::vector<std::string> errors;
    };
    std::unordered_map<ovsdb::Uuid, Entry, ovsdb::UuidHash> by_flow;
    std::unordered_map<std::string, PortSecEntry, NameHash, std::equal_to<>> port_sec[2];  // [ingress?0:1] by port
    std::map<std::pair<int, int>, StageUnit> stages;  // by (pipeline, table)
    // Compiles of the datapath with this cache, counting from 1 (DepCheck's epochs), and
    // what the resolver answered from in the last one: its `names_env` and every port and
    // group key by name. The next compile's NameDelta is taken against these.
    uint64_t epoch = 0;
    NamesEnv names_env;
    std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> keys;
    // Where each pipeline's aux stages began when `stages` were built (one past the last OVN
    // table the datapath's flows use). The stages' code calls the aux stages by table id: when
    // the pipeline grows (more flows arrive as conditional monitoring widens) none of them
    // can be reused.
    uint8_t first_aux[2] = {0, 0};
};

struct CompiledDatapath {
    engine::DatapathPtr dp;
    const ovsdb::DatapathBinding* binding = nullptr;
    std::vector<FlowReport> flows;  // in the order the flows were given
    std::size_t by_status[5] = {};  // flows per FlowStatus
    std::size_t rules = 0;          // engine rules the flows became
    std::size_t amended = 0;        // stages amended from the last build (not built whole)
    std::vector<std::string> errors;  // port-security entries etc. that were skipped
};

// `env`: a fingerprint of everything the datapath's compile reads but its flows (ports and
// their placement, port security, MAC bindings, groups, names, residency, tunnels); 0 if not
// known. With `matches`, aux stages are reused while it and their use are unchanged.
// `names_env`: what the name resolver answers from. While it is what it was, the cached
// lowerings' name dependencies are not asked again; when only port and group keys changed,
// only the deps on the names whose keys changed are (NameDelta).
Result<CompiledDatapath> compile_datapath(const ovsdb::DatapathBinding& dp, const std::vector<FlowRef>& flows,
                                          const ovsdb::Snapshot& sb, const ChassisView& view,
                                          const NameTables& names, MatchCache* matches = nullptr, uint64_t env = 0,
                                          NamesEnv names_env = {});

}  // namespace scs::compiler
