// A per-lcore statistics counter: written by its owner only, read by anyone.
//
// The owner does a relaxed load and a relaxed store (a plain add on x86, no lock prefix);
// readers do relaxed loads and may see a value one burst old, never a torn one. This is the
// DPDK/OVS per-PMD counter discipline: no shared cache line is ever written by two cores.
#pragma once

#include <atomic>
#include <cstdint>

namespace scs {

class Counter {
public:
    void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void inc() { add(1); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }
    void reset() { v_.store(0, std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

}  // namespace scs
