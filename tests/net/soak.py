#!/usr/bin/python3
"""soak.py: a long 4-party call across network namespaces with impairments cycling and one peer
restarting every 2 minutes; samples each daemon's RSS (VmRSS) and open file descriptors every
10 s. Run through scripts/soak [MINUTES].

Pass: every daemon that runs throughout is alive at the end and leaves cleanly (exit 0), and
after the warm-up (a third of the run, at most 2 minutes) its RSS grows less than 1 MiB per
10 minutes and its fd count never changes; the restarting peer's fd count is the same in every
life once warmed up, and it rejoins each time. RSS growth per 10 minutes is the Theil-Sen slope
of the samples (so one step is not a trend) when 10 minutes or more are judged; a shorter run
cannot show a trend per 10 minutes, so there its whole growth after warm-up must stay under
1 MiB. Prints a table of the samples; exit 0 pass, 1 fail, 77 cannot run here (not root, no
netns/nftables).
"""
import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import netlab  # noqa: E402
from netlab import Lab, Skip, fd_count, log, rss_kib, wait_until  # noqa: E402

NAMES = ["alice", "bob", "carol", "dave"]
RESTARTER = "dave"
SAMPLE_S = 10
RESTART_S = 120
PHASE_S = 20
RSS_LIMIT_KIB_PER_10MIN = 1024


class Impairments:
    """The cycle: each phase sets itself up and tears itself down."""

    def __init__(self, lab, phase_s):
        self.lab = lab
        self.relay = None
        self.blackout_s = min(5.0, phase_s / 2)
        self._blackout_until = None
        self.phases = [
            ("clean", lambda: None, lambda: None),
            ("1% loss into everyone", lambda: self._all_drop("numgen random mod 100 < 1"), self._all_clear),
            ("5% loss into everyone", lambda: self._all_drop("numgen random mod 100 < 5"), self._all_clear),
            ("bursts 20/200 into bob", lambda: lab.drop_in("bob", "numgen inc mod 200 < 20"),
             lambda: lab.nft_clear("bob")),
            ("jitter 40+-10 ms, 5% reorder, 1% dup into carol", self._jitter_on, self._jitter_off),
            (f"bob blacked out for {self.blackout_s:g} s", self._blackout, lambda: lab.blackout("bob", False)),
            ("alice's upload capped at half", self._cap, lambda: lab.rate_uncap("alice")),
        ]

    def _all_drop(self, rule):
        for n in NAMES:
            self.lab.drop_in(n, rule)

    def _all_clear(self):
        for n in NAMES:
            self.lab.nft_clear(n)

    def _jitter_on(self):
        self.relay = self.lab.relay_into("carol", delay_ms=40, jitter_ms=10, reorder_pct=5)
        self.lab.duplicate("alice", "carol", 1)

    def _jitter_off(self):
        if self.relay:
            self.relay.stop()
            self.relay = None
        self.lab.nft_clear("alice", "mcdup")

    def _blackout(self):
        self.lab.blackout("bob", True)
        self._blackout_until = time.monotonic() + self.blackout_s

    def _cap(self):
        st = self.lab["alice"].status()
        kbps = st["self"]["tx_kbps"] * (len(NAMES) - 1) * (1316 + 28) / 1316 if st else 600
        self.lab.rate_cap("alice", max(100, int(kbps / 2)))

    def tick(self):
        """Ends a blackout on time."""
        if self._blackout_until and time.monotonic() >= self._blackout_until:
            self.lab.blackout("bob", False)
            self._blackout_until = None

    def blackout_left(self):
        """Seconds until the blackout in progress ends (0 if none)."""
        return max(0.0, self._blackout_until - time.monotonic()) if self._blackout_until else 0.0


def settled_fd_count(pid):
    """Open fds, not counting one that is there for a moment only (a control client of ours
    being closed): the smaller of two looks 0.3 s apart. A leak shows in both."""
    a = fd_count(pid)
    time.sleep(0.3)
    b = fd_count(pid)
    return min(x for x in (a, b) if x is not None) if (a is not None or b is not None) else None


def theil_sen(points):
    """Median of pairwise slopes (KiB per second); None with fewer than 3 points."""
    slopes = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.combinations(points, 2) if b[0] > a[0]]
    return statistics.median(slopes) if len(points) >= 3 and slopes else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("minutes", nargs="?", type=float, default=30.0)
    ap.add_argument("--meshcalld", help="default: build/daemon/meshcalld")
    ap.add_argument("--warmup", type=float, help="seconds not judged at the start (default: a third, at most 120)")
    ap.add_argument("--phase-seconds", type=float,
                    help="length of each impairment phase (default 20 s; 5 s in runs under 10 minutes, "
                         "so that a short run goes through the cycle several times)")
    ap.add_argument("--keep", action="store_true", help="keep the logs")
    args = ap.parse_args()
    if args.minutes < 2:
        ap.error("a soak needs at least 2 minutes (a warm-up, then something to judge)")
    duration = args.minutes * 60
    warmup = args.warmup if args.warmup is not None else min(120.0, duration / 3)
    phase_s = args.phase_seconds or (PHASE_S if args.minutes >= 10 else 5.0)
    try:
        netlab.check_environment(("bridge", "tproxy", "dup"))
    except Skip as e:
        print(f"soak: SKIPPED: {e}", flush=True)
        return netlab.SKIP

    failures = []
    rows = []  # (t, {name: (rss KiB, fds, life)})
    with Lab(NAMES, tag="soak", meshcalld=args.meshcalld, keep_dir=args.keep, record_mix=False) as lab:
        log(f"soak: {args.minutes:g} min, 4 peers, impairments cycling every {phase_s:g} s, "
            f"{RESTARTER} restarting every {RESTART_S} s, samples every {SAMPLE_S} s, warm-up {warmup:.0f} s")
        lab.start_all()
        if not lab.wait_connected(seconds=30):
            print("soak: the call did not come up", flush=True)
            return 1
        imp = Impairments(lab, phase_s)
        t0 = time.monotonic()
        next_sample, next_restart, next_phase = t0, t0 + RESTART_S, t0
        phase_i, current = -1, None
        life, kills = 1, 0
        rejoin_times = []
        while True:
            now = time.monotonic()
            if now - t0 >= duration:
                break
            imp.tick()
            if now >= next_phase:
                if current:
                    current[2]()
                phase_i = (phase_i + 1) % len(imp.phases)
                current = imp.phases[phase_i]
                log(f"phase: {current[0]}")
                current[1]()
                next_phase += phase_s
            if now >= next_restart:
                d = lab[RESTARTER]
                # Rejoining is timed from the restart, or from the end of a blackout in progress.
                t_r = time.monotonic() + imp.blackout_left()
                before = {n: (lab[n].peer(RESTARTER) or {}).get("video_frames", 0) for n in NAMES if n != RESTARTER}
                how = "SIGKILL" if life % 2 == 0 else "SIGTERM"
                if how == "SIGKILL":
                    d.kill()
                    kills += 1
                else:
                    rc = d.stop()
                    if rc != 0:
                        failures.append(f"{RESTARTER} life {life}: exit {rc} on SIGTERM")
                d.start()
                life += 1

                def rejoined():
                    imp.tick()  # a blackout still ends on time
                    for n in NAMES:
                        if n == RESTARTER:
                            continue
                        p = lab[n].peer(RESTARTER)
                        # Connected again, and its new stream decodes (a second of frames).
                        if not p or p["state"] != "connected" or p["video_frames"] < before[n] + 30:
                            return False
                    return True
                ok = wait_until(rejoined, 15, step=0.1)
                rejoin_times.append(None if not ok else round(time.monotonic() - t_r, 2))
                log(f"{RESTARTER} restarted ({how}), life {life}: "
                    + (f"rejoined in {rejoin_times[-1]} s" if ok else "NOT rejoined within 15 s"))
                if not ok:
                    failures.append(f"{RESTARTER} life {life} did not rejoin within 15 s")
                next_restart += RESTART_S
            if now >= next_sample:
                sample = {}
                time.sleep(0.3)  # the control connections of our own status requests are closed
                for n in NAMES:
                    d = lab[n]
                    pid = d.proc.pid if d.alive() else None
                    sample[n] = (rss_kib(pid) if pid else None, settled_fd_count(pid) if pid else None,
                                 life if n == RESTARTER else 1, rss_kib(pid, "RssAnon") if pid else None)
                rows.append((round(now - t0), sample, current[0] if current else ""))
                log("t=%4ds " % (now - t0) + "  ".join(
                    f"{n} {s[0] / 1024 if s[0] else 0:6.1f} MiB {s[1]} fds" for n, s in sample.items()))
                for n in NAMES:
                    if not lab[n].alive():
                        failures.append(f"{n} died (exit {lab[n].proc.returncode}): {lab[n].log_tail(5)}")
                if any(not lab[n].alive() for n in NAMES):
                    break
                next_sample += SAMPLE_S
            time.sleep(0.05)
        if current:
            current[2]()
        imp.tick()
        # The call is healthy at the end: everyone decodes everyone (after the last impairment).
        healthy = lab.wait_connected(seconds=15, min_frames=1)
        if not healthy:
            failures.append("at the end, not every daemon decodes every other's video")
        for n in NAMES:
            alive = lab[n].alive()
            rc = lab[n].stop()
            if not alive or rc != 0:
                failures.append(f"{n}: alive at the end={alive}, exit on SIGTERM={rc}")
        log_dir = lab.dir

    # ---- judge and report
    print()
    print(f"soak: {args.minutes:g} min, samples every {SAMPLE_S} s (RSS MiB / open fds; "
          f"{RESTARTER}'s life number in brackets); warm-up {warmup:.0f} s")
    print("   t(s)  " + "".join(f"{n:>18}" for n in NAMES) + "   phase")
    for t, sample, phase in rows:
        cells = []
        for n in NAMES:
            rss, fds, lf, _ = sample[n]
            cell = f"{rss / 1024:.1f}/{fds}" if rss else "-"
            if n == RESTARTER:
                cell += f" [{lf}]"
            cells.append(f"{cell:>18}")
        mark = " " if t >= warmup else "w"
        print(f"{mark}{t:6d}  " + "".join(cells) + f"   {phase}")
    print()
    verdict_rows = []
    for n in NAMES:
        if n == RESTARTER:
            # Per life: fds once warmed up (30 s into the life) must agree across lives.
            by_life = {}
            for t, sample, _ in rows:
                rss, fds, lf, _ = sample[n]
                by_life.setdefault(lf, []).append((t, rss, fds))
            fd_sets = set()
            for lf, pts in by_life.items():
                start = pts[0][0]
                fd_sets.update(f for t, _, f in pts if t - start >= 30 and f is not None)
            ok = len(fd_sets) <= 1
            verdict_rows.append((n, "fds per life (after 30 s)", sorted(fd_sets), ok))
            if not ok:
                failures.append(f"{n}: fd count differs between lives: {sorted(fd_sets)}")
            continue
        pts = [(t, sample[n][0]) for t, sample, _ in rows if t >= warmup and sample[n][0] is not None]
        fds = sorted({sample[n][1] for t, sample, _ in rows if t >= warmup and sample[n][1] is not None})
        slope = theil_sen(pts)
        per10 = None if slope is None else round(slope * 600)
        # Growth across the judged window: median of its last three samples minus median of its
        # first three (one sample's jitter does not count; fewer in a short window).
        k = min(3, len(pts) // 2)
        growth = (statistics.median(v for _, v in pts[-k:]) - statistics.median(v for _, v in pts[:k])
                  if k >= 1 else None)
        span = (pts[-1][0] - pts[0][0]) if pts else 0
        if span >= 600:
            # Ten minutes or more judged: the trend, per 10 minutes.
            ok_rss = per10 is not None and per10 < RSS_LIMIT_KIB_PER_10MIN
            verdict_rows.append((n, "RSS growth KiB per 10 min (Theil-Sen slope)", per10, ok_rss))
            verdict_rows.append((n, f"RSS growth KiB over the {span / 60:.0f} min after warm-up", growth, True))
        else:
            # A shorter window cannot show a trend per 10 minutes; whatever it grew counts in full
            # against the 10 minutes' allowance.
            ok_rss = growth is not None and growth < RSS_LIMIT_KIB_PER_10MIN
            verdict_rows.append((n, f"RSS growth KiB over the {span / 60:.1f} min after warm-up "
                                 f"(< {RSS_LIMIT_KIB_PER_10MIN}: a run under 10 min)", growth, ok_rss))
            verdict_rows.append((n, "RSS slope KiB per 10 min (Theil-Sen; information)", per10, True))
        anon = theil_sen([(t, sample[n][3]) for t, sample, _ in rows if t >= warmup and sample[n][3] is not None])
        verdict_rows.append((n, "RssAnon slope KiB per 10 min (heap and stacks only; information)",
                             None if anon is None else round(anon * 600), True))
        ok_fd = len(fds) == 1
        verdict_rows.append((n, "fd counts after warm-up", fds, ok_fd))
        if not ok_rss:
            failures.append(f"{n}: RSS grows too fast after warm-up ({per10} KiB per 10 min by slope, "
                            f"{growth} KiB across {span:.0f} s; needs < {RSS_LIMIT_KIB_PER_10MIN} KiB per 10 min)")
        if not ok_fd:
            failures.append(f"{n}: fd count changed after warm-up: {fds}")
    verdict_rows.append((RESTARTER, "rejoin times (s)", rejoin_times, all(r is not None for r in rejoin_times)))
    for n, what, value, ok in verdict_rows:
        print(f"  {'PASS' if ok else 'FAIL'}  {n:6} {what}: {value}")
    if args.keep:
        print(f"logs: {log_dir}")
    if failures:
        print("\nsoak: FAILED\n  " + "\n  ".join(failures), flush=True)
        return 1
    print("\nsoak: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
