// The packet parser: Ethernet, 802.1Q/802.1ad, ARP, IPv4 (options, fragments), IPv6 (extension
// headers walked), ICMP, ICMPv6, TCP, UDP, SCTP, and Geneve with options.
//
// Bounds-checked: no read past `len`, whatever the bytes say. A frame that lies about itself
// (truncated header, length fields pointing outside the frame, bad versions) is rejected with
// the DropReason that names the problem; the caller counts it and drops the frame. Unknown
// EtherTypes and upper-layer protocols are not errors: the Layout simply stops there
// (OVN forwards them at L2).
#pragma once

#include <cstdint>

#include "common/drop_reason.h"
#include "packet/layout.h"

namespace scs::pkt {

// Parses one Ethernet frame of `len` bytes. Returns DropReason::None and fills `out` on
// success. `out` is fully overwritten either way.
DropReason parse_frame(const uint8_t* frame, uint32_t len, Layout& out);

// Parses the Geneve header at `off` (right after a UDP header whose destination port was
// kGenevePort) in a frame of `len` bytes, walking all options and picking out OVN's
// port-key TLV. Does not require the OVN TLV to be present (info.has_ovn_tlv tells).
DropReason parse_geneve(const uint8_t* frame, uint32_t len, uint16_t off, GeneveInfo& info);

}  // namespace scs::pkt
