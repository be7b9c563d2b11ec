#include "ovsdb/sb_types.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <functional>

#include "common/mix.h"

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

uint64_t new_flows_lineage() {
    static std::atomic<uint64_t> lineage{0};
    return (lineage.fetch_add(1, std::memory_order_relaxed) + 1) << 32;
}

uint64_t port_security_hash(const PortBinding& pb) {
    uint64_t h = 1469598103934665603ull;
    for (const std::string& s : pb.port_security) {
        h = (h ^ std::hash<std::string_view>()(s)) * 1099511628211ull;
        h = (h ^ s.size()) * 1099511628211ull;
        h ^= h >> 32;
    }
    return h ? h : 1;
}

uint64_t members_hash(const MulticastGroup& g) {
    uint64_t h = 0;
    for (const std::string& n : g.ports) h += mix64(std::hash<std::string_view>()(n));
    return h ? h : 1;
}

uint64_t content_hash(const LogicalFlow& f) {
    uint64_t h = 1469598103934665603ull;
    auto add = [&h](uint64_t x) {
        h = (h ^ x) * 1099511628211ull;
        h ^= h >> 32;
    };
    for (uint32_t p : f.uuid.parts) add(p);
    add(f.logical_datapath ? 1 : 0);
    if (f.logical_datapath)
        for (uint32_t p : f.logical_datapath->parts) add(p);
    for (const Uuid& d : f.group_datapaths)
        for (uint32_t p : d.parts) add(p);
    add(static_cast<uint64_t>(f.pipeline) << 32 | static_cast<uint64_t>(f.table_id) << 16 | f.priority);
    for (const std::string* s : {&f.match, &f.actions, &f.stage_name}) {
        add(std::hash<std::string_view>()(*s));
        add(s->size());
    }
    return h ? h : 1;
}

}  // namespace scs::ovsdb
