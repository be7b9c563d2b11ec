// Test and benchmark frame builder (see builder.h).
#include "packet/builder.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "packet/checksum.h"

namespace scs::pkt {
namespace {

void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// Stores a checksum computed by csum:: (already in wire order, see checksum.h).
void store_csum(uint8_t* p, uint16_t c) {
    std::memcpy(p, &c, sizeof c);
}

[[noreturn]] void misuse(const std::string& what) {
    throw std::logic_error("FrameBuilder: " + what);
}

// Replaces everything after the fixed part of `hdr` with `opts`, zero-padded to 4 bytes.
void set_options(std::vector<uint8_t>& hdr, size_t fixed, std::span<const uint8_t> opts,
                 const char* what) {
    constexpr size_t kMaxOptions = 40;  // 4-bit length in 32-bit words: 60 - 20 bytes
    const size_t padded = (opts.size() + 3) & ~size_t{3};
    if (padded > kMaxOptions) misuse(std::string(what) + ": more than 40 bytes of options");
    hdr.resize(fixed);
    hdr.insert(hdr.end(), opts.begin(), opts.end());
    hdr.resize(fixed + padded, 0);
}

constexpr uint16_t kIp4FlagDf = 0x4000;
constexpr uint16_t kIp4FlagMf = 0x2000;
constexpr uint16_t kFragOffsetMax = 0x1fff;  // 13 bits
constexpr uint8_t kIpProtoIpip = 4;
constexpr uint8_t kIpProtoIpv6 = 41;
constexpr uint8_t kIpProtoReserved = 255;
constexpr uint16_t kTcpWindow = 65535;

}  // namespace

FrameBuilder& FrameBuilder::push(Kind kind, std::vector<uint8_t> hdr, uint16_t self_type) {
    layers_.push_back(Layer{kind, std::move(hdr), self_type});
    return *this;
}

FrameBuilder::Layer& FrameBuilder::last_of(std::initializer_list<Kind> kinds, const char* what) {
    for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
        for (Kind k : kinds) {
            if (it->kind == k) return *it;
        }
    }
    misuse(what);
}

FrameBuilder& FrameBuilder::eth(Mac dst, Mac src) {
    std::vector<uint8_t> h(kEthHdrLen, 0);
    std::memcpy(h.data(), dst.b.data(), 6);
    std::memcpy(h.data() + 6, src.b.data(), 6);
    return push(Kind::Eth, std::move(h));
}

FrameBuilder& FrameBuilder::vlan(uint16_t tci, uint16_t tpid) {
    std::vector<uint8_t> h(kVlanHdrLen, 0);
    put16(h.data(), tci);
    return push(Kind::Vlan, std::move(h), tpid);
}

FrameBuilder& FrameBuilder::eth_type(uint16_t type) {
    last_of({Kind::Eth, Kind::Vlan}, "eth_type() without eth() or vlan()").type_override = type;
    return *this;
}

FrameBuilder& FrameBuilder::ipv4(Ip4 src, Ip4 dst, uint8_t ttl, uint8_t tos, uint16_t id, bool df) {
    std::vector<uint8_t> h(kIp4HdrLen, 0);
    h[0] = 0x45;
    h[1] = tos;
    put16(&h[4], id);
    put16(&h[6], df ? kIp4FlagDf : 0);
    h[8] = ttl;
    put32(&h[12], src.v);
    put32(&h[16], dst.v);
    return push(Kind::Ipv4, std::move(h));
}

FrameBuilder& FrameBuilder::ipv4_options(std::span<const uint8_t> opts) {
    auto& h = last_of({Kind::Ipv4}, "ipv4_options() without ipv4()").hdr;
    set_options(h, kIp4HdrLen, opts, "ipv4_options()");
    h[0] = static_cast<uint8_t>(0x40 | (h.size() / 4));
    return *this;
}

FrameBuilder& FrameBuilder::ipv4_frag(uint16_t offset8, bool more) {
    if (offset8 > kFragOffsetMax) misuse("ipv4_frag(): offset beyond 13 bits");
    auto& h = last_of({Kind::Ipv4}, "ipv4_frag() without ipv4()").hdr;
    const uint16_t df = static_cast<uint16_t>(((h[6] << 8) | h[7]) & kIp4FlagDf);
    put16(&h[6], static_cast<uint16_t>(df | (more ? kIp4FlagMf : 0) | offset8));
    return *this;
}

FrameBuilder& FrameBuilder::ipv6(Ip6 src, Ip6 dst, uint8_t hop, uint32_t flow_label) {
    std::vector<uint8_t> h(kIp6HdrLen, 0);
    put32(&h[0], (6u << 28) | (flow_label & 0xfffff));
    h[7] = hop;
    std::memcpy(&h[8], src.b.data(), 16);
    std::memcpy(&h[24], dst.b.data(), 16);
    return push(Kind::Ipv6, std::move(h));
}

FrameBuilder& FrameBuilder::ipv6_ext(uint8_t type, std::span<const uint8_t> body) {
    const bool ah = type == kIpProtoAh;
    const size_t unit = ah ? 4 : 8;
    size_t total = (2 + body.size() + unit - 1) / unit * unit;
    if (ah && total < 8) total = 8;  // AH's length field cannot express less than 8 bytes
    const size_t len_field = ah ? total / 4 - 2 : total / 8 - 1;
    if (len_field > 255) misuse("ipv6_ext(): header too long for its length field");
    std::vector<uint8_t> h{0, static_cast<uint8_t>(len_field)};  // next header: build()
    h.insert(h.end(), body.begin(), body.end());
    h.resize(total, 0);
    return push(Kind::Ip6Ext, std::move(h), type);
}

FrameBuilder& FrameBuilder::ipv6_frag(uint16_t offset8, bool more, uint32_t ident) {
    if (offset8 > kFragOffsetMax) misuse("ipv6_frag(): offset beyond 13 bits");
    std::vector<uint8_t> h(8, 0);
    put16(&h[2], static_cast<uint16_t>(offset8 << 3 | (more ? 1 : 0)));
    put32(&h[4], ident);
    return push(Kind::Ip6Ext, std::move(h), kIpProtoFragment);
}

FrameBuilder& FrameBuilder::ip_proto(uint8_t proto) {
    last_of({Kind::Ipv4, Kind::Ipv6, Kind::Ip6Ext}, "ip_proto() without an IP layer")
        .type_override = proto;
    return *this;
}

FrameBuilder& FrameBuilder::tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq) {
    std::vector<uint8_t> h(kTcpHdrLen, 0);
    put16(&h[0], sport);
    put16(&h[2], dport);
    put32(&h[4], seq);
    h[12] = 5 << 4;
    h[13] = flags;
    put16(&h[14], kTcpWindow);
    return push(Kind::Tcp, std::move(h));
}

FrameBuilder& FrameBuilder::tcp_options(std::span<const uint8_t> opts) {
    auto& h = last_of({Kind::Tcp}, "tcp_options() without tcp()").hdr;
    set_options(h, kTcpHdrLen, opts, "tcp_options()");
    h[12] = static_cast<uint8_t>((h.size() / 4) << 4);
    return *this;
}

FrameBuilder& FrameBuilder::udp(uint16_t sport, uint16_t dport, bool csum) {
    std::vector<uint8_t> h(kUdpHdrLen, 0);
    put16(&h[0], sport);
    put16(&h[2], dport);
    push(Kind::Udp, std::move(h));
    layers_.back().udp_csum = csum;
    return *this;
}

FrameBuilder& FrameBuilder::sctp(uint16_t sport, uint16_t dport) {
    std::vector<uint8_t> h(kSctpHdrLen, 0);
    put16(&h[0], sport);
    put16(&h[2], dport);
    return push(Kind::Sctp, std::move(h));
}

FrameBuilder& FrameBuilder::icmp4(uint8_t type, uint8_t code, uint32_t rest) {
    std::vector<uint8_t> h(kIcmpHdrLen, 0);
    h[0] = type;
    h[1] = code;
    put32(&h[4], rest);
    return push(Kind::Icmp4, std::move(h));
}

FrameBuilder& FrameBuilder::icmp6(uint8_t type, uint8_t code, uint32_t rest) {
    std::vector<uint8_t> h(8, 0);
    h[0] = type;
    h[1] = code;
    put32(&h[4], rest);
    return push(Kind::Icmp6, std::move(h));
}

FrameBuilder& FrameBuilder::arp(uint16_t op, Mac sha, Ip4 spa, Mac tha, Ip4 tpa) {
    std::vector<uint8_t> h(kArpLen, 0);
    put16(&h[0], 1);  // Ethernet
    put16(&h[2], kEthTypeIpv4);
    h[4] = 6;
    h[5] = 4;
    put16(&h[6], op);
    std::memcpy(&h[8], sha.b.data(), 6);
    put32(&h[14], spa.v);
    std::memcpy(&h[18], tha.b.data(), 6);
    put32(&h[24], tpa.v);
    return push(Kind::Arp, std::move(h));
}

FrameBuilder& FrameBuilder::payload(std::span<const uint8_t> bytes) {
    return push(Kind::Payload, std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

FrameBuilder& FrameBuilder::payload_pattern(size_t n) {
    std::vector<uint8_t> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(i);
    return push(Kind::Payload, std::move(p));
}

FrameBuilder& FrameBuilder::pad_to(size_t frame_len) {
    pad_to_ = frame_len;
    return *this;
}

std::vector<uint8_t> FrameBuilder::build() const {
    const size_t n = layers_.size();
    std::vector<uint8_t> f;
    std::vector<size_t> off(n);
    for (size_t i = 0; i < n; ++i) {
        off[i] = f.size();
        f.insert(f.end(), layers_[i].hdr.begin(), layers_[i].hdr.end());
    }
    const size_t data_end = f.size();

    // What the previous layer's type/protocol field says about layer i+1.
    auto link_type = [&](size_t i) -> uint16_t {
        if (layers_[i].type_override >= 0) return static_cast<uint16_t>(layers_[i].type_override);
        if (i + 1 == n) return 0;
        switch (layers_[i + 1].kind) {
            case Kind::Vlan:
                return layers_[i + 1].self_type;
            case Kind::Ipv4:
                return kEthTypeIpv4;
            case Kind::Ipv6:
                return kEthTypeIpv6;
            case Kind::Arp:
                return kEthTypeArp;
            default:
                return 0;
        }
    };
    auto ip_proto_of = [&](size_t i, uint8_t none) -> uint8_t {
        if (layers_[i].type_override >= 0) return static_cast<uint8_t>(layers_[i].type_override);
        if (i + 1 == n) return none;
        switch (layers_[i + 1].kind) {
            case Kind::Ip6Ext:
                return static_cast<uint8_t>(layers_[i + 1].self_type);
            case Kind::Tcp:
                return kIpProtoTcp;
            case Kind::Udp:
                return kIpProtoUdp;
            case Kind::Sctp:
                return kIpProtoSctp;
            case Kind::Icmp4:
                return kIpProtoIcmp;
            case Kind::Icmp6:
                return kIpProtoIcmp6;
            case Kind::Ipv4:
                return kIpProtoIpip;
            case Kind::Ipv6:
                return kIpProtoIpv6;
            default:
                return none;
        }
    };
    auto len16 = [&](size_t len, const char* what) -> uint16_t {
        if (len > 0xffff) misuse(std::string(what) + " length beyond 65535");
        return static_cast<uint16_t>(len);
    };

    // Type, protocol and length fields (independent of each other).
    for (size_t i = 0; i < n; ++i) {
        uint8_t* h = f.data() + off[i];
        switch (layers_[i].kind) {
            case Kind::Eth:
                put16(h + 12, link_type(i));
                break;
            case Kind::Vlan:
                put16(h + 2, link_type(i));
                break;
            case Kind::Ipv4:
                h[9] = ip_proto_of(i, kIpProtoReserved);
                put16(h + 2, len16(data_end - off[i], "IPv4 total"));
                break;
            case Kind::Ipv6:
                h[6] = ip_proto_of(i, kIpProtoNoNext);
                put16(h + 4, len16(data_end - off[i] - kIp6HdrLen, "IPv6 payload"));
                break;
            case Kind::Ip6Ext:
                h[0] = ip_proto_of(i, kIpProtoNoNext);
                break;
            case Kind::Udp:
                put16(h + 4, len16(data_end - off[i], "UDP"));
                break;
            default:
                break;
        }
    }

    // Checksums, innermost layer first: an outer checksum covers the inner ones' final bytes.
    auto l4_csum = [&](size_t i, uint8_t proto) -> uint16_t {
        for (size_t j = i; j-- > 0;) {
            const uint8_t* ip = f.data() + off[j];
            const uint8_t* l4 = f.data() + off[i];
            const size_t l4_len = data_end - off[i];
            if (layers_[j].kind == Kind::Ipv4) return csum::l4_ipv4(ip, l4, l4_len, proto);
            if (layers_[j].kind == Kind::Ipv6) return csum::l4_ipv6(ip, l4, l4_len, proto);
        }
        misuse("an L4 layer needs an IP layer before it for its checksum");
    };
    for (size_t i = n; i-- > 0;) {
        uint8_t* h = f.data() + off[i];
        switch (layers_[i].kind) {
            case Kind::Ipv4:
                store_csum(h + 10, csum::ipv4_header(h, layers_[i].hdr.size()));
                break;
            case Kind::Tcp:
                std::memset(h + 16, 0, 2);
                store_csum(h + 16, l4_csum(i, kIpProtoTcp));
                break;
            case Kind::Udp: {
                std::memset(h + 6, 0, 2);
                if (!layers_[i].udp_csum) break;
                uint16_t c = l4_csum(i, kIpProtoUdp);
                if (c == 0) c = 0xffff;  // RFC 768: a computed 0 is sent as all ones
                store_csum(h + 6, c);
                break;
            }
            case Kind::Icmp4:
                std::memset(h + 2, 0, 2);
                store_csum(h + 2, csum::fold(csum::partial(h, data_end - off[i])));
                break;
            case Kind::Icmp6:
                std::memset(h + 2, 0, 2);
                store_csum(h + 2, l4_csum(i, kIpProtoIcmp6));
                break;
            case Kind::Sctp: {
                std::memset(h + 8, 0, 4);
                // RFC 9260 appendix A: the CRC's least significant byte goes first on the wire
                // (the reflected CRC, stored little-endian - Linux's cpu_to_le32(~crc32c)).
                const uint32_t crc = crc32c(h, data_end - off[i]);
                h[8] = static_cast<uint8_t>(crc);
                h[9] = static_cast<uint8_t>(crc >> 8);
                h[10] = static_cast<uint8_t>(crc >> 16);
                h[11] = static_cast<uint8_t>(crc >> 24);
                break;
            }
            default:
                break;
        }
    }

    if (f.size() < pad_to_) f.resize(pad_to_, 0);
    return f;
}

std::vector<uint8_t> geneve_encap(Mac outer_dst, Mac outer_src, Ip4 src, Ip4 dst,
                                  uint16_t udp_sport, uint32_t vni, uint16_t ingress_port,
                                  uint16_t egress_port, std::span<const uint8_t> inner, uint8_t ttl,
                                  bool df) {
    std::vector<uint8_t> g(kGeneveHdrLen + 4 + kOvnGeneveOptLen, 0);
    g[0] = 2;     // version 0, option length 2 words
    g[1] = 0x40;  // O = 0, C = 1
    put16(&g[2], kEthTypeTeb);
    put32(&g[4], (vni & 0xffffff) << 8);
    put16(&g[8], kOvnGeneveClass);
    g[10] = kOvnGeneveType;
    g[11] = kOvnGeneveOptLen / 4;
    put32(&g[12], (uint32_t{ingress_port} & 0x7fff) << 16 | egress_port);
    g.insert(g.end(), inner.begin(), inner.end());
    return FrameBuilder()
        .eth(outer_dst, outer_src)
        .ipv4(src, dst, ttl, 0, 0, df)
        .udp(udp_sport, kGenevePort, false)
        .payload(g)
        .build();
}

std::string hex(std::span<const uint8_t> bytes) {
    std::string s;
    s.reserve(bytes.size() * 3 + bytes.size() / 16 * 7 + 8);
    char buf[24];
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i % 16 == 0) {
            if (i != 0) s += '\n';
            std::snprintf(buf, sizeof buf, "%04zx:", i);
            s += buf;
        }
        std::snprintf(buf, sizeof buf, " %02x", bytes[i]);
        s += buf;
    }
    return s;
}

uint32_t crc32c(const void* data, size_t n) {
    // Bitwise, reflected polynomial 0x1EDC6F41 (0x82F63B78 reversed): slow but obviously right,
    // and the builder is not on any measured path.
    constexpr uint32_t kPolyReflected = 0x82f63b78;
    const auto* p = static_cast<const uint8_t*>(data);
    uint32_t crc = 0xffffffff;
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (kPolyReflected & (0u - (crc & 1u)));
    }
    return ~crc;
}

}  // namespace scs::pkt
