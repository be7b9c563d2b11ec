#include "ovsdb/snapshot_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace scs::ovsdb {

namespace {

namespace json = boost::json;

// Thrown only inside this file, turned into an Error at the API boundary.
struct LoadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct RawTable {
    std::string name;
    std::vector<std::string> headings;
    std::vector<const json::array*> rows;

    int column(std::string_view c) const {
        for (std::size_t i = 0; i < headings.size(); ++i)
            if (headings[i] == c) return static_cast<int>(i);
        return -1;
    }
};

using Tables = std::map<std::string, RawTable, std::less<>>;

// One row's view with typed accessors; errors name table, row and column.
class Row {
public:
    Row(const RawTable& t, const json::array& r, std::size_t index) : t_(t), r_(r), index_(index) {}

    const json::value* get(std::string_view col) const {
        const int i = t_.column(col);
        if (i < 0 || static_cast<std::size_t>(i) >= r_.size()) return nullptr;
        return &r_[static_cast<std::size_t>(i)];
    }
    // Elements of a set column (a single atom is a one-element set, as RFC 7047 allows).
    std::vector<const json::value*> atoms(std::string_view col) const {
        std::vector<const json::value*> out;
        const json::value* v = get(col);
        if (!v) return out;
        if (is_tagged(*v, "set")) {
            for (const json::value& e : v->as_array()[1].as_array()) out.push_back(&e);
        } else {
            out.push_back(v);
        }
        return out;
    }
    std::string str(std::string_view col) const {
        auto a = atoms(col);
        if (a.empty()) return {};
        if (!a[0]->is_string()) fail(col, "expected a string");
        return std::string(a[0]->as_string());
    }
    std::vector<std::string> strs(std::string_view col) const {
        std::vector<std::string> out;
        for (const json::value* a : atoms(col)) {
            if (!a->is_string()) fail(col, "expected a set of strings");
            out.emplace_back(a->as_string());
        }
        return out;
    }
    std::optional<int64_t> opt_int(std::string_view col) const {
        auto a = atoms(col);
        if (a.empty()) return std::nullopt;
        if (!a[0]->is_int64()) fail(col, "expected an integer");
        return a[0]->as_int64();
    }
    int64_t integer(std::string_view col) const {
        auto v = opt_int(col);
        if (!v) fail(col, "missing integer");
        return *v;
    }
    std::optional<bool> opt_bool(std::string_view col) const {
        auto a = atoms(col);
        if (a.empty()) return std::nullopt;
        if (!a[0]->is_bool()) fail(col, "expected a boolean");
        return a[0]->as_bool();
    }
    std::optional<Uuid> opt_uuid(std::string_view col) const {
        auto a = atoms(col);
        if (a.empty()) return std::nullopt;
        return uuid_atom(*a[0], col);
    }
    std::vector<Uuid> uuids(std::string_view col) const {
        std::vector<Uuid> out;
        for (const json::value* a : atoms(col)) out.push_back(uuid_atom(*a, col));
        return out;
    }
    Uuid uuid() const {
        auto u = opt_uuid("_uuid");
        if (!u) fail("_uuid", "missing row UUID");
        return *u;
    }
    StringMap map(std::string_view col) const {
        StringMap out;
        const json::value* v = get(col);
        if (!v) return out;
        if (!is_tagged(*v, "map")) fail(col, "expected a map");
        for (const json::value& kv : v->as_array()[1].as_array()) {
            const json::array* p = kv.if_array();
            if (!p || p->size() != 2 || !(*p)[0].is_string()) fail(col, "bad map pair");
            const json::value& val = (*p)[1];
            std::string sval;
            if (val.is_string()) sval = std::string(val.as_string());
            else if (val.is_int64()) sval = std::to_string(val.as_int64());
            else if (val.is_bool()) sval = val.as_bool() ? "true" : "false";
            else fail(col, "map values must be strings, integers or booleans");
            out.emplace(std::string((*p)[0].as_string()), std::move(sval));
        }
        return out;
    }

    [[noreturn]] void fail(std::string_view col, std::string_view why) const {
        throw LoadError(fmt::format("{} row {} column '{}': {}", t_.name, index_ + 1, col, why));
    }

    static bool is_tagged(const json::value& v, std::string_view tag) {
        const json::array* a = v.if_array();
        return a && a->size() == 2 && (*a)[0].is_string() && (*a)[0].as_string() == tag &&
               (*a)[1].is_array();
    }

private:
    Uuid uuid_atom(const json::value& v, std::string_view col) const {
        const json::array* a = v.if_array();
        if (!a || a->size() != 2 || !(*a)[0].is_string() || (*a)[0].as_string() != "uuid" ||
            !(*a)[1].is_string()) {
            fail(col, "expected [\"uuid\", ...]");
        }
        auto u = Uuid::parse(std::string_view((*a)[1].as_string()));
        if (!u) fail(col, "malformed UUID");
        return *u;
    }

    const RawTable& t_;
    const json::array& r_;
    std::size_t index_;
};

void add_table(Tables& tables, std::string name, const json::value& doc) {
    const json::object* o = doc.if_object();
    if (!o) throw LoadError(fmt::format("table {}: expected a JSON object", name));
    const json::value* h = o->if_contains("headings");
    const json::value* d = o->if_contains("data");
    if (!h || !h->is_array() || !d || !d->is_array())
        throw LoadError(fmt::format("table {}: expected \"headings\" and \"data\" arrays", name));
    RawTable t;
    t.name = name;
    for (const json::value& c : h->as_array()) {
        if (!c.is_string()) throw LoadError(fmt::format("table {}: headings must be strings", name));
        t.headings.emplace_back(c.as_string());
    }
    for (const json::value& r : d->as_array()) {
        if (!r.is_array() || r.as_array().size() != t.headings.size())
            throw LoadError(fmt::format("table {} row {}: expected {} values", name,
                                        t.rows.size() + 1, t.headings.size()));
        t.rows.push_back(&r.as_array());
    }
    tables[name] = std::move(t);
}

template <typename Fn>
void for_rows(const Tables& tables, std::string_view name, Fn&& fn) {
    auto it = tables.find(name);
    if (it == tables.end()) return;
    for (std::size_t i = 0; i < it->second.rows.size(); ++i) fn(Row(it->second, *it->second.rows[i], i));
}

Snapshot build(const Tables& tables) {
    if (!tables.count("Logical_Flow") || !tables.count("Datapath_Binding"))
        throw LoadError("not a Southbound snapshot: no Logical_Flow or Datapath_Binding table");
    Snapshot s;

    std::map<Uuid, Encap> encaps;
    for_rows(tables, "Encap", [&](const Row& r) {
        encaps[r.uuid()] = Encap{r.str("type"), r.str("ip"), r.map("options")};
    });
    std::map<Uuid, std::string> chassis_name;
    for_rows(tables, "Chassis", [&](const Row& r) {
        Chassis c;
        c.uuid = r.uuid();
        c.name = r.str("name");
        c.hostname = r.str("hostname");
        for (const Uuid& e : r.uuids("encaps")) {
            auto it = encaps.find(e);
            if (it == encaps.end()) r.fail("encaps", "refers to a missing Encap row");
            c.encaps.push_back(it->second);
        }
        c.other_config = r.map("other_config");
        c.external_ids = r.map("external_ids");
        chassis_name[c.uuid] = c.name;
        s.chassis.push_back(std::move(c));
    });
    auto chassis_ref = [&](const Row& r, std::string_view col) -> std::string {
        auto u = r.opt_uuid(col);
        if (!u) return {};
        auto it = chassis_name.find(*u);
        // A reference to a chassis that is gone is how OVSDB shows a stale binding: treat
        // it as unbound rather than inventing a name.
        return it == chassis_name.end() ? std::string() : it->second;
    };

    for_rows(tables, "Datapath_Binding", [&](const Row& r) {
        DatapathBinding d;
        d.uuid = r.uuid();
        d.tunnel_key = r.integer("tunnel_key");
        d.external_ids = r.map("external_ids");
        auto n = d.external_ids.find("name");
        d.name = n != d.external_ids.end() ? n->second : d.uuid.to_string();
        s.datapaths.push_back(std::move(d));
    });

    std::map<Uuid, GatewayChassis> gw_rows;
    for_rows(tables, "Gateway_Chassis", [&](const Row& r) {
        gw_rows[r.uuid()] = GatewayChassis{chassis_ref(r, "chassis"), r.opt_int("priority").value_or(0)};
    });
    std::map<Uuid, GatewayChassis> ha_rows;
    for_rows(tables, "HA_Chassis", [&](const Row& r) {
        ha_rows[r.uuid()] = GatewayChassis{chassis_ref(r, "chassis"), r.opt_int("priority").value_or(0)};
    });
    struct HaGroup {
        std::string name;
        std::vector<GatewayChassis> members;
    };
    std::map<Uuid, HaGroup> ha_groups;
    for_rows(tables, "HA_Chassis_Group", [&](const Row& r) {
        HaGroup g{r.str("name"), {}};
        for (const Uuid& u : r.uuids("ha_chassis"))
            if (auto it = ha_rows.find(u); it != ha_rows.end()) g.members.push_back(it->second);
        ha_groups[r.uuid()] = std::move(g);
    });
    auto by_priority = [](std::vector<GatewayChassis>& v) {
        std::stable_sort(v.begin(), v.end(), [](const GatewayChassis& a, const GatewayChassis& b) {
            return a.priority > b.priority;
        });
    };

    std::map<Uuid, std::string> port_name;
    for_rows(tables, "Port_Binding", [&](const Row& r) {
        PortBinding p;
        p.uuid = r.uuid();
        p.logical_port = r.str("logical_port");
        p.tunnel_key = r.integer("tunnel_key");
        p.datapath = r.opt_uuid("datapath");
        p.type = r.str("type");
        p.chassis = chassis_ref(r, "chassis");
        p.requested_chassis = chassis_ref(r, "requested_chassis");
        p.mac = r.strs("mac");
        p.port_security = r.strs("port_security");
        for (const Uuid& u : r.uuids("gateway_chassis"))
            if (auto it = gw_rows.find(u); it != gw_rows.end()) p.gateway_chassis.push_back(it->second);
        if (auto g = r.opt_uuid("ha_chassis_group")) {
            if (auto it = ha_groups.find(*g); it != ha_groups.end()) {
                p.ha_chassis_group = it->second.name;
                p.gateway_chassis.insert(p.gateway_chassis.end(), it->second.members.begin(),
                                         it->second.members.end());
            }
        }
        by_priority(p.gateway_chassis);
        p.tag = r.opt_int("tag");
        p.parent_port = r.str("parent_port");
        p.up = r.opt_bool("up");
        p.options = r.map("options");
        p.external_ids = r.map("external_ids");
        port_name[p.uuid] = p.logical_port;
        s.ports.push_back(std::move(p));
    });

    std::map<Uuid, std::vector<Uuid>> dp_groups;
    for_rows(tables, "Logical_DP_Group", [&](const Row& r) { dp_groups[r.uuid()] = r.uuids("datapaths"); });

    for_rows(tables, "Logical_Flow", [&](const Row& r) {
        LogicalFlow f;
        f.uuid = r.uuid();
        f.logical_datapath = r.opt_uuid("logical_datapath");
        f.logical_dp_group = r.opt_uuid("logical_dp_group");
        const std::string pipe = r.str("pipeline");
        const int64_t table = r.integer("table_id");
        const int64_t prio = r.integer("priority");
        bool ok = (pipe == "ingress" || pipe == "egress") && table >= 0 && table <= 32 &&
                  prio >= 0 && prio <= 65535 &&
                  (f.logical_datapath.has_value() != f.logical_dp_group.has_value());
        if (f.logical_dp_group) {
            auto it = dp_groups.find(*f.logical_dp_group);
            if (it == dp_groups.end()) ok = false;
            else f.group_datapaths = it->second;
        }
        if (!ok) {
            ++s.rejected_logical_flows;
            return;
        }
        f.pipeline = pipe == "ingress" ? Pipeline::Ingress : Pipeline::Egress;
        f.table_id = static_cast<uint8_t>(table);
        f.priority = static_cast<uint16_t>(prio);
        f.match = r.str("match");
        f.actions = r.str("actions");
        const StringMap ext = r.map("external_ids");
        if (auto it = ext.find("stage-name"); it != ext.end()) f.stage_name = it->second;
        s.logical_flows.push_back(std::move(f));
    });

    for_rows(tables, "Multicast_Group", [&](const Row& r) {
        MulticastGroup g;
        g.uuid = r.uuid();
        g.datapath = r.opt_uuid("datapath");
        g.name = r.str("name");
        g.tunnel_key = r.integer("tunnel_key");
        for (const Uuid& u : r.uuids("ports"))
            if (auto it = port_name.find(u); it != port_name.end()) g.ports.push_back(it->second);
        s.multicast_groups.push_back(std::move(g));
    });
    for_rows(tables, "Address_Set", [&](const Row& r) {
        s.address_sets.push_back(AddressSet{r.str("name"), r.strs("addresses")});
    });
    for_rows(tables, "Port_Group", [&](const Row& r) {
        s.port_groups.push_back(PortGroup{r.str("name"), r.strs("ports")});
    });
    for (std::string_view t : {"MAC_Binding", "Static_MAC_Binding"}) {
        for_rows(tables, t, [&](const Row& r) {
            s.mac_bindings.push_back(MacBinding{r.str("logical_port"), r.str("ip"), r.str("mac"),
                                                r.opt_uuid("datapath")});
        });
    }
    for_rows(tables, "FDB", [&](const Row& r) {
        s.fdb.push_back(FdbEntry{r.str("mac"), r.integer("dp_key"), r.integer("port_key")});
    });
    for_rows(tables, "SB_Global", [&](const Row& r) { s.sb_global_options = r.map("options"); });
    return s;
}

Result<std::string> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return make_error(fmt::format("{}: cannot open", p.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error(fmt::format("{}: read error", p.string()));
    return ss.str();
}

json::value parse_json(std::string_view text, std::string_view what) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) throw LoadError(fmt::format("{}: not JSON ({})", what, ec.message()));
    return v;
}

}  // namespace

Result<Snapshot> parse_snapshot_dump(const std::string& text) {
    try {
        std::vector<json::value> docs;  // keeps the rows the tables point into alive
        Tables tables;
        json::stream_parser p;
        std::size_t off = 0;
        while (true) {
            while (off < text.size() && std::isspace(static_cast<unsigned char>(text[off]))) ++off;
            if (off >= text.size()) break;
            p.reset();
            boost::system::error_code ec;
            const std::size_t n = p.write_some(text.data() + off, text.size() - off, ec);
            if (ec || !p.done())
                throw LoadError(fmt::format("JSON error at byte {}: {}", off + n,
                                            ec ? ec.message() : "incomplete document"));
            off += n;
            docs.push_back(p.release());
        }
        if (docs.empty()) throw LoadError("empty input");
        docs.shrink_to_fit();
        for (const json::value& d : docs) {
            const json::object* o = d.if_object();
            const json::value* cap = o ? o->if_contains("caption") : nullptr;
            if (!cap || !cap->is_string())
                throw LoadError("expected `ovsdb-client dump --format=json` documents with a \"caption\"");
            std::string name(cap->as_string());
            if (name.size() > 6 && name.ends_with(" table")) name.resize(name.size() - 6);
            add_table(tables, name, d);
        }
        return build(tables);
    } catch (const LoadError& e) {
        return make_error(e.what());
    }
}

Result<Snapshot> load_snapshot(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        try {
            std::vector<json::value> docs;
            std::vector<std::string> names;
            for (const auto& e : fs::directory_iterator(path, ec)) {
                const fs::path& p = e.path();
                if (p.extension() != ".json") continue;
                const std::string stem = p.stem().string();
                if (stem.starts_with("nb-")) continue;  // Northbound tables beside the dump
                auto text = read_file(p);
                if (!text) return make_error(text.error());
                docs.push_back(parse_json(*text, p.string()));
                names.push_back(stem);
            }
            if (ec) return make_error(fmt::format("{}: {}", path, ec.message()));
            Tables tables;
            for (std::size_t i = 0; i < docs.size(); ++i) add_table(tables, names[i], docs[i]);
            return build(tables);
        } catch (const LoadError& e) {
            return make_error(fmt::format("{}: {}", path, e.what()));
        }
    }
    auto text = read_file(path);
    if (!text) return make_error(text.error());
    auto s = parse_snapshot_dump(*text);
    if (!s) return make_error(fmt::format("{}: {}", path, s.error()));
    return s;
}

}  // namespace scs::ovsdb
