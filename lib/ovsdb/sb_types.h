// Southbound rows as plain C++ values: what the control plane reads from OVN, whether from
// a live database (SbClient, over Open vSwitch's ovsdb-idl) or from a snapshot file
// (snapshot_file.h). Nothing here depends on Open vSwitch; the compiler only sees these.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace scs::ovsdb {

// An OVSDB row UUID, in Open vSwitch's layout (four 32-bit words).
struct Uuid {
    std::array<uint32_t, 4> parts{};

    std::string to_string() const;  // canonical 8-4-4-4-12 lowercase form
    static std::optional<Uuid> parse(std::string_view text);
    friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

struct UuidHash {
    std::size_t operator()(const Uuid& u) const {
        return (uint64_t{u.parts[0]} << 32 | u.parts[1]) ^ (uint64_t{u.parts[2]} << 32 | u.parts[3]);
    }
};

using StringMap = std::map<std::string, std::string>;

// Datapath_Binding: one logical switch or router.
struct DatapathBinding {
    Uuid uuid;
    int64_t tunnel_key = 0;
    std::string name;       // external_ids:name (the Northbound name, e.g. "sw0")
    StringMap external_ids;
    bool is_router() const { return external_ids.count("logical-router") != 0; }
};

// HA_Chassis_Group / Gateway_Chassis membership of a port: chassis name and priority.
struct GatewayChassis {
    std::string chassis;
    int64_t priority = 0;
};

struct PortBinding {
    Uuid uuid;
    std::string logical_port;
    int64_t tunnel_key = 0;
    std::optional<Uuid> datapath;
    std::string type;       // "" (VIF), "patch", "localnet", "l3gateway", "chassisredirect", …
    std::string chassis;    // name of the binding chassis, "" when unbound
    std::string requested_chassis;  // requested_chassis (name), "" when none
    std::vector<std::string> mac;            // "MAC [IP...]" entries, or "unknown", "router"
    std::vector<std::string> port_security;  // "MAC [IP/PLEN...]" entries
    std::vector<GatewayChassis> gateway_chassis;  // Gateway_Chassis rows or the
                                                  // HA_Chassis_Group's members
    std::string ha_chassis_group;            // its name, "" when none
    std::optional<int64_t> tag;              // VLAN tag of a container port / localnet
    std::string parent_port;
    std::optional<bool> up;
    StringMap options;
    StringMap external_ids;
    // port_security_hash(*this) when the producer computed it (SbClient does, once per row
    // it copies), else 0; whoever edits port_security in place must reset it to 0.
    uint64_t security_hash = 0;
};

// A hash of a port's port_security column (never 0).
uint64_t port_security_hash(const PortBinding& pb);

struct Encap {
    std::string type;       // "geneve", "vxlan", "stt"
    std::string ip;
    StringMap options;
};

struct Chassis {
    Uuid uuid;
    std::string name;
    std::string hostname;
    std::vector<Encap> encaps;
    StringMap other_config;
    StringMap external_ids;
};

// Multicast_Group: `outport = "_MC_flood"` etc. within one datapath.
struct MulticastGroup {
    Uuid uuid;
    std::optional<Uuid> datapath;
    std::string name;
    int64_t tunnel_key = 0;            // 32768..65535
    std::vector<std::string> ports;    // logical port names
    // members_hash(*this) when the producer computed it (SbClient does), else 0; whoever
    // edits ports in place must reset it to 0.
    uint64_t ports_hash = 0;
};

// An order-independent hash of a group's member names (never 0).
uint64_t members_hash(const MulticastGroup& g);

struct AddressSet {
    std::string name;
    std::vector<std::string> addresses;
};

// Port_Group: OVN 22.x+ names per-datapath groups "<datapath tunnel key>_<name>".
struct PortGroup {
    std::string name;
    std::vector<std::string> ports;
};

// MAC_Binding / Static_MAC_Binding: a neighbour learned (or configured) on a router port.
struct MacBinding {
    std::string logical_port;
    std::string ip;
    std::string mac;
    std::optional<Uuid> datapath;
};

// FDB: a MAC learned on a logical port (put_fdb), by datapath and port tunnel key - what
// get_fdb() and lookup_fdb() answer from.
struct FdbEntry {
    std::string mac;
    int64_t dp_key = 0;
    int64_t port_key = 0;
};

enum class Pipeline : uint8_t { Ingress, Egress };

// Logical_Flow. Exactly one of logical_datapath and logical_dp_group is set (ovn-sb(5));
// for a group, group_datapaths lists its members as read from Logical_DP_Group.
struct LogicalFlow {
    Uuid uuid;
    std::optional<Uuid> logical_datapath;
    std::optional<Uuid> logical_dp_group;
    std::vector<Uuid> group_datapaths;
    Pipeline pipeline = Pipeline::Ingress;
    uint8_t table_id = 0;   // ovn-sb(5): 0..32
    uint16_t priority = 0;  // ovn-sb(5): 0..65535
    std::string match;
    std::string actions;
    std::string stage_name; // external_ids:stage-name, e.g. "ls_in_acl"
    // content_hash(*this) when the producer computed it (SbClient does, once per row it
    // copies), else 0. Whoever edits a row in place must reset it to 0. It spares the
    // compiler from hashing every flow's text on every compile.
    uint64_t content_hash = 0;
};

// A hash of everything a LogicalFlow says except content_hash (never 0).
uint64_t content_hash(const LogicalFlow& f);

// The Southbound at one point. Rows come in no particular order: callers must not rely on it.
struct Snapshot {
    unsigned seqno = 0;
    std::vector<DatapathBinding> datapaths;
    std::vector<PortBinding> ports;
    std::vector<Chassis> chassis;
    std::vector<LogicalFlow> logical_flows;
    std::vector<MulticastGroup> multicast_groups;
    std::vector<AddressSet> address_sets;
    std::vector<PortGroup> port_groups;
    std::vector<MacBinding> mac_bindings;
    std::vector<FdbEntry> fdb;
    StringMap sb_global_options;             // SB_Global:options (svc_monitor_mac, ...)
    int64_t sb_global_nb_cfg = 0;            // SB_Global:nb_cfg (northd's sequence number)
    // Logical flows left out because a value is outside what ovn-sb(5) allows (unknown
    // pipeline, table_id or priority out of range, neither datapath nor group).
    size_t rejected_logical_flows = 0;
    // Which state of logical_flows this is, for whoever keeps something derived from them
    // (the compiler's flow table): SbClient::update_snapshot() adds one when it applies
    // changed rows one by one (and then lists them all in Changes::lflow_rows); a copy of the
    // whole table takes a value no snapshot had before. 0: not maintained (files, tests).
    uint64_t flows_version = 0;
    // The same for ports (Port_Binding rows, listed in Changes::port_rows when applied one by
    // one), for the compiler's port placement (ChassisView).
    uint64_t ports_version = 0;
    // Where each row of logical_flows and ports is, by UUID: kept by
    // SbClient::update_snapshot() so that a change finds its row without a scan, and rebuilt
    // by it whenever it does not describe the vector (e.g. after the table was copied whole).
    std::unordered_map<Uuid, uint32_t, UuidHash> flow_at, port_at;
};

// A flows_version (or ports_version) no snapshot of this process had before (for a
// whole-table copy).
uint64_t new_flows_lineage();

// Replaces, removes or appends the rows of `rows` named in `changed` (row order is not kept:
// a removed row's place is taken by the last one, and nothing else moves; whoever keeps
// row indexes across a call relies on that, e.g. compiler::ChassisView::update()). `at` indexes the rows by UUID; it is
// rebuilt first when it does not describe them.
template <typename Row>
void apply_rows(std::vector<Row>& rows, const std::map<Uuid, std::optional<Row>>& changed,
                std::unordered_map<Uuid, uint32_t, UuidHash>& at) {
    if (changed.empty()) return;
    auto rebuild = [&] {
        at.clear();
        at.reserve(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) at[rows[i].uuid] = static_cast<uint32_t>(i);
    };
    if (at.size() != rows.size()) rebuild();
    for (const auto& [u, r] : changed) {
        auto it = at.find(u);
        if (it != at.end() && (it->second >= rows.size() || rows[it->second].uuid != u)) {
            rebuild();  // stale: someone else changed the rows
            it = at.find(u);
        }
        if (it == at.end()) {
            if (!r) continue;
            at[u] = static_cast<uint32_t>(rows.size());
            rows.push_back(*r);
        } else if (r) {
            rows[it->second] = *r;
        } else {
            const uint32_t i = it->second;
            at.erase(it);
            if (i + 1 != rows.size()) {
                rows[i] = std::move(rows.back());
                at[rows[i].uuid] = i;
            }
            rows.pop_back();
        }
    }
}

// The same without an index, for small tables.
template <typename Row>
void apply_rows(std::vector<Row>& rows, const std::map<Uuid, std::optional<Row>>& changed) {
    std::unordered_map<Uuid, uint32_t, UuidHash> at;
    apply_rows(rows, changed, at);
}

}  // namespace scs::ovsdb
