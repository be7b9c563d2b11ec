#include "compiler/compiler.h"

#include <time.h>

#include <functional>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/mix.h"

namespace scs::compiler {

namespace {

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// A hash over everything a datapath's compilation reads, one word at a time (strings
// through their hash): it runs over every port and flow of every local datapath per compile.
struct Fingerprint {
    uint64_t h = 1469598103934665603ull;
    void word(uint64_t v) { h = mix64(h ^ v) + 0x9e3779b97f4a7c15ull; }
    void str(std::string_view s) {
        word(std::hash<std::string_view>()(s));
        word(s.size());
    }
    template <typename T>
        requires std::is_integral_v<T> || std::is_enum_v<T>
    void pod(const T& v) {
        word(static_cast<uint64_t>(v));
    }
};

uint64_t global_names_fingerprint(const ovsdb::Snapshot& sb) {
    auto set_of = [](const std::string& name, const std::vector<std::string>& items) {
        Fingerprint f;
        f.str(name);
        uint64_t h = 0;
        for (const auto& x : items) h += mix64(std::hash<std::string_view>()(x));
        f.pod(h);
        return mix64(f.h);
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

CompileHint hint_from(const ovsdb::Changes& ch) {
    CompileHint h;
    h.ports_same = !ch.full_resync && ch.port_bindings.empty() && ch.port_rows.empty() && !ch.port_rows_all &&
                   ch.datapaths.empty() && !ch.chassis && !ch.gateway_chassis;
    // update_snapshot() copies the groups again whenever ports changed.
    h.groups_same = h.ports_same && ch.multicast_groups.empty() && ch.mcgroup_rows.empty() && !ch.mcgroup_rows_all;
    h.names_same = !ch.full_resync && !ch.address_sets && !ch.port_groups && !ch.sb_global;
    if (!ch.full_resync && !ch.lflow_rows_all) h.flow_rows = &ch.lflow_rows;
    if (!ch.full_resync && !ch.port_rows_all && !ch.port_rows.empty() && ch.datapaths.empty() && !ch.chassis &&
        !ch.gateway_chassis)
        h.port_rows = &ch.port_rows;
    return h;
}

Compiler::~Compiler() = default;

void Compiler::reset() {
    cache_.clear();
    flows_ = FlowTable{};
    view_ = View{};
    names_ = Names{};
    groups_fp_.clear();
}

Compiler::View::Rows Compiler::View::Rows::of(const ovsdb::Snapshot& s) {
    return Rows{&s, {s.ports.data(), s.datapaths.data(), s.chassis.data()},
                {s.ports.size(), s.datapaths.size(), s.chassis.size()}};
}

bool Compiler::View::same_rows(const ovsdb::Snapshot& s) const { return rows == Rows::of(s); }

bool Compiler::View::same_but_ports(const ovsdb::Snapshot& s) const {
    const Rows now = Rows::of(s);
    return rows.sb == now.sb && rows.data[1] == now.data[1] && rows.size[1] == now.size[1] &&
           rows.data[2] == now.data[2] && rows.size[2] == now.size[2];
}

const Compiler::View& Compiler::view_for(const ovsdb::Snapshot& sb, const CompileHint& hint) {
    view_reused_ = view_.view && hint.ports_same && view_.same_rows(sb);
    view_updated_ = false;
    if (view_reused_) return view_;
    // Only Port_Binding rows changed, all of them listed: placed again one by one.
    if (view_.view && !hint.ports_same && hint.port_rows && view_.ports_version != 0 &&
        sb.ports_version == view_.ports_version + 1 && view_.same_but_ports(sb)) {
        std::vector<ovsdb::Uuid> changed;
        changed.reserve(hint.port_rows->size());
        for (const auto& [u, row] : *hint.port_rows) changed.push_back(u);
        ViewDelta delta;
        if (view_.view->update(sb, changed, delta)) {
            view_updated_ = true;
            view_.rows = View::Rows::of(sb);
            view_.ports_version = sb.ports_version;
            view_.resident += delta.resident_added - delta.resident_removed;
            for (const ovsdb::Uuid& dp : delta.datapaths) view_.ports.erase(dp);
            return view_;
        }
    }
    view_ = View{};
    view_.ports_version = sb.ports_version;
    view_.view = std::make_unique<ChassisView>(sb, cfg_);
    view_.rows = View::Rows::of(sb);
    view_.claims = view_.view->claims();
    Fingerprint claims;
    for (const std::string& c : view_.claims) claims.str(c);
    view_.claims_h = claims.h;
    view_.rx = view_.view->rx_bindings();
    // Residency as is_chassis_resident() sees it (also of ports not claimed).
    view_.view->for_each_port([&](const PortPlacement& p) {
        if (p.resident) view_.resident += mix64(p.name_hash);
    });
    return view_;
}

Result<std::unique_ptr<engine::Generation>> Compiler::compile(const ovsdb::Snapshot& sb, uint64_t number,
                                                              const CompileHint& hint) {
    const uint64_t t0 = now_ns();
    const std::size_t parsed_before = flows_.parsed();
    flows_followed_ = hint.flow_rows && flows_.follows(sb, *hint.flow_rows);
    if (flows_followed_) flows_.apply(*hint.flow_rows);
    else flows_.load(sb.logical_flows);
    flows_.synced(sb);
    const View& vs = view_for(sb, hint);
    const ChassisView& view = *vs.view;
    if (!names_.tables || !hint.names_same) {
        names_.tables = std::make_unique<const NameTables>(sb);
        names_.fingerprint = global_names_fingerprint(sb);
    }
    const NameTables& names = *names_.tables;
    if (!view_reused_ || !hint.groups_same) groups_fp_.clear();

    // Flows (from the flow table), multicast groups and MAC bindings of each local datapath.
    struct Local {
        const ovsdb::DatapathBinding* dp = nullptr;
        const FlowBucket* flows = nullptr;
        std::vector<const ovsdb::MulticastGroup*> groups;
        uint64_t neighbors_h = 0;  // its MAC bindings and FDB rows (get_arp/lookup_arp/get_fdb answers)
    };
    std::vector<Local> locals;
    UuidSlots slot;
    slot.reserve(view.local_datapaths().size());
    locals.reserve(view.local_datapaths().size());
    for (const ovsdb::Uuid& dp : view.local_datapaths()) {
        slot.put(dp, static_cast<uint32_t>(locals.size()));
        locals.push_back(Local{view.datapath(dp), flows_.bucket(dp), {}, 0});
    }
    auto local_of = [&](const ovsdb::Uuid& u) -> Local* {
        const uint32_t at = slot.find(u);
        return at == UuidSlots::kNone ? nullptr : &locals[at];
    };
    for (const auto& g : sb.multicast_groups)
        if (g.datapath)
            if (Local* l = local_of(*g.datapath)) l->groups.push_back(&g);
    for (const auto& mb : sb.mac_bindings) {
        if (!mb.datapath) continue;
        if (Local* l = local_of(*mb.datapath)) {
            Fingerprint nf;
            nf.str(mb.logical_port);
            nf.str(mb.ip);
            nf.str(mb.mac);
            l->neighbors_h += mix64(nf.h);
        }
    }
    // FDB rows name their datapath by tunnel key (get_fdb/lookup_fdb answers).
    for (const auto& e : sb.fdb) {
        if (e.dp_key <= 0 || e.dp_key > 0xffffffffll) continue;
        const ovsdb::DatapathBinding* dp = view.datapath_by_key(static_cast<uint32_t>(e.dp_key));
        if (Local* l = dp ? local_of(dp->uuid) : nullptr) {
            Fingerprint nf;
            nf.str("fdb");
            nf.str(e.mac);
            nf.pod(e.port_key);
            l->neighbors_h += mix64(nf.h);
        }
    }

    // Things every datapath's compilation depends on: residency (is_chassis_resident), the
    // tunnels (Remote entries) and the global names.
    Fingerprint global;
    global.word(names_.fingerprint);
    global.word(vs.claims_h);
    for (const auto& t : view.tunnels()) {
        global.str(t.chassis);
        global.pod(t.remote_ip);
    }

    Fingerprint resident;
    resident.word(global.h);
    resident.word(vs.resident);

    auto gen = std::make_unique<engine::Generation>();
    gen->number = number;
    CompileReport rep;
    rep.stats.datapaths = locals.size();
    std::map<ovsdb::Uuid, Cached> next_cache;
    for (Local& local : locals) {
        const ovsdb::DatapathBinding* dp = local.dp;
        const ovsdb::Uuid& uuid = dp->uuid;
        static const std::vector<FlowRef> kNoFlows;
        const std::vector<FlowRef>& dp_flows = local.flows ? local.flows->flows : kNoFlows;
        Fingerprint fp;
        fp.word(global.h);
        fp.pod(dp->tunnel_key);
        fp.str(dp->name);
        for (const auto& [k, v] : dp->external_ids) {
            fp.str(k);
            fp.str(v);
        }
        // The names this datapath's flows resolve, then the flows.
        // Rows come in no particular order (the IDL's hash order changes as rows come and
        // go): flows, ports and groups are combined order-independently, so an unchanged
        // datapath keeps its fingerprint whatever the order of the snapshot.
        Fingerprint env;
        env.word(resident.h);
        env.pod(dp->tunnel_key);  // the datapath's port group names are "<tunnel key>_<name>"
        const uint64_t names_but_keys = env.h;
        auto [ports_fp, fresh] = view_.ports.try_emplace(uuid);
        if (fresh) {  // once per view: ports only change with it
            for (const PortPlacement& p : view.ports(uuid)) {
                ports_fp->second.first += p.key_digest;
                ports_fp->second.second += p.digest;
            }
        }
        const auto [keys_h, ports_h] = ports_fp->second;
        env.word(keys_h);
        auto [groups_fp, groups_fresh] = groups_fp_.try_emplace(uuid);
        if (groups_fresh) {
            for (const ovsdb::MulticastGroup* g : local.groups) {
                Fingerprint gf;
                gf.str(g->name);
                gf.pod(g->tunnel_key);
                groups_fp->second.first += mix64(gf.h);
                gf.word(g->ports_hash ? g->ports_hash : ovsdb::members_hash(*g));
                groups_fp->second.second += mix64(gf.h);
            }
        }
        const auto [group_keys_h, groups_h] = groups_fp->second;
        env.word(group_keys_h);
        fp.word(env.h);
        fp.word(local.neighbors_h);
        fp.word(ports_h);
        fp.word(groups_h);
        const uint64_t but_flows = fp.h ? fp.h : 1;  // for the aux stages (compile_datapath())
        fp.word(local.flows ? local.flows->hash : 0);
        std::shared_ptr<const CompiledDatapath> out;
        auto old = cache_.find(uuid);
        std::shared_ptr<MatchCache> matches = old != cache_.end() ? old->second.matches : nullptr;
        if (!matches) matches = std::make_shared<MatchCache>();
        if (old != cache_.end() && old->second.fingerprint == fp.h) {
            out = old->second.out;
        } else {
            auto c = compile_datapath(*dp, dp_flows, sb, view, names, matches.get(), but_flows,
                                      NamesEnv{env.h ? env.h : 1, names_but_keys ? names_but_keys : 1});
            // Flows and ports gone from the datapath leave the cache - once they are as many
            // as those left (entries are checked before use; this bounds the memory, and a
            // removal does not cost a pass over every flow of the datapath).
            if (matches->by_flow.size() > 2 * dp_flows.size() + 64) {
                std::set<ovsdb::Uuid> live;
                for (const FlowRef& f : dp_flows) live.insert(f->uuid);
                std::erase_if(matches->by_flow, [&](const auto& e) { return !live.count(e.first); });
            }
            const auto& dp_ports = view.ports(uuid);
            for (auto& by_port : matches->port_sec) {
                if (by_port.size() <= 2 * dp_ports.size() + 64) continue;
                std::set<std::string_view> live;
                for (const PortPlacement& p : dp_ports) live.insert(p.pb->logical_port);
                std::erase_if(by_port, [&](const auto& e) { return !live.count(e.first); });
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
            rep.stats.amended += out->amended;
        }
        next_cache[uuid] = Cached{fp.h, out, std::move(matches)};
        gen->datapaths.push_back(out->dp);
        rep.stats.flows += out->flows.size();
        for (int st = 0; st < 5; ++st) rep.stats.by_status[st] += out->by_status[st];
        rep.stats.rules += out->rules;
        for (const std::string& e : out->errors) rep.warnings.push_back(fmt::format("datapath {}: {}", dp->name, e));
        rep.datapaths.push_back(std::move(out));
    }
    cache_ = std::move(next_cache);
    gen->tunnels = view.tunnels();
    gen->underlay = view.underlay();
    gen->rx = vs.rx;
    gen->index();
    for (const std::string& w : view.warnings()) rep.warnings.push_back(w);
    rep.claims = vs.claims;
    rep.stats.parsed = flows_.parsed() - parsed_before;
    rep.stats.elapsed_ns = now_ns() - t0;
    gen->created_ns = now_ns();
    report_ = std::move(rep);
    return gen;
}

}  // namespace scs::compiler
