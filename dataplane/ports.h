// DPDK ports of the daemon: probing (hot-plugging a vdev or PCI device, or finding one EAL
// already created), queue planning (RSS across workers when the device has it, one tx queue
// per worker so that workers never share a queue), offloads, start, link status, stop.
//
// Control thread only; never touched by workers, which see a port as (id, queue) pairs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_ethdev.h>

#include "common/result.h"
#include "options.h"

namespace scs::dataplane {

struct Port {
    PortSpec spec;
    uint16_t id = 0;
    std::string name;  // ethdev name
    std::string driver;
    rte_device* device = nullptr;
    bool hotplugged = false;  // probed by us (removed again at close)
    bool configured = false;
    bool started = false;
    uint16_t nb_rxq = 1;
    uint16_t nb_txq = 1;
    uint16_t nb_rxd = 1024;
    uint16_t nb_txd = 1024;
    uint16_t mtu = 0;     // 0: the device's default
    uint64_t rss_hf = 0;  // 0: no RSS (one rx queue)
    uint64_t tx_offloads = 0;
    rte_ether_addr mac{};
};

struct RxQueue {
    uint16_t port;
    uint16_t queue;
};

class Ports {
  public:
    Ports() = default;
    Ports(const Ports&) = delete;
    Ports& operator=(const Ports&) = delete;
    ~Ports() { close(); }

    // Finds or hot-plugs every device and plans its queues for `workers` workers. Errors are
    // the command line's fault (unknown device, failed probe, duplicate, too few queues).
    Result<void> attach(const std::vector<PortSpec>& specs, unsigned workers);
    // Mbufs the plan needs: descriptors of every queue, the workers' bursts and tx buffers,
    // the per-lcore caches, and room for copies.
    uint32_t mbufs_needed(unsigned workers, unsigned lcores, unsigned cache) const;
    // Configures queues and offloads, promiscuous mode, starts every port.
    Result<void> start(rte_mempool* pool);
    // One line per port: link state, queues, offloads.
    void report() const;
    // Stops, closes and (if we hot-plugged it) removes every port. Idempotent.
    void close();

    // rx queues spread over the workers, round-robin in port order.
    std::vector<std::vector<RxQueue>> spread_rx_queues(unsigned workers) const;

    const std::vector<Port>& list() const { return ports_; }
    const Port* find_role(Role r, std::string_view target = {}) const;

  private:
    Result<void> attach_one(const PortSpec& spec, unsigned workers);

    std::vector<Port> ports_;
};

}  // namespace scs::dataplane
