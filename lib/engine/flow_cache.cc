#include "engine/flow_cache.h"

#include <algorithm>
#include <bit>

#include "engine/rule_stats.h"

namespace scs::engine {

FlowCache::FlowCache(uint32_t capacity)
    : subs_(kCacheMaxSubtables), entries_(std::max<uint32_t>(capacity, 64)) {
    // Buckets at load <= 1/2; epoch 0 marks never-used buckets (epoch_ starts at 1).
    buckets_.assign(std::bit_ceil(entries_.size() * 2), Bucket{0, 0, 0});
    bucket_mask_ = static_cast<uint32_t>(buckets_.size() - 1);
}

void FlowCache::keep_rule_paths() {
    paths_.assign(kCacheMaxPaths, Path{});
    path_slots_.assign(static_cast<std::size_t>(kCacheMaxPaths) * kCachePathSlotsPerPath, nullptr);
    path_index_.assign(std::bit_ceil(kCacheMaxPaths * 2), 0);
}

void FlowCache::reset() {
    if (keeps_rule_paths()) {
        fold_all();
        n_paths_ = 0;
        n_path_slots_ = 0;
        std::fill(path_index_.begin(), path_index_.end(), 0u);
    }
    n_subs_ = 0;
    std::fill(std::begin(sub_hits_), std::end(sub_hits_), 0u);
    n_entries_ = 0;
    if (++epoch_ == 0) {  // wrapped: old epochs could alias, clear for real (once per 2^32)
        std::fill(buckets_.begin(), buckets_.end(), Bucket{0, 0, 0});
        epoch_ = 1;
    }
}

void FlowCache::insert(const FlowKey& orig, const Wildcards& wc, const CachedResult& r,
                       std::span<RuleSlot* const> path) {
    if (n_entries_ == entries_.size()) {
        reset();
        ++overflows_;
    }
    uint32_t pid = kNoPath;
    if (keeps_rule_paths() && (pid = path_of(path)) == kNoPath) {  // no room for the path
        reset();
        ++overflows_;
        pid = path_of(path);
    }
    // The subtable for this mask.
    Sub want;
    for (unsigned w = 0; w < kKeyWords; ++w)
        if (wc.w[w]) {
            want.word[want.n] = static_cast<uint8_t>(w);
            want.mask[want.n] = wc.w[w];
            ++want.n;
        }
    uint32_t s = 0;
    for (; s < n_subs_; ++s) {
        const Sub& x = subs_[s];
        if (x.n == want.n && std::equal(x.word, x.word + x.n, want.word) && std::equal(x.mask, x.mask + x.n, want.mask))
            break;
    }
    if (s == n_subs_) {
        if (n_subs_ == kCacheMaxSubtables) {
            reset();
            ++overflows_;
            s = 0;
        }
        order_[n_subs_] = static_cast<uint8_t>(n_subs_);  // new masks are probed last
        subs_[n_subs_++] = want;
    }
    const Sub& sub = subs_[s];
    const uint64_t* kw = key_words(orig);
    Entry& e = entries_[n_entries_];
    const uint32_t h = hash_masked(kw, sub, s, e.key);
    e.sub = s;
    e.path = pid;
    e.hits = 0;
    e.result = r;
    uint32_t b = h & bucket_mask_;
    while (buckets_[b].epoch == epoch_) b = (b + 1) & bucket_mask_;
    buckets_[b] = {h, n_entries_, epoch_};
    ++n_entries_;
}

void FlowCache::rank() {
    // Few subtables (<= 64): an insertion sort, stable, most hits first.
    for (uint32_t i = 1; i < n_subs_; ++i) {
        const uint8_t s = order_[i];
        uint32_t j = i;
        for (; j > 0 && sub_hits_[order_[j - 1]] < sub_hits_[s]; --j) order_[j] = order_[j - 1];
        order_[j] = s;
    }
    for (uint32_t i = 0; i < n_subs_; ++i) sub_hits_[i] /= 2;  // recent traffic counts most
}

uint32_t FlowCache::path_of(std::span<RuleSlot* const> path) {
    uint32_t h = static_cast<uint32_t>(path.size());
    for (RuleSlot* p : path) h = hash_word(h, reinterpret_cast<uintptr_t>(p));
    h = hash_finish(h);
    const uint32_t mask = static_cast<uint32_t>(path_index_.size() - 1);
    uint32_t b = h & mask;
    for (; path_index_[b]; b = (b + 1) & mask) {
        const Path& x = paths_[path_index_[b] - 1];
        if (x.hash == h && x.len == path.size() &&
            std::equal(path.begin(), path.end(), path_slots_.begin() + x.off))
            return path_index_[b] - 1;
    }
    if (n_paths_ == paths_.size() || path_slots_.size() - n_path_slots_ < path.size()) return kNoPath;
    std::copy(path.begin(), path.end(), path_slots_.begin() + n_path_slots_);
    paths_[n_paths_] = Path{n_path_slots_, static_cast<uint32_t>(path.size()), h, 0};
    n_path_slots_ += static_cast<uint32_t>(path.size());
    path_index_[b] = ++n_paths_;
    return n_paths_ - 1;
}

bool FlowCache::fold_step(uint32_t max_entries) {
    if (!keeps_rule_paths()) return true;
    const uint32_t end = std::min(n_entries_, fold_cursor_ + max_entries);
    for (; fold_cursor_ < end; ++fold_cursor_) {
        Entry& e = entries_[fold_cursor_];
        if (e.hits == 0) continue;
        if (e.path != kNoPath) paths_[e.path].pending += e.hits;
        e.hits = 0;
    }
    if (fold_cursor_ < n_entries_) return false;
    flush_paths();
    fold_cursor_ = 0;
    return true;
}

void FlowCache::fold_all() {
    fold_cursor_ = 0;
    fold_step(n_entries_);
}

void FlowCache::flush_paths() {
    for (uint32_t i = 0; i < n_paths_; ++i) {
        Path& p = paths_[i];
        if (p.pending == 0) continue;
        for (uint32_t k = 0; k < p.len; ++k) path_slots_[p.off + k]->add(p.pending);
        p.pending = 0;
    }
}

}  // namespace scs::engine
