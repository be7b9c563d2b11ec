// Lexer of OVN's logical-flow language (ovn-sb(5) "Logical_Flow TABLE": match and actions).
//
// Tokens follow OVN's own lexer (ovn/lib/lex.c): identifiers may contain '.' and '_'
// (`eth.src`, `ct.est`, `reg0`), integers are decimal or 0x-hex of up to 128 bits, addresses
// are Ethernet (xx:xx:xx:xx:xx:xx), IPv4 and IPv6; any integer or address may carry a mask
// (`/24`, `/255.255.0.0`, `/0xff00`) and is then a masked constant. `$name` is an address-set
// or macro reference, `@name` a port-group reference. Every token carries its byte position
// so a parse error names where it happened.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace scs::lflow {

// A constant of up to 128 bits, right-aligned big-endian (be[15] is the least significant
// byte): the same layout for integers, MACs, IPv4 and IPv6.
struct Value {
    std::array<uint8_t, 16> be{};

    uint64_t low64() const;          // least significant 64 bits
    bool bit(unsigned i) const { return (be[15 - i / 8] >> (i % 8)) & 1; }
    void set_bit(unsigned i, bool on);
    static Value low_ones(unsigned n);  // bits [0, n) set (n <= 128)
    unsigned significant_bits() const;  // position of the highest set bit + 1 (0 for zero)
    friend bool operator==(const Value&, const Value&) = default;
};

enum class Format : uint8_t { Decimal, Hex, Ethernet, Ipv4, Ipv6 };

enum class Tok : uint8_t {
    End,        // end of input
    Id,         // identifier: text
    String,     // "quoted": text (unescaped)
    Integer,    // value, format
    Masked,     // value/mask, format
    MacroRef,   // $name: text
    PortGroup,  // @name: text
    LParen, RParen, LCurly, RCurly, LSquare, RSquare,
    Eq, Ne, Lt, Le, Gt, Ge,  // == != < <= > >=
    Not, LogAnd, LogOr,      // ! && ||
    Ellipsis,   // ..
    Comma, Semicolon, Colon,
    Equals,     // =
    Exchange,   // <->
    Decrement,  // --
    Arrow,      // ->
    Minus,      // - (a lone minus)
};

std::string_view tok_name(Tok t);  // for messages: "'=='", "identifier", "end of input"

struct Token {
    Tok kind = Tok::End;
    Format format = Format::Decimal;
    uint32_t pos = 0;  // byte offset of the token's first character
    std::string text;  // Id, String, MacroRef, PortGroup
    Value value;       // Integer, Masked
    Value mask;        // Masked
};

// Where and why a text could not be lexed or parsed, as OVN reports it.
struct SyntaxError {
    uint32_t pos = 0;
    std::string message;
    // "syntax error at column N: message"
    std::string to_string() const;
};

// Whole input to tokens, ending with one Tok::End. Fails on the first bad character,
// unterminated string, malformed number or address, or integer wider than 128 bits.
struct LexResult {
    std::vector<Token> tokens;
    std::optional<SyntaxError> error;
};
LexResult tokenize(std::string_view text);

// The single token `text` is (surrounding white space and comments aside): what tokenize()
// would give before its End token, without building the token vector. nullopt when the text
// does not lex or is not exactly one token.
std::optional<Token> lex_one(std::string_view text);

}  // namespace scs::lflow
