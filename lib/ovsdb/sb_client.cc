#include "ovsdb/sb_client.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <sstream>

#include "ovsdb/sb_idl.h"

namespace scs::ovsdb {

namespace {

Uuid from_c(const scs_sb_uuid& u) {
    Uuid out;
    for (size_t i = 0; i < out.parts.size(); ++i) out.parts[i] = u.parts[i];
    return out;
}

scs_sb_uuid to_c(const Uuid& u) {
    scs_sb_uuid out{};
    for (size_t i = 0; i < u.parts.size(); ++i) out.parts[i] = u.parts[i];
    return out;
}

StringMap copy_map(const scs_sb_map* map) {
    StringMap out;
    if (!map) return out;
    scs_sb_map_for_each(
        map,
        [](void* ctx, const char* key, const char* value) {
            static_cast<StringMap*>(ctx)->emplace(key, value);
        },
        &out);
    return out;
}

std::string get_or_empty(const scs_sb_map* map, const char* key) {
    const char* v = scs_sb_map_get(map, key);
    return v ? std::string(v) : std::string();
}

std::vector<std::string> copy_strings(const char* const* items, size_t n) {
    std::vector<std::string> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.emplace_back(items[i]);
    return out;
}

std::vector<const char*> c_strings(const std::set<std::string>& s) {
    std::vector<const char*> out;
    out.reserve(s.size());
    for (const auto& x : s) out.push_back(x.c_str());
    return out;
}

// key, value, key, value, ... pointing into `m` (which must outlive the result).
std::vector<const char*> c_pairs(const StringMap& m) {
    std::vector<const char*> out;
    out.reserve(2 * m.size());
    for (const auto& [k, v] : m) {
        out.push_back(k.c_str());
        out.push_back(v.c_str());
    }
    return out;
}

std::vector<std::string> split_commas(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        const size_t comma = s.find(',');
        std::string_view item = s.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

DatapathBinding datapath_from(const scs_sb_datapath_view* v) {
    DatapathBinding d;
    d.uuid = from_c(v->uuid);
    d.tunnel_key = v->tunnel_key;
    d.name = get_or_empty(v->external_ids, "name");
    d.external_ids = copy_map(v->external_ids);
    return d;
}

PortBinding port_from(const scs_sb_port_view* v) {
    PortBinding p;
    p.uuid = from_c(v->uuid);
    p.logical_port = v->logical_port;
    p.tunnel_key = v->tunnel_key;
    if (v->has_datapath) p.datapath = from_c(v->datapath);
    p.type = v->type;
    if (v->chassis_name) p.chassis = v->chassis_name;
    if (v->requested_chassis) p.requested_chassis = v->requested_chassis;
    p.mac = copy_strings(v->mac, v->n_mac);
    p.port_security = copy_strings(v->port_security, v->n_port_security);
    p.gateway_chassis.reserve(v->n_gateway_chassis);
    for (size_t i = 0; i < v->n_gateway_chassis; ++i) {
        const char* name = nullptr;
        int64_t prio = 0;
        scs_sb_port_gateway(v, i, &name, &prio);
        p.gateway_chassis.push_back(GatewayChassis{name ? name : "", prio});
    }
    // Highest priority first (the active gateway), ties by name for stability.
    std::sort(p.gateway_chassis.begin(), p.gateway_chassis.end(),
              [](const GatewayChassis& a, const GatewayChassis& b) {
                  return a.priority != b.priority ? a.priority > b.priority
                                                  : a.chassis < b.chassis;
              });
    if (v->ha_chassis_group) p.ha_chassis_group = v->ha_chassis_group;
    if (v->has_tag) p.tag = v->tag;
    if (v->parent_port) p.parent_port = v->parent_port;
    if (v->has_up) p.up = v->up != 0;
    p.options = copy_map(v->options);
    p.external_ids = copy_map(v->external_ids);
    p.security_hash = port_security_hash(p);
    return p;
}

// nullopt: the row breaks ovn-sb(5) (pipeline "ingress" or "egress", table_id 0..32,
// priority 0..65535, a datapath or a datapath group) and is left out.
std::optional<LogicalFlow> lflow_from(const scs_sb_lflow_view* v) {
    const std::string_view pipeline = v->pipeline;
    const bool valid = (pipeline == "ingress" || pipeline == "egress") && v->table_id >= 0 &&
                       v->table_id <= 32 && v->priority >= 0 && v->priority <= 65535 &&
                       (v->has_datapath || v->has_dp_group);
    if (!valid) return std::nullopt;
    LogicalFlow f;
    f.uuid = from_c(v->uuid);
    if (v->has_datapath) f.logical_datapath = from_c(v->datapath);
    if (v->has_dp_group) {
        f.logical_dp_group = from_c(v->dp_group);
        f.group_datapaths.reserve(v->n_group_datapaths);
        for (size_t i = 0; i < v->n_group_datapaths; ++i) {
            scs_sb_uuid u{};
            scs_sb_lflow_group_datapath(v, i, &u);
            f.group_datapaths.push_back(from_c(u));
        }
    }
    f.pipeline = pipeline == "ingress" ? Pipeline::Ingress : Pipeline::Egress;
    f.table_id = static_cast<uint8_t>(v->table_id);
    f.priority = static_cast<uint16_t>(v->priority);
    f.match = v->match;
    f.actions = v->actions;
    f.stage_name = get_or_empty(v->external_ids, "stage-name");
    f.content_hash = content_hash(f);
    return f;
}

MulticastGroup mcgroup_from(const scs_sb_mcgroup_view* v) {
    MulticastGroup g;
    g.uuid = from_c(v->uuid);
    if (v->has_datapath) g.datapath = from_c(v->datapath);
    g.name = v->name;
    g.tunnel_key = v->tunnel_key;
    g.ports.reserve(v->n_ports);
    for (size_t i = 0; i < v->n_ports; ++i) g.ports.emplace_back(scs_sb_mcgroup_port(v, i));
    g.ports_hash = members_hash(g);
    return g;
}

template <typename Row>
void note_row(std::map<Uuid, std::optional<Row>>& rows, bool& all, const scs_sb_uuid* u,
              std::optional<Row> row) {
    if (all) return;
    if (rows.size() >= Changes::kMaxRows) {
        rows.clear();
        all = true;
        return;
    }
    rows[from_c(*u)] = std::move(row);
}

}  // namespace

Result<std::unique_ptr<SbClient>> SbClient::create(std::string_view remote,
                                                   const Options& options) {
    std::string r(remote);
    std::array<char, 512> err{};
    scs_sb_idl_options o{};
    o.ovs_log = options.ovs_log ? 1 : 0;
    o.monitor_all = options.monitor_all ? 1 : 0;
    const bool any_ssl = !options.ssl_private_key.empty() || !options.ssl_certificate.empty() ||
                         !options.ssl_ca_cert.empty();
    if (any_ssl && (options.ssl_private_key.empty() || options.ssl_certificate.empty() ||
                    options.ssl_ca_cert.empty())) {
        return make_error("SSL needs all of ssl_private_key, ssl_certificate and ssl_ca_cert");
    }
    if (any_ssl) {
        o.ssl_private_key = options.ssl_private_key.c_str();
        o.ssl_certificate = options.ssl_certificate.c_str();
        o.ssl_ca_cert = options.ssl_ca_cert.c_str();
    }
    scs_sb_idl* idl = scs_sb_idl_create(r.c_str(), &o, err.data(), err.size());
    if (!idl) return make_error(err.data());
    std::unique_ptr<SbClient> client(new SbClient(idl, std::move(r), options));
    client->apply_scope();
    return client;
}

SbClient::~SbClient() { scs_sb_idl_destroy(idl_); }

bool SbClient::run() {
    scs_sb_idl_run(idl_);
    collect_changes();
    scs_sb_status st{};
    scs_sb_idl_status(idl_, &st);
    const bool changed = st.seqno != last_seqno_;
    last_seqno_ = st.seqno;
    return changed;
}

void SbClient::wait(int timeout_ms) { scs_sb_idl_wait(idl_, timeout_ms); }

void SbClient::apply_scope() {
    std::vector<scs_sb_uuid> dps;
    dps.reserve(local_datapaths_.size());
    for (const auto& u : local_datapaths_) dps.push_back(to_c(u));
    const auto ports = c_strings(local_ports_);
    scs_sb_idl_set_scope(idl_, dps.data(), dps.size(), ports.data(), ports.size());
}

void SbClient::set_local_datapaths(std::vector<Uuid> datapaths) {
    std::sort(datapaths.begin(), datapaths.end());
    datapaths.erase(std::unique(datapaths.begin(), datapaths.end()), datapaths.end());
    if (datapaths == local_datapaths_) return;
    local_datapaths_ = std::move(datapaths);
    apply_scope();
}

void SbClient::set_local_ports(std::set<std::string> ports) {
    if (ports == local_ports_) return;
    local_ports_ = std::move(ports);
    apply_scope();
}

Result<void> SbClient::set_chassis(const ChassisConfig& config) {
    if (config.name.empty()) return make_error("chassis name is empty");
    if (config.encap_ip.empty())
        return make_error("chassis \"" + config.name + "\": encap_ip is empty");
    const std::vector<std::string> types = split_commas(config.encap_type);
    if (types.empty())
        return make_error("chassis \"" + config.name + "\": no encapsulation type");
    for (const auto& t : types) {
        // ovn-sb(5), Encap: type is one of geneve, stt, vxlan.
        if (t != "geneve" && t != "vxlan" && t != "stt")
            return make_error("chassis \"" + config.name + "\": unknown encapsulation type \"" +
                              t + "\" (expected geneve, vxlan or stt)");
    }

    // The keys ovn-controller always writes (controller/chassis.c), then the caller's extras.
    StringMap other = {
        {"ovn-bridge-mappings", config.bridge_mappings},
        {"datapath-type", config.datapath_type},
        {"iface-types", config.iface_types},
        {"ovn-chassis-mac-mappings", config.chassis_mac_mappings},
        {"ovn-cms-options", config.cms_options},
        {"is-interconn", config.is_interconn ? "true" : "false"},
        {"ovn-monitor-all", options_.monitor_all ? "true" : "false"},
    };
    if (config.port_up_notif) other["port-up-notif"] = "true";
    for (const auto& [k, v] : config.other_config) other[k] = v;

    std::vector<const char*> type_ptrs;
    for (const auto& t : types) type_ptrs.push_back(t.c_str());
    const auto encap_opts = c_pairs(config.encap_options);
    const auto other_pairs = c_pairs(other);
    const auto ext_pairs = c_pairs(config.external_ids);

    scs_sb_chassis_config c{};
    c.name = config.name.c_str();
    c.hostname = config.hostname.c_str();
    c.encap_types = type_ptrs.data();
    c.n_encap_types = type_ptrs.size();
    c.encap_ip = config.encap_ip.c_str();
    c.encap_options = encap_opts.data();
    c.n_encap_options = config.encap_options.size();
    c.other_config = other_pairs.data();
    c.n_other_config = other.size();
    c.external_ids = ext_pairs.data();
    c.n_external_ids = config.external_ids.size();
    scs_sb_idl_set_chassis(idl_, &c);
    have_chassis_ = true;
    return {};
}

Result<void> SbClient::set_claims(const std::set<std::string>& ports,
                                  const std::set<std::string>& up_ports) {
    if (!have_chassis_ && !ports.empty())
        return make_error("cannot claim ports before set_chassis()");
    for (const auto& p : up_ports) {
        if (!ports.count(p))
            return make_error("port \"" + p + "\" is marked up but not claimed");
    }
    const auto p = c_strings(ports);
    const auto u = c_strings(up_ports);
    scs_sb_idl_set_claims(idl_, p.data(), p.size(), u.data(), u.size());
    return {};
}

void SbClient::set_nb_cfg_applied(int64_t nb_cfg) { scs_sb_idl_set_nb_cfg(idl_, nb_cfg); }

Result<void> SbClient::release_all(std::chrono::milliseconds timeout) {
    std::array<char, 512> err{};
    const long long ms = std::clamp<long long>(timeout.count(), 0, 3600 * 1000);
    const int rc = scs_sb_idl_release_all(idl_, static_cast<int>(ms), err.data(), err.size());
    have_chassis_ = false;
    collect_changes();
    if (rc != 0) return make_error(err.data());
    return {};
}

Status SbClient::status() const {
    scs_sb_status st{};
    scs_sb_idl_status(idl_, &st);
    Status out;
    out.connected = st.connected != 0;
    out.ever_connected = st.ever_connected != 0;
    out.seqno = st.seqno;
    if (st.last_error != 0) out.last_error = scs_sb_strerror(st.last_error);
    out.last_txn_error = st.txn_error ? st.txn_error : "";
    out.txn_pending = st.txn_pending != 0;
    out.chassis_registered = st.chassis_present != 0;
    return out;
}

namespace {

const scs_sb_row_fns kRowFns = {
    [](void* ctx, const scs_sb_uuid* u, const scs_sb_lflow_view* v) {
        auto* c = static_cast<Changes*>(ctx);
        std::optional<LogicalFlow> f = v ? lflow_from(v) : std::nullopt;
        if (v && !f) ++c->rejected_logical_flows;
        note_row(c->lflow_rows, c->lflow_rows_all, u, std::move(f));
    },
    [](void* ctx, const scs_sb_uuid* u, const scs_sb_port_view* v) {
        auto* c = static_cast<Changes*>(ctx);
        note_row(c->port_rows, c->port_rows_all, u, v ? std::optional(port_from(v)) : std::nullopt);
    },
    [](void* ctx, const scs_sb_uuid* u, const scs_sb_mcgroup_view* v) {
        auto* c = static_cast<Changes*>(ctx);
        note_row(c->mcgroup_rows, c->mcgroup_rows_all, u,
                 v ? std::optional(mcgroup_from(v)) : std::nullopt);
    },
    [](void* ctx, const scs_sb_uuid* u) { static_cast<Changes*>(ctx)->dp_group_rows.insert(from_c(*u)); },
};

}  // namespace

void SbClient::collect_changes() {
    scs_sb_idl_take_changes(
        idl_,
        [](void* ctx, scs_sb_change_kind kind, const scs_sb_uuid* dp) {
            auto* c = static_cast<Changes*>(ctx);
            switch (kind) {
            case SCS_SB_CHANGE_LFLOW: c->logical_flows.insert(from_c(*dp)); break;
            case SCS_SB_CHANGE_PORT: c->port_bindings.insert(from_c(*dp)); break;
            case SCS_SB_CHANGE_MCGROUP: c->multicast_groups.insert(from_c(*dp)); break;
            case SCS_SB_CHANGE_MAC_BINDING: c->mac_bindings.insert(from_c(*dp)); break;
            case SCS_SB_CHANGE_DATAPATH: c->datapaths.insert(from_c(*dp)); break;
            case SCS_SB_CHANGE_CHASSIS: c->chassis = true; break;
            case SCS_SB_CHANGE_ADDRESS_SET: c->address_sets = true; break;
            case SCS_SB_CHANGE_PORT_GROUP: c->port_groups = true; break;
            case SCS_SB_CHANGE_SB_GLOBAL: c->sb_global = true; break;
            case SCS_SB_CHANGE_GATEWAY: c->gateway_chassis = true; break;
            case SCS_SB_CHANGE_FDB: c->fdb = true; break;
            case SCS_SB_CHANGE_FULL_RESYNC: c->full_resync = true; break;
            }
        },
        &kRowFns, &pending_);
}

Changes SbClient::take_changes() {
    Changes out = std::move(pending_);
    pending_ = Changes{};
    return out;
}

void SbClient::update_snapshot(Snapshot& snap, Changes& ch) const {
    if (ch.full_resync) {
        snap = snapshot();
        return;
    }
    unsigned tables = 0;
    if (!ch.datapaths.empty()) tables |= kDatapaths;
    if (ch.chassis) tables |= kChassis;
    // A port's chassis and gateway chassis names come from other rows.
    if (ch.port_rows_all || ch.chassis || ch.gateway_chassis) tables |= kPorts;
    if (ch.lflow_rows_all) tables |= kLogicalFlows;
    // A group names its ports by reference: a deleted port leaves its groups.
    const bool port_deleted = std::any_of(ch.port_rows.begin(), ch.port_rows.end(),
                                          [](const auto& r) { return !r.second; });
    if (ch.mcgroup_rows_all || port_deleted || (tables & kPorts)) tables |= kMulticastGroups;
    if (ch.address_sets) tables |= kAddressSets;
    if (ch.port_groups) tables |= kPortGroups;
    if (!ch.mac_bindings.empty()) tables |= kMacBindings;
    if (ch.sb_global) tables |= kSbGlobal;
    if (ch.fdb) tables |= kFdb;
    copy_tables(snap, tables);

    if (!(tables & kPorts) && !ch.port_rows.empty()) {
        apply_rows(snap.ports, ch.port_rows, snap.port_at);
        ++snap.ports_version;
    }
    if (!(tables & kMulticastGroups)) apply_rows(snap.multicast_groups, ch.mcgroup_rows);
    if (tables & kLogicalFlows) {
        ch.lflow_rows.clear();
        ch.lflow_rows_all = true;
        return;
    }
    // Flows of a group whose membership changed carry the old member list: fetch again.
    if (!ch.dp_group_rows.empty()) {
        std::set<Uuid> regroup;
        auto in_group = [&](const LogicalFlow& f) {
            return f.logical_dp_group && ch.dp_group_rows.count(*f.logical_dp_group);
        };
        for (const LogicalFlow& f : snap.logical_flows)
            if (in_group(f)) regroup.insert(f.uuid);
        for (const auto& [u, f] : ch.lflow_rows)
            if (f && in_group(*f)) regroup.insert(u);
        if (regroup.size() > Changes::kMaxRows) {
            copy_tables(snap, kLogicalFlows);
            ch.lflow_rows.clear();
            ch.lflow_rows_all = true;
            return;
        }
        struct Ctx {
            const std::set<Uuid>* want;
            std::map<Uuid, std::optional<LogicalFlow>>* out;
        } ctx{&regroup, &ch.lflow_rows};
        if (!regroup.empty())
            scs_sb_idl_for_each_lflow(
                idl_,
                [](void* c, const scs_sb_lflow_view* v) {
                    auto* x = static_cast<Ctx*>(c);
                    const Uuid u = from_c(v->uuid);
                    if (x->want->count(u)) (*x->out)[u] = lflow_from(v);
                },
                &ctx);
    }
    if (!ch.lflow_rows.empty()) {
        apply_rows(snap.logical_flows, ch.lflow_rows, snap.flow_at);
        ++snap.flows_version;
    }
    snap.rejected_logical_flows += ch.rejected_logical_flows;
}

Snapshot SbClient::snapshot() const {
    Snapshot snap;
    copy_tables(snap, kAllTables);
    return snap;
}

void SbClient::copy_tables(Snapshot& snap, unsigned tables) const {
    scs_sb_status st{};
    scs_sb_idl_status(idl_, &st);
    snap.seqno = st.seqno;

    if (tables & kDatapaths) {
        snap.datapaths.clear();
        scs_sb_idl_for_each_datapath(
            idl_,
            [](void* ctx, const scs_sb_datapath_view* v) {
                static_cast<Snapshot*>(ctx)->datapaths.push_back(datapath_from(v));
            },
            &snap);
    }

    if (tables & kPorts) {
        snap.ports.clear();
        snap.port_at.clear();
        snap.ports_version = new_flows_lineage();
        scs_sb_idl_for_each_port(
            idl_,
            [](void* ctx, const scs_sb_port_view* v) {
                static_cast<Snapshot*>(ctx)->ports.push_back(port_from(v));
            },
            &snap);
    }

    if (tables & kChassis) {
        snap.chassis.clear();
        scs_sb_idl_for_each_chassis(
            idl_,
            [](void* ctx, const scs_sb_chassis_view* v) {
                Chassis c;
                c.uuid = from_c(v->uuid);
                c.name = v->name;
                c.hostname = v->hostname;
                c.other_config = copy_map(v->other_config);
                c.external_ids = copy_map(v->external_ids);
                c.encaps.reserve(v->n_encaps);
                for (size_t i = 0; i < v->n_encaps; ++i) {
                    scs_sb_encap_view e{};
                    scs_sb_chassis_encap(v, i, &e);
                    c.encaps.push_back(Encap{e.type, e.ip, copy_map(e.options)});
                }
                static_cast<Snapshot*>(ctx)->chassis.push_back(std::move(c));
            },
            &snap);
    }

    if (tables & kLogicalFlows) {
        snap.logical_flows.clear();
        snap.flow_at.clear();
        snap.rejected_logical_flows = 0;
        snap.flows_version = new_flows_lineage();
        scs_sb_idl_for_each_lflow(
            idl_,
            [](void* ctx, const scs_sb_lflow_view* v) {
                auto* s = static_cast<Snapshot*>(ctx);
                if (auto f = lflow_from(v)) s->logical_flows.push_back(std::move(*f));
                else ++s->rejected_logical_flows;
            },
            &snap);
    }

    if (tables & kMulticastGroups) {
        snap.multicast_groups.clear();
        scs_sb_idl_for_each_mcgroup(
            idl_,
            [](void* ctx, const scs_sb_mcgroup_view* v) {
                static_cast<Snapshot*>(ctx)->multicast_groups.push_back(mcgroup_from(v));
            },
            &snap);
    }

    if (tables & kAddressSets) {
        snap.address_sets.clear();
        scs_sb_idl_for_each_address_set(
            idl_,
            [](void* ctx, const scs_sb_named_set_view* v) {
                static_cast<Snapshot*>(ctx)->address_sets.push_back(
                    AddressSet{v->name, copy_strings(v->items, v->n_items)});
            },
            &snap);
    }

    if (tables & kPortGroups) {
        snap.port_groups.clear();
        scs_sb_idl_for_each_port_group(
            idl_,
            [](void* ctx, const scs_sb_named_set_view* v) {
                static_cast<Snapshot*>(ctx)->port_groups.push_back(
                    PortGroup{v->name, copy_strings(v->items, v->n_items)});
            },
            &snap);
    }

    if (tables & kMacBindings) {
        snap.mac_bindings.clear();
        scs_sb_idl_for_each_mac_binding(
            idl_,
            [](void* ctx, const scs_sb_mac_binding_view* v) {
                MacBinding m;
                m.logical_port = v->logical_port;
                m.ip = v->ip;
                m.mac = v->mac;
                if (v->has_datapath) m.datapath = from_c(v->datapath);
                static_cast<Snapshot*>(ctx)->mac_bindings.push_back(std::move(m));
            },
            &snap);
    }

    if (tables & kFdb) {
        snap.fdb.clear();
        scs_sb_idl_for_each_fdb(
            idl_,
            [](void* ctx, const scs_sb_fdb_view* v) {
                static_cast<Snapshot*>(ctx)->fdb.push_back(FdbEntry{v->mac, v->dp_key, v->port_key});
            },
            &snap);
    }

    if (tables & kSbGlobal) {
        snap.sb_global_options = copy_map(scs_sb_idl_sb_global_options(idl_));
        snap.sb_global_nb_cfg = scs_sb_idl_sb_global_nb_cfg(idl_);
    }
}

}  // namespace scs::ovsdb
