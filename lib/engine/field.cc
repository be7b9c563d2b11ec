#include "engine/field.h"

namespace scs::engine {

std::optional<Field> field_by_name(std::string_view name) {
    for (unsigned i = 0; i < static_cast<unsigned>(Field::Count); ++i)
        if (kFieldInfo[i].name == name) return static_cast<Field>(i);
    return std::nullopt;
}

}  // namespace scs::engine
