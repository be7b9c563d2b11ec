// The per-lcore megaflow cache: the result of a pipeline pass, remembered for every packet
// that would take the same path.
//
// A slow-path pass (exec.cc) records which key bits its lookups consulted (Wildcards: the
// masks of every subtable probed, LPM guards and prefixes, sources of moves, the TTL of
// `ip.ttl--`) and which bits its actions wrote. The entry matches on the consulted bits only
// and replays the writes and the one terminal outcome: transmit on a port, Geneve to a
// chassis, or a counted drop. So 100k connections that differ only in their ports share one
// entry, and a cache hit costs one hash probe per distinct mask instead of a walk through
// twenty-odd logical tables - OVS's megaflow idea, per core, without locks.
//
// Entries are valid for one table generation: the executor resets the cache (O(1), an epoch
// bump) when the live generation changes. Paths that copy packets (flooding, clone,
// non-final outputs) or meet unimplemented actions are never cached.
//
// Rule hits (rule_stats.h), OVS's megaflow-stats idea: with keep_rule_paths(), an entry also
// names the path of rule counter slots its slow pass went through (paths are shared by the
// entries that took the same one). A hit adds one to the entry's own count - the line the
// lookup just read, nothing shared. fold_step() moves those counts into the path's slots a
// few entries at a time (the executor calls it from the poll loop), and every reset folds
// everything first, so no hit is lost and the hot path never touches a rule counter.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/compiler.h"
#include "common/drop_reason.h"
#include "engine/hash.h"
#include "engine/key.h"
#include "engine/table.h"

namespace scs::engine {

inline constexpr unsigned kCacheMaxSubtables = 64;
inline constexpr unsigned kCacheMaxWrites = 8;
inline constexpr unsigned kCacheMaxPath = 256;        // rule slots on one path (longer: uncached)
inline constexpr uint32_t kCacheMaxPaths = 4096;      // distinct paths between resets
inline constexpr unsigned kCachePathSlotsPerPath = 48;  // average room per path

struct RuleSlot;  // rule_stats.h

enum class CachedKind : uint8_t { Tx, Tunnel, Drop };

struct CachedResult {
    CachedKind kind = CachedKind::Drop;
    uint8_t n_writes = 0;
    uint16_t port = 0;  // Tx: DPDK port; Tunnel: tunnel id
    uint16_t vlan = 0;  // Tx: VLAN to push (localnet)
    DropReason reason = DropReason::None;
    uint32_t vni = 0, in_key = 0, out_key = 0;  // Tunnel: what the Geneve header carries
    uint8_t write_word[kCacheMaxWrites] = {};
    uint64_t write_mask[kCacheMaxWrites] = {};
    uint64_t write_value[kCacheMaxWrites] = {};
};

class FlowCache {
public:
    explicit FlowCache(uint32_t capacity = 16384);

    // Remembers each entry's rule path and counts hits for folding (see the top). Allocates:
    // call before the first insert, off the fast path.
    void keep_rule_paths();
    bool keeps_rule_paths() const { return !paths_.empty(); }

    void reset();  // forget everything: O(1), after folding pending hits when keeping paths
    uint32_t size() const { return n_entries_; }
    uint32_t n_subtables() const { return n_subs_; }
    uint32_t capacity() const { return static_cast<uint32_t>(entries_.size()); }
    // The key words (and their masks) that subtable `i` matches on: for operators and tests.
    std::vector<std::pair<unsigned, uint64_t>> subtable_mask(uint32_t i) const {
        std::vector<std::pair<unsigned, uint64_t>> v;
        for (unsigned w = 0; i < n_subs_ && w < subs_[i].n; ++w) v.emplace_back(subs_[i].word[w], subs_[i].mask[w]);
        return v;
    }

    SCS_ALWAYS_INLINE const CachedResult* lookup(const FlowKey& k) {
        const uint64_t* kw = key_words(k);
        uint64_t mk[kKeyWords];  // the packet's masked words, gathered once per subtable
        for (uint32_t i = 0; i < n_subs_; ++i) {
            const uint32_t s = order_[i];
            const Sub& sub = subs_[s];
            const uint32_t h = hash_masked(kw, sub, s, mk);
            for (uint32_t b = h & bucket_mask_;; b = (b + 1) & bucket_mask_) {
                const Bucket& bk = buckets_[b];
                if (bk.epoch != epoch_) break;
                if (bk.hash != h) continue;
                Entry& e = entries_[bk.entry];
                if (e.sub != s) continue;
                uint64_t diff = 0;
                for (unsigned w = 0; w < sub.n; ++w) diff |= mk[w] ^ e.key[w];
                if (diff == 0) {
                    ++sub_hits_[s];
                    ++e.hits;
                    return &e.result;
                }
            }
        }
        return nullptr;
    }

    // Remembers `r` for every key equal to `orig` on the bits of `wc`. A cache full of
    // entries or of distinct masks is flushed first (counted in overflows()), so it keeps
    // learning the current traffic rather than serving the old.
    // `path`: the rule counter slots the slow pass counted in (kept with keep_rule_paths()).
    void insert(const FlowKey& orig, const Wildcards& wc, const CachedResult& r,
                std::span<RuleSlot* const> path = {});
    uint64_t overflows() const { return overflows_; }

    // Folds the hits of up to `max_entries` more entries into their paths; at the end of a
    // sweep over all entries, the paths' sums into the rule slots. True when a sweep ended.
    bool fold_step(uint32_t max_entries);
    void fold_all();  // every pending hit into the rule slots, now
    uint32_t n_paths() const { return n_paths_; }

    // Probes the subtables most hit first (OVS's pvector idea): a packet stops at its first
    // match, so ordering by recent hits cuts the masks probed per packet when traffic is
    // uneven. Call now and then (the executor: every few hundred bursts); hits then decay.
    void rank();

private:
    struct Sub {
        uint8_t n = 0;
        uint8_t word[kKeyWords] = {};
        uint64_t mask[kKeyWords] = {};
    };
    // Two independent CRC chains (even and odd words) halve the dependency chain.
    // Also leaves the masked words in `mk` for the comparison.
    SCS_ALWAYS_INLINE static uint32_t hash_masked(const uint64_t* kw, const Sub& sub, uint32_t seed, uint64_t* mk) {
        uint32_t a = seed, b = ~seed;
        unsigned i = 0;
        for (; i + 1 < sub.n; i += 2) {
            mk[i] = kw[sub.word[i]] & sub.mask[i];
            mk[i + 1] = kw[sub.word[i + 1]] & sub.mask[i + 1];
            a = hash_word(a, mk[i]);
            b = hash_word(b, mk[i + 1]);
        }
        if (i < sub.n) {
            mk[i] = kw[sub.word[i]] & sub.mask[i];
            a = hash_word(a, mk[i]);
        }
        return hash_finish(a ^ (b << 16 | b >> 16));
    }
    struct Entry {
        uint64_t key[kKeyWords];
        uint32_t sub;
        uint32_t path;  // kNoPath, or an index into paths_
        uint64_t hits;  // since the last fold
        CachedResult result;
    };
    static constexpr uint32_t kNoPath = 0xffffffffu;
    struct Path {
        uint32_t off;      // first slot in path_slots_
        uint32_t len;
        uint32_t hash;
        uint64_t pending;  // hits folded from entries, not yet added to the slots
    };
    uint32_t path_of(std::span<RuleSlot* const> path);  // kNoPath when full
    void flush_paths();
    struct Bucket {
        uint32_t hash;
        uint32_t entry;
        uint32_t epoch;
    };
    std::vector<Sub> subs_;
    uint32_t n_subs_ = 0;
    uint8_t order_[kCacheMaxSubtables] = {};      // lookup order of subtable indices
    uint32_t sub_hits_[kCacheMaxSubtables] = {};  // hits since the last rank()
    static_assert(kCacheMaxSubtables <= 256);
    std::vector<Entry> entries_;
    uint32_t n_entries_ = 0;
    std::vector<Bucket> buckets_;
    uint32_t bucket_mask_ = 0;
    uint32_t epoch_ = 1;
    uint64_t overflows_ = 0;
    // Rule paths (empty unless keep_rule_paths()): each distinct path once, found by hash.
    std::vector<Path> paths_;
    uint32_t n_paths_ = 0;
    std::vector<RuleSlot*> path_slots_;
    uint32_t n_path_slots_ = 0;
    std::vector<uint32_t> path_index_;  // open addressing: path + 1, 0 = empty
    uint32_t fold_cursor_ = 0;          // next entry of the current fold sweep
};

}  // namespace scs::engine
