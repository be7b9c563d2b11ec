// The daemon's incremental path end to end against a real ovsdb-server: SbClient's tracked
// changes applied to the kept Snapshot (update_snapshot) and compiled with the hint derived
// from them (compiler::hint_from - the port placement is reused when no port-related row
// changed). After every change the generation must be what a compile from scratch of a full
// copy of the replica gives.
#include <gtest/gtest.h>

#include <functional>

#include "compiler/compile_summary.h"
#include "compiler/compiler.h"
#include "ovsdb/sb_client.h"
#include "sb_server.h"

namespace fs = std::filesystem;
using scs::ovsdb::Changes;
using scs::ovsdb::SbClient;
using scs::ovsdb::Snapshot;
using namespace scs::ovsdb::testing;

namespace {

// dev-basic.json (tests/fixtures/sb/README.md): sw0, sw1, lr0 and a public switch.
const char* const kLr0 = "de84cac8-5ff8-418a-85d5-fb07bf8bf0c5";
const char* const kSw0 = "67a29336-af1f-4645-97da-3f3556780afa";

scs::compiler::LocalConfig chassis() {
    scs::compiler::LocalConfig c;
    c.chassis = "scs-incremental";
    c.vifs = {{"sw0-p1", 0}, {"sw1-p1", 1}};
    c.underlay_port = 2;
    return c;
}

class SbIncremental : public SbServerTest {
protected:
    void SetUp() override {
        SbServerTest::SetUp();
        const std::string dump = env("SCS_SB_DUMP");
        if (dump.empty() || !fs::exists(dump)) GTEST_SKIP() << "no Southbound dump at " << dump;
        ASSERT_TRUE(server_.load_dump(dump));
        SbClient::Options o;
        o.monitor_all = true;
        auto c = SbClient::create(server_.remote(), o);
        ASSERT_TRUE(c.ok()) << c.error();
        client_ = std::move(*c);
    }

    // Applies changes as they arrive until `arrived`, compiling each batch incrementally;
    // then checks the last generation against a compile from scratch.
    // What the port placement must have done in each compile of the change.
    enum class Placement { Any, Reused, Updated };
    static constexpr Placement kAny = Placement::Any, kReused = Placement::Reused, kUpdated = Placement::Updated;

    void follow(const std::string& what, const std::function<bool(const Snapshot&)>& arrived, Placement expect) {
        SCOPED_TRACE(what);
        bool reused_all = true, followed_all = true, updated_all = true, amended_some = false;
        const bool initial = !have_;
        ASSERT_TRUE(run_until(*client_, [&] {
            Changes ch = client_->take_changes();
            if (ch.empty()) return arrived(snap_);
            scs::compiler::CompileHint hint;
            if (have_) {
                client_->update_snapshot(snap_, ch);
                hint = scs::compiler::hint_from(ch);
            } else {
                snap_ = client_->snapshot();
                have_ = true;
            }
            auto g = compiler_.compile(snap_, ++number_, hint);
            EXPECT_TRUE(g) << g.error();
            reused_all = reused_all && compiler_.view_reused();
            updated_all = updated_all && (!hint.port_rows || compiler_.view_updated());
            amended_some = amended_some || compiler_.report().stats.amended > 0;
            followed_all = followed_all && (!hint.flow_rows || compiler_.flows_followed());
            if (!initial) {
                EXPECT_NE(hint.flow_rows, nullptr) << "a small change sent the whole Logical_Flow table";
            }
            return arrived(snap_);
        }));
        const Snapshot full = client_->snapshot();
        scs::compiler::Compiler fresh(chassis());
        auto g = fresh.compile(full, number_);
        ASSERT_TRUE(g) << g.error();
        EXPECT_EQ(scs::test::compile_summary(compiler_.report()), scs::test::compile_summary(fresh.report()));
        if (expect == kReused) {
            EXPECT_TRUE(reused_all) << "a flow-only change rebuilt the port placement";
        }
        if (expect == kUpdated) {
            EXPECT_TRUE(updated_all) << "a change of one VM port placed every port again";
            EXPECT_TRUE(amended_some) << "a change of one VM port rebuilt its switch's port security whole";
        }
        EXPECT_TRUE(followed_all) << "the flow table was reloaded although the changed rows were known";
    }
    bool has_flow(const Snapshot& s, const std::string& match) {
        return std::any_of(s.logical_flows.begin(), s.logical_flows.end(), [&](const auto& f) { return f.match == match; });
    }

    std::unique_ptr<SbClient> client_;
    scs::compiler::Compiler compiler_{chassis()};
    Snapshot snap_;
    bool have_ = false;
    uint64_t number_ = 0;
};

}  // namespace

TEST_F(SbIncremental, HintedCompilesEqualFullOnesThroughFlowAndPortChanges) {
    follow("initial download", [](const Snapshot& s) { return s.logical_flows.size() == 301; }, kAny);
    ASSERT_GT(compiler_.report().stats.datapaths, 0u);

    // Flows only: a route added, then changed, then removed - the port placement is reused.
    const std::string route = "ip4.dst == 172.18.0.1/32";
    ASSERT_TRUE(server_.sbctl(std::string("create Logical_Flow logical_datapath=") + kLr0 +
                              " pipeline=ingress table_id=13 priority=97 match='\"" + route + "\"'"
                              " actions='\"drop;\"' external_ids:stage-name=lr_in_ip_routing"));
    follow("a route added", [&](const Snapshot& s) { return has_flow(s, route); }, kReused);
    for (const auto& f : snap_.logical_flows) {
        if (f.match == route) {
            ASSERT_TRUE(server_.sbctl("destroy Logical_Flow " + f.uuid.to_string()));
        }
    }
    follow("the route removed", [&](const Snapshot& s) { return !has_flow(s, route); }, kReused);

    // A flow naming a port that does not exist yet, then the port: the flow must start matching.
    const std::string names_p9 = "inport == \"sw0-p9\"";
    ASSERT_TRUE(server_.sbctl(std::string("create Logical_Flow logical_datapath=") + kSw0 +
                              " pipeline=ingress table_id=1 priority=97 match='\"inport == \\\"sw0-p9\\\"\"'"
                              " actions='\"drop;\"' external_ids:stage-name=ls_in_apply_port_sec"));
    follow("a flow naming sw0-p9", [&](const Snapshot& s) { return has_flow(s, names_p9); }, kReused);
    ASSERT_TRUE(server_.sbctl(std::string("create Port_Binding logical_port=sw0-p9 tunnel_key=99 datapath=") + kSw0 +
                              " mac='\"00:00:00:00:09:09 10.0.0.99\"' port_security='\"00:00:00:00:09:09 10.0.0.99\"'"));
    follow("port sw0-p9 added",
           [](const Snapshot& s) {
               return std::any_of(s.ports.begin(), s.ports.end(), [](const auto& p) { return p.logical_port == "sw0-p9"; });
           },
           kUpdated);
    ASSERT_TRUE(server_.sbctl("set Port_Binding sw0-p9 port_security='\"00:00:00:00:09:0a 10.0.0.98\"'"));
    follow("its port security changed",
           [](const Snapshot& s) {
               return std::any_of(s.ports.begin(), s.ports.end(), [](const auto& p) {
                   return p.logical_port == "sw0-p9" && !p.port_security.empty() &&
                          p.port_security[0].find("09:0a") != std::string::npos;
               });
           },
           kUpdated);
    // A port other placements or the local datapaths depend on (a --port vif here): every
    // port placed again, with the same result.
    ASSERT_TRUE(server_.sbctl("set Port_Binding sw0-p1 tunnel_key=77"));
    follow("vif sw0-p1's key changed",
           [](const Snapshot& s) {
               return std::any_of(s.ports.begin(), s.ports.end(),
                                  [](const auto& p) { return p.logical_port == "sw0-p1" && p.tunnel_key == 77; });
           },
           kAny);
    EXPECT_FALSE(compiler_.view_updated());
    ASSERT_TRUE(server_.sbctl("destroy Port_Binding sw0-p9"));
    follow("port sw0-p9 removed",
           [](const Snapshot& s) {
               return std::none_of(s.ports.begin(), s.ports.end(), [](const auto& p) { return p.logical_port == "sw0-p9"; });
           },
           kUpdated);
    // A multicast group loses a member (no port row changes).
    std::string flood, member;
    for (const auto& g : snap_.multicast_groups)
        if (g.name == "_MC_flood" && g.datapath == scs::ovsdb::Uuid::parse(kSw0) && !g.ports.empty()) {
            flood = g.uuid.to_string();
            member = g.ports.front();
        }
    ASSERT_FALSE(flood.empty());
    std::string member_uuid;
    for (const auto& p : snap_.ports)
        if (p.logical_port == member) member_uuid = p.uuid.to_string();
    ASSERT_FALSE(member_uuid.empty());
    ASSERT_TRUE(server_.sbctl("remove Multicast_Group " + flood + " ports " + member_uuid));
    follow("a flood group lost " + member,
           [&](const Snapshot& s) {
               return std::any_of(s.multicast_groups.begin(), s.multicast_groups.end(), [&](const auto& g) {
                   return g.uuid.to_string() == flood &&
                          std::find(g.ports.begin(), g.ports.end(), member) == g.ports.end();
               });
           },
           kReused);

    // A datapath leaves a Logical_DP_Group: its flows leave that datapath (the rows re-read).
    std::string group, leaving;
    for (const auto& f : snap_.logical_flows)
        if (f.logical_dp_group && f.group_datapaths.size() >= 2) {
            group = f.logical_dp_group->to_string();
            leaving = f.group_datapaths.front().to_string();
        }
    ASSERT_FALSE(group.empty()) << "the dump has no datapath group";
    ASSERT_TRUE(server_.sbctl("remove Logical_DP_Group " + group + " datapaths " + leaving));
    follow("a datapath left a group",
           [&](const Snapshot& s) {
               return std::none_of(s.logical_flows.begin(), s.logical_flows.end(), [&](const auto& f) {
                   return f.logical_dp_group && f.logical_dp_group->to_string() == group &&
                          std::any_of(f.group_datapaths.begin(), f.group_datapaths.end(),
                                      [&](const auto& d) { return d.to_string() == leaving; });
               });
           },
           kReused);

    ASSERT_TRUE(server_.sbctl("add Address_Set pg-ssh_ip4 addresses 192.168.1.13"));
    follow("an address set grew",
           [](const Snapshot& s) {
               return std::any_of(s.address_sets.begin(), s.address_sets.end(), [](const auto& a) {
                   return std::find(a.addresses.begin(), a.addresses.end(), "192.168.1.13") != a.addresses.end();
               });
           },
           kReused);
}
