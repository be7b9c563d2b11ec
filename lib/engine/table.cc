#include "engine/table.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <numeric>

#include "common/byteorder.h"
#include "common/mix.h"

namespace scs::engine {

Subtable::Subtable(const FlowKey& mask) : mask_(mask) {
    const uint64_t* mw = key_words(mask_);
    // Ascending word order puts everything before the transport header first (key.h).
    constexpr unsigned kL4Word = SCS_KEY_OFF(tp_src) / 8;
    for (unsigned w = 0; w < kKeyWords; ++w)
        if (mw[w] != 0) {
            words_[n_words_++] = static_cast<uint8_t>(w);
            if (w < kL4Word) n_stage1_ = n_words_;
        }
    if (n_stage1_ == 0) n_stage1_ = n_words_;  // transport fields only: nothing to stage
}

bool Subtable::insert(const FlowKey& value, int32_t priority, uint32_t action, uint32_t rule) {
    const uint64_t* vw = key_words(value);
    const uint64_t* mw = key_words(mask_);
    // While building, buckets_ indexes the entries so far (finalize() lays it out again):
    // finding a duplicate stays O(1) for stages of thousands of rules.
    const std::size_t n = prio_.size();
    if (buckets_.size() < 2 * (n + 1)) {
        const std::size_t cap = std::bit_ceil(std::max<std::size_t>(16, 4 * (n + 1)));
        buckets_.assign(cap, Bucket{0, kEmpty});
        bucket_mask_ = static_cast<uint32_t>(cap - 1);
        FlowKey k{};
        uint64_t* kw = key_words(k);
        for (uint32_t e = 0; e < n; ++e) {
            for (unsigned i = 0; i < n_words_; ++i) kw[words_[i]] = values_[e * n_words_ + i];
            const uint32_t h = hash_of(k);
            uint32_t b = h & bucket_mask_;
            while (buckets_[b].entry != kEmpty) b = (b + 1) & bucket_mask_;
            buckets_[b] = {h, e};
        }
    }
    const uint32_t h = hash_of(value);
    uint32_t b = h & bucket_mask_;
    for (; buckets_[b].entry != kEmpty; b = (b + 1) & bucket_mask_) {
        if (buckets_[b].hash != h) continue;
        const std::size_t e = buckets_[b].entry;
        bool same = true;
        for (unsigned i = 0; i < n_words_ && same; ++i)
            same = values_[e * n_words_ + i] == (vw[words_[i]] & mw[words_[i]]);
        if (!same) continue;
        if (priority > prio_[e]) {  // the entry keeps its rule id: ids stay dense
            prio_[e] = priority;
            action_[e] = action;
            max_prio_ = std::max(max_prio_, priority);
            dirty_ = true;
        }
        return false;
    }
    dirty_ = true;
    buckets_[b] = {h, static_cast<uint32_t>(n)};
    for (unsigned i = 0; i < n_words_; ++i) values_.push_back(vw[words_[i]] & mw[words_[i]]);
    prio_.push_back(priority);
    action_.push_back(action);
    rule_.push_back(rule);
    max_prio_ = std::max(max_prio_, priority);
    return true;
}

void Subtable::finalize() {
    if (!dirty_) return;
    dirty_ = false;
    max_prio_ = prio_.empty() ? -1 : *std::max_element(prio_.begin(), prio_.end());
    // Load factor <= 1/2 keeps linear probes short; a lookup touches ~1 bucket line.
    const std::size_t cap = std::bit_ceil(std::max<std::size_t>(8, prio_.size() * 2));
    static constexpr uint16_t kOff[2] = {SCS_KEY_OFF(ip4_dst), SCS_KEY_OFF(ip4_src)};
    // Only appended to since the last finalize() (an amended stage), with the index insert()
    // kept at this very size: the first laid_out_ entries stay as they are in the index and
    // the filters. Otherwise everything is laid out again.
    const std::size_t from = laid_out_ > 0 && buckets_.size() == cap ? laid_out_ : 0;
    if (from == 0) {
        buckets_.assign(cap, Bucket{0, kEmpty});
        bucket_mask_ = static_cast<uint32_t>(cap - 1);
        std::fill(std::begin(stage1_), std::end(stage1_), 0);
        // Prefix tracking: only for a pure prefix mask on the address (bytes in key order).
        for (int f = 0; f < 2; ++f) {
            pfx_vals_[f].clear();
            const uint32_t m = ntoh32(*reinterpret_cast<const uint32_t*>(key_bytes(mask_) + kOff[f]));
            pfx_len_[f] = m == 0 || (~m & (~m + 1)) != 0 ? 0 : static_cast<uint8_t>(std::popcount(m));
        }
    }
    FlowKey k{};
    uint64_t* kw = key_words(k);
    for (auto e = static_cast<uint32_t>(from); e < prio_.size(); ++e) {
        for (unsigned i = 0; i < n_words_; ++i) kw[words_[i]] = values_[e * n_words_ + i];
        const uint32_t s1 = stage1_hash(k);
        stage1_[s1 / 64] |= uint64_t{1} << (s1 % 64);
        for (int f = 0; f < 2; ++f)
            if (pfx_len_[f]) pfx_vals_[f].push_back(ntoh32(*reinterpret_cast<const uint32_t*>(key_bytes(k) + kOff[f])));
        if (from > 0) continue;  // already in the index
        const uint32_t h = hash_of(k);
        uint32_t b = h & bucket_mask_;
        while (buckets_[b].entry != kEmpty) b = (b + 1) & bucket_mask_;
        buckets_[b] = {h, e};
    }
    for (int f = 0; f < 2; ++f) {
        std::sort(pfx_vals_[f].begin(), pfx_vals_[f].end());
        pfx_vals_[f].erase(std::unique(pfx_vals_[f].begin(), pfx_vals_[f].end()), pfx_vals_[f].end());
    }
    laid_out_ = prio_.size();
}

uint64_t Subtable::digest() const {
    uint64_t m = 0;
    const uint64_t* mw = key_words(mask_);
    for (unsigned w = 0; w < kKeyWords; ++w) m = mix64(m ^ mw[w]);
    uint64_t rules = 0;
    for (std::size_t e = 0; e < prio_.size(); ++e) {
        uint64_t h = mix64(m ^ static_cast<uint64_t>(static_cast<uint32_t>(prio_[e])));
        for (unsigned i = 0; i < n_words_; ++i) h = mix64(h ^ values_[e * n_words_ + i]);
        rules += h;
    }
    return rules;
}

void Subtable::unwildcard_miss(const FlowKey& k, Wildcards& wc) const {
    static constexpr uint16_t kOff[2] = {SCS_KEY_OFF(ip4_dst), SCS_KEY_OFF(ip4_src)};
    for (int f = 0; f < 2; ++f) {
        if (!pfx_len_[f] || pfx_vals_[f].empty()) continue;
        const uint32_t a = ntoh32(*reinterpret_cast<const uint32_t*>(key_bytes(k) + kOff[f]));
        const auto& v = pfx_vals_[f];
        // The rule address sharing the longest prefix with `a` is a neighbour in sort order.
        auto it = std::lower_bound(v.begin(), v.end(), a);
        int cpl = 0;
        if (it != v.end()) cpl = std::max(cpl, std::countl_zero(a ^ *it));
        if (it != v.begin()) cpl = std::max(cpl, std::countl_zero(a ^ *std::prev(it)));
        // Only when the address itself matches no rule's prefix does it decide the miss.
        if (cpl >= pfx_len_[f]) continue;
        const int bits = cpl + 1;
        const uint32_t m = hton32(bits >= 32 ? ~0u : ~(~0u >> bits));
        wc.w[kOff[f] / 8] |= uint64_t{m} << ((kOff[f] % 8) * 8);
        return;
    }
    if (n_stage1_ < n_words_ && !stage1_may_match(k)) {
        unwildcard(&wc, n_stage1_);
        return;
    }
    unwildcard(&wc, n_words_);
}

Guard::Guard(const Match& m) {
    const uint64_t* mw = key_words(m.mask);
    const uint64_t* vw = key_words(m.value);
    for (unsigned w = 0; w < kKeyWords; ++w) {
        if (mw[w] == 0) continue;
        word_[n_] = static_cast<uint8_t>(w);
        mask_[n_] = mw[w];
        value_[n_] = vw[w] & mw[w];
        ++n_;
    }
}

bool Classifier::insert(const Match& m, int32_t priority, uint32_t action, uint32_t rule) {
    auto same_mask = [&](const Subtable& st) {
        return std::equal(key_words(st.mask()), key_words(st.mask()) + kKeyWords, key_words(m.mask));
    };
    // Rules come in runs of one mask (one logical flow's matches, one port's rules): the
    // subtable of the previous insert is tried first.
    if (last_ >= subtables_.size() || !same_mask(subtables_[last_])) {
        auto it = std::find_if(subtables_.begin(), subtables_.end(), same_mask);
        if (it == subtables_.end()) it = subtables_.emplace(subtables_.end(), m.mask);
        last_ = static_cast<std::size_t>(it - subtables_.begin());
    }
    return subtables_[last_].insert(m.value, priority, action, rule);
}

void Classifier::finalize() {
    last_ = SIZE_MAX;
    for (Subtable& st : subtables_) st.finalize();
    std::stable_sort(subtables_.begin(), subtables_.end(), [](const Subtable& a, const Subtable& b) {
        return a.max_priority() > b.max_priority();
    });
}

void Subtable::shift_actions(uint32_t delta) {
    for (uint32_t& a : action_) a += delta;
}

void Classifier::shift_actions(uint32_t delta) {
    for (Subtable& st : subtables_) st.shift_actions(delta);
}

void LpmTable::shift_actions(uint32_t delta) {
    for (Subtable& st : by_len_) st.shift_actions(delta);
}

uint64_t Classifier::digest() const {
    uint64_t d = 0;
    for (const Subtable& st : subtables_) d += st.digest();
    return d;
}

std::size_t Classifier::size() const {
    return std::accumulate(subtables_.begin(), subtables_.end(), std::size_t{0},
                           [](std::size_t n, const Subtable& st) { return n + st.size(); });
}

LpmTable::LpmTable(uint16_t field_off, uint8_t width, const Match& guard)
    : off_(field_off), width_(width), guard_(guard) {
    assert(width == 4 || width == 16);
}

bool LpmTable::insert(std::span<const uint8_t> prefix, unsigned plen, int32_t priority,
                      uint32_t action, uint32_t rule) {
    assert(prefix.size() == width_ && plen <= width_ * 8u);
    auto it = std::find(lens_.begin(), lens_.end(), plen);
    std::size_t i = static_cast<std::size_t>(it - lens_.begin());
    if (it == lens_.end()) {
        FlowKey mask{};
        uint8_t* mb = key_bytes(mask) + off_;
        for (unsigned b = 0; b < plen; ++b) mb[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
        lens_.push_back(plen);
        by_len_.emplace_back(mask);
    }
    FlowKey v{};
    std::copy(prefix.begin(), prefix.end(), key_bytes(v) + off_);
    return by_len_[i].insert(v, priority, action, rule);
}

void LpmTable::finalize() {
    std::vector<std::size_t> order(lens_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lens_[a] > lens_[b]; });
    std::vector<Subtable> sorted;
    std::vector<unsigned> lens;
    for (std::size_t i : order) {
        sorted.push_back(std::move(by_len_[i]));
        lens.push_back(lens_[i]);
    }
    by_len_ = std::move(sorted);
    lens_ = std::move(lens);
    for (Subtable& st : by_len_) st.finalize();
}

uint64_t LpmTable::digest() const {
    uint64_t d = mix64(off_);
    for (const Subtable& st : by_len_) d += st.digest();
    return d;
}

std::size_t LpmTable::size() const {
    std::size_t n = 0;
    for (const Subtable& st : by_len_) n += st.size();
    return n;
}

}  // namespace scs::engine
