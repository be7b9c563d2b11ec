// SbClient: a read-only client of the OVN Southbound database, on top of Open vSwitch's own
// ovsdb-idl (built from Debian's openvswitch-source, see subprojects/openvswitch).
//
// Control plane only. The IDL keeps a replica of the monitored tables and reconnects by
// itself (with backoff) after the server goes away; run() applies whatever arrived and never
// blocks, so it can be called from a control loop. snapshot() copies the rows the dataplane
// needs into plain C++ structs: no Open vSwitch type leaks out of lib/ovsdb/sb_idl.c.
//
// Threading: one SbClient belongs to one thread. Open vSwitch's poll loop is per thread and
// its IDL is not thread-safe; hand snapshots (values) to other threads, not the client.
// Process-wide side effects of Open vSwitch's library: its log is switched off unless
// Options::ovs_log is set, and its poll loop installs fatal-signal handlers (SIGTERM, SIGINT,
// SIGHUP, SIGALRM, SIGSEGV; they run OVS cleanup hooks and re-raise) the first time wait()
// runs — a daemon that wants its own handlers installs them afterwards.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

struct scs_sb_idl;

namespace scs::ovsdb {

// An OVSDB row UUID, in Open vSwitch's layout (four 32-bit words).
struct Uuid {
    std::array<uint32_t, 4> parts{};

    std::string to_string() const;  // canonical 8-4-4-4-12 lowercase form
    static std::optional<Uuid> parse(std::string_view text);
    friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

using StringMap = std::map<std::string, std::string>;

// Datapath_Binding: one logical switch or router.
struct DatapathBinding {
    Uuid uuid;
    int64_t tunnel_key = 0;
    std::string name;       // external_ids:name (the Northbound name, e.g. "sw0")
    StringMap external_ids;
};

struct PortBinding {
    Uuid uuid;
    std::string logical_port;
    int64_t tunnel_key = 0;
    std::optional<Uuid> datapath;
    std::string type;       // "" (VIF), "patch", "localnet", "l3gateway", "chassisredirect", …
    std::string chassis;    // name of the binding chassis, "" when unbound
    StringMap options;
};

struct Encap {
    std::string type;       // "geneve", "vxlan", "stt"
    std::string ip;
    StringMap options;
};

struct Chassis {
    Uuid uuid;
    std::string name;
    std::vector<Encap> encaps;
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
};

// The replica at one seqno. Rows come in the IDL's (hash) order: callers must not rely on it.
struct Snapshot {
    unsigned seqno = 0;
    std::vector<DatapathBinding> datapaths;
    std::vector<PortBinding> ports;
    std::vector<Chassis> chassis;
    std::vector<LogicalFlow> logical_flows;
    // Logical flows left out because a value is outside what ovn-sb(5) allows (unknown
    // pipeline, table_id or priority out of range, neither datapath nor group).
    size_t rejected_logical_flows = 0;
};

struct Status {
    bool connected = false;       // session up and monitor established
    bool ever_connected = false;
    unsigned seqno = 0;           // changes whenever the replica changes
    std::string last_error;       // "" when none; e.g. "Connection refused"
};

class SbClient {
public:
    struct Options {
        bool ovs_log = false;     // let Open vSwitch's library print warnings on stderr
    };

    // `remote`: "unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", or several comma-separated (a
    // RAFT cluster; any member serves a reader). Fails only on a remote that cannot be
    // parsed; an unreachable server is reported by status() and retried by run().
    // ssl: remotes also need Open vSwitch's SSL key/cert/CA configured, not exposed yet.
    static Result<std::unique_ptr<SbClient>> create(std::string_view remote,
                                                    const Options& options);
    static Result<std::unique_ptr<SbClient>> create(std::string_view remote) {
        return create(remote, Options{});
    }

    ~SbClient();
    SbClient(const SbClient&) = delete;
    SbClient& operator=(const SbClient&) = delete;

    // Applies what the server sent (connects, reconnects, monitor updates). Never blocks.
    // Returns true if the replica changed since the previous call.
    bool run();
    // Blocks the calling thread for at most timeout_ms or until run() has work.
    void wait(int timeout_ms);

    Status status() const;
    Snapshot snapshot() const;
    const std::string& remote() const { return remote_; }

private:
    SbClient(scs_sb_idl* idl, std::string remote) : idl_(idl), remote_(std::move(remote)) {}

    scs_sb_idl* idl_;
    std::string remote_;
    unsigned last_seqno_ = 0;
};

}  // namespace scs::ovsdb
