// Control-plane benchmarks on a large Southbound (see cp_fixture.h for how it is made):
//   ParseAllFlows      every Logical_Flow's match and actions through lib/lflow (items = flows)
//   FullCompile        the whole Southbound compiled from scratch as one chassis with every
//                      datapath local (items = flows)
//   IncrementalPort    one VM port added (Port_Binding, its flows, _MC_flood) or removed again,
//                      each iteration one change compiled into a new Generation against a warm
//                      compiler, as the daemon does after a Southbound update
//   IncrementalRoute   one static route in a router's lr_in_ip_routing added or removed again,
//                      in place in one Snapshot with the hint the daemon gives when only
//                      Logical_Flow rows changed (the port placement is reused)
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

// Alternates between the Southbound without and with one change: every iteration is one
// incremental compile of exactly one change (add, then remove), warm caches as in the daemon.
template <typename Change>
void incremental(benchmark::State& state, Change change) {
    const ovsdb::Snapshot* sb = big_sb();
    if (!sb) return state.SkipWithError(bench::sb_missing_message().c_str());
    ovsdb::Snapshot changed = *sb;
    if (!change(changed, routers(*sb))) return state.SkipWithError("not the generated topology");
    compiler::Compiler c(bench::all_local(*sb));
    uint64_t n = 0;
    if (!c.compile(*sb, ++n)) return state.SkipWithError("initial compile failed");
    std::size_t recompiled = 0;
    for (auto _ : state) {
        const bool with_change = n % 2 == 1;
        auto g = incremental_compile(c, with_change ? changed : *sb, ++n);
        if (!g) return state.SkipWithError(g.error().c_str());
        recompiled += c.report().stats.recompiled;
        benchmark::DoNotOptimize(g);
    }
    state.counters["recompiled_dps"] = static_cast<double>(recompiled) / static_cast<double>(state.iterations());
    state.counters["flows"] = static_cast<double>(c.report().stats.flows);
}

void BM_IncrementalPort(benchmark::State& state) {
    incremental(state, [](ovsdb::Snapshot& s, unsigned r) { return bench::add_port(s, 0, 200, r); });
}

void BM_IncrementalRoute(benchmark::State& state) {
    const ovsdb::Snapshot* sb = big_sb();
    if (!sb) return state.SkipWithError(bench::sb_missing_message().c_str());
    ovsdb::Snapshot work = *sb;
    ovsdb::Snapshot probe = *sb;
    if (!bench::add_route(probe, 0, 0)) return state.SkipWithError("not the generated topology");
    ovsdb::LogicalFlow route = probe.logical_flows.back();
    route.content_hash = ovsdb::content_hash(route);
    compiler::Compiler c(bench::all_local(work));
    uint64_t n = 0;
    if (!c.compile(work, ++n)) return state.SkipWithError("initial compile failed");
    work.logical_flows.reserve(work.logical_flows.size() + 1);
    compiler::CompileHint flows_only;  // what hint_from() gives for Logical_Flow changes only
    flows_only.ports_same = flows_only.groups_same = flows_only.names_same = true;
    std::size_t recompiled = 0, reused = 0;
    for (auto _ : state) {
        if (n % 2 == 1) work.logical_flows.push_back(route);
        else work.logical_flows.pop_back();
        auto g = incremental_compile(c, work, ++n, flows_only);
        if (!g) return state.SkipWithError(g.error().c_str());
        recompiled += c.report().stats.recompiled;
        reused += c.view_reused() ? 1 : 0;
        benchmark::DoNotOptimize(g);
    }
    const auto iters = static_cast<double>(state.iterations());
    state.counters["recompiled_dps"] = static_cast<double>(recompiled) / iters;
    state.counters["view_reused"] = static_cast<double>(reused) / iters;
    state.counters["flows"] = static_cast<double>(c.report().stats.flows);
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
BENCHMARK(BM_SnapshotCopy)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(kRepetitions);

}  // namespace
BENCHMARK_MAIN();
