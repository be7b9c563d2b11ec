// libFuzzer target for the logical-flow language: parse_actions() and parse_expr().
//
// Every input goes through both parsers (as ovn-controller does with a flow's actions and
// match). Beyond "no crash, no read out of bounds" (AddressSanitizer), actions that parse
// must print to text that parses again to a tree printing the same way: a violation traps,
// which libFuzzer records as a crash with its input.
//
// Two encodings, chosen by the first byte, so that no seed corpus is needed to get deep:
// - even: the rest of the input is the text, as is;
// - odd: template (byte >> 1) of the valid texts below, edited by the remaining bytes as
//   (offset, replacement character) pairs. Random bytes rarely spell `ct_lb(backends=...)`;
//   a few edits to one reach the checks behind it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lflow/actions.h"
#include "lflow/expr.h"

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

constexpr std::string_view kTemplates[] = {
    "eth.dst = eth.src; eth.src = fa:16:3e:00:01:01; arp.op = 2; /* ARP reply */ "
    "arp.tha = arp.sha; arp.spa = 10.0.1.1; outport = inport; flags.loopback = 1; output;",
    "clone { ct_clear; inport = outport; outport = \"\"; eth.dst <-> eth.src; flags = 0; "
    "reg9[0] = 1; next(pipeline=ingress, table=0); };",
    "ct_lb_mark(backends=10.0.0.1:80,[fd00::2]:8080; hash_fields=\"ip_src,ip_dst\"; "
    "skip_snat);",
    "reg0[3] = put_dhcp_opts(offerip = 10.0.1.11, dns_server = {8.8.8.8, 1.1.1.1}, "
    "lease_time = 43200, netmask = 255.255.255.0, router = 10.0.1.1);",
    "icmp4 { eth.dst <-> eth.src; icmp4.type = 11; icmp4.code = 0; ip4.dst <-> ip4.src; "
    "ip.ttl = 254; outport = \"lr0-ext\"; flags.loopback = 1; output; };",
    "ip.ttl--; reg8[0..15] = 0; xxreg0 = ip6.dst; xxreg1 = fe80::1/64; next;",
    "reg8[16..31] = select(1=20, 2=30, 3); ct_dnat_in_czone(10.0.0.1, 1000-2000);",
    "ct_commit { ct_label.blocked = 0; ct_mark = 0x5/0xf; }; reg9[2] = lookup_arp(inport, "
    "arp.spa, arp.sha); log(name=\"a\", verdict=allow, severity=info);",
    "trigger_event(event = \"empty_lb_backends\", vip = \"10.0.0.1:80\", protocol = \"tcp\"); "
    "commit_lb_aff(vip = \"[fd00::1]:80\", backend = \"[fd00::2]:80\", proto = tcp, "
    "timeout = 30);",
    "inport == \"sw0-p1\" && eth.src == {50:54:00:00:00:01, 50:54:00:00:00:02} && "
    "ip4.src == 10.0.0.0/8 && tcp.dst == 80..90 && !ct.est && reg0[0..3] != 5",
    "outport == @pg1 && ip6 && ip6.dst == $as_v6 && (udp || sctp) && icmp6.type == {135, 136}",
};
constexpr std::size_t kNumTemplates = sizeof kTemplates / sizeof kTemplates[0];

std::string make_text(const uint8_t* data, size_t size) {
    if (size == 0) return {};
    if ((data[0] & 1) == 0) return std::string(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string t(kTemplates[(data[0] >> 1) % kNumTemplates]);
    for (size_t i = 1; i + 1 < size && !t.empty(); i += 2) {
        t[data[i] % t.size()] = static_cast<char>(data[i + 1]);
    }
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text = make_text(data, size);

    auto acts = scs::lflow::parse_actions(text);
    if (acts.ok()) {
        const std::string printed = scs::lflow::to_string(*acts);
        auto again = scs::lflow::parse_actions(printed);
        check(again.ok());
        check(scs::lflow::to_string(*again) == printed);
        for (const auto& a : *acts) (void)scs::lflow::action_prerequisite(a);
    } else {
        check(!acts.error().empty());
    }

    auto expr = scs::lflow::parse_expr(text);
    if (expr.ok()) {
        (void)scs::lflow::to_string(**expr);
    } else {
        check(!expr.error().empty());
    }
    return 0;
}
