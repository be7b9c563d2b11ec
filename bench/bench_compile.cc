// Control-plane benchmarks on a large Southbound (see cp_fixture.h for how it is made):
//   ParseAllFlows      every Logical_Flow's match and actions through lib/lflow (items = flows)
//   FullCompile        the whole Southbound compiled from scratch as one chassis with every
//                      datapath local (items = flows)
//   IncrementalPort    one VM port added (Port_Binding, its flows, _MC_flood) or removed again,
//                      each iteration one change compiled into a new Generation against a warm
//                      compiler, as the daemon does after a Southbound update
//   IncrementalRoute   one static route in a router's lr_in_ip_routing added or removed again
//                      (only Logical_Flow rows change: the port placement is reused)
//   IncrementalAcl     one security-group rule (a stateful ACL flow in a switch's ls_out_acl)
//                      added or removed again: only Logical_Flow rows change
// All three change one Snapshot in place and give the hint the daemon derives from the
// Southbound's change tracking.
// Times are wall clock (CLOCK_MONOTONIC via Google Benchmark's real time); each case runs
// several repetitions and reports median, mean and spread.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "compiler/compiler.h"
#include "cp_fixture.h"
#include "lflow/actions.h"
#include "lflow/expr.h"
#include "ovsdb/snapshot_file.h"

namespace {

using namespace scs;

const ovsdb::Snapshot* big_sb() {
    static std::optional<ovsdb::Snapshot> sb;
    static bool tried = false;
    if (!tried) {
        tried = true;
        auto s = ovsdb::load_snapshot(bench::sb_path());
        if (s) {
            sb = std::move(*s);
            // As SbClient does for rows it copies from the IDL (snapshot files leave it 0).
            for (auto& f : sb->logical_flows) f.content_hash = ovsdb::content_hash(f);
            for (auto& p : sb->ports) p.security_hash = ovsdb::port_security_hash(p);
            for (auto& g : sb->multicast_groups) g.ports_hash = ovsdb::members_hash(g);
        }
        else std::fprintf(stderr, "%s: %s\n", bench::sb_path().c_str(), s.error().c_str());
    }
    return sb ? &*sb : nullptr;
}

unsigned routers(const ovsdb::Snapshot& sb) {
    unsigned n = 0;
    for (const auto& d : sb.datapaths) n += d.is_router() ? 1 : 0;
    return n;
}

void BM_ParseAllFlows(benchmark::State& state) {
    const ovsdb::Snapshot* sb = big_sb();
    if (!sb) return state.SkipWithError(bench::sb_missing_message().c_str());
    std::size_t bad = 0;
    for (auto _ : state) {
        bad = 0;
        for (const auto& f : sb->logical_flows) {
            auto e = lflow::parse_expr(f.match);
            auto a = lflow::parse_actions(f.actions);
            bad += (!e || !a) ? 1 : 0;
            benchmark::DoNotOptimize(e);
            benchmark::DoNotOptimize(a);
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * sb->logical_flows.size()));
    state.counters["flows"] = static_cast<double>(sb->logical_flows.size());
    state.counters["unparsed"] = static_cast<double>(bad);
}

void BM_FullCompile(benchmark::State& state) {
    const ovsdb::Snapshot* sb = big_sb();
    if (!sb) return state.SkipWithError(bench::sb_missing_message().c_str());
    compiler::Compiler c(bench::all_local(*sb));
    uint64_t n = 0;
    for (auto _ : state) {
        c.reset();
        auto g = c.compile(*sb, ++n);
        if (!g) return state.SkipWithError(g.error().c_str());
        benchmark::DoNotOptimize(g);
    }
    const auto& st = c.report().stats;
    if (st.datapaths != sb->datapaths.size()) return state.SkipWithError("not every datapath is local");
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * st.flows));
    state.counters["flows"] = static_cast<double>(st.flows);
    state.counters["datapaths"] = static_cast<double>(st.datapaths);
    state.counters["rules"] = static_cast<double>(st.rules);
    state.counters["not_installed"] =
        static_cast<double>(st.by_status[static_cast<int>(compiler::FlowStatus::Unsupported)] +
                            st.by_status[static_cast<int>(compiler::FlowStatus::Invalid)]);
}

// The timed compile of the incremental cases, on its own for profiling:
//   valgrind --tool=callgrind --toggle-collect='*incremental_compile*' ...
[[gnu::noinline]] Result<std::unique_ptr<engine::Generation>> incremental_compile(compiler::Compiler& c,
                                                                                  const ovsdb::Snapshot& sb, uint64_t n,
                                                                                  const compiler::CompileHint& hint = {}) {
    return c.compile(sb, n, hint);
}

// Alternates between the Southbound without and with one change, in place in one Snapshot
// as the daemon's is kept: every iteration is one incremental compile of exactly one change
// (added, then removed again), with the hint the daemon would give (what did not change, and
// the changed Logical_Flow rows), against warm caches.
struct Toggle {
    ovsdb::Snapshot work;           // the Southbound as the compiler sees it
    std::size_t flows = 0, ports = 0;  // table sizes without the change
    std::vector<ovsdb::LogicalFlow> added_flows;
    std::vector<ovsdb::PortBinding> added_ports;
    std::vector<ovsdb::MulticastGroup> with_change, without_change;  // when groups change
    compiler::CompileHint hint;
    compiler::FlowRows rows;
    compiler::PortRows port_rows;

    // `change` is applied to a copy of `sb` to find what it adds.
    template <typename Change>
    bool make(const ovsdb::Snapshot& sb, Change change) {
        work = sb;
        work.flows_version = ovsdb::new_flows_lineage();
        work.ports_version = ovsdb::new_flows_lineage();
        flows = sb.logical_flows.size();
        ports = sb.ports.size();
        ovsdb::Snapshot changed = sb;
        if (!change(changed)) return false;
        added_flows.assign(changed.logical_flows.begin() + static_cast<std::ptrdiff_t>(flows), changed.logical_flows.end());
        for (auto& f : added_flows) f.content_hash = ovsdb::content_hash(f);
        added_ports.assign(changed.ports.begin() + static_cast<std::ptrdiff_t>(ports), changed.ports.end());
        if (!added_ports.empty()) {
            with_change = changed.multicast_groups;
            without_change = sb.multicast_groups;
        }
        hint.names_same = true;
        hint.ports_same = hint.groups_same = added_ports.empty();
        return true;
    }
    // Applies (`on`) or takes back the change; the hint then describes it.
    const compiler::CompileHint& flip(bool on) {
        rows.clear();
        port_rows.clear();
        if (on) {
            for (const auto& f : added_flows) {
                work.logical_flows.push_back(f);
                rows[f.uuid] = f;
            }
            for (const auto& p : added_ports) port_rows[p.uuid] = p;
        } else {
            for (const auto& f : added_flows) rows[f.uuid] = std::nullopt;
            work.logical_flows.resize(flows);
            for (const auto& p : added_ports) port_rows[p.uuid] = std::nullopt;
        }
        // As SbClient::update_snapshot() applies them: the UUID index kept, the version moved.
        if (!port_rows.empty()) {
            ovsdb::apply_rows(work.ports, port_rows, work.port_at);
            ++work.ports_version;
            hint.port_rows = &port_rows;
        }
        if (!added_ports.empty()) work.multicast_groups = on ? with_change : without_change;
        ++work.flows_version;
        hint.flow_rows = &rows;
        return hint;
    }
};

template <typename Change>
void incremental(benchmark::State& state, Change change) {
    const ovsdb::Snapshot* sb = big_sb();
    if (!sb) return state.SkipWithError(bench::sb_missing_message().c_str());
    Toggle t;
    if (!t.make(*sb, change)) return state.SkipWithError("not the generated topology");
    t.work.logical_flows.reserve(t.flows + t.added_flows.size());
    t.work.ports.reserve(t.ports + t.added_ports.size());
    compiler::Compiler c(bench::all_local(*sb));
    uint64_t n = 0;
    if (!c.compile(t.work, ++n)) return state.SkipWithError("initial compile failed");
    std::size_t recompiled = 0, reused = 0, updated = 0, parsed = 0, amended = 0;
    for (auto _ : state) {
        const compiler::CompileHint& hint = t.flip(n % 2 == 1);
        auto g = incremental_compile(c, t.work, ++n, hint);
        if (!g) return state.SkipWithError(g.error().c_str());
        recompiled += c.report().stats.recompiled;
        amended += c.report().stats.amended;
        parsed += c.report().stats.parsed;
        reused += c.view_reused() ? 1 : 0;
        updated += c.view_updated() ? 1 : 0;
        benchmark::DoNotOptimize(g);
    }
    const auto iters = static_cast<double>(state.iterations());
    state.counters["recompiled_dps"] = static_cast<double>(recompiled) / iters;
    state.counters["parsed"] = static_cast<double>(parsed) / iters;
    state.counters["view_reused"] = static_cast<double>(reused) / iters;
    state.counters["view_updated"] = static_cast<double>(updated) / iters;
    state.counters["amended_stages"] = static_cast<double>(amended) / iters;
    state.counters["flows"] = static_cast<double>(c.report().stats.flows);
}

void BM_IncrementalPort(benchmark::State& state) {
    incremental(state, [](ovsdb::Snapshot& s) { return bench::add_port(s, 0, 200, routers(s)); });
}

void BM_IncrementalRoute(benchmark::State& state) {
    incremental(state, [](ovsdb::Snapshot& s) { return bench::add_route(s, 0, 0); });
}

void BM_IncrementalAcl(benchmark::State& state) {
    incremental(state, [](ovsdb::Snapshot& s) { return bench::add_acl(s, 0, 0); });
}

// Copying the whole Southbound (what SbClient::snapshot() costs on top, roughly).
void BM_SnapshotCopy(benchmark::State& state) {
    const ovsdb::Snapshot* sb = big_sb();
    if (!sb) return state.SkipWithError(bench::sb_missing_message().c_str());
    for (auto _ : state) {
        ovsdb::Snapshot copy = *sb;
        benchmark::DoNotOptimize(copy);
    }
}

// SCS_BENCH_REPS=1 for profiling runs (valgrind --tool=callgrind).
const int kRepetitions = [] {
    const char* r = std::getenv("SCS_BENCH_REPS");
    return r && std::atoi(r) > 0 ? std::atoi(r) : 5;
}();

BENCHMARK(BM_ParseAllFlows)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions)->Iterations(1);
BENCHMARK(BM_FullCompile)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions)->Iterations(1);
BENCHMARK(BM_IncrementalPort)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions);
BENCHMARK(BM_IncrementalRoute)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions);
BENCHMARK(BM_IncrementalAcl)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions);
BENCHMARK(BM_SnapshotCopy)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions);

}  // namespace
BENCHMARK_MAIN();
