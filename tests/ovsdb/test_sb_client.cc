// SbClient against a real ovsdb-server holding an OVN Southbound database: rows inserted with
// ovn-sbctl or loaded from a real dump are seen as plain structs, a server restart on the
// same socket is survived, monitor conditions select the local datapaths' rows, and change
// tracking names the touched datapaths. Everything lives in private temp dirs removed at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ovsdb/sb_client.h"
#include "sb_server.h"

namespace fs = std::filesystem;
using scs::ovsdb::Changes;
using scs::ovsdb::FdbEntry;
using scs::ovsdb::SbClient;
using scs::ovsdb::Snapshot;
using scs::ovsdb::Uuid;
using namespace scs::ovsdb::testing;

namespace {

SbClient::Options all_rows() {
    SbClient::Options o;
    o.monitor_all = true;
    return o;
}

using SbClientTest = SbServerTest;

}  // namespace

TEST(SbClientCreate, RejectsBadRemotes) {
    EXPECT_FALSE(SbClient::create("").ok());
    auto r = SbClient::create("bogus:1.2.3.4");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("bogus:1.2.3.4"), std::string::npos) << r.error();
    EXPECT_FALSE(SbClient::create("tcp").ok());
    // ssl: needs its key, certificate and CA certificate, all three.
    auto s = SbClient::create("ssl:127.0.0.1:6642");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().find("SSL"), std::string::npos) << s.error();
    SbClient::Options half;
    half.ssl_private_key = "/nonexistent/key.pem";
    EXPECT_FALSE(SbClient::create("ssl:127.0.0.1:6642", half).ok());
    // A cluster remote parses; nobody listens, which is reported by status(), not create().
    auto c = SbClient::create("tcp:127.0.0.1:1,tcp:127.0.0.1:2");
    ASSERT_TRUE(c.ok()) << c.error();
    (*c)->run();
    EXPECT_FALSE((*c)->status().connected);
}

TEST(SbClientUuid, FormatsAndParsesLikeOvs) {
    const std::string text = "f95da13a-1e82-4a74-9451-bae95f9a9108";
    auto u = scs::ovsdb::Uuid::parse(text);
    ASSERT_TRUE(u.has_value());
    EXPECT_EQ(u->to_string(), text);
    EXPECT_FALSE(scs::ovsdb::Uuid::parse("f95da13a-1e82-4a74-9451-bae95f9a910").has_value());
    EXPECT_FALSE(scs::ovsdb::Uuid::parse("g95da13a-1e82-4a74-9451-bae95f9a9108").has_value());
}

TEST_F(SbClientTest, SeesRowsInsertedWithSbctl) {
    ASSERT_TRUE(server_.sbctl("chassis-add hv1 geneve 10.0.0.1"));
    auto dp = server_.sbctl("create Datapath_Binding tunnel_key=7 external_ids:name=sw0");
    ASSERT_TRUE(dp);
    ASSERT_TRUE(server_.sbctl("create Port_Binding logical_port=lp1 tunnel_key=3 datapath=" + *dp +
                              " type=localnet options:network_name=phys"));
    ASSERT_TRUE(server_.sbctl("create Port_Binding logical_port=lp2 tunnel_key=4 datapath=" + *dp));
    ASSERT_TRUE(server_.sbctl("lsp-bind lp2 hv1"));
    auto lf = server_.sbctl("create Logical_Flow logical_datapath=" + *dp +
                            " pipeline=egress table_id=9 priority=100 match='\"outport == \\\"lp2\\\"\"'"
                            " actions='\"output;\"' external_ids:stage-name=ls_out_port_sec_l2");
    ASSERT_TRUE(lf);

    auto c = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    ASSERT_TRUE(run_until(client, [&] {
        return client.status().connected && client.snapshot().logical_flows.size() == 1;
    })) << client.status().last_error;

    const Snapshot s = client.snapshot();
    ASSERT_EQ(s.datapaths.size(), 1u);
    EXPECT_EQ(s.datapaths[0].uuid.to_string(), *dp);
    EXPECT_EQ(s.datapaths[0].tunnel_key, 7);
    EXPECT_EQ(s.datapaths[0].name, "sw0");

    ASSERT_EQ(s.ports.size(), 2u);
    for (const auto& p : s.ports) {
        ASSERT_TRUE(p.datapath.has_value());
        EXPECT_EQ(p.datapath->to_string(), *dp);
        if (p.logical_port == "lp1") {
            EXPECT_EQ(p.tunnel_key, 3);
            EXPECT_EQ(p.type, "localnet");
            EXPECT_EQ(p.chassis, "");
            EXPECT_EQ(p.options.at("network_name"), "phys");
        } else {
            EXPECT_EQ(p.logical_port, "lp2");
            EXPECT_EQ(p.chassis, "hv1");
        }
    }

    ASSERT_EQ(s.chassis.size(), 1u);
    EXPECT_EQ(s.chassis[0].name, "hv1");
    ASSERT_EQ(s.chassis[0].encaps.size(), 1u);
    EXPECT_EQ(s.chassis[0].encaps[0].type, "geneve");
    EXPECT_EQ(s.chassis[0].encaps[0].ip, "10.0.0.1");

    const auto& f = s.logical_flows[0];
    EXPECT_EQ(f.uuid.to_string(), *lf);
    ASSERT_TRUE(f.logical_datapath.has_value());
    EXPECT_EQ(f.logical_datapath->to_string(), *dp);
    EXPECT_FALSE(f.logical_dp_group.has_value());
    EXPECT_EQ(f.pipeline, scs::ovsdb::Pipeline::Egress);
    EXPECT_EQ(f.table_id, 9);
    EXPECT_EQ(f.priority, 100);
    EXPECT_EQ(f.match, "outport == \"lp2\"");
    EXPECT_EQ(f.actions, "output;");
    EXPECT_EQ(f.stage_name, "ls_out_port_sec_l2");
    EXPECT_EQ(s.rejected_logical_flows, 0u);
}

TEST_F(SbClientTest, LoadsARealSouthboundDump) {
    const std::string dump = env("SCS_SB_DUMP");
    if (dump.empty() || !fs::exists(dump)) GTEST_SKIP() << "no Southbound dump at " << dump;
    ASSERT_TRUE(server_.load_dump(dump));

    auto c = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    // dev-basic.json (tests/fixtures/sb/README.md): 4 datapaths, 12 port bindings,
    // chassis gw1 and hv1, 301 logical flows.
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().logical_flows.size() == 301; }))
        << client.snapshot().logical_flows.size() << " flows";
    const Snapshot s = client.snapshot();
    EXPECT_EQ(s.datapaths.size(), 4u);
    EXPECT_EQ(s.ports.size(), 12u);
    EXPECT_EQ(s.rejected_logical_flows, 0u);
    ASSERT_EQ(s.chassis.size(), 2u);
    for (const auto& ch : s.chassis) {
        ASSERT_EQ(ch.encaps.size(), 1u) << ch.name;
        EXPECT_EQ(ch.encaps[0].ip, ch.name == "gw1" ? "10.10.0.1" : "10.10.0.2");
    }
    std::vector<std::string> names;
    for (const auto& d : s.datapaths) names.push_back(d.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"lr0", "public", "sw0", "sw1"}));

    size_t grouped = 0;
    for (const auto& f : s.logical_flows) {
        EXPECT_NE(f.logical_datapath.has_value(), f.logical_dp_group.has_value());
        EXPECT_FALSE(f.stage_name.empty());
        if (f.logical_dp_group) {
            ++grouped;
            EXPECT_GE(f.group_datapaths.size(), 2u);
        }
    }
    EXPECT_GT(grouped, 0u);
}

TEST_F(SbClientTest, SurvivesServerRestart) {
    ASSERT_TRUE(server_.sbctl("chassis-add hv1 geneve 10.0.0.1"));
    auto c = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().chassis.size() == 1; }));

    server_.stop();
    ASSERT_TRUE(run_until(client, [&] { return !client.status().connected; }));
    EXPECT_FALSE(client.status().last_error.empty());
    // The replica is kept while disconnected.
    EXPECT_EQ(client.snapshot().chassis.size(), 1u);

    ASSERT_TRUE(server_.start());
    ASSERT_TRUE(server_.sbctl("chassis-add hv2 vxlan 10.0.0.2"));
    ASSERT_TRUE(run_until(client, [&] {
        return client.status().connected && client.snapshot().chassis.size() == 2;
    }, std::chrono::seconds(30))) << client.status().last_error;
}

namespace {

// dev-basic.json (tests/fixtures/sb/README.md).
const char* const kLr0 = "de84cac8-5ff8-418a-85d5-fb07bf8bf0c5";
const char* const kPublic = "fbf8da35-6b12-4946-b7e9-8ef92230182b";
const char* const kSw0 = "67a29336-af1f-4645-97da-3f3556780afa";
const char* const kSw1 = "287191c2-7922-41f2-be79-4537e433afca";

Uuid uuid(const char* text) { return *Uuid::parse(text); }

bool in(const std::set<Uuid>& s, const std::optional<Uuid>& u) { return u && s.count(*u); }

// What ovn-controller's conditions select for `local` (no chassis): flows of local datapaths
// or of groups holding one; ports of local datapaths and patch/chassisredirect/external ports;
// multicast groups of local datapaths.
struct Selection {
    std::set<Uuid> flows;
    std::set<std::string> ports;
    std::set<std::string> mcgroups;  // "datapath/name"
    bool operator==(const Selection&) const = default;
};

Selection select(const Snapshot& s, const std::set<Uuid>& local, bool filter) {
    Selection out;
    for (const auto& f : s.logical_flows) {
        bool keep = !filter || in(local, f.logical_datapath);
        for (const auto& d : f.group_datapaths) keep = keep || local.count(d);
        if (keep) out.flows.insert(f.uuid);
    }
    for (const auto& p : s.ports) {
        if (!filter || in(local, p.datapath) || p.type == "patch" || p.type == "chassisredirect" ||
            p.type == "external")
            out.ports.insert(p.logical_port);
    }
    for (const auto& g : s.multicast_groups)
        if (!filter || in(local, g.datapath))
            out.mcgroups.insert(g.datapath->to_string() + "/" + g.name);
    return out;
}

class SbDumpTest : public SbClientTest {
protected:
    void SetUp() override {
        SbClientTest::SetUp();
        const std::string dump = env("SCS_SB_DUMP");
        if (dump.empty() || !fs::exists(dump)) GTEST_SKIP() << "no Southbound dump at " << dump;
        ASSERT_TRUE(server_.load_dump(dump));
    }
};

}  // namespace

TEST_F(SbDumpTest, SnapshotHasTheCompilerTables) {
    auto c = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().logical_flows.size() == 301; }));
    const Snapshot s = client.snapshot();

    EXPECT_EQ(s.multicast_groups.size(), 7u);
    for (const auto& g : s.multicast_groups) {
        if (g.name == "_MC_flood" && g.datapath == uuid(kSw0)) {
            EXPECT_EQ(g.tunnel_key, 32768);
            std::set<std::string> ports(g.ports.begin(), g.ports.end());
            EXPECT_EQ(ports, (std::set<std::string>{"sw0-lr0-sw0", "sw0-p1", "sw0-p2"}));
        }
    }
    ASSERT_EQ(s.address_sets.size(), 4u);
    for (const auto& a : s.address_sets) {
        if (a.name == "pg-ssh_ip4") {
            EXPECT_EQ(a.addresses, (std::vector<std::string>{"192.168.1.11", "192.168.1.12"}));
        }
    }
    ASSERT_EQ(s.port_groups.size(), 1u);
    EXPECT_EQ(s.port_groups[0].name, "2_pg-ssh");
    EXPECT_EQ(s.port_groups[0].ports, (std::vector<std::string>{"sw1-p1", "sw1-p2"}));
    EXPECT_EQ(s.sb_global_options.at("svc_monitor_mac"), "aa:18:6c:1c:b5:95");

    bool saw_cr = false;
    for (const auto& p : s.ports) {
        if (p.logical_port == "cr-lr0-public") {
            saw_cr = true;
            EXPECT_EQ(p.type, "chassisredirect");
            EXPECT_EQ(p.ha_chassis_group, "lr0-public");
            ASSERT_EQ(p.gateway_chassis.size(), 1u);
            EXPECT_EQ(p.gateway_chassis[0].chassis, "gw1");
            EXPECT_EQ(p.mac, (std::vector<std::string>{"00:00:20:20:12:13 172.24.4.1/24"}));
        }
        if (p.logical_port == "sw0-p1") {
            EXPECT_EQ(p.mac, (std::vector<std::string>{"50:54:00:00:00:01 192.168.0.11"}));
        }
    }
    EXPECT_TRUE(saw_cr);

    // MAC_Binding and Static_MAC_Binding, Gateway_Chassis priorities, tag, parent_port.
    ASSERT_TRUE(server_.sbctl("create MAC_Binding logical_port=lr0-public ip=172.24.4.50 "
                              "mac='\"00:00:00:00:00:50\"' datapath=" + std::string(kLr0)));
    ASSERT_TRUE(server_.sbctl("create Static_MAC_Binding logical_port=lr0-sw0 ip=192.168.0.99 "
                              "mac='\"00:00:00:00:00:99\"' override_dynamic_mac=true datapath=" +
                              std::string(kLr0)));
    auto gw1 = server_.sbctl("--bare --columns=_uuid find Chassis name=gw1");
    auto hv1 = server_.sbctl("--bare --columns=_uuid find Chassis name=hv1");
    ASSERT_TRUE(gw1 && hv1);
    ASSERT_TRUE(server_.sbctl("-- --id=@a create Gateway_Chassis name=lr0-sw1-gw1 chassis=" + *gw1 +
                              " priority=10 -- --id=@b create Gateway_Chassis name=lr0-sw1-hv1 "
                              "chassis=" + *hv1 + " priority=20"
                              " -- set Port_Binding lr0-sw1 gateway_chassis=@a,@b"));
    ASSERT_TRUE(server_.sbctl("set Port_Binding sw1-p2 tag=42 parent_port=sw1-p1"));
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().mac_bindings.size() == 2; }));
    ASSERT_TRUE(run_until(client, [&] {
        for (const auto& p : client.snapshot().ports)
            if (p.logical_port == "lr0-sw1") return p.gateway_chassis.size() == 2;
        return false;
    }));
    const Snapshot t = client.snapshot();
    for (const auto& m : t.mac_bindings) {
        EXPECT_EQ(m.datapath, uuid(kLr0));
        if (m.ip == "172.24.4.50") EXPECT_EQ(m.mac, "00:00:00:00:00:50");
        else EXPECT_EQ(m.mac, "00:00:00:00:00:99");
    }
    for (const auto& p : t.ports) {
        if (p.logical_port == "lr0-sw1") {
            EXPECT_EQ(p.gateway_chassis[0].chassis, "hv1");  // highest priority first
            EXPECT_EQ(p.gateway_chassis[0].priority, 20);
            EXPECT_EQ(p.gateway_chassis[1].chassis, "gw1");
        }
        if (p.logical_port == "sw1-p2") {
            EXPECT_EQ(p.tag, std::optional<int64_t>(42));
            EXPECT_EQ(p.parent_port, "sw1-p1");
        }
    }
}

TEST_F(SbDumpTest, ConditionalMonitoringSeesOnlyLocalDatapaths) {
    auto ref = SbClient::create(server_.remote(), all_rows());
    auto c = SbClient::create(server_.remote());  // conditional (the default)
    ASSERT_TRUE(ref.ok() && c.ok());
    SbClient& all = **ref;
    SbClient& client = **c;
    ASSERT_TRUE(run_until(all, [&] { return all.snapshot().logical_flows.size() == 301; }));
    const Snapshot whole = all.snapshot();

    std::set<Uuid> local = {uuid(kSw0), uuid(kLr0)};
    client.set_local_datapaths({uuid(kSw0), uuid(kLr0)});
    Selection want = select(whole, local, true);
    ASSERT_LT(want.flows.size(), 301u);
    ASSERT_GT(want.flows.size(), 0u);
    ASSERT_TRUE(run_until(client, [&] { return select(client.snapshot(), {}, false) == want; }))
        << client.snapshot().logical_flows.size() << " flows, want " << want.flows.size();
    const Snapshot part = client.snapshot();
    // Nothing of sw1 or public except patch/chassisredirect ports.
    for (const auto& f : part.logical_flows) {
        bool local_flow = in(local, f.logical_datapath);
        for (const auto& d : f.group_datapaths) local_flow = local_flow || local.count(d);
        EXPECT_TRUE(local_flow) << f.match;
    }
    EXPECT_EQ(part.datapaths.size(), 4u);  // Datapath_Binding is not conditioned
    EXPECT_EQ(part.chassis.size(), 2u);

    // A third datapath: its rows arrive.
    client.set_local_datapaths({uuid(kSw0), uuid(kLr0), uuid(kSw1)});
    local.insert(uuid(kSw1));
    want = select(whole, local, true);
    ASSERT_TRUE(run_until(client, [&] { return select(client.snapshot(), {}, false) == want; }))
        << client.snapshot().logical_flows.size() << " flows, want " << want.flows.size();
    const Snapshot more = client.snapshot();
    EXPECT_TRUE(std::any_of(more.ports.begin(), more.ports.end(),
                            [](const auto& p) { return p.logical_port == "sw1-p1"; }));
    EXPECT_FALSE(std::any_of(more.ports.begin(), more.ports.end(),
                             [](const auto& p) { return p.logical_port == "ln-public"; }));
}

// FDB rows (MACs learned on ports) name their datapath by tunnel key; a chassis monitors
// those of its local datapaths only, as ovn-controller does (get_fdb/lookup_fdb read them).
TEST_F(SbDumpTest, FdbRowsOfLocalDatapathsOnly) {
    auto ref = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(ref.ok());
    ASSERT_TRUE(run_until(**ref, [&] { return (*ref)->snapshot().datapaths.size() == 4; }));
    auto key_of = [&](const char* dp) {
        for (const auto& d : (*ref)->snapshot().datapaths)
            if (d.uuid == uuid(dp)) return d.tunnel_key;
        return int64_t{0};
    };
    const int64_t sw0 = key_of(kSw0), sw1 = key_of(kSw1);
    ASSERT_GT(sw0, 0);
    ASSERT_GT(sw1, 0);
    ASSERT_TRUE(server_.sbctl(fmt::format("create FDB mac='\"0a:00:00:00:00:01\"' dp_key={} port_key=1", sw0)));
    ASSERT_TRUE(server_.sbctl(fmt::format("create FDB mac='\"0a:00:00:00:00:02\"' dp_key={} port_key=2", sw1)));

    auto c = SbClient::create(server_.remote());  // conditional (the default)
    ASSERT_TRUE(c.ok());
    SbClient& client = **c;
    client.set_local_datapaths({uuid(kSw0), uuid(kLr0)});
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().fdb.size() == 1; }));
    const FdbEntry e = client.snapshot().fdb.front();
    EXPECT_EQ(e.mac, "0a:00:00:00:00:01");
    EXPECT_EQ(e.dp_key, sw0);
    EXPECT_EQ(e.port_key, 1);

    // sw1 becomes local: its row arrives; a change is reported and update_snapshot() follows.
    Snapshot snap = client.snapshot();
    (void)client.take_changes();
    client.set_local_datapaths({uuid(kSw0), uuid(kLr0), uuid(kSw1)});
    bool reported = false;
    ASSERT_TRUE(run_until(client, [&] {
        Changes ch = client.take_changes();
        reported = reported || ch.fdb;
        client.update_snapshot(snap, ch);
        return snap.fdb.size() == 2;
    }));
    EXPECT_TRUE(reported);
    // Rows deleted leave the snapshot.
    ASSERT_TRUE(server_.sbctl("--all destroy FDB"));
    ASSERT_TRUE(run_until(client, [&] {
        Changes ch = client.take_changes();
        client.update_snapshot(snap, ch);
        return snap.fdb.empty();
    }));
}

TEST_F(SbDumpTest, ChangesNameOnlyTheTouchedDatapath) {
    auto c = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(c.ok());
    SbClient& client = **c;
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().logical_flows.size() == 301; }));
    Changes first = client.take_changes();
    EXPECT_TRUE(first.full_resync);
    EXPECT_EQ(first.logical_flows.size(), 4u);  // initial rows are inserts
    EXPECT_TRUE(client.take_changes().empty());

    // One flow of sw1 (its own, not a group's).
    std::string flow;
    for (const auto& f : client.snapshot().logical_flows)
        if (f.logical_datapath == uuid(kSw1)) flow = f.uuid.to_string();
    ASSERT_FALSE(flow.empty());
    ASSERT_TRUE(server_.sbctl("set Logical_Flow " + flow + " actions='\"drop;\"'"));
    Changes ch;
    ASSERT_TRUE(run_until(client, [&] {
        Changes more = client.take_changes();
        ch.logical_flows.insert(more.logical_flows.begin(), more.logical_flows.end());
        ch.port_bindings.insert(more.port_bindings.begin(), more.port_bindings.end());
        ch.full_resync |= more.full_resync;
        ch.chassis |= more.chassis;
        return !ch.logical_flows.empty();
    }));
    EXPECT_EQ(ch.logical_flows, std::set<Uuid>{uuid(kSw1)});
    EXPECT_TRUE(ch.port_bindings.empty());
    EXPECT_FALSE(ch.full_resync);
    EXPECT_FALSE(ch.chassis);

    // A port of public; an address set.
    ASSERT_TRUE(server_.sbctl("set Port_Binding ln-public external_ids:x=y"));
    ASSERT_TRUE(server_.sbctl("add Address_Set pg-ssh_ip4 addresses 192.168.1.13"));
    Changes pc;
    ASSERT_TRUE(run_until(client, [&] {
        Changes more = client.take_changes();
        pc.port_bindings.insert(more.port_bindings.begin(), more.port_bindings.end());
        pc.logical_flows.insert(more.logical_flows.begin(), more.logical_flows.end());
        pc.address_sets |= more.address_sets;
        return !pc.port_bindings.empty() && pc.address_sets;
    }));
    EXPECT_EQ(pc.port_bindings, std::set<Uuid>{uuid(kPublic)});
    EXPECT_TRUE(pc.logical_flows.empty());

    // A reconnect is a full resync.
    server_.stop();
    ASSERT_TRUE(run_until(client, [&] { return !client.status().connected; }));
    ASSERT_TRUE(server_.start());
    ASSERT_TRUE(run_until(client, [&] { return client.take_changes().full_resync; },
                          std::chrono::seconds(20)));
}

namespace {

// Every row of a snapshot as one line of text, sorted: equal for equal contents in any order.
std::vector<std::string> canon(const Snapshot& s) {
    std::vector<std::string> out;
    auto opt = [](const std::optional<Uuid>& u) { return u ? u->to_string() : std::string("-"); };
    auto list = [](const std::vector<std::string>& v) {
        std::string t;
        for (const auto& x : v) t += x + ",";
        return t;
    };
    auto map = [](const scs::ovsdb::StringMap& m) {
        std::string t;
        for (const auto& [k, v] : m) t += k + "=" + v + ",";
        return t;
    };
    for (const auto& d : s.datapaths)
        out.push_back("dp " + d.uuid.to_string() + " " + std::to_string(d.tunnel_key) + " " + map(d.external_ids));
    for (const auto& p : s.ports) {
        std::string g;
        for (const auto& c : p.gateway_chassis) g += c.chassis + ":" + std::to_string(c.priority) + ",";
        out.push_back("pb " + p.uuid.to_string() + " " + p.logical_port + " " + std::to_string(p.tunnel_key) + " " +
                      opt(p.datapath) + " " + p.type + " " + p.chassis + " " + p.requested_chassis + " " +
                      list(p.mac) + " " + list(p.port_security) + " " + g + " " + p.ha_chassis_group + " " +
                      (p.tag ? std::to_string(*p.tag) : "-") + " " + p.parent_port + " " +
                      (p.up ? (*p.up ? "up" : "down") : "-") + " " + map(p.options) + " " + map(p.external_ids));
    }
    for (const auto& c : s.chassis) out.push_back("ch " + c.uuid.to_string() + " " + c.name + " " + map(c.other_config));
    for (const auto& f : s.logical_flows) {
        std::string g;
        for (const auto& d : f.group_datapaths) g += d.to_string() + ",";
        out.push_back("lf " + f.uuid.to_string() + " " + opt(f.logical_datapath) + " " + opt(f.logical_dp_group) +
                      " " + g + " " + std::to_string(static_cast<int>(f.pipeline)) + " " +
                      std::to_string(f.table_id) + " " + std::to_string(f.priority) + " " + f.match + " | " +
                      f.actions + " | " + f.stage_name);
    }
    for (const auto& m : s.multicast_groups) {
        std::vector<std::string> ports = m.ports;
        std::sort(ports.begin(), ports.end());
        out.push_back("mc " + m.uuid.to_string() + " " + opt(m.datapath) + " " + m.name + " " +
                      std::to_string(m.tunnel_key) + " " + list(ports));
    }
    for (const auto& a : s.address_sets) out.push_back("as " + a.name + " " + list(a.addresses));
    for (const auto& a : s.port_groups) out.push_back("pg " + a.name + " " + list(a.ports));
    for (const auto& m : s.mac_bindings) out.push_back("mb " + m.logical_port + " " + m.ip + " " + m.mac);
    out.push_back("global " + map(s.sb_global_options) + std::to_string(s.sb_global_nb_cfg));
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

// update_snapshot() keeps a copy of the replica equal to snapshot() while only the changed
// rows are copied: flows modified, deleted and inserted, a port modified and one deleted (it
// leaves its multicast groups), an address set, each checked after it arrived.
TEST_F(SbDumpTest, UpdateSnapshotFollowsChanges) {
    auto c = SbClient::create(server_.remote(), all_rows());
    ASSERT_TRUE(c.ok());
    SbClient& client = **c;
    Snapshot snap;
    // The row indexes update_snapshot() keeps must describe the vectors whenever it used them.
    auto indexed = [](const auto& rows, const auto& at) {
        if (at.empty()) return true;  // not built (yet)
        if (at.size() != rows.size()) return false;
        for (size_t i = 0; i < rows.size(); ++i) {
            auto it = at.find(rows[i].uuid);
            if (it == at.end() || it->second != i) return false;
        }
        return true;
    };
    auto follow = [&](const std::function<bool(const Snapshot&)>& arrived) {
        return run_until(client, [&] {
            Changes ch = client.take_changes();
            if (!ch.empty()) client.update_snapshot(snap, ch);
            EXPECT_TRUE(indexed(snap.logical_flows, snap.flow_at));
            EXPECT_TRUE(indexed(snap.ports, snap.port_at));
            return arrived(snap);
        });
    };
    ASSERT_TRUE(follow([](const Snapshot& s) { return s.logical_flows.size() == 301; }));
    ASSERT_EQ(canon(snap), canon(client.snapshot()));

    std::string modified, deleted;
    for (const auto& f : snap.logical_flows) {
        if (f.logical_datapath == uuid(kSw1) && modified.empty()) modified = f.uuid.to_string();
        else if (f.logical_datapath == uuid(kSw0) && deleted.empty()) deleted = f.uuid.to_string();
    }
    ASSERT_FALSE(modified.empty() || deleted.empty());
    ASSERT_TRUE(server_.sbctl("set Logical_Flow " + modified + " actions='\"drop;\"'"));
    ASSERT_TRUE(follow([&](const Snapshot& s) {
        return std::any_of(s.logical_flows.begin(), s.logical_flows.end(),
                           [&](const auto& f) { return f.uuid.to_string() == modified && f.actions == "drop;"; });
    }));
    EXPECT_EQ(canon(snap), canon(client.snapshot()));

    ASSERT_TRUE(server_.sbctl("destroy Logical_Flow " + deleted));
    ASSERT_TRUE(server_.sbctl(std::string("create Logical_Flow logical_datapath=") + kLr0 +
                              " pipeline=ingress table_id=9 priority=97 match='\"ip4.dst == 172.18.0.1/32\"'"
                              " actions='\"drop;\"' external_ids:stage-name=lr_in_ip_routing"));
    ASSERT_TRUE(follow([&](const Snapshot& s) {
        return std::any_of(s.logical_flows.begin(), s.logical_flows.end(),
                           [](const auto& f) { return f.match == "ip4.dst == 172.18.0.1/32"; }) &&
               s.logical_flows.size() == 301;
    }));
    EXPECT_EQ(canon(snap), canon(client.snapshot()));

    ASSERT_TRUE(server_.sbctl("set Port_Binding sw0-p1 external_ids:x=y"));
    ASSERT_TRUE(server_.sbctl("destroy Port_Binding sw1-p2"));
    ASSERT_TRUE(server_.sbctl("add Address_Set pg-ssh_ip4 addresses 192.168.1.13"));
    ASSERT_TRUE(follow([](const Snapshot& s) {
        return std::none_of(s.ports.begin(), s.ports.end(), [](const auto& p) { return p.logical_port == "sw1-p2"; }) &&
               std::any_of(s.ports.begin(), s.ports.end(),
                           [](const auto& p) { return p.external_ids.count("x") != 0; }) &&
               std::any_of(s.address_sets.begin(), s.address_sets.end(), [](const auto& a) {
                   return std::find(a.addresses.begin(), a.addresses.end(), "192.168.1.13") != a.addresses.end();
               });
    }));
    EXPECT_EQ(canon(snap), canon(client.snapshot()));
    EXPECT_FALSE(snap.flow_at.empty()) << "flow changes were applied without the index";
}
