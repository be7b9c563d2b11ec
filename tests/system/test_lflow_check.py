#!/usr/bin/env python3
"""System test: `scs-dpctl lflow-check SNAPSHOT` (offline, no daemon) on the real Southbound
fixtures (tests/fixtures/sb: dev-basic.json, an `ovsdb-client dump`; gw-chassis, a directory
of `ovn-sbctl list` outputs) and on broken input.

The counts are checked against the snapshot itself, read here independently: the number of
Logical_Flow and Datapath_Binding rows, the flows per datapath after expanding datapath
groups (gw-chassis: 423, its lflow-stage-counts.txt), and every reported problem names a
real flow with its real stage and priority. A snapshot with one flow broken on purpose must
fail with exit status 1 and name that flow; unreadable input exits 2 with one line.

usage: test_lflow_check.py path/to/scs-dataplane path/to/scs-dpctl
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from dpctlutil import DpctlAssertions

DPCTL = None
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "sb")
DEV_BASIC = os.path.join(FIXTURES, "dev-basic.json")
GW_CHASSIS = os.path.join(FIXTURES, "gw-chassis")
STATUSES = ["compiled", "partial", "never-matches", "unsupported", "invalid"]


def dpctl(*args):
    return subprocess.run([DPCTL] + list(args), capture_output=True, text=True, timeout=120)


def tables_of(path):
    """{table: [row dicts]} of a snapshot file (ovsdb-client dump) or directory."""
    out = {}
    if os.path.isdir(path):
        for name in os.listdir(path):
            if name.endswith(".json") and not name.startswith("nb-"):
                with open(os.path.join(path, name)) as f:
                    d = json.load(f)
                out[name[:-5]] = [dict(zip(d["headings"], r)) for r in d["data"]]
        return out
    with open(path) as f:
        text = f.read()
    dec, i = json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        d, i = dec.raw_decode(text, i)
        out[d["caption"].rsplit(" table", 1)[0]] = [dict(zip(d["headings"], r)) for r in d["data"]]


def uuid_of(v):
    return v[1] if isinstance(v, list) and v and v[0] == "uuid" else None


def set_of(v):
    if isinstance(v, list) and v and v[0] == "set":
        return v[1]
    return [v]


def snapshot_facts(path):
    """Independent counts: flows, datapaths, flows per datapath name (dp groups expanded),
    and each flow's (stage, priority, pipeline, table)."""
    t = tables_of(path)
    dp_name = {}
    for d in t["Datapath_Binding"]:
        ext = dict(d["external_ids"][1])
        dp_name[uuid_of(d["_uuid"])] = ext.get("name", "")
    groups = {uuid_of(g["_uuid"]): [uuid_of(x) for x in set_of(g["datapaths"])] for g in t.get("Logical_DP_Group", [])}
    per_dp = {}
    flows = {}
    for f in t["Logical_Flow"]:
        dp = set_of(f["logical_datapath"])
        grp = set_of(f["logical_dp_group"])
        members = [uuid_of(x) for x in dp if uuid_of(x)] or [m for g in grp if uuid_of(g) for m in groups[uuid_of(g)]]
        for m in members:
            per_dp[dp_name[m]] = per_dp.get(dp_name[m], 0) + 1
        ext = dict(f["external_ids"][1])
        flows[uuid_of(f["_uuid"])] = (ext.get("stage-name", ""), int(f["priority"]), f["pipeline"], int(f["table_id"]))
    return {"flows": flows, "datapaths": dp_name, "per_dp": per_dp}


class LflowCheck(DpctlAssertions, unittest.TestCase):
    def check_json(self, args, facts, want_rc):
        r = dpctl("lflow-check", "--format", "json", *args)
        self.assertEqual(r.returncode, want_rc, "exit %d\n%s\n%s" % (r.returncode, r.stdout[-3000:], r.stderr))
        self.assertEqual(r.stderr, "")
        j = json.loads(r.stdout)
        self.assertEqual(j["logical_flows"], len(facts["flows"]))
        self.assertEqual(j["datapaths"], len(facts["datapaths"]))
        self.assertEqual(j["rejected_logical_flows"], 0)
        self.assertEqual(list(j["by_status"]), STATUSES)
        self.assertEqual(sum(j["by_status"].values()), j["flows_checked"])
        # Flows checked = flows of the checked datapaths, groups expanded.
        unchecked = {u["datapath"] for u in j["unchecked_datapaths"]}
        self.assertEqual(j["flows_checked"],
                         sum(n for name, n in facts["per_dp"].items() if name not in unchecked))
        self.assertEqual(j["datapaths_checked"] + len(unchecked), len(facts["datapaths"]))
        checked = [d for p in j["passes"] for d in p.get("datapaths", [])]
        self.assertEqual(len(checked), len(set(checked)), "a datapath checked twice")
        self.assertEqual(len(checked), j["datapaths_checked"])
        # Every problem is a real flow, with its real place.
        self.assertEqual(len(j["problems"]), j["by_status"]["unsupported"] + j["by_status"]["invalid"])
        for p in j["problems"]:
            self.assertIn(p["uuid"], facts["flows"])
            stage, prio, pipe, table = facts["flows"][p["uuid"]]
            self.assertEqual((p["stage"], p["priority"], p["pipeline"], p["table"]), (stage, prio, pipe, table))
            self.assertIn(p["status"], ("unsupported", "invalid"))
            self.assertTrue(p["reason"], p)
        self.assertEqual(j["ok"], want_rc == 0)
        return j

    def test_gw_chassis_as_its_gateway(self):
        facts = snapshot_facts(GW_CHASSIS)
        self.assertEqual(sum(facts["per_dp"].values()), 423)  # lflow-stage-counts.txt
        # As chassis-1 with its three VIFs (what tests/compiler/test_compile_sb.cc compiles):
        # all four datapaths, nothing unsupported.
        j = self.check_json(["--chassis", "chassis-1", "--vif", "vm1", "--vif", "vm2", "--vif", "vm4", GW_CHASSIS],
                            facts, 0)
        self.assertEqual(j["chassis"], "chassis-1")
        self.assertEqual(j["datapaths_checked"], 4)
        self.assertEqual(j["flows_checked"], 423)
        self.assertEqual(j["by_status"]["unsupported"] + j["by_status"]["invalid"], 0)
        self.assertGreater(j["by_status"]["partial"], 0)
        self.assertTrue(j["unimplemented"])
        self.assertEqual(j["warnings"], [])
        # Unimplemented counts are per flow: at most the number of partial flows each.
        for name, n in j["unimplemented"].items():
            self.assertLessEqual(n, j["by_status"]["partial"], name)
        # The table form says the same.
        r = dpctl("lflow-check", "--chassis", "chassis-1", "--vif", "vm1", "--vif", "vm2", "--vif", "vm4", GW_CHASSIS)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn("423 flows", r.stdout)
        self.assertRegex(r.stdout, r"\ncompiled\s+%d\n" % j["by_status"]["compiled"])
        self.assertRegex(r.stdout, r"\npartial\s+%d\n" % j["by_status"]["partial"])
        name, n = next(iter(j["unimplemented"].items()))
        self.assertRegex(r.stdout, r"\n%s\s+%d\n" % (name.replace("(", r"\(").replace(")", r"\)"), n))
        self.assertIn("OK: nothing unsupported or invalid", r.stdout)

    def test_gw_chassis_default_view(self):
        facts = snapshot_facts(GW_CHASSIS)
        j = self.check_json([GW_CHASSIS], facts, 0)
        self.assertEqual(j["chassis"], "scs-lflow-check")
        self.assertFalse(j["chassis_given"])
        self.assertEqual(j["datapaths_checked"], 4)
        self.assertEqual(j["unchecked_datapaths"], [])

    def test_gateway_router_elsewhere_is_checked_as_its_chassis(self):
        """gw-chassis with lr0's uplink made an l3gateway on chassis-2 (a gateway router
        elsewhere, as northd writes it for options:chassis): the default view reaches ls1, ls2
        and lr0 through the VIFs; ext only becomes local as chassis-2."""
        with tempfile.TemporaryDirectory(prefix="scs-lflow-check-") as d:
            snap = os.path.join(d, "sb")
            shutil.copytree(GW_CHASSIS, snap)
            path = os.path.join(snap, "Port_Binding.json")
            with open(path) as f:
                pb = json.load(f)
            h = pb["headings"]
            for r in pb["data"]:
                if r[h.index("logical_port")] in ("lr0-ext", "ext-lr0"):
                    r[h.index("type")] = "l3gateway"
                    opts = dict(r[h.index("options")][1])
                    opts["l3gateway-chassis"] = "chassis-2"
                    r[h.index("options")] = ["map", sorted(opts.items())]
            with open(path, "w") as f:
                json.dump(pb, f)
            facts = snapshot_facts(snap)

            j = self.check_json([snap], facts, 0)
            self.assertEqual([(p["chassis"], sorted(p["datapaths"])) for p in j["passes"]],
                             [("scs-lflow-check", ["lr0", "ls1", "ls2"]), ("chassis-2", ["ext"])])
            self.assertEqual(j["unchecked_datapaths"], [])
            t = dpctl("lflow-check", snap)
            self.assertIn("\n  as chassis chassis-2: 1 datapath: ext\n", t.stdout)

            j = self.check_json(["--chassis", "chassis-2", snap], facts, 0)
            self.assertEqual(len(j["passes"]), 1)
            self.assertEqual(j["datapaths_checked"], 4)

            # A node with only vm1: ext is not local and is listed as not checked.
            j = self.check_json(["--vif", "vm1", snap], facts, 0)
            self.assertEqual(len(j["passes"]), 1)
            self.assertEqual([(u["datapath"], u["logical_flows"]) for u in j["unchecked_datapaths"]],
                             [("ext", facts["per_dp"]["ext"])])
            t = dpctl("lflow-check", "--vif", "vm1", snap)
            self.assertIn("not local in the views compiled, not checked: ext (%d flows)" % facts["per_dp"]["ext"], t.stdout)

    def test_dev_basic(self):
        facts = snapshot_facts(DEV_BASIC)
        # Everything in dev-basic (NAT, a load balancer, ACLs) compiles or compiles partially.
        j = self.check_json([DEV_BASIC], facts, 0)
        self.assertEqual(j["unchecked_datapaths"], [], "every datapath of dev-basic has ports")
        self.assertEqual(j["datapaths_checked"], 4)
        self.assertEqual(j["flows_checked"], sum(facts["per_dp"].values()))
        self.assertEqual(bool(j["unimplemented"]), j["by_status"]["partial"] > 0)
        for name, n in j["unimplemented"].items():
            self.assertLessEqual(n, j["by_status"]["partial"], name)
        t = dpctl("lflow-check", DEV_BASIC)
        self.assertEqual((t.returncode, t.stderr), (0, ""))
        self.assertIn("4 of 4 datapaths checked, %d flows" % j["flows_checked"], t.stdout)
        self.assertIn("OK: nothing unsupported or invalid", t.stdout)

    def test_broken_flows_fail_and_are_named(self):
        with tempfile.TemporaryDirectory(prefix="scs-lflow-check-") as d:
            snap = os.path.join(d, "sb")
            shutil.copytree(GW_CHASSIS, snap)
            path = os.path.join(snap, "Logical_Flow.json")
            with open(path) as f:
                lf = json.load(f)
            h = lf["headings"]
            col = h.index("match")
            l2 = [r for r in lf["data"] if dict(r[h.index("external_ids")][1]).get("stage-name") == "ls_in_l2_lkup"
                  and r[col] != "1"]
            l2[0][col] = "eth.dst == && ip4"  # does not parse
            l2[1][col] = "pkt.mark == 5"      # parses; a field the engine does not carry
            invalid, unsupported = l2[0][0][1], l2[1][0][1]
            with open(path, "w") as f:
                json.dump(lf, f)
            facts = snapshot_facts(snap)
            j = self.check_json(["--chassis", "chassis-1", snap], facts, 1)
            self.assertFalse(j["ok"])
            # A flow in a datapath group is reported once per datapath it applies to.
            self.assertEqual({(p["uuid"], p["status"]) for p in j["problems"]},
                             {(invalid, "invalid"), (unsupported, "unsupported")})
            for p in j["problems"]:
                if p["status"] == "unsupported":
                    self.assertIn("pkt.mark", p["reason"])
                    self.assertEqual(p["match"], "pkt.mark == 5")
            t = dpctl("lflow-check", "--chassis", "chassis-1", snap)
            self.assertEqual(t.returncode, 1)
            for u in (invalid, unsupported):
                self.assertRegex(t.stdout, r"\n\S+\s+ingress\s+\d+\s+ls_in_l2_lkup\s+\d+\s+%s\s+(invalid|unsupported)" % u)
            self.assertIn("FAIL: %d problems" % len(j["problems"]), t.stdout)

    def test_bad_input(self):
        with tempfile.TemporaryDirectory(prefix="scs-lflow-check-") as d:
            corrupt = os.path.join(d, "corrupt.json")
            with open(DEV_BASIC) as f:
                text = f.read()
            with open(corrupt, "w") as f:
                f.write(text[: len(text) // 2])  # cut in the middle of a document
            self.one_line_error(dpctl("lflow-check", corrupt), 2, r"lflow-check: .*corrupt\.json")
            garbage = os.path.join(d, "garbage.json")
            with open(garbage, "w") as f:
                f.write("this is not json\n")
            self.one_line_error(dpctl("lflow-check", garbage), 2, r"lflow-check: .*garbage\.json")
            empty_dir = os.path.join(d, "empty")
            os.mkdir(empty_dir)
            self.one_line_error(dpctl("lflow-check", empty_dir), 2, r"lflow-check: .*empty")
        self.one_line_error(dpctl("lflow-check", "/nonexistent/sb.json"), 2, r"/nonexistent/sb.json")
        self.one_line_error(dpctl("lflow-check"), 2, r"lflow-check: give the SNAPSHOT")
        self.one_line_error(dpctl("lflow-check", GW_CHASSIS, "extra"), 2, r"unexpected argument 'extra'")
        self.one_line_error(dpctl("lflow-check", "--vif", "nosuch", GW_CHASSIS), 2,
                            r"--vif nosuch: no such logical port")
        self.one_line_error(dpctl("lflow-check", "--chassis"), 2, r"--chassis needs a value")
        self.one_line_error(dpctl("show", "--chassis", "x"), 2, r"show: unknown option '--chassis'")

    def test_help(self):
        r = dpctl("lflow-check", "--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        for word in ("SNAPSHOT", "--chassis NAME", "--vif LPORT", "ovsdb-client dump", "Exit status"):
            self.assertIn(word, r.stdout)
        r = dpctl("--help")
        self.assertIn("lflow-check SNAPSHOT", r.stdout)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    DPCTL = os.path.abspath(sys.argv.pop(2))
    sys.argv.pop(1)  # the daemon: not needed offline
    unittest.main(verbosity=2)
