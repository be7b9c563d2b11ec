// SbClient as a chassis against a real ovsdb-server: the rows ovn-controller would write
// (checked with ovn-sbctl), re-created after a restart with a fresh database or another
// writer's deletion, port claims with `up`, release on shutdown, a TCP remote, and a 3-member
// RAFT cluster that loses the member the client is connected to.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ovsdb/sb_client.h"
#include "sb_server.h"

using scs::ovsdb::ChassisConfig;
using scs::ovsdb::SbClient;
using namespace scs::ovsdb::testing;
using namespace std::chrono_literals;

namespace {

ChassisConfig hv_config() {
    ChassisConfig c;
    c.name = "scs-hv1";
    c.hostname = "scs-host1";
    c.encap_ip = "192.0.2.10";
    c.bridge_mappings = "physnet:br-ex";
    c.datapath_type = "netdev";
    c.iface_types = "dpdk,geneve";
    c.external_ids = {{"owner", "scs-dataplane"}};
    return c;
}

bool registered(SbClient& c) {
    const auto st = c.status();
    return st.connected && st.chassis_registered && !st.txn_pending && st.last_txn_error.empty();
}

// Checks with ovn-sbctl that the rows of hv_config() exist as ovn-controller writes them.
void expect_chassis_rows(SbServer& s, const std::string& db = "") {
    auto uuid = s.sbctl("--bare --columns=_uuid find Chassis name=scs-hv1", db);
    ASSERT_TRUE(uuid && !uuid->empty());
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 hostname", db), "scs-host1");
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 other_config:ovn-bridge-mappings", db), "physnet:br-ex");
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 other_config:datapath-type", db), "netdev");
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 other_config:iface-types", db), "dpdk,geneve");
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 other_config:is-interconn", db), "false");
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 other_config:port-up-notif", db), "true");
    EXPECT_EQ(s.sbctl("get Chassis scs-hv1 external_ids:owner", db), "scs-dataplane");
    EXPECT_EQ(s.sbctl("--bare --columns=type,ip,chassis_name list Encap", db),
              "geneve\n192.0.2.10\nscs-hv1");
    EXPECT_EQ(s.sbctl("--bare --columns=options list Encap", db), "csum=true");
    EXPECT_EQ(s.sbctl("--bare --columns=name,chassis list Chassis_Private", db),
              "scs-hv1\n" + *uuid);
}

void expect_no_chassis_rows(SbServer& s, const std::string& db = "") {
    EXPECT_EQ(s.sbctl("--bare --columns=_uuid find Chassis name=scs-hv1", db), "");
    EXPECT_EQ(s.sbctl("--bare --columns=_uuid find Chassis_Private name=scs-hv1", db), "");
    EXPECT_EQ(s.sbctl("--bare --columns=_uuid find Encap chassis_name=scs-hv1", db), "");
}

using SbChassisTest = SbServerTest;

}  // namespace

TEST(SbChassisConfig, RejectsBadConfig) {
    auto c = SbClient::create("unix:/nonexistent/sb.sock");
    ASSERT_TRUE(c.ok());
    ChassisConfig cfg = hv_config();
    cfg.name = "";
    EXPECT_FALSE((*c)->set_chassis(cfg).ok());
    cfg = hv_config();
    cfg.encap_ip = "";
    EXPECT_FALSE((*c)->set_chassis(cfg).ok());
    cfg = hv_config();
    cfg.encap_type = "gre";
    auto r = (*c)->set_chassis(cfg);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("gre"), std::string::npos) << r.error();
    EXPECT_FALSE((*c)->set_claims({"lp1"}, {}).ok());  // no chassis yet
    ASSERT_TRUE((*c)->set_chassis(hv_config()).ok());
    EXPECT_FALSE((*c)->set_claims({"lp1"}, {"lp2"}).ok());  // up but not claimed
    // Never connected: release gives up after its timeout, with a reason.
    auto rel = (*c)->release_all(200ms);
    ASSERT_FALSE(rel.ok());
    EXPECT_NE(rel.error().find("not connected"), std::string::npos) << rel.error();
}

TEST_F(SbChassisTest, RegistersLikeOvnControllerAndSurvivesAFreshDatabase) {
    auto c = SbClient::create(server_.remote());
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    ASSERT_TRUE(client.set_chassis(hv_config()).ok());
    ASSERT_TRUE(run_until(client, [&] { return registered(client); }))
        << client.status().last_txn_error;
    expect_chassis_rows(server_);
    // Our own row is in the snapshot like any chassis.
    const auto snap = client.snapshot();
    ASSERT_EQ(snap.chassis.size(), 1u);
    EXPECT_EQ(snap.chassis[0].hostname, "scs-host1");
    EXPECT_EQ(snap.chassis[0].other_config.at("ovn-bridge-mappings"), "physnet:br-ex");

    // Another writer deletes it (ovn-sbctl chassis-del): re-created.
    ASSERT_TRUE(server_.sbctl("chassis-del scs-hv1"));
    ASSERT_TRUE(run_until(client, [&] {
        return server_.sbctl("--bare --columns=_uuid find Chassis name=scs-hv1").value_or("") != "";
    }));
    ASSERT_TRUE(run_until(client, [&] { return registered(client); }));
    expect_chassis_rows(server_);

    // The server comes back with a fresh database: the rows come back too.
    server_.stop();
    server_.remove_db();
    ASSERT_TRUE(run_until(client, [&] { return !client.status().connected; }));
    ASSERT_TRUE(server_.create_db());
    ASSERT_TRUE(server_.start());
    ASSERT_TRUE(run_until(client, [&] {
        return server_.sbctl("--bare --columns=_uuid list Chassis_Private").value_or("") != "";
    }, 20s)) << client.status().last_error;
    ASSERT_TRUE(run_until(client, [&] { return registered(client); }));
    expect_chassis_rows(server_);

    // northd's nb_cfg acknowledged in Chassis_Private (ovn-nbctl --wait=hv).
    ASSERT_TRUE(server_.sbctl("init"));
    ASSERT_TRUE(server_.sbctl("set SB_Global . nb_cfg=5"));
    ASSERT_TRUE(run_until(client, [&] { return client.snapshot().sb_global_nb_cfg == 5; }));
    client.set_nb_cfg_applied(5);
    ASSERT_TRUE(run_until(client, [&] {
        return server_.sbctl("get Chassis_Private scs-hv1 nb_cfg") == "5";
    }));
    EXPECT_NE(server_.sbctl("get Chassis_Private scs-hv1 nb_cfg_timestamp"), "0");

    // A changed configuration updates the rows in place.
    ChassisConfig cfg = hv_config();
    cfg.encap_ip = "192.0.2.11";
    cfg.other_config = {{"ovn-cms-options", "enable-chassis-as-gw"}};
    ASSERT_TRUE(client.set_chassis(cfg).ok());
    ASSERT_TRUE(run_until(client, [&] {
        return server_.sbctl("--bare --columns=ip list Encap") == "192.0.2.11";
    }));
    EXPECT_EQ(server_.sbctl("get Chassis scs-hv1 other_config:ovn-cms-options"),
              "enable-chassis-as-gw");

    // Shutdown: our rows go.
    auto rel = client.release_all(5s);
    ASSERT_TRUE(rel.ok()) << rel.error();
    expect_no_chassis_rows(server_);
}

TEST_F(SbChassisTest, ClaimsAndReleasesPorts) {
    auto dp = server_.sbctl("create Datapath_Binding tunnel_key=7 external_ids:name=sw0");
    ASSERT_TRUE(dp);
    for (const char* lp : {"lp1", "lp2", "lp3"}) {
        static int key = 1;
        ASSERT_TRUE(server_.sbctl("create Port_Binding logical_port=" + std::string(lp) +
                                  " tunnel_key=" + std::to_string(key++) + " datapath=" + *dp));
    }
    ASSERT_TRUE(server_.sbctl("create Port_Binding logical_port=cr-lrp type=chassisredirect "
                              "tunnel_key=9 datapath=" + *dp));

    // lp3 is pinned to another chassis.
    ASSERT_TRUE(server_.sbctl("chassis-add hv-other geneve 192.0.2.20"));
    auto other = server_.sbctl("--bare --columns=_uuid find Chassis name=hv-other");
    ASSERT_TRUE(other);
    ASSERT_TRUE(server_.sbctl("set Port_Binding lp3 requested_chassis=" + *other));

    auto c = SbClient::create(server_.remote());  // conditional: claimed ports by name
    ASSERT_TRUE(c.ok());
    SbClient& client = **c;
    ASSERT_TRUE(client.set_chassis(hv_config()).ok());
    ASSERT_TRUE(client.set_claims({"lp1", "lp2", "lp3", "cr-lrp"}, {"lp1"}).ok());
    auto chassis_of = [&](const std::string& lp) {
        return server_.sbctl("--bare --columns=chassis find Port_Binding logical_port=" + lp)
            .value_or("?");
    };
    auto up_of = [&](const std::string& lp) {
        return server_.sbctl("--bare --columns=up find Port_Binding logical_port=" + lp)
            .value_or("?");
    };
    ASSERT_TRUE(run_until(client, [&] {
        return registered(client) && chassis_of("lp2") != "" && chassis_of("cr-lrp") != "";
    })) << client.status().last_txn_error;
    const auto ours = server_.sbctl("--bare --columns=_uuid find Chassis name=scs-hv1");
    ASSERT_TRUE(ours);
    EXPECT_EQ(chassis_of("lp1"), *ours);
    EXPECT_EQ(chassis_of("lp2"), *ours);
    EXPECT_EQ(chassis_of("cr-lrp"), *ours);
    EXPECT_EQ(chassis_of("lp3"), "");  // requested elsewhere
    EXPECT_EQ(up_of("lp1"), "true");
    EXPECT_EQ(up_of("lp2"), "false");
    EXPECT_EQ(up_of("lp3"), "");

    // Another writer clears a claim: we take it back.
    ASSERT_TRUE(server_.sbctl("lsp-unbind lp1"));
    ASSERT_TRUE(run_until(client, [&] { return chassis_of("lp1") == *ours; }));
    EXPECT_EQ(up_of("lp1"), "true");

    // lp2 is no longer ours and lp1 goes down.
    ASSERT_TRUE(client.set_claims({"lp1", "cr-lrp"}, {}).ok());
    ASSERT_TRUE(run_until(client, [&] { return chassis_of("lp2") == "" && up_of("lp1") == "false"; }));
    EXPECT_EQ(up_of("lp2"), "false");
    EXPECT_EQ(chassis_of("lp1"), *ours);

    // The snapshot sees our claims.
    ASSERT_TRUE(run_until(client, [&] {
        for (const auto& p : client.snapshot().ports)
            if (p.logical_port == "lp1") return p.chassis == "scs-hv1" && p.up == false;
        return false;
    }));

    auto rel = client.release_all(5s);
    ASSERT_TRUE(rel.ok()) << rel.error();
    EXPECT_EQ(chassis_of("lp1"), "");
    EXPECT_EQ(chassis_of("cr-lrp"), "");
    EXPECT_EQ(up_of("lp1"), "false");
    expect_no_chassis_rows(server_);
}

TEST(SbChassisTcp, RegistersOverTcp) {
    SbServer server;
    ASSERT_TRUE(server.create_db());
    const int port = free_tcp_port();
    ASSERT_GT(port, 0);
    const std::string tcp = "tcp:127.0.0.1:" + std::to_string(port);
    ASSERT_TRUE(server.start("ptcp:" + std::to_string(port) + ":127.0.0.1"));
    auto c = SbClient::create(tcp);
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    ASSERT_TRUE(client.set_chassis(hv_config()).ok());
    ASSERT_TRUE(run_until(client, [&] { return registered(client); }))
        << client.status().last_error << client.status().last_txn_error;
    expect_chassis_rows(server, tcp);
    ASSERT_TRUE(client.release_all(5s).ok());
    expect_no_chassis_rows(server, tcp);
}

TEST(SbChassisCluster, KeepsWorkingWhenItsMemberDies) {
    std::vector<std::unique_ptr<SbServer>> m;
    std::vector<std::string> raft;
    for (int i = 0; i < 3; ++i) {
        m.push_back(std::make_unique<SbServer>());
        const int port = free_tcp_port();
        ASSERT_GT(port, 0);
        raft.push_back("tcp:127.0.0.1:" + std::to_string(port));
    }
    ASSERT_TRUE(m[0]->create_cluster(raft[0]));
    ASSERT_TRUE(m[0]->start());
    for (int i = 1; i < 3; ++i) {
        ASSERT_TRUE(m[i]->join_cluster(raft[i], raft[0]));
        ASSERT_TRUE(m[i]->start());
    }
    const std::string all = m[0]->remote() + "," + m[1]->remote() + "," + m[2]->remote();

    auto c = SbClient::create(all);
    ASSERT_TRUE(c.ok()) << c.error();
    SbClient& client = **c;
    ASSERT_TRUE(client.set_chassis(hv_config()).ok());
    ASSERT_TRUE(run_until(client, [&] { return registered(client); }, 30s))
        << client.status().last_error << " / " << client.status().last_txn_error;
    expect_chassis_rows(*m[0], all);

    // The member our client talks to.
    int mine = -1;
    ASSERT_TRUE(run_until(client, [&] {
        int with_sessions = 0;
        for (int i = 0; i < 3; ++i) {
            if (m[i]->sessions() > 0) {
                mine = i;
                ++with_sessions;
            }
        }
        return with_sessions == 1;  // only our client; RAFT links are not sessions
    }));
    client.take_changes();
    m[mine]->stop(SIGKILL);
    std::string rest;
    for (int i = 0; i < 3; ++i)
        if (i != mine) rest += (rest.empty() ? "" : ",") + m[i]->remote();

    // ovn-sbctl talks to the leader; if we killed it, the survivors elect another first.
    SbServer& alive = *m[(mine + 1) % 3];
    auto sbctl_retry = [&](const std::string& args) {
        std::optional<std::string> out;
        for (int i = 0; i < 100 && !(out = alive.sbctl(args, rest)); ++i)
            std::this_thread::sleep_for(100ms);
        return out;
    };

    // Still reads: a chassis added through the survivors arrives.
    ASSERT_TRUE(sbctl_retry("chassis-add hv9 geneve 192.0.2.99"));
    ASSERT_TRUE(run_until(client, [&] {
        for (const auto& ch : client.snapshot().chassis)
            if (ch.name == "hv9") return true;
        return false;
    }, 30s)) << client.status().last_error;
    // It reconnected to a survivor, as a full resync.
    EXPECT_GT(alive.sessions() + m[(mine + 2) % 3]->sessions(), 0);
    EXPECT_TRUE(client.take_changes().full_resync);
    // Still writes: a claim lands.
    auto dp = sbctl_retry("create Datapath_Binding tunnel_key=7");
    ASSERT_TRUE(dp);
    ASSERT_TRUE(sbctl_retry("create Port_Binding logical_port=lp1 tunnel_key=1 datapath=" + *dp));
    ASSERT_TRUE(client.set_claims({"lp1"}, {"lp1"}).ok());
    ASSERT_TRUE(run_until(client, [&] {
        for (const auto& p : client.snapshot().ports)
            if (p.logical_port == "lp1") return p.chassis == "scs-hv1" && p.up == true;
        return false;
    }, 30s)) << client.status().last_txn_error;
    EXPECT_EQ(sbctl_retry("--bare --columns=up find Port_Binding logical_port=lp1"), "true");
    auto rel = client.release_all(10s);
    EXPECT_TRUE(rel.ok()) << rel.error();
}
