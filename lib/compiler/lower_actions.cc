#include "compiler/lower_actions.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include <fmt/format.h>

namespace scs::compiler {

using engine::Field;
using engine::Unimpl;
using lflow::Action;

namespace {

// OVN action name -> the engine's counter for it.
const std::map<std::string, Unimpl, std::less<>>& unimpl_table() {
    static const std::map<std::string, Unimpl, std::less<>> t = {
        {"ct_next", Unimpl::CtNext},           {"ct_commit", Unimpl::CtCommit},
        {"ct_commit_nat", Unimpl::CtCommit},   {"ct_dnat", Unimpl::CtDnat},
        {"ct_dnat_in_czone", Unimpl::CtDnat},  {"ct_snat", Unimpl::CtSnat},
        {"ct_snat_in_czone", Unimpl::CtSnat},  {"ct_snat_to_vip", Unimpl::CtSnat},
        {"ct_lb", Unimpl::CtLb},               {"ct_lb_mark", Unimpl::CtLb},
        {"arp", Unimpl::Arp},                  {"nd_ns", Unimpl::NdNs},
        {"nd_na", Unimpl::NdNa},               {"nd_na_router", Unimpl::NdNa},
        {"icmp4", Unimpl::Icmp},               {"icmp4_error", Unimpl::Icmp},
        {"icmp6", Unimpl::Icmp},               {"icmp6_error", Unimpl::Icmp},
        {"tcp_reset", Unimpl::TcpReset},       {"sctp_abort", Unimpl::TcpReset},
        {"reject", Unimpl::TcpReset},          {"put_arp", Unimpl::PutArp},
        {"put_nd", Unimpl::PutArp},
        {"put_dhcp_opts", Unimpl::Dhcp},       {"put_dhcpv6_opts", Unimpl::Dhcp},
        {"dns_lookup", Unimpl::Dns},           {"trigger_event", Unimpl::Controller},
        {"handle_svc_check", Unimpl::Controller}, {"bind_vport", Unimpl::Controller},
        {"put_nd_ra_opts", Unimpl::Controller}, {"controller", Unimpl::Controller},
        {"handle_dhcpv6_reply", Unimpl::Controller},
    };
    return t;
}

// Sets bit `bit` of a big-endian field of `width` bytes.
void set_bit(uint8_t* be, unsigned width, unsigned bit) { be[width - 1 - bit / 8] |= static_cast<uint8_t>(1u << (bit % 8)); }

struct Lowerer {
    LowerContext& ctx;
    engine::ActionBuilder* ab_ = nullptr;
    bool terminal_ = false;  // an unimplemented action ended the list

    Result<void> load_const(const BitRef& d, const lflow::Value& v, const char* what) {
        const engine::FieldInfo& fi = engine::field_info(d.field);
        if (!fi.writable) return make_error(fmt::format("{}: the engine cannot rewrite {} yet", what, fi.name));
        if (v.significant_bits() > d.n_bits)
            return make_error(fmt::format("{}: constant does not fit in {} bits", what, d.n_bits));
        std::array<uint8_t, 16> val{}, mask{};
        if (d.bit % 8 == 0 && d.n_bits % 8 == 0) {  // whole bytes (fields, registers): no bit loop
            for (unsigned k = 0; k < d.n_bits / 8u; ++k) {
                const unsigned byte = fi.width - 1u - d.bit / 8u - k;
                mask[byte] = 0xff;
                val[byte] = v.be[15 - k];
            }
        } else {
            for (unsigned i = 0; i < d.n_bits; ++i) {
                set_bit(mask.data(), fi.width, d.bit + i);
                if (v.bit(i)) set_bit(val.data(), fi.width, d.bit + i);
            }
        }
        ab_->load_masked(d.field, {val.data(), fi.width}, {mask.data(), fi.width});
        return {};
    }

    Result<void> one(const Action& a, engine::ActionBuilder& ab, const std::vector<uint32_t>& bodies, std::size_t& body_i) {
        switch (a.kind) {
            case Action::Kind::Next:
                if (!a.next_egress && !a.next_table) {
                    ab.next();
                } else {
                    const engine::Pipe p = a.next_egress ? (*a.next_egress ? engine::Pipe::Egress : engine::Pipe::Ingress) : ctx.pipe;
                    ab.next(p, a.next_table.value_or(static_cast<uint8_t>(p == ctx.pipe ? ctx.table + 1 : 0)));
                }
                return {};
            case Action::Kind::Output:
                ab.output();
                return {};
            case Action::Kind::Drop:
                ab.drop();
                return {};
            case Action::Kind::DecTtl:
                ab.dec_ttl();
                return {};
            case Action::Kind::Load: {
                auto d = resolve(a.dst);
                if (!d) return make_error(d.error());
                if (a.value.is_string) {
                    uint32_t key = 0;
                    if (!a.value.string.empty()) {
                        auto k = ctx.resolver.port_key(a.value.string);
                        if (!k) return make_error(fmt::format("{} = \"{}\": no such port in this datapath", a.dst.sym->name, a.value.string));
                        key = *k;
                    }
                    lflow::Value v;
                    for (unsigned i = 0; i < 32; ++i) v.set_bit(i, (key >> i) & 1);
                    return load_const(*d, v, a.dst.sym->name.c_str());
                }
                return load_const(*d, a.value.value, a.dst.sym->name.c_str());
            }
            case Action::Kind::Move:
            case Action::Kind::Exchange: {
                auto d = resolve(a.dst);
                if (!d) return make_error(d.error());
                auto s = resolve(a.src);
                if (!s) return make_error(s.error());
                if (d->n_bits != s->n_bits)
                    return make_error(fmt::format("{} and {}: {} vs {} bits", a.dst.sym->name, a.src.sym->name, d->n_bits, s->n_bits));
                for (const BitRef* w : {&*d, a.kind == Action::Kind::Exchange ? &*s : &*d})
                    if (!engine::field_info(w->field).writable)
                        return make_error(fmt::format("the engine cannot rewrite {} yet", engine::field_info(w->field).name));
                if (a.kind == Action::Kind::Move) ab.move_bits(d->field, d->bit, s->field, s->bit, d->n_bits);
                else ab.exchange_bits(d->field, d->bit, s->field, s->bit, d->n_bits);
                return {};
            }
            case Action::Kind::Clone:
                ab.clone(bodies[body_i++]);
                return {};
            case Action::Kind::Call:
                return call(a, ab);
        }
        return make_error("unknown action kind");
    }

    // R = select(ID=W, ...) (lflow/actions.h: one {"", [ID, W]} per member).
    Result<void> select(const Action& a, engine::ActionBuilder& ab) {
        auto d = resolve(a.dst);
        if (!d || !a.has_result) return make_error("select: needs a result field");
        if (!engine::field_info(d->field).writable)
            return make_error(fmt::format("select: the engine cannot rewrite {} yet", engine::field_info(d->field).name));
        if (d->n_bits > 32) return make_error(fmt::format("select into {} bits: at most 32 are supported", d->n_bits));
        for (const lflow::Arg& arg : a.args)
            if (arg.values.size() != 2) return make_error("select: a member is ID=WEIGHT");
        const auto members = select_members(a);
        if (members.size() > engine::kMaxSelectMembers)
            return make_error(fmt::format("select: {} members, at most {}", members.size(), engine::kMaxSelectMembers));
        // OVN's select() goes on to the next table: its OpenFlow group's buckets each load
        // the member and resubmit there (ovn-sb(5)).
        ab.select(d->field, d->bit, d->n_bits, members).next();
        return {};
    }

    Result<void> call(const Action& a, engine::ActionBuilder& ab) {
        if (a.name == "ct_clear") {  // no conntrack state yet: clearing it is all it does
            ab.load(Field::CtState, 0).load(Field::CtMark, 0);
            const std::array<uint8_t, 16> zero{};
            ab.load_bytes(Field::CtLabel, zero);
            return {};
        }
        if (auto k = aux_call_kind(a.name)) return aux_call(a, ab, *k);
        if (a.name == "put_arp" || a.name == "put_nd" || a.name == "put_fdb") {
            ctx.not_performed.push_back(a.name);  // learning; the packet itself goes on
            return {};
        }
        if (a.name == "select") return select(a, ab);
        auto it = unimpl_table().find(a.name);
        Unimpl u = Unimpl::Other;
        if (it != unimpl_table().end()) u = it->second;
        else if (a.name.starts_with("ct_")) u = Unimpl::CtMisc;
        ab.unimplemented(u);
        ctx.unimplemented.push_back(a.name);
        terminal_ = true;
        return {};
    }

    // Default answer, then a call into the aux stage that corrects it from the Southbound.
    Result<void> aux_call(const Action& a, engine::ActionBuilder& ab, AuxKind k) {
        std::optional<BitRef> result;
        if (a.has_result) {
            auto r = resolve(a.dst);
            if (!r) return make_error(r.error());
            result = *r;
        } else if (k != AuxKind::GetArp && k != AuxKind::GetNd) {
            return make_error(a.name + ": needs a result field");
        }
        std::vector<BitRef> args;
        for (const lflow::Arg& arg : a.args) {
            if (arg.values.size() != 1 || arg.values[0].kind != lflow::ArgValue::Kind::Field)
                return make_error(a.name + ": arguments must be fields");
            auto r = resolve(arg.values[0].field);
            if (!r) return make_error(r.error());
            args.push_back(*r);
        }
        auto t = ctx.aux_stage(k, result ? &*result : nullptr, std::move(args));
        if (!t) return make_error(t.error());
        lflow::Value v;
        if (k == AuxKind::PortSecIn || k == AuxKind::PortSecOut) v.set_bit(0, true);  // fail unless allowed
        if (result) {
            if (auto r = load_const(*result, v, a.name.c_str()); !r) return r;
        } else if (auto r = load_const(BitRef{Field::EthDst, 0, 48}, v, a.name.c_str()); !r) {  // get_*: unknown
            return r;
        }
        ab.next(ctx.pipe, *t);
        return {};
    }

    // Clone bodies first: each action list must be contiguous in the program.
    Result<uint32_t> list(const lflow::ActionList& actions) {
        std::vector<uint32_t> bodies;
        for (const Action& a : actions) {
            if (a.kind != Action::Kind::Clone) continue;
            auto b = list(a.body);
            if (!b) return b;
            bodies.push_back(*b);
        }
        engine::ActionBuilder ab = ctx.b.actions(ctx.pipe, ctx.table);
        ab_ = &ab;
        terminal_ = false;
        std::size_t body_i = 0;
        for (const Action& a : actions) {
            if (auto r = one(a, ab, bodies, body_i); !r) return make_error(r.error());
            if (terminal_) break;  // an unimplemented action ends the packet's path there
        }
        ab_ = nullptr;
        return ab.done();
    }
};

}  // namespace

Result<BitRef> resolve(const lflow::LValue& lv) {
    if (!lv.sym) return make_error("missing field");
    if (!lv.sym->ref) return make_error(fmt::format("field {} is not supported by the engine", lv.sym->name));
    const lflow::FieldRef& r = *lv.sym->ref;
    const unsigned n = lv.n_bits ? lv.n_bits : r.n_bits;
    if (lv.bit + n > r.n_bits) return make_error(fmt::format("{}[{}..{}]: outside the field", lv.sym->name, lv.bit, lv.bit + n - 1));
    return BitRef{r.field, static_cast<unsigned>(r.bit + lv.bit), n};
}

Result<uint32_t> lower_actions(const lflow::ActionList& actions, LowerContext& ctx) {
    Lowerer l{ctx};
    return l.list(actions);
}

std::vector<std::pair<uint32_t, uint32_t>> select_members(const lflow::Action& a) {
    std::vector<std::pair<uint32_t, uint32_t>> members;
    for (const lflow::Arg& arg : a.args)
        if (arg.values.size() == 2)
            members.emplace_back(static_cast<uint32_t>(arg.values[0].constant.value.low64()),
                                 static_cast<uint32_t>(arg.values[1].constant.value.low64()));
    return members;
}

}  // namespace scs::compiler
