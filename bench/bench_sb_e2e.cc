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
//   E2E_AddPort/1  one VM port added to ls0, incrementally as AddFlow/1: what ovn-northd
//                  commits for it in one transaction (cp_fixture.h's add_port makes the rows):
//                  the Port_Binding, its four Logical_Flows (ARP responder and L2 lookup in
//                  ls0, ARP resolve in lr0) and the port in ls0's _MC_flood Multicast_Group;
//                  done when the chassis's snapshot has the port and the four flows
// The removal after each iteration is applied untimed. Counters per change: where the time
// went in the chassis (idl_ms, snapshot_ms, compile_ms, scope_ms; the rest of the total is the
// server and the wake-up), datapaths recompiled and flows parsed. Needs ovsdb-server,
// ovsdb-tool and python3 (tests/ovsdb/sb_load_dump.py loads the dump).
#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <time.h>

#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
    // Where the last compiling poll() spent its time: the IDL taking the update, the
    // snapshot, the compile, and scoping the monitor and the claims afterwards.
    enum Phase { kIdl, kSnapshot, kCompile, kScope, kPhases };
    uint64_t phase_ns[kPhases] = {};
    uint64_t compile_faults = 0;  // minor page faults during the last compile

    // Applies what arrived; true if a new generation was compiled.
    bool poll() {
        const uint64_t t0 = now_ns();
        sb->run();
        ovsdb::Changes ch = sb->take_changes();
        if (ch.empty()) return false;
        const uint64_t t1 = now_ns();
        compiler::CompileHint hint;
        if (incremental) {
            sb->update_snapshot(snap, ch);
            hint = compiler::hint_from(ch);
        } else {
            snap = sb->snapshot();
        }
        const uint64_t t2 = now_ns();
        rusage r0{}, r1{};
        getrusage(RUSAGE_SELF, &r0);
        auto g = compiler->compile(snap, ++number, hint);
        if (!g) return false;
        const uint64_t t3 = now_ns();
        getrusage(RUSAGE_SELF, &r1);
        compile_faults = static_cast<uint64_t>(r1.ru_minflt - r0.ru_minflt);
        const auto& rep = compiler->report();
        std::vector<ovsdb::Uuid> local;
        for (const auto& dp : rep.datapaths) local.push_back(dp->binding->uuid);
        sb->set_local_datapaths(std::move(local));
        (void)sb->set_claims(rep.claims, rep.claims);
        const uint64_t t4 = now_ns();
        const uint64_t at[] = {t0, t1, t2, t3, t4};
        for (int p = 0; p < kPhases; ++p) phase_ns[p] = at[p + 1] - at[p];
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
    ovsdb::Uuid lr0, ls0;
    uint8_t routing_table = 0;
    unsigned routers = 0;
    std::size_t flows = 0;
    std::size_t datapaths = 0;
    // What bench::add_port reads, cut from the dump: the datapaths, ls0's ports (for a free
    // tunnel key) and the flows of ls0 and lr0 (for the stages' table ids).
    ovsdb::Snapshot port_base;
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
    const auto* ls0 = bench::datapath_named(*snap, "ls0");
    if (!lr0 || !ls0) {
        e.error = "no lr0 or ls0: not the generated topology";
        return e;
    }
    e.lr0 = lr0->uuid;
    e.ls0 = ls0->uuid;
    e.routing_table = bench::stage_table(*snap, lr0->uuid, "lr_in_ip_routing");
    for (const auto& d : snap->datapaths) e.routers += d.is_router() ? 1 : 0;
    e.flows = snap->logical_flows.size();
    e.datapaths = snap->datapaths.size();
    e.port_base.datapaths = snap->datapaths;
    for (const auto& pb : snap->ports)
        if (pb.datapath == e.ls0) e.port_base.ports.push_back(pb);
    for (const auto& f : snap->logical_flows)
        if (f.logical_datapath == e.ls0 || f.logical_datapath == e.lr0) e.port_base.logical_flows.push_back(f);
    e.server = std::make_unique<SbServer>();
    if (!e.server->create_db() || !e.server->start()) e.error = "ovsdb-server did not start";
    else if (!e.server->load_dump(bench::sb_path())) e.error = "loading the dump into ovsdb-server failed";
    return e;
}

// OVSDB JSON values.
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + '"';
}

std::string uuid_value(const ovsdb::Uuid& u) { return fmt::format(R"(["uuid","{}"])", u.to_string()); }

std::string string_set(const std::vector<std::string>& v) {
    std::string items;
    for (const auto& s : v) {
        if (!items.empty()) items += ',';
        items += quoted(s);
    }
    return fmt::format(R"(["set",[{}]])", items);
}

// The operation inserting `f` (its datapath, not a group) as ovn-northd writes it.
std::string flow_insert(const ovsdb::LogicalFlow& f) {
    return fmt::format(
        R"({{"op":"insert","table":"Logical_Flow","row":{{"logical_datapath":{},"pipeline":"{}","table_id":{},)"
        R"("priority":{},"match":{},"actions":{},"external_ids":["map",[["stage-name",{}]]]}}}})",
        uuid_value(*f.logical_datapath), f.pipeline == ovsdb::Pipeline::Ingress ? "ingress" : "egress", f.table_id,
        f.priority, quoted(f.match), quoted(f.actions), quoted(f.stage_name));
}

// The operation deleting `f` again, found by its datapath and match.
std::string flow_delete(const ovsdb::LogicalFlow& f) {
    return fmt::format(R"({{"op":"delete","table":"Logical_Flow","where":[["logical_datapath","==",{}],["match","==",{}]]}})",
                       uuid_value(*f.logical_datapath), quoted(f.match));
}

const ovsdb::PortBinding* port_named(const ovsdb::Snapshot& sb, const std::string& name) {
    for (const auto& pb : sb.ports)
        if (pb.logical_port == name) return &pb;
    return nullptr;
}

// One change: its transaction's operations, what the chassis has once it is applied (`flows`
// more Logical_Flow rows and, if named, the Port_Binding `port`), and the operations that
// remove it again, made once it is applied (they may need the new rows' UUIDs).
struct Change {
    std::string ops;
    std::size_t flows = 0;
    std::string port;
    std::function<std::string(const ovsdb::Snapshot&)> undo;
};

// Syncs a chassis with every datapath local (incremental with range(0) != 0), then per
// iteration commits make(i) and times it until the chassis has compiled it; undoes it untimed.
void run_e2e(benchmark::State& state, const std::function<Change(unsigned i)>& make) {
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
    unsigned i = 0;
    const std::size_t base = c.snap.logical_flows.size();
    uint64_t phases_ns[Chassis::kPhases] = {};
    std::size_t recompiled = 0, parsed = 0, compiles = 0, view_reused = 0, flows_followed = 0, view_updated = 0,
                amended = 0, faults = 0;
    for (auto _ : state) {
        const Change ch = make(i++);
        auto has = [&](std::size_t flows, bool port) {
            return c.snap.logical_flows.size() == flows && (ch.port.empty() || (port_named(c.snap, ch.port) != nullptr) == port);
        };
        const uint64_t t0 = now_ns();
        if (!rpc.send(ch.ops, ++id)) return state.SkipWithError("send");
        if (!c.until([&] { return has(base + ch.flows, true); }, 10'000)) {
            static std::string why;
            auto r = rpc.reply(id);
            why = fmt::format("the change never arrived ({} flows, {} before; port {}: {}; server: {})",
                              c.snap.logical_flows.size(), base, ch.port, port_named(c.snap, ch.port) ? "present" : "absent",
                              r ? r->substr(0, 300) : "no reply");
            return state.SkipWithError(why.c_str());
        }
        const uint64_t t1 = now_ns();
        state.SetIterationTime(static_cast<double>(t1 - t0) / 1e9);
        for (int p = 0; p < Chassis::kPhases; ++p) phases_ns[p] += c.phase_ns[p];
        recompiled += c.compiler->report().stats.recompiled;
        parsed += c.compiler->report().stats.parsed;
        view_reused += c.compiler->view_reused() ? 1 : 0;
        flows_followed += c.compiler->flows_followed() ? 1 : 0;
        view_updated += c.compiler->view_updated() ? 1 : 0;
        amended += c.compiler->report().stats.amended;
        faults += c.compile_faults;
        ++compiles;
        auto r = rpc.reply(id);
        if (!r || r->find("\"error\":\"") != std::string::npos) return state.SkipWithError("transaction failed");
        if (!rpc.send(ch.undo(c.snap), ++id)) return state.SkipWithError("delete");
        r = rpc.reply(id);
        if (!r || r->find("\"error\":\"") != std::string::npos) {
            static std::string why;
            why = fmt::format("the removal failed: {}", r ? r->substr(0, 300) : "no reply");
            return state.SkipWithError(why.c_str());
        }
        if (!c.until([&] { return has(base, false); }, 10'000)) return state.SkipWithError("the removal never arrived");
    }
    // Per change, where the time went; the rest of the total is the server's commit and
    // monitor update, and the wake-up.
    const char* names[Chassis::kPhases] = {"idl_ms", "snapshot_ms", "compile_ms", "scope_ms"};
    for (int p = 0; p < Chassis::kPhases; ++p)
        state.counters[names[p]] = static_cast<double>(phases_ns[p]) / 1e6 / static_cast<double>(compiles);
    state.counters["recompiled_dps"] = static_cast<double>(recompiled) / static_cast<double>(compiles);
    state.counters["parsed"] = static_cast<double>(parsed) / static_cast<double>(compiles);
    // How often the compile could reuse the port placement, and follow the changed flow rows.
    state.counters["view_reused"] = static_cast<double>(view_reused) / static_cast<double>(compiles);
    state.counters["flows_followed"] = static_cast<double>(flows_followed) / static_cast<double>(compiles);
    state.counters["view_updated"] = static_cast<double>(view_updated) / static_cast<double>(compiles);
    state.counters["amended_stages"] = static_cast<double>(amended) / static_cast<double>(compiles);
    // Minor page faults per compile: memory the allocator had to get from the kernel.
    state.counters["compile_faults"] = static_cast<double>(faults) / static_cast<double>(compiles);
}

// A static route in lr0, ip4.dst == 172.18.<k/250>.<k%250+1>/32 (a range the dump does not use).
void BM_E2E_AddFlow(benchmark::State& state) {
    const Env& e = env();
    run_e2e(state, [&](unsigned i) {
        const unsigned k = static_cast<unsigned>(state.range(0)) * 10000 + i + 1;
        const ovsdb::LogicalFlow f = bench::lflow(
            {}, e.lr0, e.routing_table, 97, "lr_in_ip_routing", fmt::format("ip4.dst == 172.18.{}.{}/32", k / 250, k % 250 + 1),
            "ip.ttl--; reg8[0..15] = 0; reg0 = 10.100.0.254; reg1 = 10.100.0.1; eth.src = 0a:00:00:00:ff:f0; "
            "outport = \"lr0-ls0\"; flags.loopback = 1; next;");
        return Change{flow_insert(f), 1, "", [f](const ovsdb::Snapshot&) { return flow_delete(f); }};
    });
}

// VM port ls0-p<p> as bench::add_port makes it, p cycling through 200..251 (10.100.0.202 to
// .253: addresses no port of the dump has, below the .254 the routes point at).
void BM_E2E_AddPort(benchmark::State& state) {
    const Env& e = env();
    run_e2e(state, [&](unsigned i) {
        ovsdb::Snapshot sb = e.port_base;
        const std::size_t before = sb.logical_flows.size();
        bench::add_port(sb, 0, 200 + i % 52, e.routers);
        const ovsdb::PortBinding pb = sb.ports.back();
        const std::vector<ovsdb::LogicalFlow> flows(sb.logical_flows.begin() + static_cast<std::ptrdiff_t>(before),
                                                    sb.logical_flows.end());
        // ls0's _MC_flood group, `how` ("insert" or "delete") `port` in its ports.
        auto group = [ls0 = uuid_value(e.ls0)](const char* how, const std::string& port) {
            return fmt::format(R"({{"op":"mutate","table":"Multicast_Group","where":[["datapath","==",{}],)"
                               R"(["name","==","_MC_flood"]],"mutations":[["ports","{}",["set",[{}]]]]}})",
                               ls0, how, port);
        };
        std::string ops = fmt::format(
            R"({{"op":"insert","table":"Port_Binding","uuid-name":"new_port","row":{{"logical_port":{},"datapath":{},)"
            R"("tunnel_key":{},"mac":{},"port_security":{}}}}})",
            quoted(pb.logical_port), uuid_value(*pb.datapath), pb.tunnel_key, string_set(pb.mac), string_set(pb.port_security));
        for (const auto& f : flows) ops += "," + flow_insert(f);
        ops += "," + group("insert", R"(["named-uuid","new_port"])");
        auto undo = [flows, group, name = pb.logical_port](const ovsdb::Snapshot& snap) {
            std::string del;
            for (const auto& f : flows) del += flow_delete(f) + ",";
            del += group("delete", uuid_value(port_named(snap, name)->uuid));
            return del + fmt::format(R"(,{{"op":"delete","table":"Port_Binding","where":[["logical_port","==",{}]]}})",
                                     quoted(name));
        };
        return Change{std::move(ops), flows.size(), pb.logical_port, std::move(undo)};
    });
}

BENCHMARK(BM_E2E_AddFlow)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(20)->Repetitions(3);
BENCHMARK(BM_E2E_AddPort)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(20)->Repetitions(3);

}  // namespace
