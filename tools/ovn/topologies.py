#!/usr/bin/python3
"""Scripted OVN topologies, written to a running Central (sandbox.py) through ovn-nbctl.

demo(central, chassis="scs-dp-0") - the project's demo topology, the same addresses and tunnel
keys as lib/demo/topology.h (tunnel keys are requested with requested-tnl-key, so the SB has
them exactly):

            vm1 10.0.0.11 (local)   vm2 10.0.0.12 (local)   vm3 10.0.0.13 (on hv2)
                          \\                |                 /
                            sw0 (key 1)  10.0.0.0/24
                                 | lr0-sw0 10.0.0.1
              default route ---- lr0 (key 3) ---- lr0-sw1 10.0.1.1 -- sw1 (key 2) -- vm4 10.0.1.14 (local)
              via 172.24.4.254   | lr0-public 172.24.4.1 (gateway port on CHASSIS) -- vm5 10.0.1.15 (on hv2)
                            public (key 4) -- ln-public (localnet, network_name physnet1)

    datapath / port     type        MAC                 IP                 tunnel key  chassis
    sw0                 switch                          10.0.0.0/24        1
      vm1               VM          00:00:00:00:01:01   10.0.0.11          1           CHASSIS (local)
      vm2               VM          00:00:00:00:01:02   10.0.0.12          2           CHASSIS (local)
      vm3               VM          00:00:00:00:01:03   10.0.0.13          3           hv2
      sw0-lr0           router                                             4
    sw1                 switch                          10.0.1.0/24        2
      vm4               VM          00:00:00:00:02:04   10.0.1.14          1           CHASSIS (local)
      vm5               VM          00:00:00:00:02:05   10.0.1.15          2           hv2
      sw1-lr0           router                                             3
    public              switch                          172.24.4.0/24      4
      ln-public         localnet (network_name=physnet1, addresses unknown) 1
      public-lr0        router                                             2
    lr0                 router                                             3
      lr0-sw0           LRP         00:00:00:00:ff:01   10.0.0.1/24        (northd)
      lr0-sw1           LRP         00:00:00:00:ff:02   10.0.1.1/24        (northd)
      lr0-public        LRP, gw     00:00:00:00:ff:03   172.24.4.1/24      (northd)   gateway chassis CHASSIS (prio 20)
    upstream gateway    (outside)   00:00:00:00:fe:fe   172.24.4.254       default route 0.0.0.0/0 of lr0
    hv2                 chassis     underlay 00:00:00:00:aa:02  encap 192.168.100.2 (geneve)
    CHASSIS (ours)      chassis     underlay 00:00:00:00:aa:01  encap 192.168.100.1 (registered only
                                                                with register_local=True)

  VM port addresses and port_security are both "MAC IP", as the OpenStack Neutron driver sets them.
  Stateful parts (compiled as unsupported by scs-dataplane for now):
    SNAT 10.0.0.0/16 -> 172.24.4.1 on lr0; floating IP (dnat_and_snat) 172.24.4.100 <-> vm1 10.0.0.11;
    load balancer lb0: TCP 172.24.4.200:80 -> 10.0.0.12:80,10.0.1.14:80 on lr0 (and on sw0, sw1 as
    Neutron does);
    security group as port groups: pg_sg (vm1..vm5) with allow-related ACLs (egress: all IPv4;
    ingress: tcp 22 and ICMPv4), pg_drop (vm1..vm5) with drop ACLs at priority 1001 (Neutron's
    neutron_pg_drop).

scale(central, n_switches, ports_per_switch, n_routers) - a large Southbound for benchmarks
(see its docstring); add_port() / add_route() - single incremental changes, timed.

    python3 tools/ovn/topologies.py --switches 120 --ports 200 --routers 10 --acls 5 \
        --routes 100 [--dir DIR] [--dump FILE]
  gives 101,555 logical flows (24,240 port bindings). Measured on the 2-vCPU dev VM under load
  from other jobs: NB written in ~2 s (raw OVSDB transactions), ovn-northd done ~21-27 s later,
  i.e. ~230k lflows/minute; the --method nbctl path took 25-170 s for the NB alone. One more
  port or route at that size: ~2.2-3.2 s until northd has committed it (northd 23.03
  recomputes everything; an empty sync takes ~1.5 s). The JSON dump is 48 MB and takes ~8 s.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox  # noqa: E402

# --- demo ----------------------------------------------------------------------------------

DEMO_VMS = {
    # lport: (switch, mac, ip, tunnel key, remote)
    "vm1": ("sw0", "00:00:00:00:01:01", "10.0.0.11", 1, False),
    "vm2": ("sw0", "00:00:00:00:01:02", "10.0.0.12", 2, False),
    "vm3": ("sw0", "00:00:00:00:01:03", "10.0.0.13", 3, True),
    "vm4": ("sw1", "00:00:00:00:02:04", "10.0.1.14", 1, False),
    "vm5": ("sw1", "00:00:00:00:02:05", "10.0.1.15", 2, True),
}
DEMO_SWITCHES = {"sw0": 1, "sw1": 2, "public": 4}
DEMO_ROUTER_KEY = 3
DEMO_LRPS = {
    # lrp: (switch, mac, cidr, switch-side port, its tunnel key)
    "lr0-sw0": ("sw0", "00:00:00:00:ff:01", "10.0.0.1/24", "sw0-lr0", 4),
    "lr0-sw1": ("sw1", "00:00:00:00:ff:02", "10.0.1.1/24", "sw1-lr0", 3),
    "lr0-public": ("public", "00:00:00:00:ff:03", "172.24.4.1/24", "public-lr0", 2),
}
DEMO_GATEWAY_IP = "172.24.4.254"
DEMO_GATEWAY_MAC = "00:00:00:00:fe:fe"
DEMO_HV2 = ("hv2", "192.168.100.2")
DEMO_LOCAL_ENCAP_IP = "192.168.100.1"
DEMO_FIP = ("172.24.4.100", "10.0.0.11")
DEMO_LB_VIP = "172.24.4.200:80"
DEMO_LB_BACKENDS = "10.0.0.12:80,10.0.1.14:80"


STATEFUL_COMMANDS = {"lr-nat-add", "lb-add", "lr-lb-add", "ls-lb-add", "pg-add", "acl-add"}


def demo_commands(chassis="scs-dp-0", stateful=True):
    """The ovn-nbctl commands of the demo topology (one transaction). stateful=False leaves
    out NAT, the load balancer and the security-group ACLs (what needs conntrack)."""
    if not stateful:
        return [c for c in demo_commands(chassis) if c[0] not in STATEFUL_COMMANDS]
    cmds = []
    for sw, key in DEMO_SWITCHES.items():
        cmds.append(["ls-add", sw])
        cmds.append(["set", "Logical_Switch", sw, "other_config:requested-tnl-key=%d" % key])
    cmds.append(["set", "Logical_Switch", "sw0", "other_config:subnet=10.0.0.0/24"])
    cmds.append(["set", "Logical_Switch", "sw1", "other_config:subnet=10.0.1.0/24"])
    for vm, (sw, mac, ip, key, _) in DEMO_VMS.items():
        cmds += [["lsp-add", sw, vm],
                 ["lsp-set-addresses", vm, "%s %s" % (mac, ip)],
                 ["lsp-set-port-security", vm, "%s %s" % (mac, ip)],
                 ["set", "Logical_Switch_Port", vm, "options:requested-tnl-key=%d" % key]]
    cmds += [["lr-add", "lr0"],
             ["set", "Logical_Router", "lr0", "options:requested-tnl-key=%d" % DEMO_ROUTER_KEY]]
    for lrp, (sw, mac, cidr, swp, key) in DEMO_LRPS.items():
        cmds += [["lrp-add", "lr0", lrp, mac, cidr],
                 ["lsp-add", sw, swp],
                 ["lsp-set-type", swp, "router"],
                 ["lsp-set-addresses", swp, "router"],
                 ["lsp-set-options", swp, "router-port=%s" % lrp, "requested-tnl-key=%d" % key]]
    cmds += [["lsp-add", "public", "ln-public"],
             ["lsp-set-type", "ln-public", "localnet"],
             ["lsp-set-addresses", "ln-public", "unknown"],
             ["lsp-set-options", "ln-public", "network_name=physnet1", "requested-tnl-key=1"],
             ["lrp-set-gateway-chassis", "lr0-public", chassis, "20"],
             ["lr-route-add", "lr0", "0.0.0.0/0", DEMO_GATEWAY_IP],
             # The upstream gateway's MAC, as an operator pins it (no ARP round trip needed).
             ["static-mac-binding-add", "lr0-public", DEMO_GATEWAY_IP, DEMO_GATEWAY_MAC],
             ["lr-nat-add", "lr0", "snat", "172.24.4.1", "10.0.0.0/16"],
             ["lr-nat-add", "lr0", "dnat_and_snat", DEMO_FIP[0], DEMO_FIP[1]],
             ["lb-add", "lb0", DEMO_LB_VIP, DEMO_LB_BACKENDS, "tcp"],
             ["lr-lb-add", "lr0", "lb0"],
             ["ls-lb-add", "sw0", "lb0"],
             ["ls-lb-add", "sw1", "lb0"]]
    vms = list(DEMO_VMS)
    cmds += [["pg-add", "pg_sg"] + vms,
             ["pg-add", "pg_drop"] + vms,
             ["acl-add", "pg_sg", "from-lport", "1002", "inport == @pg_sg && ip4", "allow-related"],
             ["acl-add", "pg_sg", "to-lport", "1002",
              "outport == @pg_sg && ip4 && tcp.dst == 22", "allow-related"],
             ["acl-add", "pg_sg", "to-lport", "1002", "outport == @pg_sg && icmp4", "allow-related"],
             ["acl-add", "pg_drop", "from-lport", "1001", "inport == @pg_drop && ip", "drop"],
             ["acl-add", "pg_drop", "to-lport", "1001", "outport == @pg_drop && ip", "drop"]]
    return cmds


def demo(central, chassis="scs-dp-0", register_remote=True, register_local=False, stateful=True):
    """Writes the demo topology (module docstring) and waits for ovn-northd. With
    register_remote, chassis hv2 (192.168.100.2, geneve) is registered in the SB and vm3, vm5
    are bound to it - leave it False when a real ovn-controller plays hv2. With register_local,
    `chassis` is registered too (192.168.100.1) and vm1, vm2, vm4 are bound to it."""
    central.nbctl_batch(demo_commands(chassis, stateful))
    central.sync()
    if register_remote:
        central.add_remote_chassis(DEMO_HV2[0], DEMO_HV2[1])
    if register_local:
        central.add_remote_chassis(chassis, DEMO_LOCAL_ENCAP_IP)
    for vm, (_, _, _, _, remote) in DEMO_VMS.items():
        if remote and register_remote:
            central.bind_port_to(DEMO_HV2[0], vm)
        elif not remote and register_local:
            central.bind_port_to(chassis, vm)
    central.sync()


# --- routed: three routers, IPv6, stateless ACLs, a VLAN provider network --------------------

ROUTED_SWITCHES = {"ls-a": 11, "ls-b": 12, "ls-join": 13, "ls-ext": 14, "ls-c": 15}
ROUTED_ROUTERS = {"lr-a": 21, "lr-b": 22, "lr-c": 23}
ROUTED_VMS = {
    # lport: (switch, addresses, port_security or None, tunnel key, remote)
    "a1": ("ls-a", "02:aa:00:00:0a:11 192.168.10.11 fd10::11", "02:aa:00:00:0a:11 192.168.10.11 fd10::11", 1, False),
    "a2": ("ls-a", "02:aa:00:00:0a:12 192.168.10.12", None, 2, False),
    "a3": ("ls-a", "02:aa:00:00:0a:13 192.168.10.13 fd10::13", "02:aa:00:00:0a:13 192.168.10.13 fd10::13", 3, True),
    "a4": ("ls-a", "02:aa:00:00:0a:14 192.168.10.14", None, 4, False),   # plus "unknown"
    "b1": ("ls-b", "02:aa:00:00:0b:11 192.168.20.11 fd20::11", "02:aa:00:00:0b:11 192.168.20.11 fd20::11", 1, False),
    "b2": ("ls-b", "02:aa:00:00:0b:12 192.168.20.12 fd20::12", "02:aa:00:00:0b:12 192.168.20.12 fd20::12", 2, True),
    "c1": ("ls-c", "02:aa:00:00:0c:11 10.250.0.11", "02:aa:00:00:0c:11", 1, False),
    "e1": ("ls-ext", "02:aa:00:00:0e:11 203.0.113.11", "02:aa:00:00:0e:11 203.0.113.11", 1, False),
    "e2": ("ls-ext", "02:aa:00:00:0e:12 203.0.113.12", "02:aa:00:00:0e:12 203.0.113.12", 2, True),
}
ROUTED_LRPS = {
    # lrp: (router, switch, mac, networks, switch-side port, its tunnel key)
    "lra-a": ("lr-a", "ls-a", "02:ff:00:00:0a:01", ["192.168.10.1/24", "fd10::1/64"], "lsa-lra", 5),
    "lra-join": ("lr-a", "ls-join", "02:ff:00:00:64:01", ["100.64.0.1/24", "fd64::1/64"], "join-lra", 1),
    "lrb-b": ("lr-b", "ls-b", "02:ff:00:00:0b:01", ["192.168.20.1/24", "fd20::1/64"], "lsb-lrb", 3),
    "lrb-join": ("lr-b", "ls-join", "02:ff:00:00:64:02", ["100.64.0.2/24", "fd64::2/64"], "join-lrb", 2),
    "lrc-join": ("lr-c", "ls-join", "02:ff:00:00:64:03", ["100.64.0.3/24"], "join-lrc", 3),
    "lrc-c": ("lr-c", "ls-c", "02:ff:00:00:0c:01", ["10.250.0.1/24"], "lsc-lrc", 2),
}
ROUTED_ROUTES = [
    # (router, prefix, nexthop, ecmp)
    ("lr-a", "192.168.20.0/24", "100.64.0.2", False),
    ("lr-a", "192.168.20.12/32", "100.64.0.3", False),      # host route: b2 the long way round
    ("lr-a", "10.250.0.0/16", "100.64.0.3", False),
    ("lr-a", "fd20::/64", "fd64::2", False),
    ("lr-a", "0.0.0.0/0", "100.64.0.2", False),
    ("lr-a", "10.99.0.0/16", "192.168.10.12", True),
    ("lr-a", "10.99.0.0/16", "192.168.10.13", True),
    ("lr-b", "192.168.10.0/24", "100.64.0.1", False),
    ("lr-b", "fd10::/64", "fd64::1", False),
    ("lr-b", "10.250.0.0/24", "100.64.0.3", False),
    ("lr-b", "0.0.0.0/0", "100.64.0.3", False),
    ("lr-c", "192.168.10.0/24", "100.64.0.1", False),
    ("lr-c", "192.168.20.0/24", "100.64.0.2", False),
    ("lr-c", "0.0.0.0/0", "10.250.0.11", False),            # c1 is everybody's way out
]
ROUTED_POLICIES = [
    # (router, priority, match, action...)
    ("lr-a", "1001", "ip4.src == 192.168.10.12 && ip4.dst == 192.168.20.12 && udp.dst == 53", "allow"),
    ("lr-a", "1000", "ip4.src == 192.168.10.12 && ip4.dst == 192.168.20.0/24", "drop"),
    ("lr-a", "900", "ip4.dst == 198.51.100.0/24", "reroute", "100.64.0.3"),
    ("lr-a", "800", "ip6.dst == fd20::12", "drop"),
]
ROUTED_ACLS = [
    # (switch or port group, direction, priority, match, action)
    ("pg_srv", "to-lport", "1000",
     "outport == @pg_srv && ip4.src == $as_clients && udp.dst >= 5000 && udp.dst <= 5010", "allow-stateless"),
    ("pg_srv", "to-lport", "1000", "outport == @pg_srv && icmp4", "allow-stateless"),
    ("pg_srv", "to-lport", "1000", "outport == @pg_srv && ip6", "allow-stateless"),
    ("pg_srv", "to-lport", "900", "outport == @pg_srv && ip4", "drop"),
    ("pg_srv", "from-lport", "1000", "inport == @pg_srv && udp.dst == 9999", "drop"),
    ("ls-a", "from-lport", "1000", "inport == \"a4\" && ip4.dst == 192.168.10.11", "drop"),
    ("ls-a", "to-lport", "1000", "outport == \"a2\" && tcp.dst == 23", "drop"),
]
ROUTED_VLAN = 100


def routed_commands(chassis="scs-dp-0"):
    """The ovn-nbctl commands of the routed topology (routed() docstring), one transaction."""
    cmds = []
    for sw, key in ROUTED_SWITCHES.items():
        cmds += [["ls-add", sw], ["set", "Logical_Switch", sw, "other_config:requested-tnl-key=%d" % key]]
    for vm, (sw, addrs, psec, key, _) in ROUTED_VMS.items():
        cmds += [["lsp-add", sw, vm], ["set", "Logical_Switch_Port", vm, "options:requested-tnl-key=%d" % key]]
        cmds.append(["lsp-set-addresses", vm, addrs] + (["unknown"] if vm == "a4" else []))
        if psec:
            cmds.append(["lsp-set-port-security", vm, psec])
    for lr, key in ROUTED_ROUTERS.items():
        cmds += [["lr-add", lr], ["set", "Logical_Router", lr, "options:requested-tnl-key=%d" % key]]
    cmds.append(["set", "Logical_Router", "lr-c", "options:chassis=%s" % chassis])
    for lrp, (lr, sw, mac, nets, swp, key) in ROUTED_LRPS.items():
        cmds += [["lrp-add", lr, lrp, mac] + nets,
                 ["lsp-add", sw, swp], ["lsp-set-type", swp, "router"], ["lsp-set-addresses", swp, "router"],
                 ["lsp-set-options", swp, "router-port=%s" % lrp, "requested-tnl-key=%d" % key]]
    cmds += [["lsp-add", "ls-ext", "ln-ext"], ["lsp-set-type", "ln-ext", "localnet"],
             ["lsp-set-addresses", "ln-ext", "unknown"],
             ["lsp-set-options", "ln-ext", "network_name=physnet1", "requested-tnl-key=3"],
             ["set", "Logical_Switch_Port", "ln-ext", "tag_request=%d" % ROUTED_VLAN]]
    for lr, prefix, nh, ecmp in ROUTED_ROUTES:
        cmds.append((["--ecmp"] if ecmp else []) + ["lr-route-add", lr, prefix, nh])
    for lr, prio, match, *action in ROUTED_POLICIES:
        cmds.append(["lr-policy-add", lr, prio, match] + action)
    cmds += [["create", "Address_Set", "name=as_clients",
              "addresses=\"192.168.10.11\",\"192.168.10.14\",\"10.250.0.0/24\""],
             ["pg-add", "pg_srv", "b1", "c1"]]
    for where, direction, prio, match, action in ROUTED_ACLS:
        cmds.append(["acl-add", where, direction, prio, match, action])
    return cmds


def routed(central, chassis="scs-dp-0", register_remote=True):
    """A second stateless topology, different from the demo in every key and address:

      ls-a 192.168.10.0/24 fd10::/64 (key 11): a1 (dual stack, port security MAC+IPv4+IPv6),
           a2 (no port security), a4 (addresses + "unknown", no port security), a3 on hv2
        | lra-a .1 / fd10::1
      lr-a (21) -- lra-join 100.64.0.1 fd64::1 --+
                                                 ls-join 100.64.0.0/24 fd64::/64 (13)
      lr-b (22) -- lrb-join 100.64.0.2 fd64::2 --+-- lrc-join 100.64.0.3 -- lr-c (23, gateway
        | lrb-b .1 / fd20::1                             router on `chassis`, options:chassis)
      ls-b 192.168.20.0/24 fd20::/64 (12):                 | lrc-c 10.250.0.1
           b1 (local), b2 (hv2)
                                                 ls-c 10.250.0.0/24 (15): c1 (port security MAC only)
      ls-ext 203.0.113.0/24 (14): e1 (local), e2 (hv2), ln-ext (localnet physnet1, VLAN 100)

    Static routes, ECMP, router policies and ACLs: ROUTED_ROUTES, ROUTED_POLICIES, ROUTED_ACLS.
    With register_remote, hv2 (192.168.100.2) is registered and a3, b2, e2 are bound to it."""
    central.nbctl_batch(routed_commands(chassis))
    central.sync()
    if register_remote:
        central.add_remote_chassis(DEMO_HV2[0], DEMO_HV2[1])
        for vm, (_, _, _, _, remote) in ROUTED_VMS.items():
            if remote:
                central.bind_port_to(DEMO_HV2[0], vm)
    central.sync()


# --- varied: a gateway on another chassis, route kinds, child ports, stateless NAT, L2 ----

VARIED_SWITCHES = {"ls-v": 31, "ls-w": 32, "ls-pub": 33, "ls-l2": 34}
VARIED_ROUTER = ("lr-v", 41)
VARIED_VMS = {
    # lport: (switch, [addresses...], [port_security...], tunnel key, remote, type)
    "v1": ("ls-v", ["02:bb:00:00:01:11 10.31.0.11 fd31::11"], ["02:bb:00:00:01:11 10.31.0.0/28 fd31::11"],
           1, False, ""),
    "v2": ("ls-v", ["02:bb:00:00:01:12 10.31.0.12", "02:bb:00:00:01:22 10.32.0.22"],
           ["02:bb:00:00:01:12 10.31.0.12", "02:bb:00:00:01:22 10.32.0.22"], 2, False, ""),
    "v3": ("ls-v", ["02:bb:00:00:01:13 10.31.0.13 fd31::13"], ["02:bb:00:00:01:13 10.31.0.13 fd31::13"],
           3, True, ""),
    "v4": ("ls-v", ["02:bb:00:00:01:14 10.32.0.14 10.32.0.15"], ["02:bb:00:00:01:14 10.32.0.14 10.32.0.15"],
           4, False, ""),
    "vmeta": ("ls-v", ["02:bb:00:00:01:fe 10.31.0.254"], [], 6, False, "localport"),
    "w1": ("ls-w", ["02:bb:00:00:02:11 10.33.0.11 fd33::11"], ["02:bb:00:00:02:11 10.33.0.11 fd33::11"],
           1, False, ""),
    "w2": ("ls-w", ["02:bb:00:00:02:12 10.33.0.12 fd33::12"], ["02:bb:00:00:02:12 10.33.0.12 fd33::12"],
           2, True, ""),
    "p1": ("ls-l2", ["02:bb:00:00:04:11"], [], 1, False, ""),
    "p2": ("ls-l2", ["unknown"], [], 2, False, ""),
    "p3": ("ls-l2", ["02:bb:00:00:04:13"], [], 3, True, ""),
    "p4": ("ls-l2", ["02:bb:00:00:04:14", "unknown"], [], 4, True, ""),
}
# A VLAN-tagged child of local VIF v1 on another switch (the OpenStack trunk subport shape).
VARIED_CHILD = ("w-child", "ls-w", "v1", 10, "02:bb:00:00:02:21 10.33.0.21", 3)
VARIED_LRPS = {
    # lrp: (switch, mac, networks, switch-side port, its tunnel key, the lrp's own tunnel key)
    "lrv-v": ("ls-v", "02:bb:ff:00:01:01", ["10.31.0.1/24", "10.32.0.1/24", "fd31::1/64"], "lsv-lrv", 5, 1),
    "lrv-w": ("ls-w", "02:bb:ff:00:02:01", ["10.33.0.1/24", "fd33::1/64"], "lsw-lrv", 4, 2),
    "lrv-pub": ("ls-pub", "02:bb:ff:00:03:01", ["198.18.0.1/24", "fd98::1/64"], "lspub-lrv", 2, 3),
}
VARIED_CR_KEY = 4   # cr-lrv-pub's key: northd's next free one after the requested lrp keys
VARIED_GATEWAY_CHASSIS = [("hv2", 20), (None, 10)]   # None: the chassis under test
VARIED_UPSTREAMS = {
    # next hops on ls-pub, pinned with static MAC bindings
    "198.18.0.254": "02:bb:fe:00:00:fe",
    "198.18.0.253": "02:bb:fe:00:00:fd",
    "fd98::fe": "02:bb:fe:00:00:fe",
}
VARIED_ROUTES = [
    # (options, prefix, nexthop, output port or None)
    ([], "0.0.0.0/0", "198.18.0.254", None),
    ([], "::/0", "fd98::fe", None),
    ([], "10.66.0.0/16", "discard", None),
    ([], "fd66::/64", "discard", None),
    (["--policy=src-ip"], "10.32.0.0/24", "198.18.0.253", None),
    ([], "10.77.0.0/16", "10.33.0.11", "lrv-w"),
    (["--route-table=rtb-w"], "10.123.0.0/16", "10.31.0.12", None),
    (["--route-table=rtb-w"], "10.66.5.0/24", "10.31.0.12", None),
]
# Stateless NAT: distributed (v1's, on the chassis of v1, external MAC) and centralized (w1's,
# on the gateway chassis).
VARIED_NATS = [
    ("198.18.0.100", "10.31.0.11", "v1", "02:bb:ff:00:00:64"),
    ("198.18.0.102", "10.33.0.11", None, None),
]


def varied_commands(chassis="scs-dp-0"):
    """The ovn-nbctl commands of the varied topology (varied() docstring), one transaction."""
    cmds = []
    for sw, key in VARIED_SWITCHES.items():
        cmds += [["ls-add", sw], ["set", "Logical_Switch", sw, "other_config:requested-tnl-key=%d" % key]]
    cmds.append(["set", "Logical_Switch", "ls-l2", "other_config:vlan-passthru=true"])
    for vm, (sw, addrs, psec, key, _, typ) in VARIED_VMS.items():
        cmds += [["lsp-add", sw, vm], ["set", "Logical_Switch_Port", vm, "options:requested-tnl-key=%d" % key],
                 ["lsp-set-addresses", vm] + addrs]
        if psec:
            cmds.append(["lsp-set-port-security", vm] + psec)
        if typ:
            cmds.append(["lsp-set-type", vm, typ])
    child, sw, parent, tag, addrs, key = VARIED_CHILD
    cmds += [["lsp-add", sw, child, parent, str(tag)], ["lsp-set-addresses", child, addrs],
             ["lsp-set-port-security", child, addrs],
             ["set", "Logical_Switch_Port", child, "options:requested-tnl-key=%d" % key]]
    lr, key = VARIED_ROUTER
    cmds += [["lr-add", lr], ["set", "Logical_Router", lr, "options:requested-tnl-key=%d" % key]]
    for lrp, (sw, mac, nets, swp, key, lrp_key) in VARIED_LRPS.items():
        cmds += [["lrp-add", lr, lrp, mac] + nets, ["lrp-set-options", lrp, "requested-tnl-key=%d" % lrp_key],
                 ["lsp-add", sw, swp], ["lsp-set-type", swp, "router"], ["lsp-set-addresses", swp, "router"],
                 ["lsp-set-options", swp, "router-port=%s" % lrp, "requested-tnl-key=%d" % key]]
    cmds.append(["set", "Logical_Router_Port", "lrv-w", "options:route_table=rtb-w"])
    for ch, prio in VARIED_GATEWAY_CHASSIS:
        cmds.append(["lrp-set-gateway-chassis", "lrv-pub", ch or chassis, str(prio)])
    cmds += [["lsp-add", "ls-pub", "ln-pub"], ["lsp-set-type", "ln-pub", "localnet"],
             ["lsp-set-addresses", "ln-pub", "unknown"],
             ["lsp-set-options", "ln-pub", "network_name=physnet1", "requested-tnl-key=1"]]
    for nh, mac in VARIED_UPSTREAMS.items():
        cmds.append(["static-mac-binding-add", "lrv-pub", nh, mac])
    for opts, prefix, nh, port in VARIED_ROUTES:
        cmds.append(opts + ["lr-route-add", lr, prefix, nh] + ([port] if port else []))
    for ext, logical, port, mac in VARIED_NATS:
        cmds.append(["--stateless", "lr-nat-add", lr, "dnat_and_snat", ext, logical] + ([port, mac] if port else []))
    return cmds


def varied(central, chassis="scs-dp-0", register_remote=True):
    """A third stateless topology, every key and address its own:

      ls-v (key 31) 10.31.0.0/24 + 10.32.0.0/24 + fd31::/64: v1 (port security with an IPv4
           CIDR 10.31.0.0/28), v2 (two "MAC IP" entries, one per subnet), v4 (two IPv4
           addresses), vmeta (localport), v3 on hv2
        | lrv-v 10.31.0.1/24 10.32.0.1/24 fd31::1/64 (two IPv4 networks on one port)
      lr-v (41, distributed) -- lrv-w 10.33.0.1/24 fd33::1/64 (options:route_table=rtb-w)
        |                          ls-w (32): w1, w2 on hv2, w-child (VLAN 10 child of v1)
        | lrv-pub 198.18.0.1/24 fd98::1/64: distributed gateway port, gateway chassis hv2
        |     (priority 20, the active one) and `chassis` (priority 10)
      ls-pub (33): ln-pub (localnet physnet1, untagged); upstreams 198.18.0.254/.253, fd98::fe
      ls-l2 (34, no router, vlan-passthru): p1 (MAC only), p2 ("unknown"), p3 and p4
           ("MAC" + "unknown") on hv2

    Routes (VARIED_ROUTES): defaults to the upstream, discard routes (IPv4 and IPv6), a
    src-ip policy route for 10.32.0.0/24 to the second upstream, a route with an explicit
    output port, route-table rtb-w routes for traffic entering from lrv-w. Stateless NAT
    (VARIED_NATS): distributed 198.18.0.100 <-> v1, centralized 198.18.0.102 <-> w1.
    With register_remote, hv2 (192.168.100.2) is registered, v3, w2, p3, p4 are bound to it
    and so is cr-lrv-pub (hv2's ovn-controller, the active gateway, would claim it)."""
    central.nbctl_batch(varied_commands(chassis))
    central.sync()
    if register_remote:
        central.add_remote_chassis(DEMO_HV2[0], DEMO_HV2[1])
        for vm, v in VARIED_VMS.items():
            if v[4]:
                central.bind_port_to(DEMO_HV2[0], vm)
        central.bind_port_to(DEMO_HV2[0], "cr-lrv-pub")
    central.sync()


# --- scale ---------------------------------------------------------------------------------

def _mac(i, j):
    return "0a:%02x:%02x:%02x:%02x:%02x" % ((i >> 8) & 0xff, i & 0xff, (j >> 16) & 0xff,
                                             (j >> 8) & 0xff, j & 0xff)


def scale_commands(n_switches, ports_per_switch, n_routers, acls_per_switch=0,
                   routes_per_router=0):
    """ovn-nbctl commands of a generated topology (a list of batches, one per switch after one
    for the routers). Switch s (ls<s>, see scale()) has ports ls<s>-p<p> with MAC, IP and
    port_security "MAC IP" and acls_per_switch ACLs; switches are attached round-robin to
    routers lr<r>; each router gets routes_per_router static /32 routes."""
    if n_switches > 65000 or ports_per_switch > 250:
        raise ValueError("at most 65000 switches of 250 ports")
    batches = []
    cur = []
    for r in range(n_routers):
        cur.append(["lr-add", "lr%d" % r])
        for k in range(routes_per_router):
            cur.append(["lr-route-add", "lr%d" % r, "172.16.%d.%d/32" % (k // 250, k % 250 + 1),
                        "10.%d.%d.254" % ((r >> 8) & 0xff, r & 0xff)])
    batches.append(cur)
    for s in range(n_switches):
        cur = []
        ls = "ls%d" % s
        net = "10.%d.%d" % (100 + (s >> 8), s & 0xff)
        cur.append(["ls-add", ls])
        for p in range(ports_per_switch):
            lp = "%s-p%d" % (ls, p)
            addr = "%s %s.%d" % (_mac(s, p + 1), net, p + 2)
            cur += [["lsp-add", ls, lp], ["lsp-set-addresses", lp, addr],
                    ["lsp-set-port-security", lp, addr]]
        for a in range(acls_per_switch):
            cur.append(["acl-add", ls, "to-lport", str(1000 + a),
                        "outport == \"%s-p0\" && ip4 && tcp.dst == %d" % (ls, 1000 + a),
                        "allow-related"])
        if n_routers:
            lr = "lr%d" % (s % n_routers)
            lrp = "%s-%s" % (lr, ls)
            swp = "%s-%s" % (ls, lr)
            cur += [["lrp-add", lr, lrp, _mac(s, 0xfff0), "%s.1/24" % net],
                    ["lsp-add", ls, swp], ["lsp-set-type", swp, "router"],
                    ["lsp-set-addresses", swp, "router"],
                    ["lsp-set-options", swp, "router-port=%s" % lrp]]
        batches.append(cur)
    return batches


def _smap(d):
    return ["map", [[k, v] for k, v in d.items()]]


def _set(items):
    return ["set", list(items)]


def scale_transactions(n_switches, ports_per_switch, n_routers, acls_per_switch=0,
                       routes_per_router=0, switches_per_txn=20):
    """The same Northbound content as scale_commands(), as raw OVSDB transactions (lists of
    operations for Central.transact('nb', ...)): no ovn-nbctl, no download of the database
    per call, so linear in the size."""
    if n_switches > 65000 or ports_per_switch > 250:
        raise ValueError("at most 65000 switches of 250 ports")
    txns = []
    ops = []
    for r in range(n_routers):
        routes = []
        for k in range(routes_per_router):
            u = "rt_%d_%d" % (r, k)
            routes.append(["named-uuid", u])
            ops.append({"op": "insert", "table": "Logical_Router_Static_Route", "uuid-name": u,
                        "row": {"ip_prefix": "172.16.%d.%d" % (k // 250, k % 250 + 1),
                                "nexthop": "10.%d.%d.254" % ((r >> 8) & 0xff, r & 0xff)}})
        ops.append({"op": "insert", "table": "Logical_Router",
                    "row": {"name": "lr%d" % r, "static_routes": _set(routes)}})
    txns.append(ops)
    ops = []
    for s in range(n_switches):
        ls = "ls%d" % s
        net = "10.%d.%d" % (100 + (s >> 8), s & 0xff)
        ports, acls = [], []
        for p in range(ports_per_switch):
            u = "lsp_%d_%d" % (s, p)
            addr = "%s %s.%d" % (_mac(s, p + 1), net, p + 2)
            ports.append(["named-uuid", u])
            ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": u,
                        "row": {"name": "%s-p%d" % (ls, p), "addresses": _set([addr]),
                                "port_security": _set([addr])}})
        for a in range(acls_per_switch):
            u = "acl_%d_%d" % (s, a)
            acls.append(["named-uuid", u])
            ops.append({"op": "insert", "table": "ACL", "uuid-name": u,
                        "row": {"direction": "to-lport", "priority": 1000 + a,
                                "match": "outport == \"%s-p0\" && ip4 && tcp.dst == %d"
                                         % (ls, 1000 + a), "action": "allow-related"}})
        if n_routers:
            r = s % n_routers
            lrp, swp = "lr%d-%s" % (r, ls), "%s-lr%d" % (ls, r)
            ports.append(["named-uuid", "swp_%d" % s])
            ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "swp_%d" % s,
                        "row": {"name": swp, "type": "router", "addresses": "router",
                                "options": _smap({"router-port": lrp})}})
            ops.append({"op": "insert", "table": "Logical_Router_Port", "uuid-name": "lrp_%d" % s,
                        "row": {"name": lrp, "mac": _mac(s, 0xfff0),
                                "networks": "%s.1/24" % net}})
            ops.append({"op": "mutate", "table": "Logical_Router",
                        "where": [["name", "==", "lr%d" % r]],
                        "mutations": [["ports", "insert", _set([["named-uuid", "lrp_%d" % s]])]]})
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "row": {"name": ls, "ports": _set(ports), "acls": _set(acls)}})
        if (s + 1) % switches_per_txn == 0:
            txns.append(ops)
            ops = []
    if ops:
        txns.append(ops)
    return txns


def scale(central, n_switches, ports_per_switch, n_routers=1, acls_per_switch=0,
          routes_per_router=0, method="transact", commands_per_call=4000, timeout=900,
          verbose=False):
    """Generates a large topology, then waits for ovn-northd. method="transact" writes the
    NB with raw OVSDB transactions (20 switches each; fast), method="nbctl" with ovn-nbctl
    invocations of about `commands_per_call` commands each (each invocation downloads the
    whole NB first, so this one grows quadratically). Returns a dict with lflows
    (Logical_Flow rows), port_bindings, nb_seconds (writing the NB), northd_seconds (until
    ovn-nbctl --wait=sb sync returns afterwards) and total_seconds.

    Switch s is ls<s> with subnet 10.(100 + s/256).(s%256).0/24, port p is ls<s>-p<p> at .p+2;
    switch s hangs on router lr<s % n_routers> via lr<r>-ls<s> (.1)."""
    t0 = time.monotonic()
    if method == "transact":
        for ops in scale_transactions(n_switches, ports_per_switch, n_routers, acls_per_switch,
                                      routes_per_router):
            central.transact("nb", ops, timeout=timeout)
    elif method == "nbctl":
        pending = []
        for batch in scale_commands(n_switches, ports_per_switch, n_routers, acls_per_switch,
                                    routes_per_router):
            pending += batch
            if len(pending) >= commands_per_call:
                central.nbctl_batch(pending, timeout=timeout)
                pending = []
        if pending:
            central.nbctl_batch(pending, timeout=timeout)
    else:
        raise ValueError("method %r: transact or nbctl" % method)
    t1 = time.monotonic()
    central.sync(timeout=timeout)
    t2 = time.monotonic()
    res = {"lflows": central.lflow_count(), "port_bindings": central.count("Port_Binding"),
           "nb_seconds": t1 - t0, "northd_seconds": t2 - t1, "total_seconds": t2 - t0}
    if verbose:
        print("scale: %(lflows)d lflows, %(port_bindings)d port bindings; NB %(nb_seconds).1fs, "
              "northd %(northd_seconds).1fs, total %(total_seconds).1fs" % res)
    return res


def _exists(table, name):
    """An OVSDB operation that fails the transaction unless row `name` exists in `table`."""
    return {"op": "wait", "table": table, "where": [["name", "==", name]], "columns": ["name"],
            "until": "!=", "rows": [], "timeout": 0}


def add_port(central, switch, name, mac, ip, port_security=True, wait=True):
    """Adds one VM port (addresses and, optionally, port_security "MAC IP") to `switch` in one
    OVSDB transaction (what lsp-add + lsp-set-addresses + lsp-set-port-security write); with
    wait, returns the seconds until ovn-northd has committed it to the SB, else None."""
    addr = "%s %s" % (mac, ip)
    row = {"name": name, "addresses": addr}
    if port_security:
        row["port_security"] = addr
    t0 = time.monotonic()
    central.transact("nb", [
        _exists("Logical_Switch", switch),
        {"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "p", "row": row},
        {"op": "mutate", "table": "Logical_Switch", "where": [["name", "==", switch]],
         "mutations": [["ports", "insert", ["named-uuid", "p"]]]}])
    if wait:
        central.sync()
        return time.monotonic() - t0
    return None


def add_route(central, router, prefix, nexthop, wait=True):
    """Adds one static route to `router` in one OVSDB transaction; with wait, returns the
    seconds until ovn-northd has committed it to the SB, else None."""
    t0 = time.monotonic()
    central.transact("nb", [
        _exists("Logical_Router", router),
        {"op": "insert", "table": "Logical_Router_Static_Route", "uuid-name": "r",
         "row": {"ip_prefix": prefix, "nexthop": nexthop}},
        {"op": "mutate", "table": "Logical_Router", "where": [["name", "==", router]],
         "mutations": [["static_routes", "insert", ["named-uuid", "r"]]]}])
    if wait:
        central.sync()
        return time.monotonic() - t0
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate an OVN topology in a private central "
                                 "and report the logical flow count.")
    ap.add_argument("--switches", type=int, default=10)
    ap.add_argument("--ports", type=int, default=10, help="ports per switch")
    ap.add_argument("--routers", type=int, default=1)
    ap.add_argument("--acls", type=int, default=0, help="ACLs per switch")
    ap.add_argument("--routes", type=int, default=0, help="static routes per router")
    ap.add_argument("--method", default="transact", choices=("transact", "nbctl"))
    ap.add_argument("--per-call", type=int, default=4000, help="ovn-nbctl commands per call")
    ap.add_argument("--dir", help="central directory (kept; default: temporary, removed)")
    ap.add_argument("--dump", help="write the SB dump (JSON) here")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    with sandbox.Central(workdir=a.dir, keep=bool(a.dir)) as c:
        print("central started in %.2fs (%s)" % (time.monotonic() - t0, c.dir))
        r = scale(c, a.switches, a.ports, a.routers, a.acls, a.routes, method=a.method,
                  commands_per_call=a.per_call, verbose=True)
        if r["total_seconds"] > 0:
            print("%.0f lflows/minute" % (r["lflows"] * 60.0 / r["total_seconds"]))
        if a.dump:
            t = time.monotonic()
            c.dump_sb(a.dump)
            print("dumped to %s in %.1fs" % (a.dump, time.monotonic() - t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
