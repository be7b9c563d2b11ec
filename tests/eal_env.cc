#include "eal_env.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>

namespace scs::test {

rte_mempool* mbuf_pool() {
    static rte_mempool* pool = [] {
        const std::string prefix = "scs-test-" + std::to_string(getpid());
        // SCS_EAL_LCORE picks the lcore (CPU) to run on: scs-dp-bench runs one benchmark
        // process per core at once.
        const char* env_lcore = std::getenv("SCS_EAL_LCORE");
        const std::string lcore = env_lcore && *env_lcore ? env_lcore : "0";
        std::vector<std::string> args = {"scs-test", "-l", lcore, "--no-huge", "-m", "256", "--no-pci",
                                         "--no-telemetry", "--no-shconf",
                                         "--log-level=lib.*:error", "--file-prefix", prefix};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
            std::fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
            std::abort();
        }
        static std::string runtime_dir = "/var/run/dpdk/" + prefix;
        std::atexit([] {
            rte_eal_cleanup();
            std::error_code ec;
            std::filesystem::remove_all(runtime_dir, ec);  // EAL leaves its runtime dir behind
        });
        rte_mempool* p = rte_pktmbuf_pool_create("scs_test", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        if (!p) {
            std::fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
            std::abort();
        }
        return p;
    }();
    return pool;
}

}  // namespace scs::test
