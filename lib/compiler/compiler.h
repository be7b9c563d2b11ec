// The Southbound compiler: a snapshot of OVN's Southbound plus this chassis's configuration
// in, one engine Generation out - only the local datapaths, each compiled from its logical
// flows, ports and multicast groups.
//
// Incremental by construction: every datapath's inputs (its flows, the placement of its
// ports, its groups, and the global names its flows use) are fingerprinted, and a datapath
// whose fingerprint did not change is shared with the previous generation instead of being
// rebuilt; parsed flows are cached by UUID across generations. A change to one port or one
// route therefore recompiles the one datapath it touches. The fallback - everything from
// scratch - is the same call after reset().
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "compiler/chassis_view.h"
#include "compiler/compile_datapath.h"
#include "compiler/flow_table.h"
#include "engine/generation.h"
#include "ovsdb/sb_client.h"

namespace scs::compiler {

struct CompileStats {
    std::size_t datapaths = 0;       // local datapaths in the generation
    std::size_t recompiled = 0;      // of which rebuilt this time
    std::size_t amended = 0;         // stages of those amended by a few flows or ports
    std::size_t flows = 0;           // logical flows of local datapaths (per datapath)
    std::size_t parsed = 0;          // flows parsed this time (new or changed rows)
    std::size_t by_status[5] = {};   // FlowStatus counts over local datapaths
    std::size_t rules = 0;           // engine rules installed
    uint64_t elapsed_ns = 0;
};

// What the last compile made of each local datapath, for dump-lflows and lflow-check.
struct CompileReport {
    std::vector<std::shared_ptr<const CompiledDatapath>> datapaths;
    std::vector<std::string> warnings;  // configuration and Southbound problems
    std::set<std::string> claims;       // logical ports this chassis claims
    CompileStats stats;
};

// What the caller knows about the Snapshot given to compile(), relative to the one given to
// the previous compile(): the daemon derives it from the Southbound's change tracking
// (hint_from(), after SbClient::update_snapshot()). With `ports_same`, the placement of
// every port (ChassisView: tens of thousands of Port_Binding rows) is reused instead of
// rebuilt - only if it is the same Snapshot object and its Port_Binding, Datapath_Binding
// and Chassis vectors are where and as long as they were, which the compiler checks.
using PortRows = std::map<ovsdb::Uuid, std::optional<ovsdb::PortBinding>>;  // as in ovsdb::Changes

struct CompileHint {
    bool ports_same = false;   // Port_Binding, Datapath_Binding, Chassis, Encap, Gateway_Chassis,
                               // HA_Chassis(_Group) rows all unchanged
    bool groups_same = false;  // and Multicast_Group rows unchanged
    bool names_same = false;   // Address_Set, Port_Group and SB_Global rows unchanged
    // Every Logical_Flow row that changed since the previous compile(), if known: the flow
    // table is then updated from them instead of reloaded from every row. Used only when
    // the Snapshot is the same object at the next flows_version (Snapshot::flows_version);
    // must stay valid for the call.
    const FlowRows* flow_rows = nullptr;
    // With `ports_same` false: every Port_Binding row that changed since the previous
    // compile(), if only Port_Binding rows did (Datapath_Binding, Chassis, Encap and gateway
    // rows unchanged). The placement of ports is then updated port by port where it can be
    // (ChassisView::update()): only at the next ports_version of the same Snapshot.
    const PortRows* port_rows = nullptr;
};
CompileHint hint_from(const ovsdb::Changes& ch);

class Compiler {
public:
    explicit Compiler(LocalConfig cfg) : cfg_(std::move(cfg)) {}
    ~Compiler();

    // Generation `number` for `sb`. Fails only on inconsistent input that leaves no usable
    // generation (the previous one stays live); per-flow problems are in report().
    Result<std::unique_ptr<engine::Generation>> compile(const ovsdb::Snapshot& sb, uint64_t number,
                                                        const CompileHint& hint = {});

    const CompileReport& report() const { return report_; }
    const LocalConfig& config() const { return cfg_; }
    void reset();  // forget cached datapaths and parses: the next compile is a full one
    bool view_reused() const { return view_reused_; }  // by the last compile()
    // The last compile() updated the port placement from the hint's changed ports (else:
    // reused it whole, or placed every port again).
    bool view_updated() const { return view_updated_; }
    // The last compile() updated its flow table from the hint's changed rows (else: reloaded
    // it from every Logical_Flow row).
    bool flows_followed() const { return flows_followed_; }

private:
    // The last ChassisView and what was derived from it, with the identity of the rows it
    // points into.
    struct View {
        std::unique_ptr<ChassisView> view;
        // Where the rows it points into are: the Snapshot and its Port_Binding,
        // Datapath_Binding and Chassis vectors (address and length).
        struct Rows {
            const ovsdb::Snapshot* sb = nullptr;
            const void* data[3] = {};
            std::size_t size[3] = {};
            static Rows of(const ovsdb::Snapshot& s);
            bool operator==(const Rows&) const = default;
        } rows;
        std::set<std::string> claims;
        uint64_t claims_h = 0;  // of `claims`
        std::vector<engine::RxBinding> rx;
        uint64_t resident = 0;                               // is_chassis_resident() answers
        std::map<ovsdb::Uuid, std::pair<uint64_t, uint64_t>> ports;  // per datapath: keys, placements
        uint64_t ports_version = 0;  // Snapshot::ports_version it is placed from
        bool same_rows(const ovsdb::Snapshot& s) const;
        // The same Snapshot and Datapath_Binding and Chassis rows (its ports may differ).
        bool same_but_ports(const ovsdb::Snapshot& s) const;
    };
    const View& view_for(const ovsdb::Snapshot& sb, const CompileHint& hint);

    // Address sets and port groups (copies, no pointers into a Snapshot) and their
    // fingerprint, kept while the hint says they are unchanged.
    struct Names {
        std::unique_ptr<const NameTables> tables;
        uint64_t fingerprint = 0;
    };
    Names names_;
    // Per datapath: its multicast groups' fingerprints (keys; keys and members), kept while
    // the port placement is reused and the hint says groups are unchanged.
    std::map<ovsdb::Uuid, std::pair<uint64_t, uint64_t>> groups_fp_;
    LocalConfig cfg_;
    View view_;
    bool view_reused_ = false;
    bool view_updated_ = false;
    bool flows_followed_ = false;
    FlowTable flows_;
    struct Cached {
        uint64_t fingerprint = 0;
        std::shared_ptr<const CompiledDatapath> out;
        std::shared_ptr<MatchCache> matches;
    };
    std::map<ovsdb::Uuid, Cached> cache_;
    CompileReport report_;
};

}  // namespace scs::compiler
