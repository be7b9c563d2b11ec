// check_in_port_sec() / check_out_port_sec(): the port-security decision ovn-controller makes
// from Port_Binding.port_security (its tables 73-76), written as logical-flow rules of an
// extra stage the compiler appends to the pipeline.
//
// For a port with port_security "MAC [IP...]" entries, a packet passes ingress if it comes
// from MAC and - when IPs are listed - from one of them (IPv4, IPv6, ARP sender, DHCP
// discovery from 0.0.0.0, IPv6 link-local and DAD); egress if it goes to MAC (or is
// multicast/broadcast) and - with IPs - to one of them or a broadcast/multicast address.
// A port without port_security always passes. The rules clear the call's result bit;
// anything not allowed leaves it set, and OVN's next stage drops on it.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "compiler/packed_matches.h"
#include "engine/match.h"
#include "lflow/expr.h"
#include "ovsdb/sb_types.h"

namespace scs::compiler {

struct PortSecRule {
    int priority;
    std::string match;  // logical-flow match text
    bool allow;         // clear the result bit (else: leave it set)
};

// Rules for one port; `ingress` selects check_in_port_sec, else check_out_port_sec.
// Malformed port_security entries are skipped and named in `errors`.
std::vector<PortSecRule> port_security_rules(const ovsdb::PortBinding& pb, bool ingress, std::vector<std::string>& errors);

// The same rules, lowered: for each rule of port_security_rules() (same order), the set of
// matches lflow::to_matches() gives for its text, built from the port key, MAC and
// addresses directly (no text, no parser; the fixed parts - prerequisites, `!nd`, the DHCP
// discovery pattern - are lowered once per thread). Only a rule with an address the direct
// path does not take as written (an unusual mask, a wrong family) goes through the text.
// The matches may come in another order than to_matches()'s. They are kept packed, as the
// compiler's cache holds them (a port has about a dozen rules per direction).
struct PortSecFlow {
    int priority = 0;
    bool allow = false;
    PackedMatches matches;  // empty: never matches (port not in the datapath)
};
Result<std::vector<PortSecFlow>> port_security_flows(const ovsdb::PortBinding& pb, bool ingress,
                                                     const lflow::Resolver& resolver, std::vector<std::string>& errors);

}  // namespace scs::compiler
