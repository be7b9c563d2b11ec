// One table generation: everything a worker needs to forward, as an immutable snapshot.
//
// The control side builds generation N+1 beside the live one N - reusing, not copying, the
// Datapath objects that did not change (shared_ptr; refcounts are only ever touched by the
// control thread) - and publishes it with one atomic store (rcu/publisher.h). Workers load
// the pointer once per burst and never see a half-built table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/datapath.h"
#include "packet/proto.h"

namespace scs::engine {

// A remote chassis reachable over Geneve, with the outer headers precomputed.
struct Tunnel {
    std::string chassis;
    uint32_t remote_ip = 0;        // host order
    uint8_t next_hop_mac[6] = {};  // underlay next hop (the remote itself on a flat underlay)
    uint16_t tx_port = 0;          // DPDK port of the underlay
    // The underlay port computes outer IPv4 checksums (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM): the
    // mbuf is flagged and the field left 0 instead of being fixed up in software.
    bool hw_ip_csum = false;
    // Outer Eth/IPv4/UDP/Geneve/TLV as sent, with length, UDP source port, VNI and TLV value
    // zero; the IPv4 checksum is over the template, fixed up per packet incrementally.
    std::array<uint8_t, pkt::kGeneveEncapLen> header{};
};

struct Underlay {
    uint32_t encap_ip = 0;      // host order: our Geneve endpoint
    uint8_t mac[6] = {};        // our MAC on the underlay port
    uint8_t ttl = 64;
    bool dont_fragment = true;  // OVS sets DF on Geneve by default (df_default=true)
};

enum class RxRole : uint8_t { Unbound = 0, Vif, Underlay, Provider };

// Frames with VLAN tag `vlan` belong to logical port `port` of datapath `dp`: a localnet
// port on a provider network, or a child port (parent_port + tag) on its parent's VIF.
struct VlanBinding {
    uint16_t vlan = 0;  // 0: untagged frames
    uint32_t dp = 0;    // datapath tunnel key
    uint32_t port = 0;  // logical port key
};

struct RxBinding {
    RxRole role = RxRole::Unbound;
    uint32_t dp = 0;    // Vif: datapath tunnel key
    uint32_t port = 0;  // Vif: logical port key
    std::vector<VlanBinding> localnets;  // Provider
    // Vif: the child ports whose parent it is (OpenStack trunk subports). A frame tagged
    // with a child's VLAN enters as the child, untagged; any other frame as the VIF itself.
    std::vector<VlanBinding> children;
};

struct Generation {
    // Unique per Generation object ever built in this process (never reused, unlike an
    // address): what per-lcore caches key their validity on.
    const uint64_t uid = next_uid();
    uint64_t number = 0;
    uint64_t created_ns = 0;  // CLOCK_MONOTONIC at publish
    std::vector<DatapathPtr> datapaths;
    std::vector<const Datapath*> by_key;  // datapath tunnel key -> datapath (dense)
    std::vector<Tunnel> tunnels;          // by tunnel id
    std::vector<uint32_t> remote_ips;     // sorted tunnel remote IPs (host order): who may
                                          // send us Geneve (OVS binds tunnel ports to remote_ip)
    std::vector<RxBinding> rx;            // by DPDK port id
    Underlay underlay;

    SCS_ALWAYS_INLINE const Datapath* datapath(uint32_t key) const {
        return key < by_key.size() ? by_key[key] : nullptr;
    }
    bool known_remote(uint32_t ip) const;
    SCS_ALWAYS_INLINE const RxBinding* rx_binding(uint16_t port) const {
        return port < rx.size() ? &rx[port] : nullptr;
    }

    static uint64_t next_uid();

    // Fills by_key from datapaths and the tunnel header templates; call before publishing.
    void index();
};

// Fills `t.header` from the underlay and the tunnel's addresses.
void build_tunnel_header(const Underlay& u, Tunnel& t);

}  // namespace scs::engine
