// What a compile decided, as text to compare: per datapath, per stage its
// structure, rule count, rules (Stage::digest()) and what each rule's actions do, its
// multicast groups' members, per flow its status, rule count and actions; the warnings. Actions are
// digested by content (instructions, constants, clone bodies), not by offset: two compiles
// of the same Southbound (incremental, with stages adopted from earlier builds, or from
// scratch) must give the same summary.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/mix.h"
#include "compiler/compiler.h"

namespace scs::test {

// What the action list at `at` does, independent of where it and its constants are.
inline uint64_t action_digest(const engine::Program& p, uint32_t at, int depth = 0) {
    if (at == engine::kNoAction) return 0x5eed;
    uint64_t h = 0x1234;
    for (uint32_t i = at; i < p.code.size() && depth < 8; ++i) {
        const engine::Insn& x = p.code[i];
        h = mix64(h ^ (static_cast<uint64_t>(x.op) | static_cast<uint64_t>(x.flags) << 8 |
                       static_cast<uint64_t>(x.off) << 16 | static_cast<uint64_t>(x.len) << 32 |
                       static_cast<uint64_t>(x.c) << 48));
        if (x.op == engine::Op::Load) {
            for (uint32_t k = 0; k < 2u * x.len && x.a + k < p.consts.size(); ++k) h = mix64(h ^ p.consts[x.a + k]);
        } else if (x.op == engine::Op::Select) {
            h = mix64(h ^ x.b);
            for (uint32_t k = 0; k < x.c * sizeof(engine::SelectMember) && x.a + k < p.consts.size(); ++k)
                h = mix64(h ^ p.consts[x.a + k]);
        } else if (x.op == engine::Op::Clone) {
            h = mix64(h ^ action_digest(p, x.a, depth + 1));
        } else {
            h = mix64(h ^ (x.a | static_cast<uint64_t>(x.b) << 32));
        }
        if (x.op == engine::Op::End) break;
    }
    return h;
}

// Every rule of a stage with what its actions do, order-independent.
inline uint64_t stage_actions_digest(const engine::Program& p, const engine::Stage& st) {
    uint64_t d = action_digest(p, st.miss_action);
    st.for_each_subtable([&](const engine::Subtable& t) {
        t.for_each_rule([&](std::span<const uint64_t> values, int32_t prio, uint32_t action, uint32_t) {
            uint64_t h = mix64(static_cast<uint32_t>(prio));
            for (uint64_t v : values) h = mix64(h ^ v);
            d += mix64(h ^ action_digest(p, action));
        });
    });
    return d;
}

inline std::string compile_summary(const compiler::CompileReport& rep) {
    std::vector<std::string> dps;
    for (const auto& d : rep.datapaths) {
        // Not the program's size: an amended stage keeps its removed flows' code (dead, never
        // reached) until it is built whole again. What every rule and flow runs is below.
        std::string s = fmt::format("datapath {}\n", d->dp->name);
        for (const auto& pl : d->dp->pipe)
            for (const auto& st : pl.stages)
                s += fmt::format("  stage {} {} {} rules {:016x} actions {:016x}\n", st.name,
                                 engine::stage_kind_name(st.kind), st.n_rules, st.digest(),
                                 stage_actions_digest(d->dp->program, st));
        for (const auto& g : d->dp->mcast)
            if (!g.members.empty()) s += fmt::format("  group {} {}\n", g.name, fmt::join(g.members, ","));
        std::vector<std::string> flows;
        for (const auto& f : d->flows)
            flows.push_back(fmt::format("  flow {} {} {} {} actions {:016x}\n", f.uuid.to_string(),
                                        compiler::flow_status_name(f.status), f.n_matches, f.detail(),
                                        action_digest(d->dp->program, f.action)));
        std::sort(flows.begin(), flows.end());
        for (const auto& f : flows) s += f;
        dps.push_back(std::move(s));
    }
    std::sort(dps.begin(), dps.end());
    std::string out;
    for (const auto& s : dps) out += s;
    std::vector<std::string> warnings = rep.warnings;
    std::sort(warnings.begin(), warnings.end());
    for (const auto& w : warnings) out += fmt::format("warning: {}\n", w);
    std::vector<std::string> claims(rep.claims.begin(), rep.claims.end());
    out += fmt::format("claims: {}\n", fmt::join(claims, " "));
    return out;
}

}  // namespace scs::test
