// What the workers read: a table generation together with the per-rule counter blocks of its
// datapaths (engine/rule_stats.h), published as one object so that a worker never sees a
// generation with another generation's blocks.
//
// Concurrency rules (on top of rcu/qsbr.h's):
//  - The control thread alone builds, publishes and frees LiveTables and counter blocks.
//  - A new LiveTables reuses the blocks of the datapath objects the previous one already
//    counted for; the others start at zero (a recompiled datapath's counts restart).
//  - A worker folds its flow cache's pending hits into the blocks of the generation it used
//    last when it first sees a new one, which is after the quiescent state that lets the old
//    LiveTables go. So every block the old LiveTables held is kept through a second grace
//    period before this module lets go of it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "engine/generation.h"
#include "engine/rule_stats.h"
#include "rcu/qsbr.h"

namespace scs::dataplane {

struct LiveTables {
    std::unique_ptr<const engine::Generation> gen;
    engine::RuleCounterMap rules;  // one slice per worker
};
using Tables = rcu::Published<LiveTables>;

class TablePublisher {
  public:
    TablePublisher(rcu::Qsbr& qsbr, Tables& tables, unsigned n_workers)
        : qsbr_(qsbr), tables_(tables), n_workers_(n_workers) {}

    // The live generation (control thread: stable, it is the only publisher); null before
    // the first publish and after retire_all().
    const engine::Generation* live() const {
        const LiveTables* t = tables_.acquire();
        return t ? t->gen.get() : nullptr;
    }
    // Phase one (counter blocks allocated) then the swap, which cannot fail.
    void publish(std::unique_ptr<engine::Generation> gen);
    // Frees what no worker can reach any more; returns how many generations were freed.
    std::size_t reclaim();
    std::size_t pending() const { return tables_.pending(); }
    // After every worker has stopped: retires the live tables and frees everything.
    // Returns how many generations were freed.
    std::size_t retire_all();

  private:
    rcu::Qsbr& qsbr_;
    Tables& tables_;
    unsigned n_workers_;
    using Blocks = std::vector<std::shared_ptr<engine::RuleCounters>>;
    std::deque<std::pair<uint64_t, Blocks>> first_grace_, second_grace_;
};

}  // namespace scs::dataplane
