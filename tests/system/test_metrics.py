#!/usr/bin/env python3
"""System test: the Prometheus endpoint (--metrics-address) of a running scs-dataplane.

Scrapes GET /metrics with urllib and checks the text exposition format 0.0.4 line by line
(HELP and TYPE before each family's samples, names scs_dp_*, counters ending in _total,
histograms as _bucket/_sum/_count with cumulative buckets, label syntax, numeric values) and
the counters against the pcap traffic the daemon forwarded.
Other paths and methods get 404 and 405; the scrape never disturbs the management socket.

usage: test_metrics.py path/to/scs-dataplane path/to/scs-dpctl
"""

import os
import re
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

from dpctlutil import RX, TX, Daemon, free_tcp_port

DAEMON = None
DPCTL = None

NAME = r"scs_dp_[a-z0-9_]+"
LABEL = r'[a-z_]+="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$" % (NAME, LABEL, LABEL))


def parse(text):
    """{(name, frozenset(labels)): value}, checking the format on the way."""
    types, helps, samples = {}, set(), {}
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert re.fullmatch(NAME, name), (n, line)
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert kind in ("counter", "gauge", "histogram"), (n, line)
            assert name not in types, "family %s declared twice" % name
            if kind == "counter":
                assert name.endswith("_total"), (n, line)
            types[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m, "line %d is not a sample: %r" % (n, line)
            name = m.group(1)
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            if types.get(family) == "histogram":
                assert family in helps and name != family, "histogram sample %r" % line
            else:
                assert name in types and name in helps, "sample before its HELP/TYPE: %r" % line
            labels = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            key = (name, labels)
            assert key not in samples, "duplicate sample %r" % line
            samples[key] = float(m.group(3))
    return types, samples


def value(samples, metric, **labels):
    want = set(labels.items())
    got = [v for (n, ls), v in samples.items() if n == metric and want <= set(ls)]
    assert len(got) == 1, "%s%s: %d samples" % (metric, labels, len(got))
    return got[0]


class Metrics(unittest.TestCase):
    def test_scrape(self):
        port = free_tcp_port()
        d = Daemon(DAEMON, "metrics", lcores="0", extra=["--metrics-address", str(port)])
        try:
            url = "http://127.0.0.1:%d/metrics" % port
            deadline = time.time() + 15
            while True:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    self.assertEqual(resp.status, 200)
                    ctype = resp.headers["Content-Type"]
                    body = resp.read().decode()
                types, samples = parse(body)
                if value(samples, "scs_dp_rx_packets_total", lcore="0") >= RX or time.time() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
            self.assertTrue(body.endswith("\n"))
            self.assertEqual(value(samples, "scs_dp_rx_packets_total", lcore="0"), RX)
            self.assertEqual(value(samples, "scs_dp_tx_packets_total", lcore="0"), TX)
            self.assertEqual(value(samples, "scs_dp_drops_total", lcore="0", reason="unimplemented"), 1)
            self.assertEqual(value(samples, "scs_dp_drops_total", lcore="0", reason="no-match"), 0)
            self.assertEqual(value(samples, "scs_dp_unimplemented_total", lcore="0", action="icmp4/icmp6"), 1)
            self.assertEqual(value(samples, "scs_dp_geneve_encap_total", lcore="0"), 1)
            self.assertEqual(value(samples, "scs_dp_port_rx_packets_total", name="net_pcap0", role="vif",
                                   target="vm1"), RX)
            self.assertEqual(value(samples, "scs_dp_port_tx_packets_total", port="1"), 2)
            self.assertEqual(value(samples, "scs_dp_port_link_up", port="3"), 1)
            self.assertEqual(value(samples, "scs_dp_generation"), 1)
            self.assertEqual(value(samples, "scs_dp_info", chassis="hv1"), 1)
            self.assertGreater(value(samples, "scs_dp_busy_cycles_total", lcore="0"), 0)
            self.assertGreater(value(samples, "scs_dp_tsc_hz"), 0)
            self.assertEqual(types["scs_dp_rx_packets_total"], "counter")
            self.assertEqual(types["scs_dp_generation"], "gauge")
            # Per-burst latency: cumulative buckets, ending at +Inf = _count = the bursts.
            self.assertEqual(types["scs_dp_burst_latency_seconds"], "histogram")
            buckets = sorted((float(dict(ls)["le"]), v) for (n, ls), v in samples.items()
                             if n == "scs_dp_burst_latency_seconds_bucket" and dict(ls)["lcore"] == "0")
            self.assertGreater(len(buckets), 10)
            self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets))
            bursts = value(samples, "scs_dp_bursts_total", lcore="0")
            self.assertGreater(bursts, 0)
            self.assertEqual(buckets[-1], (float("inf"), bursts))
            self.assertEqual(value(samples, "scs_dp_burst_latency_seconds_count", lcore="0"), bursts)
            self.assertGreater(value(samples, "scs_dp_burst_latency_seconds_sum", lcore="0"), 0)

            # A stats reset moves scs-dpctl's baseline only: Prometheus counters never go back.
            r = subprocess.run([DPCTL, "--socket", d.sock, "stats", "--reset"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            with urllib.request.urlopen(url, timeout=10) as resp:
                _, after = parse(resp.read().decode())
            self.assertEqual(value(after, "scs_dp_rx_packets_total", lcore="0"), RX)

            for path, code in (("/", 404), ("/metricsx", 404)):
                with self.assertRaises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10)
                self.assertEqual(e.exception.code, code, path)
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="POST"), timeout=10)
            self.assertEqual(e.exception.code, 405)
            # Still serving after the errors.
            with urllib.request.urlopen(url + "?x=1", timeout=10) as resp:
                self.assertEqual(resp.status, 200)
        finally:
            rc = d.stop()
            out, err = d.stdout(), d.stderr()
            d.cleanup()
        self.assertEqual(rc, 0, out[-3000:] + err)
        self.assertEqual(err, "")
        self.assertIn("Prometheus metrics on http://127.0.0.1:%d/metrics" % port, out)


if __name__ == "__main__":
    DAEMON = os.path.abspath(sys.argv.pop(1))
    DPCTL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
