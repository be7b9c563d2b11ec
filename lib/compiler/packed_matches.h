// Engine matches as the compiler's caches keep them across generations: by the key words a
// match touches. An engine::Match is 384 bytes (two 24-word keys); a lowered OVN match or a
// port-security rule touches 2-5 of those words, so a 100k-flow Southbound's cached matches
// take tens of megabytes instead of hundreds - memory the first compile of a process would
// otherwise fault in page by page.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "engine/key.h"
#include "engine/match.h"
#include "lflow/conj.h"

namespace scs::compiler {

class PackedMatches {
public:
    PackedMatches() = default;
    explicit PackedMatches(const std::vector<engine::Match>& ms) {
        std::size_t n = 0;
        for (const engine::Match& m : ms) n += 1 + 2 * static_cast<std::size_t>(std::popcount(touched(m)));
        words_.reserve(n);
        for (const engine::Match& m : ms) push(m);
    }
    explicit PackedMatches(const std::vector<lflow::Conj>& cs) {
        std::size_t n = 0;
        for (const lflow::Conj& c : cs) n += 1 + 2 * static_cast<std::size_t>(std::popcount(c.words));
        words_.reserve(n);
        for (const lflow::Conj& c : cs) push(c);
    }

    void push(const engine::Match& m) { push(touched(m), engine::key_words(m.mask), engine::key_words(m.value)); }
    void push(const lflow::Conj& c) { push(c.words, c.mask.data(), c.value.data()); }

    std::size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }

    // f(const engine::Match&) for each match, in the order pushed.
    template <typename F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < words_.size();) {
            engine::Match m;
            uint64_t* mw = engine::key_words(m.mask);
            uint64_t* vw = engine::key_words(m.value);
            for (auto bits = static_cast<uint32_t>(words_[i++]); bits; bits &= bits - 1) {
                const int w = std::countr_zero(bits);
                mw[w] = words_[i++];
                vw[w] = words_[i++];
            }
            f(static_cast<const engine::Match&>(m));
        }
    }

private:
    static_assert(engine::kKeyWords <= 32, "a match's touched words are a 32-bit set");
    // Words where the mask or the value is not zero (a value bit outside its mask makes the
    // match never match: kept as it is).
    static uint32_t touched(const engine::Match& m) {
        const uint64_t* mw = engine::key_words(m.mask);
        const uint64_t* vw = engine::key_words(m.value);
        uint32_t t = 0;
        for (std::size_t w = 0; w < engine::kKeyWords; ++w)
            if (mw[w] | vw[w]) t |= uint32_t{1} << w;
        return t;
    }

    void push(uint32_t t, const uint64_t* mw, const uint64_t* vw) {
        words_.push_back(t);
        for (uint32_t bits = t; bits; bits &= bits - 1) {
            const int w = std::countr_zero(bits);
            words_.push_back(mw[w]);
            words_.push_back(vw[w]);
        }
        ++n_;
    }


    std::vector<uint64_t> words_;  // per match: its touched-word set, then (mask, value) per word
    std::size_t n_ = 0;
};

}  // namespace scs::compiler
