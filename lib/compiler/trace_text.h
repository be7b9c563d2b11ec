// A traced packet's steps in words: each stage it passed with the logical flow that matched
// (stage, priority, match, actions, Southbound UUID), and where it ended - what
// `scs-dpctl trace` prints and what tests print when a packet goes astray.
#pragma once

#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "engine/exec.h"

namespace scs::compiler {

std::vector<std::string> trace_text(const engine::TraceLog& log, const engine::Generation& gen,
                                    const CompileReport& report);

}  // namespace scs::compiler
