#!/bin/sh
# Builds Open vSwitch's static library from Debian's openvswitch-source tarball.
#   build-ovs.sh TARBALL SRCDIR OUT_LIB OUT_STAMP_HEADER
# SRCDIR is extracted and configured once (re-extracted only if the tarball changes); later
# runs only call make, which has nothing to do. Everything stays inside the meson build dir.
set -eu
tarball=$1 src=$2 out_lib=$3 out_stamp=$4
jobs=${OVS_BUILD_JOBS:-2}

sum=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ ! -f "$src/.scs-configured" ] || [ "$(cat "$src/.scs-configured")" != "$sum" ]; then
    rm -rf "$src"
    mkdir -p "$src"
    tar xzf "$tarball" -C "$src" --strip-components=1
    # Only the library is needed: no DPDK, no AF_XDP (drops -lxdp -lbpf -lnuma), no libcap-ng.
    (cd "$src" && ./configure --enable-static --disable-shared --disable-afxdp \
        --disable-libcapng --disable-usdt-probes >configure.log 2>&1) \
        || { tail -30 "$src/configure.log" >&2; exit 1; }
    echo "$sum" >"$src/.scs-configured"
fi

# lib/libopenvswitch.la alone fails on generated headers (odp-netlink.h, ovsdb-server-idl.h…):
# they are BUILT_SOURCES, which automake only makes for `all`. Ask the Makefile for the list.
built_sources=$(printf 'scs-print-built-sources:\n\t@echo $(BUILT_SOURCES)\n' |
    make -s -C "$src" -f Makefile -f - scs-print-built-sources)
# shellcheck disable=SC2086
make -s -C "$src" -j"$jobs" $built_sources >"$src/make.log" 2>&1 &&
    make -s -C "$src" -j"$jobs" lib/libopenvswitch.la >>"$src/make.log" 2>&1 \
    || { tail -30 "$src/make.log" >&2; exit 1; }

cp "$src/lib/.libs/libopenvswitch.a" "$out_lib"
echo "/* Open vSwitch $sum built in $src */" >"$out_stamp"
