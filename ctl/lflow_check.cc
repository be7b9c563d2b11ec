#include "lflow_check.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "compiler/compiler.h"
#include "ovsdb/snapshot_file.h"

namespace scs::dpctl {

namespace {

using compiler::FlowStatus;
using mgmt::Json;

// A chassis name no Southbound has: the default view's "this chassis".
constexpr const char* kDummyChassis = "scs-lflow-check";

bool vif_type(const std::string& type) {
    return type.empty() || type == "virtual" || type == "external" || type == "localport";
}

// Dummy DPDK port ids: the compiler only records them (tx_port), nothing is sent. Ids wrap
// below kNoPort on a Southbound with more ports than a uint16_t holds; that is harmless here.
uint16_t dummy_port(std::size_t i) {
    return static_cast<uint16_t>(i % compiler::kNoPort);
}

compiler::LocalConfig local_config(const ovsdb::Snapshot& sb, const std::string& chassis,
                                   const std::vector<std::string>& vifs) {
    compiler::LocalConfig c;
    c.chassis = chassis;
    std::size_t next = 0;
    if (vifs.empty()) {
        for (const auto& pb : sb.ports)
            if (vif_type(pb.type)) c.vifs.emplace(pb.logical_port, dummy_port(next++));
    } else {
        for (const std::string& v : vifs) c.vifs.emplace(v, dummy_port(next++));
    }
    for (const auto& pb : sb.ports) {
        auto n = pb.options.find("network_name");
        if (pb.type == "localnet" && n != pb.options.end() && !c.providers.count(n->second))
            c.providers.emplace(n->second, dummy_port(next++));
    }
    c.underlay_port = dummy_port(next++);
    c.encap_ip = *pkt::Ip4::parse("192.0.2.1");  // TEST-NET-1: nothing is sent
    return c;
}

// The next chassis to compile as: the first, in name order, not tried yet, that hosts a
// gateway (l3gateway-chassis, or a chassisredirect port's gateway or binding chassis). Only
// such a chassis can add datapaths: every VIF is already bound locally in each view. ""
// when there is none or every datapath is covered.
std::string next_gateway_chassis(const ovsdb::Snapshot& sb, const std::map<ovsdb::Uuid, std::string>& covered,
                                 const std::set<std::string>& tried) {
    if (covered.size() >= sb.datapaths.size()) return {};
    std::set<std::string> s;
    for (const auto& pb : sb.ports) {
        if (pb.type == "l3gateway")
            if (auto it = pb.options.find("l3gateway-chassis"); it != pb.options.end()) s.insert(it->second);
        if (pb.type == "chassisredirect") {
            for (const auto& g : pb.gateway_chassis) s.insert(g.chassis);
            s.insert(pb.chassis);
        }
    }
    s.erase("");
    for (const std::string& c : s)
        if (!tried.count(c)) return c;
    return {};
}

// A partial flow's detail, "unimplemented: ct_next ct_commit; not performed: put_arp", as
// {label: {action}}: each action counted once per flow.
std::map<std::string, std::set<std::string>> partial_actions(std::string_view detail) {
    std::map<std::string, std::set<std::string>> out;
    std::string_view d = detail;
    while (!d.empty()) {
        const auto semi = d.find(';');
        std::string_view part = d.substr(0, semi);
        d.remove_prefix(semi == std::string_view::npos ? d.size() : semi + 1);
        const auto colon = part.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view label = part.substr(0, colon);
        while (!label.empty() && label.front() == ' ') label.remove_prefix(1);
        std::string_view names = part.substr(colon + 1);
        while (!names.empty()) {
            const auto b = names.find_first_not_of(' ');
            if (b == std::string_view::npos) break;
            names.remove_prefix(b);
            const auto e = names.find(' ');
            out[std::string(label)].emplace(names.substr(0, e));
            names.remove_prefix(e == std::string_view::npos ? names.size() : e);
        }
    }
    return out;
}

// {name: count}, most frequent first, then by name.
Json by_count(const std::map<std::string, std::size_t>& m) {
    std::vector<std::pair<std::string, std::size_t>> order(m.begin(), m.end());
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    Json j = Json::object();
    for (const auto& [n, c] : order) j[n] = c;
    return j;
}

}  // namespace

Result<Json> lflow_check(const LflowCheckArgs& args) {
    auto loaded = ovsdb::load_snapshot(args.snapshot);
    if (!loaded) {
        // The loader names the file (or the table file) itself, mostly; never twice.
        if (loaded.error().find(args.snapshot) != std::string::npos) return make_error(loaded.error());
        return make_error(fmt::format("{}: {}", args.snapshot, loaded.error()));
    }
    const ovsdb::Snapshot& sb = *loaded;

    for (const std::string& v : args.vifs) {
        const bool known = std::any_of(sb.ports.begin(), sb.ports.end(),
                                       [&](const ovsdb::PortBinding& pb) { return pb.logical_port == v; });
        if (!known) return make_error(fmt::format("--vif {}: no such logical port in {}", v, args.snapshot));
    }

    // Views to compile, in order: ours (the dummy or --chassis), then - only when neither
    // --chassis nor --vif describes a particular node - gateway chassis while they add
    // datapaths. A later view only contributes the datapaths the earlier ones did not cover.
    const std::string first = args.chassis.empty() ? std::string(kDummyChassis) : args.chassis;
    const bool more_views = args.chassis.empty() && args.vifs.empty();
    std::set<std::string> tried;

    std::map<ovsdb::Uuid, std::string> covered;  // datapath -> the chassis it was compiled as
    std::size_t by_status[5] = {};
    std::size_t flows = 0, rules = 0;
    std::map<std::string, std::size_t> unimpl, skipped;
    Json problems = Json::array();
    Json warnings = Json::array();
    std::set<std::string> warned;
    Json passes = Json::array();
    Json compile_errors = Json::array();
    for (std::string chassis = first; !chassis.empty();
         chassis = more_views ? next_gateway_chassis(sb, covered, tried) : std::string()) {
        tried.insert(chassis);
        compiler::Compiler comp(local_config(sb, chassis, args.vifs));
        auto gen = comp.compile(sb, 1);
        if (!gen) {
            Json p = Json::object();
            p["chassis"] = chassis;
            p["error"] = gen.error();
            passes.push(std::move(p));
            // A node with this view would have no tables at all.
            compile_errors.push(fmt::format("as chassis {}: {}", chassis, gen.error()));
            continue;
        }
        const compiler::CompileReport& rep = comp.report();
        Json dps = Json::array();
        for (const auto& cdp : rep.datapaths) {
            if (!covered.emplace(cdp->binding->uuid, chassis).second) continue;
            dps.push(cdp->binding->name);
            for (const compiler::FlowReport& f : cdp->flows) {
                ++flows;
                ++by_status[static_cast<int>(f.status)];
                rules += f.n_matches;
                if (f.status == FlowStatus::Partial)
                    for (const auto& [label, names] : partial_actions(f.detail()))
                        for (const std::string& n : names) ++(label == "not performed" ? skipped : unimpl)[n];
                if (f.status != FlowStatus::Unsupported && f.status != FlowStatus::Invalid) continue;
                Json pr = Json::object();
                pr["datapath"] = cdp->binding->name;
                pr["datapath_key"] = cdp->binding->tunnel_key;
                pr["pipeline"] = f.pipe == engine::Pipe::Ingress ? "ingress" : "egress";
                pr["table"] = static_cast<unsigned>(f.table);
                pr["stage"] = f.stage();
                pr["priority"] = static_cast<unsigned>(f.priority);
                pr["uuid"] = f.uuid.to_string();
                pr["status"] = std::string(compiler::flow_status_name(f.status));
                pr["reason"] = std::string(f.detail());
                pr["match"] = f.match();
                pr["actions"] = f.actions();
                problems.push(std::move(pr));
            }
            for (const std::string& e : cdp->errors)
                if (warned.insert(fmt::format("datapath {}: {}", cdp->binding->name, e)).second)
                    warnings.push(fmt::format("datapath {}: {}", cdp->binding->name, e));
        }
        if (dps.as_array().empty() && chassis != first) continue;  // added nothing
        // Configuration warnings only from the first view: they describe its bindings.
        if (chassis == first)
            for (const std::string& w : rep.warnings)
                if (warned.insert(w).second) warnings.push(w);
        Json p = Json::object();
        p["chassis"] = chassis;
        p["datapaths"] = std::move(dps);
        passes.push(std::move(p));
    }

    // Datapaths no view made local, with how many logical flows they hold.
    std::map<ovsdb::Uuid, std::size_t> dp_flows;
    for (const auto& f : sb.logical_flows) {
        if (f.logical_datapath) ++dp_flows[*f.logical_datapath];
        for (const ovsdb::Uuid& d : f.group_datapaths) ++dp_flows[d];
    }
    Json unchecked = Json::array();
    std::size_t unchecked_flows = 0;
    for (const auto& d : sb.datapaths) {
        if (covered.count(d.uuid)) continue;
        Json u = Json::object();
        u["datapath"] = d.name;
        u["key"] = d.tunnel_key;
        u["logical_flows"] = dp_flows[d.uuid];
        unchecked_flows += dp_flows[d.uuid];
        unchecked.push(std::move(u));
    }

    std::size_t vif_count = 0;
    if (args.vifs.empty()) {
        for (const auto& pb : sb.ports) vif_count += vif_type(pb.type);
    } else {
        vif_count = args.vifs.size();
    }

    Json r = Json::object();
    r["snapshot"] = args.snapshot;
    r["chassis"] = first;
    r["chassis_given"] = !args.chassis.empty();
    r["vifs_bound"] = vif_count;
    r["vifs_given"] = !args.vifs.empty();
    r["datapaths"] = sb.datapaths.size();
    r["datapaths_checked"] = covered.size();
    r["logical_flows"] = sb.logical_flows.size();
    r["rejected_logical_flows"] = sb.rejected_logical_flows;
    r["flows_checked"] = flows;
    Json st = Json::object();
    for (int s = 0; s < 5; ++s) st[std::string(compiler::flow_status_name(static_cast<FlowStatus>(s)))] = by_status[s];
    r["by_status"] = std::move(st);
    r["engine_rules"] = rules;
    r["unimplemented"] = by_count(unimpl);   // compiled to counted drops
    r["not_performed"] = by_count(skipped);  // skipped, the packet goes on
    r["problems"] = std::move(problems);
    r["unchecked_datapaths"] = std::move(unchecked);
    r["unchecked_logical_flows"] = unchecked_flows;
    r["passes"] = std::move(passes);
    r["warnings"] = std::move(warnings);
    const std::size_t bad = by_status[static_cast<int>(FlowStatus::Unsupported)] +
                            by_status[static_cast<int>(FlowStatus::Invalid)] + sb.rejected_logical_flows;
    r["ok"] = bad == 0 && compile_errors.as_array().empty();
    r["compile_errors"] = std::move(compile_errors);
    return r;
}

}  // namespace scs::dpctl
