// Test helpers: a real ovsdb-server with an OVN_Southbound database in a private temp dir
// (standalone or one member of a RAFT cluster), ovn-sbctl against it, and a driver loop for
// SbClient. Paths to the programs come from the environment (tests/ovsdb/meson.build).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ovsdb/sb_client.h"

namespace scs::ovsdb::testing {

inline std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// Runs a shell command; returns its stdout without the trailing newline and surrounding
// quotes, or nullopt on failure.
inline std::optional<std::string> run(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (::pclose(p) != 0) return std::nullopt;
    while (!out.empty() && (out.back() == '\n' || out.back() == '"')) out.pop_back();
    if (!out.empty() && out.front() == '"') out.erase(0, 1);
    return out;
}

inline std::string q(const std::string& s) { return "'" + s + "'"; }

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it).
inline int free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

// An ovsdb-server with an OVN_Southbound database in a private directory.
class SbServer {
public:
    SbServer() {
        char tmpl[] = "/tmp/scs-sb-test-XXXXXX";
        if (char* d = ::mkdtemp(tmpl)) dir_ = d;
    }
    ~SbServer() {
        stop();
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }
    SbServer(const SbServer&) = delete;
    SbServer& operator=(const SbServer&) = delete;

    bool create_db() {
        return !dir_.empty() &&
               run(q(env("SCS_OVSDB_TOOL")) + " create " + q(db()) + " " + q(env("SCS_SB_SCHEMA")))
                   .has_value();
    }
    // RAFT: the first member creates the cluster, the others join through it.
    bool create_cluster(const std::string& local_addr) {
        return !dir_.empty() && run(q(env("SCS_OVSDB_TOOL")) + " create-cluster " + q(db()) + " " +
                                    q(env("SCS_SB_SCHEMA")) + " " + local_addr)
                                    .has_value();
    }
    bool join_cluster(const std::string& local_addr, const std::string& remote_addr) {
        return !dir_.empty() && run(q(env("SCS_OVSDB_TOOL")) + " join-cluster " + q(db()) +
                                    " OVN_Southbound " + local_addr + " " + remote_addr)
                                    .has_value();
    }
    void remove_db() { std::filesystem::remove(db()); }
    // --detach returns once the server listens. `extra_remote` e.g. "ptcp:PORT:127.0.0.1".
    bool start(const std::string& extra_remote = "") {
        std::string cmd = q(env("SCS_OVSDB_SERVER")) + " --detach --no-chdir --pidfile=" +
                          q(dir_ + "/sb.pid") + " --unixctl=" + q(ctl()) + " --log-file=" +
                          q(dir_ + "/sb.log") + " --remote=punix:" + q(sock());
        if (!extra_remote.empty()) cmd += " --remote=" + extra_remote;
        return run(cmd + " " + q(db())).has_value();
    }
    void stop(int sig = SIGTERM) {
        std::ifstream pidfile(dir_ + "/sb.pid");
        pid_t pid = 0;
        if (!(pidfile >> pid) || pid <= 0) return;
        ::kill(pid, sig);
        for (int i = 0; i < 200 && alive(pid); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (alive(pid)) ::kill(pid, SIGKILL);
        std::filesystem::remove(dir_ + "/sb.pid");
    }
    std::optional<std::string> sbctl(const std::string& args, const std::string& db = "") {
        return run("OVN_RUNDIR=" + q(dir_) + " " + q(env("SCS_OVN_SBCTL")) + " --timeout=10 --db=" +
                   q(db.empty() ? remote() : db) + " " + args);
    }
    // ovsdb-server's memory/show: "... sessions:N" counts client sessions.
    int sessions() {
        auto out = run("ovs-appctl -t " + q(ctl()) + " memory/show");
        if (!out) return -1;
        const auto at = out->find("sessions:");
        return at == std::string::npos ? 0 : std::atoi(out->c_str() + at + 9);
    }
    bool load_dump(const std::string& dump) {
        return run(q(env("SCS_PYTHON3")) + " " + q(env("SCS_SB_LOAD_DUMP")) + " " + q(dump) + " " +
                   q(remote()) + " OVN_Southbound")
            .has_value();
    }

    std::string remote() const { return "unix:" + sock(); }
    std::string sock() const { return dir_ + "/sb.sock"; }
    std::string ctl() const { return dir_ + "/sb.ctl"; }
    std::string db() const { return dir_ + "/sb.db"; }
    const std::string& dir() const { return dir_; }

private:
    // A detached server is not our child: once it exits it may linger as a zombie until
    // whoever adopted it reaps it, which kill(pid, 0) cannot tell from running.
    static bool alive(pid_t pid) {
        if (::kill(pid, 0) != 0) return false;
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string pid_field, comm, state;
        if (!(stat >> pid_field >> comm >> state)) return false;
        return state != "Z" && state != "X";
    }

    std::string dir_;
};

// Drives the client until `done` holds or `timeout` passes.
inline bool run_until(SbClient& c, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        c.run();
        if (done()) return true;
        c.wait(50);
    }
    return false;
}

// A test with a fresh ovsdb-server on the Southbound schema, started before each test.
class SbServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(server_.dir().empty());
        ASSERT_TRUE(server_.create_db());
        ASSERT_TRUE(server_.start()) << "ovsdb-server failed; log in " << server_.dir();
    }
    SbServer server_;
};

}  // namespace scs::ovsdb::testing
