// compiler::PackedMatches: matches kept by the key words they touch come back as they went in.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "compiler/packed_matches.h"

using scs::compiler::PackedMatches;

namespace scs::test {
namespace {

using engine::Match;

// Random matches touching a few words each; some with a value bit outside the mask (a match
// that never matches must stay one), some empty (the catch-all).
std::vector<Match> random_matches(std::mt19937_64& rng, std::size_t n) {
    std::vector<Match> out(n);
    for (Match& m : out) {
        const unsigned words = static_cast<unsigned>(rng() % 6);
        for (unsigned k = 0; k < words; ++k) {
            const std::size_t w = rng() % engine::kKeyWords;
            const uint64_t mask = rng() % 3 == 0 ? ~uint64_t{0} : rng();
            engine::key_words(m.mask)[w] = mask;
            engine::key_words(m.value)[w] = rng() & (rng() % 7 == 0 ? ~uint64_t{0} : mask);
        }
        if (rng() % 5 == 0) engine::key_words(m.value)[rng() % engine::kKeyWords] |= 1;  // maybe under no mask
    }
    return out;
}

TEST(PackedMatches, EveryMatchComesBackAsItWent) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 200; ++round) {
        const std::vector<Match> in = random_matches(rng, rng() % 9);
        PackedMatches p(in);
        PackedMatches pushed;
        for (const Match& m : in) pushed.push(m);
        ASSERT_EQ(p.size(), in.size());
        EXPECT_EQ(p.empty(), in.empty());
        for (const PackedMatches* x : {&p, &pushed}) {
            std::size_t i = 0;
            x->for_each([&](const Match& m) {
                ASSERT_LT(i, in.size());
                EXPECT_EQ(std::memcmp(&m, &in[i], sizeof(Match)), 0) << "round " << round << " match " << i;
                ++i;
            });
            EXPECT_EQ(i, in.size());
        }
    }
}

}  // namespace
}  // namespace scs::test
