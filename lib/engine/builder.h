// Building a Datapath on the control side: action lists, flows per stage, ports, groups.
//
// This is the interface the logical-flow compiler lowers into, and what tests use to write
// OVN-shaped pipelines by hand. build() chooses each stage's lookup structure from the shape
// of its flows (see table.h), removes stages whose only flow is the default `next;`, and
// resolves `next` targets to the kept stages. Nothing here runs on a worker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/drop_reason.h"
#include "common/result.h"
#include "engine/datapath.h"
#include "engine/match.h"

namespace scs::engine {

class DatapathBuilder;

// Appends one action list to a datapath's program. Each call adds one instruction.
class ActionBuilder {
public:
    ActionBuilder& load(Field f, uint64_t value);                         // whole field, host order
    ActionBuilder& load_bytes(Field f, std::span<const uint8_t> value);    // whole field, raw bytes
    ActionBuilder& load_bits(Field f, unsigned bit, unsigned n_bits, uint64_t value);
    ActionBuilder& move(Field dst, Field src);                             // equal widths
    ActionBuilder& move_bits(Field dst, unsigned dst_bit, Field src, unsigned src_bit, unsigned n);
    // Any bit range of any field: value and mask are the field's network-order bytes.
    ActionBuilder& load_masked(Field f, std::span<const uint8_t> value, std::span<const uint8_t> mask);
    ActionBuilder& exchange(Field a, Field b);
    ActionBuilder& exchange_bits(Field a, unsigned a_bit, Field b, unsigned b_bit, unsigned n);
    ActionBuilder& next();                                                 // the following table
    ActionBuilder& next(Pipe pipe, uint8_t table);
    ActionBuilder& output();
    ActionBuilder& drop(DropReason why = DropReason::LogicalDrop);
    ActionBuilder& dec_ttl();
    ActionBuilder& unimplemented(Unimpl what);
    // R = select(ID=W, ...): bits [bit, bit + n_bits) of `dst` = one member's id, chosen by
    // a hash of the packet's addresses, protocol and ports, in proportion to the weights.
    ActionBuilder& select(Field dst, unsigned bit, unsigned n_bits, std::span<const std::pair<uint32_t, uint32_t>> id_weight);
    // clone { ... }: `body` is an action list built before (its offset from done()).
    ActionBuilder& clone(uint32_t body);
    // Ends the list (appends End, marks tail calls) and returns its offset for flow().
    uint32_t done();

private:
    friend class DatapathBuilder;
    ActionBuilder(DatapathBuilder& b, Pipe pipe, uint8_t table);
    Insn& emit(Op op);
    ActionBuilder& next_to(Pipe pipe, uint16_t table);
    DatapathBuilder& b_;
    Pipe pipe_;
    uint8_t table_;
    uint32_t start_;
};

// Where one stage of a built datapath is: its stage in the pipeline (none when elided, i.e.
// only the default `next;`) and the range of the program its rules' action lists occupy.
// The compiler keeps it across generations and adopts the stage into the next build of its
// datapath while the stage's flows and what they resolved stay the same: adopting copies the
// tables and the code from the datapath it points into (a copy and one add per rule, instead
// of lowering and inserting every flow again). Holding it keeps that datapath alive.
//
// A stage that changed by a few flows is amended instead (DatapathBuilder::amend()): what
// amend() needs to know of how the stage was built is kept here, on the control side.
struct StageBlock {
    DatapathPtr dp;
    Pipe pipe = Pipe::Ingress;
    int32_t stage = -1;  // index in dp->pipe[pipe].stages; -1: elided
    uint32_t code_begin = 0, code_end = 0, const_begin = 0, const_end = 0;
    uint32_t unimplemented = 0;  // Unimplemented instructions in the range
    // Instructions in the range that no rule reaches any more: the action lists amend()
    // removed (each through its End, with the clone bodies it calls), summed over the
    // amends since the stage was last built whole. Counted from the code, so a clone body
    // shared with a flow still present counts as dead too. The caller decides when dead
    // code dominates enough to build the stage whole again.
    uint32_t dead_insns = 0;
    // For amend(). False when the stage's tables do not hold every flow exactly: built with
    // force_kind(), or a rule lost to an identical masked match of another
    // (Subtable::insert() false), which the tables no longer remember.
    bool amendable = false;
    int32_t miss_priority = -1;  // of the catch-all flow whose action is the miss action; -1: none
    // When the stage is a Classifier: sorted, for each rule whose ip4.dst mask is a prefix,
    // the hash of its match without ip4.dst (build_stage()'s LPM grouping). All distinct:
    // no LPM can be found in the rules; a repeat means the rules must be looked at again.
    std::vector<uint64_t> rests;
    // When the stage is LPM: every rule of the LPM group (the rules sharing the guard) is in
    // the LPM table, none left to the residual classifier by the priority order.
    bool lpm_all_kept = false;
};
using StageBlockPtr = std::shared_ptr<const StageBlock>;

struct FlowSpec {
    int32_t priority = 0;
    Match match;
    uint32_t action = kNoAction;
};

class DatapathBuilder {
public:
    DatapathBuilder(std::string name, uint32_t tunnel_key, bool is_router);

    // Declares the logical tables of a pipeline in order (table ids 0..n-1).
    void stages(Pipe pipe, std::vector<std::string> names);
    void rename_stage(Pipe pipe, uint8_t table, std::string name);
    ActionBuilder actions(Pipe pipe, uint8_t table);
    void flow(Pipe pipe, uint8_t table, int32_t priority, const Match& m, uint32_t action);
    // Room for `n` flows in the stage (a hint: stages of thousands of rules grow otherwise).
    void reserve(Pipe pipe, uint8_t table, std::size_t n);
    // Shorthand: a priority-0 catch-all `next;` (OVN's default flow of most stages).
    void default_next(Pipe pipe, uint8_t table);
    // Forces a stage's structure (tests, benchmarks); build() fails if the flows do not fit.
    void force_kind(Pipe pipe, uint8_t table, StageKind kind);

    // Brackets the action lists of one stage's flows: every flow() of the stage between the
    // two, pointing at actions made between them. After build(), block() says where the
    // stage went.
    uint32_t begin_block(Pipe pipe, uint8_t table);  // returns where the stage's code starts
    void end_block(Pipe pipe, uint8_t table);
    // The stage as built before (a block() of an earlier build): its code is appended to the
    // program now; no flow() may be given for the stage. Returns the offset its code got.
    uint32_t adopt(Pipe pipe, uint8_t table, StageBlockPtr block);
    // Like adopt(), but the stage changes by a few flows: the block's code and constants are
    // copied (offsets moved with them) and its bracket stays open - the caller then appends
    // the action lists of the stage's new flows, gives their flow()s and calls end_block().
    // At build(), the stage is the old stage's tables without the rules of `removed` (action
    // offsets relative to block->code_begin: every rule whose action is one of them goes)
    // plus the new flows' rules, exactly as build_stage() would make it of the flows that
    // are left: same kind, rules, miss action, lookups, and n_rules (`removed_specs`: how
    // many flow()s the removed flows had given). Rule ids are numbered again (dense).
    // Mostly this edits a copy of the old tables; when the kind may change in a way that
    // needs all flows looked at (an LPM stage, a new mask in an exact stage, rules that may
    // form an LPM table, a duplicate match, a catch-all above the miss), build() rebuilds the
    // tables from the old stage's rules instead (no action is lowered again either way).
    // Returns the offset the block's code got, or std::nullopt - nothing appended, nothing
    // changed: build the stage normally - when the old stage cannot be amended exactly: it
    // was elided, is not `amendable`, or `removed` holds its miss action. A removed offset
    // outside the block, or more specs removed than the stage had, is an error (build()).
    std::optional<uint32_t> amend(Pipe pipe, uint8_t table, StageBlockPtr block, std::vector<uint32_t> removed,
                                  std::size_t removed_specs);
    // After build(): the stage's block, for stages bracketed, adopted or amended; null otherwise.
    StageBlockPtr block(Pipe pipe, uint8_t table) const;
    // After build(): how many amended stages had their tables rebuilt from the old stage's
    // rules rather than edited in place (tests, benchmarks).
    std::size_t amends_rebuilt() const { return amends_rebuilt_; }

    void port(uint32_t key, std::string name, const PortEntry& e);
    void group(uint32_t key, std::string name, std::vector<uint32_t> members);

    // Fails if any call before was invalid (a field range, a table or key out of range): the
    // first such error, naming the datapath. Builders never abort on bad input.
    Result<DatapathPtr> build();

private:
    void fail(std::string msg);
    std::string error_;
    friend class ActionBuilder;
    struct StageSpec {
        std::string name;
        std::vector<FlowSpec> flows;
        bool forced = false;
        StageKind kind = StageKind::Classifier;
        // begin_block()/end_block() or adopt(): the code and constants made for it
        // ([begin, end)); code from fresh_begin on was made here, not copied.
        bool bracketed = false, open = false;
        uint32_t code_begin = 0, code_end = 0, const_begin = 0, const_end = 0, unimpl_begin = 0, unimpl_end = 0;
        uint32_t fresh_begin = 0;
        StageBlockPtr adopted;  // the block it was adopted or amended from
        StageBlockPtr block;    // after build()
        // amend(): the removed flows' actions (offsets in this program, sorted, distinct).
        bool amended = false;
        std::vector<uint32_t> removed;
        std::size_t removed_specs = 0;
        // How the stage came out (build_stage(), amend_stage()), for its block.
        uint32_t dead_insns = 0;
        bool amendable = false;
        int32_t miss_priority = -1;
        std::vector<uint64_t> rests;
        bool lpm_all_kept = false;
    };
    bool self_contained(const StageSpec& spec) const;
    std::unique_ptr<Datapath> dp_;
    void copy_block(const StageBlock& block);
    Result<void> build_stage(Pipe pipe, uint8_t table, StageSpec& spec, Stage& out);
    Result<void> amend_stage(Pipe pipe, uint8_t table, StageSpec& spec, Stage& out);
    bool amend_in_place(StageSpec& spec, const StageBlock& from, const Stage& old, Stage& out) const;
    bool amend_lpm_in_place(StageSpec& spec, const StageBlock& from, const Stage& old,
                            const std::vector<const FlowSpec*>& rules, Stage& out) const;
    bool is_plain_next(uint32_t action, Pipe pipe, uint8_t table) const;

    std::vector<StageSpec> specs_[2];
    std::size_t amends_rebuilt_ = 0;
};

}  // namespace scs::engine
