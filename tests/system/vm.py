"""A whole Debian 12 VM under qemu (TCG): cgroup v2 with the memory controller, PSI, a real OOM killer.

The disk image is built once with mmdebstrap and cached by its recipe (package list and the files
written into it); every boot runs on a throwaway qcow2 overlay, so nothing a boot does survives it.
The host shares one directory over 9p: the image runs its /share/run.sh once the system is up,
writes the exit status to /share/run.rc, the kernel log to /share/dmesg.txt and /share/kernel.json
and the whole journal to /share/journal.json, then powers off. earlyoom and systemd-oomd are
installed but disabled: a payload enables the one it wants, so by default no governor runs."""
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("JMEM_TEST_CACHE", "/var/cache/jmem-tests")

# The libraries jmemd and jmemctl load at run time (ldd), by their Debian packages.
JMEM_LIBRARIES = ["libsdbus-c++1", "libspdlog1.10", "libfmt9", "libtomlplusplus3"]
PACKAGES = ["systemd", "systemd-sysv", "dbus", "procps", "udev", "kmod", "linux-image-amd64", "earlyoom",
            "systemd-oomd"] + JMEM_LIBRARIES
# Units a payload may start but that must not run by themselves.
DISABLED_UNITS = ["earlyoom.service", "systemd-oomd.service", "systemd-oomd.socket"]

PAYLOAD_UNIT = """\
[Unit]
Description=Payload from the host's share
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
TimeoutStartSec=infinity
ExecStartPre=/bin/mkdir -p /share
ExecStartPre=/bin/mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /share
# '-': a failing payload still leaves its logs and powers off.
ExecStart=-/bin/sh -c '/share/run.sh >/share/run.log 2>&1; echo $? >/share/run.rc'
ExecStartPost=/bin/sh -c 'dmesg >/share/dmesg.txt; journalctl -k -o json >/share/kernel.json; \
journalctl -o json >/share/journal.json; sync'

[Install]
WantedBy=multi-user.target
"""

FILES = {
    "/etc/fstab": "/dev/vda / ext4 defaults 0 1\n",
    "/etc/hostname": "jmem-vm\n",
    "/etc/systemd/system/vm-payload.service": PAYLOAD_UNIT,
    # Volatile journal only; keep it off the overlay.
    "/etc/systemd/journald.conf.d/vm.conf": "[Journal]\nStorage=volatile\n",
}
IMAGE_SIZE = "2G"


def _recipe():
    return json.dumps({"packages": PACKAGES, "disabled": DISABLED_UNITS, "files": FILES, "size": IMAGE_SIZE},
                      sort_keys=True)


def image():
    """The cached image directory: disk.img (raw ext4), vmlinuz, initrd.img. Built on first use."""
    key = hashlib.sha256(_recipe().encode()).hexdigest()[:12]
    path = os.path.join(CACHE, f"vm-bookworm-{key}")
    if os.path.isdir(path):
        return path
    os.makedirs(CACHE, exist_ok=True)
    partial = path + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    root = os.path.join(partial, "root")
    os.makedirs(partial)
    subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", "--include=" + ",".join(PACKAGES), "bookworm",
                    root], check=True)
    for inside, text in FILES.items():
        target = root + inside
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write(text)
    subprocess.run(["chroot", root, "passwd", "-d", "root"], check=True, capture_output=True)
    subprocess.run(["systemctl", "--root", root, "enable", "vm-payload.service"], check=True, capture_output=True)
    present = [u for u in DISABLED_UNITS if glob.glob(f"{root}/lib/systemd/system/{u}")]
    subprocess.run(["systemctl", "--root", root, "disable", *present], check=True, capture_output=True)
    for name in ("vmlinuz", "initrd.img"):
        found = sorted(glob.glob(f"{root}/boot/{name}-*"))
        if not found:
            raise RuntimeError(f"the image has no /boot/{name}-*")
        shutil.copy(found[-1], os.path.join(partial, name))
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", root, os.path.join(partial, "disk.img"), IMAGE_SIZE],
                   check=True)
    shutil.rmtree(root)
    os.rename(partial, path)
    return path


def stage_jmem(share, jmemd, jmemctl, policies):
    """Puts jmemd, jmemctl, jmemd.service, the bus policy and `policies` (file name -> text) under
    share/jmem, with install.sh: a payload sources it with a policy's file name to install them."""
    staged = os.path.join(share, "jmem")
    os.makedirs(staged, exist_ok=True)
    for source in (jmemd, jmemctl, os.path.join(ROOT, "units/jmemd.service"),
                   os.path.join(ROOT, "units/dbus/org.jmem.Governor1.conf")):
        shutil.copy(source, staged)
    shutil.copy(os.path.join(ROOT, "tests/system/vm_install_jmem.sh"), os.path.join(staged, "install.sh"))
    for name, text in policies.items():
        with open(os.path.join(staged, name), "w") as f:
            f.write(text)


class BootResult:
    def __init__(self, share, console, elapsed_s):
        self.share = share
        self.console = console
        self.elapsed_s = elapsed_s
        rc = self.read("run.rc")
        self.rc = int(rc) if rc and rc.strip().isdigit() else None

    def read(self, name):
        try:
            with open(os.path.join(self.share, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def journal(self, name="journal.json"):
        """The entries of an exported journal in the share, as dicts."""
        return journal_entries(self.read(name))


def journal_entries(text):
    """The entries of `journalctl -o json` output, as dicts (a line cut short is left out)."""
    entries = []
    for line in (text or "").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return entries


def message(entry):
    """An entry's MESSAGE as text (journalctl writes non-UTF-8 messages as byte arrays)."""
    value = entry.get("MESSAGE", "")
    if isinstance(value, list):
        return bytes(value).decode(errors="replace")
    return value or ""


def boot(share, memory_mib=1024, cpus=2, timeout_s=300, append=""):
    """Boots the image once with `share` (holding an executable run.sh) shared over 9p; returns when
    the VM powered off. On timeout qemu is killed and TimeoutError names the console log."""
    if not 1024 <= memory_mib <= 4096:
        raise ValueError(f"memory_mib {memory_mib} outside 1024..4096")
    base = image()
    work = tempfile.mkdtemp(prefix="jmem-vm-")
    overlay = os.path.join(work, "overlay.qcow2")
    console = os.path.join(share, "console.log")
    cmdline = "root=/dev/vda rw console=ttyS0 quiet systemd.unified_cgroup_hierarchy=1 " + append
    command = ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-m", str(memory_mib), "-smp", str(cpus),
               "-kernel", os.path.join(base, "vmlinuz"), "-initrd", os.path.join(base, "initrd.img"),
               "-append", cmdline.strip(), "-drive", f"file={overlay},if=virtio,format=qcow2",
               "-virtfs", f"local,path={share},mount_tag=share,security_model=none",
               "-display", "none", "-monitor", "none", "-serial", f"file:{console}", "-no-reboot"]
    started = time.monotonic()
    try:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                        os.path.join(base, "disk.img"), overlay], check=True)
        qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = qemu.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(qemu.pid, signal.SIGKILL)
            qemu.wait()
            raise TimeoutError(f"the VM did not power off within {timeout_s}s; its console: {console}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if qemu.returncode != 0:
        raise RuntimeError(f"qemu exited with {qemu.returncode}: {output.strip()}")
    return BootResult(share, console, time.monotonic() - started)
