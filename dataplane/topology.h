// Where the daemon's table generations come from: for now the built-in demo topology
// (lib/demo/topology.h), bound to the DPDK ports the command line gave each role.
//
// Control thread only. check_roles() runs before EAL is initialised, so that a port naming a
// logical port the topology does not have is rejected without touching DPDK; the rest runs
// once the ports are probed and have ids.
#pragma once

#include <cstdint>
#include <memory>

#include "common/result.h"
#include "demo/topology.h"
#include "engine/generation.h"
#include "options.h"
#include "source.h"

namespace scs::dataplane {

// Rejects roles the demo topology cannot play: unknown or remote logical ports, a second
// port for the same role, an underlay IP that is the remote chassis', an unknown physnet,
// a chassis name that is the remote chassis'.
Result<void> check_roles(const Config& cfg);

// Everything the generation needs from the command line and the probed ports.
struct Bindings {
    demo::DemoPorts ports;
    uint16_t provider_vlan = 0;
    pkt::Ip4 encap_ip = demo::addr::kLocalEncapIp;
    pkt::Mac underlay_mac = demo::addr::kLocalUnderlayMac;
    pkt::Mac gateway_mac = demo::addr::kHv2UnderlayMac;
    bool outer_ip_csum_offload = false;  // the underlay port computes outer IPv4 checksums
};

class TopologySource final : public GenerationSource {
  public:
    explicit TopologySource(const Bindings& b) : b_(b) {}

    // Generation 1.
    Result<std::unique_ptr<engine::Generation>> initial() override;

    // The next generation, built beside `live` (which the caller keeps publishing until the
    // swap). The demo topology never changes, so this is the shape of an incremental update
    // with nothing to update: one datapath per round - in turn - is rebuilt from scratch and
    // every other one is shared with `live`, as unchanged datapaths will be when the
    // Southbound tracker lands. Both paths get exercised: sharing (shared_ptr refcounts, on
    // this thread only) and retiring a datapath that the workers may still be reading.
    Result<std::unique_ptr<engine::Generation>> next(const engine::Generation& live) override;

  private:
    Result<std::unique_ptr<engine::Generation>> build(uint64_t number);

    Bindings b_;
    uint64_t number_ = 0;
    std::size_t rotate_ = 0;
};

}  // namespace scs::dataplane
