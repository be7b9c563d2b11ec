// OVN's symbol table: every name a logical flow may use in a match or an action.
//
// It mirrors ovn/lib/logical-fields.c (OVN 23.03): fields (`eth.src`, `reg0`, `inport`),
// subfields (`vlan.vid` = vlan.tci[0..11], `flags.loopback` = flags[0], `ct.est` =
// ct_state[1]), and predicates (`ip4` = `eth.type == 0x800`, `tcp` = `ip.proto == 6`),
// each with its prerequisites (`tcp.dst` requires `tcp`, which requires `ip`). Every field
// the engine carries maps to an engine::Field and a bit range; OVN fields the engine does
// not carry (e.g. pkt.mark, dhcp options) are present with no engine reference, so a flow
// using them is reported as unsupported by name instead of failing to parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/field.h"
#include "lflow/lexer.h"

namespace scs::lflow {

enum class SymbolType : uint8_t {
    Integer,  // integers and addresses: compared bitwise
    String,   // inport, outport: logical port (or multicast group) names
};

// A bit range of an engine field; bit 0 is the field's least significant bit.
struct FieldRef {
    engine::Field field = engine::Field::Count;
    uint16_t bit = 0;
    uint16_t n_bits = 0;
};

struct Symbol {
    enum class Kind : uint8_t { Field, Subfield, Predicate };
    std::string name;
    Kind kind = Kind::Field;
    SymbolType type = SymbolType::Integer;
    uint16_t width = 0;              // bits (Field, Subfield); 0 for Predicate and String
    Format format = Format::Decimal; // how values of it print (Ethernet, Ipv4, ...)
    std::optional<FieldRef> ref;     // where it lives in the flow key; nullopt: not carried
    std::string prereqs;             // match text that must hold for it to be meaningful
    std::string expansion;           // Predicate: the expression it stands for;
                                     // Subfield: the parent range, e.g. "vlan.tci[0..11]"
    bool writable = false;           // may be the destination of an action
    bool ct_commit_only = false;     // ct_mark, ct_label: written only inside ct_commit { }
    bool nominal = false;            // compared only with == / != and never subscripted
                                     // (eth.type, ip.proto, icmp6.type/code, as OVN)
};

class SymbolTable {
public:
    static const SymbolTable& ovn();  // OVN 23.03's table
    const Symbol* find(std::string_view name) const;
    const std::vector<Symbol>& all() const { return symbols_; }

private:
    SymbolTable();
    std::vector<Symbol> symbols_;
    static uint64_t name_hash(std::string_view name);
    std::vector<uint32_t> slots_;  // hash table of symbols_ indices + 1 (0: empty)
};

}  // namespace scs::lflow
