// Name resolution for one datapath's logical flows: port and multicast-group names to
// tunnel keys, `$address_set`, `@port_group` and is_chassis_resident(), from the Southbound.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/chassis_view.h"
#include "lflow/expr.h"

namespace scs::compiler {

// Southbound-wide name tables, built once per snapshot.
struct NameTables {
    explicit NameTables(const ovsdb::Snapshot& sb);
    std::map<std::string, std::vector<std::string>, std::less<>> address_sets;  // incl. built-ins
    std::map<std::string, std::vector<std::string>, std::less<>> port_groups;
};

class DatapathResolver final : public lflow::Resolver {
public:
    DatapathResolver(const ovsdb::Snapshot& sb, const ChassisView& view, const NameTables& names,
                     const ovsdb::DatapathBinding& dp);

    std::optional<uint32_t> port_key(std::string_view name) const override;
    const std::vector<std::string>* address_set(std::string_view name) const override;
    const std::vector<std::string>* port_group(std::string_view name) const override;
    bool chassis_resident(std::string_view port) const override;

private:
    const ChassisView& view_;
    const NameTables& names_;
    std::string dp_prefix_;  // "<tunnel key>_": OVN's per-datapath port group names
    std::map<std::string, uint32_t, std::less<>> keys_;
};

}  // namespace scs::compiler
