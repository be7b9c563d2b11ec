#include "compiler/aux_stages.h"

#include <atomic>

#include <fmt/format.h>

#include "common/mix.h"
#include "compiler/chassis_view.h"
#include "compiler/compile_datapath.h"
#include "compiler/port_security.h"
#include "compiler/resolver_deps.h"
#include "engine/builder.h"
#include "packet/addr.h"

namespace scs::compiler {

using engine::Pipe;

const char* aux_stage_name(AuxKind k) {
    switch (k) {
        case AuxKind::PortSecIn: return "check_in_port_sec";
        case AuxKind::PortSecOut: return "check_out_port_sec";
        case AuxKind::GetArp: return "get_arp";
        case AuxKind::GetNd: return "get_nd";
        case AuxKind::LookupArp: return "lookup_arp";
        case AuxKind::LookupArpIp: return "lookup_arp_ip";
        case AuxKind::LookupNd: return "lookup_nd";
        case AuxKind::LookupNdIp: return "lookup_nd_ip";
        case AuxKind::GetFdb: return "get_fdb";
        case AuxKind::LookupFdb: return "lookup_fdb";
        case AuxKind::Count: break;
    }
    return "?";
}

namespace {

bool same(const BitRef& a, const BitRef& b) { return a.field == b.field && a.bit == b.bit && a.n_bits == b.n_bits; }

// Value and mask bytes (the field's width, network order) for `n_bits` of `v` (right-aligned
// big-endian, 16 bytes) at bit `r.bit` of the field.
void place_bits(const BitRef& r, const uint8_t* v16, uint8_t* val, uint8_t* mask) {
    const unsigned w = engine::field_info(r.field).width;
    for (unsigned i = 0; i < r.n_bits; ++i) {
        const unsigned dst = r.bit + i;
        const uint8_t m = static_cast<uint8_t>(1u << (dst % 8));
        mask[w - 1 - dst / 8] |= m;
        if ((v16[15 - i / 8] >> (i % 8)) & 1) val[w - 1 - dst / 8] |= m;
    }
}

void match_bits(engine::Match& m, const BitRef& r, const uint8_t* v16) {
    const engine::FieldInfo& fi = engine::field_info(r.field);
    uint8_t val[16] = {}, mask[16] = {};
    place_bits(r, v16, val, mask);
    m.set_bytes(fi.offset, {val, fi.width}, {mask, fi.width});
}

void load_bits(engine::ActionBuilder& ab, const BitRef& r, const uint8_t* v16) {
    const engine::FieldInfo& fi = engine::field_info(r.field);
    uint8_t val[16] = {}, mask[16] = {};
    place_bits(r, v16, val, mask);
    ab.load_masked(r.field, {val, fi.width}, {mask, fi.width});
}

std::array<uint8_t, 16> u32_be16(uint32_t x) {
    std::array<uint8_t, 16> v{};
    for (int i = 0; i < 4; ++i) v[static_cast<std::size_t>(15 - i)] = static_cast<uint8_t>(x >> (8 * i));
    return v;
}

std::array<uint8_t, 16> mac_be16(const pkt::Mac& m) {
    std::array<uint8_t, 16> v{};
    for (int i = 0; i < 6; ++i) v[static_cast<std::size_t>(10 + i)] = m.b[static_cast<std::size_t>(i)];
    return v;
}

// A port's cached port-security rules, built again if its column or what it resolved changed.
MatchCache::PortSecEntry& port_sec_entry(const PortPlacement& p, bool ingress, const DepCheck& names, MatchCache& cache,
                                         bool refresh = true) {
    static std::atomic<uint64_t> versions{0};
    auto& by_port = cache.port_sec[ingress ? 0 : 1];
    const std::string& name = p.pb->logical_port;
    auto it = by_port.find(name);
    if (it == by_port.end()) it = by_port.emplace(name, MatchCache::PortSecEntry{}).first;
    MatchCache::PortSecEntry& e = it->second;
    const bool build = !e.built || (refresh && (e.port_security != p.pb->port_security || !names.hold(e.deps, e.checked)));
    if (build) {
        e.built = true;
        e.version = versions.fetch_add(1, std::memory_order_relaxed) + 1;
        e.port_security = p.pb->port_security;
        e.deps.clear();
        e.errors.clear();
        e.flows = port_security_flows(*p.pb, ingress, RecordingResolver(names, e.deps), e.errors);
    }
    if (build || refresh) e.checked = names.epoch();  // recorded now, or found to hold
    return e;
}

// Every port's rules (or those in `only`), each port with its own two action lists so that
// an amended stage can drop one port's rules (PortSecLog).
Result<void> emit_port_sec(engine::DatapathBuilder& b, Pipe pipe, uint8_t table, bool ingress, const BitRef& result,
                           const ovsdb::DatapathBinding& dp, const ChassisView& view, const DepCheck& names,
                           MatchCache* cache, std::vector<std::string>& errors, const std::set<std::string_view>* only,
                           PortSecLog* log) {
    const std::array<uint8_t, 16> zero{};
    for (const PortPlacement& p : view.ports(dp.uuid)) {
        const std::string& name = p.pb->logical_port;
        Result<std::vector<PortSecFlow>> uncached = std::vector<PortSecFlow>{};
        Result<std::vector<PortSecFlow>>* rules = &uncached;
        uint64_t version = 0;
        if (cache) {
            // With `only`, the caller has just made every entry current (refresh_port_sec()).
            MatchCache::PortSecEntry& e = port_sec_entry(p, ingress, names, *cache, only == nullptr);
            errors.insert(errors.end(), e.errors.begin(), e.errors.end());
            rules = &e.flows;
            version = e.version;
        } else {
            uncached = port_security_flows(*p.pb, ingress, names.resolver(), errors);
        }
        if (!*rules) return make_error(fmt::format("port security of {}: {}", name, rules->error()));
        if (only && !only->count(name)) continue;
        PortSecRules logged{version, {engine::kNoAction, engine::kNoAction}, 0};
        uint32_t(&act)[2] = logged.actions;
        for (const PortSecFlow& r : **rules) {
            uint32_t& a = act[r.allow ? 1 : 0];
            if (a == engine::kNoAction) {
                engine::ActionBuilder ab = b.actions(pipe, table);
                if (r.allow) load_bits(ab, result, zero.data());
                a = ab.done();
            }
            r.matches.for_each([&](const engine::Match& m) { b.flow(pipe, table, r.priority, m, a); });
            logged.n_specs += static_cast<uint32_t>(r.matches.size());
        }
        if (log) (*log)[name] = logged;
    }
    return {};
}

// get_*/lookup_* from the datapath's MAC bindings.
Result<void> emit_neighbors(engine::DatapathBuilder& b, Pipe pipe, uint8_t table, AuxKind k, const AuxUse& use,
                            const ovsdb::DatapathBinding& dp, const ovsdb::Snapshot& sb, const lflow::Resolver& resolver,
                            std::vector<std::string>& errors) {
    const bool v6 = k == AuxKind::GetNd || k == AuxKind::LookupNd || k == AuxKind::LookupNdIp;
    const bool with_mac = k == AuxKind::LookupArp || k == AuxKind::LookupNd;
    const bool get = k == AuxKind::GetArp || k == AuxKind::GetNd;
    const std::array<uint8_t, 16> one = u32_be16(1);
    const BitRef eth_dst{engine::Field::EthDst, 0, 48};
    for (const ovsdb::MacBinding& mb : sb.mac_bindings) {
        if (mb.datapath != dp.uuid) continue;
        auto port = resolver.port_key(mb.logical_port);
        auto mac = pkt::Mac::parse(mb.mac);
        std::array<uint8_t, 16> ip{};
        bool ip_ok = false;
        if (v6) {
            if (auto a = pkt::Ip6::parse(mb.ip)) {
                std::copy(a->b.begin(), a->b.end(), ip.begin());
                ip_ok = true;
            }
        } else if (auto a = pkt::Ip4::parse(mb.ip)) {
            ip = u32_be16(a->v);
            ip_ok = true;
        }
        if (!mac) errors.push_back(fmt::format("MAC binding {} {} on {}: bad MAC", mb.ip, mb.mac, mb.logical_port));
        if (!port || !mac || !ip_ok) continue;  // other family, or a port of another datapath
        engine::Match m;
        const std::array<uint8_t, 16> pk = u32_be16(*port);
        match_bits(m, use.args[0], pk.data());
        match_bits(m, use.args[1], ip.data());
        const std::array<uint8_t, 16> mv = mac_be16(*mac);
        if (with_mac) match_bits(m, use.args[2], mv.data());
        engine::ActionBuilder ab = b.actions(pipe, table);
        load_bits(ab, get ? eth_dst : use.result, get ? mv.data() : one.data());
        b.flow(pipe, table, 100, m, ab.done());
    }
    return {};
}

// get_fdb(mac): the port a MAC was learned on; lookup_fdb(port, mac): 1 if it was learned on
// that port. From the datapath's FDB rows (by tunnel key, as OVN keys them).
Result<void> emit_fdb(engine::DatapathBuilder& b, Pipe pipe, const AuxUse& use, const ovsdb::DatapathBinding& dp,
                      const ovsdb::Snapshot& sb, std::vector<std::string>& errors) {
    const bool get = use.kind == AuxKind::GetFdb;
    if (use.args.size() != (get ? 1u : 2u))
        return make_error(fmt::format("{} arguments, expected {}", use.args.size(), get ? 1 : 2));
    const std::array<uint8_t, 16> one = u32_be16(1);
    for (const ovsdb::FdbEntry& e : sb.fdb) {
        if (e.dp_key != dp.tunnel_key) continue;
        const auto mac = pkt::Mac::parse(e.mac);
        if (!mac || e.port_key <= 0 || e.port_key >= engine::Datapath::kMcastBase) {
            errors.push_back(fmt::format("FDB {} on port key {}: bad MAC or port key", e.mac, e.port_key));
            continue;
        }
        const std::array<uint8_t, 16> mv = mac_be16(*mac), pk = u32_be16(static_cast<uint32_t>(e.port_key));
        engine::Match m;
        if (!get) match_bits(m, use.args[0], pk.data());
        match_bits(m, use.args[get ? 0 : 1], mv.data());
        engine::ActionBuilder ab = b.actions(pipe, use.table);
        load_bits(ab, use.result, get ? pk.data() : one.data());
        b.flow(pipe, use.table, 100, m, ab.done());
    }
    return {};
}

}  // namespace

Result<uint8_t> AuxStages::note(AuxKind k, const BitRef* result, std::vector<BitRef> args) {
    for (const AuxUse& u : use) {
        bool ok = u.kind == k && (result == nullptr || same(*result, u.result)) && args.size() == u.args.size();
        for (std::size_t i = 0; ok && i < args.size(); ++i) ok = same(args[i], u.args[i]);
        if (ok) return u.table;
    }
    if (use.size() == kAuxSlots)
        return make_error(fmt::format("more than {} distinct lookup calls in one pipeline", kAuxSlots));
    AuxUse u;
    u.kind = k;
    if (result) u.result = *result;
    u.args = std::move(args);
    u.table = static_cast<uint8_t>(first_table + use.size());
    use.push_back(std::move(u));
    return use.back().table;
}

bool is_port_sec(AuxKind k) { return k == AuxKind::PortSecIn || k == AuxKind::PortSecOut; }

void refresh_port_sec(AuxKind k, const ovsdb::DatapathBinding& dp, const ChassisView& view, const DepCheck& names,
                      MatchCache& cache) {
    for (const PortPlacement& p : view.ports(dp.uuid)) port_sec_entry(p, k == AuxKind::PortSecIn, names, cache);
}

Result<void> emit_port_sec_of(engine::DatapathBuilder& b, Pipe pipe, const AuxUse& u, const ovsdb::DatapathBinding& dp,
                              const ChassisView& view, const DepCheck& names, MatchCache& cache,
                              const std::set<std::string_view>& only, PortSecLog& log, std::vector<std::string>& errors) {
    auto r = emit_port_sec(b, pipe, u.table, u.kind == AuxKind::PortSecIn, u.result, dp, view, names, &cache, errors,
                           &only, &log);
    if (!r) return make_error(fmt::format("{}: {}", aux_stage_name(u.kind), r.error()));
    return {};
}

Result<void> emit_aux_stage(engine::DatapathBuilder& b, Pipe pipe, const AuxUse& u, const ovsdb::DatapathBinding& dp,
                            const ovsdb::Snapshot& sb, const ChassisView& view, const DepCheck& names, MatchCache* cache,
                            std::vector<std::string>& errors, PortSecLog* log) {
    const AuxKind k = u.kind;
    const uint8_t table = u.table;
    Result<void> r;
    if (is_port_sec(k))
        r = emit_port_sec(b, pipe, table, k == AuxKind::PortSecIn, u.result, dp, view, names, cache, errors, nullptr,
                          log);
    else if (k == AuxKind::GetFdb || k == AuxKind::LookupFdb)
        r = emit_fdb(b, pipe, u, dp, sb, errors);
    else
        r = emit_neighbors(b, pipe, table, k, u, dp, sb, names.resolver(), errors);
    if (!r) return make_error(fmt::format("{}: {}", aux_stage_name(k), r.error()));
    // Anything else: the caller's default answer stands and the call returns.
    b.flow(pipe, table, 0, engine::Match{}, b.actions(pipe, table).done());
    return {};
}

std::optional<AuxKind> aux_call_kind(std::string_view action) {
    static const std::pair<std::string_view, AuxKind> kinds[] = {
        {"check_in_port_sec", AuxKind::PortSecIn}, {"check_out_port_sec", AuxKind::PortSecOut},
        {"get_arp", AuxKind::GetArp},              {"get_nd", AuxKind::GetNd},
        {"lookup_arp", AuxKind::LookupArp},        {"lookup_arp_ip", AuxKind::LookupArpIp},
        {"lookup_nd", AuxKind::LookupNd},          {"lookup_nd_ip", AuxKind::LookupNdIp},
        {"get_fdb", AuxKind::GetFdb},              {"lookup_fdb", AuxKind::LookupFdb},
    };
    for (const auto& [n, k] : kinds)
        if (action == n) return k;
    return std::nullopt;
}

std::string aux_stage_title(const AuxUse& u) {
    return fmt::format("{}{}", aux_stage_name(u.kind), u.args.empty() ? "" : "()");
}

uint64_t aux_use_digest(const AuxUse& u) {
    auto ref = [](const BitRef& r) {
        return static_cast<uint64_t>(r.field) << 32 | static_cast<uint64_t>(r.bit) << 16 | r.n_bits;
    };
    uint64_t h = mix64(static_cast<uint64_t>(u.kind) << 8 | u.table);
    h = mix64(h ^ ref(u.result));
    for (const BitRef& a : u.args) h = mix64(h ^ ref(a));
    return h;
}

}  // namespace scs::compiler
