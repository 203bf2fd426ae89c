"""Shared pieces of the system tests: checks that count, a private system bus, a running jmemd."""
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {name} {detail}")
        return condition

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def wait_for(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")


def standin_systemd_policy(parent):
    """A bus policy directory under `parent` for PrivateBus that lets a stand-in systemd manager, run as
    root, own systemd's name and anyone call it, as the system bus's own systemd policy does."""
    directory = os.path.join(parent, "standin-systemd-policy")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "systemd.conf"), "w") as f:
        f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root"><allow own="org.freedesktop.systemd1"/></policy>
  <policy context="default"><allow send_destination="org.freedesktop.systemd1"/></policy>
</busconfig>
""")
    return directory


class PrivateBus:
    """A dbus-daemon with the system bus's rules and jmem's policy, in a directory others can reach."""

    def __init__(self, extra_policy_dir=None):
        self.extra = [extra_policy_dir] if extra_policy_dir else []

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="jmem-bus-")
        out = subprocess.run([os.path.join(ROOT, "packaging/private-bus.sh"), self.dir, *self.extra], check=True,
                             capture_output=True, text=True).stdout.split()
        self.address, self.pid = out[0], int(out[1])
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        return self

    def __exit__(self, *exc):
        try:
            os.kill(self.pid, 15)
        except ProcessLookupError:
            pass
        subprocess.run(["rm", "-rf", self.dir])


class Jmemd:
    """jmemd serving on a bus, stopped with SIGTERM at the end."""

    def __init__(self, jmemd, jmemctl, bus, *args):
        self.jmemctl = jmemctl
        self.bus = bus
        self.stopped = False  # by stop(); a process that ended otherwise exited by itself
        self.process = subprocess.Popen([jmemd, *args], env=bus.env, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: self.ctl("status").returncode == 0 or self.process.poll() is not None, 20,
                     "jmemd on the bus")
        except TimeoutError:
            self.process.kill()  # no jmemd outlives a failed test
            raise
        if self.process.poll() is not None:
            raise RuntimeError("jmemd exited: " + self.process.stderr.read())

    def ctl(self, *args, user=None):
        command = [self.jmemctl, "--no-pager", *args]
        if user:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
        return subprocess.run(command, env=self.bus.env, capture_output=True, text=True)

    def busctl(self, *args, user=None):
        command = ["busctl", "--system", *args]
        if user:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
        return subprocess.run(command, env=self.bus.env, capture_output=True, text=True)

    def stop(self):
        self.stopped = True
        self.process.terminate()
        return self.process.wait(timeout=20)
