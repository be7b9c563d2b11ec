#include "dpdk_log.h"

#include <stdio.h>
#include <unistd.h>

#include <mutex>
#include <string_view>

#include <rte_log.h>

namespace scs::dataplane {

namespace {

struct Tap {
    std::mutex mu;
    bool capturing = false;           // guarded by mu
    std::vector<std::string> errors;  // guarded by mu
};

Tap& tap() {
    static Tap t;
    return t;
}

ssize_t tap_write(void*, const char* buf, size_t size) {
    const ssize_t n = static_cast<ssize_t>(fwrite(buf, 1, size, stdout));
    fflush(stdout);
    const uint32_t level = rte_log_cur_msg_loglevel();
    if (level != 0 && level <= RTE_LOG_ERR) {
        Tap& t = tap();
        std::lock_guard<std::mutex> lock(t.mu);
        if (t.capturing) {
            std::string_view rest(buf, size);
            while (!rest.empty()) {
                const auto nl = rest.find('\n');
                std::string_view line = rest.substr(0, nl);
                rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
                while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                    line.remove_suffix(1);
                if (!line.empty()) t.errors.emplace_back(line);
            }
        }
    }
    return n;
}

}  // namespace

void install_dpdk_log_tap() {
    cookie_io_functions_t io{};
    io.write = tap_write;
    // Fully buffered: rte_vlog() flushes after each message, so each write is one message.
    if (FILE* f = fopencookie(nullptr, "w", io)) {
        rte_openlog_stream(f);  // lives for the rest of the process
    } else {
        rte_openlog_stream(stdout);
    }
}

DpdkLogCapture::DpdkLogCapture() {
    Tap& t = tap();
    std::lock_guard<std::mutex> lock(t.mu);
    t.capturing = true;
    t.errors.clear();
}

DpdkLogCapture::~DpdkLogCapture() {
    Tap& t = tap();
    std::lock_guard<std::mutex> lock(t.mu);
    t.capturing = false;
}

std::vector<std::string> DpdkLogCapture::errors() const {
    Tap& t = tap();
    std::lock_guard<std::mutex> lock(t.mu);
    return t.errors;
}

std::string DpdkLogCapture::summary(std::size_t max) const {
    std::string s;
    const auto errs = errors();
    for (std::size_t i = 0; i < errs.size() && i < max; ++i) {
        if (!s.empty()) s += "; ";
        s += errs[i];
    }
    return s;
}

int redirect_stderr_to_stdout() {
    fflush(stdout);
    fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    if (saved >= 0) dup2(STDOUT_FILENO, STDERR_FILENO);
    return saved;
}

void restore_stderr(int saved_fd) {
    if (saved_fd < 0) return;
    fflush(stderr);
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
}

}  // namespace scs::dataplane
