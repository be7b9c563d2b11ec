// A Southbound fixture (tests/fixtures/sb) compiled for one chassis, a packet harness on the
// result, and the trace text of a frame for failure messages: what the byte-for-byte tests
// of the compiler share.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "compiler/compiler.h"
#include "compiler/trace_text.h"
#include "ovsdb/snapshot_file.h"
#include "packet/builder.h"
#include "packet/harness.h"

namespace scs::test {

// The underlay of tools/ovn/topologies.py: this chassis at 192.168.100.1, hv2 at
// 192.168.100.2 (its MAC is the next hop).
inline const pkt::Ip4 kOurIp = *pkt::Ip4::parse("192.168.100.1"), kHv2Ip = *pkt::Ip4::parse("192.168.100.2");
inline const pkt::Mac kOurUnderlayMac = *pkt::Mac::parse("02:00:00:00:aa:01");
inline const pkt::Mac kHv2Mac = *pkt::Mac::parse("02:00:00:00:aa:02");

// Chassis scs-dp-0 of those topologies: `vifs`, the underlay and physnet1 on DPDK ports.
inline compiler::LocalConfig scs_dp_0(std::map<std::string, uint16_t> vifs, uint16_t underlay, uint16_t physnet1) {
    compiler::LocalConfig c;
    c.chassis = "scs-dp-0";
    c.vifs = std::move(vifs);
    c.providers = {{"physnet1", physnet1}};
    c.underlay_port = underlay;
    c.encap_ip = kOurIp;
    c.underlay_mac = kOurUnderlayMac;
    c.next_hop_mac = kHv2Mac;
    return c;
}

class FixtureChassis : public ::testing::Test {
protected:
    // Loads tests/fixtures/sb/`file` and compiles it as chassis `cfg`.
    void load(const char* file, const compiler::LocalConfig& cfg) {
        auto s = ovsdb::load_snapshot(std::string(SCS_SOURCE_ROOT "/tests/fixtures/sb/") + file);
        ASSERT_TRUE(s) << s.error();
        sb = std::move(*s);
        compiler = std::make_unique<compiler::Compiler>(cfg);
        auto g = compiler->compile(sb, 1);
        ASSERT_TRUE(g) << g.error();
        h = std::make_unique<Harness>(std::move(*g));
    }
    // What `frame` received on `port` does, stage by stage (on a copy of the tables).
    std::string trace(uint16_t port, const Bytes& frame) {
        Harness t(std::make_unique<engine::Generation>(h->gen()), false);
        engine::TraceLog log;
        t.trace(&log);
        t.send(port, frame);
        std::string s;
        for (const std::string& line : compiler::trace_text(log, h->gen(), compiler->report())) s += "\n  " + line;
        return s;
    }

    ovsdb::Snapshot sb;
    std::unique_ptr<compiler::Compiler> compiler;
    std::unique_ptr<Harness> h;
};

// A UDP frame (ports 1234 -> 5678, 18 bytes of payload pattern), optionally VLAN-tagged.
inline Bytes udp(pkt::Mac dst, pkt::Mac src, pkt::Ip4 sip, pkt::Ip4 dip, uint16_t vlan = 0) {
    pkt::FrameBuilder b;
    b.eth(dst, src);
    if (vlan) b.vlan(vlan);
    return b.ipv4(sip, dip, 64).udp(1234, 5678).payload_pattern(18).build();
}

}  // namespace scs::test
