#!/usr/bin/python3
"""A real OVN central (Northbound + Southbound ovsdb-server, ovn-northd) in a private directory,
for tests, the demo and the benchmarks. Standard library only.

Everything lives in one directory: databases, unix sockets, unixctl sockets, pid files and
logs. The daemons run detached (--detach --pidfile) so that the CLI's `start` leaves them
running; they are stopped by the pid in their pid file, never by name. Nothing here touches
/var/run/openvswitch (every daemon gets an explicit --unixctl and the OVS_*/OVN_* directory
variables point into the directory).

Module use:

    with Central() as c:                      # temporary directory, removed on exit
        c.nbctl("ls-add", "sw0")
        c.sync()                               # ovn-nbctl --wait=sb sync
        c.dump_sb("/tmp/sb.json")              # ovsdb-client dump --format=json
        print(c.sb_remote)                     # unix:/tmp/.../sb.sock

CLI:

    python3 tools/ovn/sandbox.py start DIR [--topology demo|none] [--chassis scs-dp-0] [--tcp]
                                           [--no-hv2] [--register-local]
    python3 tools/ovn/sandbox.py stop DIR
    python3 tools/ovn/sandbox.py dump DIR FILE
    python3 tools/ovn/sandbox.py status DIR

`start` writes DIR/env.sh (OVN_NB_DB, OVN_SB_DB, OVS_RUNDIR ... for ovn-nbctl/ovn-sbctl in a
shell: `. DIR/env.sh; ovn-nbctl show`) and DIR/central.json (what `stop` reads).
"""

import argparse
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema"
SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema"


class SandboxError(RuntimeError):
    pass


# --- process helpers (shared with ovs_chassis.py) ------------------------------------------

def run(argv, env=None, timeout=60, check=True, input=None):
    """Runs a command, returns its stdout; raises SandboxError with stderr on failure."""
    try:
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                           input=input)
    except subprocess.TimeoutExpired:
        raise SandboxError("timed out after %ss: %s" % (timeout, " ".join(argv[:8])))
    if check and p.returncode != 0:
        raise SandboxError("%s failed (exit %d): %s" % (" ".join(argv[:8]), p.returncode,
                                                         p.stderr.strip() or p.stdout.strip()))
    return p.stdout


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def kill_pid(pid, timeout=5.0):
    """SIGTERM, then SIGKILL after `timeout`; returns once the process is gone."""
    if pid is None or not pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 5.0
        time.sleep(0.02)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def kill_daemon(pidfile, marker):
    """Stops the daemon of `pidfile` if its command line contains `marker` (our directory), so
    a stale pid file never gets an unrelated process killed."""
    pid = read_pid(pidfile)
    if pid is None:
        return
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read().decode(errors="replace")
    except OSError:
        return
    if marker in cmdline:
        kill_pid(pid)


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise SandboxError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def ovs_env(d):
    """Environment that keeps OVS/OVN tools and daemons inside directory `d`."""
    env = dict(os.environ)
    for pfx in ("OVS", "OVN"):
        for k in ("RUNDIR", "LOGDIR", "DBDIR", "SYSCONFDIR"):
            env["%s_%s" % (pfx, k)] = d
    return env


def ovsdb_transact(sock_path, db, ops, timeout=120):
    """A JSON-RPC `transact` on an ovsdb-server unix socket (no size limit, unlike the
    command line of ovsdb-client transact). Returns the result list; an operation error or
    a JSON-RPC error raises SandboxError naming the failing operation."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(json.dumps({"method": "transact", "params": [db] + list(ops),
                              "id": 0}).encode())
        buf, dec = b"", json.JSONDecoder()
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise SandboxError("%s: connection closed before the reply" % sock_path)
            buf += chunk
            text = buf.decode(errors="replace").lstrip()
            try:
                msg, end = dec.raw_decode(text)
            except ValueError:
                continue
            buf = text[end:].encode()
            if msg.get("method") == "echo":
                s.sendall(json.dumps({"result": msg["params"], "error": None,
                                      "id": msg["id"]}).encode())
                continue
            if msg.get("id") == 0:
                break
    except (OSError, socket.timeout) as e:
        raise SandboxError("%s: %s" % (sock_path, e))
    finally:
        s.close()
    if msg.get("error"):
        raise SandboxError("transaction on %s failed: %s" % (db, msg["error"]))
    res = msg["result"]
    for i, r in enumerate(res):
        if isinstance(r, dict) and "error" in r:
            what = json.dumps(ops[i])[:300] if i < len(ops) else "the commit"
            raise SandboxError("transaction on %s failed: %s (%s) at %s"
                               % (db, r["error"], r.get("details", ""), what))
    return res


# --- the central ---------------------------------------------------------------------------

class Central:
    """NB and SB ovsdb-server plus ovn-northd in `workdir` (a new temporary directory when None;
    removed by stop() only if we created it). With tcp=True the SB (and NB) also listen on
    127.0.0.1 at free ports (sb_tcp_remote / nb_tcp_remote)."""

    def __init__(self, workdir=None, tcp=False, keep=False, northd=True):
        self._own_dir = workdir is None
        self.dir = os.path.abspath(workdir or tempfile.mkdtemp(prefix="scs-ovn-"))
        os.makedirs(self.dir, exist_ok=True)
        self.keep = keep
        self.tcp = tcp
        self.with_northd = northd
        self.env = ovs_env(self.dir)
        self.nb_sock = os.path.join(self.dir, "nb.sock")
        self.sb_sock = os.path.join(self.dir, "sb.sock")
        self.nb_remote = "unix:" + self.nb_sock
        self.sb_remote = "unix:" + self.sb_sock
        self.nb_tcp_port = self.sb_tcp_port = None
        self.nb_tcp_remote = self.sb_tcp_remote = None
        self._started = False
        self._atexit = False

    # -- lifecycle --

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _db_server_argv(self, which):
        argv = ["ovsdb-server", self._path(which + ".db"),
                "--remote=punix:" + self._path(which + ".sock"),
                "--unixctl=" + self._path(which + ".ctl"),
                "--pidfile=" + self._path(which + ".pid"),
                "--log-file=" + self._path(which + ".log"),
                "--detach", "--no-chdir"]
        port = self.nb_tcp_port if which == "nb" else self.sb_tcp_port
        if port:
            argv.append("--remote=ptcp:%d:127.0.0.1" % port)
        return argv

    def _start_db(self, which):
        run(self._db_server_argv(which), env=self.env, timeout=30)

    def _start_northd(self):
        run(["ovn-northd", "--ovnnb-db=" + self.nb_remote, "--ovnsb-db=" + self.sb_remote,
             "--unixctl=" + self._path("northd.ctl"), "--pidfile=" + self._path("northd.pid"),
             "--log-file=" + self._path("northd.log"), "--detach", "--no-chdir"],
            env=self.env, timeout=30)

    def start(self):
        if self._started:
            return self
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        self._started = True   # from here on stop() cleans up whatever did start
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        for which, schema in (("nb", NB_SCHEMA), ("sb", SB_SCHEMA)):
            db = self._path(which + ".db")
            if not os.path.exists(db):
                run(["ovsdb-tool", "create", db, schema], env=self.env)
        if self.tcp:
            self.nb_tcp_port, self.sb_tcp_port = free_tcp_port(), free_tcp_port()
            self.nb_tcp_remote = "tcp:127.0.0.1:%d" % self.nb_tcp_port
            self.sb_tcp_remote = "tcp:127.0.0.1:%d" % self.sb_tcp_port
        self._start_db("nb")
        self._start_db("sb")
        if self.with_northd:
            self._start_northd()
        self._save_state()

    def _save_state(self):
        with open(self._path("central.json"), "w") as f:
            json.dump({"nb_remote": self.nb_remote, "sb_remote": self.sb_remote,
                       "nb_tcp_remote": self.nb_tcp_remote, "sb_tcp_remote": self.sb_tcp_remote,
                       "nb_tcp_port": self.nb_tcp_port, "sb_tcp_port": self.sb_tcp_port,
                       "pids": self.pids()}, f, indent=1)
        with open(self._path("env.sh"), "w") as f:
            for k in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR",
                      "OVN_RUNDIR", "OVN_LOGDIR", "OVN_DBDIR", "OVN_SYSCONFDIR"):
                f.write("export %s=%s\n" % (k, self.dir))
            f.write("export OVN_NB_DB=%s\nexport OVN_SB_DB=%s\n" % (self.nb_remote, self.sb_remote))
            if self.sb_tcp_remote:
                f.write("export OVN_SB_DB_TCP=%s\n" % self.sb_tcp_remote)

    def pids(self):
        """{'nb': pid, 'sb': pid, 'northd': pid} of the daemons that are running."""
        out = {}
        for name in ("nb", "sb", "northd"):
            pid = read_pid(self._path(name + ".pid"))
            if pid and pid_alive(pid):
                out[name] = pid
        return out

    def stop(self):
        """Stops northd and both ovsdb-servers (by pid) and removes the directory if we made it.
        Safe to call more than once."""
        if not self._started:
            return
        self._started = False
        for name in ("northd", "sb", "nb"):
            kill_daemon(self._path(name + ".pid"), self.dir)
        if self._own_dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def restart_sb(self, down_seconds=0.0):
        """Kills the SB ovsdb-server and starts it again on the same db file, sockets and port.
        Clients (northd, ovn-controller, scs-dataplane) reconnect by themselves."""
        kill_daemon(self._path("sb.pid"), self.dir)
        if down_seconds:
            time.sleep(down_seconds)
        self._start_db("sb")
        self._save_state()

    @classmethod
    def attach(cls, workdir):
        """The central started earlier in `workdir` (e.g. by the CLI's `start`), to drive,
        dump or stop it; starts no process. Its stop() stops the daemons but keeps the
        directory."""
        st = _load_state(workdir)
        c = cls(workdir=workdir)
        c.nb_tcp_port, c.sb_tcp_port = st.get("nb_tcp_port"), st.get("sb_tcp_port")
        c.nb_tcp_remote, c.sb_tcp_remote = st.get("nb_tcp_remote"), st.get("sb_tcp_remote")
        c._started = True
        return c

    # -- clients --

    def nbctl(self, *args, timeout=120):
        return run(["ovn-nbctl", "--db=" + self.nb_remote, "--no-leader-only",
                    "--timeout=%d" % timeout] + [str(a) for a in args],
                   env=self.env, timeout=timeout + 5)

    def sbctl(self, *args, timeout=120):
        return run(["ovn-sbctl", "--db=" + self.sb_remote, "--no-leader-only",
                    "--timeout=%d" % timeout] + [str(a) for a in args],
                   env=self.env, timeout=timeout + 5)

    def nbctl_batch(self, commands, timeout=600, wait_sb=False):
        """Runs many ovn-nbctl commands (each a list of arguments) as ONE invocation and ONE
        transaction, joined with `--`."""
        argv = ["--wait=sb"] if wait_sb else []
        for i, cmd in enumerate(commands):
            if i:
                argv.append("--")
            argv.extend(str(a) for a in cmd)
        return self.nbctl(*argv, timeout=timeout)

    def sync(self, timeout=120):
        """Waits until ovn-northd has processed everything written to the NB so far and
        committed it to the SB: what `ovn-nbctl --wait=sb sync` does (bump NB_Global nb_cfg,
        wait for sb_cfg to follow), over the socket, without ovn-nbctl's download of the
        whole NB."""
        res = self.transact("nb", [
            {"op": "mutate", "table": "NB_Global", "where": [],
             "mutations": [["nb_cfg", "+=", 1]]},
            {"op": "select", "table": "NB_Global", "where": [], "columns": ["nb_cfg"]}],
            timeout=timeout)
        if res[0].get("count", 0) != 1:
            # No NB_Global yet (northd creates it on its first run): let ovn-nbctl make it.
            self.nbctl("--wait=sb", "sync", timeout=timeout)
            return
        want = res[1]["rows"][0]["nb_cfg"]

        def done():
            rows = self.transact("nb", [{"op": "select", "table": "NB_Global", "where": [],
                                         "columns": ["sb_cfg"]}], timeout=timeout)[0]["rows"]
            return rows and rows[0]["sb_cfg"] >= want
        wait_for(done, timeout, "ovn-northd to process nb_cfg %d" % want, 0.01)

    def transact(self, remote_db, ops, timeout=120):
        """One OVSDB transaction (RFC 7047 operations) on 'nb' or 'sb', over the unix socket.
        Returns the result list; raises SandboxError on an operation error."""
        sock, db = ((self.nb_sock, "OVN_Northbound") if remote_db == "nb"
                    else (self.sb_sock, "OVN_Southbound"))
        return ovsdb_transact(sock, db, ops, timeout)

    def count(self, table, db="sb"):
        """Number of rows in `table` (a select of _uuid only)."""
        res = self.transact(db, [{"op": "select", "table": table, "where": [], "columns": ["_uuid"]}])
        return len(res[0]["rows"])

    def lflow_count(self):
        return self.count("Logical_Flow")

    def dump_sb(self, path, timeout=120):
        """Writes `ovsdb-client dump --format=json` of the whole Southbound to `path` (one JSON
        document per table, as in tests/fixtures/sb/dev-basic.json)."""
        out = run(["ovsdb-client", "--timeout=%d" % timeout, "dump", "--format=json",
                   self.sb_remote, "OVN_Southbound"], env=self.env, timeout=timeout + 5)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(out)
        os.replace(tmp, path)

    # -- chassis --

    def add_remote_chassis(self, name, encap_ip, encap_type="geneve"):
        """Registers a chassis in the SB with one encapsulation (no ovn-controller behind it)."""
        self.sbctl("--may-exist", "chassis-add", name, encap_type, encap_ip)

    def bind_port_to(self, chassis, lport):
        """Marks logical port `lport` as bound on `chassis` (Port_Binding.chassis), as the
        chassis's ovn-controller would. The port must exist in the SB (call sync() first)."""
        self.sbctl("lsp-bind", lport, chassis)


# --- CLI -----------------------------------------------------------------------------------

def _load_state(d):
    try:
        with open(os.path.join(d, "central.json")) as f:
            return json.load(f)
    except OSError:
        raise SandboxError("%s: no central.json (was `start` run with this directory?)" % d)


def _attach(d):
    return Central.attach(d)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run a real OVN central in a private directory.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start NB/SB ovsdb-server and ovn-northd in DIR")
    s.add_argument("dir")
    s.add_argument("--topology", default="none", help="demo or none")
    s.add_argument("--chassis", default="scs-dp-0", help="our chassis name (demo gateway)")
    s.add_argument("--tcp", action="store_true", help="also listen on 127.0.0.1 (free ports)")
    s.add_argument("--no-hv2", action="store_true",
                   help="demo: do not register hv2 (a real ovn-controller plays it)")
    s.add_argument("--stateless", action="store_true",
                   help="demo: leave out NAT, load balancer and ACLs (need conntrack)")
    s.add_argument("--register-local", action="store_true",
                   help="demo: register our chassis (192.168.100.1) and bind vm1, vm2, vm4")
    s = sub.add_parser("stop", help="stop the daemons of DIR (by pid)")
    s.add_argument("dir")
    s = sub.add_parser("dump", help="dump DIR's Southbound as JSON to FILE")
    s.add_argument("dir")
    s.add_argument("file")
    s = sub.add_parser("status", help="print remotes and pids of DIR")
    s.add_argument("dir")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "start":
            if os.path.exists(os.path.join(a.dir, "central.json")):
                st = _load_state(a.dir)
                if any(pid_alive(p) for p in st.get("pids", {}).values()):
                    raise SandboxError("%s: already running (pids %s)" % (a.dir, st["pids"]))
            t0 = time.monotonic()
            c = Central(workdir=a.dir, tcp=a.tcp)
            c.start()
            atexit.unregister(c.stop)
            try:
                if a.topology == "demo":
                    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
                    import topologies
                    topologies.demo(c, chassis=a.chassis, register_remote=not a.no_hv2,
                                    register_local=a.register_local, stateful=not a.stateless)
                elif a.topology != "none":
                    raise SandboxError("unknown topology %r (demo, none)" % a.topology)
                c.sync()
            except Exception:
                c.stop()
                raise
            c._save_state()
            print("nb_remote=%s" % c.nb_remote)
            print("sb_remote=%s" % c.sb_remote)
            if c.sb_tcp_remote:
                print("sb_tcp_remote=%s" % c.sb_tcp_remote)
            for k, v in c.pids().items():
                print("pid_%s=%d" % (k, v))
            print("env=%s" % os.path.join(c.dir, "env.sh"))
            print("started in %.2fs" % (time.monotonic() - t0))
        elif a.cmd == "stop":
            c = _attach(a.dir)
            c.stop()
            print("stopped")
        elif a.cmd == "dump":
            _attach(a.dir).dump_sb(a.file)
        elif a.cmd == "status":
            st = _load_state(a.dir)
            c = _attach(a.dir)
            print("nb_remote=%s\nsb_remote=%s" % (st["nb_remote"], st["sb_remote"]))
            for k, v in c.pids().items():
                print("pid_%s=%d" % (k, v))
    except SandboxError as e:
        print("sandbox: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
