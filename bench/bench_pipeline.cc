// Full pipeline passes over in-memory bursts: the real Executor on the demo topology's
// OVN-shaped pipelines, bursts of 32 64-byte frames, with `flows` distinct 5-tuples.
//
// Every iteration does what a PMD's rx would - take 32 mbufs from the mempool and copy a
// frame into each - then runs them through the pipeline; transmitted mbufs are freed. The
// `io_only` profile does just the mbuf part, so its cost can be read off the others.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "demo/topology.h"
#include "eal_env.h"
#include "engine/exec.h"
#include "packet/builder.h"

namespace scs::bench {
namespace {

using namespace scs::demo::addr;
using Bytes = std::vector<uint8_t>;

enum Profile : int { kIoOnly, kL2, kL3, kL3Geneve, kGeneveRx, kProvider };
constexpr uint16_t kPortVm1 = 0, kPortVm2 = 1, kPortVm4 = 2, kPortUnderlay = 3, kPortProvider = 4;

struct Traffic {
    uint16_t rx_port = kPortVm1;
    std::vector<Bytes> frames;
};

Bytes udp64(pkt::Mac dst, pkt::Mac src, pkt::Ip4 sip, pkt::Ip4 dip, uint16_t sp, uint16_t dp) {
    return pkt::FrameBuilder().eth(dst, src).ipv4(sip, dip).udp(sp, dp).payload_pattern(18).build();  // 60 B + FCS
}

Traffic traffic(Profile p, unsigned flows) {
    Traffic t;
    for (unsigned i = 0; i < flows; ++i) {
        const auto sp = static_cast<uint16_t>(1024 + i % 50000), dp = static_cast<uint16_t>(1 + i / 50000);
        switch (p) {
            case kIoOnly:
            case kL2: t.frames.push_back(udp64(kVm2Mac, kVm1Mac, kVm1Ip, kVm2Ip, sp, dp)); break;
            case kL3: t.frames.push_back(udp64(kLrpSw0Mac, kVm1Mac, kVm1Ip, kVm4Ip, sp, dp)); break;
            case kL3Geneve: t.frames.push_back(udp64(kLrpSw0Mac, kVm1Mac, kVm1Ip, kVm5Ip, sp, dp)); break;
            case kProvider: t.frames.push_back(udp64(kLrpSw0Mac, kVm1Mac, kVm1Ip, pkt::Ip4{0x08080000u + i}, sp, dp)); break;
            case kGeneveRx: {
                t.rx_port = kPortUnderlay;
                const Bytes inner = udp64(kVm1Mac, kVm3Mac, kVm3Ip, kVm1Ip, sp, dp);
                t.frames.push_back(pkt::geneve_encap(kLocalUnderlayMac, kHv2UnderlayMac, kHv2EncapIp, kLocalEncapIp,
                                                     static_cast<uint16_t>(32768 + i % 28000), kSw0Key, kVm3Key,
                                                     kVm1Key, inner));
                break;
            }
        }
    }
    return t;
}

uint16_t free_all(void*, uint16_t, rte_mbuf** pkts, uint16_t n) {
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
}

void BM_Pipeline(benchmark::State& st) {
    const auto profile = static_cast<Profile>(st.range(0));
    const auto flows = static_cast<unsigned>(st.range(1));
    rte_mempool* pool = test::mbuf_pool();
    demo::DemoOptions o;
    o.ports = {kPortVm1, kPortVm2, kPortVm4, kPortUnderlay, kPortProvider};
    auto gen = demo::build_demo(o);
    if (!gen.ok()) {
        st.SkipWithError(gen.error().c_str());
        return;
    }
    const Traffic t = traffic(profile, flows);
    engine::LcoreStats stats;
    engine::TxSink sink(&free_all, nullptr);
    engine::Executor exec(stats, sink, pool);
    constexpr unsigned kBurst = 32;
    rte_mbuf* burst[kBurst];
    std::size_t next = 0;
    uint64_t cycles = 0, pkts = 0;
    for (auto _ : st) {
        const uint64_t t0 = rte_rdtsc();
        if (rte_pktmbuf_alloc_bulk(pool, burst, kBurst) != 0) {
            st.SkipWithError("mempool empty");
            break;
        }
        for (unsigned i = 0; i < kBurst; ++i) {
            const Bytes& f = t.frames[next];
            next = next + 1 == t.frames.size() ? 0 : next + 1;
            std::memcpy(rte_pktmbuf_append(burst[i], static_cast<uint16_t>(f.size())), f.data(), f.size());
        }
        if (profile == kIoOnly) rte_pktmbuf_free_bulk(burst, kBurst);
        else exec.process(**gen, t.rx_port, burst, kBurst);
        cycles += rte_rdtsc() - t0;
        pkts += kBurst;
    }
    st.SetItemsProcessed(static_cast<int64_t>(pkts));
    st.counters["cycles/pkt"] = pkts ? static_cast<double>(cycles) / static_cast<double>(pkts) : 0;
    st.counters["Mpps"] = benchmark::Counter(static_cast<double>(pkts) / 1e6, benchmark::Counter::kIsRate);
    const uint64_t dropped = stats.total_drops();
    if (profile != kIoOnly && dropped != 0) st.SkipWithError("packets were dropped: the profile is broken");
}

void profiles(benchmark::internal::Benchmark* b) {
    b->ArgNames({"profile", "flows"});
    for (int p : {kIoOnly, kL2, kL3, kL3Geneve, kGeneveRx, kProvider})
        for (int f : {1, 1000, 100000, 1000000}) b->Args({p, f});
}
BENCHMARK(BM_Pipeline)->Apply(profiles);

}  // namespace
}  // namespace scs::bench
