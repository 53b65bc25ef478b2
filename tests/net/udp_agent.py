#!/usr/bin/python3
"""udp_agent: plain UDP for the internet lab (internet.py), run in a namespace with `ip netns exec`.

    udp_agent.py --port P [--reflect]   one socket on 0.0.0.0:P; prints {"ready": true}, then
                                        answers JSON commands, one a line, on stdin (below);
                                        with --reflect it also answers every datagram whose
                                        payload is "whoami" with the sender's "ip:port"
    udp_agent.py capture --iface I --src IP --dst IP:PORT --count N [--seconds S]
                                        AF_PACKET: the payloads (hex) of the first N UDP
                                        datagrams from IP to IP:PORT seen on I, as one JSON list

Commands (a reply line each):
    {"op": "send", "to": "ip:port", "count": N, "interval": S, "data": "text"}   -> {"sent": N}
    {"op": "send", "to": "ip:port", "hex": ["..", ..], "interval": S}           -> {"sent": N}
    {"op": "recv", "seconds": S}      everything received so far and within S  -> {"got": [[from, text], ..]}
    {"op": "ask", "to": "ip:port", "seconds": S}   "whoami" to a reflector      -> {"mapped": "ip:port" | null}
    {"op": "flood", "to": "ip:port", "hex": [..], "rate": R, "seconds": S}      -> {"sent": N}
    {"op": "rebind", "port": P}       a fresh socket on P instead (a new mapping) -> {"bound": P}
"""
import argparse
import json
import queue
import socket
import struct
import sys
import threading
import time


def ep(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def serve(port, reflect):
    inbox = queue.Queue()

    def receive(s):
        while s.fileno() >= 0:
            try:
                data, addr = s.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return  # closed by a rebind
            text = data.decode(errors="replace")
            if reflect and text == "whoami":
                s.sendto(f"{addr[0]}:{addr[1]}".encode(), addr)
                continue
            inbox.put((time.monotonic(), f"{addr[0]}:{addr[1]}", text))

    def bind(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", port))
        s.settimeout(0.1)  # so that the receiving thread sees a rebind's close
        threading.Thread(target=receive, args=(s,), daemon=True).start()
        return s
    s = bind(port)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "send":
            to = ep(req["to"])
            payloads = ([bytes.fromhex(h) for h in req["hex"]] if "hex" in req
                        else [req.get("data", "x").encode()] * req.get("count", 1))
            for k, p in enumerate(payloads):
                if k:
                    time.sleep(req.get("interval", 0.0))
                s.sendto(p, to)
            reply = {"sent": len(payloads)}
        elif op == "flood":
            # The payloads in turn, at `rate` a second (best effort), for `seconds`.
            to, payloads = ep(req["to"]), [bytes.fromhex(h) for h in req["hex"]]
            rate, end, n = req["rate"], time.monotonic() + req["seconds"], 0
            t0 = time.monotonic()
            while time.monotonic() < end:
                s.sendto(payloads[n % len(payloads)], to)
                n += 1
                ahead = n / rate - (time.monotonic() - t0)
                if ahead > 0.001:
                    time.sleep(ahead)
            reply = {"sent": n}
        elif op == "rebind":
            s.close()
            s = bind(req["port"])
            while not inbox.empty():
                inbox.get_nowait()
            reply = {"bound": req["port"]}
        elif op == "recv":
            got, end = [], time.monotonic() + req.get("seconds", 0.0)
            while True:
                try:
                    _, frm, text = inbox.get(timeout=max(0.0, end - time.monotonic()))
                    got.append([frm, text])
                except queue.Empty:
                    break
            reply = {"got": got}
        elif op == "ask":
            to = ep(req["to"])
            s.sendto(b"whoami", to)
            mapped, end = None, time.monotonic() + req.get("seconds", 1.0)
            while mapped is None and time.monotonic() < end:
                try:
                    _, frm, text = inbox.get(timeout=max(0.0, end - time.monotonic()))
                except queue.Empty:
                    break
                if ep(frm) == to:
                    mapped = text
            reply = {"mapped": mapped}
        else:
            reply = {"error": f"unknown op {op}"}
        print(json.dumps(reply), flush=True)


def capture(iface, src, dst, count, seconds):
    dst_ip, dst_port = ep(dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))  # ETH_P_ALL
    s.bind((iface, 0))
    s.settimeout(0.2)
    want_src, want_dst = socket.inet_aton(src), socket.inet_aton(dst_ip)
    out, end = [], time.monotonic() + seconds
    while len(out) < count and time.monotonic() < end:
        try:
            frame = s.recv(65536)
        except socket.timeout:
            continue
        if len(frame) < 42 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or ip[12:16] != want_src or ip[16:20] != want_dst:
            continue
        sport, dport, length = struct.unpack("!HHH", ip[ihl:ihl + 6])
        if dport != dst_port:
            continue
        out.append(ip[ihl + 8:ihl + length].hex())
    print(json.dumps(out), flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "capture":
        ap = argparse.ArgumentParser()
        ap.add_argument("capture")
        ap.add_argument("--iface", required=True)
        ap.add_argument("--src", required=True)
        ap.add_argument("--dst", required=True)
        ap.add_argument("--count", type=int, default=50)
        ap.add_argument("--seconds", type=float, default=5.0)
        a = ap.parse_args()
        capture(a.iface, a.src, a.dst, a.count, a.seconds)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--reflect", action="store_true")
    a = ap.parse_args()
    serve(a.port, a.reflect)


if __name__ == "__main__":
    main()
