#include "render.h"

#include <algorithm>

#include <fmt/format.h>

namespace scs::dpctl {

using mgmt::Json;

namespace {

bool numeric(std::string_view s) {
    if (s.empty() || s == "-") return true;  // blanks do not decide
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '%' || c == 'e' || c == '+';
    });
}

// A member as text: strings as is, numbers in their shortest form, null as "-".
std::string text(const Json* j) {
    if (!j || j->is_null()) return "-";
    if (j->is_string()) return j->as_string();
    if (j->is_bool()) return j->as_bool() ? "yes" : "no";
    return j->dump();
}
std::string text(const Json& o, std::string_view key) {
    return text(o.find(key));
}
std::string fixed(const Json& o, std::string_view key, int digits) {
    const Json* j = o.find(key);
    if (!j || !j->is_number()) return "-";
    return fmt::format("{:.{}f}", j->as_double(), digits);
}
const Json::Array& array(const Json& o, std::string_view key) {
    static const Json::Array kEmpty;
    const Json* j = o.find(key);
    return j && j->is_array() ? j->as_array() : kEmpty;
}
const Json& member(const Json& o, std::string_view key) {
    static const Json kNull;
    const Json* j = o.find(key);
    return j ? *j : kNull;
}

}  // namespace

std::string Table::str(std::string_view indent) const {
    const std::size_t n = header_.size();
    std::vector<std::size_t> width(n, 0);
    std::vector<bool> right(n, true);
    for (std::size_t c = 0; c < n; ++c) width[c] = header_[c].size();
    for (const auto& row : rows_)
        for (std::size_t c = 0; c < n && c < row.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
            if (!numeric(row[c])) right[c] = false;
        }
    auto line = [&](const std::vector<std::string>& row) {
        std::string s(indent);
        for (std::size_t c = 0; c < n; ++c) {
            const std::string& cell = c < row.size() ? row[c] : std::string();
            const bool last = c + 1 == n;
            if (right[c])
                s += fmt::format("{:>{}}", cell, width[c]);
            else
                s += last ? cell : fmt::format("{:<{}}", cell, width[c]);
            if (!last) s += "  ";
        }
        while (!s.empty() && s.back() == ' ') s.pop_back();
        s += '\n';
        return s;
    };
    std::string out = line(header_);
    for (const auto& row : rows_) out += line(row);
    return out;
}

std::string render_show(const Json& r) {
    const Json& v = member(r, "version");
    std::string out = fmt::format("scs-dataplane {} (DPDK {}), chassis {}, pid {}\n",
                                  text(v, "scs_dataplane"), text(v, "dpdk"), text(r, "chassis"),
                                  text(r, "pid"));
    const Json& sb = member(r, "southbound");
    out += fmt::format("southbound: {}", text(sb, "state"));
    if (sb.is_object())
        for (const auto& [k, val] : sb.as_object())
            if (k != "state") out += fmt::format(", {} {}", k, text(&val));
    out += "\n";
    const Json& g = member(r, "generation");
    out += fmt::format(
        "tables: generation #{}, age {} s, {} datapaths (published {}, reclaimed {}, pending {}, "
        "build failures {})\n\n",
        text(g, "number"), fixed(g, "age_s", 1), text(g, "datapaths"), text(g, "published"),
        text(g, "reclaimed"), text(g, "pending"), text(g, "build_failures"));

    Table ports({"PORT", "DEVICE", "DRIVER", "ROLE", "TARGET", "LINK", "RXQ", "TXQ",
                 "RX-LCORES", "MAC"});
    for (const Json& p : array(r, "ports")) {
        const Json& l = member(p, "link");
        std::string link = "?";
        if (const Json* up = l.find("up"); up && up->is_bool()) {
            link = up->as_bool() ? "up" : "down";
            if (up->as_bool())
                link += fmt::format(" {} Mb/s {}", text(l, "speed_mbps"), text(l, "duplex"));
        }
        std::string lcores;
        for (const Json& lc : array(p, "rx_lcores")) lcores += fmt::format("{}{}", lcores.empty() ? "" : ",", text(&lc));
        std::string target = text(p, "target");
        if (const Json* vl = p.find("vlan"); vl && vl->is_number() && vl->as_double() != 0)
            target += fmt::format(" vlan {}", text(vl));
        ports.add({text(p, "id"), text(p, "name"), text(p, "driver"), text(p, "role"), target, link,
                   text(p, "rx_queues"), text(p, "tx_queues"), lcores.empty() ? "-" : lcores,
                   text(p, "mac")});
    }
    out += ports.str();
    out += "\n";
    Table workers({"WORKER", "LCORE", "SOCKET", "TXQ", "FLOW-CACHE", "RX QUEUES (port/queue)"});
    for (const Json& w : array(r, "workers")) {
        std::string qs;
        for (const Json& q : array(w, "rx_queues"))
            qs += fmt::format("{}{}/{}", qs.empty() ? "" : " ", text(q, "port"), text(q, "queue"));
        std::string lcore = text(w, "lcore");
        if (const Json* m = w.find("main_lcore"); m && m->is_bool() && m->as_bool())
            lcore += " (main)";
        workers.add({text(w, "worker"), lcore, text(w, "socket"), text(w, "tx_queue"),
                     text(w, "flow_cache") == "yes" ? "on" : "off", qs.empty() ? "none" : qs});
    }
    out += workers.str();
    return out;
}

std::string render_stats(const Json& r) {
    std::string out;
    const Json* iv = r.find("interval_s");
    out += fmt::format("counters since {} ({} s ago); rates over the last {}\n\n",
                       text(r, "reset") == "yes" ? "this reset" : "the last reset or start",
                       fixed(r, "since_reset_s", 2),
                       iv && iv->is_number() && iv->as_double() > 0
                           ? fmt::format("{:.2f} s", iv->as_double())
                           : std::string("interval (none yet: wait a second)"));
    Table lc({"LCORE", "RX-PKTS", "TX-PKTS", "DROPS", "RX-MPPS", "TX-MPPS", "BUSY%", "CYC/PKT",
              "BUSY-CYCLES", "IDLE-CYCLES", "CACHE-HITS", "CACHE-MISSES"});
    auto row = [&](std::string label, const Json& x) {
        const Json& i = member(x, "interval");
        lc.add({std::move(label), text(x, "rx_packets"), text(x, "tx_packets"),
                text(x, "drops_total"), fixed(i, "rx_mpps", 3), fixed(i, "tx_mpps", 3),
                fixed(x, "busy_pct", 1), fixed(x, "cycles_per_packet", 0), text(x, "busy_cycles"),
                text(x, "idle_cycles"), text(x, "cache_hits"), text(x, "cache_misses")});
    };
    for (const Json& x : array(r, "lcores")) row(text(x, "lcore"), x);
    if (const Json* t = r.find("total")) row("total", *t);
    out += lc.str();

    Table drops({"LCORE", "DROPPED", "PACKETS", "REASON / ACTION"});
    for (const Json& x : array(r, "lcores")) {
        for (const char* kind : {"drops", "unimplemented"}) {
            const Json& d = member(x, kind);
            if (!d.is_object()) continue;
            for (const auto& [name, n] : d.as_object())
                drops.add({text(x, "lcore"), std::string_view(kind) == "drops" ? "drop" : "unimplemented",
                           text(&n), name});
        }
    }
    out += '\n';
    out += drops.empty() ? std::string("no drops\n") : drops.str();

    Table ports({"PORT", "DEVICE", "ROLE", "TARGET", "IPACKETS", "OPACKETS", "IBYTES", "OBYTES",
                 "IMISSED", "IERRORS", "OERRORS", "RX-NOMBUF"});
    for (const Json& p : array(r, "ports"))
        ports.add({text(p, "id"), text(p, "name"), text(p, "role"), text(p, "target"),
                   text(p, "ipackets"), text(p, "opackets"), text(p, "ibytes"), text(p, "obytes"),
                   text(p, "imissed"), text(p, "ierrors"), text(p, "oerrors"),
                   text(p, "rx_nombuf")});
    if (!ports.empty()) {
        out += '\n';
        out += ports.str();
    }
    return out;
}

std::string render_dump_tables(const Json& r) {
    std::string out = fmt::format("generation #{}\n", text(r, "generation"));
    for (const Json& dp : array(r, "datapaths")) {
        out += fmt::format("\ndatapath {} (key {}, {})\n", text(dp, "name"), text(dp, "key"),
                           text(dp, "type"));
        Table stages({"PIPELINE", "TABLE", "STAGE", "KIND", "RULES", "ON-MISS"});
        for (const char* pipe : {"ingress", "egress"})
            for (const Json& s : array(member(dp, pipe), "stages"))
                stages.add({pipe, text(s, "table"), text(s, "name"), text(s, "kind"),
                            text(s, "rules"), text(s, "miss_action")});
        out += stages.empty() ? "  no stage matches\n" : stages.str("  ");
        if (const Json* ports = dp.find("ports"); ports && ports->is_array()) {
            Table pt({"PORT-KEY", "NAME", "KIND", "WHERE"});
            for (const Json& p : ports->as_array()) {
                std::string where = "-";
                const std::string kind = text(p, "kind");
                if (kind == "vif") where = fmt::format("dpdk port {}", text(p, "dpdk_port"));
                if (kind == "localnet")
                    where = fmt::format("dpdk port {}, vlan {}", text(p, "dpdk_port"),
                                        text(p, "vlan"));
                if (kind == "patch")
                    where = fmt::format("peer {} in {}", text(p, "peer_port"),
                                        text(p, "peer_datapath"));
                if (kind == "remote")
                    where = fmt::format("chassis {} via {}", text(p, "chassis"),
                                        text(p, "remote_ip"));
                pt.add({text(p, "key"), text(p, "name"), kind, where});
            }
            out += '\n';
            out += pt.str("  ");
        }
        if (const Json* gs = dp.find("multicast_groups"); gs && gs->is_array() && !gs->as_array().empty()) {
            Table mt({"GROUP-KEY", "NAME", "MEMBERS"});
            for (const Json& g : gs->as_array()) {
                std::string m;
                for (const Json& x : array(g, "members")) m += fmt::format("{}{}", m.empty() ? "" : " ", text(&x));
                mt.add({text(g, "key"), text(g, "name"), m});
            }
            out += '\n';
            out += mt.str("  ");
        }
    }
    return out;
}

std::string render_generic(const Json& r) {
    std::string s = r.dump(2);
    s += '\n';
    return s;
}

}  // namespace scs::dpctl
