// The worker poll loop: one per worker lcore (or one on the main lcore when there is no
// other), each with its own rx queues, its own tx queue on every port and its own counters.
//
// Concurrency rules (see rcu/qsbr.h for the table side):
//  - A worker reads the live generation once per poll loop (Published::acquire, acquire
//    order), uses it for every burst of that loop, then reports a quiescent state - the
//    point where it holds no pointer into any generation. It goes offline before it returns.
//  - Everything in Worker except `stats` is written by the control thread before the
//    worker is launched (rte_eal_remote_launch / thread creation order it) and only read
//    after. `stats` is written by the worker alone and read by anyone (common/counter.h).
//  - The stop flag is the only thing the control thread writes while workers run; relaxed
//    is enough, since nothing is published through it (the worker re-checks it each loop,
//    and the launcher's join orders everything after the loop ends).
//  - The loop takes no lock, allocates nothing (the Executor may take an mbuf for a copy
//    from the lcore's mempool cache), makes no syscall and prints nothing.
//  - Rule hits go to slice `id` of the live tables' counter blocks (live_tables.h); the
//    flow cache's share is folded in from the loop, before its quiescent state.
//  - Each non-empty burst's pipeline time (rx_burst returned -> its tx done) goes into
//    stats.burst_latency: two TSC reads per burst, owner-only counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "engine/stats.h"
#include "live_tables.h"
#include "ports.h"
#include "rcu/qsbr.h"

namespace scs::dataplane {

inline constexpr uint16_t kRxBurst = 32;

struct alignas(64) Worker {
    engine::LcoreStats stats;  // first: its own cache lines, written by the worker only

    unsigned id = 0;     // QSBR thread id, tx queue index on every port
    unsigned lcore = 0;  // EAL lcore it runs on
    uint16_t txq = 0;
    bool flow_cache = true;
    std::vector<RxQueue> rxqs;
    rte_mempool* pool = nullptr;  // for the Executor's copies
    rcu::Qsbr* qsbr = nullptr;
    const Tables* tables = nullptr;
    const std::atomic<bool>* stop = nullptr;
};

// lcore_function_t: runs the poll loop until *stop; returns 0.
int worker_main(void* worker);

}  // namespace scs::dataplane
