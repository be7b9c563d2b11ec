// Commit: write the key fields that actions changed back into the frame, with incremental
// checksum updates (RFC 1624) for every rewrite.
//
// Called once per packet copy when it leaves the pipeline (delivery or tunnel), so a field
// set several times on the way through routers is written once. Old values are read from
// the frame itself just before it is overwritten, so no copy of the original key is kept.
#pragma once

#include <cstdint>

#include "engine/key.h"
#include "packet/layout.h"

namespace scs::engine {

void commit_key(uint8_t* frame, const pkt::Layout& lay, const FlowKey& key, DirtyMask dirty);

}  // namespace scs::engine
