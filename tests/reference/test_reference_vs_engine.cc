// Property test: the compiled tables, run by the engine (flow cache on and off), and the
// reference interpreter (lib/reference), running the same Southbound's logical flows as
// written, must do the same thing with every frame - same ports, same bytes, same tunnels,
// same drop reasons. Frames are generated from the Southbound's own addresses (ports, router
// ports, broadcast, unknown) and from every kind of port (VIF, provider, underlay Geneve from
// known and unknown chassis), over both fixtures in tests/fixtures/sb.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <sstream>

#include "ovsdb/snapshot_file.h"
#include "reference_util.h"

namespace scs::test {
namespace {

using compiler::LocalConfig;
using pkt::FrameBuilder;
using pkt::Ip4;
using pkt::Ip6;
using pkt::Mac;

constexpr uint16_t kUnderlay = 3, kProvider = 4;

struct Fixture {
    std::string name;
    ovsdb::Snapshot sb;
    LocalConfig cfg;
};

Fixture load(const char* file, const char* chassis, std::map<std::string, uint16_t> vifs, const char* physnet,
             const char* encap_ip) {
    Fixture f;
    f.name = file;
    auto s = ovsdb::load_snapshot(std::string(SCS_SOURCE_ROOT "/tests/fixtures/sb/") + file);
    if (!s) throw std::runtime_error(s.error());
    f.sb = std::move(*s);
    f.cfg.chassis = chassis;
    f.cfg.vifs = std::move(vifs);
    f.cfg.providers = {{physnet, kProvider}};
    f.cfg.encap_ip = *Ip4::parse(encap_ip);
    return f;
}

Fixture gw_chassis() { return load("gw-chassis", "chassis-1", {{"vm1", 0}, {"vm2", 1}, {"vm4", 2}}, "physnet1", "192.0.2.1"); }
Fixture dev_basic() {
    return load("dev-basic.json", "gw1", {{"sw0-p1", 0}, {"sw1-p1", 1}, {"sw0-p2", 2}}, "physnet", "10.10.0.1");
}
// tools/ovn/topologies.py routed(): three routers (one a gateway router bound here) on a join
// switch, ECMP, router policies, stateless ACLs, IPv6, a VLAN-tagged provider network.
Fixture routed() {
    return load("routed.json", "scs-dp-0", {{"a1", 0}, {"a2", 1}, {"b1", 2}, {"c1", 5}, {"e1", 6}, {"a4", 7}}, "physnet1",
                "192.168.100.1");
}
// tools/ovn/topologies.py varied(): a localport (vmeta), a child port (w-child, VLAN 10 on v1),
// two networks on one router port, a gateway port active on hv2, stateless NAT, an L2 switch.
// Plus FDB rows on ls-l2 (key 34): a MAC learned on p2 (here) and one on p4 (hv2), for
// get_fdb/lookup_fdb.
Fixture varied() {
    Fixture f = load("varied.json", "scs-dp-0",
                     {{"v1", 0}, {"v2", 1}, {"v4", 2}, {"vmeta", 5}, {"w1", 6}, {"p1", 7}, {"p2", 8}}, "physnet1",
                     "192.168.100.1");
    f.sb.fdb = {{"02:bb:00:00:04:77", 34, 2}, {"02:bb:00:00:04:88", 34, 4}};
    return f;
}

// Addresses the Southbound knows: every port's MACs and IPs (router ports included).
struct Addresses {
    std::vector<Mac> macs;
    std::vector<Ip4> ip4;
    std::vector<Ip6> ip6;
    std::map<std::string, std::pair<Mac, Ip4>> of_port;  // first "MAC IP" of a port
};

Addresses addresses(const ovsdb::Snapshot& sb) {
    Addresses a;
    for (const auto& pb : sb.ports) {
        for (const std::string& e : pb.mac) {
            std::istringstream in(e);
            std::string tok;
            if (!(in >> tok)) continue;
            auto m = Mac::parse(tok);
            if (!m) continue;
            a.macs.push_back(*m);
            std::optional<Ip4> first;
            while (in >> tok) {
                const std::string addr = tok.substr(0, tok.find('/'));
                if (auto v4 = Ip4::parse(addr)) {
                    a.ip4.push_back(*v4);
                    if (!first) first = *v4;
                } else if (auto v6 = Ip6::parse(addr)) {
                    a.ip6.push_back(*v6);
                }
            }
            if (!a.of_port.count(pb.logical_port)) a.of_port[pb.logical_port] = {*m, first.value_or(Ip4{})};
        }
    }
    for (const auto& e : sb.fdb)  // MACs learned on ports
        if (auto m = Mac::parse(e.mac)) a.macs.push_back(*m);
    return a;
}

class Gen {
public:
    Gen(const Fixture& f, uint32_t seed) : f_(f), a_(addresses(f.sb)), rng_(seed) {}

    template <typename T>
    const T& pick(const std::vector<T>& v) { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng_)]; }
    unsigned n(unsigned hi) { return std::uniform_int_distribution<unsigned>(0, hi - 1)(rng_); }
    bool chance(unsigned pct) { return n(100) < pct; }

    Mac any_mac() {
        switch (n(6)) {
            case 0: return *Mac::parse("ff:ff:ff:ff:ff:ff");
            case 1: return *Mac::parse("01:00:5e:00:00:01");
            case 2: {
                Mac m;
                for (auto& b : m.b) b = static_cast<uint8_t>(n(256));
                m.b[0] &= 0xfe;
                return m;
            }
            default: return pick(a_.macs);
        }
    }
    Ip4 any_ip4() {
        switch (n(5)) {
            case 0: return *Ip4::parse("255.255.255.255");
            case 1: return Ip4{static_cast<uint32_t>(rng_())};
            case 2: return *Ip4::parse("8.8.8.8");
            default: return a_.ip4.empty() ? Ip4{0x0a000001} : pick(a_.ip4);
        }
    }
    Ip6 any_ip6() {
        if (!a_.ip6.empty() && chance(50)) return pick(a_.ip6);
        return *Ip6::parse(chance(50) ? "fe80::5054:ff:fe00:1" : "2001:db8::99");
    }
    uint8_t ttl() {
        static const uint8_t t[] = {0, 1, 2, 64, 64, 64, 255};
        return t[n(7)];
    }

    // An inner frame as a VM behind `port` (or anyone, when empty) would send it.
    Bytes frame(const std::string& port) {
        Mac src = any_mac();
        Ip4 sip = any_ip4();
        if (!port.empty() && a_.of_port.count(port) && chance(80)) {
            src = a_.of_port[port].first;
            if (chance(85)) sip = a_.of_port[port].second;
        }
        const Mac dst = any_mac();
        const Ip4 dip = any_ip4();
        FrameBuilder b;
        b.eth(dst, src);
        if (chance(5)) b.vlan(static_cast<uint16_t>(n(4095) + 1));
        switch (n(10)) {
            case 0: b.ipv4(sip, dip, ttl()).tcp(static_cast<uint16_t>(n(65536)), 80).payload_pattern(n(40)); break;
            case 1:
            case 2: b.ipv4(sip, dip, ttl()).udp(static_cast<uint16_t>(n(65536)), chance(20) ? 67 : 5000).payload_pattern(n(40)); break;
            case 3: b.ipv4(sip, dip, ttl()).icmp4(8, 0, n(65536)).payload_pattern(16); break;
            case 4:
            case 5: {
                const Ip4 tpa = chance(70) && !a_.ip4.empty() ? pick(a_.ip4) : dip;
                b.arp(chance(80) ? 1 : 2, chance(90) ? src : any_mac(), sip, chance(50) ? Mac{} : dst, tpa);
                break;
            }
            case 6: b.ipv6(any_ip6(), any_ip6(), ttl()).udp(1000, 2000).payload_pattern(8); break;
            case 7: b.ipv6(any_ip6(), any_ip6(), ttl()).icmp6(128, 0, 1).payload_pattern(8); break;
            case 8: b.ipv4(sip, dip, ttl()).udp(1234, 5678, false).payload_pattern(18); break;
            default: b.eth_type(0x88cc).payload_pattern(46); break;
        }
        return b.build();
    }

    // Geneve from a chassis (known or not) for a port or group of a datapath (known or not).
    Bytes geneve(const compiler::ChassisView& view) {
        const auto& tunnels = view.tunnels();
        const Ip4 src = !tunnels.empty() && chance(85) ? Ip4{pick(tunnels).remote_ip} : *Ip4::parse("203.0.113.9");
        const Ip4 dst = chance(95) ? f_.cfg.encap_ip : *Ip4::parse("192.0.2.77");
        std::vector<const ovsdb::DatapathBinding*> dps;
        for (const auto& u : view.local_datapaths()) dps.push_back(view.datapath(u));
        const ovsdb::DatapathBinding* dp = pick(dps);
        uint32_t vni = chance(95) ? static_cast<uint32_t>(dp->tunnel_key) : 999;
        std::vector<uint32_t> keys;
        for (const auto& p : view.ports(dp->uuid)) keys.push_back(static_cast<uint32_t>(p.pb->tunnel_key));
        for (const auto& g : f_.sb.multicast_groups)
            if (g.datapath == dp->uuid) keys.push_back(static_cast<uint32_t>(g.tunnel_key));
        keys.push_back(777);
        const uint16_t in = static_cast<uint16_t>(pick(keys) & 0x7fff), out = static_cast<uint16_t>(pick(keys));
        return pkt::geneve_encap(*Mac::parse("02:00:00:00:00:01"), *Mac::parse("02:00:00:00:00:02"), src, dst,
                                 static_cast<uint16_t>(40000 + n(1000)), vni, in, out, frame(""));
    }

private:
    const Fixture& f_;
    Addresses a_;
    std::mt19937 rng_;
};

struct Stats {
    unsigned frames = 0, delivered = 0, tunnelled = 0, dropped = 0, ambiguous = 0, unevaluable = 0;
    std::map<std::string, unsigned> drop_reasons;
};

using Source = std::function<std::vector<std::pair<uint16_t, Bytes>>(const Fixture&, const reference::Interpreter&, Gen&)>;

void run_property(Fixture f, uint32_t seed, unsigned n_frames, const Source& source = {}) {
    f.cfg.underlay_port = kUnderlay;
    f.cfg.underlay_mac = *Mac::parse("02:00:00:00:00:01");
    f.cfg.next_hop_mac = *Mac::parse("02:00:00:00:00:02");
    compiler::Compiler comp(f.cfg);
    auto g = comp.compile(f.sb, 1);
    ASSERT_TRUE(g) << g.error();
    const engine::Generation& gen = **g;
    reference::Interpreter ref(f.sb, f.cfg);
    for (const auto& e : ref.load_errors()) ADD_FAILURE() << f.name << ": reference: " << e;
    Harness cached(std::make_unique<engine::Generation>(gen), true);
    Harness uncached(std::make_unique<engine::Generation>(gen), false);
    Gen gen_frames(f, seed);

    std::vector<uint16_t> ports = {kUnderlay, kProvider, 9 /* no role */};
    for (const auto& [lp, dpdk] : f.cfg.vifs) ports.push_back(dpdk);
    std::map<uint16_t, std::string> port_name;
    for (const auto& [lp, dpdk] : f.cfg.vifs) port_name[dpdk] = lp;

    std::vector<std::pair<uint16_t, Bytes>> targeted;
    if (source) {
        targeted = source(f, ref, gen_frames);
        n_frames = static_cast<unsigned>(targeted.size());
    }
    Stats st;
    unsigned failures = 0;
    for (unsigned i = 0; i < n_frames && failures < 3; ++i) {
        uint16_t port;
        Bytes frame;
        if (source) {
            port = targeted[i].first;
            frame = targeted[i].second;
        } else {
            port = ports[gen_frames.n(static_cast<unsigned>(ports.size()))];
            if (port == kUnderlay) frame = gen_frames.geneve(ref.view());
            else frame = gen_frames.frame(port_name.count(port) ? port_name[port] : "");
            if (port == kProvider && gen_frames.chance(30)) {  // provider frames: tagged sometimes
                frame.insert(frame.begin() + 12, {0x81, 0x00, 0x00, static_cast<uint8_t>(gen_frames.chance(50) ? 0 : 100)});
            }
        }
        Compared c;
        c.ref = ref.run(port, frame);
        c.reference = reference_lines(c.ref);
        ++st.frames;
        for (const auto& o : c.ref.outcomes) {
            if (o.kind == reference::Outcome::Kind::Tx) ++st.delivered;
            else if (o.kind == reference::Outcome::Kind::Tunnel) ++st.tunnelled;
            else {
                ++st.dropped;
                ++st.drop_reasons[std::string(drop_reason_name(o.reason)) + (o.action.empty() ? "" : "(" + o.action + ")")];
            }
        }
        if (!c.ref.errors.empty()) {
            ++st.unevaluable;
            continue;
        }
        for (Harness* h : {&uncached, &cached}) {
            c.engine = engine_lines(*h, port, frame, f.cfg);
            if (c.equal()) continue;
            if (c.ref.ambiguous) {
                ++st.ambiguous;
                break;
            }
            ++failures;
            ADD_FAILURE() << f.name << " frame " << i << " (flow cache " << (h == &cached ? "on" : "off") << ")\n"
                          << describe(c, port, frame, gen, comp.report());
            break;
        }
    }
    std::string reasons;
    for (const auto& [r, k] : st.drop_reasons) reasons += fmt::format(" {}={}", r, k);
    std::printf("%s seed %u: %u frames: %u delivered, %u tunnelled, %u dropped (%s), %u ambiguous, %u unevaluable\n",
                f.name.c_str(), seed, st.frames, st.delivered, st.tunnelled, st.dropped, reasons.c_str(), st.ambiguous,
                st.unevaluable);
    // The generator must reach every kind of outcome, or the comparison proves little.
    EXPECT_GT(st.delivered, n_frames / 20);
    EXPECT_GT(st.dropped, n_frames / 20);
    EXPECT_LT(st.unevaluable, n_frames / 100 + 1);
}

// Every source port x every known destination MAC x every known destination IP: same-switch,
// routed (to the router port's MAC), ARP for every address, TTL edge cases; Geneve from each
// known chassis to every port and group of every local datapath.
std::vector<std::pair<uint16_t, Bytes>> targeted(const Fixture& f, const reference::Interpreter& ref, Gen&) {
    std::vector<std::pair<uint16_t, Bytes>> out;
    const Addresses a = addresses(f.sb);
    std::vector<std::pair<uint16_t, std::string>> srcs = {{kProvider, ""}};
    for (const auto& [lp, dpdk] : f.cfg.vifs) srcs.push_back({dpdk, lp});
    std::vector<Mac> dmacs = a.macs;
    dmacs.push_back(*Mac::parse("ff:ff:ff:ff:ff:ff"));
    std::vector<Ip4> dips = a.ip4;
    dips.push_back(*Ip4::parse("8.8.8.8"));
    const Mac outside = *Mac::parse("00:00:5e:00:53:01");
    for (const auto& [port, lp] : srcs) {
        const Mac smac = a.of_port.count(lp) ? a.of_port.at(lp).first : outside;
        const Ip4 sip = a.of_port.count(lp) ? a.of_port.at(lp).second : *Ip4::parse("172.24.4.50");
        for (const Mac& dm : dmacs) {
            for (const Ip4& di : dips) {
                out.push_back({port, FrameBuilder().eth(dm, smac).ipv4(sip, di, 64).udp(1234, 5678).payload_pattern(18).build()});
                out.push_back({port, FrameBuilder().eth(dm, smac).ipv4(sip, di, 1).udp(1234, 5678).payload_pattern(18).build()});
                out.push_back({port, FrameBuilder().eth(dm, smac).ipv4(sip, di, 2).icmp4(8, 0, 7).payload_pattern(8).build()});
                out.push_back({port, FrameBuilder().eth(dm, smac).ipv4(sip, di, 0).tcp(40000, 80).build()});
            }
        }
        for (const Ip4& di : dips) {
            out.push_back({port, FrameBuilder().eth(*Mac::parse("ff:ff:ff:ff:ff:ff"), smac).arp(1, smac, sip, Mac{}, di).build()});
            out.push_back({port, FrameBuilder().eth(*Mac::parse("ff:ff:ff:ff:ff:ff"), smac).arp(1, smac, *Ip4::parse("10.9.9.9"), Mac{}, di).build()});
        }
        // Each child port of this VIF: its VLAN-tagged frames (physical.c's parent + tag).
        for (const auto& pb : f.sb.ports) {
            if (pb.parent_port != lp || !pb.tag || !a.of_port.count(pb.logical_port)) continue;
            const auto [cmac, cip] = a.of_port.at(pb.logical_port);
            for (const Mac& dm : dmacs)
                for (const Ip4& di : dips)
                    out.push_back({port, FrameBuilder().eth(dm, cmac).vlan(static_cast<uint16_t>(*pb.tag)).ipv4(cip, di, 64)
                                             .udp(1234, 5678).payload_pattern(18).build()});
        }
        // Port security: someone else's source MAC and IP.
        out.push_back({port, FrameBuilder().eth(a.macs.front(), outside).ipv4(*Ip4::parse("10.9.9.9"), dips.front(), 64).udp(1, 2).build()});
        out.push_back({port, FrameBuilder().eth(a.macs.front(), smac).ipv4(*Ip4::parse("10.9.9.9"), dips.front(), 64).udp(1, 2).build()});
    }
    const auto& view = ref.view();
    for (const auto& t : view.tunnels()) {
        for (const auto& u : view.local_datapaths()) {
            const ovsdb::DatapathBinding* dp = view.datapath(u);
            std::vector<std::pair<uint32_t, Mac>> outs;
            for (const auto& p : view.ports(u)) {
                const Mac m = a.of_port.count(p.pb->logical_port) ? a.of_port.at(p.pb->logical_port).first : outside;
                outs.push_back({static_cast<uint32_t>(p.pb->tunnel_key), m});
            }
            for (const auto& g : f.sb.multicast_groups)
                if (g.datapath == u) outs.push_back({static_cast<uint32_t>(g.tunnel_key), *Mac::parse("ff:ff:ff:ff:ff:ff")});
            for (const auto& [key, mac] : outs) {
                for (const Ip4& di : dips) {
                    const Bytes inner = FrameBuilder().eth(mac, outside).ipv4(*Ip4::parse("10.0.1.13"), di, 64).udp(7, 8).payload_pattern(4).build();
                    out.push_back({kUnderlay, pkt::geneve_encap(*Mac::parse("02:00:00:00:00:01"), *Mac::parse("02:00:00:00:00:02"),
                                                                Ip4{t.remote_ip}, f.cfg.encap_ip, 50000, static_cast<uint32_t>(dp->tunnel_key),
                                                                static_cast<uint16_t>(outs.front().first), static_cast<uint16_t>(key), inner)});
                }
            }
        }
    }
    return out;
}

TEST(ReferenceVsEngine, GwChassisTargetedFrames) { run_property(gw_chassis(), 3, 0, targeted); }
TEST(ReferenceVsEngine, DevBasicTargetedFrames) { run_property(dev_basic(), 4, 0, targeted); }

TEST(ReferenceVsEngine, RoutedTargetedFrames) { run_property(routed(), 5, 0, targeted); }
TEST(ReferenceVsEngine, RoutedRandomFrames) { run_property(routed(), 6, 4000); }
TEST(ReferenceVsEngine, VariedTargetedFrames) { run_property(varied(), 7, 0, targeted); }
TEST(ReferenceVsEngine, VariedRandomFrames) { run_property(varied(), 8, 4000); }
TEST(ReferenceVsEngine, GwChassisRandomFrames) { run_property(gw_chassis(), 1, 4000); }
TEST(ReferenceVsEngine, DevBasicRandomFrames) { run_property(dev_basic(), 2, 4000); }

}  // namespace
}  // namespace scs::test
