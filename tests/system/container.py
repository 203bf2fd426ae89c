"""Real systemd 252 booted in a systemd-nspawn container (cgroup v1 hybrid, like JetPack 5).

The root filesystem is built once with mmdebstrap and cached by its package list; every boot runs on
a throwaway overlay (--volatile=overlay), so nothing a test does survives it."""
import hashlib
import os
import shutil
import signal
import subprocess
import time

from harness import ROOT, wait_for

PACKAGES = ["systemd", "systemd-sysv", "dbus", "procps", "python3", "libsdbus-c++1", "libspdlog1.10", "libtomlplusplus3"]
# With polkit, which decides for users other than root, and bash completion: the package's tests.
PACKAGES_WITH_POLKIT = PACKAGES + ["polkitd", "bash-completion"]
CACHE = os.environ.get("JMEM_TEST_CACHE", "/var/cache/jmem-tests")


def jmem_binds(jmemd, jmemctl):
    """The built binaries and the unit and bus policy from units/, where the package puts them."""
    return {
        os.path.abspath(jmemd): "/usr/sbin/jmemd",
        os.path.abspath(jmemctl): "/usr/bin/jmemctl",
        os.path.join(ROOT, "units/jmemd.service"): "/usr/lib/systemd/system/jmemd.service",
        os.path.join(ROOT, "units/dbus/org.jmem.Governor1.conf"): "/usr/share/dbus-1/system.d/org.jmem.Governor1.conf",
    }


def rootfs(packages=PACKAGES):
    key = hashlib.sha256(",".join(packages).encode()).hexdigest()[:12]
    path = os.path.join(CACHE, f"rootfs-bookworm-{key}")
    if not os.path.isdir(path):
        os.makedirs(CACHE, exist_ok=True)
        partial = path + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", "--include=" + ",".join(packages), "bookworm",
                        partial], check=True)
        os.rename(partial, path)
    return path


class Container:
    def __init__(self, binds, packages=PACKAGES, private_network=False):
        """binds: {host path: path inside}, mounted read-only; packages: what the root filesystem holds;
        private_network: only a loopback of its own, so a service listening in it meets no other."""
        self.binds = binds
        self.packages = packages
        self.private_network = private_network

    def __enter__(self):
        command = ["systemd-nspawn", "-D", rootfs(self.packages), "--volatile=overlay", "--register=no", "--keep-unit",
                   "--console=pipe", "-b"]
        command += [f"--bind-ro={host}:{inside}" for host, inside in self.binds.items()]
        if self.private_network:
            command.append("--private-network")
        self.log = open(os.path.join(CACHE, "last-boot.log"), "w")
        self.nspawn = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            self.pid1 = wait_for(self._init_pid, 30, "the container's init")
            # Until systemd has exec'd as PID 1 and opened its bus, systemctl answers "offline".
            wait_for(lambda: self.run("systemctl", "is-system-running", "--wait", timeout=60).stdout.strip()
                     in ("running", "degraded"), 60, "the container to boot")
        except BaseException:
            self.__exit__(None, None, None)  # a container that failed to boot must not outlive the test
            raise
        return self

    def _init_pid(self):
        if self.nspawn.poll() is not None:
            raise RuntimeError("systemd-nspawn exited")
        for task in os.listdir(f"/proc/{self.nspawn.pid}/task"):
            with open(f"/proc/{self.nspawn.pid}/task/{task}/children") as f:
                children = f.read().split()
            if children:
                return int(children[0])
        return None

    def run(self, *command, user=None, timeout=30, input_text=None):
        prefix = ["nsenter", "-t", str(self.pid1), "-a"]
        if user:
            prefix += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
        return subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=timeout,
                              input=input_text)

    def popen(self, *command):
        return subprocess.Popen(["nsenter", "-t", str(self.pid1), "-a", *command], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def write(self, path, text):
        result = self.run("sh", "-c", f"mkdir -p \"$(dirname {path})\" && cat > {path}", input_text=text)
        if result.returncode != 0:
            raise RuntimeError(f"cannot write {path} in the container: {result.stderr}")

    def show(self, unit, prop):
        return self.run("systemctl", "show", unit, "-p", prop, "--value").stdout.strip()

    def __exit__(self, *exc):
        # nspawn turns SIGTERM into an orderly shutdown of the container's systemd.
        self.nspawn.send_signal(signal.SIGTERM)
        try:
            self.nspawn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()
            self.nspawn.wait()
        self.log.close()
