#include "ovsdb/sb_types.h"

#include <charconv>
#include <cstdio>

namespace scs::ovsdb {

std::string Uuid::to_string() const {
    // Open vSwitch's UUID_FMT: parts[1] and parts[2] each hold two groups.
    std::array<char, 37> buf{};
    std::snprintf(buf.data(), buf.size(), "%08x-%04x-%04x-%04x-%04x%08x", parts[0],
                  parts[1] >> 16, parts[1] & 0xffff, parts[2] >> 16, parts[2] & 0xffff, parts[3]);
    return std::string(buf.data(), 36);
}

std::optional<Uuid> Uuid::parse(std::string_view text) {
    if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
        text[23] != '-') {
        return std::nullopt;
    }
    std::string hex;
    hex.reserve(32);
    for (size_t i = 0; i < text.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) continue;
        hex.push_back(text[i]);
    }
    Uuid u;
    for (size_t i = 0; i < 4; ++i) {
        const char* first = hex.data() + i * 8;
        auto [ptr, ec] = std::from_chars(first, first + 8, u.parts[i], 16);
        if (ec != std::errc() || ptr != first + 8) return std::nullopt;
    }
    return u;
}

}  // namespace scs::ovsdb
