// Where every logical port is, seen from this chassis: the part of ovn-controller's
// binding.c and physical.c that decides, per Port_Binding, whether a packet for it is
// delivered to a local DPDK port, patched into another datapath, tunnelled to another
// chassis, sent to a provider network, or redirected (a chassisredirect port resident here).
//
// It also computes the local datapaths as ovn-controller does: datapaths with a port bound
// here (VIFs we claim, l3gateway routers and chassisredirect ports resident here), closed
// under patch-port peering. Only those are compiled and monitored.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/datapath.h"
#include "compiler/name_index.h"
#include "engine/generation.h"
#include "ovsdb/sb_types.h"
#include "packet/addr.h"

namespace scs::compiler {

inline constexpr uint16_t kNoPort = 0xffff;

// What the operator configured for this chassis (the daemon's --port options).
struct LocalConfig {
    std::string chassis;                            // our Chassis name (system-id)
    std::map<std::string, uint16_t> vifs;           // logical port (iface-id) -> DPDK port
    std::map<std::string, uint16_t> providers;      // physical network -> DPDK port
    uint16_t underlay_port = kNoPort;               // Geneve underlay DPDK port
    pkt::Ip4 encap_ip{};                            // our Geneve endpoint
    pkt::Mac underlay_mac{};                        // our MAC on the underlay
    pkt::Mac next_hop_mac{};                        // underlay next hop (flat underlay: peer)
    std::map<uint32_t, pkt::Mac> remote_macs;       // per remote IP, when not the next hop
    bool outer_ip_csum_offload = false;
};

// Why a port is what it is here, for `scs-dpctl show` and tests. The views point into the
// Snapshot, the LocalConfig and the ChassisView, which outlive every placement.
struct PortPlacement {
    const ovsdb::PortBinding* pb = nullptr;
    uint32_t dp_key = 0;
    engine::PortEntry entry;
    std::string_view chassis;  // where it is resident ("" unbound / not chassis-bound)
    std::string_view note;     // why it is None, when it is
    uint64_t name_hash = 0;    // NameIndex hash of pb->logical_port (fingerprints reuse it)
    // What the compiler's datapath fingerprints need of the port, digested while its row is
    // at hand: its name and tunnel key; and those with its placement and port security.
    uint64_t key_digest = 0, digest = 0;
    uint32_t row = 0;          // pb's index in Snapshot::ports
    bool resident = false;     // is_chassis_resident() is true (resident_here())
};

// What ChassisView::update() changed, for whoever keeps things derived from the view.
struct ViewDelta {
    std::set<ovsdb::Uuid> datapaths;  // whose ports (placements) changed
    uint64_t resident_added = 0, resident_removed = 0;  // sums of mix64(name_hash) of resident ports
};

inline std::string_view logical_port_of(const ovsdb::PortBinding& pb) { return pb.logical_port; }
inline std::string_view logical_port_of(const PortPlacement& p) { return p.pb->logical_port; }

// Built when port-related rows change (tens of thousands of ports: no string is copied per
// port), or updated port by port when only VM ports did (update()).
class ChassisView {
public:
    ChassisView(const ovsdb::Snapshot& sb, const LocalConfig& cfg);
    ChassisView(const ChassisView&) = delete;
    ChassisView& operator=(const ChassisView&) = delete;

    // Follows a change of Port_Binding rows alone (nothing else in the Snapshot changed): the
    // same Snapshot object as last time, its ports changed by apply_rows() with `changed` as
    // the changed rows' UUIDs (every one of them). Only those ports are placed again - the
    // cost of a VM port coming or going, not of the 24k ports of a large Southbound - when
    // each of them, before and after, is a "leaf": a port no other port's placement or the
    // local datapaths depend on (not a patch, l3gateway, chassisredirect or localnet port,
    // not a --port vif, and named by no other port's options). False otherwise, or when the
    // rows moved in memory: the view is then unusable and must be built again.
    bool update(const ovsdb::Snapshot& sb, const std::vector<ovsdb::Uuid>& changed, ViewDelta& delta);

    // Datapath tunnel key -> binding, for every datapath in the Southbound.
    const ovsdb::DatapathBinding* datapath_by_key(uint32_t key) const;
    const ovsdb::DatapathBinding* datapath(const ovsdb::Uuid& u) const;
    bool is_local(const ovsdb::Uuid& dp) const { return local_.count(dp) != 0; }
    const std::set<ovsdb::Uuid>& local_datapaths() const { return local_; }

    // Ports of one datapath (by UUID), each placed.
    const std::vector<PortPlacement>& ports(const ovsdb::Uuid& dp) const;
    const PortPlacement* port(std::string_view logical_port) const;
    // Every placed port, datapath by datapath.
    template <typename F>
    void for_each_port(F&& f) const {
        for (const auto& v : placed_)
            for (const PortPlacement& p : v) f(p);
    }

    // The chassis a port is resident on, as is_chassis_resident() asks.
    bool resident_here(std::string_view logical_port) const;

    // Logical ports this chassis claims (VIFs mapped to our DPDK ports, plus chassisredirect
    // and l3gateway ports resident here) and those ready to be `up`.
    std::set<std::string> claims() const;

    // Remote chassis with a Geneve encap (index = engine tunnel id).
    const std::vector<engine::Tunnel>& tunnels() const { return tunnels_; }
    engine::Underlay underlay() const;
    std::vector<engine::RxBinding> rx_bindings() const;

    // Configuration that names something the Southbound does not have (a vif for no
    // logical port, a provider network no localnet port uses): reported, not fatal.
    const std::vector<std::string>& warnings() const { return warnings_; }

private:
    // Per Snapshot::ports row (by index): what update() needs to find and judge its placement.
    struct RowSlot {
        ovsdb::Uuid uuid;
        uint64_t name_hash = 0;
        uint32_t dp = UuidSlots::kNone;  // index into placed_ (kNone: not placed)
        uint32_t pos = 0;                // in placed_[dp]
        bool leaf = false;
    };
    void place(PortPlacement& p, const ovsdb::PortBinding& pb);
    // Places row `row` (whose name hashes to `h`) in datapath `at` and records it in rows_.
    void place_row(uint32_t row, uint32_t at, uint64_t h);
    bool leaf(const ovsdb::PortBinding& pb, uint64_t name_hash, bool vif) const;
    std::string_view resident_chassis(const ovsdb::PortBinding& pb) const;
    // The DPDK port of a child port (parent_port + tag) whose parent is a VIF of ours.
    std::optional<uint16_t> child_of_local_vif(const ovsdb::PortBinding& pb) const;
    std::optional<uint16_t> tunnel_to(std::string_view chassis) const;
    const ovsdb::DatapathBinding* dp_of(const ovsdb::PortBinding& pb) const;
    std::string_view keep(std::string s) { return notes_.emplace_back(std::move(s)); }

    const ovsdb::Snapshot& sb_;
    const LocalConfig& cfg_;
    UuidSlots dp_index_;  // -> dps_, placed_
    std::vector<const ovsdb::DatapathBinding*> dps_;
    std::vector<std::vector<PortPlacement>> placed_;                   // per dps_ entry
    std::map<uint32_t, const ovsdb::DatapathBinding*> dp_by_key_;
    // By name: hashed (tens of thousands of ports, rebuilt on every compile).
    NameIndex<ovsdb::PortBinding, static_cast<std::string_view (*)(const ovsdb::PortBinding&)>(logical_port_of)> pb_by_name_;
    NameIndex<PortPlacement, static_cast<std::string_view (*)(const PortPlacement&)>(logical_port_of)> placement_by_name_;
    std::map<std::string, uint16_t, std::less<>> tunnel_by_chassis_;
    std::unordered_map<const ovsdb::PortBinding*, uint16_t> vif_port_;  // LocalConfig::vifs
    std::deque<std::string> notes_;  // formatted notes the placements point to
    std::vector<RowSlot> rows_;      // per Snapshot::ports row
    const ovsdb::PortBinding* rows_at_ = nullptr;  // Snapshot::ports.data() when rows_ was made
    std::unordered_map<uint32_t, uint32_t> localnet_by_dp_;  // switch key -> its localnet port's key (ours)
    std::vector<uint64_t> referenced_;  // sorted name hashes of ports named in options (peer, distributed-port)
    std::vector<engine::Tunnel> tunnels_;
    std::set<ovsdb::Uuid> local_;
    std::vector<std::string> warnings_;
};

}  // namespace scs::compiler
