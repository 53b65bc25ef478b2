#!/usr/bin/python3
"""relay.py: a transparent UDP relay that delays, jitters and reorders datagrams (the kernel
here has no netem). Runs in the receiver's network namespace; an nftables `tproxy` rule hands
it the datagrams arriving for the receiver, and it delivers each one from the sender's own
address and port (IP_TRANSPARENT), so the receiver cannot tell it is there.

Model, per sender: each datagram waits delay +- jitter ms (uniform), in order (a later datagram
never overtakes an earlier one through jitter alone, as on a real queueing path); a `reorder`
share of them is held back and delivered just after the next datagram of the same sender (or
`reorder-extra` ms late if none comes), so exactly that share arrives out of order.

Writes counters as JSON to --stats twice a second and on exit. Stops on SIGTERM/SIGINT, or when
the parent dies.
"""
import argparse
import ctypes
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

IP_TRANSPARENT = 19
IP_RECVORIGDSTADDR = 20
IP_ORIGDSTADDR = 20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=int, required=True, help="tproxy port")
    ap.add_argument("--delay", type=float, default=40.0, help="mean one-way delay, ms")
    ap.add_argument("--jitter", type=float, default=10.0, help="delay varies by +- this, ms")
    ap.add_argument("--reorder", type=float, default=0.0, help="percent of datagrams delivered late")
    ap.add_argument("--reorder-extra", type=float, default=20.0, help="longest hold of a reordered datagram, ms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats", help="write counters (JSON) here")
    ap.add_argument("--max-seconds", type=float, default=3600.0, help="exit after this long")
    args = ap.parse_args()

    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    # The relay's own timing must not add jitter when the machine is busy: real-time priority
    # if allowed (root), else best effort.
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (OSError, AttributeError):
        pass
    rng = random.Random(args.seed)
    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    listen.setsockopt(socket.SOL_IP, IP_RECVORIGDSTADDR, 1)
    listen.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    listen.bind(("0.0.0.0", args.listen))
    listen.setblocking(False)

    senders = {}   # source address -> transparent socket bound to it
    fifo_tail = {}  # source -> release time of its last in-order datagram
    held = {}      # source -> a datagram waiting for the next one to overtake it
    heap = []      # (release time, seq, payload, source, destination)
    seq = 0
    stats = {"received": 0, "sent": 0, "held_back": 0, "out_of_order": 0, "max_queue": 0,
             "delay_ms_min": None, "delay_ms_max": None, "send_errors": 0,
             "late_ms_max": 0.0}
    last_sent_seq = {}  # source -> highest arrival number delivered so far
    started = time.monotonic()
    next_stats = 0.0

    def sender_socket(src):
        s = senders.get(src)
        if s is None:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(src)
            s.setblocking(False)
            senders[src] = s
        return s

    def write_stats():
        if args.stats:
            tmp = args.stats + ".tmp"
            with open(tmp, "w") as f:
                json.dump(stats, f)
            os.replace(tmp, args.stats)

    def note_delay(ms):
        if stats["delay_ms_min"] is None or ms < stats["delay_ms_min"]:
            stats["delay_ms_min"] = round(ms, 2)
        if stats["delay_ms_max"] is None or ms > stats["delay_ms_max"]:
            stats["delay_ms_max"] = round(ms, 2)

    write_stats()
    while not stop and time.monotonic() - started < args.max_seconds:
        now = time.monotonic()
        # Held datagrams whose time is up go out even if nothing overtook them.
        for src, h in list(held.items()):
            if h[0] <= now:
                heapq.heappush(heap, h)
                del held[src]
        timeout = 0.2
        if heap:
            timeout = max(0.0, min(timeout, heap[0][0] - now))
        for h in held.values():
            timeout = max(0.0, min(timeout, h[0] - now))
        try:
            readable, _, _ = select.select([listen], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        if readable:
            for _ in range(256):
                try:
                    data, anc, _flags, src = listen.recvmsg(65536, socket.CMSG_SPACE(16))
                except BlockingIOError:
                    break
                dst = None
                for level, ctype, cdata in anc:
                    if level == socket.SOL_IP and ctype == IP_ORIGDSTADDR:
                        port, ip = struct.unpack_from("!H4s", cdata, 2)
                        dst = (socket.inet_ntoa(ip), port)
                if dst is None:
                    continue
                stats["received"] += 1
                seq += 1
                delay = args.delay + rng.uniform(-args.jitter, args.jitter)
                release = max(now + delay / 1000, fifo_tail.get(src, 0.0))
                entry = [release, seq, data, src, dst, now]
                h = held.pop(src, None)
                if rng.random() * 100 < args.reorder and h is None:
                    entry[0] = release + args.reorder_extra / 1000
                    held[src] = entry
                    stats["held_back"] += 1
                    continue
                fifo_tail[src] = release
                heapq.heappush(heap, entry)
                if h is not None:  # the held one goes just after this one
                    h[0] = release + 0.0001
                    heapq.heappush(heap, h)
        stats["max_queue"] = max(stats["max_queue"], len(heap) + len(held))
        while heap and heap[0][0] <= now:
            release, n, data, src, dst, arrived = heapq.heappop(heap)
            try:
                sender_socket(src).sendto(data, dst)
                stats["sent"] += 1
            except OSError:
                stats["send_errors"] += 1
            sent_at = time.monotonic()
            note_delay((sent_at - arrived) * 1000)
            stats["late_ms_max"] = max(stats["late_ms_max"], round((sent_at - release) * 1000, 2))
            if n < last_sent_seq.get(src, 0):
                stats["out_of_order"] += 1
            last_sent_seq[src] = max(n, last_sent_seq.get(src, 0))
        if now >= next_stats:
            next_stats = now + 0.5
            write_stats()
    write_stats()
    return 0


if __name__ == "__main__":
    sys.exit(main())
