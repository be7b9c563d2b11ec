// The management channel: a unix-socket JSON-RPC 2.0 server for scs-dpctl (one request per
// line, one response per line; docs/scs-dpctl.md) and, optionally, a minimal HTTP server
// for Prometheus scrapes of GET /metrics.
//
// Threads: everything here runs on the control thread, inside the control loop's idle wait
// (Control::set_idle), never on a worker lcore. That is what makes reading the tables safe
// without a QSBR slot: the control thread is the only publisher and the only reclaimer, so
// the live generation cannot be freed while a handler reads it. Workers are never asked
// for anything: handlers read their counters with relaxed loads (common/counter.h), which
// may be one burst old but never torn, and never write them (`stats --reset` moves a
// baseline kept here). Sockets are non-blocking and served from one poll(): a slow or
// silent client costs a file descriptor, never a stall of the control loop.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "compiler/compiler.h"
#include "engine/generation.h"
#include "live_tables.h"
#include "mgmt_json.h"
#include "options.h"
#include "ports.h"
#include "rcu/qsbr.h"
#include "stats_print.h"
#include "worker.h"

namespace scs::dataplane {

// JSON-RPC 2.0 error codes (the -32xxx range is the specification's; -32001 is ours).
inline constexpr int kRpcParseError = -32700;
inline constexpr int kRpcInvalidRequest = -32600;
inline constexpr int kRpcMethodNotFound = -32601;
inline constexpr int kRpcInvalidParams = -32602;
inline constexpr int kRpcNotAvailable = -32001;  // a method registered but not implemented yet

struct RpcError {
    int code = kRpcInvalidParams;
    std::string message;
};
using RpcResult = std::variant<mgmt::Json, RpcError>;

// What the handlers read. Everything is owned by run() in main.cc and outlives the server.
struct MgmtContext {
    const Config* cfg = nullptr;
    const Ports* ports = nullptr;
    std::span<Worker* const> workers;
    bool main_is_worker = false;  // one lcore: the worker on the main lcore
    const Tables* tables = nullptr;
    std::function<GenerationCounts()> generations;
    // The Southbound connection as `show` reports it: an object with at least "state".
    // Until the Southbound client is wired in, {"state": "none"}.
    std::function<mgmt::Json()> southbound;
    // The latest compile's report (daemon with --sb), for naming the logical flows behind
    // rules; empty (or returning null) otherwise.
    std::function<const compiler::CompileReport*()> compile_report;

    // The live tables and generation (null before the first publish): stable while a
    // handler runs, see above.
    const LiveTables* live_tables() const { return tables->acquire(); }
    const engine::Generation* live() const {
        const LiveTables* t = tables->acquire();
        return t ? t->gen.get() : nullptr;
    }
};

struct StatsState;  // mgmt_handlers.h

class MgmtServer {
  public:
    // A method's handler: params is the request's "params" (an object; {} when absent).
    using Method = std::function<RpcResult(const mgmt::Json& params)>;

    explicit MgmtServer(MgmtContext ctx);
    ~MgmtServer();  // closes every socket, removes the unix socket file if it is still ours
    MgmtServer(const MgmtServer&) = delete;
    MgmtServer& operator=(const MgmtServer&) = delete;

    // Creates the unix socket (unless --mgmt-socket none; its directory too, mode 0660) and
    // the metrics listener (with --metrics-address). Errors name the path or address.
    Result<void> open();

    // Adds or replaces a method: how show/stats/dump-tables are registered, and how the
    // Southbound work replaces the "not available yet" stubs of dump-lflows and trace.
    void add_method(std::string name, Method m);

    // Serves clients until `until` (or a signal interrupts the wait). Control thread only.
    void serve_until(std::chrono::steady_clock::time_point until);

    // One request line in, one response line out (without the newline); empty for a
    // JSON-RPC notification (a request without "id").
    std::string handle_line(std::string_view line);

    std::string socket_path() const { return socket_path_; }
    uint16_t metrics_port() const { return metrics_port_; }

  private:
    struct Conn;
    void accept_on(int listen_fd, bool http);
    void on_readable(Conn& c);
    void on_writable(Conn& c);
    void handle_http(Conn& c);
    Result<void> open_unix();
    Result<void> open_metrics();

    MgmtContext ctx_;
    std::map<std::string, Method, std::less<>> methods_;
    std::unique_ptr<StatsState> stats_;
    std::vector<std::unique_ptr<Conn>> conns_;
    int unix_fd_ = -1;
    int http_fd_ = -1;
    std::string socket_path_;
    uint64_t socket_dev_ = 0, socket_ino_ = 0;  // to remove only the file we created
    uint16_t metrics_port_ = 0;
    std::chrono::steady_clock::time_point next_tick_{};
};

}  // namespace scs::dataplane
