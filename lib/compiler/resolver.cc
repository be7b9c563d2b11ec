#include "compiler/resolver.h"

#include <fmt/format.h>

namespace scs::compiler {

NameTables::NameTables(const ovsdb::Snapshot& sb) {
    for (const auto& a : sb.address_sets) address_sets[a.name] = a.addresses;
    for (const auto& g : sb.port_groups) port_groups[g.name] = g.ports;
    // ovn-controller's built-in macros (lflow.c): the service monitor source MAC.
    auto mac = sb.sb_global_options.find("svc_monitor_mac");
    if (mac != sb.sb_global_options.end() && !address_sets.count("svc_monitor_mac"))
        address_sets["svc_monitor_mac"] = {mac->second};
}

DatapathResolver::DatapathResolver(const ovsdb::Snapshot& sb, const ChassisView& view, const NameTables& names,
                                   const ovsdb::DatapathBinding& dp)
    : view_(view), names_(names), dp_prefix_(fmt::format("{}_", dp.tunnel_key)) {
    const auto& ports = view.ports(dp.uuid);
    keyed_.reserve(ports.size() + 8);
    for (const PortPlacement& p : ports)
        keyed_.push_back({p.pb->logical_port, static_cast<uint32_t>(p.pb->tunnel_key)});
    for (const auto& g : sb.multicast_groups)
        if (g.datapath == dp.uuid) keyed_.push_back({g.name, static_cast<uint32_t>(g.tunnel_key)});
    keys_.reserve(keyed_.size());  // keyed_ no longer moves: the index points into it
    for (const Keyed& k : keyed_) keys_.put(&k);
}

std::optional<uint32_t> DatapathResolver::port_key(std::string_view name) const {
    if (name == "none") return 0;  // ovn-controller's name for "no port" (outport == "none")
    return key_of(name);
}

const std::vector<std::string>* DatapathResolver::address_set(std::string_view name) const {
    auto it = names_.address_sets.find(name);
    return it == names_.address_sets.end() ? nullptr : &it->second;
}

const std::vector<std::string>* DatapathResolver::port_group(std::string_view name) const {
    // OVN >= 22.03 splits port groups per datapath: "<dp key>_<name>" holds this datapath's
    // members; fall back to the global name for older Southbounds.
    auto it = names_.port_groups.find(fmt::format("{}{}", dp_prefix_, name));
    if (it != names_.port_groups.end()) return &it->second;
    it = names_.port_groups.find(name);
    if (it != names_.port_groups.end()) return &it->second;
    // A group that exists only for other datapaths has no member here: empty, not unknown.
    static const std::vector<std::string> kEmpty;
    const std::string suffix = fmt::format("_{}", name);
    for (const auto& [n, members] : names_.port_groups)
        if (n.size() > suffix.size() && n.ends_with(suffix)) return &kEmpty;
    return nullptr;
}

bool DatapathResolver::chassis_resident(std::string_view port) const {
    return view_.resident_here(std::string(port));
}

}  // namespace scs::compiler
