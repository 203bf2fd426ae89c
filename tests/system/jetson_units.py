"""Stand-in units named like a Jetson's, installed into a booted container, and a snapshot of what
the policy may change (the units running, unit-file state, default target, every file under /etc) to
compare byte for byte before and after."""

def holder(mib):
    """An ExecStart that holds `mib` MiB of written memory, so that what a unit costs is known."""
    return f"ExecStart=/usr/bin/python3 -c \"import time; b = b'x' * ({mib} << 20); time.sleep(1 << 30)\"\n"


# What the holders keep written, in MiB; the interpreter adds its own.
HELD_MIB = {"gdm3.service": 40, "ModemManager.service": 12, "udisks2.service": 8}
SYSTEM_UNITS = {
    "gdm3.service": "[Unit]\nDescription=stand-in GNOME display manager\n[Service]\n" + holder(40) +
                    "[Install]\nWantedBy=graphical.target\nAlias=display-manager.service\n",
    # Wanted by graphical.target, as Ubuntu ships it, and in no class of the policy: part of the desktop
    # only because systemd says graphical.target pulls it in.
    "udisks2.service": "[Unit]\nDescription=stand-in disk manager\n[Service]\n" + holder(8) +
                       "[Install]\nWantedBy=graphical.target\n",
    "ModemManager.service": "[Unit]\nDescription=stand-in modem manager\n[Service]\n" + holder(12) +
                            "[Install]\nWantedBy=multi-user.target\n",
    "avahi-daemon.service": "[Unit]\nDescription=stand-in avahi\nRequires=avahi-daemon.socket\n[Service]\n"
                            "ExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"
                            "Also=avahi-daemon.socket\n",
    "avahi-daemon.socket": "[Unit]\nDescription=stand-in avahi socket\n[Socket]\nListenStream=/run/avahi-standin.socket\n"
                           "[Install]\nWantedBy=sockets.target\n",
    "rsyslog.service": "[Unit]\nDescription=stand-in rsyslog\n[Service]\nExecStart=/bin/sleep infinity\n"
                       "[Install]\nWantedBy=multi-user.target\n",
    "bluetooth.service": "[Unit]\nDescription=stand-in bluetooth\n[Service]\nExecStart=/bin/sleep infinity\n"
                         "[Install]\nWantedBy=multi-user.target\n",
}
USER_UNITS = {
    "pulseaudio.service": "[Unit]\nDescription=stand-in pulseaudio\n[Service]\nExecStart=/bin/sleep infinity\n"
                          "[Install]\nWantedBy=default.target\n",
    "pulseaudio.socket": "[Unit]\nDescription=stand-in pulseaudio socket\n[Socket]\nListenStream=%t/pulse/native\n"
                         "[Install]\nWantedBy=sockets.target\n",
}

# What install() starts (avahi-daemon.socket comes with its service, which requires it): what apply
# stops and revert must start again.
RUNNING = ("gdm3.service", "ModemManager.service", "avahi-daemon.service", "rsyslog.service", "bluetooth.service")
STARTED = RUNNING + ("avahi-daemon.socket",)
# Started too, and no policy's: apply leaves it running.
UNTOUCHED = ("udisks2.service",)
# Runs and stops by itself while the tests run; it is no part of what the policy touches.
OWN = "jmemd.service"


def install(container):
    """Unit files in /usr/lib (like packages ship them), enabled and started like on a desktop Jetson."""
    for name, text in SYSTEM_UNITS.items():
        container.write(f"/usr/lib/systemd/system/{name}", text)
    for name, text in USER_UNITS.items():
        container.write(f"/usr/lib/systemd/user/{name}", text)
    container.run("systemctl", "daemon-reload")
    container.run("systemctl", "enable", *SYSTEM_UNITS)
    container.run("systemctl", "--global", "enable", *USER_UNITS)
    container.run("systemctl", "set-default", "graphical.target")
    container.run("systemctl", "start", *RUNNING, *UNTOUCHED)


def vendor_default_target(container):
    """The default target only as the distribution ships it (/usr/lib/systemd/system/default.target,
    graphical.target on Debian): no link of the operator's in /etc."""
    container.run("rm", "-f", "/etc/systemd/system/default.target")
    container.run("systemctl", "daemon-reload", timeout=60)


def active_units(container):
    """Every unit that is active or on its way (or failed), one "NAME STATE" a line, sorted; leaving out
    only what comes and goes by itself: jmemd.service (stopped and restarted by the tests and by a
    package's removal), transient units (scopes and systemd-run's units live as long as whoever
    started them) and the services that timers start (a run of apt-daily or systemd-tmpfiles-clean can
    fall between two snapshots). The timers themselves stay in: they run all the time."""
    listed = container.run("systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager",
                           "--state=active,activating,deactivating,reloading,failed").stdout
    states = {}
    for line in listed.splitlines():
        fields = line.split()  # UNIT LOAD ACTIVE SUB DESCRIPTION
        if len(fields) >= 3:
            states[fields[0]] = fields[2]
    # The unit a timer activates is the last column of list-timers (its dates hold spaces).
    timers = container.run("systemctl", "list-timers", "--all", "--no-legend", "--no-pager").stdout
    by_timers = {line.split()[-1] for line in timers.splitlines() if line.split()}
    transient = set()
    if states:
        shown = container.run("systemctl", "show", "--property=Id,Transient", "--", *sorted(states)).stdout
        for block in shown.split("\n\n"):
            fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            if fields.get("Transient") == "yes":
                transient.add(fields.get("Id"))
    return "".join(f"{name} {state}\n" for name, state in sorted(states.items())
                   if name != OWN and name not in by_timers and name not in transient)


def snapshot(container):
    """What audit mode must leave alone and revert must restore exactly."""
    units = container.run("systemctl", "list-unit-files", "--no-legend", "--no-pager").stdout
    default = container.run("systemctl", "get-default").stdout
    # Every entry under /etc: type, link target, mode, and a digest of the content.
    etc = container.run("sh", "-c", "find /etc -xdev \\( -type f -o -type l -o -type d \\) "
                        "-printf '%p %y %l %m\\n' | sort; find /etc -xdev -type f -exec sha256sum {} + | sort").stdout
    return {"active_units": active_units(container), "unit_files": units, "default_target": default, "etc": etc}
