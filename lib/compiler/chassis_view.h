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
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/datapath.h"
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

// Why a port is what it is here, for `scs-dpctl show` and tests.
struct PortPlacement {
    const ovsdb::PortBinding* pb = nullptr;
    uint32_t dp_key = 0;
    engine::PortEntry entry;
    std::string chassis;  // where it is resident ("" unbound / not chassis-bound)
    std::string note;     // why it is None, when it is
};

class ChassisView {
public:
    ChassisView(const ovsdb::Snapshot& sb, const LocalConfig& cfg);

    // Datapath tunnel key -> binding, for every datapath in the Southbound.
    const ovsdb::DatapathBinding* datapath_by_key(uint32_t key) const;
    const ovsdb::DatapathBinding* datapath(const ovsdb::Uuid& u) const;
    bool is_local(const ovsdb::Uuid& dp) const { return local_.count(dp) != 0; }
    const std::set<ovsdb::Uuid>& local_datapaths() const { return local_; }

    // Ports of one datapath (by UUID), each placed.
    const std::vector<PortPlacement>& ports(const ovsdb::Uuid& dp) const;
    const PortPlacement* port(const std::string& logical_port) const;

    // The chassis a port is resident on, as is_chassis_resident() asks.
    bool resident_here(const std::string& logical_port) const;

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
    void place(PortPlacement& p, const ovsdb::PortBinding& pb) const;
    std::string resident_chassis(const ovsdb::PortBinding& pb) const;
    std::optional<uint16_t> tunnel_to(const std::string& chassis) const;

    const ovsdb::Snapshot& sb_;
    const LocalConfig& cfg_;
    std::map<ovsdb::Uuid, const ovsdb::DatapathBinding*> dps_;
    std::map<uint32_t, const ovsdb::DatapathBinding*> dp_by_key_;
    // By name: hashed (tens of thousands of ports, rebuilt on every compile).
    std::unordered_map<std::string, const ovsdb::PortBinding*> pb_by_name_;
    std::map<ovsdb::Uuid, std::vector<PortPlacement>> ports_;
    std::unordered_map<std::string, const PortPlacement*> placement_by_name_;
    std::map<std::string, uint16_t> tunnel_by_chassis_;
    std::vector<engine::Tunnel> tunnels_;
    std::set<ovsdb::Uuid> local_;
    std::vector<std::string> warnings_;
};

}  // namespace scs::compiler
