// A small JSON value with a parser and a writer: what the management channel (newline-
// delimited JSON-RPC 2.0, docs/scs-dpctl.md) needs on both ends, the daemon and scs-dpctl.
//
// Objects keep their members in insertion order (the output reads in the order it was
// built); lookups are linear, which is fine for the few dozen keys of a request or reply.
// Integers stay integers (counters are uint64 and must not round through a double).
// Control code only: it allocates freely and never runs on a worker lcore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace scs::mgmt {

class Json {
  public:
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>;

    Json() = default;  // null
    Json(std::nullptr_t) {}                                        // NOLINT(google-explicit-constructor)
    Json(bool b) : kind_(Kind::Bool), b_(b) {}                     // NOLINT
    Json(int v) : kind_(Kind::Int), i_(v) {}                       // NOLINT
    Json(long v) : kind_(Kind::Int), i_(v) {}                      // NOLINT
    Json(long long v) : kind_(Kind::Int), i_(v) {}                 // NOLINT
    Json(unsigned v) : kind_(Kind::UInt), u_(v) {}                 // NOLINT
    Json(unsigned long v) : kind_(Kind::UInt), u_(v) {}            // NOLINT
    Json(unsigned long long v) : kind_(Kind::UInt), u_(v) {}       // NOLINT
    Json(double v) : kind_(Kind::Double), d_(v) {}                 // NOLINT
    Json(const char* s) : kind_(Kind::String), s_(s) {}            // NOLINT
    Json(std::string s) : kind_(Kind::String), s_(std::move(s)) {} // NOLINT
    Json(std::string_view s) : kind_(Kind::String), s_(s) {}       // NOLINT
    Json(Array a) : kind_(Kind::Array), a_(std::move(a)) {}        // NOLINT
    Json(Object o) : kind_(Kind::Object), o_(std::move(o)) {}      // NOLINT

    static Json array() { return Json(Array{}); }
    static Json object() { return Json(Object{}); }

    bool is_null() const { return kind_ == Kind::Null; }
    bool is_bool() const { return kind_ == Kind::Bool; }
    bool is_int() const { return kind_ == Kind::Int; }
    bool is_uint() const { return kind_ == Kind::UInt; }
    bool is_double() const { return kind_ == Kind::Double; }
    bool is_number() const { return is_int() || is_uint() || is_double(); }
    bool is_string() const { return kind_ == Kind::String; }
    bool is_array() const { return kind_ == Kind::Array; }
    bool is_object() const { return kind_ == Kind::Object; }

    // The accessors of the wrong kind return the empty value of their type.
    bool as_bool() const { return b_; }
    const std::string& as_string() const { return s_; }
    const Array& as_array() const { return a_; }
    Array& as_array() { return a_; }
    const Object& as_object() const { return o_; }
    Object& as_object() { return o_; }
    // Any number as a double (integers convert exactly up to 2^53).
    double as_double() const;
    // A non-negative integral number (an integral double such as 3.0 counts), else nothing.
    std::optional<uint64_t> as_u64() const;
    // Any integral number that fits, else nothing.
    std::optional<int64_t> as_i64() const;

    // Object member, or nullptr (also when this is not an object).
    const Json* find(std::string_view key) const;
    // Object member, inserted as null if missing (a null becomes an empty object first).
    Json& operator[](std::string_view key);
    // Appends to an array (a null becomes an empty array first).
    void push(Json v) {
        if (kind_ == Kind::Null) kind_ = Kind::Array;
        a_.push_back(std::move(v));
    }

    // Compact (one line, no spaces) or indented by `indent` spaces per level.
    std::string dump(int indent = 0) const;

  private:
    void dump_to(std::string& out, int indent, int level) const;

    // A plain tagged record rather than a std::variant: GCC 12 reports false
    // maybe-uninitialized warnings on a recursive variant of vectors.
    enum class Kind : uint8_t { Null, Bool, Int, UInt, Double, String, Array, Object };
    Kind kind_ = Kind::Null;
    bool b_ = false;
    int64_t i_ = 0;
    uint64_t u_ = 0;
    double d_ = 0;
    std::string s_;
    Array a_;
    Object o_;
};

// Parses one JSON text (RFC 8259). Errors name the byte offset. Nesting deeper than 64
// levels is refused rather than risking the stack.
Result<Json> parse_json(std::string_view text);

// Appends `s` as a JSON string literal (quoted, escaped) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace scs::mgmt
