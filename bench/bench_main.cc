// scs-dp-microbench: Google Benchmark with DPDK's EAL initialised first (no hugepages, no
// devices), so engine benchmarks run on real mbufs from a real mempool.
#include <benchmark/benchmark.h>

#include "eal_env.h"

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    scs::test::mbuf_pool();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
