#!/usr/bin/env python3
"""SystemdManager and GlobalUserUnits (daemon/system/) against real systemd 252 in a container, through
systemd_client_driver: each call is checked against what systemctl says in the container afterwards.

The stand-in units are named like a Jetson's. They live in /usr/lib/systemd/system, where packages put
theirs: systemd refuses to mask a unit whose file is in /etc/systemd/system (one such unit checks that)."""
import json
import os
import subprocess
import sys

from container import Container
from harness import Checks, wait_for

DRIVER = "/usr/local/bin/systemd_client_driver"
ENOENT, EEXIST, EINVAL, ETIMEDOUT, ERFKILL = 2, 17, 22, 110, 132

UNITS = {
    "/usr/lib/systemd/system/gdm3.service":
        "[Unit]\nDescription=Stand-in display manager\n[Service]\nExecStart=/bin/sleep infinity\n"
        "[Install]\nWantedBy=graphical.target\nAlias=display-manager.service\n",
    "/usr/lib/systemd/system/avahi-daemon.service":
        "[Unit]\nDescription=Stand-in avahi\nRequires=avahi-daemon.socket\n[Service]\nExecStart=/bin/sleep infinity\n"
        "[Install]\nWantedBy=multi-user.target\nAlso=avahi-daemon.socket\n",
    "/usr/lib/systemd/system/avahi-daemon.socket":
        "[Unit]\nDescription=Stand-in avahi socket\n[Socket]\nListenStream=/run/avahi-stand-in.socket\n"
        "[Install]\nWantedBy=sockets.target\n",
    "/usr/lib/systemd/system/slow-stop.service":
        "[Service]\nExecStart=/bin/sleep infinity\nExecStop=/bin/sleep 3\n",
    "/etc/systemd/system/local.service":
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n",
    "/usr/lib/systemd/user/pulseaudio.service":
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=default.target\n",
    "/usr/lib/systemd/user/pipewire.service":
        "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=default.target\n",
}


def write_file(c, path, content):
    subprocess.run(["nsenter", "-t", str(c.pid1), "-a", "sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"', "sh",
                    path], input=content, text=True, check=True, timeout=30)


def drive(c, *args):
    result = c.run(DRIVER, *args, timeout=60)
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError:
        return result.returncode, {"unparsed": result.stdout, "stderr": result.stderr}


def systemctl(c, *args):
    return c.run("systemctl", *args, timeout=60).stdout.strip()


def etc_links(c):
    """Every entry under /etc/systemd with its link target: the unit-file state as files."""
    return c.run("sh", "-c", "find /etc/systemd -printf '%p %y %l\\n' | sort").stdout


def changes(out):
    return sorted((change["type"], change["file"], change["destination"]) for change in out.get("changes", []))


def check_error(t, name, rc, out, message, errno_value):
    t.check(name, rc == 1 and out.get("error") == message and out.get("errno") == errno_value, (rc, out))


def main():
    driver = sys.argv[1]
    t = Checks()
    with Container({os.path.abspath(driver): DRIVER}) as c:
        for path, content in UNITS.items():
            write_file(c, path, content)
        write_file(c, "/etc/systemd/user/custom.service", "[Service]\nExecStart=/bin/true\n")
        c.run("systemctl", "daemon-reload", timeout=60)
        c.run("systemctl", "enable", "gdm3.service", "avahi-daemon.service", timeout=60)
        c.run("systemctl", "set-default", "graphical.target", timeout=60)
        result = c.run("systemctl", "start", "gdm3.service", "avahi-daemon.service", "slow-stop.service", timeout=60)
        t.check("the stand-in units start", result.returncode == 0, result.stderr)

        # Reading.
        rc, out = drive(c, "default-target")
        t.check("default-target matches systemctl get-default",
                rc == 0 and out["default_target"] == systemctl(c, "get-default") == "graphical.target", out)
        for unit, expected in (("gdm3.service", "enabled"), ("display-manager.service", "alias"),
                               ("slow-stop.service", "static"), ("avahi-daemon.socket", "enabled")):
            rc, out = drive(c, "unit-file-state", unit)
            t.check(f"unit-file-state {unit} matches systemctl is-enabled",
                    rc == 0 and out["unit_file_state"] == systemctl(c, "is-enabled", unit) == expected, out)
        rc, out = drive(c, "unit-file-state", "nope.service")
        t.check("unit-file-state of a unit without a file is not-found",
                rc == 0 and out["unit_file_state"] == "not-found", (rc, out))
        rc, out = drive(c, "unit-file-state", "bad/name.service")
        t.check("unit-file-state of an invalid name is an error", rc == 1 and out.get("errno") == EINVAL and
                out["error"].startswith("Failed to get the unit file state of bad/name.service: "), (rc, out))
        rc, out = drive(c, "unit-state", "gdm3.service")
        t.check("unit-state of a running unit", rc == 0 and
                (out["load_state"], out["active_state"], out["sub_state"], out["unit_file_state"]) ==
                ("loaded", "active", "running", "enabled") and out["object_path"].endswith("/gdm3_2eservice") and
                not out["need_daemon_reload"], out)
        rc, out = drive(c, "unit-state", "nope.service")
        t.check("unit-state of a unit without a file", rc == 0 and out["load_state"] == "not-found" and
                out["active_state"] == "inactive" and out["unit_file_state"] == "", out)
        rc, out = drive(c, "list-unit-files", "-", "avahi*")
        t.check("list-unit-files expands a glob", rc == 0 and
                [(f["name"], f["state"], f["path"]) for f in out["unit_files"]] ==
                [("avahi-daemon.service", "enabled", "/lib/systemd/system/avahi-daemon.service"),
                 ("avahi-daemon.socket", "enabled", "/lib/systemd/system/avahi-daemon.socket")], out)
        rc, out = drive(c, "list-unit-files", "enabled,disabled", "gdm*", "slow-*")
        t.check("list-unit-files filters by state", rc == 0 and
                [f["name"] for f in out["unit_files"]] == ["gdm3.service"], out)

        # Stop and start, waiting for the job.
        rc, out = drive(c, "stop", "gdm3.service", "10000")
        t.check("stop waits for the job", rc == 0 and out["finished"] and out["job"].startswith(
            "/org/freedesktop/systemd1/job/") and out["unit"]["active_state"] == "inactive", out)
        t.check("systemctl is-active then says inactive", systemctl(c, "is-active", "gdm3.service") == "inactive")
        rc, out = drive(c, "start", "gdm3.service", "10000")
        t.check("start waits for the job", rc == 0 and out["finished"] and
                out["unit"]["active_state"] == "active", out)
        t.check("systemctl is-active then says active", systemctl(c, "is-active", "gdm3.service") == "active")
        rc, out = drive(c, "stop", "slow-stop.service", "300")
        t.check("a job that outlives the wait is an error (ETIMEDOUT)", rc == 1 and out.get("errno") == ETIMEDOUT and
                out["error"].startswith("Failed to stop slow-stop.service: job /org/freedesktop/systemd1/job/") and
                out["error"].endswith(" did not finish within 300 ms"), (rc, out))
        t.check("and the job goes on", systemctl(c, "is-active", "slow-stop.service") == "deactivating")
        wait_for(lambda: systemctl(c, "is-active", "slow-stop.service") == "inactive", 20, "slow-stop to stop")
        rc, out = drive(c, "stop", "avahi-daemon.socket")
        t.check("stop without waiting returns the queued job", rc == 0 and out["job"] and not out["finished"] and
                "unit" not in out, out)

        # Masking and unmasking: systemctl sees it, and unmasking restores /etc exactly.
        before = etc_links(c)
        rc, out = drive(c, "mask", "gdm3.service")
        t.check("mask reports its symlink", rc == 0 and
                changes(out) == [("symlink", "/etc/systemd/system/gdm3.service", "/dev/null")], out)
        t.check("systemctl is-enabled then says masked", systemctl(c, "is-enabled", "gdm3.service") == "masked")
        # systemd 252 neither flags this (NeedDaemonReload stays false: the new file shadows the fragment
        # without touching it) nor updates the loaded unit's UnitFileState: only GetUnitFileState reads the disk.
        rc, out = drive(c, "unit-state", "gdm3.service")
        t.check("until a reload, the loaded unit still says enabled, and no reload is flagged", rc == 0 and
                out["unit_file_state"] == "enabled" and out["load_state"] == "loaded" and
                not out["need_daemon_reload"], out)
        rc, out = drive(c, "unit-file-state", "gdm3.service")
        t.check("while unit-file-state says masked at once", rc == 0 and out["unit_file_state"] == "masked", out)
        rc, out = drive(c, "reload")
        t.check("reload succeeds", rc == 0 and out == {}, (rc, out))
        rc, out = drive(c, "unit-state", "gdm3.service")
        t.check("after reload the running unit is loaded as masked, still active",
                rc == 0 and out["load_state"] == "masked" and out["active_state"] == "active" and
                not out["need_daemon_reload"], out)
        rc, out = drive(c, "enable", "gdm3.service")
        check_error(t, "enabling a masked unit is a clear error (ERFKILL)", rc, out,
                    "Failed to enable gdm3.service: Unit file /etc/systemd/system/gdm3.service is masked.", ERFKILL)
        rc, out = drive(c, "mask", "gdm3.service")
        t.check("masking twice changes nothing", rc == 0 and changes(out) == [], out)
        rc, out = drive(c, "unmask", "gdm3.service")
        t.check("unmask reports its unlink", rc == 0 and
                changes(out) == [("unlink", "/etc/systemd/system/gdm3.service", "")], out)
        t.check("systemctl is-enabled then says enabled again", systemctl(c, "is-enabled", "gdm3.service") == "enabled")
        t.check("mask then unmask leaves /etc/systemd as it was", etc_links(c) == before)
        drive(c, "reload")

        # Disable and enable: Also= units go with it.
        rc, out = drive(c, "disable", "avahi-daemon.service")
        t.check("disable reports every symlink it removed, the Also= socket's too", rc == 0 and changes(out) == [
            ("unlink", "/etc/systemd/system/multi-user.target.wants/avahi-daemon.service", ""),
            ("unlink", "/etc/systemd/system/sockets.target.wants/avahi-daemon.socket", "")], out)
        t.check("systemctl is-enabled then says disabled for both",
                systemctl(c, "is-enabled", "avahi-daemon.service") == "disabled" and
                systemctl(c, "is-enabled", "avahi-daemon.socket") == "disabled")
        rc, out = drive(c, "disable", "avahi-daemon.service")
        t.check("disabling twice changes nothing", rc == 0 and changes(out) == [], out)
        rc, out = drive(c, "enable", "avahi-daemon.service")
        t.check("enable reports its symlinks and the install info", rc == 0 and out["carries_install_info"] and
                changes(out) == [
                    ("symlink", "/etc/systemd/system/multi-user.target.wants/avahi-daemon.service",
                     "/lib/systemd/system/avahi-daemon.service"),
                    ("symlink", "/etc/systemd/system/sockets.target.wants/avahi-daemon.socket",
                     "/lib/systemd/system/avahi-daemon.socket")], out)
        t.check("disable then enable leaves /etc/systemd as it was", etc_links(c) == before)

        # The default target.
        rc, out = drive(c, "set-default-target", "multi-user.target")
        t.check("set-default-target reports its symlinks", rc == 0 and changes(out) == [
            ("symlink", "/etc/systemd/system/default.target", "/lib/systemd/system/multi-user.target"),
            ("unlink", "/etc/systemd/system/default.target", "")], out)
        t.check("systemctl get-default then says multi-user.target",
                systemctl(c, "get-default") == "multi-user.target")
        rc, out = drive(c, "set-default-target", "graphical.target")
        t.check("set-default-target back", rc == 0 and systemctl(c, "get-default") == "graphical.target", out)
        t.check("and /etc/systemd is as it was", etc_links(c) == before)

        # Errors name the unit and say what systemd said.
        rc, out = drive(c, "set-default-target", "nope.target")
        check_error(t, "set-default-target of a missing target", rc, out,
                    "Failed to set the default target to nope.target: Unit file nope.target does not exist.", ENOENT)
        rc, out = drive(c, "disable", "nope.service")
        check_error(t, "disable of a missing unit", rc, out,
                    "Failed to disable nope.service: Unit file nope.service does not exist.", ENOENT)
        rc, out = drive(c, "enable", "nope.service")
        check_error(t, "enable of a missing unit", rc, out,
                    "Failed to enable nope.service: Unit file nope.service does not exist.", ENOENT)
        rc, out = drive(c, "stop", "nope.service")
        check_error(t, "stop of a unit that is not loaded", rc, out,
                    "Failed to stop nope.service: Unit nope.service not loaded.", ENOENT)
        rc, out = drive(c, "start", "nope.service", "1000")
        check_error(t, "start of a missing unit", rc, out, "Failed to start nope.service: Unit nope.service not found.",
                    ENOENT)
        rc, out = drive(c, "mask", "local.service")
        check_error(t, "mask of a unit whose file is in /etc/systemd/system", rc, out,
                    "Failed to mask local.service: File /etc/systemd/system/local.service already exists.", EEXIST)
        rc, out = drive(c, "mask", "nope.service")
        t.check("mask of a unit without a file succeeds, as with systemctl", rc == 0 and
                changes(out) == [("symlink", "/etc/systemd/system/nope.service", "/dev/null")], out)
        drive(c, "unmask", "nope.service")
        t.check("and unmask removes it again", etc_links(c) == before)

        # The global mask of user units, against systemctl --global.
        user_before = etc_links(c)
        enabled_before = systemctl(c, "--global", "is-enabled", "pulseaudio.service")
        rc, out = drive(c, "global-state", "pulseaudio.service")
        t.check("global-state of an unmasked user unit", rc == 0 and out == {
            "masked": False, "etc_entry": "none", "unit_file_exists": True,
            "unit_file": "/usr/lib/systemd/user/pulseaudio.service"}, out)
        rc, out = drive(c, "global-mask", "pulseaudio.service")
        t.check("global-mask changes something", rc == 0 and out == {"changed": True}, out)
        t.check("systemctl --global is-enabled then says masked",
                systemctl(c, "--global", "is-enabled", "pulseaudio.service") == "masked")
        t.check("the link is the one systemctl --global mask makes",
                c.run("readlink", "/etc/systemd/user/pulseaudio.service").stdout.strip() == "/dev/null")
        rc, out = drive(c, "global-unmask", "pulseaudio.service")
        t.check("global-unmask changes something", rc == 0 and out == {"changed": True}, out)
        t.check("systemctl --global is-enabled is back to what it was",
                systemctl(c, "--global", "is-enabled", "pulseaudio.service") == enabled_before == "disabled")
        c.run("systemctl", "--global", "mask", "pipewire.service")
        rc, out = drive(c, "global-state", "pipewire.service")
        t.check("global-state sees a mask made by systemctl --global", rc == 0 and out["masked"], out)
        rc, out = drive(c, "global-unmask", "pipewire.service")
        t.check("global-unmask removes it", rc == 0 and out == {"changed": True} and
                systemctl(c, "--global", "is-enabled", "pipewire.service") == "disabled", out)
        rc, out = drive(c, "global-unmask", "custom.service")
        t.check("global-unmask refuses a real unit file", rc == 1 and out["errno"] == EEXIST and
                c.run("test", "-f", "/etc/systemd/user/custom.service").returncode == 0, out)
        t.check("/etc/systemd is as it was after the global masks", etc_links(c) == user_before)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
