// compiler::NameIndex: the by-name index ChassisView builds over every Port_Binding.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include <fmt/format.h>

#include "compiler/name_index.h"

namespace scs::test {
namespace {

struct Row {
    std::string name;
    int v = 0;
};
std::string_view name_of(const Row& r) { return r.name; }
using Index = compiler::NameIndex<Row, name_of>;

TEST(NameIndex, FindsEveryRowThroughGrowth) {
    std::deque<Row> rows;
    Index idx;  // no reserve(): grows from empty
    for (int i = 0; i < 5000; ++i) idx.put(&rows.emplace_back(Row{fmt::format("ls{}-p{}", i / 200, i % 200), i}));
    EXPECT_EQ(idx.size(), 5000u);
    for (int i = 0; i < 5000; ++i) {
        const Row* r = idx.find(fmt::format("ls{}-p{}", i / 200, i % 200));
        ASSERT_NE(r, nullptr) << i;
        EXPECT_EQ(r->v, i);
    }
    EXPECT_EQ(idx.find("ls25-p0"), nullptr);
    EXPECT_EQ(idx.find(""), nullptr);
}

TEST(NameIndex, LastRowOfANameWins) {
    std::deque<Row> rows{{"a", 1}, {"b", 2}, {"a", 3}};
    Index idx;
    idx.reserve(rows.size());
    for (const Row& r : rows) idx.put(&r);
    EXPECT_EQ(idx.size(), 2u);
    const Row* a = idx.find("a");
    const Row* b = idx.find("b");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->v, 3);
    EXPECT_EQ(b->v, 2);
}

// Erasing by address in a scrambled order from a table at its highest load (probe runs of
// several slots, some wrapping around the end): after every erase, every row left is still
// found and the erased one is not; erasing it again fails; it can be put back.
TEST(NameIndex, EraseByAddressKeepsEveryOtherRowFindable) {
    constexpr int kRows = 511;  // reserve(511): 1024 slots, put() grows past 512
    std::deque<Row> rows;
    for (int i = 0; i < kRows; ++i) rows.push_back(Row{fmt::format("ls{}-p{}", i % 7, i), i});
    Index idx;
    idx.reserve(kRows);
    for (const Row& r : rows) idx.put(&r);
    std::vector<bool> gone(kRows);
    for (int k = 0; k < kRows; ++k) {
        const auto i = static_cast<std::size_t>((k * 97) % kRows);
        const Row& r = rows[i];
        ASSERT_TRUE(idx.erase(Index::hash(r.name), &r)) << r.name;
        EXPECT_FALSE(idx.erase(Index::hash(r.name), &r)) << r.name;
        gone[i] = true;
        ASSERT_EQ(idx.size(), static_cast<std::size_t>(kRows - 1 - k));
        for (std::size_t j = 0; j < rows.size(); ++j)
            ASSERT_EQ(idx.find(rows[j].name), gone[j] ? nullptr : &rows[j]) << "after erasing " << r.name;
        if (k % 50 == 0) {  // put back and erase again: the slot it takes may differ
            idx.put(&r);
            ASSERT_EQ(idx.find(r.name), &r);
            ASSERT_TRUE(idx.erase(Index::hash(r.name), &r));
        }
    }
    // A row of the same name at another address is not the one indexed.
    Row twin{rows[0].name, -1};
    idx.put(&rows[0]);
    EXPECT_FALSE(idx.erase(Index::hash(twin.name), &twin));
    EXPECT_EQ(idx.find(twin.name), &rows[0]);
}

TEST(NameIndex, EmptyIndexFindsNothing) {
    Index idx;
    EXPECT_EQ(idx.find("x"), nullptr);
    EXPECT_EQ(idx.size(), 0u);
}

}  // namespace
}  // namespace scs::test

namespace scs::test {
namespace {

TEST(UuidSlots, FindsEveryUuidThroughGrowthAndKeepsTheFirstValue) {
    compiler::UuidSlots slots;  // grows from empty
    auto uuid = [](uint32_t i) {
        ovsdb::Uuid u;
        u.parts = {i * 2654435761u, i, ~i, i ^ 0x5a5a5a5au};
        return u;
    };
    for (uint32_t i = 0; i < 3000; ++i) EXPECT_TRUE(slots.put(uuid(i), i));
    EXPECT_FALSE(slots.put(uuid(7), 99));
    for (uint32_t i = 0; i < 3000; ++i) EXPECT_EQ(slots.find(uuid(i)), i);
    EXPECT_EQ(slots.find(uuid(3000)), compiler::UuidSlots::kNone);
    ovsdb::Uuid near = uuid(5);
    near.parts[2] ^= 1;  // same hash bits, different UUID
    EXPECT_EQ(slots.find(near), compiler::UuidSlots::kNone);
}

}  // namespace
}  // namespace scs::test
