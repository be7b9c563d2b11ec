// Quiescent-state-based reclamation (QSBR) around DPDK's rte_rcu_qsbr.
//
// Concurrency rules (the whole contract of the lockless tables):
//  - Workers (reader threads, one id each in [0, max_threads)) call online() before their
//    first read and offline() before they stop or block; between those, they read the live
//    pointer with Published::acquire() and call quiescent() once per poll loop, at a point
//    where they hold no pointer into any generation. That is all a worker ever does: no
//    lock, no atomic read-modify-write, one relaxed store per loop inside rte_rcu_qsbr.
//  - One control thread publishes. publish() stores the new pointer with release order (so
//    a worker that sees it also sees every byte of the generation behind it) and retires the
//    old one with a QSBR token. The old object is destroyed only when every online worker
//    has reported a quiescent state after the token was taken - that is, when no worker can
//    still hold a pointer into it. Never a timed sleep, never a barrier that stops workers.
//  - Reclamation is non-blocking (reclaim(), called from the control loop) or blocking
//    (synchronize(), for shutdown and tests).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>

struct rte_rcu_qsbr;

namespace scs::rcu {

class Qsbr {
public:
    explicit Qsbr(unsigned max_threads);
    ~Qsbr();
    Qsbr(const Qsbr&) = delete;
    Qsbr& operator=(const Qsbr&) = delete;

    unsigned max_threads() const { return max_threads_; }
    // Worker side.
    void online(unsigned id);
    void offline(unsigned id);
    void quiescent(unsigned id);
    // Control side.
    uint64_t start();                   // token for "everything retired so far"
    bool check(uint64_t token) const;   // non-blocking: have all online workers passed it?
    void wait(uint64_t token) const;    // blocking version of check()

private:
    rte_rcu_qsbr* v_ = nullptr;
    unsigned max_threads_;
};

template <typename T>
class Published {
public:
    explicit Published(Qsbr& qsbr) : qsbr_(qsbr) {}
    ~Published() {
        const T* last = live_.exchange(nullptr, std::memory_order_acq_rel);
        if (last) retire(std::unique_ptr<const T>(last));
        synchronize();
    }
    Published(const Published&) = delete;
    Published& operator=(const Published&) = delete;

    // Worker side: the live object, valid until this thread's next quiescent state.
    // acquire pairs with publish()'s release: the object is seen fully built.
    const T* acquire() const { return live_.load(std::memory_order_acquire); }

    // Control side. Phase one (building, validating, allocating) happened before this
    // call; the swap itself cannot fail.
    void publish(std::unique_ptr<const T> next) {
        const T* old = live_.exchange(next.release(), std::memory_order_acq_rel);
        if (old) retire(std::unique_ptr<const T>(old));
        ++publishes_;
    }
    // Frees retired objects that no worker can reach any more; returns how many.
    std::size_t reclaim() {
        std::size_t n = 0;
        while (!retired_.empty() && qsbr_.check(retired_.front().first)) {
            retired_.pop_front();
            ++n;
        }
        return n;
    }
    void synchronize() {
        while (!retired_.empty()) {
            qsbr_.wait(retired_.front().first);
            retired_.pop_front();
        }
    }
    std::size_t pending() const { return retired_.size(); }
    uint64_t publishes() const { return publishes_; }

private:
    void retire(std::unique_ptr<const T> old) { retired_.emplace_back(qsbr_.start(), std::move(old)); }

    Qsbr& qsbr_;
    std::atomic<const T*> live_{nullptr};
    std::deque<std::pair<uint64_t, std::unique_ptr<const T>>> retired_;
    uint64_t publishes_ = 0;
};

}  // namespace scs::rcu
