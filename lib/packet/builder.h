// Test and benchmark frame builder (control path: allocates, throws on misuse).
//
// Never used on the packet path. Tests, fixtures and benchmarks describe a frame layer by layer
// and get wire bytes with every derived field filled in, so a fixture states only what it is
// about:
//
//     auto f = FrameBuilder().eth(dst, src).vlan(100).ipv4(a, b).udp(1000, 53)
//                  .payload_pattern(32).pad_to(60).build();
//
// build() fills in: EtherTypes / TPIDs (from the next layer), IPv4 protocol and IPv6 next
// headers (from the next layer or extension header), IPv4 IHL and total length, IPv6 payload
// length, IPv6 extension header lengths, UDP length, and the checksums of IPv4 headers, TCP,
// UDP (unless udp(..., false)), ICMP and ICMPv6, and SCTP's CRC32c. Lengths and L4 checksums
// cover everything after the layer up to the end of the data (pad_to() bytes excluded), so
// nested layers (an ICMP error quoting an IP header, IP-in-IP) come out right: checksums are
// filled from the innermost layer outwards. Pseudo-headers use the nearest IP layer before the
// L4 layer, with the IPv6 destination as written (no Routing-header final destination), and a
// fragment's L4 checksum covers just the bytes of that fragment.
//
// Misuse that would silently produce a wrong fixture (ipv4_options() with no IPv4 layer,
// options that do not fit in the IHL, a length that overflows its field) throws
// std::logic_error: it is a bug in the calling test, and an exception there names it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "packet/addr.h"
#include "packet/proto.h"

namespace scs::pkt {

class FrameBuilder {
  public:
    // L2. The EtherType of eth() and the inner type of vlan() come from the next layer.
    FrameBuilder& eth(Mac dst, Mac src);
    FrameBuilder& vlan(uint16_t tci, uint16_t tpid = kEthTypeVlan);
    // Forces the EtherType field of the last eth()/vlan() (e.g. an unknown type followed by
    // payload()). Without it a layer that is not VLAN/IPv4/IPv6/ARP gives EtherType 0.
    FrameBuilder& eth_type(uint16_t type);

    // IPv4: version 4, flags DF as given, MF/offset from ipv4_frag(), protocol from the next
    // layer (255, reserved, if none is known and ip_proto() is not used).
    FrameBuilder& ipv4(Ip4 src, Ip4 dst, uint8_t ttl = 64, uint8_t tos = 0, uint16_t id = 0,
                       bool df = false);
    // Options of the last ipv4(), zero-padded (End of Option List) to a 4-byte multiple; at most
    // 40 bytes.
    FrameBuilder& ipv4_options(std::span<const uint8_t> opts);
    // Fragment offset (in 8-byte units, 13 bits) and MF flag of the last ipv4().
    FrameBuilder& ipv4_frag(uint16_t offset8, bool more);

    // IPv6: traffic class 0, flow label (20 bits), next header from the next layer (59, No Next
    // Header, if none is known and ip_proto() is not used).
    FrameBuilder& ipv6(Ip6 src, Ip6 dst, uint8_t hop = 64, uint32_t flow_label = 0);
    // Extension header of type `type` (0, 43, 60, 135, 51, ...): the builder writes the
    // next-header and length bytes, then `body`, zero-padded to the header's unit (8 bytes;
    // 4 bytes for AH, whose length counts 4-byte words minus 2, RFC 4302 - real IPv6 AH is a
    // multiple of 8, pass such a body when that matters). Zero padding in Hop-by-Hop and
    // Destination Options headers reads as Pad1 options.
    FrameBuilder& ipv6_ext(uint8_t type, std::span<const uint8_t> body);
    // Fragment header: offset in 8-byte units (13 bits), M flag, identification.
    FrameBuilder& ipv6_frag(uint16_t offset8, bool more, uint32_t ident = 0);
    // Forces the protocol / next-header field that points at what follows the last ipv4(),
    // ipv6() or extension header (e.g. an unknown protocol followed by payload()).
    FrameBuilder& ip_proto(uint8_t proto);

    // TCP: ack 0, data offset 5, window 65535, urgent pointer 0.
    FrameBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x02 /* SYN */,
                      uint32_t seq = 0);
    // Options of the last tcp(), zero-padded (End of Option List) to a 4-byte multiple; at most
    // 40 bytes.
    FrameBuilder& tcp_options(std::span<const uint8_t> opts);
    // UDP; csum = false sends checksum 0 ("none", legal over IPv4 only).
    FrameBuilder& udp(uint16_t sport, uint16_t dport, bool csum = true);
    // SCTP common header, verification tag 0, CRC32c filled in.
    FrameBuilder& sctp(uint16_t sport, uint16_t dport);
    // ICMP / ICMPv6: type, code, checksum, then `rest` (host order: for echo, id << 16 | seq).
    FrameBuilder& icmp4(uint8_t type, uint8_t code, uint32_t rest = 0);
    FrameBuilder& icmp6(uint8_t type, uint8_t code, uint32_t rest = 0);
    // Ethernet/IPv4 ARP (htype 1, ptype 0x0800, hlen 6, plen 4).
    FrameBuilder& arp(uint16_t op, Mac sha, Ip4 spa, Mac tha, Ip4 tpa);

    FrameBuilder& payload(std::span<const uint8_t> bytes);
    // `n` bytes 0x00, 0x01, ..., 0xff, 0x00, ...: recognisable in a hex dump.
    FrameBuilder& payload_pattern(size_t n);
    // Appends zero bytes after the data up to `frame_len` (Ethernet padding: not counted in any
    // length field). A frame already that long is left alone.
    FrameBuilder& pad_to(size_t frame_len);

    std::vector<uint8_t> build() const;

  private:
    enum class Kind : uint8_t {
        Eth,
        Vlan,
        Ipv4,
        Ipv6,
        Ip6Ext,
        Tcp,
        Udp,
        Sctp,
        Icmp4,
        Icmp6,
        Arp,
        Payload,
    };
    struct Layer {
        Kind kind;
        std::vector<uint8_t> hdr;
        uint16_t self_type = 0;  // Vlan: its TPID; Ip6Ext: its header type
        int type_override = -1;  // eth_type() / ip_proto() for the field naming the next layer
        bool udp_csum = true;
    };

    FrameBuilder& push(Kind kind, std::vector<uint8_t> hdr, uint16_t self_type = 0);
    Layer& last_of(std::initializer_list<Kind> kinds, const char* what);

    std::vector<Layer> layers_;
    size_t pad_to_ = 0;
};

// A frame exactly as an OVN chassis (ovn-controller + OVS) sends a logical packet to another
// chassis (ovn-architecture(7), "Tunnel Encapsulations"; RFC 8926):
//   Ethernet outer_dst <- outer_src, type IPv4;
//   IPv4 src -> dst, TOS 0, id 0, DF if `df`, TTL `ttl`, protocol UDP, header checksum;
//   UDP udp_sport -> 6081, checksum 0 (OVS's default for Geneve over IPv4);
//   Geneve version 0, option length 2 (8 bytes), O = 0, C = 1 (OVN's option type 0x80 is
//   critical, and OVS sets C when a critical option is present), protocol 0x6558, VNI;
//   one option: class 0x0102, type 0x80, length 1, value (ingress & 0x7fff) << 16 | egress;
//   then `inner` (a whole Ethernet frame) unchanged.
std::vector<uint8_t> geneve_encap(Mac outer_dst, Mac outer_src, Ip4 src, Ip4 dst,
                                  uint16_t udp_sport, uint32_t vni, uint16_t ingress_port,
                                  uint16_t egress_port, std::span<const uint8_t> inner,
                                  uint8_t ttl = 64, bool df = true);

// Hex dump for test failure messages: 16 bytes per line, each line prefixed with its offset
// ("0010: 45 00 ..."), so a mismatch can be located by eye.
std::string hex(std::span<const uint8_t> bytes);

// CRC32c (Castagnoli, RFC 9260 appendix A) of `n` bytes, as a number (before any byte-order
// conversion for the wire). Exposed for tests of SCTP fixtures.
uint32_t crc32c(const void* data, size_t n);

}  // namespace scs::pkt
