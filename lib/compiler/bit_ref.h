// A bit range of an engine field, resolved from a logical-flow field or subfield.
#pragma once

#include "common/result.h"
#include "engine/field.h"
#include "lflow/actions.h"

namespace scs::compiler {

struct BitRef {
    engine::Field field = engine::Field::Count;
    unsigned bit = 0;
    unsigned n_bits = 0;
};

// `reg0[16..31]` -> (Reg0, 16, 16); fails for fields the engine does not carry.
Result<BitRef> resolve(const lflow::LValue& lv);

}  // namespace scs::compiler
