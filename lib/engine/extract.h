// Flow key extraction: parsed frame -> FlowKey (metadata zeroed, header fields filled).
#pragma once

#include <cstdint>

#include "engine/key.h"
#include "packet/layout.h"

namespace scs::engine {

// `frame` must be the bytes the Layout was parsed from. Metadata (ports, registers, flags,
// conntrack) is zero; the caller sets inport/outport.
void extract_key(const uint8_t* frame, const pkt::Layout& lay, FlowKey& key);

}  // namespace scs::engine
