#include "engine/exec.h"

#include <cstring>

#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "common/byteorder.h"
#include "common/compiler.h"
#include "engine/commit.h"
#include "engine/extract.h"
#include "engine/extract_fast.h"
#include "engine/hash.h"
#include "engine/select.h"
#include "engine/key.h"
#include "packet/checksum.h"
#include "packet/parse.h"
#include "packet/proto.h"

namespace scs::engine {

struct Executor::PacketState {
    FlowKey key;
    pkt::Layout lay;
    rte_mbuf* m = nullptr;
    const Datapath* dp = nullptr;
    DirtyMask dirty = 0;
    Pipe pipe = Pipe::Ingress;
    uint8_t depth = 0;  // subroutine frames below us: outputs copy instead of consuming
    uint8_t hops = 0;
    bool from_tunnel = false;
    bool keyed = false;  // key already extracted (extract_fast)
    bool sent_copy = false;  // a copy of this packet was delivered (non-final output, flood)
    uint16_t steps = 0;      // table lookups so far (kMaxSteps)
    // Slow-path recording for the flow cache (null on cache replays and copies).
    Wildcards* wc = nullptr;      // key bits consulted
    Wildcards* wr = nullptr;      // key bits written
    CachedResult* outcome = nullptr;
    bool cacheable = false;
    bool has_outcome = false;

    void uncacheable() { cacheable = false; }
};

namespace {

// The packet entered the current datapath on a localport (its inport is one).
SCS_ALWAYS_INLINE bool from_localport(const Executor::PacketState& s) {
    const PortEntry* in = s.dp->port(ntoh32(s.key.inport));
    return in && in->localport();
}

// Drop reasons that halt the whole packet even from inside a subroutine (ovn-sb(5): e.g.
// `ip.ttl--` on TTL 0 "halts processing; no further actions are processed").
inline bool halts(DropReason r) {
    switch (r) {
        case DropReason::TtlExceeded:
        case DropReason::Unimplemented:
        case DropReason::LoopLimit:
        case DropReason::NotIp:
            return true;
        default:  // `drop;`, no match, an output's own failure: the caller carries on
            return false;
    }
}

inline uint8_t* frame(rte_mbuf* m) { return rte_pktmbuf_mtod(m, uint8_t*); }

// Bit-range access to a big-endian field of up to 16 bytes.
__extension__ typedef unsigned __int128 u128;
inline u128 load_field(const uint8_t* p, unsigned width) {
    u128 v = 0;
    for (unsigned i = 0; i < width; ++i) v = v << 8 | p[i];
    return v;
}
inline void store_field(uint8_t* p, unsigned width, u128 v) {
    for (unsigned i = width; i-- > 0;) {
        p[i] = static_cast<uint8_t>(v);
        v >>= 8;
    }
}
inline u128 bit_mask(unsigned n) {
    return n >= 128 ? ~static_cast<u128>(0) : (static_cast<u128>(1) << n) - 1;
}

// Marks `n` bytes from key offset `off` under byte mask `m` (all ones if null) in `wc`.
inline void mark_bytes(Wildcards* wc, unsigned off, unsigned n, const uint8_t* m) {
    if (!wc) return;
    auto* wb = reinterpret_cast<uint8_t*>(wc->w);
    for (unsigned b = 0; b < n; ++b) wb[off + b] |= m ? m[b] : 0xff;
}

inline void apply_load(Executor::PacketState& s, const Insn& i, const uint8_t* consts) {
    uint8_t* kb = key_bytes(s.key) + i.off;
    const uint8_t* v = consts + i.a;
    const uint8_t* m = v + i.len;
    for (unsigned b = 0; b < i.len; ++b) kb[b] = static_cast<uint8_t>((kb[b] & ~m[b]) | v[b]);
    s.dirty |= dirty_bits(i.off, i.len);
    mark_bytes(s.wr, i.off, i.len, m);
}

// Marks the bits `m` (a value of the field's width, least significant bit = bit 0) of the
// big-endian field at `off` in `wc`.
inline void mark_bits(Wildcards* wc, unsigned off, unsigned width, u128 m) {
    if (!wc) return;
    auto* wb = reinterpret_cast<uint8_t*>(wc->w);
    for (unsigned i = width; i-- > 0;) {
        wb[off + i] |= static_cast<uint8_t>(m);
        m >>= 8;
    }
}

inline void apply_move(Executor::PacketState& s, const Insn& i, bool exchange) {
    const uint16_t doff = static_cast<uint16_t>(i.a >> 16), soff = static_cast<uint16_t>(i.b >> 16);
    const unsigned dw = (i.a >> 8) & 0xff, sw = (i.b >> 8) & 0xff;
    const unsigned db = i.a & 0xff, sb = i.b & 0xff;
    uint8_t* kb = key_bytes(s.key);
    const u128 mask = bit_mask(i.c);
    const u128 sv = load_field(kb + soff, sw);
    const u128 dv = load_field(kb + doff, dw);
    const u128 src_bits = (sv >> sb) & mask;
    const u128 dst_bits = (dv >> db) & mask;
    store_field(kb + doff, dw, (dv & ~(mask << db)) | (src_bits << db));
    s.dirty |= dirty_bits(doff, dw);
    // The result depends on the whole source field: the cache must match on it. Only the
    // destination bits in range are written; the rest keep each packet's own value.
    mark_bytes(s.wc, soff, sw, nullptr);
    mark_bits(s.wr, doff, dw, mask << db);
    if (exchange) {
        const u128 sv2 = load_field(kb + soff, sw);  // re-read: fields may overlap
        store_field(kb + soff, sw, (sv2 & ~(mask << sb)) | (dst_bits << sb));
        s.dirty |= dirty_bits(soff, sw);
        mark_bytes(s.wc, doff, dw, nullptr);
        mark_bits(s.wr, soff, sw, mask << sb);
    }
}

// R = select(...): the member select_hash() falls on (select.h). The outcome depends on the
// hashed fields: a cached path must match on them.
inline void apply_select(Executor::PacketState& s, const Insn& i, const uint8_t* consts) {
    const uint32_t id = select_pick(consts + i.a, i.c, select_hash(s.key));
    mark_bytes(s.wc, SelectInputs::kEthType, 2, nullptr);
    mark_bytes(s.wc, SelectInputs::kProto, 1, nullptr);
    mark_bytes(s.wc, SelectInputs::kPorts, 4, nullptr);
    if (select_is_ip6(s.key)) mark_bytes(s.wc, SelectInputs::kIp6, 32, nullptr);
    else mark_bytes(s.wc, SelectInputs::kIp4, 8, nullptr);
    const unsigned bit = i.b >> 16, n_bits = i.b & 0xffff;
    uint8_t* kb = key_bytes(s.key);
    const u128 mask = bit_mask(n_bits) << bit;
    const u128 v = load_field(kb + i.off, i.len);
    store_field(kb + i.off, i.len, (v & ~mask) | ((static_cast<u128>(id) << bit) & mask));
    s.dirty |= dirty_bits(i.off, i.len);
    mark_bits(s.wr, i.off, i.len, mask);
}

// Inner-flow hash for the Geneve UDP source port: addresses, protocol and ports, so one
// connection keeps one outer 5-tuple (underlay ECMP and receive-side RSS keep it in order).
inline uint32_t flow_hash(const FlowKey& k) {
    const uint64_t* w = key_words(k);
    uint32_t h = hash_word(0, w[SCS_KEY_OFF(ip_proto) / 8] & 0xff);
    h = hash_word(h, w[SCS_KEY_OFF(tp_src) / 8] & 0xffffffffu);
    if (k.eth_type == hton16(pkt::kEthTypeIpv6)) {
        for (unsigned i = 0; i < 4; ++i) h = hash_word(h, w[SCS_KEY_OFF(ip6_src) / 8 + i]);
    } else {
        h = hash_word(h, w[SCS_KEY_OFF(ip4_src) / 8]);  // ARP: spa/tpa; non-IP: zero
        h = hash_word(h, w[SCS_KEY_OFF(eth_dst) / 8]);
    }
    return hash_finish(h);
}

}  // namespace

SCS_ALWAYS_INLINE void Executor::finish(PacketState& s, DropReason why) {
    if (s.m) {
        rte_pktmbuf_free(s.m);
        s.m = nullptr;
        if (why == DropReason::None) why = DropReason::LogicalDrop;  // list ended, no output
        // A packet whose copies went out and whose own path then ended was delivered.
        if (s.sent_copy && (why == DropReason::LogicalDrop || why == DropReason::NoMatch)) why = DropReason::None;
    }
    if (why != DropReason::None) {
        stats_.drop(why);
        if (SCS_UNLIKELY(trace_)) {
            TraceEvent& e = trace_->events.emplace_back();
            e.kind = TraceEvent::Kind::Drop;
            e.reason = why;
        }
    }
}

bool Executor::fork(PacketState& s, PacketState& c) {
    s.uncacheable();
    if (copies_left_ == 0) {
        stats_.drop(DropReason::CloneLimit);
        return false;
    }
    rte_mbuf* m = rte_pktmbuf_copy(s.m, pool_, 0, UINT32_MAX);
    if (!m) {
        stats_.drop(DropReason::NoMbuf);
        return false;
    }
    --copies_left_;
    stats_.copies.inc();
    std::memcpy(&c.key, &s.key, sizeof c.key);
    c.lay = s.lay;
    c.m = m;
    c.dp = s.dp;
    c.dirty = s.dirty;
    c.pipe = s.pipe;
    c.depth = 0;  // the copy is a packet of its own: its last output consumes it
    c.hops = s.hops;
    c.from_tunnel = s.from_tunnel;
    c.wc = c.wr = nullptr;
    c.outcome = nullptr;
    c.cacheable = c.has_outcome = false;
    c.sent_copy = false;
    c.steps = s.steps;
    return true;
}

// Parses the frame: the one-pass fast path for plain IPv4 TCP/UDP/ICMP (which also fills
// the flow key), else the general parser (the key is extracted later, once the role allows).
SCS_ALWAYS_INLINE DropReason Executor::classify(PacketState& s) {
    const uint8_t* f = frame(s.m);
    const uint32_t len = rte_pktmbuf_data_len(s.m);
    s.keyed = extract_fast(f, len, s.lay, s.key);
    return s.keyed ? DropReason::None : pkt::parse_frame(f, len, s.lay);
}

void Executor::count_rules(unsigned slice) {
    slice_ = slice;
    counting_ = true;
    cache_.keep_rule_paths();
    fold_interval_tsc_ = rte_get_tsc_hz() / 1000 * kFoldIntervalMs;
}

void Executor::use(const Generation& gen, const RuleCounterMap* rules) {
    if (!counting_) rules = nullptr;
    if (SCS_LIKELY(gen.uid == cache_gen_ && rules == rules_)) return;
    // Cached results and recorded rule paths belong to one generation and its blocks.
    cache_.reset();
    cache_gen_ = gen.uid;
    rules_ = rules;
    folding_ = false;
    stats_.cache_flushes.inc();
}

void Executor::fold_rule_hits(uint64_t now_tsc, bool idle) {
    if (!counting_) return;
    if (!folding_) {
        if (now_tsc - last_sweep_tsc_ < fold_interval_tsc_) return;
        folding_ = true;
        last_sweep_tsc_ = now_tsc;
    }
    // A busy loop folds a few entries (a bounded addition to one burst's latency); an idle
    // one has the time.
    if (cache_.fold_step(idle ? 1024 : 64)) folding_ = false;
}

void Executor::process(const Generation& gen, uint16_t rx_port, rte_mbuf** pkts, uint16_t n) {
    if (SCS_UNLIKELY(gen.uid != cache_gen_)) use(gen, nullptr);
    gen_ = &gen;
    rx_port_ = rx_port;
    const RxBinding* rb = gen.rx_binding(rx_port);
    stats_.rx_packets.add(n);
    for (uint16_t i = 0; i < kPrefetchAhead && i < n; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
        PacketState s;
        s.m = pkts[i];
        burst_.rx_bytes += s.m->pkt_len;
        copies_left_ = kMaxCopies;
        if (SCS_UNLIKELY(!rb || rb->role == RxRole::Unbound)) {
            finish(s, DropReason::UnboundPort);
            continue;
        }
        if (rb->role == RxRole::Underlay) {  // the outer headers need no flow key
            start_underlay(s);
            continue;
        }
        const DropReason pr = classify(s);
        if (SCS_UNLIKELY(pr != DropReason::None)) {
            finish(s, pr);
            continue;
        }
        switch (rb->role) {
            case RxRole::Vif: start_vif(s, *rb); break;
            case RxRole::Underlay: start_underlay(s); break;
            case RxRole::Provider: start_provider(s, *rb); break;
            case RxRole::Unbound: break;
        }
    }
    tx_.flush();
    // Published once per burst: the per-packet path only touches these plain members.
    stats_.rx_bytes.add(burst_.rx_bytes);
    // tx: what the flush fn reports sent; what it could not send it counts as tx-full.
    stats_.tx_packets.add(tx_.take_sent_packets());
    stats_.tx_bytes.add(tx_.take_sent_bytes());
    stats_.geneve_encap.add(burst_.geneve_encap);
    stats_.geneve_decap.add(burst_.geneve_decap);
    stats_.cache_hits.add(burst_.cache_hits);
    if (SCS_UNLIKELY((++bursts_since_rank_ & 255) == 0)) cache_.rank();
    burst_ = {};
}

// The 802.1Q tag off the frame (OVN strips a localnet's or a child port's tag on the way
// in), and the frame parsed again.
DropReason Executor::strip_vlan(PacketState& s) {
    uint8_t* f = frame(s.m);
    std::memmove(f + pkt::kVlanHdrLen, f, 12);
    rte_pktmbuf_adj(s.m, pkt::kVlanHdrLen);
    return classify(s);
}

SCS_ALWAYS_INLINE void Executor::start_vif(PacketState& s, const RxBinding& rb) {
    uint32_t dp = rb.dp, port = rb.port;
    if (SCS_UNLIKELY(!rb.children.empty()) && s.lay.n_vlans) {
        // A child port's frame (physical.c: the parent's in_port and the child's dl_vlan).
        const uint16_t vid = s.lay.vlan_tci & 0x0fff;
        for (const VlanBinding& c : rb.children) {
            if (c.vlan != vid) continue;
            dp = c.dp;
            port = c.port;
            if (const DropReason pr = strip_vlan(s); pr != DropReason::None) return finish(s, pr);
            break;
        }
    }
    s.dp = gen_->datapath(dp);
    if (SCS_UNLIKELY(!s.dp)) return finish(s, DropReason::UnboundPort);
    if (!s.keyed) extract_key(frame(s.m), s.lay, s.key);
    s.key.inport = hton32(port);
    s.pipe = Pipe::Ingress;
    enter(s);
}

void Executor::start_provider(PacketState& s, const RxBinding& rb) {
    const uint16_t vid = s.lay.n_vlans ? (s.lay.vlan_tci & 0x0fff) : 0;
    const VlanBinding* lb = nullptr;
    for (const VlanBinding& b : rb.localnets)
        if (b.vlan == vid) lb = &b;
    if (!lb || !(s.dp = gen_->datapath(lb->dp))) return finish(s, DropReason::LocalnetNoMatch);
    if (s.lay.n_vlans) {  // OVN's localnet port strips the provider VLAN tag on the way in
        if (const DropReason pr = strip_vlan(s); pr != DropReason::None) return finish(s, pr);
    }
    if (!s.keyed) extract_key(frame(s.m), s.lay, s.key);
    s.key.inport = hton32(lb->port);
    s.pipe = Pipe::Ingress;
    enter(s);
}

void Executor::start_underlay(PacketState& s) {
    const uint8_t* f = frame(s.m);
    const uint32_t len = rte_pktmbuf_data_len(s.m);
    uint16_t l3 = pkt::kEthHdrLen, l4 = pkt::kEthHdrLen + pkt::kIp4HdrLen;
    uint8_t proto;
    uint32_t tot, l4_len;
    if (!plain_ipv4_l4(f, len, proto, tot, l4_len) || proto != pkt::kIpProtoUdp) {
        // Anything unusual: the general parser and its verdicts.
        const DropReason pr = pkt::parse_frame(f, len, s.lay);
        if (pr != DropReason::None) return finish(s, pr);
        if (s.lay.l3_type != pkt::L3Type::Ipv4 || s.lay.ip_proto != pkt::kIpProtoUdp || !s.lay.has_l4() ||
            (s.lay.frag & pkt::kFragAny))
            return finish(s, DropReason::TunnelNotGeneve);
        l3 = s.lay.l3;
        l4 = s.lay.l4;
    }
    uint32_t dst_ip, src_ip;
    uint16_t dport;
    std::memcpy(&dst_ip, f + l3 + 16, 4);
    std::memcpy(&src_ip, f + l3 + 12, 4);
    std::memcpy(&dport, f + l4 + 2, 2);
    if (ntoh16(dport) != pkt::kGenevePort || ntoh32(dst_ip) != gen_->underlay.encap_ip)
        return finish(s, DropReason::TunnelNotGeneve);
    pkt::GeneveInfo gi;
    const DropReason gr = pkt::parse_geneve(f, len, static_cast<uint16_t>(l4 + pkt::kUdpHdrLen), gi);
    if (gr != DropReason::None) return finish(s, gr);
    if (!gi.has_ovn_tlv) return finish(s, DropReason::GeneveNoOvnTlv);
    if (gi.unknown_critical) return finish(s, DropReason::GeneveUnknownCritical);
    // Only chassis we tunnel to may inject into our pipelines: their packets enter the egress
    // pipeline directly, past the ingress port security of the sending chassis.
    if (!gen_->known_remote(ntoh32(src_ip))) return finish(s, DropReason::TunnelUnknownSource);
    s.dp = gen_->datapath(gi.vni);
    if (!s.dp) return finish(s, DropReason::TunnelUnknownVni);
    rte_pktmbuf_adj(s.m, gi.inner);
    ++burst_.geneve_decap;
    const DropReason pr = classify(s);
    if (pr != DropReason::None) return finish(s, pr);
    if (!s.keyed) extract_key(frame(s.m), s.lay, s.key);
    s.key.inport = hton32(gi.ingress_port);
    s.key.outport = hton32(gi.egress_port);
    s.from_tunnel = true;
    s.pipe = Pipe::Egress;
    // ovn-architecture(7): packets from a tunnel enter the egress pipeline directly; for a
    // multicast group the egress pipeline runs once per local member.
    if (gi.egress_port >= Datapath::kMcastBase) return finish(s, flood(s, gi.egress_port, true));
    const PortEntry* pe = s.dp->port(gi.egress_port);
    if (!pe || pe->kind == PortKind::None || pe->kind == PortKind::Remote)
        return finish(s, DropReason::TunnelUnknownPort);
    if (pe->stands_for_peer()) s.key.outport = hton32(pe->peer_port);
    enter(s);
}

namespace {

// Outcomes worth remembering: a pure function of the key and the tables. Resource
// exhaustion and loop guards are not, and unimplemented actions will become controller
// round trips.
bool cacheable_drop(DropReason r) {
    switch (r) {
        case DropReason::None:
        case DropReason::LogicalDrop:
        case DropReason::NoMatch:
        case DropReason::TtlExceeded:
        case DropReason::UnknownOutport:
        case DropReason::OutportNone:
        case DropReason::NotIp:
        case DropReason::SameInOut:
        case DropReason::LocalportNoTunnel:
            return true;
        default:
            return false;
    }
}

}  // namespace

SCS_ALWAYS_INLINE void Executor::enter(PacketState& s) {
    s.key.rx_port = hton16(rx_port_);
    s.key.entry_dp = hton32(s.dp->tunnel_key);
    if (SCS_LIKELY(cache_enabled_ && !trace_)) {
        if (const CachedResult* r = cache_.lookup(s.key)) {
            ++burst_.cache_hits;
            return replay(s, *r);
        }
        return enter_slow(s);
    }
    finish(s, run(s, 0));
}

// A cache miss: the full pipeline walk, recording what the cache entry needs. Kept out of
// line so the hit path above stays small.
__attribute__((noinline)) void Executor::enter_slow(PacketState& s) {
    stats_.cache_misses.inc();
    const FlowKey orig = s.key;
    Wildcards wc, wr;
    CachedResult out;
    // Where the packet entered (ports, datapath) is always part of the entry's key.
    wc.w[SCS_KEY_OFF(inport) / 8] = ~uint64_t{0};
    wc.w[SCS_KEY_OFF(rx_port) / 8] = ~uint64_t{0};
    s.wc = &wc;
    s.wr = &wr;
    s.outcome = &out;
    s.cacheable = true;
    s.has_outcome = false;
    n_path_ = 0;
    const DropReason why = run(s, 0);
    if (s.cacheable && cacheable_drop(why)) {
        if (!s.has_outcome) {
            out.kind = CachedKind::Drop;
            out.reason = why == DropReason::None ? DropReason::LogicalDrop : why;
        }
        // Registers, flags and conntrack state are zero on entry: not part of the key.
        for (unsigned w = SCS_KEY_OFF(inport) / 8 + 1; w < kFirstPacketWord; ++w) wc.w[w] = 0;
        cache_.insert(orig, wc, out, {path_, rules_ ? n_path_ : 0});
        stats_.cache_inserts.inc();
    }
    s.wc = s.wr = nullptr;
    s.outcome = nullptr;
    finish(s, why);
}

SCS_ALWAYS_INLINE void Executor::replay(PacketState& s, const CachedResult& r) {
    uint64_t* kw = key_words(s.key);
    for (unsigned i = 0; i < r.n_writes; ++i) {
        const unsigned w = r.write_word[i];
        kw[w] = (kw[w] & ~r.write_mask[i]) | r.write_value[i];
        s.dirty |= DirtyMask{1} << w;
    }
    switch (r.kind) {
        case CachedKind::Tx: return finish(s, transmit(s, r.port, r.vlan));
        case CachedKind::Tunnel: return finish(s, encap(s, r.port, r.vni, r.in_key, r.out_key));
        case CachedKind::Drop: return finish(s, r.reason);
    }
}

// Records the terminal outcome of a recorded slow-path pass: where it went and which packet
// bytes the actions wrote (their final values).
bool Executor::record(PacketState& s, CachedKind kind) {
    if (!s.outcome) return true;
    if (s.has_outcome) {  // a second output: not a single-outcome path
        s.uncacheable();
        return false;
    }
    s.has_outcome = true;
    CachedResult& o = *s.outcome;
    o.kind = kind;
    o.n_writes = 0;
    const uint64_t* kw = key_words(s.key);
    for (unsigned w = kFirstPacketWord; w < kKeyWords; ++w) {
        if (!s.wr->w[w]) continue;
        if (o.n_writes == kCacheMaxWrites) {
            s.uncacheable();
            return false;
        }
        o.write_word[o.n_writes] = static_cast<uint8_t>(w);
        o.write_mask[o.n_writes] = s.wr->w[w];
        o.write_value[o.n_writes] = kw[w] & s.wr->w[w];
        ++o.n_writes;
    }
    return true;
}

DropReason Executor::run(PacketState& s, uint32_t si, const Insn* pc) {
    for (;;) {
        if (!pc) {
            const Pipeline& pl = s.dp->pipe[static_cast<int>(s.pipe)];
            if (SCS_UNLIKELY(si >= pl.stages.size())) return DropReason::NoMatch;
            if (SCS_UNLIKELY(++s.steps > kMaxSteps)) return DropReason::LoopLimit;
            const Hit h = pl.stages[si].lookup(s.key, s.wc);
            if (SCS_UNLIKELY(trace_)) {
                TraceEvent& e = trace_->events.emplace_back();
                e.pipe = s.pipe;
                e.dp = s.dp->tunnel_key;
                e.stage = si;
                e.action = h.action;
                e.key = s.key;
            }
            if (rules_) count_rule(s, si, h);
            if (SCS_UNLIKELY(h.action == kNoAction)) return DropReason::NoMatch;
            pc = &s.dp->program.code[h.action];
        }
        const uint8_t* consts = s.dp->program.consts.data();
        for (;; ++pc) {
            switch (pc->op) {
                case Op::Load:
                    apply_load(s, *pc, consts);
                    continue;
                case Op::Move:
                    apply_move(s, *pc, false);
                    continue;
                case Op::Exchange:
                    apply_move(s, *pc, true);
                    continue;
                case Op::Select:
                    apply_select(s, *pc, consts);
                    continue;
                case Op::DecTtl:
                    mark_bytes(s.wc, SCS_KEY_OFF(eth_type), 2, nullptr);  // IP or not decides
                    if (SCS_UNLIKELY(s.lay.l3_type != pkt::L3Type::Ipv4 && s.lay.l3_type != pkt::L3Type::Ipv6))
                        return DropReason::NotIp;
                    mark_bytes(s.wc, SCS_KEY_OFF(ip_ttl), 1, nullptr);
                    if (SCS_UNLIKELY(s.key.ip_ttl <= 1)) return DropReason::TtlExceeded;
                    --s.key.ip_ttl;
                    s.dirty |= kDirtyIpScalars;
                    mark_bytes(s.wr, SCS_KEY_OFF(ip_ttl), 1, nullptr);
                    continue;
                case Op::Next:
                    if (SCS_LIKELY(pc->flags & kInsnTail)) {
                        s.pipe = static_cast<Pipe>(pc->b);
                        si = pc->a;
                        goto next_stage;
                    } else {
                        if (s.depth >= kMaxCallDepth) return DropReason::LoopLimit;
                        const Pipe saved = s.pipe;
                        ++s.depth;
                        s.pipe = static_cast<Pipe>(pc->b);
                        const DropReason r = run(s, pc->a);
                        --s.depth;
                        s.pipe = saved;
                        if (halts(r)) return r;
                        continue;
                    }
                case Op::Output: {
                    if (SCS_LIKELY((pc->flags & kInsnTail) && s.depth == 0)) {
                        const Outcome o = s.pipe == Pipe::Ingress ? ingress_output(s) : egress_output(s);
                        if (o.next == Next::Done) return o.why;
                        si = 0;
                        goto next_stage;
                    }
                    // Not the last word: the output gets a copy, we carry on.
                    PacketState c;
                    if (fork(s, c)) {
                        const Outcome o = c.pipe == Pipe::Ingress ? ingress_output(c) : egress_output(c);
                        const DropReason r = o.next == Next::Done ? o.why : run(c, 0);
                        s.sent_copy |= c.m == nullptr || c.sent_copy;
                        finish(c, r);
                    }
                    continue;
                }
                case Op::Clone: {
                    s.uncacheable();
                    if (s.depth >= kMaxCallDepth) return DropReason::LoopLimit;
                    // The state is restored afterwards; an output inside copies the packet
                    // (depth > 0), so the mbuf stays ours.
                    FlowKey saved;
                    std::memcpy(&saved, &s.key, sizeof s.key);
                    const DirtyMask dirty = s.dirty;
                    const Pipe pipe = s.pipe;
                    ++s.depth;
                    run(s, si, &s.dp->program.code[pc->a]);
                    --s.depth;
                    std::memcpy(&s.key, &saved, sizeof s.key);
                    s.dirty = dirty;
                    s.pipe = pipe;
                    continue;
                }
                case Op::Drop:
                    return static_cast<DropReason>(pc->a);
                case Op::Unimplemented:
                    s.uncacheable();
                    stats_.unimplemented[pc->a].inc();
                    return DropReason::Unimplemented;
                case Op::End:
                    return DropReason::LogicalDrop;
            }
        }
    next_stage:
        pc = nullptr;
    }
}

// A slow-path lookup: counted now, and - in a pass the flow cache will remember - recorded
// so that the entry's hits can be folded into the same slots.
void Executor::count_rule(PacketState& s, uint32_t stage, const Hit& h) {
    RuleCounters* rc = rules_->of(s.dp);
    RuleSlot* slot = rc ? rc->slot(slice_, s.pipe, stage, h) : nullptr;
    if (SCS_LIKELY(slot != nullptr)) slot->count(h);
    if (!s.wc) return;
    if (SCS_LIKELY(slot != nullptr && n_path_ < kCacheMaxPath))
        path_[n_path_++] = slot;
    else
        s.uncacheable();  // its hits could not be attributed: every packet takes this walk
}

Executor::Outcome Executor::ingress_output(PacketState& s) {
    const uint32_t out = ntoh32(s.key.outport);
    if (SCS_UNLIKELY(out == 0)) return {Next::Done, DropReason::OutportNone};
    if (out >= Datapath::kMcastBase) return {Next::Done, flood(s, out, s.from_tunnel || from_localport(s))};
    const PortEntry* pe = s.dp->port(out);
    if (SCS_UNLIKELY(!pe || pe->kind == PortKind::None)) return {Next::Done, DropReason::UnknownOutport};
    // ovn-architecture(7): a packet for a port on another chassis is tunnelled right after
    // the ingress pipeline; that chassis runs the egress pipeline. Never one that came in
    // on a localport: every chassis has its own (ovn-nb(5); physical.c's table 39).
    if (pe->kind == PortKind::Remote) {
        if (SCS_UNLIKELY(from_localport(s))) return {Next::Done, DropReason::LocalportNoTunnel};
        return {Next::Done, tunnel_out(s, pe->tunnel, out)};
    }
    if (pe->stands_for_peer()) s.key.outport = hton32(pe->peer_port);
    s.pipe = Pipe::Egress;
    return {Next::Continue, DropReason::None};
}

Executor::Outcome Executor::egress_output(PacketState& s) {
    const uint32_t out = ntoh32(s.key.outport);
    const PortEntry* pe = s.dp->port(out);
    if (SCS_UNLIKELY(!pe || pe->kind == PortKind::None)) return {Next::Done, DropReason::UnknownOutport};
    // ovn-sb(5): output to the input port is dropped unless flags.loopback is set.
    if (SCS_UNLIKELY(s.key.outport == s.key.inport && !(ntoh32(s.key.flags) & kFlagLoopback)))
        return {Next::Done, DropReason::SameInOut};
    switch (pe->kind) {
        case PortKind::Vif:
        case PortKind::Localnet: {
            const uint16_t vlan = pe->vlan;  // a tagged localnet, or a child port's tag
            // Traced here, on the slow path: cached replays call transmit() untraced.
            if (SCS_UNLIKELY(trace_)) {
                TraceEvent& e = trace_->events.emplace_back();
                e.kind = TraceEvent::Kind::Tx;
                e.port = pe->tx_port;
                e.vlan = vlan;
            }
            return {Next::Done, transmit(s, pe->tx_port, vlan)};
        }
        case PortKind::Remote: return {Next::Done, tunnel_out(s, pe->tunnel, out)};
        case PortKind::Patch: {
            const Datapath* peer = gen_->datapath(pe->peer_dp);
            if (SCS_UNLIKELY(!peer)) return {Next::Done, DropReason::UnknownOutport};
            if (SCS_UNLIKELY(++s.hops > kMaxHops)) return {Next::Done, DropReason::LoopLimit};
            // Entering the peer datapath as OVN's patch ports do: all logical metadata
            // (registers, flags, conntrack state, ports) starts from zero, inport = peer.
            std::memset(&s.key, 0, SCS_KEY_OFF(eth_dst));
            s.key.inport = hton32(pe->peer_port);
            s.dp = peer;
            s.from_tunnel = false;  // only the first datapath after a tunnel is local-only
            s.pipe = Pipe::Ingress;
            return {Next::Continue, DropReason::None};
        }
        case PortKind::None:
        case PortKind::Redirect:  // resolved at ingress output; never an egress outport
        case PortKind::ViaLocalnet:
            break;
    }
    return {Next::Done, DropReason::UnknownOutport};
}

DropReason Executor::flood(PacketState& s, uint32_t group_key, bool local_only) {
    // Deterministic given the key; only the copies (fork) make a path uncacheable, so a
    // group with one target here (e.g. _MC_unknown = the localnet port) is cached.
    const MulticastGroup* g = s.dp->group(group_key);
    if (!g) return DropReason::UnknownOutport;
    const uint32_t in = ntoh32(s.key.inport);
    const bool loopback = ntoh32(s.key.flags) & kFlagLoopback;
    // Targets: local members (egress runs here, once per member) and one copy per remote
    // chassis carrying the group key (its chassis floods to its own members).
    struct Target {
        uint32_t port;
        uint16_t tunnel;
        bool remote;
    };
    Target tgt[kMaxCopies];
    unsigned n = 0, over = 0;
    auto add = [&](Target t) {
        if (n < kMaxCopies) tgt[n++] = t;
        else ++over;
    };
    for (uint32_t member : g->members) {
        const PortEntry* pe = s.dp->port(member);
        if (!pe || pe->kind == PortKind::None || pe->kind == PortKind::ViaLocalnet || (member == in && !loopback))
            continue;
        if (local_only && !pe->local_flood_member()) continue;
        if (pe->kind == PortKind::Remote) {
            bool seen = false;  // one copy per chassis; targets are few, a scan is enough
            for (unsigned i = 0; i < n && !seen; ++i) seen = tgt[i].remote && tgt[i].tunnel == pe->tunnel;
            if (!seen) add({group_key, pe->tunnel, true});
        } else {
            add({member, 0, false});
        }
    }
    // Members beyond the fan-out bound are not silently skipped: each is a counted drop.
    if (SCS_UNLIKELY(over)) stats_.drops[static_cast<std::size_t>(DropReason::CloneLimit)].add(over);
    if (n == 0) return DropReason::LogicalDrop;
    for (unsigned i = 0; i < n; ++i) {
        PacketState c;
        PacketState* p = &s;
        if (i + 1 < n) {
            if (!fork(s, c)) continue;
            p = &c;
        }
        DropReason r;
        if (tgt[i].remote) {
            r = tunnel_out(*p, tgt[i].tunnel, tgt[i].port);
        } else {
            p->key.outport = hton32(tgt[i].port);
            p->pipe = Pipe::Egress;
            r = run(*p, 0);
        }
        if (p != &s) {
            s.sent_copy |= p->m == nullptr || p->sent_copy;
            finish(*p, r);
        } else {
            return r;
        }
    }
    return DropReason::None;
}

SCS_ALWAYS_INLINE DropReason Executor::transmit(PacketState& s, uint16_t port, uint16_t vlan) {
    if (s.outcome && record(s, CachedKind::Tx)) {
        s.outcome->port = port;
        s.outcome->vlan = vlan;
    }
    commit_key(frame(s.m), s.lay, s.key, s.dirty);
    s.dirty = 0;
    if (vlan) {
        // Localnet with a tag: push 802.1Q between the MAC addresses and the EtherType.
        uint8_t* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(s.m, pkt::kVlanHdrLen));
        if (SCS_UNLIKELY(!f)) return DropReason::NoHeadroom;
        std::memmove(f, f + pkt::kVlanHdrLen, 12);
        const uint16_t tpid = hton16(pkt::kEthTypeVlan), tci = hton16(vlan & 0x0fff);
        std::memcpy(f + 12, &tpid, 2);
        std::memcpy(f + 14, &tci, 2);
    }
    if (SCS_UNLIKELY(!tx_.push(port, s.m))) return DropReason::UnknownOutport;
    s.m = nullptr;
    return DropReason::None;
}

DropReason Executor::tunnel_out(PacketState& s, uint16_t tunnel, uint32_t outport) {
    const uint32_t vni = s.dp->tunnel_key, in_key = ntoh32(s.key.inport);
    if (s.outcome && record(s, CachedKind::Tunnel)) {
        s.outcome->port = tunnel;
        s.outcome->vni = vni;
        s.outcome->in_key = in_key;
        s.outcome->out_key = outport;
    }
    if (SCS_UNLIKELY(trace_)) {
        TraceEvent& e = trace_->events.emplace_back();
        e.kind = TraceEvent::Kind::Tunnel;
        e.port = tunnel;
        e.vni = vni;
        e.in_key = in_key;
        e.out_key = outport;
    }
    return encap(s, tunnel, vni, in_key, outport);
}

SCS_ALWAYS_INLINE DropReason Executor::encap(PacketState& s, uint16_t tunnel, uint32_t vni_key, uint32_t in_key, uint32_t outport) {
    if (SCS_UNLIKELY(tunnel >= gen_->tunnels.size())) return DropReason::UnknownOutport;
    const Tunnel& t = gen_->tunnels[tunnel];
    if (SCS_UNLIKELY(t.tx_port >= kMaxPorts)) return DropReason::NoUnderlay;
    commit_key(frame(s.m), s.lay, s.key, s.dirty);
    s.dirty = 0;
    uint8_t* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(s.m, pkt::kGeneveEncapLen));
    if (SCS_UNLIKELY(!h)) return DropReason::NoHeadroom;
    std::memcpy(h, t.header.data(), pkt::kGeneveEncapLen);
    uint8_t* ip = h + pkt::kEthHdrLen;
    uint8_t* udp = ip + pkt::kIp4HdrLen;
    uint8_t* gnv = udp + pkt::kUdpHdrLen;
    const uint16_t ip_len = static_cast<uint16_t>(s.m->pkt_len - pkt::kEthHdrLen);
    const uint16_t ip_len_be = hton16(ip_len);
    const uint16_t udp_len_be = hton16(static_cast<uint16_t>(ip_len - pkt::kIp4HdrLen));
    std::memcpy(ip + 2, &ip_len_be, 2);
    if (t.hw_ip_csum) {
        std::memset(ip + 10, 0, 2);
        s.m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
        s.m->l2_len = pkt::kEthHdrLen;
        s.m->l3_len = pkt::kIp4HdrLen;
    } else {
        uint16_t c;
        std::memcpy(&c, ip + 10, 2);
        c = pkt::csum::update16(c, 0, ip_len_be);  // the template was summed with length 0
        std::memcpy(ip + 10, &c, 2);
    }
    // OVS's tunnel source port: the flow hash scaled into [32768, 61000).
    const uint32_t hash = flow_hash(s.key);
    const uint16_t sport = hton16(static_cast<uint16_t>(((uint64_t{hash} * (61000 - 32768)) >> 32) + 32768));
    std::memcpy(udp, &sport, 2);
    std::memcpy(udp + 4, &udp_len_be, 2);
    const uint32_t vni = hton32(vni_key << 8);
    std::memcpy(gnv + 4, &vni, 4);
    const uint32_t opt = hton32((in_key & 0x7fff) << 16 | (outport & 0xffff));
    std::memcpy(gnv + pkt::kGeneveHdrLen + 4, &opt, 4);
    if (SCS_UNLIKELY(!tx_.push(t.tx_port, s.m))) return DropReason::UnknownOutport;
    s.m = nullptr;
    ++burst_.geneve_encap;
    return DropReason::None;
}

}  // namespace scs::engine
