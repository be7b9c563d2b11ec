// Indexes the compiler rebuilds on every compile over the whole Southbound.
//
// A by-name index over rows that outlive it: open addressing on (hash, pointer) pairs, no
// allocation per entry and no copy of the name. ChassisView builds two of these over every
// Port_Binding on each compile; std::unordered_map's node per entry cost more than the
// rest of the view.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "ovsdb/sb_types.h"

namespace scs::compiler {

// std::hash of names, for unordered containers of std::string looked up by string_view.
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// `Name(const T&)` gives the row's name (a view into the row).
template <typename T, auto Name>
class NameIndex {
public:
    void reserve(std::size_t n) {
        const std::size_t cap = std::bit_ceil(std::max<std::size_t>(16, n * 2));
        slots_.assign(cap, Slot{});
        mask_ = cap - 1;
        size_ = 0;
    }

    // The hash put() and find() use for a name (callers that index one name twice keep it).
    static uint64_t hash(std::string_view s) { return std::hash<std::string_view>()(s); }

    // Inserts or replaces (the last row of a name wins, as assignment into a map would).
    void put(const T* row) { put(row, hash(Name(*row))); }
    void put(const T* row, uint64_t h) {  // h: hash(Name(*row))
        if (2 * (size_ + 1) > slots_.size()) grow();
        const std::string_view name = Name(*row);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (!s.row) {
                s = {h, row};
                ++size_;
                return;
            }
            if (s.hash == h && Name(*s.row) == name) {
                s.row = row;
                return;
            }
        }
    }

    const T* find(std::string_view name) const {
        if (slots_.empty()) return nullptr;
        const uint64_t h = hash(name);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (!s.row) return nullptr;
            if (s.hash == h && Name(*s.row) == name) return s.row;
        }
    }

    std::size_t size() const { return size_; }

    // Removes `row` itself (by address: it is not read, and may be gone from where it was),
    // indexed under hash `h`. False if it is not there.
    bool erase(uint64_t h, const T* row) {
        if (slots_.empty()) return false;
        std::size_t i = h & mask_;
        for (;; i = (i + 1) & mask_) {
            if (!slots_[i].row) return false;
            if (slots_[i].row == row) break;
        }
        // Backward-shift deletion: later entries of the probe run move up into the hole
        // unless their home slot lies cyclically after it.
        for (std::size_t j = (i + 1) & mask_; slots_[j].row; j = (j + 1) & mask_) {
            const std::size_t home = slots_[j].hash & mask_;
            const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (stays) continue;
            slots_[i] = slots_[j];
            i = j;
        }
        slots_[i] = Slot{};
        --size_;
        return true;
    }

private:
    struct Slot {
        uint64_t hash = 0;
        const T* row = nullptr;
    };
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        reserve(std::max<std::size_t>(16, old.size()));
        for (const Slot& s : old)
            if (s.row) put(s.row, s.hash);
    }

    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

}  // namespace scs::compiler

namespace scs::compiler {

// Uuid -> small integer, open addressing with the UUID's own random bits as the hash (OVSDB
// UUIDs are random v4): one probe and four word compares per lookup, for the per-flow and
// per-port datapath lookups of every compile.
class UuidSlots {
public:
    static constexpr uint32_t kNone = ~uint32_t{0};

    void reserve(std::size_t n) {
        const std::size_t cap = std::bit_ceil(std::max<std::size_t>(16, n * 2));
        slots_.assign(cap, Slot{});
        mask_ = cap - 1;
    }
    // False if `u` is already there (its value is kept).
    bool put(const ovsdb::Uuid& u, uint32_t value) {
        if (2 * (n_ + 1) > slots_.size()) grow();
        for (std::size_t i = start(u);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.value == kNone) {
                s = {u, value};
                ++n_;
                return true;
            }
            if (s.uuid == u) return false;
        }
    }
    uint32_t find(const ovsdb::Uuid& u) const {
        if (slots_.empty()) return kNone;
        for (std::size_t i = start(u);; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.value == kNone) return kNone;
            if (s.uuid.parts[0] == u.parts[0] && s.uuid.parts[1] == u.parts[1] && s.uuid.parts[2] == u.parts[2] &&
                s.uuid.parts[3] == u.parts[3])
                return s.value;
        }
    }

private:
    struct Slot {
        ovsdb::Uuid uuid;
        uint32_t value = kNone;
    };
    std::size_t start(const ovsdb::Uuid& u) const {
        const uint64_t h = (uint64_t{u.parts[0]} << 32 | u.parts[3]) * 0x9e3779b97f4a7c15ull;
        return static_cast<std::size_t>(h >> 32) & mask_;
    }
    void grow() {
        std::vector<Slot> old = std::move(slots_);
        reserve(std::max<std::size_t>(16, old.size()));
        n_ = 0;
        for (const Slot& s : old)
            if (s.value != kNone) put(s.uuid, s.value);
    }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t n_ = 0;
};

}  // namespace scs::compiler
