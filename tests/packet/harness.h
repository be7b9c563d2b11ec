// Packet-level test harness: runs frames through the real Executor on a generation and
// collects what it transmits, per DPDK port, as bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "engine/exec.h"
#include "engine/generation.h"

namespace scs::test {

using Bytes = std::vector<uint8_t>;

// The demo topology with its logical roles on DPDK ports 0..4 (lib/demo/topology.h).
inline constexpr uint16_t kPortVm1 = 0, kPortVm2 = 1, kPortVm4 = 2, kPortUnderlay = 3, kPortProvider = 4;
std::unique_ptr<engine::Generation> demo_generation(uint16_t provider_vlan = 0);

// A generation of one datapath whose logical port 1 is bound to DPDK port 0.
std::unique_ptr<engine::Generation> single_datapath(engine::DatapathPtr dp);

class Harness {
public:
    explicit Harness(std::unique_ptr<engine::Generation> gen, bool flow_cache = true);
    // Sends one frame in on DPDK port `port`; returns what came out, by port.
    std::map<uint16_t, std::vector<Bytes>> send(uint16_t port, std::span<const uint8_t> frame);
    // Sends a burst (all on one port).
    std::map<uint16_t, std::vector<Bytes>> send_burst(uint16_t port, const std::vector<Bytes>& frames);

    engine::LcoreStats& stats() { return stats_; }
    // ol_flags / l2_len / l3_len of the last mbuf transmitted on a port (offload requests).
    struct TxMeta {
        uint64_t ol_flags = 0;
        uint16_t l2_len = 0, l3_len = 0;
    };
    TxMeta last_tx_meta(uint16_t port) const { return meta_.count(port) ? meta_.at(port) : TxMeta{}; }
    const engine::Executor& executor() const { return exec_; }
    void trace(engine::TraceLog* t) { exec_.set_trace(t); }
    uint64_t drops(DropReason r) const { return stats_.drops[static_cast<std::size_t>(r)].get(); }
    uint64_t unimplemented(engine::Unimpl u) const { return stats_.unimplemented[static_cast<unsigned>(u)].get(); }
    // "reason=count ..." of every non-zero drop and unimplemented counter (failure messages).
    std::string drop_summary() const;
    const engine::Generation& gen() const { return *gen_; }
    void set_generation(std::unique_ptr<engine::Generation> g) { gen_ = std::move(g); }

private:
    static uint16_t flush(void* opaque, uint16_t port, rte_mbuf** pkts, uint16_t n);
    std::unique_ptr<engine::Generation> gen_;
    engine::LcoreStats stats_;
    engine::TxSink sink_;
    engine::Executor exec_;
    std::map<uint16_t, std::vector<Bytes>> out_;
    std::map<uint16_t, TxMeta> meta_;
};

}  // namespace scs::test
