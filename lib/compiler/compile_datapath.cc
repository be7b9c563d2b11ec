#include "compiler/compile_datapath.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "compiler/lower_actions.h"
#include "compiler/aux_stages.h"
#include "compiler/name_index.h"
#include "common/mix.h"
#include "engine/builder.h"

namespace scs::compiler {

using engine::Pipe;

bool StageUnit::replay(AuxStages& stages) const {
    for (const AuxCall& c : aux) {
        auto got = stages.note(c.kind, c.result ? &*c.result : nullptr, c.args);
        if (!got || *got != c.table) return false;
    }
    return true;
}

std::string_view flow_status_name(FlowStatus s) {
    switch (s) {
        case FlowStatus::Compiled: return "compiled";
        case FlowStatus::Partial: return "partial";
        case FlowStatus::NeverMatches: return "never-matches";
        case FlowStatus::Unsupported: return "unsupported";
        case FlowStatus::Invalid: return "invalid";
    }
    return "?";
}

namespace {

// The conjunction of two disjunctions: every compatible pair, merged.
std::vector<lflow::Conj> and_conjs(const std::vector<lflow::Conj>& a, const std::vector<lflow::Conj>& b) {
    std::vector<lflow::Conj> out;
    for (const lflow::Conj& x : a) {
        for (const lflow::Conj& y : b) {
            lflow::Conj m = x;
            if (lflow::merge_into(m, y)) out.push_back(m);
        }
    }
    return out;
}

// A flow's match, ANDed with its actions' prerequisites, as packed engine matches.
Result<PackedMatches> lower_match(const ParsedFlow& p, const lflow::Resolver& by) {
    auto r = lflow::to_conjs(*p.expr, by);
    if (!r) return make_error(r.error());
    if (p.action_prereqs) {
        auto pre = lflow::to_conjs(*p.action_prereqs, by);
        if (!pre) return make_error(pre.error());
        *r = and_conjs(*r, *pre);
    }
    return PackedMatches(*r);
}

// Whether a flow's actions call an aux stage (aux_stages.h), in nested bodies too.
bool calls_aux(const lflow::ActionList& l) {
    for (const lflow::Action& a : l) {
        if (a.kind == lflow::Action::Kind::Call && aux_call_kind(a.name)) return true;
        if (calls_aux(a.body)) return true;
    }
    return false;
}
bool calls_aux(const ParsedFlow& f) { return f.actions && calls_aux(*f.actions); }

std::string_view placement_name(const PortPlacement& p) { return p.pb->logical_port; }

// Half of a stage's code is left behind by flows amended away: build it whole again.
bool mostly_dead(const engine::StageBlock& b) { return 2 * b.dead_insns > b.code_end - b.code_begin; }

// A port-security log's action offsets made relative to where its stage's code begins.
void relative(PortSecLog& log, uint32_t base) {
    for (auto& [name, rules] : log)
        for (uint32_t& a : rules.actions)
            if (a != engine::kNoAction) a -= base;
}

struct PipeShape {
    std::vector<std::string> names;  // OVN tables, then the aux stages (aux_stages.h)
    uint8_t first_aux = 0;           // table id of the first aux stage
};

PipeShape shape(const std::vector<FlowRef>& flows, Pipe pipe) {
    unsigned n = 0;
    for (const FlowRef& f : flows)
        if (f->pipe == pipe) n = std::max(n, f->table + 1u);
    // Each table's name from the first of its flows that has one (all of a table's flows
    // name the same stage): one string copy per table, not per flow.
    std::vector<const std::string*> named(n, nullptr);
    for (const FlowRef& f : flows)
        if (f->pipe == pipe && !named[f->table] && !f->stage.empty()) named[f->table] = &f->stage;
    PipeShape s;
    s.names.reserve(n + kAuxSlots);
    for (unsigned t = 0; t < n; ++t) s.names.push_back(named[t] ? *named[t] : fmt::format("table{}", t));
    s.first_aux = static_cast<uint8_t>(n);
    for (unsigned k = 0; k < kAuxSlots; ++k) s.names.emplace_back(fmt::format("aux{}", k));
    return s;
}

// What changed in the names the datapath's resolver answers from since the cache's last
// compile; the cache then holds this compile's (MatchCache::names_env, keys).
NameDelta take_name_delta(MatchCache& m, const DatapathResolver& r, NamesEnv env) {
    NameDelta d;
    if (env.all != 0 && m.names_env.all == env.all) {
        d.mode = NameDelta::Mode::Same;  // the keys too: m.keys stay
        return d;
    }
    if (env.but_keys != 0 && m.names_env.but_keys == env.but_keys) {
        d.mode = NameDelta::Mode::PortKeys;
        // A name on one side only, or with another key, changed.
        r.for_each_key([&](std::string_view name, uint32_t key) {
            auto it = m.keys.find(name);
            if (it == m.keys.end() || it->second != key) d.ports.emplace_back(name);
        });
        for (const auto& [name, key] : m.keys)
            if (!r.key_of(name)) d.ports.push_back(name);
        std::sort(d.ports.begin(), d.ports.end());
        for (const std::string& name : d.ports) {
            if (auto key = r.key_of(name)) m.keys.insert_or_assign(name, *key);
            else m.keys.erase(name);
        }
    } else {
        m.keys.clear();
        r.for_each_key([&](std::string_view name, uint32_t key) { m.keys.emplace(std::string(name), key); });
    }
    m.names_env = env;
    return d;
}


}  // namespace

Result<CompiledDatapath> compile_datapath(const ovsdb::DatapathBinding& dp, const std::vector<FlowRef>& flows,
                                          const ovsdb::Snapshot& sb, const ChassisView& view,
                                          const NameTables& names, MatchCache* matches, uint64_t env,
                                          NamesEnv names_env) {
    CompiledDatapath out;
    out.binding = &dp;
    if (dp.tunnel_key <= 0 || dp.tunnel_key >= (1 << 24))
        return make_error(fmt::format("datapath {}: tunnel key {} outside 1..16777215", dp.name, dp.tunnel_key));
    engine::DatapathBuilder b(dp.name, static_cast<uint32_t>(dp.tunnel_key), dp.is_router());
    const PipeShape shapes[2] = {shape(flows, Pipe::Ingress), shape(flows, Pipe::Egress)};
    b.stages(Pipe::Ingress, shapes[0].names);
    b.stages(Pipe::Egress, shapes[1].names);
    const DatapathResolver resolver(sb, view, names, dp);
    NameDelta delta;
    if (matches) {
        ++matches->epoch;
        delta = take_name_delta(*matches, resolver, names_env);
    }
    const DepCheck deps(resolver, matches ? matches->epoch : 0, matches ? &delta : nullptr);

    // Calls into the aux stages only note what they need here; the stages' rules are emitted
    // after every flow is lowered (aux_stages.h).
    AuxStages aux[2];
    aux[0].first_table = shapes[0].first_aux;
    aux[1].first_table = shapes[1].first_aux;
    if (matches && (matches->first_aux[0] != shapes[0].first_aux || matches->first_aux[1] != shapes[1].first_aux)) {
        matches->stages.clear();
        matches->first_aux[0] = shapes[0].first_aux;
        matches->first_aux[1] = shapes[1].first_aux;
    }

    // The stage's flows' matches, lowered again where their cached lowering no longer holds:
    // which were, and how many matches the stage has.
    struct Refreshed {
        std::size_t rules = 0;
        std::set<ovsdb::Uuid> lowered;  // flows whose match was lowered again
    };
    auto refresh_matches = [&](const std::vector<const FlowRef*>& stage_flows) {
        Refreshed r;
        for (const FlowRef* fr : stage_flows) {
            const ParsedFlow* f = fr->get();
            if (!f->expr || !f->error.empty()) continue;
            MatchCache::Entry& e = matches->by_flow[f->uuid];
            if (e.expr != f->expr || e.prereqs != f->action_prereqs || !deps.hold(e.deps, e.checked)) {
                e.expr = f->expr;
                e.prereqs = f->action_prereqs;
                e.deps.clear();
                e.matches = lower_match(*f, RecordingResolver(deps, e.deps));
                r.lowered.insert(f->uuid);
            }
            e.checked = deps.epoch();
            if (e.matches) r.rules += e.matches->size();
        }
        return r;
    };
    // The unit a stage had in the last build (empty if none), moved to this build's map.
    std::map<std::pair<int, int>, StageUnit> units;
    auto take_unit = [&](int pipe, uint8_t table) -> StageUnit& {
        StageUnit& unit = units[{pipe, table}];
        if (auto old = matches->stages.find({pipe, table}); old != matches->stages.end()) unit = std::move(old->second);
        return unit;
    };

    // One flow lowered into `b`: its rules and actions, and its report line.
    auto lower_flow = [&](const FlowRef& fr, const lflow::Resolver& by, const AuxFn& aux_fn) {
        const ParsedFlow& f = *fr;
        FlowReport rep;
        rep.flow = fr;
        rep.uuid = f.uuid;
        rep.pipe = f.pipe;
        rep.table = f.table;
        rep.priority = f.priority;
        if (!f.expr || !f.error.empty()) {
            rep.status = FlowStatus::Invalid;
            rep.set_detail(f.error);
            return rep;
        }
        Result<PackedMatches> lowered = PackedMatches{};
        Result<PackedMatches>* ms = &lowered;  // read only below
        if (matches) ms = &matches->by_flow[f.uuid].matches;  // refreshed by refresh_matches()
        else lowered = lower_match(f, resolver);
        if (!*ms) {
            rep.status = FlowStatus::Unsupported;
            rep.set_detail(fmt::format("match: {}", ms->error()));
            return rep;
        }
        if ((*ms)->empty()) {
            rep.status = FlowStatus::NeverMatches;
            return rep;
        }
        LowerContext ctx{b, rep.pipe, rep.table, by, aux_fn, {}, {}};
        auto act = lower_actions(*f.actions, ctx);
        if (!act) {
            rep.status = FlowStatus::Unsupported;
            rep.set_detail(fmt::format("actions: {}", act.error()));
            return rep;
        }
        (*ms)->for_each([&](const engine::Match& m) { b.flow(rep.pipe, rep.table, f.priority, m, *act); });
        rep.n_matches = static_cast<uint32_t>((*ms)->size());
        rep.action = *act;
        if (!ctx.unimplemented.empty() || !ctx.not_performed.empty()) {
            rep.status = FlowStatus::Partial;
            std::string d;
            if (!ctx.unimplemented.empty()) d = "unimplemented:";
            for (const std::string& n : ctx.unimplemented) d += " " + n;
            if (!ctx.not_performed.empty()) d += d.empty() ? "not performed:" : "; not performed:";
            for (const std::string& n : ctx.not_performed) d += " " + n;
            rep.set_detail(std::move(d));
        }
        return rep;
    };

    // A stage that changed by a few flows, amended instead of built whole: the old stage's
    // tables without the removed flows' rules and its code, plus the added flows lowered.
    // Only while what the kept flows' actions resolved still holds and their aux-stage
    // calls replay; not when an added or removed flow calls an aux stage (the aux tables'
    // numbering follows the order of first use); not for more than a few flows at a time.
    auto amend_stage = [&](StageUnit& unit, const std::vector<const FlowRef*>& stage_flows,
                           const std::set<ovsdb::Uuid>& lowered, Pipe pipe, uint8_t table, const AuxFn& note) {
        if (!deps.hold(unit.deps, unit.checked)) return false;
        UuidSlots old_at;  // uuid -> index in unit.reports
        old_at.reserve(unit.reports.size());
        for (std::size_t i = 0; i < unit.reports.size(); ++i) old_at.put(unit.reports[i].uuid, static_cast<uint32_t>(i));
        std::vector<uint8_t> kept(unit.reports.size(), 0);
        std::vector<const FlowRef*> added;
        for (const FlowRef* f : stage_flows) {
            const uint32_t at = old_at.find((*f)->uuid);
            const FlowRef* was = at != UuidSlots::kNone ? &unit.reports[at].flow : nullptr;
            if (was && *was && (*was == *f || (*was)->content_hash == (*f)->content_hash) && !lowered.count((*f)->uuid))
                kept[at] = 1;
            else
                added.push_back(f);
        }
        const std::size_t n_removed = static_cast<std::size_t>(std::count(kept.begin(), kept.end(), uint8_t{0}));
        if (n_removed + added.size() > 8 + stage_flows.size() / 8 || mostly_dead(*unit.block)) return false;
        std::vector<uint32_t> removed;
        std::size_t removed_specs = 0;
        for (std::size_t i = 0; i < kept.size(); ++i) {
            if (kept[i]) continue;
            const FlowReport& r = unit.reports[i];
            if (r.flow && calls_aux(*r.flow)) return false;
            if (r.action == engine::kNoAction) continue;
            removed.push_back(r.action);
            removed_specs += r.n_matches;
        }
        for (const FlowRef* f : added)
            if (calls_aux(**f)) return false;
        if (!unit.replay(aux[static_cast<int>(pipe)])) return false;
        const auto base = b.amend(pipe, table, unit.block, std::move(removed), removed_specs);
        if (!base) return false;
        std::vector<FlowReport> reports;
        reports.reserve(unit.reports.size() - n_removed + added.size());
        for (std::size_t i = 0; i < kept.size(); ++i) {
            if (!kept[i]) continue;
            FlowReport& rep = out.flows.emplace_back(unit.reports[i]);
            if (rep.action != engine::kNoAction) rep.action += *base;
            reports.push_back(std::move(unit.reports[i]));
        }
        const RecordingResolver by(deps, unit.deps);
        for (const FlowRef* f : added) {
            const FlowReport& rep = out.flows.emplace_back(lower_flow(*f, by, note));
            FlowReport& kept_rep = reports.emplace_back(rep);
            if (kept_rep.action != engine::kNoAction) kept_rep.action -= *base;
        }
        b.end_block(pipe, table);
        unit.reports = std::move(reports);
        unit.checked = deps.epoch();
        return true;
    };

    // A port-security aux stage whose datapath's ports changed by a few, amended: the rules
    // of ports gone or changed (new cache entry versions) dropped, those of new and changed
    // ports added. False: build it whole (also when two ports share a name).
    auto amend_port_sec = [&](StageUnit& unit, Pipe pipe, const AuxUse& u) -> Result<bool> {
        refresh_port_sec(u.kind, dp, view, deps, *matches);
        const auto& by_port = matches->port_sec[u.kind == AuxKind::PortSecIn ? 0 : 1];
        const auto& ports = view.ports(dp.uuid);
        NameIndex<PortPlacement, &placement_name> present;
        present.reserve(ports.size());
        std::set<std::string_view> added;
        for (const PortPlacement& p : ports) {
            const std::string& name = p.pb->logical_port;
            present.put(&p);
            auto e = by_port.find(name);
            auto logged = unit.port_rules.find(name);
            if (e == by_port.end()) return false;
            if (logged == unit.port_rules.end() || logged->second.version != e->second.version) added.insert(name);
        }
        if (present.size() != ports.size()) return false;
        std::vector<std::string_view> gone;
        std::vector<uint32_t> removed;
        std::size_t removed_specs = 0;
        for (const auto& [name, rules] : unit.port_rules) {
            if (present.find(name) && !added.count(name)) continue;
            gone.push_back(name);
            for (const uint32_t a : rules.actions)
                if (a != engine::kNoAction) removed.push_back(a);
            removed_specs += rules.n_specs;
        }
        if (gone.size() + added.size() > 8 + ports.size() / 8 || mostly_dead(*unit.block)) return false;
        const auto base = b.amend(pipe, u.table, unit.block, std::move(removed), removed_specs);
        if (!base) return false;
        PortSecLog log;
        std::vector<std::string> errors;
        if (auto r = emit_port_sec_of(b, pipe, u, dp, view, deps, *matches, added, log, errors); !r)
            return make_error(r.error());
        b.end_block(pipe, u.table);
        relative(log, *base);
        for (const std::string_view name : gone) unit.port_rules.erase(unit.port_rules.find(name));
        for (auto& [name, rules] : log) unit.port_rules[name] = rules;
        unit.errors = std::move(errors);
        return true;
    };

    // Stage by stage. With a cache, a stage whose flows, lowered matches, resolved names and
    // aux-stage tables are what they were is adopted from the last build (engine::StageBlock).
    std::vector<std::pair<StageUnit*, std::pair<Pipe, uint8_t>>> placed;  // where each went: after build()
    out.flows.reserve(flows.size());
    for (int pi = 0; pi < 2; ++pi) {
        const Pipe pipe = static_cast<Pipe>(pi);
        std::vector<std::vector<const FlowRef*>> by_table(shapes[pi].first_aux);
        for (const FlowRef& f : flows)
            if (f->pipe == pipe) by_table[f->table].push_back(&f);
        auto aux_note = [&aux, pi](AuxKind k, const BitRef* r, std::vector<BitRef> args) {
            return aux[pi].note(k, r, std::move(args));
        };
        for (std::size_t t = 0; t < by_table.size(); ++t) {
            const auto& stage_flows = by_table[t];
            if (stage_flows.empty()) continue;
            const auto table = static_cast<uint8_t>(t);
            if (!matches) {
                for (const FlowRef* f : stage_flows) out.flows.push_back(lower_flow(*f, resolver, aux_note));
                continue;
            }
            uint64_t fp = stage_flows.size();
            for (const FlowRef* f : stage_flows) fp += mix64((*f)->content_hash);
            const Refreshed stage_matches = refresh_matches(stage_flows);
            StageUnit& unit = take_unit(pi, table);
            if (unit.block && unit.fp == fp && stage_matches.lowered.empty() && deps.hold(unit.deps, unit.checked) &&
                unit.replay(aux[pi])) {
                unit.checked = deps.epoch();
                const uint32_t base = b.adopt(pipe, table, unit.block);
                for (const FlowReport& r : unit.reports) {
                    FlowReport& rep = out.flows.emplace_back(r);
                    if (rep.action != engine::kNoAction) rep.action += base;
                }
                placed.push_back({&unit, {pipe, table}});
                continue;
            }
            auto recording_note = [&unit, &aux_note](AuxKind k, const BitRef* r, std::vector<BitRef> args) {
                StageUnit::AuxCall call{k, r ? std::optional<BitRef>(*r) : std::nullopt, args, 0};
                auto got = aux_note(k, r, std::move(args));
                if (got) {
                    call.table = *got;
                    unit.aux.push_back(std::move(call));
                }
                return got;
            };
            if (unit.block && amend_stage(unit, stage_flows, stage_matches.lowered, pipe, table, recording_note)) {
                unit.fp = fp;
                ++out.amended;
                placed.push_back({&unit, {pipe, table}});
                continue;
            }
            unit = StageUnit{};
            unit.fp = fp;
            unit.checked = deps.epoch();
            b.reserve(pipe, table, stage_matches.rules);
            const RecordingResolver by(deps, unit.deps);
            const uint32_t base = b.begin_block(pipe, table);
            for (const FlowRef* f : stage_flows) {
                const FlowReport& rep = out.flows.emplace_back(lower_flow(*f, by, recording_note));
                FlowReport& kept = unit.reports.emplace_back(rep);
                if (kept.action != engine::kNoAction) kept.action -= base;
            }
            b.end_block(pipe, table);
            placed.push_back({&unit, {pipe, table}});
        }
    }

    // The aux stages: with a cache and the datapath's inputs other than its flows known
    // (`env`), one whose use and inputs are what they were is adopted too.
    for (int pi = 0; pi < 2; ++pi) {
        const Pipe pipe = static_cast<Pipe>(pi);
        for (const AuxUse& u : aux[pi].use) {
            b.rename_stage(pipe, u.table, aux_stage_title(u));
            if (!matches || env == 0) {
                if (auto r = emit_aux_stage(b, pipe, u, dp, sb, view, deps, matches, out.errors); !r)
                    return make_error(fmt::format("datapath {}: {}", dp.name, r.error()));
                continue;
            }
            const uint64_t fp = mix64(env ^ aux_use_digest(u));
            StageUnit& unit = take_unit(pi, u.table);
            if (unit.block && unit.fp == fp) {
                b.adopt(pipe, u.table, unit.block);
            } else {
                Result<bool> amended =
                    unit.block && is_port_sec(u.kind) ? amend_port_sec(unit, pipe, u) : Result<bool>(false);
                if (!amended) return make_error(fmt::format("datapath {}: {}", dp.name, amended.error()));
                if (*amended) {
                    ++out.amended;
                } else {
                    unit = StageUnit{};
                    const uint32_t base = b.begin_block(pipe, u.table);
                    if (auto r = emit_aux_stage(b, pipe, u, dp, sb, view, deps, matches, unit.errors, &unit.port_rules);
                        !r)
                        return make_error(fmt::format("datapath {}: {}", dp.name, r.error()));
                    b.end_block(pipe, u.table);
                    relative(unit.port_rules, base);
                }
                unit.fp = fp;
            }
            out.errors.insert(out.errors.end(), unit.errors.begin(), unit.errors.end());
            placed.push_back({&unit, {pipe, u.table}});
        }
    }

    for (const PortPlacement& p : view.ports(dp.uuid)) {
        const int64_t key = p.pb->tunnel_key;
        if (key <= 0 || key >= engine::Datapath::kMcastBase) {
            out.errors.push_back(fmt::format("port {}: tunnel key {} outside 1..32767", p.pb->logical_port, key));
            continue;
        }
        b.port(static_cast<uint32_t>(key), p.pb->logical_port, p.entry);
    }
    for (const ovsdb::MulticastGroup& g : sb.multicast_groups) {
        if (g.datapath != dp.uuid) continue;
        if (g.tunnel_key < engine::Datapath::kMcastBase || g.tunnel_key > 0xffff) {
            out.errors.push_back(fmt::format("multicast group {}: tunnel key {} outside 32768..65535", g.name, g.tunnel_key));
            continue;
        }
        std::vector<uint32_t> members;
        for (const std::string& n : g.ports)
            if (auto k = resolver.port_key(n)) members.push_back(*k);
        b.group(static_cast<uint32_t>(g.tunnel_key), g.name, std::move(members));
    }

    for (const FlowReport& f : out.flows) {
        ++out.by_status[static_cast<int>(f.status)];
        out.rules += f.n_matches;
    }
    auto built = b.build();
    if (!built) return make_error(built.error());
    if (matches) {
        for (auto& [unit, at] : placed) unit->block = b.block(at.first, at.second);
        matches->stages = std::move(units);
    }
    out.dp = std::move(*built);
    return out;
}

}  // namespace scs::compiler
