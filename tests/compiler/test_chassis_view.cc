// compiler::ChassisView::update(): the port placement followed port by port must be what a
// view built from scratch of the same Snapshot gives - every placement, every by-name
// lookup, the local datapaths, claims, receive bindings and warnings - through random
// rounds of ports added, changed and removed the way SbClient::update_snapshot() applies
// them (ovsdb::apply_rows()). Changes it must not follow port by port (patch, chassisredirect,
// localnet and configured ports, ports other ports name, moved rows) are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/mix.h"
#include "compiler/chassis_view.h"

namespace scs::test {
namespace {

using compiler::ChassisView;
using compiler::LocalConfig;
using compiler::PortPlacement;
using compiler::ViewDelta;
using ovsdb::PortBinding;
using ovsdb::Snapshot;
using ovsdb::Uuid;

Uuid uuid(uint32_t kind, uint32_t n) {
    Uuid u;
    u.parts = {0x7e57c0deu ^ n * 2654435761u, kind, n, 0xc4a55150u};
    return u;
}

LocalConfig config() {
    LocalConfig c;
    c.chassis = "here";
    c.vifs = {{"ls0-vif0", 0}, {"ls1-vif0", 1}, {"not-there", 5}};
    c.providers = {{"phys", 2}, {"unused-net", 3}};
    c.underlay_port = 4;
    return c;
}

// Four switches and a router: VIFs, router patches, a chassisredirect port resident
// here, a localnet port and a patch whose peer does not exist (yet).
struct World {
    Snapshot sb;
    std::mt19937 rng{12345};
    uint32_t next = 1000;
    std::vector<std::string> chassis_names{"", "here", "remote1", "remote2", "gone"};

    World() {
        for (int i = 0; i < 5; ++i) {
            ovsdb::DatapathBinding d;
            d.uuid = uuid(1, static_cast<uint32_t>(i));
            d.tunnel_key = i + 1;
            d.name = i < 4 ? fmt::format("ls{}", i) : "lr0";
            if (i == 4) d.external_ids["logical-router"] = "lr0";
            else d.external_ids["logical-switch"] = d.name;
            sb.datapaths.push_back(d);
        }
        for (const char* name : {"here", "remote1", "remote2"}) {
            ovsdb::Chassis c;
            c.uuid = uuid(2, static_cast<uint32_t>(sb.chassis.size()));
            c.name = name;
            if (std::string(name) != "remote2") c.encaps.push_back({"geneve", fmt::format("192.0.2.{}", sb.chassis.size() + 1), {}});
            sb.chassis.push_back(c);
        }
        for (int i = 0; i < 4; ++i) {
            for (int k = 0; k < 6; ++k) sb.ports.push_back(vif(i, fmt::format("ls{}-vif{}", i, k)));
            sb.ports.push_back(port(i, fmt::format("ls{}-lr0", i), "patch", {{"peer", fmt::format("lr0-ls{}", i)}}));
            sb.ports.push_back(port(4, fmt::format("lr0-ls{}", i), "patch", {{"peer", fmt::format("ls{}-lr0", i)}}));
        }
        sb.ports.push_back(port(4, "cr-lr0-ls3", "chassisredirect", {{"distributed-port", "lr0-ls3"}}));
        sb.ports.back().chassis = "here";
        sb.ports.push_back(port(3, "ls3-phys", "localnet", {{"network_name", "phys"}}));
        sb.ports.push_back(port(2, "ls2-dangling", "patch", {{"peer", "waiting-peer"}}));
        sb.ports.push_back(vif(3, "no-datapath"));
        sb.ports.back().datapath = uuid(1, 99);
        sb.ports_version = ovsdb::new_flows_lineage();
        sb.ports.reserve(4096);  // rows stay where they are (one round moves them on purpose)
        for (std::size_t i = 0; i < sb.ports.size(); ++i) sb.port_at[sb.ports[i].uuid] = static_cast<uint32_t>(i);
    }
    PortBinding port(int dp, std::string name, std::string type, std::map<std::string, std::string> options) {
        PortBinding p;
        p.uuid = uuid(3, next++);
        p.datapath = uuid(1, static_cast<uint32_t>(dp));
        p.logical_port = std::move(name);
        p.type = std::move(type);
        p.options = std::move(options);
        p.tunnel_key = next;
        return p;
    }
    PortBinding vif(int dp, std::string name) {
        static const char* const kTypes[] = {"", "", "", "virtual", "external", "localport"};
        PortBinding p = port(dp, std::move(name), kTypes[rng() % 6], {});
        p.chassis = chassis_names[rng() % chassis_names.size()];
        if (rng() % 2) p.port_security = {fmt::format("00:00:00:00:{:02x}:{:02x} 10.0.{}.{}", dp, p.tunnel_key % 256, dp, p.tunnel_key % 250)};
        return p;
    }
    std::size_t pick() { return rng() % sb.ports.size(); }
};

// Everything a view answers, as text.
std::string describe(const ChassisView& v, const Snapshot& sb) {
    std::string out;
    for (const auto& d : sb.datapaths) {
        std::vector<std::string> ports;
        for (const PortPlacement& p : v.ports(d.uuid)) {
            uint64_t entry[2];
            std::memcpy(entry, &p.entry, sizeof entry);
            ports.push_back(fmt::format("  {} row {} {} key {} entry {:x}/{:x} chassis '{}' note '{}' hashes {:x} {:x} {:x} {}\n",
                                        p.pb->logical_port, p.row, p.pb == &sb.ports[p.row] ? "ok" : "STALE",
                                        p.pb->tunnel_key, entry[0], entry[1], p.chassis, p.note, p.name_hash,
                                        p.key_digest, p.digest, p.resident ? "resident" : ""));
        }
        std::sort(ports.begin(), ports.end());
        out += fmt::format("{} {}:\n{}", d.name, v.is_local(d.uuid) ? "local" : "", fmt::join(ports, ""));
    }
    std::set<std::string> names;
    for (const auto& p : sb.ports) names.insert(p.logical_port);
    for (const char* extra : {"waiting-peer", "not-there", "x"}) names.insert(extra);
    for (const std::string& n : names) {
        const PortPlacement* p = v.port(n);
        out += fmt::format("{}: {} {}\n", n, p ? fmt::format("{}@{}", p->pb->logical_port, p->dp_key) : "-",
                           v.resident_here(n) ? "here" : "");
    }
    out += fmt::format("claims {}\n", fmt::join(v.claims(), " "));
    for (const auto& rx : v.rx_bindings()) {
        out += fmt::format("rx {} {} {}", static_cast<int>(rx.role), rx.dp, rx.port);
        for (const auto& l : rx.localnets) out += fmt::format(" ln {} {} {}", l.vlan, l.dp, l.port);
        out += "\n";
    }
    out += fmt::format("tunnels {} warnings {}\n", v.tunnels().size(), fmt::join(v.warnings(), "; "));
    return out;
}

// The placements of one datapath (what the compiler's fingerprints take of them).
uint64_t digests(const ChassisView& v, const Uuid& dp) {
    uint64_t s = 0;
    for (const PortPlacement& p : v.ports(dp)) s += mix64(p.digest);
    return s;
}

uint64_t resident_sum(const ChassisView& v) {
    uint64_t s = 0;
    v.for_each_port([&](const PortPlacement& p) {
        if (p.resident) s += mix64(p.name_hash);
    });
    return s;
}

// Applies `rows` as update_snapshot() does; returns their UUIDs.
std::vector<Uuid> apply_changes(Snapshot& sb, const std::map<Uuid, std::optional<PortBinding>>& rows) {
    ovsdb::apply_rows(sb.ports, rows, sb.port_at);
    ++sb.ports_version;
    std::vector<Uuid> out;
    for (const auto& [u, r] : rows) out.push_back(u);
    return out;
}

TEST(ChassisViewUpdate, FollowsRandomPortChangesExactly) {
    World w;
    const LocalConfig cfg = config();
    auto view = std::make_unique<ChassisView>(w.sb, cfg);
    std::size_t updated = 0, refused = 0, removals_followed = 0;
    for (int round = 0; round < 600; ++round) {
        SCOPED_TRACE(fmt::format("round {}", round));
        std::map<Uuid, std::optional<PortBinding>> rows;
        // A name given twice last round (refused then) is taken back now.
        std::set<std::string> seen;
        for (const PortBinding& p : w.sb.ports)
            if (!seen.insert(p.logical_port).second) rows[p.uuid] = std::nullopt;
        const int n = 1 + static_cast<int>(w.rng() % 3);
        bool removes = false;
        for (int k = 0; k < n; ++k) {
            switch (w.rng() % 8) {
                case 0:
                case 1: {  // a VM port comes
                    PortBinding p = w.vif(static_cast<int>(w.rng() % 4), fmt::format("vm{}", w.next));
                    rows[p.uuid] = p;
                    break;
                }
                case 2:
                case 3: {  // a port goes (mostly VIFs; sometimes a patch: refused)
                    const PortBinding& p = w.sb.ports[w.pick()];
                    if (!rows.count(p.uuid)) {
                        rows[p.uuid] = std::nullopt;
                        removes = true;
                    }
                    break;
                }
                case 4:
                case 5: {  // a port is bound elsewhere, renumbered or its security changes
                    PortBinding p = w.sb.ports[w.pick()];
                    p.chassis = w.chassis_names[w.rng() % w.chassis_names.size()];
                    if (w.rng() % 2) p.tunnel_key = w.next++;
                    p.port_security = {fmt::format("00:00:00:00:00:{:02x}", w.rng() % 256)};
                    p.security_hash = 0;
                    rows[p.uuid] = p;
                    break;
                }
                case 6: {  // a port moves to another switch
                    PortBinding p = w.sb.ports[w.pick()];
                    p.datapath = uuid(1, w.rng() % 4);
                    rows[p.uuid] = p;
                    break;
                }
                case 7: {  // rarely: the port a patch waits for, a configured VIF, a name twice
                    const int what = static_cast<int>(w.rng() % 3);
                    PortBinding p = w.vif(1, what == 0 ? "waiting-peer" : what == 1 ? "ls0-vif0" : w.sb.ports[w.pick()].logical_port);
                    rows[p.uuid] = p;
                    break;
                }
            }
        }
        const bool move_rows = round % 97 == 96;
        std::vector<PortBinding> old_rows;  // alive until the end of the round: new rows get another address
        if (move_rows) {
            std::vector<PortBinding> moved;
            moved.reserve(4096);
            moved.assign(w.sb.ports.begin(), w.sb.ports.end());
            old_rows = std::exchange(w.sb.ports, std::move(moved));
        }
        const std::vector<Uuid> changed = apply_changes(w.sb, rows);
        ViewDelta delta;
        const uint64_t resident_before = resident_sum(*view);
        std::map<Uuid, uint64_t> digests_before;
        for (const auto& d : w.sb.datapaths) digests_before[d.uuid] = digests(*view, d.uuid);
        const bool ok = view->update(w.sb, changed, delta);
        const ChassisView fresh(w.sb, cfg);
        if (!ok) {
            ++refused;
            view = std::make_unique<ChassisView>(w.sb, cfg);
            continue;
        }
        EXPECT_FALSE(move_rows) << "rows moved in memory, and the view followed";
        ++updated;
        removals_followed += removes ? 1 : 0;
        ASSERT_EQ(describe(*view, w.sb), describe(fresh, w.sb));
        EXPECT_EQ(resident_before + delta.resident_added - delta.resident_removed, resident_sum(*view));
        // Every datapath whose placements changed is named in the delta.
        for (const auto& d : w.sb.datapaths)
            if (!delta.datapaths.count(d.uuid)) {
                EXPECT_EQ(digests_before[d.uuid], digests(fresh, d.uuid)) << d.name;
            }
    }
    std::printf("updated %zu (with removals %zu), refused %zu\n", updated, removals_followed, refused);
    // Both paths taken often: the test means something either way.
    EXPECT_GT(updated, 200u);
    EXPECT_GT(removals_followed, 50u);
    EXPECT_GT(refused, 30u);
}

TEST(ChassisViewUpdate, RefusesWhatOthersDependOn) {
    const LocalConfig cfg = config();
    auto refused = [&](const std::function<void(World&, std::map<Uuid, std::optional<PortBinding>>&)>& change) {
        World w;
        ChassisView view(w.sb, cfg);
        std::map<Uuid, std::optional<PortBinding>> rows;
        change(w, rows);
        const std::vector<Uuid> changed = apply_changes(w.sb, rows);
        ViewDelta delta;
        return !view.update(w.sb, changed, delta);
    };
    auto named = [](World& w, const std::string& n) -> PortBinding& {
        return *std::find_if(w.sb.ports.begin(), w.sb.ports.end(), [&](const PortBinding& p) { return p.logical_port == n; });
    };
    // A leaf VIF going is followed (the control case).
    EXPECT_FALSE(refused([&](World& w, auto& rows) { rows[named(w, "ls2-vif3").uuid] = std::nullopt; }));
    EXPECT_TRUE(refused([&](World& w, auto& rows) { rows[named(w, "ls1-lr0").uuid] = std::nullopt; }));  // patch
    EXPECT_TRUE(refused([&](World& w, auto& rows) { rows[named(w, "cr-lr0-ls3").uuid] = std::nullopt; }));
    EXPECT_TRUE(refused([&](World& w, auto& rows) { rows[named(w, "ls3-phys").uuid] = std::nullopt; }));  // localnet
    EXPECT_TRUE(refused([&](World& w, auto& rows) {  // a configured VIF
        PortBinding p = named(w, "ls0-vif0");
        p.chassis = "remote1";
        rows[p.uuid] = p;
    }));
    EXPECT_TRUE(refused([&](World& w, auto& rows) {  // the port a patch names as its peer
        PortBinding p = w.vif(1, "waiting-peer");
        rows[p.uuid] = p;
    }));
    EXPECT_TRUE(refused([&](World& w, auto& rows) {  // a VIF becoming a patch
        PortBinding p = named(w, "ls2-vif1");
        p.type = "patch";
        p.options["peer"] = "lr0-ls2";
        rows[p.uuid] = p;
    }));
    EXPECT_TRUE(refused([&](World& w, auto& rows) {  // a second row of an existing name
        PortBinding p = w.vif(1, "ls2-vif1");
        rows[p.uuid] = p;
    }));
    // Another Snapshot object, or the rows moved.
    {
        World w;
        ChassisView view(w.sb, cfg);
        Snapshot other = w.sb;
        ViewDelta delta;
        EXPECT_FALSE(view.update(other, {}, delta));
    }
    {
        World w;
        ChassisView view(w.sb, cfg);
        w.sb.ports.shrink_to_fit();
        ViewDelta delta;
        EXPECT_FALSE(view.update(w.sb, {}, delta));
    }
}

}  // namespace
}  // namespace scs::test
