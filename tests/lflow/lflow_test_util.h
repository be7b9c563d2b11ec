// Shared by the lflow tests: a Resolver with fixed names, and engine matches as text.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/field.h"
#include "engine/match.h"
#include "lflow/expr.h"

namespace scs::lflow::test {

class FakeResolver : public Resolver {
public:
    std::map<std::string, uint32_t, std::less<>> ports;
    std::map<std::string, std::vector<std::string>, std::less<>> sets;
    std::map<std::string, std::vector<std::string>, std::less<>> groups;
    std::set<std::string, std::less<>> resident;

    std::optional<uint32_t> port_key(std::string_view name) const override {
        auto it = ports.find(name);
        if (it == ports.end()) return std::nullopt;
        return it->second;
    }
    const std::vector<std::string>* address_set(std::string_view name) const override {
        auto it = sets.find(name);
        return it == sets.end() ? nullptr : &it->second;
    }
    const std::vector<std::string>* port_group(std::string_view name) const override {
        auto it = groups.find(name);
        return it == groups.end() ? nullptr : &it->second;
    }
    bool chassis_resident(std::string_view port) const override {
        return resident.find(port) != resident.end();
    }
};

// "eth.type=0x0800 tp.dst=0x0050 ip4.src=0x0a000000/0xff000000": every field with a non-zero
// mask, registers shown as reg0..reg9 (the wider overlays are skipped).
inline std::string show(const engine::Match& m) {
    std::string out;
    const uint8_t* v = engine::key_bytes(m.value);
    const uint8_t* k = engine::key_bytes(m.mask);
    for (unsigned i = 0; i < static_cast<unsigned>(engine::Field::Count); ++i) {
        const auto f = static_cast<engine::Field>(i);
        if (f >= engine::Field::Xreg0 && f <= engine::Field::Xxreg1) continue;
        const engine::FieldInfo& fi = engine::field_info(f);
        bool any = false, full = true;
        for (unsigned b = 0; b < fi.width; ++b) {
            any |= k[fi.offset + b] != 0;
            full &= k[fi.offset + b] == 0xff;
        }
        if (!any) continue;
        std::string vs = "0x", ms = "0x";
        for (unsigned b = 0; b < fi.width; ++b) {
            char buf[4];
            snprintf(buf, sizeof buf, "%02x", v[fi.offset + b]);
            vs += buf;
            snprintf(buf, sizeof buf, "%02x", k[fi.offset + b]);
            ms += buf;
        }
        if (!out.empty()) out += ' ';
        out += std::string(fi.name) + "=" + vs + (full ? "" : "/" + ms);
    }
    return out.empty() ? "*" : out;
}

inline std::vector<std::string> show(const std::vector<engine::Match>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(show(m));
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace scs::lflow::test
