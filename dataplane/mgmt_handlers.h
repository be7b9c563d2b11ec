// The management methods, one file per thing served (private to mgmt_server.cc):
//   mgmt_show.cc     show         version, chassis, Southbound state, ports, workers, generation
//   mgmt_stats.cc    stats        per-lcore and per-port counters, rates, a reset baseline
//   mgmt_metrics.cc  GET /metrics the same counters in Prometheus text format 0.0.4
//   mgmt_tables.cc   dump-tables  the live generation's datapaths, stages and port tables
// All run on the control thread (mgmt_server.h says why that is safe).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/drop_reason.h"
#include "engine/action.h"
#include "engine/latency.h"
#include "mgmt_json.h"
#include "mgmt_server.h"

namespace scs::dataplane {

// The per-lcore counters that are plain numbers: engine::LcoreStats member, description.
// One list for the JSON of `stats` and the Prometheus metric names (scs_dp_<name>_total).
#define SCS_MGMT_LCORE_COUNTERS(X)                                                   \
    X(rx_packets, "packets received by the worker")                                  \
    X(rx_bytes, "bytes received by the worker")                                      \
    X(tx_packets, "packets the devices accepted from the worker")                    \
    X(tx_bytes, "bytes the worker queued for transmission")                          \
    X(busy_cycles, "TSC cycles of poll loops that moved a packet")                   \
    X(idle_cycles, "TSC cycles of poll loops that found nothing")                    \
    X(cache_hits, "flow cache hits")                                                 \
    X(cache_misses, "flow cache misses")                                             \
    X(cache_inserts, "flow cache inserts")                                           \
    X(cache_flushes, "flow cache flushes (a new table generation)")                  \
    X(geneve_encap, "packets encapsulated in Geneve")                                \
    X(geneve_decap, "packets decapsulated from Geneve")                              \
    X(copies, "extra packet copies for flooding and non-final outputs")              \
    X(bursts, "non-empty rx bursts")                                                 \
    X(quiescent, "QSBR quiescent states reported")

enum class LcoreCounter : unsigned {
#define SCS_X(name, help) name,
    SCS_MGMT_LCORE_COUNTERS(SCS_X)
#undef SCS_X
        Count
};
inline constexpr std::size_t kLcoreCounterCount = static_cast<std::size_t>(LcoreCounter::Count);

// Percentiles of a latency reading in microseconds: {"bursts", "p50_us", "p99_us",
// "p999_us", "max_us", "mean_us"} (zeros when no burst was seen).
mgmt::Json latency_json(const engine::LatencySnapshot& l, uint64_t tsc_hz);

// One reading of one worker's counters.
struct LcoreSample {
    std::array<uint64_t, kLcoreCounterCount> c{};
    std::array<uint64_t, kDropReasonCount> drops{};
    std::array<uint64_t, engine::kUnimplCount> unimpl{};
    engine::LatencySnapshot latency;  // per-burst pipeline time (engine/latency.h)

    uint64_t operator[](LcoreCounter k) const { return c[static_cast<std::size_t>(k)]; }
    uint64_t total_drops() const;
    // Counter-wise a - b (counters only grow, so this is never negative for a later `a`).
    LcoreSample minus(const LcoreSample& b) const;
};
LcoreSample sample_lcore(const Worker& w);

// The state `stats` keeps between requests: the reset baseline (per worker and per port)
// and the two most recent once-a-second samples the interval rates come from.
struct StatsState {
    struct Tick {
        uint64_t tsc = 0;
        std::vector<LcoreSample> lcores;
    };
    std::vector<LcoreSample> base;            // per worker, subtracted from what is shown
    std::vector<rte_eth_stats> port_base;     // per port, ditto
    uint64_t base_tsc = 0;
    Tick prev, last;                          // last: the newest tick; prev: the one before

    void init(const MgmtContext& ctx);
    void tick(const MgmtContext& ctx);        // about once a second
    void reset(const MgmtContext& ctx);
};

mgmt::Json version_json();
RpcResult mgmt_show(const MgmtContext& ctx);
RpcResult mgmt_stats(const MgmtContext& ctx, StatsState& st, const mgmt::Json& params);
RpcResult mgmt_dump_tables(const MgmtContext& ctx, const mgmt::Json& params);
std::string mgmt_metrics(const MgmtContext& ctx);

// "net_pcap0" role "vif", target "vm1", and the worker lcores that poll its rx queues.
mgmt::Json port_identity(const Port& p);

}  // namespace scs::dataplane
