// Name resolution for one datapath's logical flows: port and multicast-group names to
// tunnel keys, `$address_set`, `@port_group` and is_chassis_resident(), from the Southbound.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/chassis_view.h"
#include "compiler/name_index.h"
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

    // The key of a port or multicast group of the datapath (port_key() without "none").
    std::optional<uint32_t> key_of(std::string_view name) const {
        const Keyed* k = keys_.find(name);
        return k ? std::optional<uint32_t>(k->key) : std::nullopt;
    }
    // f(name, key) for every name key_of() knows.
    template <typename F>
    void for_each_key(F&& f) const {
        for (const Keyed& k : keyed_)
            if (keys_.find(k.name) == &k) f(k.name, k.key);  // not a name given again later
    }

private:
    // A port or multicast group name (a view into its Southbound row) and its tunnel key.
    struct Keyed {
        std::string_view name;
        uint32_t key;
    };
    static std::string_view keyed_name(const Keyed& k) { return k.name; }

    const ChassisView& view_;
    const NameTables& names_;
    std::string dp_prefix_;  // "<tunnel key>_": OVN's per-datapath port group names
    std::vector<Keyed> keyed_;                // ports, then groups (a group's name wins)
    NameIndex<Keyed, &keyed_name> keys_;      // over keyed_
};

}  // namespace scs::compiler
