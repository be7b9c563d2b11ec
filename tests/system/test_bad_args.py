#!/usr/bin/env python3
"""System test: the daemon rejects bad command lines, config files and devices with exit
status 2 (1 when EAL itself cannot start) and exactly one line on stderr that names the
problem - never a core dump, never an EAL panic, never a hang.

usage: test_bad_args.py path/to/scs-dataplane
"""

import os
import re
import signal
import sys
import tempfile
import unittest

from sysutil import run_daemon, unique_prefix, write_pcap, udp_frame, VM2_MAC, VM1_MAC, VM1_IP, VM2_IP

DAEMON = None


class BadArguments(unittest.TestCase):
    n = 0

    def expect(self, args, rc, pattern, lcores="0", eal_extra=(), raw=None):
        BadArguments.n += 1
        prefix = unique_prefix("bad%d" % BadArguments.n)
        if raw is not None:
            import subprocess
            p = subprocess.run([DAEMON] + raw, capture_output=True, text=True, timeout=30)
            from sysutil import Run, remove_runtime_dir
            remove_runtime_dir(prefix)
            r = Run(p, p.stdout, p.stderr)
        else:
            r = run_daemon(DAEMON, prefix, lcores, args, timeout=30, eal_extra=eal_extra)
        self.assertGreaterEqual(r.rc, 0, "killed by signal %s\n%s" % (
            signal.Signals(-r.rc).name if r.rc < 0 else "", r))
        self.assertEqual(r.rc, rc, str(r))
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, "want exactly one line on stderr\n%s" % r)
        self.assertTrue(lines[0].startswith("scs-dataplane: error: "), lines[0])
        self.assertRegex(lines[0], pattern)
        return r

    def test_unknown_option(self):
        self.expect(["--bogus"], 2, r"unknown option '--bogus'")

    def test_option_missing_value(self):
        self.expect(["--port", "vif=vm1,dev=net_null0", "--duration"], 2, r"--duration needs a value")

    def test_bad_number(self):
        self.expect(["--port", "vif=vm1,dev=net_null0", "--stats-interval", "often"], 2,
                    r"--stats-interval.*'often' is not a number")

    def test_no_ports(self):
        self.expect([], 2, r"no ports")

    def test_missing_role(self):
        self.expect(["--port", "dev=net_null0"], 2, r"--port #1 .*no role")

    def test_two_roles(self):
        self.expect(["--port", "vif=vm1,provider=physnet1,dev=net_null0"], 2, r"2 roles \(vif= and provider=\)")

    def test_missing_device(self):
        self.expect(["--port", "vif=vm1"], 2, r"no device: add dev=")

    def test_not_key_value(self):
        self.expect(["--port", "vif=vm1,dev=net_null0,oops"], 2, r"'oops' is not key=value")

    def test_bad_ip(self):
        self.expect(["--port", "underlay=192.168.100,dev=net_null0"], 2, r"underlay=192\.168\.100 is not an IPv4 address")

    def test_remote_chassis_ip(self):
        self.expect(["--port", "underlay=192.168.100.2,dev=net_null0"], 2, r"remote chassis hv2's encapsulation IP")

    def test_bad_mac(self):
        self.expect(["--port", "underlay=192.168.100.1,mac=00:11:22:33:44,dev=net_null0"], 2,
                    r"mac=00:11:22:33:44 is not a MAC address")

    def test_bad_gateway_mac(self):
        self.expect(["--port", "underlay=192.168.100.1,gateway-mac=zz:00:00:00:00:01,dev=net_null0"], 2,
                    r"gateway-mac=zz:00:00:00:00:01 is not a MAC address")

    def test_mac_on_vif(self):
        self.expect(["--port", "vif=vm1,mac=00:00:00:00:00:01,dev=net_null0"], 2, r"underlay ports only")

    def test_bad_vlan(self):
        self.expect(["--port", "provider=physnet1,vlan=4095,dev=net_null0"], 2, r"vlan=4095 is not a VLAN id")

    def test_vlan_on_vif(self):
        self.expect(["--port", "vif=vm1,vlan=10,dev=net_null0"], 2, r"vlan= applies to provider ports only")

    def test_unknown_logical_port(self):
        self.expect(["--port", "vif=vm9,dev=net_null0"], 2, r"vif=vm9: no such logical port.*vm1, vm2, vm4")

    def test_remote_logical_port(self):
        self.expect(["--port", "vif=vm5,dev=net_null0"], 2, r"vif=vm5: that logical port is bound to chassis hv2")

    def test_unknown_physnet(self):
        self.expect(["--port", "provider=physnet9,dev=net_null0"], 2, r"provider=physnet9.*physnet1")

    def test_same_logical_port_twice(self):
        self.expect(["--port", "vif=vm1,dev=net_null0", "--port", "vif=vm1,dev=net_null1"], 2,
                    r"--port #2 .*vif=vm1 is already bound by --port #1")

    def test_duplicate_device(self):
        self.expect(["--port", "vif=vm1,dev=net_null0", "--port", "vif=vm2,dev=net_null0"], 2,
                    r"--port #2 .*device net_null0 is already used by --port #1")

    def test_too_many_ports(self):
        args = []
        for i in range(33):
            args += ["--port", "vif=vm1,dev=net_null%d" % i]
        self.expect(args, 2, r"--port: more than 32 ports")

    def test_device_that_does_not_exist(self):
        self.expect(["--port", "vif=vm1,dev=net_nosuchdriver0"], 2,
                    r"device net_nosuchdriver0 failed to probe: .*rte_dev_probe: ")

    def test_pci_device_absent(self):
        self.expect(["--port", "vif=vm1,dev=0000:00:1f.7"], 2,
                    r"device 0000:00:1f\.7 failed to probe: .*Cannot find device.*rte_dev_probe: No such device")

    def test_device_that_fails_to_probe(self):
        self.expect(["--port", "vif=vm1,dev=net_pcap0,rx_pcap=/nonexistent/in.pcap"], 2,
                    r"device net_pcap0 failed to probe: .*Couldn't open /nonexistent/in\.pcap")

    def test_second_device_fails_after_first_probed(self):
        # The first port is hot-plugged, then the second fails: clean up, same one line.
        self.expect(["--port", "vif=vm1,dev=net_null0", "--port", "vif=vm2,dev=net_pcap1,rx_pcap=/nonexistent"], 2,
                    r"--port #2 .*net_pcap1 failed to probe")

    def test_port_without_rx_or_tx(self):
        self.expect(["--port", "vif=vm1,dev=net_pcap0"], 2, r"net_pcap0 failed to probe: .*No rx or tx queues provided")

    def test_existing_device_with_devargs(self):
        self.expect(["--port", "vif=vm1,dev=net_null0,no-rx=1"], 2, r"device net_null0 already exists",
                    eal_extra=["--vdev", "net_null0"])

    def test_too_many_rx_queues(self):
        with tempfile.TemporaryDirectory(prefix="scs-sys-bad-") as d:
            f = os.path.join(d, "in.pcap")
            write_pcap(f, [udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP)])
            # net_pcap has one rx queue per rx_pcap file.
            self.expect(["--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s,rxq=2" % f], 2,
                        r"rxq=2 but device net_pcap0 has at most 1 rx queues")

    def test_fewer_tx_queues_than_workers(self):
        with tempfile.TemporaryDirectory(prefix="scs-sys-bad-") as d:
            f = os.path.join(d, "in.pcap")
            write_pcap(f, [udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP)])
            # net_pcap with one tx_pcap has one tx queue; three lcores on two CPUs make two
            # workers, which need one each.
            self.expect(["--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s" % f], 2,
                        r"device net_pcap0 has 1 tx queue\(s\) but the 2 workers need one each",
                        lcores=None, eal_extra=["--lcores", "0@0,1@1,2@1"])
            self.expect(["--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s,txq=2" % f], 2,
                        r"txq=2 but device net_pcap0 has at most 1 tx queues", lcores="0-1")

    def test_pool_too_small_for_the_device(self):
        # Fails after probing, while setting queues up (exit 1: the command line is valid,
        # the resources are not); net_pcap's infinite_rx preloads its file into mbufs.
        with tempfile.TemporaryDirectory(prefix="scs-sys-bad-") as d:
            f = os.path.join(d, "in.pcap")
            write_pcap(f, [udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP, sport=i) for i in range(3000)])
            self.expect(["--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s,infinite_rx=1" % f,
                         "--port", "vif=vm2,dev=net_null0,no-rx=1", "--mempool-size", "2047"], 1,
                        r"port 0 \(net_pcap0\): rx queue 0: \"eth_rx_queue_setup\(\): Not enough mbufs.*"
                        r"--mempool-size")

    def test_config_file_error_names_file_and_line(self):
        with tempfile.TemporaryDirectory(prefix="scs-sys-bad-") as d:
            f = os.path.join(d, "dp.conf")
            with open(f, "w") as out:
                out.write("# ports\nport vif=vm1,dev=net_null0\n\nport vif=vm2,vlan=7,dev=net_null1\n")
            self.expect(["--config", f], 2, re.escape(f) + r":4 \(vif=vm2,vlan=7,dev=net_null1\): vlan= applies")
            with open(f, "w") as out:
                out.write("port vif=vm1,dev=net_null0\nfrobnicate 3\n")
            self.expect(["--config", f], 2, re.escape(f) + r":2: unknown option 'frobnicate'")
        self.expect(["--config", "/nonexistent/dp.conf"], 2, r"--config /nonexistent/dp\.conf: cannot open")

    def test_daemon_option_before_separator(self):
        self.expect(None, 2, r"option '--port' belongs after `--`",
                    raw=["-l", "0", "--no-huge", "--port", "vif=vm1,dev=net_null0"])

    def test_eal_failure(self):
        self.expect(["--port", "vif=vm1,dev=net_null0"], 1, r"DPDK EAL initialisation failed: .*lcore 64",
                    lcores="64")

    def test_unknown_eal_option(self):
        self.expect(["--port", "vif=vm1,dev=net_null0"], 1, r"DPDK EAL initialisation failed",
                    eal_extra=["--no-such-eal-option"])

    def test_bad_metrics_address(self):
        port = ["--port", "vif=vm1,dev=net_null0"]
        self.expect(port + ["--metrics-address", "localhost:9477"], 2,
                    r"--metrics-address: 'localhost' is not an IPv4 address")
        self.expect(port + ["--metrics-address", "127.0.0.1:99999"], 2,
                    r"--metrics-address: '99999' is not a TCP port in 1\.\.65535")
        self.expect(port + ["--metrics-address", "[::1"], 2, r"--metrics-address: '\[::1' is not \[IPV6\]:PORT")
        self.expect(port + ["--metrics-address", "[nope]:80"], 2, r"'nope' is not an IPv6 address")

    def test_metrics_address_not_available(self):
        # A valid address that is not ours: exit 1 once EAL is up, naming the address.
        self.expect(["--port", "vif=vm1,dev=net_null0", "--metrics-address", "192.0.2.1:9477"], 1,
                    r"--metrics-address 192\.0\.2\.1:9477: cannot listen there: Cannot assign requested address")

    def test_bad_mgmt_socket(self):
        self.expect(["--port", "vif=vm1,dev=net_null0", "--mgmt-socket", "/tmp/" + "x" * 120], 2,
                    r"--mgmt-socket: '/tmp/x+' is 125 bytes long; a unix socket path holds at most 107")
        self.expect(["--port", "vif=vm1,dev=net_null0", "--mgmt-socket", "/proc/no/such/mgmt.sock"], 1,
                    r"management socket /proc/no/such/mgmt\.sock: cannot create directory /proc/no: .*"
                    r"--mgmt-socket none")
        with tempfile.TemporaryDirectory(prefix="scs-sys-bad-") as d:
            f = os.path.join(d, "not-a-socket")
            open(f, "w").close()
            self.expect(["--port", "vif=vm1,dev=net_null0", "--mgmt-socket", f], 1,
                        re.escape(f) + r": exists and is not a socket")

    def test_help(self):
        import subprocess
        for argv in (["--help"], ["-l", "0", "--", "--help"], ["-h"]):
            p = subprocess.run([DAEMON] + argv, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, argv)
            self.assertEqual(p.stderr, "", argv)
            for word in ("--port SPEC", "--config FILE", "--demo", "--stats-interval SEC", "--duration SEC",
                         "--republish-ms N", "--chassis NAME", "--mempool-size N", "vif=LOGICAL_PORT",
                         "underlay=ENCAP_IP", "provider=PHYSNET", "dev=DEVICE", "gateway-mac=MAC", "vlan=N",
                         "rxq=N", "--no-flow-cache", "Southbound", "--mgmt-socket PATH",
                         "--metrics-address ADDR", "[HOST:]PORT"):
                self.assertIn(word, p.stdout, argv)


if __name__ == "__main__":
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
