"""miniupnpd: a home router's port mapping service (NAT-PMP, UPnP-IGD) in a router of the
internet lab (internet.py), for the port mapping tests (portmap_test.py).

miniupnpd (the nftables build) runs in the router's namespace in the foreground, with a
configuration of its own: WAN `wan`, LAN `lan` (allowed to map ports 1024-65535 to itself only),
NAT-PMP and UPnP-IGD each on or off. Its rules live in a table of their own (`inet miniupnpd`):
DNAT in `prerouting_miniupnpd` (its filter rules in `miniupnpd` are not hooked); the router's
own filter (table `ip home`, which drops what comes in from the WAN unasked) gets one rule
first, letting in what miniupnpd's DNAT forwards (`ct status dnat`), as a home router lets its
port forwards in.
The lab's WAN addresses (11.0.0.0/24) are not reserved ones, which miniupnpd would refuse.
It is stopped when the lab closes (it is one of the lab's helper processes), and dies with the
harness (PR_SET_PDEATHSIG).
"""
import re
import signal
import subprocess
import uuid

import netlab
from netlab import sh, wait_until

TABLE = """
table inet miniupnpd {
  chain prerouting { type nat hook prerouting priority dstnat - 1; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting { type nat hook postrouting priority srcnat - 1; policy accept;
    jump postrouting_miniupnpd
  }
  chain miniupnpd { }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
"""


class MiniUpnpd:
    """miniupnpd in `router` of `net` (an internet.Internet inside its `with` block)."""

    def __init__(self, net, router):
        self.net, self.router = net, router
        self.ns = net.ns(router)
        self.log_path = net.dir / f"miniupnpd-{router}.log"
        self.proc = None
        self._hooked = False
        net.procs.append(self)  # Internet.close() stops it

    def _hook(self):
        if self._hooked:
            return
        self.net.nft(self.router, TABLE)
        sh(["ip", "netns", "exec", self.ns, "nft", "insert", "rule", "ip", "home", "forward",
            "iifname", "wan", "ct", "status", "dnat", "accept"])
        self._hooked = True

    def start(self, natpmp=True, upnp=True):
        """Starts miniupnpd and waits (5 s at most) until it listens."""
        self.stop()
        self._hook()
        lan = self.net.node(self.router).address.rsplit(".", 1)[0] + ".0/24"
        conf = self.net.dir / f"miniupnpd-{self.router}.conf"
        conf.write_text("\n".join([
            "ext_ifname=wan",
            "listening_ip=lan",
            "port=0",
            f"enable_natpmp={'yes' if natpmp else 'no'}",
            f"enable_upnp={'yes' if upnp else 'no'}",
            "secure_mode=yes",
            "system_uptime=yes",
            "upnp_table_name=miniupnpd",
            "upnp_nat_table_name=miniupnpd",
            f"uuid={uuid.uuid4()}",
            f"allow 1024-65535 {lan} 1024-65535",
            "deny 0-65535 0.0.0.0/0 0-65535",
            ""]))
        logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "miniupnpd", "-f", str(conf), "-d",
             "-P", str(self.net.dir / f"miniupnpd-{self.router}.pid")],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, preexec_fn=netlab._die_with_parent)
        logf.close()
        ready = [w for w, on in (("HTTP listening on port", upnp), ("Listening for NAT-PMP", natpmp)) if on]
        if not wait_until(lambda: self.proc.poll() is not None or all(w in self.log() for w in ready), 5):
            raise RuntimeError(f"miniupnpd did not start listening: {self.log()}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"miniupnpd exited at start: {self.log()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        self.proc = None

    close = stop  # what Internet.close() calls

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def mappings(self):
        """The UDP port mappings miniupnpd holds: {external port: "A:P" inside}."""
        r = sh(["ip", "netns", "exec", self.ns, "nft", "list", "chain", "inet", "miniupnpd",
                "prerouting_miniupnpd"], check=False)
        return {int(m.group(1)): m.group(2) for m in re.finditer(r"dport (\d+) dnat ip to (\S+)", r.stdout)}
