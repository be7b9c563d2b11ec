// The daemon's own messages. Progress goes to stdout next to DPDK's log (which the daemon
// also sends to stdout); stderr gets only the one line saying why the run ended badly, so
// scripts can show it to a person as is. Control thread only: workers never print.
#pragma once

#include <cstdio>
#include <utility>

#include <fmt/format.h>

namespace scs::dataplane {

inline constexpr const char* kProg = "scs-dataplane";

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    fmt::print(stdout, "{}: {}\n", kProg, fmt::format(f, std::forward<Args>(args)...));
    std::fflush(stdout);
}

// The one error line; the caller exits right after.
inline void error_line(const std::string& msg) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: error: {}\n", kProg, msg);
    std::fflush(stderr);
}

}  // namespace scs::dataplane
