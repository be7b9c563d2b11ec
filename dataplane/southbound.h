// The Southbound as the daemon's table source: ovn-controller's job on this chassis.
//
// Registers the chassis (Chassis, Encap with our underlay IP, Chassis_Private), compiles the
// local datapaths' logical flows into a generation whenever the replica changes (only the
// datapaths a change touches are rebuilt: compiler/compiler.h), claims the logical ports
// mapped to our DPDK ports plus chassisredirect and l3gateway ports resident here and sets
// them `up`, narrows the monitor to the local datapaths, and releases everything on a clean
// shutdown. Until the database answers, the generation is empty: every packet is dropped
// with a counted reason, nothing is forwarded on a guess.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "compiler/compiler.h"
#include "mgmt_json.h"
#include "options.h"
#include "ovsdb/sb_client.h"
#include "mgmt_server.h"
#include "ports.h"
#include "source.h"

namespace scs::dataplane {

class SouthboundSource final : public GenerationSource {
  public:
    static Result<std::unique_ptr<SouthboundSource>> create(const Config& cfg, const Ports& ports);

    Result<std::unique_ptr<engine::Generation>> initial() override;
    Result<std::unique_ptr<engine::Generation>> next(const engine::Generation& live) override;
    Result<std::unique_ptr<engine::Generation>> poll() override;
    void shutdown() override;

    // For `scs-dpctl show` / dump-lflows: connection state, chassis, last compile.
    mgmt::Json status_json() const;
    const compiler::CompileReport& report() const { return compiler_.report(); }
    // A localnet logical port's physical network (options:network_name), "" if it is none.
    std::string localnet_network(const std::string& lport) const;

  private:
    SouthboundSource(std::unique_ptr<ovsdb::SbClient> sb, compiler::LocalConfig local, std::string remote)
        : sb_(std::move(sb)), compiler_(std::move(local)), remote_(std::move(remote)) {}
    Result<std::unique_ptr<engine::Generation>> compile(const compiler::CompileHint& hint = {});

    std::unique_ptr<ovsdb::SbClient> sb_;
    compiler::Compiler compiler_;
    std::string remote_;
    ovsdb::Snapshot snapshot_;
    uint64_t number_ = 0;
    bool have_snapshot_ = false;
    std::set<std::string> claimed_;
    uint64_t compiles_ = 0;
    std::string last_error_;
};

// Adds `dump-lflows` (the logical flows the compiler took in and how each was lowered) and
// `trace` (a microflow or hex frame through the live tables, step by step) to the
// management server (mgmt_lflows.cc).
void register_southbound_methods(MgmtServer& mgmt, const SouthboundSource& sb,
                                 const Tables& tables, const Ports& ports,
                                 rte_mempool* pool);

}  // namespace scs::dataplane
