#!/usr/bin/env python3
"""No caller can stall the loop: jmemd on a private bus beside a stand-in systemd manager that answers
every call after 1 s, with ten unprivileged clients calling Check in a loop. Prints, side by side in one
run, the tick's lateness (p50, p99, max) at rest and under the attack, the gaps between watchdog pings
(WATCHDOG_USEC 2 s, as systemd would read them from NOTIFY_SOCKET), how the Checks were answered, and
how long SIGTERM took. Usage: stall_bench.py JMEMD JMEMCTL SLOW_SYSTEMD"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "system"))
from harness import Checks, PrivateBus, standin_systemd_policy, wait_for  # noqa: E402

NOBODY = 65534
checks = Checks()


class Watchdog:
    """The notification socket systemd would give jmemd: records when each WATCHDOG=1 arrives."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.pings = []
        self.running = True
        self.thread = threading.Thread(target=self.listen, daemon=True)
        self.thread.start()

    def listen(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if b"WATCHDOG=1" in data:
                self.pings.append(time.monotonic())

    def max_gap(self, since, until):
        times = [since] + [t for t in self.pings if since <= t <= until] + [until]
        return max(b - a for a, b in zip(times, times[1:]))


def self_stats(env):
    result = subprocess.run(["busctl", "--system", "call", "org.jmem.Governor1", "/org/jmem/Governor1",
                             "org.jmem.Governor1.Manager", "GetSelfStats", "--json=short"], env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        return None
    record = json.loads(result.stdout)["data"][0]
    return [record[name]["data"] for name in ("ticks", "lateness_p50_usec", "lateness_p99_usec", "lateness_max_usec")]


def lateness(env, seconds):
    """Ticks, p50, p99, max of lateness (ms) over the last `seconds`: jmemd keeps 1024 ticks, so read after."""
    time.sleep(seconds)
    stats = self_stats(env)
    return stats


def main():
    jmemd, jmemctl, slow_systemd = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="jmem-stall-") as workdir:
        os.chmod(workdir, 0o755)
        policy_dir = standin_systemd_policy(workdir)
        with PrivateBus(policy_dir) as bus:
            standin = subprocess.Popen([slow_systemd, "1000"], env=bus.env, stdout=subprocess.PIPE, text=True)
            checks.check("the slow stand-in serves systemd's name", standin.stdout.readline().strip() == "ready")
            notify = os.path.join(workdir, "notify")
            watchdog = Watchdog(notify)
            env = dict(bus.env, NOTIFY_SOCKET=notify, WATCHDOG_USEC="2000000")
            log = open(os.path.join(workdir, "jmemd.log"), "w")
            daemon = subprocess.Popen([jmemd, "--state-dir", os.path.join(workdir, "state"), "--metrics-dir", ""],
                                      env=env, stdout=log, stderr=log)
            wait_for(lambda: self_stats(bus.env) is not None, 30, "jmemd on the bus")

            # At rest: 12 s of ticks (the window jmemd reports is its last 1024 ticks; both runs are short).
            rest_start = time.monotonic()
            rest = lateness(bus.env, 12)
            rest_end = time.monotonic()

            # Under attack: ten unprivileged clients calling Check in a loop for 45 s (one Check asks systemd
            # dozens of questions: at 1 s each, its answer takes longer than jmemctl's 25 s timeout, so the
            # clients wait up to 120 s).
            attack_seconds = 45
            stop_at = time.monotonic() + attack_seconds
            answered, failed, durations = [0], [0], []
            lock = threading.Lock()

            def attacker():
                while time.monotonic() < stop_at:
                    started = time.monotonic()
                    result = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                                             "busctl", "--system", "--timeout=120", "call", "org.jmem.Governor1",
                                             "/org/jmem/Governor1", "org.jmem.Governor1.Manager", "Check"],
                                            env=bus.env, capture_output=True, text=True, timeout=180)
                    with lock:
                        durations.append(time.monotonic() - started)
                        if result.returncode == 0:
                            answered[0] += 1
                        else:
                            failed[0] += 1

            attack_start = time.monotonic()
            before = self_stats(bus.env)
            threads = [threading.Thread(target=attacker) for _ in range(10)]
            for t in threads:
                t.start()
            # Read while the attack runs: jmemd keeps its last 1024 ticks; at 1 s a tick they are all here.
            time.sleep(attack_seconds - 2)
            under = self_stats(bus.env)
            for t in threads:
                t.join()
            attack_end = time.monotonic()

            # SIGTERM while Checks are still waiting on the slow manager.
            pending = [subprocess.Popen([jmemctl, "--no-pager", "check"], env=bus.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL) for _ in range(3)]
            time.sleep(1)
            term_start = time.monotonic()
            daemon.terminate()
            code = daemon.wait(timeout=30)
            term_seconds = time.monotonic() - term_start
            for p in pending:
                p.wait(timeout=60)
            watchdog.running = False
            standin.terminate()
            standin.wait()
            log.close()

            ms = lambda usec: usec / 1000.0  # noqa: E731
            durations.sort()
            print("tick lateness           ticks   p50 ms   p99 ms   max ms   longest watchdog gap s")
            rest_gap = watchdog.max_gap(rest_start, rest_end)
            attack_gap = watchdog.max_gap(attack_start, attack_end)
            if rest:
                print(f"at rest              {rest[0]:8d} {ms(rest[1]):8.1f} {ms(rest[2]):8.1f} {ms(rest[3]):8.1f} "
                      f"{rest_gap:10.2f}")
            if under:
                print(f"10 Check callers     {under[0]:8d} {ms(under[1]):8.1f} {ms(under[2]):8.1f} {ms(under[3]):8.1f} "
                      f"{attack_gap:10.2f}")
            if rest and under:
                print(f"p99 under attack / at rest: {max(under[2], 1) / max(rest[2], 1):.2f}")
            if durations:
                print(f"Check: {answered[0]} answered, {failed[0]} failed; answer time median "
                      f"{durations[len(durations) // 2]:.2f} s, max {durations[-1]:.2f} s (systemd answers each call "
                      f"after 1 s)")
            print(f"SIGTERM with Checks waiting on systemd: exited {code} after {term_seconds:.2f} s")
            checks.check("ticks went on under the attack", before and under and under[0] > before[0] + 10,
                         (before, under))
            checks.check("tick lateness p99 under attack is under 100 ms", under and ms(under[2]) < 100, under)
            checks.check("no watchdog miss: pings never 2 s apart under attack", attack_gap < 2.0, attack_gap)
            checks.check("every unprivileged Check was answered", answered[0] >= 10 and failed[0] == 0, (answered, failed))
            checks.check("SIGTERM honoured within 2 s", code == 0 and term_seconds < 2.0, (code, term_seconds))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
