"""Stand-in units named like a Jetson's, installed into a booted container, and a snapshot of what
the policy may change (unit-file state, default target, every file under /etc) to compare byte for
byte before and after."""

SYSTEM_UNITS = {
    "gdm3.service": "[Unit]\nDescription=stand-in GNOME display manager\n[Service]\nExecStart=/bin/sleep infinity\n"
                    "[Install]\nWantedBy=graphical.target\nAlias=display-manager.service\n",
    "ModemManager.service": "[Unit]\nDescription=stand-in modem manager\n[Service]\nExecStart=/bin/sleep infinity\n"
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
    container.run("systemctl", "start", "gdm3.service", "ModemManager.service", "avahi-daemon.service",
                  "rsyslog.service", "bluetooth.service")


def snapshot(container):
    """What audit mode must leave alone and revert must restore exactly."""
    units = container.run("systemctl", "list-unit-files", "--no-legend", "--no-pager").stdout
    default = container.run("systemctl", "get-default").stdout
    # Every entry under /etc: type, link target, mode, and a digest of the content.
    etc = container.run("sh", "-c", "find /etc -xdev \\( -type f -o -type l -o -type d \\) "
                        "-printf '%p %y %l %m\\n' | sort; find /etc -xdev -type f -exec sha256sum {} + | sort").stdout
    return {"unit_files": units, "default_target": default, "etc": etc}
