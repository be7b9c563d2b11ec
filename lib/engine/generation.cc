#include "engine/generation.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "packet/checksum.h"

namespace scs::engine {

void build_tunnel_header(const Underlay& u, Tunnel& t) {
    uint8_t* h = t.header.data();
    std::memset(h, 0, t.header.size());
    // Ethernet
    std::memcpy(h, t.next_hop_mac, 6);
    std::memcpy(h + 6, u.mac, 6);
    h[12] = 0x08;
    h[13] = 0x00;
    // IPv4: version 4, IHL 5, TOS 0, length filled per packet, ID 0, DF as configured
    uint8_t* ip = h + pkt::kEthHdrLen;
    ip[0] = 0x45;
    if (u.dont_fragment) ip[6] = 0x40;
    ip[8] = u.ttl;
    ip[9] = pkt::kIpProtoUdp;
    for (int i = 0; i < 4; ++i) {
        ip[12 + i] = static_cast<uint8_t>(u.encap_ip >> (24 - 8 * i));
        ip[16 + i] = static_cast<uint8_t>(t.remote_ip >> (24 - 8 * i));
    }
    // Checksum over the template with total length 0; per packet only the length is added.
    const uint16_t c = pkt::csum::ipv4_header(ip, pkt::kIp4HdrLen);
    std::memcpy(ip + 10, &c, 2);
    // UDP: source port and length per packet, destination 6081, checksum 0 (as OVS sends)
    uint8_t* udp = ip + pkt::kIp4HdrLen;
    udp[2] = pkt::kGenevePort >> 8;
    udp[3] = pkt::kGenevePort & 0xff;
    // Geneve: ver 0, opt_len 2 words; C bit set because OVN's option type has the critical
    // bit (0x80), as OVS sets it; protocol Transparent Ethernet Bridging; VNI per packet.
    uint8_t* gnv = udp + pkt::kUdpHdrLen;
    gnv[0] = (4 + pkt::kOvnGeneveOptLen) / 4;
    gnv[1] = 0x40;
    gnv[2] = pkt::kEthTypeTeb >> 8;
    gnv[3] = pkt::kEthTypeTeb & 0xff;
    // OVN TLV: class 0x0102, type 0x80, length 1 word; value per packet
    uint8_t* opt = gnv + pkt::kGeneveHdrLen;
    opt[0] = pkt::kOvnGeneveClass >> 8;
    opt[1] = pkt::kOvnGeneveClass & 0xff;
    opt[2] = pkt::kOvnGeneveType;
    opt[3] = pkt::kOvnGeneveOptLen / 4;
}

uint64_t Generation::next_uid() {
    static std::atomic<uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;  // control side only; order irrelevant
}

void Generation::index() {
    uint32_t max_key = 0;
    for (const auto& dp : datapaths) max_key = std::max(max_key, dp->tunnel_key);
    by_key.assign(datapaths.empty() ? 0 : max_key + 1, nullptr);
    for (const auto& dp : datapaths) by_key[dp->tunnel_key] = dp.get();
    remote_ips.clear();
    for (Tunnel& t : tunnels) {
        build_tunnel_header(underlay, t);
        remote_ips.push_back(t.remote_ip);
    }
    std::sort(remote_ips.begin(), remote_ips.end());
}

bool Generation::known_remote(uint32_t ip) const {
    return std::binary_search(remote_ips.begin(), remote_ips.end(), ip);
}

}  // namespace scs::engine
