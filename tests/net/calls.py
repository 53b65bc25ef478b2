"""calls: starting and ending the impairment cases' call (tests/net/net_test.py, send_cases.py)."""
import json
import time

from netlab import log


def stop_all(lab, checks):
    """Every daemon must still be running, and leave cleanly (exit 0) on SIGTERM."""
    for d in lab.daemons.values():
        alive = d.alive()
        rc = d.stop()
        checks.check(alive and rc == 0, f"{d.name}: ran to the end and exited 0 on SIGTERM "
                     f"(alive={alive}, exit={rc})" + ("" if alive and rc == 0 else f"\n{d.log_tail()}"))


def start_call(lab, checks, seconds=20):
    lab.start_all()
    ok = lab.wait_connected(seconds=seconds)
    checks.check(ok, "the call is up: every daemon decodes every other's video")
    if not ok:
        for d in lab.daemons.values():
            log(f"{d.name}: {json.dumps(d.status())}")
        raise RuntimeError("the call did not come up")
    time.sleep(1.5)  # past the start-up transients
