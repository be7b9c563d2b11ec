// scs-demo-traffic: writes the demo topology's traffic as pcap files, one per ingress port,
// for scs-dataplane's net_pcap ports (tools/demo.sh): from vm1 (same-switch, routed,
// routed-to-remote-chassis, to the provider network, a broadcast ARP), from the underlay
// (Geneve from hv2 for vm1 and vm4) and from the provider network (replies for vm4).
#include <cstdio>
#include <string>

#include "demo/topology.h"
#include "packet/builder.h"
#include "packet/pcap_file.h"

using namespace scs;
using namespace scs::demo::addr;
using pkt::FrameBuilder;

namespace {

std::vector<uint8_t> udp(pkt::Mac dst, pkt::Mac src, pkt::Ip4 sip, pkt::Ip4 dip, uint16_t sp, uint8_t ttl = 64) {
    return FrameBuilder().eth(dst, src).ipv4(sip, dip, ttl).udp(sp, 5001).payload_pattern(18).build();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 || std::string(argv[1]) == "--help") {
        std::fprintf(stderr, "usage: scs-demo-traffic OUTDIR\n  writes OUTDIR/{vm1,underlay,provider}.pcap\n");
        return argc == 2 ? 0 : 2;
    }
    const std::string dir = argv[1];
    const pkt::Ip4 internet{0x08080808};
    std::vector<std::vector<uint8_t>> vm1, underlay, provider;
    for (uint16_t i = 0; i < 64; ++i) {
        const auto sp = static_cast<uint16_t>(10000 + i);
        vm1.push_back(udp(kVm2Mac, kVm1Mac, kVm1Ip, kVm2Ip, sp));              // L2, same switch
        vm1.push_back(udp(kLrpSw0Mac, kVm1Mac, kVm1Ip, kVm4Ip, sp));           // routed to vm4
        vm1.push_back(udp(kLrpSw0Mac, kVm1Mac, kVm1Ip, kVm5Ip, sp));           // routed, Geneve to hv2
        vm1.push_back(udp(kVm3Mac, kVm1Mac, kVm1Ip, kVm3Ip, sp));              // L2, Geneve to hv2
        vm1.push_back(udp(kLrpSw0Mac, kVm1Mac, kVm1Ip, internet, sp));         // routed to physnet1
        underlay.push_back(pkt::geneve_encap(kLocalUnderlayMac, kHv2UnderlayMac, kHv2EncapIp, kLocalEncapIp,
                                             static_cast<uint16_t>(40000 + i), kSw0Key, kVm3Key, kVm1Key,
                                             udp(kVm1Mac, kVm3Mac, kVm3Ip, kVm1Ip, sp)));
        underlay.push_back(pkt::geneve_encap(kLocalUnderlayMac, kHv2UnderlayMac, kHv2EncapIp, kLocalEncapIp,
                                             static_cast<uint16_t>(40000 + i), kSw1Key, kSw1LrKey, kVm4Key,
                                             udp(kVm4Mac, kLrpSw1Mac, kVm3Ip, kVm4Ip, sp, 63)));
        provider.push_back(udp(kLrpPubMac, kGatewayMac, internet, kVm4Ip, sp, 60));
    }
    vm1.push_back(FrameBuilder().eth(pkt::Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, kVm1Mac)
                      .arp(1, kVm1Mac, kVm1Ip, pkt::Mac{}, kVm2Ip).build());
    for (const auto& [name, frames] : {std::pair{"vm1", &vm1}, {"underlay", &underlay}, {"provider", &provider}}) {
        const std::string path = dir + "/" + name + ".pcap";
        if (auto r = pkt::write_pcap(path, *frames); !r) {
            std::fprintf(stderr, "scs-demo-traffic: %s\n", r.error().c_str());
            return 1;
        }
        std::printf("%-28s %zu frames\n", path.c_str(), frames->size());
    }
    return 0;
}
