#!/usr/bin/python3
"""The stock-player flag survey behind INVITE_PLAYER_FLAGS (issue 11; docs/benchmarks.md, "A stock
player's first picture"): a call runs (alice and bob, real meshcalld, and a viewer entry); stock
players with each candidate set of options join it as the viewer, again and again, at random
phases of the 1 s refresh cycle, interleaved; the time from the player's start to its first picture.

  ffmpeg  writes raw pictures to a pipe: the first byte is its first decoded picture
  ffplay  SDL's offscreen video and dummy audio drivers, -vf showinfo: its first filtered picture
  mpv     --vo=image into /dev/shm: its first picture written (shown, by its own timing)
  *-idr   the same, but the keepalive pauses for over 1 s and, once the player's socket is up, one
          datagram from the viewer's address makes meshcalld send an IDR (as for a joining peer)

"first − cycle wait" subtracts the frames the player waited for the next refresh cycle (one
"Error while decoding" line per frame before the SPS/PPS; ffmpeg and mpv): what is left is
start-up, probing and the refresh wave (29 frames, 0.97 s), free of the random phase.

  python3 bench/player_flags.py [--joins 5] [--only SUBSTRING] [--build build]
Writes bench/out/player_flags.json. Takes about 10 minutes with the default joins."""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import LineTimes, NetCut, Procs, ViewerKeepalive, first_output, udp_port_bound, wait_until

ROOT = Path(__file__).resolve().parent.parent
VIEWER_PORT = 45210                       # alice 45200, bob 45201; alice reaches the viewer at 45211
FF_INVITE = ["-f", "mpegts", "-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer", "-flags", "low_delay"]
MPV_INVITE = ["--profile=low-latency", "--untimed", "--demuxer-lavf-format=mpegts"]
SETS = {  # name: (player, input options)
    "ffmpeg, seed: -fflags nobuffer": ("ffmpeg", ["-fflags", "nobuffer"]),
    "ffmpeg, no options": ("ffmpeg", []),
    "ffmpeg -fflags nobuffer -flags low_delay": ("ffmpeg", ["-fflags", "nobuffer", "-flags", "low_delay"]),
    "ffmpeg -f mpegts": ("ffmpeg", ["-f", "mpegts"]),
    "ffmpeg -f mpegts -analyzeduration 1000000": ("ffmpeg", ["-f", "mpegts", "-analyzeduration", "1000000"]),
    "ffmpeg -f mpegts -probesize 500000 -analyzeduration 500000 -fflags nobuffer":
        ("ffmpeg", ["-f", "mpegts", "-probesize", "500000", "-analyzeduration", "500000", "-fflags", "nobuffer"]),
    "ffmpeg -f mpegts -probesize 32 -analyzeduration 0": ("ffmpeg", FF_INVITE[:6]),
    "ffmpeg -f mpegts -probesize 32 -analyzeduration 1": ("ffmpeg", ["-f", "mpegts", "-probesize", "32",
                                                                     "-analyzeduration", "1"]),
    "ffmpeg -f mpegts -probesize 32 -analyzeduration 0 -fflags nobuffer": ("ffmpeg", FF_INVITE[:8]),
    "ffmpeg, invite": ("ffmpeg", FF_INVITE),
    "ffmpeg, invite -fpsprobesize 0": ("ffmpeg", FF_INVITE + ["-fpsprobesize", "0"]),
    "ffmpeg, invite, udp fifo_size=0": ("ffmpeg+fifo0", FF_INVITE),
    "ffmpeg, invite, IDR at join": ("ffmpeg-idr", FF_INVITE),
    "ffplay, seed: -fflags nobuffer": ("ffplay", ["-fflags", "nobuffer"]),
    "ffplay, invite -framedrop": ("ffplay", FF_INVITE + ["-framedrop"]),
    "ffplay, invite -framedrop -sync ext -infbuf": ("ffplay", FF_INVITE + ["-framedrop", "-sync", "ext", "-infbuf"]),
    "mpv, no options": ("mpv", []),
    "mpv, seed: --profile=low-latency": ("mpv", ["--profile=low-latency"]),
    "mpv --profile=low-latency --demuxer-lavf-format=mpegts --demuxer-lavf-probesize=32":
        ("mpv", ["--profile=low-latency", "--demuxer-lavf-format=mpegts", "--demuxer-lavf-probesize=32"]),
    "mpv --demuxer-lavf-format=mpegts --demuxer-lavf-probesize=32 --demuxer-lavf-analyzeduration=0.01":
        ("mpv", ["--demuxer-lavf-format=mpegts", "--demuxer-lavf-probesize=32", "--demuxer-lavf-analyzeduration=0.01"]),
    "mpv --profile=low-latency --untimed --cache=no": ("mpv", ["--profile=low-latency", "--untimed", "--cache=no"]),
    "mpv, invite": ("mpv", MPV_INVITE),
    "mpv, invite, IDR at join": ("mpv-idr", MPV_INVITE),
}


class Survey:
    def __init__(self, args):
        self.work = Path(args.out).resolve() / "player_flags"
        self.work.mkdir(parents=True, exist_ok=True)
        self.procs = Procs(self.work)
        self.meshcalld = str(Path(args.build).resolve() / "daemon" / "meshcalld")
        self.room = self.work / "room.json"
        self.room.write_text(json.dumps({
            "room": "player-flags", "video": {"width": 640, "height": 480, "fps": 30, "bitrate_kbps": 1000},
            "audio": {"bitrate_kbps": 32},
            "peers": [{"name": "guest", "host": "127.0.0.1", "port": VIEWER_PORT, "role": "viewer"},
                      {"name": "alice", "host": "127.0.0.1", "port": VIEWER_PORT - 10},
                      {"name": "bob", "host": "127.0.0.1", "port": VIEWER_PORT - 9}]}))
        self.url = f"udp://127.0.0.1:{VIEWER_PORT + 1}?localaddr=127.0.0.1&timeout=10000000"

    def start_call(self):
        # meshcalld backs off a viewer whose port answers ICMP "port unreachable" (its player
        # not running) and resumes with an IDR when the player starts: the survey measures a
        # mid-stream join, so ICMP is dropped for its length (a network that says nothing).
        self.netcut = NetCut()
        if not self.netcut.start("meta l4proto icmp"):
            raise SystemExit("player_flags: needs nftables and root (ICMP dropped during the survey)")
        self.keep = ViewerKeepalive(("127.0.0.1", VIEWER_PORT), [("127.0.0.1", VIEWER_PORT - 10),
                                                                 ("127.0.0.1", VIEWER_PORT - 9)])
        time.sleep(0.3)
        for name in ("alice", "bob"):
            self.procs.start(f"meshcalld-{name}", [
                self.meshcalld, "--room", str(self.room), "--as", name, "--headless", "--video", "test",
                "--audio", "tone", "--control", str(self.work / f"{name}.sock"), "--profile", "/nonexistent"])
        time.sleep(2.0)

    def join(self, player, flags, tag):
        idr = player.endswith("-idr")
        player = player.removesuffix("-idr")
        url = self.url + ("&fifo_size=0" if player == "ffmpeg+fifo0" else "")
        log = self.work / f"{tag}.log"
        log.unlink(missing_ok=True)
        shm = Path("/dev/shm") / f"meshcall-player-flags-{os.getpid()}"
        t0 = time.monotonic()
        if player.startswith("ffmpeg"):
            p = self.procs.start(tag, ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "info", *flags, "-i", url,
                                       "-map", "0:v:0?", "-c:v", "rawvideo", "-threads", "1", "-pix_fmt", "yuv420p",
                                       "-f", "rawvideo", "-"], stdout=subprocess.PIPE)
        elif player == "ffplay":
            env = dict(os.environ, SDL_VIDEODRIVER="offscreen", SDL_AUDIODRIVER="dummy")
            p = subprocess.Popen(["ffplay", "-hide_banner", "-loglevel", "info", *flags, "-vf", "showinfo", url],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            lines = LineTimes(p.stderr, log, ["n:   0 "])
        else:
            shutil.rmtree(shm, ignore_errors=True)
            shm.mkdir()
            p = self.procs.start(tag, ["mpv", "--no-config", "--ao=null", "--vo=image", f"--vo-image-outdir={shm}",
                                       "--vo-image-format=png", "--vo-image-png-compression=0", "--msg-level=all=v",
                                       *flags, url], stdout=open(log, "ab"))
        if idr and wait_until("the player's socket", 5, lambda: udp_port_bound(VIEWER_PORT + 1), every=0.005):
            self.keep.hello(("127.0.0.1", VIEWER_PORT - 10))
        if player.startswith("ffmpeg"):
            t = first_output(p, 20)
            p.stdout.close()
        elif player == "ffplay":
            t = wait_until("ffplay's first picture", 20, lambda: lines.times.get("n:   0 ") or p.poll() is not None)
            t = lines.times.get("n:   0 ")
        else:
            t = wait_until("mpv's first picture", 20, lambda: (time.monotonic() if any(shm.iterdir()) else None)
                           if p.poll() is None else True)
            t = t if isinstance(t, float) else None
        if player == "ffplay":
            p.kill()
            p.wait()
            lines.join()
        else:
            self.procs.stop([p])
        shutil.rmtree(shm, ignore_errors=True)
        text = log.read_text(errors="replace")
        waited = len(re.findall(r"Error while decoding", text))
        return {"first_s": None if t is None else t - t0,
                "frames_before_sps": waited if player != "ffplay" else None,
                "audio_found": bool(re.search(r"Audio: opus|Audio --aid", text)) if player != "ffplay" else None,
                "size_unknown": "unspecified size" in text}

    def run(self, names, joins):
        out = {n: [] for n in names}
        rng = random.Random(11)
        self.start_call()
        try:
            for i in range(joins):
                for name in names:
                    player, flags = SETS[name]
                    if player.endswith("-idr"):
                        self.keep.pause()
                        time.sleep(1.3)  # silent for over 1 s: the next datagram is a joiner's
                    time.sleep(0.2 + rng.random())  # a random phase of the refresh cycle
                    j = self.join(player, flags, f"{re.sub(r'[^A-Za-z0-9]+', '-', name)}-{i}")
                    self.keep.resume()
                    out[name].append(j)
                    print(f"{name}: {j}", file=sys.stderr, flush=True)
        finally:
            self.keep.stop()
            self.procs.stop()
            self.netcut.remove()
        return out


def summary(out):
    rows = []
    for name, js in out.items():
        f = [j["first_s"] for j in js if j["first_s"] is not None]
        corr = [j["first_s"] - j["frames_before_sps"] / 30 for j in js
                if j["first_s"] is not None and j["frames_before_sps"] is not None]
        rows.append({"flags": name, "player": SETS[name][0], "argv": SETS[name][1], "joins": len(js),
                     "median_s": statistics.median(f) if f else None, "max_s": max(f) if f else None,
                     "no_picture": len(js) - len(f),
                     "first_minus_cycle_wait_median_s": statistics.median(corr) if corr else None,
                     "no_audio_stream": sum(1 for j in js if j["audio_found"] is False),
                     "size_unknown_after_probe": sum(1 for j in js if j["size_unknown"])})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--joins", type=int, default=5)
    ap.add_argument("--only", help="only the flag sets whose name contains this")
    ap.add_argument("--build", default=os.environ.get("MESHCALL_BUILD_DIR", str(ROOT / "build")))
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    args = ap.parse_args()
    names = [n for n in SETS if not args.only or args.only in n]
    s = Survey(args)
    rows = summary(s.run(names, args.joins))
    (Path(args.out) / "player_flags.json").write_text(json.dumps(rows, indent=1) + "\n")
    fmt = lambda v: "—" if v is None else f"{v:.2f}"
    print("| flags | joins | median s | max s | first − cycle wait, median s | no picture | no audio stream |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['flags']} | {r['joins']} | {fmt(r['median_s'])} | {fmt(r['max_s'])} | "
              f"{fmt(r['first_minus_cycle_wait_median_s'])} | {r['no_picture']} | {r['no_audio_stream']} |")


if __name__ == "__main__":
    sys.exit(main())
