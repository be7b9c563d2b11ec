#include "rcu/qsbr.h"

#include <cstdlib>
#include <new>

#include <rte_rcu_qsbr.h>

namespace scs::rcu {

Qsbr::Qsbr(unsigned max_threads) : max_threads_(max_threads) {
    // rte_rcu_qsbr only needs cache-aligned memory, not hugepages: std::aligned_alloc keeps
    // it usable before (and without) EAL initialisation, e.g. in unit tests.
    const std::size_t sz = rte_rcu_qsbr_get_memsize(max_threads);
    v_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE, (sz + RTE_CACHE_LINE_SIZE - 1) & ~std::size_t{RTE_CACHE_LINE_SIZE - 1}));
    if (!v_ || rte_rcu_qsbr_init(v_, max_threads) != 0) throw std::bad_alloc();
    for (unsigned i = 0; i < max_threads; ++i) rte_rcu_qsbr_thread_register(v_, i);
}

Qsbr::~Qsbr() { std::free(v_); }

void Qsbr::online(unsigned id) { rte_rcu_qsbr_thread_online(v_, id); }
void Qsbr::offline(unsigned id) { rte_rcu_qsbr_thread_offline(v_, id); }
void Qsbr::quiescent(unsigned id) { rte_rcu_qsbr_quiescent(v_, id); }
uint64_t Qsbr::start() { return rte_rcu_qsbr_start(v_); }
bool Qsbr::check(uint64_t token) const { return rte_rcu_qsbr_check(v_, token, false) == 1; }
void Qsbr::wait(uint64_t token) const { rte_rcu_qsbr_check(v_, token, true); }

}  // namespace scs::rcu
