// Classic libpcap files (microsecond timestamps, Ethernet link type): what DPDK's net_pcap
// PMD reads and writes, and what tcpdump shows. Control path only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace scs::pkt {

Result<void> write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames);
Result<std::vector<std::vector<uint8_t>>> read_pcap(const std::string& path);

}  // namespace scs::pkt
