// Where table generations come from: the built-in demo topology (topology.h) or the OVN
// Southbound database (southbound.h). The control thread is the only caller.
#pragma once

#include <memory>

#include "common/result.h"
#include "engine/generation.h"

namespace scs::dataplane {

class GenerationSource {
  public:
    virtual ~GenerationSource() = default;
    // Generation 1, published before any worker starts.
    virtual Result<std::unique_ptr<engine::Generation>> initial() = 0;
    // The same tables rebuilt beside `live` (--republish-ms): exercises lockless updates.
    virtual Result<std::unique_ptr<engine::Generation>> next(const engine::Generation& live) = 0;
    // Called every round of the control loop, never blocks: a new generation when the input
    // changed, nullptr when nothing did. Errors keep the live generation.
    virtual Result<std::unique_ptr<engine::Generation>> poll() { return std::unique_ptr<engine::Generation>{}; }
    // Clean shutdown (release what we hold in the outside world); after the workers stopped.
    virtual void shutdown() {}
};

}  // namespace scs::dataplane
