// DatapathBuilder::amend(): a stage built from the last build's tables less some flows plus
// new ones must be what a full build of the resulting flows gives (kind, rule count, rules,
// what each rule does, miss action, lookups), whether it was edited in place or rebuilt from
// the old tables; amend() refuses the stages it cannot amend exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "common/mix.h"
#include "engine/builder.h"

namespace scs::engine {
namespace {

constexpr uint8_t kT = 1;  // the stage under test; table 0 pads the program before it

Match ip4() { return Match{}.set_u64(Field::EthType, 0x0800); }

// One logical flow: its matches share one action list (loads its tag; some clone a body).
struct LFlow {
    int32_t prio = 0;
    std::vector<Match> matches;
    uint64_t tag = 0;  // 0: the action is a plain `next;`
    bool clone = false;
    uint32_t rel = 0;  // its action list, relative to the stage's block
};

uint32_t emit(DatapathBuilder& b, const LFlow& f) {
    if (f.tag == 0) return b.actions(Pipe::Ingress, kT).next().done();
    uint32_t body = 0;
    if (f.clone) body = b.actions(Pipe::Ingress, kT).load(Field::Reg1, f.tag).output().done();
    ActionBuilder ab = b.actions(Pipe::Ingress, kT);
    ab.load(Field::Reg0, f.tag);
    if (f.clone) ab.clone(body);
    return ab.next().done();
}

DatapathBuilder make(unsigned pad) {
    DatapathBuilder b("d", 1, false);
    b.stages(Pipe::Ingress, {"pad", "t"});
    b.stages(Pipe::Egress, {});
    for (unsigned i = 0; i < pad; ++i)
        b.flow(Pipe::Ingress, 0, 10, Match{}.set_u64(Field::Inport, i + 1),
               b.actions(Pipe::Ingress, 0).load(Field::Reg2, i).load(Field::Reg3, i).next().done());
    return b;
}

struct Built {
    DatapathPtr dp;
    StageBlockPtr block;
    std::vector<uint32_t> action;  // per flow of the model: its action list in dp
    const Stage* stage() const {
        for (const Stage& s : dp->pipe[0].stages)
            if (s.table_id == kT) return &s;
        return nullptr;  // elided
    }
};

Built build_full(std::vector<LFlow>& flows, unsigned pad) {
    DatapathBuilder b = make(pad);
    const uint32_t base = b.begin_block(Pipe::Ingress, kT);
    Built out;
    for (LFlow& f : flows) {
        const uint32_t a = emit(b, f);
        f.rel = a - base;
        out.action.push_back(a);
        for (const Match& m : f.matches) b.flow(Pipe::Ingress, kT, f.prio, m, a);
    }
    b.end_block(Pipe::Ingress, kT);
    auto dp = b.build();
    EXPECT_TRUE(dp.ok()) << dp.error();
    if (!dp) return out;
    out.dp = *dp;
    out.block = b.block(Pipe::Ingress, kT);
    return out;
}

std::string kind_of(const Built& b) {
    const Stage* st = b.stage();
    return st ? std::string(stage_kind_name(st->kind)) : "elided";
}

struct Amended {
    std::optional<Built> built;  // nullopt: refused
    bool rebuilt = false;        // tables rebuilt from the old stage's rules
};

// `kept` (their `rel` as in prev's block) less `removed`, plus `added`.
Amended build_amended(const Built& prev, std::vector<LFlow>& kept, const std::vector<LFlow>& removed,
                      std::vector<LFlow>& added, unsigned pad) {
    DatapathBuilder b = make(pad);
    std::vector<uint32_t> rel;
    std::size_t specs = 0;
    for (const LFlow& f : removed) {
        rel.push_back(f.rel);
        specs += f.matches.size();
    }
    Amended out;
    const auto base = b.amend(Pipe::Ingress, kT, prev.block, rel, specs);
    if (!base) return out;
    Built bt;
    for (const LFlow& f : kept) bt.action.push_back(*base + f.rel);
    for (LFlow& f : added) {
        const uint32_t a = emit(b, f);
        f.rel = a - *base;
        bt.action.push_back(a);
        for (const Match& m : f.matches) b.flow(Pipe::Ingress, kT, f.prio, m, a);
    }
    b.end_block(Pipe::Ingress, kT);
    auto dp = b.build();
    EXPECT_TRUE(dp.ok()) << dp.error();
    if (!dp) return out;
    bt.dp = *dp;
    bt.block = b.block(Pipe::Ingress, kT);
    out.rebuilt = b.amends_rebuilt() > 0;
    out.built = std::move(bt);
    return out;
}

// What an action list does, wherever it and its constants and clone bodies are.
std::vector<uint64_t> content(const Program& p, uint32_t at, int depth = 0) {
    std::vector<uint64_t> out;
    if (at == kNoAction) return {0x5eed};
    for (uint32_t i = at; i < p.code.size() && depth < 4; ++i) {
        const Insn& x = p.code[i];
        out.push_back(static_cast<uint64_t>(x.op) << 32 | static_cast<uint64_t>(x.off) << 16 | x.len);
        if (x.op == Op::Load) {
            for (uint32_t k = 0; k < 2u * x.len; ++k) out.push_back(p.consts.at(x.a + k));
        } else if (x.op == Op::Clone) {
            const auto body = content(p, x.a, depth + 1);
            out.insert(out.end(), body.begin(), body.end());
        } else if (x.op != Op::Next) {
            out.push_back(x.a);
        }
        if (x.op == Op::End) break;
    }
    return out;
}

uint64_t content_hash(const Program& p, uint32_t at) {
    uint64_t h = 0x1234;
    for (uint64_t v : content(p, at)) h = mix64(h ^ v);
    return h;
}

// Every rule (priority, masked values, what its action does), order-independent.
uint64_t rules_digest(const Program& p, const Stage& st) {
    uint64_t d = content_hash(p, st.miss_action);
    st.for_each_subtable([&](const Subtable& t) {
        uint64_t m = 0;
        for (unsigned w = 0; w < kKeyWords; ++w) m = mix64(m ^ key_words(t.mask())[w]);
        t.for_each_rule([&](std::span<const uint64_t> values, int32_t prio, uint32_t action, uint32_t) {
            uint64_t h = mix64(m ^ static_cast<uint32_t>(prio));
            for (uint64_t v : values) h = mix64(h ^ v);
            d += mix64(h ^ content_hash(p, action));
        });
    });
    return d;
}

void expect_dense_ids(const Stage& st) {
    std::vector<uint32_t> ids;
    st.for_each_subtable([&](const Subtable& t) {
        t.for_each_rule([&](std::span<const uint64_t>, int32_t, uint32_t, uint32_t r) { ids.push_back(r); });
    });
    std::sort(ids.begin(), ids.end());
    for (std::size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], i) << "rule ids are 0..k-1";
    EXPECT_LE(ids.size(), st.n_rules);
}

// What the flows say a key gets: the highest-priority rule at or above the miss (the
// highest catch-all), else the miss. Several flows can tie: any of them.
struct Expected {
    int32_t priority = -1;
    std::set<uint64_t> contents;
};

Expected expected(const std::vector<LFlow>& flows, const Built& ref, const FlowKey& k) {
    int32_t miss_prio = -1;
    std::size_t miss = SIZE_MAX;
    for (std::size_t i = 0; i < flows.size(); ++i)
        for (const Match& m : flows[i].matches)
            if (m.empty_mask() && flows[i].prio > miss_prio) {
                miss_prio = flows[i].prio;
                miss = i;
            }
    Expected e;
    for (std::size_t i = 0; i < flows.size(); ++i)
        for (const Match& m : flows[i].matches) {
            if (m.empty_mask() || flows[i].prio < miss_prio || !m.matches(k)) continue;
            if (flows[i].prio > e.priority) e.contents.clear();
            if (flows[i].prio >= e.priority) {
                e.priority = flows[i].prio;
                e.contents.insert(content_hash(ref.dp->program, ref.action[i]));
            }
        }
    if (e.contents.empty())
        e.contents.insert(content_hash(ref.dp->program, miss == SIZE_MAX ? kNoAction : ref.action[miss]));
    return e;
}

FlowKey random_key(std::mt19937_64& rng, const std::vector<LFlow>& flows) {
    Match k;
    k.set_u64(Field::EthDst, 1 + rng() % 400);
    k.set_u64(Field::Inport, 1 + rng() % 64);
    k.set_u64(Field::Reg0, 1 + rng() % 8);
    k.set_u64(Field::EthType, rng() % 4 ? 0x0800 : 0x86dd);
    k.set_u64(Field::Ip4Src, 0x0a000000u | (rng() % 4) << 16 | (rng() % 4) << 8 | (rng() % 4));
    k.set_u64(Field::Ip4Dst, static_cast<uint32_t>(10 + rng() % 4) << 24 | (rng() % 4) << 16 | (rng() % 4) << 8 | (rng() % 4));
    k.set_u64(Field::TpDst, 1 + rng() % 8);
    // Mostly on some rule's match, the other fields as they came.
    if (!flows.empty() && rng() % 4 != 0) {
        const LFlow& f = flows[rng() % flows.size()];
        const Match& m = f.matches[rng() % f.matches.size()];
        uint64_t* kw = key_words(k.value);
        for (unsigned w = 0; w < kKeyWords; ++w)
            kw[w] = (kw[w] & ~key_words(m.mask)[w]) | key_words(m.value)[w];
    }
    return k.value;
}

// The amended stage against a full build of the same flows, and both against the flows.
void expect_same(const Built& got, const Built& want, const std::vector<LFlow>& flows, std::mt19937_64& rng,
                 const std::string& where) {
    SCOPED_TRACE(where);
    const Stage* g = got.stage();
    const Stage* w = want.stage();
    ASSERT_EQ(g == nullptr, w == nullptr) << "elided in one build only";
    ASSERT_EQ(got.dp->pipe[0].compact_of, want.dp->pipe[0].compact_of);
    if (!w) return;
    EXPECT_EQ(stage_kind_name(g->kind), stage_kind_name(w->kind));
    EXPECT_EQ(g->n_rules, w->n_rules);
    EXPECT_EQ(g->digest(), w->digest());
    EXPECT_EQ(rules_digest(got.dp->program, *g), rules_digest(want.dp->program, *w));
    EXPECT_EQ(content(got.dp->program, g->miss_action), content(want.dp->program, w->miss_action));
    expect_dense_ids(*g);
    expect_dense_ids(*w);
    for (int i = 0; i < 64; ++i) {
        const FlowKey k = random_key(rng, flows);
        const Expected e = expected(flows, want, k);
        const Hit hg = g->lookup(k), hw = w->lookup(k);
        EXPECT_EQ(hw.priority, e.priority) << "the full build itself";
        EXPECT_TRUE(e.contents.count(content_hash(want.dp->program, hw.action))) << "the full build itself";
        ASSERT_EQ(hg.priority, e.priority) << "key " << i;
        EXPECT_TRUE(e.contents.count(content_hash(got.dp->program, hg.action))) << "key " << i;
        if (hg.priority >= 0) {
            EXPECT_LT(hg.rule, g->n_rules) << "a rule's hit counter is in range";
        }
        // The flow cache's premise: the wildcards a lookup reports are sound - any key equal
        // to k on the bits they name gets the same answer (stage-1 and prefix filters of an
        // amended table included).
        Wildcards wc;
        const Hit hk = g->lookup(k, &wc);
        for (int t = 0; t < 4; ++t) {
            FlowKey k2 = random_key(rng, flows);
            uint64_t* w2 = key_words(k2);
            const uint64_t* w1 = key_words(k);
            for (unsigned x = 0; x < kKeyWords; ++x) w2[x] = (w1[x] & wc.w[x]) | (w2[x] & ~wc.w[x]);
            const Hit h2 = g->lookup(k2);
            ASSERT_EQ(h2.priority, hk.priority) << "key " << i << ": the wildcards of its lookup are too wide";
            EXPECT_EQ(content_hash(got.dp->program, h2.action), content_hash(got.dp->program, hk.action)) << "key " << i;
        }
    }
    // Clone bodies of the amended code stay inside its block.
    const StageBlock& b = *got.block;
    for (uint32_t i = b.code_begin; i < b.code_end; ++i)
        if (got.dp->program.code[i].op == Op::Clone) {
            EXPECT_GE(got.dp->program.code[i].a, b.code_begin);
            EXPECT_LT(got.dp->program.code[i].a, b.code_end);
        }
}

// ---- random flows -------------------------------------------------------------------------

enum Family { kExactShaped, kMultiMask, kRoutes, kFamilies };

Match random_match(std::mt19937_64& rng, Family fam) {
    // Value ranges: some matches repeat (shadowing), most do not.
    const uint32_t a = static_cast<uint32_t>(10 + rng() % 4) << 24 | (rng() % 8) << 16 | (rng() % 8) << 8 | (rng() % 8);
    static constexpr unsigned kPlen[8] = {8, 16, 16, 24, 24, 32, 32, 32};
    switch (fam) {
        case kExactShaped:
            return Match{}.set_u64(Field::EthDst, 1 + rng() % 400);
        case kMultiMask:
            switch (rng() % 5) {
                case 0: return Match{}.set_u64(Field::EthDst, 1 + rng() % 400);
                case 1: return Match{}.set_u64(Field::Inport, 1 + rng() % 64);
                case 2: return Match{}.set_u64(Field::Reg0, 1 + rng() % 8).set_u64(Field::Inport, 1 + rng() % 64);
                case 3:  // a transport field too: the subtable stages its lookup (stage-1 filter)
                    return Match{}.set_u64(Field::Inport, 1 + rng() % 64).set_u64(Field::TpDst, 1 + rng() % 8);
                default: return ip4().set_ip4_prefix(Field::Ip4Src, a, 24);
            }
        default:
            if (rng() % 4 == 0) return Match{}.set_u64(Field::Inport, 1 + rng() % 64);
            return ip4().set_ip4_prefix(Field::Ip4Dst, a, kPlen[rng() % 8]);
    }
}

struct Gen {
    std::mt19937_64& rng;
    uint64_t next_tag = 1;
    LFlow flow(Family fam, const std::vector<LFlow>& existing) {
        LFlow f;
        f.tag = next_tag++;
        f.clone = rng() % 5 == 0;
        const unsigned r = static_cast<unsigned>(rng() % 20);
        if (r == 0) {  // another catch-all, maybe above the miss
            f.prio = static_cast<int32_t>(rng() % 30);
            f.matches.push_back(Match{});
            return f;
        }
        if (r == 1 && !existing.empty()) {  // a match some flow has (shadowing)
            const LFlow& o = existing[rng() % existing.size()];
            f.prio = static_cast<int32_t>(rng() % 40);
            f.matches.push_back(o.matches.front());
            return f;
        }
        const Family mf = r == 2 ? static_cast<Family>(rng() % kFamilies) : fam;  // sometimes a foreign mask
        const Match m = random_match(rng, mf);
        const int plen = std::popcount(static_cast<uint32_t>(load_be(key_bytes(m.mask) + SCS_KEY_OFF(ip4_dst), 4)));
        f.prio = mf == kRoutes && rng() % 3 != 0 ? 2 * plen + 1 : static_cast<int32_t>(rng() % 40);
        f.matches.push_back(m);
        if (rng() % 5 == 0) f.matches.push_back(random_match(rng, mf));
        return f;
    }
};

TEST(StageAmend, RandomChainsEqualFullBuilds) {
    std::mt19937_64 rng(20240611);
    std::map<std::string, unsigned> seen;  // how each amend went, to show every path ran
    for (int round = 0; round < 600; ++round) {
        const auto fam = static_cast<Family>(round % kFamilies);
        Gen gen{rng};
        std::vector<LFlow> flows;
        const unsigned n = static_cast<unsigned>(rng() % (round % 7 == 0 ? 3 : 30));
        for (unsigned i = 0; i < n; ++i) flows.push_back(gen.flow(fam, flows));
        if (rng() % 10 != 0) {
            LFlow miss;  // the stage's default `next;`
            miss.matches.push_back(Match{});
            flows.insert(flows.begin() + static_cast<std::ptrdiff_t>(rng() % (flows.size() + 1)), std::move(miss));
        }
        Built cur = build_full(flows, static_cast<unsigned>(rng() % 4));
        ASSERT_TRUE(cur.dp);
        for (int step = 0; step < 6; ++step) {
            const std::string where = fmt::format("round {} step {}", round, step);
            // The miss flow: the first highest catch-all. It is never removed here.
            std::size_t miss = SIZE_MAX;
            for (std::size_t i = 0; i < flows.size(); ++i)
                if (flows[i].matches.front().empty_mask() &&
                    (miss == SIZE_MAX || flows[i].prio > flows[miss].prio))
                    miss = i;
            std::vector<LFlow> kept, removed, added;
            const bool sweep = rng() % 8 == 0;  // remove everything removable
            const unsigned n_remove = sweep ? UINT32_MAX : static_cast<unsigned>(rng() % 4);
            std::vector<std::size_t> order(flows.size());
            std::iota(order.begin(), order.end(), 0);
            std::shuffle(order.begin(), order.end(), rng);
            std::set<std::size_t> gone;
            for (std::size_t i : order)
                if (i != miss && gone.size() < n_remove) gone.insert(i);
            for (std::size_t i = 0; i < flows.size(); ++i) (gone.count(i) ? removed : kept).push_back(flows[i]);
            const unsigned n_add = static_cast<unsigned>(rng() % 4);
            for (unsigned i = 0; i < n_add; ++i) added.push_back(gen.flow(fam, kept));

            const unsigned pad = static_cast<unsigned>(rng() % 4);
            Amended am = build_amended(cur, kept, removed, added, pad);
            std::vector<LFlow> now = kept;
            now.insert(now.end(), added.begin(), added.end());
            std::vector<LFlow> ref_flows = now;
            Built ref = build_full(ref_flows, static_cast<unsigned>(rng() % 4));
            ASSERT_TRUE(ref.dp);
            if (!am.built) {
                const Stage* old = cur.stage();
                EXPECT_TRUE(!old || !cur.block->amendable) << where << ": refused";
                ++seen[!old ? "refused: elided" : "refused: shadowed"];
                flows = std::move(ref_flows);
                cur = std::move(ref);
                continue;
            }
            ++seen[fmt::format("{} {} -> {}", am.rebuilt ? "rebuilt" : "in place", kind_of(cur), kind_of(*am.built))];
            expect_same(*am.built, ref, now, rng, where);
            if (HasFatalFailure()) return;
            flows = std::move(now);
            cur = std::move(*am.built);
        }
    }
    for (const auto& [what, n] : seen) std::printf("  %4u %s\n", n, what.c_str());
    for (const char* path : {"in place exact -> exact", "in place classifier -> classifier", "in place classifier -> exact",
                             "in place exact -> miss-only", "rebuilt exact -> classifier", "rebuilt exact -> lpm",
                             "rebuilt classifier -> lpm", "rebuilt classifier -> classifier", "rebuilt lpm -> lpm",
                             "rebuilt lpm -> classifier", "refused: elided",
                             "refused: shadowed", "in place miss-only -> miss-only", "in place classifier -> miss-only",
                             "in place exact -> elided", "rebuilt miss-only -> exact"})
        EXPECT_GT(seen[path], 0u) << path << " never ran";
}

// ---- directed cases -----------------------------------------------------------------------

LFlow rule(int32_t prio, Match m, uint64_t tag, bool clone = false) {
    LFlow f;
    f.prio = prio;
    f.matches.push_back(std::move(m));
    f.tag = tag;
    f.clone = clone;
    return f;
}

LFlow default_next() { return rule(0, Match{}, 0); }

struct Case {
    std::vector<LFlow> flows;
    Built built;
    std::mt19937_64 rng{7};
    explicit Case(std::vector<LFlow> f) : flows(std::move(f)) { built = build_full(flows, 1); }
    // Removes the flows with these tags, adds `added`; checks against a full build.
    Amended amend(const std::set<uint64_t>& remove_tags, std::vector<LFlow> added, unsigned pad = 2) {
        std::vector<LFlow> kept, removed;
        for (const LFlow& f : flows) (remove_tags.count(f.tag) ? removed : kept).push_back(f);
        Amended am = build_amended(built, kept, removed, added, pad);
        if (!am.built) return am;
        std::vector<LFlow> now = kept;
        now.insert(now.end(), added.begin(), added.end());
        std::vector<LFlow> ref_flows = now;
        const Built ref = build_full(ref_flows, 0);
        expect_same(*am.built, ref, now, rng, "directed");
        flows = std::move(now);
        built = *am.built;
        return am;
    }
    std::string kind() const { return kind_of(built); }
    std::size_t n_rules() const {
        const Stage* st = built.stage();
        return st ? st->n_rules : 0;
    }
};

std::vector<LFlow> eth_rules(int n, uint64_t tag0 = 100) {
    std::vector<LFlow> out;
    for (int i = 0; i < n; ++i)
        out.push_back(rule(50, Match{}.set_u64(Field::EthDst, 1 + static_cast<uint64_t>(i)), tag0 + static_cast<uint64_t>(i)));
    out.push_back(default_next());
    return out;
}

TEST(StageAmend, ExactStaysExactInPlace) {
    std::vector<LFlow> flows = eth_rules(20);
    flows[5].clone = true;  // its clone body moves with the copied code
    Case c(flows);
    ASSERT_EQ(c.kind(), "exact");
    const Amended am = c.amend({103, 107}, {rule(60, Match{}.set_u64(Field::EthDst, 99), 200, true)});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.kind(), "exact");
    EXPECT_EQ(c.n_rules(), 20u);
    // And again, from the amended block (chained), code moving the other way.
    const Amended again = c.amend({200}, {rule(60, Match{}.set_u64(Field::EthDst, 98), 201)}, 0);
    ASSERT_TRUE(again.built);
    EXPECT_FALSE(again.rebuilt);
}

TEST(StageAmend, ExactGetsANewMaskAsAFullBuildWould) {
    Case c(eth_rules(5));
    Amended am = c.amend({}, {rule(40, Match{}.set_u64(Field::Inport, 3), 300)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_EQ(c.kind(), "classifier");

    // Host routes are one mask (exact); a shorter prefix makes them an LPM table.
    std::vector<LFlow> hosts;
    for (uint32_t i = 1; i <= 4; ++i) hosts.push_back(rule(65, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000000 + i, 32), i));
    hosts.push_back(default_next());
    Case r(hosts);
    ASSERT_EQ(r.kind(), "exact");
    am = r.amend({}, {rule(49, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000000, 24), 400)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_EQ(r.kind(), "lpm");
}

TEST(StageAmend, ClassifierLosingAMaskBecomesExactThenMissOnly) {
    std::vector<LFlow> flows = eth_rules(3);
    flows.push_back(rule(70, Match{}.set_u64(Field::Inport, 1), 500));
    flows.push_back(rule(70, Match{}.set_u64(Field::Inport, 2), 501));
    Case c(flows);
    ASSERT_EQ(c.kind(), "classifier");
    Amended am = c.amend({500}, {});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.kind(), "classifier");
    am = c.amend({501}, {});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.kind(), "exact");
    const Stage* exact = c.built.stage();
    ASSERT_NE(exact, nullptr);
    EXPECT_TRUE(exact->residual.empty());
    // The last rules go: the default `next;` alone is elided, as a full build does.
    am = c.amend({100, 101}, {});
    ASSERT_TRUE(am.built);
    EXPECT_EQ(c.kind(), "exact");
    am = c.amend({102}, {});
    ASSERT_TRUE(am.built);
    EXPECT_EQ(c.built.stage(), nullptr);
    EXPECT_FALSE(c.built.block->amendable && c.built.block->stage >= 0);
}

TEST(StageAmend, NewRulesThatMayFormAnLpmTableAreRebuilt) {
    // Two masks, each rule with its own rest: amended in place; a second /24 route with
    // the same guard could form an LPM table (it does: priority falls with the prefix).
    std::vector<LFlow> flows = eth_rules(2);
    flows.push_back(rule(49, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000100, 24), 600));
    Case c(flows);
    ASSERT_EQ(c.kind(), "classifier");
    Amended am = c.amend({}, {rule(65, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000101, 32), 601)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_EQ(c.kind(), "lpm");
}

TEST(StageAmend, RoutesThatFormNoLpmTableStayInPlaceOnceAlone) {
    // Two routes with one guard whose priority grows as the prefix shortens: no LPM table
    // (one route kept), a classifier. An amend while both are there is rebuilt; one that
    // removes one of them leaves the other's guard its own again: in place.
    std::vector<LFlow> flows = eth_rules(2);
    flows.push_back(rule(10, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000100, 24), 1300));
    flows.push_back(rule(20, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000000, 16), 1301));
    Case c(flows);
    ASSERT_EQ(c.kind(), "classifier");
    Amended am = c.amend({}, {rule(50, Match{}.set_u64(Field::EthDst, 77), 1302)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    am = c.amend({1301}, {});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.kind(), "classifier");
    // The route back, now below the /24: an LPM table.
    am = c.amend({}, {rule(5, ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000000, 16), 1303)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_EQ(c.kind(), "lpm");
}

TEST(StageAmend, LpmStagesAreAmendedInPlaceWhileTheirRoutesStayInOrder) {
    // Routes under a guard (as lr_in_ip_routing's `reg7 == 0 && ip4.dst == P`), an outlier
    // in the residual classifier, a default route.
    auto route = [](uint32_t addr, unsigned plen, uint64_t tag) {
        return rule(static_cast<int32_t>(2 * plen + 1),
                    ip4().set_u64(Field::Reg7, 0).set_ip4_prefix(Field::Ip4Dst, addr, plen), tag, tag % 2 == 0);
    };
    std::vector<LFlow> flows;
    for (uint32_t i = 0; i < 6; ++i) flows.push_back(route(0x0a000000 | i << 8, 24, 1200 + i));
    flows.push_back(route(0x0a000101, 32, 1210));
    flows.push_back(route(0, 0, 1211));
    flows.push_back(rule(500, ip4().set_u64(Field::Ip4Dst, 0xe0000000, 0xf0000000), 1212));
    flows.push_back(rule(0, Match{}, 1213));
    Case c(flows);
    ASSERT_EQ(c.kind(), "lpm");
    ASSERT_TRUE(c.built.block->lpm_all_kept);
    // Routes whose priority falls as the prefix shortens: into the LPM table in place.
    Amended am = c.amend({1203, 1210}, {route(0x0a010000, 16, 1220), route(0x0a000205, 32, 1221)});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.kind(), "lpm");
    EXPECT_TRUE(c.built.block->amendable);
    EXPECT_TRUE(c.built.block->lpm_all_kept);
    // A /16 above the /24s' priority: a full build leaves it to the residual classifier
    // (and would evict nothing else); rebuilt so, and the stage is no longer all-kept.
    am = c.amend({}, {rule(60, ip4().set_u64(Field::Reg7, 0).set_ip4_prefix(Field::Ip4Dst, 0x0a020000, 16), 1222)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_EQ(c.kind(), "lpm");
    EXPECT_FALSE(c.built.block->lpm_all_kept);
    // While a route of the group sits in the residual, every amend is rebuilt.
    am = c.amend({1221}, {});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    am = c.amend({1222}, {});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(c.built.block->lpm_all_kept);
    // A route that would evict shorter ones (a /24 below the /16's priority) is rebuilt.
    am = c.amend({}, {route(0x0a000900, 24, 1223)});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    am = c.amend({}, {rule(20, ip4().set_u64(Field::Reg7, 0).set_ip4_prefix(Field::Ip4Dst, 0x0a000a00, 24), 1224)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    am = c.amend({1224}, {});
    ASSERT_TRUE(am.built);
    // Down to one route: no LPM table any more.
    am = c.amend({1200, 1201, 1202, 1204, 1205, 1211, 1220}, {});
    ASSERT_TRUE(am.built);
    EXPECT_EQ(c.kind(), "classifier");
    am = c.amend({1212}, {});
    ASSERT_TRUE(am.built);
    EXPECT_EQ(c.kind(), "exact");
}

TEST(StageAmend, CatchAllAboveTheMissRebuilds) {
    std::vector<LFlow> flows;
    for (int p : {10, 20, 30}) flows.push_back(rule(p, Match{}.set_u64(Field::Inport, static_cast<uint64_t>(p)), 700 + p));
    flows.push_back(rule(25, Match{}.set_u64(Field::EthDst, 5), 800));
    flows.push_back(default_next());
    Case c(flows);
    ASSERT_EQ(c.kind(), "classifier");
    Amended am = c.amend({}, {rule(25, Match{}, 900)});  // rules at 10, 20 now never match
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_EQ(c.n_rules(), 6u);
    EXPECT_EQ(c.built.block->miss_priority, 25);
    // A catch-all below the miss only counts.
    am = c.amend({}, {rule(3, Match{}, 901)});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.n_rules(), 7u);
    // Rules below the miss are dropped, but counted.
    am = c.amend({}, {rule(7, Match{}.set_u64(Field::Inport, 77), 902)});
    ASSERT_TRUE(am.built);
    EXPECT_FALSE(am.rebuilt);
    EXPECT_EQ(c.n_rules(), 8u);
    EXPECT_FALSE(c.amend({900}, {}).built) << "removing the miss is refused";
}

TEST(StageAmend, DuplicateMatchRebuildsAndLeavesTheStageUnamendable) {
    Case c(eth_rules(4));
    // The same match as tag 101's, at a higher priority: it wins, 101's rule is gone.
    Amended am = c.amend({}, {rule(90, Match{}.set_u64(Field::EthDst, 2), 1000)});
    ASSERT_TRUE(am.built);
    EXPECT_TRUE(am.rebuilt);
    EXPECT_FALSE(c.built.block->amendable);
    EXPECT_FALSE(c.amend({1000}, {}).built) << "101 would have to come back";
}

TEST(StageAmend, RefusedStagesLeaveTheBuilderAsItWas) {
    auto refused = [](const StageBlockPtr& block, std::vector<uint32_t> removed) {
        DatapathBuilder b = make(1);
        EXPECT_FALSE(b.amend(Pipe::Ingress, kT, block, std::move(removed), 0));
        // Nothing was appended or left open: the stage builds normally.
        b.default_next(Pipe::Ingress, kT);
        auto dp = b.build();
        ASSERT_TRUE(dp.ok()) << dp.error();
        EXPECT_EQ((*dp)->program.code.size(), 4u + 2u);  // the pad's list, the default `next;`
    };
    std::vector<LFlow> only_next{default_next()};
    refused(build_full(only_next, 0).block, {});  // elided
    std::vector<LFlow> routes;  // the same /24 twice (shadowed) in an LPM table
    for (unsigned plen : {8u, 16u, 24u, 24u})
        routes.push_back(rule(static_cast<int32_t>(plen), ip4().set_ip4_prefix(Field::Ip4Dst, 0x0a000000, plen), plen));
    routes.push_back(rule(1, Match{}.set_u64(Field::Inport, 1), 99));
    Built lpm = build_full(routes, 0);
    ASSERT_EQ(kind_of(lpm), "lpm");
    refused(lpm.block, {});
    std::vector<LFlow> dup = eth_rules(2);
    dup.push_back(rule(40, Match{}.set_u64(Field::EthDst, 1), 7));
    Built shadowed = build_full(dup, 0);
    EXPECT_FALSE(shadowed.block->amendable);
    refused(shadowed.block, {});
    std::vector<LFlow> plain = eth_rules(2);
    Built ok = build_full(plain, 0);
    refused(ok.block, {plain.back().rel});  // its miss
    // A forced kind is not known to the block's next build: refused too.
    DatapathBuilder fb = make(0);
    fb.force_kind(Pipe::Ingress, kT, StageKind::Classifier);
    fb.begin_block(Pipe::Ingress, kT);
    fb.flow(Pipe::Ingress, kT, 5, Match{}.set_u64(Field::Inport, 1), fb.actions(Pipe::Ingress, kT).drop().done());
    fb.end_block(Pipe::Ingress, kT);
    ASSERT_TRUE(fb.build().ok());
    refused(fb.block(Pipe::Ingress, kT), {});
}

TEST(StageAmend, BadArgumentsAreErrors) {
    std::vector<LFlow> flows = eth_rules(2);
    Built ok = build_full(flows, 0);
    DatapathBuilder b = make(0);
    EXPECT_FALSE(b.amend(Pipe::Ingress, kT, ok.block, {ok.block->code_end - ok.block->code_begin}, 1));
    EXPECT_FALSE(b.build().ok()) << "a removed action outside the block";
    DatapathBuilder b2 = make(0);
    EXPECT_FALSE(b2.amend(Pipe::Ingress, kT, ok.block, {}, 4));
    EXPECT_FALSE(b2.build().ok()) << "more flows removed than the stage had";
    DatapathBuilder b3 = make(0);
    ASSERT_TRUE(b3.amend(Pipe::Ingress, kT, ok.block, {}, 0));
    EXPECT_FALSE(b3.build().ok()) << "the amended block is never ended";
}

TEST(StageAmend, DeadCodeIsCountedAndCarried) {
    std::vector<LFlow> flows = eth_rules(3);
    flows.push_back(rule(60, Match{}.set_u64(Field::EthDst, 40), 1100, true));
    Case c(flows);
    EXPECT_EQ(c.built.block->dead_insns, 0u);
    // load, clone, next, End + the body's load, output, End.
    Amended am = c.amend({1100}, {});
    ASSERT_TRUE(am.built);
    EXPECT_EQ(c.built.block->dead_insns, 7u);
    am = c.amend({100}, {rule(61, Match{}.set_u64(Field::EthDst, 41), 1101)});
    ASSERT_TRUE(am.built);
    EXPECT_EQ(c.built.block->dead_insns, 7u + 3u);
    const uint32_t size = c.built.block->code_end - c.built.block->code_begin;
    // Adopted as it is: the count goes with it.
    DatapathBuilder b = make(3);
    b.adopt(Pipe::Ingress, kT, c.built.block);
    ASSERT_TRUE(b.build().ok());
    EXPECT_EQ(b.block(Pipe::Ingress, kT)->dead_insns, 10u);
    EXPECT_EQ(b.block(Pipe::Ingress, kT)->code_end - b.block(Pipe::Ingress, kT)->code_begin, size);
    EXPECT_TRUE(b.block(Pipe::Ingress, kT)->amendable);
}

// The tables' own editing: erase, insert after finalize, finalize again.
TEST(StageAmend, SubtableEraseAndInsertAfterFinalize) {
    Subtable st(Match{}.set_u64(Field::EthDst, 0).mask);
    for (uint32_t i = 0; i < 100; ++i) st.insert(Match{}.set_u64(Field::EthDst, i).value, static_cast<int32_t>(i), i, i);
    st.finalize();
    EXPECT_EQ(st.max_priority(), 99);
    EXPECT_EQ(st.erase_if([](std::span<const uint64_t>, int32_t, uint32_t a, uint32_t) { return a % 2 == 1; }), 50u);
    EXPECT_TRUE(st.insert(Match{}.set_u64(Field::EthDst, 1000).value, 5, 1000, 1000));
    EXPECT_FALSE(st.insert(Match{}.set_u64(Field::EthDst, 4).value, 1, 7, 7)) << "4 is still there";
    st.finalize();
    EXPECT_EQ(st.size(), 51u);
    EXPECT_EQ(st.max_priority(), 98);
    for (uint32_t i = 0; i < 100; ++i) {
        Hit h;
        EXPECT_EQ(st.lookup(Match{}.set_u64(Field::EthDst, i).value, h), i % 2 == 0) << i;
        if (i % 2 == 0) {
            EXPECT_EQ(h.action, i);
        }
    }
    Hit h;
    EXPECT_TRUE(st.lookup(Match{}.set_u64(Field::EthDst, 1000).value, h));
    EXPECT_EQ(h.action, 1000u);
}

}  // namespace
}  // namespace scs::engine
