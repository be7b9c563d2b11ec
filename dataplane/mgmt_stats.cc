// `stats`: per-lcore and per-port counters since the last reset, and rates over the last
// one-second interval. The workers' counters are only read here; a reset moves the baseline.
#include <algorithm>

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "mgmt_handlers.h"

namespace scs::dataplane {

using mgmt::Json;

uint64_t LcoreSample::total_drops() const {
    uint64_t n = 0;
    for (uint64_t d : drops) n += d;
    return n;
}

LcoreSample LcoreSample::minus(const LcoreSample& b) const {
    LcoreSample r;
    for (std::size_t i = 0; i < c.size(); ++i) r.c[i] = c[i] - b.c[i];
    for (std::size_t i = 0; i < drops.size(); ++i) r.drops[i] = drops[i] - b.drops[i];
    for (std::size_t i = 0; i < unimpl.size(); ++i) r.unimpl[i] = unimpl[i] - b.unimpl[i];
    r.latency = latency.minus(b.latency);
    return r;
}

Json latency_json(const engine::LatencySnapshot& l, uint64_t tsc_hz) {
    const double us = tsc_hz ? 1e6 / static_cast<double>(tsc_hz) : 0.0;
    const uint64_t n = l.count();
    Json j = Json::object();
    j["bursts"] = n;
    j["p50_us"] = l.quantile(0.50) * us;
    j["p99_us"] = l.quantile(0.99) * us;
    j["p999_us"] = l.quantile(0.999) * us;
    j["max_us"] = l.max() * us;
    j["mean_us"] = n ? static_cast<double>(l.sum) / static_cast<double>(n) * us : 0.0;
    return j;
}

LcoreSample sample_lcore(const Worker& w) {
    const engine::LcoreStats& s = w.stats;
    LcoreSample x;
#define SCS_X(name, help) x.c[static_cast<std::size_t>(LcoreCounter::name)] = s.name.get();
    SCS_MGMT_LCORE_COUNTERS(SCS_X)
#undef SCS_X
    for (std::size_t i = 0; i < kDropReasonCount; ++i) x.drops[i] = s.drops[i].get();
    for (std::size_t i = 0; i < engine::kUnimplCount; ++i) x.unimpl[i] = s.unimplemented[i].get();
    x.latency = engine::LatencySnapshot::of(s.burst_latency);
    return x;
}

namespace {

std::vector<LcoreSample> sample_all(const MgmtContext& ctx) {
    std::vector<LcoreSample> v;
    v.reserve(ctx.workers.size());
    for (const Worker* w : ctx.workers) v.push_back(sample_lcore(*w));
    return v;
}

double ratio(uint64_t a, uint64_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

// One lcore's (or the total's) counters as `stats` reports them.
Json lcore_json(const LcoreSample& x, const LcoreSample* rate, double rate_s, uint64_t tsc_hz) {
    Json j = Json::object();
#define SCS_X(name, help) j[#name] = x[LcoreCounter::name];
    SCS_MGMT_LCORE_COUNTERS(SCS_X)
#undef SCS_X
    const uint64_t busy = x[LcoreCounter::busy_cycles], idle = x[LcoreCounter::idle_cycles];
    j["busy_pct"] = 100.0 * ratio(busy, busy + idle);
    // Busy cycles per received packet: the whole cost of moving it (rx, pipeline, tx).
    j["cycles_per_packet"] = ratio(busy, x[LcoreCounter::rx_packets]);
    j["drops_total"] = x.total_drops();
    Json drops = Json::object();
    for (std::size_t i = 0; i < kDropReasonCount; ++i)
        if (x.drops[i]) drops[drop_reason_name(static_cast<DropReason>(i))] = x.drops[i];
    j["drops"] = std::move(drops);
    Json un = Json::object();
    for (std::size_t i = 0; i < engine::kUnimplCount; ++i)
        if (x.unimpl[i]) un[engine::unimpl_name(static_cast<engine::Unimpl>(i))] = x.unimpl[i];
    j["unimplemented"] = std::move(un);
    // Pipeline time per received burst (rx_burst returned -> its tx done), since the reset.
    j["latency"] = latency_json(x.latency, tsc_hz);
    Json iv = Json::object();
    if (rate && rate_s > 0) {
        const LcoreSample& d = *rate;
        const uint64_t rb = d[LcoreCounter::busy_cycles], ri = d[LcoreCounter::idle_cycles];
        iv["rx_mpps"] = static_cast<double>(d[LcoreCounter::rx_packets]) / rate_s / 1e6;
        iv["tx_mpps"] = static_cast<double>(d[LcoreCounter::tx_packets]) / rate_s / 1e6;
        iv["rx_gbps"] = static_cast<double>(d[LcoreCounter::rx_bytes]) * 8 / rate_s / 1e9;
        iv["drops_per_s"] = static_cast<double>(d.total_drops()) / rate_s;
        iv["busy_pct"] = 100.0 * ratio(rb, rb + ri);
        iv["cycles_per_packet"] = ratio(rb, d[LcoreCounter::rx_packets]);
    }
    j["interval"] = std::move(iv);
    return j;
}

}  // namespace

void StatsState::init(const MgmtContext& ctx) {
    reset(ctx);
    last.tsc = prev.tsc = base_tsc;
    last.lcores = prev.lcores = base;
}

void StatsState::tick(const MgmtContext& ctx) {
    prev = std::move(last);
    last.tsc = rte_rdtsc();
    last.lcores = sample_all(ctx);
}

void StatsState::reset(const MgmtContext& ctx) {
    base_tsc = rte_rdtsc();
    base = sample_all(ctx);
    port_base.assign(ctx.ports->list().size(), rte_eth_stats{});
    for (std::size_t i = 0; i < ctx.ports->list().size(); ++i)
        rte_eth_stats_get(ctx.ports->list()[i].id, &port_base[i]);
}

RpcResult mgmt_stats(const MgmtContext& ctx, StatsState& st, const Json& params) {
    std::optional<unsigned> core;
    if (const Json* c = params.find("core"); c && !c->is_null()) {
        const auto v = c->as_u64();
        if (!v || *v > 0xffffffffu) return RpcError{kRpcInvalidParams, "\"core\" must be an lcore id"};
        const bool known = std::any_of(ctx.workers.begin(), ctx.workers.end(),
                                       [&](const Worker* w) { return w->lcore == *v; });
        if (!known) {
            std::string ids;
            for (const Worker* w : ctx.workers) ids += fmt::format("{}{}", ids.empty() ? "" : ", ", w->lcore);
            return RpcError{kRpcInvalidParams,
                            fmt::format("no worker on lcore {} (workers run on lcore {})", *v, ids)};
        }
        core = static_cast<unsigned>(*v);
    }
    bool reset = false;
    if (const Json* r = params.find("reset"); r && !r->is_null()) {
        if (!r->is_bool()) return RpcError{kRpcInvalidParams, "\"reset\" must be true or false"};
        reset = r->as_bool();
    }
    for (const auto& [k, v] : params.as_object())
        if (k != "core" && k != "reset")
            return RpcError{kRpcInvalidParams,
                            fmt::format("unknown parameter '{}' (stats takes core, reset)", k)};
    // A reset zeroes what every later `stats` shows, for every lcore and port; the workers'
    // own counters (and Prometheus, whose counters must only grow) are untouched.
    if (reset) st.reset(ctx);

    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t now = rte_rdtsc();
    const double rate_s =
        st.last.tsc > st.prev.tsc ? static_cast<double>(st.last.tsc - st.prev.tsc) / static_cast<double>(hz) : 0.0;
    const bool have_rate = rate_s > 0 && st.prev.lcores.size() == ctx.workers.size() &&
                           st.last.lcores.size() == ctx.workers.size();

    Json r = Json::object();
    r["reset"] = reset;
    r["since_reset_s"] = static_cast<double>(now - st.base_tsc) / static_cast<double>(hz);
    r["interval_s"] = have_rate ? rate_s : 0.0;
    r["tsc_hz"] = hz;
    Json lcores = Json::array();
    LcoreSample total, total_rate;
    for (std::size_t i = 0; i < ctx.workers.size(); ++i) {
        const Worker& w = *ctx.workers[i];
        const LcoreSample x = sample_lcore(w).minus(st.base[i]);
        LcoreSample d;
        if (have_rate) d = st.last.lcores[i].minus(st.prev.lcores[i]);
        for (std::size_t k = 0; k < kLcoreCounterCount; ++k) {
            total.c[k] += x.c[k];
            total_rate.c[k] += d.c[k];
        }
        for (std::size_t k = 0; k < kDropReasonCount; ++k) {
            total.drops[k] += x.drops[k];
            total_rate.drops[k] += d.drops[k];
        }
        for (std::size_t k = 0; k < engine::kUnimplCount; ++k) total.unimpl[k] += x.unimpl[k];
        total.latency.add(x.latency);
        if (core && w.lcore != *core) continue;
        Json j = Json::object();
        j["lcore"] = w.lcore;
        j["worker"] = w.id;
        Json counters = lcore_json(x, have_rate ? &d : nullptr, rate_s, hz);
        for (auto& kv : counters.as_object()) j.as_object().push_back(std::move(kv));
        lcores.push(std::move(j));
    }
    r["lcores"] = std::move(lcores);
    if (!core) r["total"] = lcore_json(total, have_rate ? &total_rate : nullptr, rate_s, hz);

    Json ports = Json::array();
    if (!core) {
        const auto& list = ctx.ports->list();
        for (std::size_t i = 0; i < list.size(); ++i) {
            Json pj = port_identity(list[i]);
            rte_eth_stats s{};
            if (rte_eth_stats_get(list[i].id, &s) != 0) {
                pj["error"] = "the driver has no counters";
                ports.push(std::move(pj));
                continue;
            }
            const rte_eth_stats& b = i < st.port_base.size() ? st.port_base[i] : rte_eth_stats{};
            pj["ipackets"] = s.ipackets - b.ipackets;
            pj["opackets"] = s.opackets - b.opackets;
            pj["ibytes"] = s.ibytes - b.ibytes;
            pj["obytes"] = s.obytes - b.obytes;
            pj["imissed"] = s.imissed - b.imissed;
            pj["ierrors"] = s.ierrors - b.ierrors;
            pj["oerrors"] = s.oerrors - b.oerrors;
            pj["rx_nombuf"] = s.rx_nombuf - b.rx_nombuf;
            ports.push(std::move(pj));
        }
    }
    r["ports"] = std::move(ports);
    return r;
}

}  // namespace scs::dataplane
