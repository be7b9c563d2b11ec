#!/bin/sh
# Runs Open vSwitch's own IDL compiler (ovsdb/ovsdb-idlc.in) from the extracted tarball.
#   idlc.sh PYTHON OVS_SRCDIR SCHEMA ANNOTATIONS OUT_H OUT_C
set -eu
python=$1 src=$2 schema=$3 annotations=$4 out_h=$5 out_c=$6
export PYTHONPATH="$src/python${PYTHONPATH:+:$PYTHONPATH}"
idlc="$src/ovsdb/ovsdb-idlc.in"
ovsidl="$out_c.ovsidl"
"$python" "$idlc" annotate "$schema" "$annotations" >"$ovsidl"
"$python" "$idlc" c-idl-header "$ovsidl" >"$out_h"
"$python" "$idlc" c-idl-source "$ovsidl" >"$out_c"
rm -f "$ovsidl"
