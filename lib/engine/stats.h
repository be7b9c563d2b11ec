// Per-lcore forwarding counters. One instance per worker, written only by it (counter.h).
#pragma once

#include <array>
#include <cstdint>

#include "common/counter.h"
#include "common/drop_reason.h"
#include "engine/action.h"
#include "engine/latency.h"

namespace scs::engine {

struct alignas(64) LcoreStats {
    Counter rx_packets;
    Counter rx_bytes;
    Counter tx_packets;
    Counter tx_bytes;
    Counter geneve_encap;
    Counter geneve_decap;
    Counter copies;           // extra packet copies made for flooding / non-tail outputs
    Counter bursts;           // non-empty rx bursts
    Counter busy_cycles;      // TSC spent on non-empty bursts
    Counter idle_cycles;      // TSC spent polling empty queues
    Counter quiescent;        // QSBR quiescent states reported
    Counter cache_hits;       // flow cache (flow_cache.h)
    Counter cache_misses;
    Counter cache_inserts;
    Counter cache_flushes;    // resets on generation change
    std::array<Counter, kDropReasonCount> drops;
    std::array<Counter, kUnimplCount> unimplemented;
    LatencyHistogram burst_latency;  // TSC cycles per burst, rx returned -> tx done (worker.cc)

    void drop(DropReason r) { drops[static_cast<std::size_t>(r)].inc(); }
    uint64_t total_drops() const {
        uint64_t n = 0;
        for (const Counter& c : drops) n += c.get();
        return n;
    }
};

}  // namespace scs::engine
