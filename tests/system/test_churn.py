#!/usr/bin/python3
"""The daemon as a chassis of a real OVN under topology churn with traffic flowing: ports
added and removed, a router port detached and re-attached, a remote port moved between
chassis, address sets and port groups rewritten, the Southbound restarted - round after
round, while demo traffic loops through every port at full speed. The daemon must keep
running, keep publishing and reclaiming generations, and stop cleanly with every generation
reclaimed. (Crashes while generations churned were seen before a snapshot lifetime fix.)

usage: test_churn.py SCS_DATAPLANE [ROUNDS]"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "ovn"))
import sandbox  # noqa: E402
import topologies  # noqa: E402
from sysutil import EAL_BASE, remove_runtime_dir, unique_prefix  # noqa: E402

DAEMON = None
ROUNDS = 12


class Churn(unittest.TestCase):
    def test_churn_under_traffic(self):
        work = tempfile.mkdtemp(prefix="scs-churn-")
        prefix = unique_prefix("churn")
        central = sandbox.Central(workdir=os.path.join(work, "ovn"))
        proc = None
        try:
            central.start()
            topologies.demo(central, chassis="scs-dp-0", stateful=False)
            traffic = os.path.join(os.path.dirname(DAEMON), "..", "tools", "scs-demo-traffic")
            subprocess.run([traffic, work], check=True, capture_output=True)
            cmd = [DAEMON, "-l", "0-1", "--file-prefix", prefix] + EAL_BASE + [
                "--", "--sb", central.sb_remote, "--chassis", "scs-dp-0",
                "--mgmt-socket", os.path.join(work, "mgmt.sock"),
                "--port", "vif=vm1,dev=net_pcap0,rx_pcap=%s/vm1.pcap,infinite_rx=1" % work,
                "--port", "vif=vm2,dev=net_null0,no-rx=1",
                "--port", "vif=vm4,dev=net_null1,no-rx=1",
                "--port", "vif=vm6,dev=net_null2,no-rx=1",
                "--port", "underlay=192.168.100.1,dev=net_pcap1,rx_pcap=%s/underlay.pcap,infinite_rx=1,"
                          "gateway-mac=00:00:00:00:aa:02" % work,
                "--port", "provider=physnet1,dev=net_pcap2,rx_pcap=%s/provider.pcap,infinite_rx=1" % work]
            out_path = os.path.join(work, "stdout")
            with open(out_path, "w") as out, open(os.path.join(work, "stderr"), "w") as err:
                proc = subprocess.Popen(cmd, stdout=out, stderr=err)
            time.sleep(2)
            central.add_remote_chassis("hv3", "192.168.100.3")
            for r in range(ROUNDS):
                self.assertIsNone(proc.poll(), "daemon died in round %d" % r)
                central.nbctl("lsp-add", "sw0", "vm6", "--", "lsp-set-addresses", "vm6",
                              "00:00:00:00:01:06 10.0.0.16", "--", "lsp-set-port-security", "vm6",
                              "00:00:00:00:01:06 10.0.0.16")
                central.nbctl("lrp-del", "lr0-sw1")
                central.nbctl("create", "Address_Set", "name=as%d" % r, "addresses=\"10.0.0.%d\"" % (r + 1))
                central.sync()
                central.sbctl("lsp-unbind", "vm3")
                central.bind_port_to("hv3" if r % 2 == 0 else "hv2", "vm3")
                central.nbctl("lsp-del", "vm6")
                central.nbctl("lrp-add", "lr0", "lr0-sw1", "00:00:00:00:ff:02", "10.0.1.1/24")
                central.nbctl("pg-add", "pg%d" % r, "vm1", "vm2")
                if r % 4 == 3:
                    central.restart_sb(down_seconds=0.5)
                central.sync()
            time.sleep(1)
            self.assertIsNone(proc.poll(), "daemon died at the end")
            proc.terminate()
            rc = proc.wait(timeout=30)
            with open(out_path) as f:
                out = f.read()
            with open(os.path.join(work, "stderr")) as f:
                err = f.read()
            self.assertEqual(rc, 0, err + out[-3000:])
            self.assertEqual(err, "")
            gens = re.search(r"generations: published (\d+), reclaimed (\d+), pending (\d+)", out)
            self.assertTrue(gens, out[-2000:])
            published, reclaimed, pending = map(int, gens.groups())
            self.assertGreater(published, ROUNDS * 2, out[-2000:])
            self.assertEqual((reclaimed, pending), (published, 0))
            total = re.search(r"^\s+total\s+(\d+)\s+(\d+)", out, re.M)
            self.assertTrue(total and int(total.group(2)) > 0, "nothing forwarded\n" + out[-2000:])
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            remove_runtime_dir(prefix)
            central.stop()
            subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    DAEMON = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and sys.argv[1].isdigit():
        ROUNDS = int(sys.argv.pop(1))
    unittest.main(verbosity=2)
