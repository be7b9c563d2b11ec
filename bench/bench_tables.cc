// Lookup cost of each table kind, on keys that hit, with table sizes from tiny to large.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "common/byteorder.h"
#include "engine/table.h"

namespace scs::engine {
namespace {

std::vector<FlowKey> keys_for(const std::vector<Match>& ms, std::size_t n) {
    std::vector<FlowKey> keys;
    std::mt19937 rng(1);
    for (std::size_t i = 0; i < n; ++i) keys.push_back(ms[rng() % ms.size()].value);
    return keys;
}

void BM_ExactMac(benchmark::State& st) {
    const auto n = static_cast<uint64_t>(st.range(0));
    std::vector<Match> ms;
    for (uint64_t i = 0; i < n; ++i) ms.push_back(Match{}.set_u64(Field::EthDst, 0x020000000000ull + i * 7919));
    Subtable t(ms[0].mask);
    for (uint32_t i = 0; i < n; ++i) t.insert(ms[i].value, 50, i, i);
    t.finalize();
    const auto keys = keys_for(ms, 4096);
    std::size_t i = 0;
    for (auto _ : st) {
        Hit h;
        benchmark::DoNotOptimize(t.lookup(keys[i++ & 4095], h));
        benchmark::DoNotOptimize(h);
    }
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ExactMac)->Arg(16)->Arg(1024)->Arg(100000);

void BM_Lpm(benchmark::State& st) {
    const auto n = static_cast<uint32_t>(st.range(0));
    Match guard = Match{}.set_u64(Field::EthType, 0x0800);
    LpmTable lpm(SCS_KEY_OFF(ip4_dst), 4, guard);
    std::vector<Match> ms;
    std::mt19937 rng(3);
    for (uint32_t i = 0; i < n; ++i) {
        const unsigned plen = i % 3 == 0 ? 32 : (i % 3 == 1 ? 24 : 16);
        const uint32_t a = (0x0a000000u | (rng() & 0x00ffffffu)) & (~0u << (32 - plen));
        const uint8_t b[4] = {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
        lpm.insert(b, plen, static_cast<int32_t>(2 * plen + 1), i, i);
        ms.push_back(Match(guard).set_u64(Field::Ip4Dst, a | (plen < 32 ? 1 : 0)));
    }
    lpm.finalize();
    const auto keys = keys_for(ms, 4096);
    std::size_t i = 0;
    for (auto _ : st) {
        Hit h;
        benchmark::DoNotOptimize(lpm.lookup(keys[i++ & 4095], h));
        benchmark::DoNotOptimize(h);
    }
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_Lpm)->Arg(4)->Arg(1000)->Arg(100000);

// Tuple-space classifier with `st.range(0)` distinct masks (subtables, one register each),
// 8 rules per subtable, keys that match only the lowest-priority subtable: the worst case,
// where every subtable is probed.
void BM_ClassifierWorstCase(benchmark::State& st) {
    const auto n_masks = static_cast<unsigned>(st.range(0));
    Classifier c;
    std::vector<FlowKey> keys;
    for (unsigned m = 0; m < n_masks; ++m) {
        const Field reg = static_cast<Field>(static_cast<unsigned>(Field::Reg0) + m);
        for (uint32_t r = 0; r < 8; ++r) {
            Match x;
            x.set_u64(Field::Inport, r + 1).set_u64(reg, 1000 + m);
            c.insert(x, static_cast<int32_t>(100 - m), r, r);
            if (m == n_masks - 1) keys.push_back(x.value);
        }
    }
    c.finalize();
    std::size_t i = 0;
    for (auto _ : st) {
        Hit h;
        benchmark::DoNotOptimize(c.lookup(keys[i++ % keys.size()], h));
        benchmark::DoNotOptimize(h);
    }
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_ClassifierWorstCase)->Arg(1)->Arg(4)->Arg(10);

}  // namespace
}  // namespace scs::engine
