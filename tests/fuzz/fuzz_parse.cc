// libFuzzer target for the packet parser.
//
// Each frame goes through what the dataplane does with a frame from the underlay: parse_frame,
// then parse_geneve when it is UDP to port 6081, then parse_frame on the inner frame. Frames are
// parsed from exactly-sized heap buffers, so AddressSanitizer reports any read past `len`; the
// checks below add the Layout's own consistency rules (a violation traps, which libFuzzer
// records as a crash with its input).
//
// Two input encodings, chosen by the first byte, so that no seed corpus is needed to get deep:
// - 0: the rest of the input is the frame, as is;
// - n > 0: template n (valid frames of every kind the parser knows, built once with
//   FrameBuilder), cut to a length taken from the second byte, then edited by the remaining
//   bytes as (offset, xor) pairs. Random bytes rarely make a valid IPv6 chain or Geneve header;
//   a few edits to one reach every length check and branch behind it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "packet/builder.h"
#include "packet/parse.h"
#include "packet/proto.h"

namespace {

using scs::DropReason;
using scs::pkt::GeneveInfo;
using scs::pkt::kNoOffset;
using scs::pkt::Layout;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

bool within(uint16_t off, size_t len) {
    return off == kNoOffset || off <= len;
}

// Holds after any parse, successful or not.
void check_bounds(const Layout& l, size_t len) {
    check(within(l.l3, len));
    check(within(l.l4, len));
    check(within(l.payload, len));
    check(l.l3_end <= len);
    check(l.n_vlans <= 2);
}

// Holds after a successful parse.
void check_ok(const Layout& l, size_t len) {
    check(l.l3 != kNoOffset && l.l3 <= l.l3_end && l.l3_end <= len);
    if (l.l4 != kNoOffset) check(l.l3 <= l.l4 && l.l4 <= l.l3_end);
    if (l.payload != kNoOffset) {
        check(l.l4 != kNoOffset && l.l4 < l.payload && l.payload <= l.l3_end);
    }
    if ((l.frag & scs::pkt::kFragLater) != 0) {
        check((l.frag & scs::pkt::kFragAny) != 0 && l.l4 == kNoOffset);
    }
}

void parse_one(const uint8_t* data, size_t size, int depth) {
    const auto len = static_cast<uint32_t>(size);
    Layout l;
    const DropReason r = scs::pkt::parse_frame(data, len, l);
    check_bounds(l, size);
    if (r != DropReason::None) return;
    check_ok(l, size);
    if (l.ip_proto != scs::pkt::kIpProtoUdp || l.payload == kNoOffset) return;
    const unsigned dport = unsigned{data[l.l4 + 2]} << 8 | data[l.l4 + 3];
    if (dport != scs::pkt::kGenevePort) return;
    GeneveInfo g;
    if (scs::pkt::parse_geneve(data, len, l.payload, g) != DropReason::None) return;
    check(g.inner >= l.payload + scs::pkt::kGeneveHdrLen && g.inner <= size);
    check(g.vni <= 0xffffff && g.ingress_port <= 0x7fff);
    // One level of nesting is what the dataplane decapsulates; a Geneve-in-Geneve inner frame
    // is parsed once more only to reach the same code with other offsets.
    if (depth < 2) parse_one(data + g.inner, size - g.inner, depth + 1);
}

std::vector<std::vector<uint8_t>> make_templates() {
    using namespace scs::pkt;
    using B = std::vector<uint8_t>;
    const Mac a{{2, 0, 0, 0, 0, 1}}, b{{2, 0, 0, 0, 0, 2}};
    const Ip4 x{0x0a000001}, y{0x0a000002};
    const Ip6 p = *Ip6::parse("2001:db8::1"), q = *Ip6::parse("2001:db8::2");
    auto e4 = [&] { return std::move(FrameBuilder().eth(b, a).ipv4(x, y)); };
    auto e6 = [&] { return std::move(FrameBuilder().eth(b, a).ipv6(p, q)); };
    const B inner4 = e4().udp(1, 2).payload_pattern(8).build();
    const B inner6 = e6().tcp(1, 2).build();
    B multi_opt = {0x08, 0x40, 0x65, 0x58, 0,    0, 7, 0,  // 8 words of options
                   0x01, 0x01, 0x01, 0x02, 1,    2, 3, 4, 5, 6,    7,
                   8,    0x01, 0x02, 0x80, 0x01, 0, 1, 0, 2, 0xff, 0xff,
                   0x7f, 0x02, 9,    9,    9,    9, 9, 9, 9, 9};
    multi_opt.insert(multi_opt.end(), inner6.begin(), inner6.end());
    return {
        FrameBuilder().eth(b, a).arp(1, a, x, Mac{}, y).pad_to(60).build(),
        e4().udp(1, 2).payload_pattern(16).pad_to(80).build(),
        e4().ipv4_options(B(8, 1)).tcp(1, 2).tcp_options(B{2, 4, 5, 0xb4}).build(),
        e4().ipv4_frag(0, true).sctp(1, 2).payload_pattern(8).build(),
        e4().ipv4_frag(9, false).ip_proto(kIpProtoUdp).payload_pattern(8).build(),
        e4().icmp4(8, 0, 1).payload_pattern(8).build(),
        FrameBuilder().eth(b, a).vlan(1, kEthTypeQinQ).vlan(2).ipv4(x, y).udp(1, 2).build(),
        e6().ipv6_ext(0, B(6, 0))
            .ipv6_ext(43, B(14, 0))
            .ipv6_ext(51, B(10, 0))
            .ipv6_frag(0, true)
            .ipv6_ext(60, B(6, 0))
            .ipv6_ext(135, B(6, 0))
            .tcp(1, 2)
            .build(),
        e6().ipv6_frag(9, true).ip_proto(kIpProtoUdp).payload_pattern(8).build(),
        e6().icmp6(135, 0).payload_pattern(8).build(),
        geneve_encap(b, a, x, y, 1, 5, 1, 2, inner4),
        e4().udp(1, kGenevePort, false).payload(multi_opt).build(),
    };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const auto templates = make_templates();
    if (size == 0) {
        parse_one(nullptr, 0, 0);
        return 0;
    }
    std::vector<uint8_t> frame;
    if (data[0] == 0 || size < 2) {
        frame.assign(data + 1, data + size);
    } else {
        frame = templates[(data[0] - 1u) % templates.size()];
        const size_t keep = frame.size() - frame.size() * data[1] / 1024;  // mostly whole
        frame.resize(keep);
        for (size_t i = 2; i + 1 < size && !frame.empty(); i += 2) {
            frame[data[i] % frame.size()] ^= data[i + 1];
        }
    }
    // Exactly-sized copy: a std::vector's spare capacity would hide an over-read from ASan.
    std::unique_ptr<uint8_t[]> buf(frame.empty() ? nullptr : new uint8_t[frame.size()]);
    if (!frame.empty()) std::memcpy(buf.get(), frame.data(), frame.size());
    parse_one(buf.get(), frame.size(), 0);
    return 0;
}
