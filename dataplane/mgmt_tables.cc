// `dump-tables`: the live generation as the workers see it - each datapath's pipelines with
// the lookup structure every stage was lowered to and its rule count, its port table and its
// multicast groups. Filters: a datapath (name or tunnel key) and a stage (name substring).
#include <fmt/format.h>

#include "mgmt_handlers.h"

namespace scs::dataplane {

using mgmt::Json;

namespace {

std::string_view port_kind_name(engine::PortKind k) {
    switch (k) {
        case engine::PortKind::None:
            return "none";
        case engine::PortKind::Vif:
            return "vif";
        case engine::PortKind::Patch:
            return "patch";
        case engine::PortKind::Remote:
            return "remote";
        case engine::PortKind::Localnet:
            return "localnet";
        default:
            break;
    }
    return "other";
}

Json stage_json(const engine::Stage& s) {
    Json j = Json::object();
    j["table"] = s.table_id;
    j["name"] = s.name;
    j["kind"] = engine::stage_kind_name(s.kind);
    j["rules"] = s.n_rules;
    j["miss_action"] = s.miss_action == engine::kNoAction ? "drop" : "action";
    return j;
}

Json port_json(const engine::Generation& gen, const engine::Datapath& dp, uint32_t key,
               const engine::PortEntry& p) {
    Json j = Json::object();
    j["key"] = key;
    j["name"] = dp.port_name(key);
    j["kind"] = port_kind_name(p.kind);
    switch (p.kind) {
        case engine::PortKind::Vif:
            j["dpdk_port"] = p.tx_port;
            break;
        case engine::PortKind::Localnet:
            j["dpdk_port"] = p.tx_port;
            j["vlan"] = p.vlan;
            break;
        case engine::PortKind::Patch: {
            const engine::Datapath* peer = gen.datapath(p.peer_dp);
            j["peer_datapath"] = peer ? Json(peer->name) : Json(p.peer_dp);
            j["peer_port"] = peer ? Json(peer->port_name(p.peer_port)) : Json(p.peer_port);
            break;
        }
        case engine::PortKind::Remote:
            if (p.tunnel < gen.tunnels.size()) {
                const engine::Tunnel& t = gen.tunnels[p.tunnel];
                j["chassis"] = t.chassis;
                j["remote_ip"] = fmt::format("{}.{}.{}.{}", t.remote_ip >> 24,
                                             (t.remote_ip >> 16) & 0xff, (t.remote_ip >> 8) & 0xff,
                                             t.remote_ip & 0xff);
            }
            break;
        default:
            break;
    }
    return j;
}

bool datapath_selected(const engine::Datapath& dp, const std::string& want) {
    return want.empty() || dp.name == want || std::to_string(dp.tunnel_key) == want;
}

}  // namespace

RpcResult mgmt_dump_tables(const MgmtContext& ctx, const Json& params) {
    std::string want_dp, want_stage;
    for (const auto& [k, v] : params.as_object()) {
        if (k != "datapath" && k != "stage")
            return RpcError{kRpcInvalidParams,
                            fmt::format("unknown parameter '{}' (dump-tables takes datapath, "
                                        "stage)",
                                        k)};
        if (v.is_null()) continue;
        if (v.is_number() && k == "datapath" && v.as_u64()) {
            want_dp = std::to_string(*v.as_u64());
            continue;
        }
        if (!v.is_string())
            return RpcError{kRpcInvalidParams, fmt::format("\"{}\" must be a string", k)};
        (k == "datapath" ? want_dp : want_stage) = v.as_string();
    }
    const engine::Generation* gen = ctx.tables->acquire();  // stable: see mgmt_server.h
    if (!gen) return RpcError{kRpcNotAvailable, "no table generation is live"};

    Json r = Json::object();
    r["generation"] = gen->number;
    Json dps = Json::array();
    std::string names;
    for (const engine::DatapathPtr& dpp : gen->datapaths) {
        const engine::Datapath& dp = *dpp;
        names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", dp.name, dp.tunnel_key);
        if (!datapath_selected(dp, want_dp)) continue;
        Json dj = Json::object();
        dj["name"] = dp.name;
        dj["key"] = dp.tunnel_key;
        dj["type"] = dp.is_router ? "router" : "switch";
        dj["unimplemented_insns"] = dp.unimplemented_insns;
        dj["program_insns"] = dp.program.code.size();
        const char* pipe_names[2] = {"ingress", "egress"};
        for (int p = 0; p < 2; ++p) {
            const engine::Pipeline& pl = dp.pipe[p];
            Json pj = Json::object();
            pj["logical_tables"] = pl.n_logical_tables;
            Json stages = Json::array();
            for (const engine::Stage& s : pl.stages)
                if (want_stage.empty() || s.name.find(want_stage) != std::string::npos)
                    stages.push(stage_json(s));
            pj["stages"] = std::move(stages);
            dj[pipe_names[p]] = std::move(pj);
        }
        if (want_stage.empty()) {
            Json ports = Json::array();
            for (uint32_t k = 0; k < dp.ports.size(); ++k)
                if (dp.ports[k].kind != engine::PortKind::None)
                    ports.push(port_json(*gen, dp, k, dp.ports[k]));
            dj["ports"] = std::move(ports);
            Json groups = Json::array();
            for (std::size_t i = 0; i < dp.mcast.size(); ++i) {
                const engine::MulticastGroup& g = dp.mcast[i];
                if (g.members.empty()) continue;
                Json gj = Json::object();
                gj["key"] = engine::Datapath::kMcastBase + i;
                gj["name"] = g.name;
                Json m = Json::array();
                for (uint32_t k : g.members) {
                    const auto n = dp.port_name(k);
                    m.push(n.empty() ? Json(k) : Json(n));
                }
                gj["members"] = std::move(m);
                groups.push(std::move(gj));
            }
            dj["multicast_groups"] = std::move(groups);
        }
        dps.push(std::move(dj));
    }
    if (!want_dp.empty() && dps.as_array().empty())
        return RpcError{kRpcInvalidParams,
                        fmt::format("no datapath '{}' in generation #{} (datapaths: {})", want_dp,
                                    gen->number, names)};
    r["datapaths"] = std::move(dps);
    return r;
}

}  // namespace scs::dataplane
