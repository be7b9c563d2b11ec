#include "options.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "engine/tx.h"

namespace scs::dataplane {

static_assert(kMaxPortSpecs == engine::kMaxPorts, "one TxSink slot per configured port");

std::string_view role_name(Role r) {
    switch (r) {
        case Role::Vif:
            return "vif";
        case Role::Underlay:
            return "underlay";
        case Role::Provider:
            return "provider";
    }
    return "?";
}

namespace {

constexpr uint16_t kMaxQueues = 1024;  // RTE_MAX_QUEUES_PER_PORT

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

template <typename T>
std::optional<T> parse_uint(std::string_view s, T max) {
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
    return static_cast<T>(v);
}

std::optional<double> parse_seconds(std::string_view s) {
    double v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0 ||
        v > 1e9)
        return std::nullopt;
    return v;
}

Result<PortSpec> parse_port_spec(std::string_view text, const std::string& origin) {
    PortSpec p;
    p.origin = origin;
    p.text = std::string(text);
    const std::string where = p.describe();
    std::vector<std::pair<Role, std::string>> roles;
    std::optional<uint16_t> vlan;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size())
            return make_error(fmt::format("{}: '{}' is not key=value", where, item));
        const std::string_view key = item.substr(0, eq);
        const std::string_view val = item.substr(eq + 1);
        if (key == "vif") {
            roles.emplace_back(Role::Vif, std::string(val));
        } else if (key == "underlay") {
            roles.emplace_back(Role::Underlay, std::string(val));
        } else if (key == "provider") {
            roles.emplace_back(Role::Provider, std::string(val));
        } else if (key == "dev") {
            if (!p.dev.empty()) return make_error(fmt::format("{}: dev= given twice", where));
            p.dev = std::string(val);
        } else if (key == "rxq" || key == "txq") {
            const auto n = parse_uint<uint16_t>(val, kMaxQueues);
            if (!n || *n == 0)
                return make_error(fmt::format("{}: {}={} is not a queue count in 1..{}", where, key,
                                              val, kMaxQueues));
            (key == "rxq" ? p.rxq : p.txq) = *n;
        } else if (key == "mac" || key == "gateway-mac") {
            const auto m = pkt::Mac::parse(val);
            if (!m)
                return make_error(fmt::format(
                    "{}: {}={} is not a MAC address (want xx:xx:xx:xx:xx:xx)", where, key, val));
            if (m->is_multicast())
                return make_error(fmt::format("{}: {}={} is a multicast MAC", where, key, val));
            (key == "mac" ? p.mac : p.gateway_mac) = *m;
        } else if (key == "vlan") {
            vlan = parse_uint<uint16_t>(val, 4094);
            if (!vlan)
                return make_error(fmt::format(
                    "{}: vlan={} is not a VLAN id in 0..4094 (0 = untagged)", where, val));
        } else {
            // Not ours: the device's own argument (rx_pcap=, iface=, no-rx=, ...).
            if (!p.devargs.empty()) p.devargs += ',';
            p.devargs += item;
        }
    }
    if (roles.empty())
        return make_error(
            fmt::format("{}: no role: give exactly one of vif=LOGICAL_PORT, underlay=ENCAP_IP, "
                        "provider=PHYSNET",
                        where));
    if (roles.size() > 1)
        return make_error(fmt::format("{}: {} roles ({}= and {}=): a port plays exactly one", where,
                                      roles.size(), role_name(roles[0].first),
                                      role_name(roles[1].first)));
    p.role = roles[0].first;
    p.target = roles[0].second;
    if (p.dev.empty())
        return make_error(fmt::format(
            "{}: no device: add dev=NAME (a vdev such as net_pcap0, or a PCI address)", where));
    if (p.role == Role::Underlay) {
        const auto ip = pkt::Ip4::parse(p.target);
        if (!ip)
            return make_error(
                fmt::format("{}: underlay={} is not an IPv4 address", where, p.target));
        p.encap_ip = *ip;
    }
    if (p.role != Role::Underlay && (p.mac || p.gateway_mac))
        return make_error(
            fmt::format("{}: mac= and gateway-mac= apply to underlay ports only", where));
    if (vlan) {
        if (p.role != Role::Provider)
            return make_error(fmt::format("{}: vlan= applies to provider ports only", where));
        p.vlan = *vlan;
    }
    return p;
}

// [HOST:]PORT, HOST an IPv4 address or a bracketed IPv6 one; no name lookups.
Result<void> parse_metrics_address(std::string_view val, const std::string& where, Config& cfg) {
    std::string_view host = "127.0.0.1";
    std::string_view port = val;
    if (!val.empty() && val.front() == '[') {
        const auto close = val.find("]:");
        if (close == std::string_view::npos)
            return make_error(
                fmt::format("{}: '{}' is not [IPV6]:PORT (e.g. [::1]:9477)", where, val));
        host = val.substr(1, close - 1);
        port = val.substr(close + 2);
        if (!pkt::Ip6::parse(host))
            return make_error(fmt::format("{}: '{}' is not an IPv6 address", where, host));
    } else if (const auto colon = val.rfind(':'); colon != std::string_view::npos) {
        host = val.substr(0, colon);
        port = val.substr(colon + 1);
        if (host.empty()) host = "127.0.0.1";
        if (!pkt::Ip4::parse(host))
            return make_error(fmt::format(
                "{}: '{}' is not an IPv4 address (give HOST:PORT with a numeric address, "
                "[IPV6]:PORT, or PORT alone for 127.0.0.1)",
                where, host));
    }
    const auto p = parse_uint<uint16_t>(port, 65535);
    if (!p || *p == 0)
        return make_error(fmt::format("{}: '{}' is not a TCP port in 1..65535", where, port));
    cfg.metrics_address = std::string(val);
    cfg.metrics_host = std::string(host);
    cfg.metrics_port = *p;
    return {};
}

struct OptionDef {
    std::string_view name;
    bool takes_value;
    std::string_view arg;   // for the usage text
    std::string_view help;  // ditto
};

// The one list of options: parsing, the pre-`--` check and the usage text all use it.
constexpr OptionDef kOptions[] = {
    {"port", true, "SPEC", "bind a DPDK device to a logical role (repeatable; see PORTS)"},
    {"config", true, "FILE", "read options from FILE, one per line without the dashes"},
    {"demo", false, "",
     "use the built-in demo topology (the default without --sb)"},
    {"sb", true, "REMOTE",
     "be a chassis of this OVN Southbound database and forward what\n"
     "its logical flows say: unix:PATH, tcp:IP:PORT, ssl:IP:PORT, or\n"
     "several comma-separated (a clustered database)"},
    {"sb-monitor-all", false, "",
     "replicate the whole Southbound instead of only the local\n"
     "datapaths (ovn-controller's ovn-monitor-all)"},
    {"stats-interval", true, "SEC", "print counters every SEC seconds (0 = off, default)"},
    {"duration", true, "SEC", "stop by itself after SEC seconds (0 = run until SIGINT/SIGTERM)"},
    {"republish-ms", true, "N",
     "rebuild and republish the table generation every N ms while\n"
     "forwarding (exercises lockless updates; 0 = off)"},
    {"chassis", true, "NAME", "this chassis' name (default: the host name)"},
    {"mempool-size", true, "N", "mbufs in the packet pool (default: sized from the ports)"},
    {"no-flow-cache", false, "",
     "walk the full pipeline for every packet (no per-lcore megaflow\n"
     "cache; for diagnosis and comparison)"},
    {"mgmt-socket", true, "PATH",
     "serve scs-dpctl on this unix socket (mode 0660, its directory\n"
     "is created; default /run/scs-dataplane/mgmt.sock; none = off)"},
    {"metrics-address", true, "ADDR",
     "serve Prometheus metrics on http://ADDR/metrics; ADDR is\n"
     "[HOST:]PORT, HOST an IPv4 address (default 127.0.0.1) or\n"
     "[IPV6]; off by default"},
    {"help", false, "", "print this text and exit"},
};

const OptionDef* find_option(std::string_view name) {
    for (const OptionDef& o : kOptions)
        if (o.name == name) return &o;
    return nullptr;
}

// Applies one option; `where` names it in messages ("--duration" or "FILE:LINE: duration"),
// `file_pos` is "FILE:LINE" for options from a config file, empty on the command line.
Result<void> apply(Config& cfg, const OptionDef& o, std::string_view val, const std::string& where,
                   const std::string& file_pos, int depth);

Result<void> parse_file(const std::string& path, Config& cfg, int depth) {
    std::ifstream in(path);
    if (!in) return make_error(fmt::format("--config {}: cannot open the file", path));
    std::string line;
    for (unsigned lineno = 1; std::getline(in, line); ++lineno) {
        const std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        const std::string where = fmt::format("{}:{}", path, lineno);
        const auto end = l.find_first_of(" \t=");
        const std::string_view name = l.substr(0, end);
        std::string_view val =
            end == std::string_view::npos ? std::string_view{} : trim(l.substr(end + 1));
        const OptionDef* o = find_option(name);
        if (!o || o->name == "help")
            return make_error(fmt::format("{}: unknown option '{}'", where, name));
        if (o->takes_value && val.empty())
            return make_error(
                fmt::format("{}: {} needs a value ({} {})", where, name, name, o->arg));
        if (!o->takes_value && !val.empty())
            return make_error(fmt::format("{}: {} takes no value", where, name));
        if (auto r = apply(cfg, *o, val, where + ": " + std::string(name), where, depth); !r)
            return r;
    }
    if (in.bad()) return make_error(fmt::format("--config {}: read error", path));
    return {};
}

Result<void> apply(Config& cfg, const OptionDef& o, std::string_view val, const std::string& where,
                   const std::string& file_pos, int depth) {
    const std::string_view n = o.name;
    if (n == "port") {
        if (cfg.ports.size() == kMaxPortSpecs)
            return make_error(fmt::format("{}: more than {} ports (the engine's kMaxPorts)", where,
                                          kMaxPortSpecs));
        const std::string origin =
            file_pos.empty() ? fmt::format("--port #{}", cfg.ports.size() + 1) : file_pos;
        auto p = parse_port_spec(val, origin);
        if (!p) return make_error(p.error());
        cfg.ports.push_back(std::move(*p));
    } else if (n == "config") {
        if (depth > 0) return make_error(fmt::format("{}: config files do not nest", where));
        return parse_file(std::string(val), cfg, depth + 1);
    } else if (n == "demo") {
        if (!cfg.sb_remote.empty())
            return make_error(fmt::format("{}: --demo and --sb exclude each other", where));
        cfg.demo = true;
        cfg.demo_requested = true;
    } else if (n == "sb") {
        if (cfg.demo_requested)
            return make_error(fmt::format("{}: --demo and --sb exclude each other", where));
        const std::string_view kinds[] = {"unix:", "tcp:", "ssl:"};
        std::string_view rest = val;
        while (!rest.empty()) {
            const std::string_view one = rest.substr(0, rest.find(','));
            bool ok = false;
            for (std::string_view k : kinds) ok |= one.size() > k.size() && one.substr(0, k.size()) == k;
            if (!ok)
                return make_error(fmt::format(
                    "{}: '{}' is not an OVSDB remote (unix:PATH, tcp:IP:PORT or ssl:IP:PORT)", where, one));
            rest = one.size() < rest.size() ? rest.substr(one.size() + 1) : std::string_view{};
        }
        cfg.sb_remote = std::string(val);
        cfg.demo = false;
    } else if (n == "sb-monitor-all") {
        cfg.sb_monitor_all = true;
    } else if (n == "stats-interval" || n == "duration") {
        const auto s = parse_seconds(val);
        if (!s) return make_error(fmt::format("{}: '{}' is not a number of seconds", where, val));
        (n == "duration" ? cfg.duration : cfg.stats_interval) = *s;
    } else if (n == "republish-ms") {
        const auto v = parse_uint<uint32_t>(val, 3'600'000);
        if (!v)
            return make_error(fmt::format("{}: '{}' is not a number of milliseconds", where, val));
        cfg.republish_ms = *v;
    } else if (n == "chassis") {
        if (val.find_first_of(" \t,") != std::string_view::npos)
            return make_error(fmt::format("{}: '{}' has blanks or commas", where, val));
        cfg.chassis = std::string(val);
    } else if (n == "mempool-size") {
        const auto v = parse_uint<uint32_t>(val, 1u << 28);
        if (!v || *v < 1024)
            return make_error(
                fmt::format("{}: '{}' is not a pool size in 1024..{}", where, val, 1u << 28));
        cfg.mempool_size = *v;
    } else if (n == "mgmt-socket") {
        // sockaddr_un.sun_path holds 108 bytes with the terminating NUL.
        if (val != "none" && val.size() > 107)
            return make_error(fmt::format(
                "{}: '{}' is {} bytes long; a unix socket path holds at most 107", where, val,
                val.size()));
        cfg.mgmt_socket = std::string(val);
    } else if (n == "metrics-address") {
        auto r = parse_metrics_address(val, where, cfg);
        if (!r) return r;
    } else if (n == "no-flow-cache") {
        cfg.flow_cache = false;
    } else if (n == "help") {
        cfg.help = true;
    }
    return {};
}

}  // namespace

Result<void> parse_config_file(const std::string& path, Config& cfg) {
    return parse_file(path, cfg, 1);
}

bool is_daemon_option(std::string_view arg) {
    if (arg.substr(0, 2) != "--") return false;
    arg.remove_prefix(2);
    const OptionDef* o = find_option(arg.substr(0, arg.find('=')));
    return o != nullptr;
}

Result<Config> parse_options(std::span<const std::string> args) {
    Config cfg;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h") {
            cfg.help = true;
            continue;
        }
        if (a.substr(0, 2) != "--" || a.size() == 2)
            return make_error(
                fmt::format("unexpected argument '{}' (options start with --; see "
                            "--help)",
                            a));
        const auto eq = a.find('=');
        const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        const OptionDef* o = find_option(name);
        if (!o) return make_error(fmt::format("unknown option '--{}' (see --help)", name));
        std::string val;
        if (eq != std::string::npos) {
            if (!o->takes_value) return make_error(fmt::format("--{} takes no value", name));
            val = a.substr(eq + 1);
        } else if (o->takes_value) {
            if (i + 1 == args.size())
                return make_error(fmt::format("--{} needs a value (--{} {})", name, name, o->arg));
            val = args[++i];
        }
        if (o->takes_value && val.empty())
            return make_error(fmt::format("--{} needs a non-empty value", name));
        if (auto r = apply(cfg, *o, val, "--" + name, "", 0); !r) return make_error(r.error());
    }
    return cfg;
}

std::string usage(std::string_view prog) {
    std::string s = fmt::format(
        "Usage: {} [EAL options] -- [options]\n"
        "\n"
        "scs-dataplane forwards OVN logical traffic on DPDK ports: VIFs of local logical\n"
        "ports, a Geneve underlay towards other chassis, and provider networks (localnet).\n"
        "\n"
        "EAL options go to DPDK unchanged; on a machine without hugepages use e.g.\n"
        "  -l 0-1 --no-huge -m 512 --no-pci --file-prefix NAME [--vdev ...] [--no-telemetry]\n"
        "The first lcore is the main one (control thread); every other lcore runs a worker.\n"
        "With a single lcore, the worker runs on it and the control thread floats.\n"
        "\n"
        "Options:\n",
        prog);
    for (const OptionDef& o : kOptions) {
        std::string head = fmt::format("  --{}{}{}", o.name, o.arg.empty() ? "" : " ", o.arg);
        std::string_view h = o.help;
        bool first = true;
        while (!h.empty()) {
            const auto nl = h.find('\n');
            s += fmt::format("{:<26}{}\n", first ? head : "", h.substr(0, nl));
            h = nl == std::string_view::npos ? std::string_view{} : h.substr(nl + 1);
            first = false;
        }
    }
    s += fmt::format(
        "\n"
        "PORTS: SPEC is a comma-separated list of key=value:\n"
        "  exactly one role:\n"
        "    vif=LOGICAL_PORT     a local VIF (demo topology: vm1, vm2, vm4); its child\n"
        "                         ports (parent_port + tag) come with it, as frames\n"
        "                         tagged with their VLAN on the same device\n"
        "    underlay=ENCAP_IP    the Geneve underlay; ENCAP_IP is this chassis' tunnel\n"
        "                         endpoint (demo: 192.168.100.1; hv2 is 192.168.100.2)\n"
        "    provider=PHYSNET     a provider network reached via localnet (demo: physnet1)\n"
        "  dev=DEVICE             vdev name (net_pcap0, net_ring0, net_null0, net_af_packet0,\n"
        "                         net_af_xdp0, ...) or PCI address; an existing port of that\n"
        "                         name (e.g. from --vdev) is used, otherwise it is hot-plugged\n"
        "  rxq=N, txq=N           queue counts (default: one rx queue per worker if the device\n"
        "                         has RSS, else 1; one tx queue per worker)\n"
        "  mac=MAC                underlay: our MAC (default: the device's)\n"
        "  gateway-mac=MAC        underlay: next hop MAC towards remote chassis\n"
        "                         (default: hv2's, 00:00:00:00:aa:02)\n"
        "  vlan=N                 provider: 802.1Q VLAN id (0 = untagged, default)\n"
        "  any other key=value    passed to the device as devargs, e.g.\n"
        "                         --port vif=vm1,dev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap\n"
        "                         probes \"net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap\"\n"
        "\n"
        "CONFIG FILE: one option per line, as on the command line without the dashes:\n"
        "    # vm1 from a capture\n"
        "    port vif=vm1,dev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap\n"
        "    stats-interval 1\n"
        "  Lines starting with # are comments; errors name FILE:LINE.\n"
        "\n"
        "TOPOLOGY: the built-in demo (lib/demo/topology.h): switches sw0 (vm1, vm2, vm3@hv2)\n"
        "and sw1 (vm4, vm5@hv2) joined by router lr0, which routes 0.0.0.0/0 via 172.24.4.254\n"
        "on the provider network physnet1. Reading the OVN Southbound database replaces it\n"
        "once that work lands.\n"
        "\n"
        "Exit status: 0 after a clean stop (SIGINT, SIGTERM or --duration), 1 if DPDK cannot\n"
        "be initialised or a port cannot be started, 2 for a bad command line, config file\n"
        "or device. DPDK's own log goes to stdout; stderr carries only the error that ended\n"
        "the run.\n");
    return s;
}

}  // namespace scs::dataplane
