// Wire constants of the protocols the packet core knows.
#pragma once

#include <cstdint>

namespace scs::pkt {

inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeVlan = 0x8100;  // 802.1Q
inline constexpr uint16_t kEthTypeQinQ = 0x88a8;  // 802.1ad
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEthTypeTeb = 0x6558;   // Transparent Ethernet Bridging (Geneve payload)

inline constexpr uint8_t kIpProtoHopOpts = 0;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoRouting = 43;
inline constexpr uint8_t kIpProtoFragment = 44;
inline constexpr uint8_t kIpProtoEsp = 50;
inline constexpr uint8_t kIpProtoAh = 51;
inline constexpr uint8_t kIpProtoIcmp6 = 58;
inline constexpr uint8_t kIpProtoNoNext = 59;
inline constexpr uint8_t kIpProtoDstOpts = 60;
inline constexpr uint8_t kIpProtoSctp = 132;
inline constexpr uint8_t kIpProtoMobility = 135;

inline constexpr uint16_t kEthHdrLen = 14;
inline constexpr uint16_t kVlanHdrLen = 4;
inline constexpr uint16_t kIp4HdrLen = 20;
inline constexpr uint16_t kIp6HdrLen = 40;
inline constexpr uint16_t kUdpHdrLen = 8;
inline constexpr uint16_t kTcpHdrLen = 20;
inline constexpr uint16_t kSctpHdrLen = 12;
inline constexpr uint16_t kIcmpHdrLen = 8;
inline constexpr uint16_t kArpLen = 28;  // Ethernet/IPv4 ARP

// Geneve (RFC 8926) as OVN uses it (ovn-architecture(7), "Tunnel Encapsulations").
inline constexpr uint16_t kGenevePort = 6081;
inline constexpr uint16_t kGeneveHdrLen = 8;
inline constexpr uint16_t kOvnGeneveClass = 0x0102;
inline constexpr uint8_t kOvnGeneveType = 0x80;  // high bit: critical option
inline constexpr uint8_t kOvnGeneveOptLen = 4;   // bytes of option data
// Outer headers OVN chassis put in front of a logical frame: Eth + IPv4 + UDP + Geneve + TLV.
inline constexpr uint16_t kGeneveEncapLen = kEthHdrLen + kIp4HdrLen + kUdpHdrLen + kGeneveHdrLen + 4 + kOvnGeneveOptLen;

}  // namespace scs::pkt
