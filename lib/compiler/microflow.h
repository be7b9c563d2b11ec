// A packet described in OVN's microflow syntax, as `ovn-trace` takes it:
//   inport == "vm1" && eth.src == fa:16:3e:01:00:11 && eth.dst == fa:16:3e:00:01:01 &&
//   ip4.src == 10.0.1.11 && ip4.dst == 10.0.2.11 && ip.ttl == 64 && tcp.dst == 80
// turned into a real frame. Fields not given take ovn-trace's defaults (zero addresses,
// TTL 64, ports 0); the protocol follows from the fields (tcp.* makes TCP) or a predicate
// (`icmp4`, `udp`, `arp`, ...). Only `==` conjunctions are a microflow; anything else is an
// error that names the term.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace scs::compiler {

struct Microflow {
    std::string inport;          // `inport == "name"`, "" if not given
    std::vector<uint8_t> frame;  // Ethernet frame
};

Result<Microflow> parse_microflow(std::string_view text);

}  // namespace scs::compiler
