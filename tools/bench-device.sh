#!/usr/bin/env bash
# Device-mode benchmark: scs-dataplane on DPDK virtual devices, one worker core, 64-byte
# frames of one profile looped from a pcap file by the pcap PMD (infinite_rx) into net_null
# sinks; next to it, the I/O ceiling of the same vdevs (dpdk-testpmd, io forwarding).
# Prints one Markdown table row per (profile, flows): median and min..max over REPS runs.
#   tools/bench-device.sh [REPS] [SECONDS] [PROFILES...]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
secs=${2:-4}
shift $(( $# > 2 ? 2 : $# ))
profiles=("$@")
((${#profiles[@]})) || profiles=(l2 l3 geneve-tx geneve-rx provider)
work=$(mktemp -d /tmp/scs-bench.XXXXXX)
trap 'rm -rf "$work" /var/run/dpdk/scs-tp-$$ /var/run/dpdk/scs-b-$$' EXIT
eal=(-l 0-1 --no-huge -m 2048 --no-pci --no-telemetry --log-level=lib.*:error)
# The pcap PMD preloads the whole file into mbufs for infinite_rx: room for 100k frames.
mbufs=262143

stats() {  # median min max of the numbers on stdin
  sort -g | awk '{a[NR]=$1} END {printf "%.2f %.2f %.2f\n", a[int((NR+1)/2)], a[1], a[NR]}'
}

echo "| profile | flows | I/O ceiling (testpmd io) Mpps | scs-dataplane Mpps, median (min..max) | cycles/pkt | % of ceiling |"
echo "|---|---|---|---|---|---|"
for prof in "${profiles[@]}"; do
  for flows in 1 1000 100000; do
    pcap="$work/$prof-$flows.pcap"
    build/tools/scs-demo-traffic --profile "$prof" --flows "$flows" "$pcap" >/dev/null
    ceiling=$(timeout $((secs + 20)) dpdk-testpmd "${eal[@]}" --file-prefix "scs-tp-$$" \
        --vdev="net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev=net_null0,no-rx=1 -- \
        --forward-mode=io --total-num-mbufs=$mbufs --stats-period 1 --portmask=0x3 2>/dev/null < /dev/null \
        | awk '/Rx-pps/ {print $2}' | head -$((secs + 3)) | tail -$secs | awk '$1 > 0' | stats) || true
    role="vif=vm1"
    [ "$prof" = geneve-rx ] && role="underlay=192.168.100.1"
    runs=()
    cyc=()
    for ((r = 0; r < reps; r++)); do
      out=$(build/dataplane/scs-dataplane "${eal[@]}" --file-prefix "scs-b-$$" -- \
          --port "$role,dev=net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
          --port "vif=vm2,dev=net_null0,no-rx=1" --port "vif=vm4,dev=net_null1,no-rx=1" \
          $( [ "$prof" != geneve-rx ] && echo "--port underlay=192.168.100.1,dev=net_null2,no-rx=1" ) \
          $( [ "$prof" = geneve-rx ] && echo "--port vif=vm1,dev=net_null2,no-rx=1" ) \
          --port "provider=physnet1,dev=net_null3,no-rx=1" --mempool-size "$mbufs" --duration "$secs" 2>&1) || {
        echo "bench: scs-dataplane failed for $prof/$flows:" >&2
        tail -3 <<<"$out" >&2
        continue
      }
      line=$(grep -E '^  total' <<<"$out")
      runs+=("$(awk '{print $5}' <<<"$line")")
      cyc+=("$(awk '{print $6}' <<<"$line")")
    done
    ((${#runs[@]})) || { echo "| $prof | $flows | failed | | | |"; continue; }
    read -r med lo hi < <(printf '%s\n' "${runs[@]}" | stats)
    read -r cmed _ _ < <(printf '%s\n' "${cyc[@]}" | stats)
    read -r ceil _ _ <<<"${ceiling:-0 0 0}"
    ceil_m=$(awk -v c="$ceil" 'BEGIN {printf "%.2f", c / 1e6}')
    pct=$(awk -v m="$med" -v c="$ceil_m" 'BEGIN {if (c > 0) printf "%.0f %%", 100 * m / c; else print "n/a"}')
    echo "| $prof | $flows | $ceil_m | $med ($lo..$hi) | $cmed | $pct |"
  done
done
