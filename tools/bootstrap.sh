#!/usr/bin/env bash
# Installs what scs-dataplane needs on Debian 12 (as root, through apt) and builds it in
# build/ (release). Idempotent: packages already present are not reinstalled, an existing
# build directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config meson ninja-build python3
  dpdk dpdk-dev libdpdk-dev libpcap-dev libnuma-dev
  libbpf-dev libxdp-dev libfmt-dev libboost1.81-dev
  libgtest-dev libbenchmark-dev
  clang llvm libclang-rt-14-dev
  iproute2 tcpdump
  # OVN Southbound client (meson option southbound): OVS source tarball, SB schema, and the
  # ovsdb-server / ovsdb-tool / ovn-sbctl its tests run against.
  openvswitch-source openvswitch-common ovn-common ovn-central
  # A real OVN chassis as interop peer (tools/ovn/ovs_chassis.py): ovs-vswitchd, ovn-controller.
  openvswitch-switch ovn-host ethtool
  # The OVS-DPDK peer of scs-dp-bench --compare ovs (/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk).
  openvswitch-switch-dpdk
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing packages and not root: run as root or install them first" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release
fi
ninja -C build
