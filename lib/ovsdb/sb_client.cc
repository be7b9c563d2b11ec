#include "ovsdb/sb_client.h"

#include <array>
#include <charconv>
#include <cstdio>

#include "ovsdb/sb_idl.h"

namespace scs::ovsdb {

namespace {

Uuid from_c(const scs_sb_uuid& u) {
    Uuid out;
    for (size_t i = 0; i < out.parts.size(); ++i) out.parts[i] = u.parts[i];
    return out;
}

StringMap copy_map(const scs_sb_map* map) {
    StringMap out;
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

}  // namespace

Result<std::unique_ptr<SbClient>> SbClient::create(std::string_view remote,
                                                   const Options& options) {
    std::string r(remote);
    std::array<char, 256> err{};
    scs_sb_idl* idl = scs_sb_idl_create(r.c_str(), options.ovs_log ? 1 : 0, err.data(), err.size());
    if (!idl) return make_error(err.data());
    return std::unique_ptr<SbClient>(new SbClient(idl, std::move(r)));
}

SbClient::~SbClient() { scs_sb_idl_destroy(idl_); }

bool SbClient::run() {
    scs_sb_idl_run(idl_);
    scs_sb_status st{};
    scs_sb_idl_status(idl_, &st);
    const bool changed = st.seqno != last_seqno_;
    last_seqno_ = st.seqno;
    return changed;
}

void SbClient::wait(int timeout_ms) { scs_sb_idl_wait(idl_, timeout_ms); }

Status SbClient::status() const {
    scs_sb_status st{};
    scs_sb_idl_status(idl_, &st);
    Status out;
    out.connected = st.connected != 0;
    out.ever_connected = st.ever_connected != 0;
    out.seqno = st.seqno;
    if (st.last_error != 0) out.last_error = scs_sb_strerror(st.last_error);
    return out;
}

Snapshot SbClient::snapshot() const {
    Snapshot snap;
    scs_sb_status st{};
    scs_sb_idl_status(idl_, &st);
    snap.seqno = st.seqno;

    scs_sb_idl_for_each_datapath(
        idl_,
        [](void* ctx, const scs_sb_datapath_view* v) {
            DatapathBinding d;
            d.uuid = from_c(v->uuid);
            d.tunnel_key = v->tunnel_key;
            d.name = get_or_empty(v->external_ids, "name");
            d.external_ids = copy_map(v->external_ids);
            static_cast<Snapshot*>(ctx)->datapaths.push_back(std::move(d));
        },
        &snap);

    scs_sb_idl_for_each_port(
        idl_,
        [](void* ctx, const scs_sb_port_view* v) {
            PortBinding p;
            p.uuid = from_c(v->uuid);
            p.logical_port = v->logical_port;
            p.tunnel_key = v->tunnel_key;
            if (v->has_datapath) p.datapath = from_c(v->datapath);
            p.type = v->type;
            if (v->chassis_name) p.chassis = v->chassis_name;
            p.options = copy_map(v->options);
            static_cast<Snapshot*>(ctx)->ports.push_back(std::move(p));
        },
        &snap);

    scs_sb_idl_for_each_chassis(
        idl_,
        [](void* ctx, const scs_sb_chassis_view* v) {
            Chassis c;
            c.uuid = from_c(v->uuid);
            c.name = v->name;
            c.encaps.reserve(v->n_encaps);
            for (size_t i = 0; i < v->n_encaps; ++i) {
                scs_sb_encap_view e{};
                scs_sb_chassis_encap(v, i, &e);
                c.encaps.push_back(Encap{e.type, e.ip, copy_map(e.options)});
            }
            static_cast<Snapshot*>(ctx)->chassis.push_back(std::move(c));
        },
        &snap);

    scs_sb_idl_for_each_lflow(
        idl_,
        [](void* ctx, const scs_sb_lflow_view* v) {
            auto* s = static_cast<Snapshot*>(ctx);
            const std::string_view pipeline = v->pipeline;
            // ovn-sb(5), Logical_Flow: pipeline is "ingress" or "egress", table_id 0..32,
            // priority 0..65535, and a flow names a datapath or a datapath group.
            const bool valid = (pipeline == "ingress" || pipeline == "egress") &&
                               v->table_id >= 0 && v->table_id <= 32 && v->priority >= 0 &&
                               v->priority <= 65535 && (v->has_datapath || v->has_dp_group);
            if (!valid) {
                ++s->rejected_logical_flows;
                return;
            }
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
            s->logical_flows.push_back(std::move(f));
        },
        &snap);
    return snap;
}

}  // namespace scs::ovsdb
