#include "packet/pcap_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace scs::pkt {

namespace {

constexpr uint32_t kMagicUsec = 0xa1b2c3d4;
constexpr uint32_t kLinkEthernet = 1;
constexpr uint32_t kSnapLen = 65535;

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

struct GlobalHeader {
    uint32_t magic, version;  // version: major 2 (low half), minor 4 (high half)
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};
struct RecordHeader {
    uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

}  // namespace

Result<void> write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
    File f(std::fopen(path.c_str(), "wb"));
    if (!f) return make_error(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    const GlobalHeader gh{kMagicUsec, 2u | 4u << 16, 0, 0, kSnapLen, kLinkEthernet};
    bool ok = std::fwrite(&gh, sizeof gh, 1, f.get()) == 1;
    uint32_t usec = 0;
    for (const auto& fr : frames) {
        const RecordHeader rh{0, usec++, static_cast<uint32_t>(fr.size()), static_cast<uint32_t>(fr.size())};
        ok = ok && std::fwrite(&rh, sizeof rh, 1, f.get()) == 1 && std::fwrite(fr.data(), 1, fr.size(), f.get()) == fr.size();
    }
    if (!ok || std::fflush(f.get()) != 0) return make_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    return {};
}

Result<std::vector<std::vector<uint8_t>>> read_pcap(const std::string& path) {
    File f(std::fopen(path.c_str(), "rb"));
    if (!f) return make_error(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    GlobalHeader gh;
    if (std::fread(&gh, sizeof gh, 1, f.get()) != 1) return make_error(fmt::format("{}: no pcap header", path));
    if (gh.magic != kMagicUsec && gh.magic != 0xa1b23c4d)
        return make_error(fmt::format("{}: not a little-endian pcap file (magic {:#x})", path, gh.magic));
    if (gh.linktype != kLinkEthernet) return make_error(fmt::format("{}: link type {} is not Ethernet", path, gh.linktype));
    std::vector<std::vector<uint8_t>> frames;
    RecordHeader rh;
    while (std::fread(&rh, sizeof rh, 1, f.get()) == 1) {
        if (rh.incl_len > kSnapLen) return make_error(fmt::format("{}: record {} claims {} bytes", path, frames.size(), rh.incl_len));
        std::vector<uint8_t> fr(rh.incl_len);
        if (std::fread(fr.data(), 1, fr.size(), f.get()) != fr.size())
            return make_error(fmt::format("{}: record {} cut off", path, frames.size()));
        frames.push_back(std::move(fr));
    }
    return frames;
}

}  // namespace scs::pkt
