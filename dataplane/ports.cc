#include "ports.h"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>
#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>

#include "dpdk_log.h"
#include "engine/tx.h"
#include "log.h"
#include "packet/proto.h"

namespace scs::dataplane {

namespace {

constexpr uint16_t kDefaultRxDesc = 1024;
constexpr uint16_t kDefaultTxDesc = 1024;
constexpr uint64_t kRssWanted = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
constexpr uint64_t kTxOffloadsWanted =
    RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
// A full-size (1500) logical frame plus Geneve's outer Eth/IPv4/UDP/Geneve/TLV needs this
// IP MTU on the underlay (the outer Ethernet header is not part of the MTU).
constexpr uint16_t kUnderlayMtu = 1500 + pkt::kGeneveEncapLen;

std::string tx_offload_names(uint64_t offloads) {
    std::string s;
    for (uint64_t bit = 1; bit; bit <<= 1) {
        if (!(offloads & bit)) continue;
        if (!s.empty()) s += ',';
        s += rte_eth_dev_tx_offload_name(bit);
    }
    return s.empty() ? "none" : s;
}

std::string mac_str(const rte_ether_addr& a) {
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof buf, &a);
    return buf;
}

// "<the driver's first error message>" (call: strerror), or just call: strerror when the
// driver said nothing at error level. Return codes are often a bare -1, so the driver's
// words are the useful part.
std::string reason(const DpdkLogCapture& log, std::string_view call, int rc) {
    const std::string why = log.summary(1);
    if (why.empty()) return fmt::format("{}: {}", call, rte_strerror(-rc));
    return fmt::format("\"{}\" ({}: {})", why, call, rte_strerror(-rc));
}

// Resolves a device name to its ethdev port: by name first, then by matching devargs
// (a PCI address may be written in a form the ethdev name does not use).
bool lookup_port(const std::string& dev, uint16_t& id) {
    if (rte_eth_dev_get_port_by_name(dev.c_str(), &id) == 0) return true;
    rte_dev_iterator it{};
    if (rte_eth_iterator_init(&it, dev.c_str()) != 0) return false;
    const uint16_t p = rte_eth_iterator_next(&it);
    rte_eth_iterator_cleanup(&it);
    if (p == RTE_MAX_ETHPORTS) return false;
    id = p;
    return true;
}

}  // namespace

Result<void> Ports::attach(const std::vector<PortSpec>& specs, unsigned workers) {
    for (const PortSpec& s : specs) {
        for (const Port& p : ports_)
            if (p.spec.dev == s.dev)
                return make_error(fmt::format("{}: device {} is already used by {}", s.describe(),
                                              s.dev, p.spec.origin));
        if (auto r = attach_one(s, workers); !r) return r;
    }
    return {};
}

Result<void> Ports::attach_one(const PortSpec& s, unsigned workers) {
    Port p;
    p.spec = s;
    const std::string where = s.describe();
    if (lookup_port(s.dev, p.id)) {
        // Created by EAL (--vdev, or a PCI device it probed): its arguments were fixed then.
        if (!s.devargs.empty())
            return make_error(fmt::format(
                "{}: device {} already exists (from an EAL --vdev/-a option?) and cannot take "
                "the arguments '{}': give them in one place only",
                where, s.dev, s.devargs));
    } else {
        DpdkLogCapture log;
        if (const int rc = rte_dev_probe(s.probe_string().c_str()); rc != 0) {
            // The driver's own complaint comes first in the log; the return code is often
            // just -1 (quoted anyway, as rte_strerror has it).
            return make_error(fmt::format("{}: device {} failed to probe: {}", where, s.dev,
                                          reason(log, "rte_dev_probe", rc)));
        }
        if (!lookup_port(s.dev, p.id))
            return make_error(
                fmt::format("{}: device {} was probed but is not an Ethernet port", where, s.dev));
        p.hotplugged = true;
    }
    for (const Port& q : ports_)
        if (q.id == p.id)
            return make_error(fmt::format("{}: device {} is port {}, already used by {}", where,
                                          s.dev, p.id, q.spec.origin));
    if (p.id >= engine::kMaxPorts) {
        if (p.hotplugged) {  // not in ports_ yet: undo the probe here
            rte_eth_dev_info info{};
            const bool have = rte_eth_dev_info_get(p.id, &info) == 0;
            rte_eth_dev_close(p.id);
            if (have && info.device) rte_dev_remove(info.device);
        }
        return make_error(
            fmt::format("{}: device {} got DPDK port id {}; the engine handles ids "
                        "below {} (too many devices?)",
                        where, s.dev, p.id, engine::kMaxPorts));
    }
    // From here on the port is ours to close, whatever fails below.
    ports_.push_back(p);
    Port& port = ports_.back();

    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(port.id, name);
    port.name = name;
    rte_eth_dev_info info{};
    if (const int rc = rte_eth_dev_info_get(port.id, &info); rc != 0)
        return make_error(
            fmt::format("{}: device {}: cannot query it: {}", where, s.dev, rte_strerror(-rc)));
    port.driver = info.driver_name ? info.driver_name : "?";
    port.device = info.device;
    if (info.max_rx_queues == 0 || info.max_tx_queues == 0)
        return make_error(
            fmt::format("{}: device {} has no {} queue: a port must both receive "
                        "and transmit",
                        where, s.dev, info.max_rx_queues == 0 ? "rx" : "tx"));
    port.rss_hf = info.flow_type_rss_offloads & kRssWanted;
    if (s.rxq) {
        if (s.rxq > info.max_rx_queues)
            return make_error(fmt::format("{}: rxq={} but device {} has at most {} rx queues",
                                          where, s.rxq, s.dev, info.max_rx_queues));
        if (s.rxq > 1 && !port.rss_hf)
            return make_error(
                fmt::format("{}: rxq={} but device {} has no IP/UDP/TCP RSS to "
                            "spread packets over queues",
                            where, s.rxq, s.dev));
        port.nb_rxq = s.rxq;
    } else {
        port.nb_rxq = port.rss_hf
                          ? static_cast<uint16_t>(std::min<unsigned>(workers, info.max_rx_queues))
                          : 1;
    }
    if (port.nb_rxq == 1) port.rss_hf = 0;
    // Every worker may transmit on every port, each on its own queue: no tx lock anywhere.
    if (s.txq) {
        if (s.txq < workers)
            return make_error(fmt::format("{}: txq={} but the {} workers need one tx queue each",
                                          where, s.txq, workers));
        if (s.txq > info.max_tx_queues)
            return make_error(fmt::format("{}: txq={} but device {} has at most {} tx queues",
                                          where, s.txq, s.dev, info.max_tx_queues));
        port.nb_txq = s.txq;
    } else {
        if (workers > info.max_tx_queues)
            return make_error(fmt::format(
                "{}: device {} has {} tx queue(s) but the {} workers need one each: use fewer "
                "worker lcores or give the device more tx queues",
                where, s.dev, info.max_tx_queues, workers));
        port.nb_txq = static_cast<uint16_t>(workers);
    }
    port.nb_rxd = kDefaultRxDesc;
    port.nb_txd = kDefaultTxDesc;
    if (const int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port.id, &port.nb_rxd, &port.nb_txd);
        rc != 0)
        return make_error(
            fmt::format("{}: device {}: descriptor limits: {}", where, s.dev, rte_strerror(-rc)));
    port.tx_offloads = info.tx_offload_capa & kTxOffloadsWanted;
    // Room for a full 1500-byte inner frame plus Geneve, when the device can take it (some,
    // e.g. net_af_packet, advertise a larger MTU than their largest frame).
    if (s.role == Role::Underlay && info.max_mtu >= kUnderlayMtu && info.min_mtu <= kUnderlayMtu &&
        info.max_rx_pktlen >= kUnderlayMtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN)
        port.mtu = kUnderlayMtu;
    if (rte_eth_macaddr_get(port.id, &port.mac) != 0) port.mac = {};
    return {};
}

uint32_t Ports::mbufs_needed(unsigned workers, unsigned lcores, unsigned cache) const {
    uint64_t n = 0;
    for (const Port& p : ports_) n += uint64_t{p.nb_rxq} * p.nb_rxd + uint64_t{p.nb_txq} * p.nb_txd;
    // In flight per worker: one rx burst and, at worst, full tx buffers on every port (flood
    // copies); then the per-lcore cache of every lcore.
    n += uint64_t{workers} * (32 + uint64_t{engine::kMaxPorts} * engine::kTxBufSize);
    n += uint64_t{lcores} * cache;
    n += 4096;  // slack: pcap infinite_rx preloads its file, PMDs hold a few mbufs
    uint64_t pow2 = 1024;
    while (pow2 - 1 < n) pow2 <<= 1;  // 2^k - 1: the mempool's best size
    return static_cast<uint32_t>(std::min<uint64_t>(pow2 - 1, uint64_t{1} << 28));
}

Result<void> Ports::start(rte_mempool* pool) {
    for (Port& p : ports_) {
        const std::string where = fmt::format("port {} ({})", p.id, p.spec.dev);
        rte_eth_conf conf{};
        if (p.rss_hf) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = p.rss_hf;  // default key
        }
        conf.txmode.offloads = p.tx_offloads;
        if (p.mtu) conf.rxmode.mtu = p.mtu;
        DpdkLogCapture log;
        if (const int rc = rte_eth_dev_configure(p.id, p.nb_rxq, p.nb_txq, &conf); rc != 0)
            return make_error(fmt::format("{}: configure with {} rx / {} tx queues: {}", where,
                                          p.nb_rxq, p.nb_txq,
                                          reason(log, "rte_eth_dev_configure", rc)));
        p.configured = true;
        rte_eth_dev_info info{};
        rte_eth_dev_info_get(p.id, &info);
        const int socket = rte_eth_dev_socket_id(p.id);
        for (uint16_t q = 0; q < p.nb_rxq; ++q) {
            rte_eth_rxconf rxc = info.default_rxconf;
            rxc.offloads = conf.rxmode.offloads;
            if (const int rc = rte_eth_rx_queue_setup(p.id, q, p.nb_rxd, socket, &rxc, pool);
                rc != 0)
                return make_error(
                    fmt::format("{}: rx queue {}: {} (too few mbufs? see "
                                "--mempool-size)",
                                where, q, reason(log, "rte_eth_rx_queue_setup", rc)));
        }
        for (uint16_t q = 0; q < p.nb_txq; ++q) {
            rte_eth_txconf txc = info.default_txconf;
            txc.offloads = conf.txmode.offloads;
            if (const int rc = rte_eth_tx_queue_setup(p.id, q, p.nb_txd, socket, &txc); rc != 0)
                return make_error(fmt::format("{}: tx queue {}: {}", where, q,
                                              reason(log, "rte_eth_tx_queue_setup", rc)));
        }
        // Logical ports have MACs of their own: the device must take every frame.
        if (const int rc = rte_eth_promiscuous_enable(p.id); rc != 0 && rc != -ENOTSUP)
            return make_error(fmt::format("{}: promiscuous mode: {}", where,
                                          reason(log, "rte_eth_promiscuous_enable", rc)));
        if (const int rc = rte_eth_dev_start(p.id); rc != 0)
            return make_error(
                fmt::format("{}: start: {}", where, reason(log, "rte_eth_dev_start", rc)));
        p.started = true;
    }
    return {};
}

void Ports::report() const {
    for (const Port& p : ports_) {
        rte_eth_link link{};
        std::string ls = "link status unknown";
        if (rte_eth_link_get_nowait(p.id, &link) == 0) {
            // rte_eth_link_to_str() is still experimental in 22.11: spelled out here.
            if (link.link_status == RTE_ETH_LINK_DOWN)
                ls = "link down";
            else
                ls = fmt::format("link up at {}, {}-duplex{}",
                                 link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN
                                     ? std::string("unknown speed")
                                     : fmt::format("{} Mbps", link.link_speed),
                                 link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half",
                                 link.link_autoneg == RTE_ETH_LINK_AUTONEG ? ", autoneg" : "");
        }
        info(
            "port {} {} ({}): {} {}, {}; {} rx queue(s){}, {} tx queue(s), {}/{} descriptors, "
            "mac {}, tx offloads {}{}",
            p.id, p.name, p.driver, role_name(p.spec.role), p.spec.target,
            p.hotplugged ? "hot-plugged" : "existing", p.nb_rxq,
            p.rss_hf ? fmt::format(" with RSS 0x{:x}", p.rss_hf) : std::string{}, p.nb_txq,
            p.nb_rxd, p.nb_txd, mac_str(p.mac), tx_offload_names(p.tx_offloads),
            p.mtu ? fmt::format(", mtu {}", p.mtu) : std::string{});
        info("port {} {}: {}", p.id, p.name, ls);
    }
}

void Ports::close() {
    for (Port& p : ports_) {
        if (p.started) rte_eth_dev_stop(p.id);
        p.started = false;
        // Closing flushes what a PMD buffers (net_pcap writes out its tx file).
        if (p.configured || p.hotplugged) rte_eth_dev_close(p.id);
        p.configured = false;
        if (p.hotplugged && p.device) rte_dev_remove(p.device);
        p.hotplugged = false;
        p.device = nullptr;
    }
    ports_.clear();
}

std::vector<std::vector<RxQueue>> Ports::spread_rx_queues(unsigned workers) const {
    std::vector<std::vector<RxQueue>> out(workers);
    unsigned w = 0;
    for (const Port& p : ports_)
        for (uint16_t q = 0; q < p.nb_rxq; ++q) out[w++ % workers].push_back({p.id, q});
    return out;
}

const Port* Ports::find_role(Role r, std::string_view target) const {
    for (const Port& p : ports_)
        if (p.spec.role == r && (target.empty() || p.spec.target == target)) return &p;
    return nullptr;
}

}  // namespace scs::dataplane
