// A compiled logical datapath: its ingress and egress pipelines, its action program and its
// port table. Immutable once built; shared by every table generation it is unchanged in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/compiler.h"
#include "engine/action.h"
#include "engine/table.h"

namespace scs::engine {

enum class Pipe : uint8_t { Ingress = 0, Egress = 1 };

enum class StageKind : uint8_t {
    MissOnly,    // no rule but the stage's default action
    Exact,       // one mask: ExactTable
    Lpm,         // LpmTable + residual classifier
    Classifier,  // generic
};
std::string_view stage_kind_name(StageKind k);

struct Stage {
    std::string name;      // e.g. "ls_in_l2_lkup"
    uint8_t table_id = 0;  // OVN's logical table number in its pipeline
    StageKind kind = StageKind::MissOnly;
    std::unique_ptr<Subtable> exact;
    std::unique_ptr<LpmTable> lpm;
    Classifier residual;
    uint32_t miss_action = kNoAction;  // run when nothing matches; kNoAction = NoMatch drop
    std::size_t n_rules = 0;

    Stage() = default;
    Stage(Stage&&) = default;
    Stage& operator=(Stage&&) = default;
    // A deep copy whose action offsets (rules and miss action) are `delta` (mod 2^32) further.
    Stage shifted(uint32_t delta) const;

    // Every rule's lookup structure: the specialised one, then the residual classifier.
    template <typename F>
    void for_each_subtable(F&& f) const {
        if (exact) f(*exact);
        if (lpm)
            for (const Subtable& st : lpm->subtables()) f(st);
        for (const Subtable& st : residual.subtables()) f(st);
    }

    // The rules' digest (table.h), independent of the order they were built in. For tests.
    uint64_t digest() const {
        uint64_t d = residual.digest();
        if (exact) d += exact->digest();
        if (lpm) d += lpm->digest();
        return d;
    }

    SCS_ALWAYS_INLINE Hit lookup(const FlowKey& k, Wildcards* wc = nullptr) const {
        Hit h;
        switch (kind) {
            case StageKind::Exact:
                exact->lookup(k, h, wc);
                break;
            case StageKind::Lpm:
                lpm->lookup(k, h, wc);
                residual.lookup(k, h, wc);
                break;
            case StageKind::Classifier:
                residual.lookup(k, h, wc);
                break;
            case StageKind::MissOnly:
                break;
        }
        if (h.action == kNoAction) h.action = miss_action;
        return h;
    }
};

struct Pipeline {
    std::vector<Stage> stages;            // default-only stages removed
    std::vector<uint16_t> compact_of;     // OVN table id -> index of the first kept stage
                                          // at or after it (stages.size() = past the end)
    uint8_t n_logical_tables = 0;
};

enum class PortKind : uint8_t {
    None = 0,  // key not known on this chassis: output drops with UnknownOutport
    Vif,       // a logical port bound to a local DPDK port
    Patch,     // peer of a logical router/switch port: continue in the peer datapath
    Remote,    // bound on another chassis: Geneve to it
    Localnet,  // provider network through a local DPDK port, optionally VLAN tagged
    Redirect,  // chassisredirect port resident here: continue as its distributed port
               // (peer_port) in this datapath's egress pipeline, as ovn-controller does
    ViaLocalnet,  // bound on another chassis, on a switch with a local localnet port: the
                  // packet leaves by the provider network - continue as the localnet port
                  // (peer_port) in this datapath's egress pipeline; never a flood target
                  // (the localnet port is a member itself), never tunnelled (ovn-controller's
                  // "remote port connected by localnet port", physical.c)
};

// PortEntry::flags
inline constexpr uint8_t kPortLocalport = 1 << 0;  // type "localport": present on every chassis

struct PortEntry {
    PortKind kind = PortKind::None;
    uint8_t flags = 0;       // kPort*
    uint16_t tx_port = 0;    // Vif, Localnet: DPDK port id (a child port: its parent's)
    uint16_t vlan = 0;       // Localnet, Vif: VLAN id to push (0: untagged); a Vif with a
                             // tag is a child port (parent_port + tag) on its parent's VIF
    uint16_t tunnel = 0;     // Remote: tunnel id in the generation
    uint32_t peer_dp = 0;    // Patch: tunnel key of the peer datapath
    uint32_t peer_port = 0;  // Patch: port key of the peer port; Redirect: distributed port;
                             // ViaLocalnet: the localnet port

    // Output to this port continues as port `peer_port` of the same datapath (Redirect,
    // ViaLocalnet): the egress pipeline runs with that outport.
    bool stands_for_peer() const { return kind == PortKind::Redirect || kind == PortKind::ViaLocalnet; }
    bool localport() const { return flags & kPortLocalport; }
    // Whether a flood reaches this member when only local delivery is done (a packet from a
    // tunnel, or from a localport): ovn-controller delivers to patch and localport members,
    // and tunnels to remote ones, only for floods that started on this chassis (physical.c
    // puts them in table 39, which tunnel-received packets skip).
    bool local_flood_member() const {
        return kind != PortKind::Remote && kind != PortKind::Patch && !localport();
    }
};

struct MulticastGroup {
    std::string name;
    std::vector<uint32_t> members;  // port keys (any kind; remote members tunnel once per chassis)
};

struct Program {
    std::vector<Insn> code;
    std::vector<uint8_t> consts;
};

struct Datapath {
    std::string name;
    uint32_t tunnel_key = 0;  // Datapath_Binding.tunnel_key = Geneve VNI
    bool is_router = false;
    Pipeline pipe[2];
    Program program;
    std::vector<PortEntry> ports;        // indexed by port key (0..32767)
    std::vector<std::string> port_names;
    std::vector<MulticastGroup> mcast;   // indexed by key - 32768
    uint32_t unimplemented_insns = 0;    // how many Unimplemented instructions the program has

    SCS_ALWAYS_INLINE const PortEntry* port(uint32_t key) const {
        return key < ports.size() ? &ports[key] : nullptr;
    }
    SCS_ALWAYS_INLINE const MulticastGroup* group(uint32_t key) const {
        if (key < kMcastBase) return nullptr;
        const uint32_t i = key - kMcastBase;
        return i < mcast.size() && !mcast[i].members.empty() ? &mcast[i] : nullptr;
    }
    std::string_view port_name(uint32_t key) const;

    static constexpr uint32_t kMcastBase = 32768;
};

using DatapathPtr = std::shared_ptr<const Datapath>;

}  // namespace scs::engine
