// scs-dpctl: the operator's tool for a running scs-dataplane. It sends one JSON-RPC request
// over the daemon's management socket and prints the reply as aligned tables (or, with
// --format json, as the daemon's JSON). docs/scs-dpctl.md documents commands and protocol.
//
// Exit status: 0 success, 1 the daemon could not be reached or refused the request,
// 2 a bad command line. Every error is one line on stderr.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "packet/pcap_file.h"

#include "lflow_check.h"
#include "mgmt_json.h"
#include "render.h"

namespace scs::dpctl {
namespace {

using mgmt::Json;

constexpr const char* kProg = "scs-dpctl";
constexpr const char* kDefaultSocket = "/run/scs-dataplane/mgmt.sock";
constexpr int kExitOk = 0, kExitRuntime = 1, kExitUsage = 2;

struct Usage {
    std::string message;
};

struct Command {
    std::string_view name;
    std::string_view synopsis;
    std::string_view summary;  // one line for --help
    std::string_view help;
    std::string (*render)(const Json&);
};

constexpr Command kCommands[] = {
    {"show", "show",
     "version, chassis, Southbound state, ports, workers, table generation",
     "Version, chassis, Southbound connection state, ports (role, PMD, link, queues, the\n"
     "lcores polling them), worker lcores, and the live table generation with its age.",
     &render_show},
    {"stats", "stats [--core N] [--reset]",
     "per-lcore and per-port counters, rates, drops by reason",
     "Per-lcore counters: rx/tx packets, Mpps over the last one-second interval, TSC cycles\n"
     "(busy/idle) and busy cycles per packet, drops by reason, unimplemented actions, flow\n"
     "cache hits/misses; per-port device counters. Counts are since the last --reset (or the\n"
     "daemon's start).\n"
     "  --core N   only the worker on lcore N (port counters are left out)\n"
     "  --reset    zero what later `stats` calls show (the daemon keeps a baseline; its\n"
     "             own counters and the Prometheus metrics keep counting)",
     &render_stats},
    {"dump-tables", "dump-tables [--datapath D] [--stage S] [--rules]",
     "the live compiled tables with hit counters, port tables, groups",
     "The live compiled tables: each datapath's ingress and egress stages with OVN table\n"
     "number, the lookup structure chosen (exact, lpm, classifier, miss-only), the rule\n"
     "count and the packets looked up in it: matching a rule (hits) or none (misses: the\n"
     "stage's default ran, or the packet was dropped); its port table and multicast groups.\n"
     "Counts are summed over the workers and restart when a datapath is recompiled; hits\n"
     "served by the flow cache reach them within about 10 ms.\n"
     "  --datapath D   one datapath, by name or tunnel key\n"
     "  --stage S      only stages whose name contains S (port tables are left out)\n"
     "  --rules        the packets of each rule: per logical flow (priority, UUID, match,\n"
     "                 actions) when the daemon compiles a Southbound, else per rule that\n"
     "                 matched (rule index, priority, action list offset)",
     &render_dump_tables},
    {"dump-lflows", "dump-lflows [--datapath D] [--stage S] [--uuid]",
     "the logical flows taken in and how each was lowered",
     "The logical flows the compiler took in (daemon started with --sb) and how each was\n"
     "lowered: datapath, pipeline, OVN table and stage, priority, status (compiled, partial:\n"
     "some action is a counted drop, never-matches here, unsupported, invalid) with the\n"
     "reason, the engine rules it became and the lookup structure of its stage, match and\n"
     "actions as written in the Southbound.\n"
     "  --datapath D   one datapath, by name or tunnel key\n"
     "  --stage S      only flows of the stage named S exactly (e.g. ls_in_l2_lkup)\n"
     "  --uuid         add each flow's Southbound UUID as a column",
     [](const Json& r) { return render_dump_lflows(r, false); }},
    {"trace", "trace [--inport P] MICROFLOW",
     "one packet through the live tables, stage by stage",
     "Runs one packet through the live tables without touching traffic (daemon started with\n"
     "--sb): MICROFLOW in ovn-trace's syntax, e.g.\n"
     "  'inport == \"vm1\" && eth.src == 00:00:00:00:01:01 && eth.dst == 00:00:00:00:01:02\n"
     "   && ip4.src == 10.0.0.11 && ip4.dst == 10.0.0.12 && udp.dst == 53'\n"
     "(fields not given are zero, ip.ttl 64), or --hex FRAME. Prints every stage it passes\n"
     "with the logical flow that matched (priority, match, actions, UUID) - across routers\n"
     "and onto the Geneve wire - then each frame that would leave, with its port.\n"
     "  --inport P     the logical port it enters on (or `inport == \"P\"` in MICROFLOW);\n"
     "                 a VIF bound to this chassis, or a localnet port (it enters on\n"
     "                 its network's provider port)\n"
     "  --hex FRAME    the Ethernet frame in hex instead of a MICROFLOW\n"
     "  --pcap FILE    the first frame of a pcap capture instead of a MICROFLOW",
     &render_trace},
    {"lflow-check", "lflow-check SNAPSHOT [--chassis NAME] [--vif LPORT]...",
     "offline: what a Southbound snapshot needs that we lack",
     "Offline, no daemon: compiles a Southbound snapshot (`ovsdb-client dump --format=json`\n"
     "output, or a directory of `ovn-sbctl --format=json list TABLE` outputs named\n"
     "TABLE.json) and reports the flows per status, every unsupported or invalid flow\n"
     "(datapath, stage, priority, UUID, reason) and the unimplemented actions by name.\n"
     "By default every VIF-type port is bound to a dummy local port of a chassis not in the\n"
     "snapshot, so every datapath reachable from a VIF is compiled; datapaths only a given\n"
     "chassis makes local (gateway routers) are then compiled as each gateway chassis.\n"
     "  --chassis NAME   compile only as chassis NAME (its gateways become local)\n"
     "  --vif LPORT      bind only these logical ports locally (repeatable; one view)\n"
     "Exit status: 0 nothing unsupported or invalid, 1 something is, 2 bad command line or\n"
     "an unreadable snapshot.",
     &render_lflow_check},
};

const Command* find_command(std::string_view name) {
    for (const Command& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

std::string usage() {
    std::string s = fmt::format(
        "Usage: {} [--socket PATH] [--format table|json] COMMAND [OPTIONS]\n"
        "\n"
        "Inspects a running scs-dataplane through its management socket; lflow-check\n"
        "checks a Southbound snapshot offline.\n"
        "\n"
        "Options (before or after COMMAND):\n"
        "  --socket PATH         the daemon's socket (default {}; the daemon's\n"
        "                        --mgmt-socket)\n"
        "  --format table|json   aligned tables (default) or the daemon's JSON reply\n"
        "  --timeout SEC         how long to wait for the reply (default 10)\n"
        "  -h, --help            this text; COMMAND --help for one command\n"
        "\n"
        "Commands:\n",
        kProg, kDefaultSocket);
    for (const Command& c : kCommands) {
        if (c.synopsis.size() <= 40)
            s += fmt::format("  {:<40}  {}\n", c.synopsis, c.summary);
        else
            s += fmt::format("  {}\n  {:<40}  {}\n", c.synopsis, "", c.summary);
    }
    s += "\nExit status: 0 success, 1 daemon unreachable or request refused, 2 bad command line\n"
         "(lflow-check: 0 nothing unsupported or invalid, 1 something is, 2 bad command line or\n"
         "unreadable snapshot). See docs/scs-dpctl.md for the protocol.\n";
    return s;
}

std::string command_usage(const Command& c) {
    return fmt::format("Usage: {} [--socket PATH] [--format table|json] {}\n\n{}\n", kProg,
                       c.synopsis, c.help);
}

struct Invocation {
    std::string socket = kDefaultSocket;
    bool json = false;
    double timeout = 10;
    const Command* cmd = nullptr;
    Json params = Json::object();
    bool help = false;
    bool show_uuid = false;    // dump-lflows --uuid
    LflowCheckArgs check;      // lflow-check: runs here, no daemon
};

std::optional<uint64_t> parse_u64(std::string_view s) {
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// Parses argv; a Usage error carries the one line to print.
std::variant<Invocation, Usage> parse_args(int argc, char** argv) {
    Invocation inv;
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) words.emplace_back(argv[i]);
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string w = words[i];
        std::string val;
        bool has_val = false;
        if (w.rfind("--", 0) == 0 && w.find('=') != std::string::npos) {
            val = w.substr(w.find('=') + 1);
            w = w.substr(0, w.find('='));
            has_val = true;
        }
        auto value = [&](std::string_view what) -> std::optional<std::string> {
            if (has_val) return val;
            if (i + 1 >= words.size()) return std::nullopt;
            (void)what;
            return words[++i];
        };
        auto need = [&](std::string_view arg) {
            return Usage{fmt::format("{} needs a value ({} {})", w, w, arg)};
        };
        auto cmd_only = [&](std::string_view cmds) -> std::optional<Usage> {
            const std::string_view name = inv.cmd ? inv.cmd->name : std::string_view();
            if (inv.cmd && std::string_view(cmds).find(name) != std::string_view::npos)
                return std::nullopt;
            return Usage{inv.cmd ? fmt::format("{}: unknown option '{}' (see {} {} --help)",
                                               inv.cmd->name, w, kProg, inv.cmd->name)
                                 : fmt::format("option '{}' belongs after a command (see --help)",
                                               w)};
        };
        if (w == "-h" || w == "--help") {
            inv.help = true;
        } else if (w == "--socket") {
            auto v = value("PATH");
            if (!v || v->empty()) return need("PATH");
            inv.socket = *v;
        } else if (w == "--format") {
            auto v = value("table|json");
            if (!v) return need("table|json");
            if (*v != "table" && *v != "json")
                return Usage{fmt::format("--format {}: want table or json", *v)};
            inv.json = *v == "json";
        } else if (w == "--timeout") {
            auto v = value("SEC");
            if (!v) return need("SEC");
            double t = 0;
            const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), t);
            if (ec != std::errc() || p != v->data() + v->size() || !(t > 0) || t > 3600)
                return Usage{fmt::format("--timeout {}: want seconds in (0, 3600]", *v)};
            inv.timeout = t;
        } else if (w == "--core") {
            if (auto u = cmd_only("stats")) return *u;
            auto v = value("N");
            if (!v) return need("N");
            const auto n = parse_u64(*v);
            if (!n || *n > 0xffffffffu)
                return Usage{fmt::format("--core {}: not an lcore number", *v)};
            inv.params["core"] = *n;
        } else if (w == "--reset") {
            if (auto u = cmd_only("stats")) return *u;
            if (has_val) return Usage{"--reset takes no value"};
            inv.params["reset"] = true;
        } else if (w == "--datapath" || w == "--stage") {
            if (auto u = cmd_only("dump-tables dump-lflows"))
                return *u;
            auto v = value("NAME");
            if (!v || v->empty()) return need(w == "--stage" ? "STAGE" : "DATAPATH");
            inv.params[w.substr(2)] = *v;
        } else if (w == "--pcap") {
            if (auto u = cmd_only("trace")) return *u;
            auto v = value("FILE");
            if (!v || v->empty()) return need("FILE");
            auto frames = pkt::read_pcap(*v);
            if (!frames) return Usage{fmt::format("--pcap {}: {}", *v, frames.error())};
            if (frames->empty()) return Usage{fmt::format("--pcap {}: no packet in the capture", *v)};
            std::string hex;
            for (uint8_t b : frames->front()) hex += fmt::format("{:02x}", b);
            inv.params["hex"] = hex;
        } else if (w == "--inport" || w == "--hex") {
            if (auto u = cmd_only("trace")) return *u;
            auto v = value(w == "--hex" ? "FRAME" : "PORT");
            if (!v || v->empty()) return need(w == "--hex" ? "FRAME" : "PORT");
            inv.params[w.substr(2)] = *v;
        } else if (w == "--rules") {
            if (auto u = cmd_only("dump-tables")) return *u;
            if (has_val) return Usage{"--rules takes no value"};
            inv.params["rules"] = true;
        } else if (w == "--uuid") {
            if (auto u = cmd_only("dump-lflows")) return *u;
            if (has_val) return Usage{"--uuid takes no value"};
            inv.show_uuid = true;
        } else if (w == "--chassis") {
            if (auto u = cmd_only("lflow-check")) return *u;
            auto v = value("NAME");
            if (!v || v->empty()) return need("NAME");
            inv.check.chassis = *v;
        } else if (w == "--vif") {
            if (auto u = cmd_only("lflow-check")) return *u;
            auto v = value("LPORT");
            if (!v || v->empty()) return need("LPORT");
            inv.check.vifs.push_back(*v);
        } else if (w.size() > 1 && w[0] == '-' && w != "-") {
            return Usage{inv.cmd ? fmt::format("{}: unknown option '{}' (see {} {} --help)",
                                               inv.cmd->name, w, kProg, inv.cmd->name)
                                 : fmt::format("unknown option '{}' (see --help)", w)};
        } else if (!inv.cmd) {
            inv.cmd = find_command(w);
            if (!inv.cmd) {
                if (w == "help") {
                    inv.help = true;
                    continue;
                }
                std::string names;
                for (const Command& c : kCommands) names += fmt::format("{}{}", names.empty() ? "" : ", ", c.name);
                return Usage{fmt::format("unknown command '{}' (commands: {})", w, names)};
            }
        } else {
            positional.push_back(w);
        }
    }
    if (inv.help) return inv;
    if (!inv.cmd) return Usage{"no command given (see --help)"};
    if (inv.cmd->name == "trace") {
        if (inv.params.find("hex")) {
            if (!positional.empty())
                return Usage{fmt::format("trace: give either --hex/--pcap or a MICROFLOW, not both ('{}')", positional[0])};
        } else if (positional.size() != 1) {
            return Usage{"trace: give the packet as one MICROFLOW argument, e.g. "
                         "'inport == \"vm1\" && eth.src == 00:00:00:00:01:01'"};
        } else {
            inv.params["microflow"] = positional[0];
        }
    } else if (inv.cmd->name == "lflow-check") {
        if (positional.size() != 1)
            return Usage{positional.empty() ? std::string("lflow-check: give the SNAPSHOT file or directory")
                                            : fmt::format("lflow-check: unexpected argument '{}'", positional[1])};
        inv.check.snapshot = positional[0];
    } else if (!positional.empty()) {
        return Usage{fmt::format("{}: unexpected argument '{}'", inv.cmd->name, positional[0])};
    }
    return inv;
}

struct Failure {
    std::string message;
};

// Errors are one line: a loader message that quotes input with newlines keeps its first line.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

// Connects, sends one request, reads one reply line.
std::variant<Json, Failure> call(const Invocation& inv) {
    const std::string& path = inv.socket;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return Failure{fmt::format("socket path {} is longer than {} bytes", path,
                                   sizeof addr.sun_path - 1)};
    std::memcpy(addr.sun_path, path.data(), path.size());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Failure{fmt::format("socket: {}", std::strerror(errno))};
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int e = errno;
        switch (e) {
            case ENOENT:
                return Failure{fmt::format(
                    "cannot connect to {}: no such socket (is scs-dataplane running? its "
                    "--mgmt-socket may name another path: use --socket PATH)",
                    path)};
            case ECONNREFUSED:
                return Failure{fmt::format(
                    "cannot connect to {}: connection refused (scs-dataplane is not running; "
                    "the socket file is stale)",
                    path)};
            case EACCES:
            case EPERM:
                return Failure{fmt::format(
                    "cannot connect to {}: permission denied (the socket is for its owner and "
                    "group: run as root or as a member of its group)",
                    path)};
            case ENOTSOCK:
                return Failure{fmt::format("cannot connect to {}: not a socket", path)};
            default:
                return Failure{fmt::format("cannot connect to {}: {}", path, std::strerror(e))};
        }
    }
    Json req = Json::object();
    req["jsonrpc"] = "2.0";
    req["id"] = 1;
    req["method"] = inv.cmd->name;
    req["params"] = inv.params;
    const std::string line = req.dump() + "\n";
    for (std::size_t off = 0; off < line.size();) {
        const ssize_t n = send(fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Failure{fmt::format("sending to {}: {}", path, std::strerror(errno))};
        }
        off += static_cast<std::size_t>(n);
    }
    std::string in;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(inv.timeout));
    while (in.find('\n') == std::string::npos) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0)
            return Failure{fmt::format("no reply from {} within {} s (--timeout)", path,
                                       inv.timeout)};
        pollfd p{fd, POLLIN, 0};
        const int rc = poll(&p, 1, static_cast<int>(left));
        if (rc < 0 && errno != EINTR)
            return Failure{fmt::format("waiting for {}: {}", path, std::strerror(errno))};
        if (rc <= 0) continue;
        char buf[65536];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Failure{fmt::format("reading from {}: {}", path, std::strerror(errno))};
        }
        if (n == 0)
            return Failure{fmt::format("{} closed the connection without a reply (did "
                                       "scs-dataplane stop?)",
                                       path)};
        in.append(buf, static_cast<std::size_t>(n));
    }
    in.resize(in.find('\n'));
    auto reply = mgmt::parse_json(in);
    if (!reply) return Failure{fmt::format("bad reply from {}: {}", path, reply.error())};
    if (const Json* err = reply->find("error"); err && err->is_object()) {
        const Json* msg = err->find("message");
        return Failure{fmt::format("{}: {}", inv.cmd->name,
                                   msg && msg->is_string() ? msg->as_string() : err->dump())};
    }
    const Json* result = reply->find("result");
    if (!result) return Failure{fmt::format("bad reply from {}: no \"result\"", path)};
    return *result;
}

int dpctl_main(int argc, char** argv) {
    auto parsed = parse_args(argc, argv);
    if (auto* u = std::get_if<Usage>(&parsed)) {
        fmt::print(stderr, "{}: error: {}\n", kProg, u->message);
        return kExitUsage;
    }
    Invocation& inv = std::get<Invocation>(parsed);
    if (inv.help) {
        std::fputs((inv.cmd ? command_usage(*inv.cmd) : usage()).c_str(), stdout);
        return kExitOk;
    }
    if (inv.cmd->name == "lflow-check") {
        auto rep = lflow_check(inv.check);
        if (!rep) {
            fmt::print(stderr, "{}: error: lflow-check: {}\n", kProg, one_line(rep.error()));
            return kExitUsage;
        }
        const std::string out = inv.json ? rep->dump(2) + "\n" : render_lflow_check(*rep);
        std::fputs(out.c_str(), stdout);
        if (std::fflush(stdout) != 0) return kExitRuntime;
        const Json* ok = rep->find("ok");
        return ok && ok->is_bool() && ok->as_bool() ? kExitOk : kExitRuntime;
    }
    auto res = call(inv);
    if (auto* f = std::get_if<Failure>(&res)) {
        fmt::print(stderr, "{}: error: {}\n", kProg, f->message);
        return kExitRuntime;
    }
    const Json& result = std::get<Json>(res);
    const std::string out = inv.json            ? result.dump(2) + "\n"
                            : inv.cmd->name == "dump-lflows" ? render_dump_lflows(result, inv.show_uuid)
                                                             : inv.cmd->render(result);
    std::fputs(out.c_str(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitRuntime;
}

}  // namespace
}  // namespace scs::dpctl

int main(int argc, char** argv) {
    try {
        return scs::dpctl::dpctl_main(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scs-dpctl: error: internal error: %s\n", e.what());
    }
    return 1;
}
