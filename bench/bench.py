#!/usr/bin/python3
"""meshcall benchmarks (issue 6): one participant's latency, join and recovery time, CPU, memory
and bytes on the wire in calls of N = 4, 7 and 15, beside the stock-ffmpeg way and the codec
floor, all in the same run. Run through scripts/bench, which installs and builds first.

Every phase starts its own processes, measures a fixed window and stops them; every wait has a
deadline; everything started is stopped on exit (SIGTERM, then SIGKILL), and dies with us.
Writes OUT/bench.json and OUT/bench.md (OUT = bench/out unless --out). See docs/benchmarks.md.
"""
import argparse
import base64
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import (Control, CpuWindow, FrameCounter, LineTimes, NetCut, ProbeReader, Procs,
                     die_with_parent, first_output, hist_delta, hist_summary, lat_summary_ms, log,
                     machine_busy_seconds, percentile, wait_exit, wait_until)
from report import missing_figures, report

ROOT = Path(__file__).resolve().parent.parent
IP_UDP_HEADER = 28          # bytes per datagram on the wire besides the UDP payload (IPv4)
SEAL_SHORT = 22             # what sealing adds to a datagram with a short header (6 + 16-byte tag)
SEAL_LONG = 32              # with a long one, which names the epoch (16 + 16)
SEAL_NAMED_PER_S = 4        # long headers per sender and receiver each second, after the epoch's first 3 s
PORT_SHIFT = 2000           # bench rooms = the example rooms on other ports (tests use those)
STOCK_PORT = 44000          # stock receivers listen on 127.0.0.1:STOCK_PORT+k
PAIR_PORT = 43380           # the 1 -> 1 room: sender, receiver, probe
CUT_SECONDS = 2.0
VIEWER_PORT = 43370         # the viewer room: the guest (a stock player) 43370, alice 43360, bob 43361

# The seed's documented command (README before issue 11): `ffplay -fflags nobuffer 'udp://…'`.
SEED_PLAYER_FLAGS = ["-fflags", "nobuffer"]

# ---------------------------------------------------------------- the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.out = Path(args.out).resolve()
        self.work = self.out / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        for f in self.work.glob("*.log"):
            f.unlink()
        self.procs = Procs(self.work)
        # Copies of the binaries: a rebuild during the run must not swap them under us.
        b, bins = Path(args.build).resolve(), self.work / "bin"
        bins.mkdir(exist_ok=True)
        for src in ("daemon/meshcalld", "client/meshcall", "bench/meshcall-bench-replay", "bench/meshcall-bench-probe",
                    "bench/meshcall-bench-send", "bench/meshcall-bench-seal"):
            shutil.copy2(b / src, bins)
        self.meshcalld = str(bins / "meshcalld")
        self.meshcall = str(bins / "meshcall")
        self.replay_bin = str(bins / "meshcall-bench-replay")
        self.probe_bin = str(bins / "meshcall-bench-probe")
        self.send_bin = str(bins / "meshcall-bench-send")
        self.seal_bin = str(bins / "meshcall-bench-seal")
        self.has_snapshot = "--snapshot" in subprocess.run([self.meshcalld, "--help"], capture_output=True,
                                                           text=True, timeout=10).stdout
        self.netcut = NetCut()
        self.xvfb_display = None  # set by run() when Xvfb is there (the window's figures)
        self.have_mpv = subprocess.run(["sh", "-c", "command -v mpv"], capture_output=True).returncode == 0
        # Windows (seconds). The issue asks for latency over at least 20 s.
        self.w_cpu = 4 if self.quick else 10
        self.w_lat = 5 if self.quick else 20
        self.w_agree = 5 if self.quick else 8
        self.file_s = 12 if self.quick else 30
        self.ns = args.n or ([15] if self.quick else [4, 7, 15])
        self.results = {"machine": machine(), "command": " ".join(["scripts/bench"] + sys.argv[1:]),
                        "quick": self.quick, "windows_s": {"cpu": self.w_cpu, "latency": self.w_lat},
                        "per_n": {}}
        self.rooms = {n: self.bench_room(n) for n in self.ns}
        self.results["netcut"] = self.netcut.available

    # -- set-up

    def bench_room(self, n):
        name = {4: "four", 7: "seven", 15: "fifteen"}.get(n)
        if name is None:
            raise SystemExit(f"--n: rooms exist for 4, 7 and 15 participants, not {n}")
        room = json.loads((ROOT / "rooms" / f"{name}.json").read_text())
        room["room"] = f"bench-{name}"
        for p in room["peers"]:
            p["port"] += PORT_SHIFT
        path = self.work / f"room-{n}.json"
        path.write_text(json.dumps(room, indent=1))
        return {"path": path, "doc": room, "peers": room["peers"]}

    @staticmethod
    def headless_layer(room):
        """The video layer a headless participant asks every sender for (issue 15) and its
        (width, height, fps, kbps): as config/video_layers.cpp and daemon/view/tile_layer.cpp
        choose it (the smallest whose picture is >= 90 % of the tile's drawn size in a 1280x720
        grid of everyone). The replayers send that layer, as real peers would."""
        v = room["doc"]["video"]
        w, h, fps, kbps = v["width"], v["height"], v["fps"], v["bitrate_kbps"]
        layers = [(w, h, fps, kbps)]
        for size_div, kbps_div, max_fps in ((2, 6, 60), (4, 15, 15))[: v.get("layers", 3) - 1]:
            lw, lh = max(2, (w // size_div) & ~1), max(2, (h // size_div) & ~1)
            if lw < 80 or lh < 60:
                break
            layers.insert(0, (lw, lh, min(fps, max_fps), max(30, kbps // kbps_div)))
        n = sum(1 for p in room["peers"] if p.get("role") != "viewer")
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        gap = 6
        tw, th = (1280 - gap * (cols + 1)) / cols, (720 - gap * (rows + 1)) / rows
        scale = min(tw / w, th / h)
        dw, dh = w * scale, h * scale
        for i, l in enumerate(layers):
            if l[0] >= 0.9 * dw and l[1] >= 0.9 * dh:
                return i, l
        return len(layers) - 1, layers[-1]

    def settings(self, room):
        v, a = room["doc"]["video"], room["doc"]["audio"]
        return v["width"], v["height"], v["fps"], v["bitrate_kbps"], a["bitrate_kbps"]

    def encoder_args(self, room):
        w, h, fps, vk, ak = self.settings(room)
        # What meshcalld's encoders do (daemon/send/encoders.cpp), with stock options.
        return ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-intra-refresh", "1",
                "-forced-idr", "1", "-g", str(fps), "-bf", "0", "-b:v", f"{vk}k", "-maxrate", f"{vk}k",
                "-bufsize", f"{vk // 2}k", "-x264-params", "repeat-headers=1", "-threads", "1",
                # Sound as AudioEncoder makes it (issue 15): 40 ms packets of a constant size, one
                # TS packet each (159 bytes: 31.8 kbit/s for 32).
                "-c:a", "libopus", "-b:a", f"{self.opus_bps(ak)}", "-vbr", "off", "-application", "voip",
                "-frame_duration", "40", "-fec", "1", "-packet_loss", "5", "-ac", "1", "-ar", "48000"]

    @staticmethod
    def opus_bps(kbps):
        """AudioEncoder::packet_bitrate: a 40 ms packet that fits whole TS packets, trimmed by at
        most 2 % to save one (daemon/send/encoders.cpp)."""
        size = kbps * 1000 * 40 // 8000

        def cap(packets):  # protocol/opus_ts.cpp, opus_ts_capacity
            room = packets * 184 - 8 - 14 - 2  # TS payload - PCR field - PES header - 0x7fe0
            m = room - 1
            while m > 0 and m // 255 + 1 + m > room:
                m -= 1
            return m
        n = 1
        while cap(n) < size:
            n += 1
        fit = cap(n - 1) if n > 1 and (size - cap(n - 1)) * 50 <= size else size
        return fit * 8000 // 40

    # What meshcalld's muxer does (daemon/send/ts_muxer.cpp).
    TS_OPTS = {"omit_video_pes_length": "0", "pes_payload_size": "0", "pat_period": "0.25", "sdt_period": "1"}

    def prepare(self):
        room = self.rooms[self.ns[-1]]
        out = subprocess.run([self.send_bin, "--room", str(room["path"]), "--as", room["peers"][0]["name"],
                              "--print-graphs"], capture_output=True, text=True, check=True).stdout
        g = dict(line.split(" ", 1) for line in out.splitlines())
        self.video_graph, self.audio_graph, self.burn = g["video"], g["audio"], g["burn"]
        if not self.video_graph.endswith(",realtime"):
            raise RuntimeError("meshcalld's test pattern graph no longer ends with realtime")
        self.video_graph_fast = self.video_graph[: -len(",realtime")]
        self.audio_graph_fast = self.audio_graph.replace(",arealtime", "")

        # The replayers' stream: a moving, detailed picture that fills the 1000 kbit/s.
        w, h, fps, vk, ak = self.settings(room)
        self.replay_file = self.work / "replay.ts"
        log(f"encoding {self.file_s} s of {w}x{h}@{fps} for the replayers")
        ts_opts = sum((["-" + k, v] for k, v in self.TS_OPTS.items()), [])
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={w}x{h}:r={fps}",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:samples_per_frame=960",
                    "-t", str(self.file_s), "-map", "0:v", "-map", "1:a", *self.encoder_args(room),
                    "-f", "mpegts", *ts_opts, "-metadata", "service_name=replay", "-y", str(self.replay_file)])
        v_es = sum(int(x) for x in ffprobe_sizes(self.replay_file, "v"))
        a_es = sum(int(x) for x in ffprobe_sizes(self.replay_file, "a"))
        self.replay_es_kbps = (v_es + a_es) * 8 / 1000 / self.file_s
        self.results["replay_stream"] = {
            "seconds": self.file_s, "video_es_kbps": v_es * 8 / 1000 / self.file_s,
            "audio_es_kbps": a_es * 8 / 1000 / self.file_s,
            "file_kbps": self.replay_file.stat().st_size * 8 / 1000 / self.file_s}
        # What meshcalld's peers send it (issue 15): the layer it asks for at each N. The stock
        # way and the floor keep the full stream.
        self.layer_replay = {}
        for n in self.ns:
            idx, (lw, lh, lfps, lk) = self.headless_layer(self.rooms[n])
            if (lw, lh) == (w, h):
                self.layer_replay[n] = (self.replay_file, self.replay_es_kbps, idx, (lw, lh, lfps, lk))
                continue
            f = self.work / f"replay-{lw}x{lh}.ts"
            if not f.exists():
                args = self.encoder_args(room)
                for flag, val in (("-b:v", f"{lk}k"), ("-maxrate", f"{lk}k"), ("-bufsize", f"{lk // 2}k"),
                                  ("-g", str(lfps))):
                    args[args.index(flag) + 1] = val
                run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={lw}x{lh}:r={lfps}",
                            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:samples_per_frame=960",
                            "-t", str(self.file_s), "-map", "0:v", "-map", "1:a", *args,
                            "-f", "mpegts", *ts_opts, "-metadata", "service_name=replay", "-y", str(f)])
            es = sum(int(x) for x in ffprobe_sizes(f, "v")) + sum(int(x) for x in ffprobe_sizes(f, "a"))
            self.layer_replay[n] = (f, es * 8 / 1000 / self.file_s, idx, (lw, lh, lfps, lk))

    # -- the floor

    def floor(self, n=None):
        """ffmpeg -benchmark, one thread: CPU seconds per second of media of the pure codec work,
        from the difference of a long and a short run (process start-up cancels out). Measured
        again right before each call size's meshcalld phase: ratios pair figures taken close
        together, as the machine's speed drifts. With `n`, also the N-1 streams decoded by one
        process in turn (one thread): what a lone decoder's figure leaves out (caches shared by
        N-1 decoders), for the closing note rather than the ratio."""
        room = self.rooms[self.ns[-1]]
        w, h, fps, vk, ak = self.settings(room)
        enc = self.encoder_args(room)
        venc, aenc = enc[: enc.index("-c:a")], enc[enc.index("-c:a"):]
        long_s, short_s = (10, 2) if self.quick else (20, 3)

        def per_second(make):
            cpu = {}
            for d in (short_s, long_s):
                cpu[d] = benchmark_cpu(make(d))
            return (cpu[long_s] - cpu[short_s]) / (long_s - short_s)

        raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}", "-r", str(fps), "-i", "-"]
        src = lambda d: ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", self.video_graph_fast, "-t", str(d),
                         "-f", "rawvideo", "-"]
        f = {}
        f["encode_video"] = per_second(lambda d: (src(d), ["-threads", "1", *raw, *venc, "-f", "null", "-"]))
        f["encode_audio"] = per_second(lambda d: (None, ["-f", "lavfi", "-i", self.audio_graph_fast, "-t", str(d),
                                                         *aenc, "-f", "null", "-"]))
        f["decode_video"] = per_second(lambda d: (None, ["-threads", "1", "-i", str(self.replay_file), "-t", str(d),
                                                         "-map", "0:v", "-f", "null", "-"]))
        f["decode_audio"] = per_second(lambda d: (None, ["-threads", "1", "-i", str(self.replay_file), "-t", str(d),
                                                         "-map", "0:a", "-f", "null", "-"]))
        # Not codec work, but inside meshcalld's figure: drawing its test pattern.
        f["test_pattern_source"] = per_second(lambda d: (None, ["-filter_threads", "1", "-f", "lavfi", "-i",
                                                                self.video_graph_fast, "-t", str(d), "-f", "null", "-"]))
        if n:
            streams = sum((["-threads", "1", "-i", str(self.replay_file)] for _ in range(n - 1)), [])
            maps = sum((["-map", f"{i}:v", "-map", f"{i}:a"] for i in range(n - 1)), [])
            long_s = min(long_s, 10)
            f["decode_interleaved_per_stream"] = per_second(
                lambda d: (None, [*streams, *maps, "-t", str(d), "-f", "null", "-"])) / (n - 1)
            f["cores_interleaved"] = (f["encode_video"] + f["encode_audio"]
                                      + (n - 1) * f["decode_interleaved_per_stream"])
        f["latency_ms"] = (f["encode_video"] + f["decode_video"]) / fps * 1000
        f["cores"] = {n: f["encode_video"] + f["encode_audio"] + (n - 1) * (f["decode_video"] + f["decode_audio"])
                      for n in self.ns}
        f["refresh_period_s"] = 1.0  # x264 keyint = fps with intra refresh: a clean picture within 1 s
        return f

    # -- meshcall pieces

    def start_meshcalld(self, room, idx, tag, video="test", audio="tone", extra=(), headless=True):
        name = room["peers"][idx]["name"]
        sock = self.work / f"{tag}-{name}.sock"
        if sock.exists():
            sock.unlink()
        p = self.procs.start(f"{tag}-meshcalld-{name}",
                             [self.meshcalld, "--room", str(room["path"]), "--as", name,
                              *(["--headless"] if headless else []),
                              "--video", video, "--audio", audio, "--control", str(sock),
                              "--profile", "/nonexistent", *extra])
        p.control_path = sock
        return p

    def start_replayers(self, room, indices, to, tag, file=None):
        reps = {}
        for k, i in enumerate(indices):
            peer = room["peers"][i]
            dest = to(k, peer)
            # Spread over the file and over the refresh period (1 s), so that the peers' refresh
            # waves are out of step, as in a real call.
            offset = k * (self.file_s + 1) / max(1, len(indices))
            reps[peer["name"]] = self.procs.start(
                f"{tag}-replay-{peer['name']}",
                [self.replay_bin, "--file", str(file or self.replay_file), "--from", f"{peer['host']}:{peer['port']}",
                 "--to", dest, "--offset", f"{offset:.3f}"],
                stdout=open(self.work / f"{tag}-replay-{peer['name']}.out", "w"))
        return reps

    def replay_rx(self, reps, tag):
        """Bytes and datagrams each replayer has received so far (what it was sent)."""
        files = {}
        for name, p in reps.items():
            f = self.work / f"{tag}-replay-{name}.out"
            files[name] = (f, f.read_text().count("\n"))
            os.kill(p.pid, signal.SIGUSR1)
        total_b = total_d = 0
        for name, (f, before) in files.items():
            lines = wait_until(f"replayer {name}'s counters", 2,
                               lambda: (lambda l: l if len(l) > before else None)(f.read_text().splitlines()))
            m = re.match(r"rx (\d+) (\d+)", lines[-1])
            total_b += int(m.group(1))
            total_d += int(m.group(2))
        return total_b, total_d

    def meshcall_call(self, n, snapshot=False, window=False):
        """CPU, memory, join, recovery and bytes of one meshcalld among N-1 replayers, which send
        it the video layer it asks for (with `snapshot`: CPU and memory only, while it also
        renders the grid to a PNG every second; with `window`: the same with its real window on
        Xvfb, 1280x720, SDL's software renderer)."""
        room = self.rooms[n]
        me = room["peers"][0]
        others = list(range(1, n))
        tag = f"m{n}" + ("snap" if snapshot else "") + ("win" if window else "")
        replay, replay_es_kbps, layer, spec = self.layer_replay[n]
        reps = self.start_replayers(room, others, lambda k, p: f"{me['host']}:{me['port']}", tag, replay)
        time.sleep(0.5)
        t0 = time.monotonic()
        png = self.work / f"{tag}-grid.png"
        env_before = dict(os.environ)
        if window:
            os.environ.update({"DISPLAY": self.xvfb_display, "SDL_RENDER_DRIVER": "software",
                               "SDL_AUDIODRIVER": "dummy"})
        try:
            d = self.start_meshcalld(room, 0, tag, extra=["--snapshot", str(png), "--snapshot-every", "1"]
                                     if snapshot else [], headless=not window)
        finally:
            os.environ.clear()
            os.environ.update(env_before)
        ctl = Control(d.control_path)
        names = [room["peers"][i]["name"] for i in others]
        first = {}

        def all_joined():
            for name, p in ctl.peers().items():
                if name not in first and p["video_frames"] > 0:
                    first[name] = time.monotonic() - t0
            return len(first) == len(names)

        wait_until(f"first pictures of all {n - 1} peers", 20, all_joined)
        r = {"join_s": {"max": max(first.values()) if len(first) == len(names) else None,
                        "median": statistics.median(first.values()) if first else None,
                        "peers_joined": len(first), "per_peer": first}}
        time.sleep(2)
        r["layer"] = {"index": layer, "width": spec[0], "height": spec[1], "fps": spec[2], "kbps": spec[3]}
        if snapshot or window:
            win = CpuWindow([d])
            time.sleep(self.w_cpu)
            r.update(win.end())
            if snapshot:
                r["png_written"] = png.exists() and time.time() - png.stat().st_mtime < 3
            ctl.close()
            return r

        s0, rx0 = ctl.peers(), self.replay_rx(reps, tag)
        win = CpuWindow([d])
        t_start = time.monotonic()
        tx = []
        while time.monotonic() - t_start < self.w_cpu:
            time.sleep(1)
            tx.append(ctl.status()["self"]["tx_kbps"])
        cpu = win.end()
        s1, rx1 = ctl.peers(), self.replay_rx(reps, tag)
        secs = cpu["seconds"]
        delta = lambda key: sum(s1[x][key] - s0[x][key] for x in names)
        payload_kbps = delta("bytes") * 8 / 1000 / secs / len(names)
        wire_kbps = (delta("bytes") + IP_UDP_HEADER * delta("datagrams")) * 8 / 1000 / secs / len(names)
        w, h, fps, vk, ak = self.settings(room)
        up_b, up_d = rx1[0] - rx0[0], rx1[1] - rx0[1]
        r.update(cpu)
        r["wire"] = {
            "rx_payload_kbps_per_peer": payload_kbps, "rx_wire_kbps_per_peer": wire_kbps,
            "configured_kbps": vk + ak, "codec_payload_kbps": replay_es_kbps,
            "overhead_vs_codec_pct": (wire_kbps / replay_es_kbps - 1) * 100,
            # Issue 15: what one participant downloads from its N-1 peers, and what it uploads.
            "download_wire_kbps": wire_kbps * len(names),
            "overhead_vs_configured_pct": (wire_kbps / (vk + ak) - 1) * 100,
            "tx_kbps_per_peer": statistics.mean(tx) if tx else None,
            "upload_wire_kbps": (up_b + IP_UDP_HEADER * up_d) * 8 / 1000 / secs,
            "upload_payload_kbps": up_b * 8 / 1000 / secs,
            # Counts for the encryption cost model (issue 13): what meshcalld received from its
            # N-1 peers and what it sent them (each datagram once per peer; one seal serves all).
            "rx_datagrams_per_s": delta("datagrams") / secs, "rx_payload_bytes_per_s": delta("bytes") / secs,
            "upload_datagrams_per_s": up_d / secs, "upload_payload_bytes_per_s": up_b / secs,
            "tx_unique_datagrams_per_s": up_d / secs / len(names),
            "tx_unique_payload_bytes_per_s": up_b / secs / len(names),
        }
        r["health"] = {k: delta(k) for k in ("lost_packets", "decode_errors", "queue_drops", "bad_datagrams")}
        r["health"]["video_fps_min"] = min(s1[x]["video_fps"] for x in names)
        # Loss on loopback, or a peer far below its frame rate: the machine stalled (another
        # job took the cores); the window's figures are not the participant's own.
        r["disturbed"] = r["health"]["lost_packets"] > 0 or r["health"]["video_fps_min"] < 0.8 * fps

        # Recovery: the network drops the first peer's datagrams for 2 s; time from the end of
        # the cut to its next decoded picture (meshcalld shows only clean ones).
        p1 = room["peers"][1]
        if self.netcut.start(f"ip saddr {p1['host']} udp sport {p1['port']} "
                             f"ip daddr {me['host']} udp dport {me['port']}"):
            time.sleep(CUT_SECONDS)
            before = ctl.peers()[names[0]]["video_frames"]
            self.netcut.clear()
            t_end = time.monotonic()
            back = wait_until("a picture after the cut", 10, lambda: time.monotonic() if
                              ctl.peers()[names[0]]["video_frames"] > before else None)
            r["recovery_s"] = back - t_end if back else None
        ctl.close()
        return r

    def meshcall_latency(self, room, n_real, tag, window):
        """meshcalld under test (peer 0) with n_real real meshcalld senders and replayers for the
        rest; capture-to-decode latency of the real senders' pictures, from the daemon's histogram."""
        me = room["peers"][0]
        n = len(room["peers"])
        d = self.start_meshcalld(room, 0, tag)
        for i in range(1, 1 + n_real):
            self.start_meshcalld(room, i, tag)
        self.start_replayers(room, list(range(1 + n_real, n)), lambda k, p: f"{me['host']}:{me['port']}", tag)
        ctl = Control(d.control_path)
        real = [room["peers"][i]["name"] for i in range(1, 1 + n_real)]
        wait_until("pictures from the real senders", 15,
                   lambda: all(p["video_frames"] > 0 for x, p in ctl.peers().items() if x in real))
        time.sleep(1)
        h0 = ctl.peers(histogram=True)
        time.sleep(window)
        h1 = ctl.peers(histogram=True)
        deltas = [hist_delta(h0[x]["latency_histogram_ms"], h1[x]["latency_histogram_ms"]) for x in real]
        ctl.close()
        return {**hist_summary([sum(col) for col in zip(*deltas)]), "senders": n_real,
                "method": "in-band SEI capture stamp, 1 ms histogram (bucket middles)"}

    def pair_room(self):
        doc = {"room": "bench-pair", "video": self.rooms[self.ns[-1]]["doc"]["video"],
               "audio": self.rooms[self.ns[-1]]["doc"]["audio"],
               "peers": [{"name": x, "host": "127.0.0.1", "port": PAIR_PORT + i}
                         for i, x in enumerate(["alice", "bob", "carol"])]}
        path = self.work / "room-pair.json"
        path.write_text(json.dumps(doc, indent=1))
        return {"path": path, "doc": doc, "peers": doc["peers"]}

    def meshcall_pair(self):
        """1 -> 1: a real meshcalld sender and receiver (plus a probe as a third peer, which counts
        the sender's bytes on the wire against its codec payload)."""
        room = self.pair_room()
        alice, _, carol = room["peers"]
        probe_out = self.work / "pair-probe.out"
        probe = self.procs.start("pair-probe", [self.probe_bin, "--udp", f"{carol['host']}:{carol['port']}",
                                                "--from", f"{alice['host']}:{alice['port']}",
                                                "--seconds", str(self.w_lat)], stdout=open(probe_out, "w"))
        recv = self.start_meshcalld(room, 1, "pair")
        self.start_meshcalld(room, 0, "pair")
        ctl = Control(recv.control_path)
        wait_until("alice's first picture", 10, lambda: ctl.peers()["alice"]["video_frames"] > 0)
        time.sleep(1)
        h0 = ctl.peers(histogram=True)["alice"]["latency_histogram_ms"]
        time.sleep(self.w_lat)
        h1 = ctl.peers(histogram=True)["alice"]["latency_histogram_ms"]
        lat = hist_summary(hist_delta(h0, h1))
        ctl.close()
        wait_exit(probe, 15)
        wire = None
        m = re.search(r"summary seconds=([\d.]+) datagrams=(\d+) bytes=(\d+) video_es=(\d+) audio_es=(\d+)",
                      probe_out.read_text())
        if m:
            secs, dg, by, ves, aes = float(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5])
            wire_kbps = (by + IP_UDP_HEADER * dg) * 8 / 1000 / secs
            es_kbps = (ves + aes) * 8 / 1000 / secs
            wire = {"wire_kbps": wire_kbps, "payload_kbps": by * 8 / 1000 / secs, "codec_payload_kbps": es_kbps,
                    "overhead_vs_codec_pct": (wire_kbps / es_kbps - 1) * 100, "datagrams_per_s": dg / secs}
        return lat, wire

    # -- encryption's cost (issue 13)

    def seal_cost(self):
        """CPU µs to seal and to open one datagram of 1, 4 and 7 TS packets (meshcall-bench-seal)."""
        out = subprocess.run([self.seal_bin, "100000" if self.quick else "300000"], capture_output=True, text=True,
                             check=True, timeout=60).stdout
        return json.loads(out)

    @staticmethod
    def per_datagram_line(us):
        """µs = a + b × payload bytes, least squares through the 188/752/1316-byte figures: the
        cost of a size mix is then a × datagrams + b × bytes, whatever the mix."""
        xs = [int(k) for k in us]
        ys = [us[k] for k in us]
        mx, my = statistics.mean(xs), statistics.mean(ys)
        b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        return my - b * mx, b

    def encryption_model(self, n, seal):
        """Encryption's added CPU and wire bytes at N, from what meshcalld sent and received in the
        N-phase (plain room) and the measured per-datagram seal/open cost."""
        m = self.results["per_n"][n].get("meshcall") or {}
        w = m.get("wire") or {}
        if m.get("cores") is None or w.get("rx_datagrams_per_s") is None:
            raise RuntimeError(f"the N={n} phase left no CPU or datagram figures")
        sa, sb = self.per_datagram_line(seal["seal_us"])
        oa, ob = self.per_datagram_line(seal["open_us"])
        seals = w["tx_unique_datagrams_per_s"]  # "room": one ciphertext serves every peer
        opens = w["rx_datagrams_per_s"]
        seal_cores = (sa * seals + sb * w["tx_unique_payload_bytes_per_s"]) / 1e6
        open_cores = (oa * opens + ob * w["rx_payload_bytes_per_s"]) / 1e6
        up_dg, rx_dg = w["upload_datagrams_per_s"], opens
        wire_up = w["upload_payload_bytes_per_s"] + IP_UDP_HEADER * up_dg
        wire_rx = w["rx_payload_bytes_per_s"] + IP_UDP_HEADER * rx_dg
        # Each sender names its epoch (a long header) 4 times a second to every receiver; the rest
        # are short.
        fanout = up_dg / max(seals, 1e-9)
        named_tx = min(up_dg, SEAL_NAMED_PER_S * fanout)
        named_rx = min(rx_dg, SEAL_NAMED_PER_S * (n - 1))
        added_tx = SEAL_SHORT * up_dg + (SEAL_LONG - SEAL_SHORT) * named_tx
        added_rx = SEAL_SHORT * rx_dg + (SEAL_LONG - SEAL_SHORT) * named_rx
        return {
            "meshcalld_cores": m["cores"], "seals_per_s": seals, "opens_per_s": opens,
            "seal_cores": seal_cores, "open_cores": open_cores,
            "added_cpu_pct": (seal_cores + open_cores) / m["cores"] * 100,
            "mean_tx_datagram_bytes": w["tx_unique_payload_bytes_per_s"] / max(seals, 1e-9),
            "mean_rx_datagram_bytes": w["rx_payload_bytes_per_s"] / max(opens, 1e-9),
            "added_wire_pct": (added_tx + added_rx) / (wire_up + wire_rx) * 100,
            "added_wire_tx_pct": added_tx / wire_up * 100,
            "added_wire_rx_pct": added_rx / wire_rx * 100,
            "disturbed": m.get("disturbed"),
        }

    def secure_pair_room(self, security):
        doc = {"room": f"bench-sec-{security}", "video": self.rooms[self.ns[-1]]["doc"]["video"],
               "audio": self.rooms[self.ns[-1]]["doc"]["audio"], "security": security,
               "peers": [{"name": x, "host": "127.0.0.1", "port": PAIR_PORT + 10 + i}
                         for i, x in enumerate(["alice", "bob"])]}
        if security == "room":
            doc["secret"] = base64.b64encode(os.urandom(32)).decode()
        path = self.work / f"room-sec-{security}.json"
        path.write_text(json.dumps(doc, indent=1))
        path.chmod(0o600)
        return {"path": path, "doc": doc, "peers": doc["peers"]}

    def encryption_pair(self, security):
        """1 -> 1, two real meshcalld (same settings, same window): alice's CPU and what she sends."""
        room = self.secure_pair_room(security)
        tag = f"enc{security}"
        bob = self.start_meshcalld(room, 1, tag)
        alice = self.start_meshcalld(room, 0, tag)
        cb, ca = Control(bob.control_path), Control(alice.control_path)
        wait_until("bob's first picture of alice", 10, lambda: cb.peers()["alice"]["video_frames"] > 0)
        if not cb.peers()["alice"]["video_frames"]:
            raise RuntimeError(f"bob saw no picture of alice in a '{security}' room")
        time.sleep(1)
        p0, t0 = cb.peers()["alice"], ca.status()["self"]["tx_datagrams"]
        win = CpuWindow([alice])
        tx = []
        while time.monotonic() - win.t0 < self.w_cpu:
            time.sleep(1)
            tx.append(ca.status()["self"]["tx_kbps"])
        cpu = win.end()
        p1, t1 = cb.peers()["alice"], ca.status()["self"]["tx_datagrams"]
        secs = cpu["seconds"]
        dg, by = p1["datagrams"] - p0["datagrams"], p1["bytes"] - p0["bytes"]
        cb.close()
        ca.close()
        return {"cores": cpu["cores"], "machine_busy_cores": cpu["machine_busy_cores"], "seconds": secs,
                "tx_kbps": statistics.mean(tx) if tx else None, "tx_datagrams_per_s": (t1 - t0) / secs,
                "bob_rx_datagrams_per_s": dg / secs, "bob_rx_bytes_per_s": by / secs,
                "bob_rx_wire_kbps": (by + IP_UDP_HEADER * dg) * 8 / 1000 / secs,
                "auth_failed": p1.get("auth_failed"), "lost_packets": p1["lost_packets"] - p0["lost_packets"]}

    def encryption(self):
        seal = self.seal_cost()
        r = {"seal": seal, "per_n": {}, "errors": []}
        for n in self.ns:
            try:
                r["per_n"][n] = self.encryption_model(n, seal)
            except Exception as e:  # noqa: BLE001 -- recorded; the other N go on
                r["errors"].append(f"N={n}: {e}")
        # none, room, room, none: each level runs once first and once second (the machine's load
        # drifts); each figure is the mean of its two runs.
        runs = {"none": [], "room": []}
        for security in ("none", "room", "room", "none"):
            runs[security].append(self.encryption_pair(security))
            self.procs.stop()

        def mean_of(rs):
            out = dict(rs[0])
            for k, v in rs[0].items():
                if isinstance(v, (int, float)) and all(isinstance(x.get(k), (int, float)) for x in rs):
                    out[k] = statistics.mean(x[k] for x in rs)
            out["runs"] = rs
            return out

        none, room = mean_of(runs["none"]), mean_of(runs["room"])
        ratio = lambda k: room[k] / none[k] if none.get(k) and room.get(k) is not None else None
        r["pair"] = {"none": none, "room": room, "cpu_ratio": ratio("cores"), "tx_kbps_ratio": ratio("tx_kbps"),
                     "rx_wire_ratio": ratio("bob_rx_wire_kbps")}
        return r

    def agreement(self):
        """The same frames measured both ways: meshcall's send path with the pixel code burnt into
        its test pattern -> a real meshcalld (SEI stamp) and a probe that decodes the way meshcalld
        does and reads both the pixel code and the SEI stamp of every frame."""
        room = self.pair_room()
        alice, _, carol = room["peers"]
        probe_out = self.work / "agree-probe.out"
        probe = self.procs.start("agree-probe", [self.probe_bin, "--udp", f"{carol['host']}:{carol['port']}",
                                                 "--from", f"{alice['host']}:{alice['port']}",
                                                 "--seconds", str(self.w_agree + 1)], stdout=open(probe_out, "w"))
        recv = self.start_meshcalld(room, 1, "agree", video="none", audio="none")
        self.procs.start("agree-send", [self.send_bin, "--room", str(room["path"]), "--as", "alice"])
        ctl = Control(recv.control_path)
        wait_until("the coded sender's first picture", 10, lambda: ctl.peers()["alice"]["video_frames"] > 0)
        h0 = ctl.peers(histogram=True)["alice"]["latency_histogram_ms"]
        time.sleep(self.w_agree)
        h1 = ctl.peers(histogram=True)["alice"]["latency_histogram_ms"]
        meshcalld_hist = hist_delta(h0, h1)
        ctl.close()
        wait_exit(probe, 15)
        pix, stamp, diff, unread = [], [], [], 0
        for line in probe_out.read_text().splitlines():
            f = line.split()
            if len(f) != 3 or not f[0].isdigit():
                continue
            if f[1] == "-":
                unread += 1
                continue
            pix.append(int(f[1]))
            if f[2] != "-":
                stamp.append(int(f[2]))
                diff.append(int(f[2]) - int(f[1]))
        return {
            "probe_pixel_ms": lat_summary_ms(pix), "probe_stamp_ms": lat_summary_ms(stamp),
            "stamp_minus_pixel_ms": {"p50": percentile(diff, 0.5) / 1000 if diff else None,
                                     "min": min(diff) / 1000 if diff else None,
                                     "max": max(diff) / 1000 if diff else None},
            "meshcalld_stamp_ms": hist_summary(meshcalld_hist),
            "unreadable_frames": unread,
        }

    # -- the stock way

    def stock_sender(self, room, outputs, tag, coded=False):
        opts = ":".join(f"{k}={v}" for k, v in self.TS_OPTS.items())
        tee = "|".join(f"[f=mpegts:onfail=ignore:{opts}]udp://{o}?pkt_size=1316" for o in outputs)
        # One lavfi input with both sources, as meshcalld's test source. The pixel code is
        # burnt in after the input (-vf), where meshcalld takes its capture stamp: inside the
        # input's graph a picture would then still wait for the next audio block.
        return self.procs.start(f"{tag}-stock-send", [
            "ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-f", "lavfi",
            "-i", f"{self.video_graph}[out0];{self.audio_graph}[out1]", "-map", "0:v", "-map", "0:a",
            *(["-vf", self.burn] if coded else []), *self.encoder_args(room), "-f", "tee", tee])

    @staticmethod
    def stock_input(k):
        return f"udp://127.0.0.1:{STOCK_PORT + k}?localaddr=127.0.0.1&timeout=10000000"

    def stock_receiver(self, k, tag, extra_out=None, stdout=None):
        out = extra_out or ["-f", "null", "-"]
        return self.procs.start(f"{tag}-stock-recv{k}", [
            "ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-fflags", "nobuffer",
            "-flags", "low_delay", "-i", self.stock_input(k), *out], stdout=stdout)

    def mpv_receiver(self, k, tag):
        return self.procs.start(f"{tag}-mpv-recv{k}", [
            "mpv", "--no-config", "--profile=low-latency", "--vo=null", "--ao=null", "--really-quiet",
            "--idle=no", self.stock_input(k)])

    def stock_call(self, n, player="ffmpeg"):
        """The stock way for one participant: one ffmpeg encoding once, tee to N-1 udp outputs,
        plus N-1 receivers; fed by the same replayers as meshcalld (each to its own receiver)."""
        room = self.rooms[n]
        tag = f"s{n}" if player == "ffmpeg" else f"v{n}"
        others = list(range(1, n))
        reps = self.start_replayers(room, others, lambda k, p: f"127.0.0.1:{STOCK_PORT + k + 1}", tag)
        time.sleep(0.5)
        progress = self.work / f"{tag}-recv1.progress"
        if progress.exists():
            progress.unlink()
        recvs = []
        for k in range(1, n):
            if player == "mpv":
                recvs.append(self.mpv_receiver(k, tag))
            elif k == 1:  # the one whose pictures are counted, to know when decoding started
                recvs.append(self.stock_receiver(k, tag, ["-progress", str(progress), "-stats_period", "0.1",
                                                          "-f", "null", "-"]))
            else:
                recvs.append(self.stock_receiver(k, tag))
        sender = self.stock_sender(room, [f"{p['host']}:{p['port']}" for p in room["peers"][1:]], tag)
        r = {}
        counter = FrameCounter(progress)
        if player == "ffmpeg":  # decoding has started (after ffmpeg's probing)
            wait_until("the first stock receiver's first picture", 25, lambda: counter.frames() > 0)
            time.sleep(2)
        else:
            time.sleep(8)  # mpv probes about as long as ffmpeg (5 s), then decodes
        if any(p.poll() is not None for p in recvs + [sender]):
            raise RuntimeError(f"a stock {player} process ended early (logs in {self.work})")
        s_win, r_win = CpuWindow([sender]), CpuWindow(recvs)
        rx0 = self.replay_rx(reps, tag)
        time.sleep(self.w_cpu)
        r["sender"], r["receivers"] = s_win.end(), r_win.end()
        rx1 = self.replay_rx(reps, tag)
        r["cores"] = r["sender"]["cores"] + r["receivers"]["cores"]
        r["rss_mb"] = r["sender"]["rss_mb"] + r["receivers"]["rss_mb"]
        r["pss_mb"] = r["sender"]["pss_mb"] + r["receivers"]["pss_mb"]
        secs = r["receivers"]["seconds"]
        r["upload_wire_kbps"] = ((rx1[0] - rx0[0]) + IP_UDP_HEADER * (rx1[1] - rx0[1])) * 8 / 1000 / secs
        return r

    def stock_latency(self, room, n_receivers, tag, window):
        """The stock way measured by the pixel code: a coded tee sender and n-1 receivers that
        decode to null are running; then the measured receiver joins (its raw pictures, -threads 1,
        go to the probe). Join: to its first clean picture (a code that reads). Latency over the
        window. Recovery: the network drops its datagrams for 2 s; to the first clean picture after."""
        probe_out = self.work / f"{tag}-probe.out"
        w, h, fps, vk, ak = self.settings(room)
        for k in range(2, n_receivers + 1):
            self.stock_receiver(k, tag)
        self.stock_sender(room, [f"127.0.0.1:{STOCK_PORT + k}" for k in range(1, n_receivers + 1)], tag, coded=True)
        time.sleep(1.5)
        t0_wall = time.time()
        r1 = self.stock_receiver(1, tag, ["-map", "0:v", "-c:v", "rawvideo", "-threads", "1", "-pix_fmt", "yuv420p",
                                          "-f", "rawvideo", "-"], stdout=subprocess.PIPE)
        self.procs.start(f"{tag}-probe", [self.probe_bin, "--raw", f"{w}x{h}"], stdin=r1.stdout,
                         stdout=open(probe_out, "w"))
        r1.stdout.close()
        reader = ProbeReader(probe_out)
        out = {}
        first = wait_until("the stock receiver's first clean picture", 30, lambda: reader.first_clean(t0_wall))
        out["join_s"] = first - t0_wall if first else None
        time.sleep(1)
        t_from = time.time()
        time.sleep(window if first else 0)
        lat, unread = reader.window(t_from, time.time())
        out.update(lat_summary_ms(lat))
        out["unreadable_frames"] = unread
        if first and self.netcut.start(f"ip daddr 127.0.0.1 udp dport {STOCK_PORT + 1}"):
            time.sleep(CUT_SECONDS)
            self.netcut.clear()
            t_end_wall = time.time()
            back = wait_until("a clean stock picture after the cut", 15, lambda: reader.first_clean(t_end_wall))
            out["recovery_s"] = back - t_end_wall if back else None
        out["method"] = "pixel code, ffmpeg receiver -> rawvideo pipe (-threads 1) -> probe"
        return out

    # -- a stock player joining as a viewer

    def viewer_room(self):
        """alice and bob (meshcalld) and a viewer entry: it receives peers[k] at port + k (alice
        at VIEWER_PORT + 0)."""
        doc = {"room": "bench-viewer", "video": self.rooms[self.ns[-1]]["doc"]["video"],
               "audio": self.rooms[self.ns[-1]]["doc"]["audio"],
               "peers": [{"name": "alice", "host": "127.0.0.1", "port": VIEWER_PORT - 10},
                         {"name": "bob", "host": "127.0.0.1", "port": VIEWER_PORT - 9},
                         {"name": "guest", "host": "127.0.0.1", "port": VIEWER_PORT, "role": "viewer"}]}
        path = self.work / "room-viewer.json"
        path.write_text(json.dumps(doc, indent=1))
        return {"path": path, "doc": doc, "peers": doc["peers"]}

    def invite_player_flags(self, room):
        """The input options of the guest's ffplay command for alice, as `meshcall invite --json`
        prints it (ffplay's own options left out: ffmpeg stands in for the player)."""
        out = subprocess.run([self.meshcall, "invite", str(room["path"]), "--as", "guest", "--json"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
        argv = next(c["argv"] for c in json.loads(out)["commands"]
                    if c["what"] == "ffplay" and c.get("peer") == "alice")
        flags, it = [], iter(argv[2:-1])  # after "ffplay -hide_banner", before the URL
        for a in it:
            if a in ("-sync", "-window_title"):
                next(it)
            elif a != "-framedrop":
                flags.append(a)
        return flags

    def player_join(self, flags, tag, i, deadline_s=25.0):
        """One stock player (ffmpeg with the player's input options, writing raw pictures to a
        pipe) starts watching alice: seconds from its start to the end of its probing (the input
        dump, printed once avformat_find_stream_info returns) and to its first decoded picture."""
        port = VIEWER_PORT
        url = f"udp://127.0.0.1:{port}?localaddr=127.0.0.1&timeout=10000000"
        t0 = time.monotonic()
        p = self.procs.start(f"{tag}-{i}", ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "info", *flags,
                                            "-i", url, "-map", "0:v:0?", "-c:v", "rawvideo", "-threads", "1",
                                            "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines = LineTimes(p.stderr, self.work / f"{tag}-{i}.log", ["Input #0"])
        t = first_output(p, deadline_s)
        p.stdout.close()  # first: a player blocked writing to a full pipe then ends at once
        self.procs.stop([p])
        lines.join()
        text = (self.work / f"{tag}-{i}.log").read_text(errors="replace")
        t_probe = lines.times.get("Input #0")
        return {"first_s": None if t is None else t - t0,
                "probed_s": None if t_probe is None else t_probe - t0,
                "after_probe_s": None if t is None or t_probe is None else t - t_probe,
                "audio_found": "Audio: opus" in text,
                "size_unknown_after_probe": "unspecified size" in text,
                "decode_errors": text.count("Error while decoding")}

    def stock_first_picture(self):
        """A call runs (alice and bob, real meshcalld); a stock player joins it as the viewer,
        at a random phase of the 1 s refresh cycle, again and again: its first picture with the
        options `meshcall invite` prints and with the seed's, joins interleaved so that both see
        the same machine. Between joins the viewer's port is closed, so meshcalld backs it off
        (ICMP port unreachable) and resumes, with an IDR, once the player's port is open
        (invite, seed). With ICMP dropped (no_icmp: a network that says nothing), meshcalld
        streams to the viewer all along and the player joins mid-stream."""
        room = self.viewer_room()
        for i in (0, 1):
            self.start_meshcalld(room, i, "viewer")
        time.sleep(2.0)
        invite = self.invite_player_flags(room)
        no_icmp_runs = 0 if self.quick or not self.netcut.available else 5
        runs = {"invite": (invite, 3 if self.quick else 7),
                "seed": (SEED_PLAYER_FLAGS, 1 if self.quick else 5),
                "invite_no_icmp": (invite, no_icmp_runs)}
        joins = {k: [] for k in runs}
        rng = random.Random(11)
        for i in range(max(n for _, n in runs.values())):
            for key, (flags, n) in runs.items():
                if i >= n:
                    continue
                silent_net = key == "invite_no_icmp"
                if silent_net:
                    self.netcut.start("meta l4proto icmp")
                time.sleep(1.5)  # backed off (ICMP), or, with ICMP dropped, streaming again
                time.sleep(rng.random())  # a random phase of the refresh cycle
                joins[key].append(self.player_join(flags, f"viewer-{key}", i))
                self.netcut.clear()
        out = {}
        for key, (flags, _) in runs.items():
            if not joins[key]:
                continue
            j = joins[key]
            firsts = [x["first_s"] for x in j if x["first_s"] is not None]
            med = lambda k: (lambda v: statistics.median(v) if v else None)([x[k] for x in j if x[k] is not None])
            out[key] = {"flags": flags, "joins": j, "median_s": statistics.median(firsts) if firsts else None,
                        "max_s": max(firsts) if len(firsts) == len(j) else None,
                        "probed_median_s": med("probed_s"), "after_probe_median_s": med("after_probe_s"),
                        "failed": len(j) - len(firsts), "audio_missing": sum(1 for x in j if not x["audio_found"])}
        out["method"] = ("ffmpeg with the player's input options -> rawvideo pipe; from the process's start to "
                         "its first picture (ffmpeg's H.264 decoder outputs nothing before the recovery point)")
        return out

    # -- the whole run

    def phase(self, what, fn, *args, **kw):
        """Runs one phase; a failure is recorded (and fails the run) but the other phases go on."""
        log(what)
        t0, m0 = time.monotonic(), machine_busy_seconds()
        try:
            return fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 -- any failure of a phase is the harness's to report
            self.results.setdefault("errors", []).append(f"{what}: {type(e).__name__}: {e}")
            log(f"  ! {what}: {type(e).__name__}: {e}")
            return None
        finally:
            self.procs.stop()
            self.results.setdefault("machine_busy_cores", {})[what] = \
                (machine_busy_seconds() - m0) / max(1e-3, time.monotonic() - t0)

    def start_xvfb(self):
        """A virtual X display for the window figures (issue 15), or None without Xvfb."""
        if not shutil.which("Xvfb"):
            return None
        display = ":57"
        self.procs.start("xvfb", ["Xvfb", display, "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
        sock = f"/tmp/.X11-unix/X{display[1:]}"
        return display if wait_until("Xvfb's socket", 5, lambda: os.path.exists(sock) or None) else None

    def run(self):
        t_begin = time.monotonic()
        self.prepare()
        self.xvfb_display = self.start_xvfb()
        self.results["floor"] = self.phase("floor: encode and decode, single-threaded", self.floor) or {}
        lat1, wire1 = self.phase("1 -> 1: meshcalld -> meshcalld", self.meshcall_pair) or ({}, None)
        pair = self.results["pair"] = {"meshcall_latency_ms": lat1, "meshcall_own_stream_wire": wire1}
        self.results["agreement"] = self.phase("agreement: pixel code vs meshcall's capture stamp", self.agreement)
        if not self.quick:
            pair["stock_latency_ms"] = self.phase("1 -> 1: stock ffmpeg -> ffmpeg", self.stock_latency,
                                                  self.pair_room(), 1, "spair", self.w_lat)
        for n in self.ns:
            r = self.results["per_n"][n] = {}
            r["floor"] = self.phase(f"N={n}: floor", self.floor, n) or {}
            r["meshcall"] = self.phase(f"N={n}: meshcalld among {n - 1} replayers", self.meshcall_call, n) or {}
            r["meshcall"]["latency_ms"] = self.phase(f"N={n}: latency in the call (2 real meshcalld senders)",
                                                     self.meshcall_latency, self.rooms[n], 2, f"l{n}", self.w_lat)
            if self.xvfb_display:
                r["meshcall_window"] = self.phase(
                    f"N={n}: meshcalld among {n - 1} replayers, with its window (Xvfb 1280x720, software renderer)",
                    self.meshcall_call, n, window=True)
            if self.has_snapshot:
                r["meshcall_snapshot"] = self.phase(
                    f"N={n}: meshcalld among {n - 1} replayers, rendering the grid to a PNG every second",
                    self.meshcall_call, n, snapshot=True)
            r["stock_ffmpeg"] = self.phase(f"N={n}: stock ffmpeg (tee + {n - 1} ffmpeg receivers)",
                                           self.stock_call, n, "ffmpeg") or {}
            r["stock_ffmpeg"]["latency_ms"] = self.phase(
                f"N={n}: stock latency (tee + {n - 1} ffmpeg receivers, pixel code)",
                self.stock_latency, self.rooms[n], n - 1, f"sl{n}", self.w_lat)
            if self.have_mpv and not self.quick:
                r["stock_mpv"] = self.phase(f"N={n}: stock mpv (tee + {n - 1} mpv receivers)",
                                            self.stock_call, n, "mpv")
        self.results["encryption"] = self.phase("encryption cost: `room` beside `none` (model per N, and a real 1 -> 1)",
                                                self.encryption)
        self.results["stock_player"] = self.phase("stock player's first picture, joining a running call as a viewer",
                                                  self.stock_first_picture)
        self.results["elapsed_s"] = time.monotonic() - t_begin


def run_ffmpeg(args):
    subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", *args], check=True, timeout=120)


def ffprobe_sizes(path, stream):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "packet=size",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    return [x.strip(",") for x in out.split() if x.strip(",").isdigit()]


def benchmark_cpu(cmds):
    """CPU seconds (utime + stime) that ffmpeg -benchmark reports for the last command of a pipe."""
    src, args = cmds
    feeder = subprocess.Popen(src, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              preexec_fn=die_with_parent) if src else None
    try:
        p = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-benchmark", *args],
                           stdin=feeder.stdout if feeder else subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=120)
    finally:
        if feeder:
            feeder.stdout.close()
            feeder.kill()
            feeder.wait()
    m = re.search(r"bench: utime=([\d.]+)s stime=([\d.]+)s", p.stderr)
    if not m:
        raise RuntimeError("ffmpeg -benchmark printed no times: " + p.stderr[-500:])
    return float(m.group(1)) + float(m.group(2))


def machine():
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    version = lambda cmd: (subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines() or ["?"])[0]
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "os": (Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"),
            "ffmpeg": version(["ffmpeg", "-version"]),
            "mpv": version(["sh", "-c", "mpv --version 2>/dev/null || true"]) or None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N=15 only, short windows (under 2 minutes)")
    ap.add_argument("--check", action="store_true",
                    help="smoke test: exit non-zero only if the harness itself fails to produce a figure")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"), help="where bench.json and bench.md go")
    ap.add_argument("--build", default=os.environ.get("MESHCALL_BUILD_DIR", str(ROOT / "build")),
                    help="the build directory (default: $MESHCALL_BUILD_DIR, else build/)")
    ap.add_argument("--n", type=int, action="append", help="call size (4, 7, 15; repeatable)")
    args = ap.parse_args()

    try:
        os.nice(-10)  # ahead of a concurrent build or test run (children inherit it); needs root
    except OSError:
        pass
    bench = Bench(args)

    def on_signal(sig, _):
        raise SystemExit(128 + sig)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    failed = None
    try:
        bench.run()
    except Exception as e:  # keep what was measured; report the failure
        failed = f"{type(e).__name__}: {e}"
        log(f"bench failed: {failed}")
    finally:
        bench.procs.stop()
        bench.netcut.remove()
    res = bench.results
    if failed:
        res["error"] = failed
    res["missing"] = missing_figures(res)
    out = bench.out
    (out / "bench.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    md = report(res)
    (out / "bench.md").write_text(md)
    print(md)
    log(f"wrote {out / 'bench.json'} and {out / 'bench.md'}")
    if res["missing"]:
        log("figures missing: " + ", ".join(res["missing"]))
    if failed or res.get("errors") or (args.check and res["missing"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
