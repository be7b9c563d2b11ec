#!/usr/bin/python3
"""scs-dp-bench end to end with tiny durations (no speed assertions): its pcap frames are
byte for byte what scs-demo-traffic writes; bad arguments fail with one line and status 2;
device mode (the daemon as a chassis of a sandbox OVN) and, with the package installed,
--compare ovs (OVS-DPDK + ovn-controller) write JSON with every field and sane values (latency
percentiles included: p50 <= p99, > 0) and an SVG plot; engine mode too when
scs-dp-microbench is built (latency: the mean per burst); nothing is left behind.

    test_dp_bench.py BUILD/dataplane/scs-dataplane
"""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BENCH = os.path.join(ROOT, "bench", "scs-dp-bench")
sys.path.insert(0, os.path.join(ROOT, "bench"))
import traffic  # noqa: E402

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def bench(build, *args, timeout=120):
    return subprocess.run([sys.executable, BENCH, "--build", build] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def netns_names():
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


def check_latency(r, tag, percentiles):
    """Latency fields: per-burst percentiles (device mode: ours and OVS's), or the mean time per
    burst (engine mode), positive, ordered, below a second, summarized over the repetitions."""
    for rep in r["reps"]:
        check(0 < rep.get("latency_mean_us", 0) < 1e6 and rep.get("latency_kind"),
              tag + ": rep latency_mean_us %s (%s)" % (rep.get("latency_mean_us"), rep.get("latency_kind")))
        if percentiles:
            p50, p99, p999 = (rep.get("latency_%s_us" % q) for q in ("p50", "p99", "p999"))
            check(p50 is not None and 0 < p50 <= p99 <= p999 < 1e6,
                  tag + ": rep latency p50 %s <= p99 %s <= p99.9 %s us, > 0" % (p50, p99, p999))
    keys = ("latency_p50_us", "latency_p99_us", "latency_mean_us") if percentiles else ("latency_mean_us",)
    for k in keys:
        t = r["summary"].get(k)
        check(t is not None and t["n"] == len(r["reps"]) and 0 < t["min"] <= t["median"] <= t["max"],
              tag + ": summary %s (median and spread over the repetitions)" % k)
    if percentiles:
        check(r["summary"]["latency_p50_us"]["median"] <= r["summary"]["latency_p99_us"]["median"],
              tag + ": median p50 <= median p99")


def check_result(r, system, mode, profile, flows, cores, reps):
    tag = "%s %s %s/%d" % (system, mode, profile, flows)
    check(r["system"] == system and r["mode"] == mode and r["profile"] == profile and
          r["flows"] == flows and r["cores"] == cores and r["frame_size"] == 64, tag + ": identity fields")
    check(len(r["reps"]) == reps, tag + ": %d repetitions recorded (got %d)" % (reps, len(r["reps"])))
    for rep in r["reps"]:
        ok = (0.01 < rep["mpps"] < 200 and 1 < rep["cycles_per_packet"] < 1e6 and
              abs(rep["gbps"] - rep["mpps"] * 64 * 8 / 1000) < 1e-6 and len(rep["cores"]) == cores and
              abs(sum(c["mpps"] for c in rep["cores"]) - rep["mpps"]) < 1e-6)
        check(ok, tag + ": rep mpps %.3f, cycles/pkt %.0f, gbps and per-core sums consistent"
              % (rep["mpps"], rep["cycles_per_packet"]))
    s = r["summary"]
    for k in ("mpps", "gbps", "mpps_per_core", "gbps_per_core", "cycles_per_packet"):
        check(k in s and s[k]["min"] <= s[k]["q1"] <= s[k]["median"] <= s[k]["q3"] <= s[k]["max"] and
              s[k]["n"] == reps, tag + ": summary %s ordered (min<=q1<=median<=q3<=max)" % k)


def main():
    exe = os.path.abspath(sys.argv[1])
    build = os.path.dirname(os.path.dirname(exe))
    demo_traffic = os.path.join(build, "tools", "scs-demo-traffic")
    micro = os.path.join(build, "bench", "scs-dp-microbench")
    ns_before = netns_names()

    # 1. Frames identical to scs-demo-traffic's (flows straddle the 50000-port wrap).
    with tempfile.TemporaryDirectory() as d:
        for p in traffic.PROFILES:
            path = os.path.join(d, p + ".pcap")
            subprocess.run([demo_traffic, "--profile", p, "--flows", "50002", path], check=True,
                           capture_output=True)
            check(traffic.read_pcap(path) == traffic.frames(p, 50002),
                  "%s: bench/traffic.py frames == scs-demo-traffic's (50002 flows)" % p)
        f = traffic.frames("l3", 2, 128, 1)
        check(all(len(x) == 124 for x in f) and f[0][6:12] == traffic.mac("00:00:00:00:01:02"),
              "frame size 128 (124 bytes + FCS) from the second source (vm2)")

    # 2. Bad arguments: status 2, exactly one line on stderr, nothing on stdout.
    for args, word in ((["--profile", "l9"], "unknown profile"), (["--flows", "0"], "outside"),
                       (["--flows", "abc"], "wants numbers"), (["--cores", "3", "--profile", "l2"], "too many"),
                       (["--mode", "engine", "--flows", "7"], "engine mode has flows"),
                       (["--mode", "engine", "--compare", "ovs"], "needs --mode device"),
                       (["--compare", "vpp"], "invalid choice"), (["--duration", "-1"], "at least"),
                       (["--plot", "x.png"], "SVG"), (["--frobnicate"], "unrecognized")):
        p = bench(build, *args)
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 2 and len(lines) == 1 and word in lines[0] and not p.stdout,
              "bad args %s: exit %d, one line: %s" % (" ".join(args), p.returncode, lines))
    p = bench(build, "--help")
    check(p.returncode == 0 and "--compare" in p.stdout and "engine" in p.stdout, "--help answers")

    with tempfile.TemporaryDirectory() as d:
        # 3. Device mode: two profiles, two flow counts, JSON + SVG.
        j, svg = os.path.join(d, "r.json"), os.path.join(d, "r.svg")
        p = bench(build, "--profile", "l3,geneve-rx", "--flows", "1,1000", "--reps", "2", "--warmup", "0.2",
                  "--duration", "0.3", "--json", j, "--plot", svg)
        check(p.returncode == 0, "device mode run: exit %d %s" % (p.returncode, p.stderr.strip().splitlines()[-1:]))
        if p.returncode == 0:
            doc = json.load(open(j))
            check(doc["machine"]["cpus"] >= 1 and doc["config"]["mode"] == "device", "JSON: machine and config")
            check(len(doc["results"]) == 4, "JSON: 4 results (2 profiles x 2 flow counts)")
            for r in doc["results"]:
                check_result(r, "scs-dataplane", "device", r["profile"], r["flows"], 1, 2)
                check_latency(r, "device %s/%d" % (r["profile"], r["flows"]), True)
                fc = r["final_counters"]
                check(fc and fc["chassis"] == "scs-dp-0" and fc["rx_packets"] > 0 and fc["tx_packets"] > 0,
                      "%s/%d: the daemon's final counters parsed" % (r["profile"], r["flows"]))
                check(all(rep["forwarded_fraction"] > 0.99 and rep["dropped"] == 0 for rep in r["reps"]),
                      "%s/%d: every measured packet forwarded, none dropped" % (r["profile"], r["flows"]))
            check("l3" in p.stdout and "Mpps" in p.stdout and "lat p99 us" in p.stdout, "table on stdout")
            root = ET.parse(svg).getroot()
            check(root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}circle")) >= 4,
                  "SVG plot is well-formed XML with a point per result")

        # 4. The OVS-DPDK peer.
        import ovs_peer
        why = ovs_peer.available()
        if why:
            p = bench(build, "--compare", "ovs", "--reps", "1", "--duration", "0.1")
            check(p.returncode != 0 and why in p.stderr, "--compare ovs without the peer fails clearly: " + why)
        else:
            j2 = os.path.join(d, "ovs.json")
            p = bench(build, "--profile", "l3", "--flows", "1000", "--reps", "2", "--warmup", "0.5",
                      "--duration", "0.5", "--compare", "ovs", "--json", j2)
            check(p.returncode == 0, "--compare ovs run: exit %d %s" % (p.returncode, p.stderr.strip().splitlines()[-1:]))
            if p.returncode == 0:
                doc = json.load(open(j2))
                ovs = [r for r in doc["results"] if r["system"] == "ovs-dpdk"]
                check(len(ovs) == 1, "JSON: one OVS-DPDK result")
                if ovs:
                    check_result(ovs[0], "ovs-dpdk", "device", "l3", 1000, 1, 2)
                    # pmd-perf-show's cycles/it histogram (pmd-perf-metrics=true).
                    check_latency(ovs[0], "ovs-dpdk l3/1000", True)
                    check(all(rep["egress_mpps"] > 0 for rep in ovs[0]["reps"]),
                          "OVS forwarded to the egress port (vm4) during the windows")
                c = doc["comparisons"][0]
                check(c["ratio"] and abs(c["ratio"] - c["scs_mpps"] / c["ovs_mpps"]) < 1e-9,
                      "comparison: ratio = scs / ovs (%.2f)" % (c["ratio"] or 0))
                check("ratio" in p.stdout and "OVS-DPDK" in p.stdout, "side-by-side lines on stdout")

        # 5. Engine mode (needs -Dbenchmarks=enabled).
        if os.access(micro, os.X_OK):
            j3 = os.path.join(d, "engine.json")
            p = bench(build, "--mode", "engine", "--profile", "l2", "--flows", "1", "--reps", "2",
                      "--warmup", "0", "--duration", "0.05", "--json", j3)
            check(p.returncode == 0, "engine mode run: exit %d %s" % (p.returncode, p.stderr.strip().splitlines()[-1:]))
            if p.returncode == 0:
                r = json.load(open(j3))["results"][0]
                check_result(r, "scs-dataplane", "engine", "l2", 1, 1, 2)
                check_latency(r, "engine l2/1", False)
        else:
            print("skip  engine mode: %s not built" % micro)

    leftover = {n for n in netns_names() - ns_before if n.startswith("scs-bench")}
    check(not leftover, "no network namespace left behind (%s)" % sorted(leftover))
    stale = [x for x in os.listdir("/var/run/dpdk") if x.startswith("scs-bench")] \
        if os.path.isdir("/var/run/dpdk") else []
    check(not stale, "no DPDK runtime directory left behind (%s)" % stale)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
