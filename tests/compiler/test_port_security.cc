// port_security_flows() (matches built directly) against lflow::to_matches() of
// port_security_rules()' text, rule by rule: the same priorities, actions and set of matches,
// for every port of the Southbound fixtures and for synthetic port_security values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "compiler/chassis_view.h"
#include "compiler/port_security.h"
#include "compiler/resolver.h"
#include "lflow/expr.h"
#include "ovsdb/snapshot_file.h"

namespace scs {
namespace {

using compiler::PortSecFlow;
using compiler::PortSecRule;

std::string bytes_of(const engine::Match& m) {
    std::string s(sizeof m.value + sizeof m.mask, '\0');
    std::memcpy(s.data(), &m.value, sizeof m.value);
    std::memcpy(s.data() + sizeof m.value, &m.mask, sizeof m.mask);
    return s;
}

std::vector<std::string> as_set(const std::vector<engine::Match>& ms) {
    std::vector<std::string> out;
    for (const engine::Match& m : ms) out.push_back(bytes_of(m));
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> as_set(const compiler::PackedMatches& ms) {
    std::vector<std::string> out;
    ms.for_each([&](const engine::Match& m) { out.push_back(bytes_of(m)); });
    std::sort(out.begin(), out.end());
    return out;
}

// Compares both forms for one port; returns the number of matches checked.
std::size_t check_port(const ovsdb::PortBinding& pb, bool ingress, const lflow::Resolver& r) {
    std::vector<std::string> errs_text, errs_direct;
    const std::vector<PortSecRule> rules = compiler::port_security_rules(pb, ingress, errs_text);
    auto flows = compiler::port_security_flows(pb, ingress, r, errs_direct);
    EXPECT_EQ(errs_text, errs_direct);
    // The text path: the first rule whose text does not lower is the error.
    std::vector<std::vector<engine::Match>> want;
    std::string text_error;
    for (const PortSecRule& rule : rules) {
        auto e = lflow::parse_expr(rule.match);
        if (!e) {
            text_error = e.error();
            break;
        }
        auto ms = lflow::to_matches(**e, r);
        if (!ms) {
            text_error = ms.error();
            break;
        }
        want.push_back(std::move(*ms));
    }
    if (!text_error.empty()) {
        EXPECT_FALSE(flows) << pb.logical_port << ": text path failed (" << text_error << "), direct did not";
        return 0;
    }
    EXPECT_TRUE(flows) << pb.logical_port << ": " << (flows ? "" : flows.error());
    if (!flows) return 0;
    EXPECT_EQ(flows->size(), rules.size()) << pb.logical_port;
    std::size_t n = 0;
    for (std::size_t i = 0; i < std::min(flows->size(), rules.size()); ++i) {
        const PortSecFlow& f = (*flows)[i];
        EXPECT_EQ(f.priority, rules[i].priority) << rules[i].match;
        EXPECT_EQ(f.allow, rules[i].allow) << rules[i].match;
        EXPECT_EQ(f.matches.size(), want[i].size()) << rules[i].match << " (direct has duplicates?)";
        EXPECT_EQ(as_set(f.matches), as_set(want[i])) << pb.logical_port << (ingress ? " in: " : " out: ") << rules[i].match;
        n += want[i].size();
    }
    return n;
}

ovsdb::Snapshot load(const char* rel) {
    auto s = ovsdb::load_snapshot(std::string(SCS_SOURCE_ROOT "/tests/fixtures/sb/") + rel);
    EXPECT_TRUE(s) << s.error();
    return s ? std::move(*s) : ovsdb::Snapshot{};
}

// Every port of every datapath of `sb`, with its own port_security and, when `synthetic` is
// not empty, with each of those values instead.
std::size_t check_snapshot(const ovsdb::Snapshot& sb, const std::vector<std::vector<std::string>>& synthetic) {
    compiler::LocalConfig cfg;
    cfg.chassis = "chassis-1";
    const compiler::ChassisView view(sb, cfg);
    const compiler::NameTables names(sb);
    std::size_t n = 0;
    for (const ovsdb::DatapathBinding& dp : sb.datapaths) {
        const compiler::DatapathResolver r(sb, view, names, dp);
        for (const ovsdb::PortBinding& pb : sb.ports) {
            // Ports of other datapaths too: their key does not resolve here (no matches).
            for (const bool in : {true, false}) {
                if (synthetic.empty()) n += check_port(pb, in, r);
                for (const std::vector<std::string>& ps : synthetic) {
                    ovsdb::PortBinding p = pb;
                    p.port_security = ps;
                    n += check_port(p, in, r);
                }
            }
        }
    }
    return n;
}

const std::vector<std::vector<std::string>> kSynthetic = {
    {},
    {"fa:16:3e:00:00:01"},
    {"fa:16:3e:00:00:01 10.0.0.5"},
    {"fa:16:3e:00:00:01 10.0.0.5/24"},
    {"fa:16:3e:00:00:01 10.0.0.0/24 192.168.1.7"},
    {"fa:16:3e:00:00:01 10.0.0.5/255.255.255.0"},
    {"fa:16:3e:00:00:01 10.0.0.5/32"},
    {"fa:16:3e:00:00:01 fd00::5"},
    {"fa:16:3e:00:00:01 fd00::5/64"},
    {"fa:16:3e:00:00:01 10.0.0.5 fd00::5"},
    {"FA:16:3E:00:00:01 10.0.0.5/16 fd00::5/64 fd01::1"},
    {"fa:16:3e:00:00:01 10.0.0.5", "fa:16:3e:00:00:02 10.0.0.6 fd00::6", "fa:16:3e:00:00:03"},
    {"  fa:16:3e:00:00:01\t10.0.0.5   fd00::5/128  "},
    {"fa:16:3e:00:00:01 10.0.0.5 10.0.0.5 fd00::5 fd00:0::5"},  // the same address twice
    {"fa:16:3e:00:00:01 10.0.0.0/0 ::/0"},
    {"fa:16:3e:00:00:01 10.0.0.5/255.0.255.0 fd00::5/ffff::"},  // non-contiguous masks
    {"fa:16:3e:00:00:01 ::ffff:10.0.0.5 FD00::A"},
    // Not for the direct path (or not valid at all): the text decides, both must agree.
    {"fa:16:3e:00:00:01 aa:bb:cc:dd:ee:ff"},
    {"fa:16:3e:00:00:01 fd00::zz"},
    {"fa:16:3e:00:00:01 10.0.0.5/40"},
    {"fa:16:3e:00:00:01 10.0.0.5/x"},
    {"not-a-mac 10.0.0.5", "fa:16:3e:00:00:01 10.0.0.5"},
};

TEST(PortSecurity, DirectMatchesEqualTextLoweringOnFixtures) {
    for (const char* f : {"dev-basic.json", "gw-chassis"}) {
        const ovsdb::Snapshot sb = load(f);
        ASSERT_FALSE(sb.ports.empty()) << f;
        EXPECT_GT(check_snapshot(sb, {}), 0u) << f;
    }
}

TEST(PortSecurity, DirectMatchesEqualTextLoweringOnSyntheticValues) {
    for (const char* f : {"dev-basic.json", "gw-chassis"}) {
        const ovsdb::Snapshot sb = load(f);
        ASSERT_FALSE(sb.ports.empty()) << f;
        EXPECT_GT(check_snapshot(sb, kSynthetic), 0u) << f;
    }
}

TEST(PortSecurity, PortOfAnotherDatapathNeverMatches) {
    struct None final : lflow::Resolver {
        std::optional<uint32_t> port_key(std::string_view) const override { return std::nullopt; }
        const std::vector<std::string>* address_set(std::string_view) const override { return nullptr; }
        const std::vector<std::string>* port_group(std::string_view) const override { return nullptr; }
        bool chassis_resident(std::string_view) const override { return false; }
    } none;
    ovsdb::PortBinding pb;
    pb.logical_port = "vm9";
    pb.port_security = {"fa:16:3e:00:00:01 10.0.0.5 fd00::5"};
    std::vector<std::string> errs;
    auto flows = compiler::port_security_flows(pb, true, none, errs);
    ASSERT_TRUE(flows) << flows.error();
    EXPECT_FALSE(flows->empty());
    for (const PortSecFlow& f : *flows) EXPECT_TRUE(f.matches.empty()) << f.priority;
}

}  // namespace
}  // namespace scs
