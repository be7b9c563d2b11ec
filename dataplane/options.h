// The daemon's own command line and config file (everything after `--`; EAL options go to
// rte_eal_init untouched), parsed into a Config. Pure control code: no DPDK calls, errors as
// values with the offending word or file:line, so that the daemon can reject a bad command
// line before it initialises EAL.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "packet/addr.h"

namespace scs::dataplane {

enum class Role : uint8_t { Vif, Underlay, Provider };
std::string_view role_name(Role r);

// One `--port SPEC`: a DPDK device and the logical role it plays.
struct PortSpec {
    std::string origin;  // where it was given, for messages: "--port #2" or "FILE:LINE"
    std::string text;    // the SPEC as written
    Role role = Role::Vif;
    std::string target;           // Vif: logical port name; Provider: physical network name;
                                  // Underlay: the encapsulation IP as written
    pkt::Ip4 encap_ip{};          // Underlay
    std::string dev;              // vdev name (net_pcap0, ...) or PCI address
    std::string devargs;          // every key=value that is not ours, comma-joined, in order
    uint16_t rxq = 0;             // 0: automatic (one per worker if the device has RSS)
    uint16_t txq = 0;             // 0: automatic (one per worker)
    std::optional<pkt::Mac> mac;  // Underlay: our MAC (default: the device's)
    std::optional<pkt::Mac> gateway_mac;  // Underlay: next hop MAC towards remote chassis
    uint16_t vlan = 0;                    // Provider: 802.1Q VLAN id, 0 = untagged

    // "net_pcap0,rx_pcap=in.pcap" - what rte_dev_probe gets.
    std::string probe_string() const { return devargs.empty() ? dev : dev + "," + devargs; }
    // "--port #1 (vif=vm1,dev=net_pcap0,...)" - how error messages name the port.
    std::string describe() const { return origin + " (" + text + ")"; }
};

inline constexpr std::string_view kDefaultMgmtSocket = "/run/scs-dataplane/mgmt.sock";

struct Config {
    std::vector<PortSpec> ports;
    bool demo = true;           // the built-in demo topology (unless --sb is given)
    std::string sb_remote;      // --sb: OVN Southbound remote(s); empty: the demo topology
    bool demo_requested = false;  // --demo given (for the --demo/--sb conflict)
    bool sb_monitor_all = false;  // --sb-monitor-all: replicate every row (ovn-monitor-all)
    double stats_interval = 0;  // seconds; 0: no periodic statistics
    double duration = 0;        // seconds; 0: run until SIGINT/SIGTERM
    uint32_t republish_ms = 0;  // 0: publish the generation once
    std::string chassis;        // empty: the host name
    uint32_t mempool_size = 0;  // 0: sized from ports, queues and descriptors
    bool flow_cache = true;     // the executor's per-lcore megaflow cache
    std::string mgmt_socket = std::string(kDefaultMgmtSocket);  // "none": no socket
    std::string metrics_address;  // as given; empty: no metrics endpoint
    std::string metrics_host;     // IPv4 or IPv6 address (default 127.0.0.1)
    uint16_t metrics_port = 0;    // 0: no metrics endpoint
    bool help = false;
};

inline constexpr std::size_t kMaxPortSpecs = 32;  // engine::kMaxPorts (static_assert in .cc)

// Parses the words after `--`. `--config FILE` is read where it appears, so later options
// override earlier ones; ports accumulate.
Result<Config> parse_options(std::span<const std::string> args);

// Parses one config file (exposed for tests): one option per line without the dashes.
Result<void> parse_config_file(const std::string& path, Config& cfg);

// True for `--port`, `--duration=5`, ...: options of ours, used to catch them before `--`.
bool is_daemon_option(std::string_view arg);

std::string usage(std::string_view prog);

}  // namespace scs::dataplane
