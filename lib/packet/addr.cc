// Text forms of the address types (control path).
#include "packet/addr.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace scs::pkt {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// inet_pton wants a NUL-terminated string. Copy into a bounded buffer; an embedded NUL would
// make inet_pton see a shorter string and accept "1.2.3.4\0junk", so it is rejected here.
template <std::size_t N>
bool to_cstr(std::string_view s, char (&buf)[N]) {
    if (s.size() >= N || s.find('\0') != std::string_view::npos) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    return true;
}

}  // namespace

std::optional<Mac> Mac::parse(std::string_view s) {
    constexpr std::size_t kTextLen = 17;  // "xx:" * 5 + "xx"
    if (s.size() != kTextLen) return std::nullopt;
    Mac m;
    for (std::size_t i = 0; i < 6; ++i) {
        const std::size_t pos = i * 3;
        if (i > 0 && s[pos - 1] != ':') return std::nullopt;
        const int hi = hex_digit(s[pos]);
        const int lo = hex_digit(s[pos + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        m.b[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return m;
}

std::string Mac::str() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                  b[5]);
    return buf;
}

std::optional<Ip4> Ip4::parse(std::string_view s) {
    char buf[INET_ADDRSTRLEN];
    if (!to_cstr(s, buf)) return std::nullopt;
    uint8_t raw[4];
    if (inet_pton(AF_INET, buf, raw) != 1) return std::nullopt;
    return Ip4::from_bytes(raw);
}

std::string Ip4::str() const {
    const auto a = bytes();
    char buf[INET_ADDRSTRLEN];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return buf;
}

std::optional<Ip6> Ip6::parse(std::string_view s) {
    char buf[INET6_ADDRSTRLEN];
    if (!to_cstr(s, buf)) return std::nullopt;
    Ip6 ip;
    if (inet_pton(AF_INET6, buf, ip.b.data()) != 1) return std::nullopt;
    return ip;
}

std::string Ip6::str() const {
    char buf[INET6_ADDRSTRLEN];
    // Cannot fail: the family is valid and the buffer has the documented maximum size.
    if (inet_ntop(AF_INET6, b.data(), buf, sizeof buf) == nullptr) return {};
    return buf;
}

}  // namespace scs::pkt
