#include "packet/harness.h"

#include <cstring>
#include <stdexcept>

#include "demo/topology.h"
#include "eal_env.h"

namespace scs::test {

std::unique_ptr<engine::Generation> demo_generation(uint16_t provider_vlan) {
    demo::DemoOptions o;
    o.ports = {kPortVm1, kPortVm2, kPortVm4, kPortUnderlay, kPortProvider};
    o.provider_vlan = provider_vlan;
    auto g = demo::build_demo(o);
    if (!g.ok()) throw std::runtime_error(g.error());
    return std::move(g.value());
}

std::unique_ptr<engine::Generation> single_datapath(engine::DatapathPtr dp) {
    auto g = std::make_unique<engine::Generation>();
    g->datapaths.push_back(std::move(dp));
    g->rx = {{engine::RxRole::Vif, g->datapaths[0]->tunnel_key, 1, {}}};
    g->index();
    return g;
}

Harness::Harness(std::unique_ptr<engine::Generation> gen, bool flow_cache)
    : gen_(std::move(gen)), sink_(&Harness::flush, this), exec_(stats_, sink_, mbuf_pool()) {
    exec_.set_cache_enabled(flow_cache);
}

uint16_t Harness::flush(void* opaque, uint16_t port, rte_mbuf** pkts, uint16_t n) {
    auto* h = static_cast<Harness*>(opaque);
    for (uint16_t i = 0; i < n; ++i) {
        const auto* d = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
        if (pkts[i]->nb_segs != 1) throw std::runtime_error("multi-segment output");
        h->out_[port].emplace_back(d, d + rte_pktmbuf_data_len(pkts[i]));
        h->meta_[port] = {pkts[i]->ol_flags, static_cast<uint16_t>(pkts[i]->l2_len), static_cast<uint16_t>(pkts[i]->l3_len)};
        rte_pktmbuf_free(pkts[i]);
    }
    return n;
}

std::map<uint16_t, std::vector<Bytes>> Harness::send_burst(uint16_t port, const std::vector<Bytes>& frames) {
    std::vector<rte_mbuf*> ms;
    for (const Bytes& f : frames) {
        rte_mbuf* m = rte_pktmbuf_alloc(mbuf_pool());
        if (!m) throw std::runtime_error("mbuf pool exhausted");
        char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
        if (!d) throw std::runtime_error("frame too large for an mbuf");
        std::memcpy(d, f.data(), f.size());
        ms.push_back(m);
    }
    out_.clear();
    exec_.process(*gen_, port, ms.data(), static_cast<uint16_t>(ms.size()));
    return std::move(out_);
}

std::string Harness::drop_summary() const {
    std::string s;
    for (std::size_t r = 0; r < kDropReasonCount; ++r)
        if (const uint64_t n = stats_.drops[r].get())
            s += std::string(drop_reason_name(static_cast<DropReason>(r))) + "=" + std::to_string(n) + " ";
    for (unsigned u = 0; u < engine::kUnimplCount; ++u)
        if (const uint64_t n = stats_.unimplemented[u].get())
            s += "unimplemented:" + std::string(engine::unimpl_name(static_cast<engine::Unimpl>(u))) + "=" + std::to_string(n) + " ";
    return s.empty() ? "no drops" : s;
}

std::map<uint16_t, std::vector<Bytes>> Harness::send(uint16_t port, std::span<const uint8_t> frame) {
    return send_burst(port, {Bytes(frame.begin(), frame.end())});
}

}  // namespace scs::test
