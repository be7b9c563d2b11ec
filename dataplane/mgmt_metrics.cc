// GET /metrics: the workers' and ports' counters in the Prometheus text exposition format
// 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). Counters are the
// raw, ever-growing values (a `stats --reset` does not touch them: Prometheus computes
// rates itself and takes a drop for a restart).
#include <time.h>

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "mgmt_handlers.h"

namespace scs::dataplane {

namespace {

// Label values escape backslash, double quote and newline (the format's only escapes).
std::string label(std::string_view v) {
    std::string s;
    for (char c : v) {
        if (c == '\\')
            s += "\\\\";
        else if (c == '"')
            s += "\\\"";
        else if (c == '\n')
            s += "\\n";
        else
            s += c;
    }
    return s;
}

class Writer {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += fmt::format("# HELP scs_dp_{} {}\n# TYPE scs_dp_{} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, uint64_t v) {
        out_ += fmt::format("scs_dp_{}{}{}{} {}\n", name, labels.empty() ? "" : "{", labels,
                            labels.empty() ? "" : "}", v);
    }
    void sample(std::string_view name, std::string_view labels, double v) {
        out_ += fmt::format("scs_dp_{}{}{}{} {}\n", name, labels.empty() ? "" : "{", labels,
                            labels.empty() ? "" : "}", v);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

std::string lcore_label(const Worker& w) {
    return fmt::format("lcore=\"{}\"", w.lcore);
}

}  // namespace

std::string mgmt_metrics(const MgmtContext& ctx) {
    Writer m;
    std::vector<LcoreSample> xs;
    for (const Worker* w : ctx.workers) xs.push_back(sample_lcore(*w));

    m.family("info", "gauge", "Constant 1, labelled with the version and the chassis.");
    const mgmt::Json v = version_json();
    m.sample("info",
             fmt::format("version=\"{}\",dpdk=\"{}\",chassis=\"{}\"",
                         label(v.find("scs_dataplane")->as_string()),
                         label(v.find("dpdk")->as_string()), label(ctx.cfg->chassis)),
             uint64_t{1});

#define SCS_X(name, help)                                                        \
    m.family(#name "_total", "counter", help);                                   \
    for (std::size_t i = 0; i < ctx.workers.size(); ++i)                         \
        m.sample(#name "_total", lcore_label(*ctx.workers[i]), xs[i][LcoreCounter::name]);
    SCS_MGMT_LCORE_COUNTERS(SCS_X)
#undef SCS_X

    m.family("drops_total", "counter", "Packets dropped, by lcore and reason.");
    for (std::size_t i = 0; i < ctx.workers.size(); ++i)
        for (std::size_t r = 0; r < kDropReasonCount; ++r)
            m.sample("drops_total",
                     fmt::format("{},reason=\"{}\"", lcore_label(*ctx.workers[i]),
                                 label(drop_reason_name(static_cast<DropReason>(r)))),
                     xs[i].drops[r]);
    m.family("unimplemented_total", "counter",
             "Packets dropped at an action the engine does not implement yet, by lcore and "
             "action.");
    for (std::size_t i = 0; i < ctx.workers.size(); ++i)
        for (std::size_t u = 0; u < engine::kUnimplCount; ++u)
            m.sample("unimplemented_total",
                     fmt::format("{},action=\"{}\"", lcore_label(*ctx.workers[i]),
                                 label(engine::unimpl_name(static_cast<engine::Unimpl>(u)))),
                     xs[i].unimpl[u]);
    m.family("tsc_hz", "gauge", "TSC frequency: cycles per second of the *_cycles_total counters.");
    m.sample("tsc_hz", "", rte_get_tsc_hz());

    // The per-burst pipeline time as a Prometheus histogram. The worker's buckets are finer
    // (8 per power of two of TSC cycles); exported are the powers of two from 2^8 cycles
    // (about 0.1 us) to 2^32 (about a second), which are edges of the fine buckets, so the
    // cumulative counts are exact: bucket `le` counts bursts that took less than le.
    m.family("burst_latency_seconds", "histogram",
             "Pipeline time per received burst: from rx_burst returning its packets to the end "
             "of their transmission (excludes time queued in the NIC before the poll).");
    const double hz = static_cast<double>(rte_get_tsc_hz());
    for (std::size_t i = 0; i < ctx.workers.size(); ++i) {
        const engine::LatencySnapshot& l = xs[i].latency;
        const std::string lc = lcore_label(*ctx.workers[i]);
        uint64_t cum = 0;
        unsigned b = 0;
        for (unsigned k = 8; k <= 32; ++k) {
            const unsigned edge = engine::latency_bucket(uint64_t{1} << k);
            for (; b < edge; ++b) cum += l.n[b];
            m.sample("burst_latency_seconds_bucket",
                     fmt::format("{},le=\"{:.6g}\"", lc, static_cast<double>(uint64_t{1} << k) / hz), cum);
        }
        m.sample("burst_latency_seconds_bucket", fmt::format("{},le=\"+Inf\"", lc), l.count());
        m.sample("burst_latency_seconds_sum", lc, static_cast<double>(l.sum) / hz);
        m.sample("burst_latency_seconds_count", lc, l.count());
    }

    struct PortCounter {
        const char* name;
        const char* help;
        uint64_t rte_eth_stats::*field;
    };
    static constexpr PortCounter kPortCounters[] = {
        {"port_rx_packets_total", "Packets the device received.", &rte_eth_stats::ipackets},
        {"port_tx_packets_total", "Packets the device sent.", &rte_eth_stats::opackets},
        {"port_rx_bytes_total", "Bytes the device received.", &rte_eth_stats::ibytes},
        {"port_tx_bytes_total", "Bytes the device sent.", &rte_eth_stats::obytes},
        {"port_rx_missed_total", "Packets the device dropped for lack of rx descriptors.",
         &rte_eth_stats::imissed},
        {"port_rx_errors_total", "Erroneous received packets.", &rte_eth_stats::ierrors},
        {"port_tx_errors_total", "Failed transmissions.", &rte_eth_stats::oerrors},
        {"port_rx_nombuf_total", "Receive mbuf allocation failures.", &rte_eth_stats::rx_nombuf},
    };
    const auto& ports = ctx.ports->list();
    std::vector<rte_eth_stats> st(ports.size());
    std::vector<bool> ok(ports.size());
    std::vector<std::string> labels;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        ok[i] = rte_eth_stats_get(ports[i].id, &st[i]) == 0;
        labels.push_back(fmt::format("port=\"{}\",name=\"{}\",role=\"{}\",target=\"{}\"",
                                     ports[i].id, label(ports[i].name),
                                     role_name(ports[i].spec.role), label(ports[i].spec.target)));
    }
    for (const PortCounter& pc : kPortCounters) {
        m.family(pc.name, "counter", pc.help);
        for (std::size_t i = 0; i < ports.size(); ++i)
            if (ok[i]) m.sample(pc.name, labels[i], st[i].*pc.field);
    }
    m.family("port_link_up", "gauge", "1 if the port's link is up.");
    for (std::size_t i = 0; i < ports.size(); ++i) {
        rte_eth_link link{};
        if (rte_eth_link_get_nowait(ports[i].id, &link) == 0)
            m.sample("port_link_up", labels[i], uint64_t{link.link_status == RTE_ETH_LINK_UP});
    }

    const GenerationCounts gc = ctx.generations();
    const engine::Generation* live = ctx.live();  // stable: see mgmt_server.h
    m.family("generation", "gauge", "Number of the live table generation.");
    m.sample("generation", "", live ? live->number : uint64_t{0});
    if (live && live->created_ns) {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const uint64_t now =
            static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
        m.family("generation_age_seconds", "gauge", "Seconds since the live generation was built.");
        m.sample("generation_age_seconds", "", static_cast<double>(now - live->created_ns) / 1e9);
    }
    m.family("generations_published_total", "counter", "Table generations published.");
    m.sample("generations_published_total", "", gc.published);
    m.family("generations_reclaimed_total", "counter", "Retired table generations freed.");
    m.sample("generations_reclaimed_total", "", gc.reclaimed);
    m.family("generation_build_failures_total", "counter", "Failed table generation builds.");
    m.sample("generation_build_failures_total", "", gc.build_failures);
    return m.take();
}

}  // namespace scs::dataplane
