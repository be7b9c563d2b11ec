#include "compiler/flow_table.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "common/mix.h"

namespace scs::compiler {

namespace {

// The actions' prerequisites as one match text ("" if none).
std::string action_prereq_text(const lflow::ActionList& actions) {
    std::string text;
    for (const std::string& p : lflow::action_list_prerequisites(actions))
        text += fmt::format("{}({})", text.empty() ? "" : " && ", p);
    return text;
}

}  // namespace

FlowRef FlowTable::make(const ovsdb::LogicalFlow& row, const FlowRef& old) {
    // The row's content hash (SbClient computes it once per row it copies) answers "same
    // row?" without reading the texts, which lie all over the heap.
    const uint64_t h = row.content_hash ? row.content_hash : ovsdb::content_hash(row);
    if (old && old->content_hash == h) return old;
    auto p = std::make_shared<ParsedFlow>();
    p->uuid = row.uuid;
    p->pipe = row.pipeline == ovsdb::Pipeline::Ingress ? engine::Pipe::Ingress : engine::Pipe::Egress;
    p->table = row.table_id;
    p->priority = row.priority;
    p->stage = row.stage_name;
    p->match_text = row.match;
    p->actions_text = row.actions;
    p->content_hash = h;
    if (row.logical_datapath) p->datapaths.push_back(*row.logical_datapath);
    else p->datapaths = row.group_datapaths;
    // Only the datapaths changed (a group's membership): the parse still holds.
    if (old && old->match_text == row.match && old->actions_text == row.actions) {
        p->expr = old->expr;
        p->actions = old->actions;
        p->action_prereqs = old->action_prereqs;
        p->error = old->error;
        return p;
    }
    ++parsed_;
    auto e = lflow::parse_expr(row.match);
    if (!e) {
        p->error = fmt::format("match: {}", e.error());
        return p;
    }
    auto a = lflow::parse_actions(row.actions);
    if (!a) {
        p->error = fmt::format("actions: {}", a.error());
        return p;
    }
    p->expr = std::shared_ptr<const lflow::Expr>(std::move(*e));
    // Kept for the process's life: without the parser's growth slack (a list of three
    // 224-byte actions would hold room for four).
    if (a->capacity() > a->size()) {
        lflow::ActionList exact;
        exact.reserve(a->size());
        std::move(a->begin(), a->end(), std::back_inserter(exact));
        *a = std::move(exact);
    }
    p->actions = std::make_shared<const lflow::ActionList>(std::move(*a));
    if (const std::string pre = action_prereq_text(*p->actions); !pre.empty()) {
        auto pe = lflow::parse_expr(pre);
        if (!pe) p->error = fmt::format("action prerequisites '{}': {}", pre, pe.error());
        else p->action_prereqs = std::shared_ptr<const lflow::Expr>(std::move(*pe));
    }
    return p;
}

void FlowTable::add(const FlowRef& f) {
    for (const ovsdb::Uuid& dp : f->datapaths) {
        FlowBucket& b = buckets_[dp];
        b.flows.push_back(f);
        b.hash += mix64(f->content_hash);
    }
}

void FlowTable::remove(const FlowRef& f) {
    for (const ovsdb::Uuid& dp : f->datapaths) {
        auto it = buckets_.find(dp);
        if (it == buckets_.end()) continue;
        FlowBucket& b = it->second;
        auto at = std::find(b.flows.begin(), b.flows.end(), f);
        if (at == b.flows.end()) continue;
        *at = std::move(b.flows.back());
        b.flows.pop_back();
        b.hash -= mix64(f->content_hash);
        if (b.flows.empty()) buckets_.erase(it);
    }
}

void FlowTable::load(const std::vector<ovsdb::LogicalFlow>& rows) {
    decltype(by_uuid_) next;
    next.reserve(rows.size());
    buckets_.clear();
    for (const ovsdb::LogicalFlow& row : rows) {
        auto old = by_uuid_.find(row.uuid);
        FlowRef f = make(row, old != by_uuid_.end() ? old->second : nullptr);
        add(f);
        next[row.uuid] = std::move(f);
    }
    by_uuid_ = std::move(next);
}

void FlowTable::apply(const FlowRows& changed) {
    for (const auto& [uuid, row] : changed) {
        auto it = by_uuid_.find(uuid);
        FlowRef old = it != by_uuid_.end() ? it->second : nullptr;
        FlowRef now = row ? make(*row, old) : nullptr;
        if (now == old) continue;
        if (old) remove(old);
        if (now) {
            add(now);
            by_uuid_[uuid] = std::move(now);
        } else {
            by_uuid_.erase(it);
        }
    }
}

const FlowBucket* FlowTable::bucket(const ovsdb::Uuid& dp) const {
    auto it = buckets_.find(dp);
    return it == buckets_.end() ? nullptr : &it->second;
}

bool FlowTable::follows(const ovsdb::Snapshot& sb, const FlowRows& changed) const {
    return sb_ == &sb && sb.flows_version != 0 && sb.flows_version == version_ + (changed.empty() ? 0 : 1);
}

void FlowTable::synced(const ovsdb::Snapshot& sb) {
    sb_ = &sb;
    version_ = sb.flows_version;
}

}  // namespace scs::compiler
