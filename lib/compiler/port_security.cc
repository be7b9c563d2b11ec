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
        if (ingress) {
            if (!e.ip4.empty()) {
                r.push_back({90, mac + " && ip4.src == " + set_of(e.ip4), true});
                r.push_back({90, mac + " && ip4.src == 0.0.0.0 && ip4.dst == 255.255.255.255 && udp.src == 68 && udp.dst == 67", true});
                r.push_back({90, mac + " && arp.sha == " + e.mac + " && arp.spa == " + set_of(e.ip4), true});
            }
            std::vector<std::string> v6 = e.ip6;
            v6.push_back("fe80::/64");  // link-local
            r.push_back({90, mac + " && ip6.src == " + set_of(v6), true});
            r.push_back({90, mac + " && ip6.src == :: && nd_ns", true});  // duplicate address detection
            r.push_back({80, mac + " && (ip4 || arp || ip6)", false});
            r.push_back({70, mac, true});
        } else {
            if (!e.ip4.empty()) {
                std::vector<std::string> v4 = e.ip4;
                v4.push_back("255.255.255.255");
                v4.push_back("224.0.0.0/4");
                r.push_back({90, mac + " && ip4.dst == " + set_of(v4), true});
            }
            std::vector<std::string> v6 = e.ip6;
            v6.push_back("fe80::/64");
            v6.push_back("ff00::/8");
            r.push_back({90, mac + " && ip6.dst == " + set_of(v6), true});
            r.push_back({80, mac + " && (ip4 || ip6)", false});
            r.push_back({70, mac, true});
        }
    }
    if (!ingress) r.push_back({60, port + " && eth.mcast", true});  // broadcast/multicast delivery
    return r;
}

}  // namespace scs::compiler
