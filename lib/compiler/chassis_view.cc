#include "compiler/chassis_view.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "common/mix.h"

namespace scs::compiler {

using engine::PortEntry;
using engine::PortKind;
using ovsdb::PortBinding;
using ovsdb::Uuid;

namespace {

const std::string* option(const PortBinding& pb, const char* key) {
    auto it = pb.options.find(key);
    return it == pb.options.end() ? nullptr : &it->second;
}

}  // namespace

ChassisView::ChassisView(const ovsdb::Snapshot& sb, const LocalConfig& cfg) : sb_(sb), cfg_(cfg) {
    dps_.reserve(sb.datapaths.size());
    dp_index_.reserve(sb.datapaths.size());
    for (const auto& d : sb.datapaths) {
        if (!dp_index_.put(d.uuid, static_cast<uint32_t>(dps_.size()))) continue;
        dps_.push_back(&d);
        if (d.tunnel_key > 0 && d.tunnel_key < (1 << 24)) dp_by_key_[static_cast<uint32_t>(d.tunnel_key)] = &d;
    }
    placed_.resize(dps_.size());
    pb_by_name_.reserve(sb.ports.size());
    placement_by_name_.reserve(sb.ports.size());
    // Per sb.ports row: its name hashed once, and its datapath's index.
    std::vector<uint64_t> name_hash;
    std::vector<uint32_t> dp_at;
    name_hash.reserve(sb.ports.size());
    dp_at.reserve(sb.ports.size());
    std::vector<uint32_t> n_ports(dps_.size());
    for (const auto& p : sb.ports) {
        name_hash.push_back(decltype(pb_by_name_)::hash(p.logical_port));
        pb_by_name_.put(&p, name_hash.back());
        const uint32_t at = p.datapath ? dp_index_.find(*p.datapath) : UuidSlots::kNone;
        dp_at.push_back(at);
        if (at != UuidSlots::kNone) ++n_ports[at];
        // Ports other ports' placements name (update() must not change them one by one).
        const char* names = p.type == "chassisredirect" ? "distributed-port"
                            : p.type == "patch" || p.type == "l3gateway" ? "peer"
                                                                         : nullptr;
        if (const std::string* n = names ? option(p, names) : nullptr)
            referenced_.push_back(decltype(pb_by_name_)::hash(*n));
    }
    std::sort(referenced_.begin(), referenced_.end());
    for (std::size_t i = 0; i < dps_.size(); ++i) placed_[i].reserve(n_ports[i]);
    // The configured VIFs by row: placing a port then asks a pointer, not a map of names.
    for (const auto& [lport, dpdk] : cfg.vifs)
        if (const PortBinding* pb = pb_by_name_.find(lport)) vif_port_.emplace(pb, dpdk);

    // Tunnels: every other chassis with a Geneve encap, in name order (stable ids across
    // generations as long as the chassis set is stable).
    std::vector<const ovsdb::Chassis*> remotes;
    for (const auto& c : sb.chassis)
        if (c.name != cfg.chassis) remotes.push_back(&c);
    std::sort(remotes.begin(), remotes.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (const ovsdb::Chassis* c : remotes) {
        auto e = std::find_if(c->encaps.begin(), c->encaps.end(), [](const ovsdb::Encap& x) { return x.type == "geneve"; });
        if (e == c->encaps.end()) continue;
        auto ip = pkt::Ip4::parse(e->ip);
        if (!ip) {
            warnings_.push_back(fmt::format("chassis {}: Geneve encap IP '{}' is not IPv4; not reachable", c->name, e->ip));
            continue;
        }
        engine::Tunnel t;
        t.chassis = c->name;
        t.remote_ip = ip->v;
        t.tx_port = cfg.underlay_port;
        auto mac = cfg.remote_macs.find(ip->v);
        const pkt::Mac& nh = mac != cfg.remote_macs.end() ? mac->second : cfg.next_hop_mac;
        std::copy(nh.b.begin(), nh.b.end(), t.next_hop_mac);
        t.hw_ip_csum = cfg.outer_ip_csum_offload;
        tunnel_by_chassis_[c->name] = static_cast<uint16_t>(tunnels_.size());
        tunnels_.push_back(std::move(t));
    }

    // Switches with a localnet port on a provider network of ours: their ports on other
    // chassis are reached through it, not through a tunnel (ovn-controller, physical.c).
    for (const PortBinding& pb : sb.ports) {
        const std::string* net = pb.type == "localnet" ? option(pb, "network_name") : nullptr;
        const ovsdb::DatapathBinding* dp = net && cfg.providers.count(*net) ? dp_of(pb) : nullptr;
        if (!dp || pb.tunnel_key <= 0) continue;
        auto [it, fresh] = localnet_by_dp_.emplace(static_cast<uint32_t>(dp->tunnel_key), static_cast<uint32_t>(pb.tunnel_key));
        if (!fresh && static_cast<uint32_t>(pb.tunnel_key) < it->second) it->second = static_cast<uint32_t>(pb.tunnel_key);
    }

    // Place every port of every datapath.
    rows_at_ = sb.ports.data();
    rows_.resize(sb.ports.size());
    for (std::size_t i = 0; i < sb.ports.size(); ++i) {
        const PortBinding& pb = sb.ports[i];
        rows_[i] = RowSlot{pb.uuid, name_hash[i], UuidSlots::kNone, 0, leaf(pb, name_hash[i], vif_port_.count(&pb) != 0)};
        if (dp_at[i] != UuidSlots::kNone) place_row(static_cast<uint32_t>(i), dp_at[i], name_hash[i]);
    }
    for (const auto& v : placed_)
        for (const PortPlacement& p : v) placement_by_name_.put(&p, p.name_hash);

    // Local datapaths: seeds, then closure over patch peers (ovn-controller's
    // add_local_datapath()). l3gateway peers count as patches when the gateway is here.
    std::vector<Uuid> todo;
    for (std::size_t i = 0; i < placed_.size(); ++i) {
        for (const PortPlacement& p : placed_[i]) {
            const auto k = p.entry.kind;
            const bool seed = k == PortKind::Vif || k == PortKind::Redirect ||
                              (p.pb->type == "l3gateway" && k == PortKind::Patch);
            if (seed && local_.insert(dps_[i]->uuid).second) todo.push_back(dps_[i]->uuid);
        }
    }
    while (!todo.empty()) {
        const Uuid dp = todo.back();
        todo.pop_back();
        for (const PortPlacement& p : ports(dp)) {
            if (p.entry.kind != PortKind::Patch) continue;
            auto peer = dp_by_key_.find(p.entry.peer_dp);
            if (peer != dp_by_key_.end() && local_.insert(peer->second->uuid).second) todo.push_back(peer->second->uuid);
        }
    }

    for (const auto& [lport, dpdk] : cfg.vifs)
        if (!pb_by_name_.find(lport))
            warnings_.push_back(fmt::format("vif {} (DPDK port {}): no such logical port in the Southbound", lport, dpdk));
    for (const auto& [net, dpdk] : cfg.providers) {
        const bool used = std::any_of(sb.ports.begin(), sb.ports.end(), [&](const PortBinding& pb) {
            const std::string* n = option(pb, "network_name");
            return pb.type == "localnet" && n && *n == net;
        });
        if (!used)
            warnings_.push_back(fmt::format("provider {} (DPDK port {}): no localnet port uses this network", net, dpdk));
    }
}

bool ChassisView::leaf(const PortBinding& pb, uint64_t name_hash, bool vif) const {
    const std::string& t = pb.type;
    // A child port depends on its parent and lands in the parent's RX binding: not a leaf.
    return !vif && pb.parent_port.empty() && t != "patch" && t != "l3gateway" && t != "chassisredirect" &&
           t != "localnet" &&
           !std::binary_search(referenced_.begin(), referenced_.end(), name_hash);
}

void ChassisView::place_row(uint32_t row, uint32_t at, uint64_t h) {
    static_assert(sizeof(PortEntry) == 16 && std::is_trivially_copyable_v<PortEntry>);
    const PortBinding& pb = sb_.ports[row];
    PortPlacement& p = placed_[at].emplace_back();
    p.pb = &pb;
    p.row = row;
    p.name_hash = h;
    p.dp_key = static_cast<uint32_t>(dps_[at]->tunnel_key);
    place(p, pb);
    // As resident_here() answers, also when the port could not be placed (e.g. a
    // chassisredirect port whose distributed port is missing).
    p.resident = resident_chassis(pb) == cfg_.chassis;
    uint64_t entry[2];
    std::memcpy(entry, &p.entry, sizeof entry);
    const uint64_t security = pb.security_hash ? pb.security_hash : ovsdb::port_security_hash(pb);
    p.key_digest = mix64(p.name_hash ^ mix64(static_cast<uint64_t>(pb.tunnel_key)));
    p.digest = mix64(p.key_digest ^ mix64(entry[0] ^ mix64(entry[1] ^ mix64(security))));
    rows_[row].dp = at;
    rows_[row].pos = static_cast<uint32_t>(placed_[at].size() - 1);
}

bool ChassisView::update(const ovsdb::Snapshot& sb, const std::vector<Uuid>& changed, ViewDelta& delta) {
    constexpr uint32_t kNone = UuidSlots::kNone;
    constexpr std::size_t kMaxChanged = 256;  // beyond: placing all again costs about as much
    // The rows must not have moved (their strings are viewed), and apply_rows()'s index must
    // describe them; re-placed ports' notes accumulate until the next full build.
    // Two rows of one name (the schema's index forbids it) make the by-name answers depend on
    // row order, which removals change: such a Southbound is placed whole every time.
    if (&sb != &sb_ || sb.ports.data() != rows_at_ || changed.size() > kMaxChanged || pb_by_name_.size() != rows_.size() ||
        sb.port_at.size() != sb.ports.size() || notes_.size() > 2 * rows_.size() + 1024)
        return false;
    const std::size_t n_old = rows_.size();
    auto name_hash = [](const PortBinding& pb) { return decltype(pb_by_name_)::hash(pb.logical_port); };

    // Where each changed row was (old_row) and is (new_row). apply_rows() overwrites a row in
    // place, appends a new one and fills a removed row's place with the last row, so a row
    // never moves up: one found past the old end is new; otherwise the old rows are searched.
    struct Change {
        Uuid uuid;
        uint32_t old_row = kNone, new_row = kNone;
    };
    std::vector<Change> ch;
    ch.reserve(changed.size());
    std::vector<Change*> unresolved;
    for (const Uuid& u : changed) {
        Change& c = ch.emplace_back(Change{u});
        if (auto it = sb.port_at.find(u); it != sb.port_at.end()) {
            c.new_row = it->second;
            if (c.new_row >= sb.ports.size() || sb.ports[c.new_row].uuid != u) return false;
        }
        if (c.new_row != kNone && c.new_row < n_old && rows_[c.new_row].uuid == u) c.old_row = c.new_row;
        else if (c.new_row == kNone || c.new_row < n_old) unresolved.push_back(&c);
    }
    if (!unresolved.empty())
        for (std::size_t i = 0; i < n_old; ++i)
            for (Change* c : unresolved)
                if (rows_[i].uuid == c->uuid) c->old_row = static_cast<uint32_t>(i);

    // Only leaves, before and after.
    std::set<uint32_t> touched;  // placed_ indexes whose placements change
    std::size_t removed = 0;
    for (const Change& c : ch) {
        if (c.old_row != kNone) {
            const RowSlot& slot = rows_[c.old_row];
            if (!slot.leaf) return false;
            if (slot.dp != kNone) touched.insert(slot.dp);
            if (c.new_row == kNone) ++removed;
        }
        if (c.new_row != kNone) {
            const PortBinding& pb = sb.ports[c.new_row];
            if (!leaf(pb, name_hash(pb), cfg_.vifs.count(pb.logical_port) != 0)) return false;
            if (const uint32_t at = pb.datapath ? dp_index_.find(*pb.datapath) : kNone; at != kNone) touched.insert(at);
        }
    }
    // Unchanged rows that took a removed row's place: from the top `removed` old rows.
    std::vector<std::pair<uint32_t, uint32_t>> moved;  // (old row, new row)
    for (std::size_t i = n_old - std::min(removed, n_old); i < n_old; ++i) {
        const bool is_changed = std::any_of(ch.begin(), ch.end(), [&](const Change& c) { return c.old_row == i; });
        if (is_changed) continue;
        auto it = sb.port_at.find(rows_[i].uuid);
        if (it == sb.port_at.end()) return false;  // gone but not listed as changed
        if (it->second != i) moved.emplace_back(static_cast<uint32_t>(i), it->second);
    }

    // From here on a false return leaves the view half updated (the caller builds a new one).
    for (const uint32_t at : touched)
        for (const PortPlacement& p : placed_[at])
            if (!placement_by_name_.erase(p.name_hash, &p)) return false;  // a name twice
    for (const Change& c : ch) {
        if (c.old_row == kNone) continue;
        RowSlot& slot = rows_[c.old_row];
        if (!pb_by_name_.erase(slot.name_hash, sb.ports.data() + c.old_row)) return false;
        if (slot.dp == kNone) continue;
        auto& v = placed_[slot.dp];
        if (v[slot.pos].resident) delta.resident_removed += mix64(v[slot.pos].name_hash);
        if (slot.pos + 1 != v.size()) {
            v[slot.pos] = v.back();
            rows_[v[slot.pos].row].pos = slot.pos;
        }
        v.pop_back();
        slot.dp = kNone;
    }
    std::vector<std::pair<uint32_t, RowSlot>> moved_slots;
    for (const auto& [from, to] : moved) {
        if (!pb_by_name_.erase(rows_[from].name_hash, sb.ports.data() + from)) return false;
        moved_slots.emplace_back(to, rows_[from]);
    }
    for (const auto& [to, slot] : moved_slots) pb_by_name_.put(&sb.ports[to], slot.name_hash);
    // The configured VIFs by row again (a moved one is at another address now).
    vif_port_.clear();
    for (const auto& [lport, dpdk] : cfg_.vifs)
        if (const PortBinding* pb = pb_by_name_.find(lport)) vif_port_.emplace(pb, dpdk);
    rows_.resize(sb.ports.size());
    for (const auto& [to, slot] : moved_slots) {
        rows_[to] = slot;
        if (slot.dp == kNone) continue;
        // Placed again where it now is: its placement views strings of its row.
        PortPlacement& p = placed_[slot.dp][slot.pos];
        p.pb = &sb.ports[to];
        p.row = to;
        p.entry = PortEntry{};
        p.chassis = p.note = {};
        place(p, *p.pb);
    }
    for (const Change& c : ch) {
        if (c.new_row == kNone) continue;
        const PortBinding& pb = sb.ports[c.new_row];
        const uint64_t h = name_hash(pb);
        if (pb_by_name_.find(pb.logical_port)) return false;  // a name twice
        pb_by_name_.put(&pb, h);
        rows_[c.new_row] = RowSlot{pb.uuid, h, kNone, 0, true};
        const uint32_t at = pb.datapath ? dp_index_.find(*pb.datapath) : kNone;
        if (at == kNone) continue;
        place_row(c.new_row, at, h);
        if (placed_[at].back().resident) delta.resident_added += mix64(h);
    }
    for (const uint32_t at : touched) {
        for (const PortPlacement& p : placed_[at]) placement_by_name_.put(&p, p.name_hash);
        delta.datapaths.insert(dps_[at]->uuid);
    }
    return true;
}

const ovsdb::DatapathBinding* ChassisView::dp_of(const PortBinding& pb) const {
    return pb.datapath ? datapath(*pb.datapath) : nullptr;
}

std::string_view ChassisView::resident_chassis(const PortBinding& pb) const {
    if (pb.type == "chassisredirect") {
        // The binding chassis wins once a chassis has claimed it; before that, the gateway
        // chassis of highest priority (HA: the active one is the first alive; we take the
        // Southbound's view of who claimed it).
        if (!pb.chassis.empty()) return pb.chassis;
        return pb.gateway_chassis.empty() ? std::string_view() : std::string_view(pb.gateway_chassis.front().chassis);
    }
    if (pb.type == "l3gateway") {
        const std::string* c = option(pb, "l3gateway-chassis");
        return c ? *c : pb.chassis;
    }
    if ((vif_port_.count(&pb) || child_of_local_vif(pb)) &&
        (pb.type.empty() || pb.type == "virtual" || pb.type == "external"))
        return cfg_.chassis;
    return pb.chassis;
}

std::optional<uint16_t> ChassisView::child_of_local_vif(const PortBinding& pb) const {
    if (pb.parent_port.empty()) return std::nullopt;
    const PortBinding* parent = pb_by_name_.find(pb.parent_port);
    auto it = parent ? vif_port_.find(parent) : vif_port_.end();
    if (it == vif_port_.end()) return std::nullopt;
    return it->second;
}

std::optional<uint16_t> ChassisView::tunnel_to(std::string_view chassis) const {
    auto it = tunnel_by_chassis_.find(chassis);
    if (it == tunnel_by_chassis_.end()) return std::nullopt;
    return it->second;
}

void ChassisView::place(PortPlacement& p, const PortBinding& pb) {
    PortEntry& e = p.entry;
    const std::string& type = pb.type;
    auto remote_or_none = [&](std::string_view where) {
        p.chassis = where;
        if (where.empty()) {
            p.note = "not bound to any chassis";
        } else if (auto t = tunnel_to(where)) {
            e.kind = PortKind::Remote;
            e.tunnel = *t;
        } else {
            p.note = keep(fmt::format("bound to chassis {}, which has no Geneve encap", where));
        }
    };
    if (type == "patch" || type == "l3gateway") {
        const std::string* peer = option(pb, "peer");
        const PortBinding* peer_pb = peer ? pb_by_name_.find(*peer) : nullptr;
        const ovsdb::DatapathBinding* peer_dp = peer_pb ? dp_of(*peer_pb) : nullptr;
        if (!peer_dp) {
            p.note = peer ? keep(fmt::format("peer {} not found", *peer)) : "no options:peer";
            return;
        }
        if (type == "l3gateway") {
            const std::string_view where = resident_chassis(pb);
            if (where != cfg_.chassis) return remote_or_none(where);
            p.chassis = where;
        }
        e.kind = PortKind::Patch;
        e.peer_dp = static_cast<uint32_t>(peer_dp->tunnel_key);
        e.peer_port = static_cast<uint32_t>(peer_pb->tunnel_key);
        return;
    }
    if (type == "localnet") {
        const std::string* net = option(pb, "network_name");
        auto it = net ? cfg_.providers.find(*net) : cfg_.providers.end();
        if (it == cfg_.providers.end()) {
            p.note = net ? keep(fmt::format("no provider port for network {}", *net)) : "no options:network_name";
            return;
        }
        e.kind = PortKind::Localnet;
        e.tx_port = it->second;
        e.vlan = pb.tag ? static_cast<uint16_t>(*pb.tag & 0xfff) : 0;
        return;
    }
    if (type == "chassisredirect") {
        const std::string_view where = resident_chassis(pb);
        if (where != cfg_.chassis) return remote_or_none(where);
        const std::string* dist = option(pb, "distributed-port");
        const PortBinding* dist_pb = dist ? pb_by_name_.find(*dist) : nullptr;
        if (!dist_pb) {
            p.note = "no options:distributed-port";
            return;
        }
        p.chassis = where;
        e.kind = PortKind::Redirect;
        e.peer_port = static_cast<uint32_t>(dist_pb->tunnel_key);
        return;
    }
    if (type.empty() || type == "virtual" || type == "external" || type == "localport") {
        if (type == "localport") e.flags |= engine::kPortLocalport;
        auto it = vif_port_.find(&pb);
        if (it != vif_port_.end()) {
            p.chassis = cfg_.chassis;
            e.kind = PortKind::Vif;
            e.tx_port = it->second;
            return;
        }
        // A child port (OpenStack trunk subport): tagged frames on its parent's VIF.
        if (const auto parent_port = type.empty() ? child_of_local_vif(pb) : std::nullopt) {
            if (!pb.tag || *pb.tag < 1 || *pb.tag > 4095) {
                p.note = "child port without a VLAN tag 1..4095";
                return;
            }
            p.chassis = cfg_.chassis;
            e.kind = PortKind::Vif;
            e.tx_port = *parent_port;
            e.vlan = static_cast<uint16_t>(*pb.tag);
            return;
        }
        if (type == "localport") {  // never tunnelled: every chassis has its own
            p.note = "localport without a local DPDK port";
            return;
        }
        if (pb.chassis == cfg_.chassis) {
            p.chassis = pb.chassis;
            p.note = "bound to this chassis in the Southbound but no --port vif= maps it";
            return;
        }
        if (auto ln = localnet_by_dp_.find(p.dp_key); ln != localnet_by_dp_.end() && !pb.chassis.empty()) {
            p.chassis = pb.chassis;  // no tunnel needed: the provider network reaches it
            e.kind = PortKind::ViaLocalnet;
            e.peer_port = ln->second;
            return;
        }
        return remote_or_none(pb.chassis);
    }
    p.note = keep(fmt::format("port type '{}' is not supported", type));
}

const ovsdb::DatapathBinding* ChassisView::datapath_by_key(uint32_t key) const {
    auto it = dp_by_key_.find(key);
    return it == dp_by_key_.end() ? nullptr : it->second;
}

const ovsdb::DatapathBinding* ChassisView::datapath(const Uuid& u) const {
    const uint32_t at = dp_index_.find(u);
    return at == UuidSlots::kNone ? nullptr : dps_[at];
}

const std::vector<PortPlacement>& ChassisView::ports(const Uuid& dp) const {
    static const std::vector<PortPlacement> kNone;
    const uint32_t at = dp_index_.find(dp);
    return at == UuidSlots::kNone ? kNone : placed_[at];
}

const PortPlacement* ChassisView::port(std::string_view logical_port) const {
    return placement_by_name_.find(logical_port);
}

bool ChassisView::resident_here(std::string_view logical_port) const {
    const PortBinding* pb = pb_by_name_.find(logical_port);
    return pb && resident_chassis(*pb) == cfg_.chassis;
}

std::set<std::string> ChassisView::claims() const {
    std::set<std::string> out;
    for_each_port([&](const PortPlacement& p) {
        const auto k = p.entry.kind;
        // Not a localport: every chassis has one, none claims it (ovn-controller's binding.c).
        if ((k == PortKind::Vif && !p.entry.localport()) || k == PortKind::Redirect ||
            (p.pb->type == "l3gateway" && p.chassis == cfg_.chassis))
            out.insert(p.pb->logical_port);
    });
    return out;
}

engine::Underlay ChassisView::underlay() const {
    engine::Underlay u;
    u.encap_ip = cfg_.encap_ip.v;
    std::copy(cfg_.underlay_mac.b.begin(), cfg_.underlay_mac.b.end(), u.mac);
    return u;
}

std::vector<engine::RxBinding> ChassisView::rx_bindings() const {
    std::vector<engine::RxBinding> rx;
    auto at = [&](uint16_t port) -> engine::RxBinding& {
        if (rx.size() <= port) rx.resize(port + 1u);
        return rx[port];
    };
    if (cfg_.underlay_port != kNoPort) at(cfg_.underlay_port).role = engine::RxRole::Underlay;
    for (std::size_t i = 0; i < placed_.size(); ++i) {
        if (!local_.count(dps_[i]->uuid)) continue;
        for (const PortPlacement& p : placed_[i]) {
            if (p.entry.kind == PortKind::Vif) {
                engine::RxBinding& b = at(p.entry.tx_port);
                b.role = engine::RxRole::Vif;
                if (p.entry.vlan) {  // a child port, on its parent's device
                    b.children.push_back({p.entry.vlan, p.dp_key, static_cast<uint32_t>(p.pb->tunnel_key)});
                } else {
                    b.dp = p.dp_key;
                    b.port = static_cast<uint32_t>(p.pb->tunnel_key);
                }
            } else if (p.entry.kind == PortKind::Localnet) {
                engine::RxBinding& b = at(p.entry.tx_port);
                b.role = engine::RxRole::Provider;
                b.localnets.push_back({p.entry.vlan, p.dp_key, static_cast<uint32_t>(p.pb->tunnel_key)});
            }
        }
    }
    return rx;
}

}  // namespace scs::compiler
