// Lexer of OVN's logical-flow language: see lexer.h. The token rules follow ovn-sb(5) and
// OVN's lexer: identifiers of letters, digits, '_' and '.'; numbers, Ethernet, IPv4 and IPv6
// addresses scanned as one "integer" extent and then classified; an optional '/mask'.
#include "lflow/lexer.h"

#include <arpa/inet.h>
#include <endian.h>

#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace scs::lflow {

uint64_t Value::low64() const {
    uint64_t v = 0;
    for (unsigned i = 8; i < 16; ++i) {
        v = (v << 8) | be[i];
    }
    return v;
}

void Value::set_bit(unsigned i, bool on) {
    uint8_t& b = be[15 - i / 8];
    const uint8_t m = static_cast<uint8_t>(1u << (i % 8));
    b = on ? static_cast<uint8_t>(b | m) : static_cast<uint8_t>(b & ~m);
}

Value Value::low_ones(unsigned n) {
    Value v;
    for (unsigned i = 0; i < n / 8 && i < 16; ++i) v.be[15 - i] = 0xff;
    if (n % 8 && n < 128) v.be[15 - n / 8] = static_cast<uint8_t>((1u << (n % 8)) - 1);
    return v;
}

unsigned Value::significant_bits() const {
    uint64_t hi = 0, lo = 0;
    std::memcpy(&hi, be.data(), 8);
    std::memcpy(&lo, be.data() + 8, 8);
    hi = be64toh(hi);
    lo = be64toh(lo);
    if (hi) {
        return 128 - static_cast<unsigned>(std::countl_zero(hi));
    }
    return lo ? 64 - static_cast<unsigned>(std::countl_zero(lo)) : 0;
}

std::string_view tok_name(Tok t) {
    switch (t) {
    case Tok::End: return "end of input";
    case Tok::Id: return "identifier";
    case Tok::String: return "string";
    case Tok::Integer: return "integer";
    case Tok::Masked: return "masked integer";
    case Tok::MacroRef: return "$reference";
    case Tok::PortGroup: return "@reference";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LCurly: return "'{'";
    case Tok::RCurly: return "'}'";
    case Tok::LSquare: return "'['";
    case Tok::RSquare: return "']'";
    case Tok::Eq: return "'=='";
    case Tok::Ne: return "'!='";
    case Tok::Lt: return "'<'";
    case Tok::Le: return "'<='";
    case Tok::Gt: return "'>'";
    case Tok::Ge: return "'>='";
    case Tok::Not: return "'!'";
    case Tok::LogAnd: return "'&&'";
    case Tok::LogOr: return "'||'";
    case Tok::Ellipsis: return "'..'";
    case Tok::Comma: return "','";
    case Tok::Semicolon: return "';'";
    case Tok::Colon: return "':'";
    case Tok::Equals: return "'='";
    case Tok::Exchange: return "'<->'";
    case Tok::Decrement: return "'--'";
    case Tok::Arrow: return "'->'";
    case Tok::Minus: return "'-'";
    }
    return "token";
}

std::string SyntaxError::to_string() const {
    return fmt::format("syntax error at column {}: {}", pos + 1, message);
}

namespace {

bool is_id1(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}
bool is_idn(unsigned char c) { return is_id1(c) || (c >= '0' && c <= '9'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alnum(unsigned char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
int hexit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

class Lexer {
public:
    explicit Lexer(std::string_view s) : s_(s) {}

    // The one token the whole input is, if it lexes as exactly one.
    std::optional<Token> one() {
        Token t, end;
        if (!next(t) || t.kind == Tok::End || !next(end) || end.kind != Tok::End) {
            return std::nullopt;
        }
        return t;
    }

    LexResult run() {
        LexResult out;
        out.tokens.reserve(s_.size() / 4 + 4);  // ~1 token per 4-5 characters in OVN's flows
        for (;;) {
            Token t;
            if (!next(t)) {
                out.error = SyntaxError{err_pos_, err_};
                out.tokens.push_back(Token{Tok::End, Format::Decimal,
                                           static_cast<uint32_t>(s_.size()), {}, {}, {}});
                return out;
            }
            const bool end = t.kind == Tok::End;
            out.tokens.push_back(std::move(t));
            if (end) {
                return out;
            }
        }
    }

private:
    unsigned char at(size_t i) const { return i < s_.size() ? s_[i] : 0; }

    bool fail(size_t pos, std::string msg) {
        err_pos_ = static_cast<uint32_t>(pos);
        err_ = std::move(msg);
        return false;
    }

    // One "integer" extent starting at p_: decimal, hex, MAC, IPv4 or IPv6.
    bool scan_integer(Value& v, Format& f) {
        const size_t start = p_;
        size_t end = p_;
        bool saw_dot = false;
        while (end < s_.size()) {
            const unsigned char c = s_[end];
            if (is_alnum(c) || (c == ':' && !saw_dot) || (c == '.' && at(end + 1) != '.')) {
                saw_dot |= c == '.';
                ++end;
            } else {
                break;
            }
        }
        const std::string_view t = s_.substr(start, end - start);
        p_ = end;
        v = Value{};
        if (t.empty()) {
            return fail(start, "integer constant expected");
        }
        if (t.size() == 17 && parse_mac(t, v)) {
            f = Format::Ethernet;
            return true;
        }
        bool all_digits = true;
        for (char c : t) {
            all_digits &= is_digit(static_cast<unsigned char>(c));
        }
        if (all_digits) {
            if (t[0] == '0' && t.size() > 1) {
                return fail(start, "decimal constants must not have leading zeros");
            }
            uint64_t n = 0;
            for (char c : t) {
                const uint64_t d = static_cast<uint64_t>(c - '0');
                if (n > (UINT64_MAX - d) / 10) {
                    return fail(start, "decimal constants must be less than 2**64");
                }
                n = n * 10 + d;
            }
            for (unsigned i = 0; i < 8; ++i) {
                v.be[15 - i] = static_cast<uint8_t>(n >> (8 * i));
            }
            f = Format::Decimal;
            return true;
        }
        if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
            const std::string_view h = t.substr(2);
            if (h.empty()) {
                return fail(start, fmt::format("hex digits expected following 0{}", t[1]));
            }
            // Leading zeros do not count towards the 128-bit limit.
            size_t first = 0;
            while (first < h.size() && h[first] == '0') {
                ++first;
            }
            for (size_t i = 0; i < h.size(); ++i) {
                if (hexit(static_cast<unsigned char>(h[i])) < 0) {
                    return fail(start + 2 + i, fmt::format("invalid syntax in hexadecimal "
                                                           "constant '{}'", t));
                }
            }
            if (h.size() - first > 32) {
                return fail(start, "hexadecimal constants must be at most 128 bits");
            }
            unsigned digit = 0;
            for (size_t i = h.size(); i-- > first; ++digit) {
                const int d = hexit(static_cast<unsigned char>(h[i]));
                v.be[15 - digit / 2] |= static_cast<uint8_t>(digit % 2 ? d << 4 : d);
            }
            f = Format::Hex;
            return true;
        }
        if (t.size() < 46) {
            char copy[64];
            std::memcpy(copy, t.data(), t.size());
            copy[t.size()] = '\0';
            uint8_t buf[16];
            if (inet_pton(AF_INET, copy, buf) == 1) {
                std::memcpy(&v.be[12], buf, 4);
                f = Format::Ipv4;
                return true;
            }
            if (inet_pton(AF_INET6, copy, buf) == 1) {
                std::memcpy(v.be.data(), buf, 16);
                f = Format::Ipv6;
                return true;
            }
        }
        return fail(start, fmt::format("invalid numeric constant '{}'", t));
    }

    static bool parse_mac(std::string_view t, Value& v) {
        for (unsigned i = 0; i < 6; ++i) {
            const int hi = hexit(static_cast<unsigned char>(t[i * 3]));
            const int lo = hexit(static_cast<unsigned char>(t[i * 3 + 1]));
            if (hi < 0 || lo < 0 || (i < 5 && t[i * 3 + 2] != ':')) {
                return false;
            }
            v.be[10 + i] = static_cast<uint8_t>(hi << 4 | lo);
        }
        return true;
    }

    static Value prefix_mask(unsigned width, unsigned n) {
        // The n most significant of `width` bits.
        Value m = Value::low_ones(width);
        const Value low = Value::low_ones(width - n);
        for (unsigned i = 0; i < 16; ++i) {
            m.be[i] = static_cast<uint8_t>(m.be[i] & ~low.be[i]);
        }
        return m;
    }

    bool lex_integer(Token& t) {
        if (!scan_integer(t.value, t.format)) {
            return false;
        }
        t.kind = Tok::Integer;
        if (at(p_) != '/') {
            return true;
        }
        const size_t slash = p_;
        ++p_;
        Value m;
        Format mf = Format::Decimal;
        if (!scan_integer(m, mf)) {
            return false;
        }
        const uint64_t prefix = m.low64();
        const bool small = m.significant_bits() <= 64;
        if (t.format == mf) {
            t.mask = m;
        } else if (t.format == Format::Ipv4 && mf == Format::Decimal && small && prefix <= 32) {
            t.mask = prefix_mask(32, static_cast<unsigned>(prefix));
        } else if (t.format == Format::Ipv6 && mf == Format::Decimal && small &&
                   prefix <= 128) {
            t.mask = prefix_mask(128, static_cast<unsigned>(prefix));
        } else if (t.format == Format::Decimal && mf == Format::Hex && t.value == Value{}) {
            t.format = Format::Hex;
            t.mask = m;
        } else {
            return fail(slash, "value and mask have incompatible formats");
        }
        for (unsigned i = 0; i < 16; ++i) {
            t.value.be[i] &= t.mask.be[i];
        }
        t.kind = Tok::Masked;
        return true;
    }

    bool lex_string(Token& t) {
        const size_t start = p_;
        ++p_;
        std::string out;
        for (;;) {
            if (p_ >= s_.size()) {
                return fail(start, "input ends inside quoted string");
            }
            const char c = s_[p_];
            if (c == '"') {
                ++p_;
                t.kind = Tok::String;
                t.text = std::move(out);
                return true;
            }
            if (c != '\\') {
                out.push_back(c);
                ++p_;
                continue;
            }
            const size_t esc = p_;
            ++p_;
            if (p_ >= s_.size()) {
                return fail(start, "input ends inside quoted string");
            }
            const char e = s_[p_++];
            switch (e) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 0; i < 4; ++i) {
                    const int d = hexit(at(p_));
                    if (d < 0) {
                        return fail(esc, "malformed \\u escape in string");
                    }
                    cp = cp << 4 | static_cast<unsigned>(d);
                    ++p_;
                }
                if (cp >= 0xd800 && cp <= 0xdfff) {
                    return fail(esc, "\\u escape of a UTF-16 surrogate in string");
                }
                if (cp < 0x80) {
                    out.push_back(static_cast<char>(cp));
                } else if (cp < 0x800) {
                    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
                    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
                } else {
                    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
                    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
                    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
                }
                break;
            }
            default:
                return fail(esc, fmt::format("invalid escape '\\{}' in string", e));
            }
        }
    }

    bool lex_id(Token& t, Tok kind) {
        const size_t start = p_;
        do {
            ++p_;
        } while (is_idn(at(p_)));
        t.kind = kind;
        t.text = std::string(s_.substr(start, p_ - start));
        return true;
    }

    bool lex_ref(Token& t, Tok kind, char sigil) {
        ++p_;
        if (!is_id1(at(p_))) {
            return fail(p_ - 1, fmt::format("'{}' must be followed by a valid identifier",
                                            sigil));
        }
        const size_t start = p_;
        lex_id(t, kind);
        // Extension: Southbound rows do carry names like `@pg-ssh` (ovn-nb(5) says names match
        // [a-zA-Z_.][a-zA-Z_.0-9]*, but northd copies them unchecked). A '-' joined to
        // identifier characters on both sides stays part of the name.
        while (at(p_) == '-' && is_idn(at(p_ + 1))) {
            p_ += 2;
            while (is_idn(at(p_))) ++p_;
        }
        t.text = std::string(s_.substr(start, p_ - start));
        return true;
    }

    // Skips blanks and comments; false on an unterminated comment.
    bool skip() {
        for (;;) {
            const unsigned char c = at(p_);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
                ++p_;
            } else if (c == '/' && at(p_ + 1) == '/') {
                while (p_ < s_.size() && s_[p_] != '\n') {
                    ++p_;
                }
            } else if (c == '/' && at(p_ + 1) == '*') {
                const size_t start = p_;
                p_ += 2;
                for (;;) {
                    if (p_ >= s_.size()) {
                        return fail(start, "'/*' without matching '*/'");
                    }
                    if (s_[p_] == '*' && at(p_ + 1) == '/') {
                        p_ += 2;
                        break;
                    }
                    ++p_;
                }
            } else {
                return true;
            }
        }
    }

    bool next(Token& t) {
        if (!skip()) {
            return false;
        }
        t.pos = static_cast<uint32_t>(p_);
        if (p_ >= s_.size()) {
            t.kind = Tok::End;
            return true;
        }
        const unsigned char c = s_[p_];
        const unsigned char c1 = at(p_ + 1);
        auto one = [&](Tok k, size_t n) {
            t.kind = k;
            p_ += n;
            return true;
        };
        switch (c) {
        case '(': return one(Tok::LParen, 1);
        case ')': return one(Tok::RParen, 1);
        case '{': return one(Tok::LCurly, 1);
        case '}': return one(Tok::RCurly, 1);
        case '[': return one(Tok::LSquare, 1);
        case ']': return one(Tok::RSquare, 1);
        case ',': return one(Tok::Comma, 1);
        case ';': return one(Tok::Semicolon, 1);
        case '=': return c1 == '=' ? one(Tok::Eq, 2) : one(Tok::Equals, 1);
        case '!': return c1 == '=' ? one(Tok::Ne, 2) : one(Tok::Not, 1);
        case '&':
            return c1 == '&' ? one(Tok::LogAnd, 2)
                             : fail(p_, "'&' is only valid as part of '&&'");
        case '|':
            return c1 == '|' ? one(Tok::LogOr, 2)
                             : fail(p_, "'|' is only valid as part of '||'");
        case '<':
            if (c1 == '=') return one(Tok::Le, 2);
            if (c1 == '-' && at(p_ + 2) == '>') return one(Tok::Exchange, 3);
            return one(Tok::Lt, 1);
        case '>': return c1 == '=' ? one(Tok::Ge, 2) : one(Tok::Gt, 1);
        case '.':
            return c1 == '.' ? one(Tok::Ellipsis, 2)
                             : fail(p_, "'.' is only valid as part of '..' or a number");
        case '-':
            if (c1 == '-') return one(Tok::Decrement, 2);
            if (c1 == '>') return one(Tok::Arrow, 2);
            return one(Tok::Minus, 1);
        case '/': return fail(p_, "'/' is only valid as part of '//' or '/*'");
        case '$': return lex_ref(t, Tok::MacroRef, '$');
        case '@': return lex_ref(t, Tok::PortGroup, '@');
        case '"': return lex_string(t);
        case ':':
            if (c1 != ':') return one(Tok::Colon, 1);
            return lex_integer(t);
        default: break;
        }
        if (is_digit(c)) {
            return lex_integer(t);
        }
        if (hexit(c) >= 0) {
            // A MAC or IPv6 address starting with a letter: hex digits then ':'. An
            // identifier never has a ':' right after its leading hex letters.
            size_t i = p_;
            while (hexit(at(i)) >= 0) {
                ++i;
            }
            return at(i) == ':' ? lex_integer(t) : lex_id(t, Tok::Id);
        }
        if (is_id1(c)) {
            return lex_id(t, Tok::Id);
        }
        if (c >= 0x20 && c < 0x7f) {
            return fail(p_, fmt::format("invalid character '{}' in input", static_cast<char>(c)));
        }
        return fail(p_, fmt::format("invalid byte 0x{:02x} in input", c));
    }

    std::string_view s_;
    size_t p_ = 0;
    uint32_t err_pos_ = 0;
    std::string err_;
};

}  // namespace

LexResult tokenize(std::string_view text) { return Lexer(text).run(); }

std::optional<Token> lex_one(std::string_view text) { return Lexer(text).one(); }

}  // namespace scs::lflow
