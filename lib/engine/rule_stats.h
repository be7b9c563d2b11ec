// Per-rule hit counters of compiled datapaths: what `scs-dpctl dump-tables` shows as the
// packets each rule of each stage matched, attributed the way OVS attributes megaflow hits
// back to OpenFlow rules (its xlate cache and the revalidators' stats push).
//
// Concurrency rules:
//  - One RuleCounters block per compiled Datapath object, made and freed by the control
//    thread only. A datapath unchanged across generations is the same object and keeps its
//    block, so its counts go on; a recompiled datapath is a new object with a new block:
//    its counts restart from zero.
//  - A block has one slice per worker, each starting on its own cache line. Worker `i`
//    writes only slice `i` (a relaxed load and a relaxed store, common/counter.h); readers
//    sum the slices with relaxed loads. No cache line is written by two cores.
//  - Workers count in two ways (engine/exec.cc): a slow-path pass counts every stage lookup
//    directly into its slot; a flow-cache hit only bumps its cache entry, and the entry's
//    count is later folded into the slots of the path its slow pass recorded
//    (engine/flow_cache.h). Counts shown therefore lag the packets by up to one fold sweep.
//  - A slot also remembers the priority and action list of its rule, written by the
//    worker before the count that first makes the slot non-zero (release on the count,
//    acquire in the reader): the engine's tables do not keep them per rule, and this is how
//    `dump-tables` links a rule to the logical flow whose action list it runs.
//  - A worker may still fold cached hits into a block after the generation that last used
//    it was retired (it folds when it first sees the new generation). So a block leaves the
//    live set only after two QSBR grace periods (dataplane/live_tables.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/compiler.h"
#include "engine/datapath.h"
#include "engine/generation.h"
#include "engine/table.h"

namespace scs::engine {

struct RuleSlot {
    std::atomic<uint64_t> packets{0};
    std::atomic<uint32_t> action{kNoAction};  // the rule's action list; kNoAction: not hit yet
    std::atomic<int32_t> priority{-1};

    // Owner only. `h` is the stage lookup's result (rule slots) or a miss (miss slots).
    SCS_ALWAYS_INLINE void count(const Hit& h) {
        if (h.priority >= 0) {
            action.store(h.action, std::memory_order_relaxed);
            priority.store(h.priority, std::memory_order_relaxed);
        }
        // Release: a reader that sees the count also sees the rule's action and priority.
        packets.store(packets.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    SCS_ALWAYS_INLINE void add(uint64_t n) {
        packets.store(packets.load(std::memory_order_relaxed) + n, std::memory_order_release);
    }
};
static_assert(sizeof(RuleSlot) == 16);

class RuleCounters {
public:
    RuleCounters(DatapathPtr dp, unsigned n_slices);
    RuleCounters(const RuleCounters&) = delete;
    RuleCounters& operator=(const RuleCounters&) = delete;

    const Datapath& datapath() const { return *dp_; }
    unsigned n_slices() const { return n_slices_; }

    // Worker side: the slot of stage `stage` of `pipe` that a lookup with result `h` counts
    // in - its rule's, or the stage's miss slot when no rule matched.
    SCS_ALWAYS_INLINE RuleSlot* slot(unsigned slice, Pipe pipe, uint32_t stage, const Hit& h) {
        const int p = static_cast<int>(pipe);
        if (SCS_UNLIKELY(stage >= base_[p].size() || slice >= n_slices_)) return nullptr;
        const uint32_t n = n_rules_[p][stage];
        const uint32_t i = h.priority >= 0 && h.rule < n ? h.rule : n;
        const std::size_t at = static_cast<std::size_t>(slice) * stride_ + base_[p][stage] + i;
        return &lines_[at / kSlotsPerLine].slot[at % kSlotsPerLine];
    }

    // Reader side (any thread): sums over the slices.
    struct RuleHits {
        uint32_t rule = 0;
        uint64_t packets = 0;
        int32_t priority = -1;
        uint32_t action = kNoAction;
    };
    uint64_t misses(Pipe pipe, uint32_t stage) const;
    // The rules of a stage that matched at least one packet, by rule index.
    std::vector<RuleHits> hits(Pipe pipe, uint32_t stage) const;

private:
    DatapathPtr dp_;  // pins the object: no other Datapath can reuse its address meanwhile
    unsigned n_slices_;
    std::vector<uint32_t> base_[2];     // per stage: index of its first slot in a slice
    std::vector<uint32_t> n_rules_[2];  // per stage: rule slots; the miss slot follows them
    std::size_t stride_ = 0;            // slots per slice, a whole number of cache lines
    static constexpr std::size_t kSlotsPerLine = kCacheLine / sizeof(RuleSlot);
    struct alignas(kCacheLine) Line {
        RuleSlot slot[kSlotsPerLine];
    };
    const RuleSlot& at(unsigned slice, std::size_t i) const {
        const std::size_t x = static_cast<std::size_t>(slice) * stride_ + i;
        return lines_[x / kSlotsPerLine].slot[x % kSlotsPerLine];
    }
    std::unique_ptr<Line[]> lines_;
};

// The blocks of one generation, by datapath tunnel key: what a worker counts into.
struct RuleCounterMap {
    // Both dense by tunnel key, like Generation::by_key. `blocks` owns (its refcounts are
    // touched by the control thread only); workers read `by_key`.
    std::vector<std::shared_ptr<RuleCounters>> blocks;
    std::vector<RuleCounters*> by_key;

    SCS_ALWAYS_INLINE RuleCounters* of(const Datapath* dp) const {
        RuleCounters* c = dp->tunnel_key < by_key.size() ? by_key[dp->tunnel_key] : nullptr;
        return c && &c->datapath() == dp ? c : nullptr;
    }
};

// Control side: the map for `gen`, reusing the block of every datapath object that `prev`
// already counts for (same object: same rules) and making zeroed ones for the others.
RuleCounterMap rule_counters_for(const Generation& gen, const RuleCounterMap* prev, unsigned n_slices);

}  // namespace scs::engine
