#include "southbound.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "log.h"

namespace scs::dataplane {

namespace {

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    return buf;
}

compiler::LocalConfig local_config(const Config& cfg, const Ports& ports) {
    compiler::LocalConfig c;
    c.chassis = cfg.chassis;
    for (const Port& p : ports.list()) {
        const PortSpec& s = p.spec;
        switch (s.role) {
            case Role::Vif: c.vifs[s.target] = p.id; break;
            case Role::Provider: c.providers[s.target] = p.id; break;
            case Role::Underlay:
                c.underlay_port = p.id;
                c.encap_ip = s.encap_ip;
                if (s.mac) c.underlay_mac = *s.mac;
                else std::copy(std::begin(p.mac.addr_bytes), std::end(p.mac.addr_bytes), c.underlay_mac.b.begin());
                if (s.gateway_mac) c.next_hop_mac = *s.gateway_mac;
                c.outer_ip_csum_offload = (p.tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
                break;
        }
    }
    return c;
}

}  // namespace

Result<std::unique_ptr<SouthboundSource>> SouthboundSource::create(const Config& cfg, const Ports& ports) {
    ovsdb::SbClient::Options o;
    o.monitor_all = cfg.sb_monitor_all;
    auto sb = ovsdb::SbClient::create(cfg.sb_remote, o);
    if (!sb) return make_error(fmt::format("--sb {}: {}", cfg.sb_remote, sb.error()));
    compiler::LocalConfig local = local_config(cfg, ports);

    ovsdb::ChassisConfig cc;
    cc.name = cfg.chassis;
    cc.hostname = host_name();
    cc.encap_ip = local.underlay_port == compiler::kNoPort ? std::string("127.0.0.1") : local.encap_ip.str();
    std::string mappings;
    for (const auto& [net, id] : local.providers) {
        const Port* p = nullptr;
        for (const Port& q : ports.list())
            if (q.id == id) p = &q;
        mappings += fmt::format("{}{}:{}", mappings.empty() ? "" : ",", net, p ? p->name : "dpdk");
    }
    cc.bridge_mappings = mappings;
    cc.datapath_type = "scs-dpdk";
    cc.iface_types = "dpdk";
    cc.other_config["scs-dataplane"] = "true";
    std::set<std::string> vifs;
    for (const auto& [lport, id] : local.vifs) vifs.insert(lport);
    (*sb)->set_local_ports(std::move(vifs));
    if (auto r = (*sb)->set_chassis(cc); !r) return make_error(fmt::format("chassis {}: {}", cfg.chassis, r.error()));
    return std::unique_ptr<SouthboundSource>(new SouthboundSource(std::move(*sb), std::move(local), cfg.sb_remote));
}

Result<std::unique_ptr<engine::Generation>> SouthboundSource::compile(const compiler::CompileHint& hint) {
    auto g = compiler_.compile(snapshot_, ++number_, hint);
    ++compiles_;
    if (!g) {
        last_error_ = g.error();
        return make_error(g.error());
    }
    last_error_.clear();
    return g;
}

Result<std::unique_ptr<engine::Generation>> SouthboundSource::initial() {
    // Nothing from the database yet: no datapaths, the underlay bound. Everything received
    // is dropped and counted until the first snapshot arrives.
    return compile();
}

Result<std::unique_ptr<engine::Generation>> SouthboundSource::next(const engine::Generation&) {
    return compile();  // unchanged datapaths are shared (fingerprints match)
}

Result<std::unique_ptr<engine::Generation>> SouthboundSource::poll() {
    sb_->run();
    ovsdb::Changes ch = sb_->take_changes();
    const ovsdb::Status st = sb_->status();
    if (ch.empty() && have_snapshot_) return std::unique_ptr<engine::Generation>{};
    if (!st.connected && !have_snapshot_) return std::unique_ptr<engine::Generation>{};
    // The kept snapshot follows the changed rows (the whole replica is copied only on the
    // first update and after a resync).
    // What did not change is told to the compiler (the port placement is then reused).
    compiler::CompileHint hint;
    if (have_snapshot_) {
        sb_->update_snapshot(snapshot_, ch);
        hint = compiler::hint_from(ch);
    } else {
        snapshot_ = sb_->snapshot();
    }
    have_snapshot_ = true;
    auto g = compile(hint);
    if (!g) {
        info("Southbound update not applied (keeping the live tables): {}", g.error());
        return g;
    }
    const compiler::CompileReport& rep = compiler_.report();
    const auto& s = rep.stats;
    using compiler::FlowStatus;
    info("generation #{}: {} local datapath(s) ({} recompiled), {} logical flows: {} compiled, {} partial, {} never "
         "match here, {} unsupported, {} invalid; {:.1f} ms",
         number_, s.datapaths, s.recompiled, s.flows, s.by_status[static_cast<int>(FlowStatus::Compiled)],
         s.by_status[static_cast<int>(FlowStatus::Partial)], s.by_status[static_cast<int>(FlowStatus::NeverMatches)],
         s.by_status[static_cast<int>(FlowStatus::Unsupported)], s.by_status[static_cast<int>(FlowStatus::Invalid)],
         static_cast<double>(s.elapsed_ns) / 1e6);
    for (const auto& dp : rep.datapaths)
        for (const auto& f : dp->flows)
            if (f.status == FlowStatus::Unsupported || f.status == FlowStatus::Invalid)
                info("  {} flow {} ({} table {} priority {}): {}", compiler::flow_status_name(f.status), f.uuid.to_string(),
                     dp->binding->name, f.table, f.priority, f.detail());
    // Monitor what is local now; claim what is ours. Ports become `up` with the generation
    // that forwards for them, which the caller publishes right away.
    std::vector<ovsdb::Uuid> local;
    for (const auto& dp : rep.datapaths) local.push_back(dp->binding->uuid);
    sb_->set_local_datapaths(std::move(local));
    if (rep.claims != claimed_) {
        for (const std::string& p : rep.claims)
            if (!claimed_.count(p)) info("claiming logical port {}", p);
        for (const std::string& p : claimed_)
            if (!rep.claims.count(p)) info("releasing logical port {}", p);
        claimed_ = rep.claims;
    }
    if (auto r = sb_->set_claims(rep.claims, rep.claims); !r) info("port claims: {}", r.error());
    return g;
}

void SouthboundSource::shutdown() {
    if (auto r = sb_->release_all(std::chrono::milliseconds(2000)); !r)
        info("releasing the chassis in the Southbound: {}", r.error());
    else
        info("chassis {} released its ports and left the Southbound", compiler_.config().chassis);
}

std::string SouthboundSource::localnet_network(const std::string& lport) const {
    for (const ovsdb::PortBinding& pb : snapshot_.ports) {
        if (pb.logical_port != lport || pb.type != "localnet") continue;
        auto it = pb.options.find("network_name");
        return it == pb.options.end() ? std::string() : it->second;
    }
    return {};
}

mgmt::Json SouthboundSource::status_json() const {
    const ovsdb::Status st = sb_->status();
    mgmt::Json j = mgmt::Json::object();
    j["state"] = st.connected ? "connected" : (st.ever_connected ? "reconnecting" : "connecting");
    j["remote"] = remote_;
    j["chassis"] = compiler_.config().chassis;
    j["chassis_registered"] = st.chassis_registered;
    if (!st.last_error.empty()) j["last_error"] = st.last_error;
    if (!st.last_txn_error.empty()) j["last_txn_error"] = st.last_txn_error;
    if (!last_error_.empty()) j["last_compile_error"] = last_error_;
    const auto& rep = compiler_.report();
    mgmt::Json claims = mgmt::Json::array();
    for (const std::string& c : rep.claims) claims.push(c);
    j["claimed_ports"] = std::move(claims);
    mgmt::Json c = mgmt::Json::object();
    using compiler::FlowStatus;
    c["local_datapaths"] = rep.stats.datapaths;
    c["recompiled"] = rep.stats.recompiled;
    c["logical_flows"] = rep.stats.flows;
    c["compiled"] = rep.stats.by_status[static_cast<int>(FlowStatus::Compiled)];
    c["partial"] = rep.stats.by_status[static_cast<int>(FlowStatus::Partial)];
    c["never_matches"] = rep.stats.by_status[static_cast<int>(FlowStatus::NeverMatches)];
    c["unsupported"] = rep.stats.by_status[static_cast<int>(FlowStatus::Unsupported)];
    c["invalid"] = rep.stats.by_status[static_cast<int>(FlowStatus::Invalid)];
    c["engine_rules"] = rep.stats.rules;
    c["elapsed_ms"] = static_cast<double>(rep.stats.elapsed_ns) / 1e6;
    c["compiles"] = compiles_;
    j["last_compile"] = std::move(c);
    mgmt::Json w = mgmt::Json::array();
    for (const std::string& s : rep.warnings) w.push(s);
    j["warnings"] = std::move(w);
    return j;
}

}  // namespace scs::dataplane
