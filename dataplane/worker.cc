#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "common/compiler.h"
#include "engine/exec.h"
#include "engine/tx.h"

namespace scs::dataplane {

namespace {

// TxSink flush: the worker's own queue on `port`; what the device does not take is freed
// and counted, never retried in a loop (a full queue means the device is behind).
uint16_t tx_flush(void* opaque, uint16_t port, rte_mbuf** pkts, uint16_t n) {
    Worker& w = *static_cast<Worker*>(opaque);
    const uint16_t sent = rte_eth_tx_burst(port, w.txq, pkts, n);
    if (SCS_UNLIKELY(sent < n)) {
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        w.stats.drops[static_cast<std::size_t>(DropReason::TxFull)].add(n - sent);
    }
    return sent;
}

}  // namespace

int worker_main(void* arg) {
    Worker& w = *static_cast<Worker*>(arg);
    engine::TxSink tx(&tx_flush, &w);
    engine::Executor exec(w.stats, tx, w.pool);
    exec.set_cache_enabled(w.flow_cache);
    exec.count_rules(w.id);
    const RxQueue* const rxqs = w.rxqs.data();
    const std::size_t nq = w.rxqs.size();
    rte_mbuf* pkts[kRxBurst];

    w.qsbr->online(w.id);
    uint64_t last = rte_rdtsc();
    while (!w.stop->load(std::memory_order_relaxed)) {
        // One generation per loop: valid until the quiescent() below.
        const LiveTables* live = w.tables->acquire();
        const engine::Generation& gen = *live->gen;
        exec.use(gen, &live->rules);  // on a new generation: folds into the old blocks first
        uint32_t got = 0;
        for (std::size_t i = 0; i < nq; ++i) {
            const uint16_t n = rte_eth_rx_burst(rxqs[i].port, rxqs[i].queue, pkts, kRxBurst);
            if (n == 0) continue;
            const uint64_t t0 = rte_rdtsc();
            got += n;
            w.stats.bursts.inc();
            exec.process(gen, rxqs[i].port, pkts, n);  // consumes all n, flushes tx
            w.stats.burst_latency.add(rte_rdtsc() - t0);
        }
        // One TSC read per loop: the whole loop is busy if it moved a packet, idle if not.
        const uint64_t now = rte_rdtsc();
        exec.fold_rule_hits(now, got == 0);
        w.qsbr->quiescent(w.id);
        w.stats.quiescent.inc();
        (got ? w.stats.busy_cycles : w.stats.idle_cycles).add(now - last);
        last = now;
    }
    w.qsbr->offline(w.id);
    return 0;
}

}  // namespace scs::dataplane
