// compiler::FlowTable: the compiler's copy of the Logical_Flow table, bucketed by datapath.
// Updated from changed rows, it must equal a table loaded from every row; the version check
// must refuse changed rows that do not follow the Snapshot it last saw.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

#include <fmt/format.h>

#include "compiler/flow_table.h"

namespace scs::test {
namespace {

using compiler::FlowRows;
using compiler::FlowTable;
using ovsdb::LogicalFlow;
using ovsdb::Uuid;

Uuid uuid(uint32_t kind, uint32_t n) { return Uuid{{kind, n, 0, 1}}; }

LogicalFlow flow(uint32_t n, uint32_t dp, const std::string& match) {
    LogicalFlow f;
    f.uuid = uuid(1, n);
    f.logical_datapath = uuid(2, dp);
    f.table_id = static_cast<uint8_t>(n % 20);
    f.priority = static_cast<uint16_t>(n % 100);
    f.match = match;
    f.actions = "next;";
    return f;
}

// Per datapath: the (flow UUID, match text, table) of its bucket, sorted, and the bucket hash.
using Contents = std::map<Uuid, std::pair<std::set<std::string>, uint64_t>>;
Contents contents(const FlowTable& t, const std::set<Uuid>& dps) {
    Contents c;
    for (const Uuid& dp : dps) {
        const compiler::FlowBucket* b = t.bucket(dp);
        if (!b) continue;
        auto& [flows, hash] = c[dp];
        for (const compiler::FlowRef& f : b->flows)
            flows.insert(fmt::format("{} {} {}", f->uuid.to_string(), f->match_text, f->table));
        hash = b->hash;
    }
    return c;
}

TEST(FlowTable, ChangedRowsGiveWhatALoadOfEveryRowGives) {
    std::mt19937 rng(7);
    std::vector<LogicalFlow> rows;
    std::set<Uuid> dps;
    for (uint32_t d = 0; d < 8; ++d) dps.insert(uuid(2, d));
    for (uint32_t n = 0; n < 400; ++n) rows.push_back(flow(n, n % 8, fmt::format("reg0 == {}", n)));
    // A datapath-group flow on three datapaths.
    LogicalFlow g = flow(1000, 0, "ip4");
    g.logical_datapath.reset();
    g.logical_dp_group = uuid(3, 0);
    g.group_datapaths = {uuid(2, 1), uuid(2, 2), uuid(2, 3)};
    rows.push_back(g);

    FlowTable inc;
    inc.load(rows);
    const std::size_t parsed_at_load = inc.parsed();
    EXPECT_EQ(parsed_at_load, rows.size());
    uint32_t next = 2000;
    for (int round = 0; round < 200; ++round) {
        FlowRows changed;
        for (int k = 0; k < 5; ++k) {
            const std::size_t at = rng() % rows.size();
            switch (rng() % 4) {
                case 0:  // deleted
                    changed[rows[at].uuid] = std::nullopt;
                    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(at));
                    break;
                case 1:  // added
                    rows.push_back(flow(next, rng() % 8, fmt::format("reg1 == {}", next)));
                    changed[rows.back().uuid] = rows.back();
                    ++next;
                    break;
                case 2:  // match changed
                    rows[at].match = fmt::format("reg2 == {}", rng() % 1000);
                    changed[rows[at].uuid] = rows[at];
                    break;
                default:  // moved: to another datapath, or the group's membership
                    if (rows[at].logical_dp_group) rows[at].group_datapaths = {uuid(2, rng() % 8), uuid(2, 7)};
                    else rows[at].logical_datapath = uuid(2, rng() % 8);
                    changed[rows[at].uuid] = rows[at];
                    break;
            }
        }
        inc.apply(changed);
        FlowTable full;
        full.load(rows);
        ASSERT_EQ(contents(inc, dps), contents(full, dps)) << "round " << round;
        ASSERT_EQ(inc.size(), rows.size());
    }
    // A move to another datapath does not parse again.
    EXPECT_LT(inc.parsed() - parsed_at_load, 200u * 5u);
}

TEST(FlowTable, FollowsOnlyTheNextVersionOfTheSameSnapshot) {
    ovsdb::Snapshot sb;
    FlowTable t;
    const FlowRows none, one{{uuid(1, 1), flow(1, 0, "ip4")}};
    t.synced(sb);
    EXPECT_FALSE(t.follows(sb, none)) << "version 0: not maintained";
    sb.flows_version = ovsdb::new_flows_lineage();
    t.synced(sb);
    EXPECT_TRUE(t.follows(sb, none));
    EXPECT_FALSE(t.follows(sb, one)) << "changed rows, but the version did not move";
    ++sb.flows_version;
    EXPECT_TRUE(t.follows(sb, one));
    EXPECT_FALSE(t.follows(sb, none));
    ++sb.flows_version;
    EXPECT_FALSE(t.follows(sb, one)) << "a change was missed";
    ovsdb::Snapshot other = sb;
    other.flows_version = sb.flows_version;
    t.synced(sb);
    EXPECT_FALSE(t.follows(other, none)) << "another Snapshot object";
    sb.flows_version = ovsdb::new_flows_lineage();
    EXPECT_FALSE(t.follows(sb, none)) << "the table was copied whole";
}

}  // namespace
}  // namespace scs::test
