"""What the package tests share: the version the packages carry, jmemctl inside a container, and
whether the installed jmemd.service is up."""
import os
import re

from harness import ROOT


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(jmem VERSION ([0-9.]+)", f.read()).group(1)


def ctl(c, *args, user=None):
    return c.run("jmemctl", "--no-pager", *args, user=user, timeout=120)


def check_service_ready(t, c, name="jmemd.service runs and is READY"):
    """Active, running, and past its first sample (its status line counts processes)."""
    return t.check(name, c.show("jmemd", "ActiveState") == "active" and c.show("jmemd", "SubState") == "running"
                   and "processes" in c.show("jmemd", "StatusText"),
                   c.run("systemctl", "status", "--no-pager", "jmemd").stdout)
