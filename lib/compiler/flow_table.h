// The compiler's copy of the Southbound's Logical_Flow table: every flow parsed once and
// kept by UUID, and bucketed by the datapaths it applies to (its own, or each member of its
// datapath group). Kept across compiles: loaded from a whole Snapshot, or brought up to date
// from the rows that changed - then a compile costs the changed flows, not a pass over the
// hundred thousand that did not change.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/datapath.h"
#include "lflow/actions.h"
#include "lflow/expr.h"
#include "ovsdb/sb_types.h"

namespace scs::compiler {

// A logical flow as the compiler needs it, parsed; immutable once made (a changed row gets a
// new one), shared by every datapath (dp groups), generation and report it is in.
struct ParsedFlow {
    ovsdb::Uuid uuid;
    engine::Pipe pipe = engine::Pipe::Ingress;
    uint8_t table = 0;
    uint16_t priority = 0;
    std::string stage;                // external_ids:stage-name
    std::string match_text, actions_text;
    uint64_t content_hash = 0;        // ovsdb::content_hash() of the row (never 0)
    std::vector<ovsdb::Uuid> datapaths;  // its datapath, or its group's members
    std::shared_ptr<const lflow::Expr> expr;  // null: parse error in `error`
    std::shared_ptr<const lflow::ActionList> actions;
    // What the actions require of the packet (ovn-sb(5) "Prerequisite:": `ip` for
    // ip.ttl--, `tcp` for tcp.dst = ...), ANDed into the match as OVN does; null if none.
    std::shared_ptr<const lflow::Expr> action_prereqs;
    std::string error;
};
using FlowRef = std::shared_ptr<const ParsedFlow>;

// The flows of one datapath, in no particular order, and an order-independent hash of them.
struct FlowBucket {
    std::vector<FlowRef> flows;
    uint64_t hash = 0;
};

using FlowRows = std::map<ovsdb::Uuid, std::optional<ovsdb::LogicalFlow>>;

class FlowTable {
public:
    // Every row of the table: what is new or changed is parsed, what is gone forgotten.
    void load(const std::vector<ovsdb::LogicalFlow>& rows);
    // Only the rows that changed since the last load()/apply() (nullopt: deleted).
    void apply(const FlowRows& changed);

    const FlowBucket* bucket(const ovsdb::Uuid& dp) const;
    std::size_t size() const { return by_uuid_.size(); }
    std::size_t parsed() const { return parsed_; }  // parses done so far

    // Whether `changed` can bring the table to `sb`: it was last given this Snapshot object
    // at the flows_version before `changed` was applied to it (see Snapshot::flows_version).
    bool follows(const ovsdb::Snapshot& sb, const FlowRows& changed) const;
    void synced(const ovsdb::Snapshot& sb);  // the table now reflects `sb`'s flows

private:
    FlowRef make(const ovsdb::LogicalFlow& row, const FlowRef& old);
    void add(const FlowRef& f);
    void remove(const FlowRef& f);

    std::unordered_map<ovsdb::Uuid, FlowRef, ovsdb::UuidHash> by_uuid_;
    std::unordered_map<ovsdb::Uuid, FlowBucket, ovsdb::UuidHash> buckets_;
    std::size_t parsed_ = 0;
    const ovsdb::Snapshot* sb_ = nullptr;
    uint64_t version_ = 0;
};

}  // namespace scs::compiler
