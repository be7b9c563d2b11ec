// `dump-tables`: the live generation as the workers see it - each datapath's pipelines with
// the lookup structure every stage was lowered to, its rule count and its hit counters, its
// port table and its multicast groups. Filters: a datapath (name or tunnel key) and a stage
// (name substring). With "rules": every rule's packet count, named by the logical flow it
// came from when the daemon compiles a Southbound (the compile report's action offsets), by
// rule index and action offset otherwise.
//
// Counters (engine/rule_stats.h) are read with relaxed loads, summed over the workers; they
// belong to the compiled datapath object, so a recompiled datapath starts again from zero.
#include <algorithm>
#include <map>
#include <unordered_map>

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
        case engine::PortKind::Redirect:
            return "redirect";
        case engine::PortKind::ViaLocalnet:
            return "via-localnet";
        default:
            break;
    }
    return "other";
}

// The logical flows one live datapath was compiled from, by action list: the link from a
// rule (which remembers the action list it runs) to its flow. Empty without a compile
// report, or when the report is of another object than the live one.
struct FlowNames {
    std::unordered_map<uint32_t, const compiler::FlowReport*> by_action;
    // The installed flows of each (pipeline, OVN table), highest priority first.
    std::map<std::pair<int, unsigned>, std::vector<const compiler::FlowReport*>> by_table;
    const compiler::CompiledDatapath* cd = nullptr;
};

FlowNames flow_names(const MgmtContext& ctx, const engine::Datapath& dp) {
    FlowNames n;
    const compiler::CompileReport* rep = ctx.compile_report ? ctx.compile_report() : nullptr;
    if (!rep) return n;
    for (const auto& cd : rep->datapaths)
        if (cd && cd->dp.get() == &dp) n.cd = cd.get();
    if (!n.cd) return n;
    for (const compiler::FlowReport& f : n.cd->flows) {
        if (f.action == engine::kNoAction) continue;  // not installed
        n.by_action.emplace(f.action, &f);
        n.by_table[{static_cast<int>(f.pipe), f.table}].push_back(&f);
    }
    for (auto& [k, v] : n.by_table)
        std::stable_sort(v.begin(), v.end(), [](const auto* a, const auto* b) { return a->priority > b->priority; });
    return n;
}

Json stage_json(const engine::Stage& s, engine::Pipe pipe, uint32_t index, const engine::RuleCounters* rc,
                const FlowNames* names) {
    Json j = Json::object();
    j["table"] = s.table_id;
    j["name"] = s.name;
    j["kind"] = engine::stage_kind_name(s.kind);
    j["rules"] = s.n_rules;
    j["miss_action"] = s.miss_action == engine::kNoAction ? "drop" : "action";
    const std::vector<engine::RuleCounters::RuleHits> hits = rc ? rc->hits(pipe, index) : std::vector<engine::RuleCounters::RuleHits>{};
    const uint64_t misses = rc ? rc->misses(pipe, index) : 0;
    uint64_t n_hits = 0;
    for (const auto& h : hits) n_hits += h.packets;
    j["lookups"] = n_hits + misses;
    j["hits"] = n_hits;  // lookups that matched a rule
    j["misses"] = misses;  // lookups that matched none: the stage's default ran, or a drop
    if (!names) return j;

    // Per rule: the logical flows of this table (each with the packets of all the rules it
    // became), then the rules no flow accounts for.
    Json flows = Json::array();
    std::unordered_map<uint32_t, uint64_t> by_action;
    for (const auto& h : hits) by_action[h.action] += h.packets;
    if (names->cd) {
        static const std::vector<const compiler::FlowReport*> kNone;
        const auto t = names->by_table.find({static_cast<int>(pipe), s.table_id});
        for (const compiler::FlowReport* fp : t != names->by_table.end() ? t->second : kNone) {
            const compiler::FlowReport& f = *fp;
            const bool is_default = f.action == s.miss_action;
            Json fj = Json::object();
            fj["uuid"] = f.uuid.to_string();
            fj["priority"] = static_cast<unsigned>(f.priority);
            const auto it = by_action.find(f.action);
            fj["n_packets"] = (it != by_action.end() ? it->second : 0) + (is_default ? misses : 0);
            fj["rules"] = f.n_matches;
            if (is_default) fj["default"] = true;  // it runs when no rule matches
            fj["match"] = f.match();
            fj["actions"] = f.actions();
            flows.push(std::move(fj));
        }
        j["flows"] = std::move(flows);
    }
    Json others = Json::array();
    for (const auto& h : hits) {
        const auto f = names->by_action.find(h.action);
        if (f != names->by_action.end() && f->second->pipe == pipe && f->second->table == s.table_id) continue;
        Json rj = Json::object();
        rj["rule"] = h.rule;
        rj["priority"] = h.priority;
        rj["action"] = h.action;
        rj["n_packets"] = h.packets;
        others.push(std::move(rj));
    }
    j["rule_hits"] = std::move(others);
    return j;
}

Json port_json(const engine::Generation& gen, const engine::Datapath& dp, uint32_t key,
               const engine::PortEntry& p) {
    Json j = Json::object();
    j["key"] = key;
    j["name"] = dp.port_name(key);
    j["kind"] = port_kind_name(p.kind);
    if (p.localport()) j["localport"] = true;  // delivered here only, never tunnelled
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
        case engine::PortKind::Redirect:
            j["distributed_port"] = dp.port_name(p.peer_port);
            break;
        case engine::PortKind::ViaLocalnet:
            j["localnet_port"] = dp.port_name(p.peer_port);
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
    bool rules = false;
    for (const auto& [k, v] : params.as_object()) {
        if (k != "datapath" && k != "stage" && k != "rules")
            return RpcError{kRpcInvalidParams,
                            fmt::format("unknown parameter '{}' (dump-tables takes datapath, "
                                        "stage, rules)",
                                        k)};
        if (v.is_null()) continue;
        if (k == "rules") {
            if (!v.is_bool()) return RpcError{kRpcInvalidParams, "\"rules\" must be true or false"};
            rules = v.as_bool();
            continue;
        }
        if (v.is_number() && k == "datapath" && v.as_u64()) {
            want_dp = std::to_string(*v.as_u64());
            continue;
        }
        if (!v.is_string())
            return RpcError{kRpcInvalidParams, fmt::format("\"{}\" must be a string", k)};
        (k == "datapath" ? want_dp : want_stage) = v.as_string();
    }
    const LiveTables* live = ctx.live_tables();  // stable: see mgmt_server.h
    const engine::Generation* gen = live ? live->gen.get() : nullptr;
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
        const engine::RuleCounters* rc = live->rules.of(&dp);
        const FlowNames flow_refs = rules ? flow_names(ctx, dp) : FlowNames{};
        const char* pipe_names[2] = {"ingress", "egress"};
        for (int p = 0; p < 2; ++p) {
            const engine::Pipeline& pl = dp.pipe[p];
            Json pj = Json::object();
            pj["logical_tables"] = pl.n_logical_tables;
            Json stages = Json::array();
            for (uint32_t i = 0; i < pl.stages.size(); ++i) {
                const engine::Stage& s = pl.stages[i];
                if (want_stage.empty() || s.name.find(want_stage) != std::string::npos)
                    stages.push(stage_json(s, static_cast<engine::Pipe>(p), i, rc, rules ? &flow_refs : nullptr));
            }
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
