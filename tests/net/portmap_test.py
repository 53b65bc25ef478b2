#!/usr/bin/python3
"""Port mapping on a home router (issue 14): `meshcall check --probe` and meshcalld's PortMapper
(through tests/nat/portmap_driver: a PortMapper beside a bound UDP socket) against a real
miniupnpd in a router namespace (home_router.py). One CTest test per case; exit 0 passed,
1 failed, 77 skipped (not root, no namespaces, nftables or miniupnpd).

    portmap_test.py CASE --meshcall PATH --driver PATH [--keep]
    CASE: natpmp   miniupnpd with NAT-PMP and UPnP: NAT-PMP is used
          upnp     miniupnpd with UPnP only
          none     no miniupnpd: the probe says what each method met, on time

natpmp and upnp, each:
  (a/b) `meshcall check --probe` on the LAN host prints the external endpoint 11.0.0.1:P with
        the method, and (c) once it has exited the router holds no mapping;
  (d)   the driver's PortMapper maps P (10 s) and renews it; a datagram from the internet to 11.0.0.1:P reaches the
        driver's socket; a second LAN host probing the same port meanwhile gets another
        external port (the first is taken) and leaves the driver's mapping alone; stop()
        removes the mapping, and a datagram sent after that is dropped at the router.
Every wait is a condition with a deadline.
"""
import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import home_router  # noqa: E402
from home_router import HomeRouter, LAN_HOSTS, LAN_ROUTER, WAN_OUTSIDE, WAN_ROUTER  # noqa: E402
from netlab import SKIP, Skip, log, wait_until  # noqa: E402

PORT = 41310


class Checks:
    def __init__(self):
        self.failed = []

    def figure(self, key, value):
        log(f"figure {key} = {value}")

    def check(self, ok, what, detail=""):
        log(f"{'PASS' if ok else 'FAIL'} {what}" + (f" ({detail})" if detail and not ok else ""))
        if not ok:
            self.failed.append(what)
        return ok


def write_room(router):
    room = router.dir / "room.json"
    peers = [{"name": name, "host": address, "port": PORT} for name, address in LAN_HOSTS.items()]
    peers.append({"name": "far", "host": WAN_OUTSIDE, "port": PORT})
    room.write_text(json.dumps({"room": "homerouter", "security": "none", "peers": peers}, indent=2))
    return room


def probe(router, host, args, room):
    r, took = router.run(host, [args.meshcall, "check", str(room), "--as", host, "--probe"])
    log(f"meshcall check --probe on {host} ({took:.2f} s, exit {r.returncode}):\n{r.stdout}{r.stderr}")
    return r, took


def case_mapping(router, args, checks, method):
    room = write_room(router)
    router.start_miniupnpd(natpmp=(method == "nat-pmp"), upnp=True)
    lan = LAN_HOSTS["lan"]

    # (a/b) the probe, and (c) nothing left behind
    r, took = probe(router, "lan", args, room)
    checks.figure(f"probe_s_{method}", round(took, 2))
    want = f"external endpoint: {WAN_ROUTER}:{PORT} ({method}, router {LAN_ROUTER})"
    checks.check(r.returncode == 0, "meshcall check --probe exits 0", f"exit {r.returncode}")
    checks.check(want in r.stdout, f"the probe prints `{want}`")
    checks.check(bool(wait_until(lambda: PORT not in router.mappings(), 2)),
                 "after the check exits the router holds no mapping of its port",
                 str(router.mappings()))

    # (d) the PortMapper: a real mapping while it runs, none after stop()
    # A 10 s lifetime: renewed after 5 s (PortMapper's shortest renewal period).
    driver = router.spawn("lan", [args.driver, str(PORT), "10"], router.dir / "driver.log")
    try:
        start = time.monotonic()
        mapped = wait_until(lambda: driver.find(r"^mapped (\S+) via (\S+) router (\S+) lifetime (\d+)"), 5)
        checks.figure(f"portmapper_map_s_{method}", round(time.monotonic() - start, 2))
        if not checks.check(bool(mapped), "the PortMapper maps the port within 5 s", driver.stderr()):
            return
        log(mapped.group(0))
        checks.check(mapped.group(1) == f"{WAN_ROUTER}:{PORT}" and mapped.group(2) == method and
                     mapped.group(3) == LAN_ROUTER,
                     f"it maps {WAN_ROUTER}:{PORT} via {method} on {LAN_ROUTER}", mapped.group(0))
        checks.check(5 <= int(mapped.group(4)) <= 10, "with the lifetime asked for (10 s) or most of it",
                     mapped.group(4))
        checks.check(router.mappings().get(PORT) == f"{lan}:{PORT}",
                     f"the router forwards {PORT} to {lan}:{PORT}", str(router.mappings()))
        line = f"mapped UDP port {PORT} on the router: external {WAN_ROUTER}:{PORT} ({method})"
        checks.check(line in driver.stderr(), f"the log says `{line}` (info)")

        renewed = f"renewed the port mapping {WAN_ROUTER}:{PORT} ({method}, router {LAN_ROUTER})"
        start = time.monotonic()
        checks.check(bool(wait_until(lambda: renewed in driver.stderr(), 8)),
                     f"the PortMapper renews it at half its lifetime (`{renewed}` in the log)")
        checks.figure(f"portmapper_renewed_after_s_{method}", round(time.monotonic() - start, 2))
        checks.check(router.mappings().get(PORT) == f"{lan}:{PORT}", "the router still forwards it",
                     str(router.mappings()))

        router.send_from_outside(PORT, "through")
        got = wait_until(lambda: driver.find(rf"^received 7 bytes from {re.escape(WAN_OUTSIDE)}:"), 3)
        checks.check(bool(got), "a datagram from the internet to the mapped port reaches the LAN socket")

        # Another LAN host asks for the same port meanwhile: "same port if free, else any".
        r2, _ = probe(router, "lan2", args, room)
        other = re.search(rf"external endpoint: {re.escape(WAN_ROUTER)}:(\d+) \({method}, ", r2.stdout)
        checks.check(bool(other) and int(other.group(1)) != PORT,
                     "a second host probing the same port gets another external port", r2.stdout)
        checks.check(router.mappings().get(PORT) == f"{lan}:{PORT}",
                     "and leaves the PortMapper's mapping alone", str(router.mappings()))
        checks.check(bool(wait_until(lambda: list(router.mappings()) == [PORT], 2)),
                     "and removes its own", str(router.mappings()))

        before = driver.count()
        start = time.monotonic()
        driver.send("stop")
        stopped = wait_until(lambda: driver.find(r"^stopped$", before), 4)
        checks.figure(f"portmapper_stop_s_{method}", round(time.monotonic() - start, 2))
        checks.check(bool(stopped), "stop() returns within 4 s")
        fds = [driver.find(r"^fds (\d+)$"), wait_until(lambda: driver.find(r"^fds (\d+)$", before), 2)]
        checks.check(all(fds) and fds[0].group(1) == fds[1].group(1),
                     "the PortMapper leaves no descriptor open (before start() and after stop())",
                     str([f.group(0) for f in fds if f]))
        checks.check(PORT not in router.mappings(), "stop() removed the mapping", str(router.mappings()))

        drops = router.wan_drops()
        after_stop = driver.count()
        router.send_from_outside(PORT, "blocked")
        checks.check(bool(wait_until(lambda: router.wan_drops() > drops, 3)),
                     "a datagram sent after stop() is dropped at the router")
        checks.check(driver.find(r"^received", after_stop) is None,
                     "and does not reach the LAN socket")
    finally:
        status = driver.finish()
        checks.check(status == 0, "the driver exits 0", f"status {status}: {driver.stderr()[-2000:]}")


def case_none(router, args, checks):
    room = write_room(router)
    r, took = probe(router, "lan", args, room)
    checks.figure("probe_s_none", round(took, 2))
    checks.check(r.returncode == 0, "meshcall check --probe exits 0 without a mapping")
    want = (f"port mapping: none (NAT-PMP: {LAN_ROUTER} does not speak NAT-PMP (port 5351 refused); "
            "UPnP: no IGD found (no answer to SSDP in 1 s))")
    checks.check(want in r.stdout, f"the probe prints `{want}`")
    checks.check(took < 4.0, "within its bound (3 s) and the check's own work", f"{took:.2f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["natpmp", "upnp", "none"])
    ap.add_argument("--meshcall", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if args.keep:
        os.environ["MESHCALL_NET_KEEP"] = "1"
    try:
        home_router.check_environment()
    except Skip as e:
        print(f"SKIPPED: {e}")
        return SKIP
    checks = Checks()
    with HomeRouter() as router:
        try:
            if args.case == "none":
                case_none(router, args, checks)
            else:
                case_mapping(router, args, checks, "nat-pmp" if args.case == "natpmp" else "upnp")
        finally:
            if checks.failed:
                log(f"miniupnpd's log:\n{router.miniupnpd_log.read_text(errors='replace') if router.miniupnpd_log.exists() else '(not started)'}")
    if checks.failed:
        log(f"FAILED: {len(checks.failed)} criteria")
        return 1
    log("all criteria passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
