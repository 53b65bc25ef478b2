#!/usr/bin/python3
"""Port mapping on a home router (issue 14): `meshcall check --probe` and meshcalld's PortMapper
(through tests/nat/portmap_driver: a PortMapper beside a bound UDP socket, as in meshcalld)
against a real miniupnpd (miniupnpd.py) in a router of the internet lab (internet.py): router
`home` (WAN 11.0.0.1, LAN 192.168.1.1) with `lan` (192.168.1.2) behind it, and `far`
(11.0.0.9) on the public segment. One case per CTest test; each prints what it measured
(`figure NAME = VALUE`) and a PASS/FAIL line per criterion; exit 0 passed, 1 failed,
77 skipped (not root, no namespaces, nftables NAT, conntrack or miniupnpd).

    portmap_test.py CASE --meshcall PATH --driver PATH [--keep]
    CASE: portmap_natpmp  miniupnpd with NAT-PMP and UPnP: NAT-PMP is used
          portmap_upnp    miniupnpd with UPnP only
          portmap_none    no miniupnpd: the probe says what each method met, on time

portmap_natpmp and portmap_upnp, each:
  (a/b) `meshcall check --probe` on lan prints the external endpoint 11.0.0.1:P with the
        method, and (c) once it has exited the router holds no mapping;
        with P taken on the router itself, the probe gets another external port;
  (d)   the driver's PortMapper maps P (10 s) and renews it; a datagram from far to
        11.0.0.1:P reaches the driver's socket; stop() removes the mapping and leaves no
        descriptor open, and a datagram sent after that is dropped at the router.
Every wait is a condition with a deadline.
"""
import argparse
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import netlab  # noqa: E402
from internet import Internet  # noqa: E402
from miniupnpd import MiniUpnpd  # noqa: E402
from nat_test import check_environment as check_nat_environment  # noqa: E402
from net_test import Checks  # noqa: E402
from netlab import Skip, log, wait_until  # noqa: E402

PORT = 41310
WAN = "11.0.0.1"    # the router's public address
LAN_ROUTER = "192.168.1.1"
LAN_HOST = "192.168.1.2"
FAR = "11.0.0.9"    # a host on the internet


def topology(net):
    return net.add_router("home", 1).add_home("lan", "home").add_public("far", 9)


def probe(net, args, checks, label):
    """`meshcall check ROOM --as lan --probe` on lan; returns (stdout, seconds)."""
    start = time.monotonic()
    r = netlab.sh(["ip", "netns", "exec", net.ns("lan"), args.meshcall, "check", str(net.room),
                   "--as", "lan", "--probe"], check=False, timeout=20)
    took = time.monotonic() - start
    log(f"meshcall check --probe ({label}: {took:.2f} s, exit {r.returncode}):\n{r.stdout}{r.stderr}")
    checks.check(r.returncode == 0, f"meshcall check --probe exits 0 ({label})")
    return r.stdout, took


def case_mapping(net, args, checks, method):
    mu = MiniUpnpd(net, "home")
    mu.start(natpmp=(method == "nat-pmp"), upnp=True)

    # (a/b) the probe, and (c) nothing left behind
    out, took = probe(net, args, checks, "port free")
    checks.figure("probe_s", round(took, 2))
    want = f"external endpoint: {WAN}:{PORT} ({method}, router {LAN_ROUTER})"
    checks.check(want in out, f"the probe prints `{want}`")
    checks.check(bool(wait_until(lambda: not mu.mappings(), 2)),
                 f"once the check has exited the router holds no mapping (it holds {mu.mappings()})")

    # "The same external port if free, else any": P taken on the router itself.
    holder = net.agent("home", PORT)
    out, _ = probe(net, args, checks, "port taken on the router")
    other = re.search(rf"external endpoint: {re.escape(WAN)}:(\d+) \({method}, ", out)
    checks.check(bool(other) and int(other.group(1)) != PORT,
                 f"with {PORT} taken on the router, the probe gets another external port")
    checks.check(bool(wait_until(lambda: not mu.mappings(), 2)),
                 f"and removes it again (the router holds {mu.mappings()})")
    holder.close()

    # (d) the PortMapper: a real mapping while it runs, none after stop()
    driver = netlab_spawn(net, "lan", [args.driver, str(PORT), "10"])
    try:
        start = time.monotonic()
        mapped = wait_until(lambda: driver.find(r"^mapped (\S+) via (\S+) router (\S+) lifetime (\d+)"), 5)
        checks.figure("portmapper_map_s", round(time.monotonic() - start, 2))
        if not checks.check(bool(mapped), "the PortMapper maps the port within 5 s"):
            log(driver.stderr())
            return
        log(mapped.group(0))
        checks.check(mapped.groups()[:3] == (f"{WAN}:{PORT}", method, LAN_ROUTER),
                     f"to {WAN}:{PORT} via {method} on {LAN_ROUTER}")
        checks.check(5 <= int(mapped.group(4)) <= 10, "for the lifetime asked for (10 s) or most of it")
        checks.check(mu.mappings().get(PORT) == f"{LAN_HOST}:{PORT}",
                     f"the router forwards {PORT} to {LAN_HOST}:{PORT} (it holds {mu.mappings()})")
        line = f"mapped UDP port {PORT} on the router: external {WAN}:{PORT} ({method})"
        checks.check(driver.stderr().count(line) == 1, f"the log says `{line}` once (info)")

        renewed = f"renewed the port mapping {WAN}:{PORT} ({method}, router {LAN_ROUTER})"
        start = time.monotonic()
        checks.check(bool(wait_until(lambda: renewed in driver.stderr(), 8)),
                     f"the PortMapper renews it at half its lifetime (`{renewed}`)")
        checks.figure("portmapper_renewed_after_s", round(time.monotonic() - start, 2))
        checks.check(mu.mappings().get(PORT) == f"{LAN_HOST}:{PORT}", "the router still forwards it")

        far = net.agent("far", 40000)
        far.call({"op": "send", "to": f"{WAN}:{PORT}", "count": 1, "interval": 0, "data": "through"})
        got = wait_until(lambda: driver.find(rf"^received 7 bytes from {re.escape(FAR)}:40000$"), 3)
        checks.check(bool(got), "a datagram from the internet to the mapped port reaches the LAN socket")

        before = driver.count()
        start = time.monotonic()
        driver.send("stop")
        stopped = wait_until(lambda: driver.find(r"^stopped$", before), 4)
        checks.figure("portmapper_stop_s", round(time.monotonic() - start, 2))
        checks.check(bool(stopped), "stop() returns within 4 s")
        checks.check(not mu.mappings(), f"stop() removed the mapping (the router holds {mu.mappings()})")
        fds = [driver.find(r"^fds (\d+)$"), wait_until(lambda: driver.find(r"^fds (\d+)$", before), 2)]
        checks.check(all(fds) and fds[0].group(1) == fds[1].group(1),
                     "the PortMapper leaves no descriptor open: before start() and after stop(), "
                     + " and ".join(f.group(0) for f in fds if f))

        # From another port of far's: a new flow, which no conntrack entry of the first carries.
        drops = net.traffic("home", "far")["drop"]
        after_stop = driver.count()
        far.call({"op": "rebind", "port": 40001})
        far.call({"op": "send", "to": f"{WAN}:{PORT}", "count": 1, "interval": 0, "data": "blocked"})
        checks.check(bool(wait_until(lambda: net.traffic("home", "far")["drop"] > drops, 3)),
                     "a datagram sent after stop() is dropped at the router")
        checks.check(driver.find(r"^received", after_stop) is None, "and does not reach the LAN socket")
    finally:
        status = driver.finish()
        if not checks.check(status == 0, f"the driver exits 0 (status {status})"):
            log(driver.stderr()[-3000:])


def case_none(net, args, checks):
    out, took = probe(net, args, checks, "no miniupnpd")
    checks.figure("probe_s", round(took, 2))
    want = (f"port mapping: none (NAT-PMP: {LAN_ROUTER} does not speak NAT-PMP (port 5351 refused); "
            "UPnP: no IGD found (no answer to SSDP in 1 s))")
    checks.check(want in out, f"the probe prints `{want}`")
    checks.check(took < 4.0, f"within its bound (3 s) and the check's own work ({took:.2f} s)")


CASES = {
    "portmap_natpmp": lambda net, args, checks: case_mapping(net, args, checks, "nat-pmp"),
    "portmap_upnp": lambda net, args, checks: case_mapping(net, args, checks, "upnp"),
    "portmap_none": case_none,
}


def netlab_spawn(net, name, argv):
    """argv in `name`'s namespace with its stdout lines collected (LineProcess); stopped with the lab."""
    p = LineProcess(["ip", "netns", "exec", net.ns(name), *argv], net.dir / f"{Path(argv[0]).name}.log")
    net.procs.append(p)
    return p


class LineProcess:
    """A child whose stdout lines a thread collects; stdin takes commands; stderr goes to a file."""

    def __init__(self, argv, stderr_path):
        self.stderr_path = Path(stderr_path)
        with open(self.stderr_path, "wb") as errf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf,
                                         text=True, preexec_fn=netlab._die_with_parent)
        self.lines = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def find(self, pattern, start=0):
        """The first line from index `start` on that matches the regex (a match), or None."""
        with self._lock:
            lines = self.lines[start:]
        return next((m for m in (re.search(pattern, line) for line in lines) if m), None)

    def count(self):
        with self._lock:
            return len(self.lines)

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def finish(self, timeout=5):
        """Closes stdin (the driver then exits) and waits: the exit status, or None if killed."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            return None

    close = finish  # what Internet.close() calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--meshcall", required=True, help="the meshcall CLI to test")
    ap.add_argument("--driver", required=True, help="tests/nat/portmap_driver")
    ap.add_argument("--keep", action="store_true", help="keep the logs")
    args = ap.parse_args()
    checks = Checks(args.case)
    started = time.monotonic()
    try:
        check_nat_environment()
        if not shutil.which("miniupnpd"):
            raise Skip("miniupnpd is not installed (Debian: miniupnpd-nftables)")
        net = topology(Internet(tag=f"pm{args.case[8:10]}", keep_dir=args.keep))
        with net:
            net.write_room([("lan", LAN_HOST, PORT), ("far", FAR, PORT)], security="none")
            try:
                CASES[args.case](net, args, checks)
            except Exception as e:
                checks.check(False, f"{type(e).__name__}: {e}")
            if checks.failed:
                net.keep_dir = True
                for p in net.procs:
                    if isinstance(p, MiniUpnpd):
                        log(f"--- miniupnpd's log:\n{p.log()}")
    except Skip as e:
        print(f"SKIP {args.case}: {e}", flush=True)
        return netlab.SKIP
    log(f"{args.case}: {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
