#include "engine/trace_run.h"

#include <cstring>

#include <rte_mbuf.h>

namespace scs::engine {

namespace {

uint16_t capture(void* opaque, uint16_t port, rte_mbuf** pkts, uint16_t n) {
    auto* run = static_cast<TraceRun*>(opaque);
    for (uint16_t i = 0; i < n; ++i) {
        std::vector<uint8_t> bytes;
        for (const rte_mbuf* s = pkts[i]; s; s = s->next) {
            const auto* d = rte_pktmbuf_mtod(s, const uint8_t*);
            bytes.insert(bytes.end(), d, d + s->data_len);
        }
        run->tx.emplace_back(port, std::move(bytes));
        rte_pktmbuf_free(pkts[i]);
    }
    return n;
}

}  // namespace

Result<TraceRun> trace_packet(const Generation& gen, uint16_t rx_port, std::span<const uint8_t> frame,
                              rte_mempool* pool) {
    TraceRun run;
    LcoreStats stats;
    TxSink sink(&capture, &run);
    Executor ex(stats, sink, pool, 64);
    ex.set_cache_enabled(false);
    ex.set_trace(&run.log);
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (!m) return make_error("no mbuf for the traced packet (the pool is exhausted)");
    char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (!d) {
        rte_pktmbuf_free(m);
        return make_error("the traced packet does not fit in one mbuf");
    }
    std::memcpy(d, frame.data(), frame.size());
    ex.process(gen, rx_port, &m, 1);
    sink.flush();
    return run;
}

}  // namespace scs::engine
