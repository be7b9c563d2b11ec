#!/usr/bin/python3
"""Every logical flow parses (issue 3 item 3), on Southbounds produced here by a real
ovn-northd from topologies that use much of OVN's feature set: stateful ACLs with logging,
port groups and address sets, load balancers, SNAT/DNAT and floating IPs, a gateway router
(l3gateway) and a distributed gateway port, IPv6 with router advertisements, DHCPv4/DHCPv6,
DNS, ECMP routes, router policies, IGMP snooping, ports with unknown addresses, and the
scripted scale topology. Each Southbound is dumped (`ovsdb-client dump --format=json`) and
checked offline by `scs-dpctl lflow-check`: no flow may be invalid, and nothing outside the
known-unsupported set may be unsupported.

usage: test_varied_topologies.py SCS_DPCTL"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "ovn"))
import sandbox  # noqa: E402
import topologies  # noqa: E402

DPCTL = None


def features_commands():
    """One topology using many OVN features (in addition to the stateful demo)."""
    c = [
        ["ls-add", "ls6"],
        ["set", "Logical_Switch", "ls6", "other_config:subnet=10.1.0.0/24",
         "other_config:mcast_snoop=true", "other_config:mcast_querier=false"],
        ["lsp-add", "ls6", "p1"],
        ["lsp-set-addresses", "p1", "00:00:00:00:06:01 10.1.0.5 fd00::5"],
        ["lsp-set-port-security", "p1", "00:00:00:00:06:01 10.1.0.5 fd00::5"],
        ["lsp-add", "ls6", "p2"],
        ["lsp-set-addresses", "p2", "unknown"],
        ["lsp-add", "ls6", "p3"],
        ["lsp-set-addresses", "p3", "dynamic"],
        ["lr-add", "lr6"],
        ["lrp-add", "lr6", "lr6-ls6", "00:00:00:00:66:01", "10.1.0.1/24", "fd00::1/64"],
        ["set", "Logical_Router_Port", "lr6-ls6", "ipv6_ra_configs:address_mode=slaac",
         "ipv6_ra_configs:send_periodic=true", "ipv6_ra_configs:max_interval=300"],
        ["lsp-add", "ls6", "ls6-lr6"],
        ["lsp-set-type", "ls6-lr6", "router"],
        ["lsp-set-addresses", "ls6-lr6", "router"],
        ["lsp-set-options", "ls6-lr6", "router-port=lr6-ls6"],
        ["lr-route-add", "lr6", "20.0.0.0/24", "10.1.0.100", "--", "--ecmp", "lr-route-add", "lr6", "20.0.0.0/24",
         "10.1.0.101"],
        ["lr-route-add", "lr6", "::/0", "fd00::fe"],
        ["lr-policy-add", "lr6", "100", "ip4.src == 10.1.0.0/24 && ip4.dst == 30.0.0.0/8", "reroute", "10.1.0.100"],
        ["lr-policy-add", "lr6", "90", "ip4.dst == 40.0.0.0/8", "drop"],
        ["lr-policy-add", "lr6", "80", "ip4.dst == 50.0.0.0/8", "allow"],
        # A gateway router bound to a chassis, joined to lr6 by a transit switch.
        ["lr-add", "gw1"],
        ["set", "Logical_Router", "gw1", "options:chassis=scs-dp-0"],
        ["ls-add", "join"],
        ["lrp-add", "gw1", "gw1-join", "00:00:00:00:77:01", "100.64.0.1/16"],
        ["lrp-add", "lr6", "lr6-join", "00:00:00:00:77:02", "100.64.0.2/16"],
        ["lsp-add", "join", "join-gw1"],
        ["lsp-set-type", "join-gw1", "router"],
        ["lsp-set-addresses", "join-gw1", "router"],
        ["lsp-set-options", "join-gw1", "router-port=gw1-join"],
        ["lsp-add", "join", "join-lr6"],
        ["lsp-set-type", "join-lr6", "router"],
        ["lsp-set-addresses", "join-lr6", "router"],
        ["lsp-set-options", "join-lr6", "router-port=lr6-join"],
        ["lr-nat-add", "gw1", "snat", "172.30.0.1", "10.1.0.0/24"],
        ["lr-nat-add", "gw1", "dnat", "172.30.0.10", "10.1.0.5"],
        ["lb-add", "lb6", "10.1.0.200:80", "10.1.0.5:8080", "tcp"],
        ["lb-add", "lb6u", "10.1.0.201:53", "10.1.0.5:53", "udp"],
        ["lb-add", "lb6v6", "[fd00::200]:80", "[fd00::5]:80", "tcp"],
        ["ls-lb-add", "ls6", "lb6"],
        ["ls-lb-add", "ls6", "lb6u"],
        ["ls-lb-add", "ls6", "lb6v6"],
        ["lr-lb-add", "gw1", "lb6"],
        ["create", "Address_Set", "name=as_web", "addresses=\"10.1.0.5\",\"10.1.0.6\""],
        ["pg-add", "pg_web", "p1"],
        ["acl-add", "pg_web", "to-lport", "1002", "outport == @pg_web && ip4.src == $as_web && tcp.dst == {80, 443}",
         "allow-related"],
        ["acl-add", "pg_web", "from-lport", "1001", "inport == @pg_web && ip6", "allow-stateless"],
        ["--log", "--name=deny_web", "--severity=warning", "acl-add", "pg_web", "to-lport", "900",
         "outport == @pg_web && ip", "drop"],
        ["acl-add", "ls6", "from-lport", "800", "ip4.dst == 224.0.0.0/4", "allow"],
        ["acl-add", "ls6", "to-lport", "700", "udp.dst >= 1000 && udp.dst <= 2000", "reject"],
    ]
    return c


def lflow_check(dump):
    p = subprocess.run([DPCTL, "lflow-check", dump, "--format", "json"], capture_output=True, text=True, timeout=120)
    return p


class VariedTopologies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scs-varied-")

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.dir], check=False)

    def check(self, central, name):
        central.sync()
        dump = os.path.join(self.dir, name + ".json")
        central.dump_sb(dump)
        n = central.lflow_count()
        self.assertGreater(n, 100, name)
        p = lflow_check(dump)
        self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)
        r = json.loads(p.stdout)
        text = json.dumps(r, indent=1)[:6000]
        statuses = r["by_status"]
        self.assertEqual(statuses.get("invalid", 0), 0, text)
        self.assertEqual(statuses.get("unsupported", 0), 0, text)
        self.assertEqual(p.returncode, 0, text)
        self.assertGreater(r["flows_checked"], 100, text)
        print("\n  %s: %d logical flows, %d checked: %s" % (name, n, r["flows_checked"], r["by_status"]),
              file=sys.stderr)
        return r

    def test_stateful_demo(self):
        with sandbox.Central(workdir=os.path.join(self.dir, "demo")) as c:
            topologies.demo(c, chassis="scs-dp-0", register_remote=True)
            self.check(c, "demo")

    def test_features(self):
        with sandbox.Central(workdir=os.path.join(self.dir, "features")) as c:
            c.nbctl_batch(features_commands())
            v4 = c.nbctl("dhcp-options-create", "10.1.0.0/24").strip()
            if not v4:
                v4 = c.nbctl("--bare", "--columns", "_uuid", "find", "DHCP_Options", "cidr=10.1.0.0/24").strip()
            c.nbctl("dhcp-options-set-options", v4, "lease_time=3600", "router=10.1.0.1", "server_id=10.1.0.1",
                    "server_mac=00:00:00:00:66:01", "dns_server={8.8.8.8}", "domain_name=\"example.org\"")
            c.nbctl("lsp-set-dhcpv4-options", "p1", v4)
            v6 = c.nbctl("dhcp-options-create", "fd00::/64").strip()
            if not v6:
                v6 = c.nbctl("--bare", "--columns", "_uuid", "find", "DHCP_Options", "cidr=\"fd00::/64\"").strip()
            c.nbctl("dhcp-options-set-options", v6, "server_id=00:00:00:00:66:01", "dns_server={fd00::53}")
            c.nbctl("lsp-set-dhcpv6-options", "p1", v6)
            dns = c.nbctl("create", "DNS", "records={p1=\"10.1.0.5 fd00::5\"}").strip()
            c.nbctl("add", "Logical_Switch", "ls6", "dns_records", dns)
            c.add_remote_chassis("scs-dp-0", "192.168.100.1")
            r = self.check(c, "features")
            self.assertTrue(r)

    def test_scale_small(self):
        with sandbox.Central(workdir=os.path.join(self.dir, "scale")) as c:
            topologies.scale(c, 6, 8, n_routers=2, acls_per_switch=3, routes_per_router=10)
            self.check(c, "scale")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    DPCTL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
