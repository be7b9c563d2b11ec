#include "engine/builder.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <map>
#include <unordered_map>
#include <tuple>

#include <fmt/format.h>

namespace scs::engine {

// ---- ActionBuilder ------------------------------------------------------------------------

ActionBuilder::ActionBuilder(DatapathBuilder& b, Pipe pipe, uint8_t table)
    : b_(b), pipe_(pipe), table_(table),
      start_(static_cast<uint32_t>(b.dp_->program.code.size())) {}

Insn& ActionBuilder::emit(Op op) {
    Insn& i = b_.dp_->program.code.emplace_back();
    i.op = op;
    return i;
}

static uint32_t push_const(Program& p, std::span<const uint8_t> v, std::span<const uint8_t> m) {
    const auto at = static_cast<uint32_t>(p.consts.size());
    p.consts.insert(p.consts.end(), v.begin(), v.end());
    p.consts.insert(p.consts.end(), m.begin(), m.end());
    return at;
}

ActionBuilder& ActionBuilder::load_bytes(Field f, std::span<const uint8_t> value) {
    const FieldInfo& fi = field_info(f);
    if (value.size() != fi.width)
        return b_.fail(fmt::format("load into {}: {} bytes for a {}-byte field", fi.name, value.size(), fi.width)), *this;
    uint8_t ones[16];
    std::fill_n(ones, sizeof ones, 0xff);
    Insn& i = emit(Op::Load);
    i.off = fi.offset;
    i.len = fi.width;
    i.a = push_const(b_.dp_->program, value, {ones, fi.width});
    return *this;
}

ActionBuilder& ActionBuilder::load(Field f, uint64_t value) {
    const FieldInfo& fi = field_info(f);
    if (fi.width > 8) return b_.fail(fmt::format("load into {}: integer load into a {}-byte field", fi.name, fi.width)), *this;
    uint8_t v[8];
    store_be(v, fi.width, value);
    return load_bytes(f, {v, fi.width});
}

ActionBuilder& ActionBuilder::load_bits(Field f, unsigned bit, unsigned n_bits, uint64_t value) {
    const FieldInfo& fi = field_info(f);
    if (fi.width > 8 || n_bits == 0 || bit + n_bits > fi.width * 8u)
        return b_.fail(fmt::format("load into {}[{}..{}]: outside the {}-bit field", fi.name, bit, bit + n_bits - 1,
                                   fi.width * 8)), *this;
    const uint64_t m = (n_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << n_bits) - 1) << bit;
    uint8_t vb[8], mb[8];
    store_be(vb, fi.width, (value << bit) & m);
    store_be(mb, fi.width, m);
    Insn& i = emit(Op::Load);
    i.off = fi.offset;
    i.len = fi.width;
    i.a = push_const(b_.dp_->program, {vb, fi.width}, {mb, fi.width});
    return *this;
}

ActionBuilder& ActionBuilder::move_bits(Field dst, unsigned dst_bit, Field src, unsigned src_bit,
                                        unsigned n) {
    const FieldInfo& d = field_info(dst);
    const FieldInfo& s = field_info(src);
    if (n == 0 || dst_bit + n > d.width * 8u || src_bit + n > s.width * 8u)
        return b_.fail(fmt::format("move {}[{}..] <- {}[{}..] of {} bits: outside the fields", d.name, dst_bit, s.name,
                                   src_bit, n)), *this;
    Insn& i = emit(Op::Move);
    i.a = pack_bits_ref(d.offset, d.width, static_cast<uint8_t>(dst_bit));
    i.b = pack_bits_ref(s.offset, s.width, static_cast<uint8_t>(src_bit));
    i.c = static_cast<uint16_t>(n);
    return *this;
}

ActionBuilder& ActionBuilder::move(Field dst, Field src) {
    if (field_info(dst).width != field_info(src).width)
        return b_.fail(fmt::format("move {} <- {}: widths differ", field_info(dst).name, field_info(src).name)), *this;
    return move_bits(dst, 0, src, 0, field_info(dst).width * 8u);
}

ActionBuilder& ActionBuilder::load_masked(Field f, std::span<const uint8_t> value, std::span<const uint8_t> mask) {
    const FieldInfo& fi = field_info(f);
    if (value.size() != fi.width || mask.size() != fi.width)
        return b_.fail(fmt::format("load into {}: value/mask of {}/{} bytes for a {}-byte field", fi.name, value.size(),
                                   mask.size(), fi.width)), *this;
    uint8_t v[16];
    for (std::size_t k = 0; k < fi.width; ++k) v[k] = value[k] & mask[k];
    Insn& i = emit(Op::Load);
    i.off = fi.offset;
    i.len = fi.width;
    i.a = push_const(b_.dp_->program, {v, fi.width}, mask);
    return *this;
}

ActionBuilder& ActionBuilder::exchange_bits(Field a, unsigned a_bit, Field b, unsigned b_bit, unsigned n) {
    const std::size_t before = b_.dp_->program.code.size();
    move_bits(a, a_bit, b, b_bit, n);
    if (b_.dp_->program.code.size() > before) b_.dp_->program.code.back().op = Op::Exchange;
    return *this;
}

ActionBuilder& ActionBuilder::exchange(Field a, Field b) {
    move(a, b);
    b_.dp_->program.code.back().op = Op::Exchange;
    return *this;
}

ActionBuilder& ActionBuilder::next() { return next_to(pipe_, static_cast<uint16_t>(table_ + 1)); }

ActionBuilder& ActionBuilder::next(Pipe pipe, uint8_t table) { return next_to(pipe, table); }

ActionBuilder& ActionBuilder::next_to(Pipe pipe, uint16_t table) {
    Insn& i = emit(Op::Next);
    i.a = table;  // logical table id; build() rewrites it to the kept stage index
    i.b = static_cast<uint32_t>(pipe);
    i.off = table;
    return *this;
}

ActionBuilder& ActionBuilder::output() {
    emit(Op::Output);
    return *this;
}

ActionBuilder& ActionBuilder::drop(DropReason why) {
    emit(Op::Drop).a = static_cast<uint32_t>(why);
    return *this;
}

ActionBuilder& ActionBuilder::dec_ttl() {
    emit(Op::DecTtl);
    return *this;
}

ActionBuilder& ActionBuilder::unimplemented(Unimpl what) {
    emit(Op::Unimplemented).a = static_cast<uint32_t>(what);
    ++b_.dp_->unimplemented_insns;
    return *this;
}

ActionBuilder& ActionBuilder::clone(uint32_t body) {
    emit(Op::Clone).a = body;
    return *this;
}

uint32_t ActionBuilder::done() {
    auto& code = b_.dp_->program.code;
    emit(Op::End);
    // A call immediately followed by End never returns to anything: make it a jump.
    for (std::size_t i = start_; i + 1 < code.size(); ++i)
        if ((code[i].op == Op::Next || code[i].op == Op::Output) && code[i + 1].op == Op::End)
            code[i].flags |= kInsnTail;
    return start_;
}

// ---- DatapathBuilder ----------------------------------------------------------------------

DatapathBuilder::DatapathBuilder(std::string name, uint32_t tunnel_key, bool is_router)
    : dp_(std::make_unique<Datapath>()) {
    dp_->name = std::move(name);
    dp_->tunnel_key = tunnel_key;
    dp_->is_router = is_router;
}

void DatapathBuilder::stages(Pipe pipe, std::vector<std::string> names) {
    auto& specs = specs_[static_cast<int>(pipe)];
    specs.clear();
    for (auto& n : names) specs.push_back(StageSpec{std::move(n), {}, false, StageKind::Classifier});
}

void DatapathBuilder::rename_stage(Pipe pipe, uint8_t table, std::string name) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table >= specs.size()) return fail(fmt::format("rename of table {}: the pipeline has {} tables", table, specs.size()));
    specs[table].name = std::move(name);
}

ActionBuilder DatapathBuilder::actions(Pipe pipe, uint8_t table) { return ActionBuilder(*this, pipe, table); }

void DatapathBuilder::flow(Pipe pipe, uint8_t table, int32_t priority, const Match& m, uint32_t action) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table >= specs.size())
        return fail(fmt::format("flow for {} table {}: the pipeline has {} tables", pipe == Pipe::Ingress ? "ingress" : "egress",
                                table, specs.size()));
    specs[table].flows.push_back(FlowSpec{priority, m, action});
}

void DatapathBuilder::reserve(Pipe pipe, uint8_t table, std::size_t n) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table < specs.size()) specs[table].flows.reserve(n);
}

void DatapathBuilder::default_next(Pipe pipe, uint8_t table) {
    flow(pipe, table, 0, Match{}, actions(pipe, table).next().done());
}

void DatapathBuilder::force_kind(Pipe pipe, uint8_t table, StageKind kind) {
    if (table >= specs_[static_cast<int>(pipe)].size()) return fail(fmt::format("force_kind: no table {}", table));
    auto& s = specs_[static_cast<int>(pipe)][table];
    s.forced = true;
    s.kind = kind;
}

uint32_t DatapathBuilder::begin_block(Pipe pipe, uint8_t table) {
    auto& specs = specs_[static_cast<int>(pipe)];
    const auto code = static_cast<uint32_t>(dp_->program.code.size());
    if (table >= specs.size()) return fail(fmt::format("begin_block: no table {}", table)), code;
    StageSpec& s = specs[table];
    s.bracketed = s.open = true;
    s.code_begin = code;
    s.const_begin = static_cast<uint32_t>(dp_->program.consts.size());
    s.unimpl_begin = dp_->unimplemented_insns;
    return code;
}

void DatapathBuilder::end_block(Pipe pipe, uint8_t table) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table >= specs.size() || !specs[table].open) return fail(fmt::format("end_block: table {} has no open block", table));
    StageSpec& s = specs[table];
    s.open = false;
    s.code_end = static_cast<uint32_t>(dp_->program.code.size());
    s.const_end = static_cast<uint32_t>(dp_->program.consts.size());
    s.unimpl_end = dp_->unimplemented_insns;
}

uint32_t DatapathBuilder::adopt(Pipe pipe, uint8_t table, StageBlockPtr block) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table >= specs.size() || !block || !block->dp) return fail(fmt::format("adopt: no table {} or no block", table)), 0;
    const Program& from = block->dp->program;
    if (block->code_end > from.code.size() || block->const_end > from.consts.size() ||
        block->code_begin > block->code_end || block->const_begin > block->const_end)
        return fail(fmt::format("adopt: table {}: block outside its program", table)), 0;
    // The block's code and constants, bracketed as if made here, offsets moved with them.
    Program& prog = dp_->program;
    const uint32_t base = begin_block(pipe, table);
    const auto const_base = static_cast<uint32_t>(prog.consts.size());
    prog.code.insert(prog.code.end(), from.code.begin() + block->code_begin, from.code.begin() + block->code_end);
    for (std::size_t i = base; i < prog.code.size(); ++i) {
        Insn& insn = prog.code[i];
        if (insn.op == Op::Clone) insn.a = insn.a - block->code_begin + base;
        else if (insn.op == Op::Load) insn.a = insn.a - block->const_begin + const_base;
    }
    prog.consts.insert(prog.consts.end(), from.consts.begin() + block->const_begin, from.consts.begin() + block->const_end);
    dp_->unimplemented_insns += block->unimplemented;
    end_block(pipe, table);
    specs[table].adopted = std::move(block);
    return base;
}

StageBlockPtr DatapathBuilder::block(Pipe pipe, uint8_t table) const {
    const auto& specs = specs_[static_cast<int>(pipe)];
    return table < specs.size() ? specs[table].block : nullptr;
}

// Whether a bracketed stage's rules and clone bodies all point into its bracket (so that it
// can move on its own).
bool DatapathBuilder::self_contained(const StageSpec& spec) const {
    auto inside = [&](uint32_t a) { return a >= spec.code_begin && a < spec.code_end; };
    for (const FlowSpec& f : spec.flows)
        if (!inside(f.action)) return false;
    const Program& prog = dp_->program;
    for (uint32_t i = spec.code_begin; i < spec.code_end; ++i)
        if (prog.code[i].op == Op::Clone && !inside(prog.code[i].a)) return false;
    return true;
}

void DatapathBuilder::port(uint32_t key, std::string name, const PortEntry& e) {
    if (key == 0 || key >= Datapath::kMcastBase)
        return fail(fmt::format("port {}: key {} outside 1..32767", name, key));
    if (dp_->ports.size() <= key) {
        dp_->ports.resize(key + 1);
        dp_->port_names.resize(key + 1);
    }
    dp_->ports[key] = e;
    dp_->port_names[key] = std::move(name);
}

void DatapathBuilder::group(uint32_t key, std::string name, std::vector<uint32_t> members) {
    if (key < Datapath::kMcastBase || key > 0xffff)
        return fail(fmt::format("multicast group {}: key {} outside 32768..65535", name, key));
    const uint32_t i = key - Datapath::kMcastBase;
    if (dp_->mcast.size() <= i) dp_->mcast.resize(i + 1);
    dp_->mcast[i] = MulticastGroup{std::move(name), std::move(members)};
}

bool DatapathBuilder::is_plain_next(uint32_t action, Pipe pipe, uint8_t table) const {
    const auto& code = dp_->program.code;
    return action + 1 < code.size() && code[action].op == Op::Next &&
           code[action + 1].op == Op::End && code[action].b == static_cast<uint32_t>(pipe) &&
           code[action].off == table + 1;
}

// The prefix length of a match on a 4-byte address field at `off`, with the address in
// `addr`; -1 when the field's mask is not a prefix (a match without the field is /0).
static_assert(std::endian::native == std::endian::little && SCS_KEY_OFF(ip4_dst) % 4 == 0,
              "rest_word_mask() takes the 4-byte address field as one half of a little-endian word");

static int prefix_at(const Match& m, uint16_t off, uint32_t& addr) {
    const uint32_t mask = static_cast<uint32_t>(load_be(key_bytes(m.mask) + off, 4));
    addr = static_cast<uint32_t>(load_be(key_bytes(m.value) + off, 4));
    if ((~mask & (~mask + 1)) != 0) return -1;  // not of the form 1..10..0
    return std::popcount(mask);
}

// Everything of a match but the 4-byte field at `off` (4-byte aligned within its word).
static uint64_t rest_word_mask(unsigned word, uint16_t off) {
    if (word != off / 8u) return ~uint64_t{0};
    const uint64_t field = uint64_t{0xffffffffu} << ((off % 8u) * 8u);  // little-endian words
    return ~field;
}

static uint64_t rest_hash(const Match& m, uint16_t off) {
    const uint64_t* mw = key_words(m.mask);
    const uint64_t* vw = key_words(m.value);
    uint64_t h = 1469598103934665603ull;
    for (unsigned w = 0; w < kKeyWords; ++w) {
        const uint64_t keep = rest_word_mask(w, off);
        h = (h ^ (mw[w] & keep)) * 1099511628211ull;
        h = (h ^ (vw[w] & keep)) * 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

static bool same_rest(const Match& a, const Match& b, uint16_t off) {
    const uint64_t *am = key_words(a.mask), *av = key_words(a.value);
    const uint64_t *bm = key_words(b.mask), *bv = key_words(b.value);
    for (unsigned w = 0; w < kKeyWords; ++w) {
        const uint64_t keep = rest_word_mask(w, off);
        if (((am[w] ^ bm[w]) & keep) != 0 || ((av[w] ^ bv[w]) & keep) != 0) return false;
    }
    return true;
}

// The match without the field at `off`: the guard common to an LPM table's routes.
static void split_prefix(const Match& m, uint16_t off, Match& rest) {
    rest = m;
    std::fill_n(key_bytes(rest.mask) + off, 4, 0);
    std::fill_n(key_bytes(rest.value) + off, 4, 0);
}

Result<void> DatapathBuilder::build_stage(Pipe pipe, uint8_t table, StageSpec& spec, Stage& out) {
    out.name = spec.name;
    out.table_id = table;
    out.n_rules = spec.flows.size();

    // The highest-priority catch-all becomes the miss action; flows below it can never match.
    int32_t miss_prio = -1;
    for (const FlowSpec& f : spec.flows)
        if (f.match.empty_mask() && f.priority > miss_prio) {
            miss_prio = f.priority;
            out.miss_action = f.action;
        }
    std::vector<const FlowSpec*> rules;
    for (const FlowSpec& f : spec.flows)
        if (!f.match.empty_mask() && f.priority >= miss_prio) rules.push_back(&f);

    // Distinct masks (hashed: stages have thousands of rules and few masks).
    struct MaskSet {
        std::unordered_map<uint64_t, std::vector<const FlowKey*>> by_hash;
        std::size_t n = 0;
        std::size_t size() const { return n; }
        void add(const FlowKey& m) {
            const uint64_t* w = key_words(m);
            uint64_t h = 1469598103934665603ull;
            for (std::size_t i = 0; i < kKeyWords; ++i) h = (h ^ w[i]) * 1099511628211ull;
            auto& v = by_hash[h];
            for (const FlowKey* x : v)
                if (std::equal(w, w + kKeyWords, key_words(*x))) return;
            v.push_back(&m);
            ++n;
        }
    } masks;
    for (const FlowSpec* f : rules) masks.add(f->match.mask);

    StageKind kind;
    if (rules.empty()) kind = StageKind::MissOnly;
    else if (masks.size() == 1) kind = StageKind::Exact;
    else kind = StageKind::Classifier;

    // LPM on ip4.dst: the flows with a common rest (guard) and a prefix on ip4.dst whose
    // priority grows with the prefix length, as OVN's lr_in_ip_routing writes them. Flows are
    // grouped by a hash of their rest (no copies: stages of routers have thousands of rules);
    // a group member whose rest differs from the group's first (a hash collision) stays out.
    const uint16_t dst_off = SCS_KEY_OFF(ip4_dst);
    std::vector<bool> in_lpm(rules.size(), false);
    std::vector<int8_t> plen_of(rules.size(), -1);
    std::vector<uint32_t> addr_of(rules.size(), 0);
    Match guard;
    if (rules.size() >= 2 && masks.size() > 1 && (!spec.forced || spec.kind == StageKind::Lpm)) {
        std::vector<std::pair<uint64_t, uint32_t>> by_rest;  // (hash of the rest, rule)
        by_rest.reserve(rules.size());
        for (std::size_t i = 0; i < rules.size(); ++i) {
            const int plen = prefix_at(rules[i]->match, dst_off, addr_of[i]);
            if (plen < 0) continue;
            plen_of[i] = static_cast<int8_t>(plen);
            by_rest.emplace_back(rest_hash(rules[i]->match, dst_off), static_cast<uint32_t>(i));
        }
        std::sort(by_rest.begin(), by_rest.end());
        std::size_t best_at = 0, best_n = 0;
        for (std::size_t g = 0; g < by_rest.size();) {
            std::size_t e = g;
            while (e < by_rest.size() && by_rest[e].first == by_rest[g].first) ++e;
            if (e - g > best_n) {
                best_at = g;
                best_n = e - g;
            }
            g = e;
        }
        if (best_n >= 2) {
            // Keep the routes whose priority falls as the prefix shortens; outliers (e.g. a
            // high-priority multicast prefix) go to the residual classifier. The stage
            // result is the higher-priority hit of the two, so either way is exact.
            const Match& first = rules[by_rest[best_at].second]->match;
            std::vector<std::tuple<int, int32_t, std::size_t>> lp;  // (plen, priority, rule)
            for (std::size_t j = best_at; j < best_at + best_n; ++j) {
                const std::size_t i = by_rest[j].second;
                if (!same_rest(rules[i]->match, first, dst_off)) continue;
                lp.emplace_back(plen_of[i], rules[i]->priority, i);
            }
            split_prefix(first, dst_off, guard);
            std::sort(lp.begin(), lp.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
            int32_t bound = INT32_MAX;
            std::size_t kept = 0;
            for (std::size_t g = 0; g < lp.size();) {
                std::size_t e = g;
                int32_t group_min = INT32_MAX;
                for (; e < lp.size() && std::get<0>(lp[e]) == std::get<0>(lp[g]); ++e) {
                    if (std::get<1>(lp[e]) >= bound) continue;
                    in_lpm[std::get<2>(lp[e])] = true;
                    group_min = std::min(group_min, std::get<1>(lp[e]));
                    ++kept;
                }
                bound = std::min(bound, group_min);
                g = e;
            }
            if (kept >= 2) kind = StageKind::Lpm;
            else std::fill(in_lpm.begin(), in_lpm.end(), false);
        }
    }
    if (spec.forced) {
        if (spec.kind == StageKind::Exact && masks.size() > 1)
            return make_error(fmt::format("stage {}: forced exact but flows use {} masks", spec.name, masks.size()));
        if (spec.kind == StageKind::Lpm && kind != StageKind::Lpm)
            return make_error(fmt::format("stage {}: forced LPM but flows are not routing-shaped", spec.name));
        if (spec.kind == StageKind::Classifier && !rules.empty()) kind = StageKind::Classifier;
    }
    out.kind = kind;

    uint32_t rule_no = 0;
    switch (kind) {
        case StageKind::MissOnly:
            break;
        case StageKind::Exact:
            out.exact = std::make_unique<Subtable>(rules.front()->match.mask);
            for (const FlowSpec* f : rules) out.exact->insert(f->match.value, f->priority, f->action, rule_no++);
            out.exact->finalize();
            break;
        case StageKind::Lpm:
            out.lpm = std::make_unique<LpmTable>(dst_off, 4, guard);
            for (std::size_t i = 0; i < rules.size(); ++i) {
                if (in_lpm[i]) {
                    uint8_t a[4];
                    store_be(a, 4, addr_of[i]);
                    out.lpm->insert(a, static_cast<unsigned>(plen_of[i]), rules[i]->priority, rules[i]->action, rule_no);
                } else {
                    out.residual.insert(rules[i]->match, rules[i]->priority, rules[i]->action, rule_no);
                }
                ++rule_no;
            }
            out.lpm->finalize();
            out.residual.finalize();
            break;
        case StageKind::Classifier:
            for (const FlowSpec* f : rules) out.residual.insert(f->match, f->priority, f->action, rule_no++);
            out.residual.finalize();
            break;
    }
    (void)pipe;
    return {};
}

void DatapathBuilder::fail(std::string msg) {
    if (error_.empty()) error_ = fmt::format("datapath {}: {}", dp_->name, std::move(msg));
}

Result<DatapathPtr> DatapathBuilder::build() {
    if (!error_.empty()) return make_error(error_);
    std::vector<int32_t> stage_at[2];  // per table: its index in the pipeline's stages, -1 elided
    std::vector<bool> movable[2];      // per table: adopted, or bracketed and self-contained
    for (int p = 0; p < 2; ++p) {
        const Pipe pipe = static_cast<Pipe>(p);
        auto& specs = specs_[p];
        Pipeline& pl = dp_->pipe[p];
        pl.n_logical_tables = static_cast<uint8_t>(specs.size());
        pl.compact_of.assign(specs.size() + 1, 0);
        // Walk backwards so compact_of[t] can point at the first kept stage >= t.
        std::vector<bool> keep(specs.size());
        std::vector<int32_t> at(specs.size(), -1);  // index in pl.stages
        for (std::size_t t = 0; t < specs.size(); ++t) {
            const StageSpec& spec = specs[t];
            const auto& fl = spec.flows;
            if (spec.open) return make_error(fmt::format("datapath {}: stage {}: block never ended", dp_->name, spec.name));
            if (spec.adopted && !fl.empty())
                return make_error(fmt::format("datapath {}: stage {}: flows given for an adopted stage", dp_->name, spec.name));
            // A stage whose one flow is the catch-all `next;` is elided: it costs nothing.
            keep[t] = spec.adopted ? spec.adopted->stage >= 0
                                   : !(fl.size() == 1 && fl[0].match.empty_mask() &&
                                       is_plain_next(fl[0].action, pipe, static_cast<uint8_t>(t)));
        }
        for (std::size_t t = 0; t < specs.size(); ++t) {
            StageSpec& spec = specs[t];
            if (!keep[t]) continue;
            Stage st;
            if (const StageBlock* from = spec.adopted.get()) {
                const auto& stages = from->dp->pipe[static_cast<int>(from->pipe)].stages;
                if (static_cast<std::size_t>(from->stage) >= stages.size())
                    return make_error(fmt::format("datapath {}: stage {}: adopted stage not found", dp_->name, spec.name));
                st = stages[static_cast<std::size_t>(from->stage)].shifted(spec.code_begin - from->code_begin);
                st.name = spec.name;
                st.table_id = static_cast<uint8_t>(t);
            } else if (auto r = build_stage(pipe, static_cast<uint8_t>(t), spec, st); !r) {
                return make_error(r.error());
            }
            at[t] = static_cast<int32_t>(pl.stages.size());
            pl.stages.push_back(std::move(st));
        }
        stage_at[p] = std::move(at);
        movable[p].resize(specs.size());
        for (std::size_t t = 0; t < specs.size(); ++t)
            movable[p][t] = specs[t].adopted || (specs[t].bracketed && self_contained(specs[t]));
        uint16_t next_kept = static_cast<uint16_t>(pl.stages.size());
        for (std::size_t t = specs.size() + 1; t-- > 0;) {
            if (t < specs.size() && keep[t]) --next_kept;
            pl.compact_of[t] = next_kept;
        }
    }
    // Resolve `next` targets from logical table ids to kept-stage indices.
    for (Insn& i : dp_->program.code) {
        if (i.op != Op::Next) continue;
        const Pipeline& pl = dp_->pipe[i.b];
        if (i.off > pl.n_logical_tables)
            return make_error(fmt::format("datapath {}: next to table {} beyond the {} pipeline's {} tables",
                                          dp_->name, i.off, i.b ? "egress" : "ingress", pl.n_logical_tables));
        i.a = pl.compact_of[i.off];
    }
    DatapathPtr built(std::move(dp_));
    // Where each bracketed stage went, for adopting it into a later build.
    for (int p = 0; p < 2; ++p) {
        for (std::size_t t = 0; t < specs_[p].size(); ++t) {
            StageSpec& spec = specs_[p][t];
            if (!movable[p][t]) continue;
            auto b = std::make_shared<StageBlock>();
            b->dp = built;
            b->pipe = static_cast<Pipe>(p);
            b->stage = stage_at[p][t];
            b->code_begin = spec.code_begin;
            b->code_end = spec.code_end;
            b->const_begin = spec.const_begin;
            b->const_end = spec.const_end;
            b->unimplemented = spec.unimpl_end - spec.unimpl_begin;
            spec.block = std::move(b);
        }
    }
    return built;
}

}  // namespace scs::engine
