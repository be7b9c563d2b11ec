#include "compiler/compiler.h"

#include <time.h>

#include <functional>
#include <string_view>

#include <fmt/format.h>

namespace scs::compiler {

namespace {

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// FNV-1a over everything a datapath's compilation reads (strings through their hash).
struct Fingerprint {
    uint64_t h = 1469598103934665603ull;
    void bytes(const void* p, std::size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
    }
    void str(const std::string& s) {  // a word at a time: flows' text is megabytes
        pod(std::hash<std::string_view>()(s));
        pod(s.size());
    }
    template <typename T>
    void pod(const T& v) {
        bytes(&v, sizeof v);
    }
};

// A 64-bit finaliser (splitmix64), so that sums of fingerprints do not cancel out.
uint64_t mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t global_names_fingerprint(const ovsdb::Snapshot& sb) {
    auto set_of = [](const std::string& name, const std::vector<std::string>& items) {
        Fingerprint f;
        f.str(name);
        uint64_t h = 0;
        for (const auto& x : items) h += mix(std::hash<std::string_view>()(x));
        f.pod(h);
        return mix(f.h);
    };
    uint64_t sets = 0, groups = 0;
    for (const auto& a : sb.address_sets) sets += set_of(a.name, a.addresses);
    for (const auto& g : sb.port_groups) groups += set_of(g.name, g.ports);
    Fingerprint f;
    f.pod(sets);
    f.pod(groups);
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
    uint64_t resident_h = 0;
    for (const auto& p : sb.ports)
        if (const PortPlacement* pl = view.port(p.logical_port); pl && pl->chassis == cfg_.chassis)
            resident_h += mix(std::hash<std::string_view>()(p.logical_port));
    resident.pod(resident_h);

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
        uint64_t keys_h = 0;
        for (const PortPlacement& p : view.ports(uuid)) {
            Fingerprint kf;
            kf.str(p.pb->logical_port);
            kf.pod(p.pb->tunnel_key);
            keys_h += mix(kf.h);
        }
        env.pod(keys_h);
        uint64_t group_keys_h = 0;
        for (const auto& g : sb.multicast_groups) {
            if (g.datapath != uuid) continue;
            Fingerprint gf;
            gf.str(g.name);
            gf.pod(g.tunnel_key);
            group_keys_h += mix(gf.h);
        }
        env.pod(group_keys_h);
        fp.pod(env.h);
        // Rows come in no particular order (the IDL's hash order changes as rows come and
        // go): flows and ports are combined order-independently, so an unchanged datapath
        // keeps its fingerprint whatever the order of the snapshot.
        uint64_t flows_h = 0, ports_h = 0;
        for (const auto* f : dp_flows)
            flows_h += mix(f->content_hash ? f->content_hash : ovsdb::content_hash(*f));
        for (const PortPlacement& p : view.ports(uuid)) {
            Fingerprint pf;
            pf.str(p.pb->logical_port);
            pf.pod(p.pb->tunnel_key);
            pf.pod(p.entry.kind);
            pf.pod(p.entry.tx_port);
            pf.pod(p.entry.vlan);
            pf.pod(p.entry.tunnel);
            pf.pod(p.entry.peer_dp);
            pf.pod(p.entry.peer_port);
            for (const auto& s : p.pb->port_security) pf.str(s);
            ports_h += mix(pf.h);
        }
        fp.pod(flows_h);
        fp.pod(ports_h);
        uint64_t groups_h = 0;
        for (const auto& g : sb.multicast_groups) {
            if (g.datapath != uuid) continue;
            Fingerprint gf;
            gf.str(g.name);
            gf.pod(g.tunnel_key);
            uint64_t members = 0;
            for (const auto& n : g.ports) members += mix(std::hash<std::string_view>()(n));
            gf.pod(members);
            groups_h += mix(gf.h);
        }
        fp.pod(groups_h);
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
