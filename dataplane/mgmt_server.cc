#include "mgmt_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "log.h"
#include "mgmt_handlers.h"

namespace scs::dataplane {

using mgmt::Json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxRequestLine = 1 << 20;  // a request line longer than this is refused
constexpr std::size_t kMaxHttpHeader = 8192;
constexpr std::size_t kMaxConns = 64;  // per server; more are accepted and closed at once
constexpr auto kRpcIdle = std::chrono::seconds(300);
constexpr auto kHttpIdle = std::chrono::seconds(10);
constexpr auto kTick = std::chrono::seconds(1);  // the rate interval of `stats`

std::string errno_text(int e) {
    return std::strerror(e);
}

// Creates each missing directory of `dir` (mode 0750: the socket inside carries 0660).
Result<void> make_dirs(const std::string& dir) {
    if (dir.empty()) return {};
    std::string prefix;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir.find('/', pos + 1);
        prefix = dir.substr(0, pos);
        if (prefix.empty()) continue;
        if (mkdir(prefix.c_str(), 0750) != 0 && errno != EEXIST)
            return make_error(fmt::format("cannot create directory {}: {}", prefix,
                                          errno_text(errno)));
    }
    struct stat sb {};
    if (stat(dir.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
        return make_error(fmt::format("{} is not a directory", dir));
    return {};
}

Json rpc_error(const Json& id, int code, std::string_view msg) {
    Json r = Json::object();
    r["jsonrpc"] = "2.0";
    Json e = Json::object();
    e["code"] = code;
    e["message"] = msg;
    r["error"] = std::move(e);
    r["id"] = id;
    return r;
}

}  // namespace

struct MgmtServer::Conn {
    int fd = -1;
    bool http = false;
    bool closing = false;  // close once `out` is sent
    std::string in, out;
    Clock::time_point last{};
    ~Conn() {
        if (fd >= 0) ::close(fd);
    }
};

MgmtServer::MgmtServer(MgmtContext ctx) : ctx_(std::move(ctx)), stats_(new StatsState) {
    if (!ctx_.southbound)
        ctx_.southbound = [] {
            Json j = Json::object();
            j["state"] = "none";
            return j;
        };
    stats_->init(ctx_);
    add_method("show", [this](const Json&) { return mgmt_show(ctx_); });
    add_method("stats", [this](const Json& p) { return mgmt_stats(ctx_, *stats_, p); });
    add_method("dump-tables", [this](const Json& p) { return mgmt_dump_tables(ctx_, p); });
    // Registered so that clients see them: the Southbound work replaces them (add_method).
    for (const char* m : {"dump-lflows", "trace"}) {
        add_method(m, [name = std::string(m)](const Json&) -> RpcResult {
            return RpcError{kRpcNotAvailable,
                            fmt::format("{}: not available yet (needs the Southbound compiler)",
                                        name)};
        });
    }
    add_method("list-methods", [this](const Json&) -> RpcResult {
        Json a = Json::array();
        for (const auto& [name, m] : methods_) a.push(name);
        return a;
    });
    next_tick_ = Clock::now() + kTick;
}

MgmtServer::~MgmtServer() {
    conns_.clear();
    if (http_fd_ >= 0) ::close(http_fd_);
    if (unix_fd_ >= 0) {
        ::close(unix_fd_);
        // Only the file we bound: another daemon may have replaced it since.
        struct stat sb {};
        if (lstat(socket_path_.c_str(), &sb) == 0 && sb.st_dev == socket_dev_ &&
            sb.st_ino == socket_ino_)
            unlink(socket_path_.c_str());
    }
}

void MgmtServer::add_method(std::string name, Method m) {
    methods_[std::move(name)] = std::move(m);
}

Result<void> MgmtServer::open() {
    if (auto r = open_unix(); !r) return r;
    return open_metrics();
}

Result<void> MgmtServer::open_unix() {
    const std::string& path = ctx_.cfg->mgmt_socket;
    if (path.empty() || path == "none") return {};
    socket_path_ = path;
    auto fail = [&](std::string why) {
        return make_error(fmt::format("management socket {}: {} (set --mgmt-socket PATH, or "
                                      "--mgmt-socket none)",
                                      path, why));
    };
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return fail("path too long");
    std::memcpy(addr.sun_path, path.data(), path.size());
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0)
        if (auto r = make_dirs(path.substr(0, slash)); !r) return fail(r.error());

    struct stat sb {};
    if (lstat(path.c_str(), &sb) == 0) {
        if (!S_ISSOCK(sb.st_mode)) return fail("exists and is not a socket");
        // A socket file: a live daemon answers, a stale one (crash, kill -9) refuses.
        const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) return fail(fmt::format("socket: {}", errno_text(errno)));
        const int rc = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        const int err = errno;
        ::close(probe);
        if (rc == 0) return fail("another scs-dataplane is serving it");
        if (err != ECONNREFUSED) return fail(fmt::format("cannot probe it: {}", errno_text(err)));
        if (unlink(path.c_str()) != 0)
            return fail(fmt::format("cannot remove the stale socket: {}", errno_text(errno)));
    }
    unix_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (unix_fd_ < 0) return fail(fmt::format("socket: {}", errno_text(errno)));
    if (bind(unix_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int err = errno;
        ::close(unix_fd_);
        unix_fd_ = -1;
        return fail(fmt::format("bind: {}", errno_text(err)));
    }
    if (lstat(path.c_str(), &sb) == 0) {
        socket_dev_ = sb.st_dev;
        socket_ino_ = sb.st_ino;
    }
    // Owner and group only: the socket can reset counters and will expose the tables.
    if (chmod(path.c_str(), 0660) != 0) return fail(fmt::format("chmod: {}", errno_text(errno)));
    if (listen(unix_fd_, 16) != 0) return fail(fmt::format("listen: {}", errno_text(errno)));
    info("management socket {}", path);
    return {};
}

Result<void> MgmtServer::open_metrics() {
    const Config& cfg = *ctx_.cfg;
    if (cfg.metrics_port == 0) return {};
    const std::string where = fmt::format("--metrics-address {}", cfg.metrics_address);
    const bool v6 = cfg.metrics_host.find(':') != std::string::npos;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(cfg.metrics_port);
        if (inet_pton(AF_INET6, cfg.metrics_host.c_str(), &a->sin6_addr) != 1)
            return make_error(fmt::format("{}: '{}' is not an IPv6 address", where,
                                          cfg.metrics_host));
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(cfg.metrics_port);
        if (inet_pton(AF_INET, cfg.metrics_host.c_str(), &a->sin_addr) != 1)
            return make_error(fmt::format("{}: '{}' is not an IPv4 address", where,
                                          cfg.metrics_host));
        len = sizeof *a;
    }
    http_fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (http_fd_ < 0) return make_error(fmt::format("{}: socket: {}", where, errno_text(errno)));
    const int one = 1;
    setsockopt(http_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(http_fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0)
        return make_error(fmt::format("{}: cannot listen there: {}", where, errno_text(errno)));
    if (listen(http_fd_, 16) != 0)
        return make_error(fmt::format("{}: listen: {}", where, errno_text(errno)));
    metrics_port_ = cfg.metrics_port;
    info("Prometheus metrics on http://{}{}{}:{}/metrics", v6 ? "[" : "", cfg.metrics_host,
         v6 ? "]" : "", cfg.metrics_port);
    return {};
}

std::string MgmtServer::handle_line(std::string_view line) {
    auto req = mgmt::parse_json(line);
    if (!req) return rpc_error(Json(), kRpcParseError, req.error()).dump();
    if (!req->is_object())
        return rpc_error(Json(), kRpcInvalidRequest, "a request is a JSON object").dump();
    const Json* idp = req->find("id");
    const Json id = idp ? *idp : Json();
    if (idp && !(idp->is_string() || idp->is_number() || idp->is_null()))
        return rpc_error(Json(), kRpcInvalidRequest, "\"id\" must be a string or a number")
            .dump();
    const Json* ver = req->find("jsonrpc");
    if (!ver || !ver->is_string() || ver->as_string() != "2.0")
        return rpc_error(id, kRpcInvalidRequest, "\"jsonrpc\" must be \"2.0\"").dump();
    const Json* method = req->find("method");
    if (!method || !method->is_string())
        return rpc_error(id, kRpcInvalidRequest, "\"method\" must be a string").dump();
    const Json* params = req->find("params");
    const Json empty = Json::object();
    if (params && !params->is_object() && !params->is_null())
        return rpc_error(id, kRpcInvalidParams, "\"params\" must be an object (named parameters)")
            .dump();
    if (!params || params->is_null()) params = &empty;

    const auto it = methods_.find(method->as_string());
    RpcResult res;
    if (it == methods_.end()) {
        std::string known;
        for (const auto& [name, m] : methods_) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
        res = RpcError{kRpcMethodNotFound,
                       fmt::format("unknown method '{}' (known: {})", method->as_string(), known)};
    } else {
        res = it->second(*params);
    }
    if (!idp) return {};  // a notification gets no response
    if (auto* e = std::get_if<RpcError>(&res)) return rpc_error(id, e->code, e->message).dump();
    Json r = Json::object();
    r["jsonrpc"] = "2.0";
    r["result"] = std::move(std::get<Json>(res));
    r["id"] = id;
    return r.dump();
}

void MgmtServer::accept_on(int listen_fd, bool http) {
    for (;;) {
        const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or a transient error: try again on the next poll
        if (conns_.size() >= kMaxConns) {
            ::close(fd);
            continue;
        }
        auto c = std::make_unique<Conn>();
        c->fd = fd;
        c->http = http;
        c->last = Clock::now();
        conns_.push_back(std::move(c));
    }
}

void MgmtServer::on_readable(Conn& c) {
    char buf[16384];
    for (;;) {
        const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) {  // the client closed its side: answer what it sent, then close
            c.closing = true;
            break;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                c.closing = true;
                c.out.clear();
            }
            break;
        }
        c.in.append(buf, static_cast<std::size_t>(n));
        c.last = Clock::now();
        if (c.in.size() > kMaxRequestLine) break;
    }
    if (c.http) {
        handle_http(c);
        return;
    }
    std::size_t start = 0;
    for (;;) {
        const auto nl = c.in.find('\n', start);
        if (nl == std::string::npos) break;
        std::string_view line(c.in.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        start = nl + 1;
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        std::string resp = handle_line(line);
        if (!resp.empty()) c.out += resp + '\n';
    }
    c.in.erase(0, start);
    if (c.in.size() > kMaxRequestLine) {
        c.out += rpc_error(Json(), kRpcParseError,
                           fmt::format("request line longer than {} bytes", kMaxRequestLine))
                     .dump() +
                 '\n';
        c.in.clear();
        c.closing = true;
    }
}

void MgmtServer::handle_http(Conn& c) {
    auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) end = c.in.find("\n\n");
    auto respond = [&](std::string_view status, std::string_view type, const std::string& body,
                       bool head) {
        c.out = fmt::format(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            status, type, body.size());
        if (!head) c.out += body;
        c.in.clear();
        c.closing = true;
    };
    if (end == std::string::npos) {
        if (c.in.size() > kMaxHttpHeader)
            respond("431 Request Header Fields Too Large", "text/plain", "header too large\n",
                    false);
        else if (c.closing && !c.in.empty())
            respond("400 Bad Request", "text/plain", "incomplete request\n", false);
        return;
    }
    const std::string_view req(c.in.data(), c.in.find_first_of("\r\n"));
    const auto sp1 = req.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : req.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || req.substr(sp2 + 1, 5) != "HTTP/") {
        respond("400 Bad Request", "text/plain", "bad request line\n", false);
        return;
    }
    const std::string_view method = req.substr(0, sp1);
    std::string_view target = req.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    const bool head = method == "HEAD";
    if (method != "GET" && !head) {
        respond("405 Method Not Allowed", "text/plain", "only GET /metrics\n", false);
        return;
    }
    if (target != "/metrics") {
        respond("404 Not Found", "text/plain", "only /metrics is served here\n", head);
        return;
    }
    respond("200 OK", "text/plain; version=0.0.4; charset=utf-8", mgmt_metrics(ctx_), head);
}

void MgmtServer::on_writable(Conn& c) {
    while (!c.out.empty()) {
        const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {  // the client went away
                c.out.clear();
                c.closing = true;
            }
            return;
        }
        c.out.erase(0, static_cast<std::size_t>(n));
        c.last = Clock::now();
    }
}

void MgmtServer::serve_until(Clock::time_point until) {
    std::vector<pollfd> fds;
    for (;;) {
        auto now = Clock::now();
        if (now >= next_tick_) {
            stats_->tick(ctx_);
            next_tick_ = std::max(next_tick_ + kTick, now);
        }
        // Drop finished and idle connections.
        std::erase_if(conns_, [&](const std::unique_ptr<Conn>& c) {
            if (c->closing && c->out.empty()) return true;
            return now - c->last > (c->http ? Clock::duration(kHttpIdle) : kRpcIdle);
        });
        if (now >= until) return;
        fds.clear();
        if (unix_fd_ >= 0) fds.push_back({unix_fd_, POLLIN, 0});
        if (http_fd_ >= 0) fds.push_back({http_fd_, POLLIN, 0});
        const std::size_t n_listen = fds.size();
        for (const auto& c : conns_) {
            short ev = c->closing ? 0 : POLLIN;
            if (!c->out.empty()) ev |= POLLOUT;
            fds.push_back({c->fd, ev, 0});
        }
        const auto wake = std::min(until, next_tick_);
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
        const int rc = poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(ms, 0)));
        if (rc < 0) {
            if (errno == EINTR) return;  // a signal: let the control loop look at it
            std::this_thread::sleep_until(wake);
            continue;
        }
        if (rc == 0) continue;
        // Connections first (indices are stable until accept_on appends).
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            const short re = fds[n_listen + i].revents;
            Conn& c = *conns_[i];
            if (re & (POLLIN | POLLHUP | POLLERR)) on_readable(c);
            if (!c.out.empty()) on_writable(c);
            if ((re & (POLLERR | POLLNVAL)) != 0) {
                c.out.clear();
                c.closing = true;
            }
        }
        std::size_t k = 0;
        if (unix_fd_ >= 0 && (fds[k++].revents & POLLIN)) accept_on(unix_fd_, false);
        if (http_fd_ >= 0 && (fds[k++].revents & POLLIN)) accept_on(http_fd_, true);
    }
}

}  // namespace scs::dataplane
