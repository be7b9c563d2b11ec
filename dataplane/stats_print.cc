#include "stats_print.h"

#include <array>

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "common/drop_reason.h"
#include "engine/action.h"

namespace scs::dataplane {

namespace {


double per_sec(uint64_t n, uint64_t cycles, uint64_t hz) {
    return cycles ? static_cast<double>(n) * static_cast<double>(hz) / static_cast<double>(cycles)
                  : 0.0;
}

double percent(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

std::string port_role(const Port& p) {
    return fmt::format("{}={}", role_name(p.spec.role), p.spec.target);
}

}  // namespace

StatsPrinter::StatsPrinter(std::span<Worker* const> workers, const Ports& ports)
    : workers_(workers.begin(), workers.end()), ports_(ports) {
    prev_.resize(workers_.size());
    for (std::size_t i = 0; i < workers_.size(); ++i) prev_[i] = sample(*workers_[i]);
    prev_port_in_.assign(ports_.list().size(), 0);
    prev_port_out_.assign(ports_.list().size(), 0);
    start_tsc_ = prev_tsc_ = rte_rdtsc();
}

StatsPrinter::Sample StatsPrinter::sample(const Worker& w) const {
    const engine::LcoreStats& s = w.stats;
    Sample x;
    x.rx = s.rx_packets.get();
    // Counted from what the device accepted; refusals are tx-full drops.
    x.tx = s.tx_packets.get();
    x.drops = s.total_drops();
    x.busy = s.busy_cycles.get();
    x.idle = s.idle_cycles.get();
    x.hits = s.cache_hits.get();
    x.misses = s.cache_misses.get();
    return x;
}

void StatsPrinter::periodic(FILE* out, const GenerationCounts& gens) {
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t now = rte_rdtsc();
    const uint64_t dt = now - prev_tsc_;
    std::string s = fmt::format("--- {:.1f} s: generation #{} (published {}, reclaimed {})\n",
                                static_cast<double>(now - start_tsc_) / static_cast<double>(hz),
                                gens.live, gens.published, gens.reclaimed);
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        const Sample c = sample(*workers_[i]);
        const Sample& p = prev_[i];
        const uint64_t busy = c.busy - p.busy, idle = c.idle - p.idle;
        const uint64_t rx = c.rx - p.rx;
        s += fmt::format(
            "  lcore {:>3}: rx {:>8.3f} Mpps  tx {:>8.3f} Mpps  drops {:>10.0f}/s  "
            "busy {:>5.1f}%  {:>6.0f} cycles/pkt  cache hits {:>5.1f}%\n",
            workers_[i]->lcore, per_sec(rx, dt, hz) / 1e6, per_sec(c.tx - p.tx, dt, hz) / 1e6,
            per_sec(c.drops - p.drops, dt, hz), percent(busy, busy + idle),
            rx ? static_cast<double>(busy) / static_cast<double>(rx) : 0.0,
            percent(c.hits - p.hits, c.hits - p.hits + c.misses - p.misses));
        prev_[i] = c;
    }
    const auto& ports = ports_.list();
    for (std::size_t i = 0; i < ports.size(); ++i) {
        rte_eth_stats st{};
        if (rte_eth_stats_get(ports[i].id, &st) != 0) continue;
        s += fmt::format(
            "  port {:>3} {:<24} in {:>8.3f} Mpps  out {:>8.3f} Mpps  missed {}  "
            "errors {}/{}\n",
            ports[i].id, port_role(ports[i]), per_sec(st.ipackets - prev_port_in_[i], dt, hz) / 1e6,
            per_sec(st.opackets - prev_port_out_[i], dt, hz) / 1e6, st.imissed, st.ierrors,
            st.oerrors);
        prev_port_in_[i] = st.ipackets;
        prev_port_out_[i] = st.opackets;
    }
    prev_tsc_ = now;
    std::fputs(s.c_str(), out);
    std::fflush(out);
}

void StatsPrinter::final_report(FILE* out, double seconds, const std::string& chassis,
                                const GenerationCounts& gens) {
    std::string s = fmt::format("=== scs-dataplane final counters: chassis {}, {:.2f} s ===\n",
                                chassis, seconds);
    s += fmt::format("  {:<5} {:>4} {:>14} {:>14} {:>12} {:>9} {:>9} {:>6} {:>12} {:>12} {:>10}\n",
                     "", "", "rx-pkts", "tx-pkts", "drops", "rx-Mpps", "cyc/pkt", "busy%",
                     "geneve-enc", "geneve-dec", "copies");
    Sample total;
    uint64_t enc = 0, dec = 0, copies = 0;
    std::array<uint64_t, kDropReasonCount> drops{};
    std::array<uint64_t, engine::kUnimplCount> unimpl{};
    auto row = [&](std::string_view label, std::string id, const Sample& x, uint64_t e, uint64_t d,
                   uint64_t c) {
        const double mpps = seconds > 0 ? static_cast<double>(x.rx) / seconds / 1e6 : 0.0;
        const double cpp = x.rx ? static_cast<double>(x.busy) / static_cast<double>(x.rx) : 0.0;
        const double busy = percent(x.busy, x.busy + x.idle);
        s += fmt::format(
            "  {:<5} {:>4} {:>14} {:>14} {:>12} {:>9.3f} {:>9.0f} {:>6.1f} {:>12} "
            "{:>12} {:>10}\n",
            label, id, x.rx, x.tx, x.drops, mpps, cpp, busy, e, d, c);
    };
    for (const Worker* w : workers_) {
        const Sample x = sample(*w);
        const engine::LcoreStats& st = w->stats;
        row("lcore", std::to_string(w->lcore), x, st.geneve_encap.get(), st.geneve_decap.get(),
            st.copies.get());
        total.rx += x.rx;
        total.tx += x.tx;
        total.drops += x.drops;
        total.busy += x.busy;
        total.idle += x.idle;
        total.hits += x.hits;
        total.misses += x.misses;
        enc += st.geneve_encap.get();
        dec += st.geneve_decap.get();
        copies += st.copies.get();
        for (std::size_t r = 0; r < kDropReasonCount; ++r) drops[r] += st.drops[r].get();
        for (std::size_t u = 0; u < engine::kUnimplCount; ++u)
            unimpl[u] += st.unimplemented[u].get();
    }
    row("total", "", total, enc, dec, copies);
    uint64_t inserts = 0, flushes = 0;
    for (const Worker* w : workers_) {
        inserts += w->stats.cache_inserts.get();
        flushes += w->stats.cache_flushes.get();
    }
    s += fmt::format("  flow cache: hits {} ({:.1f}%), misses {}, inserts {}, flushes {}\n",
                     total.hits, percent(total.hits, total.hits + total.misses), total.misses,
                     inserts, flushes);
    // Totals by name, then - with several workers - each lcore's share on its own line.
    auto per_lcore = [&](auto&& count_of) {
        if (workers_.size() < 2) return;
        for (const Worker* w : workers_)
            if (const uint64_t n = count_of(w->stats))
                s += fmt::format("      on lcore {}: {}\n", w->lcore, n);
    };
    bool any = false;
    for (std::size_t r = 0; r < kDropReasonCount; ++r) {
        if (!drops[r]) continue;
        if (!any) s += "  drops by reason:\n";
        any = true;
        s += fmt::format("  drop {:>12} {}\n", drops[r],
                         drop_reason_name(static_cast<DropReason>(r)));
        per_lcore([r](const engine::LcoreStats& st) { return st.drops[r].get(); });
    }
    if (!any) s += "  drops by reason: none\n";
    any = false;
    for (std::size_t u = 0; u < engine::kUnimplCount; ++u) {
        if (!unimpl[u]) continue;
        if (!any) s += "  unimplemented actions (packets dropped):\n";
        any = true;
        s += fmt::format("  unimplemented {:>12} {}\n", unimpl[u],
                         engine::unimpl_name(static_cast<engine::Unimpl>(u)));
        per_lcore([u](const engine::LcoreStats& st) { return st.unimplemented[u].get(); });
    }
    s += fmt::format("  {:<4} {:>3} {:<14} {:<24} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10}\n", "",
                     "id", "device", "role", "ipackets", "opackets", "imissed", "ierrors",
                     "oerrors", "rx-nombuf");
    for (const Port& p : ports_.list()) {
        rte_eth_stats st{};
        rte_eth_stats_get(p.id, &st);
        s += fmt::format("  port {:>3} {:<14} {:<24} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10}\n",
                         p.id, p.name, port_role(p), st.ipackets, st.opackets, st.imissed,
                         st.ierrors, st.oerrors, st.rx_nombuf);
    }
    s += fmt::format(
        "  generations: published {}, reclaimed {}, pending {}, live #{}, build "
        "failures {}\n",
        gens.published, gens.reclaimed, gens.pending, gens.live, gens.build_failures);
    std::fputs(s.c_str(), out);
    std::fflush(out);
}

}  // namespace scs::dataplane
