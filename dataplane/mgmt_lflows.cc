// dump-lflows and trace: the management methods that need the Southbound compiler.
#include <charconv>

#include <fmt/format.h>

#include "compiler/microflow.h"
#include "compiler/trace_text.h"
#include "engine/trace_run.h"
#include "packet/builder.h"
#include "southbound.h"

namespace scs::dataplane {

namespace {

using mgmt::Json;

std::string param_str(const Json& params, std::string_view key) {
    const Json* v = params.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

// A datapath filter matches its name or its tunnel key.
bool dp_matches(const std::string& want, const compiler::CompiledDatapath& dp) {
    return want.empty() || want == dp.binding->name || want == std::to_string(dp.binding->tunnel_key);
}

// How the stage holding OVN table `table` was lowered in the live datapath.
std::string stage_kind(const engine::Datapath* dp, engine::Pipe pipe, uint8_t table) {
    if (!dp) return "not live";
    for (const engine::Stage& s : dp->pipe[static_cast<int>(pipe)].stages)
        if (s.table_id == table) return std::string(engine::stage_kind_name(s.kind));
    return "elided (default next only)";
}

RpcResult dump_lflows(const SouthboundSource& sb, const Tables& tables, const Json& params) {
    const std::string want_dp = param_str(params, "datapath");
    const std::string want_stage = param_str(params, "stage");
    const LiveTables* lt = tables.acquire();  // control thread: stable
    const engine::Generation* live = lt ? lt->gen.get() : nullptr;
    Json flows = Json::array();
    bool dp_seen = false;
    for (const auto& dp : sb.report().datapaths) {
        if (!dp_matches(want_dp, *dp)) continue;
        dp_seen = true;
        const engine::Datapath* ldp = live ? live->datapath(static_cast<uint32_t>(dp->binding->tunnel_key)) : nullptr;
        for (const compiler::FlowReport& f : dp->flows) {
            if (!want_stage.empty() && f.stage() != want_stage) continue;
            Json j = Json::object();
            j["datapath"] = dp->binding->name;
            j["pipeline"] = f.pipe == engine::Pipe::Ingress ? "ingress" : "egress";
            j["table"] = static_cast<unsigned>(f.table);
            j["stage"] = f.stage();
            j["priority"] = static_cast<unsigned>(f.priority);
            j["match"] = f.match();
            j["actions"] = f.actions();
            j["uuid"] = f.uuid.to_string();
            j["status"] = std::string(compiler::flow_status_name(f.status));
            if (!f.detail().empty()) j["detail"] = std::string(f.detail());
            j["rules"] = f.n_matches;
            j["lowered_to"] = f.n_matches ? stage_kind(ldp, f.pipe, f.table) : std::string("-");
            flows.push(std::move(j));
        }
    }
    if (!want_dp.empty() && !dp_seen)
        return RpcError{kRpcInvalidParams, fmt::format("no local datapath '{}' (name or tunnel key)", want_dp)};
    Json r = Json::object();
    r["flows"] = std::move(flows);
    return r;
}

std::optional<std::vector<uint8_t>> parse_hex(std::string_view s) {
    std::vector<uint8_t> out;
    std::string digits;
    for (char c : s)
        if (!std::isspace(static_cast<unsigned char>(c)) && c != ':') digits.push_back(c);
    if (digits.size() % 2) return std::nullopt;
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        uint8_t b = 0;
        auto [p, ec] = std::from_chars(digits.data() + i, digits.data() + i + 2, b, 16);
        if (ec != std::errc() || p != digits.data() + i + 2) return std::nullopt;
        out.push_back(b);
    }
    return out;
}

RpcResult trace(const SouthboundSource& sb, const Tables& tables, const Ports& ports,
                rte_mempool* pool, const Json& params) {
    std::string inport = param_str(params, "inport");
    const std::string micro = param_str(params, "microflow");
    const std::string hex = param_str(params, "hex");
    std::vector<uint8_t> frame;
    if (!hex.empty()) {
        auto b = parse_hex(hex);
        if (!b || b->size() < 14) return RpcError{kRpcInvalidParams, "hex: not a frame in hex digits (at least 14 bytes)"};
        frame = std::move(*b);
    } else if (!micro.empty()) {
        auto m = compiler::parse_microflow(micro);
        if (!m) return RpcError{kRpcInvalidParams, fmt::format("microflow: {}", m.error())};
        if (inport.empty()) inport = m->inport;
        frame = std::move(m->frame);
    } else {
        return RpcError{kRpcInvalidParams, "give a microflow (OVN syntax, as ovn-trace takes it) or hex"};
    }
    if (inport.empty()) return RpcError{kRpcInvalidParams, "no inport: give --inport or `inport == \"name\"` in the microflow"};
    // The packet enters where that logical port's traffic enters: its DPDK port (VIF), or
    // the provider port for a localnet port.
    const compiler::CompileReport& rep = sb.report();
    std::optional<uint16_t> rx;
    const std::string network = sb.localnet_network(inport);  // a localnet port: its provider port
    for (const Port& p : ports.list())
        if ((p.spec.role == Role::Vif || p.spec.role == Role::Provider) && p.spec.target == inport) rx = p.id;
    for (const Port& p : ports.list())
        if (!rx && !network.empty() && p.spec.role == Role::Provider && p.spec.target == network) rx = p.id;
    if (!rx) {
        return RpcError{kRpcInvalidParams,
                        fmt::format("inport '{}' is not bound to a local port (--port vif={}) on this chassis", inport, inport)};
    }
    const LiveTables* lt = tables.acquire();
    const engine::Generation* live = lt ? lt->gen.get() : nullptr;
    if (!live) return RpcError{kRpcNotAvailable, "no live table generation"};
    auto run = engine::trace_packet(*live, *rx, frame, pool);
    if (!run) return RpcError{kRpcNotAvailable, run.error()};
    Json r = Json::object();
    r["generation"] = live->number;
    r["inport"] = inport;
    r["dpdk_port"] = static_cast<unsigned>(*rx);
    r["input"] = pkt::hex(frame);
    Json steps = Json::array();
    for (const std::string& s : compiler::trace_text(run->log, *live, rep)) steps.push(s);
    r["steps"] = std::move(steps);
    Json out = Json::array();
    for (const auto& [port, bytes] : run->tx) {
        Json o = Json::object();
        o["dpdk_port"] = static_cast<unsigned>(port);
        for (const Port& p : ports.list())
            if (p.id == port) o["port"] = fmt::format("{}={}", role_name(p.spec.role), p.spec.target);
        o["frame"] = pkt::hex(bytes);
        out.push(std::move(o));
    }
    r["output"] = std::move(out);
    return r;
}

}  // namespace

void register_southbound_methods(MgmtServer& mgmt, const SouthboundSource& sb,
                                 const Tables& tables, const Ports& ports,
                                 rte_mempool* pool) {
    mgmt.add_method("dump-lflows", [&sb, &tables](const Json& p) { return dump_lflows(sb, tables, p); });
    mgmt.add_method("trace", [&sb, &tables, &ports, pool](const Json& p) { return trace(sb, tables, ports, pool, p); });
}

}  // namespace scs::dataplane
