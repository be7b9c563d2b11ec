#include "render.h"

#include <algorithm>
#include <map>

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

std::string join(const Json::Array& a, std::string_view sep) {
    std::string s;
    for (const Json& x : a) s += fmt::format("{}{}", s.empty() ? "" : sep, text(&x));
    return s;
}

// The "southbound" object of `show` (dataplane/southbound.cc status_json): state, remote,
// registration, claims, the last compile's counts and the warnings, one topic per line.
std::string render_southbound(const Json& sb) {
    std::string out = fmt::format("southbound: {}", text(sb, "state"));
    if (!sb.is_object() || sb.as_object().size() <= 1) return out + "\n";
    if (sb.find("remote")) out += fmt::format(" to {}", text(sb, "remote"));
    if (const Json* reg = sb.find("chassis_registered"); reg && reg->is_bool())
        out += fmt::format(", chassis {} {}", text(sb, "chassis"), reg->as_bool() ? "registered" : "not registered");
    out += "\n";
    const Json::Array& claims = array(sb, "claimed_ports");
    out += fmt::format("  claimed ports ({}): {}\n", claims.size(), claims.empty() ? "none" : join(claims, " "));
    if (const Json* c = sb.find("last_compile"); c && c->is_object()) {
        out += fmt::format(
            "  last compile: {} local datapaths ({} recompiled), {} logical flows: compiled {}, partial {}, "
            "never-matches {}, unsupported {}, invalid {}; {} engine rules in {} ms ({} compiles)\n",
            text(*c, "local_datapaths"), text(*c, "recompiled"), text(*c, "logical_flows"), text(*c, "compiled"),
            text(*c, "partial"), text(*c, "never_matches"), text(*c, "unsupported"), text(*c, "invalid"),
            text(*c, "engine_rules"), fixed(*c, "elapsed_ms", 1), text(*c, "compiles"));
    }
    for (const char* k : {"last_error", "last_txn_error", "last_compile_error"})
        if (sb.find(k)) out += fmt::format("  {}: {}\n", k, text(sb, k));
    const Json::Array& warnings = array(sb, "warnings");
    if (warnings.empty()) out += "  warnings: none\n";
    for (const Json& w : warnings) out += fmt::format("  warning: {}\n", text(&w));
    // Keys a newer daemon adds: shown as they come.
    static constexpr std::string_view kKnown[] = {"state", "remote", "chassis", "chassis_registered",
                                                  "claimed_ports", "last_compile", "warnings", "last_error",
                                                  "last_txn_error", "last_compile_error"};
    for (const auto& [k, v] : sb.as_object())
        if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown))
            out += fmt::format("  {}: {}\n", k, v.is_string() ? v.as_string() : v.dump());
    return out;
}

// dump-tables --rules: a row per logical flow of each stage (its packets summed over the
// rules it became), per rule that no flow names, and per stage whose misses no default
// flow accounts for.
std::string render_rule_hits(const Json& dp) {
    Table t({"PIPELINE", "TABLE", "STAGE", "PRIORITY", "N-PACKETS", "FLOW", "MATCH", "ACTIONS"});
    bool any = false;
    for (const char* pipe : {"ingress", "egress"})
        for (const Json& s : array(member(dp, pipe), "stages")) {
            const Json* flows = s.find("flows");
            const Json* others = s.find("rule_hits");
            if (!flows && !others) continue;
            any = true;
            bool has_default = false;
            for (const Json& f : array(s, "flows")) {
                const bool dflt = f.find("default") != nullptr;
                has_default |= dflt;
                t.add({pipe, text(s, "table"), text(s, "name"), text(f, "priority"), text(f, "n_packets"),
                       text(f, "uuid").substr(0, 8) + (dflt ? " (default)" : ""), text(f, "match"),
                       text(f, "actions")});
            }
            for (const Json& r : array(s, "rule_hits"))
                t.add({pipe, text(s, "table"), text(s, "name"), text(r, "priority"), text(r, "n_packets"),
                       fmt::format("rule {} (action {})", text(r, "rule"), text(r, "action")), "-", "-"});
            const Json* m = s.find("misses");
            if (!has_default && m && m->as_u64().value_or(0) > 0)
                t.add({pipe, text(s, "table"), text(s, "name"), "-", text(m),
                       text(s, "miss_action") == "drop" ? "(no rule: drop)" : "(no rule: default)", "-", "-"});
        }
    if (!any) return "";
    t.cap(6, 48);
    t.cap(7, 40);
    return t.str("  ");
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
    for (std::size_t c = 0; c < n && c < caps_.size(); ++c)
        if (caps_[c]) width[c] = std::min(width[c], std::max(caps_[c], header_[c].size()));
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
    out += render_southbound(member(r, "southbound"));
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
        for (const Json& c : array(p, "children"))
            target += fmt::format(" + {} (vlan {})", text(c, "name"), text(c, "vlan"));
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

    // Pipeline time per burst (rx_burst returned -> its tx done), since the reset.
    Table lat({"LCORE", "BURSTS", "P50-US", "P99-US", "P99.9-US", "MAX-US", "MEAN-US"});
    auto lat_row = [&](std::string label, const Json& x) {
        const Json& l = member(x, "latency");
        if (!l.is_object()) return;
        lat.add({std::move(label), text(l, "bursts"), fixed(l, "p50_us", 2), fixed(l, "p99_us", 2),
                 fixed(l, "p999_us", 2), fixed(l, "max_us", 2), fixed(l, "mean_us", 2)});
    };
    for (const Json& x : array(r, "lcores")) lat_row(text(x, "lcore"), x);
    if (const Json* t = r.find("total")) lat_row("total", *t);
    if (!lat.empty()) {
        out += "\nburst latency (pipeline time per received burst, rx to tx; excludes NIC queueing):\n";
        out += lat.str();
    }

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
        Table stages({"PIPELINE", "TABLE", "STAGE", "KIND", "RULES", "LOOKUPS", "HITS", "MISSES", "ON-MISS"});
        for (const char* pipe : {"ingress", "egress"})
            for (const Json& s : array(member(dp, pipe), "stages"))
                stages.add({pipe, text(s, "table"), text(s, "name"), text(s, "kind"), text(s, "rules"),
                            text(s, "lookups"), text(s, "hits"), text(s, "misses"), text(s, "miss_action")});
        out += stages.empty() ? "  no stage matches\n" : stages.str("  ");
        if (const std::string rt = render_rule_hits(dp); !rt.empty()) {
            out += '\n';
            out += rt;
        }
        if (const Json* ports = dp.find("ports"); ports && ports->is_array()) {
            Table pt({"PORT-KEY", "NAME", "KIND", "WHERE"});
            for (const Json& p : ports->as_array()) {
                std::string where = "-";
                const std::string kind = text(p, "kind");
                if (kind == "vif") where = fmt::format("dpdk port {}", text(p, "dpdk_port"));
                if (const Json* lp = p.find("localport"); lp && lp->is_bool() && lp->as_bool())
                    where += ", localport (never tunnelled)";
                if (kind == "localnet")
                    where = fmt::format("dpdk port {}, vlan {}", text(p, "dpdk_port"),
                                        text(p, "vlan"));
                if (kind == "patch")
                    where = fmt::format("peer {} in {}", text(p, "peer_port"),
                                        text(p, "peer_datapath"));
                if (kind == "remote")
                    where = fmt::format("chassis {} via {}", text(p, "chassis"),
                                        text(p, "remote_ip"));
                if (kind == "redirect") where = fmt::format("as {}", text(p, "distributed_port"));
                if (kind == "via-localnet") where = fmt::format("another chassis, through {}", text(p, "localnet_port"));
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

std::string render_dump_lflows(const Json& r, bool uuid) {
    const Json::Array& flows = array(r, "flows");
    std::map<std::string, std::size_t> by_status;
    std::vector<std::string> header{"DATAPATH", "PIPELINE", "TABLE", "STAGE", "PRIORITY", "STATUS", "RULES",
                                    "LOWERED-TO"};
    if (uuid) header.push_back("UUID");
    for (const char* h : {"MATCH", "ACTIONS", "DETAIL"}) header.push_back(h);
    Table t(std::move(header));
    for (const Json& f : flows) {
        ++by_status[text(f, "status")];
        std::vector<std::string> row{text(f, "datapath"), text(f, "pipeline"), text(f, "table"),
                                     text(f, "stage"),    text(f, "priority"), text(f, "status"),
                                     text(f, "rules"),    text(f, "lowered_to")};
        if (uuid) row.push_back(text(f, "uuid"));
        row.push_back(text(f, "match"));
        row.push_back(text(f, "actions"));
        row.push_back(f.find("detail") ? text(f, "detail") : std::string());
        t.add(std::move(row));
    }
    const std::size_t match_col = uuid ? 9 : 8;
    t.cap(match_col, 48);
    t.cap(match_col + 1, 48);
    std::string out = fmt::format("{} logical flows", flows.size());
    std::string counts;
    for (const auto& [st, n] : by_status) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", st, n);
    out += counts.empty() ? "\n" : fmt::format(" ({})\n", counts);
    if (flows.empty()) return out;
    return out + "\n" + t.str();
}

namespace {

// pkt::hex() text ("0000: 45 00 ...", 16 bytes a line) -> its byte count and the lines
// indented under a heading.
std::size_t hex_bytes(const std::string& h) {
    std::size_t n = 0;
    std::size_t pos = 0;
    while (pos < h.size()) {
        std::size_t end = h.find('\n', pos);
        if (end == std::string::npos) end = h.size();
        const std::string_view line(h.data() + pos, end - pos);
        const std::size_t colon = line.find(':');
        const std::string_view bytes = colon == std::string_view::npos ? line : line.substr(colon + 1);
        for (std::size_t i = 0; i < bytes.size(); ++i)
            if (bytes[i] != ' ' && (i == 0 || bytes[i - 1] == ' ')) ++n;
        pos = end + 1;
    }
    return n;
}
std::string indented(const std::string& h, std::string_view indent) {
    std::string out(indent);
    for (char c : h) {
        out += c;
        if (c == '\n') out += indent;
    }
    return out + "\n";
}

}  // namespace

std::string render_trace(const Json& r) {
    std::string out = fmt::format("trace: enters at {} (DPDK port {}), generation #{}\n", text(r, "inport"),
                                  text(r, "dpdk_port"), text(r, "generation"));
    const std::string in = text(r, "input");
    out += fmt::format("input ({} bytes):\n{}\n", hex_bytes(in), indented(in, "    "));
    std::size_t i = 0;
    for (const Json& s : array(r, "steps")) out += fmt::format("{:>3}. {}\n", ++i, text(&s));
    const Json::Array& outs = array(r, "output");
    if (outs.empty()) {
        out += "\nno frame leaves\n";
        return out;
    }
    out += fmt::format("\n{} frame{} leave{}:\n", outs.size(), outs.size() == 1 ? "" : "s", outs.size() == 1 ? "s" : "");
    for (const Json& o : outs) {
        const std::string f = text(o, "frame");
        const std::string port = o.find("port") ? text(o, "port") : std::string("?");
        out += fmt::format("  {} (DPDK port {}), {} bytes:\n{}", port, text(o, "dpdk_port"), hex_bytes(f),
                           indented(f, "    "));
    }
    return out;
}

std::string render_lflow_check(const Json& r) {
    std::string out = fmt::format("{}: {} logical flows, {} datapaths\n", text(r, "snapshot"), text(r, "logical_flows"),
                                  text(r, "datapaths"));
    const bool given = text(r, "chassis_given") == "yes";
    out += fmt::format("compiled as chassis {}{} with {} {} bound to local ports\n", text(r, "chassis"),
                       given ? "" : " (not in the snapshot)", text(r, "vifs_bound"),
                       text(r, "vifs_given") == "yes" ? "given VIF(s)" : "VIF-type ports (all of them)");
    for (const Json& p : array(r, "passes")) {
        if (p.find("error")) {
            out += fmt::format("  as chassis {}: the compiler failed: {}\n", text(p, "chassis"), text(p, "error"));
            continue;
        }
        const Json::Array& dps = array(p, "datapaths");
        out += fmt::format("  as chassis {}: {} datapath{}{}{}\n", text(p, "chassis"), dps.size(),
                           dps.size() == 1 ? "" : "s", dps.empty() ? "" : ": ", join(dps, " "));
    }
    out += fmt::format("{} of {} datapaths checked, {} flows (a flow counts once per datapath it applies to), {} "
                       "engine rules\n",
                       text(r, "datapaths_checked"), text(r, "datapaths"), text(r, "flows_checked"),
                       text(r, "engine_rules"));
    const Json::Array& unchecked = array(r, "unchecked_datapaths");
    if (!unchecked.empty()) {
        std::string names;
        for (const Json& u : unchecked)
            names += fmt::format("{}{} ({} flows)", names.empty() ? "" : ", ", text(u, "datapath"),
                                 text(u, "logical_flows"));
        out += fmt::format("not local in the views compiled, not checked: {}\n", names);
    }
    out += '\n';
    Table st({"STATUS", "FLOWS"});
    if (const Json* b = r.find("by_status"); b && b->is_object())
        for (const auto& [k, v] : b->as_object()) st.add({k, text(&v)});
    out += st.str();
    if (const Json* rj = r.find("rejected_logical_flows"); rj && rj->as_u64().value_or(0) > 0)
        out += fmt::format("{} logical flows rejected by the loader (values outside ovn-sb(5))\n", text(rj));

    if (const Json* u = r.find("unimplemented"); u && u->is_object() && !u->as_object().empty()) {
        Table ut({"UNIMPLEMENTED ACTION", "FLOWS"});
        for (const auto& [k, v] : u->as_object()) ut.add({k, text(&v)});
        out += "\nactions compiled to counted drops (partial flows):\n";
        out += ut.str();
    }
    if (const Json* u = r.find("not_performed"); u && u->is_object() && !u->as_object().empty()) {
        Table ut({"ACTION NOT PERFORMED", "FLOWS"});
        for (const auto& [k, v] : u->as_object()) ut.add({k, text(&v)});
        out += "\nactions skipped, the packet goes on (partial flows):\n";
        out += ut.str();
    }
    const Json::Array& problems = array(r, "problems");
    if (!problems.empty()) {
        Table pt({"DATAPATH", "PIPELINE", "TABLE", "STAGE", "PRIORITY", "UUID", "STATUS", "REASON"});
        for (const Json& p : problems)
            pt.add({text(p, "datapath"), text(p, "pipeline"), text(p, "table"), text(p, "stage"), text(p, "priority"),
                    text(p, "uuid"), text(p, "status"), text(p, "reason")});
        out += "\nunsupported and invalid flows:\n";
        out += pt.str();
    }
    for (const Json& e : array(r, "compile_errors")) out += fmt::format("\ncompile error: {}\n", text(&e));
    const Json::Array& warnings = array(r, "warnings");
    if (!warnings.empty()) {
        out += '\n';
        for (const Json& w : warnings) out += fmt::format("warning: {}\n", text(&w));
    }
    std::size_t bad = problems.size() + array(r, "compile_errors").size();
    if (const Json* rj = r.find("rejected_logical_flows")) bad += rj->as_u64().value_or(0);
    out += text(r, "ok") == "yes" ? std::string("\nOK: nothing unsupported or invalid\n")
                                  : fmt::format("\nFAIL: {} problem{} (see above)\n", bad, bad == 1 ? "" : "s");
    return out;
}

std::string render_generic(const Json& r) {
    std::string s = r.dump(2);
    s += '\n';
    return s;
}

}  // namespace scs::dpctl
