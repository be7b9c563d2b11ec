#include "mgmt_json.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace scs::mgmt {

double Json::as_double() const {
    switch (kind_) {
        case Kind::Int:
            return static_cast<double>(i_);
        case Kind::UInt:
            return static_cast<double>(u_);
        case Kind::Double:
            return d_;
        default:
            return 0;
    }
}

std::optional<uint64_t> Json::as_u64() const {
    if (kind_ == Kind::UInt) return u_;
    if (kind_ == Kind::Int) {
        if (i_ >= 0) return static_cast<uint64_t>(i_);
        return std::nullopt;
    }
    if (kind_ == Kind::Double && d_ >= 0 && d_ < 9007199254740992.0 && std::floor(d_) == d_)
        return static_cast<uint64_t>(d_);
    return std::nullopt;
}

std::optional<int64_t> Json::as_i64() const {
    if (kind_ == Kind::Int) return i_;
    if (kind_ == Kind::UInt) {
        if (u_ <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(u_);
        return std::nullopt;
    }
    if (kind_ == Kind::Double && std::fabs(d_) < 9007199254740992.0 && std::floor(d_) == d_)
        return static_cast<int64_t>(d_);
    return std::nullopt;
}

const Json* Json::find(std::string_view key) const {
    if (kind_ != Kind::Object) return nullptr;
    for (const auto& [k, v] : o_)
        if (k == key) return &v;
    return nullptr;
}

Json& Json::operator[](std::string_view key) {
    if (kind_ == Kind::Null) kind_ = Kind::Object;
    for (auto& [k, v] : o_)
        if (k == key) return v;
    o_.emplace_back(std::string(key), Json());
    return o_.back().second;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20)
                    out += fmt::format("\\u{:04x}", c);
                else
                    out += ch;
        }
    }
    out += '"';
}

std::string Json::dump(int indent) const {
    std::string out;
    dump_to(out, indent, 0);
    return out;
}

void Json::dump_to(std::string& out, int indent, int level) const {
    auto newline = [&](int lvl) {
        if (indent <= 0) return;
        out += '\n';
        out.append(static_cast<std::size_t>(indent * lvl), ' ');
    };
    switch (kind_) {
        case Kind::Null:
            out += "null";
            break;
        case Kind::Bool:
            out += b_ ? "true" : "false";
            break;
        case Kind::Int:
            out += fmt::format("{}", i_);
            break;
        case Kind::UInt:
            out += fmt::format("{}", u_);
            break;
        case Kind::Double:
            // JSON has no NaN or infinity; a rate over an empty interval is not a number.
            if (!std::isfinite(d_))
                out += "null";
            else
                out += fmt::format("{}", d_);
            break;
        case Kind::String:
            append_json_string(out, s_);
            break;
        case Kind::Array:
            out += '[';
            for (std::size_t i = 0; i < a_.size(); ++i) {
                if (i) out += ',';
                newline(level + 1);
                a_[i].dump_to(out, indent, level + 1);
            }
            if (!a_.empty()) newline(level);
            out += ']';
            break;
        case Kind::Object:
            out += '{';
            for (std::size_t i = 0; i < o_.size(); ++i) {
                if (i) out += ',';
                newline(level + 1);
                append_json_string(out, o_[i].first);
                out += indent > 0 ? ": " : ":";
                o_[i].second.dump_to(out, indent, level + 1);
            }
            if (!o_.empty()) newline(level);
            out += '}';
            break;
    }
}

namespace {

constexpr int kMaxDepth = 64;

class Parser {
  public:
    explicit Parser(std::string_view s) : s_(s) {}

    Result<Json> document() {
        auto v = value(0);
        if (!v) return v;
        skip_ws();
        if (pos_ != s_.size()) return fail("unexpected text after the JSON value");
        return v;
    }

  private:
    Error fail(std::string_view what) const {
        return make_error(fmt::format("invalid JSON at byte {}: {}", pos_, what));
    }
    void skip_ws() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    Result<Json> value(int depth) {
        if (depth > kMaxDepth) return fail("nested more than 64 levels deep");
        skip_ws();
        if (pos_ >= s_.size()) return fail("unexpected end of input");
        const char c = s_[pos_];
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') {
            auto str = string();
            if (!str) return make_error(str.error());
            return Json(std::move(*str));
        }
        if (literal("true")) return Json(true);
        if (literal("false")) return Json(false);
        if (literal("null")) return Json();
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        return fail(fmt::format("unexpected character '{}'", c));
    }

    Result<Json> object(int depth) {
        ++pos_;  // {
        Json obj = Json::object();
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '}') {
            ++pos_;
            return obj;
        }
        for (;;) {
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a member name");
            auto key = string();
            if (!key) return make_error(key.error());
            skip_ws();
            if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
            ++pos_;
            auto v = value(depth + 1);
            if (!v) return v;
            obj.as_object().emplace_back(std::move(*key), std::move(*v));
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == '}') {
                ++pos_;
                return obj;
            }
            return fail("expected ',' or '}'");
        }
    }

    Result<Json> array(int depth) {
        ++pos_;  // [
        Json arr = Json::array();
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ']') {
            ++pos_;
            return arr;
        }
        for (;;) {
            auto v = value(depth + 1);
            if (!v) return v;
            arr.push(std::move(*v));
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (pos_ < s_.size() && s_[pos_] == ']') {
                ++pos_;
                return arr;
            }
            return fail("expected ',' or ']'");
        }
    }

    std::optional<unsigned> hex4() {
        if (pos_ + 4 > s_.size()) return std::nullopt;
        unsigned v = 0;
        const auto [p, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, v, 16);
        if (ec != std::errc() || p != s_.data() + pos_ + 4) return std::nullopt;
        pos_ += 4;
        return v;
    }

    static void put_utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    Result<std::string> string() {
        ++pos_;  // "
        std::string out;
        while (pos_ < s_.size()) {
            const char c = s_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) {
                --pos_;
                return fail("control character in a string");
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= s_.size()) break;
            const char e = s_[pos_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out += e;
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    auto hi = hex4();
                    if (!hi) return fail("bad \\u escape");
                    uint32_t cp = *hi;
                    if (cp >= 0xD800 && cp < 0xDC00) {  // a surrogate pair: \uD83D\uDE00
                        if (!literal("\\u")) return fail("lone high surrogate");
                        auto lo = hex4();
                        if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return fail("bad low surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (*lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return fail("lone low surrogate");
                    }
                    put_utf8(out, cp);
                    break;
                }
                default:
                    --pos_;
                    return fail(fmt::format("bad escape '\\{}'", e));
            }
        }
        return fail("unterminated string");
    }

    Result<Json> number() {
        const std::size_t start = pos_;
        if (s_[pos_] == '-') ++pos_;
        auto digits = [&] {
            const std::size_t b = pos_;
            while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
            return pos_ - b;
        };
        const std::size_t int_start = pos_;
        if (digits() == 0) return fail("expected digits");
        if (s_[int_start] == '0' && pos_ - int_start > 1) return fail("leading zero in a number");
        bool integral = true;
        if (pos_ < s_.size() && s_[pos_] == '.') {
            ++pos_;
            integral = false;
            if (digits() == 0) return fail("expected digits after '.'");
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            integral = false;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (digits() == 0) return fail("expected digits in the exponent");
        }
        const char* b = s_.data() + start;
        const char* e = s_.data() + pos_;
        if (integral) {
            if (*b == '-') {
                int64_t v = 0;
                if (std::from_chars(b, e, v).ec == std::errc()) return Json(v);
            } else {
                uint64_t v = 0;
                if (std::from_chars(b, e, v).ec == std::errc()) return Json(v);
            }
        }
        double d = 0;
        const auto [p, ec] = std::from_chars(b, e, d);
        if (ec != std::errc() || p != e) {
            pos_ = start;
            return fail("number out of range");
        }
        return Json(d);
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace

Result<Json> parse_json(std::string_view text) {
    return Parser(text).document();
}

}  // namespace scs::mgmt
