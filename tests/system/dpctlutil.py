"""A running scs-dataplane for the scs-dpctl and metrics tests: started in the background
with pcap traffic, a management socket in its own directory, stopped by SIGTERM (by pid)
and its output kept for the assertions. Standard library only."""

import os
import signal
import socket
import subprocess
import tempfile
import time

from sysutil import (EAL_BASE, LRP_SW0_MAC, VM1_IP, VM1_MAC, VM2_IP, VM2_MAC, VM4_IP,
                     VM5_IP, remove_runtime_dir, udp_frame, unique_prefix, write_pcap)

# vm1's input: two L2 frames to vm2, one routed to vm4, one routed over Geneve to vm5 on
# hv2, one whose TTL expires (dropped: OVN answers it with ICMP from the controller).
FRAMES = [
    udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP),
    udp_frame(VM2_MAC, VM1_MAC, VM1_IP, VM2_IP, sport=2),
    udp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM4_IP),
    udp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM5_IP),
    udp_frame(LRP_SW0_MAC, VM1_MAC, VM1_IP, VM4_IP, ttl=1),
]
RX = len(FRAMES)
TX = 4
DROPS = {"unimplemented": 1}
UNIMPLEMENTED = {"icmp4/icmp6": 1}


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, exe, name, lcores="0", extra=()):
        self.dir = tempfile.mkdtemp(prefix="scs-sys-%s-" % name)
        os.chmod(self.dir, 0o755)  # other users may traverse it (the permission test)
        self.sock = os.path.join(self.dir, "run", "mgmt.sock")
        self.prefix = unique_prefix(name)
        src = os.path.join(self.dir, "vm1.pcap")
        write_pcap(src, FRAMES)
        p = lambda n: os.path.join(self.dir, n)  # noqa: E731
        self.cmd = [exe, "-l", lcores, "--file-prefix", self.prefix] + EAL_BASE + [
            "--",
            "--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, p("vm1_out.pcap")),
            "--port", "vif=vm2,dev=net_pcap1,tx_pcap=%s" % p("vm2_out.pcap"),
            "--port", "vif=vm4,dev=net_pcap2,tx_pcap=%s" % p("vm4_out.pcap"),
            "--port", "underlay=192.168.100.1,dev=net_pcap3,tx_pcap=%s" % p("ul_out.pcap"),
            "--chassis", "hv1",
            "--mgmt-socket", self.sock,
        ] + list(extra)
        self.out_path, self.err_path = p("stdout"), p("stderr")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=err)
        self.rc = None
        deadline = time.time() + 20
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("daemon did not create %s\n%s\n%s" % (self.sock, self.stdout(), self.stderr()))
            time.sleep(0.05)

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.rc = self.proc.returncode
        remove_runtime_dir(self.prefix)
        return self.rc

    def cleanup(self):
        self.stop()
        subprocess.run(["rm", "-rf", self.dir], check=False)


class DpctlAssertions:
    """Mixin for unittest.TestCase: scs-dpctl's failure contract (exit status, one stderr line
    starting "scs-dpctl: error: ", nothing on stdout)."""

    def one_line_error(self, r, rc, pattern):
        self.assertEqual(r.returncode, rc, "exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout, r.stderr))
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("scs-dpctl: error: "), lines[0])
        self.assertRegex(lines[0], pattern)
        self.assertEqual(r.stdout, "")
