// The logical-flow lexer: every token kind, numbers and addresses with masks, comments,
// strings, and errors with their positions.
#include <gtest/gtest.h>

#include "lflow/lexer.h"

using namespace scs::lflow;

namespace {

std::vector<Token> lex_ok(std::string_view s) {
    LexResult r = tokenize(s);
    EXPECT_FALSE(r.error) << s << ": " << (r.error ? r.error->to_string() : "");
    return r.tokens;
}

std::vector<Tok> kinds(std::string_view s) {
    std::vector<Tok> out;
    for (const Token& t : lex_ok(s)) out.push_back(t.kind);
    return out;
}

Value v128(std::initializer_list<uint8_t> tail) {
    Value v;
    unsigned i = 16 - static_cast<unsigned>(tail.size());
    for (uint8_t b : tail) v.be[i++] = b;
    return v;
}

SyntaxError lex_err(std::string_view s) {
    LexResult r = tokenize(s);
    EXPECT_TRUE(r.error) << s;
    EXPECT_FALSE(r.tokens.empty());
    if (!r.tokens.empty()) {
        EXPECT_EQ(r.tokens.back().kind, Tok::End);
    }
    return r.error.value_or(SyntaxError{});
}

}  // namespace

TEST(Lexer, Punctuation) {
    EXPECT_EQ(kinds("( ) { } [ ] == != < <= > >= ! && || .. , ; : = <-> -- -> -"),
              (std::vector<Tok>{Tok::LParen, Tok::RParen, Tok::LCurly, Tok::RCurly,
                                Tok::LSquare, Tok::RSquare, Tok::Eq, Tok::Ne, Tok::Lt, Tok::Le,
                                Tok::Gt, Tok::Ge, Tok::Not, Tok::LogAnd, Tok::LogOr,
                                Tok::Ellipsis, Tok::Comma, Tok::Semicolon, Tok::Colon,
                                Tok::Equals, Tok::Exchange, Tok::Decrement, Tok::Arrow,
                                Tok::Minus, Tok::End}));
    // No spaces needed.
    EXPECT_EQ(kinds("a<->b"), (std::vector<Tok>{Tok::Id, Tok::Exchange, Tok::Id, Tok::End}));
    EXPECT_EQ(kinds("!a"), (std::vector<Tok>{Tok::Not, Tok::Id, Tok::End}));
    EXPECT_EQ(kinds("a!=b"), (std::vector<Tok>{Tok::Id, Tok::Ne, Tok::Id, Tok::End}));
}

TEST(Lexer, IdentifiersAndReferences) {
    auto t = lex_ok("eth.src ct.est reg0 _x flags.loopback $as_1.x @pg-ssh @a -b");
    ASSERT_EQ(t.size(), 11u);
    EXPECT_EQ(t[0].text, "eth.src");
    EXPECT_EQ(t[1].text, "ct.est");
    EXPECT_EQ(t[2].text, "reg0");
    EXPECT_EQ(t[3].text, "_x");
    EXPECT_EQ(t[4].text, "flags.loopback");
    EXPECT_EQ(t[5].kind, Tok::MacroRef);
    EXPECT_EQ(t[5].text, "as_1.x");
    // Extension over OVN's lexer: a '-' inside a reference name (real Southbound rows have
    // `@pg-ssh`); a '-' after a space is a token of its own.
    EXPECT_EQ(t[6].kind, Tok::PortGroup);
    EXPECT_EQ(t[6].text, "pg-ssh");
    EXPECT_EQ(t[7].text, "a");
    EXPECT_EQ(t[8].kind, Tok::Minus);
    EXPECT_EQ(t[9].text, "b");
    EXPECT_EQ(kinds("@a-"), (std::vector<Tok>{Tok::PortGroup, Tok::Minus, Tok::End}));
    EXPECT_EQ(t[0].pos, 0u);
    EXPECT_EQ(t[1].pos, 8u);
    // Hex-looking identifiers are identifiers unless a ':' follows the hex digits.
    auto d = lex_ok("dead beef.x add");
    EXPECT_EQ(d[0].kind, Tok::Id);
    EXPECT_EQ(d[1].kind, Tok::Id);
    EXPECT_EQ(d[2].kind, Tok::Id);
}

TEST(Lexer, Integers) {
    auto t = lex_ok("0 80 18446744073709551615 0x10 0XfF 0x0123456789abcdef0123456789abcdef");
    EXPECT_EQ(t[0].kind, Tok::Integer);
    EXPECT_EQ(t[0].format, Format::Decimal);
    EXPECT_EQ(t[0].value, Value{});
    EXPECT_EQ(t[1].value.low64(), 80u);
    EXPECT_EQ(t[2].value.low64(), UINT64_MAX);
    EXPECT_EQ(t[3].format, Format::Hex);
    EXPECT_EQ(t[3].value.low64(), 16u);
    EXPECT_EQ(t[4].value.low64(), 255u);
    EXPECT_EQ(t[5].value.be[0], 0x01);
    EXPECT_EQ(t[5].value.be[15], 0xef);
    EXPECT_EQ(t[5].value.significant_bits(), 121u);
    // Leading zero hex digits beyond 128 bits are fine.
    EXPECT_EQ(lex_ok("0x000000000000000000000000000000001")[0].value.low64(), 1u);
}

TEST(Lexer, EllipsisIsNotADecimalPoint) {
    auto t = lex_ok("reg0[0..15]");
    ASSERT_EQ(t.size(), 7u);
    EXPECT_EQ(t[0].kind, Tok::Id);
    EXPECT_EQ(t[1].kind, Tok::LSquare);
    EXPECT_EQ(t[2].kind, Tok::Integer);
    EXPECT_EQ(t[2].value.low64(), 0u);
    EXPECT_EQ(t[3].kind, Tok::Ellipsis);
    EXPECT_EQ(t[4].kind, Tok::Integer);
    EXPECT_EQ(t[4].value.low64(), 15u);
    EXPECT_EQ(t[5].kind, Tok::RSquare);
    EXPECT_EQ(kinds("1..2"), (std::vector<Tok>{Tok::Integer, Tok::Ellipsis, Tok::Integer, Tok::End}));
}

TEST(Lexer, Addresses) {
    auto t = lex_ok("1.2.3.4 00:11:22:aa:BB:cc fe80::1 :: ::ffff:1.2.3.4 ff02::1:ff00:0 2001:db8::");
    EXPECT_EQ(t[0].format, Format::Ipv4);
    EXPECT_EQ(t[0].value, v128({1, 2, 3, 4}));
    EXPECT_EQ(t[1].format, Format::Ethernet);
    EXPECT_EQ(t[1].value, v128({0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc}));
    EXPECT_EQ(t[2].format, Format::Ipv6);
    EXPECT_EQ(t[2].value.be[0], 0xfe);
    EXPECT_EQ(t[2].value.be[1], 0x80);
    EXPECT_EQ(t[2].value.be[15], 1);
    EXPECT_EQ(t[3].format, Format::Ipv6);
    EXPECT_EQ(t[3].value, Value{});
    EXPECT_EQ(t[4].format, Format::Ipv6);
    EXPECT_EQ(t[4].value, v128({0xff, 0xff, 1, 2, 3, 4}));
    EXPECT_EQ(t[5].format, Format::Ipv6);
    EXPECT_EQ(t[6].format, Format::Ipv6);
    // A MAC is exactly six two-digit groups; anything else with colons is IPv6.
    auto m = lex_ok("aa:bb:cc:dd:ee:ff a:b:c:d:e:f:1:2");
    EXPECT_EQ(m[0].format, Format::Ethernet);
    EXPECT_EQ(m[1].format, Format::Ipv6);
    // IPv4 followed by a port: three tokens, as in OVN.
    EXPECT_EQ(kinds("1.2.3.4:80"), (std::vector<Tok>{Tok::Integer, Tok::Colon, Tok::Integer, Tok::End}));
    // A lone ':' is a colon.
    EXPECT_EQ(kinds("a : b"), (std::vector<Tok>{Tok::Id, Tok::Colon, Tok::Id, Tok::End}));
}

TEST(Lexer, Masks) {
    auto t = lex_ok("1.2.3.4/24 10.0.0.0/255.0.0.0 fe80::/64 0x10/0xf0 "
                    "00:00:00:00:00:00/01:00:00:00:00:00 0/0x1234 5/7");
    EXPECT_EQ(t[0].kind, Tok::Masked);
    EXPECT_EQ(t[0].value, v128({1, 2, 3, 0}));  // value bits outside the mask are cleared
    EXPECT_EQ(t[0].mask, v128({255, 255, 255, 0}));
    EXPECT_EQ(t[1].mask, v128({255, 0, 0, 0}));
    EXPECT_EQ(t[2].format, Format::Ipv6);
    for (unsigned i = 0; i < 16; ++i) EXPECT_EQ(t[2].mask.be[i], i < 8 ? 0xff : 0) << i;
    EXPECT_EQ(t[3].value.low64(), 0x10u);
    EXPECT_EQ(t[3].mask.low64(), 0xf0u);
    EXPECT_EQ(t[4].format, Format::Ethernet);
    EXPECT_EQ(t[4].mask, v128({1, 0, 0, 0, 0, 0}));
    EXPECT_EQ(t[5].format, Format::Hex);
    EXPECT_EQ(t[5].mask.low64(), 0x1234u);
    EXPECT_EQ(t[6].kind, Tok::Masked);
    EXPECT_EQ(t[6].value.low64(), 5u);
    EXPECT_EQ(t[6].mask.low64(), 7u);
    EXPECT_EQ(lex_ok("1.2.3.4/0")[0].mask, Value{});
    EXPECT_EQ(lex_ok("::/128")[0].mask.significant_bits(), 128u);
}

TEST(Lexer, Strings) {
    auto t = lex_ok(R"("lr0-public" "a\"b\\c" "\n\t\u0041\u00e9" "")");
    EXPECT_EQ(t[0].kind, Tok::String);
    EXPECT_EQ(t[0].text, "lr0-public");
    EXPECT_EQ(t[1].text, "a\"b\\c");
    EXPECT_EQ(t[2].text, "\n\tA\xc3\xa9");
    EXPECT_EQ(t[3].text, "");
    EXPECT_EQ(t[1].pos, 13u);
}

TEST(Lexer, Comments) {
    EXPECT_EQ(kinds("/* drop */"), (std::vector<Tok>{Tok::End}));
    EXPECT_EQ(kinds("a /* x ** / y */ b // rest\nc"),
              (std::vector<Tok>{Tok::Id, Tok::Id, Tok::Id, Tok::End}));
    EXPECT_EQ(kinds("// only a comment"), (std::vector<Tok>{Tok::End}));
    auto t = lex_ok("/**/x");
    EXPECT_EQ(t[0].pos, 4u);
    EXPECT_EQ(lex_ok("  ")[0].pos, 2u);
}

TEST(Lexer, ErrorsWithPositions) {
    struct Case {
        const char* text;
        uint32_t pos;
        const char* words;
    };
    const Case cases[] = {
        {"a & b", 2, "'&&'"},
        {"a | b", 2, "'||'"},
        {"x \"abc", 2, "quoted string"},
        {"/* open", 0, "'*/'"},
        {"a / b", 2, "'//'"},
        {"a . b", 2, "'..'"},
        {"01", 0, "leading zeros"},
        {"18446744073709551616", 0, "2**64"},
        {"0x", 0, "hex digits"},
        {"0x123456789012345678901234567890123", 0, "128 bits"},
        {"0x12g", 4, "hexadecimal"},
        {"1.2.3.4/ff:ff:ff:ff:ff:ff", 7, "incompatible"},
        {"1.2.3.4/33", 7, "incompatible"},
        {"1.2.3", 0, "invalid numeric"},
        {"1.2.3.256", 0, "invalid numeric"},
        {"fe80:::1", 0, "invalid numeric"},
        {"$ x", 0, "'$'"},
        {"@1", 0, "'@'"},
        {"a # b", 2, "'#'"},
        {"a \x01", 2, "0x01"},
        {"\"\\q\"", 1, "escape"},
        {"\"\\u12\"", 1, "\\u"},
    };
    for (const Case& c : cases) {
        SyntaxError e = lex_err(c.text);
        EXPECT_EQ(e.pos, c.pos) << c.text << ": " << e.message;
        EXPECT_NE(e.message.find(c.words), std::string::npos) << c.text << ": " << e.message;
    }
    EXPECT_EQ(lex_err("a & b").to_string(), "syntax error at column 3: '&' is only valid as part of '&&'");
}

TEST(Lexer, ValueHelpers) {
    Value v;
    EXPECT_EQ(v.significant_bits(), 0u);
    v.set_bit(0, true);
    EXPECT_EQ(v.low64(), 1u);
    EXPECT_EQ(v.significant_bits(), 1u);
    v.set_bit(127, true);
    EXPECT_EQ(v.be[0], 0x80);
    EXPECT_EQ(v.significant_bits(), 128u);
    EXPECT_TRUE(v.bit(127));
    v.set_bit(127, false);
    EXPECT_EQ(v.significant_bits(), 1u);
    v.set_bit(63, true);
    EXPECT_EQ(v.low64(), (uint64_t{1} << 63) | 1);
    v.set_bit(64, true);
    EXPECT_EQ(v.low64(), (uint64_t{1} << 63) | 1);  // bit 64 is not in the low 64
    EXPECT_EQ(v.significant_bits(), 65u);
    // low_ones(n) and significant_bits() against setting and finding the bits one by one.
    for (unsigned n = 0; n <= 128; ++n) {
        Value want;
        for (unsigned i = 0; i < n; ++i) want.set_bit(i, true);
        EXPECT_EQ(Value::low_ones(n), want) << n;
        EXPECT_EQ(want.significant_bits(), n) << n;
        if (n) {
            Value one;
            one.set_bit(n - 1, true);
            EXPECT_EQ(one.significant_bits(), n) << n;
        }
    }
}

TEST(Lexer, TokNames) {
    EXPECT_EQ(tok_name(Tok::Eq), "'=='");
    EXPECT_EQ(tok_name(Tok::Id), "identifier");
    EXPECT_EQ(tok_name(Tok::End), "end of input");
}

TEST(Lexer, RandomBytesNeverCrash) {
    uint64_t s = 0x9e3779b97f4a7c15ull;
    const std::string alphabet = "0123456789abcdefx:./\"\\*{}[]()<>=!&|-$@ ,;\n\x01\xff_gz";
    for (int n = 0; n < 20000; ++n) {
        std::string text;
        const int len = static_cast<int>(s % 40);
        for (int i = 0; i < len; ++i) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            text.push_back(alphabet[s % alphabet.size()]);
        }
        LexResult r = tokenize(text);
        ASSERT_FALSE(r.tokens.empty());
        EXPECT_EQ(r.tokens.back().kind, Tok::End);
        if (r.error) {
            EXPECT_LE(r.error->pos, text.size());
        }
        s = s * 6364136223846793005ull + 1442695040888963407ull;
    }
}

// lex_one() is tokenize() of a text that is one token: the same token, and nothing for any
// text tokenize() fails on or splits in two or more (port security lexes addresses with it).
TEST(Lexer, LexOneIsTokenizeOfOneToken) {
    const char* texts[] = {"fa:16:3e:00:00:01", "FA:16:3E:00:00:01", "10.0.0.5", "10.0.0.5/24",
                           "10.0.0.5/255.255.255.0", "10.0.0.0/40", "fd00::5", "fd00::5/64", "::",
                           "::ffff:10.0.0.5", "0", "0x1f/0xff", " 10.0.0.5 ", "10.0.0.5 /* c */",
                           "007", "10.0.0.5/x", "1.2.3", "fd00::zz", "a b", "10.0.0.5,", "", "   ",
                           "inport", "\"vm1\"", "aa:bb:cc:dd:ee", "256.0.0.1", "10.0.0.5/33"};
    int ones = 0;
    for (const char* t : texts) {
        const LexResult all = tokenize(t);
        const std::optional<Token> one = lex_one(t);
        const bool want = !all.error && all.tokens.size() == 2;
        ASSERT_EQ(one.has_value(), want) << "'" << t << "'";
        if (!want) continue;
        ++ones;
        const Token& a = all.tokens[0];
        EXPECT_EQ(one->kind, a.kind) << t;
        EXPECT_EQ(one->format, a.format) << t;
        EXPECT_EQ(one->pos, a.pos) << t;
        EXPECT_EQ(one->text, a.text) << t;
        EXPECT_EQ(one->value, a.value) << t;
        EXPECT_EQ(one->mask, a.mask) << t;
    }
    EXPECT_GE(ones, 15);
}
