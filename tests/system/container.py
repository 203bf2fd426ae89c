"""Real systemd 252 booted in a systemd-nspawn container (cgroup v1 hybrid, like JetPack 5); other Debian
releases and, under qemu-user, other architectures on request.

The root filesystem is built once with mmdebstrap and cached by release, architecture and package list;
every boot runs on a throwaway overlay (--volatile=overlay), so nothing a test does survives it."""
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


def native_arch():
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def rootfs(packages=PACKAGES, suite="bookworm", arch=None):
    """A Debian root of suite for arch (default: the host's; another one runs under qemu-user through
    binfmt_misc), cached by suite, arch and package list."""
    foreign = arch not in (None, native_arch())
    key = hashlib.sha256(",".join(packages).encode()).hexdigest()[:12]
    path = os.path.join(CACHE, f"rootfs-{suite}-{arch}-{key}" if foreign else f"rootfs-{suite}-{key}")
    if not os.path.isdir(path):
        os.makedirs(CACHE, exist_ok=True)
        partial = path + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        command = ["mmdebstrap", "--quiet", "--variant=minbase", "--include=" + ",".join(packages)]
        if foreign:
            # Only the release's main suite: the security mirror may not carry a foreign architecture.
            command += ["--architectures=" + arch, suite, partial, "http://deb.debian.org/debian"]
        else:
            command += [suite, partial]
        subprocess.run(command, check=True)
        os.rename(partial, path)
    return path


class Container:
    def __init__(self, binds, packages=PACKAGES, private_network=False, suite="bookworm", arch=None):
        """binds: {host path: path inside}, mounted read-only; packages: what the root filesystem holds;
        private_network: only a loopback of its own, so a service listening in it meets no other;
        suite, arch: the root's Debian release and architecture (see rootfs())."""
        self.binds = binds
        self.packages = packages
        self.private_network = private_network
        self.suite = suite
        self.arch = arch

    def __enter__(self):
        command = ["systemd-nspawn", "-D", rootfs(self.packages, self.suite, self.arch), "--volatile=overlay",
                   "--register=no", "--keep-unit", "--console=pipe", "-b"]
        command += [f"--bind-ro={host}:{inside}" for host, inside in self.binds.items()]
        if self.private_network:
            command.append("--private-network")
        self.log = open(os.path.join(CACHE, "last-boot.log"), "w")
        self.nspawn = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            self.pid1 = wait_for(self._init_pid, 30, "the container's init")
            self.init = os.pidfd_open(self.pid1)  # for a last SIGKILL that cannot meet a reused PID
            # Until systemd has exec'd as PID 1 and opened its bus, systemctl answers "offline". Under
            # qemu-user a boot takes half a minute, more on a busy machine.
            boot_s = 60 if self.arch in (None, native_arch()) else 300
            wait_for(lambda: self.run("systemctl", "is-system-running", "--wait", timeout=boot_s).stdout.strip()
                     in ("running", "degraded"), boot_s, "the container to boot")
        except BaseException:
            self.__exit__(None, None, None)  # a container that failed to boot must not outlive the test
            raise
        return self

    def _init_pid(self):
        if self.nspawn.poll() is not None:
            raise RuntimeError("systemd-nspawn exited")
        own = os.readlink(f"/proc/{self.nspawn.pid}/ns/pid")
        for task in os.listdir(f"/proc/{self.nspawn.pid}/task"):
            with open(f"/proc/{self.nspawn.pid}/task/{task}/children") as f:
                children = f.read().split()
            # nspawn's first child (its "outer child") is gone once init runs: init is the one in a PID
            # namespace of its own. On a busy machine the outer child lives long enough to be found.
            for child in children:
                try:
                    if os.readlink(f"/proc/{child}/ns/pid") != own:
                        return int(child)
                except FileNotFoundError:
                    pass
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
        init = getattr(self, "init", None)
        if self.arch in (None, native_arch()) or init is None:
            # nspawn turns SIGTERM into an orderly shutdown of the container's systemd.
            self.nspawn.send_signal(signal.SIGTERM)
        else:
            # qemu-user hands nspawn's SIGRTMIN+3 (halt) to the emulated systemd as SIGRTMIN+1 (rescue):
            # ask over its bus instead.
            try:
                self.run("systemctl", "poweroff", "--no-block")
            except subprocess.TimeoutExpired:
                pass
        try:
            self.nspawn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()
            self.nspawn.wait()
        if init is not None:
            # A container whose systemd did not stop must not outlive nspawn: its init takes it all along.
            try:
                signal.pidfd_send_signal(init, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.close(init)
        self.log.close()
