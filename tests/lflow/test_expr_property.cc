// Property: for every match of the real Southbound flows in tests/fixtures/lflow/sb-dump-flows.tsv
// and for random expressions built from the symbol table, the lowered engine matches agree
// with the reference evaluator: eval(e, key) == any(m.matches(key) for m in to_matches(e)),
// on random keys and on keys built from the expression's own constants (so that they hit).
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "lflow/expr.h"
#include "lflow/expr_resolve.h"
#include "lflow_test_util.h"

using namespace scs;
using namespace scs::lflow;
using scs::lflow::test::FakeResolver;

namespace {

// Names used by the fixture's flows (grep of tests/fixtures/lflow/sb-dump-flows.tsv). Some
// ports are left out on purpose: a name not in the datapath must equal no port.
FakeResolver fixture_resolver() {
    FakeResolver r;
    uint32_t key = 1;
    for (const char* p : {"cr-lr0-public", "ext-lr0", "ln-public", "lr0-ext", "lr0-ls1",
                          "lr0-ls2", "lr0-public", "lr0-sw0", "lr0-sw1", "ls1-lr0", "ls2-lr0",
                          "provnet-physnet1", "public-lr0-public", "sw0-lr0-sw0", "sw0-p1",
                          "sw0-p2", "sw1-lr0-sw1", "sw1-p1", "vm1", "vm2", "vm3", "vm4"}) {
        r.ports[p] = key++;
    }
    // Not in this datapath: "cr-lr0-ext", "none", "sw1-p2", "vm5", "vm6".
    r.groups["pg-ssh"] = {"vm1", "vm3", "vm5"};
    r.groups["pg"] = {"sw0-p1", "sw0-p2"};
    r.sets["_rtr_lb_3_ip4"] = {"172.24.4.100", "192.168.0.0/24"};
    r.sets["_rtr_lb_4_ip4"] = {"10.0.0.1"};
    r.sets["svc_monitor_mac"] = {"fe:d1:7c:3b:a1:0d"};
    r.sets["as"] = {"10.0.0.1", "10.0.1.0/24", "1.2.3.4"};
    r.sets["as6"] = {"fe80::1", "2001:db8::/32"};
    r.sets["macs"] = {"00:00:00:00:00:01", "0a:00:00:00:00:00"};
    r.resident = {"cr-lr0-public"};
    return r;
}

// A constant the expression compares some key bits with.
struct Probe {
    detail::Operand op;
    Value value;
    Value mask;
};

void collect(const Expr& e, const Resolver& r, std::vector<Probe>& out, int depth = 0) {
    if (depth > 20) return;
    for (const ExprPtr& s : e.sub) collect(*s, r, out, depth + 1);
    if (e.kind != Expr::Kind::Cmp) return;
    if (e.sym->kind == Symbol::Kind::Predicate) {
        if (const Expr* x = detail::predicate_expr(*e.sym)) collect(*x, r, out, depth + 1);
        return;
    }
    if (const Expr* p = detail::prereq_expr(*e.sym)) collect(*p, r, out, depth + 1);
    auto o = detail::operand(e);
    auto rhs = detail::resolve_rhs(e, r);
    if (!o || !rhs) return;
    for (const Constant& c : rhs->ints) out.push_back({*o, c.value, c.mask});
    for (const auto& p : rhs->ports) {
        if (!p) continue;
        Probe pr{*o, {}, {}};
        for (unsigned i = 0; i < 32; ++i) {
            pr.value.set_bit(i, (*p >> i) & 1);
            pr.mask.set_bit(i, true);
        }
        out.push_back(pr);
    }
}

void write_bits(engine::FlowKey& k, const Probe& p, std::mt19937_64& rng) {
    const engine::FieldInfo& fi = engine::field_info(p.op.field);
    uint8_t* b = engine::key_bytes(k) + fi.offset;
    for (unsigned i = 0; i < p.op.n_bits; ++i) {
        const unsigned bit = p.op.bit + i;
        const bool on = p.mask.bit(i) ? p.value.bit(i) : (rng() & 1);
        uint8_t& byte = b[fi.width - 1 - bit / 8];
        const auto m = static_cast<uint8_t>(1u << (bit % 8));
        byte = static_cast<uint8_t>(on ? byte | m : byte & ~m);
    }
}

void random_key(engine::FlowKey& k, std::mt19937_64& rng) {
    uint64_t* w = engine::key_words(k);
    for (std::size_t i = 0; i < engine::kKeyWords; ++i) w[i] = rng();
}

// Checks eval == any(matches) on `n` keys; returns the number of disagreements (reports the
// first few) and counts hits.
int check(const std::string& text, const Expr& e, const std::vector<engine::Match>& ms,
          const Resolver& r, std::mt19937_64& rng, int n, int& hits) {
    std::vector<Probe> probes;
    collect(e, r, probes);
    int bad = 0;
    engine::FlowKey k{};
    for (int i = 0; i < n; ++i) {
        random_key(k, rng);
        const int mode = static_cast<int>(rng() % 4);
        if (mode == 0 && !ms.empty()) {
            // Inside one match, then maybe a bit flipped under its mask.
            const engine::Match& m = ms[rng() % ms.size()];
            uint8_t* kb = engine::key_bytes(k);
            const uint8_t* vb = engine::key_bytes(m.value);
            const uint8_t* mb = engine::key_bytes(m.mask);
            for (std::size_t b = 0; b < engine::kKeyBytes; ++b) {
                kb[b] = static_cast<uint8_t>((kb[b] & ~mb[b]) | vb[b]);
            }
            if (rng() & 1) {
                for (int tries = 0; tries < 64; ++tries) {
                    const std::size_t b = rng() % engine::kKeyBytes;
                    const auto bit = static_cast<uint8_t>(1u << (rng() % 8));
                    if (mb[b] & bit) {
                        kb[b] ^= bit;
                        break;
                    }
                }
            }
        } else if (mode >= 1 && !probes.empty()) {
            // Some of the expression's own constants, each maybe with one bit off.
            for (const Probe& p : probes) {
                if (rng() % 3 == 0) continue;
                Probe q = p;
                if (rng() % 8 == 0) {
                    const unsigned bit = static_cast<unsigned>(rng() % p.op.n_bits);
                    q.value.set_bit(bit, !q.value.bit(bit));
                }
                write_bits(k, q, rng);
            }
        }
        Result<bool> ev = eval(e, k, r);
        if (!ev.ok()) {
            ADD_FAILURE() << text << ": eval failed: " << ev.error();
            return 1;
        }
        bool any = false;
        for (const auto& m : ms) any |= m.matches(k);
        hits += any;
        if (*ev != any) {
            if (++bad <= 3) {
                std::string hit;
                for (const auto& m : ms)
                    if (m.matches(k)) hit = test::show(m);
                ADD_FAILURE() << text << ": eval=" << *ev << " matches=" << any
                              << (hit.empty() ? "" : " (by " + hit + ")");
            }
        }
    }
    return bad;
}

std::vector<std::string> fixture_matches() {
    std::ifstream in(std::string(SCS_LFLOW_FIXTURES) + "/sb-dump-flows.tsv");
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        out.push_back(line.substr(0, line.find('\t')));
    }
    return out;
}

}  // namespace

TEST(ExprProperty, EverySouthboundFlowParsesAndLowersFaithfully) {
    const std::vector<std::string> flows = fixture_matches();
    ASSERT_EQ(flows.size(), 371u);
    const FakeResolver r = fixture_resolver();
    std::mt19937_64 rng(12345);
    int parse_failures = 0, lower_failures = 0, disagreements = 0, hits = 0, never = 0;
    std::size_t total_matches = 0;
    for (const std::string& text : flows) {
        Result<ExprPtr> e = parse_expr(text);
        if (!e.ok()) {
            ++parse_failures;
            ADD_FAILURE() << "parse: " << text << "\n  " << e.error();
            continue;
        }
        // The printed form parses back to the same tree text.
        const std::string printed = to_string(**e);
        Result<ExprPtr> again = parse_expr(printed);
        EXPECT_TRUE(again.ok()) << text << " -> " << printed;
        if (again.ok()) {
            EXPECT_EQ(to_string(**again), printed);
        }

        auto ms = to_matches(**e, r);
        if (!ms.ok()) {
            ++lower_failures;
            ADD_FAILURE() << "to_matches: " << text << "\n  " << ms.error();
            continue;
        }
        total_matches += ms->size();
        never += ms->empty();
        int h = 0;
        disagreements += check(text, **e, *ms, r, rng, 2000, h);
        hits += h;
    }
    EXPECT_EQ(parse_failures, 0);
    EXPECT_EQ(lower_failures, 0);
    EXPECT_EQ(disagreements, 0);
    // The targeted keys do hit: most flows match some of them.
    EXPECT_GT(hits, 371 * 200);
    std::printf("%zu flows, %zu engine matches, %d never match here, %d key hits\n",
                flows.size(), total_matches, never, hits);
}

namespace {

// Random expressions from the symbol table.
class Gen {
public:
    explicit Gen(std::mt19937_64& rng) : rng_(rng) {
        for (const Symbol& s : SymbolTable::ovn().all()) {
            if (s.kind == Symbol::Kind::Predicate || s.ref) syms_.push_back(&s);
        }
    }

    // `neg`: under an odd number of `!` (string fields may then only be tested with !=).
    std::string expr(int depth, bool neg = false) {
        const unsigned k = static_cast<unsigned>(rng_() % 10);
        if (depth <= 0 || k < 5) return leaf(neg);
        if (k == 5) {
            std::string s = "!(";
            s += expr(depth - 1, !neg);
            s += ")";
            return s;
        }
        const char* op = k < 8 ? " && " : " || ";
        std::string s = "(";
        s += expr(depth - 1, neg);
        const unsigned n = 1 + static_cast<unsigned>(rng_() % 3);
        for (unsigned i = 0; i < n; ++i) {
            s += op;
            s += expr(depth - 1, neg);
        }
        return s + ")";
    }

private:
    std::string constant(unsigned width, bool allow_mask) {
        Value v;
        const unsigned style = static_cast<unsigned>(rng_() % 3);
        for (unsigned i = 0; i < width; ++i) {
            // Mostly small values or all-ones-ish ones, so predicates' constants get hit.
            const bool on = style == 0 ? (i < 3 && (rng_() & 1)) : style == 1 ? (rng_() & 1) : (rng_() % 8 != 0);
            v.set_bit(i, on);
        }
        auto hex = [](const Value& x) {
            char buf[40];
            for (unsigned i = 0; i < 16; ++i) snprintf(buf + 2 * i, 3, "%02x", x.be[i]);
            std::string digits(buf, 32);
            const std::size_t first = digits.find_first_not_of('0');
            std::string out = "0x";
            out += first == std::string::npos ? std::string("0") : digits.substr(first);
            return out;
        };
        if (allow_mask && rng_() % 4 == 0) {
            Value m;
            for (unsigned i = 0; i < width; ++i) m.set_bit(i, rng_() % 3 != 0);
            return hex(v) + "/" + hex(m);
        }
        return hex(v);
    }

    std::string leaf(bool neg) {
        const unsigned k = static_cast<unsigned>(rng_() % 20);
        if (k == 0) return rng_() & 1 ? "1" : "0";
        if (k == 1) return rng_() & 1 ? "is_chassis_resident(\"cr-lr0-public\")" : "is_chassis_resident(\"x\")";
        const Symbol& s = *syms_[rng_() % syms_.size()];
        if (s.kind == Symbol::Kind::Predicate) {
            return rng_() & 1 ? s.name : s.name + (rng_() & 1 ? " == 0" : " == 1");
        }
        if (s.type == SymbolType::String) {
            const char* rhs[] = {"\"vm1\"", "\"vm5\"", "@pg-ssh", "{\"vm2\", \"vm3\"}", "\"sw0-p1\""};
            return fmt::format("{} {} {}", s.name, neg ? "!=" : "==", rhs[rng_() % 5]);
        }
        if (s.format == Format::Ipv4 && rng_() % 3 == 0) return s.name + " == $as";
        if (s.format == Format::Ethernet && rng_() % 3 == 0) return s.name + " != $macs";
        std::string field = s.name;
        unsigned width = s.width;
        if (!s.nominal && width > 1 && rng_() % 2) {
            const unsigned lo = static_cast<unsigned>(rng_() % width);
            const unsigned hi = lo + static_cast<unsigned>(rng_() % std::min(8u, width - lo));
            field = fmt::format("{}[{}..{}]", s.name, lo, hi);
            width = hi - lo + 1;
        }
        if (width == 1 && rng_() % 2) return field;
        const unsigned r = static_cast<unsigned>(rng_() % (s.nominal ? 3 : 7));
        switch (r) {
        case 0: return fmt::format("{} == {}", field, constant(width, true));
        case 1: return fmt::format("{} != {}", field, constant(width, true));
        case 2: {
            const std::string a = constant(width, true);
            return fmt::format("{} == {{{}, {}}}", field, a, constant(width, true));
        }
        case 3: return fmt::format("{} < {}", field, constant(width, false));
        case 4: return fmt::format("{} >= {}", field, constant(width, false));
        case 5: {
            const std::string a = constant(width, false);
            return fmt::format("{} <= {} <= {}", a, field, constant(width, false));
        }
        default: return fmt::format("{} > {}", field, constant(width, false));
        }
    }

    std::mt19937_64& rng_;
    std::vector<const Symbol*> syms_;
};

}  // namespace

TEST(ExprProperty, RandomExpressionsFromTheSymbolTable) {
    std::mt19937_64 rng(777);
    Gen gen(rng);
    const FakeResolver r = fixture_resolver();
    int lowered = 0, too_big = 0, disagreements = 0, hits = 0;
    for (int n = 0; n < 1500; ++n) {
        const std::string text = gen.expr(3);
        Result<ExprPtr> e = parse_expr(text);
        if (!e.ok()) {
            ADD_FAILURE() << "generated expression does not parse: " << text << "\n  " << e.error();
            continue;
        }
        MatchLimits l;
        l.max_conjunctions = 4096;
        auto ms = to_matches(**e, r, l);
        if (!ms.ok()) {
            EXPECT_NE(ms.error().find("conjunctions"), std::string::npos) << text << ": " << ms.error();
            ++too_big;
            continue;
        }
        ++lowered;
        disagreements += check(text, **e, *ms, r, rng, 300, hits);
    }
    EXPECT_EQ(disagreements, 0);
    EXPECT_GT(lowered, 1000);
    EXPECT_GT(hits, 1000 * 20);
    std::printf("%d random expressions lowered, %d over the limit, %d key hits\n", lowered,
                too_big, hits);
}
