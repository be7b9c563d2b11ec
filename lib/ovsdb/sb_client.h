// SbClient: a read-only client of the OVN Southbound database, on top of Open vSwitch's own
// ovsdb-idl (built from Debian's openvswitch-source, see subprojects/openvswitch).
//
// Control plane only. The IDL keeps a replica of the monitored tables and reconnects by
// itself (with backoff) after the server goes away; run() applies whatever arrived and never
// blocks, so it can be called from a control loop. snapshot() copies the rows the dataplane
// needs into plain C++ structs: no Open vSwitch type leaks out of lib/ovsdb/sb_idl.c.
//
// Threading: one SbClient belongs to one thread. Open vSwitch's poll loop is per thread and
// its IDL is not thread-safe; hand snapshots (values) to other threads, not the client.
// Process-wide side effects of Open vSwitch's library: its log is switched off unless
// Options::ovs_log is set, and its poll loop installs fatal-signal handlers (SIGTERM, SIGINT,
// SIGHUP, SIGALRM, SIGSEGV; they run OVS cleanup hooks and re-raise) the first time wait()
// runs — a daemon that wants its own handlers installs them afterwards.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "ovsdb/sb_types.h"

struct scs_sb_idl;

namespace scs::ovsdb {

struct Status {
    bool connected = false;       // session up and monitor established
    bool ever_connected = false;
    unsigned seqno = 0;           // changes whenever the replica changes
    std::string last_error;       // "" when none; e.g. "Connection refused"
};

class SbClient {
public:
    struct Options {
        bool ovs_log = false;     // let Open vSwitch's library print warnings on stderr
    };

    // `remote`: "unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", or several comma-separated (a
    // RAFT cluster; any member serves a reader). Fails only on a remote that cannot be
    // parsed; an unreachable server is reported by status() and retried by run().
    // ssl: remotes also need Open vSwitch's SSL key/cert/CA configured, not exposed yet.
    static Result<std::unique_ptr<SbClient>> create(std::string_view remote,
                                                    const Options& options);
    static Result<std::unique_ptr<SbClient>> create(std::string_view remote) {
        return create(remote, Options{});
    }

    ~SbClient();
    SbClient(const SbClient&) = delete;
    SbClient& operator=(const SbClient&) = delete;

    // Applies what the server sent (connects, reconnects, monitor updates). Never blocks.
    // Returns true if the replica changed since the previous call.
    bool run();
    // Blocks the calling thread for at most timeout_ms or until run() has work.
    void wait(int timeout_ms);

    Status status() const;
    Snapshot snapshot() const;
    const std::string& remote() const { return remote_; }

private:
    SbClient(scs_sb_idl* idl, std::string remote) : idl_(idl), remote_(std::move(remote)) {}

    scs_sb_idl* idl_;
    std::string remote_;
    unsigned last_seqno_ = 0;
};

}  // namespace scs::ovsdb
