#include "control.h"

#include <signal.h>

#include <algorithm>
#include <thread>

#include "log.h"

namespace scs::dataplane {

namespace {

// Written by the signal handler, read by the control loop. A lock-free atomic is
// async-signal-safe; relaxed is enough, it carries no other data.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
    g_signal.store(sig, std::memory_order_relaxed);
}

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Longest sleep of the control loop: how quickly it notices a signal.
constexpr auto kMaxNap = std::chrono::milliseconds(50);

}  // namespace

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal() {
    return g_signal.load(std::memory_order_relaxed);
}

Control::Control(const Settings& s, GenerationSource& source,
                 TablePublisher& tables, std::span<Worker* const> workers,
                 const Ports& ports, std::atomic<bool>& stop_workers)
    : s_(s),
      source_(source),
      tables_(tables),
      stop_workers_(stop_workers),
      printer_(workers, ports) {}

Result<void> Control::publish_initial() {
    auto g = source_.initial();
    if (!g) return make_error(g.error());
    live_number_ = (*g)->number;
    tables_.publish(std::move(*g));
    ++published_;
    return {};
}

void Control::reclaim() {
    reclaimed_ += tables_.reclaim();
}

void Control::republish() {
    const engine::Generation* live = tables_.live();  // stable: we are the only publisher
    auto g = source_.next(*live);
    if (!g) {
        if (build_failures_++ == 0)
            info("generation rebuild failed (keeping #{}): {}", live_number_, g.error());
        return;
    }
    live_number_ = (*g)->number;
    tables_.publish(std::move(*g));
    ++published_;
}

void Control::poll_source() {
    auto g = source_.poll();
    if (!g) {
        ++build_failures_;
        return;
    }
    if (!*g) return;
    live_number_ = (*g)->number;
    tables_.publish(std::move(*g));
    ++published_;
}

void Control::run() {
    start_ = Clock::now();
    const auto deadline =
        s_.duration > 0 ? std::optional(start_ + seconds(s_.duration)) : std::nullopt;
    const auto republish_every = std::chrono::milliseconds(s_.republish_ms);
    const auto stats_every = seconds(s_.stats_interval);
    auto next_republish = start_ + republish_every;
    auto next_stats = start_ + stats_every;
    if (s_.republish_ms) info("republishing the generation every {} ms", s_.republish_ms);
    while (stop_signal() == 0) {
        auto now = Clock::now();
        if (deadline && now >= *deadline) break;
        if (s_.republish_ms && now >= next_republish) {
            republish();
            // Keep the cadence, but never try to catch up on missed rounds.
            next_republish = std::max(next_republish + republish_every, now);
        }
        poll_source();
        reclaim();
        if (s_.stats_interval > 0 && now >= next_stats) {
            printer_.periodic(stdout, counts());
            next_stats += stats_every;
            if (next_stats < now) next_stats = now + stats_every;
        }
        auto wake = now + std::min<Clock::duration>(kMaxNap, std::chrono::milliseconds(std::max<uint32_t>(s_.poll_ms, 1)));
        if (deadline) wake = std::min(wake, *deadline);
        if (s_.republish_ms) wake = std::min(wake, next_republish);
        if (s_.stats_interval > 0) wake = std::min(wake, next_stats);
        if (idle_)
            idle_(wake);
        else
            std::this_thread::sleep_until(wake);
    }
    end_ = Clock::now();
    if (const int sig = stop_signal())
        info("stopping on signal {} ({})", sig, sig == SIGINT ? "SIGINT" : "SIGTERM");
    else
        info("stopping after {:.3g} s (--duration)", s_.duration);
    // Relaxed: see worker.h; the workers' return is what the caller then waits for.
    stop_workers_.store(true, std::memory_order_relaxed);
}

void Control::retire_all() {
    // Retire the live generation too, so every generation published is accounted for.
    reclaimed_ += tables_.retire_all();
}

GenerationCounts Control::counts() const {
    GenerationCounts c;
    c.published = published_;
    c.reclaimed = reclaimed_;
    c.pending = tables_.pending();
    c.live = live_number_;
    c.build_failures = build_failures_;
    return c;
}

double Control::run_seconds() const {
    const auto end = end_ == Clock::time_point{} ? Clock::now() : end_;
    return std::chrono::duration<double>(end - start_).count();
}

}  // namespace scs::dataplane
