// Shared by the reference tests: one frame through the engine (Harness) and the reference
// interpreter, both outcomes as sorted multisets of canonical lines, and a report of the
// difference with the reference's path and the engine's trace.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/compiler.h"
#include "compiler/trace_text.h"
#include "packet/builder.h"
#include "packet/harness.h"
#include "packet/parse.h"
#include "reference/interpreter.h"

namespace scs::test {

// OVN action -> the engine's counter for it (what compiler/lower_actions.cc names).
inline engine::Unimpl unimpl_category(const std::string& n) {
    using U = engine::Unimpl;
    static const std::map<std::string, U> t = {
        {"ct_next", U::CtNext}, {"ct_commit", U::CtCommit}, {"ct_commit_nat", U::CtCommit}, {"ct_dnat", U::CtDnat},
        {"ct_dnat_in_czone", U::CtDnat}, {"ct_snat", U::CtSnat}, {"ct_snat_in_czone", U::CtSnat},
        {"ct_snat_to_vip", U::CtSnat}, {"ct_lb", U::CtLb}, {"ct_lb_mark", U::CtLb}, {"arp", U::Arp}, {"nd_ns", U::NdNs},
        {"nd_na", U::NdNa}, {"nd_na_router", U::NdNa}, {"icmp4", U::Icmp}, {"icmp4_error", U::Icmp}, {"icmp6", U::Icmp},
        {"icmp6_error", U::Icmp}, {"tcp_reset", U::TcpReset}, {"sctp_abort", U::TcpReset}, {"reject", U::TcpReset},
        {"put_arp", U::PutArp}, {"put_nd", U::PutArp}, {"get_arp", U::GetArp}, {"get_nd", U::GetArp},
        {"lookup_arp", U::LookupArp}, {"lookup_arp_ip", U::LookupArp}, {"lookup_nd", U::LookupArp},
        {"lookup_nd_ip", U::LookupArp}, {"get_fdb", U::GetFdb}, {"put_fdb", U::GetFdb}, {"lookup_fdb", U::GetFdb},
        {"put_dhcp_opts", U::Dhcp}, {"put_dhcpv6_opts", U::Dhcp}, {"dns_lookup", U::Dns},
        {"trigger_event", U::Controller}, {"handle_svc_check", U::Controller}, {"bind_vport", U::Controller},
        {"put_nd_ra_opts", U::Controller}, {"controller", U::Controller}, {"handle_dhcpv6_reply", U::Controller},
    };
    auto it = t.find(n);
    if (it != t.end()) return it->second;
    return n.starts_with("ct_") ? U::CtMisc : U::Other;
}

struct Compared {
    std::vector<std::string> engine, reference;
    reference::RunResult ref;
    bool equal() const { return engine == reference; }
};

// The engine's output for one frame, in the reference's canonical form. Geneve frames on the
// underlay are decoded; their outer headers must be exactly what the tunnel sends (else the
// line says so and cannot equal the reference's).
inline std::vector<std::string> engine_lines(Harness& h, uint16_t port, const Bytes& frame, const compiler::LocalConfig& cfg) {
    std::vector<uint64_t> drops(kDropReasonCount), unimpl(engine::kUnimplCount);
    for (std::size_t r = 0; r < kDropReasonCount; ++r) drops[r] = h.drops(static_cast<DropReason>(r));
    for (unsigned u = 0; u < engine::kUnimplCount; ++u) unimpl[u] = h.unimplemented(static_cast<engine::Unimpl>(u));
    auto out = h.send(port, frame);
    std::vector<std::string> lines;
    for (auto& [p, frames] : out) {
        for (const Bytes& f : frames) {
            if (p != cfg.underlay_port) {
                reference::Outcome o;
                o.kind = reference::Outcome::Kind::Tx;
                o.port = p;
                o.bytes = f;
                lines.push_back(reference::to_string(o));
                continue;
            }
            pkt::Layout lay;
            pkt::GeneveInfo gi;
            if (pkt::parse_frame(f.data(), static_cast<uint32_t>(f.size()), lay) != DropReason::None || !lay.has_l4() ||
                pkt::parse_geneve(f.data(), static_cast<uint32_t>(f.size()), static_cast<uint16_t>(lay.l4 + 8), gi) != DropReason::None) {
                lines.push_back("underlay: not Geneve " + pkt::hex(f));
                continue;
            }
            const uint8_t* ip = f.data() + lay.l3;
            const uint32_t dst = uint32_t{ip[16]} << 24 | uint32_t{ip[17]} << 16 | uint32_t{ip[18]} << 8 | ip[19];
            const engine::Tunnel* t = nullptr;
            for (const auto& x : h.gen().tunnels)
                if (x.remote_ip == dst) t = &x;
            if (!t) {
                lines.push_back("underlay: to no known chassis " + pkt::hex(f));
                continue;
            }
            const Bytes inner(f.begin() + gi.inner, f.end());
            const uint16_t sport = static_cast<uint16_t>(f[lay.l4] << 8 | f[lay.l4 + 1]);
            pkt::Mac nh;
            std::copy(t->next_hop_mac, t->next_hop_mac + 6, nh.b.begin());
            const Bytes want = pkt::geneve_encap(nh, cfg.underlay_mac, cfg.encap_ip, pkt::Ip4{dst}, sport, gi.vni,
                                                 gi.ingress_port, gi.egress_port, inner);
            reference::Outcome o;
            o.kind = reference::Outcome::Kind::Tunnel;
            o.chassis = t->chassis;
            o.remote_ip = dst;
            o.vni = gi.vni;
            o.in_key = gi.ingress_port;
            o.out_key = gi.egress_port;
            o.bytes = inner;
            lines.push_back((want == f ? "" : "BAD OUTER HEADER ") + reference::to_string(o));
        }
    }
    for (std::size_t r = 0; r < kDropReasonCount; ++r)
        for (uint64_t n = h.drops(static_cast<DropReason>(r)) - drops[r]; n > 0; --n)
            lines.push_back(fmt::format("drop {}", drop_reason_name(static_cast<DropReason>(r))));
    for (unsigned u = 0; u < engine::kUnimplCount; ++u)
        for (uint64_t n = h.unimplemented(static_cast<engine::Unimpl>(u)) - unimpl[u]; n > 0; --n)
            lines.push_back(fmt::format("unimplemented {}", engine::unimpl_name(static_cast<engine::Unimpl>(u))));
    std::sort(lines.begin(), lines.end());
    return lines;
}

inline std::vector<std::string> reference_lines(const reference::RunResult& r) {
    std::vector<std::string> lines;
    for (reference::Outcome o : r.outcomes) {
        o.action.clear();  // the engine counts the action's category, compared below
        lines.push_back(reference::to_string(o));
    }
    for (const std::string& n : r.unimplemented)
        lines.push_back(fmt::format("unimplemented {}", engine::unimpl_name(unimpl_category(n))));
    std::sort(lines.begin(), lines.end());
    return lines;
}

inline std::string describe(const Compared& c, uint16_t port, const Bytes& frame, const engine::Generation& gen,
                            const compiler::CompileReport& report) {
    std::string s = fmt::format("frame on DPDK port {}:\n{}\nengine:", port, pkt::hex(frame));
    for (const auto& l : c.engine) s += "\n  " + l;
    s += "\nreference:";
    for (const auto& l : c.reference) s += "\n  " + l;
    s += "\nreference path:";
    for (const auto& l : c.ref.path) s += "\n  " + l;
    for (const auto& l : c.ref.errors) s += "\n  error: " + l;
    Harness t(std::make_unique<engine::Generation>(gen), false);
    engine::TraceLog log;
    t.trace(&log);
    t.send(port, frame);
    s += "\nengine trace:";
    for (const std::string& line : compiler::trace_text(log, gen, report)) s += "\n  " + line;
    return s;
}

}  // namespace scs::test
