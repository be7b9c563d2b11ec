// OVN 23.03's symbol table (ovn-sb(5) "Logical_Flow TABLE", OVN's lib/logical-fields.c),
// each name mapped onto the engine's flow key. Where OVN stores a field in an OpenFlow field
// shared with another (ARP addresses in nw_src/nw_dst and arp_sha/arp_tha, ND link-layer
// addresses in arp_sha/arp_tha, ICMP type/code in tp_src/tp_dst), the engine key does the
// same (engine/key.h).
#include "lflow/symtab.h"

#include <algorithm>

#include <fmt/format.h>

namespace scs::lflow {

namespace {

using engine::Field;

// Connection-tracking state bits, in Open vSwitch's CS_* order.
constexpr const char* kCtStates[] = {"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"};
constexpr unsigned kCtTrackedBit = 5;

// OVN's MLF_* bit numbers of the logical flags register that have names.
struct FlagBit {
    const char* name;
    unsigned bit;
};
constexpr FlagBit kFlagBits[] = {
    {"loopback", 0},           {"force_snat_for_dnat", 2}, {"force_snat_for_lb", 3},
    {"skip_snat_for_lb", 9},   {"use_snat_zone", 11},      {"localnet", 15},
    {"tunnel_rx", 16},         {"icmp_snat", 17},          {"from_ctrl", 19},
};

class Builder {
public:
    explicit Builder(std::vector<Symbol>& out) : out_(out) {}

    // A whole engine field (or a bit range of one that OVN names as a field of its own).
    void field(std::string name, Field f, uint16_t bit, uint16_t n_bits, Format fmt,
               std::string prereqs = {}, bool writable = true) {
        Symbol s;
        s.name = std::move(name);
        s.kind = Symbol::Kind::Field;
        s.width = n_bits;
        s.format = fmt;
        s.ref = FieldRef{f, bit, n_bits};
        s.prereqs = std::move(prereqs);
        // OVN's writability (the OVS field's); the compiler separately refuses writes the
        // engine cannot commit to the packet yet (vlan.tci, ip6.label).
        s.writable = writable && (engine::field_info(f).writable || f == Field::VlanTci || f == Field::Ip6Label);
        out_.push_back(std::move(s));
    }
    void whole(std::string name, Field f, Format fmt, std::string prereqs = {},
               bool writable = true) {
        const auto n = static_cast<uint16_t>(engine::field_info(f).width * 8);
        field(std::move(name), f, 0, n, fmt, std::move(prereqs), writable);
    }
    // An OVN field the engine key does not carry.
    void absent(std::string name, uint16_t width, std::string prereqs = {},
                bool writable = true) {
        Symbol s;
        s.name = std::move(name);
        s.kind = Symbol::Kind::Field;
        s.width = width;
        s.prereqs = std::move(prereqs);
        s.writable = writable;
        out_.push_back(std::move(s));
    }
    // `name` = parent[lo..hi]; `parent` must already be in the table.
    void subfield(std::string name, const std::string& parent, uint16_t lo, uint16_t hi,
                  std::string prereqs = {}, bool ct_commit = false) {
        const Symbol* p = find(parent);
        Symbol s;
        s.name = std::move(name);
        s.kind = Symbol::Kind::Subfield;
        s.width = static_cast<uint16_t>(hi - lo + 1);
        s.format = s.width == 1 ? Format::Decimal : p->format;
        if (p->format == Format::Ipv4 || p->format == Format::Ipv6 ||
            p->format == Format::Ethernet) {
            s.format = s.width == 1 ? Format::Decimal : Format::Hex;
        }
        if (p->ref) {
            s.ref = FieldRef{p->ref->field, static_cast<uint16_t>(p->ref->bit + lo), s.width};
        }
        s.prereqs = std::move(prereqs);
        s.expansion = lo == hi ? fmt::format("{}[{}]", parent, lo)
                               : fmt::format("{}[{}..{}]", parent, lo, hi);
        s.writable = p->writable;
        s.ct_commit_only = ct_commit || p->ct_commit_only;
        out_.push_back(std::move(s));
    }
    void predicate(std::string name, std::string expansion) {
        Symbol s;
        s.name = std::move(name);
        s.kind = Symbol::Kind::Predicate;
        s.expansion = std::move(expansion);
        out_.push_back(std::move(s));
    }
    Symbol& last() { return out_.back(); }

private:
    const Symbol* find(const std::string& name) const {
        for (const Symbol& s : out_) {
            if (s.name == name) return &s;
        }
        return nullptr;
    }
    std::vector<Symbol>& out_;
};

}  // namespace

SymbolTable::SymbolTable() {
    Builder b(symbols_);
    const Format D = Format::Decimal, H = Format::Hex, E = Format::Ethernet,
                 V4 = Format::Ipv4, V6 = Format::Ipv6;

    // Logical ports: names resolved by the Southbound to tunnel keys.
    for (const char* n : {"inport", "outport"}) {
        Symbol s;
        s.name = n;
        s.type = SymbolType::String;
        s.ref = FieldRef{n[0] == 'i' ? Field::Inport : Field::Outport, 0, 32};
        s.writable = true;
        symbols_.push_back(std::move(s));
    }

    // Registers: xxreg0..1 (128 bits), xreg0..4 (64), reg0..9 (32); the wider ones overlay the
    // narrower with the lower-numbered register most significant, as in OVS. OVN declares the
    // narrower ones as subfields of the widest field that holds them.
    b.whole("xxreg0", Field::Xxreg0, H);
    b.whole("xxreg1", Field::Xxreg1, H);
    for (unsigned xi = 0; xi < 4; ++xi) {
        const auto lo = static_cast<uint16_t>(64 * (1 - xi % 2));
        b.subfield(fmt::format("xreg{}", xi), fmt::format("xxreg{}", xi / 2), lo,
                   static_cast<uint16_t>(lo + 63));
        // The engine has the xreg as a field of its own: refer to it directly.
        b.last().ref = FieldRef{static_cast<Field>(static_cast<unsigned>(Field::Xreg0) + xi),
                                0, 64};
    }
    b.whole("xreg4", Field::Xreg4, H);
    for (unsigned i = 0; i < 10; ++i) {
        const std::string name = fmt::format("reg{}", i);
        if (i < 8) {
            const auto lo = static_cast<uint16_t>(32 * (3 - i % 4));
            b.subfield(name, fmt::format("xxreg{}", i / 4), lo, static_cast<uint16_t>(lo + 31));
        } else {
            const auto lo = static_cast<uint16_t>(32 * (1 - i % 2));
            b.subfield(name, "xreg4", lo, static_cast<uint16_t>(lo + 31));
        }
        b.last().ref = FieldRef{static_cast<Field>(static_cast<unsigned>(Field::Reg0) + i), 0, 32};
        b.last().format = H;
    }

    // Logical flags (OVN's MLF_* bits).
    b.whole("flags", Field::Flags, H);
    for (const FlagBit& f : kFlagBits) {
        b.subfield(fmt::format("flags.{}", f.name), "flags", static_cast<uint16_t>(f.bit),
                   static_cast<uint16_t>(f.bit));
    }

    // Connection tracking. ct_mark and ct_label are written only inside ct_commit { }.
    b.whole("ct_mark", Field::CtMark, H);
    b.last().ct_commit_only = true;
    b.subfield("ct_mark.blocked", "ct_mark", 0, 0);
    b.subfield("ct_mark.natted", "ct_mark", 1, 1);
    b.subfield("ct_mark.skip_snat", "ct_mark", 2, 2);
    b.subfield("ct_mark.force_snat", "ct_mark", 3, 3);
    b.subfield("ct_mark.obs_stage", "ct_mark", 4, 5);
    b.subfield("ct_mark.allow_established", "ct_mark", 6, 6);
    b.subfield("ct_mark.ecmp_reply_port", "ct_mark", 16, 31);
    b.subfield("ct_mark.obs_collector_id", "ct_mark", 16, 23);
    b.whole("ct_label", Field::CtLabel, H);
    b.last().ct_commit_only = true;
    b.subfield("ct_label.blocked", "ct_label", 0, 0);
    b.subfield("ct_label.natted", "ct_label", 1, 1);
    b.subfield("ct_label.skip_snat", "ct_label", 2, 2);
    b.subfield("ct_label.force_snat", "ct_label", 3, 3);
    b.subfield("ct_label.ecmp_reply_eth", "ct_label", 32, 79);
    b.subfield("ct_label.ecmp_reply_port", "ct_label", 80, 95);
    b.subfield("ct_label.label", "ct_label", 96, 127);
    b.subfield("ct_label.obs_point_id", "ct_label", 96, 127);
    b.subfield("ct_label.obs_unused", "ct_label", 0, 95);
    b.whole("ct_state", Field::CtState, H, {}, false);
    for (unsigned i = 0; i < 8; ++i) {
        b.subfield(fmt::format("ct.{}", kCtStates[i]), "ct_state", static_cast<uint16_t>(i),
                   static_cast<uint16_t>(i), i == kCtTrackedBit ? "" : "ct.trk");
    }

    // Ethernet and VLAN.
    b.whole("eth.src", Field::EthSrc, E);
    b.whole("eth.dst", Field::EthDst, E);
    b.whole("eth.type", Field::EthType, H, {}, false);
    b.predicate("eth.bcast", "eth.dst == ff:ff:ff:ff:ff:ff");
    b.subfield("eth.mcast", "eth.dst", 40, 40);
    b.predicate("eth.mcastv6", "eth.dst[32..47] == 0x3333");
    b.whole("vlan.tci", Field::VlanTci, H);  // writable in OVN; the engine reports writes as unsupported
    b.predicate("vlan.present", "vlan.tci[12]");
    b.subfield("vlan.pcp", "vlan.tci", 13, 15, "vlan.present");
    b.subfield("vlan.vid", "vlan.tci", 0, 11, "vlan.present");

    // IP.
    b.predicate("ip4", "eth.type == 0x800");
    b.predicate("ip6", "eth.type == 0x86dd");
    b.predicate("ip", "ip4 || ip6");
    b.whole("ip.proto", Field::IpProto, D, "ip", false);
    b.field("ip.dscp", Field::IpTos, 2, 6, D, "ip");
    b.field("ip.ecn", Field::IpTos, 0, 2, D, "ip");
    b.whole("ip.ttl", Field::IpTtl, D, "ip");
    b.whole("ip4.src", Field::Ip4Src, V4, "ip4");
    b.whole("ip4.dst", Field::Ip4Dst, V4, "ip4");
    b.predicate("ip4.src_mcast", "ip4.src[28..31] == 0xe");
    b.predicate("ip4.mcast", "eth.mcast && ip4.dst[28..31] == 0xe");
    b.predicate("icmp4", "ip4 && ip.proto == 1");
    b.field("icmp4.type", Field::TpSrc, 0, 8, D, "icmp4");
    b.field("icmp4.code", Field::TpDst, 0, 8, D, "icmp4");
    b.predicate("igmp", "ip4.mcast && ip.proto == 2");
    b.whole("ip6.src", Field::Ip6Src, V6, "ip6");
    b.whole("ip6.dst", Field::Ip6Dst, V6, "ip6");
    b.field("ip6.label", Field::Ip6Label, 0, 20, H, "ip6", false);
    b.predicate("ip6.mcast_rsvd", "ip6.dst[116..127] == 0xff0 && ip6.dst[0..111] == 0x0");
    b.predicate("ip6.mcast_all_nodes", "ip6.dst == ff01::1 || ip6.dst == ff02::1");
    b.predicate("ip6.mcast_all_rtrs",
                "ip6.dst == ff01::2 || ip6.dst == ff02::2 || ip6.dst == ff05::2");
    b.predicate("ip6.mcast_sol_node", "ip6.dst == ff02::1:ff00:0000/104");
    b.predicate("ip6.mcast_flood",
                "eth.mcastv6 && (ip6.mcast_rsvd || ip6.mcast_all_nodes || "
                "ip6.mcast_all_rtrs || ip6.mcast_sol_node)");
    b.predicate("ip6.mcast", "eth.mcastv6 && ip6.dst[120..127] == 0xff");
    b.predicate("icmp6", "ip6 && ip.proto == 58");
    b.field("icmp6.type", Field::TpSrc, 0, 8, D, "icmp6");
    b.field("icmp6.code", Field::TpDst, 0, 8, D, "icmp6");
    b.predicate("icmp", "icmp4 || icmp6");
    b.field("ip.frag", Field::IpFrag, 0, 2, D, "ip", false);
    b.predicate("ip.is_frag", "ip.frag[0]");
    b.predicate("ip.later_frag", "ip.frag[1]");
    b.predicate("ip.first_frag", "ip.is_frag && !ip.later_frag");

    // ARP and RARP: addresses share the IPv4 and ARP hardware-address fields.
    for (const char* p : {"arp", "rarp"}) {
        const std::string n = p;
        b.predicate(n, n == "arp" ? "eth.type == 0x806" : "eth.type == 0x8035");
        b.whole(n + ".op", Field::ArpOp, D, n);
        b.whole(n + ".spa", Field::Ip4Src, V4, n);
        b.whole(n + ".sha", Field::ArpSha, E, n);
        b.whole(n + ".tpa", Field::Ip4Dst, V4, n);
        b.whole(n + ".tha", Field::ArpTha, E, n);
    }

    // Neighbour discovery and MLD.
    b.predicate("nd", "icmp6.type == {135, 136} && icmp6.code == 0 && ip.ttl == 255");
    b.predicate("nd_ns", "icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255");
    b.predicate("nd_ns_mcast",
                "ip6.mcast && icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255");
    b.predicate("nd_na", "icmp6.type == 136 && icmp6.code == 0 && ip.ttl == 255");
    b.predicate("nd_rs", "icmp6.type == 133 && icmp6.code == 0 && ip.ttl == 255");
    b.predicate("nd_ra", "icmp6.type == 134 && icmp6.code == 0 && ip.ttl == 255");
    b.whole("nd.target", Field::NdTarget, V6, "nd");
    b.whole("nd.sll", Field::ArpSha, E, "nd_ns");
    b.whole("nd.tll", Field::ArpTha, E, "nd_na");
    b.predicate("mldv1", "eth.mcastv6 && ip6.src == fe80::/10 && icmp6.type == {130, 131, 132}");
    b.predicate("mldv2", "eth.mcastv6 && ip6.dst == ff02::16 && icmp6.type == 143");

    // Transport.
    b.predicate("tcp", "ip.proto == 6");
    b.whole("tcp.src", Field::TpSrc, D, "tcp");
    b.whole("tcp.dst", Field::TpDst, D, "tcp");
    b.field("tcp.flags", Field::TcpFlags, 0, 12, H, "tcp", false);
    b.predicate("udp", "ip.proto == 17");
    b.whole("udp.src", Field::TpSrc, D, "udp");
    b.whole("udp.dst", Field::TpDst, D, "udp");
    b.predicate("sctp", "ip.proto == 132");
    b.whole("sctp.src", Field::TpSrc, D, "sctp");
    b.whole("sctp.dst", Field::TpDst, D, "sctp");

    // OVN fields the engine does not carry.
    b.absent("pkt.mark", 32);
    b.absent("icmp4.frag_mtu", 16, "icmp4");
    b.absent("icmp6.frag_mtu", 32, "icmp6");

    for (Symbol& s : symbols_) {
        s.nominal = s.name == "eth.type" || s.name == "ip.proto" || s.name == "icmp6.type" ||
                    s.name == "icmp6.code";
    }

    // Open addressing, at most half full: a lookup hashes the name once and compares about
    // one string (a logical flow names a field every few tokens).
    std::size_t n = 16;
    while (n < 2 * symbols_.size()) n *= 2;
    slots_.assign(n, 0);
    for (uint32_t i = 0; i < symbols_.size(); ++i) {
        std::size_t s = name_hash(symbols_[i].name) & (n - 1);
        while (slots_[s]) s = (s + 1) & (n - 1);
        slots_[s] = i + 1;
    }
}

const SymbolTable& SymbolTable::ovn() {
    static const SymbolTable table;
    return table;
}

uint64_t SymbolTable::name_hash(std::string_view name) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

const Symbol* SymbolTable::find(std::string_view name) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = name_hash(name) & mask; slots_[s]; s = (s + 1) & mask) {
        const Symbol& sym = symbols_[slots_[s] - 1];
        if (sym.name == name) return &sym;
    }
    return nullptr;
}

}  // namespace scs::lflow
