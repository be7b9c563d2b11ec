// The Southbound compiler on a real OVN Southbound (tests/fixtures/sb/gw-chassis: ls1, ls2,
// a distributed router lr0 with its gateway port on chassis-1, a provider switch, vm3 on
// chassis-2), compiled as chassis-1 with its VIFs on DPDK ports, and real frames pushed
// through the generated tables: every logical flow is accounted for, and same-switch,
// routed and tunnelled traffic comes out byte for byte as OVN defines it.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "compiler/compile_summary.h"
#include "compiler/compiler.h"
#include "compiler/trace_text.h"
#include "ovsdb/snapshot_file.h"
#include "packet/builder.h"
#include "packet/harness.h"

namespace scs::test {
namespace {

using compiler::Compiler;
using compiler::FlowStatus;
using compiler::LocalConfig;
using pkt::FrameBuilder;
using pkt::Ip4;
using pkt::Mac;

constexpr uint16_t kVm1 = 0, kVm2 = 1, kVm4 = 2, kUnderlay = 3, kProvider = 4;

const Mac kVm1Mac = *Mac::parse("fa:16:3e:01:00:11"), kVm2Mac = *Mac::parse("fa:16:3e:01:00:12");
const Mac kVm3Mac = *Mac::parse("fa:16:3e:01:00:13"), kVm4Mac = *Mac::parse("fa:16:3e:02:00:11");
const Mac kLrLs1Mac = *Mac::parse("fa:16:3e:00:01:01"), kLrLs2Mac = *Mac::parse("fa:16:3e:00:02:01");
const Ip4 kVm1Ip = *Ip4::parse("10.0.1.11"), kVm2Ip = *Ip4::parse("10.0.1.12"), kVm3Ip = *Ip4::parse("10.0.1.13");
const Ip4 kVm4Ip = *Ip4::parse("10.0.2.11");
const Mac kOurUnderlayMac = *Mac::parse("02:00:00:00:00:01"), kNextHopMac = *Mac::parse("02:00:00:00:00:02");

LocalConfig chassis1() {
    LocalConfig c;
    c.chassis = "chassis-1";
    c.vifs = {{"vm1", kVm1}, {"vm2", kVm2}, {"vm4", kVm4}};
    c.providers = {{"physnet1", kProvider}};
    c.underlay_port = kUnderlay;
    c.encap_ip = *Ip4::parse("192.0.2.1");
    c.underlay_mac = kOurUnderlayMac;
    c.next_hop_mac = kNextHopMac;
    return c;
}

ovsdb::Snapshot gw_chassis() {
    auto s = ovsdb::load_snapshot(SCS_SOURCE_ROOT "/tests/fixtures/sb/gw-chassis");
    EXPECT_TRUE(s) << s.error();
    return s ? std::move(*s) : ovsdb::Snapshot{};
}

Bytes udp(Mac dst, Mac src, Ip4 sip, Ip4 dip, uint8_t ttl) {
    return FrameBuilder().eth(dst, src).ipv4(sip, dip, ttl).udp(1234, 5678).payload_pattern(18).build();
}

class CompileSb : public ::testing::Test {
protected:
    // The packet's path through the compiled tables, for failure messages.
    std::string trace(const engine::Generation& g, uint16_t port, const Bytes& frame) {
        auto copy = std::make_unique<engine::Generation>(g);
        Harness t(std::move(copy), false);
        engine::TraceLog log;
        t.trace(&log);
        t.send(port, frame);
        std::string s;
        for (const std::string& line : compiler::trace_text(log, g, compiler.report())) s += "\n  " + line;
        return s;
    }

    void SetUp() override {
        sb = gw_chassis();
        auto g = compiler.compile(sb, 1);
        ASSERT_TRUE(g) << g.error();
        gen = std::move(*g);
    }
    ovsdb::Snapshot sb;
    Compiler compiler{chassis1()};
    std::unique_ptr<engine::Generation> gen;
};

TEST_F(CompileSb, EveryLogicalFlowIsAccountedFor) {
    const auto& st = compiler.report().stats;
    EXPECT_EQ(st.datapaths, 4u);  // ls1, ls2, lr0, ext: all reachable from vm1/vm4
    EXPECT_EQ(st.flows, 423u);    // lflow-stage-counts.txt: flows per datapath after dp groups
    EXPECT_EQ(st.by_status[static_cast<int>(FlowStatus::Invalid)], 0u);
    std::string unsupported;
    for (const auto& dp : compiler.report().datapaths)
        for (const auto& f : dp->flows)
            if (f.status == FlowStatus::Unsupported || f.status == FlowStatus::Invalid)
                unsupported += fmt::format("\n  {} {}: {}", dp->binding->name, f.uuid.to_string(), f.detail());
    EXPECT_EQ(st.by_status[static_cast<int>(FlowStatus::Unsupported)], 0u) << unsupported;
    EXPECT_GT(st.by_status[static_cast<int>(FlowStatus::Compiled)], 300u);
    EXPECT_GT(st.by_status[static_cast<int>(FlowStatus::Partial)], 0u);  // ct_*, arp{}, ...
    EXPECT_TRUE(compiler.report().claims.count("vm1"));
    EXPECT_TRUE(compiler.report().claims.count("cr-lr0-ext"));  // gateway chassis: us
    EXPECT_FALSE(compiler.report().claims.count("vm3"));
    for (const auto& w : compiler.report().warnings) ADD_FAILURE() << w;
}

TEST_F(CompileSb, SameSwitchDeliveryIsUnchangedBytes) {
    const Bytes in = udp(kVm2Mac, kVm1Mac, kVm1Ip, kVm2Ip, 64);
    const std::string path = trace(*gen, kVm1, in);
    Harness h(std::move(gen));
    auto out = h.send(kVm1, in);
    ASSERT_EQ(out[kVm2].size(), 1u) << h.drop_summary() << path;
    EXPECT_EQ(pkt::hex(out[kVm2][0]), pkt::hex(in));
}

TEST_F(CompileSb, PortSecurityDropsSpoofedSource) {
    Harness h(std::move(gen));
    const Mac spoof = *Mac::parse("fa:16:3e:01:00:99");
    auto out = h.send(kVm1, udp(kVm2Mac, spoof, kVm1Ip, kVm2Ip, 64));
    EXPECT_TRUE(out.empty());
    const Ip4 spoof_ip = *Ip4::parse("10.0.1.99");
    out = h.send(kVm1, udp(kVm2Mac, kVm1Mac, spoof_ip, kVm2Ip, 64));
    EXPECT_TRUE(out.empty()) << trace(h.gen(), kVm1, udp(kVm2Mac, kVm1Mac, spoof_ip, kVm2Ip, 64));
    EXPECT_EQ(h.stats().total_drops(), 2u) << h.drop_summary();
}

TEST_F(CompileSb, RoutedEastWest) {
    Harness h(std::move(gen));
    auto out = h.send(kVm1, udp(kLrLs1Mac, kVm1Mac, kVm1Ip, kVm4Ip, 64));
    ASSERT_EQ(out[kVm4].size(), 1u) << h.drop_summary() << trace(h.gen(), kVm1, udp(kLrLs1Mac, kVm1Mac, kVm1Ip, kVm4Ip, 64));
    EXPECT_EQ(pkt::hex(out[kVm4][0]), pkt::hex(udp(kVm4Mac, kLrLs2Mac, kVm1Ip, kVm4Ip, 63)));
}

TEST_F(CompileSb, RemotePortIsGeneveToItsChassis) {
    Harness h(std::move(gen));
    const Bytes in = udp(kVm3Mac, kVm1Mac, kVm1Ip, kVm3Ip, 64);
    auto out = h.send(kVm1, in);
    ASSERT_EQ(out[kUnderlay].size(), 1u) << h.drop_summary();
    const Bytes& got = out[kUnderlay][0];
    const uint16_t sport = static_cast<uint16_t>(got[34] << 8 | got[35]);
    const auto ls1 = std::find_if(sb.datapaths.begin(), sb.datapaths.end(), [](auto& d) { return d.name == "ls1"; });
    auto key = [&](const char* n) {
        return static_cast<uint32_t>(std::find_if(sb.ports.begin(), sb.ports.end(), [&](auto& p) { return p.logical_port == n; })->tunnel_key);
    };
    const Bytes want = pkt::geneve_encap(kNextHopMac, kOurUnderlayMac, *Ip4::parse("192.0.2.1"), *Ip4::parse("192.0.2.2"), sport,
                                         static_cast<uint32_t>(ls1->tunnel_key), key("vm1"), key("vm3"), in);
    EXPECT_EQ(pkt::hex(got), pkt::hex(want));
}

TEST_F(CompileSb, UnchangedSouthboundRecompilesNothing) {
    auto g2 = compiler.compile(sb, 2);
    ASSERT_TRUE(g2) << g2.error();
    EXPECT_EQ(compiler.report().stats.recompiled, 0u);
    EXPECT_EQ(compiler.report().stats.parsed, 0u);
    for (std::size_t i = 0; i < gen->datapaths.size(); ++i) EXPECT_EQ((*g2)->datapaths[i].get(), gen->datapaths[i].get());
}

TEST_F(CompileSb, OneChangedFlowRecompilesItsDatapathOnly) {
    auto ls2 = std::find_if(sb.datapaths.begin(), sb.datapaths.end(), [](auto& d) { return d.name == "ls2"; })->uuid;
    auto f = std::find_if(sb.logical_flows.begin(), sb.logical_flows.end(), [&](auto& x) { return x.logical_datapath == ls2; });
    ASSERT_NE(f, sb.logical_flows.end());
    f->priority = static_cast<uint16_t>(f->priority + 1);
    auto g2 = compiler.compile(sb, 2);
    ASSERT_TRUE(g2) << g2.error();
    EXPECT_EQ(compiler.report().stats.recompiled, 1u);
    EXPECT_EQ(compiler.report().stats.parsed, 0u);  // same text: the parse is reused
}

const compiler::FlowReport* report_of(const compiler::CompileReport& rep, const ovsdb::Uuid& u) {
    for (const auto& d : rep.datapaths)
        for (const auto& f : d->flows)
            if (f.uuid == u) return &f;
    return nullptr;
}

// The caches of an incremental compile (lowered matches kept per flow while the names they
// resolved resolve the same; port-security rules per port) against a compile from scratch,
// through changes that alter what existing flows and ports lower to.
TEST_F(CompileSb, IncrementalCompileEqualsAFullOneThroughNameChanges) {
    const auto ls1 = std::find_if(sb.datapaths.begin(), sb.datapaths.end(), [](auto& d) { return d.name == "ls1"; })->uuid;
    auto step = [&](const char* what, uint64_t n) {
        SCOPED_TRACE(what);
        auto inc = compiler.compile(sb, n);
        ASSERT_TRUE(inc) << inc.error();
        Compiler fresh(chassis1());
        auto full = fresh.compile(sb, n);
        ASSERT_TRUE(full) << full.error();
        EXPECT_EQ(compile_summary(compiler.report()), compile_summary(fresh.report()));
    };
    // A flow naming a port that does not exist yet: it never matches.
    ovsdb::LogicalFlow f;
    f.uuid = *ovsdb::Uuid::parse("5c5be9c4-0000-4000-8000-000000000001");
    f.logical_datapath = ls1;
    f.pipeline = ovsdb::Pipeline::Ingress;
    f.table_id = 25;
    f.priority = 60;
    f.stage_name = "ls_in_l2_lkup";
    f.match = R"(eth.dst == fa:16:3e:01:00:15 && inport == "vm1")";
    f.actions = R"(outport = "vm9"; output;)";
    f.content_hash = ovsdb::content_hash(f);
    sb.logical_flows.push_back(f);
    ovsdb::LogicalFlow g = f;
    g.uuid = *ovsdb::Uuid::parse("5c5be9c4-0000-4000-8000-000000000002");
    g.match = R"(inport == "vm9")";
    g.actions = "drop;";
    g.content_hash = ovsdb::content_hash(g);
    sb.logical_flows.push_back(g);
    step("flows naming vm9 before it exists", 2);
    EXPECT_GT(compiler.report().stats.amended, 0u) << "two flows added rebuilt their stage whole";
    ASSERT_NE(report_of(compiler.report(), g.uuid), nullptr);
    EXPECT_EQ(report_of(compiler.report(), g.uuid)->status, FlowStatus::NeverMatches);

    // The port appears: the unchanged flow that names it must be lowered again.
    int64_t key = 1;
    for (const auto& p : sb.ports)
        if (p.datapath == ls1) key = std::max(key, p.tunnel_key + 1);
    ovsdb::PortBinding vm5;
    vm5.uuid = *ovsdb::Uuid::parse("5c5be9c4-0000-4000-8000-000000000003");
    vm5.logical_port = "vm9-new";
    vm5.datapath = ls1;
    vm5.tunnel_key = key;
    vm5.mac = {"fa:16:3e:01:00:15 10.0.1.15"};
    vm5.port_security = vm5.mac;
    sb.ports.push_back(vm5);
    step("a port no flow names", 3);
    EXPECT_GT(compiler.report().stats.amended, 0u) << "a port added rebuilt its switch's port security whole";
    sb.ports.back().logical_port = "vm9";
    step("the port the flows name", 4);
    ASSERT_NE(report_of(compiler.report(), g.uuid), nullptr);
    EXPECT_EQ(report_of(compiler.report(), g.uuid)->status, FlowStatus::Compiled);

    // A flow whose actions alone name vm9, in a stage no match of which names it; then vm9's
    // tunnel key changes: that stage, built earlier, must not be reused with the old key.
    ovsdb::LogicalFlow h = f;
    h.uuid = *ovsdb::Uuid::parse("5c5be9c4-0000-4000-8000-000000000004");
    h.table_id = 24;
    h.stage_name.clear();
    h.match = "eth.dst == fa:16:3e:01:00:16";
    h.content_hash = ovsdb::content_hash(h);
    sb.logical_flows.push_back(h);
    step("a flow whose actions name vm9", 5);
    std::find_if(sb.ports.begin(), sb.ports.end(), [](auto& p) { return p.logical_port == "vm9"; })->tunnel_key += 5;
    step("vm9's tunnel key changed", 6);
    ASSERT_NE(report_of(compiler.report(), h.uuid), nullptr);
    EXPECT_EQ(report_of(compiler.report(), h.uuid)->status, FlowStatus::Compiled);

    // Port security of an existing port changes: its cached rules must be rebuilt.
    auto vm1 = std::find_if(sb.ports.begin(), sb.ports.end(), [](auto& p) { return p.logical_port == "vm1"; });
    ASSERT_NE(vm1, sb.ports.end());
    vm1->port_security = {"fa:16:3e:01:00:99 10.0.1.11 10.0.1.99"};
    step("port security of vm1", 7);
    // An entry that does not parse is skipped with a warning - also when the port-security
    // stage is adopted by a later build (a flow elsewhere changes).
    vm1->port_security = {"fa:16:3e:01:00:99 10.0.1.11", "not-a-mac"};
    step("an unusable port-security entry", 70);
    ASSERT_TRUE(std::any_of(compiler.report().warnings.begin(), compiler.report().warnings.end(),
                            [](const std::string& w) { return w.find("not-a-mac") != std::string::npos; }));
    h.actions = "drop;";
    h.content_hash = ovsdb::content_hash(h);
    std::find_if(sb.logical_flows.begin(), sb.logical_flows.end(), [&](auto& x) { return x.uuid == h.uuid; })->actions =
        h.actions;
    std::find_if(sb.logical_flows.begin(), sb.logical_flows.end(), [&](auto& x) { return x.uuid == h.uuid; })->content_hash =
        h.content_hash;
    step("a flow elsewhere in the switch changed", 71);
    EXPECT_GT(compiler.report().stats.amended, 0u) << "a flow changed rebuilt its stage whole";
    EXPECT_TRUE(std::any_of(compiler.report().warnings.begin(), compiler.report().warnings.end(),
                            [](const std::string& w) { return w.find("not-a-mac") != std::string::npos; }));

    // A neighbour learned by the router: its get_arp/lookup_arp stages must be rebuilt.
    const auto lr0 = std::find_if(sb.datapaths.begin(), sb.datapaths.end(), [](auto& d) { return d.name == "lr0"; })->uuid;
    sb.mac_bindings.push_back(ovsdb::MacBinding{"lr0-ext", "172.24.4.99", "0a:00:00:00:00:99", lr0});
    step("a MAC binding", 8);
    EXPECT_GE(compiler.report().stats.recompiled, 1u);

    // The port goes again.
    sb.ports.erase(std::find_if(sb.ports.begin(), sb.ports.end(), [](auto& p) { return p.logical_port == "vm9"; }));
    step("the port removed", 9);
    ASSERT_NE(report_of(compiler.report(), g.uuid), nullptr);
    EXPECT_EQ(report_of(compiler.report(), g.uuid)->status, FlowStatus::NeverMatches);
}

}  // namespace
}  // namespace scs::test
