// Control-plane benchmarks: the big Southbound they run on and the changes they apply to it.
//
// The Southbound is generated once by a real OVN (ovsdb-server + ovn-northd) and cached, not
// committed (48 MB):
//     python3 tools/ovn/topologies.py --switches 120 --ports 200 --routers 10 --acls 5
//         --routes 100 --dump ~/.cache/scs-dataplane/sb-101k.json   (one command line)
// (101,555 logical flows, 24,240 port bindings, 130 datapaths; ~40 s). SCS_BENCH_SB names
// another file. Switch s is ls<s> (10.(100+s/256).(s%256).0/24, port p is ls<s>-p<p> at .p+2
// with MAC 0a:<s>:<p+1>), hung on router lr<s % 10> through lr<r>-ls<s>.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "compiler/chassis_view.h"
#include "ovsdb/sb_types.h"

namespace scs::bench {

inline std::string sb_path() {
    if (const char* p = std::getenv("SCS_BENCH_SB"); p && *p) return p;
    const char* home = std::getenv("HOME");
    return fmt::format("{}/.cache/scs-dataplane/sb-101k.json", home ? home : "");
}

inline std::string sb_missing_message() {
    return fmt::format(
        "{} not found: generate it once with `python3 tools/ovn/topologies.py --switches 120 --ports 200 "
        "--routers 10 --acls 5 --routes 100 --dump {}` (or set SCS_BENCH_SB)",
        sb_path(), sb_path());
}

// One chassis with every datapath local: the first VIF of switches ls0..ls<routers-1> on
// DPDK ports 0.., one per router; patch ports make each router and all its switches local.
inline compiler::LocalConfig all_local(const ovsdb::Snapshot& sb) {
    compiler::LocalConfig c;
    c.chassis = "bench-chassis";
    std::size_t routers = 0;
    for (const auto& d : sb.datapaths) routers += d.is_router() ? 1 : 0;
    for (std::size_t r = 0; r < routers && r < 30; ++r) c.vifs[fmt::format("ls{}-p0", r)] = static_cast<uint16_t>(r);
    c.underlay_port = 31;
    return c;
}

inline const ovsdb::DatapathBinding* datapath_named(const ovsdb::Snapshot& sb, const std::string& name) {
    for (const auto& d : sb.datapaths)
        if (d.name == name) return &d;
    return nullptr;
}

inline ovsdb::Uuid bench_uuid(uint32_t kind, uint32_t n) {
    ovsdb::Uuid u;
    u.parts = {0x5c5be9c4u, kind, n, 0x0badcafeu};
    return u;
}

inline ovsdb::LogicalFlow lflow(const ovsdb::Uuid& uuid, const ovsdb::Uuid& dp, uint8_t table, uint16_t prio,
                                std::string stage, std::string match, std::string actions) {
    ovsdb::LogicalFlow f;
    f.uuid = uuid;
    f.logical_datapath = dp;
    f.pipeline = ovsdb::Pipeline::Ingress;
    f.table_id = table;
    f.priority = prio;
    f.stage_name = std::move(stage);
    f.match = std::move(match);
    f.actions = std::move(actions);
    return f;
}

inline uint8_t stage_table(const ovsdb::Snapshot& sb, const ovsdb::Uuid& dp, const std::string& stage) {
    for (const auto& f : sb.logical_flows)
        if (f.logical_datapath == dp && f.stage_name == stage) return f.table_id;
    return 0;
}

// What ovn-northd (23.03) writes for one more VM port ls<s>-p<p> on switch s of router
// lr<s % routers> (found by diffing a real Southbound): the Port_Binding, ARP responder and
// L2 lookup flows in the switch, the ARP resolve flow in the router, and the port in the
// switch's _MC_flood group. Returns false if the topology is not the generated one.
inline bool add_port(ovsdb::Snapshot& sb, unsigned s, unsigned p, unsigned routers) {
    const ovsdb::DatapathBinding* ls = datapath_named(sb, fmt::format("ls{}", s));
    const ovsdb::DatapathBinding* lr = datapath_named(sb, fmt::format("lr{}", s % routers));
    if (!ls || !lr) return false;
    const ovsdb::Uuid lsu = ls->uuid, lru = lr->uuid;
    const std::string name = fmt::format("ls{}-p{}", s, p);
    const std::string mac = fmt::format("0a:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (s >> 8) & 0xff, s & 0xff,
                                        ((p + 1) >> 16) & 0xff, ((p + 1) >> 8) & 0xff, (p + 1) & 0xff);
    const std::string ip = fmt::format("10.{}.{}.{}", 100 + (s >> 8), s & 0xff, (p + 2) % 256);
    int64_t key = 0;
    for (const auto& pb : sb.ports)
        if (pb.datapath == lsu) key = std::max(key, pb.tunnel_key);
    ovsdb::PortBinding pb;
    pb.uuid = bench_uuid(1, s * 1000 + p);
    pb.logical_port = name;
    pb.tunnel_key = key + 1;
    pb.datapath = lsu;
    pb.mac = {mac + " " + ip};
    pb.port_security = pb.mac;
    const uint8_t arp_rsp = stage_table(sb, lsu, "ls_in_arp_rsp"), l2 = stage_table(sb, lsu, "ls_in_l2_lkup");
    const uint8_t arp_res = stage_table(sb, lru, "lr_in_arp_resolve");
    const uint32_t n = s * 1000 + p;
    sb.logical_flows.push_back(lflow(bench_uuid(2, n), lsu, arp_rsp, 50, "ls_in_arp_rsp",
                                     fmt::format("arp.tpa == {} && arp.op == 1", ip),
                                     fmt::format("eth.dst = eth.src; eth.src = {0}; arp.op = 2; /* ARP reply */ "
                                                 "arp.tha = arp.sha; arp.sha = {0}; arp.tpa = arp.spa; arp.spa = "
                                                 "{1}; outport = inport; flags.loopback = 1; output;",
                                                 mac, ip)));
    sb.logical_flows.push_back(lflow(bench_uuid(3, n), lsu, arp_rsp, 100, "ls_in_arp_rsp",
                                     fmt::format("arp.tpa == {} && arp.op == 1 && inport == \"{}\"", ip, name),
                                     "next;"));
    sb.logical_flows.push_back(lflow(bench_uuid(4, n), lsu, l2, 50, "ls_in_l2_lkup", fmt::format("eth.dst == {}", mac),
                                     fmt::format("outport = \"{}\"; output;", name)));
    sb.logical_flows.push_back(lflow(bench_uuid(5, n), lru, arp_res, 100, "lr_in_arp_resolve",
                                     fmt::format("outport == \"lr{}-ls{}\" && reg0 == {}", s % routers, s, ip),
                                     fmt::format("eth.dst = {}; next;", mac)));
    for (auto& g : sb.multicast_groups)
        if (g.datapath == lsu && g.name == "_MC_flood") {
            g.ports.push_back(name);
            g.ports_hash = 0;  // edited in place
        }
    sb.ports.push_back(std::move(pb));
    return true;
}

// One more static route on router lr<r>: ip4.dst == 172.17.<k/250>.<k%250+1>/32 via the
// first switch's subnet, as ovn-northd writes it into lr_in_ip_routing.
inline bool add_route(ovsdb::Snapshot& sb, unsigned r, unsigned k) {
    const ovsdb::DatapathBinding* lr = datapath_named(sb, fmt::format("lr{}", r));
    if (!lr) return false;
    const ovsdb::Uuid lru = lr->uuid;
    const unsigned s = r;  // ls<r> hangs on lr<r>
    const std::string mac = fmt::format("0a:{:02x}:{:02x}:00:ff:f0", (s >> 8) & 0xff, s & 0xff);
    sb.logical_flows.push_back(
        lflow(bench_uuid(6, r * 100000 + k), lru, stage_table(sb, lru, "lr_in_ip_routing"), 97, "lr_in_ip_routing",
              fmt::format("ip4.dst == 172.17.{}.{}/32", k / 250, k % 250 + 1),
              fmt::format("ip.ttl--; reg8[0..15] = 0; reg0 = 10.{0}.{1}.254; reg1 = 10.{0}.{1}.1; eth.src = {2}; "
                          "outport = \"lr{3}-ls{4}\"; flags.loopback = 1; next;",
                          100 + (s >> 8), s & 0xff, mac, r, s)));
    return true;
}

// One more security-group rule on switch ls<s>, as ovn-northd writes an OpenStack security
// group rule allowing TCP port 2200+k from 10.9.<k/250>.<k%250+1> to the switch's first VM
// (a stateful ACL in ls_in_acl, its verdict through the conntrack registers).
inline bool add_acl(ovsdb::Snapshot& sb, unsigned s, unsigned k) {
    const ovsdb::DatapathBinding* ls = datapath_named(sb, fmt::format("ls{}", s));
    if (!ls) return false;
    const ovsdb::Uuid lsu = ls->uuid;
    sb.logical_flows.push_back(lflow(
        bench_uuid(7, s * 100000 + k), lsu, stage_table(sb, lsu, "ls_out_acl"), 2002, "ls_out_acl",
        fmt::format("reg0[7] == 1 && (outport == \"ls{}-p0\" && ip4 && ip4.src == 10.9.{}.{} && tcp && tcp.dst == {})", s,
                    k / 250, k % 250 + 1, 2200 + k % 1000),
        "reg0[1] = 1; next;"));
    return true;
}

}  // namespace scs::bench
