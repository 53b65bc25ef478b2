#!/usr/bin/python3
"""Impairment tests (issue 7, "Lossy networks"): a real 3-party call across network namespaces,
meshcalld as a black box, one impairment per case. Each case prints the figures it measured
and one PASS/FAIL line per criterion; exit 0 all passed, 1 a criterion failed, 77 skipped
(not root, no namespaces, no nftables: CTest shows it as skipped, with the reason).

    net_test.py CASE [--only video|audio] [--meshcalld PATH] [--keep]
    CASE: loss1 loss5 burst blackout jitter ratecap sendeperm layers_downcap layers_upcap

The impaired stream is alice -> bob, measured at bob; carol is the control whose streams are
not impaired (except in `blackout`, where carol is the one cut off, and `jitter`, where all of
bob's input goes through the relay).
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import netlab  # noqa: E402
from netlab import Lab, Skip, log, tone_amplitudes, tone_hz, read_wav, wait_until  # noqa: E402
from calls import start_call, stop_all  # noqa: E402
from send_cases import case_ratecap, case_sendeperm  # noqa: E402  (the send path's cases)
import layer_cases  # noqa: E402  (the video layers' cases)

REFRESH_S = 1.0  # x264 intra refresh: keyint = fps, one cycle a second (README, "Wire format")
# bob, the receiver, first: alice's and carol's tones are then 410 and 520 Hz, where a repeated,
# skipped or swapped 20 ms block of sound shows as a phase jump (300 Hz hides it: 6 whole periods).
NAMES = ["bob", "alice", "carol"]


class Checks:
    """Criteria and figures of one case."""

    def __init__(self, case, only=None):
        self.case = case
        self.only = only  # judge only the criteria of this part ("video", "audio"), or all
        self.failed = []
        self.not_judged = []
        self.figures = {}

    def figure(self, key, value):
        self.figures[key] = value
        log(f"figure {key} = {value}")

    def check(self, ok, what, part=None):
        """A criterion; `part` ("video", "audio") lets a run judge one part only (--only)."""
        if part and self.only and part != self.only:
            log(f"{'pass' if ok else 'fail'} (not judged in this run: {part}) {what}")
            self.not_judged.append(what)
            return ok
        log(f"{'PASS' if ok else 'FAIL'} {what}")
        if not ok:
            self.failed.append(what)
        return ok

    def finish(self):
        out = os.environ.get("MESHCALL_NET_RESULTS")
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            Path(out, f"{self.case}.json").write_text(json.dumps(
                {"case": self.case, "figures": self.figures, "failed": self.failed}, indent=2))
        if self.failed:
            log(f"{self.case}: FAILED ({len(self.failed)}): " + "; ".join(self.failed))
            return 1
        log(f"{self.case}: passed" + (f" ({len(self.not_judged)} criteria of other parts not judged)"
                                      if self.not_judged else ""))
        return 0


# ---------------------------------------------------------------- measurements

class Series:
    """Status of one peer as seen by one daemon, sampled over time."""

    def __init__(self, daemon, peer):
        self.daemon, self.peer = daemon, peer
        self.samples = []  # (monotonic time, peer status)

    def sample(self):
        p = self.daemon.peer(self.peer)
        if p is not None:
            self.samples.append((time.monotonic(), p))
        return p

    def run(self, seconds, step=0.05, also=None):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.sample()
            if also:
                also()
            time.sleep(step)
        return self


def recovery_time(samples, t_stop, fps, slack_frames=2, min_rate=0.8):
    """Seconds from `t_stop` until `samples` show a clean picture for good: video frames arriving
    at >= `min_rate` of the frame rate from then on, and decode_errors no longer rising.
    None if that never happens within the samples."""
    after = [(t, p) for t, p in samples if t >= t_stop]
    if len(after) < 2:
        return None
    end_t, end_p = after[-1]
    for i, (t, p) in enumerate(after):
        if end_t - t < 0.5:
            break
        ok = True
        for t2, p2 in after[i:]:
            if p2["decode_errors"] != p["decode_errors"]:
                ok = False
                break
            if p2["video_frames"] - p["video_frames"] < min_rate * fps * (t2 - t) - slack_frames:
                ok = False
                break
        if ok and end_p["video_frames"] > p["video_frames"]:
            # The clean stretch starts at sample i; the picture is back with its first new frame.
            for t2, p2 in after[i:]:
                if p2["video_frames"] > p["video_frames"]:
                    return max(0.0, t2 - t_stop)
    return None


def wav_len(daemon):
    try:
        return len(read_wav(daemon.wav))
    except OSError:
        return 0


def audio_continuity(daemon, tone_index, start, end, checks, key, min_ratio=0.5, max_glitches=None):
    """Checks that the tone of participant `tone_index` is in every 200 ms window of `daemon`'s
    recorded mix between sample offsets `start` and `end`, at >= `min_ratio` of its level in
    the 2 s before `start` (no gap, no fade-out: Opus concealment keeps it playing). With
    `max_glitches`, also that the tone has at most that many discontinuities (gaps of 10 ms, or
    phase jumps: a 20 ms block of sound repeated, dropped or played out of order)."""
    samples = read_wav(daemon.wav)
    freq = tone_hz(tone_index)
    ref = tone_amplitudes(samples[max(0, start - 96000):start], freq)
    reference = statistics.median(ref) if ref else 0.0
    amps = tone_amplitudes(samples[start:end], freq)
    if not amps or reference <= 0:
        checks.check(False, f"{key}: the recorded mix has the tone ({len(amps)} windows, reference {reference:.4f})",
                     part="audio")
        return
    worst = min(amps)
    below = sum(1 for a in amps if a < min_ratio * reference)
    checks.figure(f"{key}_windows", len(amps))
    checks.figure(f"{key}_worst_window_ratio", round(worst / reference, 3))
    checks.figure(f"{key}_windows_below", below)
    glitches = netlab.tone_glitches(samples[start:end], freq, min_level=min_ratio * reference)
    kinds = {k: sum(1 for _, kk in glitches if kk == k) for k in ("gap", "jump")}
    checks.figure(f"{key}_glitches", f"{kinds['gap']} gaps (< {min_ratio:.0%} for 10 ms), {kinds['jump']} phase jumps "
                  f"(a 20 ms block repeated, skipped or out of order) in {(end - start) / 48000:.1f} s"
                  + (f"; first at {[t for t, _ in glitches[:6]]} s" if glitches else ""))
    checks.check(below == 0, f"{key}: the {freq} Hz tone is in all {len(amps)} 200 ms windows "
                 f"(worst {worst / reference:.0%} of its level before; needs >= {min_ratio:.0%})", part="audio")
    if max_glitches is not None:
        checks.check(len(glitches) <= max_glitches,
                     f"{key}: the {freq} Hz tone plays on without discontinuities: {kinds['gap']} gaps and "
                     f"{kinds['jump']} phase jumps in {(end - start) / 48000:.1f} s (at most {max_glitches}; "
                     f"a phase jump is a 20 ms block repeated, dropped or played out of order)", part="audio")


# ---------------------------------------------------------------- the cases

def case_loss1(lab, checks):
    """1 % random loss on alice -> bob: >= 90 % of frames decode; audio keeps playing."""
    start_call(lab, checks)
    bob, alice = lab["bob"], lab["alice"]
    seconds = 30  # long enough that the share of frames lost does not hang on one unlucky drop
    p0, s0, w0 = bob.peer("alice"), alice.status()["self"], wav_len(bob)
    lab.drop_in("bob", "numgen random mod 100 < 1", sender="alice")
    time.sleep(seconds)
    p1, s1, w1 = bob.peer("alice"), alice.status()["self"], wav_len(bob)
    dropped = lab.counter("bob")
    lab.nft_clear("bob")
    arrived = p1["datagrams"] - p0["datagrams"]
    sent = s1["video_frames_sent"] - s0["video_frames_sent"]
    decoded = p1["video_frames"] - p0["video_frames"]
    checks.figure("datagrams_dropped", dropped)
    checks.figure("loss_pct_applied", round(100 * dropped / max(1, dropped + arrived), 2))
    checks.figure("frames_sent", sent)
    checks.figure("frames_decoded", decoded)
    checks.figure("decode_errors", p1["decode_errors"] - p0["decode_errors"])
    checks.figure("audio_frames", p1["audio_frames"] - p0["audio_frames"])
    for k in ("audio_concealed", "audio_concealed_ms", "audio_stale", "audio_reordered"):
        checks.figure(k, p1[k] - p0[k])
    ratio = decoded / max(1, sent)
    checks.figure("decoded_ratio", round(ratio, 3))
    checks.check(dropped > 0, f"the impairment dropped datagrams ({dropped})")
    checks.check(ratio >= 0.90, f"{decoded} of {sent} frames decoded = {ratio:.1%} (needs >= 90 %)", part="video")
    audio_continuity(bob, lab.index("alice"), w0, w1, checks, "audio_alice")
    stop_all(lab, checks)


def _loss_then_recovery(lab, checks, rule, seconds, stop_after_burst):
    """`rule` on alice -> bob for `seconds` (decoding must go on), then off, right after a drop
    (or right after a whole burst): a clean picture must follow within the refresh period + 1 s."""
    start_call(lab, checks)
    bob, alice = lab["bob"], lab["alice"]
    fps = lab.fps
    p0, s0 = bob.peer("alice"), alice.status()["self"]
    lab.drop_in("bob", rule, sender="alice")
    during = Series(bob, "alice").run(seconds, step=0.1)
    # End the impairment just after it struck, so that there is something to recover from.
    last = lab.counter("bob") or 0
    if stop_after_burst:
        # The burst rule drops datagrams n..n+19 of every 200: wait for a burst to start, then
        # for its 20th drop.
        wait_until(lambda: (lab.counter("bob") or 0) % 20 == 1 and lab.counter("bob") > last, 10, step=0.005)
        wait_until(lambda: (lab.counter("bob") or 0) % 20 == 0, 5, step=0.005)
    else:
        wait_until(lambda: (lab.counter("bob") or 0) > last, 10, step=0.005)
    dropped = lab.counter("bob")
    lab.nft_clear("bob")
    t_stop = time.monotonic()
    p1, s1 = bob.peer("alice"), alice.status()["self"]
    after = Series(bob, "alice").run(REFRESH_S + 3.0, step=0.05)
    arrived = p1["datagrams"] - p0["datagrams"]
    checks.figure("datagrams_dropped", dropped)
    checks.figure("loss_pct_applied", round(100 * dropped / max(1, dropped + arrived), 2))
    sent = s1["video_frames_sent"] - s0["video_frames_sent"]
    decoded = p1["video_frames"] - p0["video_frames"]
    checks.figure("frames_decoded_during", f"{decoded}/{sent}")
    checks.figure("decode_errors", after.samples[-1][1]["decode_errors"] - p0["decode_errors"])
    # Decoding continues: frames come in every 2 s stretch of the impairment.
    stretches, empty = 0, 0
    samples = during.samples
    t_first = samples[0][0]
    k = 0
    while t_first + 2 * (k + 1) <= samples[-1][0] + 1e-6:
        lo = [p for t, p in samples if t >= t_first + 2 * k]
        hi = [p for t, p in samples if t <= t_first + 2 * (k + 1)]
        if lo and hi:
            stretches += 1
            if hi[-1]["video_frames"] <= lo[0]["video_frames"]:
                empty += 1
        k += 1
    checks.figure("frame_less_2s_stretches", f"{empty}/{stretches}")
    checks.check(empty == 0 and decoded > 0, f"decoding continues under the loss: frames in every 2 s "
                 f"stretch ({stretches - empty}/{stretches}), {decoded} of {sent} frames")
    rec = recovery_time(after.samples, t_stop, fps)
    checks.figure("recovery_s", None if rec is None else round(rec, 2))
    checks.check(rec is not None and rec <= REFRESH_S + 1.0,
                 f"a clean picture {('%.2f s' % rec) if rec is not None else 'never'} after the loss stopped "
                 f"(needs <= {REFRESH_S + 1.0:.1f} s: frames at full rate, no new decode errors)")
    end = after.samples[-1][1]
    checks.check(end["state"] == "connected" and end["video_fps"] >= 0.8 * fps,
                 f"alice is connected at bob at full rate afterwards ({end['state']}, {end['video_fps']} fps)")
    stop_all(lab, checks)


def case_loss5(lab, checks):
    """5 % random loss on alice -> bob: decoding continues; a clean picture within refresh + 1 s after."""
    _loss_then_recovery(lab, checks, "numgen random mod 100 < 5", 10, stop_after_burst=False)


def case_burst(lab, checks):
    """Bursts (20 of every 200 datagrams) on alice -> bob: decoding continues; clean within refresh + 1 s after."""
    _loss_then_recovery(lab, checks, "numgen inc mod 200 < 20", 12, stop_after_burst=True)


def case_blackout(lab, checks):
    """carol cut off (both ways) for 2 s, then for 10 s: absent within 3 s (10 s cut), back with
    a clean picture within the refresh period + 1 s, and alice <-> bob unaffected."""
    start_call(lab, checks)
    alice, bob = lab["alice"], lab["bob"]
    fps = lab.fps
    for seconds in (2, 10):
        a0, b0 = alice.peer("bob"), bob.peer("alice")
        s0 = {n: lab[n].status()["self"] for n in ("alice", "bob")}
        watch = {(o, "carol"): Series(lab[o], "carol") for o in ("alice", "bob")}
        lab.blackout("carol", True)
        t_cut = time.monotonic()
        absent_at = {}

        def poll():
            for (o, _), s in watch.items():
                p = s.sample()
                if p and p["state"] == "absent" and o not in absent_at:
                    absent_at[o] = time.monotonic() - t_cut
        while time.monotonic() - t_cut < seconds:
            poll()
            time.sleep(0.025)
        lab.blackout("carol", False)
        t_back = time.monotonic()
        a1, b1 = alice.peer("bob"), bob.peer("alice")
        s1 = {n: lab[n].status()["self"] for n in ("alice", "bob")}
        key = f"blackout{seconds}s"
        if seconds >= 3:
            for o in ("alice", "bob"):
                t = absent_at.get(o)
                checks.figure(f"{key}_absent_after_s_at_{o}", None if t is None else round(t, 3))
                # meshcalld says absent after 2.5 s of silence; polled every ~25-50 ms, that is
                # well within the 3 s, with no slack needed.
                checks.check(t is not None and t <= 3.0,
                             f"{key}: carol absent at {o} {('%.2f s' % t) if t is not None else 'never'} after the cut "
                             f"(needs <= 3 s)")
        else:
            states = {o: {p['state'] for _, p in watch[(o, 'carol')].samples} for o in ("alice", "bob")}
            checks.figure(f"{key}_states_during", {o: sorted(s) for o, s in states.items()})
        # Back: a clean picture within the refresh period + 1 s, at both.
        back = {o: Series(lab[o], "carol") for o in ("alice", "bob")}
        end = time.monotonic() + REFRESH_S + 3.0
        while time.monotonic() < end:
            for s in back.values():
                s.sample()
            time.sleep(0.05)
        for o, s in back.items():
            rec = recovery_time(s.samples, t_back, fps)
            checks.figure(f"{key}_back_after_s_at_{o}", None if rec is None else round(rec, 2))
            last = s.samples[-1][1]
            checks.check(rec is not None and rec <= REFRESH_S + 1.0 and last["state"] == "connected",
                         f"{key}: carol back at {o} with a clean picture "
                         f"{('%.2f s' % rec) if rec is not None else 'never'} after the cut ended "
                         f"(needs <= {REFRESH_S + 1.0:.1f} s; state {last['state']})")
        # The others: alice <-> bob kept their frame rate and saw no decode errors.
        for who, p0, p1, sender in (("alice sees bob", a0, a1, "bob"), ("bob sees alice", b0, b1, "alice")):
            sent = s1[sender]["video_frames_sent"] - s0[sender]["video_frames_sent"]
            got = p1["video_frames"] - p0["video_frames"]
            errs = p1["decode_errors"] - p0["decode_errors"]
            ratio = got / max(1, sent)
            checks.figure(f"{key}_{who.replace(' ', '_')}_frames", f"{got}/{sent}")
            checks.check(ratio >= 0.95 and errs == 0 and p1["state"] == "connected",
                         f"{key}: {who} unaffected: {got} of {sent} frames ({ratio:.1%}, needs >= 95 %), "
                         f"{errs} decode errors, {p1['state']}")
        time.sleep(1.0)
    stop_all(lab, checks)


def case_jitter(lab, checks):
    """All of bob's input through the relay (delay 40 +- 10 ms, 5 % reordered), and 1 % of
    alice's and carol's datagrams to bob duplicated: audio continuous, latency not growing."""
    start_call(lab, checks)
    bob = lab["bob"]
    seconds = 30
    for sender in ("alice", "carol"):
        lab.duplicate(sender, "bob", 1)
    relay = lab.relay_into("bob", delay_ms=40, jitter_ms=10, reorder_pct=5)
    time.sleep(3.0)  # the jitter buffers settle
    w0 = wav_len(bob)
    t0 = time.monotonic()
    hist = []  # (t, {peer: histogram})

    def snap():
        st = bob.status(histogram=True)
        hist.append((time.monotonic(), {p["name"]: p for p in st["peers"]}))
    snap()
    layers = {"alice": {}, "carol": {}}  # the layers bob received, sampled every 0.5 s: {layer: samples}
    for third in range(3):
        while time.monotonic() - t0 < seconds * (third + 1) / 3:
            time.sleep(0.5)
            st = bob.status()
            for p in (st or {}).get("peers", []):
                if p["name"] in layers:
                    key = str((p.get("rx_layer") or {}).get("layer"))
                    layers[p["name"]][key] = layers[p["name"]].get(key, 0) + 1
        snap()
    w1 = wav_len(bob)
    checks.figure("rx_layers_sampled", layers)
    rs = relay.stats() or {}
    dups = {s: lab.counter(s, table="mcdup", chain="out") for s in ("alice", "carol")}
    relay.stop()
    for s in ("alice", "carol"):
        lab.nft_clear(s, "mcdup")
    received = rs.get("received", 0)
    checks.figure("relay_datagrams", received)
    checks.figure("relay_delay_ms_min_max", [rs.get("delay_ms_min"), rs.get("delay_ms_max")])
    checks.figure("relay_late_ms_max", rs.get("late_ms_max"))  # past its schedule: the relay's own stalls
    checks.figure("reordered_pct", round(100 * rs.get("out_of_order", 0) / max(1, received), 2))
    checks.figure("duplicated", dups)
    checks.check(received > 0 and rs.get("out_of_order", 0) > 0, "the relay carried and reordered datagrams")
    checks.check(all((v or 0) > 0 for v in dups.values()), f"datagrams were duplicated ({dups})")
    # Latency per third of the run, from the histogram (bucketed to 1 ms, 200 ms and above in one).
    for name in ("alice", "carol"):
        thirds = []
        for (ta, a), (tb, b) in zip(hist, hist[1:]):
            d = netlab.hist_delta(b[name]["latency_histogram_ms"], a[name]["latency_histogram_ms"])
            thirds.append((netlab.hist_percentile(d, 0.5), netlab.hist_percentile(d, 0.95), sum(d)))
        checks.figure(f"latency_{name}_p50_p95_frames_by_third", thirds)
        first, last = thirds[0], thirds[-1]
        ok = None not in (first[0], last[0], first[1], last[1])
        checks.check(ok and last[0] - first[0] <= 10 and last[1] - first[1] <= 20,
                     f"{name} -> bob: no growth of latency over {seconds} s: p50 {first[0]} -> {last[0]} ms "
                     f"(may grow <= 10 ms), p95 {first[1]} -> {last[1]} ms (<= 20 ms)", part="video")
        for k in ("audio_concealed", "audio_stale", "audio_reordered"):
            checks.figure(f"{k}_{name}", hist[-1][1][name][k] - hist[0][1][name][k])
        frames = sum(t[2] for t in thirds)
        checks.check(frames >= 0.9 * lab.fps * seconds,
                     f"{name} -> bob: {frames} frames decoded in {seconds} s (needs >= 90 %)", part="video")
        # Jitter alone (in order, within the jitter buffer) costs no discontinuity: reordered
        # and duplicated datagrams must not either (play by timestamp, drop duplicates).
        audio_continuity(bob, lab.index(name), w0, w1, checks, f"audio_{name}", max_glitches=3)
    stop_all(lab, checks)


NEEDS = {"blackout": ("bridge",), "jitter": ("tproxy", "dup")}
CASES = {"loss1": case_loss1, "loss5": case_loss5, "burst": case_burst, "blackout": case_blackout,
         "jitter": case_jitter, "ratecap": case_ratecap, "sendeperm": case_sendeperm,
         "layers_downcap": layer_cases.case_layers_downcap, "layers_upcap": layer_cases.case_layers_upcap}
# The Lab of a case that is not the 3-party call of NAMES (320x240, 30 fps, 400 kbit/s).
LABS = layer_cases.LABS


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--meshcalld", help="the daemon to test (default: build/daemon/meshcalld)")
    ap.add_argument("--keep", action="store_true", help="keep the logs and recordings")
    ap.add_argument("--only", choices=["video", "audio"],
                    help="judge only this part's criteria (the call's own are always judged); "
                         "the others are measured and shown, not judged")
    args = ap.parse_args()
    checks = Checks(args.case + (f"_{args.only}" if args.only else ""), args.only)
    started = time.monotonic()
    try:
        netlab.check_environment(NEEDS.get(args.case, ()))
        if args.meshcalld and not Path(args.meshcalld).exists():
            raise Skip(f"{args.meshcalld} does not exist")
        lab_args = {"names": NAMES, **LABS.get(args.case, {})}
        with Lab(tag=args.case[:6], meshcalld=args.meshcalld, keep_dir=args.keep, **lab_args) as lab:
            log(f"{args.case}: {CASES[args.case].__doc__.strip().splitlines()[0]}")
            try:
                CASES[args.case](lab, checks)
            except Exception as e:
                checks.check(False, f"{type(e).__name__}: {e}")
                for d in lab.daemons.values():
                    log(f"--- {d.name} log tail:\n{d.log_tail(30)}")
            if checks.failed:
                lab.keep_dir = True  # the daemons' logs and recordings, for whoever looks next
    except Skip as e:
        print(f"SKIP {args.case}: {e}", flush=True)
        return netlab.SKIP
    log(f"{args.case}: {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
