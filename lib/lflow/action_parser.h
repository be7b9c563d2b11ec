// Private to lib/lflow: the recursive-descent parser behind parse_actions().
//
// action_parse.cc holds the generic half (the token cursor, fields, constants, assignments,
// next, nested lists); action_calls.cc holds the per-action table, one parse function per
// OVN action with its own argument syntax. Errors are sticky, as in OVN's lexer: the first
// one is kept with its position and every later step returns early.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lflow/actions.h"
#include "lflow/lexer.h"

namespace scs::lflow::detail {

// Where an action list sits: ct_mark and ct_label are writable only inside ct_commit { },
// and nothing else is writable there (OVN's WR_CT_COMMIT scope).
enum class Scope : uint8_t { Default, CtCommit };

// OVN's MAX_NESTED_ACTION_DEPTH: bounds recursion on hostile input.
inline constexpr int kMaxNesting = 32;

class ActionParser {
public:
    ActionParser(std::vector<Token> tokens, std::string_view text)
        : toks_(std::move(tokens)), text_(text) {}

    // Whole input: an action list ended by end of input.
    bool parse_all(ActionList& out);

    // ---- token cursor ----
    const Token& tok() const { return toks_[i_]; }
    const Token& ahead(std::size_t k = 1) const {
        return toks_[std::min(i_ + k, toks_.size() - 1)];
    }
    void next() {
        if (i_ + 1 < toks_.size()) ++i_;
    }
    bool is(Tok t) const { return tok().kind == t; }
    bool is_id(std::string_view s) const { return is(Tok::Id) && tok().text == s; }
    bool match(Tok t);
    bool match_id(std::string_view s);
    bool force(Tok t);  // match or fail with "expecting T"

    // ---- errors ----
    bool failed() const { return err_.has_value(); }
    bool fail(uint32_t pos, std::string message);
    bool fail_here(std::string message) { return fail(tok().pos, std::move(message)); }
    // "expecting X, found Y" at the current token.
    bool syntax(std::string_view expecting);
    std::string describe(const Token& t) const;
    const std::optional<SyntaxError>& error() const { return err_; }

    // ---- operands ----
    // A field or subfield `name`, `name[N]`, `name[N..M]`. With `width` >= 0 the field must
    // be that many bits (0: a string field); with `rw` it must be writable in `scope`.
    bool parse_field(LValue& f, int width = -1, bool rw = false);
    // Checks an already parsed field, reporting at `pos`.
    bool check_field(const LValue& f, uint32_t pos, int width, bool rw);
    // One integer/address (optionally masked) or string constant.
    bool parse_constant(Constant& c);
    // A constant or a `{...}` set of them (DHCP options).
    bool parse_constant_set(std::vector<ArgValue>& out);
    // A decimal or hex integer, unmasked, at most `max`.
    bool parse_uint(uint64_t max, uint64_t& v, std::string_view what);

    // ---- lists ----
    // Actions up to `sentinel` (End or RCurly), which is consumed.
    bool parse_list(ActionList& out, Tok sentinel);
    bool parse_body(Action& a, Scope scope);  // `{ ... }` of a nested action

    int depth() const { return depth_; }
    Scope scope() const { return scope_; }

private:
    bool parse_action(ActionList& out);
    bool parse_set_action(ActionList& out);
    bool parse_next(Action& a);
    bool parse_push_pop(Action& a, bool push);

    std::vector<Token> toks_;
    std::string_view text_;
    std::size_t i_ = 0;
    std::optional<SyntaxError> err_;
    int depth_ = 0;
    Scope scope_ = Scope::Default;
};

// ---- the per-action table (action_calls.cc) ----
enum class CallResult : uint8_t {
    None,      // `name...;` only
    Required,  // `dst = name(...);` only
};

struct CallShape {
    std::string_view name;
    CallResult result;
    // Parses what follows the name (the parser is on the token after it); `a.name`,
    // `a.dst`, `a.has_result` are set already. Returns false with the parser's error set.
    bool (*parse)(ActionParser& p, Action& a);
};

const CallShape* find_call(std::string_view name);

// Printing helpers shared by action_print.cc and messages.
std::string format_value(const Value& v, Format f);
std::string format_constant(const Constant& c);
std::string format_field(const LValue& f);
std::string quote(std::string_view s);

}  // namespace scs::lflow::detail
