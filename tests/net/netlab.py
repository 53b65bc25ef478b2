"""netlab: meshcall calls across network namespaces, with impairments, for tests/net and scripts/soak.

A Lab is a hub namespace holding a bridge, and one namespace per participant joined to it by a
veth pair (`eth0` inside, `pK` on the bridge). Participant K is 10.77.0.(K+1), port 5000; these
addresses exist only inside the lab's namespaces. Impairments are nftables rules and tc qdiscs
in those namespaces, and the UDP relay (relay.py) for delay, jitter and reordering. Daemons are
black boxes: started with `ip netns exec`, observed through their control sockets, their logs,
their recorded mix and /proc.

Everything a Lab creates goes when it is closed (a `with` block, SIGTERM/SIGINT, or the next
run noticing a lab whose owner died: namespaces are named after the owner's pid).
"""
import array
import ctypes
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests
PREFIX = "mcnet"
PORT = 5000
RELAY_PORT = 9000
HERE = Path(__file__).resolve().parent

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: no daemon outlives the harness
    os.setpgrp()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(argv, check=True, timeout=15, input=None):
    """Runs a command to completion (bounded); returns its CompletedProcess."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


class Skip(Exception):
    """The environment cannot run these tests (not root, no netns, no nftables)."""


# nftables features some cases need beyond plain filtering, and a rule that uses each.
FEATURES = {
    "tproxy": ("ip", "prerouting priority mangle", "udp dport 1 tproxy to :2"),  # relay.py
    "dup": ("ip", "postrouting priority 0", "udp dport 1 dup to 10.77.0.1"),       # duplication
    "bridge": ("bridge", "forward priority 0", 'iifname "a0" drop'),              # blackouts
}


def check_environment(features=()):
    """Raises Skip, saying why, unless namespaces, veth, nftables and tc all work here (and the
    nftables `features` named, see FEATURES)."""
    if os.geteuid() != 0:
        raise Skip("needs root (network namespaces, nftables)")
    for tool in ("ip", "nft", "tc"):
        if not shutil.which(tool):
            raise Skip(f"`{tool}` is not installed (Debian: iproute2, nftables)")
    probe = f"{PREFIX}{os.getpid()}probe"
    try:
        r = sh(["ip", "netns", "add", probe], check=False)
        if r.returncode != 0:
            raise Skip(f"cannot create a network namespace: {r.stderr.strip()}")
        r = sh(["ip", "-n", probe, "link", "add", "a0", "type", "veth", "peer", "name", "b0"], check=False)
        if r.returncode != 0:
            raise Skip(f"cannot create a veth pair: {r.stderr.strip()}")
        r = sh(["ip", "netns", "exec", probe, "nft", "add", "table", "inet", "probe"], check=False)
        if r.returncode != 0:
            raise Skip(f"nftables does not work in a namespace: {r.stderr.strip()}")
        r = sh(["tc", "-n", probe, "qdisc", "add", "dev", "a0", "root", "tbf", "rate", "1mbit",
                "burst", "10kb", "latency", "50ms"], check=False)
        if r.returncode != 0:
            raise Skip(f"tc tbf does not work: {r.stderr.strip()}")
        for f in features:
            family, hook, rule = FEATURES[f]
            script = (f"table {family} probe_{f} {{\n  chain c {{ type filter hook {hook}; policy accept;\n"
                      f"    {rule}\n  }}\n}}\n")
            r = sh(["ip", "netns", "exec", probe, "nft", "-f", "-"], check=False, input=script)
            if r.returncode != 0:
                raise Skip(f"nftables `{f}` does not work here: {r.stderr.strip()}")
    finally:
        sh(["ip", "netns", "del", probe], check=False)


def remove_stale_labs():
    """Deletes namespaces left by a harness that died (SIGKILL, CTest timeout)."""
    r = sh(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        m = re.match(rf"({PREFIX}(\d+)\S*)", line)
        if not m:
            continue
        pid = int(m.group(2))
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            sh(["ip", "netns", "del", m.group(1)], check=False)


# ---------------------------------------------------------------- the control socket

def control(path, request, timeout=2.0):
    """One request on a daemon's control socket; the reply as a dict, or None."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall((json.dumps(request) + "\n").encode())
            buf = b""
            deadline = time.monotonic() + timeout
            while b"\n" not in buf and time.monotonic() < deadline:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
            if b"\n" not in buf:
                return None
            return json.loads(buf.split(b"\n", 1)[0])
    except (OSError, ValueError):
        return None


def wait_until(condition, seconds, step=0.05):
    """Polls `condition` until it returns something truthy (returned) or `seconds` pass (None)."""
    deadline = time.monotonic() + seconds
    while True:
        v = condition()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(step)


# ---------------------------------------------------------------- /proc

def rss_kib(pid, field="VmRSS"):
    """Resident memory of `pid` in KiB (VmRSS; RssAnon for the heap and stacks only, without
    mapped files such as the shared libraries)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


# ---------------------------------------------------------------- the recorded mix

def read_wav(path):
    """Samples of a 16-bit mono WAV being written (the header may lag; read what is there)."""
    data = Path(path).read_bytes()
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"data":
            body = data[pos + 8:]
            body = body[:len(body) // 2 * 2]
            return array.array("h", body)
        pos += 8 + size
    return array.array("h")


def tone_amplitudes(samples, freq, rate=48000, window_s=0.2):
    """Amplitude (0..1 of full scale) of `freq` in each consecutive window (Goertzel)."""
    n = int(rate * window_s)
    w = 2 * math.pi * freq / rate
    coeff = 2 * math.cos(w)
    out = []
    for start in range(0, len(samples) - n + 1, n):
        s1 = s2 = 0.0
        for x in samples[start:start + n]:
            s0 = x + coeff * s1 - s2
            s2, s1 = s1, s0
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        out.append(2 * math.sqrt(max(power, 0.0)) / n / 32768)
    return out


def tone_glitches(samples, freq, rate=48000, min_level=None):
    """Discontinuities of a steady tone: Hann-windowed 20 ms segments every 10 ms, the tone's
    phase against one continuous oscillator. A clean tone keeps its phase; a repeated or
    skipped 20 ms block shifts it (unless 20 ms is a whole number of periods: 300 Hz), two
    blocks played in swapped order shift it twice, a gap drops the level. Returns a list of
    (seconds, kind) events, consecutive disturbed segments counted once."""
    seg, hop = rate // 50, rate // 100
    w = [0.5 - 0.5 * math.cos(2 * math.pi * i / seg) for i in range(seg)]
    c = [w[i] * math.cos(2 * math.pi * freq * i / rate) for i in range(seg)]
    s = [-w[i] * math.sin(2 * math.pi * freq * i / rate) for i in range(seg)]
    norm = sum(w) / 2 * 32768
    points = []
    for start in range(0, len(samples) - seg + 1, hop):
        x = samples[start:start + seg]
        re = sum(map(float.__mul__, map(float, x), c))
        im = sum(map(float.__mul__, map(float, x), s))
        z = complex(re, im) * complex(math.cos(-2 * math.pi * freq * start / rate),
                                      math.sin(-2 * math.pi * freq * start / rate))
        points.append((abs(z) / norm, math.atan2(z.imag, z.real) / (2 * math.pi)))
    if not points:
        return []
    level = min_level if min_level is not None else 0.5 * sorted(a for a, _ in points)[len(points) // 2]
    events, in_event = [], False
    for k in range(1, len(points)):
        d = (points[k][1] - points[k - 1][1] + 0.5) % 1.0 - 0.5
        low = points[k][0] < level
        bad = low or abs(d) > 0.04
        if bad and not in_event:
            events.append([round(k * hop / rate, 3), "gap" if low else "jump"])
        elif bad and low:
            events[-1][1] = "gap"  # an event with a silent stretch is a gap, however it began
        in_event = bad
    return [tuple(e) for e in events]


def tone_hz(index):
    return 300 + 110 * index  # daemon/util/participant_style.cpp


# ---------------------------------------------------------------- the lab

class Daemon:
    def __init__(self, lab, name, index, extra):
        self.lab, self.name, self.index = lab, name, index
        self.ns = lab.ns(name)
        self.address = lab.address(index)
        self.sock = lab.dir / f"{name}.sock"
        self.log_path = lab.dir / f"{name}.log"
        self.wav = lab.dir / f"{name}.wav"
        self.extra = list(extra)
        self.proc = None
        self.starts = 0

    def start(self, wait=True):
        argv = ["ip", "netns", "exec", self.ns, str(self.lab.meshcalld), "--room", str(self.lab.room),
                "--as", self.name, "--headless", "--video", "test", "--audio", "tone",
                "--control", str(self.sock), "--profile", "/nonexistent", "-v", *self.extra]
        if self.lab.record_mix:
            argv += ["--record-mix", str(self.wav)]
        logf = open(self.log_path, "ab")
        self.starts += 1
        logf.write(f"==== start {self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     preexec_fn=_die_with_parent, env=self.lab.env)
        logf.close()
        if wait and not wait_until(lambda: self.status() or self.proc.poll() is not None, 20):
            raise RuntimeError(f"{self.name}: the control socket never answered")
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name}: exited at start with {self.proc.returncode}: {self.log_tail()}")

    def status(self, histogram=False):
        req = {"cmd": "status"}
        if histogram:
            req["histogram"] = True
        r = control(self.sock, req)
        return r if r and r.get("ok") else None

    def peer(self, name, histogram=False):
        st = self.status(histogram)
        if not st:
            return None
        return next((p for p in st["peers"] if p["name"] == name), None)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=5.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=15):
        return "\n".join(self.log_text().splitlines()[-lines:])


class NamespaceLab:
    """What every lab of namespaces does around its own _build() and close(): signals turn into
    SystemExit (so close() runs), a failed build is torn down, and each namespace it adds is
    remembered (self.created) with its loopback up. A subclass sets self.created = [] and
    self._old_handlers = {} and restores the handlers in close()."""

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

    def _netns_add(self, ns):
        sh(["ip", "netns", "add", ns])
        self.created.append(ns)
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])


class Lab(NamespaceLab):
    """A call of `names` across namespaces. Use as a context manager."""

    def __init__(self, names, width=320, height=240, fps=30, bitrate_kbps=400, tag="t",
                 daemon_args=None, meshcalld=None, keep_dir=False, record_mix=True):
        self.names = list(names)
        self.tag = tag
        self.id = f"{PREFIX}{os.getpid()}{tag}"
        self.meshcalld = Path(meshcalld or os.environ.get("MESHCALLD") or find_meshcalld())
        self.dir = Path(tempfile.mkdtemp(prefix=f"meshcall-net-{tag}-"))
        self.keep_dir = keep_dir
        self.record_mix = record_mix
        self.env = dict(os.environ)
        self.room = self.dir / "room.json"
        self.room.write_text(json.dumps({
            "room": "netlab",
            "video": {"width": width, "height": height, "fps": fps, "bitrate_kbps": bitrate_kbps},
            "audio": {"bitrate_kbps": 32},
            "peers": [{"name": n, "host": self.address(i), "port": PORT} for i, n in enumerate(self.names)],
        }, indent=2))
        self.fps = fps
        self.created = []
        self.relays = []
        self.daemons = {n: Daemon(self, n, i, (daemon_args or {}).get(n, [])) for i, n in enumerate(self.names)}
        self._old_handlers = {}

    # names and addresses
    def ns(self, name):
        return f"{self.id}-{name}" if name != "hub" else f"{self.id}-hub"

    @staticmethod
    def address(index):
        return f"10.77.0.{index + 1}"

    def index(self, name):
        return self.names.index(name)

    def __getitem__(self, name):
        return self.daemons[name]

    # set-up and tear-down: NamespaceLab

    def _build(self):
        remove_stale_labs()
        hub = self.ns("hub")
        self._netns_add(hub)
        sh(["ip", "-n", hub, "link", "add", "br0", "type", "bridge"])
        sh(["ip", "-n", hub, "link", "set", "br0", "up"])
        for i, name in enumerate(self.names):
            ns = self.ns(name)
            self._netns_add(ns)
            sh(["ip", "-n", hub, "link", "add", f"p{i}", "type", "veth", "peer", "name", "eth0", "netns", ns])
            sh(["ip", "-n", hub, "link", "set", f"p{i}", "master", "br0", "up"])
            sh(["ip", "-n", ns, "addr", "add", f"{self.address(i)}/24", "dev", "eth0"])
            sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
            # Static neighbours: no ARP to lose in a blackout, no first-packet delay.
        for i, name in enumerate(self.names):
            for j, other in enumerate(self.names):
                if i != j:
                    mac = sh(["ip", "-n", self.ns(other), "-j", "link", "show", "eth0"]).stdout
                    mac = json.loads(mac)[0]["address"]
                    sh(["ip", "-n", self.ns(name), "neigh", "replace", self.address(j), "lladdr", mac,
                        "dev", "eth0", "nud", "permanent"])

    def close(self):
        for relay in list(self.relays):
            relay.stop()
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

    # daemons
    def start_all(self):
        for d in self.daemons.values():
            d.start(wait=False)
        for d in self.daemons.values():
            if not wait_until(lambda: d.status() or not d.alive(), 20) or not d.alive():
                raise RuntimeError(f"{d.name} did not start: {d.log_tail()}")

    def wait_connected(self, seconds=15, min_frames=30):
        """Waits until every daemon decodes every other's video. Returns whether it happened."""
        def all_up():
            for d in self.daemons.values():
                st = d.status()
                if not st:
                    return False
                for p in st["peers"]:
                    if p["state"] != "connected" or p["video_frames"] < min_frames:
                        return False
            return True
        return bool(wait_until(all_up, seconds, step=0.2))

    # impairments: nftables
    def nft(self, name, script):
        sh(["ip", "netns", "exec", self.ns(name), "nft", "-f", "-"], input=script)

    def nft_clear(self, name, table="mcimp", family="ip"):
        sh(["ip", "netns", "exec", self.ns(name), "nft", "delete", "table", family, table], check=False)

    def drop_in(self, receiver, rule, sender=None, table="mcimp"):
        """Drops datagrams arriving at `receiver` (from `sender`, or from anyone) matching `rule`."""
        src = f"ip saddr {self.address(self.index(sender))} " if sender else ""
        self.nft(receiver, f"""
table ip {table} {{
  chain pre {{ type filter hook prerouting priority -300; policy accept;
    iifname "eth0" {src}udp dport {PORT} {rule} counter drop
  }}
}}""")

    def counter(self, name, table="mcimp", chain="pre"):
        """Packets matched by the `counter` statements of a chain."""
        r = sh(["ip", "netns", "exec", self.ns(name), "nft", "-j", "list", "chain", "ip", table, chain],
               check=False)
        if r.returncode != 0:
            return None
        total = 0
        for item in json.loads(r.stdout).get("nftables", []):
            for expr in item.get("rule", {}).get("expr", []):
                if "counter" in expr:
                    total += expr["counter"]["packets"]
        return total

    def blackout(self, name, on):
        """Cuts `name` off the network (both directions, at the bridge), or restores it."""
        hub = self.ns("hub")
        port = f"p{self.index(name)}"
        if on:
            sh(["ip", "netns", "exec", hub, "nft", "-f", "-"], input=f"""
table bridge mcblack {{
  chain cut {{ type filter hook forward priority 0; policy accept;
    iifname "{port}" drop
    oifname "{port}" drop
  }}
}}""")
        else:
            sh(["ip", "netns", "exec", hub, "nft", "delete", "table", "bridge", "mcblack"], check=False)

    def duplicate(self, sender, receiver, pct):
        """Duplicates `pct` % of `sender`'s datagrams to `receiver` on the way out (nft dup)."""
        dst = self.address(self.index(receiver))
        self.nft(sender, f"""
table ip mcdup {{
  chain out {{ type filter hook postrouting priority 0; policy accept;
    ip daddr {dst} udp dport {PORT} numgen random mod 100 < {pct} counter dup to {dst} device "eth0"
  }}
}}""")

    def rate_cap(self, name, kbit, limit_bytes=2_000_000):
        """Caps `name`'s upload (tbf on its eth0). A deep qdisc, so that the back-pressure reaches
        the sender's socket instead of the qdisc dropping silently."""
        sh(["tc", "-n", self.ns(name), "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", f"{kbit}kbit",
            "burst", "8kb", "limit", str(limit_bytes)])

    def rate_uncap(self, name):
        sh(["tc", "-n", self.ns(name), "qdisc", "del", "dev", "eth0", "root"], check=False)

    def download_cap(self, name, kbit, queue_ms=300):
        """Caps what flows into `name` (its download): tbf on the egress of its port on the bridge
        (`pK` in the hub), i.e. the last hop before its eth0, with a queue of `queue_ms` at the
        cap (a home router's downstream buffer: delay builds, then the excess is dropped)."""
        limit = max(int(kbit * 1000 / 8 * queue_ms / 1000), 3 * 1500)
        sh(["tc", "-n", self.ns("hub"), "qdisc", "replace", "dev", f"p{self.index(name)}", "root", "tbf",
            "rate", f"{kbit}kbit", "burst", "8kb", "limit", str(limit)])

    def download_uncap(self, name):
        sh(["tc", "-n", self.ns("hub"), "qdisc", "del", "dev", f"p{self.index(name)}", "root"], check=False)

    def download_stats(self, name):
        """The download cap's qdisc: bytes queued, datagrams dropped and sent so far (None: no cap)."""
        r = sh(["tc", "-n", self.ns("hub"), "-j", "-s", "qdisc", "show", "dev", f"p{self.index(name)}"],
               check=False)
        try:
            q = next(q for q in json.loads(r.stdout) if q.get("kind") == "tbf")
            return {"backlog": q.get("backlog", 0), "drops": q.get("drops", 0), "sent": q.get("packets", 0)}
        except (ValueError, StopIteration):
            return None

    def qdisc_stats(self, name):
        r = sh(["tc", "-n", self.ns(name), "-j", "-s", "qdisc", "show", "dev", "eth0"], check=False)
        try:
            q = json.loads(r.stdout)[0]
            return {"backlog": q.get("backlog", 0), "drops": q.get("drops", 0), "sent": q.get("packets", 0)}
        except (ValueError, IndexError):
            return None

    def socket_queue(self, name):
        """Bytes waiting in `name`'s UDP socket's send queue (ss Send-Q) and its wmem (skmem t)."""
        r = sh(["ip", "netns", "exec", self.ns(name), "ss", "-u", "-a", "-n", "-m", "-H",
                f"sport = :{PORT}"], check=False)
        m = re.search(r"skmem:\(([^)]*)\)", r.stdout)
        if not m:
            return None
        fields = dict(re.findall(r"([a-z]+)(\d+)", m.group(1)))
        return {"wmem_alloc": int(fields.get("t", 0)), "sndbuf": int(fields.get("tb", 0))}

    # impairments: the relay (delay, jitter, reordering) on the way into `receiver`
    def relay_into(self, receiver, delay_ms, jitter_ms, reorder_pct, reorder_extra_ms=20, seed=1):
        relay = Relay(self, receiver, delay_ms, jitter_ms, reorder_pct, reorder_extra_ms, seed)
        relay.start()
        self.relays.append(relay)
        return relay


class Relay:
    """relay.py in `receiver`'s namespace; nftables tproxy hands it every datagram arriving on
    eth0 for the daemon's port, and it delivers them (late, jittered, some reordered) from the
    sender's own address, so the daemon sees nothing but a worse network."""

    def __init__(self, lab, receiver, delay_ms, jitter_ms, reorder_pct, reorder_extra_ms, seed):
        self.lab, self.receiver = lab, receiver
        self.ns = lab.ns(receiver)
        # The relay stands for the network: at real-time priority (chrt), so that a busy machine
        # (a compile beside the suite) does not stall it and add delay the case did not ask for.
        # Its stats say how late it released anything (late_ms_max).
        rt = ["chrt", "-f", "10"] if shutil.which("chrt") else []
        self.args = [*rt, sys.executable, str(HERE / "relay.py"), "--listen", str(RELAY_PORT),
                     "--delay", str(delay_ms), "--jitter", str(jitter_ms), "--reorder", str(reorder_pct),
                     "--reorder-extra", str(reorder_extra_ms), "--seed", str(seed),
                     "--stats", str(lab.dir / f"relay-{receiver}.json")]
        self.stats_path = lab.dir / f"relay-{receiver}.json"
        self.proc = None

    def start(self):
        ns = self.ns
        sh(["ip", "-n", ns, "rule", "add", "fwmark", "0x4d", "lookup", "77"])
        sh(["ip", "-n", ns, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "77"])
        logf = open(self.lab.dir / f"relay-{self.receiver}.log", "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, *self.args], stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf, preexec_fn=_die_with_parent)
        logf.close()
        if not wait_until(lambda: self.stats_path.exists() or self.proc.poll() is not None, 5):
            raise RuntimeError("the relay did not start")
        if self.proc.poll() is not None:
            raise RuntimeError("the relay exited at start: " +
                               (self.lab.dir / f"relay-{self.receiver}.log").read_text())
        self.lab.nft(self.receiver, f"""
table ip mcrelay {{
  chain pre {{ type filter hook prerouting priority mangle; policy accept;
    iifname "eth0" meta l4proto udp udp dport {PORT} tproxy to :{RELAY_PORT} meta mark set 0x4d accept
  }}
}}""")

    def stats(self):
        try:
            return json.loads(self.stats_path.read_text())
        except (OSError, ValueError):
            return None

    def stop(self):
        self.lab.nft_clear(self.receiver, "mcrelay")
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        self.proc = None
        sh(["ip", "-n", self.ns, "rule", "del", "fwmark", "0x4d", "lookup", "77"], check=False)
        sh(["ip", "-n", self.ns, "route", "flush", "table", "77"], check=False)
        if self in self.lab.relays:
            self.lab.relays.remove(self)


def find_meshcalld():
    root = HERE.parent.parent
    for cand in (root / "build" / "daemon" / "meshcalld",):
        if cand.exists():
            return cand
    raise Skip("meshcalld is not built (set MESHCALLD or build into build/)")


# ---------------------------------------------------------------- percentiles from histograms

def hist_delta(after, before):
    return [a - b for a, b in zip(after, before)]


def hist_percentile(counts, q):
    """`counts[i]`: frames with latency in [i, i+1) ms (the last bucket: that or more)."""
    total = sum(counts)
    if total <= 0:
        return None
    acc = 0
    for i, c in enumerate(counts):
        acc += c
        if acc >= q * total:
            return i
    return len(counts) - 1
