// The reference's frame rewrite: the bytes a packet leaves with, from the frame it entered
// with and how the logical actions changed its flow key. Written from the header formats
// (RFC 791/8200/768/793/826), independently of engine/commit.h: each header whose fields
// changed is rewritten and its checksums adjusted by the difference of the whole covered
// words (RFC 1624), so a wrong checksum stays exactly as wrong as it came in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/key.h"
#include "packet/layout.h"

namespace scs::reference {

// Fails (returns the field's name) if a field changed that the frame cannot carry - e.g. an
// L4 port on a packet without one - or that the reference does not write (VLAN, ND options).
std::string rewrite_frame(std::vector<uint8_t>& frame, const pkt::Layout& lay, const engine::FlowKey& before,
                          const engine::FlowKey& after);

}  // namespace scs::reference
