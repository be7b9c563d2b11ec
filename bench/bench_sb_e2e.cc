// End to end through a live Southbound: a real ovsdb-server loaded with the big Southbound
// (cp_fixture.h), an SbClient as one chassis with every datapath local, driven the way
// dataplane/southbound.cc drives it (run, take_changes, snapshot, compile, scope, claims).
// Each iteration commits one change over the server's unix socket (a raw JSON-RPC transact,
// so no ovsdb-client process start is timed) and measures CLOCK_MONOTONIC from sending the
// transaction to the new Generation being ready: the server's commit and monitor update, the
// IDL, the snapshot and the incremental compile.
//   E2E_AddFlow/0  one Logical_Flow (a static route in lr0's lr_in_ip_routing) inserted,
//                  whole-replica SbClient::snapshot() per change (the daemon before)
//   E2E_AddFlow/1  the same with SbClient::update_snapshot() (only the changed rows) and the
//                  compile hint derived from the changes, as the daemon does
// The removal after each iteration is applied untimed. Needs ovsdb-server, ovsdb-tool and
// python3 (tests/ovsdb/sb_load_dump.py loads the dump).
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "compiler/compiler.h"
#include "cp_fixture.h"
#include "ovsdb/sb_client.h"
#include "ovsdb/snapshot_file.h"
#include "sb_server.h"

namespace {

using namespace scs;
using ovsdb::testing::SbServer;

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

void default_env(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 0); }

// A plain JSON-RPC connection to ovsdb-server for committing the changes.
class Rpc {
public:
    explicit Rpc(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        if (path.size() >= sizeof a.sun_path) return;
        std::copy(path.begin(), path.end(), a.sun_path);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~Rpc() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    bool send(const std::string& ops, int id) {
        const std::string req = fmt::format(R"({{"method":"transact","params":["OVN_Southbound",{}],"id":{}}})", ops, id);
        return ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
    }
    // The reply to `id` (echo requests answered); nullopt after 10 s.
    std::optional<std::string> reply(int id) {
        const std::string want = fmt::format(R"("id":{})", id);
        const uint64_t deadline = now_ns() + 10'000'000'000ull;
        while (now_ns() < deadline) {
            if (auto at = buf_.find(want); at != std::string::npos) {
                std::string r = buf_;
                buf_.clear();
                return r;
            }
            if (buf_.find(R"("method":"echo")") != std::string::npos) {
                const std::string echo = R"({"id":"echo","result":[],"error":null})";
                (void)::send(fd_, echo.data(), echo.size(), MSG_NOSIGNAL);
                buf_.clear();
            }
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char tmp[4096];
            const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
            if (n <= 0) return std::nullopt;
            buf_.append(tmp, static_cast<size_t>(n));
        }
        return std::nullopt;
    }

private:
    int fd_ = -1;
    std::string buf_;
};

// The daemon's loop (dataplane/southbound.cc) minus the engine: one SbClient, one Compiler.
struct Chassis {
    std::unique_ptr<ovsdb::SbClient> sb;
    std::unique_ptr<compiler::Compiler> compiler;
    ovsdb::Snapshot snap;
    uint64_t number = 0;
    bool incremental = false;

    // Applies what arrived; true if a new generation was compiled.
    bool poll() {
        sb->run();
        ovsdb::Changes ch = sb->take_changes();
        if (ch.empty()) return false;
        compiler::CompileHint hint;
        if (incremental) {
            sb->update_snapshot(snap, ch);
            hint = compiler::hint_from(ch);
        } else {
            snap = sb->snapshot();
        }
        auto g = compiler->compile(snap, ++number, hint);
        if (!g) return false;
        const auto& rep = compiler->report();
        std::vector<ovsdb::Uuid> local;
        for (const auto& dp : rep.datapaths) local.push_back(dp->binding->uuid);
        sb->set_local_datapaths(std::move(local));
        (void)sb->set_claims(rep.claims, rep.claims);
        return true;
    }
    // Drives until `done` holds after a compile, or `timeout_ms`.
    template <typename Done>
    bool until(Done done, int timeout_ms) {
        const uint64_t deadline = now_ns() + static_cast<uint64_t>(timeout_ms) * 1'000'000u;
        while (now_ns() < deadline) {
            if (poll() && done()) return true;
            sb->wait(10);
        }
        return false;
    }
};

struct Env {
    std::unique_ptr<SbServer> server;
    std::string error;
    ovsdb::Uuid lr0;
    uint8_t routing_table = 0;
    std::size_t flows = 0;
    std::size_t datapaths = 0;
};

Env& env() {
    static Env e;
    static bool made = false;
    if (made) return e;
    made = true;
    default_env("SCS_OVSDB_SERVER", "/usr/sbin/ovsdb-server");
    default_env("SCS_OVSDB_TOOL", "/usr/bin/ovsdb-tool");
    default_env("SCS_PYTHON3", "/usr/bin/python3");
    default_env("SCS_SB_SCHEMA", "/usr/share/ovn/ovn-sb.ovsschema");
    default_env("SCS_SB_LOAD_DUMP", SCS_SOURCE_ROOT "/tests/ovsdb/sb_load_dump.py");
    auto snap = ovsdb::load_snapshot(bench::sb_path());
    if (!snap) {
        e.error = bench::sb_missing_message();
        return e;
    }
    const auto* lr0 = bench::datapath_named(*snap, "lr0");
    if (!lr0) {
        e.error = "no lr0: not the generated topology";
        return e;
    }
    e.lr0 = lr0->uuid;
    e.routing_table = bench::stage_table(*snap, lr0->uuid, "lr_in_ip_routing");
    e.flows = snap->logical_flows.size();
    e.datapaths = snap->datapaths.size();
    e.server = std::make_unique<SbServer>();
    if (!e.server->create_db() || !e.server->start()) e.error = "ovsdb-server did not start";
    else if (!e.server->load_dump(bench::sb_path())) e.error = "loading the dump into ovsdb-server failed";
    return e;
}

std::string route_insert(const Env& e, unsigned k) {
    return fmt::format(
        R"({{"op":"insert","table":"Logical_Flow","row":{{"logical_datapath":["uuid","{}"],"pipeline":"ingress",)"
        R"("table_id":{},"priority":97,"match":"ip4.dst == 172.18.{}.{}/32","actions":"ip.ttl--; reg8[0..15] = 0; )"
        R"(reg0 = 10.100.0.254; reg1 = 10.100.0.1; eth.src = 0a:00:00:00:ff:f0; outport = \"lr0-ls0\"; )"
        R"(flags.loopback = 1; next;","external_ids":["map",[["stage-name","lr_in_ip_routing"]]]}}}})",
        e.lr0.to_string(), e.routing_table, k / 250, k % 250 + 1);
}

std::string route_delete(unsigned k) {
    return fmt::format(R"({{"op":"delete","table":"Logical_Flow","where":[["match","==","ip4.dst == 172.18.{}.{}/32"]]}})",
                       k / 250, k % 250 + 1);
}

void BM_E2E_AddFlow(benchmark::State& state) {
    Env& e = env();
    if (!e.error.empty()) return state.SkipWithError(e.error.c_str());
    Chassis c;
    auto sb = ovsdb::SbClient::create(e.server->remote());
    if (!sb) return state.SkipWithError(sb.error().c_str());
    c.sb = std::move(*sb);
    c.incremental = state.range(0) != 0;
    ovsdb::ChassisConfig cc;
    cc.name = "bench-chassis";
    cc.hostname = "bench";
    cc.encap_ip = "127.0.0.1";
    if (!c.sb->set_chassis(cc)) return state.SkipWithError("set_chassis");
    {
        auto snap = ovsdb::load_snapshot(bench::sb_path());
        c.compiler = std::make_unique<compiler::Compiler>(bench::all_local(*snap));
        std::set<std::string> vifs;
        for (const auto& [lp, id] : c.compiler->config().vifs) vifs.insert(lp);
        c.sb->set_local_ports(std::move(vifs));
    }
    // Initial sync: every flow of every datapath replicated and compiled.
    auto all = [&] { return c.snap.logical_flows.size() >= e.flows && c.compiler->report().stats.datapaths >= e.datapaths; };
    if (!c.until(all, 120'000)) return state.SkipWithError("initial sync did not complete");
    c.until([] { return false; }, 500);  // claims settle
    Rpc rpc(e.server->sock());
    if (!rpc.ok()) return state.SkipWithError("cannot connect to ovsdb-server");
    int id = 0;
    unsigned k = static_cast<unsigned>(state.range(0)) * 10000;
    const std::size_t base = c.snap.logical_flows.size();
    uint64_t compile_ns = 0;
    std::size_t recompiled = 0, parsed = 0, compiles = 0;
    for (auto _ : state) {
        ++k;
        const uint64_t t0 = now_ns();
        if (!rpc.send(route_insert(e, k), ++id)) return state.SkipWithError("send");
        if (!c.until([&] { return c.snap.logical_flows.size() == base + 1; }, 10'000)) {
            static std::string why;
            auto r = rpc.reply(id);
            why = fmt::format("the change never arrived ({} flows, {} before; server: {})", c.snap.logical_flows.size(),
                              base, r ? r->substr(0, 300) : "no reply");
            return state.SkipWithError(why.c_str());
        }
        const uint64_t t1 = now_ns();
        state.SetIterationTime(static_cast<double>(t1 - t0) / 1e9);
        compile_ns += c.compiler->report().stats.elapsed_ns;
        recompiled += c.compiler->report().stats.recompiled;
        parsed += c.compiler->report().stats.parsed;
        ++compiles;
        auto r = rpc.reply(id);
        if (!r || r->find("\"error\":\"") != std::string::npos) return state.SkipWithError("transaction failed");
        if (!rpc.send(route_delete(k), ++id) || !rpc.reply(id)) return state.SkipWithError("delete");
        if (!c.until([&] { return c.snap.logical_flows.size() == base; }, 10'000))
            return state.SkipWithError("the removal never arrived");
    }
    state.counters["compile_ms"] = static_cast<double>(compile_ns) / 1e6 / static_cast<double>(state.iterations());
    state.counters["recompiled_dps"] = static_cast<double>(recompiled) / static_cast<double>(compiles);
    state.counters["parsed"] = static_cast<double>(parsed) / static_cast<double>(compiles);
}

BENCHMARK(BM_E2E_AddFlow)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(20)->Repetitions(3);

}  // namespace
