// Per-lcore transmit buffering: packets are queued per DPDK port and flushed in bursts.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include <rte_mbuf.h>

#include "common/compiler.h"

namespace scs::engine {

inline constexpr uint16_t kMaxPorts = 32;
inline constexpr uint16_t kTxBufSize = 64;

// Called with a full (or end-of-burst) buffer. Must take ownership of all `n` mbufs -
// transmit them or free them - and return how many were transmitted.
using TxFlushFn = uint16_t (*)(void* opaque, uint16_t port, rte_mbuf** pkts, uint16_t n);

class TxSink {
public:
    TxSink(TxFlushFn fn, void* opaque) : fn_(fn), opaque_(opaque) {}

    // Returns false if `port` is out of range (the caller drops the packet).
    SCS_ALWAYS_INLINE bool push(uint16_t port, rte_mbuf* m) {
        if (SCS_UNLIKELY(port >= kMaxPorts)) return false;
        Buf& b = bufs_[port];
        b.bytes += m->pkt_len;
        b.len[b.n] = m->pkt_len;
        b.pkts[b.n++] = m;
        pending_ |= 1u << port;
        if (SCS_UNLIKELY(b.n == kTxBufSize)) flush_port(port);
        return true;
    }
    void flush() {
        while (pending_) {
            const uint16_t p = static_cast<uint16_t>(__builtin_ctz(pending_));
            flush_port(p);
        }
    }
    // Packets and bytes the flush fn reported sent since the last call (the owner publishes
    // them into its counters once per burst).
    uint64_t take_sent_packets() { return std::exchange(sent_, 0); }
    uint64_t take_sent_bytes() { return std::exchange(sent_bytes_, 0); }

private:
    void flush_port(uint16_t port) {
        Buf& b = bufs_[port];
        // Bytes of a partial send are summed before the call: mbufs handed to the driver are
        // no longer ours to read. The common full send needs no loop.
        uint64_t unsent_bytes = 0;
        const uint16_t sent = fn_(opaque_, port, b.pkts.data(), b.n);
        if (SCS_UNLIKELY(sent < b.n)) {
            // The fn freed the unsent ones: take their sizes as recorded when queued.
            for (uint16_t i = sent; i < b.n; ++i) unsent_bytes += b.len[i];
        }
        sent_ += sent;
        sent_bytes_ += b.bytes - unsent_bytes;
        b.bytes = 0;
        b.n = 0;
        pending_ &= ~(1u << port);
    }
    struct Buf {
        uint16_t n = 0;
        uint64_t bytes = 0;
        std::array<rte_mbuf*, kTxBufSize> pkts{};
        std::array<uint32_t, kTxBufSize> len{};
    };
    TxFlushFn fn_;
    void* opaque_;
    uint32_t pending_ = 0;
    uint64_t sent_ = 0;
    uint64_t sent_bytes_ = 0;
    std::array<Buf, kMaxPorts> bufs_{};
};
static_assert(kMaxPorts <= 32, "pending_ is a 32-bit port mask");

}  // namespace scs::engine
