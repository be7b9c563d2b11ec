#include "engine/builder.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <map>
#include <iterator>
#include <unordered_map>
#include <unordered_set>
#include <tuple>

#include <fmt/format.h>

#include "engine/select.h"

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

ActionBuilder& ActionBuilder::select(Field dst, unsigned bit, unsigned n_bits,
                                     std::span<const std::pair<uint32_t, uint32_t>> id_weight) {
    const FieldInfo& fi = field_info(dst);
    if (n_bits == 0 || n_bits > 32 || bit + n_bits > fi.width * 8u || fi.width > 16)
        return b_.fail(fmt::format("select into {}[{}..]: {} bits outside the field or wider than 32", fi.name, bit,
                                   n_bits)), *this;
    if (id_weight.empty() || id_weight.size() > kMaxSelectMembers)
        return b_.fail(fmt::format("select with {} members (1..{})", id_weight.size(), kMaxSelectMembers)), *this;
    uint64_t sum = 0;
    for (const auto& [id, weight] : id_weight) {
        sum += weight;
        if (weight == 0 || sum > UINT32_MAX || (n_bits < 32 && id >> n_bits))
            return b_.fail(fmt::format("select into {}: member {} weight {} invalid or too large", fi.name, id, weight)),
                   *this;
    }
    const std::vector<SelectMember> members = select_table(id_weight);
    const auto* bytes = reinterpret_cast<const uint8_t*>(members.data());
    Insn& i = emit(Op::Select);
    i.off = fi.offset;
    i.len = fi.width;
    i.b = bit << 16 | n_bits;
    i.c = static_cast<uint16_t>(id_weight.size());
    i.a = push_const(b_.dp_->program, {bytes, members.size() * sizeof(SelectMember)}, {});
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
    s.code_begin = s.fresh_begin = code;
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

static bool block_fits(const StageBlock& block) {
    const Program& from = block.dp->program;
    return block.code_end <= from.code.size() && block.const_end <= from.consts.size() &&
           block.code_begin <= block.code_end && block.const_begin <= block.const_end;
}

// Appends the block's code and constants, offsets moved with them (inside a bracket).
void DatapathBuilder::copy_block(const StageBlock& block) {
    const Program& from = block.dp->program;
    Program& prog = dp_->program;
    const auto base = static_cast<uint32_t>(prog.code.size());
    const auto const_base = static_cast<uint32_t>(prog.consts.size());
    prog.code.insert(prog.code.end(), from.code.begin() + block.code_begin, from.code.begin() + block.code_end);
    for (std::size_t i = base; i < prog.code.size(); ++i) {
        Insn& insn = prog.code[i];
        if (insn.op == Op::Clone) insn.a = insn.a - block.code_begin + base;
        else if (insn.op == Op::Load || insn.op == Op::Select) insn.a = insn.a - block.const_begin + const_base;
    }
    prog.consts.insert(prog.consts.end(), from.consts.begin() + block.const_begin, from.consts.begin() + block.const_end);
    dp_->unimplemented_insns += block.unimplemented;
}

uint32_t DatapathBuilder::adopt(Pipe pipe, uint8_t table, StageBlockPtr block) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table >= specs.size() || !block || !block->dp) return fail(fmt::format("adopt: no table {} or no block", table)), 0;
    if (!block_fits(*block)) return fail(fmt::format("adopt: table {}: block outside its program", table)), 0;
    // The block's code and constants, bracketed as if made here.
    const uint32_t base = begin_block(pipe, table);
    copy_block(*block);
    end_block(pipe, table);
    specs[table].adopted = std::move(block);
    return base;
}

// How many instructions the action lists at `lists` (offsets in the program) occupy, with the
// clone bodies they call, each counted once: the code amend() leaves behind unreachable.
static uint32_t list_insns(const Program& p, uint32_t begin, uint32_t end, std::vector<uint32_t> lists) {
    std::unordered_set<uint32_t> seen;
    uint32_t n = 0;
    while (!lists.empty()) {
        const uint32_t at = lists.back();
        lists.pop_back();
        if (at < begin || at >= end || !seen.insert(at).second) continue;
        for (uint32_t i = at; i < end; ++i) {
            ++n;
            if (p.code[i].op == Op::Clone) lists.push_back(p.code[i].a);
            if (p.code[i].op == Op::End) break;
        }
    }
    return n;
}

std::optional<uint32_t> DatapathBuilder::amend(Pipe pipe, uint8_t table, StageBlockPtr block, std::vector<uint32_t> removed,
                                               std::size_t removed_specs) {
    auto& specs = specs_[static_cast<int>(pipe)];
    if (table >= specs.size() || !block || !block->dp)
        return fail(fmt::format("amend: no table {} or no block", table)), std::nullopt;
    if (!block_fits(*block)) return fail(fmt::format("amend: table {}: block outside its program", table)), std::nullopt;
    if (block->stage < 0 || !block->amendable) return std::nullopt;
    const auto& stages = block->dp->pipe[static_cast<int>(block->pipe)].stages;
    if (static_cast<std::size_t>(block->stage) >= stages.size())
        return fail(fmt::format("amend: table {}: stage not found", table)), std::nullopt;
    const Stage& old = stages[static_cast<std::size_t>(block->stage)];
    std::sort(removed.begin(), removed.end());
    removed.erase(std::unique(removed.begin(), removed.end()), removed.end());
    if (!removed.empty() && removed.back() >= block->code_end - block->code_begin)
        return fail(fmt::format("amend: table {}: removed action {} outside the block's {} instructions", table,
                                removed.back(), block->code_end - block->code_begin)), std::nullopt;
    if (removed_specs > old.n_rules)
        return fail(fmt::format("amend: table {}: {} flows removed of {}", table, removed_specs, old.n_rules)), std::nullopt;
    // Without its miss action, the stage's miss would be the next catch-all down, and the
    // rules between the two (dropped when built) would have to come back.
    if (old.miss_action != kNoAction && std::binary_search(removed.begin(), removed.end(), old.miss_action - block->code_begin))
        return std::nullopt;
    std::vector<uint32_t> lists(removed);
    for (uint32_t& a : lists) a += block->code_begin;
    const uint32_t dead = list_insns(block->dp->program, block->code_begin, block->code_end, std::move(lists));

    const uint32_t base = begin_block(pipe, table);
    copy_block(*block);
    StageSpec& s = specs[table];
    s.fresh_begin = static_cast<uint32_t>(dp_->program.code.size());
    for (uint32_t& a : removed) a += base;
    s.amended = true;
    s.removed = std::move(removed);
    s.removed_specs = removed_specs;
    s.dead_insns = block->dead_insns + dead;
    s.adopted = std::move(block);
    return base;
}

StageBlockPtr DatapathBuilder::block(Pipe pipe, uint8_t table) const {
    const auto& specs = specs_[static_cast<int>(pipe)];
    return table < specs.size() ? specs[table].block : nullptr;
}

// Whether a bracketed stage's rules and clone bodies all point into its bracket (so that it
// can move on its own). Code copied from a block (amend()) was checked when it was built.
bool DatapathBuilder::self_contained(const StageSpec& spec) const {
    auto inside = [&](uint32_t a) { return a >= spec.code_begin && a < spec.code_end; };
    for (const FlowSpec& f : spec.flows)
        if (!inside(f.action)) return false;
    const Program& prog = dp_->program;
    for (uint32_t i = spec.fresh_begin; i < spec.code_end; ++i)
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
    std::vector<std::pair<uint64_t, uint32_t>> by_rest;  // (hash of the rest, rule)
    if (rules.size() >= 2 && masks.size() > 1 && (!spec.forced || spec.kind == StageKind::Lpm)) {
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
            spec.lpm_all_kept = kept == best_n;
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

    // Rule ids: 0..k-1 over the rules the tables hold (a rule that loses to an identical
    // masked match takes none).
    uint32_t rule_no = 0;
    bool shadowed = false;
    switch (kind) {
        case StageKind::MissOnly:
            break;
        case StageKind::Exact:
            out.exact = std::make_unique<Subtable>(rules.front()->match.mask);
            for (const FlowSpec* f : rules) {
                if (out.exact->insert(f->match.value, f->priority, f->action, rule_no)) ++rule_no;
                else shadowed = true;
            }
            out.exact->finalize();
            break;
        case StageKind::Lpm:
            out.lpm = std::make_unique<LpmTable>(dst_off, 4, guard);
            for (std::size_t i = 0; i < rules.size(); ++i) {
                bool added;
                if (in_lpm[i]) {
                    uint8_t a[4];
                    store_be(a, 4, addr_of[i]);
                    added = out.lpm->insert(a, static_cast<unsigned>(plen_of[i]), rules[i]->priority, rules[i]->action,
                                            rule_no);
                } else {
                    added = out.residual.insert(rules[i]->match, rules[i]->priority, rules[i]->action, rule_no);
                }
                if (added) ++rule_no;
                else shadowed = true;
            }
            out.lpm->finalize();
            out.residual.finalize();
            break;
        case StageKind::Classifier:
            for (const FlowSpec* f : rules) {
                if (out.residual.insert(f->match, f->priority, f->action, rule_no)) ++rule_no;
                else shadowed = true;
            }
            out.residual.finalize();
            break;
    }
    // For amend(): a classifier's or LPM stage's rests were all grouped above (more than one
    // mask).
    spec.amendable = !spec.forced && !shadowed;
    spec.miss_priority = miss_prio;
    spec.rests.clear();
    if (kind != StageKind::Lpm) spec.lpm_all_kept = false;
    if (kind == StageKind::Classifier || kind == StageKind::Lpm) {
        spec.rests.reserve(by_rest.size());
        for (const auto& [h, i] : by_rest) spec.rests.push_back(h);  // sorted
    }
    (void)pipe;
    return {};
}

// An amended stage's rule ids dense again (0..k-1) in the order they had (the new flows'
// last), and its tables laid out for lookups.
static void renumber_and_finalize(Stage& out) {
    uint32_t id_end = 0;
    out.for_each_subtable([&](const Subtable& st) {
        st.for_each_rule([&](std::span<const uint64_t>, int32_t, uint32_t, uint32_t r) { id_end = std::max(id_end, r + 1); });
    });
    std::vector<uint32_t> id(id_end, kNoAction);
    out.for_each_subtable([&](const Subtable& st) {
        st.for_each_rule([&](std::span<const uint64_t>, int32_t, uint32_t, uint32_t r) { id[r] = 0; });
    });
    uint32_t n = 0;
    for (uint32_t& x : id)
        if (x != kNoAction) x = n++;
    auto renumber = [&](uint32_t r) { return id[r]; };
    if (out.exact) {
        out.exact->renumber(renumber);
        out.exact->finalize();
    }
    if (out.lpm) {
        out.lpm->renumber(renumber);
        out.lpm->finalize();
    }
    out.residual.renumber(renumber);
    out.residual.finalize();
}

// The match of a rule of `st` (its masked value words).
static Match rule_match(const Subtable& st, std::span<const uint64_t> values) {
    Match m;
    m.mask = st.mask();
    uint64_t* vw = key_words(m.value);
    const auto words = st.words();
    for (std::size_t i = 0; i < words.size(); ++i) vw[words[i]] = values[i];
    return m;
}

// A stage's sorted rest hashes (StageBlock::rests) without those of the rules erased and with
// those of the rules inserted.
static std::vector<uint64_t> amended_rests(const std::vector<uint64_t>& rests, std::vector<uint64_t> gone,
                                           std::vector<uint64_t> added) {
    std::sort(gone.begin(), gone.end());
    std::sort(added.begin(), added.end());
    std::vector<uint64_t> kept, out;
    kept.reserve(rests.size());
    std::set_difference(rests.begin(), rests.end(), gone.begin(), gone.end(), std::back_inserter(kept));
    out.reserve(kept.size() + added.size());
    std::merge(kept.begin(), kept.end(), added.begin(), added.end(), std::back_inserter(out));
    return out;
}

// Edits a copy of the old stage: its rules of the removed flows erased, the new flows'
// rules inserted. False when the result might not be what build_stage() makes of the flows
// (the caller rebuilds then): build_stage() is the definition, this takes the cases where
// the kind it would choose and the rules it would keep can be told without all the flows:
//  - the miss stays: no new catch-all above it (the highest catch-all is the miss; rules
//    below it are dropped, new ones too, as build_stage() drops them);
//  - no new rule duplicates the masked match of one in the table (which one wins depends on
//    the flows' order, and the loser is gone from the table);
//  - an exact stage gets no other mask; a miss-only one no rule; an LPM stage is left to
//    amend_lpm_in_place();
//  - a classifier left with two masks or more has no two rules (of a prefix on ip4.dst)
//    with the same match without ip4.dst: no LPM table could be found (build_stage() only
//    looks for one within such a group). With one mask left it is exact, with none miss-only.
bool DatapathBuilder::amend_in_place(StageSpec& spec, const StageBlock& from, const Stage& old, Stage& out) const {
    const int32_t miss_prio = from.miss_priority;
    std::vector<const FlowSpec*> rules;
    for (const FlowSpec& f : spec.flows) {
        if (!f.match.empty_mask()) {
            if (f.priority >= miss_prio) rules.push_back(&f);
        } else if (f.priority > miss_prio) {
            return false;
        }
    }
    if (old.kind == StageKind::Lpm) return amend_lpm_in_place(spec, from, old, rules, out);
    if (old.kind == StageKind::MissOnly ? !rules.empty() : old.kind != StageKind::Exact && old.kind != StageKind::Classifier)
        return false;
    out = old.shifted(spec.code_begin - from.code_begin);
    const bool classifier = old.kind == StageKind::Classifier;
    const uint16_t dst_off = SCS_KEY_OFF(ip4_dst);
    std::vector<uint64_t> gone, added;  // rests of the rules erased and inserted
    auto rest_of = [&](const Match& m, std::vector<uint64_t>& into) {
        uint32_t addr;
        if (classifier && prefix_at(m, dst_off, addr) >= 0) into.push_back(rest_hash(m, dst_off));
    };
    auto erase = [&](const Subtable& st, std::span<const uint64_t> values, int32_t, uint32_t action, uint32_t) {
        if (!std::binary_search(spec.removed.begin(), spec.removed.end(), action)) return false;
        rest_of(rule_match(st, values), gone);
        return true;
    };
    if (out.exact)
        out.exact->erase_if([&](std::span<const uint64_t> v, int32_t p, uint32_t a, uint32_t r) {
            return erase(*out.exact, v, p, a, r);
        });
    out.residual.erase_if(erase);
    // New rules numbered after every old id (ids < n_rules); all renumbered below.
    uint32_t next_id = static_cast<uint32_t>(old.n_rules);
    for (const FlowSpec* f : rules) {
        if (classifier) {
            if (!out.residual.insert(f->match, f->priority, f->action, next_id++)) return false;
        } else {
            const FlowKey& mask = out.exact->mask();
            if (!std::equal(key_words(mask), key_words(mask) + kKeyWords, key_words(f->match.mask))) return false;
            if (!out.exact->insert(f->match.value, f->priority, f->action, next_id++)) return false;
        }
        rest_of(f->match, added);
    }

    std::vector<uint64_t> rests;
    if (classifier) {
        rests = amended_rests(from.rests, std::move(gone), std::move(added));
        if (out.residual.n_subtables() == 1) {
            out.exact = std::make_unique<Subtable>(std::move(out.residual.release().front()));
            out.kind = StageKind::Exact;
        } else if (out.residual.empty()) {
            out.kind = StageKind::MissOnly;
        } else if (std::adjacent_find(rests.begin(), rests.end()) != rests.end()) {
            return false;
        }
    } else if (out.exact && out.exact->size() == 0) {
        out.exact.reset();
        out.kind = StageKind::MissOnly;
    }

    renumber_and_finalize(out);

    spec.amendable = true;
    spec.miss_priority = miss_prio;
    spec.rests = std::move(rests);
    return true;
}

// An LPM stage amended in place, exactly as build_stage() would lay out the flows left, while
// the LPM group (the rules sharing the guard) stays the one build_stage() picks (the largest,
// the first of equals in hash order) and its layout is known without looking at it whole:
//  - rules of other groups come and go in the residual classifier;
//  - rules of the group come and go only while every one of them is in the LPM table
//    (lpm_all_kept: priorities fall strictly as prefixes shorten, none left to the residual)
//    and stays so: a new one's priority must fit between the longer and shorter prefixes'.
// Anything else is rebuilt from the old rules (amend_stage()).
bool DatapathBuilder::amend_lpm_in_place(StageSpec& spec, const StageBlock& from, const Stage& old,
                                         const std::vector<const FlowSpec*>& rules, Stage& out) const {
    out = old.shifted(spec.code_begin - from.code_begin);
    LpmTable& lpm = *out.lpm;
    const uint16_t dst_off = SCS_KEY_OFF(ip4_dst);
    Match guard;
    lpm.guard().add_to(guard);
    const uint64_t group = rest_hash(guard, dst_off);
    std::vector<uint64_t> gone, added;  // rests of the rules erased and inserted
    auto removed = [&](uint32_t action) {
        return std::binary_search(spec.removed.begin(), spec.removed.end(), action);
    };
    const std::size_t lpm_gone = lpm.erase_if([&](std::span<const uint64_t>, int32_t, uint32_t action, uint32_t) {
        return removed(action);
    });
    gone.assign(lpm_gone, group);
    const bool all_kept = from.lpm_all_kept;
    out.residual.erase_if([&](const Subtable& st, std::span<const uint64_t> values, int32_t, uint32_t action, uint32_t) {
        if (!removed(action)) return false;
        const Match m = rule_match(st, values);
        uint32_t addr;
        if (prefix_at(m, dst_off, addr) >= 0) gone.push_back(rest_hash(m, dst_off));
        return true;
    });
    if (!all_kept && std::find(gone.begin(), gone.end(), group) != gone.end()) return false;
    // Each prefix length's lowest and highest priority.
    struct Len {
        unsigned len;
        int32_t lo, hi;
    };
    std::vector<Len> lens;
    for (std::size_t i = 0; i < lpm.subtables().size(); ++i) {
        Len l{lpm.prefix_len(i), INT32_MAX, INT32_MIN};
        lpm.subtables()[i].for_each_rule([&](std::span<const uint64_t>, int32_t prio, uint32_t, uint32_t) {
            l.lo = std::min(l.lo, prio);
            l.hi = std::max(l.hi, prio);
        });
        lens.push_back(l);
    }
    uint32_t next_id = static_cast<uint32_t>(old.n_rules);
    for (const FlowSpec* f : rules) {
        uint32_t addr = 0;
        const int plen = prefix_at(f->match, dst_off, addr);
        const uint64_t h = plen >= 0 ? rest_hash(f->match, dst_off) : 0;
        if (plen >= 0 && h == group) {
            if (!all_kept || !same_rest(f->match, guard, dst_off)) return false;  // or a hash collision
            const auto p = static_cast<unsigned>(plen);
            for (const Len& l : lens)
                if ((l.len > p && l.lo <= f->priority) || (l.len < p && l.hi >= f->priority)) return false;
            uint8_t a[4];
            store_be(a, 4, addr);
            if (!lpm.insert(a, p, f->priority, f->action, next_id++)) return false;
            auto l = std::find_if(lens.begin(), lens.end(), [&](const Len& x) { return x.len == p; });
            if (l == lens.end()) l = lens.insert(lens.end(), Len{p, f->priority, f->priority});
            l->lo = std::min(l->lo, f->priority);
            l->hi = std::max(l->hi, f->priority);
        } else if (!out.residual.insert(f->match, f->priority, f->action, next_id++)) {
            return false;
        }
        if (plen >= 0) added.push_back(h);
    }
    // The group stays the first largest in hash order, and an LPM table of at least two
    // routes among more than one mask.
    std::vector<uint64_t> rests = amended_rests(from.rests, std::move(gone), std::move(added));
    const auto in_group = static_cast<std::size_t>(std::count(rests.begin(), rests.end(), group));
    for (auto r = rests.begin(); r != rests.end();) {
        const auto e = std::upper_bound(r, rests.end(), *r);
        const auto n = static_cast<std::size_t>(e - r);
        if (*r != group && (n > in_group || (n == in_group && *r < group))) return false;
        r = e;
    }
    if (lpm.size() < 2 || (all_kept && in_group != lpm.size())) return false;
    if (lens.size() < 2) {  // one route mask: the residual must hold another
        Match route = guard;
        for (unsigned b = 0; b < lens.front().len; ++b) key_bytes(route.mask)[dst_off + b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
        bool other = false;
        for (const Subtable& st : out.residual.subtables())
            other = other || !std::equal(key_words(st.mask()), key_words(st.mask()) + kKeyWords, key_words(route.mask));
        if (!other) return false;
    }

    renumber_and_finalize(out);

    spec.amendable = true;
    spec.miss_priority = from.miss_priority;
    spec.rests = std::move(rests);
    spec.lpm_all_kept = all_kept;
    return true;
}

Result<void> DatapathBuilder::amend_stage(Pipe pipe, uint8_t table, StageSpec& spec, Stage& out) {
    const StageBlock& from = *spec.adopted;
    const Stage& old = from.dp->pipe[static_cast<int>(from.pipe)].stages[static_cast<std::size_t>(from.stage)];
    if (spec.forced || !amend_in_place(spec, from, old, out)) {
        // The old stage's flows rebuilt from its tables (they hold every rule that was kept:
        // the stage was `amendable`; a route is its prefix under the LPM table's guard), less
        // the removed ones, plus its miss as a catch-all and the new flows, in the order they
        // had (rule ids), given to build_stage(). No action is lowered again.
        ++amends_rebuilt_;
        const uint32_t delta = spec.code_begin - from.code_begin;
        std::vector<std::pair<uint32_t, FlowSpec>> kept;
        auto keep = [&](const Subtable& st, const Guard* guard) {
            st.for_each_rule([&](std::span<const uint64_t> values, int32_t prio, uint32_t action, uint32_t rule) {
                if (std::binary_search(spec.removed.begin(), spec.removed.end(), action + delta)) return;
                FlowSpec f{prio, rule_match(st, values), action + delta};
                if (guard) guard->add_to(f.match);  // a route: its prefix under the common guard
                kept.emplace_back(rule, std::move(f));
            });
        };
        if (old.exact) keep(*old.exact, nullptr);
        if (old.lpm)
            for (const Subtable& st : old.lpm->subtables()) keep(st, &old.lpm->guard());
        for (const Subtable& st : old.residual.subtables()) keep(st, nullptr);
        std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        StageSpec all;
        all.name = spec.name;
        all.forced = spec.forced;
        all.kind = spec.kind;
        all.flows.reserve(kept.size() + 1 + spec.flows.size());
        for (auto& [rule, f] : kept) all.flows.push_back(std::move(f));
        if (old.miss_action != kNoAction) all.flows.push_back(FlowSpec{from.miss_priority, Match{}, old.miss_action + delta});
        all.flows.insert(all.flows.end(), spec.flows.begin(), spec.flows.end());
        out = Stage{};
        if (auto r = build_stage(pipe, table, all, out); !r) return r;
        spec.amendable = all.amendable;
        spec.miss_priority = all.miss_priority;
        spec.rests = std::move(all.rests);
        spec.lpm_all_kept = all.lpm_all_kept;
    }
    out.name = spec.name;
    out.table_id = table;
    // What build_stage() counts: every flow() given. Never fewer than the rules held, which
    // rule counters index by id (a caller's miscount must not make them overflow).
    std::size_t held = 0;
    out.for_each_subtable([&](const Subtable& st) { held += st.size(); });
    out.n_rules = std::max(old.n_rules - spec.removed_specs + spec.flows.size(), held);
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
            if (spec.adopted && !spec.amended && !fl.empty())
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
            if (spec.amended) {
                if (auto r = amend_stage(pipe, static_cast<uint8_t>(t), spec, st); !r) return make_error(r.error());
                // Elided as a full build would: the one flow left is the catch-all `next;`.
                if (st.n_rules == 1 && st.kind == StageKind::MissOnly && st.miss_action != kNoAction &&
                    is_plain_next(st.miss_action, pipe, static_cast<uint8_t>(t))) {
                    keep[t] = false;
                    continue;
                }
            } else if (const StageBlock* from = spec.adopted.get()) {
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
            movable[p][t] = (specs[t].adopted && !specs[t].amended) || (specs[t].bracketed && self_contained(specs[t]));
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
            if (spec.adopted && !spec.amended) {
                b->dead_insns = spec.adopted->dead_insns;
                b->amendable = spec.adopted->amendable;
                b->miss_priority = spec.adopted->miss_priority;
                b->rests = spec.adopted->rests;
                b->lpm_all_kept = spec.adopted->lpm_all_kept;
            } else {
                b->dead_insns = spec.dead_insns;
                b->amendable = spec.amendable;
                b->miss_priority = spec.miss_priority;
                b->rests = std::move(spec.rests);
                b->lpm_all_kept = spec.lpm_all_kept;
            }
            spec.block = std::move(b);
        }
    }
    return built;
}

}  // namespace scs::engine
