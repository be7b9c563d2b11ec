// Property: an incremental compile equals a full one. On each Southbound fixture, a chain of
// generations whose logical flows are random subsets of the fixture's - flows arriving in
// batches as a chassis's conditional monitoring widens, flows removed and put back as
// ovn-northd recomputes - is compiled by one Compiler (its caches, adopted and amended
// stages carried from generation to generation) and, at every step, by a fresh Compiler.
// Both must give the same compile_summary() (every stage's kind, rules and what each rule's
// actions do). Along the chain ports are also renumbered (another tunnel key) and removed
// and put back, so that the cached lowerings' name dependencies are judged both ways: all
// asked again, or only those on the ports whose keys changed (NameDelta) - including a flow
// that was away while a key changed and comes back after it.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "compiler/compile_summary.h"
#include "compiler/compiler.h"
#include "ovsdb/snapshot_file.h"

namespace scs::test {
namespace {

using compiler::Compiler;
using compiler::LocalConfig;

struct Fixture {
    const char* file;
    LocalConfig cfg;
};

LocalConfig config(const char* chassis, std::vector<std::pair<std::string, uint16_t>> vifs, const char* physnet) {
    LocalConfig c;
    c.chassis = chassis;
    for (auto& [name, port] : vifs) c.vifs[name] = port;
    c.providers = {{physnet, 10}};
    c.underlay_port = 11;
    c.encap_ip = *pkt::Ip4::parse("192.0.2.1");
    c.underlay_mac = *pkt::Mac::parse("02:00:00:00:00:01");
    c.next_hop_mac = *pkt::Mac::parse("02:00:00:00:00:02");
    return c;
}

std::vector<Fixture> fixtures() {
    return {
        {"gw-chassis", config("chassis-1", {{"vm1", 0}, {"vm2", 1}, {"vm4", 2}}, "physnet1")},
        {"dev-basic.json", config("gw1", {{"sw0-p1", 0}, {"sw1-p1", 1}, {"sw0-p2", 2}}, "physnet")},
        {"routed.json", config("scs-dp-0", {{"a1", 0}, {"a2", 1}, {"a4", 2}, {"b1", 3}, {"c1", 4}, {"e1", 5}}, "physnet1")},
        {"varied.json",
         config("scs-dp-0", {{"v1", 0}, {"v2", 1}, {"v4", 2}, {"vmeta", 3}, {"w1", 4}, {"p1", 5}, {"p2", 6}}, "physnet1")},
    };
}

// One step of the chain: which of the fixture's flows the Southbound holds next.
std::vector<bool> next_subset(const std::vector<bool>& cur, std::mt19937& rng, unsigned step) {
    std::vector<bool> next = cur;
    std::uniform_int_distribution<unsigned> pct(0, 99);
    const unsigned mode = step % 4;
    for (std::size_t i = 0; i < next.size(); ++i) {
        const unsigned r = pct(rng);
        switch (mode) {
            case 0: next[i] = next[i] || r < 40; break;  // a batch arrives
            case 1: next[i] = next[i] && r >= 2; break;  // a few go
            case 2: next[i] = r < 1 ? !next[i] : next[i]; break;  // a handful toggle
            default: next[i] = next[i] || r < 60; break;
        }
    }
    return next;
}

std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t j = s.find('\n', i);
        out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
        if (j == std::string::npos) break;
        i = j + 1;
    }
    return out;
}

// The lines that differ (with their datapath), not two whole dumps.
std::string first_differences(const std::string& got, const std::string& want) {
    const std::vector<std::string> g = lines(got), w = lines(want);
    std::string out, dp;
    int shown = 0;
    for (std::size_t i = 0; i < std::max(g.size(), w.size()) && shown < 8; ++i) {
        const std::string a = i < g.size() ? g[i] : "(none)", b = i < w.size() ? w[i] : "(none)";
        if (a.rfind("datapath ", 0) == 0) dp = a;
        if (a == b) continue;
        out += fmt::format("{}\n  incremental: {}\n  full:        {}\n", dp, a, b);
        ++shown;
    }
    return out;
}

// The ports of the next step: each (by index into the fixture's) as it was, renumbered
// (its key + 20000: free in every fixture) or gone; a few of them change each step.
enum class PortState : uint8_t { Original, Renumbered, Gone };
std::vector<PortState> next_ports(const std::vector<PortState>& cur, std::mt19937& rng, unsigned step, unsigned steps) {
    std::vector<PortState> next = cur;
    if (step + 1 == steps) return std::vector<PortState>(cur.size(), PortState::Original);
    std::uniform_int_distribution<std::size_t> pick(0, cur.size() - 1);
    std::uniform_int_distribution<unsigned> what(0, 9);
    for (int n = 0; n < 2 && !cur.empty(); ++n) {
        const unsigned w = what(rng);
        next[pick(rng)] = w < 5 ? PortState::Original : w < 9 ? PortState::Renumbered : PortState::Gone;
    }
    return next;
}

void run_chain(const Fixture& f, uint32_t seed, unsigned steps) {
    auto full = ovsdb::load_snapshot(std::string(SCS_SOURCE_ROOT "/tests/fixtures/sb/") + f.file);
    ASSERT_TRUE(full) << full.error();
    std::mt19937 rng(seed);
    std::vector<bool> have(full->logical_flows.size(), false);
    std::vector<PortState> ports(full->ports.size(), PortState::Original);
    Compiler inc(f.cfg);
    ovsdb::Snapshot sb = *full;
    unsigned amended = 0;
    for (unsigned step = 0; step < steps; ++step) {
        have = step + 1 == steps ? std::vector<bool>(have.size(), true) : next_subset(have, rng, step);
        sb.logical_flows.clear();
        for (std::size_t i = 0; i < have.size(); ++i)
            if (have[i]) sb.logical_flows.push_back(full->logical_flows[i]);
        if (step > 0) ports = next_ports(ports, rng, step, steps);
        sb.ports.clear();
        unsigned renumbered = 0, gone = 0;
        for (std::size_t i = 0; i < ports.size(); ++i) {
            if (ports[i] == PortState::Gone) {
                ++gone;
                continue;
            }
            sb.ports.push_back(full->ports[i]);
            if (ports[i] == PortState::Renumbered) {
                sb.ports.back().tunnel_key += 20000;
                ++renumbered;
            }
        }
        SCOPED_TRACE(fmt::format("{} seed {} step {}: {} of {} flows, {} ports renumbered, {} gone", f.file, seed, step,
                                 sb.logical_flows.size(), full->logical_flows.size(), renumbered, gone));
        auto a = inc.compile(sb, step + 1);
        ASSERT_TRUE(a) << a.error();
        Compiler fresh(f.cfg);
        auto b = fresh.compile(sb, step + 1);
        ASSERT_TRUE(b) << b.error();
        amended += static_cast<unsigned>(inc.report().stats.amended);
        const std::string want = compile_summary(fresh.report()), got = compile_summary(inc.report());
        if (got != want) FAIL() << first_differences(got, want);
    }
    EXPECT_GT(amended, 0u) << "no stage was amended: the chain did not test amends";
}

TEST(IncrementalProperty, GenerationsOfRandomFlowSubsetsCompileAsFromScratch) {
    for (const Fixture& f : fixtures())
        for (uint32_t seed = 1; seed <= 10; ++seed) run_chain(f, seed, 16);
}

}  // namespace
}  // namespace scs::test
