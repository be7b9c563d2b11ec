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

std::string_view Datapath::port_name(uint32_t key) const {
    if (key < port_names.size() && !port_names[key].empty()) return port_names[key];
    if (const MulticastGroup* g = group(key)) return g->name;
    return {};
}

}  // namespace scs::engine
