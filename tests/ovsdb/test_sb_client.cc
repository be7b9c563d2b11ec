// SbClient against a real ovsdb-server holding an OVN Southbound database: rows inserted with
// ovn-sbctl or loaded from a real dump are seen as plain structs, and a server restart on the
// same socket is survived. Everything lives in a private temp dir removed at the end.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "ovsdb/sb_client.h"

namespace fs = std::filesystem;
using scs::ovsdb::SbClient;
using scs::ovsdb::Snapshot;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// Runs a shell command; returns its stdout without the trailing newline, or nullopt on failure.
std::optional<std::string> run(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (::pclose(p) != 0) return std::nullopt;
    while (!out.empty() && (out.back() == '\n' || out.back() == '"')) out.pop_back();
    if (!out.empty() && out.front() == '"') out.erase(0, 1);
    return out;
}

std::string q(const std::string& s) { return "'" + s + "'"; }

// An ovsdb-server with a fresh OVN_Southbound database in a private directory.
class SbServer {
public:
    SbServer() {
        char tmpl[] = "/tmp/scs-sb-test-XXXXXX";
        if (char* d = ::mkdtemp(tmpl)) dir_ = d;
    }
    ~SbServer() {
        stop();
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    SbServer(const SbServer&) = delete;
    SbServer& operator=(const SbServer&) = delete;

    bool create_db() {
        return !dir_.empty() &&
               run(q(env("SCS_OVSDB_TOOL")) + " create " + q(db()) + " " +
                   q(env("SCS_SB_SCHEMA"))).has_value();
    }
    // --detach returns once the server listens on the socket.
    bool start() {
        return run(q(env("SCS_OVSDB_SERVER")) + " --detach --no-chdir --pidfile=" + q(dir_ + "/sb.pid") +
                   " --unixctl=" + q(dir_ + "/sb.ctl") + " --log-file=" + q(dir_ + "/sb.log") +
                   " --remote=punix:" + q(sock()) + " " + q(db()))
            .has_value();
    }
    void stop() {
        std::ifstream pidfile(dir_ + "/sb.pid");
        pid_t pid = 0;
        if (!(pidfile >> pid) || pid <= 0) return;
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
        fs::remove(dir_ + "/sb.pid");
    }
    std::optional<std::string> sbctl(const std::string& args) {
        return run("OVN_RUNDIR=" + q(dir_) + " " + q(env("SCS_OVN_SBCTL")) + " --db=" + q(remote()) +
                   " " + args);
    }

    std::string remote() const { return "unix:" + sock(); }
    std::string sock() const { return dir_ + "/sb.sock"; }
    std::string db() const { return dir_ + "/sb.db"; }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
};

// Drives the client until `done` holds or `timeout` passes.
bool run_until(SbClient& c, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        c.run();
        if (done()) return true;
        c.wait(50);
    }
    return false;
}

class SbClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(server_.dir().empty());
        ASSERT_TRUE(server_.create_db());
        ASSERT_TRUE(server_.start()) << "ovsdb-server failed; log in " << server_.dir();
    }
    SbServer server_;
};

}  // namespace

TEST(SbClientCreate, RejectsBadRemotes) {
    EXPECT_FALSE(SbClient::create("").ok());
    auto r = SbClient::create("bogus:1.2.3.4");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find("bogus:1.2.3.4"), std::string::npos) << r.error();
    EXPECT_FALSE(SbClient::create("tcp").ok());
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

    auto c = SbClient::create(server_.remote());
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
    ASSERT_TRUE(run(q(env("SCS_PYTHON3")) + " " + q(env("SCS_SB_LOAD_DUMP")) + " " + q(dump) + " " +
                    q(server_.remote()) + " OVN_Southbound"));

    auto c = SbClient::create(server_.remote());
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
    auto c = SbClient::create(server_.remote());
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
