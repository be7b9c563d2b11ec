// A Southbound snapshot read from files: offline input for the compiler, tests, benchmarks
// and `scs-dpctl lflow-check`, without a live database.
//
// Two formats are accepted, both as Open vSwitch's tools print them:
//  - one file holding `ovsdb-client dump --format=json DB OVN_Southbound`: a sequence of JSON
//    documents {"caption": "<Table> table", "headings": [...], "data": [[...], ...]};
//  - a directory of `ovn-sbctl --format=json list <Table>` outputs, one per table, named
//    <Table>.json ({"headings": [...], "data": [...]}).
// Values are in RFC 7047 notation (["uuid", ...], ["set", [...]], ["map", [...]]); rows refer
// to each other by UUID and are resolved here (a port's chassis to its name, a logical flow's
// datapath group to its members, ...). Rows that break the schema's rules are not guessed
// at: the load fails, naming the table, row and column.
#pragma once

#include <string>

#include "common/result.h"
#include "ovsdb/sb_types.h"

namespace scs::ovsdb {

Result<Snapshot> load_snapshot(const std::string& path);          // file or directory
Result<Snapshot> parse_snapshot_dump(const std::string& text);   // ovsdb-client dump text

}  // namespace scs::ovsdb
