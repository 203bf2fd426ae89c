#!/usr/bin/env python3
"""The unit from units/ under real systemd 252 in a container: it starts and reports READY, keeps the
watchdog fed, reloads on `systemctl reload`, stops cleanly, logs to the journal, and `jmemctl status`
works there for root and for an ordinary user."""
import os
import sys
import time

from container import Container, jmem_binds
from harness import Checks


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    t = Checks()
    with Container(jmem_binds(jmemd, jmemctl)) as c:
        # A short watchdog, so the test sees several pings.
        c.run("mkdir", "-p", "/run/systemd/system/jmemd.service.d")
        c.run("sh", "-c", "printf '[Service]\\nWatchdogSec=2s\\n' > /run/systemd/system/jmemd.service.d/watchdog.conf")
        c.run("systemctl", "daemon-reload")
        c.run("busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")

        result = c.run("systemctl", "start", "jmemd.service", timeout=60)
        t.check("systemctl start returns once READY=1 came", result.returncode == 0, result.stderr)
        t.check("the unit is active (running)", c.show("jmemd", "SubState") == "running", c.show("jmemd", "SubState"))
        status_text = c.show("jmemd", "StatusText")
        t.check("STATUS= carries a summary", "processes" in status_text and "PSS" in status_text, status_text)
        t.check("the watchdog is on", c.show("jmemd", "WatchdogUSec") == "2s", c.show("jmemd", "WatchdogUSec"))
        first_ping = int(c.show("jmemd", "WatchdogTimestampMonotonic") or 0)
        time.sleep(5)
        t.check("the watchdog is fed", int(c.show("jmemd", "WatchdogTimestampMonotonic") or 0) > first_ping)
        t.check("no watchdog restart in 5 s", c.show("jmemd", "NRestarts") == "0" and
                c.show("jmemd", "SubState") == "running")

        result = c.run("jmemctl", "--no-pager", "status")
        t.check("jmemctl status works in the container", result.returncode == 0 and "jmemd" in result.stdout,
                result.stderr)
        result = c.run("jmemctl", "--no-pager", "top", "--lines", "3", user="65534")
        t.check("an ordinary user can read", result.returncode == 0, result.stderr)
        result = c.run("jmemctl", "reload", user="65534")
        t.check("an ordinary user may not reload (no polkit: denied)", result.returncode == 4, result.stderr)

        main_pid = c.show("jmemd", "MainPID")
        result = c.run("systemctl", "reload", "jmemd.service", timeout=60)
        t.check("systemctl reload succeeds", result.returncode == 0, result.stderr)
        t.check("the same process keeps running after reload", c.show("jmemd", "MainPID") == main_pid and
                c.show("jmemd", "SubState") == "running")
        journal = c.run("journalctl", "-u", "jmemd", "--no-pager", "-o", "cat").stdout
        t.check("the journal has jmemd's log", "Serving org.jmem.Governor1" in journal and "Reloading" in journal,
                journal[-500:])

        result = c.run("systemctl", "stop", "jmemd.service", timeout=60)
        t.check("systemctl stop succeeds", result.returncode == 0, result.stderr)
        t.check("it stopped cleanly", c.show("jmemd", "Result") == "success" and
                c.show("jmemd", "ExecMainStatus") == "0", (c.show("jmemd", "Result"), c.show("jmemd", "ExecMainStatus")))
        result = c.run("jmemctl", "status")
        t.check("jmemctl then says it is not running (exit 3)", result.returncode == 3, result.stderr)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
