"""scripts/bench's plumbing: the processes it starts (and always stops), CPU and memory from /proc,
bounded waits, a network cut with nftables, meshcalld's control socket, the probe's and ffmpeg's
progress output, and percentiles."""
import ctypes
import json
import math
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

# ---------------------------------------------------------------- processes

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def die_with_parent():
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: no orphan outlives the harness


class Procs:
    """Everything the harness starts, so that all of it is stopped whatever happens."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.running = []

    def start(self, name, argv, stdin=None, stdout=None, stderr=None):
        log = open(self.logdir / f"{name}.log", "ab")
        p = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=stdout if stdout is not None else log,
                             stderr=stderr if stderr is not None else log,
                             preexec_fn=die_with_parent)
        p.bench_name = name
        self.running.append(p)
        return p

    def stop(self, procs=None, grace=3.0):
        procs = [p for p in (procs if procs is not None else self.running)]
        for p in procs:
            if p.poll() is None:
                for sig in (signal.SIGCONT, signal.SIGTERM):
                    try:
                        os.kill(p.pid, sig)
                    except ProcessLookupError:
                        pass
        deadline = time.monotonic() + grace
        for p in procs:
            try:
                p.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self.running = [p for p in self.running if p not in procs]


def proc_cpu_seconds(pid):
    """utime + stime of a process (all its threads), seconds; None once it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_memory_kb(pid):
    """(VmHWM, Pss) in kB."""
    hwm = pss = None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return hwm, pss


def machine_busy_seconds():
    """CPU seconds all CPUs spent busy (not idle, not waiting for I/O) since boot."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")


class CpuWindow:
    """CPU seconds per wall second of a set of processes over a window, and how busy the rest
    of the machine was meanwhile (a concurrent build or test run disturbs the figures)."""

    def __init__(self, procs):
        self.procs = list(procs)
        self.t0 = time.monotonic()
        self.c0 = [proc_cpu_seconds(p.pid) for p in self.procs]
        self.m0 = machine_busy_seconds()

    def end(self):
        t1 = time.monotonic()
        c1 = [proc_cpu_seconds(p.pid) for p in self.procs]
        if any(c is None for c in self.c0 + c1):
            raise RuntimeError("a measured process ended during its window: "
                               + ", ".join(p.bench_name for p, c in zip(self.procs, c1) if c is None))
        mem = [proc_memory_kb(p.pid) for p in self.procs]
        cores = sum(b - a for a, b in zip(self.c0, c1)) / (t1 - self.t0)
        return {
            "cores": cores,
            "machine_busy_cores": (machine_busy_seconds() - self.m0) / (t1 - self.t0),
            "seconds": t1 - self.t0,
            "rss_mb": sum(m[0] or 0 for m in mem) / 1024,
            "pss_mb": sum(m[1] or 0 for m in mem) / 1024,
            "processes": len(self.procs),
        }


def wait_until(what, deadline_s, check, every=0.02):
    """Polls check() until it returns something truthy; that value, or None at the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        v = check()
        if v:
            return v
        time.sleep(every)
    log(f"  ! gave up waiting for {what} after {deadline_s:.0f} s")
    return None


class NetCut:
    """Drops matching UDP datagrams for a while with an nftables rule (a network cut that
    neither end can see coming). Needs root; `available` says whether it works here."""
    TABLE = "meshcall_bench"

    def __init__(self):
        self.available = self._nft("add table inet " + self.TABLE) and self._nft(
            f"add chain inet {self.TABLE} input {{ type filter hook input priority 0 ; }}")
        self.clear()

    @staticmethod
    def _nft(cmd):
        try:
            return subprocess.run(["nft", *cmd.split()], capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def start(self, match):
        """Drops datagrams matching `match` (nft syntax) until clear(); False if it cannot."""
        return self.available and self._nft(f"add rule inet {self.TABLE} input {match} drop")

    def clear(self):
        self._nft(f"flush chain inet {self.TABLE} input")

    def remove(self):
        self._nft(f"delete table inet {self.TABLE}")


def wait_exit(p, seconds):
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class LineTimes:
    """Copies a process's stderr pipe to its log in a thread, noting the monotonic time at which
    the first line containing each of `marks` arrived."""

    def __init__(self, pipe, log_path, marks):
        self.pipe, self.log_path, self.marks, self.times = pipe, log_path, marks, {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        with open(self.log_path, "ab") as log:
            for line in iter(self.pipe.readline, b""):
                t = time.monotonic()
                log.write(line)
                for m in self.marks:
                    if m not in self.times and m.encode() in line:
                        self.times[m] = t

    def join(self):
        self.thread.join(timeout=5)
        self.pipe.close()


def udp_port_bound(port):
    """Whether some socket is bound to this local UDP (IPv4) port."""
    tail = f":{port:04X}"
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return False
    return any(line.split()[1].endswith(tail) for line in lines if len(line.split()) > 1)


def first_output(p, deadline_s):
    """Monotonic time at which process p first wrote to its stdout pipe (its first decoded
    picture, for a player writing raw pictures), or None at the deadline or if it ended first."""
    end = time.monotonic() + deadline_s
    fd = p.stdout.fileno()
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], min(0.1, max(0.0, end - time.monotonic())))
        if ready:
            t = time.monotonic()
            return t if os.read(fd, 1 << 16) else None
        if p.poll() is not None:
            return None
    return None


class ViewerKeepalive:
    """Sends a TS null packet (PID 0x1FFF, which every demuxer discards) from a viewer's room
    address to the participants every 0.4 s (bench/player_flags.py): paused for over 1 s, its
    next datagram (hello) makes meshcalld take the viewer for a joiner and send an IDR at once,
    which measures what an IDR at a player's start gives. Silence never exceeds 1 s otherwise, so
    no other IDR is sent."""
    NULL_PACKET = bytes([0x47, 0x1F, 0xFF, 0x10]) + bytes(184)

    def __init__(self, src, dests, every=0.4):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(src)
        self.dests, self.every = dests, every
        self.stopping, self.paused = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def pause(self):
        """Silent from now on (until resume): after 1 s of it, the next datagram is a joiner's."""
        self.paused.set()

    def resume(self):
        self.paused.clear()

    def hello(self, dest):
        """One datagram to dest: after a pause of over 1 s meshcalld takes the viewer for a
        joiner and sends an IDR at once (what a daemon-side IDR for a new viewer would give)."""
        self.sock.sendto(self.NULL_PACKET, dest)

    def _run(self):
        while not self.stopping.is_set():
            for d in ([] if self.paused.is_set() else self.dests):
                try:
                    self.sock.sendto(self.NULL_PACKET, d)
                except OSError:
                    pass
            self.stopping.wait(self.every)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=2)
        self.sock.close()


# ---------------------------------------------------------------- meshcalld control socket

class Control:
    def __init__(self, path, deadline_s=10.0):
        self.path = str(path)
        self.sock = None
        self.buf = b""
        end = time.monotonic() + deadline_s
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(2.0)
                s.connect(self.path)
                self.sock = s
                return
            except OSError:
                s.close()
                if time.monotonic() > end:
                    raise RuntimeError(f"no control socket at {self.path}")
                time.sleep(0.01)

    def status(self, histogram=False):
        req = {"cmd": "status"}
        if histogram:
            req["histogram"] = True
        self.sock.sendall((json.dumps(req) + "\n").encode())
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError("control socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        reply = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"status failed: {reply}")
        return reply

    def peers(self, histogram=False):
        return {p["name"]: p for p in self.status(histogram)["peers"]}

    def close(self):
        if self.sock:
            self.sock.close()


# ---------------------------------------------------------------- statistics

def percentile(samples, q):
    if not samples:
        return None
    s = sorted(samples)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def hist_percentile(hist, q):
    """Percentile of a 1 ms histogram (last bucket: >= its value), as the bucket's middle."""
    total = sum(hist)
    if total == 0:
        return None
    need, acc = q * total, 0
    for i, c in enumerate(hist):
        acc += c
        if acc >= need:
            return float(i) + 0.5 if i < len(hist) - 1 else float(i)
    return float(len(hist) - 1)


def hist_summary(hist):
    return {"p50": hist_percentile(hist, 0.5), "p95": hist_percentile(hist, 0.95),
            "p99": hist_percentile(hist, 0.99), "frames": sum(hist)}


def hist_delta(before, after):
    return [b - a for a, b in zip(before, after)]


def lat_summary_ms(samples_us):
    v = [s / 1000 for s in samples_us]
    return {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95), "p99": percentile(v, 0.99),
            "frames": len(v)}


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


class FrameCounter:
    """The frame count of an ffmpeg -progress file, read incrementally."""

    def __init__(self, path):
        self.path, self.pos, self.last = Path(path), 0, 0

    def frames(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
                self.pos = f.tell()
        except OSError:
            return self.last
        for m in re.finditer(r"^frame=(\d+)", data, re.M):
            self.last = int(m.group(1))
        return self.last


class ProbeReader:
    """The probe's lines ("WALL_US AGE_US" or "WALL_US -"), read incrementally."""

    def __init__(self, path):
        self.path, self.pos, self.frames = Path(path), 0, []

    def _read(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return
        end = data.rfind("\n") + 1
        self.pos += len(data[:end].encode())
        for line in data[:end].splitlines():
            f = line.split()
            if len(f) == 2 and f[0].isdigit():
                self.frames.append((int(f[0]) / 1e6, None if f[1] == "-" else int(f[1])))

    def first_clean(self, after_wall):
        """Wall time of the first picture after `after_wall` whose code reads and is fresh."""
        self._read()
        for t, age in self.frames:
            if t > after_wall and age is not None and 0 <= age < 1_000_000:
                return t
        return None

    def window(self, t_from, t_to):
        self._read()
        inside = [age for t, age in self.frames if t_from <= t <= t_to]
        return [a for a in inside if a is not None], sum(1 for a in inside if a is None)
