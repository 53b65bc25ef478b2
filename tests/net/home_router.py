"""home_router: a home router across network namespaces, for the NAT tests (issue 14).

    ns …-out      eth0 11.0.0.2/24 ─── wan0 11.0.0.1/24  ns …-router  br0 192.168.77.1/24
                  (the internet)                          masquerade,    ├── lan0 ─── eth0 192.168.77.2  ns …-lan
                                                          miniupnpd      └── lan1 ─── eth0 192.168.77.3  ns …-lan2

The router does what home routers do: it masquerades the LAN behind its WAN address, and drops
whatever arrives on the WAN unasked (`ct state established,related` passes; a port mapping's
DNAT passes through miniupnpd's own chain). miniupnpd (the nftables build) runs in the router
namespace with a configuration of its own, NAT-PMP and UPnP-IGD each on or off. The WAN is
11.0.0.0/24 because miniupnpd refuses a reserved address (192.0.2.x and the like) outside.

The namespaces follow netlab's naming (`mcnet<pid><tag>-…`): everything goes when the router is
closed (a `with` block, SIGTERM/SIGINT), or, if the harness was killed, at the next run of any
lab (netlab.remove_stale_labs). miniupnpd dies with the harness (PR_SET_PDEATHSIG).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import netlab
from netlab import PREFIX, Skip, log, sh, wait_until

WAN_ROUTER = "11.0.0.1"
WAN_OUTSIDE = "11.0.0.2"
LAN_ROUTER = "192.168.77.1"
LAN_HOSTS = {"lan": "192.168.77.2", "lan2": "192.168.77.3"}

# The router's ruleset: miniupnpd's chains (empty; it fills them) hooked where it expects them
# (`inet filter`, its defaults), masquerade, and a WAN that only answers.
RULESET = """
table inet filter {
  chain prerouting { type nat hook prerouting priority dstnat; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept;
    jump postrouting_miniupnpd
    oifname "wan0" masquerade
  }
  chain input { type filter hook input priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" counter drop
  }
  chain forward { type filter hook forward priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" jump miniupnpd
    iifname "wan0" counter drop
  }
  chain miniupnpd { }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
"""


def check_environment():
    """Raises Skip unless namespaces, nftables and miniupnpd are there."""
    netlab.check_environment()
    if not shutil.which("miniupnpd"):
        raise Skip("miniupnpd is not installed (Debian: miniupnpd-nftables)")


class HomeRouter:
    """The lab above. Use as a context manager."""

    def __init__(self, tag="pm"):
        self.id = f"{PREFIX}{os.getpid()}{tag}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"meshcall-net-{tag}-"))
        self.created = []
        self.miniupnpd = None
        self.miniupnpd_log = self.dir / "miniupnpd.log"
        self._old_handlers = {}

    def ns(self, name):
        return f"{self.id}-{name}"

    # set-up and tear-down
    def __enter__(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _on_signal(self, signum, frame):
        raise SystemExit(128 + signum)

    def _netns_add(self, name):
        ns = self.ns(name)
        sh(["ip", "netns", "add", ns])
        self.created.append(ns)
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        return ns

    def _build(self):
        netlab.remove_stale_labs()
        router, out = self._netns_add("router"), self._netns_add("out")
        sh(["ip", "-n", router, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", out])
        sh(["ip", "-n", router, "addr", "add", f"{WAN_ROUTER}/24", "dev", "wan0"])
        sh(["ip", "-n", out, "addr", "add", f"{WAN_OUTSIDE}/24", "dev", "eth0"])
        sh(["ip", "-n", router, "link", "add", "br0", "type", "bridge"])
        sh(["ip", "-n", router, "addr", "add", f"{LAN_ROUTER}/24", "dev", "br0"])
        for i, (name, address) in enumerate(LAN_HOSTS.items()):
            host = self._netns_add(name)
            sh(["ip", "-n", router, "link", "add", f"lan{i}", "type", "veth", "peer", "name", "eth0", "netns", host])
            sh(["ip", "-n", router, "link", "set", f"lan{i}", "master", "br0", "up"])
            sh(["ip", "-n", host, "addr", "add", f"{address}/24", "dev", "eth0"])
            sh(["ip", "-n", host, "link", "set", "eth0", "up"])
            sh(["ip", "-n", host, "route", "add", "default", "via", LAN_ROUTER])
        for dev in ("wan0", "br0"):
            sh(["ip", "-n", router, "link", "set", dev, "up"])
        sh(["ip", "-n", out, "link", "set", "eth0", "up"])
        sh(["ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        sh(["ip", "netns", "exec", router, "nft", "-f", "-"], input=RULESET)

    def close(self):
        self.stop_miniupnpd()
        for ns in reversed(self.created):
            sh(["ip", "netns", "del", ns], check=False)
        self.created = []
        for sig, h in self._old_handlers.items():
            signal.signal(sig, h)
        self._old_handlers = {}
        if os.environ.get("MESHCALL_NET_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"logs kept in {self.dir}")

    # miniupnpd
    def start_miniupnpd(self, natpmp=True, upnp=True):
        """Starts miniupnpd in the router (foreground, its own configuration) and waits until
        it listens."""
        self.stop_miniupnpd()
        conf = self.dir / "miniupnpd.conf"
        conf.write_text("\n".join([
            "ext_ifname=wan0",
            "listening_ip=br0",
            "port=0",
            f"enable_natpmp={'yes' if natpmp else 'no'}",
            f"enable_upnp={'yes' if upnp else 'no'}",
            "secure_mode=yes",
            "system_uptime=yes",
            f"uuid={uuid.uuid4()}",
            "allow 1024-65535 192.168.77.0/24 1024-65535",
            "deny 0-65535 0.0.0.0/0 0-65535",
            ""]))
        logf = open(self.miniupnpd_log, "wb")
        self.miniupnpd = subprocess.Popen(
            ["ip", "netns", "exec", self.ns("router"), "miniupnpd", "-f", str(conf), "-d",
             "-P", str(self.dir / "miniupnpd.pid")],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, preexec_fn=netlab._die_with_parent)
        logf.close()
        ready = [w for w, on in (("HTTP listening on port", upnp), ("Listening for NAT-PMP", natpmp)) if on]
        if not wait_until(lambda: self.miniupnpd.poll() is not None or
                          all(w in self.miniupnpd_log.read_text(errors="replace") for w in ready), 5):
            raise RuntimeError(f"miniupnpd did not start listening: {self.miniupnpd_log.read_text()}")
        if self.miniupnpd.poll() is not None:
            raise RuntimeError(f"miniupnpd exited at start: {self.miniupnpd_log.read_text()}")

    def stop_miniupnpd(self):
        if self.miniupnpd is None:
            return
        if self.miniupnpd.poll() is None:
            self.miniupnpd.send_signal(signal.SIGTERM)
            try:
                self.miniupnpd.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.miniupnpd.kill()
                self.miniupnpd.wait(timeout=3)
        self.miniupnpd = None

    # what the router holds
    def mappings(self):
        """The port mappings miniupnpd installed: {external port: "A:P" inside}."""
        r = sh(["ip", "netns", "exec", self.ns("router"), "nft", "list", "chain", "inet", "filter",
                "prerouting_miniupnpd"], check=False)
        return {int(m.group(1)): m.group(2)
                for m in re.finditer(r"dport (\d+) dnat ip to (\S+)", r.stdout)}

    def wan_drops(self):
        """Datagrams the router dropped as unasked on its WAN (input and forward)."""
        r = sh(["ip", "netns", "exec", self.ns("router"), "nft", "-j", "list", "table", "inet", "filter"])
        total = 0
        for item in json.loads(r.stdout).get("nftables", []):
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    total += expr["counter"]["packets"]
        return total

    # traffic
    def send_from_outside(self, port, payload):
        """One UDP datagram from the internet side (a fresh source port, so a new flow that no
        earlier conntrack entry carries) to the router's WAN address."""
        code = ("import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                f"s.sendto(sys.argv[1].encode(), ('{WAN_ROUTER}', {int(port)}))")
        sh(["ip", "netns", "exec", self.ns("out"), "python3", "-c", code, payload])

    def run(self, host, argv, timeout=20):
        """Runs argv in `host`'s namespace to completion; returns (CompletedProcess, seconds)."""
        start = time.monotonic()
        r = sh(["ip", "netns", "exec", self.ns(host), *argv], check=False, timeout=timeout)
        return r, time.monotonic() - start

    def spawn(self, host, argv, stderr_path):
        """Starts argv in `host`'s namespace with a line reader on its stdout (LineProcess)."""
        return LineProcess(["ip", "netns", "exec", self.ns(host), *argv], stderr_path)


class LineProcess:
    """A child whose stdout lines are collected by a thread; stdin takes commands."""

    def __init__(self, argv, stderr_path):
        self.stderr_path = Path(stderr_path)
        errf = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf,
                                     text=True, preexec_fn=netlab._die_with_parent)
        errf.close()
        self.lines = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def find(self, pattern, start=0):
        """The first line from index `start` matching the regex, as a match, or None."""
        with self._lock:
            lines = self.lines[start:]
        for line in lines:
            m = re.search(pattern, line)
            if m:
                return m
        return None

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
        """Closes stdin and waits; returns the exit status (None if it had to be killed)."""
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
