#include "engine/rule_stats.h"

namespace scs::engine {

RuleCounters::RuleCounters(DatapathPtr dp, unsigned n_slices) : dp_(std::move(dp)), n_slices_(n_slices) {
    std::size_t n = 0;
    for (int p = 0; p < 2; ++p) {
        for (const Stage& s : dp_->pipe[p].stages) {
            base_[p].push_back(static_cast<uint32_t>(n));
            n_rules_[p].push_back(static_cast<uint32_t>(s.n_rules));
            n += s.n_rules + 1;  // + the miss slot
        }
    }
    stride_ = (n + kSlotsPerLine - 1) / kSlotsPerLine * kSlotsPerLine;
    lines_ = std::make_unique<Line[]>(stride_ / kSlotsPerLine * n_slices_);
}

uint64_t RuleCounters::misses(Pipe pipe, uint32_t stage) const {
    const int p = static_cast<int>(pipe);
    if (stage >= base_[p].size()) return 0;
    uint64_t n = 0;
    for (unsigned s = 0; s < n_slices_; ++s)
        n += at(s, base_[p][stage] + n_rules_[p][stage]).packets.load(std::memory_order_relaxed);
    return n;
}

std::vector<RuleCounters::RuleHits> RuleCounters::hits(Pipe pipe, uint32_t stage) const {
    std::vector<RuleHits> out;
    const int p = static_cast<int>(pipe);
    if (stage >= base_[p].size()) return out;
    for (uint32_t r = 0; r < n_rules_[p][stage]; ++r) {
        RuleHits h;
        h.rule = r;
        for (unsigned s = 0; s < n_slices_; ++s) {
            const RuleSlot& x = at(s, base_[p][stage] + r);
            // Acquire pairs with RuleSlot's release: a non-zero count comes with its rule.
            const uint64_t n = x.packets.load(std::memory_order_acquire);
            if (n == 0) continue;
            h.packets += n;
            h.action = x.action.load(std::memory_order_relaxed);
            h.priority = x.priority.load(std::memory_order_relaxed);
        }
        if (h.packets) out.push_back(h);
    }
    return out;
}

RuleCounterMap rule_counters_for(const Generation& gen, const RuleCounterMap* prev, unsigned n_slices) {
    RuleCounterMap m;
    for (const DatapathPtr& dp : gen.datapaths) {
        const uint32_t key = dp->tunnel_key;
        if (key >= m.blocks.size()) {
            m.blocks.resize(key + 1);
            m.by_key.resize(key + 1, nullptr);
        }
        std::shared_ptr<RuleCounters> c;
        if (prev && key < prev->blocks.size() && prev->blocks[key] && &prev->blocks[key]->datapath() == dp.get() &&
            prev->blocks[key]->n_slices() == n_slices)
            c = prev->blocks[key];
        else
            c = std::make_shared<RuleCounters>(dp, n_slices);
        m.by_key[key] = c.get();
        m.blocks[key] = std::move(c);
    }
    return m;
}

}  // namespace scs::engine
