#include "compiler/compiler.h"

#include <time.h>

#include <fmt/format.h>

namespace scs::compiler {

namespace {

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// FNV-1a over everything a datapath's compilation reads.
struct Fingerprint {
    uint64_t h = 1469598103934665603ull;
    void bytes(const void* p, std::size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    }
    void str(const std::string& s) {
        bytes(s.data(), s.size());
        bytes("\0", 1);
    }
    template <typename T>
    void pod(const T& v) {
        bytes(&v, sizeof v);
    }
};

uint64_t global_names_fingerprint(const ovsdb::Snapshot& sb) {
    Fingerprint f;
    for (const auto& a : sb.address_sets) {
        f.str(a.name);
        for (const auto& x : a.addresses) f.str(x);
    }
    for (const auto& g : sb.port_groups) {
        f.str(g.name);
        for (const auto& x : g.ports) f.str(x);
    }
    for (const auto& [k, v] : sb.sb_global_options) {
        f.str(k);
        f.str(v);
    }
    return f.h;
}

}  // namespace

void Compiler::reset() {
    cache_.clear();
    parse_ = ParseCache{};
}

Result<std::unique_ptr<engine::Generation>> Compiler::compile(const ovsdb::Snapshot& sb, uint64_t number) {
    const uint64_t t0 = now_ns();
    const std::size_t parsed_before = parse_.parsed();
    ChassisView view(sb, cfg_);
    const NameTables names(sb);

    // Flows of local datapaths, directly or through their datapath group.
    std::map<ovsdb::Uuid, std::vector<const ovsdb::LogicalFlow*>> flows;
    for (const ovsdb::Uuid& dp : view.local_datapaths()) flows[dp];
    for (const auto& f : sb.logical_flows) {
        if (f.logical_datapath) {
            auto it = flows.find(*f.logical_datapath);
            if (it != flows.end()) it->second.push_back(&f);
        } else {
            for (const ovsdb::Uuid& dp : f.group_datapaths) {
                auto it = flows.find(dp);
                if (it != flows.end()) it->second.push_back(&f);
            }
        }
    }

    // Things every datapath's compilation depends on: residency (is_chassis_resident), the
    // tunnels (Remote entries) and the global names.
    Fingerprint global;
    global.pod(global_names_fingerprint(sb));
    for (const std::string& c : view.claims()) global.str(c);
    for (const auto& t : view.tunnels()) {
        global.str(t.chassis);
        global.pod(t.remote_ip);
    }

    // Residency as is_chassis_resident() sees it (also of ports not claimed).
    Fingerprint resident;
    resident.pod(global.h);
    for (const auto& p : sb.ports)
        if (const PortPlacement* pl = view.port(p.logical_port); pl && pl->chassis == cfg_.chassis)
            resident.str(p.logical_port);

    auto gen = std::make_unique<engine::Generation>();
    gen->number = number;
    CompileReport rep;
    rep.stats.datapaths = flows.size();
    std::map<ovsdb::Uuid, Cached> next_cache;
    for (auto& [uuid, dp_flows] : flows) {
        const ovsdb::DatapathBinding* dp = view.datapath(uuid);
        Fingerprint fp;
        fp.pod(global.h);
        fp.pod(dp->tunnel_key);
        fp.str(dp->name);
        for (const auto& [k, v] : dp->external_ids) {
            fp.str(k);
            fp.str(v);
        }
        // The names this datapath's flows resolve (MatchCache::env), then the flows.
        Fingerprint env;
        env.pod(resident.h);
        for (const PortPlacement& p : view.ports(uuid)) {
            env.str(p.pb->logical_port);
            env.pod(p.pb->tunnel_key);
        }
        for (const auto& g : sb.multicast_groups) {
            if (g.datapath != uuid) continue;
            env.str(g.name);
            env.pod(g.tunnel_key);
        }
        fp.pod(env.h);
        for (const auto* f : dp_flows) {
            fp.pod(f->uuid);
            fp.pod(f->pipeline);
            fp.pod(f->table_id);
            fp.pod(f->priority);
            fp.str(f->match);
            fp.str(f->actions);
            fp.str(f->stage_name);
        }
        for (const PortPlacement& p : view.ports(uuid)) {
            fp.str(p.pb->logical_port);
            fp.pod(p.pb->tunnel_key);
            fp.pod(p.entry.kind);
            fp.pod(p.entry.tx_port);
            fp.pod(p.entry.vlan);
            fp.pod(p.entry.tunnel);
            fp.pod(p.entry.peer_dp);
            fp.pod(p.entry.peer_port);
            for (const auto& s : p.pb->port_security) fp.str(s);
        }
        for (const auto& g : sb.multicast_groups) {
            if (g.datapath != uuid) continue;
            fp.str(g.name);
            fp.pod(g.tunnel_key);
            for (const auto& n : g.ports) fp.str(n);
        }
        std::shared_ptr<const CompiledDatapath> out;
        auto old = cache_.find(uuid);
        std::shared_ptr<MatchCache> matches = old != cache_.end() ? old->second.matches : nullptr;
        if (!matches) matches = std::make_shared<MatchCache>();
        if (old != cache_.end() && old->second.fingerprint == fp.h) {
            out = old->second.out;
        } else {
            if (matches->env != env.h) *matches = MatchCache{env.h, {}};
            auto c = compile_datapath(*dp, dp_flows, sb, view, names, parse_, matches.get());
            // Flows gone from the datapath leave the cache.
            if (matches->by_flow.size() > dp_flows.size()) {
                std::set<ovsdb::Uuid> live;
                for (const auto* f : dp_flows) live.insert(f->uuid);
                std::erase_if(matches->by_flow, [&](const auto& e) { return !live.count(e.first); });
            }
            if (!c) return make_error(c.error());
            // The result outlives this snapshot (shared with later generations): it points
            // at its own copy of the Datapath_Binding row.
            struct Owned {
                ovsdb::DatapathBinding binding;
                CompiledDatapath compiled;
            };
            auto owned = std::make_shared<Owned>(Owned{*dp, std::move(*c)});
            owned->compiled.binding = &owned->binding;
            out = std::shared_ptr<const CompiledDatapath>(owned, &owned->compiled);
            ++rep.stats.recompiled;
        }
        next_cache[uuid] = Cached{fp.h, out, std::move(matches)};
        gen->datapaths.push_back(out->dp);
        rep.stats.flows += out->flows.size();
        for (const FlowReport& f : out->flows) {
            ++rep.stats.by_status[static_cast<int>(f.status)];
            rep.stats.rules += f.n_matches;
        }
        for (const std::string& e : out->errors) rep.warnings.push_back(fmt::format("datapath {}: {}", dp->name, e));
        rep.datapaths.push_back(std::move(out));
    }
    cache_ = std::move(next_cache);
    std::vector<ovsdb::Uuid> live;
    live.reserve(sb.logical_flows.size());
    for (const auto& f : sb.logical_flows) live.push_back(f.uuid);
    if (parse_.size() > live.size() + live.size() / 4 + 1024) parse_.retain(live);

    gen->tunnels = view.tunnels();
    gen->underlay = view.underlay();
    gen->rx = view.rx_bindings();
    gen->index();
    for (const std::string& w : view.warnings()) rep.warnings.push_back(w);
    rep.claims = view.claims();
    rep.stats.parsed = parse_.parsed() - parsed_before;
    rep.stats.elapsed_ns = now_ns() - t0;
    gen->created_ns = now_ns();
    report_ = std::move(rep);
    return gen;
}

}  // namespace scs::compiler
