#!/usr/bin/env python3
"""meshcalld@.service run by a real systemd user manager: one case per run.

    user_manager_test.py CASE --unit build/systemd/test/meshcalld@.service \
        --meshcall build/client/meshcall

A user manager needs what a booted system and a login give it. In a private mount and cgroup
namespace this mounts tmpfs on /run/systemd (with /run/systemd/system, so systemd believes it
was booted), /run/user and /home, and a cgroup2 tree rooted at a cgroup of its own, delegated
to the user; then it runs `systemd --user` as the unprivileged user nobody, as a desktop session
does, with no display and no sound server (meshcalld warns and goes on headless). The unit is
the build's copy, with its ExecStart as shipped; a drop-in only sends its output to a file.

Cases (each a CTest test, systemd_tests/user_manager/CASE):
  leave         start returns once the control socket answers (Type=notify: READY=1);
                `meshcall status --room INSTANCE` finds the call although the file's "room"
                field differs; `meshcall leave` ends it inactive, not failed
  stop          `systemctl --user stop` ends it inactive: meshcalld leaves on SIGTERM, exit 0
  crash         SIGKILL is restarted (Restart=on-failure): NRestarts 1, active, answering
  config-error  an invalid room file: exit 2, failed, never restarted
  sandbox       with PrivateUsers=yes (the drop-in docs/systemd.md gives for systemd 252; 253
                and later imply it): the mount namespace is built, / and home are read-only,
                the runtime dir and ~/Pictures writable, a snapshot lands in ~/Pictures
  no-userns     a manager refused user namespaces, as in a container whose seccomp profile
                does so (Docker's default): PrivateUsers=yes cannot start there (217/USER),
                the unit can

Needs root (mounts, a user manager as another user), unshare/setpriv (util-linux) and cgroup2;
without them it exits 77, which CTest reports as skipped, after saying why. Everything it starts
lives in its cgroup, which is killed and removed on every path; the mounts go with the
namespace. docs/systemd.md explains the set-up and what it found.
"""
import argparse
import ctypes
import errno
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

SKIP = 77
SYSTEMD = "/lib/systemd/systemd"
USER = "nobody"
CGROUP_PREFIX = "meshcall-systemd-test."
INSTANCE = "weekly"  # the room file rooms/weekly.json ...
ROOM_FIELD = "standup"  # ... whose "room" field says otherwise
UNIT = f"meshcalld@{INSTANCE}.service"
CASES = ("leave", "stop", "crash", "config-error", "sandbox", "no-userns")


def say(text):
    print(text, flush=True)


def wait_until(predicate, timeout, interval=0.05):
    """Polls `predicate` until it is truthy or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# --- outside: preconditions, the delegated cgroup, clean-up ---------------------------------


def skip(reason):
    say(f"SKIPPED: {reason}")
    sys.exit(SKIP)


def cgroup2_root():
    """Where the cgroup2 hierarchy is mounted, and this process's cgroup in it."""
    mount = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                mount = fields[4]
                break
    with open("/proc/self/cgroup") as f:
        own = next((l[3:].strip() for l in f if l.startswith("0::")), None)
    return mount, own


def populated(cgroup):
    try:
        with open(os.path.join(cgroup, "cgroup.events")) as f:
            return "populated 1" in f.read()
    except FileNotFoundError:
        return False


def destroy_cgroup(cgroup, timeout=10):
    """Kills every process in `cgroup` and below, then removes it. True if it is gone."""
    if not os.path.isdir(cgroup):
        return True
    kill = os.path.join(cgroup, "cgroup.kill")

    def emptied():
        if not populated(cgroup):
            return True
        if os.path.exists(kill):
            write(kill, "1")
        else:  # kernels before 5.14: one by one, until none is left
            for d, _, _ in os.walk(cgroup):
                with open(os.path.join(d, "cgroup.procs")) as f:
                    for pid in f.read().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
        return False

    if not wait_until(emptied, timeout):
        say(f"could not empty the cgroup {cgroup} in {timeout} s")
        return False
    for d, _, _ in os.walk(cgroup, topdown=False):
        os.rmdir(d)
    return True


def sweep_stale(parent):
    """Cgroups left by a run that was killed before it could clean up (its pid is gone)."""
    for name in os.listdir(parent):
        if not name.startswith(CGROUP_PREFIX):
            continue
        try:
            os.kill(int(name[len(CGROUP_PREFIX):]), 0)
        except ProcessLookupError:
            say(f"removing {name}, left by an earlier run")
            destroy_cgroup(os.path.join(parent, name))
        except (ValueError, PermissionError):
            pass


def outside(args):
    if os.geteuid() != 0:
        skip("needs root, to mount a private /run/systemd and run a user manager as another user")
    for tool in ("unshare", "setpriv"):
        if not shutil.which(tool):
            skip(f"{tool} (util-linux) is not installed")
    probe = subprocess.run(["unshare", "--mount", "--cgroup", "true"], capture_output=True,
                           text=True, timeout=10)
    if probe.returncode != 0:
        skip(f"unshare --mount --cgroup is refused here: {probe.stderr.strip()}")
    mount, own = cgroup2_root()
    if not mount or own is None:
        skip("no cgroup2 hierarchy is mounted (a user manager needs one to delegate)")
    if not os.path.exists(SYSTEMD):
        say(f"FAIL: {SYSTEMD} is missing; scripts/setup installs systemd")
        return 1
    parent = os.path.join(mount, own.lstrip("/"))
    sweep_stale(parent)
    cgroup = os.path.join(parent, f"{CGROUP_PREFIX}{os.getpid()}")
    pw = pwd.getpwnam(USER)

    # A SIGTERM (CTest stopping the run) still cleans up, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    rc = 1
    try:
        os.mkdir(cgroup)
        # Delegation, as logind does for user@.service: the user may manage this subtree.
        for f in ("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"):
            os.chown(os.path.join(cgroup, f), pw.pw_uid, pw.pw_gid)
        child = subprocess.Popen(
            ["unshare", "--mount", "--cgroup", "--propagation", "private", "--",
             sys.executable, os.path.abspath(__file__), "--inside", args.case,
             "--unit", os.path.abspath(args.unit), "--meshcall", os.path.abspath(args.meshcall)],
            # Into the cgroup before unshare, so the new cgroup namespace is rooted there.
            preexec_fn=lambda: write(os.path.join(cgroup, "cgroup.procs"), "0"))
        try:  # a deadline below CTest's timeout, so that the clean-up runs here
            rc = child.wait(timeout=args.deadline)
        except subprocess.TimeoutExpired:
            say(f"FAIL: the case did not finish within {args.deadline} s")
    finally:
        if not destroy_cgroup(cgroup):
            rc = rc or 1
    say(f"{args.case}: {'passed' if rc == 0 else 'FAILED'} in "
        f"{time.monotonic() - started:.1f} s (user manager start and clean-up included)")
    return rc


# --- inside the namespace: a booted system, a login, a user manager -------------------------


class Session:
    """The user manager of `nobody` and the commands run as that user."""

    def __init__(self, args):
        self.args = args
        self.pw = pwd.getpwnam(USER)
        self.runtime = f"/run/user/{self.pw.pw_uid}"
        self.home = "/home/meshcall-test"
        self.config = os.path.join(self.home, ".config")
        self.env = {
            "HOME": self.home, "USER": USER, "LOGNAME": USER, "SHELL": "/bin/sh",
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": self.runtime, "XDG_CONFIG_HOME": self.config,
        }
        # The sanitized build's daemon needs its options (and finds its suppressions by path).
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.manager = None
        self.failures = []

    # The view of a booted system and of a logged-in user.
    def prepare(self):
        subprocess.run(["mount", "-t", "cgroup2", "cgroup2", "/sys/fs/cgroup"], check=True)
        for d in ("/run/systemd", "/run/user", "/home"):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,nosuid,nodev", "tmpfs", d],
                           check=True)
        os.mkdir("/run/systemd/system")
        # What PID 1 creates at boot, and a service's sandbox needs (without them it fails with
        # 226/NAMESPACE): the mount point where its namespace is assembled, and the nodes a
        # manager running as root mounts over what is hidden (others use /run/user/UID/systemd).
        os.mkdir("/run/systemd/unit-root", 0o700)
        inaccessible = "/run/systemd/inaccessible"
        os.mkdir(inaccessible)
        os.mkdir(f"{inaccessible}/dir", 0)
        os.close(os.open(f"{inaccessible}/reg", os.O_CREAT | os.O_WRONLY, 0))
        os.mkfifo(f"{inaccessible}/fifo", 0)
        os.mknod(f"{inaccessible}/chr", stat.S_IFCHR, os.makedev(0, 0))
        os.mknod(f"{inaccessible}/blk", stat.S_IFBLK, os.makedev(0, 0))
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(f"{inaccessible}/sock")
        for f in os.listdir(inaccessible):
            os.chmod(f"{inaccessible}/{f}", 0)

        rooms = os.path.join(self.config, "meshcall", "rooms")
        units = os.path.join(self.config, "systemd", "user")
        os.makedirs(rooms)
        os.makedirs(units + "/meshcalld@.service.d")
        os.makedirs(os.path.join(self.home, "Pictures"))
        ports = [free_udp_port(), free_udp_port()]
        write(os.path.join(rooms, f"{INSTANCE}.json"), json.dumps({
            "room": ROOM_FIELD,
            "video": {"width": 320, "height": 240, "fps": 30, "bitrate_kbps": 400},
            "audio": {"bitrate_kbps": 32},
            "peers": [{"name": "alice", "host": "127.0.0.1", "port": ports[0]},
                      {"name": "bob", "host": "127.0.0.1", "port": ports[1]}]}, indent=2))
        write(os.path.join(rooms, "broken.json"), '{"room": "broken", "peers": [')
        write(os.path.join(self.config, "meshcall", "profile.json"),
              json.dumps({"name": "alice", "video": "test", "audio": "tone"}))
        # The unit as built, with one change: meshcalld is run from a copy in the test user's
        # home. The build tree may be anywhere, /tmp included, which PrivateTmp hides from the
        # service (203/EXEC); an installed meshcalld is in /usr, which every sandbox keeps.
        with open(self.args.unit) as f:
            unit = f.read()
        exec_start = next(l for l in unit.splitlines() if l.startswith("ExecStart="))
        built = exec_start[len("ExecStart="):].split()[0]
        os.makedirs(os.path.join(self.home, "bin"))
        installed = os.path.join(self.home, "bin", "meshcalld")
        shutil.copy2(built, installed)
        write(os.path.join(units, "meshcalld@.service"), unit.replace(built, installed))
        # Likewise the sanitizers' suppression files the options name (LSAN_OPTIONS'
        # suppressions=PATH): copied beside it, where the sandbox still lets the daemon read.
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k not in self.env:
                continue
            options = []
            for option in self.env[k].split(":"):
                name, _, value = option.partition("=")
                if name == "suppressions" and value:
                    copy = os.path.join(self.home, "bin", f"{k.split('_')[0].lower()}.supp")
                    shutil.copy2(value, copy)
                    option = f"suppressions={copy}"
                options.append(option)
            self.env[k] = ":".join(options)
        # The only change to the unit: its output goes to a file (there is no journal here).
        write(os.path.join(units, "meshcalld@.service.d", "test-log.conf"),
              "[Service]\nStandardOutput=append:%h/meshcalld-%i.log\n")
        os.makedirs(self.runtime, 0o700)
        for d in (self.runtime, self.home):
            for path, dirs, files in os.walk(d):
                for p in [path] + [os.path.join(path, x) for x in dirs + files]:
                    os.chown(p, self.pw.pw_uid, self.pw.pw_gid)
        os.chmod(self.home, 0o700)

    def as_user(self, argv):
        return ["setpriv", f"--reuid={self.pw.pw_uid}", f"--regid={self.pw.pw_gid}",
                "--clear-groups", "--"] + argv

    def run(self, *argv, timeout=30):
        try:
            return subprocess.run(self.as_user(list(argv)), env=self.env, cwd=self.home,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(argv, -1, "", f"timed out after {timeout} s")

    def systemctl(self, *args, timeout=30):
        return self.run("systemctl", "--user", *args, timeout=timeout)

    def meshcall(self, *args):
        return self.run(self.args.meshcall, *args, timeout=15)

    def show(self, *props, unit=UNIT):
        r = self.systemctl("show", unit, *(f"--property={p}" for p in props))
        values = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
        return {p: values.get(p, "") for p in props}

    def start_manager(self, user_namespaces=True):
        # Dies with this script (the cgroup is killed anyway); logs nowhere: no journal here.
        self.manager = subprocess.Popen(
            ["setpriv", f"--reuid={self.pw.pw_uid}", f"--regid={self.pw.pw_gid}",
             "--clear-groups", "--pdeathsig=KILL", "--", SYSTEMD, "--user"],
            env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=None if user_namespaces else refuse_user_namespaces)
        private = os.path.join(self.runtime, "systemd", "private")
        if not wait_until(lambda: os.path.exists(private) or self.manager.poll() is not None, 15):
            raise RuntimeError("the user manager did not open its private socket in 15 s")
        if self.manager.poll() is not None:
            raise RuntimeError(f"the user manager exited with {self.manager.returncode}")
        r = self.systemctl("is-system-running", "--wait", timeout=30)
        state = r.stdout.strip()
        if state not in ("running", "degraded"):
            raise RuntimeError(f"the user manager did not come up: {state} {r.stderr.strip()}")
        say(f"user manager up as {USER} ({state}), XDG_RUNTIME_DIR={self.runtime}, "
            f"/run {'is' if os.path.ismount('/run') else 'is not'} a mount point")
        # Enabled, as the README says: it also keeps the unit loaded once it stopped, so that
        # its exit status can still be read.
        r = self.systemctl("enable", UNIT)
        if r.returncode != 0:
            raise RuntimeError(f"systemctl --user enable {UNIT}: {r.stderr.strip()}")

    def stop_manager(self):
        if self.manager and self.manager.poll() is None:
            self.manager.terminate()  # a user manager stops its units and exits
            try:
                self.manager.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.manager.kill()
                self.manager.wait(timeout=5)

    # Assertions: each says what it checks; a failure shows the evidence.
    def check(self, ok, what, evidence=""):
        say(f"{'ok  ' if ok else 'FAIL'}  {what}")
        if not ok:
            if evidence:
                say("      " + str(evidence).strip().replace("\n", "\n      "))
            self.failures.append(what)
        return ok

    def settled(self, timeout=15):
        """Waits until the unit is no longer running or starting (or is waiting to restart)."""
        def state():
            s = self.show("ActiveState", "SubState", "Result", "NRestarts", "ExecMainCode",
                          "ExecMainStatus", "MainPID")
            done = s["ActiveState"] in ("inactive", "failed") or s["SubState"] == "auto-restart"
            return s if done else None
        return wait_until(state, timeout) or self.show("ActiveState", "SubState", "Result",
                                                        "NRestarts", "ExecMainCode",
                                                        "ExecMainStatus", "MainPID")

    def start_call(self, what="systemctl --user start returns"):
        r = self.systemctl("start", UNIT)
        self.check(r.returncode == 0, what, r.stderr)
        # Type=notify: the start job ends at READY=1, which meshcalld sends once its UDP and
        # control sockets are up; so at this point it is active and answers, with no retry.
        s = self.show("Type", "ActiveState", "MainPID")
        self.check(s["Type"] == "notify", "the unit is Type=notify", s)
        self.check(s["ActiveState"] == "active", "... and active when start returns", s)
        return s

    def status_answers(self, what):
        r = self.meshcall("status", "--room", INSTANCE, "--json")
        if not self.check(r.returncode == 0, what, f"exit {r.returncode}: {r.stderr}"):
            return None
        return json.loads(r.stdout)

    def diagnose(self):
        say("---- systemctl --user status")
        say(self.systemctl("status", "--no-pager", UNIT).stdout)
        log = os.path.join(self.home, f"meshcalld-{INSTANCE}.log")
        if os.path.exists(log):
            say(f"---- {log}")
            with open(log) as f:
                say(f.read()[-4000:])


def refuse_user_namespaces():
    """What a container's seccomp profile (Docker's default) does to user namespaces: unshare()
    and clone() asking for one fail with EPERM, clone3() with ENOSYS (a filter cannot read its
    flags; glibc falls back to clone()). Runs in the manager's process before exec, as root."""
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)

    class ArgCmp(ctypes.Structure):  # struct scmp_arg_cmp
        _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                    ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]

    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    act_allow, act_errno, nnp_attr, masked_eq = 0x7FFF0000, 0x00050000, 3, 7
    clone_newuser = 0x10000000
    ctx = lib.seccomp_init(act_allow)
    # Root may load a filter without no_new_privs; a user manager has none.
    rcs = [lib.seccomp_attr_set(ctx, nnp_attr, 0)]
    flags_ask_userns = (ArgCmp * 1)(ArgCmp(0, masked_eq, clone_newuser, clone_newuser))
    for name in (b"unshare", b"clone"):
        rcs.append(lib.seccomp_rule_add_array(ctx, act_errno | errno.EPERM,
                                              lib.seccomp_syscall_resolve_name(name), 1,
                                              flags_ask_userns))
    rcs.append(lib.seccomp_rule_add_array(ctx, act_errno | errno.ENOSYS,
                                          lib.seccomp_syscall_resolve_name(b"clone3"), 0, None))
    rcs.append(lib.seccomp_load(ctx))
    if any(rcs):
        raise OSError(f"libseccomp: {rcs}")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exit_code(s):
    return f"ExecMainCode={s['ExecMainCode']} ExecMainStatus={s['ExecMainStatus']}"


CLD_EXITED, CLD_KILLED = "1", "2"


def case_leave(t):
    t.start_call()
    main = t.show("MainPID")["MainPID"]
    with open(f"/proc/{main}/status") as f:
        status = f.read()
    t.check(re.search(r"^NoNewPrivs:\s+1$", status, re.M) and
            re.search(r"^Seccomp:\s+2$", status, re.M),
            "meshcalld runs with no_new_privs and a seccomp filter (in force without namespaces)",
            status)
    reply = t.status_answers(f"meshcall status --room {INSTANCE} finds the call at once "
                             f"(the socket is named for the instance)")
    if reply:
        t.check(reply.get("room") == ROOM_FIELD and reply["self"].get("name") == "alice",
                f"... which is room \"{ROOM_FIELD}\" (the file's field) as alice (the profile)",
                reply)
    r = t.meshcall("leave", "--room", INSTANCE)
    t.check(r.returncode == 0, f"meshcall leave --room {INSTANCE}", r.stderr)
    s = t.settled()
    t.check(s["ActiveState"] == "inactive" and s["Result"] == "success",
            "meshcall leave ends it inactive, not failed", s)
    t.check(s["ExecMainCode"] == CLD_EXITED and s["ExecMainStatus"] == "0",
            "... meshcalld exited 0", exit_code(s))
    t.check(s["NRestarts"] == "0", "... and it was not restarted", s)


def case_stop(t):
    t.start_call()
    t.status_answers("the call answers")
    r = t.systemctl("stop", UNIT)
    t.check(r.returncode == 0, "systemctl --user stop returns", r.stderr)
    s = t.show("ActiveState", "Result", "ExecMainCode", "ExecMainStatus", "NRestarts")
    t.check(s["ActiveState"] == "inactive" and s["Result"] == "success",
            "stop ends it inactive, not failed", s)
    # SIGTERM is meshcalld's "leave": it says goodbye and exits 0 (not killed by a signal).
    t.check(s["ExecMainCode"] == CLD_EXITED and s["ExecMainStatus"] == "0",
            "... meshcalld left on SIGTERM and exited 0", exit_code(s))


def case_crash(t):
    first = t.start_call()["MainPID"]
    r = t.systemctl("kill", "--signal=KILL", UNIT)
    t.check(r.returncode == 0, "systemctl --user kill -s KILL", r.stderr)

    def restarted():
        s = t.show("ActiveState", "NRestarts", "MainPID")
        ok = s["NRestarts"] == "1" and s["ActiveState"] == "active" and s["MainPID"] not in (
            "0", first)
        return s if ok else None

    # RestartSec=2, then a start: well within 20 s.
    s = wait_until(restarted, 20) or t.show("ActiveState", "SubState", "NRestarts", "MainPID")
    t.check(s.get("ActiveState") == "active" and s.get("NRestarts") == "1",
            "the crash is restarted: NRestarts 1, active again with a new main PID", s)
    t.status_answers("the restarted call answers on the same socket")
    r = t.systemctl("stop", UNIT)
    s = t.show("ActiveState", "Result")
    t.check(r.returncode == 0 and s["ActiveState"] == "inactive", "and stops", s)


def case_config_error(t):
    unit = "meshcalld@broken.service"
    r = t.systemctl("start", unit)
    t.check(r.returncode != 0, "systemctl --user start fails on an invalid room file",
            r.stdout + r.stderr)

    def settled():
        s = t.show("ActiveState", "SubState", "Result", "NRestarts", "ExecMainCode",
                   "ExecMainStatus", unit=unit)
        return s if s["ActiveState"] in ("failed", "inactive") or s["SubState"] == "auto-restart" \
            else None

    s = wait_until(settled, 15) or t.show("ActiveState", "SubState", unit=unit)
    # Were exit 2 restarted, the unit would sit in auto-restart now, not in failed.
    t.check(s.get("ActiveState") == "failed" and s.get("SubState") == "failed",
            "it ends failed, not waiting to restart", s)
    t.check(s.get("ExecMainCode") == CLD_EXITED and s.get("ExecMainStatus") == "2",
            "... with exit status 2 (configuration error)", s)
    t.check(s.get("NRestarts") == "0", "... and NRestarts 0", s)


def mounts(pid):
    """Mount point -> options of the topmost mount, as process `pid` sees them."""
    seen = {}
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            fields = line.split()
            seen[fields[4]] = set(fields[5].split(","))
    return seen


def case_sandbox(t):
    dropin = os.path.join(t.config, "systemd", "user", "meshcalld@.service.d", "sandbox.conf")
    write(dropin, "[Service]\nPrivateUsers=yes\n"
                  'Environment="MESHCALLD_OPTIONS=--snapshot %h/Pictures/%i.png '
                  '--snapshot-every 0.2"\n')
    t.systemctl("daemon-reload")
    main = t.start_call("systemctl --user start returns, with PrivateUsers=yes")["MainPID"]
    t.status_answers("the call answers (its socket in the runtime dir, ReadWritePaths=%t)")
    own = os.readlink(f"/proc/{main}/ns/mnt")
    t.check(own != os.readlink(f"/proc/{t.manager.pid}/ns/mnt"),
            "meshcalld has a mount namespace of its own (the sandbox is built)", own)
    m = mounts(main)
    pictures = os.path.join(t.home, "Pictures")

    def writable(path):
        return "rw" in m.get(path, set())
    t.check("ro" in m.get("/", set()), "/ is read-only (ProtectSystem=strict)", m.get("/"))
    t.check("ro" in m.get("/home", set()) and "ro" in m.get("/run/user", set()),
            "/home and /run/user are read-only (ProtectHome=read-only)",
            {k: m.get(k) for k in ("/home", "/run/user")})
    t.check(writable(pictures) and writable(t.runtime),
            "~/Pictures and the runtime dir are writable (ReadWritePaths=)",
            {k: m.get(k) for k in (pictures, t.runtime)})
    snapshot = os.path.join(pictures, f"{INSTANCE}.png")
    t.check(wait_until(lambda: os.path.exists(snapshot) and os.path.getsize(snapshot) > 0, 10),
            "a snapshot lands in ~/Pictures (MESHCALLD_OPTIONS reached meshcalld)")
    r = t.meshcall("leave", "--room", INSTANCE)
    s = t.settled()
    t.check(r.returncode == 0 and s["ActiveState"] == "inactive" and s["Result"] == "success",
            "meshcall leave ends it inactive", s)


def case_no_userns(t):
    # The emulation bites: what needs a user namespace cannot start here.
    r = t.run("systemd-run", "--user", "--wait", "-p", "PrivateUsers=yes", "/bin/true")
    t.check(r.returncode != 0 and "status=217" in r.stdout + r.stderr,
            "PrivateUsers=yes fails here with 217/USER (no user namespaces, as in the container)",
            r.stdout + r.stderr)
    t.start_call()
    t.status_answers(f"meshcall status --room {INSTANCE} finds the call")
    r = t.systemctl("stop", UNIT)
    s = t.show("ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
    t.check(r.returncode == 0 and s["ActiveState"] == "inactive" and s["Result"] == "success"
            and s["ExecMainCode"] == CLD_EXITED and s["ExecMainStatus"] == "0",
            "stop ends it inactive, meshcalld exited 0", s)


def inside(args):
    t = Session(args)
    try:
        t.prepare()
        t.start_manager(user_namespaces=args.case != "no-userns")
        {"leave": case_leave, "stop": case_stop, "crash": case_crash,
         "config-error": case_config_error, "sandbox": case_sandbox,
         "no-userns": case_no_userns}[args.case](t)
    except Exception as e:  # set-up, or a case that could not go on: the evidence, then fail
        t.check(False, f"{type(e).__name__}: {e}")
    if t.failures:
        t.diagnose()
    t.stop_manager()
    return 1 if t.failures else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", choices=CASES)
    p.add_argument("--unit", required=True, help="the build's copy of meshcalld@.service")
    p.add_argument("--meshcall", required=True, help="the meshcall CLI")
    p.add_argument("--deadline", type=float, default=90, help="seconds for the whole case")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    sys.exit(inside(args) if args.inside else outside(args))


if __name__ == "__main__":
    main()
