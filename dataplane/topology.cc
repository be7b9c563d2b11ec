#include "topology.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace scs::dataplane {

namespace {

constexpr std::array<std::string_view, 3> kLocalVifs = {"vm1", "vm2", "vm4"};
constexpr std::array<std::string_view, 2> kRemoteVifs = {"vm3", "vm5"};
constexpr std::string_view kPhysnet = "physnet1";
constexpr std::string_view kRemoteChassis = "hv2";

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

Result<void> check_roles(const Config& cfg) {
    if (cfg.chassis == kRemoteChassis)
        return make_error(
            fmt::format("--chassis {}: that is the demo topology's remote chassis; "
                        "pick another name",
                        cfg.chassis));
    const PortSpec* seen_underlay = nullptr;
    const PortSpec* seen_provider = nullptr;
    std::vector<const PortSpec*> seen_vif;
    for (const PortSpec& p : cfg.ports) {
        switch (p.role) {
            case Role::Vif: {
                const bool local =
                    std::find(kLocalVifs.begin(), kLocalVifs.end(), p.target) != kLocalVifs.end();
                if (!local) {
                    const bool remote = std::find(kRemoteVifs.begin(), kRemoteVifs.end(),
                                                  p.target) != kRemoteVifs.end();
                    return make_error(fmt::format(
                        "{}: vif={}: {} in the demo topology; local logical ports are vm1, vm2, "
                        "vm4",
                        p.describe(), p.target,
                        remote ? "that logical port is bound to chassis hv2"
                               : "no such logical port"));
                }
                for (const PortSpec* q : seen_vif)
                    if (q->target == p.target)
                        return make_error(fmt::format("{}: vif={} is already bound by {}",
                                                      p.describe(), p.target, q->origin));
                seen_vif.push_back(&p);
                break;
            }
            case Role::Underlay:
                if (seen_underlay)
                    return make_error(
                        fmt::format("{}: a second underlay port ({} has one); the "
                                    "demo topology has one encapsulation IP",
                                    p.describe(), seen_underlay->origin));
                if (p.encap_ip == demo::addr::kHv2EncapIp)
                    return make_error(
                        fmt::format("{}: underlay={} is the remote chassis hv2's "
                                    "encapsulation IP; ours is usually {}",
                                    p.describe(), p.target, demo::addr::kLocalEncapIp.str()));
                if (p.encap_ip.v == 0 || (p.encap_ip.v >> 28) >= 0xe)
                    return make_error(fmt::format("{}: underlay={} is not a unicast address",
                                                  p.describe(), p.target));
                seen_underlay = &p;
                break;
            case Role::Provider:
                if (p.target != kPhysnet)
                    return make_error(
                        fmt::format("{}: provider={}: the demo topology's only "
                                    "provider network is {}",
                                    p.describe(), p.target, kPhysnet));
                if (seen_provider)
                    return make_error(fmt::format("{}: provider={} is already bound by {}",
                                                  p.describe(), p.target, seen_provider->origin));
                seen_provider = &p;
                break;
        }
    }
    return {};
}

Result<std::unique_ptr<engine::Generation>> TopologySource::build(uint64_t number) {
    demo::DemoOptions o;
    o.ports = b_.ports;
    o.provider_vlan = b_.provider_vlan;
    o.generation = number;
    auto g = demo::build_demo(o);
    if (!g) return make_error(fmt::format("demo topology: {}", g.error()));
    engine::Generation& gen = **g;
    // Our end of the underlay as configured; index() rebuilds the tunnel header templates.
    gen.underlay.encap_ip = b_.encap_ip.v;
    std::copy(b_.underlay_mac.b.begin(), b_.underlay_mac.b.end(), gen.underlay.mac);
    for (engine::Tunnel& t : gen.tunnels) {  // every tunnel leaves by the one underlay port
        std::copy(b_.gateway_mac.b.begin(), b_.gateway_mac.b.end(), t.next_hop_mac);
        t.hw_ip_csum = b_.outer_ip_csum_offload;
    }
    gen.index();
    gen.created_ns = monotonic_ns();
    return g;
}

Result<std::unique_ptr<engine::Generation>> TopologySource::initial() {
    return build(++number_);
}

Result<std::unique_ptr<engine::Generation>> TopologySource::next(const engine::Generation& live) {
    auto g = build(++number_);
    if (!g) return g;
    engine::Generation& gen = **g;
    if (gen.datapaths.size() == live.datapaths.size() && !gen.datapaths.empty()) {
        const std::size_t fresh = rotate_++ % gen.datapaths.size();
        for (std::size_t i = 0; i < gen.datapaths.size(); ++i) {
            // Same datapath (same tunnel key) in the same slot: share the live one.
            if (i != fresh && gen.datapaths[i]->tunnel_key == live.datapaths[i]->tunnel_key)
                gen.datapaths[i] = live.datapaths[i];
        }
        gen.index();
    }
    return g;
}

}  // namespace scs::dataplane
