// Running one packet through a generation on the control side, for `scs-dpctl trace`: a
// private Executor (its own counters, no flow cache, trace log on) whose transmissions are
// captured instead of sent. The live traffic and the workers' counters are not touched.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include <rte_mempool.h>

#include "common/result.h"
#include "engine/exec.h"
#include "engine/generation.h"

namespace scs::engine {

struct TraceRun {
    TraceLog log;
    std::vector<std::pair<uint16_t, std::vector<uint8_t>>> tx;  // (DPDK port, frame) as it would leave
};

Result<TraceRun> trace_packet(const Generation& gen, uint16_t rx_port, std::span<const uint8_t> frame,
                              rte_mempool* pool);

}  // namespace scs::engine
