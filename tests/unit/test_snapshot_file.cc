// Offline Southbound input: both file formats of real OVN dumps load into the same rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "ovsdb/snapshot_file.h"

namespace {

using scs::ovsdb::load_snapshot;
using scs::ovsdb::parse_snapshot_dump;
using scs::ovsdb::Snapshot;

std::string fixture(const char* rel) { return std::string(SCS_SOURCE_ROOT "/tests/fixtures/sb/") + rel; }

template <typename V, typename Pred>
const auto* find_if(const V& v, Pred p) {
    auto it = std::find_if(v.begin(), v.end(), p);
    return it == v.end() ? nullptr : &*it;
}

TEST(SnapshotFile, OvsdbClientDump) {
    auto s = load_snapshot(fixture("dev-basic.json"));
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->rejected_logical_flows, 0u);
    EXPECT_GT(s->logical_flows.size(), 200u);
    EXPECT_EQ(s->chassis.size(), 2u);
    const auto* gw1 = find_if(s->chassis, [](const auto& c) { return c.name == "gw1"; });
    ASSERT_NE(gw1, nullptr);
    ASSERT_EQ(gw1->encaps.size(), 1u);
    EXPECT_EQ(gw1->encaps[0].type, "geneve");
    EXPECT_EQ(gw1->encaps[0].ip, "10.10.0.1");
    const auto* sw0 = find_if(s->datapaths, [](const auto& d) { return d.name == "sw0"; });
    ASSERT_NE(sw0, nullptr);
    EXPECT_FALSE(sw0->is_router());
    // Every flow has its datapath(s), directly or through its group.
    for (const auto& f : s->logical_flows) {
        EXPECT_TRUE(f.logical_datapath || !f.group_datapaths.empty()) << f.uuid.to_string();
    }
    // Multicast groups name their ports (resolved from Port_Binding UUIDs).
    const auto* flood = find_if(s->multicast_groups, [&](const auto& g) {
        return g.name == "_MC_flood" && g.datapath == sw0->uuid;
    });
    ASSERT_NE(flood, nullptr);
    EXPECT_FALSE(flood->ports.empty());
    EXPECT_EQ(flood->tunnel_key, 32768);
    EXPECT_FALSE(s->port_groups.empty());
}

TEST(SnapshotFile, SbctlListDirectory) {
    auto s = load_snapshot(fixture("gw-chassis"));
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->logical_flows.size(), 292u);  // rows in Logical_Flow.json
    EXPECT_EQ(s->rejected_logical_flows, 0u);
    const auto* vm1 = find_if(s->ports, [](const auto& p) { return p.logical_port == "vm1"; });
    ASSERT_NE(vm1, nullptr);
    EXPECT_EQ(vm1->chassis, "chassis-1");  // bound by a real ovn-controller
    EXPECT_EQ(vm1->up, std::optional<bool>(true));
    ASSERT_EQ(vm1->port_security.size(), 1u);
    const auto* cr = find_if(s->ports, [](const auto& p) { return p.type == "chassisredirect"; });
    ASSERT_NE(cr, nullptr);
    ASSERT_FALSE(cr->gateway_chassis.empty());
    EXPECT_EQ(cr->gateway_chassis[0].chassis, "chassis-1");
    EXPECT_FALSE(s->mac_bindings.empty());
    EXPECT_TRUE(s->sb_global_options.count("svc_monitor_mac"));
}

TEST(SnapshotFile, BadInputIsAnErrorThatSaysWhere) {
    EXPECT_FALSE(parse_snapshot_dump(""));
    auto r = parse_snapshot_dump("{\"caption\": \"Logical_Flow table\", \"headings\": [\"a\"], \"data\": [[1, 2]]}");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("Logical_Flow row 1"), std::string::npos) << r.error();
    r = parse_snapshot_dump("{\"caption\": \"Logical_Flow table\", \"headings\": [], \"data\": [");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("JSON"), std::string::npos) << r.error();
    r = parse_snapshot_dump("{\"caption\": \"Chassis table\", \"headings\": [], \"data\": []}");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("not a Southbound snapshot"), std::string::npos) << r.error();
    EXPECT_FALSE(load_snapshot("/nonexistent/sb.json"));
}

}  // namespace
