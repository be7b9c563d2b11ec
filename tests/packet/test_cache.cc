// The megaflow cache must be invisible: for any packet, the cached fast path gives exactly
// what the full pipeline walk gives - same ports, same bytes, same drop reasons. Random
// packets drawn around the demo topology's addresses (so that they hit real paths, near
// misses, TTL edges, ICMP echo rules, ARP, VLAN tags, Geneve) go through an executor with
// the cache and one without, several times each.
//
// Rule hits must be invisible to the cache too: hits folded from cache entries add up, rule
// by rule, to what walking every packet through the pipeline counts.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <stdexcept>

#include "demo/topology.h"
#include "eal_env.h"
#include "engine/rule_stats.h"
#include "packet/builder.h"
#include "packet/harness.h"

namespace scs::test {
namespace {

using namespace scs::demo::addr;
using pkt::FrameBuilder;
using pkt::Ip4;
using pkt::Mac;

std::unique_ptr<engine::Generation> demo_gen() { return demo_generation(); }

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
    return v[rng() % v.size()];
}

Bytes random_frame(std::mt19937& rng, uint16_t& port) {
    static const std::vector<Mac> macs = {kVm1Mac, kVm2Mac, kVm3Mac, kVm4Mac, kVm5Mac, kLrpSw0Mac, kLrpSw1Mac,
                                          kLrpPubMac, kGatewayMac, Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                                          Mac{{0x02, 0, 0, 0, 0, 0x42}}, Mac{{0x01, 0, 0x5e, 0, 0, 1}}};
    static const std::vector<Ip4> ips = {kVm1Ip, kVm2Ip, kVm3Ip, kVm4Ip, kVm5Ip, kLrpSw0Ip, kLrpSw1Ip, kLrpPubIp,
                                         Ip4{0x08080808}, Ip4{0x0a000063}, Ip4{0xe0000001}, Ip4{0x0a0001ff}};
    port = static_cast<uint16_t>(rng() % 5);
    FrameBuilder b;
    b.eth(pick(rng, macs), pick(rng, macs));
    if (rng() % 8 == 0) b.vlan(static_cast<uint16_t>(rng() % 2 ? 100 : 7));
    const uint8_t ttls[] = {0, 1, 2, 64, 255};
    switch (rng() % 6) {
        case 0:
            b.arp(static_cast<uint16_t>(1 + rng() % 2), pick(rng, macs), pick(rng, ips), Mac{}, pick(rng, ips));
            break;
        case 1:
            b.ipv4(pick(rng, ips), pick(rng, ips), ttls[rng() % 5]).icmp4(rng() % 2 ? 8 : 0, 0, 1).payload_pattern(8);
            break;
        case 2:
            b.ipv4(pick(rng, ips), pick(rng, ips), ttls[rng() % 5]).tcp(static_cast<uint16_t>(rng()), 80).payload_pattern(6);
            break;
        default:
            b.ipv4(pick(rng, ips), pick(rng, ips), ttls[rng() % 5]).udp(static_cast<uint16_t>(rng()), 53, rng() % 4 != 0)
                .payload_pattern(18);
            break;
    }
    Bytes f = b.build();
    if (port == 3) {  // the underlay: wrap it as hv2 would, for some datapath and ports
        const uint32_t vni = 1 + rng() % 4;
        const uint16_t in = static_cast<uint16_t>(1 + rng() % 4);
        const uint16_t out = static_cast<uint16_t>(rng() % 6 == 0 ? 32768 : 1 + rng() % 4);
        f = pkt::geneve_encap(kLocalUnderlayMac, kHv2UnderlayMac, kHv2EncapIp, kLocalEncapIp,
                              static_cast<uint16_t>(40000 + rng() % 1000), vni, in, out, f);
    }
    return f;
}

TEST(FlowCache, CachedPathsGiveWhatThePipelineGives) {
    Harness cached(demo_gen(), true);
    Harness walked(demo_gen(), false);
    std::mt19937 rng(2024);
    for (int i = 0; i < 20000; ++i) {
        uint16_t port;
        const Bytes f = random_frame(rng, port);
        const auto want = walked.send(port, f);
        for (int rep = 0; rep < 2; ++rep) {  // the second send is the cached replay
            const auto got = cached.send(port, f);
            ASSERT_EQ(got, want) << "frame " << i << " rep " << rep << " on port " << port << ": " << pkt::hex(f);
        }
    }
    for (std::size_t r = 0; r < kDropReasonCount; ++r)
        EXPECT_EQ(cached.stats().drops[r].get(), 2 * walked.stats().drops[r].get())
            << drop_reason_name(static_cast<DropReason>(r));
    EXPECT_GT(cached.stats().cache_hits.get(), 15000u) << "the replays should hit";
    EXPECT_LT(cached.executor().cache().size(), 6000u) << "entries stay wide";
    std::printf("cache: %llu hits, %llu misses, %u entries, %u masks\n",
                static_cast<unsigned long long>(cached.stats().cache_hits.get()),
                static_cast<unsigned long long>(cached.stats().cache_misses.get()), cached.executor().cache().size(),
                cached.executor().cache().n_subtables());
}

TEST(FlowCache, OneEntryServesManyConnections) {
    Harness h(demo_gen(), true);
    for (uint16_t sp = 1; sp <= 5000; ++sp) {
        auto out = h.send(0, FrameBuilder().eth(kLrpSw0Mac, kVm1Mac).ipv4(kVm1Ip, kVm4Ip).udp(sp, 53).payload_pattern(18).build());
        ASSERT_EQ(out[2].size(), 1u);
    }
    EXPECT_EQ(h.stats().cache_misses.get(), 1u) << "5000 UDP connections, one megaflow";
    EXPECT_EQ(h.executor().cache().size(), 1u);
    for (auto [w, m] : h.executor().cache().subtable_mask(0)) std::printf("word %2u mask %016llx\n", w, static_cast<unsigned long long>(m));
}

TEST(FlowCache, NewGenerationInvalidatesEntries) {
    Harness h(demo_gen(), true);
    const Bytes f = FrameBuilder().eth(kVm2Mac, kVm1Mac).ipv4(kVm1Ip, kVm2Ip).udp(1, 2).payload_pattern(18).build();
    h.send(0, f);
    h.send(0, f);
    EXPECT_EQ(h.stats().cache_hits.get(), 1u);
    // A generation in which vm2 is gone: the cached "to vm2" must not survive.
    demo::DemoOptions o;
    o.ports = {0, demo::kNoPort, 2, 3, 4};
    auto g = demo::build_demo(o);
    ASSERT_TRUE(g.ok());
    h.set_generation(std::move(g.value()));
    auto out = h.send(0, f);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(h.stats().cache_hits.get(), 1u);
    EXPECT_EQ(h.drops(DropReason::UnknownOutport), 1u) << h.drop_summary();
}

// An executor counting rule hits into its own counter blocks (slice 0), forwarding into
// the void: what a worker does, minus the ports.
class Counting {
public:
    Counting(std::unique_ptr<engine::Generation> gen, bool flow_cache)
        : gen_(std::move(gen)), sink_(&drop_all, nullptr), exec_(stats_, sink_, mbuf_pool()) {
        exec_.set_cache_enabled(flow_cache);
        exec_.count_rules(0);
        rules_ = engine::rule_counters_for(*gen_, nullptr, 1);
        exec_.use(*gen_, &rules_);
    }
    void send(uint16_t port, const Bytes& f, unsigned times = 1) {
        for (unsigned i = 0; i < times; ++i) {
            rte_mbuf* m = rte_pktmbuf_alloc(mbuf_pool());
            ASSERT_NE(m, nullptr);
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
            exec_.process(*gen_, port, &m, 1);
        }
    }
    // A generation of the same datapath objects (what a republish or an unrelated change
    // gives): their blocks, and their counts, carry over.
    void republish() {
        auto g = std::make_unique<engine::Generation>();
        g->number = gen_->number + 1;
        g->datapaths = gen_->datapaths;
        g->tunnels = gen_->tunnels;
        g->remote_ips = gen_->remote_ips;
        g->rx = gen_->rx;
        g->underlay = gen_->underlay;
        g->index();
        auto m = engine::rule_counters_for(*g, &rules_, 1);
        exec_.use(*g, &m);  // folds what the cache holds into the blocks, then forgets it
        old_.push_back(std::move(gen_));
        gen_ = std::move(g);
        rules_ = std::move(m);
        exec_.use(*gen_, &rules_);  // the map moved: same blocks, new address
    }
    engine::Executor& exec() { return exec_; }
    engine::LcoreStats& stats() { return stats_; }
    const engine::Generation& gen() const { return *gen_; }
    const engine::RuleCounters& block(const std::string& dp) const {
        for (const engine::DatapathPtr& d : gen_->datapaths)
            if (d->name == dp) return *rules_.of(d.get());
        throw std::runtime_error("no datapath " + dp);
    }
    uint32_t stage(const std::string& dp, engine::Pipe p, const std::string& name) const {
        const auto& st = block(dp).datapath().pipe[static_cast<int>(p)].stages;
        for (uint32_t i = 0; i < st.size(); ++i)
            if (st[i].name == name) return i;
        throw std::runtime_error("no stage " + name);
    }

private:
    static uint16_t drop_all(void*, uint16_t, rte_mbuf** pkts, uint16_t n) {
        rte_pktmbuf_free_bulk(pkts, n);
        return n;
    }
    std::unique_ptr<engine::Generation> gen_;
    std::vector<std::unique_ptr<engine::Generation>> old_;
    engine::RuleCounterMap rules_;
    engine::LcoreStats stats_;
    engine::TxSink sink_;
    engine::Executor exec_;
};

uint64_t total_hits(const engine::RuleCounters& c, engine::Pipe p, uint32_t stage) {
    uint64_t n = 0;
    for (const auto& h : c.hits(p, stage)) n += h.packets;
    return n;
}

TEST(RuleHits, CachedHitsFoldIntoTheRulesTheWalkCounts) {
    Counting cached(demo_gen(), true);
    Counting walked(demo_gen(), false);
    std::mt19937 rng(77);
    for (int i = 0; i < 5000; ++i) {
        uint16_t port;
        const Bytes f = random_frame(rng, port);
        const unsigned times = 1 + rng() % 3;
        cached.send(port, f, times);
        walked.send(port, f, times);
    }
    cached.exec().fold_all_rule_hits();
    ASSERT_GT(cached.stats().cache_hits.get(), 2000u);
    uint64_t compared = 0;
    for (const engine::DatapathPtr& dp : cached.gen().datapaths) {
        const auto& a = cached.block(dp->name);
        const auto& b = walked.block(dp->name);
        for (int p = 0; p < 2; ++p) {
            const auto pipe = static_cast<engine::Pipe>(p);
            for (uint32_t s = 0; s < dp->pipe[p].stages.size(); ++s) {
                const std::string where = dp->name + " " + dp->pipe[p].stages[s].name;
                EXPECT_EQ(a.misses(pipe, s), b.misses(pipe, s)) << where;
                const auto ha = a.hits(pipe, s), hb = b.hits(pipe, s);
                ASSERT_EQ(ha.size(), hb.size()) << where;
                for (std::size_t i = 0; i < ha.size(); ++i) {
                    EXPECT_EQ(ha[i].rule, hb[i].rule) << where;
                    EXPECT_EQ(ha[i].packets, hb[i].packets) << where << " rule " << ha[i].rule;
                    EXPECT_EQ(ha[i].action, hb[i].action) << where << " rule " << ha[i].rule;
                    EXPECT_EQ(ha[i].priority, hb[i].priority) << where << " rule " << ha[i].rule;
                    compared += ha[i].packets;
                }
            }
        }
    }
    EXPECT_GT(compared, 10000u);
}

TEST(RuleHits, ExactlyNOnTheRuleMatchedAndNoneElsewhere) {
    Counting c(demo_gen(), true);
    const Bytes to_vm2 = FrameBuilder().eth(kVm2Mac, kVm1Mac).ipv4(kVm1Ip, kVm2Ip).udp(1, 2).payload_pattern(18).build();
    constexpr unsigned kN = 37;
    c.send(kPortVm1, to_vm2, kN);
    EXPECT_EQ(c.stats().cache_misses.get(), 1u);
    const uint32_t l2 = c.stage("sw0", engine::Pipe::Ingress, "ls_in_l2_lkup");
    const auto& sw0 = c.block("sw0");
    // Before a fold only the slow pass is counted; the cache entry holds the other 36.
    ASSERT_EQ(sw0.hits(engine::Pipe::Ingress, l2).size(), 1u);
    EXPECT_EQ(sw0.hits(engine::Pipe::Ingress, l2)[0].packets, 1u);
    c.exec().fold_all_rule_hits();
    const auto h = sw0.hits(engine::Pipe::Ingress, l2);
    ASSERT_EQ(h.size(), 1u) << "one rule of l2_lkup: vm2's MAC";
    EXPECT_EQ(h[0].packets, kN);
    EXPECT_GE(h[0].priority, 0);
    EXPECT_NE(h[0].action, engine::kNoAction);
    EXPECT_EQ(sw0.misses(engine::Pipe::Ingress, l2), 0u);
    // A stage of sw0 saw every packet once or none at all (one path, no loops); the first
    // stage of each pipeline saw them all.
    for (int p = 0; p < 2; ++p)
        for (uint32_t s = 0; s < sw0.datapath().pipe[p].stages.size(); ++s) {
            const auto pipe = static_cast<engine::Pipe>(p);
            const uint64_t seen = total_hits(sw0, pipe, s) + sw0.misses(pipe, s);
            EXPECT_TRUE(seen == kN || (seen == 0 && s > 0)) << sw0.datapath().pipe[p].stages[s].name << ": " << seen;
        }
    // Nothing was routed: the router's stages saw nothing.
    const auto& lr0 = c.block("lr0");
    for (int p = 0; p < 2; ++p)
        for (uint32_t s = 0; s < lr0.datapath().pipe[p].stages.size(); ++s) {
            EXPECT_TRUE(lr0.hits(static_cast<engine::Pipe>(p), s).empty());
            EXPECT_EQ(lr0.misses(static_cast<engine::Pipe>(p), s), 0u);
        }

    // Routed now: vm4's route in lr_in_ip_routing, through both switches.
    const Bytes to_vm4 = FrameBuilder().eth(kLrpSw0Mac, kVm1Mac).ipv4(kVm1Ip, kVm4Ip).udp(1, 2).payload_pattern(18).build();
    c.send(kPortVm1, to_vm4, kN);
    c.exec().fold_all_rule_hits();
    const uint32_t rt = c.stage("lr0", engine::Pipe::Ingress, "lr_in_ip_routing");
    const auto routes = lr0.hits(engine::Pipe::Ingress, rt);
    ASSERT_EQ(routes.size(), 1u);
    EXPECT_EQ(routes[0].packets, kN);
    EXPECT_EQ(total_hits(sw0, engine::Pipe::Ingress, l2), 2 * kN);
    EXPECT_EQ(sw0.hits(engine::Pipe::Ingress, l2).size(), 2u) << "vm2's MAC, and the router port's";
}

TEST(RuleHits, FoldsAndGenerationChangesLoseNothing) {
    Counting c(demo_gen(), true);
    const Bytes f = FrameBuilder().eth(kVm2Mac, kVm1Mac).ipv4(kVm1Ip, kVm2Ip).udp(1, 2).payload_pattern(18).build();
    const uint32_t l2 = c.stage("sw0", engine::Pipe::Ingress, "ls_in_l2_lkup");
    c.send(kPortVm1, f, 10);
    // No sweep before the fold interval has passed; then one sweep folds everything.
    c.exec().fold_rule_hits(1, true);
    EXPECT_EQ(total_hits(c.block("sw0"), engine::Pipe::Ingress, l2), 1u);
    c.exec().fold_rule_hits(uint64_t{1} << 62, false);
    EXPECT_EQ(total_hits(c.block("sw0"), engine::Pipe::Ingress, l2), 10u);
    c.send(kPortVm1, f, 5);
    c.republish();  // the same datapath objects: same blocks, the 5 cached hits folded first
    EXPECT_EQ(total_hits(c.block("sw0"), engine::Pipe::Ingress, l2), 15u);
    c.send(kPortVm1, f, 5);  // the cache was reset: one miss, four hits
    c.exec().fold_all_rule_hits();
    EXPECT_EQ(total_hits(c.block("sw0"), engine::Pipe::Ingress, l2), 20u);
    EXPECT_EQ(c.stats().cache_misses.get(), 2u);
    // A recompiled datapath (a new object) gets a new block: its counts start from zero.
    auto fresh = engine::rule_counters_for(c.gen(), nullptr, 1);
    EXPECT_EQ(total_hits(*fresh.by_key[c.block("sw0").datapath().tunnel_key], engine::Pipe::Ingress, l2), 0u);
}

}  // namespace
}  // namespace scs::test
