// Counter tables: a short periodic screen (rates since the previous one) and the final
// report (totals per lcore, drops and unimplemented actions by name, per-port device
// counters, generations). Control thread only; reads the workers' counters with relaxed
// loads, so a table may be one burst behind, never torn.
//
// The final report's lines are stable for scripts (tests/system, tools/bench-device.sh):
//   lcore <id> <rx> <tx> <drops> <rx-Mpps> <cyc/pkt> <busy%> <geneve-enc> <geneve-dec> <copies>
//   total <rx> <tx> <drops> <rx-Mpps> <cyc/pkt> <busy%> <geneve-enc> <geneve-dec> <copies>
//   flow cache: hits <n> (<p>%), misses <n>, inserts <n>, flushes <n>
//   drop <count> <reason>
//   unimplemented <count> <action>
//       on lcore <id>: <count>        (under a drop/unimplemented line, with 2+ workers)
//   port <id> <name> <role>=<target> <ipackets> <opackets> <imissed> <ierrors> <oerrors> <nombuf>
//   generations: published <n>, reclaimed <n>, pending <n>, live #<n>, build failures <n>
// each indented by two spaces; "tx" counts what the devices accepted.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "ports.h"
#include "worker.h"

namespace scs::dataplane {

struct GenerationCounts {
    uint64_t published = 0;
    uint64_t reclaimed = 0;
    uint64_t pending = 0;
    uint64_t live = 0;  // number of the live generation (0: none)
    uint64_t build_failures = 0;
};

class StatsPrinter {
  public:
    StatsPrinter(std::span<Worker* const> workers, const Ports& ports);

    // Rates since the previous call (or since construction).
    void periodic(FILE* out, const GenerationCounts& gens);
    void final_report(FILE* out, double seconds, const std::string& chassis,
                      const GenerationCounts& gens);

  private:
    struct Sample {
        uint64_t rx = 0, tx = 0, drops = 0, busy = 0, idle = 0, hits = 0, misses = 0;
    };
    Sample sample(const Worker& w) const;

    std::vector<Worker*> workers_;
    const Ports& ports_;
    std::vector<Sample> prev_;
    std::vector<uint64_t> prev_port_in_, prev_port_out_;
    uint64_t prev_tsc_ = 0;
    uint64_t start_tsc_ = 0;
};

}  // namespace scs::dataplane
