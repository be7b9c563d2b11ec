// What lowering a match asked the name resolver, and what it was told: a cached lowering
// (MatchCache, compile_datapath.h) stays valid exactly as long as every question still gets
// the same answer. This is the dependency tracking that lets one new port recompile only
// the flows that name it - the flows that do not mention it keep their lowered matches -
// where a hash of the whole datapath's name environment would invalidate all of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lflow/expr.h"

namespace scs::compiler {

struct ResolverDep {
    enum class Kind : uint8_t { Port, AddressSet, PortGroup, Resident };
    Kind kind;
    std::string name;
    uint64_t answer;  // DepCheck's encoding of what the resolver said
};
using ResolverDeps = std::vector<ResolverDep>;

// What changed, since a datapath's last compile, in what its name resolver answers from.
struct NameDelta {
    enum class Mode : uint8_t {
        Unknown,   // anything may have changed: every question is asked again
        Same,      // nothing changed
        PortKeys,  // only port and multicast-group keys: those of `ports` (added, removed or
                   // renumbered); address sets, port groups and residency are the same
    };
    Mode mode = Mode::Unknown;
    std::vector<std::string> ports;  // sorted

    bool port_changed(std::string_view name) const;
};

// Answers questions again, for one datapath's compile (set contents are hashed once each).
// Deps recorded (or last found to hold) in the compile numbered `epoch - 1` are judged by
// `delta`, which says what changed since that compile; older ones are asked again.
class DepCheck {
public:
    explicit DepCheck(const lflow::Resolver& r, uint64_t epoch = 0, const NameDelta* delta = nullptr)
        : r_(r), epoch_(epoch), delta_(delta && epoch > 0 ? delta : nullptr) {}
    const lflow::Resolver& resolver() const { return r_; }
    // The compile this check is for: what a dep list that holds is then marked with.
    uint64_t epoch() const { return epoch_; }

    uint64_t answer(ResolverDep::Kind k, std::string_view name) const;
    // Whether every dep still gets its answer; `checked`: the epoch the deps were recorded
    // or last held in.
    bool hold(const ResolverDeps& deps, uint64_t checked) const;

    static uint64_t encode(std::optional<uint32_t> key) { return key ? *key : uint64_t{1} << 40; }
    static uint64_t encode(bool b) { return b ? 1 : 0; }
    uint64_t encode(const std::vector<std::string>* set) const;  // 0: no such set

private:
    const lflow::Resolver& r_;
    uint64_t epoch_ = 0;
    const NameDelta* delta_ = nullptr;
    mutable std::unordered_map<const void*, uint64_t> set_hash_;
};

// A Resolver that answers through `check` and notes each distinct question in `out`.
class RecordingResolver final : public lflow::Resolver {
public:
    RecordingResolver(const DepCheck& check, ResolverDeps& out) : check_(check), out_(out) {}

    std::optional<uint32_t> port_key(std::string_view name) const override;
    const std::vector<std::string>* address_set(std::string_view name) const override;
    const std::vector<std::string>* port_group(std::string_view name) const override;
    bool chassis_resident(std::string_view port) const override;

private:
    void note(ResolverDep::Kind k, std::string_view name, uint64_t answer) const;
    const DepCheck& check_;
    ResolverDeps& out_;
    mutable std::unordered_set<std::string> seen_;  // kind letter + name
};

}  // namespace scs::compiler
