#!/usr/bin/env bash
# The main job: scs-dataplane as a chassis of a real, embedded OVN.
#   1. starts a sandbox OVN central (NB + SB ovsdb-server, ovn-northd) in a temporary
#      directory and writes the demo topology with ovn-nbctl (tools/ovn/topologies.py: two
#      tenant switches, a distributed router with its gateway port on our chassis, a provider
#      network, remote chassis hv2 with vm3/vm5);
#   2. runs scs-dataplane as chassis scs-dp-0 of it on DPDK virtual devices (no hugepages, no
#      NIC): demo traffic (tools/demo_traffic.cc) looped from pcap files into vm1, the
#      underlay and the provider port, outputs into net_null sinks;
#   3. shows what it learned - the chassis registered and the ports it claimed (ovn-sbctl),
#      its ports, Southbound state and compiled flows (scs-dpctl), one packet traced through
#      the live tables - then counters every 2 s until Ctrl-C (or DURATION seconds).
# Everything it starts lives in one temporary directory and is stopped by pid on exit.
#   tools/demo.sh [DURATION]        (0 or none: until Ctrl-C)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-0}
bin=build/dataplane/scs-dataplane
ctl=build/ctl/scs-dpctl
[ -x "$bin" ] && [ -x "$ctl" ] || { echo "demo: $bin or $ctl missing: run tools/bootstrap.sh first" >&2; exit 1; }
work=$(mktemp -d /tmp/scs-demo.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  python3 tools/ovn/sandbox.py stop "$work/ovn" >/dev/null 2>&1 || true
  rm -rf "$work" "/var/run/dpdk/scs-demo-$$"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== 1. a sandbox OVN with the demo topology"
python3 tools/ovn/sandbox.py start "$work/ovn" --topology demo --stateless --chassis scs-dp-0 | sed 's/^/   /'
# shellcheck disable=SC1091
. "$work/ovn/env.sh"
echo "   $(ovn-nbctl ls-list | wc -l) logical switches, $(ovn-nbctl lr-list | wc -l) router," \
     "$(ovn-sbctl --bare --columns _uuid list Logical_Flow | grep -c .) logical flows in the Southbound"

echo
echo "== 2. scs-dataplane as chassis scs-dp-0, demo traffic looped through it"
build/tools/scs-demo-traffic "$work" >/dev/null
eal=(-l 0-1 --no-huge -m 512 --no-pci --no-telemetry --log-level=lib.*:notice --file-prefix "scs-demo-$$")
args=(--sb "$OVN_SB_DB" --chassis scs-dp-0 --mgmt-socket "$work/mgmt.sock" --stats-interval 2
  --port "vif=vm1,dev=net_pcap0,rx_pcap=$work/vm1.pcap,infinite_rx=1"
  --port "vif=vm2,dev=net_null0,no-rx=1"
  --port "vif=vm4,dev=net_null1,no-rx=1"
  --port "underlay=192.168.100.1,dev=net_pcap1,rx_pcap=$work/underlay.pcap,infinite_rx=1,gateway-mac=00:00:00:00:aa:02"
  --port "provider=physnet1,dev=net_pcap2,rx_pcap=$work/provider.pcap,infinite_rx=1")
[ "$duration" != 0 ] && args+=(--duration "$duration")
"$bin" "${eal[@]}" -- "${args[@]}" > >(grep -v '^EAL\|^TELEMETRY' | sed 's/^/   /') 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
  [ "$(ovn-sbctl --bare --columns up find Port_Binding logical_port=vm1 2>/dev/null)" = true ] && break
  sleep 0.1
done
sleep 2

echo
echo "== 3. what it learned"
echo "-- the Southbound: our chassis and the ports it claimed (ovn-sbctl show)"
ovn-sbctl show | sed 's/^/   /'
echo "-- scs-dpctl show"
"$ctl" --socket "$work/mgmt.sock" show | sed 's/^/   /'
echo "-- scs-dpctl dump-lflows --datapath lr0 --stage lr_in_ip_routing (how each flow was lowered)"
"$ctl" --socket "$work/mgmt.sock" dump-lflows --datapath lr0 --stage lr_in_ip_routing | sed 's/^/   /'
echo "-- scs-dpctl trace: vm1 -> vm5 (routed, then Geneve to hv2), through the live tables"
"$ctl" --socket "$work/mgmt.sock" trace --inport vm1 \
  'eth.src == 00:00:00:00:01:01 && eth.dst == 00:00:00:00:ff:01 && ip4.src == 10.0.0.11 && ip4.dst == 10.0.1.15 && ip.ttl == 64 && udp.dst == 53' \
  | sed 's/^/   /'
echo
echo "-- counters every 2 s (Ctrl-C to stop)"
wait "$daemon_pid"
daemon_pid=
