#include "compiler/trace_text.h"

#include <map>

#include <fmt/format.h>

namespace scs::compiler {

std::vector<std::string> trace_text(const engine::TraceLog& log, const engine::Generation& gen,
                                    const CompileReport& report) {
    // (datapath key, action offset) -> the logical flow it was compiled from.
    std::map<std::pair<uint32_t, uint32_t>, const FlowReport*> by_action;
    for (const auto& dp : report.datapaths)
        for (const FlowReport& f : dp->flows)
            if (f.action != engine::kNoAction) by_action[{dp->dp->tunnel_key, f.action}] = &f;

    std::vector<std::string> out;
    for (const engine::TraceEvent& e : log.events) {
        switch (e.kind) {
            case engine::TraceEvent::Kind::Stage: {
                const engine::Datapath* dp = gen.datapath(e.dp);
                const engine::Stage* st = nullptr;
                if (dp && e.stage < dp->pipe[static_cast<int>(e.pipe)].stages.size())
                    st = &dp->pipe[static_cast<int>(e.pipe)].stages[e.stage];
                const std::string stage = st ? fmt::format("{} (table {})", st->name, st->table_id)
                                             : fmt::format("stage {}", e.stage);
                const std::string where = fmt::format("{} {} {}", dp ? dp->name : "?",
                                                      e.pipe == engine::Pipe::Ingress ? "ingress" : "egress", stage);
                auto it = by_action.find({e.dp, e.action});
                if (e.action == engine::kNoAction)
                    out.push_back(fmt::format("{}: no flow matched", where));
                else if (it != by_action.end())
                    out.push_back(fmt::format("{}: priority {}, match ({}), actions ({}) [{}]", where, it->second->priority,
                                              it->second->match(), it->second->actions(), it->second->uuid.to_string()));
                else
                    out.push_back(fmt::format("{}: compiler-generated rule (action {})", where, e.action));
                break;
            }
            case engine::TraceEvent::Kind::Tx:
                out.push_back(e.vlan ? fmt::format("-> transmit on DPDK port {} with VLAN {}", e.port, e.vlan)
                                     : fmt::format("-> transmit on DPDK port {}", e.port));
                break;
            case engine::TraceEvent::Kind::Tunnel: {
                const std::string chassis = e.port < gen.tunnels.size() ? gen.tunnels[e.port].chassis : "?";
                out.push_back(fmt::format("-> Geneve to chassis {} (VNI {}, ingress port {}, egress port {})", chassis, e.vni,
                                          e.in_key, e.out_key));
                break;
            }
            case engine::TraceEvent::Kind::Drop:
                out.push_back(fmt::format("-> dropped: {}", drop_reason_name(e.reason)));
                break;
        }
    }
    return out;
}

}  // namespace scs::compiler
