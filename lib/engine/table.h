// The lookup structures a pipeline stage can be lowered into.
//
//   ExactTable   one mask, a hash on the masked key (e.g. `eth.dst == MAC`, `inport == P`)
//   LpmTable     longest-prefix match on one address field under a common guard match
//                (OVN's lr_in_ip_routing: `ip4.dst == PREFIX`, priority growing with plen)
//   Classifier   any set of masked matches with priorities: tuple-space search, one hash
//                subtable per distinct mask, searched in order of their best priority so a
//                lookup stops as soon as no remaining subtable can win (OVS's classifier idea)
//
// A Stage owns one "specialized" structure plus a residual Classifier for the flows that do
// not fit it; the result is the higher-priority hit of the two, else the stage's miss action.
// Every structure is built once on the control side and immutable afterwards: lookups are
// plain reads, safe from any number of lcores without synchronisation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/compiler.h"
#include "engine/hash.h"
#include "engine/key.h"
#include "engine/match.h"

namespace scs::engine {

inline constexpr uint32_t kNoAction = 0xffffffffu;

// The key bits a lookup consulted, accumulated over a pipeline pass: what the flow cache
// (flow_cache.h) must match on for its entry to stand for every packet that would have taken
// the same path. Bits of a missed higher-priority subtable count too (OVS's "unwildcarding").
struct Wildcards {
    uint64_t w[kKeyWords] = {};
    SCS_ALWAYS_INLINE void add_word(unsigned word, uint64_t mask) { w[word] |= mask; }
};

struct Hit {
    int32_t priority = -1;
    uint32_t action = kNoAction;  // offset of an action list in the datapath's program
    uint32_t rule = 0;            // index of the rule within its table (hit counters, trace)
};

// Open-addressing hash of masked keys sharing one mask. Building block of Exact/Classifier.
class Subtable {
public:
    explicit Subtable(const FlowKey& mask);

    const FlowKey& mask() const { return mask_; }
    int32_t max_priority() const { return max_prio_; }
    std::size_t size() const { return prio_.size(); }
    unsigned n_words() const { return n_words_; }

    // Order-independent hash of the rules (mask, masked values, priorities; not actions):
    // two builds of the same rules agree, whatever order the rules came in. For tests.
    uint64_t digest() const;

    // Adds a rule whose value is `value` (masked here). If an identical masked value exists,
    // the higher priority wins (the lower one can never match; the entry keeps its rule id)
    // and false is returned.
    // Allowed after finalize() too (DatapathBuilder::amend()); finalize() again before lookups.
    bool insert(const FlowKey& value, int32_t priority, uint32_t action, uint32_t rule);
    // Lays out the bucket array and the miss filters for the rules as they are now. Call it
    // after inserts/erases and before lookups; a no-op while nothing changed since the last call.
    void finalize();
    // Removes every rule for which pred(masked value words, priority, action, rule) holds,
    // keeping the others in order; returns how many went. finalize() again before lookups.
    template <typename F>
    std::size_t erase_if(F&& pred) {
        std::size_t kept = 0;
        for (std::size_t e = 0; e < prio_.size(); ++e) {
            const uint64_t* v = values_.data() + e * n_words_;
            if (pred(std::span<const uint64_t>(v, n_words_), prio_[e], action_[e], rule_[e])) continue;
            if (kept != e) {
                std::copy(v, v + n_words_, values_.data() + kept * n_words_);
                prio_[kept] = prio_[e];
                action_[kept] = action_[e];
                rule_[kept] = rule_[e];
            }
            ++kept;
        }
        const std::size_t gone = prio_.size() - kept;
        if (gone == 0) return 0;
        values_.resize(kept * n_words_);
        prio_.resize(kept);
        action_.resize(kept);
        rule_.resize(kept);
        buckets_.clear();  // stale: insert() re-indexes, finalize() lays out again
        bucket_mask_ = 0;
        laid_out_ = 0;
        dirty_ = true;
        return gone;
    }
    // rule = f(rule) for every rule (ids only: no re-layout needed).
    template <typename F>
    void renumber(F&& f) {
        for (uint32_t& r : rule_) r = f(r);
    }
    // Key word indices of the mask, in the order of the masked value words of for_each_rule().
    std::span<const uint8_t> words() const { return {words_, n_words_}; }
    // Adds `delta` (mod 2^32) to every rule's action offset: the table moved with its action
    // lists to another place in a program (DatapathBuilder::adopt()).
    void shift_actions(uint32_t delta);
    // f(masked value words, priority, action, rule) for every rule, in insertion order.
    template <typename F>
    void for_each_rule(F&& f) const {
        for (std::size_t e = 0; e < prio_.size(); ++e)
            f(std::span<const uint64_t>(values_.data() + e * n_words_, n_words_), prio_[e], action_[e], rule_[e]);
    }

    SCS_ALWAYS_INLINE uint32_t hash_of(const FlowKey& k) const {
        const uint64_t* kw = key_words(k);
        const uint64_t* mw = key_words(mask_);
        uint32_t h = 0;
        for (unsigned i = 0; i < n_words_; ++i) h = hash_word(h, kw[words_[i]] & mw[words_[i]]);
        return hash_finish(h);
    }

    SCS_ALWAYS_INLINE void unwildcard(Wildcards* wc, unsigned upto) const {
        const uint64_t* mw = key_words(mask_);
        for (unsigned i = 0; i < upto; ++i) wc->add_word(words_[i], mw[words_[i]]);
    }

    SCS_ALWAYS_INLINE bool lookup(const FlowKey& k, Hit& out, Wildcards* wc = nullptr) const {
        const bool hit = probe(k, out);
        if (wc) {
            if (hit) unwildcard(wc, n_words_);
            else unwildcard_miss(k, *wc);
        }
        return hit;
    }

private:
    // On a miss, the flow cache needs only the bits that made it a miss (OVS's staged
    // lookup and prefix tracking): if every rule differs from the packet within the first
    // n bits of an IPv4 address, those n bits alone decide; else if no rule agrees with the
    // packet before the transport header, those words decide. Otherwise all masked bits.
    void unwildcard_miss(const FlowKey& k, Wildcards& wc) const;

    SCS_ALWAYS_INLINE bool probe(const FlowKey& k, Hit& out) const {
        const uint32_t h = hash_of(k);
        const uint64_t* kw = key_words(k);
        const uint64_t* mw = key_words(mask_);
        for (uint32_t b = h & bucket_mask_;; b = (b + 1) & bucket_mask_) {
            const Bucket& bk = buckets_[b];
            if (bk.entry == kEmpty) return false;
            if (bk.hash != h) continue;
            const uint64_t* ev = values_.data() + static_cast<std::size_t>(bk.entry) * n_words_;
            bool eq = true;
            for (unsigned i = 0; i < n_words_; ++i) eq &= (kw[words_[i]] & mw[words_[i]]) == ev[i];
            if (eq) {
                out = {prio_[bk.entry], action_[bk.entry], rule_[bk.entry]};
                return true;
            }
        }
    }

    static constexpr uint32_t kEmpty = 0xffffffffu;
    static constexpr unsigned kStage1Bits = 4096;
    // Prefix tracking on ip4.src / ip4.dst: the rules' masked addresses, sorted, when the
    // mask on that field is a prefix of pfx_len_ bits (0: not tracked).
    std::vector<uint32_t> pfx_vals_[2];
    uint8_t pfx_len_[2] = {0, 0};
    // Words before the transport header come first in words_; a Bloom filter over their
    // masked hashes answers "could any rule match so far?" (false positives only cost
    // a wider cache entry).
    uint32_t stage1_hash(const FlowKey& k) const {
        const uint64_t* kw = key_words(k);
        const uint64_t* mw = key_words(mask_);
        uint32_t h = 0;
        for (unsigned i = 0; i < n_stage1_; ++i) h = hash_word(h, kw[words_[i]] & mw[words_[i]]);
        return hash_finish(h) % kStage1Bits;
    }
    bool stage1_may_match(const FlowKey& k) const {
        const uint32_t b = stage1_hash(k);
        return (stage1_[b / 64] >> (b % 64)) & 1;
    }
    unsigned n_stage1_ = 0;
    uint64_t stage1_[kStage1Bits / 64] = {};
    struct Bucket {
        uint32_t hash;
        uint32_t entry;
    };
    FlowKey mask_;
    uint8_t words_[kKeyWords] = {};  // indices of the key words the mask touches
    unsigned n_words_ = 0;
    int32_t max_prio_ = -1;
    std::vector<uint64_t> values_;  // n_words_ masked words per entry
    std::vector<int32_t> prio_;
    std::vector<uint32_t> action_;
    std::vector<uint32_t> rule_;
    std::vector<Bucket> buckets_;
    uint32_t bucket_mask_ = 0;
    bool dirty_ = true;  // rules changed since the last finalize()
    // Entries [0, laid_out_) are in stage1_ and pfx_vals_ (0: lay everything out again).
    std::size_t laid_out_ = 0;
};

// A match reduced to the key words its mask touches: cheap to test on the hot path.
class Guard {
public:
    Guard() = default;
    explicit Guard(const Match& m);
    SCS_ALWAYS_INLINE bool matches(const FlowKey& k, Wildcards* wc = nullptr) const {
        const uint64_t* kw = key_words(k);
        if (wc)
            for (unsigned i = 0; i < n_; ++i) wc->add_word(word_[i], mask_[i]);
        bool ok = true;
        for (unsigned i = 0; i < n_; ++i) ok &= (kw[word_[i]] & mask_[i]) == value_[i];
        return ok;
    }
    bool always() const { return n_ == 0; }
    // Adds the guard's condition to `m` (DatapathBuilder::amend() rebuilding a route's match).
    void add_to(Match& m) const {
        for (unsigned i = 0; i < n_; ++i) {
            key_words(m.mask)[word_[i]] |= mask_[i];
            key_words(m.value)[word_[i]] |= value_[i];
        }
    }

private:
    uint8_t word_[kKeyWords] = {};
    uint64_t mask_[kKeyWords] = {};
    uint64_t value_[kKeyWords] = {};
    unsigned n_ = 0;
};

class Classifier {
public:
    // False when the rule's masked match was there already (Subtable::insert()).
    bool insert(const Match& m, int32_t priority, uint32_t action, uint32_t rule);
    // Finalizes the subtables that changed and orders them by best priority; call after
    // inserts/erases, before lookups.
    void finalize();
    // Subtable::erase_if() on every subtable, pred(subtable, masked value words, priority,
    // action, rule); subtables left empty are removed.
    template <typename F>
    std::size_t erase_if(F&& pred) {
        std::size_t gone = 0;
        for (Subtable& st : subtables_)
            gone += st.erase_if([&](std::span<const uint64_t> v, int32_t prio, uint32_t action, uint32_t rule) {
                return pred(std::as_const(st), v, prio, action, rule);
            });
        if (gone == 0) return 0;
        std::erase_if(subtables_, [](const Subtable& st) { return st.size() == 0; });
        last_ = SIZE_MAX;
        return gone;
    }
    template <typename F>
    void renumber(F&& f) {
        for (Subtable& st : subtables_) st.renumber(f);
    }
    // Moves the subtables out, leaving the classifier empty.
    std::vector<Subtable> release() {
        last_ = SIZE_MAX;
        return std::exchange(subtables_, {});
    }
    bool empty() const { return subtables_.empty(); }
    std::size_t n_subtables() const { return subtables_.size(); }
    uint64_t digest() const;  // Subtable::digest() over all
    std::size_t size() const;
    void shift_actions(uint32_t delta);
    const std::vector<Subtable>& subtables() const { return subtables_; }

    SCS_ALWAYS_INLINE bool lookup(const FlowKey& k, Hit& out, Wildcards* wc = nullptr) const {
        bool found = false;
        for (const Subtable& st : subtables_) {
            if (st.max_priority() <= out.priority) break;  // nothing further can win
            Hit h;
            if (st.lookup(k, h, wc) && h.priority > out.priority) {
                out = h;
                found = true;
            }
        }
        return found;
    }

private:
    std::vector<Subtable> subtables_;
    std::size_t last_ = SIZE_MAX;  // insert(): subtable of the previous rule
};

// Longest-prefix match on a 4- or 16-byte address field of the key. One hash per distinct
// prefix length, probed from the longest: few lengths exist per router in practice
// (/32 host routes, subnets, the default route), memory stays proportional to the routes.
class LpmTable {
public:
    // `field_off`: key offset of ip4.dst/ip4.src (4 bytes) or ip6.* (16 bytes).
    // `guard`: condition common to every route (e.g. `ip4 && reg7 == 0`); a packet failing
    // it gets no LPM hit.
    LpmTable(uint16_t field_off, uint8_t width, const Match& guard);

    // Prefix given as network-order bytes. Priority must grow with prefix length (the
    // compiler only chooses LpmTable when that holds for OVN's routing flows). False: the
    // prefix was there (Subtable::insert()).
    bool insert(std::span<const uint8_t> prefix, unsigned plen, int32_t priority, uint32_t action,
                uint32_t rule);
    void finalize();
    std::size_t size() const;

    SCS_ALWAYS_INLINE bool lookup(const FlowKey& k, Hit& out, Wildcards* wc = nullptr) const {
        if (!guard_.matches(k, wc)) return false;
        // Routes are probed longest prefix first; the first hit is the longest match.
        for (const Subtable& st : by_len_) {
            if (st.max_priority() <= out.priority) break;
            if (st.lookup(k, out, wc)) return true;
        }
        return false;
    }

    // Subtable::erase_if() on every prefix length, pred(masked value words, priority, action,
    // rule); lengths left without a route are removed. finalize() again before lookups.
    template <typename F>
    std::size_t erase_if(F&& pred) {
        std::size_t gone = 0;
        for (Subtable& st : by_len_) gone += st.erase_if(pred);
        if (gone == 0) return 0;
        for (std::size_t i = by_len_.size(); i-- > 0;) {
            if (by_len_[i].size() != 0) continue;
            by_len_.erase(by_len_.begin() + static_cast<std::ptrdiff_t>(i));
            lens_.erase(lens_.begin() + static_cast<std::ptrdiff_t>(i));
        }
        return gone;
    }
    template <typename F>
    void renumber(F&& f) {
        for (Subtable& st : by_len_) st.renumber(f);
    }
    unsigned prefix_len(std::size_t i) const { return lens_[i]; }  // of subtables()[i]

    uint16_t field_offset() const { return off_; }
    const Guard& guard() const { return guard_; }
    uint64_t digest() const;  // Subtable::digest() over all (not the guard)
    void shift_actions(uint32_t delta);
    const std::vector<Subtable>& subtables() const { return by_len_; }

private:
    uint16_t off_;
    uint8_t width_;
    Guard guard_;
    std::vector<Subtable> by_len_;  // sorted longest prefix first
    std::vector<unsigned> lens_;
};

}  // namespace scs::engine
