// Checksum tests: known vectors from the RFCs, a plain reference implementation on random data,
// and RFC 1624 incremental updates checked against full recomputation over many rewrites.
#include "packet/checksum.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

namespace scs::pkt::csum {
namespace {

using Bytes = std::vector<uint8_t>;

// The checksum as a number (host order), from the raw value the functions return.
uint16_t host(uint16_t raw) {
    return ntohs(raw);
}
uint16_t raw(uint16_t host_v) {
    return htons(host_v);
}

uint16_t load(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
uint32_t load32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
void store(uint8_t* p, uint16_t v) {
    std::memcpy(p, &v, 2);
}

// RFC 1071 written out the slow, obvious way: big-endian 16-bit words, end-around carry,
// complement. Returns the checksum as a number.
uint16_t reference(const uint8_t* p, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t{p[i]} << 8 | p[i + 1];
    if (n % 2) sum += uint32_t{p[n - 1]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes hex_bytes(const char* s) {
    Bytes b;
    for (size_t i = 0; s[i] && s[i + 1]; i += 2) {
        b.push_back(static_cast<uint8_t>(std::stoi(std::string(s + i, 2), nullptr, 16)));
    }
    return b;
}

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
    const Bytes b = hex_bytes("0001f203f4f5f6f7");
    EXPECT_EQ(host(fold(partial(b.data(), b.size()))), 0x220d);  // ~0xddf2
}

TEST(Checksum, Ipv4HeaderKnownVector) {
    // A classic example header (192.168.0.1 -> 192.168.0.199, UDP, TTL 64, DF) whose checksum
    // is 0xb861; the field holds garbage here, which ipv4_header must ignore.
    Bytes h = hex_bytes("45000073000040004011deadc0a80001c0a800c7");
    EXPECT_EQ(host(ipv4_header(h.data(), h.size())), 0xb861);
    store(&h[10], ipv4_header(h.data(), h.size()));
    EXPECT_EQ(h[10], 0xb8);
    EXPECT_EQ(h[11], 0x61);
    // A correct header sums to all ones: its full checksum over all 20 bytes is 0.
    EXPECT_EQ(fold(partial(h.data(), h.size())), 0);
}

TEST(Checksum, Ipv4HeaderWithOptions) {
    // IHL 6 with a Router Alert option; garbage 0x1234 in the checksum field.
    const std::array<uint8_t, 24> h = {0x46, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00,
                                       0x40, 0x01, 0x12, 0x34, 0x0a, 0x00, 0x00, 0x01,
                                       0x0a, 0x00, 0x00, 0x02, 0x94, 0x04, 0x00, 0x00};
    std::array<uint8_t, 24> zeroed = h;
    zeroed[10] = zeroed[11] = 0;
    EXPECT_EQ(host(ipv4_header(h.data(), h.size())), reference(zeroed.data(), zeroed.size()));
}

TEST(Checksum, UdpOverIpv4KnownVector) {
    // 192.168.0.1:1234 -> 192.168.0.199:5678, payload "hello": checksum 0x1ee9 (worked out
    // from RFC 768's pseudo-header by hand and with an independent tool).
    const Bytes ip = hex_bytes("450000210000000040110000c0a80001c0a800c7");
    const Bytes udp = hex_bytes("04d2162e000d000068656c6c6f");
    EXPECT_EQ(host(l4_ipv4(ip.data(), udp.data(), udp.size(), 17)), 0x1ee9);
}

TEST(Checksum, Icmpv6KnownVector) {
    // fe80::1 -> ff02::1 echo request id 0x1234 seq 1 "abc": 0xab9c (RFC 8200 pseudo-header).
    Bytes ip6(40, 0);
    ip6[0] = 0x60;
    ip6[8] = 0xfe;
    ip6[9] = 0x80;
    ip6[23] = 1;
    ip6[24] = 0xff;
    ip6[25] = 0x02;
    ip6[39] = 1;
    const Bytes icmp = hex_bytes("8000000012340001616263");
    EXPECT_EQ(host(l4_ipv6(ip6.data(), icmp.data(), icmp.size(), 58)), 0xab9c);
}

TEST(Checksum, FoldEdges) {
    EXPECT_EQ(fold(0), 0xffff);
    EXPECT_EQ(fold(0xffff), 0);  // the UDP case the caller turns into 0xffff
    EXPECT_EQ(fold(0x1fffe), 0);
    EXPECT_EQ(fold(0xffffffff), 0);
    EXPECT_EQ(fold(0x10000), 0xfffe);  // the carry wraps around to 1
}

TEST(Checksum, MatchesReferenceOnRandomData) {
    std::mt19937_64 rng(1);
    std::vector<uint8_t> pool(2048 + 8);
    for (int iter = 0; iter < 20000; ++iter) {
        const size_t n = rng() % 2048;
        const size_t misalign = rng() % 4;  // no alignment may be assumed
        uint8_t* p = pool.data() + misalign;
        for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(rng());
        if (iter % 16 == 0) std::memset(p, 0xff, n);
        ASSERT_EQ(host(fold(partial(p, n))), reference(p, n)) << n;
        // Chained over even-length chunks equals one pass.
        const size_t k = (rng() % (n + 1)) & ~size_t{1};
        ASSERT_EQ(fold(partial(p + k, n - k, partial(p, k))), fold(partial(p, n)));
    }
}

TEST(Checksum, NoOverflowOnLongRuns) {
    // All-ones words maximise the carries: 1 MiB of them, far beyond any frame.
    const Bytes b(1 << 20, 0xff);
    EXPECT_EQ(host(fold(partial(b.data(), b.size()))), reference(b.data(), b.size()));
    EXPECT_EQ(host(fold(partial(b.data(), b.size() - 1))), reference(b.data(), b.size() - 1));
}

TEST(ChecksumIncremental, Rfc1624Section4Example) {
    // m = 0x5555 -> m' = 0x3285 with the other words summing to 0xcd7a: HC = 0xdd2f, and the
    // correct new checksum is 0x0000 - eqn. 2 would give 0xffff here.
    uint8_t buf[4] = {0x55, 0x55, 0xcd, 0x7a};
    const uint16_t hc = fold(partial(buf, 4));
    ASSERT_EQ(host(hc), 0xdd2f);
    const uint16_t old_m = load(buf);
    buf[0] = 0x32;
    buf[1] = 0x85;
    const uint16_t full = fold(partial(buf, 4));
    EXPECT_EQ(host(full), 0x0000);
    EXPECT_EQ(update16(hc, old_m, load(buf)), full);
    EXPECT_EQ(host(update16(raw(0xdd2f), raw(0x5555), raw(0x3285))), 0x0000);
}

TEST(ChecksumIncremental, ResultsOfZeroAndAllOnes) {
    // Rewrites chosen so that the covered sum becomes 0xffff, i.e. the new checksum is exactly
    // 0x0000 - the RFC 1624 corner: the update must give 0x0000, not 0xffff. Undoing the
    // rewrite must give back the old checksum.
    std::mt19937_64 rng(2);
    for (int iter = 0; iter < 5000; ++iter) {
        Bytes b(20);
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        b[0] = 0x45;
        const uint16_t c = fold(partial(b.data(), b.size()));
        // Choose word 1 so the total becomes 0xffff: w' = ~(sum of the others).
        const uint16_t old_w = load(&b[2]);
        store(&b[2], 0);
        const uint16_t others = static_cast<uint16_t>(~fold(partial(b.data(), b.size())));
        const uint16_t new_w = static_cast<uint16_t>(~others);
        store(&b[2], new_w);
        const uint16_t full = fold(partial(b.data(), b.size()));
        ASSERT_EQ(full, 0);
        ASSERT_EQ(update16(c, old_w, new_w), full);
        ASSERT_EQ(update16(full, new_w, old_w), c);
    }
}

// One rewrite of a random kind at a random even offset of `b` (never touching bytes 0-1, which
// stay non-zero so the covered data can never be all zeros - see update16's comment), applied
// to the bytes and to `c` incrementally.
uint16_t random_rewrite(std::mt19937_64& rng, Bytes& b, uint16_t c, size_t skip_at = ~size_t{0}) {
    auto pick_word = [&]() -> uint16_t {
        switch (rng() % 4) {
            case 0:
                return 0x0000;
            case 1:
                return 0xffff;
            default:
                return static_cast<uint16_t>(rng());
        }
    };
    for (;;) {
        const int kind = static_cast<int>(rng() % 3);
        const size_t width = kind == 0 ? 2 : kind == 1 ? 4 : 2 * (1 + rng() % 8);
        if (b.size() < 2 + width) continue;
        const size_t at = 2 + 2 * (rng() % ((b.size() - 2 - width) / 2 + 1));
        if (skip_at + 2 > at && skip_at < at + width) continue;  // leave the csum field alone
        uint8_t* p = &b[at];
        if (kind == 0) {
            const uint16_t o = load(p);
            const uint16_t n = rng() % 8 == 0 ? static_cast<uint16_t>(~o) : pick_word();
            store(p, n);
            return update16(c, o, n);
        }
        if (kind == 1) {
            const uint32_t o = load32(p);
            const uint32_t n = uint32_t{pick_word()} << 16 | pick_word();
            std::memcpy(p, &n, 4);
            return update32(c, o, n);
        }
        uint8_t old_bytes[16];
        std::memcpy(old_bytes, p, width);
        for (size_t i = 0; i < width; i += 2) store(p + i, pick_word());
        return update_bytes(c, old_bytes, p, width);
    }
}

TEST(ChecksumIncremental, ManyRandomRewritesMatchFullRecomputation) {
    std::mt19937_64 rng(3);
    for (int buf_iter = 0; buf_iter < 200; ++buf_iter) {
        Bytes b(2 * (2 + rng() % 40));
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        b[0] = 0x45;
        uint16_t c = fold(partial(b.data(), b.size()));
        for (int i = 0; i < 1000; ++i) {
            c = random_rewrite(rng, b, c);
            ASSERT_EQ(c, fold(partial(b.data(), b.size()))) << buf_iter << "/" << i;
        }
    }
}

TEST(ChecksumIncremental, Ipv4HeaderFieldRewrites) {
    // The header's own checksum field sits inside the checksummed data: updates must agree with
    // ipv4_header() (which treats the field as zero) after each rewrite, TTL decrements included.
    std::mt19937_64 rng(4);
    for (int iter = 0; iter < 500; ++iter) {
        Bytes h(20 + 4 * (rng() % 11));
        for (auto& x : h) x = static_cast<uint8_t>(rng());
        h[0] = static_cast<uint8_t>(0x40 | h.size() / 4);
        store(&h[10], ipv4_header(h.data(), h.size()));
        for (int i = 0; i < 200; ++i) {
            uint16_t c = load(&h[10]);
            if (i % 2) {
                const uint16_t o = load(&h[8]);  // TTL | protocol
                --h[8];
                c = update16(c, o, load(&h[8]));
            } else {
                c = random_rewrite(rng, h, c, 10);
            }
            store(&h[10], c);
            ASSERT_EQ(c, ipv4_header(h.data(), h.size())) << iter << "/" << i;
            ASSERT_EQ(fold(partial(h.data(), h.size())), 0);
        }
    }
}

TEST(ChecksumIncremental, NatRewriteOfTcpOverIpv4) {
    // SNAT/DNAT touch an address (IP header and pseudo-header) and a port (TCP header).
    std::mt19937_64 rng(5);
    for (int iter = 0; iter < 2000; ++iter) {
        Bytes ip(20);
        for (auto& x : ip) x = static_cast<uint8_t>(rng());
        ip[0] = 0x45;
        Bytes tcp(20 + rng() % 64);
        for (auto& x : tcp) x = static_cast<uint8_t>(rng());
        store(&ip[10], ipv4_header(ip.data(), 20));
        store(&tcp[16], 0);
        store(&tcp[16], l4_ipv4(ip.data(), tcp.data(), tcp.size(), 6));

        const size_t addr_at = rng() % 2 ? 12 : 16;
        const uint32_t old_a = load32(&ip[addr_at]);
        const uint32_t new_a = static_cast<uint32_t>(rng());
        std::memcpy(&ip[addr_at], &new_a, 4);
        store(&ip[10], update32(load(&ip[10]), old_a, new_a));
        uint16_t c = update32(load(&tcp[16]), old_a, new_a);
        const size_t port_at = rng() % 2 ? 0 : 2;
        const uint16_t old_p = load(&tcp[port_at]);
        const uint16_t new_p = static_cast<uint16_t>(rng());
        store(&tcp[port_at], new_p);
        c = update16(c, old_p, new_p);
        store(&tcp[16], c);

        ASSERT_EQ(load(&ip[10]), ipv4_header(ip.data(), 20));
        Bytes zeroed = tcp;
        store(&zeroed[16], 0);
        ASSERT_EQ(c, l4_ipv4(ip.data(), zeroed.data(), zeroed.size(), 6));
        // Receiver's view: the segment with its checksum verifies to 0.
        ASSERT_EQ(l4_ipv4(ip.data(), tcp.data(), tcp.size(), 6), 0);
    }
}

TEST(ChecksumIncremental, Ipv6AddressRewrite) {
    std::mt19937_64 rng(6);
    for (int iter = 0; iter < 2000; ++iter) {
        Bytes ip(40);
        for (auto& x : ip) x = static_cast<uint8_t>(rng());
        Bytes udp(8 + rng() % 100);
        for (auto& x : udp) x = static_cast<uint8_t>(rng());
        store(&udp[6], 0);
        store(&udp[6], l4_ipv6(ip.data(), udp.data(), udp.size(), 17));

        const size_t at = rng() % 2 ? 8 : 24;
        uint8_t old_a[16];
        std::memcpy(old_a, &ip[at], 16);
        for (size_t i = 0; i < 16; ++i) ip[at + i] = static_cast<uint8_t>(rng());
        const uint16_t c = update_bytes(load(&udp[6]), old_a, &ip[at], 16);
        store(&udp[6], c);
        Bytes zeroed = udp;
        store(&zeroed[6], 0);
        ASSERT_EQ(c, l4_ipv6(ip.data(), zeroed.data(), zeroed.size(), 17));
    }
}

TEST(ChecksumIncremental, NoChangeIsNoChange) {
    for (uint16_t c : {0x0000, 0x1234, 0xfffe}) {
        for (uint16_t v : {0x0000, 0xffff, 0xabcd}) {
            // ~(~c + ~v + v) = ~(~c + 0xffff): adding negative zero changes nothing.
            EXPECT_EQ(update16(c, v, v), c) << c << " " << v;
        }
    }
}

}  // namespace
}  // namespace scs::pkt::csum
