#include "engine/flow_cache.h"

#include <algorithm>
#include <bit>

namespace scs::engine {

FlowCache::FlowCache(uint32_t capacity)
    : subs_(kCacheMaxSubtables), entries_(std::max<uint32_t>(capacity, 64)) {
    // Buckets at load <= 1/2; epoch 0 marks never-used buckets (epoch_ starts at 1).
    buckets_.assign(std::bit_ceil(entries_.size() * 2), Bucket{0, 0, 0});
    bucket_mask_ = static_cast<uint32_t>(buckets_.size() - 1);
}

void FlowCache::reset() {
    n_subs_ = 0;
    std::fill(std::begin(sub_hits_), std::end(sub_hits_), 0u);
    n_entries_ = 0;
    if (++epoch_ == 0) {  // wrapped: old epochs could alias, clear for real (once per 2^32)
        std::fill(buckets_.begin(), buckets_.end(), Bucket{0, 0, 0});
        epoch_ = 1;
    }
}

void FlowCache::insert(const FlowKey& orig, const Wildcards& wc, const CachedResult& r) {
    if (n_entries_ == entries_.size()) {
        reset();
        ++overflows_;
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

}  // namespace scs::engine
