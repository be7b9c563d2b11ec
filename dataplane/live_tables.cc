#include "live_tables.h"

namespace scs::dataplane {

void TablePublisher::publish(std::unique_ptr<engine::Generation> gen) {
    const LiveTables* old = tables_.acquire();
    auto next = std::make_unique<LiveTables>();
    if (gen) next->rules = engine::rule_counters_for(*gen, old ? &old->rules : nullptr, n_workers_);
    next->gen = std::move(gen);
    Blocks keep;
    if (old)
        for (const auto& b : old->rules.blocks)
            if (b) keep.push_back(b);
    tables_.publish(std::move(next));
    // Taken after the swap: passed once every worker has been quiescent since it.
    if (!keep.empty()) first_grace_.emplace_back(qsbr_.start(), std::move(keep));
}

std::size_t TablePublisher::reclaim() {
    const std::size_t n = tables_.reclaim();
    while (!second_grace_.empty() && qsbr_.check(second_grace_.front().first)) second_grace_.pop_front();
    while (!first_grace_.empty() && qsbr_.check(first_grace_.front().first)) {
        // Every worker has now seen the new tables (and folded into these blocks when it did,
        // on its first loop with them): one more grace period covers that loop.
        second_grace_.emplace_back(qsbr_.start(), std::move(first_grace_.front().second));
        first_grace_.pop_front();
    }
    return n;
}

std::size_t TablePublisher::retire_all() {
    const std::size_t n = tables_.reclaim();
    tables_.publish(nullptr);
    const std::size_t pending = tables_.pending();
    tables_.synchronize();
    first_grace_.clear();
    second_grace_.clear();
    return n + pending;
}

}  // namespace scs::dataplane
