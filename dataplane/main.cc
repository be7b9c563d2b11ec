// scs-dataplane: EAL initialisation, wiring of ports, tables, workers and the control
// thread, and the exit status (0 clean stop, 1 DPDK/environment failure, 2 bad command line,
// config file or device).
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "control.h"
#include "dpdk_log.h"
#include "log.h"
#include "mgmt_server.h"
#include "options.h"
#include "ports.h"
#include "rcu/qsbr.h"
#include "topology.h"
#ifdef SCS_HAVE_SOUTHBOUND
#include "southbound.h"
#endif
#include "worker.h"

namespace scs::dataplane {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr unsigned kMempoolCache = 256;

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    return buf;
}

struct MempoolDeleter {
    void operator()(rte_mempool* p) const { rte_mempool_free(p); }
};

Bindings bindings_from(const Ports& ports) {
    Bindings b;
    for (const Port& p : ports.list()) {
        const PortSpec& s = p.spec;
        switch (s.role) {
            case Role::Vif:
                if (s.target == "vm1") b.ports.vm1 = p.id;
                if (s.target == "vm2") b.ports.vm2 = p.id;
                if (s.target == "vm4") b.ports.vm4 = p.id;
                break;
            case Role::Underlay:
                b.ports.underlay = p.id;
                b.encap_ip = s.encap_ip;
                if (s.mac)
                    b.underlay_mac = *s.mac;
                else
                    std::copy(std::begin(p.mac.addr_bytes), std::end(p.mac.addr_bytes),
                              b.underlay_mac.b.begin());
                if (s.gateway_mac) b.gateway_mac = *s.gateway_mac;
                b.outer_ip_csum_offload = (p.tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
                break;
            case Role::Provider:
                b.ports.provider = p.id;
                b.provider_vlan = s.vlan;
                break;
        }
    }
    return b;
}

void* control_thread(void* arg) {
    static_cast<Control*>(arg)->run();
    return nullptr;
}

// Everything between EAL init and EAL cleanup. Objects are declared so that they are torn
// down in the safe order: workers stopped before tables, ports closed before the pool.
int run(const Config& cfg) {
    std::vector<unsigned> worker_lcores;
    unsigned lcore = 0;
    RTE_LCORE_FOREACH_WORKER(lcore) worker_lcores.push_back(lcore);
    const bool main_is_worker = worker_lcores.empty();
    if (main_is_worker) worker_lcores.push_back(rte_get_main_lcore());
    const auto n_workers = static_cast<unsigned>(worker_lcores.size());

    std::unique_ptr<rte_mempool, MempoolDeleter> pool;
    Ports ports;
    if (auto r = ports.attach(cfg.ports, n_workers); !r) {
        error_line(r.error());
        return kExitUsage;
    }
    const uint32_t n_mbufs = cfg.mempool_size
                                 ? cfg.mempool_size
                                 : ports.mbufs_needed(n_workers, rte_lcore_count(), kMempoolCache);
    pool.reset(rte_pktmbuf_pool_create("scs_mbufs", n_mbufs, kMempoolCache, 0,
                                       RTE_MBUF_DEFAULT_BUF_SIZE,
                                       static_cast<int>(rte_socket_id())));
    if (!pool) {
        error_line(
            fmt::format("cannot create a pool of {} mbufs: {} (give EAL more memory with -m, "
                        "or set --mempool-size)",
                        n_mbufs, rte_strerror(rte_errno)));
        return kExitFailure;
    }
    if (auto r = ports.start(pool.get()); !r) {
        error_line(r.error());
        return kExitFailure;
    }
    ports.report();

    const Bindings bindings = bindings_from(ports);
    std::unique_ptr<GenerationSource> source;
#ifdef SCS_HAVE_SOUTHBOUND
    SouthboundSource* southbound = nullptr;
    if (!cfg.sb_remote.empty()) {
        auto sb = SouthboundSource::create(cfg, ports);
        if (!sb) {
            error_line(sb.error());
            return kExitUsage;
        }
        southbound = sb->get();
        source = std::move(*sb);
    }
#endif
    if (!source) source = std::make_unique<TopologySource>(bindings);
    if (bindings.ports.underlay != demo::kNoPort)
        info("Geneve outer IPv4 checksum: {}", bindings.outer_ip_csum_offload
                                                   ? "offloaded to the underlay port"
                                                   : "computed in software");
    if (!cfg.flow_cache) info("flow cache off (--no-flow-cache): every packet walks the pipeline");
    rcu::Qsbr qsbr(n_workers);
    Tables tables(qsbr);
    TablePublisher publisher(qsbr, tables, n_workers);
    std::atomic<bool> stop_workers{false};

    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<Worker*> worker_ptrs;
    const auto rxqs = ports.spread_rx_queues(n_workers);
    for (unsigned i = 0; i < n_workers; ++i) {
        auto w = std::make_unique<Worker>();
        w->id = i;
        w->lcore = worker_lcores[i];
        w->txq = static_cast<uint16_t>(i);
        w->flow_cache = cfg.flow_cache;
        w->rxqs = rxqs[i];
        w->pool = pool.get();
        w->qsbr = &qsbr;
        w->tables = &tables;
        w->stop = &stop_workers;
        std::string qs;
        for (const RxQueue& q : w->rxqs) qs += fmt::format(" {}/{}", q.port, q.queue);
        info("worker {} on lcore {}{}: rx port/queue{}", i, w->lcore,
             main_is_worker ? " (main)" : "", qs.empty() ? " none" : qs);
        worker_ptrs.push_back(w.get());
        workers.push_back(std::move(w));
    }

    Control control({cfg.stats_interval, cfg.duration, cfg.republish_ms, cfg.sb_remote.empty() ? 50u : 5u}, *source,
                    publisher, worker_ptrs, ports, stop_workers);
    if (auto r = control.publish_initial(); !r) {
        error_line(fmt::format("building the initial table generation: {}", r.error()));
        return kExitFailure;
    }
    info("chassis {}: {}, generation #1 published; {} worker(s), {} port(s), {} mbufs", cfg.chassis,
         cfg.sb_remote.empty() ? std::string("demo topology") : fmt::format("OVN Southbound {}", cfg.sb_remote), n_workers,
         ports.list().size(), n_mbufs);
    std::function<mgmt::Json()> southbound_status;
    std::function<const compiler::CompileReport*()> compile_report;
#ifdef SCS_HAVE_SOUTHBOUND
    if (southbound) {
        southbound_status = [southbound] { return southbound->status_json(); };
        compile_report = [southbound] { return &southbound->report(); };
    }
#endif
    MgmtServer mgmt({.cfg = &cfg, .ports = &ports, .workers = worker_ptrs,
                     .main_is_worker = main_is_worker, .tables = &tables,
                     .generations = [&control] { return control.counts(); }, .southbound = southbound_status,
                     .compile_report = compile_report});
#ifdef SCS_HAVE_SOUTHBOUND
    if (southbound) register_southbound_methods(mgmt, *southbound, tables, ports, pool.get());
#endif
    if (auto r = mgmt.open(); !r) {
        error_line(r.error());
        return kExitFailure;
    }
    control.set_idle([&mgmt](auto until) { mgmt.serve_until(until); });

    if (main_is_worker) {
        // One lcore: the worker owns it; the control loop runs in a control thread, which
        // DPDK places on the CPUs not given to lcores (or shares the main one).
        pthread_t tid{};
        if (const int rc =
                rte_ctrl_thread_create(&tid, "scs-control", nullptr, control_thread, &control);
            rc != 0) {
            error_line(fmt::format("cannot create the control thread: {}", rte_strerror(rc)));
            return kExitFailure;
        }
        worker_main(workers[0].get());
        pthread_join(tid, nullptr);
    } else {
        for (const auto& w : workers) {
            if (const int rc = rte_eal_remote_launch(worker_main, w.get(), w->lcore); rc != 0) {
                // Cannot happen for idle lcores; stop whatever did start before bailing out.
                stop_workers.store(true, std::memory_order_relaxed);
                rte_eal_mp_wait_lcore();
                error_line(fmt::format("cannot launch a worker on lcore {}: {}", w->lcore,
                                       rte_strerror(-rc)));
                return kExitFailure;
            }
        }
        control.run();
        rte_eal_mp_wait_lcore();
    }

    source->shutdown();
    control.retire_all();
    control.printer().final_report(stdout, control.run_seconds(), cfg.chassis, control.counts());
    ports.close();
    return kExitOk;
}

int daemon_main(int argc, char** argv) {
    const char* prog = argc > 0 ? argv[0] : kProg;
    std::vector<std::string> eal_args, our_args;
    bool separator = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (!separator && a == "--") {
            separator = true;
            continue;
        }
        (separator ? our_args : eal_args).push_back(a);
    }
    // --help anywhere (also without `--`) is ours, before EAL sees anything.
    for (const std::string& a : eal_args) {
        if (a == "--help" || a == "-h") {
            std::fputs(usage(prog).c_str(), stdout);
            return kExitOk;
        }
        if (is_daemon_option(a)) {
            error_line(fmt::format("option '{}' belongs after `--`: {} [EAL options] -- [options]",
                                   a, prog));
            return kExitUsage;
        }
    }
    auto parsed = parse_options(our_args);
    if (!parsed) {
        error_line(parsed.error());
        return kExitUsage;
    }
    Config& cfg = *parsed;
    if (cfg.help) {
        std::fputs(usage(prog).c_str(), stdout);
        return kExitOk;
    }
    if (cfg.ports.empty()) {
        error_line("no ports: give at least one --port ROLE=...,dev=DEVICE (see --help)");
        return kExitUsage;
    }
    if (cfg.chassis.empty()) cfg.chassis = host_name();
#ifndef SCS_HAVE_SOUTHBOUND
    if (!cfg.sb_remote.empty()) {
        error_line("--sb: this build has no Southbound support (Open vSwitch's library was not found at build time)");
        return kExitUsage;
    }
#endif
    if (auto r = cfg.sb_remote.empty() ? check_roles(cfg) : Result<void>{}; !r) {
        error_line(r.error());
        return kExitUsage;
    }

    // DPDK's log to stdout: stderr is kept for the one line that says why we failed.
    install_dpdk_log_tap();
    std::vector<char*> eal_argv;
    eal_argv.push_back(const_cast<char*>(prog));
    for (std::string& a : eal_args) eal_argv.push_back(a.data());
    eal_argv.push_back(nullptr);
    int eal_rc = 0;
    {
        DpdkLogCapture log;
        eal_rc = with_stderr_on_stdout(
            [&] { return rte_eal_init(static_cast<int>(eal_argv.size() - 1), eal_argv.data()); });
        if (eal_rc < 0) {
            const std::string why = log.summary(3);
            error_line(
                fmt::format("DPDK EAL initialisation failed: {} (rte_eal_init: {}; EAL's "
                            "messages are on stdout; without hugepages use --no-huge -m 512)",
                            why.empty() ? "see stdout" : why, rte_strerror(rte_errno)));
            return kExitFailure;
        }
    }
    // From here on SIGINT/SIGTERM mean "stop cleanly": a signal during start-up lets the
    // ports come up and the control loop then stops at once, closing everything in order.
    install_signal_handlers();
    int rc = kExitFailure;
    try {
        rc = run(cfg);
    } catch (const std::exception& e) {  // allocation failures while wiring up
        error_line(fmt::format("internal error: {}", e.what()));
        rc = kExitFailure;
    }
    rte_eal_cleanup();
    return rc;
}

}  // namespace
}  // namespace scs::dataplane

int main(int argc, char** argv) {
    try {
        return scs::dataplane::daemon_main(argc, argv);
    } catch (const std::exception& e) {  // out of memory parsing the command line, ...
        std::fprintf(stderr, "%s: error: internal error: %s\n", scs::dataplane::kProg, e.what());
    } catch (...) {
        std::fprintf(stderr, "%s: error: internal error\n", scs::dataplane::kProg);
    }
    return 1;
}
