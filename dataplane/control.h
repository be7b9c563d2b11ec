// The control thread: publishes table generations (the initial one before any worker
// starts, then - with --republish-ms - a fresh one every N ms while traffic flows), reclaims
// retired generations once every worker has passed a quiescent state, prints periodic
// counters, and decides when to stop (SIGINT/SIGTERM or --duration).
//
// It is the only thread that publishes, so the live generation it reads back with
// acquire() cannot change under it. Signal handlers only set an atomic flag, which this
// loop polls.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "engine/generation.h"
#include "live_tables.h"
#include "ports.h"
#include "rcu/qsbr.h"
#include "stats_print.h"
#include "source.h"
#include "worker.h"

namespace scs::dataplane {

// SIGINT and SIGTERM set a flag that Control::run() polls.
void install_signal_handlers();
// The signal that asked us to stop, or 0.
int stop_signal();

class Control {
  public:
    struct Settings {
        double stats_interval = 0;  // seconds, 0 = off
        double duration = 0;        // seconds, 0 = until a signal
        uint32_t republish_ms = 0;  // 0 = off
        uint32_t poll_ms = 50;      // longest nap: how soon a signal or an update is seen
    };

    Control(const Settings& s, GenerationSource& source, TablePublisher& tables,
            std::span<Worker* const> workers, const Ports& ports, std::atomic<bool>& stop_workers);

    // Generation 1; must succeed before any worker starts.
    Result<void> publish_initial();
    // Until a signal or the duration; then tells the workers to stop (does not wait).
    void run();
    // After every worker has returned: retires the live generation and frees everything
    // retired (no worker is online, so this does not wait).
    void retire_all();

    // What the loop does while it waits (instead of sleeping until the time it is given):
    // the management server's poll (mgmt_server.h). It must return by that time.
    void set_idle(std::function<void(std::chrono::steady_clock::time_point)> f) {
        idle_ = std::move(f);
    }

    GenerationCounts counts() const;
    double run_seconds() const;
    StatsPrinter& printer() { return printer_; }

  private:
    void republish();
    void poll_source();
    void reclaim();

    Settings s_;
    GenerationSource& source_;
    TablePublisher& tables_;
    std::atomic<bool>& stop_workers_;
    StatsPrinter printer_;
    std::function<void(std::chrono::steady_clock::time_point)> idle_;
    uint64_t published_ = 0;
    uint64_t reclaimed_ = 0;
    uint64_t build_failures_ = 0;
    uint64_t live_number_ = 0;
    std::chrono::steady_clock::time_point start_{}, end_{};
};

}  // namespace scs::dataplane
