// What a compile decided, as text to compare: per datapath its program size, per stage its
// structure, rule count and rules (Stage::digest()), its multicast groups' members, per flow
// its status and rule count. Two compiles of the same
// Southbound (incremental or from scratch) must give the same summary.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/compiler.h"

namespace scs::test {

inline std::string compile_summary(const compiler::CompileReport& rep) {
    std::vector<std::string> dps;
    for (const auto& d : rep.datapaths) {
        std::string s = fmt::format("datapath {}: {} insns, {} const bytes\n", d->dp->name, d->dp->program.code.size(),
                                    d->dp->program.consts.size());
        for (const auto& pl : d->dp->pipe)
            for (const auto& st : pl.stages)
                s += fmt::format("  stage {} {} {} rules {:016x}\n", st.name, engine::stage_kind_name(st.kind), st.n_rules,
                                 st.digest());
        for (const auto& g : d->dp->mcast)
            if (!g.members.empty()) s += fmt::format("  group {} {}\n", g.name, fmt::join(g.members, ","));
        std::vector<std::string> flows;
        for (const auto& f : d->flows)
            flows.push_back(fmt::format("  flow {} {} {} {}\n", f.uuid.to_string(), compiler::flow_status_name(f.status),
                                        f.n_matches, f.detail));
        std::sort(flows.begin(), flows.end());
        for (const auto& f : flows) s += f;
        dps.push_back(std::move(s));
    }
    std::sort(dps.begin(), dps.end());
    std::string out;
    for (const auto& s : dps) out += s;
    std::vector<std::string> claims(rep.claims.begin(), rep.claims.end());
    out += fmt::format("claims: {}\n", fmt::join(claims, " "));
    return out;
}

}  // namespace scs::test
