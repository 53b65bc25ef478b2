"""internet: a small internet in network namespaces for the NAT call tests (nat_test.py): a public
segment, home routers (NAT and a home router's firewall) with one host behind each, public hosts.

    ns …-hub: br0, the public segment 11.0.0.0/24 (these addresses exist only inside the lab)
    ns …-rA (a home router): wan 11.0.0.R on br0 | lan 192.168.R.1/24
    ns …-alice (behind rA): eth0 192.168.R.2/24, default route via 192.168.R.1
    ns …-carol (a public host): eth0 11.0.0.P on br0

A router masquerades what leaves its WAN (`masquerade`: Linux keeps the source port when it
can, so the mapping is the same whatever the destination; `random`: a different port per
destination, a "hard" NAT; or any masquerade arguments, e.g. `to :40000-40100`) and filters
what comes in from the WAN as home routers do: forwarded and local traffic is accepted only
for `ct state established,related` (a mapping the LAN opened to exactly that address and port),
the rest is dropped silently (no ICMP). Named counters per other address on the segment say
where traffic went: `out_…` (forwarded to it), `in_…` (forwarded from it through a mapping),
`drop_…` (from it, dropped by the filter).

Daemons are netlab.Daemon objects (started with `ip netns exec`, observed through their control
sockets); the room file is an encrypted one (`"security": "room"`), written 0600. Everything
goes when the Internet is closed (a `with` block, SIGTERM/SIGINT/SIGHUP, or the next run: the
namespaces carry the owner's pid and netlab's prefix, so netlab.remove_stale_labs finds them).
"""
import base64
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import netlab
from netlab import PREFIX, Daemon, _die_with_parent, log, sh

PUBLIC = "11.0.0"  # the public segment, /24
PORT = 5000
HERE = Path(__file__).resolve().parent


def counter_name(kind, address):
    return f"{kind}_{address.replace('.', '_')}"


class Node:
    """A namespace of the lab: a router, a public host or a host behind a router."""

    def __init__(self, kind, name, ns, address, router=None, wan=None):
        self.kind, self.name, self.ns = kind, name, ns
        self.address = address  # its own address (a LAN address behind a router)
        self.router = router    # the router's name, for a host behind one
        self.wan = wan          # a router's public address
        self.spare = None       # the segment address it may move to (move_address)


class Internet(netlab.NamespaceLab):
    """The lab. Declare routers and hosts (add_router, add_public, add_home), then use it as a
    context manager: the namespaces exist inside the `with` block."""

    def __init__(self, tag="nat", meshcalld=None, keep_dir=False, video=None):
        self.tag = tag
        self.id = f"{PREFIX}{os.getpid()}{tag}"
        self.meshcalld = meshcalld
        self.dir = Path(tempfile.mkdtemp(prefix=f"meshcall-nat-{tag}-"))
        self.keep_dir = keep_dir
        self.record_mix = False  # netlab.Daemon reads it: no recordings here
        self.env = dict(os.environ)
        self.room = self.dir / "room.json"
        self.video = video or {"width": 320, "height": 240, "fps": 30, "bitrate_kbps": 400}
        self.fps = self.video["fps"]
        self.nodes = {}
        self.created = []
        self.daemons = {}
        self.peers = []  # the room's peers: (name, host or None, port)
        self.procs = []  # helper processes (udp_agent.py), stopped on close
        self._old_handlers = {}

    # ------------------------------------------------------------ declaring
    def add_router(self, name, octet, nat="masquerade", spare=None):
        """A home router with WAN address 11.0.0.`octet` and LAN 192.168.`octet`.0/24; `spare`:
        the last octet of the WAN address it may be given later (move_address), which the other
        routers count traffic to and from as well."""
        self.nodes[name] = Node("router", name, self.ns(name), f"192.168.{octet}.1", wan=f"{PUBLIC}.{octet}")
        self.nodes[name].octet = octet
        self.nodes[name].nat = nat
        self.nodes[name].spare = None if spare is None else f"{PUBLIC}.{spare}"
        return self

    def add_public(self, name, octet, spare=None):
        """A host on the segment, 11.0.0.`octet`; `spare` as for add_router (move_address)."""
        self.nodes[name] = Node("public", name, self.ns(name), f"{PUBLIC}.{octet}")
        self.nodes[name].spare = None if spare is None else f"{PUBLIC}.{spare}"
        return self

    def add_home(self, name, router):
        """A host behind `router` (its only host: 192.168.R.2)."""
        r = self.nodes[router]
        self.nodes[name] = Node("home", name, self.ns(name), f"192.168.{r.octet}.2", router=router)
        return self

    # ------------------------------------------------------------ names and addresses
    def ns(self, name):
        return f"{self.id}-{name}"

    def node(self, name):
        return self.nodes[name]

    def public_address(self, name):
        """Where `name` is seen from the segment: its own address, or its router's WAN."""
        n = self.nodes[name]
        return self.nodes[n.router].wan if n.kind == "home" else (n.wan or n.address)

    def segment_addresses(self):
        out = [n.wan or n.address for n in self.nodes.values() if n.kind in ("router", "public")]
        return out + [n.spare for n in self.nodes.values() if n.spare]

    # ------------------------------------------------------------ set-up and tear-down
    def _netns_add(self, ns):
        super()._netns_add(ns)
        # No IPv6 chatter (router solicitations, DAD) on the segment: the lab is IPv4 only.
        self.sysctl(ns, "net.ipv6.conf.all.disable_ipv6", 1)
        self.sysctl(ns, "net.ipv6.conf.default.disable_ipv6", 1)

    @staticmethod
    def sysctl(ns, key, value):
        sh(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"])

    def _build(self):
        netlab.remove_stale_labs()
        hub = self.ns("hub")
        self._netns_add(hub)
        sh(["ip", "-n", hub, "link", "add", "br0", "type", "bridge"])
        sh(["ip", "-n", hub, "link", "set", "br0", "up"])
        k = 0
        for n in self.nodes.values():
            if n.kind == "home":
                continue
            self._netns_add(n.ns)
            inner = "wan" if n.kind == "router" else "eth0"
            sh(["ip", "-n", hub, "link", "add", f"s{k}", "type", "veth", "peer", "name", inner, "netns", n.ns])
            sh(["ip", "-n", hub, "link", "set", f"s{k}", "master", "br0", "up"])
            sh(["ip", "-n", n.ns, "addr", "add", f"{n.wan or n.address}/24", "dev", inner])
            sh(["ip", "-n", n.ns, "link", "set", inner, "up"])
            n.port = f"s{k}"  # its port on the bridge, in the hub namespace
            k += 1
        for n in self.nodes.values():
            if n.kind != "home":
                continue
            r = self.nodes[n.router]
            self._netns_add(n.ns)
            sh(["ip", "-n", r.ns, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", n.ns])
            sh(["ip", "-n", r.ns, "addr", "add", f"{r.address}/24", "dev", "lan"])
            sh(["ip", "-n", r.ns, "link", "set", "lan", "up"])
            sh(["ip", "-n", n.ns, "addr", "add", f"{n.address}/24", "dev", "eth0"])
            sh(["ip", "-n", n.ns, "link", "set", "eth0", "up"])
            sh(["ip", "-n", n.ns, "route", "add", "default", "via", r.address])
        for r in self.nodes.values():
            if r.kind == "router":
                self.sysctl(r.ns, "net.ipv4.ip_forward", 1)
                self._router_rules(r)

    def _router_rules(self, r):
        others = [a for a in self.segment_addresses() if a not in (r.wan, r.spare)]
        counters = "\n".join(f"  counter {counter_name(kind, a)} {{}}" for a in others
                             for kind in ("out", "in", "drop"))
        out = "\n".join(f'    oifname "wan" ip daddr {a} counter name "{counter_name("out", a)}"' for a in others)
        inn = "\n".join(f'    iifname "wan" ct state established,related ip saddr {a} counter name '
                        f'"{counter_name("in", a)}"' for a in others)
        drop = "\n".join(f'    iifname "wan" ip saddr {a} counter name "{counter_name("drop", a)}"' for a in others)
        self.nft(r.name, f"""
table ip home {{
{counters}
  counter dropped {{}}
  chain postrouting {{ type nat hook postrouting priority srcnat; policy accept;
    {self._masquerade(r.nat)}
  }}
  chain forward {{ type filter hook forward priority filter; policy accept;
{out}
{inn}
    iifname "wan" ct state established,related accept
{drop}
    iifname "wan" counter name "dropped" drop
  }}
  chain input {{ type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
{drop}
    iifname "wan" counter name "dropped" drop
  }}
}}""")

    @staticmethod
    def _masquerade(nat):
        if nat == "masquerade":
            return 'oifname "wan" masquerade'
        if nat == "random":
            return 'oifname "wan" masquerade random'
        # e.g. "to :40000-40100": a port range needs a transport protocol; the rest as usual
        return f'oifname "wan" meta l4proto udp masquerade {nat}\n    oifname "wan" masquerade'

    def close(self):
        for p in list(self.procs):
            self._stop_proc(p)
        for d in self.daemons.values():
            try:
                d.stop(grace=3)
            except Exception:
                d.kill()
        for ns in reversed(self.created):
            sh(["ip", "netns", "del", ns], check=False)
        self.created = []
        for sig, h in self._old_handlers.items():
            signal.signal(sig, h)
        self._old_handlers = {}
        if not self.keep_dir and os.environ.get("MESHCALL_NET_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"logs kept in {self.dir}")

    # ------------------------------------------------------------ routers
    def nft(self, name, script):
        sh(["ip", "netns", "exec", self.ns(name), "nft", "-f", "-"], input=script)

    def set_nat(self, router, nat):
        """Replaces the router's masquerade (`masquerade`, `random`, or masquerade arguments).
        Only new mappings follow it; `flush_mappings` forgets the old ones."""
        r = self.nodes[router]
        r.nat = nat
        rules = "".join(f"add rule ip home postrouting {line.strip()}\n"
                        for line in self._masquerade(nat).splitlines())
        self.nft(router, "flush chain ip home postrouting\n" + rules)

    def move_address(self, name):
        """A router's WAN address, or a public host's address, becomes its spare one (an ISP
        handing out a new address): the old one goes (and with it a router's mappings), the
        new one comes. Returns the new address."""
        n = self.nodes[name]
        dev, old, new = ("wan", n.wan, n.spare) if n.kind == "router" else ("eth0", n.address, n.spare)
        # Old first: deleting a primary address would take a secondary in its subnet with it.
        sh(["ip", "-n", n.ns, "addr", "del", f"{old}/24", "dev", dev])
        sh(["ip", "-n", n.ns, "addr", "add", f"{new}/24", "dev", dev])
        if n.kind == "router":
            self.flush_mappings(name)
            n.wan = new
        else:
            n.address = new
        n.spare = old
        return new

    def flush_mappings(self, router):
        """`conntrack -F` in the router: every mapping (and every hole in its filter) is gone."""
        sh(["ip", "netns", "exec", self.ns(router), "conntrack", "-F"], check=False)

    def counters(self, router):
        """The router's named counters: {name: packets}."""
        r = sh(["ip", "netns", "exec", self.ns(router), "nft", "-j", "list", "counters", "table", "ip", "home"],
               check=False)
        out = {}
        if r.returncode != 0:
            return out
        for item in json.loads(r.stdout).get("nftables", []):
            c = item.get("counter")
            if c:
                out[c["name"]] = c["packets"]
        return out

    def traffic(self, router, other):
        """Packets the router forwarded to `other` (a router or public host), forwarded from it
        through a mapping, and dropped from it: {"out", "in", "drop"}."""
        addr = self.public_address(other)
        c = self.counters(router)
        return {k: c.get(counter_name(k, addr), 0) for k in ("out", "in", "drop")}

    def mappings(self, router):
        """The router's UDP mappings (`conntrack -L -p udp`), one line each."""
        r = sh(["ip", "netns", "exec", self.ns(router), "conntrack", "-L", "-p", "udp"], check=False)
        return [line for line in r.stdout.splitlines() if line.startswith("udp")]

    # ------------------------------------------------------------ the call
    def write_room(self, peers, security="room"):
        """The room file: `peers` as (name, host or None, port), in that order; written 0600."""
        self.peers = list(peers)
        room = {"room": "natlab", "video": self.video, "audio": {"bitrate_kbps": 32},
                "peers": [dict({"name": n, "port": p}, **({"host": h} if h else {})) for n, h, p in peers]}
        if security != "none":
            room["security"] = security
            room["secret"] = base64.b64encode(secrets.token_bytes(32)).decode()
        fd = os.open(self.room, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(room, indent=2))
        for i, (n, _, _) in enumerate(peers):
            if n not in self.daemons:
                self.daemons[n] = Daemon(self, n, i, [])

    def address(self, index):  # netlab.Daemon asks for it
        return self.peers[index][1]

    def index(self, name):
        return [n for n, _, _ in self.peers].index(name)

    def __getitem__(self, name):
        return self.daemons[name]

    def start(self, names):
        """Starts the daemons named (without waiting), then waits until every control socket
        answers. Returns that moment (time.monotonic()); `launched` is when the first started."""
        self.launched = time.monotonic()
        for n in names:
            self.daemons[n].start(wait=False)
        for n in names:
            d = self.daemons[n]
            if not netlab.wait_until(lambda: d.status() or not d.alive(), 20, step=0.02) or not d.alive():
                raise RuntimeError(f"{n} did not start: {d.log_tail()}")
        return time.monotonic()

    # ------------------------------------------------------------ plain UDP (udp_agent.py)
    def agent(self, name, port, *extra):
        """A UDP socket on `port` in `name`'s namespace, driven by `Agent.call`."""
        a = Agent(self, name, port, extra)
        self.procs.append(a)
        return a

    def run_in(self, name, argv, timeout=20):
        """Runs a helper in a namespace (`name` may be "hub") to completion; its stdout."""
        return sh(["ip", "netns", "exec", self.ns(name), *argv], timeout=timeout).stdout

    def _stop_proc(self, p):
        p.close()
        if p in self.procs:
            self.procs.remove(p)


class Agent:
    """udp_agent.py in a namespace: one UDP socket, commands as JSON lines (see udp_agent.py)."""

    def __init__(self, net, name, port, extra=()):
        self.name, self.port = name, port
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", net.ns(name), sys.executable, str(HERE / "udp_agent.py"),
             "--port", str(port), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
            preexec_fn=_die_with_parent)
        ready = self._read(5)
        if not ready or not ready.get("ready"):
            raise RuntimeError(f"udp_agent in {name} did not start: {ready} {self.proc.stderr.read()}")

    def _read(self, seconds):
        if not select.select([self.proc.stdout], [], [], seconds)[0]:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def send(self, request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()

    def reply(self, seconds=15):
        r = self._read(seconds)
        if r is None:
            raise RuntimeError(f"udp_agent in {self.name}: no reply")
        return r

    def call(self, request, seconds=15):
        self.send(request)
        return self.reply(seconds)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=3)


def parse_endpoint(s):
    m = re.fullmatch(r"(\d+\.\d+\.\d+\.\d+):(\d+)", s or "")
    return (m.group(1), int(m.group(2))) if m else None
