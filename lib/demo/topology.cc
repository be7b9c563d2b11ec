#include "demo/topology.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/builder.h"
#include "packet/layout.h"
#include "packet/proto.h"

namespace scs::demo {

using engine::ActionBuilder;
using engine::DatapathBuilder;
using engine::Field;
using engine::Match;
using engine::Pipe;
using engine::PortEntry;
using engine::PortKind;
using engine::Unimpl;

namespace {

// ovn-northd 23.03 stage names, in table order.
const std::vector<std::string> kLsIngress = {
    "ls_in_check_port_sec", "ls_in_apply_port_sec", "ls_in_lookup_fdb", "ls_in_put_fdb",
    "ls_in_pre_acl", "ls_in_pre_lb", "ls_in_pre_stateful", "ls_in_acl_hint", "ls_in_acl",
    "ls_in_qos_mark", "ls_in_qos_meter", "ls_in_lb_aff_check", "ls_in_lb", "ls_in_lb_aff_learn",
    "ls_in_pre_hairpin", "ls_in_nat_hairpin", "ls_in_hairpin", "ls_in_acl_after_lb",
    "ls_in_stateful", "ls_in_arp_rsp", "ls_in_dhcp_options", "ls_in_dhcp_response",
    "ls_in_dns_lookup", "ls_in_dns_response", "ls_in_external_port", "ls_in_l2_lkup",
    "ls_in_l2_unknown"};
const std::vector<std::string> kLsEgress = {
    "ls_out_pre_acl", "ls_out_pre_lb", "ls_out_pre_stateful", "ls_out_acl_hint", "ls_out_acl",
    "ls_out_qos_mark", "ls_out_qos_meter", "ls_out_stateful", "ls_out_check_port_sec",
    "ls_out_apply_port_sec"};
const std::vector<std::string> kLrIngress = {
    "lr_in_admission", "lr_in_lookup_neighbor", "lr_in_learn_neighbor", "lr_in_ip_input",
    "lr_in_unsnat", "lr_in_defrag", "lr_in_lb_aff_check", "lr_in_dnat", "lr_in_lb_aff_learn",
    "lr_in_ecmp_stateful", "lr_in_nd_ra_options", "lr_in_nd_ra_response", "lr_in_ip_routing_pre",
    "lr_in_ip_routing", "lr_in_ip_routing_ecmp", "lr_in_policy", "lr_in_policy_ecmp",
    "lr_in_arp_resolve", "lr_in_chk_pkt_len", "lr_in_larger_pkts", "lr_in_gw_redirect",
    "lr_in_arp_request"};
const std::vector<std::string> kLrEgress = {
    "lr_out_chk_dnat_local", "lr_out_undnat", "lr_out_post_undnat", "lr_out_snat",
    "lr_out_post_snat", "lr_out_egr_loop", "lr_out_delivery"};

enum LsIn : uint8_t { kLsInCheckPortSec = 0, kLsInApplyPortSec = 1, kLsInArpRsp = 19, kLsInL2Lkup = 25, kLsInL2Unknown = 26 };
enum LsOut : uint8_t { kLsOutCheckPortSec = 8, kLsOutApplyPortSec = 9 };
enum LrIn : uint8_t {
    kLrInAdmission = 0, kLrInLookupNeighbor = 1, kLrInLearnNeighbor = 2, kLrInIpInput = 3,
    kLrInRoutingPre = 12, kLrInRouting = 13, kLrInRoutingEcmp = 14, kLrInPolicy = 15,
    kLrInPolicyEcmp = 16, kLrInArpResolve = 17, kLrInGwRedirect = 20, kLrInArpRequest = 21
};
enum LrOut : uint8_t { kLrOutDelivery = 6 };

constexpr uint64_t kMcastBit = uint64_t{1} << 40;  // eth.src[40] / eth.dst[40]: I/G bit


Match ip4() { return Match{}.set_u64(Field::EthType, pkt::kEthTypeIpv4); }
Match arp() { return Match{}.set_u64(Field::EthType, pkt::kEthTypeArp); }

// Default-only stages: the catch-all `next;` every unused OVN stage has.
void fill_defaults(DatapathBuilder& b, Pipe pipe, std::size_t n, std::initializer_list<uint8_t> busy) {
    for (std::size_t t = 0; t < n; ++t)
        if (std::find(busy.begin(), busy.end(), t) == busy.end()) b.default_next(pipe, static_cast<uint8_t>(t));
}

}  // namespace

Result<engine::DatapathPtr> build_switch(const std::string& name, uint32_t key, const std::vector<SwitchPort>& ports) {
    DatapathBuilder b(name, key, false);
    b.stages(Pipe::Ingress, kLsIngress);
    b.stages(Pipe::Egress, kLsEgress);
    fill_defaults(b, Pipe::Ingress, kLsIngress.size(),
                  {kLsInCheckPortSec, kLsInApplyPortSec, kLsInArpRsp, kLsInL2Lkup, kLsInL2Unknown});
    fill_defaults(b, Pipe::Egress, kLsEgress.size(), {kLsOutCheckPortSec, kLsOutApplyPortSec});

    // ls_in_check_port_sec: OVN drops multicast sources and tagged frames, then asks
    // check_in_port_sec(), which ovn-controller answers from Port_Binding.port_security:
    // written out here as the per-port matches it amounts to (VIFs: their MAC only).
    {
        const Pipe P = Pipe::Ingress;
        const uint8_t T = kLsInCheckPortSec;
        b.flow(P, T, 100, Match{}.set_u64(Field::EthSrc, kMcastBit, kMcastBit), b.actions(P, T).drop().done());
        b.flow(P, T, 100, Match{}.set_u64(Field::VlanTci, 0x1000, 0x1000), b.actions(P, T).drop().done());
        const uint32_t pass = b.actions(P, T).load_bits(Field::Reg0, 15, 1, 0).next().done();
        for (const SwitchPort& p : ports) {
            Match m = Match{}.set_u64(Field::Inport, p.key);
            if (!p.is_router_port && !p.is_localnet) m.set_u64(Field::EthSrc, p.mac.u64());
            b.flow(P, T, 50, m, pass);
        }
        b.flow(P, T, 49, Match{}, b.actions(P, T).load_bits(Field::Reg0, 15, 1, 1).next().done());
        b.flow(P, kLsInApplyPortSec, 50, Match{}.set_u64(Field::Reg0, 1u << 15, 1u << 15),
               b.actions(P, kLsInApplyPortSec).drop().done());
        b.default_next(P, kLsInApplyPortSec);
    }
    // ls_in_arp_rsp: answer ARP requests for VIF addresses (OVN's ARP responder).
    b.default_next(Pipe::Ingress, kLsInArpRsp);
    // ls_in_l2_lkup / ls_in_l2_unknown
    {
        const Pipe P = Pipe::Ingress;
        const uint8_t T = kLsInL2Lkup;
        b.flow(P, T, 70, Match{}.set_u64(Field::EthDst, kMcastBit, kMcastBit),
               b.actions(P, T).load(Field::Outport, 32768).output().done());
        for (const SwitchPort& p : ports) {
            if (p.is_localnet) continue;
            b.flow(P, T, 50, Match{}.set_u64(Field::EthDst, p.mac.u64()),
                   b.actions(P, T).load(Field::Outport, p.key).output().done());
        }
        // OVN: `outport = get_fdb(eth.dst); next;` - no FDB entries here, so outport = none.
        b.flow(P, T, 0, Match{}, b.actions(P, T).load(Field::Outport, 0).next().done());
        // Unknown destinations go to the ports with address "unknown" (localnet), if any.
        const bool has_unknown = std::any_of(ports.begin(), ports.end(), [](const SwitchPort& p) { return p.is_localnet; });
        b.flow(P, kLsInL2Unknown, 50, Match{}.set_u64(Field::Outport, 0),
               has_unknown ? b.actions(P, kLsInL2Unknown).load(Field::Outport, 32769).output().done()
                           : b.actions(P, kLsInL2Unknown).drop().done());
        b.flow(P, kLsInL2Unknown, 0, Match{}, b.actions(P, kLsInL2Unknown).output().done());
    }
    // ls_out_check_port_sec / ls_out_apply_port_sec (check_out_port_sec() written out)
    {
        const Pipe P = Pipe::Egress;
        const uint8_t T = kLsOutCheckPortSec;
        const uint32_t pass = b.actions(P, T).load_bits(Field::Reg0, 15, 1, 0).next().done();
        b.flow(P, T, 100, Match{}.set_u64(Field::EthDst, kMcastBit, kMcastBit), pass);
        for (const SwitchPort& p : ports) {
            Match m = Match{}.set_u64(Field::Outport, p.key);
            if (!p.is_router_port && !p.is_localnet) m.set_u64(Field::EthDst, p.mac.u64());
            b.flow(P, T, 50, m, pass);
        }
        b.flow(P, T, 0, Match{}, b.actions(P, T).load_bits(Field::Reg0, 15, 1, 1).next().done());
        b.flow(P, kLsOutApplyPortSec, 50, Match{}.set_u64(Field::Reg0, 1u << 15, 1u << 15),
               b.actions(P, kLsOutApplyPortSec).drop().done());
        b.flow(P, kLsOutApplyPortSec, 0, Match{}, b.actions(P, kLsOutApplyPortSec).output().done());
    }
    std::vector<uint32_t> all, unknown;
    for (const SwitchPort& p : ports) {
        b.port(p.key, p.name, p.entry);
        all.push_back(p.key);
        if (p.is_localnet) unknown.push_back(p.key);
    }
    b.group(32768, "_MC_flood", all);
    if (!unknown.empty()) b.group(32769, "_MC_unknown", unknown);
    return b.build();
}

Result<engine::DatapathPtr> build_router(const std::string& name, uint32_t key,
                                         const std::vector<RouterPort>& ports,
                                         const std::vector<Neighbor>& neighbors,
                                         const std::vector<Route>& routes) {
    DatapathBuilder b(name, key, true);
    b.stages(Pipe::Ingress, kLrIngress);
    b.stages(Pipe::Egress, kLrEgress);
    fill_defaults(b, Pipe::Ingress, kLrIngress.size(),
                  {kLrInAdmission, kLrInLookupNeighbor, kLrInLearnNeighbor, kLrInIpInput, kLrInRoutingPre,
                   kLrInRouting, kLrInRoutingEcmp, kLrInPolicy, kLrInPolicyEcmp, kLrInArpResolve,
                   kLrInGwRedirect, kLrInArpRequest});
    fill_defaults(b, Pipe::Egress, kLrEgress.size(), {kLrOutDelivery});
    const Pipe P = Pipe::Ingress;

    // lr_in_admission
    b.flow(P, kLrInAdmission, 100, Match{}.set_u64(Field::VlanTci, 0x1000, 0x1000), b.actions(P, kLrInAdmission).drop().done());
    b.flow(P, kLrInAdmission, 100, Match{}.set_u64(Field::EthSrc, kMcastBit, kMcastBit), b.actions(P, kLrInAdmission).drop().done());
    for (const RouterPort& p : ports) {
        const uint32_t a = b.actions(P, kLrInAdmission).load_bits(Field::Xreg0, 0, 48, p.mac.u64()).next().done();
        b.flow(P, kLrInAdmission, 50, Match{}.set_u64(Field::EthDst, p.mac.u64()).set_u64(Field::Inport, p.key), a);
        b.flow(P, kLrInAdmission, 50, Match{}.set_u64(Field::EthDst, kMcastBit, kMcastBit).set_u64(Field::Inport, p.key), a);
    }
    b.flow(P, kLrInAdmission, 0, Match{}, b.actions(P, kLrInAdmission).drop().done());
    // lr_in_lookup_neighbor / lr_in_learn_neighbor: MAC learning is a controller matter.
    b.flow(P, kLrInLookupNeighbor, 100, arp().set_u64(Field::ArpOp, 2),
           b.actions(P, kLrInLookupNeighbor).unimplemented(Unimpl::LookupArp).done());
    for (const RouterPort& p : ports)  // ARP requests from a port's own subnet
        b.flow(P, kLrInLookupNeighbor, 100,
               arp().set_u64(Field::Inport, p.key).set_ip4_prefix(Field::Ip4Src, p.ip.v, p.plen).set_u64(Field::ArpOp, 1),
               b.actions(P, kLrInLookupNeighbor).unimplemented(Unimpl::LookupArp).done());
    b.flow(P, kLrInLookupNeighbor, 0, Match{}, b.actions(P, kLrInLookupNeighbor).load_bits(Field::Reg9, 2, 1, 1).next().done());
    b.flow(P, kLrInLearnNeighbor, 100, Match{}.set_u64(Field::Reg9, 4, 4), b.actions(P, kLrInLearnNeighbor).next().done());
    b.flow(P, kLrInLearnNeighbor, 90, arp(), b.actions(P, kLrInLearnNeighbor).unimplemented(Unimpl::PutArp).done());
    b.flow(P, kLrInLearnNeighbor, 0, Match{}, b.actions(P, kLrInLearnNeighbor).drop().done());
    // lr_in_ip_input
    for (const RouterPort& p : ports) {
        Match echo = ip4().set_u64(Field::Ip4Dst, p.ip.v).set_u64(Field::IpProto, pkt::kIpProtoIcmp)
                         .set_u64(Field::TpSrc, 8).set_u64(Field::TpDst, 0);
        b.flow(P, kLrInIpInput, 90, echo,
               b.actions(P, kLrInIpInput).exchange(Field::Ip4Dst, Field::Ip4Src).load(Field::IpTtl, 255)
                   .load(Field::TpSrc, 0).load_bits(Field::Flags, 0, 1, 1).next().done());
        b.flow(P, kLrInIpInput, 60, ip4().set_u64(Field::Ip4Dst, p.ip.v), b.actions(P, kLrInIpInput).drop().done());
        for (uint8_t ttl : {0, 1}) {
            b.flow(P, kLrInIpInput, 31,
                   ip4().set_u64(Field::Inport, p.key).set_u64(Field::IpTtl, ttl).set_u64(Field::IpFrag, 0, pkt::kFragLater),
                   b.actions(P, kLrInIpInput).unimplemented(Unimpl::Icmp).done());
        }
    }
    for (uint8_t ttl : {0, 1})
        b.flow(P, kLrInIpInput, 30, ip4().set_u64(Field::IpTtl, ttl), b.actions(P, kLrInIpInput).drop().done());
    b.default_next(P, kLrInIpInput);
    // lr_in_ip_routing_pre / lr_in_ip_routing / ecmp / policy
    b.flow(P, kLrInRoutingPre, 0, Match{}, b.actions(P, kLrInRoutingPre).load(Field::Reg7, 0).next().done());
    auto route_actions = [&](const RouterPort& out, const pkt::Ip4* nexthop) {
        ActionBuilder a = b.actions(P, kLrInRouting);
        a.dec_ttl().load_bits(Field::Reg8, 0, 16, 0);
        if (nexthop) a.load(Field::Reg0, nexthop->v);
        else a.move(Field::Reg0, Field::Ip4Dst);
        return a.load(Field::Reg1, out.ip.v).load(Field::EthSrc, out.mac.u64()).load(Field::Outport, out.key)
            .load_bits(Field::Flags, 0, 1, 1).next().done();
    };
    for (const RouterPort& p : ports)  // connected routes: priority 2 * plen + 26 (23.03)
        b.flow(P, kLrInRouting, static_cast<int32_t>(2 * p.plen + 26), ip4().set_ip4_prefix(Field::Ip4Dst, p.ip.v, p.plen),
               route_actions(p, nullptr));
    for (const Route& r : routes) {  // static routes: 2 * plen + 1, only in route table 0
        const RouterPort* out = nullptr;
        for (const RouterPort& p : ports)
            if (p.key == r.port_key) out = &p;
        if (!out) return make_error(fmt::format("router {}: route via unknown port key {}", name, r.port_key));
        b.flow(P, kLrInRouting, static_cast<int32_t>(2 * r.plen + 1),
               ip4().set_u64(Field::Reg7, 0).set_ip4_prefix(Field::Ip4Dst, r.prefix.v, r.plen), route_actions(*out, &r.nexthop));
    }
    b.flow(P, kLrInRouting, 0, Match{}, b.actions(P, kLrInRouting).drop().done());
    for (uint8_t t : {kLrInRoutingEcmp, kLrInPolicyEcmp}) {
        b.flow(P, t, 150, Match{}.set_u64(Field::Reg8, 0, 0xffff), b.actions(P, t).next().done());
        b.flow(P, t, 0, Match{}, b.actions(P, t).drop().done());
    }
    b.flow(P, kLrInPolicy, 0, Match{}, b.actions(P, kLrInPolicy).load_bits(Field::Reg8, 0, 16, 0).next().done());
    // lr_in_arp_resolve
    b.flow(P, kLrInArpResolve, 500, ip4().set_u64(Field::Ip4Dst, 0xe0000000, 0xf0000000), b.actions(P, kLrInArpResolve).next().done());
    for (const Neighbor& n : neighbors)
        b.flow(P, kLrInArpResolve, 100, ip4().set_u64(Field::Outport, n.port_key).set_u64(Field::Reg0, n.ip.v),
               b.actions(P, kLrInArpResolve).load(Field::EthDst, n.mac.u64()).next().done());
    b.flow(P, kLrInArpResolve, 1, ip4(), b.actions(P, kLrInArpResolve).unimplemented(Unimpl::GetArp).done());
    b.flow(P, kLrInArpResolve, 0, Match{}, b.actions(P, kLrInArpResolve).drop().done());
    b.default_next(P, kLrInGwRedirect);
    // lr_in_arp_request: unresolved next hops would be ARPed for by the controller.
    b.flow(P, kLrInArpRequest, 100, ip4().set_u64(Field::EthDst, 0),
           b.actions(P, kLrInArpRequest).unimplemented(Unimpl::Arp).done());
    b.flow(P, kLrInArpRequest, 0, Match{}, b.actions(P, kLrInArpRequest).output().done());
    // lr_out_delivery
    for (const RouterPort& p : ports)
        b.flow(Pipe::Egress, kLrOutDelivery, 100, Match{}.set_u64(Field::Outport, p.key),
               b.actions(Pipe::Egress, kLrOutDelivery).output().done());
    b.flow(Pipe::Egress, kLrOutDelivery, 0, Match{}, b.actions(Pipe::Egress, kLrOutDelivery).drop().done());

    for (const RouterPort& p : ports) b.port(p.key, p.name, p.entry);
    return b.build();
}

Result<std::unique_ptr<engine::Generation>> build_demo(const DemoOptions& opt) {
    using namespace addr;
    const DemoPorts& dp = opt.ports;
    auto vif = [](uint16_t port) {
        PortEntry e;
        e.kind = port == kNoPort ? PortKind::None : PortKind::Vif;
        e.tx_port = port;
        return e;
    };
    auto remote = [](uint16_t tunnel) {
        PortEntry e;
        e.kind = PortKind::Remote;
        e.tunnel = tunnel;
        return e;
    };
    auto patch = [](uint32_t peer_dp, uint32_t peer_port) {
        PortEntry e;
        e.kind = PortKind::Patch;
        e.peer_dp = peer_dp;
        e.peer_port = peer_port;
        return e;
    };
    PortEntry ln;
    ln.kind = dp.provider == kNoPort ? PortKind::None : PortKind::Localnet;
    ln.tx_port = dp.provider;
    ln.vlan = opt.provider_vlan;

    auto sw0 = build_switch("sw0", kSw0Key,
                            {{kVm1Key, "vm1", kVm1Mac, vif(dp.vm1)},
                             {kVm2Key, "vm2", kVm2Mac, vif(dp.vm2)},
                             {kVm3Key, "vm3", kVm3Mac, remote(0)},
                             {kSw0LrKey, "sw0-lr0", kLrpSw0Mac, patch(kLr0Key, kLrSw0Key), true}});
    auto sw1 = build_switch("sw1", kSw1Key,
                            {{kVm4Key, "vm4", kVm4Mac, vif(dp.vm4)},
                             {kVm5Key, "vm5", kVm5Mac, remote(0)},
                             {kSw1LrKey, "sw1-lr0", kLrpSw1Mac, patch(kLr0Key, kLrSw1Key), true}});
    auto pub = build_switch("public", kPublicKey,
                            {{kLnPublicKey, "ln-public", {}, ln, false, true},
                             {kPubLrKey, "public-lr0", kLrpPubMac, patch(kLr0Key, kLrPubKey), true}});
    std::vector<Route> routes = {{pkt::Ip4{0}, 0, kGatewayIp, kLrPubKey}};
    std::vector<Neighbor> neigh = {{kLrSw0Key, kVm1Ip, kVm1Mac}, {kLrSw0Key, kVm2Ip, kVm2Mac},
                                   {kLrSw0Key, kVm3Ip, kVm3Mac}, {kLrSw1Key, kVm4Ip, kVm4Mac},
                                   {kLrSw1Key, kVm5Ip, kVm5Mac}, {kLrPubKey, kGatewayIp, kGatewayMac}};
    for (uint32_t i = 0; i < opt.extra_routes; ++i)  // 198.18.0.0/15 benchmark space
        routes.push_back({pkt::Ip4{0xc6120000u + i}, 32, kVm4Ip, kLrSw1Key});
    auto lr0 = build_router("lr0", kLr0Key,
                            {{kLrSw0Key, "lr0-sw0", kLrpSw0Mac, kLrpSw0Ip, 24, patch(kSw0Key, kSw0LrKey)},
                             {kLrSw1Key, "lr0-sw1", kLrpSw1Mac, kLrpSw1Ip, 24, patch(kSw1Key, kSw1LrKey)},
                             {kLrPubKey, "lr0-public", kLrpPubMac, kLrpPubIp, 24, patch(kPublicKey, kPubLrKey)}},
                            neigh, routes);
    for (auto* r : {&sw0, &sw1, &pub, &lr0})
        if (!*r) return make_error(r->error());

    auto gen = std::make_unique<engine::Generation>();
    gen->number = opt.generation;
    gen->datapaths = {*sw0, *sw1, *lr0, *pub};
    gen->underlay.encap_ip = kLocalEncapIp.v;
    std::copy(kLocalUnderlayMac.b.begin(), kLocalUnderlayMac.b.end(), gen->underlay.mac);
    engine::Tunnel hv2;
    hv2.chassis = "hv2";
    hv2.remote_ip = kHv2EncapIp.v;
    std::copy(kHv2UnderlayMac.b.begin(), kHv2UnderlayMac.b.end(), hv2.next_hop_mac);
    hv2.tx_port = dp.underlay;
    gen->tunnels.push_back(hv2);
    auto bind = [&](uint16_t port, engine::RxBinding rb) {
        if (port == kNoPort) return;
        if (gen->rx.size() <= port) gen->rx.resize(port + 1);
        gen->rx[port] = std::move(rb);
    };
    bind(dp.vm1, {engine::RxRole::Vif, kSw0Key, kVm1Key, {}});
    bind(dp.vm2, {engine::RxRole::Vif, kSw0Key, kVm2Key, {}});
    bind(dp.vm4, {engine::RxRole::Vif, kSw1Key, kVm4Key, {}});
    bind(dp.underlay, {engine::RxRole::Underlay, 0, 0, {}});
    bind(dp.provider, {engine::RxRole::Provider, 0, 0, {{opt.provider_vlan, kPublicKey, kLnPublicKey}}});
    gen->index();
    return gen;
}

}  // namespace scs::demo
