// The built-in demo topology: two tenant switches joined by a distributed router, a
// provider network behind the router, and a second chassis reachable over Geneve - written
// by hand, stage by stage, the way ovn-northd 23.03 writes its logical flows for such a
// topology (../shared/sb-dump/gw-chassis/lflow-list.txt shows the originals).
//
// It serves three purposes until the Southbound compiler lands: the daemon's main job runs
// on it, the packet-level tests check OVN's forwarding semantics against it byte for byte,
// and the benchmarks measure the real pipeline shape on it. Stateful and controller actions
// (port security via OVN's controller-side check, ARP learning, ICMP errors) appear where
// OVN has them and compile to counted Unimplemented drops, exactly as the compiler will
// lower them.
//
//            vm1 10.0.0.11 (local)   vm2 10.0.0.12 (local)   vm3 10.0.0.13 (on hv2)
//                          \                |                 /
//                            sw0 (key 1)  10.0.0.0/24
//                                 | lr0-sw0 10.0.0.1
//              default route ---- lr0 (key 3) ---- lr0-sw1 10.0.1.1 -- sw1 (key 2) -- vm4 10.0.1.14 (local)
//              via 172.24.4.254   | lr0-public 172.24.4.1                          -- vm5 10.0.1.15 (on hv2)
//                            public (key 4) -- ln-public (localnet physnet1, optional VLAN)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "engine/generation.h"
#include "packet/addr.h"

namespace scs::demo {

inline constexpr uint16_t kNoPort = 0xffff;

struct DemoPorts {
    uint16_t vm1 = kNoPort;       // DPDK port of logical port vm1 (sw0)
    uint16_t vm2 = kNoPort;       // vm2 (sw0)
    uint16_t vm4 = kNoPort;       // vm4 (sw1)
    uint16_t underlay = kNoPort;  // Geneve underlay
    uint16_t provider = kNoPort;  // physnet1
};

struct DemoOptions {
    DemoPorts ports;
    uint16_t provider_vlan = 0;  // 0: untagged provider network
    uint64_t generation = 1;
    // Extra /32 routes on lr0 (benchmarks with large routing tables); next hop vm4.
    uint32_t extra_routes = 0;
};

// Addresses of the demo topology, for tests and traffic generators.
namespace addr {
inline const pkt::Mac kVm1Mac{{0x00, 0x00, 0x00, 0x00, 0x01, 0x01}};
inline const pkt::Mac kVm2Mac{{0x00, 0x00, 0x00, 0x00, 0x01, 0x02}};
inline const pkt::Mac kVm3Mac{{0x00, 0x00, 0x00, 0x00, 0x01, 0x03}};
inline const pkt::Mac kVm4Mac{{0x00, 0x00, 0x00, 0x00, 0x02, 0x04}};
inline const pkt::Mac kVm5Mac{{0x00, 0x00, 0x00, 0x00, 0x02, 0x05}};
inline const pkt::Mac kLrpSw0Mac{{0x00, 0x00, 0x00, 0x00, 0xff, 0x01}};
inline const pkt::Mac kLrpSw1Mac{{0x00, 0x00, 0x00, 0x00, 0xff, 0x02}};
inline const pkt::Mac kLrpPubMac{{0x00, 0x00, 0x00, 0x00, 0xff, 0x03}};
inline const pkt::Mac kGatewayMac{{0x00, 0x00, 0x00, 0x00, 0xfe, 0xfe}};  // 172.24.4.254
inline const pkt::Mac kLocalUnderlayMac{{0x00, 0x00, 0x00, 0x00, 0xaa, 0x01}};
inline const pkt::Mac kHv2UnderlayMac{{0x00, 0x00, 0x00, 0x00, 0xaa, 0x02}};
inline constexpr pkt::Ip4 kVm1Ip{0x0a00000b}, kVm2Ip{0x0a00000c}, kVm3Ip{0x0a00000d};
inline constexpr pkt::Ip4 kVm4Ip{0x0a00010e}, kVm5Ip{0x0a00010f};
inline constexpr pkt::Ip4 kLrpSw0Ip{0x0a000001}, kLrpSw1Ip{0x0a000101}, kLrpPubIp{0xac180401};
inline constexpr pkt::Ip4 kGatewayIp{0xac1804fe};
inline constexpr pkt::Ip4 kLocalEncapIp{0xc0a86401}, kHv2EncapIp{0xc0a86402};  // 192.168.100.x
inline constexpr uint32_t kSw0Key = 1, kSw1Key = 2, kLr0Key = 3, kPublicKey = 4;
// Port keys within their datapaths.
inline constexpr uint32_t kVm1Key = 1, kVm2Key = 2, kVm3Key = 3, kSw0LrKey = 4;
inline constexpr uint32_t kVm4Key = 1, kVm5Key = 2, kSw1LrKey = 3;
inline constexpr uint32_t kLrSw0Key = 1, kLrSw1Key = 2, kLrPubKey = 3;
inline constexpr uint32_t kLnPublicKey = 1, kPubLrKey = 2;
inline constexpr uint32_t kMcFlood = 32768, kMcUnknown = 32769;
}  // namespace addr

Result<std::unique_ptr<engine::Generation>> build_demo(const DemoOptions& opt);

// Logical switch and router pipelines in OVN's shape, reusable for other hand topologies.
struct SwitchPort {
    uint32_t key;
    std::string name;
    pkt::Mac mac;             // port security / L2 lookup address (ignored for localnet)
    engine::PortEntry entry;  // where it leads on this chassis
    bool is_router_port = false;
    bool is_localnet = false;
};
Result<engine::DatapathPtr> build_switch(const std::string& name, uint32_t key,
                                         const std::vector<SwitchPort>& ports);

struct RouterPort {
    uint32_t key;
    std::string name;
    pkt::Mac mac;
    pkt::Ip4 ip;
    unsigned plen;
    engine::PortEntry entry;
};
struct Neighbor {  // lr_in_arp_resolve static entries (OVN: from NB addresses / MAC_Binding)
    uint32_t port_key;
    pkt::Ip4 ip;
    pkt::Mac mac;
};
struct Route {  // static route: prefix via next hop out of a port
    pkt::Ip4 prefix;
    unsigned plen;
    pkt::Ip4 nexthop;
    uint32_t port_key;
};
Result<engine::DatapathPtr> build_router(const std::string& name, uint32_t key,
                                         const std::vector<RouterPort>& ports,
                                         const std::vector<Neighbor>& neighbors,
                                         const std::vector<Route>& routes);

}  // namespace scs::demo
