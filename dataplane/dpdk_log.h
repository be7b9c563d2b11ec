// DPDK's log, routed: everything goes to stdout (stderr is kept for the daemon's one error
// line), and error-level messages logged while a Capture is alive are remembered, so that
// an error line can quote the reason a driver or EAL gave ("Couldn't open in.pcap: No such
// file or directory") instead of a bare errno.
//
// The stream is a fopencookie() stream; DPDK writes each message with one vfprintf+fflush,
// and rte_log_cur_msg_loglevel() tells the writer the level of the message being written.
// Any thread may log; the capture buffer is guarded by a mutex (control path only: workers
// do not log).
#pragma once

#include <string>
#include <vector>

namespace scs::dataplane {

// Routes DPDK's log to stdout through the tap. Call once, before rte_eal_init.
void install_dpdk_log_tap();

class DpdkLogCapture {
  public:
    DpdkLogCapture();   // starts recording error-level messages
    ~DpdkLogCapture();  // stops
    DpdkLogCapture(const DpdkLogCapture&) = delete;
    DpdkLogCapture& operator=(const DpdkLogCapture&) = delete;

    // Error-level messages so far, one per entry, without trailing newlines.
    std::vector<std::string> errors() const;
    // The first `max` of them joined with "; ", or "" if there were none.
    std::string summary(std::size_t max = 1) const;
};

int redirect_stderr_to_stdout();  // returns the saved fd (or -1)
void restore_stderr(int saved_fd);

// Runs `fn` with fd 2 pointed at stdout: for rte_eal_init, which prints its fatal alert and
// getopt's complaints straight to stderr.
template <typename F>
auto with_stderr_on_stdout(F&& fn) -> decltype(fn()) {
    const int saved = redirect_stderr_to_stdout();
    struct Restore {
        int fd;
        ~Restore() { restore_stderr(fd); }
    } restore{saved};
    return fn();
}

}  // namespace scs::dataplane
