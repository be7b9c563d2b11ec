// The executor: runs received bursts through the live generation's logical pipelines.
//
// One Executor per worker lcore. process() takes a burst from one DPDK port, dispatches each
// frame by the port's role (a VIF enters its logical switch's ingress pipeline; Geneve from
// the underlay is decapsulated into the egress pipeline of the datapath its VNI names, for
// the port its TLV names; provider frames enter through the matching localnet port), runs
// the pipelines - across patch ports into routers and back - and ends every frame in exactly
// one place: a transmit buffer, a Geneve encapsulation onto the underlay, or a counted drop.
//
// Hot-path rules: no locks, no heap, no syscalls, no exceptions. The only allocation is an
// mbuf from the lcore's mempool cache when a packet must be copied (flooding to several
// ports, or an `output` that is not the last action of its list).
//
// Rule hits (rule_stats.h), with count_rules(): a slow-path pass counts each stage lookup in
// its rule's slot and records the slots for the flow cache entry it makes; a cache hit costs
// one increment of the entry, folded into the rules later (fold_rule_hits(), flow_cache.h).
#pragma once

#include <cstdint>
#include <vector>

#include <rte_mbuf.h>

#include "engine/flow_cache.h"
#include "engine/generation.h"
#include "engine/rule_stats.h"
#include "engine/stats.h"
#include "engine/tx.h"
#include "packet/layout.h"

namespace scs::engine {

inline constexpr unsigned kMaxCallDepth = 8;     // nested `next`/`output` subroutine calls
inline constexpr unsigned kMaxHops = 16;         // patch-port traversals per packet
inline constexpr unsigned kMaxCopies = 64;       // copies per received packet
inline constexpr unsigned kMaxSteps = 1024;      // table lookups per packet (OVS's resubmit
                                                 // limit idea): `next` loops end as LoopLimit
inline constexpr unsigned kPrefetchAhead = 4;

// What one traced packet did, step by step (scs-dpctl trace). Tracing runs on an Executor
// of its own on the control thread, never on a worker: the flow cache is bypassed so every
// stage is visited, and each lookup, output and drop is logged.
struct TraceEvent {
    enum class Kind : uint8_t { Stage, Tx, Tunnel, Drop };
    Kind kind = Kind::Stage;
    Pipe pipe = Pipe::Ingress;
    uint32_t dp = 0;                 // datapath tunnel key (Stage)
    uint32_t stage = 0;              // compact stage index (Stage)
    uint32_t action = kNoAction;     // action list hit (Stage); kNoAction: no rule, no default
    uint16_t port = 0;               // Tx: DPDK port; Tunnel: tunnel id
    uint16_t vlan = 0;               // Tx
    uint32_t vni = 0, in_key = 0, out_key = 0;  // Tunnel
    DropReason reason = DropReason::None;       // Drop
    FlowKey key{};                   // Stage: the key as the stage saw it
};
struct TraceLog {
    std::vector<TraceEvent> events;
};

class Executor {
public:
    Executor(LcoreStats& stats, TxSink& tx, rte_mempool* copy_pool, uint32_t cache_capacity = 16384)
        : stats_(stats), tx_(tx), pool_(copy_pool), cache_(cache_capacity) {}

    // The megaflow cache is on by default; off, every packet takes the full pipeline walk
    // (tests compare the two; `scs-dataplane --no-flow-cache` for diagnosis).
    void set_cache_enabled(bool on) { cache_enabled_ = on; }
    const FlowCache& cache() const { return cache_; }
    // Logs every step into `t` (nullptr: off) and bypasses the flow cache. Control side only.
    void set_trace(TraceLog* t) { trace_ = t; }

    // Counts rule hits as slice `slice` of the counter blocks given to use() (the worker's
    // index). Allocates the flow cache's path store: call once, before the poll loop.
    void count_rules(unsigned slice);

    // The generation the next bursts run on, with its counter blocks (null: no counting).
    // On a change of either, the flow cache folds its pending hits into the old blocks and
    // forgets its entries: call it once per poll loop, also when no packet came, while the
    // previous generation's blocks are still alive (rule_stats.h).
    void use(const Generation& gen, const RuleCounterMap* rules);

    // Every mbuf is consumed: queued on the TxSink or freed with a counted reason. The
    // caller flushes the TxSink (process() does it at the end of the burst). A generation
    // other than the one given to use() is taken as use(gen, nullptr).
    void process(const Generation& gen, uint16_t rx_port, rte_mbuf** pkts, uint16_t n);

    // Moves a share of the flow cache's pending hits into the rule counters: a sweep over the
    // entries starts every kFoldIntervalMs and goes on for a few entries per call (more when
    // `idle`). Call once per poll loop; cheap when there is nothing to do.
    void fold_rule_hits(uint64_t now_tsc, bool idle);
    void fold_all_rule_hits() { cache_.fold_all(); }  // tests: everything, now
    static constexpr unsigned kFoldIntervalMs = 10;

    struct PacketState;

private:
    enum class Next : uint8_t { Done, Continue };
    struct Outcome {
        Next next;
        DropReason why;
    };

    DropReason classify(PacketState& s);
    void start_vif(PacketState& s, const RxBinding& rb);
    void start_underlay(PacketState& s);
    void start_provider(PacketState& s, const RxBinding& rb);
    DropReason strip_vlan(PacketState& s);
    // Runs from `stage` of the current pipeline - or, with `pc`, from that action list first.
    DropReason run(PacketState& s, uint32_t stage, const Insn* pc = nullptr);
    Outcome ingress_output(PacketState& s);
    Outcome egress_output(PacketState& s);
    // `local_only`: deliver to local members only (PortEntry::local_flood_member()).
    DropReason flood(PacketState& s, uint32_t group_key, bool local_only);
    DropReason tunnel_out(PacketState& s, uint16_t tunnel, uint32_t outport);
    DropReason transmit(PacketState& s, uint16_t port, uint16_t vlan);
    bool fork(PacketState& s, PacketState& copy);
    void enter(PacketState& s);
    void enter_slow(PacketState& s);
    void replay(PacketState& s, const CachedResult& r);
    bool record(PacketState& s, CachedKind kind);
    DropReason encap(PacketState& s, uint16_t tunnel, uint32_t vni, uint32_t in_key, uint32_t out_key);
    void finish(PacketState& s, DropReason why);
    void count_rule(PacketState& s, uint32_t stage, const Hit& h);

    LcoreStats& stats_;
    TxSink& tx_;
    rte_mempool* pool_;
    const Generation* gen_ = nullptr;
    unsigned copies_left_ = 0;
    uint16_t rx_port_ = 0;
    bool cache_enabled_ = true;
    TraceLog* trace_ = nullptr;
    uint64_t cache_gen_ = 0;
    uint32_t bursts_since_rank_ = 0;
    FlowCache cache_;
    // Rule counting (count_rules()).
    const RuleCounterMap* rules_ = nullptr;
    unsigned slice_ = 0;
    bool counting_ = false;
    bool folding_ = false;             // a fold sweep is under way
    uint64_t fold_interval_tsc_ = 0;
    uint64_t last_sweep_tsc_ = 0;
    RuleSlot* path_[kCacheMaxPath];    // the slots of the slow pass being recorded
    unsigned n_path_ = 0;
    struct BurstCounts {
        uint64_t rx_bytes = 0, geneve_encap = 0, geneve_decap = 0, cache_hits = 0;
    } burst_;
};

}  // namespace scs::engine
