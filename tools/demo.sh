#!/usr/bin/env bash
# The main job: scs-dataplane forwarding the built-in demo topology over DPDK virtual devices.
#   1. one pass of demo traffic (tools/demo_traffic.cc) from pcap files through the daemon,
#      and what came out of each port, decoded by tcpdump;
#   2. the same traffic looped at full speed (net_pcap infinite_rx into net_null sinks) for
#      DURATION seconds (default 10; Ctrl-C stops earlier) with counters every second.
# Runs without hugepages or NICs. Needs a build (tools/bootstrap.sh).
#   tools/demo.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
bin=build/dataplane/scs-dataplane
[ -x "$bin" ] || { echo "demo: $bin missing: run tools/bootstrap.sh first" >&2; exit 1; }
work=$(mktemp -d /tmp/scs-demo.XXXXXX)
trap 'rm -rf "$work" /var/run/dpdk/scs-demo-$$ /var/run/dpdk/scs-demo2-$$' EXIT
eal=(-l 0 --no-huge -m 512 --no-pci --no-telemetry --log-level=lib.*:notice)

echo "== demo traffic"
build/tools/scs-demo-traffic "$work"

echo
echo "== pass 1: one pass through the pipeline, outputs captured"
"$bin" "${eal[@]}" --file-prefix "scs-demo-$$" -- \
  --port "vif=vm1,dev=net_pcap0,rx_pcap=$work/vm1.pcap,tx_pcap=$work/out-vm1.pcap" \
  --port "vif=vm2,dev=net_pcap1,tx_pcap=$work/out-vm2.pcap" \
  --port "vif=vm4,dev=net_pcap2,tx_pcap=$work/out-vm4.pcap" \
  --port "underlay=192.168.100.1,dev=net_pcap3,rx_pcap=$work/underlay.pcap,tx_pcap=$work/out-underlay.pcap" \
  --port "provider=physnet1,dev=net_pcap4,rx_pcap=$work/provider.pcap,tx_pcap=$work/out-provider.pcap" \
  --duration 2
for p in vm1 vm2 vm4 underlay provider; do
  n=$(tcpdump -nr "$work/out-$p.pcap" 2>/dev/null | wc -l)
  echo
  echo "-- out of port $p: $n frames, the first ones:"
  tcpdump -c 4 -enr "$work/out-$p.pcap" 2>/dev/null
done

echo
echo "== pass 2: the same traffic looped for ${duration}s (Ctrl-C to stop)"
"$bin" "${eal[@]}" --file-prefix "scs-demo2-$$" -- \
  --port "vif=vm1,dev=net_pcap0,rx_pcap=$work/vm1.pcap,infinite_rx=1" \
  --port "vif=vm2,dev=net_null0,no-rx=1" \
  --port "vif=vm4,dev=net_null1,no-rx=1" \
  --port "underlay=192.168.100.1,dev=net_pcap1,rx_pcap=$work/underlay.pcap,infinite_rx=1" \
  --port "provider=physnet1,dev=net_pcap2,rx_pcap=$work/provider.pcap,infinite_rx=1" \
  --stats-interval 1 --duration "$duration"
