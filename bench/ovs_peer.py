"""The peer of scs-dp-bench --compare ovs: Open vSwitch's DPDK datapath (Debian's
openvswitch-switch-dpdk, /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk) programmed by a
real ovn-controller from the benchmark's own OVN Southbound, as the chassis our daemon was
(same name, same encap IP, so it owns the same VIFs, the gateway port and the tunnel to hv2).

Ports, all DPDK virtual devices as for scs-dataplane: the profile's ingress sources are
net_pcap (rx_pcap=FILE, infinite_rx=1), every other port a net_null sink (no-rx=1).
    br-int  (netdev, fail_mode=secure): vm1, vm2, vm4 (external_ids:iface-id)
    br-phy  (netdev, hwaddr 00:00:00:00:aa:01): the underlay port; the internal port holds the
            encap IP 192.168.100.1/24 (OVS sends Geneve only through a bridge owning it);
            hv2's MAC is seeded with tnl/neigh/set
    br-ex   (netdev): the provider port; ovn-bridge-mappings physnet1:br-ex
ovs-vswitchd runs in its own network namespace (its tap devices stay off the host), with
pmd-cpu-mask = the CPUs our workers used and dpdk-lcore-mask = CPU 0 (our main lcore).
The forwarding rate comes from OVS's own counters: `dpif-netdev/pmd-stats-clear`, a timed
window, `dpif-netdev/pmd-stats-show` (packets received, processing cycles per PMD); the
egress ports' tx from `ovs-ofctl dump-ports` over the same window as a cross-check.
Latency: OVS has no per-burst rx-to-tx counter; the nearest is pmd-perf-show's histogram of
TSC cycles per PMD iteration (other_config:pmd-perf-metrics=true, which OVS documents at
about 1% overhead): one iteration polls the PMD's rx queues, processes what came and sends
it, so with a source that never runs dry it is one burst's rx poll + pipeline + tx. Its 32
bins are log-spaced from 500 to 24M cycles (about 41% wide); percentiles are interpolated
inside their bin, geometrically, as the bins are spaced.

Everything lives in one temporary directory; daemons are stopped by pid, the namespace is
deleted.
"""

import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "ovn"))
from sandbox import SandboxError, kill_daemon, ovs_env, pid_alive, read_pid, run, wait_for  # noqa: E402
from ovs_chassis import Netns, ns_run  # noqa: E402

OVS_DPDK = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
VSWITCH_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
# OVS's shared mempool (its default) holds at most this many mbufs; the pcap PMD's
# infinite_rx preloads every frame of its file into mbufs of that pool.
OVS_MAX_MBUFS = 262144


class PeerError(RuntimeError):
    pass


def available():
    """None if the peer can run here, else why not (one line)."""
    if not os.access(OVS_DPDK, os.X_OK):
        return "%s is missing: install Debian's openvswitch-switch-dpdk (tools/bootstrap.sh)" % OVS_DPDK
    for prog, pkg in (("ovn-controller", "ovn-host"), ("ovsdb-server", "openvswitch-switch"),
                      ("ovs-vsctl", "openvswitch-switch"), ("ovs-ofctl", "openvswitch-switch")):
        if not shutil.which(prog):
            return "%s is missing: install Debian's %s (tools/bootstrap.sh)" % (prog, pkg)
    if os.geteuid() != 0:
        return "the OVS peer needs root (network namespace, DPDK)"
    return None


class OvsDpdkPeer:
    def __init__(self, sb_remote, chassis, encap_ip, underlay_mac, hv2_ip, hv2_mac, cpus,
                 mem_mb=2048, log=None):
        self.sb_remote, self.chassis, self.encap_ip = sb_remote, chassis, encap_ip
        self.underlay_mac, self.hv2_ip, self.hv2_mac = underlay_mac, hv2_ip, hv2_mac
        self.cpus = list(cpus)
        self.mem_mb = mem_mb
        self.log = log or (lambda m: None)
        self.dir = tempfile.mkdtemp(prefix="scs-bench-ovs-")
        self.env = ovs_env(self.dir)
        self.db_sock = os.path.join(self.dir, "db.sock")
        self.netns_name = "scs-bench-ovs-%d" % os.getpid()
        self.ns = None
        self.ports = {}      # OVS port name -> (bridge, devargs)
        self._vdev = 0
        self._started = False

    def _p(self, n):
        return os.path.join(self.dir, n)

    def vsctl(self, *args, timeout=60):
        return run(["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=%d" % timeout]
                   + [str(a) for a in args], env=self.env, timeout=timeout + 5)

    def appctl(self, *args, timeout=30):
        return run(["ovs-appctl", "--timeout=%d" % timeout, "-t", self._p("vswitchd.ctl")]
                   + [str(a) for a in args], env=self.env, timeout=timeout + 5)

    def ofctl(self, *args):
        return run(["ovs-ofctl", "-O", "OpenFlow15"] + [str(a) for a in args], env=self.env)

    def _log_tail(self, name, n=3):
        try:
            with open(self._p(name)) as f:
                lines = [ln.strip() for ln in f if "|ERR|" in ln or "|EMER|" in ln]
            return " / ".join(lines[-n:])
        except OSError:
            return ""

    def start(self):
        self._started = True
        try:
            self._start()
        except SandboxError as e:
            err = self._log_tail("vswitchd.log")
            raise PeerError("OVS-DPDK peer: %s%s" % (e, (" (ovs-vswitchd: %s)" % err) if err else ""))
        return self

    def _start(self):
        db = self._p("conf.db")
        run(["ovsdb-tool", "create", db, VSWITCH_SCHEMA], env=self.env)
        run(["ovsdb-server", db, "--remote=punix:" + self.db_sock, "--unixctl=" + self._p("db.ctl"),
             "--pidfile=" + self._p("db.pid"), "--log-file=" + self._p("db.log"), "--detach",
             "--no-chdir"], env=self.env)
        self.vsctl("--no-wait", "init")
        pmd_mask = sum(1 << c for c in self.cpus)
        # --legacy-mem stops OVS from adding --in-memory, which DPDK refuses with --no-huge.
        extra = ("--no-huge -m %d --no-pci --legacy-mem --no-shconf --no-telemetry "
                 "--file-prefix=scs-bench-ovs-%d" % (self.mem_mb, os.getpid()))
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-lcore-mask=0x1", "other_config:pmd-cpu-mask=0x%x" % pmd_mask,
                   "other_config:pmd-perf-metrics=true", 'other_config:dpdk-extra="%s"' % extra)
        self.ns = Netns(self.netns_name)
        ns_run(self.netns_name, [OVS_DPDK, "unix:" + self.db_sock, "--unixctl=" + self._p("vswitchd.ctl"),
                                 "--pidfile=" + self._p("vswitchd.pid"),
                                 "--log-file=" + self._p("vswitchd.log"), "--detach", "--no-chdir"],
               env=self.env, timeout=120)
        if self.vsctl("get", "Open_vSwitch", ".", "dpdk_initialized").strip() != "true":
            raise SandboxError("DPDK did not initialise")
        self.vsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev",
                   "fail_mode=secure", "other_config:disable-in-band=true",
                   "--", "add-br", "br-phy", "--", "set", "Bridge", "br-phy", "datapath_type=netdev",
                   'other_config:hwaddr="%s"' % self.underlay_mac,
                   "--", "add-br", "br-ex", "--", "set", "Bridge", "br-ex", "datapath_type=netdev")
        ns_run(self.netns_name, ["ip", "addr", "add", self.encap_ip + "/24", "dev", "br-phy"])
        ns_run(self.netns_name, ["ip", "link", "set", "br-phy", "up"])
        self.vsctl("set", "Open_vSwitch", ".", "external_ids:system-id=%s" % self.chassis,
                   "external_ids:hostname=%s" % self.chassis,
                   "external_ids:ovn-remote=%s" % self.sb_remote,
                   "external_ids:ovn-encap-type=geneve",
                   "external_ids:ovn-encap-ip=%s" % self.encap_ip,
                   "external_ids:ovn-bridge=br-int",
                   "external_ids:ovn-bridge-datapath-type=netdev",
                   "external_ids:ovn-bridge-mappings=physnet1:br-ex")
        run(["ovn-controller", "unix:" + self.db_sock, "--pidfile=" + self._p("ovn-controller.pid"),
             "--log-file=" + self._p("ovn-controller.log"), "--detach", "--no-chdir"], env=self.env)
        self.appctl("tnl/neigh/set", "br-phy", self.hv2_ip, self.hv2_mac)

    def set_port(self, name, bridge, source_pcap=None, iface_id=None, timeout=60):
        """(Re)creates DPDK port `name` on `bridge`: a net_pcap source of `source_pcap` or a
        net_null sink. VIFs (iface_id) wait until ovn-controller has installed them."""
        if name in self.ports:
            self.vsctl("--if-exists", "del-port", name)
        self._vdev += 1
        devargs = ("net_pcap%d,rx_pcap=%s,infinite_rx=1" % (self._vdev, source_pcap) if source_pcap
                   else "net_null%d,no-rx=1" % self._vdev)
        args = ["add-port", bridge, name, "--", "set", "Interface", name, "type=dpdk",
                "options:dpdk-devargs=%s" % devargs]
        if iface_id:
            args.append("external_ids:iface-id=%s" % iface_id)
        self.vsctl(*args)
        self.ports[name] = (bridge, devargs)

        def ready():
            err = self.vsctl("--if-exists", "get", "Interface", name, "error").strip()
            if err and err != "[]":
                raise PeerError("OVS-DPDK peer: port %s (%s): %s" % (name, devargs, err.strip('"')))
            if not iface_id:
                return True
            return self.vsctl("--if-exists", "get", "Interface", name,
                              "external_ids:ovn-installed").strip() == '"true"'
        try:
            wait_for(ready, timeout, "port %s up%s" % (name, " and ovn-installed" if iface_id else ""), 0.1)
        except SandboxError as e:
            raise PeerError("OVS-DPDK peer: %s" % e)

    def port_tx(self):
        """{port name: tx packets} of every bridge's ports (live, via OpenFlow)."""
        out = {}
        for br in ("br-int", "br-phy", "br-ex"):
            desc = self.ofctl("show", br)
            names = dict(re.findall(r"^\s*(\d+)\(([^)]+)\):", desc, re.M))
            text = self.ofctl("dump-ports", br)
            for m in re.finditer(r"port\s+\"?(\w+)\"?:\s*rx pkts=(\d+).*?\n\s*tx pkts=(\d+)", text):
                n = names.get(m.group(1), m.group(1))
                out[n] = int(m.group(3))
        return out

    def clear(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def tsc_hz(self, perf):
        """OVS's TSC frequency: as DPDK gave it (vswitchd.log), else from pmd-perf-show's used
        cycles over its iterations' mean duration."""
        try:
            with open(self._p("vswitchd.log")) as f:
                m = re.search(r"TSC frequency: (\d+) KHz", f.read())
            if m:
                return int(m.group(1)) * 1000
        except OSError:
            pass
        m = re.search(r"Iterations:\s*(\d+)\s*\(([\d.]+) us/it\)\s*\n\s*- Used TSC cycles:\s*(\d+)", perf)
        if m and int(m.group(1)) and float(m.group(2)):
            return int(m.group(3)) / (int(m.group(1)) * float(m.group(2)) * 1e-6)
        return None

    def iteration_latency(self, perf):
        """{core_id or "total": {"p50_us", "p99_us", "p999_us", "mean_us", "iterations"}} from
        pmd-perf-show's cycles/it histograms (see the top); {} without them."""
        hz = self.tsc_hz(perf)
        if not hz:
            return {}
        per, total = {}, None
        for block in re.split(r"\n(?=pmd thread)", perf):
            m = re.search(r"pmd thread numa_id \d+ core_id (\d+):", block)
            at = block.find("Histograms")
            if not m or at < 0:
                continue
            bins = []
            for line in block[at:].splitlines()[2:]:
                t = line.split()
                if len(t) < 2 or not (t[0].isdigit() or t[0] == ">") or not t[1].isdigit():
                    break
                bins.append((None if t[0] == ">" else int(t[0]), int(t[1])))
                if t[0] == ">":
                    break
            if not bins:
                continue
            mean = re.search(r"Iterations:\s*\d+\s*\(([\d.]+) us/it\)", block)
            per[int(m.group(1))] = (bins, float(mean.group(1)) if mean else None)
            total = bins if total is None else [(w, n + x) for (w, n), (_, x) in zip(total, bins)]

        def summary(bins, mean_us):
            n = sum(c for _, c in bins)
            if n == 0:
                return None

            def q(f):
                cum = 0
                for i, (w, c) in enumerate(bins):
                    if cum + c >= f * n and c:
                        if w is None:  # past the last wall: the last wall, a lower bound
                            return bins[i - 1][0] / hz * 1e6
                        # Interpolated inside the bin, geometrically as its walls are spaced
                        # (the first bin's lower edge taken as half its wall).
                        lo = bins[i - 1][0] if i else w / 2
                        x = lo * (w / lo) ** ((f * n - cum) / c)
                        return x / hz * 1e6
                    cum += c
                return None
            return {"p50_us": q(0.5), "p99_us": q(0.99), "p999_us": q(0.999), "mean_us": mean_us, "iterations": n}
        out = {core: summary(b, mean) for core, (b, mean) in per.items()}
        if total is not None:
            means = [mean for _, mean in per.values() if mean is not None]
            out["total"] = summary(total, sum(means) / len(means) if means else None)
        return {k: v for k, v in out.items() if v}

    def pmd_stats(self):
        """(seconds, [(core_id, packets received, processing cycles)], iteration latency) per
        PMD thread since the clear: the window and packet counts from pmd-perf-show (OVS's own
        clock), the busy cycles per packet from pmd-stats-show right after, the latency from
        pmd-perf-show's histograms (iteration_latency())."""
        perf = self.appctl("dpif-netdev/pmd-perf-show")
        dur = re.search(r"Measurement duration:\s*([\d.]+) s", perf)
        rx_perf = {int(c): int(n) for c, n in re.findall(
            r"core_id (\d+):.*?Rx packets:\s*(\d+)", perf, re.S)}
        text = self.appctl("dpif-netdev/pmd-stats-show")
        res = []
        for block in re.split(r"\n(?=pmd thread)", text):
            m = re.search(r"pmd thread numa_id \d+ core_id (\d+):", block)
            if not m:
                continue
            rx = re.search(r"packets received: (\d+)", block)
            cyc = re.search(r"processing cycles: (\d+)", block)
            core, n = int(m.group(1)), int(rx.group(1)) if rx else 0
            c = int(cyc.group(1)) if cyc else 0
            # Scale the busy cycles of the slightly longer pmd-stats-show window to the packets
            # of the pmd-perf-show window: cycles per packet stays busy cycles / packets.
            n_perf = rx_perf.get(core, n)
            res.append((core, n_perf, c * n_perf // n if n else 0))
        if not dur:
            raise PeerError("OVS-DPDK peer: pmd-perf-show printed no measurement duration")
        return float(dur.group(1)), res, self.iteration_latency(perf)

    def stop(self):
        if not self._started:
            return
        self._started = False
        pid = read_pid(self._p("ovn-controller.pid"))
        if pid and pid_alive(pid):
            # `exit` removes the Chassis row, so our daemon can be that chassis again later.
            run(["ovs-appctl", "--timeout=5", "-t", self._p("ovn-controller.%d.ctl" % pid), "exit"],
                env=self.env, check=False, timeout=10)
            try:
                wait_for(lambda: not pid_alive(pid), 5, "ovn-controller exit")
            except SandboxError:
                pass
        for n in ("ovn-controller", "vswitchd", "db"):
            kill_daemon(self._p(n + ".pid"), self.dir)
        if self.ns:
            self.ns.stop()
        shutil.rmtree("/var/run/dpdk/scs-bench-ovs-%d" % os.getpid(), ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)
