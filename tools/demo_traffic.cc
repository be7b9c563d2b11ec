// scs-demo-traffic: writes the demo topology's traffic as pcap files, one per ingress port,
// for scs-dataplane's net_pcap ports (tools/demo.sh): from vm1 (same-switch, routed,
// routed-to-remote-chassis, to the provider network, a broadcast ARP), from the underlay
// (Geneve from hv2 for vm1 and vm4) and from the provider network (replies for vm4).
#include <cstdio>
#include <cstdlib>
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

// One profile, `flows` distinct 5-tuples (UDP ports), 64-byte frames, for benchmarks.
int write_profile(const std::string& profile, unsigned long flows, const std::string& path) {
    std::vector<std::vector<uint8_t>> frames;
    for (unsigned long i = 0; i < flows; ++i) {
        const auto sp = static_cast<uint16_t>(1024 + i % 50000), dp = static_cast<uint16_t>(1 + i / 50000);
        auto f = [&](pkt::Mac dst, pkt::Ip4 dip) {
            return FrameBuilder().eth(dst, kVm1Mac).ipv4(kVm1Ip, dip).udp(sp, dp).payload_pattern(18).build();
        };
        if (profile == "l2") frames.push_back(f(kVm2Mac, kVm2Ip));
        else if (profile == "l3") frames.push_back(f(kLrpSw0Mac, kVm4Ip));
        else if (profile == "geneve-tx") frames.push_back(f(kLrpSw0Mac, kVm5Ip));
        else if (profile == "provider") frames.push_back(f(kLrpSw0Mac, pkt::Ip4{0x08080808}));
        else if (profile == "geneve-rx")
            frames.push_back(pkt::geneve_encap(kLocalUnderlayMac, kHv2UnderlayMac, kHv2EncapIp, kLocalEncapIp,
                                               static_cast<uint16_t>(32768 + i % 28000), kSw0Key, kVm3Key, kVm1Key,
                                               FrameBuilder().eth(kVm1Mac, kVm3Mac).ipv4(kVm3Ip, kVm1Ip).udp(sp, dp)
                                                   .payload_pattern(18).build()));
        else {
            std::fprintf(stderr, "scs-demo-traffic: unknown profile '%s' (l2, l3, geneve-tx, geneve-rx, provider)\n",
                         profile.c_str());
            return 2;
        }
    }
    if (auto r = pkt::write_pcap(path, frames); !r) {
        std::fprintf(stderr, "scs-demo-traffic: %s\n", r.error().c_str());
        return 1;
    }
    std::printf("%s: %s, %lu flows\n", path.c_str(), profile.c_str(), flows);
    return 0;
}

int main(int argc, char** argv) {
    const std::string usage =
        "usage: scs-demo-traffic OUTDIR\n"
        "         writes OUTDIR/{vm1,underlay,provider}.pcap: the demo's mixed traffic\n"
        "       scs-demo-traffic --profile P --flows N FILE\n"
        "         writes N 64-byte frames of one profile (l2, l3, geneve-tx, geneve-rx,\n"
        "         provider; geneve-rx enters on the underlay, the others on vm1)\n";
    if (argc == 6 && std::string(argv[1]) == "--profile" && std::string(argv[3]) == "--flows") {
        char* end = nullptr;
        const unsigned long n = std::strtoul(argv[4], &end, 10);
        if (!end || *end || n == 0 || n > 10000000) {
            std::fprintf(stderr, "scs-demo-traffic: --flows wants a number from 1 to 10000000, not '%s'\n", argv[4]);
            return 2;
        }
        return write_profile(argv[2], n, argv[5]);
    }
    if (argc != 2 || std::string(argv[1]) == "--help") {
        std::fputs(usage.c_str(), argc == 2 ? stdout : stderr);
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
