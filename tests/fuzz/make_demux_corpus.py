#!/usr/bin/env python3
"""make_demux_corpus.py: (re)makes the seed corpus of demux_fuzz (tests/fuzz/corpus/demux_fuzz).

    tests/fuzz/make_demux_corpus.py build/daemon/meshcalld tests/fuzz/corpus/demux_fuzz

Each seed is demux_fuzz's two-byte prefix (mode, seed; see demux_fuzz.cpp) and a stream:
short captures of what a meshcalld sends to a peer (a 2-peer room on 127.0.0.1, a UDP
listener on the other peer's port), stock ffmpeg MPEG-TS files, and hand-made garbage.
Every seed stays under 64 KiB (demux_fuzz's -max_len).
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

MAX_SEED = 64 * 1024 - 2
TS = 188


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(meshcalld, tmp, width, height, video, audio, seconds):
    """Datagrams meshcalld (alice) sends to bob during `seconds`, in order."""
    alice, bob = free_port(), free_port()
    room = os.path.join(tmp, "room.json")
    with open(room, "w") as f:
        json.dump({"room": "fuzz", "video": {"width": width, "height": height, "fps": 30,
                                             "bitrate_kbps": 300},
                   "peers": [{"name": "alice", "host": "127.0.0.1", "port": alice},
                             {"name": "bob", "host": "127.0.0.1", "port": bob}]}, f)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", bob))
    sock.settimeout(0.2)
    proc = subprocess.Popen([meshcalld, "--room", room, "--as", "alice", "--headless",
                             "--video", video, "--audio", audio,
                             "--control", os.path.join(tmp, "c.sock"),
                             "--profile", "/nonexistent"])
    datagrams, start = [], None
    try:
        while start is None or time.monotonic() - start < seconds:
            try:
                d = sock.recv(65536)
            except socket.timeout:
                if proc.poll() is not None:
                    raise SystemExit("meshcalld exited with %d" % proc.returncode)
                continue
            start = start or time.monotonic()
            datagrams.append(d)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        sock.close()
    return datagrams


def whole(datagrams, first, limit):
    """Whole datagrams from index `first` while they fit in `limit` bytes."""
    out = b""
    for d in datagrams[first:]:
        if len(out) + len(d) > limit:
            break
        out += d
    return out


def ffmpeg_ts(extra):
    return subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25",
                           *extra, "-t", "0.3", "-f", "mpegts", "-"],
                          check=True, capture_output=True).stdout


def audio_ts(source, extra):
    return subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", source, *extra, "-t", "0.3",
                           "-f", "mpegts", "-"], check=True, capture_output=True).stdout


def ts_packet(pid, payload, pusi=False, cc=0, afc=1):
    head = bytes([0x47, (0x40 if pusi else 0) | (pid >> 8), pid & 0xff, (afc << 4) | (cc & 15)])
    return (head + payload + b"\xff" * TS)[:TS]


def crc32_mpeg(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04c11db7 if crc & 0x80000000 else crc << 1) & 0xffffffff
    return crc


def section(table_id, id_ext, body):
    """A PSI section (PAT/PMT) with its CRC."""
    head = bytes([table_id, 0xb0 | (len(body) + 9) >> 8, (len(body) + 9) & 0xff,
                  id_ext >> 8, id_ext & 0xff, 0xc1, 0, 0])
    data = head + body
    return data + crc32_mpeg(data).to_bytes(4, "big")


def garbage():
    rnd = random.Random(7)
    seeds = {}
    seeds["garbage_random"] = bytes([0x00, 0x00]) + bytes(rnd.getrandbits(8) for _ in range(4000))
    # Sync bytes right, everything else random.
    seeds["garbage_synced"] = bytes([0x07, 0x01]) + b"".join(
        b"\x47" + bytes(rnd.getrandbits(8) for _ in range(TS - 1)) for _ in range(21))
    # A PAT, then a PMT listing ten streams (more than max_streams), some not on the whitelist,
    # then a few PES packets claiming to be H.264.
    pat = section(0x00, 1, bytes([0, 1, 0xe1, 0x00]))
    types = (0x1b, 0x03, 0x0f, 0x06, 0x24, 0x02, 0x1b, 0x81, 0x1b, 0x03)
    es = b"".join(bytes([t, 0xe0 | (0x101 + i) >> 8, (0x101 + i) & 0xff, 0xf0, 0])
                  for i, t in enumerate(types))
    pmt = section(0x02, 1, bytes([0xe1, 0x01, 0xf0, 0]) + es)
    pes = b"\0\0\1\xe0\0\0\x80\x80\x05\x21\0\1\0\1" + bytes(range(160))
    seeds["garbage_many_streams"] = bytes([0x01, 0x00]) + ts_packet(0, b"\0" + pat, True) + \
        ts_packet(0x100, b"\0" + pmt, True) + \
        b"".join(ts_packet(0x101, pes, True, i) for i in range(6))
    # Truncated and zero-length-ish datagrams in ragged mode.
    seeds["garbage_ragged"] = bytes([0x08, 0x05]) + b"\x47" * 3000
    return seeds


def main():
    meshcalld, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    with tempfile.TemporaryDirectory() as tmp:
        av = capture(meshcalld, tmp, 160, 120, "test", "tone", 1.0)
        seeds["meshcall_160x120_start"] = bytes([0x07, 0x00]) + whole(av, 0, 24 * 1024)
        seeds["meshcall_160x120_middle"] = bytes([0x00, 0x2a]) + whole(av, len(av) // 2, 24 * 1024)
        seeds["meshcall_160x120_restart"] = bytes([0x17, 0x00]) + whole(av, 0, 12 * 1024) + \
            whole(av, len(av) // 3, 12 * 1024)
        big = capture(meshcalld, tmp, 320, 240, "test", "tone", 0.5)
        seeds["meshcall_320x240_start"] = bytes([0x07, 0x00]) + whole(big, 0, 48 * 1024)
        audio = capture(meshcalld, tmp, 160, 120, "none", "tone", 0.5)
        seeds["meshcall_audio_only"] = bytes([0x07, 0x00]) + whole(audio, 0, 8 * 1024)
        quiet = capture(meshcalld, tmp, 160, 120, "none", "none", 0.6)
        seeds["meshcall_presence_only"] = bytes([0x03, 0x00]) + whole(quiet, 0, 4 * 1024)
    seeds["ffmpeg_x264"] = bytes([0x07, 0x00]) + ffmpeg_ts(["-c:v", "libx264"])
    seeds["ffmpeg_x264_mp2"] = bytes([0x07, 0x00]) + ffmpeg_ts(
        ["-f", "lavfi", "-i", "sine=r=48000", "-c:v", "libx264", "-c:a", "mp2", "-shortest"])
    seeds["ffmpeg_x264_aac"] = bytes([0x05, 0x00]) + ffmpeg_ts(
        ["-f", "lavfi", "-i", "sine=r=48000", "-c:v", "libx264", "-c:a", "aac", "-shortest"])
    stereo = "sine=r=48000,pan=stereo|c0=c0|c1=0.5*c0"
    seeds["ffmpeg_mp2_stereo"] = bytes([0x07, 0x00]) + audio_ts(stereo, ["-c:a", "mp2"])
    seeds["ffmpeg_aac_stereo"] = bytes([0x07, 0x00]) + audio_ts(stereo, ["-c:a", "aac"])
    seeds.update(garbage())
    for name, data in sorted(seeds.items()):
        data = data[:MAX_SEED + 2]
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-28s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
