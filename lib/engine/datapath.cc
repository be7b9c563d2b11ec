#include "engine/datapath.h"

namespace scs::engine {

std::string_view stage_kind_name(StageKind k) {
    switch (k) {
        case StageKind::MissOnly: return "miss-only";
        case StageKind::Exact: return "exact";
        case StageKind::Lpm: return "lpm";
        case StageKind::Classifier: return "classifier";
    }
    return "invalid";
}

Stage Stage::shifted(uint32_t delta) const {
    Stage s;
    s.name = name;
    s.table_id = table_id;
    s.kind = kind;
    if (exact) {
        s.exact = std::make_unique<Subtable>(*exact);
        s.exact->shift_actions(delta);
    }
    if (lpm) {
        s.lpm = std::make_unique<LpmTable>(*lpm);
        s.lpm->shift_actions(delta);
    }
    s.residual = residual;
    s.residual.shift_actions(delta);
    s.miss_action = miss_action == kNoAction ? kNoAction : miss_action + delta;
    s.n_rules = n_rules;
    return s;
}

std::string_view Datapath::port_name(uint32_t key) const {
    if (key < port_names.size() && !port_names[key].empty()) return port_names[key];
    if (const MulticastGroup* g = group(key)) return g->name;
    return {};
}

}  // namespace scs::engine
