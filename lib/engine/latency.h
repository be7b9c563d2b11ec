// Per-lcore latency histogram: how long the pipeline took for each received burst, in TSC
// cycles, from the moment rx_burst returned its packets to the end of that burst's tx
// (dataplane/worker.cc). It excludes the time packets waited in the NIC or a ring before the
// poll: with pcap input there are no wire timestamps to measure that from.
//
// Log-linear buckets, HdrHistogram-style: values below 8 exactly, then 8 sub-buckets per
// power of two, so a bucket is at most 12.5% of its value wide. add() is one bucket index
// (a count-leading-zeros and two shifts) and two owner-only counter adds: no allocation, no
// shared write. Readers take a snapshot and compute percentiles from it (control side).
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "common/compiler.h"
#include "common/counter.h"

namespace scs::engine {

inline constexpr unsigned kLatencySubBits = 3;  // 8 sub-buckets per power of two
inline constexpr unsigned kLatencyBuckets = (64 - kLatencySubBits + 1) << kLatencySubBits;

SCS_ALWAYS_INLINE constexpr unsigned latency_bucket(uint64_t v) {
    constexpr unsigned kSub = 1u << kLatencySubBits;
    if (v < kSub) return static_cast<unsigned>(v);
    const unsigned e = 63 - static_cast<unsigned>(std::countl_zero(v));  // >= kLatencySubBits
    const unsigned sub = static_cast<unsigned>(v >> (e - kLatencySubBits)) & (kSub - 1);
    return ((e - kLatencySubBits + 1) << kLatencySubBits) + sub;
}
// The values [lower, upper) of bucket `i`.
constexpr uint64_t latency_bucket_lower(unsigned i) {
    constexpr unsigned kSub = 1u << kLatencySubBits;
    if (i < kSub) return i;
    const unsigned e = (i >> kLatencySubBits) + kLatencySubBits - 1;
    return (uint64_t{1} << e) + (static_cast<uint64_t>(i & (kSub - 1)) << (e - kLatencySubBits));
}
constexpr uint64_t latency_bucket_upper(unsigned i) {
    return i + 1 < kLatencyBuckets ? latency_bucket_lower(i + 1) : UINT64_MAX;
}
static_assert(latency_bucket(7) == 7 && latency_bucket(8) == 8 && latency_bucket(15) == 15 && latency_bucket(16) == 16);
static_assert(latency_bucket_lower(latency_bucket(1000)) <= 1000 && 1000 < latency_bucket_upper(latency_bucket(1000)));
static_assert(latency_bucket(UINT64_MAX) == kLatencyBuckets - 1);

class LatencyHistogram {
public:
    SCS_ALWAYS_INLINE void add(uint64_t cycles) {
        buckets_[latency_bucket(cycles)].inc();
        sum_.add(cycles);
    }
    uint64_t bucket(unsigned i) const { return buckets_[i].get(); }
    uint64_t sum() const { return sum_.get(); }

private:
    std::array<Counter, kLatencyBuckets> buckets_;
    Counter sum_;
};

// A reading of a histogram (or of several summed, or of the difference of two readings).
struct LatencySnapshot {
    std::array<uint64_t, kLatencyBuckets> n{};
    uint64_t sum = 0;

    static LatencySnapshot of(const LatencyHistogram& h) {
        LatencySnapshot s;
        for (unsigned i = 0; i < kLatencyBuckets; ++i) s.n[i] = h.bucket(i);
        s.sum = h.sum();
        return s;
    }
    uint64_t count() const {
        uint64_t c = 0;
        for (uint64_t x : n) c += x;
        return c;
    }
    void add(const LatencySnapshot& o) {
        for (unsigned i = 0; i < kLatencyBuckets; ++i) n[i] += o.n[i];
        sum += o.sum;
    }
    // Bucket-wise this - b; a counter read after b never shrinks, and a racing reader may see
    // a bucket one burst old: clamped at zero rather than wrapped.
    LatencySnapshot minus(const LatencySnapshot& b) const {
        LatencySnapshot r;
        for (unsigned i = 0; i < kLatencyBuckets; ++i) r.n[i] = n[i] > b.n[i] ? n[i] - b.n[i] : 0;
        r.sum = sum > b.sum ? sum - b.sum : 0;
        return r;
    }
    // The q-quantile (0 < q <= 1) in cycles, interpolated linearly inside its bucket; 0 when
    // empty. The error is below the bucket width (12.5% of the value).
    double quantile(double q) const {
        const uint64_t total = count();
        if (total == 0) return 0;
        const double rank = q * static_cast<double>(total);
        uint64_t below = 0;
        for (unsigned i = 0; i < kLatencyBuckets; ++i) {
            if (n[i] == 0) continue;
            if (static_cast<double>(below + n[i]) >= rank) {
                const double lo = static_cast<double>(latency_bucket_lower(i));
                const double hi = static_cast<double>(latency_bucket_upper(i));
                const double f = (rank - static_cast<double>(below)) / static_cast<double>(n[i]);
                return lo + (hi - lo) * (f < 0 ? 0 : f > 1 ? 1 : f);
            }
            below += n[i];
        }
        return static_cast<double>(latency_bucket_lower(kLatencyBuckets - 1));
    }
    // The largest value seen, to bucket precision (the bucket's upper edge).
    double max() const {
        for (unsigned i = kLatencyBuckets; i-- > 0;)
            if (n[i]) return static_cast<double>(latency_bucket_upper(i));
        return 0;
    }
};

}  // namespace scs::engine
