// `show`: what this daemon is and runs - version, chassis, Southbound state, ports, workers,
// the live table generation.
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "mgmt_handlers.h"

#ifndef SCS_VERSION
#define SCS_VERSION "unknown"
#endif

namespace scs::dataplane {

using mgmt::Json;

namespace {

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string mac_string(const rte_ether_addr& m) {
    const uint8_t* b = m.addr_bytes;
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4],
                       b[5]);
}

}  // namespace

Json version_json() {
    Json v = Json::object();
    v["scs_dataplane"] = SCS_VERSION;
    std::string_view dpdk = rte_version();  // "DPDK 22.11.1"
    if (dpdk.substr(0, 5) == "DPDK ") dpdk.remove_prefix(5);
    v["dpdk"] = dpdk;
    return v;
}

Json port_identity(const Port& p) {
    Json j = Json::object();
    j["id"] = p.id;
    j["name"] = p.name;
    j["role"] = role_name(p.spec.role);
    j["target"] = p.spec.target;
    return j;
}

RpcResult mgmt_show(const MgmtContext& ctx) {
    Json r = Json::object();
    r["version"] = version_json();
    r["chassis"] = ctx.cfg->chassis;
    r["pid"] = static_cast<int64_t>(getpid());
    r["southbound"] = ctx.southbound();

    const GenerationCounts gc = ctx.generations();
    Json gen = Json::object();
    const engine::Generation* live = ctx.live();  // stable: see mgmt_server.h
    gen["number"] = live ? live->number : 0;
    gen["age_s"] = live && live->created_ns
                       ? static_cast<double>(monotonic_ns() - live->created_ns) / 1e9
                       : 0.0;
    gen["datapaths"] = live ? live->datapaths.size() : 0;
    gen["published"] = gc.published;
    gen["reclaimed"] = gc.reclaimed;
    gen["pending"] = gc.pending;
    gen["build_failures"] = gc.build_failures;
    r["generation"] = std::move(gen);

    // Which lcores poll each port: from the workers' rx queue lists.
    std::map<uint16_t, std::vector<unsigned>> pollers;
    Json workers = Json::array();
    for (const Worker* w : ctx.workers) {
        Json wj = Json::object();
        wj["worker"] = w->id;
        wj["lcore"] = w->lcore;
        wj["main_lcore"] = ctx.main_is_worker;
        wj["socket"] = rte_lcore_to_socket_id(w->lcore);
        wj["tx_queue"] = w->txq;
        wj["flow_cache"] = w->flow_cache;
        Json qs = Json::array();
        for (const RxQueue& q : w->rxqs) {
            Json qj = Json::object();
            qj["port"] = q.port;
            qj["queue"] = q.queue;
            qs.push(std::move(qj));
            auto& v = pollers[q.port];
            if (v.empty() || v.back() != w->lcore) v.push_back(w->lcore);
        }
        wj["rx_queues"] = std::move(qs);
        workers.push(std::move(wj));
    }

    Json ports = Json::array();
    for (const Port& p : ctx.ports->list()) {
        Json pj = port_identity(p);
        pj["driver"] = p.driver;
        pj["device"] = p.spec.dev;
        pj["mac"] = mac_string(p.mac);
        rte_eth_link link{};
        Json lj = Json::object();
        if (rte_eth_link_get_nowait(p.id, &link) == 0) {
            lj["up"] = link.link_status == RTE_ETH_LINK_UP;
            lj["speed_mbps"] = link.link_speed;
            lj["duplex"] = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half";
            lj["autoneg"] = link.link_autoneg == RTE_ETH_LINK_AUTONEG;
        } else {
            lj["up"] = nullptr;  // the driver cannot tell
        }
        pj["link"] = std::move(lj);
        pj["rx_queues"] = p.nb_rxq;
        pj["tx_queues"] = p.nb_txq;
        pj["rx_descriptors"] = p.nb_rxd;
        pj["tx_descriptors"] = p.nb_txd;
        pj["rss"] = p.rss_hf != 0;
        Json lc = Json::array();
        for (unsigned l : pollers[p.id]) lc.push(l);
        pj["rx_lcores"] = std::move(lc);
        if (p.spec.role == Role::Provider) pj["vlan"] = p.spec.vlan;
        // A VIF's child ports (parent_port + tag), as the live tables bind them.
        if (const engine::RxBinding* rb = live ? live->rx_binding(p.id) : nullptr; rb && !rb->children.empty()) {
            Json cs = Json::array();
            for (const engine::VlanBinding& c : rb->children) {
                Json cj = Json::object();
                const engine::Datapath* dp = live->datapath(c.dp);
                cj["name"] = dp ? Json(dp->port_name(c.port)) : Json(c.port);
                cj["vlan"] = c.vlan;
                cs.push(std::move(cj));
            }
            pj["children"] = std::move(cs);
        }
        ports.push(std::move(pj));
    }
    r["ports"] = std::move(ports);
    r["workers"] = std::move(workers);
    r["main_lcore"] = rte_get_main_lcore();
    return r;
}

}  // namespace scs::dataplane
