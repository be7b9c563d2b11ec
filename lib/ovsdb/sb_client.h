// SbClient: a client of the OVN Southbound database that acts as a chassis, on top of Open
// vSwitch's own ovsdb-idl (built from Debian's openvswitch-source, see subprojects/openvswitch).
//
// Control plane only. The IDL keeps a replica of the monitored tables and reconnects by
// itself (with backoff) after the server goes away; run() applies whatever arrived and never
// blocks, so it can be called from a control loop. snapshot() copies the rows the dataplane
// needs into plain C++ structs: no Open vSwitch type leaks out of lib/ovsdb/sb_idl.c.
//
// As a chassis (what ovn-controller's controller/chassis.c and binding.c do): the caller
// states its wish — set_chassis(), set_claims() — and every run() reconciles the database with
// it in one non-blocking transaction at a time (retried when the replica was stale or after a
// failure, re-asserted whenever the database lost our rows, e.g. a server restarted with a
// fresh database). release_all() is the one blocking call, for shutdown.
//
// What is replicated (ovn-controller's update_sb_monitors()): unless Options::monitor_all,
// Logical_Flow, Port_Binding, Multicast_Group, MAC_Binding rows only for the local datapaths
// (set_local_datapaths), plus patch/chassisredirect/external ports, the local and claimed
// ports by name, and ports bound to, requested by or gateway-scheduled on our chassis.
// Datapath_Binding, Chassis, Encap, Address_Set, Port_Group, SB_Global, gateway tables:
// always whole.
//
// Threading: one SbClient belongs to one thread. Open vSwitch's poll loop is per thread and
// its IDL is not thread-safe; hand snapshots (values) to other threads, not the client.
// Process-wide side effects of Open vSwitch's library: its log is switched off unless
// Options::ovs_log is set, SSL files are process-wide, SIGPIPE is ignored from create() on
// (a peer that closes while we write must not kill the process), and its poll loop installs
// fatal-signal handlers (SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGSEGV; they run OVS cleanup hooks
// and re-raise) the first time wait() runs — a daemon that wants its own handlers installs
// them afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "ovsdb/sb_types.h"

struct scs_sb_idl;

namespace scs::ovsdb {

struct Status {
    bool connected = false;       // session up
    bool ever_connected = false;
    unsigned seqno = 0;           // changes whenever the replica changes
    std::string last_error;       // connection error, "" when none; e.g. "Connection refused"
    std::string last_txn_error;   // last failed chassis transaction, "" once one succeeds
    bool txn_pending = false;     // a chassis transaction is in flight or due
    bool chassis_registered = false;  // our Chassis and Chassis_Private rows are replicated
};

// What this chassis publishes in its Chassis row (ovn-sb(5), Chassis; ovn-controller(8) reads
// the same settings from the Open_vSwitch table's external_ids).
struct ChassisConfig {
    std::string name;                  // system-id; must be unique among chassis
    std::string hostname;
    std::string encap_type = "geneve"; // comma-separated, one Encap row each (ovn-encap-type)
    std::string encap_ip;
    StringMap encap_options = {{"csum", "true"}};  // ovn-encap-csum defaults to true
    // other_config keys ovn-controller always publishes:
    std::string bridge_mappings;       // ovn-bridge-mappings, "physnet:br-ex,..."
    std::string datapath_type;         // datapath-type
    std::string iface_types;           // iface-types, comma-separated
    std::string chassis_mac_mappings;  // ovn-chassis-mac-mappings
    std::string cms_options;           // ovn-cms-options
    bool is_interconn = false;         // is-interconn
    bool port_up_notif = true;         // port-up-notif: we set Port_Binding.up (northd waits)
    StringMap other_config;            // extra keys; override the ones above
    StringMap external_ids;
};

// What changed since the previous take_changes(): rows inserted, modified or deleted, or
// entering or leaving the monitor scope, named by the datapaths they belong to (a flow of a
// datapath group names every member of the group).
struct Changes {
    bool full_resync = false;          // (re)connected: everything may have changed
    std::set<Uuid> logical_flows;
    std::set<Uuid> port_bindings;
    std::set<Uuid> multicast_groups;
    std::set<Uuid> mac_bindings;
    std::set<Uuid> datapaths;          // the Datapath_Binding rows themselves
    bool chassis = false;              // Chassis or Encap rows
    bool address_sets = false;
    bool port_groups = false;
    bool sb_global = false;
    bool gateway_chassis = false;      // Gateway_Chassis, HA_Chassis, HA_Chassis_Group
    bool fdb = false;                  // FDB rows (learned MACs)

    // The changed rows themselves, for update_snapshot(): the current contents of every
    // changed Logical_Flow, Port_Binding and Multicast_Group row, nullopt when it was deleted
    // or left the monitor scope (or, for a flow, breaks ovn-sb(5) and is rejected), and the
    // changed Logical_DP_Group rows. When more than kMaxRows rows of a table changed (e.g. the
    // initial download), that table's map is dropped and its `*_all` flag set instead.
    static constexpr std::size_t kMaxRows = 2048;
    std::map<Uuid, std::optional<LogicalFlow>> lflow_rows;
    std::map<Uuid, std::optional<PortBinding>> port_rows;
    std::map<Uuid, std::optional<MulticastGroup>> mcgroup_rows;
    std::set<Uuid> dp_group_rows;
    bool lflow_rows_all = false, port_rows_all = false, mcgroup_rows_all = false;
    std::size_t rejected_logical_flows = 0;  // changed flows that were rejected

    bool empty() const {
        return !full_resync && logical_flows.empty() && port_bindings.empty() &&
               multicast_groups.empty() && mac_bindings.empty() && datapaths.empty() &&
               !chassis && !address_sets && !port_groups && !sb_global && !gateway_chassis && !fdb &&
               lflow_rows.empty() && port_rows.empty() && mcgroup_rows.empty() &&
               dp_group_rows.empty() && !lflow_rows_all && !port_rows_all && !mcgroup_rows_all;
    }
};

class SbClient {
public:
    struct Options {
        bool ovs_log = false;      // let Open vSwitch's library print warnings on stderr
        bool monitor_all = false;  // ovn-monitor-all: replicate every row, no conditions
        // For ssl: remotes (all three needed; process-wide in Open vSwitch).
        std::string ssl_private_key;
        std::string ssl_certificate;
        std::string ssl_ca_cert;
    };

    // `remote`: "unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", or several comma-separated (a
    // RAFT cluster; any member serves us, followers forward our transactions). Fails only on
    // a remote that cannot be parsed or an ssl: remote without its files; an unreachable
    // server is reported by status() and retried by run().
    static Result<std::unique_ptr<SbClient>> create(std::string_view remote,
                                                    const Options& options);
    static Result<std::unique_ptr<SbClient>> create(std::string_view remote) {
        return create(remote, Options{});
    }

    ~SbClient();
    SbClient(const SbClient&) = delete;
    SbClient& operator=(const SbClient&) = delete;

    // Applies what the server sent (connects, reconnects, monitor updates), updates monitor
    // conditions and advances the chassis transaction. Never blocks. Returns true if the
    // replica changed since the previous call.
    bool run();
    // Blocks the calling thread for at most timeout_ms or until run() has work.
    void wait(int timeout_ms);

    // ---- Monitor scope (ignored with Options::monitor_all) ----
    void set_local_datapaths(std::vector<Uuid> datapaths);
    // Logical ports with a local interface (iface-id): monitored by name before they are
    // claimed, with their container ports (parent_port).
    void set_local_ports(std::set<std::string> ports);

    // ---- Being a chassis ----
    // Creates or updates our Chassis, Encap and Chassis_Private rows from now on.
    Result<void> set_chassis(const ChassisConfig& config);
    // Port_Binding.chassis = us for `ports` (any type the caller decided is ours: VIFs,
    // chassisredirect, l3gateway, ...), up = true for those in `up_ports` (false for the
    // others); ports bound to us and not listed are released (chassis [], up false). A listed
    // port whose requested_chassis names another chassis is left alone (OVN binding.c).
    // Needs set_chassis() first.
    Result<void> set_claims(const std::set<std::string>& ports,
                            const std::set<std::string>& up_ports);
    // Reports that the flows of SB_Global.nb_cfg `nb_cfg` (Snapshot::sb_global_nb_cfg) are
    // in place: Chassis_Private.nb_cfg, what `ovn-nbctl --wait=hv` waits for.
    void set_nb_cfg_applied(int64_t nb_cfg);
    // Clean shutdown as ovn-controller's exit: releases every claim and deletes our Chassis
    // and Chassis_Private rows; blocks until the database confirms or `timeout` passes.
    Result<void> release_all(std::chrono::milliseconds timeout);

    // ---- Reading ----
    Status status() const;
    Snapshot snapshot() const;
    // Brings `snap` - what snapshot() or update_snapshot() made earlier - up to date with
    // `changes`, everything take_changes() returned since then: only changed rows are copied
    // (Logical_Flow, Port_Binding, Multicast_Group one by one, the small tables whole when
    // they changed); a full resync, or more changed rows than are worth finding one by one,
    // copies the table again. Equal to snapshot() up to row order.
    // Afterwards `changes` says exactly what happened to snap.logical_flows: lflow_rows lists
    // every row applied (flows re-read because their datapath group changed included), or
    // lflow_rows_all is set when the table was copied whole (see Snapshot::flows_version).
    void update_snapshot(Snapshot& snap, Changes& changes) const;
    // Changes accumulated by run() since the previous call.
    Changes take_changes();
    const std::string& remote() const { return remote_; }

private:
    SbClient(scs_sb_idl* idl, std::string remote, Options options)
        : idl_(idl), remote_(std::move(remote)), options_(std::move(options)) {}
    void apply_scope();
    void collect_changes();
    enum : unsigned {
        kDatapaths = 1, kPorts = 2, kChassis = 4, kLogicalFlows = 8, kMulticastGroups = 16,
        kAddressSets = 32, kPortGroups = 64, kMacBindings = 128, kSbGlobal = 256, kFdb = 512,
        kAllTables = 1023,
    };
    void copy_tables(Snapshot& snap, unsigned tables) const;  // copies `tables` again

    scs_sb_idl* idl_;
    std::string remote_;
    Options options_;
    unsigned last_seqno_ = 0;
    bool have_chassis_ = false;
    std::vector<Uuid> local_datapaths_;
    std::set<std::string> local_ports_;
    Changes pending_;
};

}  // namespace scs::ovsdb
