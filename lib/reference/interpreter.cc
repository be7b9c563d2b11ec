#include "reference/interpreter.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "common/byteorder.h"
#include "compiler/lower_actions.h"
#include "compiler/port_security.h"
#include "compiler/resolver.h"
#include "engine/datapath.h"
#include "engine/extract.h"
#include "engine/select.h"
#include "lflow/actions.h"
#include "lflow/expr.h"
#include "packet/addr.h"
#include "packet/builder.h"
#include "packet/parse.h"
#include "packet/proto.h"
#include "reference/rewrite.h"

namespace scs::reference {

using engine::FlowKey;
using engine::Pipe;
using engine::PortKind;
using lflow::Action;

// The engine's bounds (engine/exec.h), as limits of the reference too: a logical loop must
// end the same way in both.
constexpr unsigned kMaxDepth = 8, kMaxHops = 16, kMaxCopies = 64, kMaxSteps = 1024;
constexpr uint32_t kMcastBase = 32768;

std::string to_string(const Outcome& o) {
    switch (o.kind) {
        case Outcome::Kind::Tx:
            return fmt::format("tx port {} {}", o.port, pkt::hex(o.bytes));
        case Outcome::Kind::Tunnel:
            return fmt::format("tunnel {} ({}) vni {} in {} out {} inner {}", o.chassis, pkt::Ip4{o.remote_ip}.str(), o.vni,
                               o.in_key, o.out_key, pkt::hex(o.bytes));
        case Outcome::Kind::Drop:
            return fmt::format("drop {}{}", drop_reason_name(o.reason), o.action.empty() ? "" : " (" + o.action + ")");
    }
    return "?";
}

namespace {

struct Flow {
    const ovsdb::LogicalFlow* lf = nullptr;
    std::unique_ptr<lflow::Expr> match;
    std::vector<std::unique_ptr<lflow::Expr>> prereqs;  // of its actions and their fields
    lflow::ActionList actions;
};

struct PortSec {
    int priority;
    std::unique_ptr<lflow::Expr> match;
    bool allow;
};

struct Dp {
    const ovsdb::DatapathBinding* b = nullptr;
    uint32_t key = 0;
    std::unique_ptr<compiler::DatapathResolver> resolver;
    std::vector<std::vector<Flow>> tables[2];           // [pipe][table], priority descending
    std::map<uint32_t, const compiler::PortPlacement*> ports;
    std::map<uint32_t, std::vector<uint32_t>> groups;   // key -> member port keys
    std::vector<PortSec> port_sec[2];                   // [0]: check_out, [1]: check_in
};

// A status the action walk returns upwards: a drop reason and, for Unimplemented, the name.
struct Status {
    DropReason r = DropReason::None;
    std::string action;
};

// ovn-sb(5): these end the whole packet even from inside a `next` subroutine; anything else
// (`drop;`, no match, a failed output) only ends the subroutine.
bool halts(DropReason r) {
    return r == DropReason::TtlExceeded || r == DropReason::Unimplemented || r == DropReason::LoopLimit ||
           r == DropReason::NotIp;
}

// Bit `i` (0 = least significant) of a big-endian key field.
bool get_bit(const FlowKey& k, const compiler::BitRef& f, unsigned i) {
    const engine::FieldInfo& fi = engine::field_info(f.field);
    const unsigned b = f.bit + i;
    return (engine::key_bytes(k)[fi.offset + fi.width - 1 - b / 8] >> (b % 8)) & 1;
}
void set_bit(FlowKey& k, const compiler::BitRef& f, unsigned i, bool v) {
    const engine::FieldInfo& fi = engine::field_info(f.field);
    const unsigned b = f.bit + i;
    uint8_t& byte = engine::key_bytes(k)[fi.offset + fi.width - 1 - b / 8];
    byte = static_cast<uint8_t>(v ? byte | (1u << (b % 8)) : byte & ~(1u << (b % 8)));
}

}  // namespace

struct Interpreter::Impl {
    const ovsdb::Snapshot& sb;
    compiler::LocalConfig cfg;
    compiler::ChassisView view;
    compiler::NameTables names;
    std::map<uint32_t, Dp> dps;  // local datapaths by tunnel key
    std::vector<std::string> load_errors;

    Impl(const ovsdb::Snapshot& s, compiler::LocalConfig c) : sb(s), cfg(std::move(c)), view(sb, cfg), names(sb) {}
    void load();

    // --- per packet ---
    struct Pkt {
        FlowKey key{};
        FlowKey entry{};  // the key as extracted: rewrite_frame() writes what differs
        std::vector<uint8_t> frame;
        pkt::Layout lay;
        const Dp* dp = nullptr;
        Pipe pipe = Pipe::Ingress;
        bool from_tunnel = false;
        bool consumed = false;   // sent or tunnelled
        bool sent_copy = false;  // a copy of it was delivered
        unsigned hops = 0, steps = 0, depth = 0;
    };
    struct Ctx {
        RunResult& out;
        unsigned copies_left = kMaxCopies;
    };

    void drop(Ctx& c, DropReason r, const std::string& action = {}) const {
        Outcome o;
        o.kind = Outcome::Kind::Drop;
        o.reason = r;
        o.action = action;
        c.out.outcomes.push_back(std::move(o));
    }
    // The end of one packet (or copy): delivered, or one drop with its reason.
    void finish(Ctx& c, Pkt& p, Status s) const {
        if (!p.consumed) {
            if (s.r == DropReason::None) s.r = DropReason::LogicalDrop;  // its list ended
            if (p.sent_copy && (s.r == DropReason::LogicalDrop || s.r == DropReason::NoMatch)) s.r = DropReason::None;
        }
        if (s.r != DropReason::None) drop(c, s.r, s.action);
    }
    bool fork(Ctx& c, Pkt& from, Pkt& copy) const {
        if (c.copies_left == 0) {
            drop(c, DropReason::CloneLimit);
            return false;
        }
        --c.copies_left;
        copy = from;
        copy.depth = 0;  // a packet of its own: its last output consumes it
        copy.consumed = copy.sent_copy = false;
        return true;
    }

    Status run_pipeline(Ctx& c, Pkt& p, unsigned table) const;
    Status run_list(Ctx& c, Pkt& p, const lflow::ActionList& l, unsigned table) const;
    Status output(Ctx& c, Pkt& p) const;
    Status ingress_output(Ctx& c, Pkt& p) const;
    Status egress_output(Ctx& c, Pkt& p) const;
    Status flood(Ctx& c, Pkt& p, uint32_t group, bool local_only) const;
    Status transmit(Ctx& c, Pkt& p, uint16_t port, uint16_t vlan) const;
    Status tunnel(Ctx& c, Pkt& p, uint16_t tunnel, uint32_t out_key) const;
    bool port_sec_passes(Ctx& c, const Pkt& p, bool ingress) const;
    bool neighbor(Ctx& c, Pkt& p, const Action& a) const;
    bool fdb(Ctx& c, Pkt& p, const Action& a) const;
    bool matches(Ctx& c, const Pkt& p, const Flow& f) const;
    void start(Ctx& c, Pkt& p, std::vector<uint8_t> frame, const Dp& dp, uint32_t inport, uint16_t rx) const;
    void start_underlay(Ctx& c, std::span<const uint8_t> f) const;
    std::string where(const Pkt& p, unsigned table) const {
        return fmt::format("{} {} table {}", p.dp->b->name, p.pipe == Pipe::Ingress ? "ingress" : "egress", table);
    }
};

void Interpreter::Impl::load() {
    for (const ovsdb::Uuid& u : view.local_datapaths()) {
        const ovsdb::DatapathBinding* b = view.datapath(u);
        Dp& d = dps[static_cast<uint32_t>(b->tunnel_key)];
        d.b = b;
        d.key = static_cast<uint32_t>(b->tunnel_key);
        d.resolver = std::make_unique<compiler::DatapathResolver>(sb, view, names, *b);
        for (const compiler::PortPlacement& p : view.ports(u)) d.ports[static_cast<uint32_t>(p.pb->tunnel_key)] = &p;
        for (const ovsdb::MulticastGroup& g : sb.multicast_groups) {
            if (g.datapath != u) continue;
            std::vector<uint32_t>& m = d.groups[static_cast<uint32_t>(g.tunnel_key)];
            for (const std::string& n : g.ports)
                if (auto k = d.resolver->port_key(n)) m.push_back(*k);
        }
        for (int in = 0; in < 2; ++in) {
            std::vector<std::string> errs;
            for (const compiler::PortPlacement& p : view.ports(u)) {
                for (const compiler::PortSecRule& r : compiler::port_security_rules(*p.pb, in == 1, errs)) {
                    auto e = lflow::parse_expr(r.match);
                    if (!e) {
                        load_errors.push_back(fmt::format("port security of {}: {}", p.pb->logical_port, e.error()));
                        continue;
                    }
                    d.port_sec[in].push_back({r.priority, std::move(*e), r.allow});
                }
            }
            std::stable_sort(d.port_sec[in].begin(), d.port_sec[in].end(),
                             [](const PortSec& x, const PortSec& y) { return x.priority > y.priority; });
        }
    }
    for (const ovsdb::LogicalFlow& lf : sb.logical_flows) {
        std::vector<Dp*> in;
        if (lf.logical_datapath) {
            if (const auto* b = view.datapath(*lf.logical_datapath); b && dps.count(static_cast<uint32_t>(b->tunnel_key)) &&
                                                                      view.is_local(b->uuid))
                in.push_back(&dps[static_cast<uint32_t>(b->tunnel_key)]);
        } else {
            for (const ovsdb::Uuid& u : lf.group_datapaths)
                if (const auto* b = view.datapath(u); b && view.is_local(u)) in.push_back(&dps[static_cast<uint32_t>(b->tunnel_key)]);
        }
        if (in.empty()) continue;
        auto m = lflow::parse_expr(lf.match);
        if (!m) {
            load_errors.push_back(fmt::format("flow {}: match: {}", lf.uuid.to_string(), m.error()));
            continue;
        }
        auto a = lflow::parse_actions(lf.actions);
        if (!a) {
            load_errors.push_back(fmt::format("flow {}: actions: {}", lf.uuid.to_string(), a.error()));
            continue;
        }
        std::vector<std::string> pre = lflow::action_list_prerequisites(*a);
        for (Dp* d : in) {
            auto& tables = d->tables[lf.pipeline == ovsdb::Pipeline::Ingress ? 0 : 1];
            if (tables.size() <= lf.table_id) tables.resize(lf.table_id + 1u);
            Flow f;
            f.lf = &lf;
            f.match = std::move(*lflow::parse_expr(lf.match));
            f.actions = *a;
            for (const std::string& t : pre) {
                auto e = lflow::parse_expr(t);
                if (e) f.prereqs.push_back(std::move(*e));
                else load_errors.push_back(fmt::format("flow {}: prerequisite '{}': {}", lf.uuid.to_string(), t, e.error()));
            }
            tables[lf.table_id].push_back(std::move(f));
        }
    }
    for (auto& [k, d] : dps)
        for (auto& pipe : d.tables)
            for (auto& t : pipe)
                std::stable_sort(t.begin(), t.end(), [](const Flow& x, const Flow& y) {
                    return x.lf->priority != y.lf->priority ? x.lf->priority > y.lf->priority : x.lf->uuid < y.lf->uuid;
                });
}

bool Interpreter::Impl::matches(Ctx& c, const Pkt& p, const Flow& f) const {
    auto ok = [&](const lflow::Expr& e) {
        auto r = lflow::eval(e, p.key, *p.dp->resolver);
        if (!r) {
            c.out.errors.push_back(fmt::format("flow {} ({}): {}", f.lf->uuid.to_string(), f.lf->match, r.error()));
            return false;
        }
        return *r;
    };
    if (!ok(*f.match)) return false;
    for (const auto& pre : f.prereqs)
        if (!ok(*pre)) return false;
    return true;
}

Status Interpreter::Impl::run_pipeline(Ctx& c, Pkt& p, unsigned table) const {
    const auto& tables = p.dp->tables[static_cast<int>(p.pipe)];
    if (table >= tables.size()) {
        c.out.path.push_back(where(p, table) + ": past the last table");
        return {DropReason::NoMatch, {}};
    }
    if (++p.steps > kMaxSteps) return {DropReason::LoopLimit, {}};
    const Flow* hit = nullptr;
    for (const Flow& f : tables[table]) {
        if (hit && f.lf->priority < hit->lf->priority) break;
        if (!matches(c, p, f)) continue;
        if (!hit) {
            hit = &f;
        } else if (f.lf->actions != hit->lf->actions) {
            c.out.ambiguous = true;
            c.out.path.push_back(fmt::format("{}: also matches priority {} {} ({})", where(p, table), f.lf->priority,
                                             f.lf->uuid.to_string(), f.lf->match));
        }
    }
    if (!hit) {
        c.out.path.push_back(where(p, table) + ": no match");
        return {DropReason::NoMatch, {}};
    }
    c.out.path.push_back(fmt::format("{} {}: priority {} match ({}) actions ({}) {}", where(p, table),
                                     hit->lf->stage_name, hit->lf->priority, hit->lf->match, hit->lf->actions,
                                     hit->lf->uuid.to_string()));
    return run_list(c, p, hit->actions, table);
}

bool Interpreter::Impl::port_sec_passes(Ctx& c, const Pkt& p, bool ingress) const {
    for (const PortSec& r : p.dp->port_sec[ingress ? 1 : 0]) {
        auto m = lflow::eval(*r.match, p.key, *p.dp->resolver);
        if (!m) {
            c.out.errors.push_back("port security rule: " + m.error());
            continue;
        }
        if (*m) return r.allow;
    }
    return false;
}

namespace {

// The fields an action's arguments name (each argument one field), or nullopt.
std::optional<std::vector<compiler::BitRef>> field_args(const Action& a) {
    std::vector<compiler::BitRef> args;
    for (const lflow::Arg& arg : a.args) {
        if (arg.values.size() != 1 || arg.values[0].kind != lflow::ArgValue::Kind::Field) return std::nullopt;
        auto r = compiler::resolve(arg.values[0].field);
        if (!r) return std::nullopt;
        args.push_back(*r);
    }
    return args;
}

}  // namespace

// get_fdb(mac) and lookup_fdb(port, mac) as ovn-sb(5) defines them, answered from the
// datapath's FDB rows (by tunnel key): a plain scan, argument values read bit by bit.
bool Interpreter::Impl::fdb(Ctx& c, Pkt& p, const Action& a) const {
    auto d = compiler::resolve(a.dst);
    const bool get = a.name == "get_fdb";
    if (!d || !a.has_result || a.args.size() != (get ? 1u : 2u)) return false;
    const auto arg_fields = field_args(a);
    if (!arg_fields) return false;
    const std::vector<compiler::BitRef>& args = *arg_fields;
    auto value = [&](const compiler::BitRef& r) {  // up to 64 bits, as an integer
        uint64_t v = 0;
        for (unsigned i = 0; i < r.n_bits && i < 64; ++i) v |= uint64_t{get_bit(p.key, r, i)} << i;
        return v;
    };
    const uint64_t mac = value(args[get ? 0 : 1]);
    const uint64_t port = get ? 0 : value(args[0]);
    uint64_t answer = 0;
    for (const ovsdb::FdbEntry& e : sb.fdb) {
        auto m = pkt::Mac::parse(e.mac);
        if (e.dp_key != p.dp->b->tunnel_key || !m || e.port_key <= 0 || e.port_key >= kMcastBase) continue;
        uint64_t mv = 0;
        for (uint8_t byte : m->b) mv = mv << 8 | byte;
        if (mv != mac || (!get && static_cast<uint64_t>(e.port_key) != port)) continue;
        answer = get ? static_cast<uint64_t>(e.port_key) : 1;
        break;
    }
    c.out.path.push_back(fmt::format("  {}: {}", a.name, answer));
    for (unsigned b = 0; b < d->n_bits; ++b) set_bit(p.key, *d, b, b < 64 && ((answer >> b) & 1));
    return true;
}

// get_arp/get_nd and lookup_arp[_ip]/lookup_nd[_ip] as ovn-sb(5) defines them, answered from
// the datapath's MAC_Binding and Static_MAC_Binding rows: a plain scan, argument values read
// bit by bit from the key.
bool Interpreter::Impl::neighbor(Ctx& c, Pkt& p, const Action& a) const {
    const auto arg_fields = field_args(a);
    if (!arg_fields) return false;
    const std::vector<compiler::BitRef>& args = *arg_fields;
    if (args.size() < 2) return false;
    auto read = [&](const compiler::BitRef& r) {
        std::vector<bool> v(r.n_bits);
        for (unsigned i = 0; i < r.n_bits; ++i) v[i] = get_bit(p.key, r, i);
        return v;
    };
    auto bits_of = [](const uint8_t* be, unsigned n_bytes) {
        std::vector<bool> v(n_bytes * 8);
        for (unsigned i = 0; i < n_bytes * 8; ++i) v[i] = (be[n_bytes - 1 - i / 8] >> (i % 8)) & 1;
        return v;
    };
    const bool v6 = a.name == "get_nd" || a.name.starts_with("lookup_nd");
    const std::vector<bool> port = read(args[0]), ip = read(args[1]);
    const std::vector<bool> mac = args.size() > 2 ? read(args[2]) : std::vector<bool>{};
    const ovsdb::MacBinding* hit = nullptr;
    for (const ovsdb::MacBinding& mb : sb.mac_bindings) {
        if (mb.datapath != p.dp->b->uuid) continue;
        auto key = p.dp->resolver->port_key(mb.logical_port);
        auto m = pkt::Mac::parse(mb.mac);
        if (!key || !m) continue;
        uint8_t kb[4] = {uint8_t(*key >> 24), uint8_t(*key >> 16), uint8_t(*key >> 8), uint8_t(*key)};
        std::vector<bool> want_ip;
        if (v6) {
            auto x = pkt::Ip6::parse(mb.ip);
            if (!x) continue;
            want_ip = bits_of(x->b.data(), 16);
        } else {
            auto x = pkt::Ip4::parse(mb.ip);
            if (!x) continue;
            const uint8_t b[4] = {uint8_t(x->v >> 24), uint8_t(x->v >> 16), uint8_t(x->v >> 8), uint8_t(x->v)};
            want_ip = bits_of(b, 4);
        }
        std::vector<bool> want_port = bits_of(kb, 4);
        want_port.resize(port.size());
        want_ip.resize(ip.size());
        if (want_port != port || want_ip != ip) continue;
        if (!mac.empty()) {
            std::vector<bool> want_mac = bits_of(m->b.data(), 6);
            want_mac.resize(mac.size());
            if (want_mac != mac) continue;
        }
        hit = &mb;
        break;
    }
    c.out.path.push_back(fmt::format("  {}: {}", a.name, hit ? hit->mac : std::string("not found")));
    if (a.name.starts_with("get_")) {
        const compiler::BitRef eth{engine::Field::EthDst, 0, 48};
        auto m = hit ? *pkt::Mac::parse(hit->mac) : pkt::Mac{};
        const std::vector<bool> v = bits_of(m.b.data(), 6);
        for (unsigned i = 0; i < 48; ++i) set_bit(p.key, eth, i, v[i]);
        return true;
    }
    auto d = compiler::resolve(a.dst);
    if (!d || !a.has_result) return false;
    for (unsigned b = 0; b < d->n_bits; ++b) set_bit(p.key, *d, b, b == 0 && hit);
    return true;
}

Status Interpreter::Impl::run_list(Ctx& c, Pkt& p, const lflow::ActionList& l, unsigned table) const {
    for (std::size_t i = 0; i < l.size(); ++i) {
        const Action& a = l[i];
        const bool last = i + 1 == l.size();
        // `next` to table t of pipeline `to`: the packet continues there (the last action) or
        // it is a subroutine (OVS resubmit) whose changes to the key persist.
        auto go_next = [&](Pipe to, unsigned t) -> std::optional<Status> {
            if (last) {
                p.pipe = to;
                return run_pipeline(c, p, t);
            }
            if (p.depth >= kMaxDepth) return Status{DropReason::LoopLimit, {}};
            const Pipe saved = p.pipe;
            ++p.depth;
            p.pipe = to;
            Status r = run_pipeline(c, p, t);
            --p.depth;
            p.pipe = saved;
            if (halts(r.r)) return r;
            return std::nullopt;
        };
        switch (a.kind) {
            case Action::Kind::Load: {
                auto d = compiler::resolve(a.dst);
                if (!d) {
                    c.out.errors.push_back(d.error());
                    return {DropReason::Unimplemented, "unresolvable field"};
                }
                lflow::Value v = a.value.value;
                if (a.value.is_string) {
                    uint32_t key = 0;
                    if (!a.value.string.empty()) {
                        auto k = p.dp->resolver->port_key(a.value.string);
                        if (!k) {
                            c.out.errors.push_back(fmt::format("{} = \"{}\": no such port", a.dst.sym->name, a.value.string));
                            return {DropReason::Unimplemented, "unknown port"};
                        }
                        key = *k;
                    }
                    v = {};
                    for (unsigned b = 0; b < 32; ++b) v.set_bit(b, (key >> b) & 1);
                }
                for (unsigned b = 0; b < d->n_bits; ++b) set_bit(p.key, *d, b, v.bit(b));
                break;
            }
            case Action::Kind::Move:
            case Action::Kind::Exchange: {
                auto d = compiler::resolve(a.dst);
                auto s = compiler::resolve(a.src);
                if (!d || !s || d->n_bits != s->n_bits) {
                    c.out.errors.push_back("move/exchange operands");
                    return {DropReason::Unimplemented, "bad move"};
                }
                std::vector<bool> sv(s->n_bits), dv(d->n_bits);
                for (unsigned b = 0; b < s->n_bits; ++b) sv[b] = get_bit(p.key, *s, b);
                for (unsigned b = 0; b < d->n_bits; ++b) dv[b] = get_bit(p.key, *d, b);
                for (unsigned b = 0; b < d->n_bits; ++b) set_bit(p.key, *d, b, sv[b]);
                if (a.kind == Action::Kind::Exchange)
                    for (unsigned b = 0; b < s->n_bits; ++b) set_bit(p.key, *s, b, dv[b]);
                break;
            }
            case Action::Kind::DecTtl: {
                const uint16_t et = ntoh16(p.key.eth_type);
                if (et != pkt::kEthTypeIpv4 && et != pkt::kEthTypeIpv6) return {DropReason::NotIp, {}};
                if (p.key.ip_ttl <= 1) return {DropReason::TtlExceeded, {}};
                --p.key.ip_ttl;
                break;
            }
            case Action::Kind::Drop:
                return {DropReason::LogicalDrop, {}};
            case Action::Kind::Next: {
                const Pipe to = a.next_egress ? (*a.next_egress ? Pipe::Egress : Pipe::Ingress) : p.pipe;
                const unsigned t = a.next_table ? *a.next_table : (to == p.pipe ? table + 1 : 0);
                if (auto r = go_next(to, t)) return std::move(*r);
                break;
            }
            case Action::Kind::Output: {
                if (last && p.depth == 0) return output(c, p);  // the packet itself leaves
                Pkt copy;
                if (fork(c, p, copy)) {
                    Status r = output(c, copy);
                    p.sent_copy |= copy.consumed || copy.sent_copy;
                    finish(c, copy, std::move(r));
                }
                break;
            }
            case Action::Kind::Clone: {
                // The body runs on a copy of the state: key and pipeline are restored after it;
                // outputs inside send copies. Its end is not the end of the packet.
                if (p.depth >= kMaxDepth) return {DropReason::LoopLimit, {}};
                const FlowKey saved = p.key;
                const Pipe pipe = p.pipe;
                ++p.depth;
                (void)run_list(c, p, a.body, table);
                --p.depth;
                p.key = saved;
                p.pipe = pipe;
                break;
            }
            case Action::Kind::Call: {
                if (a.name == "ct_clear") {  // no conntrack yet: the state is all it clears
                    p.key.ct_state = 0;
                    p.key.ct_mark = 0;
                    std::memset(p.key.ct_label, 0, sizeof p.key.ct_label);
                    break;
                }
                if (a.name == "check_in_port_sec" || a.name == "check_out_port_sec") {
                    auto d = compiler::resolve(a.dst);
                    if (!d || !a.has_result) return {DropReason::Unimplemented, a.name};
                    const bool pass = port_sec_passes(c, p, a.name == "check_in_port_sec");
                    c.out.path.push_back(fmt::format("  {}: {}", a.name, pass ? "pass" : "fail"));
                    for (unsigned b = 0; b < d->n_bits; ++b) set_bit(p.key, *d, b, b == 0 && !pass);
                    break;
                }
                if (a.name == "put_arp" || a.name == "put_nd" || a.name == "put_fdb") {
                    c.out.path.push_back(fmt::format("  {}: learning not performed", a.name));
                    break;  // OVN gets a copy; the packet goes on
                }
                if (a.name == "select") {  // the member the packet's hash falls on (engine/select.h)
                    auto d = compiler::resolve(a.dst);
                    if (!d || !a.has_result || a.args.empty() || a.args.size() > engine::kMaxSelectMembers)
                        return {DropReason::Unimplemented, a.name};
                    const std::vector<engine::SelectMember> members = engine::select_table(compiler::select_members(a));
                    const uint32_t id = engine::select_pick(reinterpret_cast<const uint8_t*>(members.data()),
                                                            static_cast<unsigned>(members.size()), engine::select_hash(p.key));
                    c.out.path.push_back(fmt::format("  select: member {}", id));
                    for (unsigned b = 0; b < d->n_bits; ++b) set_bit(p.key, *d, b, b < 32 && ((id >> b) & 1));
                    // OVN's select() continues in the next table (its group's buckets resubmit).
                    if (auto r = go_next(p.pipe, table + 1)) return std::move(*r);
                    break;
                }
                if (a.name == "get_fdb" || a.name == "lookup_fdb") {
                    if (!fdb(c, p, a)) return {DropReason::Unimplemented, a.name};
                    break;
                }
                if (a.name == "get_arp" || a.name == "get_nd" || a.name.starts_with("lookup_arp") ||
                    a.name.starts_with("lookup_nd")) {
                    if (!neighbor(c, p, a)) return {DropReason::Unimplemented, a.name};
                    break;
                }
                c.out.unimplemented.push_back(a.name);
                return {DropReason::Unimplemented, a.name};
            }
        }
    }
    return {DropReason::LogicalDrop, {}};  // the list ended without sending the packet
}

Status Interpreter::Impl::output(Ctx& c, Pkt& p) const {
    Status r = p.pipe == Pipe::Ingress ? ingress_output(c, p) : egress_output(c, p);
    return r;
}

Status Interpreter::Impl::ingress_output(Ctx& c, Pkt& p) const {
    const uint32_t out = ntoh32(p.key.outport);
    if (out == 0) return {DropReason::OutportNone, {}};
    // A packet that came in on a localport is delivered on this chassis only (ovn-nb(5)).
    auto in = p.dp->ports.find(ntoh32(p.key.inport));
    const bool from_localport = in != p.dp->ports.end() && in->second->entry.localport();
    if (out >= kMcastBase) return flood(c, p, out, p.from_tunnel || from_localport);
    auto it = p.dp->ports.find(out);
    if (it == p.dp->ports.end() || it->second->entry.kind == PortKind::None) return {DropReason::UnknownOutport, {}};
    const engine::PortEntry& e = it->second->entry;
    // ovn-architecture(7): a port on another chassis gets the packet through a tunnel right
    // after the ingress pipeline; that chassis runs the egress pipeline.
    if (e.kind == PortKind::Remote) {
        if (from_localport) return {DropReason::LocalportNoTunnel, {}};
        return tunnel(c, p, e.tunnel, out);
    }
    // A chassisredirect port resident here stands for its distributed port; a remote port
    // behind this switch's localnet port for the localnet port.
    if (e.stands_for_peer()) p.key.outport = hton32(e.peer_port);
    p.pipe = Pipe::Egress;
    c.out.path.push_back(fmt::format("  output to {} -> egress", it->second->pb->logical_port));
    return run_pipeline(c, p, 0);
}

Status Interpreter::Impl::egress_output(Ctx& c, Pkt& p) const {
    const uint32_t out = ntoh32(p.key.outport);
    auto it = p.dp->ports.find(out);
    if (it == p.dp->ports.end() || it->second->entry.kind == PortKind::None) return {DropReason::UnknownOutport, {}};
    // ovn-sb(5) `output`: never back out of the input port unless flags.loopback is set.
    if (p.key.outport == p.key.inport && !(ntoh32(p.key.flags) & engine::kFlagLoopback)) return {DropReason::SameInOut, {}};
    const engine::PortEntry& e = it->second->entry;
    switch (e.kind) {
        case PortKind::Vif: return transmit(c, p, e.tx_port, e.vlan);  // a child port: its tag
        case PortKind::Localnet: return transmit(c, p, e.tx_port, e.vlan);
        case PortKind::Remote: return tunnel(c, p, e.tunnel, out);
        case PortKind::Patch: {
            auto peer = dps.find(e.peer_dp);
            if (peer == dps.end()) return {DropReason::UnknownOutport, {}};
            if (++p.hops > kMaxHops) return {DropReason::LoopLimit, {}};
            // Into the peer datapath's ingress pipeline, all logical metadata cleared.
            std::memset(&p.key, 0, offsetof(FlowKey, eth_dst));
            p.key.inport = hton32(e.peer_port);
            p.dp = &peer->second;
            p.from_tunnel = false;
            p.pipe = Pipe::Ingress;
            c.out.path.push_back(fmt::format("  patch {} -> {}", it->second->pb->logical_port, peer->second.b->name));
            return run_pipeline(c, p, 0);
        }
        case PortKind::None:
        case PortKind::Redirect:
        case PortKind::ViaLocalnet:
            break;
    }
    return {DropReason::UnknownOutport, {}};
}

Status Interpreter::Impl::flood(Ctx& c, Pkt& p, uint32_t group, bool local_only) const {
    auto g = p.dp->groups.find(group);
    if (g == p.dp->groups.end() || g->second.empty()) return {DropReason::UnknownOutport, {}};
    const uint32_t in = ntoh32(p.key.inport);
    const bool loopback = ntoh32(p.key.flags) & engine::kFlagLoopback;
    struct Target {
        uint32_t port;
        uint16_t tunnel;
        bool remote;
    };
    std::vector<Target> targets;
    for (uint32_t m : g->second) {
        auto it = p.dp->ports.find(m);
        if (it == p.dp->ports.end() || it->second->entry.kind == PortKind::None || (m == in && !loopback)) continue;
        const engine::PortEntry& e = it->second->entry;
        if (e.kind == PortKind::ViaLocalnet) continue;  // reached through the localnet port, itself a member
        // From a tunnel or a localport: no tunnel copies, and neither routers (patch ports)
        // nor localports get one - the chassis the flood started on delivered those.
        if (local_only && (e.kind == PortKind::Remote || e.kind == PortKind::Patch || e.localport())) continue;
        if (e.kind == PortKind::Remote) {
            // One copy per remote chassis, carrying the group: it floods to its own members.
            if (std::none_of(targets.begin(), targets.end(), [&](const Target& t) { return t.remote && t.tunnel == e.tunnel; }))
                targets.push_back({group, e.tunnel, true});
        } else {
            targets.push_back({m, 0, false});
        }
    }
    if (targets.size() > kMaxCopies) {
        for (std::size_t i = kMaxCopies; i < targets.size(); ++i) drop(c, DropReason::CloneLimit);
        targets.resize(kMaxCopies);
    }
    if (targets.empty()) return {DropReason::LogicalDrop, {}};
    c.out.path.push_back(fmt::format("  flood group {} to {} target(s)", group, targets.size()));
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const bool last = i + 1 == targets.size();
        Pkt copy;
        if (!last && !fork(c, p, copy)) continue;
        Pkt& q = last ? p : copy;
        Status r;
        if (targets[i].remote) {
            r = tunnel(c, q, targets[i].tunnel, targets[i].port);
        } else {
            q.key.outport = hton32(targets[i].port);
            q.pipe = Pipe::Egress;
            r = run_pipeline(c, q, 0);
        }
        if (last) return r;
        p.sent_copy |= copy.consumed || copy.sent_copy;
        finish(c, copy, std::move(r));
    }
    return {};
}

Status Interpreter::Impl::transmit(Ctx& c, Pkt& p, uint16_t port, uint16_t vlan) const {
    Outcome o;
    o.kind = Outcome::Kind::Tx;
    o.port = port;
    o.bytes = p.frame;
    if (std::string bad = rewrite_frame(o.bytes, p.lay, p.entry, p.key); !bad.empty()) {
        c.out.errors.push_back("cannot rewrite " + bad);
        return {DropReason::Unimplemented, "rewrite " + bad};
    }
    if (vlan) {  // a tagged localnet port: 802.1Q between the addresses and the EtherType
        const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>((vlan >> 8) & 0x0f), static_cast<uint8_t>(vlan)};
        o.bytes.insert(o.bytes.begin() + 12, tag, tag + 4);
    }
    c.out.path.push_back(fmt::format("  transmit on DPDK port {}{}", port, vlan ? fmt::format(" vlan {}", vlan) : ""));
    c.out.outcomes.push_back(std::move(o));
    p.consumed = true;
    return {};
}

Status Interpreter::Impl::tunnel(Ctx& c, Pkt& p, uint16_t t, uint32_t out_key) const {
    if (t >= view.tunnels().size()) return {DropReason::UnknownOutport, {}};
    if (cfg.underlay_port == compiler::kNoPort) return {DropReason::NoUnderlay, {}};
    const engine::Tunnel& tun = view.tunnels()[t];
    Outcome o;
    o.kind = Outcome::Kind::Tunnel;
    o.bytes = p.frame;
    if (std::string bad = rewrite_frame(o.bytes, p.lay, p.entry, p.key); !bad.empty()) {
        c.out.errors.push_back("cannot rewrite " + bad);
        return {DropReason::Unimplemented, "rewrite " + bad};
    }
    o.chassis = tun.chassis;
    o.remote_ip = tun.remote_ip;
    o.vni = p.dp->key;
    o.in_key = ntoh32(p.key.inport);
    o.out_key = out_key;
    c.out.path.push_back(fmt::format("  tunnel to {} vni {} in {} out {}", o.chassis, o.vni, o.in_key, o.out_key));
    c.out.outcomes.push_back(std::move(o));
    p.consumed = true;
    return {};
}

void Interpreter::Impl::start(Ctx& c, Pkt& p, std::vector<uint8_t> frame, const Dp& dp, uint32_t inport, uint16_t rx) const {
    p.frame = std::move(frame);
    engine::extract_key(p.frame.data(), p.lay, p.key);
    p.key.inport = hton32(inport);
    p.key.rx_port = hton16(rx);
    p.key.entry_dp = hton32(dp.key);
    p.entry = p.key;
    p.dp = &dp;
    (void)c;
}

void Interpreter::Impl::start_underlay(Ctx& c, std::span<const uint8_t> f) const {
    pkt::Layout outer;
    if (DropReason r = pkt::parse_frame(f.data(), static_cast<uint32_t>(f.size()), outer); r != DropReason::None)
        return drop(c, r);
    if (outer.l3_type != pkt::L3Type::Ipv4 || outer.ip_proto != pkt::kIpProtoUdp || !outer.has_l4() || (outer.frag & pkt::kFragAny))
        return drop(c, DropReason::TunnelNotGeneve);
    const uint8_t* ip = f.data() + outer.l3;
    const uint32_t src = uint32_t{ip[12]} << 24 | uint32_t{ip[13]} << 16 | uint32_t{ip[14]} << 8 | ip[15];
    const uint32_t dst = uint32_t{ip[16]} << 24 | uint32_t{ip[17]} << 16 | uint32_t{ip[18]} << 8 | ip[19];
    const uint8_t* udp = f.data() + outer.l4;
    if ((uint16_t{udp[2]} << 8 | udp[3]) != pkt::kGenevePort || dst != cfg.encap_ip.v) return drop(c, DropReason::TunnelNotGeneve);
    pkt::GeneveInfo gi;
    if (DropReason r = pkt::parse_geneve(f.data(), static_cast<uint32_t>(f.size()), static_cast<uint16_t>(outer.l4 + 8), gi);
        r != DropReason::None)
        return drop(c, r);
    if (!gi.has_ovn_tlv) return drop(c, DropReason::GeneveNoOvnTlv);
    if (gi.unknown_critical) return drop(c, DropReason::GeneveUnknownCritical);
    // Only chassis we tunnel to may inject packets (OVS binds tunnel ports to remote_ip).
    if (std::none_of(view.tunnels().begin(), view.tunnels().end(), [&](const engine::Tunnel& t) { return t.remote_ip == src; }))
        return drop(c, DropReason::TunnelUnknownSource);
    auto dp = dps.find(gi.vni);
    if (dp == dps.end()) return drop(c, DropReason::TunnelUnknownVni);
    std::vector<uint8_t> inner(f.begin() + gi.inner, f.end());
    Pkt p;
    if (DropReason r = pkt::parse_frame(inner.data(), static_cast<uint32_t>(inner.size()), p.lay); r != DropReason::None)
        return drop(c, r);
    start(c, p, std::move(inner), dp->second, gi.ingress_port, cfg.underlay_port);
    p.key.outport = hton32(gi.egress_port);
    p.entry = p.key;
    p.from_tunnel = true;
    p.pipe = Pipe::Egress;
    c.out.path.push_back(fmt::format("geneve from {} vni {} in {} out {}", pkt::Ip4{src}.str(), gi.vni, gi.ingress_port, gi.egress_port));
    // ovn-architecture(7): a tunnelled packet enters the egress pipeline directly; for a
    // multicast group, once per local member (and never back into a tunnel).
    if (gi.egress_port >= kMcastBase) return finish(c, p, flood(c, p, gi.egress_port, true));
    auto it = dp->second.ports.find(gi.egress_port);
    if (it == dp->second.ports.end() || it->second->entry.kind == PortKind::None || it->second->entry.kind == PortKind::Remote)
        return drop(c, DropReason::TunnelUnknownPort);
    if (it->second->entry.stands_for_peer()) p.key.outport = hton32(it->second->entry.peer_port);
    finish(c, p, run_pipeline(c, p, 0));
}

Interpreter::Interpreter(const ovsdb::Snapshot& sb, compiler::LocalConfig cfg)
    : impl_(std::make_unique<Impl>(sb, std::move(cfg))) {
    impl_->load();
}
Interpreter::~Interpreter() = default;

const compiler::ChassisView& Interpreter::view() const { return impl_->view; }
const std::vector<std::string>& Interpreter::load_errors() const { return impl_->load_errors; }

RunResult Interpreter::run(uint16_t rx_port, std::span<const uint8_t> frame) const {
    RunResult out;
    Impl::Ctx c{out};
    const Impl& m = *impl_;
    if (rx_port == m.cfg.underlay_port) {
        m.start_underlay(c, frame);
        return out;
    }
    // What the port is: a VIF of a local datapath (and the parent of its child ports, by
    // VLAN tag), or the provider port of localnet ports.
    const compiler::PortPlacement* vif = nullptr;
    std::vector<const compiler::PortPlacement*> localnets, children;
    for (const auto& [key, dp] : m.dps)
        for (const auto& [pk, p] : dp.ports) {
            if (p->entry.tx_port != rx_port) continue;
            if (p->entry.kind == PortKind::Vif && p->entry.vlan) children.push_back(p);
            else if (p->entry.kind == PortKind::Vif) vif = p;
            if (p->entry.kind == PortKind::Localnet) localnets.push_back(p);
        }
    if (!vif && localnets.empty()) {
        m.drop(c, DropReason::UnboundPort);
        return out;
    }
    Impl::Pkt p;
    std::vector<uint8_t> f(frame.begin(), frame.end());
    if (DropReason r = pkt::parse_frame(f.data(), static_cast<uint32_t>(f.size()), p.lay); r != DropReason::None) {
        m.drop(c, r);
        return out;
    }
    const compiler::PortPlacement* in = vif;
    if (vif && p.lay.n_vlans) {
        for (const auto* ch : children) {
            if (ch->entry.vlan != (p.lay.vlan_tci & 0x0fff)) continue;
            in = ch;  // the child's frame, untagged from here on
            f.erase(f.begin() + 12, f.begin() + 16);
            if (DropReason r = pkt::parse_frame(f.data(), static_cast<uint32_t>(f.size()), p.lay); r != DropReason::None) {
                m.drop(c, r);
                return out;
            }
            break;
        }
    }
    if (!vif) {
        const uint16_t vid = p.lay.n_vlans ? (p.lay.vlan_tci & 0x0fff) : 0;
        for (const auto* l : localnets)
            if (l->entry.vlan == vid) in = l;  // the same network twice: the last one
        if (!in) {
            m.drop(c, DropReason::LocalnetNoMatch);
            return out;
        }
        if (p.lay.n_vlans) {  // the localnet port strips the provider tag
            f.erase(f.begin() + 12, f.begin() + 16);
            if (DropReason r = pkt::parse_frame(f.data(), static_cast<uint32_t>(f.size()), p.lay); r != DropReason::None) {
                m.drop(c, r);
                return out;
            }
        }
    }
    const Dp& dp = m.dps.at(in->dp_key);
    m.start(c, p, std::move(f), dp, static_cast<uint32_t>(in->pb->tunnel_key), rx_port);
    c.out.path.push_back(fmt::format("received on DPDK port {} as {} of {}", rx_port, in->pb->logical_port, dp.b->name));
    m.finish(c, p, m.run_pipeline(c, p, 0));
    return out;
}

}  // namespace scs::reference
