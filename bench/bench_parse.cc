// Microbenchmarks of the packet parser.
//
// Each iteration parses one burst of kBurst frames lying kSlot bytes apart, the way frames sit
// in the data rooms of a burst of mbufs, so the numbers are per burst as the poll loop sees
// them and not one frame hot in L1. Reported per packet: items/s (packets per second) and
// tsc/pkt (TSC cycles per packet, x86 only). Each case runs several repetitions and reports
// their median, mean and spread rather than one lucky run.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "packet/builder.h"
#include "packet/parse.h"
#include "packet/proto.h"

namespace {

using namespace scs::pkt;
using Bytes = std::vector<uint8_t>;

constexpr size_t kBurst = 32;   // a typical rx burst
constexpr size_t kSlot = 2048;  // RTE_MBUF_DEFAULT_DATAROOM
constexpr int kRepetitions = 5;

const Mac kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
const Mac kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
const Ip4 kIpA{0x0a000001};
const Ip4 kIpB{0x0a000002};

Ip6 ip6(const char* s) {
    return *Ip6::parse(s);
}

// The fixtures: common tenant traffic shapes, sized like real small packets.
Bytes ipv4_udp() {
    return FrameBuilder()
        .eth(kMacB, kMacA)
        .ipv4(kIpA, kIpB)
        .udp(40000, 53)
        .payload_pattern(32)
        .build();
}
Bytes ipv4_tcp() {
    return FrameBuilder()
        .eth(kMacB, kMacA)
        .ipv4(kIpA, kIpB)
        .tcp(40000, 443, 0x10, 1)
        .tcp_options(Bytes{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2})
        .payload_pattern(64)
        .build();
}
Bytes ipv6_tcp_ext() {
    return FrameBuilder()
        .eth(kMacB, kMacA)
        .ipv6(ip6("2001:db8::a"), ip6("2001:db8::b"))
        .ipv6_ext(kIpProtoDstOpts, Bytes(6, 0))
        .tcp(40000, 443, 0x10, 1)
        .payload_pattern(64)
        .build();
}
Bytes vlan_ipv4() {
    return FrameBuilder()
        .eth(kMacB, kMacA)
        .vlan(100)
        .ipv4(kIpA, kIpB)
        .udp(40000, 53)
        .payload_pattern(32)
        .build();
}
Bytes geneve() {
    const Bytes inner = ipv4_tcp();
    return geneve_encap(kMacB, kMacA, Ip4{0xc0a80001}, Ip4{0xc0a80002}, 51234, 7, 1, 2, inner);
}

// kBurst copies of one frame, kSlot bytes apart.
struct Burst {
    explicit Burst(const Bytes& f) : mem(kBurst * kSlot), len(static_cast<uint32_t>(f.size())) {
        for (size_t i = 0; i < kBurst; ++i) std::memcpy(&mem[i * kSlot], f.data(), f.size());
    }
    const uint8_t* frame(size_t i) const { return &mem[i * kSlot]; }
    Bytes mem;
    uint32_t len;
};

uint64_t tsc() {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return 0;
#endif
}

void report(benchmark::State& st, uint64_t cycles) {
    const auto packets = static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(kBurst);
    st.SetItemsProcessed(packets);
#if defined(__x86_64__) || defined(__i386__)
    if (packets > 0) {
        st.counters["tsc/pkt"] =
            benchmark::Counter(static_cast<double>(cycles) / static_cast<double>(packets));
    }
#else
    (void)cycles;
#endif
}

void BM_ParseFrame(benchmark::State& st, Bytes (*fixture)()) {
    const Burst b(fixture());
    Layout out[kBurst];
    if (parse_frame(b.frame(0), b.len, out[0]) != scs::DropReason::None) {
        st.SkipWithError("fixture does not parse");
        return;
    }
    const uint64_t t0 = tsc();
    for (auto _ : st) {
        for (size_t i = 0; i < kBurst; ++i) {
            scs::DropReason r = parse_frame(b.frame(i), b.len, out[i]);
            benchmark::DoNotOptimize(r);
        }
        benchmark::DoNotOptimize(out);
        benchmark::ClobberMemory();
    }
    report(st, tsc() - t0);
}

// parse_geneve alone, at the offset the outer parse found.
void BM_ParseGeneve(benchmark::State& st) {
    const Burst b(geneve());
    Layout l;
    GeneveInfo info[kBurst];
    if (parse_frame(b.frame(0), b.len, l) != scs::DropReason::None || l.payload == kNoOffset ||
        parse_geneve(b.frame(0), b.len, l.payload, info[0]) != scs::DropReason::None) {
        st.SkipWithError("fixture does not parse");
        return;
    }
    const uint16_t off = l.payload;
    const uint64_t t0 = tsc();
    for (auto _ : st) {
        for (size_t i = 0; i < kBurst; ++i) {
            scs::DropReason r = parse_geneve(b.frame(i), b.len, off, info[i]);
            benchmark::DoNotOptimize(r);
        }
        benchmark::DoNotOptimize(info);
        benchmark::ClobberMemory();
    }
    report(st, tsc() - t0);
}

// What a worker does with a frame from the underlay: outer parse, Geneve, inner parse.
void BM_DecapPath(benchmark::State& st) {
    const Burst b(geneve());
    Layout outer[kBurst], inner[kBurst];
    GeneveInfo info[kBurst];
    const uint64_t t0 = tsc();
    for (auto _ : st) {
        for (size_t i = 0; i < kBurst; ++i) {
            const uint8_t* f = b.frame(i);
            scs::DropReason r = parse_frame(f, b.len, outer[i]);
            if (r == scs::DropReason::None) r = parse_geneve(f, b.len, outer[i].payload, info[i]);
            if (r == scs::DropReason::None) {
                r = parse_frame(f + info[i].inner, b.len - info[i].inner, inner[i]);
            }
            benchmark::DoNotOptimize(r);
        }
        benchmark::DoNotOptimize(inner);
        benchmark::ClobberMemory();
    }
    report(st, tsc() - t0);
}

BENCHMARK_CAPTURE(BM_ParseFrame, ipv4_udp, &ipv4_udp)
    ->Repetitions(kRepetitions)
    ->DisplayAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ParseFrame, ipv4_tcp, &ipv4_tcp)
    ->Repetitions(kRepetitions)
    ->DisplayAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ParseFrame, ipv6_tcp_ext, &ipv6_tcp_ext)
    ->Repetitions(kRepetitions)
    ->DisplayAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ParseFrame, vlan_ipv4_udp, &vlan_ipv4)
    ->Repetitions(kRepetitions)
    ->DisplayAggregatesOnly(true);
BENCHMARK(BM_ParseGeneve)->Repetitions(kRepetitions)->DisplayAggregatesOnly(true);
BENCHMARK(BM_DecapPath)->Repetitions(kRepetitions)->DisplayAggregatesOnly(true);

}  // namespace
