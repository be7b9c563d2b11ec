// DPDK for tests: EAL initialised once per test binary, no hugepages, no PCI, no devices
// unless a test adds virtual ones; one mbuf pool shared by the tests of that binary.
#pragma once

#include <rte_mbuf.h>

namespace scs::test {

// Initialises EAL on first use (aborts the test binary with a message if it cannot).
rte_mempool* mbuf_pool();

}  // namespace scs::test
