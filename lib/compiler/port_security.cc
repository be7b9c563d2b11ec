#include "compiler/port_security.h"

#include <sstream>

#include <fmt/format.h>

#include "packet/addr.h"

namespace scs::compiler {

namespace {

struct Entry {
    std::string mac;
    std::vector<std::string> ip4, ip6;  // as written, possibly with /plen
};

bool parse_entry(const std::string& text, Entry& e) {
    std::istringstream in(text);
    std::string tok;
    if (!(in >> e.mac) || !pkt::Mac::parse(e.mac)) return false;
    while (in >> tok) {
        const std::string addr = tok.substr(0, tok.find('/'));
        if (pkt::Ip4::parse(addr)) e.ip4.push_back(tok);
        else if (addr.find(':') != std::string::npos) e.ip6.push_back(tok);
        else return false;
    }
    return true;
}

// The IPv6 link-local address a host derives from its MAC (EUI-64, RFC 4291 appendix A):
// the only link-local source OVN's port security lets through.
std::string link_local(const std::string& mac_text) {
    const pkt::Mac m = *pkt::Mac::parse(mac_text);
    return fmt::format("fe80::{:02x}{:02x}:{:02x}ff:fe{:02x}:{:02x}{:02x}", m.b[0] ^ 2, m.b[1], m.b[2], m.b[3], m.b[4],
                       m.b[5]);
}

std::string set_of(const std::vector<std::string>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s + "}";
}

}  // namespace

std::vector<PortSecRule> port_security_rules(const ovsdb::PortBinding& pb, bool ingress, std::vector<std::string>& errors) {
    std::vector<PortSecRule> r;
    const std::string port = fmt::format("{} == \"{}\"", ingress ? "inport" : "outport", pb.logical_port);
    if (pb.port_security.empty()) {
        r.push_back({50, port, true});
        return r;
    }
    for (const std::string& text : pb.port_security) {
        Entry e;
        if (!parse_entry(text, e)) {
            errors.push_back(fmt::format("port {}: port_security entry '{}' is not 'MAC [IP...]'", pb.logical_port, text));
            continue;
        }
        const std::string mac = fmt::format("{} && eth.{} == {}", port, ingress ? "src" : "dst", e.mac);
        const bool any_ip = !e.ip4.empty() || !e.ip6.empty();
        if (!any_ip) {
            r.push_back({90, mac, true});
            continue;
        }
        const bool v4 = !e.ip4.empty(), v6 = !e.ip6.empty();
        if (ingress) {
            if (v4) {
                r.push_back({90, mac + " && ip4.src == " + set_of(e.ip4), true});
                r.push_back({90, mac + " && ip4.src == 0.0.0.0 && ip4.dst == 255.255.255.255 && udp.src == 68 && udp.dst == 67", true});
                r.push_back({90, mac + " && arp.sha == " + e.mac + " && arp.spa == " + set_of(e.ip4), true});
            }
            if (v6) {
                std::vector<std::string> src = e.ip6;
                src.push_back(link_local(e.mac));
                r.push_back({90, mac + " && ip6.src == " + set_of(src) + " && !nd", true});
                // Neighbour Discovery from our addresses (or :: for DAD), with our MAC inside.
                std::vector<std::string> nd_src = src;
                nd_src.push_back("::");
                r.push_back({90, mac + " && ip6.src == " + set_of(nd_src) + " && nd_ns && (nd.sll == 0 || nd.sll == " + e.mac + ")", true});
                r.push_back({90, mac + " && ip6.src == " + set_of(src) + " && nd_na && (nd.tll == 0 || nd.tll == " + e.mac + ")", true});
            }
            // ovn-nb(5): IPv4 addresses without IPv6 ones forbid IPv6, and the reverse forbids
            // IPv4 and ARP; addresses given restrict their family. RARP is not restricted.
            r.push_back({80, mac + " && (ip4 || arp || ip6)", false});
            r.push_back({70, mac, true});
        } else {
            if (v4) {
                std::vector<std::string> dst = e.ip4;
                dst.push_back("255.255.255.255");
                dst.push_back("224.0.0.0/4");
                for (const std::string& a4 : e.ip4) {  // a masked address: its subnet broadcast too
                    const auto slash = a4.find('/');
                    auto ip = pkt::Ip4::parse(a4.substr(0, slash));
                    if (slash == std::string::npos || !ip) continue;
                    const unsigned plen = static_cast<unsigned>(std::stoul(a4.substr(slash + 1)));
                    if (plen >= 32) continue;
                    dst.push_back(pkt::Ip4{ip->v | (~uint32_t{0} >> plen)}.str());
                }
                r.push_back({90, mac + " && ip4.dst == " + set_of(dst), true});
            }
            if (v6) {
                std::vector<std::string> dst = e.ip6;
                dst.push_back(link_local(e.mac));
                dst.push_back("ff00::/8");
                r.push_back({90, mac + " && ip6.dst == " + set_of(dst), true});
            }
            r.push_back({80, mac + " && (ip4 || ip6)", false});
            r.push_back({70, mac, true});
        }
    }
    if (!ingress) r.push_back({60, port + " && eth.mcast", true});  // broadcast/multicast delivery
    return r;
}

}  // namespace scs::compiler
